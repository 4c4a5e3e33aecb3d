package io.runnel.broker.quorum;

import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import org.apache.kafka.common.Uuid;
import org.apache.kafka.raft.ElectionState;
import org.apache.kafka.raft.QuorumStateStore;
import org.apache.kafka.raft.generated.QuorumStateData;
import org.apache.kafka.server.common.KRaftVersion;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;

import io.runnel.broker.log.LogFiles;

/**
 * The {@code quorum-state} file: this node's Raft election state (epoch, vote, known leader), in
 * the same JSON shape KRaft writes, so an operator who has read Kafka's recognises it. Written
 * atomically and fsynced before kafka-raft acts on a vote or an epoch change: a node that voted
 * must remember it across a crash, or two leaders could win one epoch.
 *
 * <p>Threading: called by the raft poll thread only.
 */
public final class QuorumStateFile implements QuorumStateStore {
    public static final String FILE_NAME = "quorum-state";
    private static final JsonFactory JSON = new JsonFactory();

    private final Path file;

    public QuorumStateFile(Path dir) {
        this.file = dir.resolve(FILE_NAME);
    }

    @Override
    public Optional<ElectionState> readElectionState() {
        String text;
        try {
            text = Files.readString(file, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (IOException e) {
            throw new UncheckedIOException("reading " + file, e);
        }
        try {
            return Optional.of(ElectionState.fromQuorumStateData(parse(text)));
        } catch (IOException | RuntimeException e) {
            // Never guess a vote: an unreadable file stops the node, and the operator decides.
            throw new IllegalStateException("Unreadable Raft election state in " + file + ": " + e.getMessage(), e);
        }
    }

    private static QuorumStateData parse(String text) throws IOException {
        QuorumStateData data = new QuorumStateData();
        short version = -1;
        try (JsonParser p = JSON.createParser(text)) {
            if (p.nextToken() != JsonToken.START_OBJECT) throw new IOException("not a JSON object");
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String field = p.currentName();
                p.nextToken();
                switch (field) {
                    case "data_version" -> version = p.getShortValue();
                    case "clusterId" -> data.setClusterId(p.getValueAsString());
                    case "leaderId" -> data.setLeaderId(p.getIntValue());
                    case "leaderEpoch" -> data.setLeaderEpoch(p.getIntValue());
                    case "votedId" -> data.setVotedId(p.getIntValue());
                    case "votedDirectoryId" -> data.setVotedDirectoryId(Uuid.fromString(p.getValueAsString()));
                    case "appliedOffset" -> data.setAppliedOffset(p.getLongValue());
                    case "currentVoters" -> data.setCurrentVoters(parseVoters(p));
                    default -> p.skipChildren();
                }
            }
        }
        if (version < QuorumStateData.LOWEST_SUPPORTED_VERSION || version > QuorumStateData.HIGHEST_SUPPORTED_VERSION)
            throw new IOException("data_version " + version + " is not supported");
        return data;
    }

    private static List<QuorumStateData.Voter> parseVoters(JsonParser p) throws IOException {
        if (p.currentToken() == JsonToken.VALUE_NULL) return null;
        List<QuorumStateData.Voter> voters = new ArrayList<>();
        while (p.nextToken() == JsonToken.START_OBJECT) {
            QuorumStateData.Voter voter = new QuorumStateData.Voter();
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String field = p.currentName();
                p.nextToken();
                if (field.equals("voterId")) voter.setVoterId(p.getIntValue());
                else p.skipChildren();
            }
            voters.add(voter);
        }
        return voters;
    }

    @Override
    public void writeElectionState(ElectionState state, KRaftVersion kraftVersion) {
        short version = kraftVersion.quorumStateVersion();
        QuorumStateData data = state.toQuorumStateData(version);
        StringWriter out = new StringWriter();
        try (JsonGenerator g = JSON.createGenerator(out)) {
            g.writeStartObject();
            if (version == 0) g.writeStringField("clusterId", data.clusterId());
            g.writeNumberField("leaderId", data.leaderId());
            g.writeNumberField("leaderEpoch", data.leaderEpoch());
            g.writeNumberField("votedId", data.votedId());
            if (version >= 1) g.writeStringField("votedDirectoryId", data.votedDirectoryId().toString());
            if (version == 0) {
                g.writeNumberField("appliedOffset", data.appliedOffset());
                g.writeArrayFieldStart("currentVoters");
                if (data.currentVoters() != null) {
                    for (QuorumStateData.Voter voter : data.currentVoters()) {
                        g.writeStartObject();
                        g.writeNumberField("voterId", voter.voterId());
                        g.writeEndObject();
                    }
                }
                g.writeEndArray();
            }
            g.writeNumberField("data_version", version);
            g.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        LogFiles.writeAtomically(file, (out + "\n").getBytes(StandardCharsets.UTF_8));
    }

    @Override
    public Path path() {
        return file;
    }

    @Override
    public void clear() {
        try {
            Files.deleteIfExists(file);
        } catch (IOException e) {
            throw new UncheckedIOException("deleting " + file, e);
        }
    }
}
