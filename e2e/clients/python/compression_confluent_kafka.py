"""confluent-kafka's (librdkafka's) side of the compression matrix (CompressionMatrixIT); arguments
and output in compression_common. Run with Debian's /usr/bin/python3.

librdkafka has every codec built in. Its compression.codec is per producer, so there is one
producer per codec.
"""
from confluent_kafka import Producer, TopicPartition

import compression_common
from confluent_kafka_common import read_to_eof, reader


def produce(bootstrap, records, chunk, partition, targets):
    for topic, codec in targets:
        producer = Producer({"bootstrap.servers": bootstrap, "acks": "all", "enable.idempotence": True,
                             "linger.ms": 5, "compression.codec": codec})
        errors = []
        for part in compression_common.chunks(records, chunk):
            for key, value in part:
                producer.produce(topic, key=key, value=value, partition=partition,
                                 on_delivery=lambda err, msg: err and errors.append(err))
            remaining = producer.flush(60)
            if remaining or errors:
                raise RuntimeError("%s: %d undelivered, errors %s" % (topic, remaining, errors[:3]))


def consume(bootstrap, topics):
    consumer = reader(bootstrap)
    tps = [TopicPartition(topic, p, 0) for topic in topics
           for p in sorted(consumer.list_topics(topic, timeout=30).topics[topic].partitions)]
    read = read_to_eof(consumer, tps)
    consumer.close()
    return [(tp.topic, tp.partition, m.offset(), m.key(), m.value()) for tp in tps for m in read[(tp.topic, tp.partition)]]


if __name__ == "__main__":
    compression_common.main(produce, consume)
