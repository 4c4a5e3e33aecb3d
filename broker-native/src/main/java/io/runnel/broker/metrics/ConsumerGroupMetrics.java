package io.runnel.broker.metrics;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;

import org.apache.kafka.common.protocol.Errors;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.runnel.broker.group.GroupCoordinator;

/**
 * Consumer-group state and membership as gauges: {@code runnel_consumer_group_state{group,state}}
 * (1 for the group's current state), {@code runnel_consumer_group_members{group}}. Recomputed by
 * {@link #refresh} through the coordinator's ListGroups and Describe paths, so the values are what
 * {@code kafka-consumer-groups --describe --state} would show at that moment. Threading: refresh
 * completions are serialised by {@code synchronized}; scrapes read atomics.
 */
public final class ConsumerGroupMetrics {
    private record StateKey(String group, String state) {}

    private record Described(String group, String state, int members) {}

    private final GaugeSet<StateKey> states;
    private final GaugeSet<String> members;

    public ConsumerGroupMetrics(MeterRegistry registry) {
        states = new GaugeSet<>(registry, "runnel.consumer.group.state", "1 for the group's current state",
                k -> Tags.of("group", k.group(), "state", k.state()));
        members = new GaugeSet<>(registry, "runnel.consumer.group.members", "Members of the group",
                group -> Tags.of("group", group));
    }

    public CompletableFuture<Void> refresh(GroupCoordinator coordinator) {
        return coordinator.listGroups().thenCompose(list -> {
            List<CompletableFuture<Described>> described = new ArrayList<>();
            for (GroupCoordinator.Listing g : list.groups()) described.add(describe(coordinator, g));
            return CompletableFuture.allOf(described.toArray(CompletableFuture[]::new))
                    .thenAccept(v -> update(described.stream().map(CompletableFuture::join).filter(d -> d != null).toList()));
        });
    }

    private static CompletableFuture<Described> describe(GroupCoordinator coordinator, GroupCoordinator.Listing g) {
        if (GroupCoordinator.CONSUMER.equals(g.type())) {
            return coordinator.describeConsumerGroup(g.groupId()).thenApply(d -> d.errorCode() != Errors.NONE.code() ? null
                    : new Described(g.groupId(), d.groupState(), d.members().size()));
        }
        return coordinator.describeGroup(g.groupId()).thenApply(d -> d.errorCode() != Errors.NONE.code() ? null
                : new Described(g.groupId(), d.groupState(), d.members().size()));
    }

    private synchronized void update(List<Described> groups) {
        Set<StateKey> seenStates = new HashSet<>();
        Set<String> seenGroups = new HashSet<>();
        for (Described d : groups) {
            StateKey key = new StateKey(d.group(), d.state());
            states.set(key, 1);
            seenStates.add(key);
            members.set(d.group(), d.members());
            seenGroups.add(d.group());
        }
        states.retainOnly(seenStates);
        members.retainOnly(seenGroups);
    }
}
