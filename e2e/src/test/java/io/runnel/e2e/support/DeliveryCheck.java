package io.runnel.e2e.support;

import io.runnel.e2e.support.VerifiableConsumerProcess.AssignmentChange;
import io.runnel.e2e.support.VerifiableConsumerProcess.Consumed;
import io.runnel.e2e.support.VerifiableConsumerProcess.Event;
import io.runnel.e2e.support.VerifiableProducerProcess.Ack;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Compares what a producer was told (acknowledgements: value at partition and offset) with what a
 * consumer group read, for a producer that sends each value once, the integers in increasing
 * order (Kafka's VerifiableProducer), idempotently. A pure function of the two event lists, so
 * that it can be shown to catch each fault on hand-made input.
 *
 * <p>What must hold, each reported as a problem when it does not:
 * <ol>
 *   <li><b>one value per offset</b>: no two acknowledgements name one partition and offset for
 *       different values, and the consumer never reads two different values at one partition and
 *       offset (either means a record that was acknowledged or read was replaced: lost);</li>
 *   <li><b>exactly once</b>: no value is read at two different offsets (a duplicate the
 *       idempotent producer must have prevented), and no value is acknowledged twice;</li>
 *   <li><b>acknowledged means readable</b>: every acknowledged record is read at its acknowledged
 *       partition and offset with its value. One not read (yet) is returned as
 *       {@link Report#unread}, since a running consumer may simply not have got there;</li>
 *   <li><b>in order</b>: within one assignment of a partition (between the consumer's assignment
 *       changes) the offsets it reads strictly increase, so only a rebalance may take it back; and
 *       in every partition, larger offsets hold larger values, in what was acknowledged and in what
 *       was read, i.e. the log keeps the producer's order.</li>
 * </ol>
 * Records read but never acknowledged are allowed (the producer may have been cut off before its
 * acknowledgement arrived) and counted.
 */
public final class DeliveryCheck {
    private static final int MAX_LISTED = 20;

    private DeliveryCheck() {}

    /**
     * @param problems     violations of the contract above, each a sentence naming partition, offset and value
     * @param unread       acknowledged records not (yet) read; fine while the consumer catches up, a loss once it has
     * @param acked        acknowledgements checked
     * @param readDistinct distinct (partition, offset) the consumer read
     * @param redelivered  records read again at the same offset with the same value (after a rebalance)
     * @param readUnacked  records read that no acknowledgement names
     */
    public record Report(List<String> problems, List<Ack> unread, int acked, int readDistinct, int redelivered, int readUnacked) {
        public String summary() {
            return acked + " acknowledged, " + readDistinct + " distinct records read (" + redelivered + " read again after a rebalance, "
                    + readUnacked + " read but not acknowledged), " + unread.size() + " acknowledged but not read, "
                    + problems.size() + " problems";
        }

        /** The summary, then the problems and unread records (the first few of each). */
        public String details() {
            StringBuilder text = new StringBuilder(summary());
            problems.stream().limit(MAX_LISTED).forEach(p -> text.append("\n  problem: ").append(p));
            if (problems.size() > MAX_LISTED) text.append("\n  ... and ").append(problems.size() - MAX_LISTED).append(" more problems");
            unread.stream().limit(MAX_LISTED).forEach(a -> text.append("\n  acknowledged, not read: ").append(a));
            if (unread.size() > MAX_LISTED) text.append("\n  ... and ").append(unread.size() - MAX_LISTED).append(" more unread");
            return text.toString();
        }
    }

    private record Position(int partition, long offset) {
        @Override
        public String toString() {
            return "partition " + partition + " offset " + offset;
        }
    }

    public static Report check(List<Ack> acked, List<Event> consumerEvents) {
        List<String> problems = new ArrayList<>();

        // 1, 2: what the producer was told.
        Map<Position, Ack> ackAt = new HashMap<>();
        Map<String, Ack> ackOf = new HashMap<>();
        for (Ack ack : acked) {
            Position at = new Position(ack.partition(), ack.offset());
            Ack earlier = ackAt.putIfAbsent(at, ack);
            if (earlier != null && !earlier.value().equals(ack.value())) {
                problems.add(at + " was acknowledged for value " + earlier.value() + " and later for value " + ack.value()
                        + ": the first acknowledged record was replaced (lost)");
            }
            Ack sameValue = ackOf.putIfAbsent(ack.value(), ack);
            if (sameValue != null) problems.add("value " + ack.value() + " was acknowledged twice: " + sameValue + " and " + ack);
        }

        // 1, 2, 4: what the consumer read, assignment by assignment.
        Map<Position, String> readAt = new HashMap<>();
        Map<String, Position> readOf = new HashMap<>();
        Map<Integer, Long> lastOffsetInAssignment = new HashMap<>();
        int redelivered = 0;
        for (Event event : consumerEvents) {
            if (event instanceof AssignmentChange change) {
                change.partitions().forEach(lastOffsetInAssignment::remove);
                continue;
            }
            Consumed record = (Consumed) event;
            Position at = new Position(record.partition(), record.offset());
            Long last = lastOffsetInAssignment.put(record.partition(), record.offset());
            if (last != null && record.offset() <= last) {
                problems.add("partition " + record.partition() + ": offset " + record.offset() + " (value " + record.value()
                        + ") read after offset " + last + " with no rebalance in between: the consumer went back or read twice");
            }
            String earlier = readAt.putIfAbsent(at, record.value());
            if (earlier != null) {
                if (earlier.equals(record.value())) {
                    redelivered++;
                } else {
                    problems.add(at + " was read as value " + earlier + " and later as value " + record.value()
                            + ": a record that was read was replaced (lost)");
                }
                continue;
            }
            Position elsewhere = readOf.putIfAbsent(record.value(), at);
            if (elsewhere != null) {
                problems.add("value " + record.value() + " was read at " + elsewhere + " and again at " + at
                        + ": a duplicate the idempotent producer should have prevented");
            }
        }

        // 3: acknowledged means readable, where the acknowledgement said.
        List<Ack> unread = new ArrayList<>();
        for (Ack ack : acked) {
            String value = readAt.get(new Position(ack.partition(), ack.offset()));
            if (value == null) {
                unread.add(ack);
            } else if (!value.equals(ack.value())) {
                problems.add("acknowledged value " + ack.value() + " at partition " + ack.partition() + " offset " + ack.offset()
                        + " was read there as value " + value + ": the acknowledged record was lost");
            }
        }

        // 4: larger offsets hold larger values (the producer's order), in acknowledgements and in what was read.
        orderProblems("acknowledged", ackAt.entrySet().stream().collect(
                java.util.stream.Collectors.toMap(Map.Entry::getKey, e -> e.getValue().value())), problems);
        orderProblems("read", readAt, problems);

        int readUnacked = (int) readAt.keySet().stream().filter(at -> !ackAt.containsKey(at)).count();
        return new Report(List.copyOf(problems), List.copyOf(unread), acked.size(), readAt.size(), redelivered, readUnacked);
    }

    private static void orderProblems(String what, Map<Position, String> values, List<String> problems) {
        Map<Integer, TreeMap<Long, String>> byPartition = new TreeMap<>();
        values.forEach((at, value) -> byPartition.computeIfAbsent(at.partition(), p -> new TreeMap<>()).put(at.offset(), value));
        byPartition.forEach((partition, offsets) -> {
            Map.Entry<Long, String> previous = null;
            for (Map.Entry<Long, String> entry : offsets.entrySet()) {
                if (previous != null && Long.parseLong(entry.getValue()) <= Long.parseLong(previous.getValue())) {
                    problems.add(what + " records of partition " + partition + " out of the producer's order: value " + previous.getValue()
                            + " at offset " + previous.getKey() + " before value " + entry.getValue() + " at offset " + entry.getKey());
                }
                previous = entry;
            }
        });
    }
}
