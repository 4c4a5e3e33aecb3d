package io.runnel.broker.log;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
import java.util.stream.Stream;

import org.apache.kafka.common.errors.KafkaStorageException;
import org.apache.kafka.common.utils.Utils;

/**
 * The names of the files in a partition directory (Kafka's: {@code %020d.log}, {@code .index},
 * {@code .timeindex}, {@code .snapshot}, plus {@code leader-epoch-checkpoint},
 * {@code recovery-point} and {@code partition.metadata}) and the one way small metadata files are
 * replaced: write a temp file, fsync it, rename it over the old one, fsync the directory — so a
 * crash leaves either the old or the new content, never a mix.
 *
 * <p>Stateless.
 */
public final class LogFiles {
    static final String LOG_SUFFIX = ".log";
    static final String INDEX_SUFFIX = ".index";
    static final String TIME_INDEX_SUFFIX = ".timeindex";
    static final String SNAPSHOT_SUFFIX = ".snapshot";
    static final String TEMP_SUFFIX = ".tmp";
    static final String LEADER_EPOCH_CHECKPOINT = "leader-epoch-checkpoint";
    static final String RECOVERY_POINT = "recovery-point";
    /** The log start offset set by DeleteRecords, when above the first segment's base offset. */
    static final String LOG_START_OFFSET = "log-start-offset";
    static final String PARTITION_METADATA = "partition.metadata";
    /** The log cleaner's first dirty offset: everything below it has been compacted once. */
    static final String CLEANER_CHECKPOINT = "cleaner-checkpoint";
    /** The partition's aborted transactions ({@link AbortedTxnIndex}). */
    static final String ABORTED_TXN_INDEX = "aborted-transactions.index";
    /** A cleaned segment being written (incomplete: deleted at open). */
    static final String CLEANED_SUFFIX = ".log.cleaned";
    /** A cleaned segment ready to replace the segments it covers (completed at open). */
    static final String SWAP_SUFFIX = ".log.swap";

    private LogFiles() {}

    static String baseName(long offset) {
        if (offset < 0) throw new IllegalArgumentException("negative offset in a file name: " + offset);
        return String.format("%020d", offset);
    }

    static Path logFile(Path dir, long baseOffset) {
        return dir.resolve(baseName(baseOffset) + LOG_SUFFIX);
    }

    static Path indexFile(Path dir, long baseOffset) {
        return dir.resolve(baseName(baseOffset) + INDEX_SUFFIX);
    }

    static Path timeIndexFile(Path dir, long baseOffset) {
        return dir.resolve(baseName(baseOffset) + TIME_INDEX_SUFFIX);
    }

    static Path cleanedFile(Path dir, long baseOffset) {
        return dir.resolve(baseName(baseOffset) + CLEANED_SUFFIX);
    }

    static Path swapFile(Path dir, long baseOffset) {
        return dir.resolve(baseName(baseOffset) + SWAP_SUFFIX);
    }

    /** fsyncs a directory, so that renames and deletions in it survive a crash. */
    static void fsyncDirectory(Path dir) {
        try {
            Utils.flushDir(dir);
        } catch (IOException e) {
            throw storageError("syncing directory " + dir, e);
        }
    }

    static Path snapshotFile(Path dir, long offset) {
        return dir.resolve(baseName(offset) + SNAPSHOT_SUFFIX);
    }

    /** The offset a file named {@code <20 digits><suffix>} stands for, if the name has that form. */
    static OptionalLong parseOffset(Path file, String suffix) {
        String name = file.getFileName().toString();
        if (!name.endsWith(suffix) || name.length() != 20 + suffix.length()) return OptionalLong.empty();
        String digits = name.substring(0, 20);
        if (!digits.chars().allMatch(Character::isDigit)) return OptionalLong.empty();
        return OptionalLong.of(Long.parseLong(digits));
    }

    /** Offsets of all files in {@code dir} with this suffix, ascending. */
    static List<Long> offsetsOf(Path dir, String suffix) {
        List<Long> offsets = new ArrayList<>();
        try (Stream<Path> files = Files.list(dir)) {
            files.forEach(f -> parseOffset(f, suffix).ifPresent(offsets::add));
        } catch (IOException e) {
            throw storageError("listing " + dir, e);
        }
        offsets.sort(null);
        return offsets;
    }

    /** Replaces {@code target} with {@code content} atomically and durably. */
    public static void writeAtomically(Path target, byte[] content) {
        Path temp = target.resolveSibling(target.getFileName() + TEMP_SUFFIX);
        try (FileChannel channel = FileChannel.open(temp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            ByteBuffer buffer = ByteBuffer.wrap(content);
            while (buffer.hasRemaining()) channel.write(buffer);
            channel.force(true);
        } catch (IOException e) {
            throw storageError("writing " + temp, e);
        }
        try {
            Utils.atomicMoveWithFallback(temp, target, true);
        } catch (IOException e) {
            throw storageError("renaming " + temp + " to " + target, e);
        }
    }

    /** Deletes leftovers of interrupted {@link #writeAtomically} calls. */
    static void deleteTempFiles(Path dir) {
        try (Stream<Path> files = Files.list(dir)) {
            for (Path f : (Iterable<Path>) files::iterator) {
                if (f.getFileName().toString().endsWith(TEMP_SUFFIX)) Files.deleteIfExists(f);
            }
        } catch (IOException e) {
            throw storageError("cleaning temp files in " + dir, e);
        }
    }

    static void deleteIfExists(Path file) {
        try {
            Files.deleteIfExists(file);
        } catch (IOException e) {
            throw storageError("deleting " + file, e);
        }
    }

    /**
     * How long the channel of a deleted or replaced segment stays open (Kafka's
     * {@code file.delete.delay.ms} default): fetch responses queued with a {@link FileSlice} of it
     * are written from the open channel even though the file name is already gone.
     */
    public static final long RETIRED_CHANNEL_GRACE_MS = 60_000;

    private static final java.util.concurrent.ScheduledExecutorService CLOSER =
            java.util.concurrent.Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "runnel-retired-segment-closer");
                t.setDaemon(true);
                return t;
            });

    /** Closes a retired segment's file channel after {@link #RETIRED_CHANNEL_GRACE_MS}. */
    static void closeLater(java.nio.channels.FileChannel channel) {
        CLOSER.schedule(() -> {
            try {
                channel.close();
            } catch (IOException e) {
                // Nothing else holds it; the descriptor is released with the process at worst.
            }
        }, RETIRED_CHANNEL_GRACE_MS, java.util.concurrent.TimeUnit.MILLISECONDS);
    }

    static KafkaStorageException storageError(String what, IOException cause) {
        return new KafkaStorageException("I/O error " + what + ": " + cause.getMessage(), cause);
    }
}
