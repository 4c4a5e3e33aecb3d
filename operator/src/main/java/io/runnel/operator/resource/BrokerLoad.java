package io.runnel.operator.resource;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import org.jboss.logging.Logger;

/**
 * The produce rate of a cluster from its brokers' own Prometheus endpoints: each Ready broker's
 * {@code runnel_topic_bytes_in_total} summed over topics, and the rate between two looks at least
 * {@link #MIN_WINDOW} apart. A broker that restarted (its counter went back) or appeared in
 * between is left out of that window's rate. Holds the previous look per cluster; any thread
 * (one reconcile per cluster at a time).
 */
@jakarta.inject.Singleton
public final class BrokerLoad {
    private static final Logger LOG = Logger.getLogger(BrokerLoad.class);
    static final Duration MIN_WINDOW = Duration.ofSeconds(10);
    private static final String BYTES_IN = "runnel_topic_bytes_in_total";

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(3)).build();
    private final Map<String, Sample> previous = new ConcurrentHashMap<>();
    private final Map<String, Double> lastRate = new ConcurrentHashMap<>();

    /** One look: each broker pod (by uid, so a restarted pod is a new one) and its counter. */
    private record Sample(Instant at, Map<String, Double> bytesByPod) {
    }

    /**
     * @param cluster   a key for the cluster (namespace/name)
     * @param endpoints each Ready broker pod's uid and its metrics URL
     * @return bytes per second produced to the cluster over the last window, or null before two looks
     */
    public Double bytesInPerSecond(String cluster, Map<String, String> endpoints, Instant now) {
        Sample before = previous.get(cluster);
        if (before != null && Duration.between(before.at(), now).compareTo(MIN_WINDOW) < 0) return lastRate.get(cluster);
        Map<String, Double> counters = new HashMap<>();
        endpoints.forEach((uid, url) -> {
            Double v = scrape(url);
            if (v != null) counters.put(uid, v);
        });
        previous.put(cluster, new Sample(now, counters));
        if (before == null) return null;
        double seconds = Duration.between(before.at(), now).toMillis() / 1000.0;
        double bytes = 0;
        for (var e : counters.entrySet()) {
            Double was = before.bytesByPod().get(e.getKey());
            if (was != null && e.getValue() >= was) bytes += e.getValue() - was;
        }
        double rate = bytes / seconds;
        lastRate.put(cluster, rate);
        return rate;
    }

    public void forget(String cluster) {
        previous.remove(cluster);
        lastRate.remove(cluster);
    }

    private Double scrape(String url) {
        try {
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(5)).build(),
                    HttpResponse.BodyHandlers.ofString());
            if (r.statusCode() != 200) return null;
            return sum(r.body(), BYTES_IN);
        } catch (java.io.IOException e) {
            LOG.debugf("scraping %s failed: %s", url, e);
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }

    /** The sum of every sample of {@code metric} (any labels) in a Prometheus text exposition. */
    static double sum(String exposition, String metric) {
        double total = 0;
        for (String line : exposition.split("\n")) {
            if (!line.startsWith(metric)) continue;
            String rest = line.substring(metric.length());
            if (!rest.startsWith("{") && !rest.startsWith(" ")) continue; // another metric sharing the prefix
            int space = line.lastIndexOf(' ');
            try {
                total += Double.parseDouble(line.substring(space + 1).trim());
            } catch (NumberFormatException e) {
                // a malformed line is not load
            }
        }
        return total;
    }
}
