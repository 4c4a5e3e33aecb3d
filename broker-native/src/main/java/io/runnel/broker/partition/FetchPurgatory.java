package io.runnel.broker.partition;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import org.apache.kafka.common.TopicPartition;
import org.jboss.logging.Logger;

/**
 * Where long-poll fetches wait for data, keyed by partition. An append wakes every fetch watching
 * its partition; the fetch itself re-reads and decides whether it has enough. Waking is
 * idempotent; watchers remove themselves when they complete, by data or by timer.
 *
 * <p>Threading: any thread may watch, unwatch or wake (appends wake on their partition's I/O
 * thread); a watcher answers on its own event loop.
 */
public final class FetchPurgatory {

    /**
     * A waiting fetch. {@link #onAppend()} is called on the disk thread that appended, right after
     * the append: it may read partitions that thread owns, and must hand everything else on.
     */
    public interface Watcher {
        void onAppend();
    }

    private static final Logger LOG = Logger.getLogger(FetchPurgatory.class);

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
        for (Watcher w : set) {
            try {
                w.onAppend();
            } catch (RuntimeException e) { // one broken watcher must neither fail the append's thread nor starve the others
                LOG.errorf(e, "A fetch waiting on %s failed to re-read after an append; it is answered when its wait ends", tp);
            }
        }
    }

    /** Number of waiting (partition, fetch) pairs; for metrics and tests. */
    public int size() {
        return watchers.values().stream().mapToInt(Set::size).sum();
    }
}
