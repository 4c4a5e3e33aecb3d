package io.runnel.broker.log;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

import org.apache.kafka.common.Uuid;
import org.jboss.logging.Logger;

/**
 * {@code partition.metadata} in Kafka's format ({@code "version: 0\ntopic_id: <base64 uuid>\n"}):
 * the id of the topic a partition directory belongs to, so that a topic deleted and recreated
 * under the same name is not mistaken for the old one. Stateless.
 */
final class PartitionMetadataFile {
    private static final Logger LOG = Logger.getLogger(PartitionMetadataFile.class);
    private static final String VERSION_PREFIX = "version: ";
    private static final String TOPIC_ID_PREFIX = "topic_id: ";

    private PartitionMetadataFile() {}

    static void write(Path dir, Uuid topicId) {
        String text = VERSION_PREFIX + 0 + "\n" + TOPIC_ID_PREFIX + topicId + "\n";
        LogFiles.writeAtomically(dir.resolve(LogFiles.PARTITION_METADATA), text.getBytes(StandardCharsets.UTF_8));
    }

    /** The recorded topic id; empty if there is no file or it does not parse. */
    static Optional<Uuid> read(Path dir) {
        Path file = dir.resolve(LogFiles.PARTITION_METADATA);
        try {
            List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
            if (lines.size() < 2 || !lines.get(0).equals(VERSION_PREFIX + 0) || !lines.get(1).startsWith(TOPIC_ID_PREFIX))
                throw new IllegalArgumentException("unexpected content " + lines);
            return Optional.of(Uuid.fromString(lines.get(1).substring(TOPIC_ID_PREFIX.length()).trim()));
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (IOException | RuntimeException e) {
            LOG.warnf("Ignoring unreadable %s: %s", file, e.toString());
            return Optional.empty();
        }
    }
}
