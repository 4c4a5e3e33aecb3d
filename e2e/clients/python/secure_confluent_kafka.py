"""confluent-kafka (librdkafka) over a secured listener, for the Runnel e2e suites SecureClientsIT
and AuthenticationRequiredIT. Security settings come from the environment (secure_common.py).

Run with Debian's /usr/bin/python3:
  roundtrip BOOTSTRAP TOPIC COUNT PARTITIONS
      produces COUNT keyed records to the existing TOPIC (idempotent, acks=all) and reads every
      partition back from offset 0 with assign(); prints "OK produced=N consumed=N".
  expect-auth-failure BOOTSTRAP
      connects with the (wrong) credentials and expects librdkafka's authentication error;
      prints "OK authentication-failed <error name>: <broker's message>".
"""
import sys
import time

from confluent_kafka import Consumer, KafkaError, Producer, TopicPartition

from confluent_kafka_common import read_to_eof
from roundtrip_common import check_replay, fail, record, run
from secure_common import librdkafka_config

# A hang guard, not a speed check.
PATIENCE_S = 60


def roundtrip(bootstrap, topic, count, partitions):
    security = librdkafka_config()
    producer = Producer(dict(security, **{"bootstrap.servers": bootstrap, "acks": "all",
                                          "enable.idempotence": True, "linger.ms": 5}))
    errors, delivered = [], []

    def on_delivery(err, msg):
        (errors if err else delivered).append(err or msg.partition())

    for i in range(count):
        key, value = record(i)
        producer.produce(topic, key=key, value=value, on_delivery=on_delivery)
        producer.poll(0)
    remaining = producer.flush(PATIENCE_S)
    if remaining or errors or len(delivered) != count:
        fail("produce: %d undelivered, errors %s" % (remaining, errors[:3]))

    consumer = Consumer(dict(security, **{"bootstrap.servers": bootstrap, "group.id": "runnel-e2e-unused",
                                          "enable.auto.commit": False, "enable.partition.eof": True,
                                          "isolation.level": "read_uncommitted"}))
    read = read_to_eof(consumer, [TopicPartition(topic, p, 0) for p in range(partitions)])
    by_partition = {p: [(m.offset(), m.key(), m.value()) for m in messages] for (_, p), messages in read.items()}
    consumer.close()
    check_replay(count, by_partition)
    print("OK produced=%d consumed=%d protocol=%s"
          % (count, sum(len(r) for r in by_partition.values()), security["security.protocol"]), flush=True)


def expect_auth_failure(bootstrap):
    errors = []
    producer = Producer(dict(librdkafka_config(), **{"bootstrap.servers": bootstrap,
                                                     "error_cb": errors.append}))
    deadline = time.monotonic() + PATIENCE_S
    while time.monotonic() < deadline:
        try:
            producer.list_topics(timeout=2)
            fail("listed topics with credentials the broker should refuse")
        except Exception:
            pass  # the metadata call fails while authentication fails; error_cb says why
        producer.poll(0)
        auth = [e for e in errors if e.code() == KafkaError._AUTHENTICATION]
        if auth:
            print("OK authentication-failed %s: %s" % (auth[0].name(), auth[0].str()), flush=True)
            return
    fail("no authentication error within %ds; errors: %s" % (PATIENCE_S, [str(e) for e in errors[:5]]))


def main():
    mode = sys.argv[1] if len(sys.argv) > 1 else ""
    if mode == "roundtrip" and len(sys.argv) == 6:
        roundtrip(sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5]))
    elif mode == "expect-auth-failure" and len(sys.argv) == 3:
        expect_auth_failure(sys.argv[2])
    else:
        fail("usage: %s roundtrip BOOTSTRAP TOPIC COUNT PARTITIONS | expect-auth-failure BOOTSTRAP" % sys.argv[0])


if __name__ == "__main__":
    run(main)
