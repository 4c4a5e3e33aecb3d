package io.runnel.broker.metadata;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;

import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.security.scram.ScramCredential;
import org.apache.kafka.common.security.scram.internals.ScramMechanism;
import org.apache.kafka.common.utils.Time;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.runnel.broker.config.BrokerConfig;
import io.runnel.broker.metadata.ScramCredentialAlterations.Deletion;
import io.runnel.broker.metadata.ScramCredentialAlterations.Upsertion;
import io.runnel.broker.metadata.ScramCredentialAlterations.UserResult;
import io.runnel.broker.security.MetadataScramCredentials;

/**
 * SCRAM credentials through the controller over the real file-backed metadata log: one request's
 * changes are one batch (no image ever shows half of them), they survive a reopen by log replay
 * and by a snapshot alone, and the authentication view reads the latest image.
 */
class ScramCredentialsControllerTest {
    @TempDir
    Path dir;

    static final byte[] SALT = "salt-1".getBytes(StandardCharsets.UTF_8);
    static final byte[] SALTED = "salted-password-bytes".getBytes(StandardCharsets.UTF_8);

    private MetadataController open(BrokerConfig config) {
        MetadataController controller = new MetadataController(config, "test-cluster",
                QuorumMetadataLog.singleNode(1, "test-cluster", dir, config.quorumSettings(), Time.SYSTEM));
        controller.start().join();
        controller.registerBroker(new MetadataController.BrokerRegistration(1, Uuid.randomUuid(),
                List.of(new BrokerImage.Endpoint("PLAINTEXT", "127.0.0.1", 9092, (short) 0)), "")).join();
        return controller;
    }

    private static Upsertion upsert(String user, byte mechanism, int iterations) {
        return new Upsertion(user, mechanism, iterations, SALT, SALTED);
    }

    private static List<Errors> alter(MetadataController c, List<Deletion> deletions, List<Upsertion> upsertions) {
        return c.alterUserScramCredentials(deletions, upsertions).join().stream().map(UserResult::error).toList();
    }

    /** Every credential of the image as comparable text (ScramCredential has no equals). */
    private static List<String> view(ScramImage scram) {
        List<String> lines = new ArrayList<>();
        for (String user : scram.users())
            scram.credentials(user).forEach((m, c) -> lines.add(user + " " + m + " " + c.iterations() + " " + java.util.Arrays.toString(c.salt())
                    + " " + java.util.Arrays.toString(c.storedKey()) + " " + java.util.Arrays.toString(c.serverKey())));
        return lines;
    }

    @Test
    void oneRequestsChangesAreOneBatchThatNoImageShowsHalfOf() {
        try (MetadataController c = open(BrokerConfig.from(Map.of()))) {
            assertThat(alter(c, List.of(), List.of(upsert("alice", (byte) 1, 4096)))).containsExactly(Errors.NONE);
            List<ScramImage> published = Collections.synchronizedList(new ArrayList<>());
            c.addListener((previous, current) -> {
                if (previous.scram() != current.scram()) published.add(current.scram());
            });
            long before = c.image().offset();
            List<Errors> errors = alter(c, List.of(new Deletion("alice", (byte) 1)),
                    List.of(upsert("bob", (byte) 2, 8192), upsert("carol", (byte) 1, 4096), upsert("", (byte) 1, 4096)));
            assertThat(errors).containsExactly(Errors.NONE, Errors.NONE, Errors.NONE, Errors.UNACCEPTABLE_CREDENTIAL);
            assertThat(published).as("one image with all three changes, none in between").singleElement()
                    .satisfies(s -> assertThat(s.users()).containsExactly("bob", "carol"));
            assertThat(c.image().offset() - before).as("three records").isEqualTo(3);
            assertThat(c.image().scram().users()).containsExactly("bob", "carol");
        }
    }

    @Test
    void aRequestWithOnlyRefusedUsersWritesNothing() {
        try (MetadataController c = open(BrokerConfig.from(Map.of()))) {
            long before = c.image().offset();
            assertThat(alter(c, List.of(new Deletion("nobody", (byte) 1)), List.of(upsert("weak", (byte) 1, 10))))
                    .containsExactly(Errors.RESOURCE_NOT_FOUND, Errors.UNACCEPTABLE_CREDENTIAL);
            assertThat(c.image().offset()).isEqualTo(before);
        }
    }

    @Test
    void credentialsAndDeletionsSurviveReopenByLogReplay() {
        List<String> before;
        try (MetadataController c = open(BrokerConfig.from(Map.of()))) {
            alter(c, List.of(), List.of(upsert("alice", (byte) 1, 4096), upsert("bob", (byte) 2, 8192)));
            alter(c, List.of(), List.of(upsert("alice", (byte) 2, 5000)));
            assertThat(alter(c, List.of(new Deletion("bob", (byte) 2)), List.of())).containsExactly(Errors.NONE);
            before = view(c.image().scram());
        }
        try (MetadataController c = open(BrokerConfig.from(Map.of()))) {
            assertThat(view(c.image().scram())).isEqualTo(before).hasSize(2);
            assertThat(c.image().scram().users()).containsExactly("alice");
        }
    }

    @Test
    void aSnapshotAloneCarriesTheCredentialsAcrossReopen() throws Exception {
        BrokerConfig snapshotting = BrokerConfig.from(Map.of("metadata.log.max.record.bytes.between.snapshots", "1"));
        List<String> before;
        try (MetadataController c = open(snapshotting)) {
            alter(c, List.of(), List.of(upsert("alice", (byte) 1, 4096), upsert("bob", (byte) 2, 8192)));
            alter(c, List.of(new Deletion("bob", (byte) 2)), List.of(upsert("carol", (byte) 2, 16384)));
            alter(c, List.of(), List.of(upsert("alice", (byte) 2, 4096)));
            before = view(c.image().scram());
        }
        Path metadataDir = dir.resolve(QuorumMetadataLog.DIR_NAME);
        try (var files = Files.list(metadataDir)) {
            assertThat(files.map(f -> f.getFileName().toString())).anyMatch(name -> name.endsWith(".checkpoint"));
        }
        // Without the log (as retention would delete it), the snapshot alone must carry the credentials.
        try (var files = Files.list(metadataDir)) {
            for (Path f : files.filter(f -> f.toString().endsWith(".log") || f.toString().endsWith("index")).toList()) Files.delete(f);
        }
        try (MetadataController c = open(snapshotting)) {
            assertThat(view(c.image().scram())).isEqualTo(before).hasSize(3);
            // and a deletion after the snapshot still finds what it deletes
            assertThat(alter(c, List.of(new Deletion("carol", (byte) 2)), List.of())).containsExactly(Errors.NONE);
        }
    }

    @Test
    void snapshotRecordsReplayOntoAnEmptyImageToTheSameCredentials() {
        try (MetadataController c = open(BrokerConfig.from(Map.of()))) {
            alter(c, List.of(), List.of(upsert("alice", (byte) 1, 4096), upsert("bob", (byte) 2, 8192)));
            alter(c, List.of(), List.of(upsert("alice", (byte) 2, 4100)));
            MetadataImage image = c.image();
            MetadataImage replayed = MetadataImage.empty(image.clusterId()).apply(MetadataSnapshots.records(image), image.offset());
            assertThat(view(replayed.scram())).isEqualTo(view(image.scram())).hasSize(3);
        }
    }

    @Test
    void theAuthenticationViewReadsTheLatestImageAndHandsOutCopies() {
        try (MetadataController c = open(BrokerConfig.from(Map.of()))) {
            MetadataScramCredentials credentials = new MetadataScramCredentials(c::image);
            assertThat(credentials.lookup("alice", ScramMechanism.SCRAM_SHA_256)).isEmpty();
            alter(c, List.of(), List.of(upsert("alice", (byte) 1, 4096)));
            ScramCredential found = credentials.lookup("alice", ScramMechanism.SCRAM_SHA_256).orElseThrow();
            assertThat(found.salt()).isEqualTo(SALT);
            assertThat(credentials.lookup("alice", ScramMechanism.SCRAM_SHA_512)).isEmpty();
            found.salt()[0] ^= 1;
            assertThat(credentials.lookup("alice", ScramMechanism.SCRAM_SHA_256).orElseThrow().salt()).as("the image is untouched").isEqualTo(SALT);
            alter(c, List.of(new Deletion("alice", (byte) 1)), List.of());
            assertThat(credentials.lookup("alice", ScramMechanism.SCRAM_SHA_256)).isEmpty();
        }
    }
}
