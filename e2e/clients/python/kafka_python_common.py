"""kafka-python (Debian python3-kafka 2.0.2) helpers shared by the e2e scripts that use it."""
import time

from kafka import KafkaConsumer

# A hang guard for reads, not a speed check: well under the JUnit side's, so a broker that stops
# answering shows up as this client's own error rather than as a killed process.
READ_PATIENCE_S = 120


def reader(bootstrap):
    """A consumer outside any group, for read_from_zero()."""
    # request_timeout_ms: a hang guard, like READ_PATIENCE_S.
    return KafkaConsumer(bootstrap_servers=bootstrap, group_id=None, enable_auto_commit=False,
                         auto_offset_reset="none", request_timeout_ms=30000)


def read_from_zero(consumer, tps):
    """Assigns tps (no consumer group) and reads each from offset 0 up to its end offset at the
    start. Returns {tp: [ConsumerRecord, ...]} in the order read."""
    consumer.assign(tps)
    for tp in tps:
        consumer.seek(tp, 0)
    end = consumer.end_offsets(tps)
    read = {tp: [] for tp in tps}
    deadline = time.monotonic() + READ_PATIENCE_S
    while any(consumer.position(tp) < end[tp] for tp in tps):
        if time.monotonic() > deadline:
            raise RuntimeError("no progress: positions %s, end offsets %s"
                               % ({str(tp): consumer.position(tp) for tp in tps}, end))
        for tp, messages in consumer.poll(timeout_ms=500).items():
            read[tp].extend(m for m in messages if m.offset < end[tp])
    return read
