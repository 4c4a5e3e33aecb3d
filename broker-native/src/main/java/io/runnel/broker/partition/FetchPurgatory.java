package io.runnel.broker.partition;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import org.apache.kafka.common.TopicPartition;

/**
 * Where long-poll fetches wait for data, keyed by partition. An append wakes every fetch watching
 * its partition; the fetch itself re-reads and decides whether it has enough. Waking is cheap and
 * idempotent; watchers remove themselves when they complete, by data or by timer.
 *
 * <p>Threading: any thread may watch, unwatch or wake; watchers must hop to their own event loop.
 */
public final class FetchPurgatory {

    /** A waiting fetch. {@link #onAppend()} is called on a disk thread and must only schedule work. */
    public interface Watcher {
        void onAppend();
    }

    private final ConcurrentHashMap<TopicPartition, Set<Watcher>> watchers = new ConcurrentHashMap<>();

    public void watch(TopicPartition tp, Watcher watcher) {
        watchers.computeIfAbsent(tp, k -> ConcurrentHashMap.newKeySet()).add(watcher);
    }

    public void unwatch(TopicPartition tp, Watcher watcher) {
        watchers.computeIfPresent(tp, (k, set) -> {
            set.remove(watcher);
            return set.isEmpty() ? null : set;
        });
    }

    public void wake(TopicPartition tp) {
        Set<Watcher> set = watchers.get(tp);
        if (set == null) return;
        for (Watcher w : set) w.onAppend();
    }

    /** Number of waiting (partition, fetch) pairs; for metrics and tests. */
    public int size() {
        return watchers.values().stream().mapToInt(Set::size).sum();
    }
}
