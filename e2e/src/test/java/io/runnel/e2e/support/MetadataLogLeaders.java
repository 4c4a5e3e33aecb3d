package io.runnel.e2e.support;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.apache.kafka.common.errors.CorruptRecordException;
import org.apache.kafka.common.message.LeaderChangeMessage;
import org.apache.kafka.common.record.internal.ControlRecordType;
import org.apache.kafka.common.record.internal.ControlRecordUtils;
import org.apache.kafka.common.record.internal.FileRecords;
import org.apache.kafka.common.record.internal.Record;
import org.apache.kafka.common.record.internal.RecordBatch;

/**
 * Who led each epoch, as one node's copy of the metadata log records it: the segment files
 * ({@code __cluster_metadata-0/*.log}, Kafka's format) read with kafka-clients' own record
 * classes, not with anything of Runnel's. A Raft leader starts its epoch by appending a
 * LEADER_CHANGE control record (kafka-raft's {@code LeaderChangeMessage}) in a batch stamped with
 * that epoch; this collects them, and the latest epoch's leader from the node's
 * {@code quorum-state} file.
 *
 * <p>Besides the leaders it reports what breaks the log's own shape: a batch whose CRC fails, an
 * epoch lower than the one before it (a Raft log's epochs never go back), and an epoch whose
 * first batch is not its leader's LEADER_CHANGE. Reads files only; run it on a stopped node, or
 * accept that a batch being appended at the end may be left out (FileRecords stops at a partial
 * batch).
 */
public final class MetadataLogLeaders {
    /** One LEADER_CHANGE record: at {@code offset}, in a batch of {@code epoch}, naming {@code leaderId}. */
    public record LeaderChange(long offset, int epoch, int leaderId, List<Integer> voters, List<Integer> grantingVoters) {}

    /** The node's {@code quorum-state} file: the last epoch it knew of and that epoch's leader (-1: none known). */
    public record QuorumState(int leaderEpoch, int leaderId) {}

    /** What one node's metadata log says. */
    public record Log(Path dir, List<LeaderChange> leaderChanges, Optional<QuorumState> quorumState, List<String> problems, long batches) {
        /**
         * Epoch → the leader ids this node names for it, from its LEADER_CHANGE records and its
         * quorum-state file (which knows the latest epoch's leader even before its record is
         * written). More than one id would be two leaders in one epoch.
         */
        public Map<Integer, List<Integer>> leadersByEpoch() {
            Map<Integer, List<Integer>> leaders = new TreeMap<>();
            for (LeaderChange change : leaderChanges) add(leaders, change.epoch(), change.leaderId());
            quorumState.filter(q -> q.leaderId() >= 0).ifPresent(q -> add(leaders, q.leaderEpoch(), q.leaderId()));
            return leaders;
        }

        private static void add(Map<Integer, List<Integer>> leaders, int epoch, int leaderId) {
            List<Integer> ids = leaders.computeIfAbsent(epoch, e -> new ArrayList<>());
            if (!ids.contains(leaderId)) ids.add(leaderId);
        }
    }

    private MetadataLogLeaders() {}

    /**
     * Epoch → every leader id any of these logs names for it. Election safety (at most one leader
     * per epoch) holds across the nodes exactly when every entry has one id.
     */
    public static Map<Integer, Set<Integer>> leadersByEpoch(Collection<Log> logs) {
        Map<Integer, Set<Integer>> leaders = new TreeMap<>();
        for (Log log : logs) {
            log.leadersByEpoch().forEach((epoch, ids) -> leaders.computeIfAbsent(epoch, e -> new TreeSet<>()).addAll(ids));
        }
        return leaders;
    }

    public static Log read(Path metadataLogDir) {
        List<LeaderChange> changes = new ArrayList<>();
        List<String> problems = new ArrayList<>();
        long batches = 0;
        int lastEpoch = -1;
        for (Path segment : segments(metadataLogDir)) {
            try (FileRecords records = FileRecords.open(segment.toFile(), false)) {
                for (RecordBatch batch : records.batches()) {
                    batches++;
                    String where = segment.getFileName() + " batch at offset " + batch.baseOffset();
                    try {
                        batch.ensureValid();
                    } catch (CorruptRecordException e) {
                        problems.add(where + ": " + e.getMessage());
                        continue;
                    }
                    int epoch = batch.partitionLeaderEpoch();
                    List<LeaderChange> inBatch = leaderChanges(batch);
                    if (epoch < lastEpoch) problems.add(where + ": epoch " + epoch + " after epoch " + lastEpoch);
                    if (epoch > lastEpoch && inBatch.isEmpty()) {
                        problems.add(where + ": the first batch of epoch " + epoch + " is not a LEADER_CHANGE control batch");
                    }
                    changes.addAll(inBatch);
                    lastEpoch = Math.max(lastEpoch, epoch);
                }
            } catch (IOException e) {
                throw new UncheckedIOException("reading " + segment, e);
            }
        }
        return new Log(metadataLogDir, List.copyOf(changes), quorumState(metadataLogDir), List.copyOf(problems), batches);
    }

    /** kafka-raft's {@code quorum-state} JSON ({@code leaderEpoch}, {@code leaderId}), if the node wrote one. */
    private static Optional<QuorumState> quorumState(Path dir) {
        Path file = dir.resolve("quorum-state");
        if (!Files.exists(file)) return Optional.empty();
        try {
            JsonNode json = new ObjectMapper().readTree(file.toFile());
            return Optional.of(new QuorumState(json.path("leaderEpoch").asInt(-1), json.path("leaderId").asInt(-1)));
        } catch (IOException e) {
            throw new UncheckedIOException("reading " + file, e);
        }
    }

    private static List<LeaderChange> leaderChanges(RecordBatch batch) {
        if (!batch.isControlBatch()) return List.of();
        List<LeaderChange> changes = new ArrayList<>();
        for (Record record : batch) {
            if (ControlRecordType.parse(record.key()) != ControlRecordType.LEADER_CHANGE) continue;
            LeaderChangeMessage message = ControlRecordUtils.deserializeLeaderChangeMessage(record);
            changes.add(new LeaderChange(record.offset(), batch.partitionLeaderEpoch(), message.leaderId(),
                    message.voters().stream().map(LeaderChangeMessage.Voter::voterId).toList(),
                    message.grantingVoters().stream().map(LeaderChangeMessage.Voter::voterId).toList()));
        }
        return changes;
    }

    /** The segment files in base-offset order (their names are the zero-padded base offsets). */
    private static List<Path> segments(Path dir) {
        try (Stream<Path> files = Files.list(dir)) {
            return files.filter(f -> f.getFileName().toString().endsWith(".log")).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException("listing " + dir, e);
        }
    }
}
