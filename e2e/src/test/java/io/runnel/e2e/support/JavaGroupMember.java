package io.runnel.e2e.support;

import java.time.Duration;
import java.util.Collection;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Collectors;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.consumer.RangeAssignor;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.StringDeserializer;

/**
 * A Java kafka-clients group member ({@code group.protocol=classic} with the eager range assignor
 * unless another is given, or {@code group.protocol=consumer}: KIP-848 with the broker's assignor) on its
 * own thread in the test JVM, talking to the broker process over the network like any other
 * client, and reporting in {@link GroupMember}'s line protocol: it commits what it consumed when
 * partitions are revoked and when it stops, then closes (LeaveGroup).
 */
public final class JavaGroupMember implements GroupMember {
    private final String name;
    private final StringBuffer out = new StringBuffer();
    private final AtomicBoolean running = new AtomicBoolean(true);
    private final Thread thread;
    private volatile KafkaConsumer<String, String> consumer;
    private volatile Throwable failure;

    /** @param assignor a client-side assignor class (classic protocol), or null for the KIP-848 protocol */
    private JavaGroupMember(String name, String bootstrap, String group, String topic, int throttleMs, String assignor) {
        this.name = name;
        this.thread = new Thread(() -> run(bootstrap, group, topic, throttleMs, assignor), "group-member-" + name);
        thread.setDaemon(true);
        thread.start();
    }

    public static GroupMember start(String bootstrap, String name, String group, String topic, int throttleMs) {
        return new JavaGroupMember(name, bootstrap, group, topic, throttleMs, RangeAssignor.class.getName());
    }

    /** With another assignor, e.g. CooperativeStickyAssignor (incremental cooperative rebalancing). */
    public static GroupMember start(String bootstrap, String name, String group, String topic, int throttleMs,
                                    String assignorClass) {
        return new JavaGroupMember(name, bootstrap, group, topic, throttleMs, assignorClass);
    }

    /** A KIP-848 member ({@code group.protocol=consumer}): the broker assigns, heartbeats and sessions come from it. */
    public static GroupMember startConsumerProtocol(String bootstrap, String name, String group, String topic, int throttleMs) {
        return new JavaGroupMember(name, bootstrap, group, topic, throttleMs, null);
    }

    private void emit(String line) {
        out.append(line).append('\n');
    }

    private void run(String bootstrap, String group, String topic, int throttleMs, String assignor) {
        Properties props = new Properties();
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        props.put(ConsumerConfig.GROUP_ID_CONFIG, group);
        props.put(ConsumerConfig.CLIENT_ID_CONFIG, name);
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        if (assignor == null) {
            props.put(ConsumerConfig.GROUP_PROTOCOL_CONFIG, "consumer");
        } else {
            props.put(ConsumerConfig.GROUP_PROTOCOL_CONFIG, "classic");
            props.put(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG, "6000");
            props.put(ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG, "500");
            props.put(ConsumerConfig.PARTITION_ASSIGNMENT_STRATEGY_CONFIG, assignor);
        }
        // Small polls: a throttled member gets back to poll() (and so to a rebalance) quickly.
        props.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, "20");
        props.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        props.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        Map<TopicPartition, Long> positions = new ConcurrentHashMap<>();
        try (KafkaConsumer<String, String> c = new KafkaConsumer<>(props)) {
            consumer = c;
            c.subscribe(java.util.List.of(topic), new ConsumerRebalanceListener() {
                @Override
                public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
                    commit(c, positions, partitions);
                    partitions.forEach(positions::remove);
                    emit("REVOKED " + csv(partitions));
                }

                @Override
                public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
                    emit("ASSIGNED " + csv(partitions));
                }
            });
            try {
                while (running.get()) {
                    for (ConsumerRecord<String, String> r : c.poll(Duration.ofMillis(200))) {
                        emit("RECORD " + r.partition() + " " + r.offset() + " " + r.value());
                        positions.put(new TopicPartition(r.topic(), r.partition()), r.offset() + 1);
                        if (throttleMs > 0) Thread.sleep(throttleMs);
                    }
                }
            } catch (WakeupException e) {
                // stop() woke the poll
            }
            commit(c, positions, positions.keySet());
        } catch (Throwable t) {
            failure = t;
            emit("ERROR " + t);
            return;
        }
        emit("CLOSED");
    }

    private void commit(KafkaConsumer<String, String> c, Map<TopicPartition, Long> positions, Collection<TopicPartition> which) {
        Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
        which.forEach(tp -> { Long p = positions.get(tp); if (p != null) offsets.put(tp, new OffsetAndMetadata(p)); });
        if (offsets.isEmpty()) return;
        c.commitSync(offsets);
        emit("COMMITTED " + offsets.entrySet().stream().map(e -> e.getKey().partition() + ":" + e.getValue().offset())
                .collect(Collectors.joining(",")));
    }

    private static String csv(Collection<TopicPartition> partitions) {
        return partitions.stream().map(tp -> Integer.toString(tp.partition())).sorted().collect(Collectors.joining(","));
    }

    @Override public String name() { return name; }

    @Override public String output() { return out.toString(); }

    @Override
    public void signalStop() {
        running.set(false);
    }

    @Override
    public int stop() {
        signalStop();
        try {
            thread.join(GroupScenarios.PATIENCE.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (thread.isAlive()) {
            KafkaConsumer<String, String> c = consumer;
            if (c != null) c.wakeup();
            return -1;
        }
        return failure == null ? 0 : 1;
    }

    @Override
    public String describe() {
        String text = out.toString();
        return "--- java member " + name + " (" + (thread.isAlive() ? "running" : "stopped") + ")\n"
                + (text.length() <= 4000 ? text : "...\n" + text.substring(text.length() - 4000));
    }

    @Override
    public void close() {
        signalStop();
    }
}
