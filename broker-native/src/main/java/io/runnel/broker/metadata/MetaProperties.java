package io.runnel.broker.metadata;

import java.io.IOException;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Properties;

import org.apache.kafka.common.Uuid;

/**
 * {@code meta.properties} in each log dir, as Kafka writes it: which cluster and node the data
 * belongs to, so a broker never serves another cluster's or node's data by mistake. Stateless.
 */
public final class MetaProperties {
    public static final String FILE_NAME = "meta.properties";

    private MetaProperties() {}

    /**
     * Returns the cluster id of the log dir, writing {@code meta.properties} on first start (with
     * {@code configuredClusterId}, or a fresh random id when that is empty). Fails if the dir
     * belongs to another cluster or node.
     */
    public static String ensure(Path logDir, String configuredClusterId, int nodeId) {
        try {
            Files.createDirectories(logDir);
            Path file = logDir.resolve(FILE_NAME);
            if (Files.exists(file)) {
                Properties p = new Properties();
                try (Reader r = Files.newBufferedReader(file)) {
                    p.load(r);
                }
                String clusterId = p.getProperty("cluster.id");
                int storedNode = Integer.parseInt(p.getProperty("node.id", "-1"));
                if (!configuredClusterId.isEmpty() && !configuredClusterId.equals(clusterId))
                    throw new IllegalStateException("Log dir " + logDir + " belongs to cluster " + clusterId + ", not " + configuredClusterId);
                if (storedNode != nodeId)
                    throw new IllegalStateException("Log dir " + logDir + " belongs to node " + storedNode + ", not " + nodeId);
                return clusterId;
            }
            String clusterId = configuredClusterId.isEmpty() ? Uuid.randomUuid().toString() : configuredClusterId;
            Properties p = new Properties();
            p.setProperty("version", "1");
            p.setProperty("cluster.id", clusterId);
            p.setProperty("node.id", Integer.toString(nodeId));
            Path tmp = logDir.resolve(FILE_NAME + ".tmp");
            try (Writer w = Files.newBufferedWriter(tmp)) {
                p.store(w, "Written by Runnel on first start");
            }
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
                ch.force(true);
            }
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE);
            return clusterId;
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot prepare log dir " + logDir, e);
        }
    }
}
