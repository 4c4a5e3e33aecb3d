"""confluent-kafka (Debian python3-confluent-kafka, librdkafka) round trip for the Runnel e2e suite
(ConfluentKafkaRoundTripIT).

Run with Debian's /usr/bin/python3: BOOTSTRAP TOPIC COUNT PARTITIONS. Creates the topic with
AdminClient, produces with an idempotent acks=all producer, reads back with assign() at offset 0
(confluent_kafka_common.read_to_eof).
"""
import sys

import confluent_kafka
from confluent_kafka import Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic

from confluent_kafka_common import read_to_eof, reader
from roundtrip_common import check_replay, fail, parse_args, record, run


def main():
    bootstrap, topic, count, partitions = parse_args(sys.argv)
    admin = AdminClient({"bootstrap.servers": bootstrap})
    for name, future in admin.create_topics([NewTopic(topic, partitions, 1)], operation_timeout=30).items():
        future.result(timeout=60)

    producer = Producer({"bootstrap.servers": bootstrap, "acks": "all", "enable.idempotence": True,
                         "linger.ms": 5})
    errors, delivered = [], []

    def on_delivery(err, msg):
        (errors if err else delivered).append(err or msg.partition())

    for i in range(count):
        key, value = record(i)
        producer.produce(topic, key=key, value=value, on_delivery=on_delivery)
        producer.poll(0)
    remaining = producer.flush(60)
    if remaining or errors or len(delivered) != count:
        fail("produce: %d undelivered, errors %s" % (remaining, errors[:3]))

    consumer = reader(bootstrap)
    read = read_to_eof(consumer, [TopicPartition(topic, p, 0) for p in range(partitions)])
    by_partition = {p: [(m.offset(), m.key(), m.value()) for m in messages] for (_, p), messages in read.items()}
    consumer.close()

    used = check_replay(count, by_partition)
    print("OK produced=%d consumed=%d partitionsUsed=%d confluent-kafka=%s librdkafka=%s"
          % (count, sum(len(r) for r in by_partition.values()), used, confluent_kafka.version()[0],
             confluent_kafka.libversion()[0]), flush=True)


if __name__ == "__main__":
    run(main)
