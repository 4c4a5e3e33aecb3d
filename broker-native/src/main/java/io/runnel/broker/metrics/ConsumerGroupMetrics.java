package io.runnel.broker.metrics;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.runnel.broker.group.GroupCoordinator;

/**
 * Consumer-group state and membership as gauges: {@code runnel_consumer_group_state{group,state}}
 * (1 for the group's current state), {@code runnel_consumer_group_members{group}}. Recomputed by
 * {@link #refresh} from one pass of the coordinator's ListGroups path (state and member count per
 * group, each shard read on its own thread), the values {@code kafka-consumer-groups --describe
 * --state} would show at that moment. Threading: refresh
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
        return coordinator.listGroups().thenAccept(list -> {
            List<Described> groups = new ArrayList<>();
            for (GroupCoordinator.Listing g : list.groups()) groups.add(new Described(g.groupId(), g.state(), g.members()));
            update(groups);
        });
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
