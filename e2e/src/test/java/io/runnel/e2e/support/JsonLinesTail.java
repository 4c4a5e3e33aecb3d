package io.runnel.e2e.support;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

/**
 * The JSON objects a running process prints one per line (Kafka's verifiable clients do), read
 * incrementally from its stdout file: each {@link #readNew} returns the complete lines written
 * since the last call, parsed. A line still being written (no newline yet) waits for the next
 * call; lines that are not JSON objects (a warning a tool prints on stdout) are skipped.
 *
 * <p>Not thread-safe: one owner calls {@link #readNew}.
 */
final class JsonLinesTail {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path file;
    private long position;

    JsonLinesTail(Path file) {
        this.file = file;
    }

    List<JsonNode> readNew() {
        List<JsonNode> parsed = new ArrayList<>();
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = channel.size();
            if (size <= position) return parsed;
            ByteBuffer bytes = ByteBuffer.allocate((int) (size - position));
            while (bytes.hasRemaining() && channel.read(bytes, position + bytes.position()) > 0) {
                // keep reading until the snapshot of the file is in
            }
            bytes.flip();
            // Cut at the last newline, so a UTF-8 sequence is never split between two reads.
            int end = bytes.limit();
            while (end > 0 && bytes.get(end - 1) != '\n') end--;
            if (end == 0) return parsed;
            String text = StandardCharsets.UTF_8.decode(bytes.limit(end)).toString();
            position += end;
            for (String line : text.split("\n")) {
                String trimmed = line.trim();
                if (!trimmed.startsWith("{")) continue;
                try {
                    parsed.add(JSON.readTree(trimmed));
                } catch (IOException e) {
                    throw new IllegalStateException("a line of " + file + " starts like JSON but is not: " + trimmed, e);
                }
            }
            return parsed;
        } catch (IOException e) {
            throw new UncheckedIOException("reading " + file, e);
        }
    }
}
