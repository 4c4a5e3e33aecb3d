"""confluent-kafka (Debian python3-confluent-kafka, librdkafka) helpers shared by the e2e scripts
that use it."""
import time

from confluent_kafka import Consumer, KafkaError

# A hang guard for reads, not a speed check.
READ_PATIENCE_S = 120


def reader(bootstrap, isolation_level="read_uncommitted"):
    """A consumer for read_to_eof(). librdkafka insists on a group.id for a Consumer; with
    assign(), explicit offsets and no commits it never needs the group coordinator.
    isolation_level read_committed: partition EOF is the last stable offset, aborted records
    dropped (librdkafka's own default is read_committed; the suites say which they mean)."""
    return Consumer({"bootstrap.servers": bootstrap, "group.id": "runnel-e2e-unused",
                     "enable.auto.commit": False, "enable.auto.offset.store": False,
                     "enable.partition.eof": True, "isolation.level": isolation_level})


def read_to_eof(consumer, tps):
    """Assigns tps (TopicPartitions carrying their start offset) and reads each to its end (the
    consumer from reader(): it reports partition EOF).
    Returns {(topic, partition): [Message, ...]} in the order read."""
    consumer.assign(tps)
    read = {(tp.topic, tp.partition): [] for tp in tps}
    at_eof = set()
    deadline = time.monotonic() + READ_PATIENCE_S
    while len(at_eof) < len(tps):
        if time.monotonic() > deadline:
            raise RuntimeError("no progress: %d of %d partitions at end, read %s"
                               % (len(at_eof), len(tps), {k: len(r) for k, r in read.items()}))
        message = consumer.poll(0.5)
        if message is None:
            continue
        where = (message.topic(), message.partition())
        if message.error():
            if message.error().code() == KafkaError._PARTITION_EOF:
                at_eof.add(where)
                continue
            raise RuntimeError("consume: %s" % message.error())
        at_eof.discard(where)
        read[where].append(message)
    return read
