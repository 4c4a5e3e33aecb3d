"""kafka-python's side of the compression matrix (CompressionMatrixIT); arguments and output in
compression_common. Run with Debian's /usr/bin/python3.

kafka-python 2.0.2 compresses and decompresses gzip itself; snappy, lz4 and zstd need Debian's
python3-snappy, python3-lz4 and python3-zstandard (bin/install-test-deps installs them). Its
producer has one compression_type for all it sends, so there is one producer per codec.
"""
from kafka import KafkaProducer, TopicPartition

import compression_common
from kafka_python_common import read_from_zero, reader


def produce(bootstrap, records, chunk, partition, targets):
    for topic, codec in targets:
        producer = KafkaProducer(bootstrap_servers=bootstrap, acks="all", linger_ms=5, request_timeout_ms=30000,
                                 compression_type=None if codec == "none" else codec)
        for part in compression_common.chunks(records, chunk):
            futures = [producer.send(topic, key=key, value=value, partition=partition) for key, value in part]
            producer.flush()
            for future in futures:
                future.get(timeout=30)  # raises the produce error, if any
        producer.close()


def consume(bootstrap, topics):
    consumer = reader(bootstrap)
    tps = [TopicPartition(topic, p) for topic in topics for p in sorted(consumer.partitions_for_topic(topic) or ())]
    read = read_from_zero(consumer, tps)
    consumer.close()
    return [(tp.topic, tp.partition, m.offset, m.key, m.value) for tp in tps for m in read[tp]]


if __name__ == "__main__":
    compression_common.main(produce, consume)
