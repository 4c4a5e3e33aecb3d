package io.runnel.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;

/**
 * Where a broker's CPU went, from async-profiler's collapsed stacks (bench/profile): every sample
 * put in the first bucket that claims it (kernel file writes, sockets, waiting and waking, the JIT,
 * GC, Java on the event loops or Kafka's network threads, Java on the I/O threads or Kafka's request
 * handlers), then by thread when the profile names them (async-profiler's {@code threads}; numbers in
 * names folded, so a pool is one line), the frames that burn the most themselves and, inclusively,
 * the broker's own methods (Runnel's, or Kafka's for a profile of Apache Kafka, and kafka-clients'
 * that either calls). Text to stdout; single-threaded.
 *
 * <p>Usage: {@code ProfileSummary <collapsed file> [top N]}.
 */
public final class ProfileSummary {
    private ProfileSummary() {
    }

    /** A bucket: a name and what a sample's frames (root first) must show to fall in it. */
    private record Bucket(String name, Predicate<List<String>> claims) {
    }

    private static boolean any(List<String> frames, String fragment) {
        for (String f : frames) if (f.contains(fragment)) return true;
        return false;
    }

    private static boolean inKernel(List<String> frames) {
        return frames.get(frames.size() - 1).endsWith("_[k]");
    }

    private static final List<Bucket> BUCKETS = List.of(
            new Bucket("JIT compiler threads", f -> any(f, "CompileBroker") || any(f, "C2Compiler") || any(f, "Compile::")),
            new Bucket("GC", f -> any(f.subList(0, Math.min(6, f.size())), "G1") || any(f, "GCTaskThread") || any(f, "ConcurrentGCThread")),
            new Bucket("kernel: file writes (page cache)", f -> inKernel(f) && (any(f, "FileDispatcherImpl_write") || any(f, "FileDispatcherImpl_pwrite"))),
            new Bucket("kernel: fsync", f -> inKernel(f) && any(f, "force0")),
            // The JDK's NIO (Kafka, and Runnel where Netty's epoll transport is not loaded) and Netty's epoll transport.
            new Bucket("kernel: file to socket (sendfile)", f -> inKernel(f) && (any(f, "transferTo") || any(f, "sendFile"))),
            new Bucket("kernel: socket writes", f -> inKernel(f) && (any(f, "SocketDispatcher_write") || any(f, "unix/Socket.send")
                    || any(f, "unix/Socket.write"))),
            new Bucket("kernel: socket reads", f -> inKernel(f) && (any(f, "SocketDispatcher_read") || any(f, "unix/Socket.recv")
                    || any(f, "unix/Socket.read"))),
            new Bucket("kernel: epoll, wake-ups, thread switches", f -> inKernel(f)
                    && (any(f, "EPoll") || any(f, "EventFD") || any(f, "IOUtil_drain") || any(f, "pthread_cond") || any(f, "futex")
                        || any(f, "Unpark") || any(f, "park") || any(f, "epoll/Native") || any(f, "eventfd"))),
            new Bucket("kernel: other", ProfileSummary::inKernel),
            new Bucket("Java on the event loops", f -> any(f, "NioEventLoop.run") || any(f, "EpollEventLoop.run")),
            new Bucket("Java on the I/O threads", f -> any(f, "io/runnel/broker/partition/IoThread")),
            new Bucket("Java on Kafka's network threads", f -> any(f, "kafka/network/Processor.run")),
            new Bucket("Java on Kafka's request handlers", f -> any(f, "kafka/server/KafkaRequestHandler.run")),
            new Bucket("Java elsewhere", f -> true));

    /** A thread's root frame is {@code [name tid=N]}: the id goes, the name stays. */
    private static final java.util.regex.Pattern THREAD_ID = java.util.regex.Pattern.compile(" tid=[0-9]+");

    /** The frames counted as the broker's own: Runnel, Kafka's broker (Scala and Java), kafka-clients. */
    private static final List<String> OWN = List.of("io/runnel/", "kafka/", "org/apache/kafka/");

    public static void main(String[] args) throws IOException {
        if (args.length < 1) {
            System.err.println("usage: ProfileSummary <collapsed stacks> [top N]");
            System.exit(2);
        }
        int top = args.length > 1 ? Integer.parseInt(args[1]) : 25;
        Map<String, Long> buckets = new LinkedHashMap<>();
        BUCKETS.forEach(b -> buckets.put(b.name(), 0L));
        Map<String, Long> self = new HashMap<>();
        Map<String, Long> runnelInclusive = new HashMap<>();
        Map<String, Long> threads = new HashMap<>();
        long total = 0;
        for (String line : Files.readAllLines(Path.of(args[0]))) {
            int space = line.lastIndexOf(' ');
            if (space < 0) continue;
            long samples = Long.parseLong(line.substring(space + 1).trim());
            List<String> frames = List.of(line.substring(0, space).split(";"));
            total += samples;
            for (Bucket b : BUCKETS) {
                if (b.claims().test(frames)) {
                    buckets.merge(b.name(), samples, Long::sum);
                    break;
                }
            }
            self.merge(frames.get(frames.size() - 1), samples, Long::sum);
            if (frames.get(0).startsWith("[")) threads.merge(THREAD_ID.matcher(frames.get(0)).replaceAll("").replaceAll("[0-9]+", "N"), samples, Long::sum);
            Set<String> seen = new HashSet<>();
            for (String f : frames) if (OWN.stream().anyMatch(f::startsWith) && seen.add(f)) runnelInclusive.merge(f, samples, Long::sum);
        }
        System.out.printf(Locale.ROOT, "%d samples%n%nwhere the CPU went%n", total);
        for (var e : buckets.entrySet()) System.out.printf(Locale.ROOT, "  %5.1f%%  %s%n", pct(e.getValue(), total), e.getKey());
        if (!threads.isEmpty()) {
            System.out.printf(Locale.ROOT, "%nby thread (numbers folded)%n");
            print(threads, total, top);
        }
        System.out.printf(Locale.ROOT, "%nhottest frames (self)%n");
        print(self, total, top);
        System.out.printf(Locale.ROOT, "%nthe broker's methods (Runnel's or Kafka's, and kafka-clients'; inclusive)%n");
        print(runnelInclusive, total, top);
    }

    private static void print(Map<String, Long> counts, long total, int top) {
        counts.entrySet().stream().sorted(Map.Entry.<String, Long>comparingByValue().reversed()).limit(top)
                .forEach(e -> System.out.printf(Locale.ROOT, "  %5.1f%%  %s%n", pct(e.getValue(), total), e.getKey()));
    }

    private static double pct(long part, long total) {
        return total == 0 ? 0 : 100.0 * part / total;
    }
}
