"""kafka-python over a secured listener, for the Runnel e2e suite SecureClientsIT. Security
settings come from the environment (secure_common.py).

Run with Debian's /usr/bin/python3: BOOTSTRAP TOPIC COUNT PARTITIONS. Produces COUNT keyed
records to the existing TOPIC with acks=all and reads every partition back from offset 0 with
assign() (no consumer group); prints "OK produced=N consumed=N".
"""
import sys

from kafka import KafkaConsumer, KafkaProducer, TopicPartition

from kafka_python_common import read_from_zero
from roundtrip_common import check_replay, parse_args, record, run
from secure_common import kafka_python_config


def main():
    bootstrap, topic, count, partitions = parse_args(sys.argv)
    security = kafka_python_config()
    # request_timeout_ms: a hang guard well under the JUnit test's.
    producer = KafkaProducer(bootstrap_servers=bootstrap, acks="all", retries=5, linger_ms=5,
                             request_timeout_ms=30000, **security)
    futures = [producer.send(topic, key=k, value=v) for k, v in (record(i) for i in range(count))]
    producer.flush()
    for future in futures:
        future.get(timeout=30)
    producer.close()

    consumer = KafkaConsumer(bootstrap_servers=bootstrap, group_id=None, enable_auto_commit=False,
                             auto_offset_reset="none", request_timeout_ms=30000, **security)
    read = read_from_zero(consumer, [TopicPartition(topic, p) for p in range(partitions)])
    by_partition = {tp.partition: [(m.offset, m.key, m.value) for m in messages] for tp, messages in read.items()}
    consumer.close()
    check_replay(count, by_partition)
    print("OK produced=%d consumed=%d protocol=%s"
          % (count, sum(len(r) for r in by_partition.values()), security["security_protocol"]), flush=True)


if __name__ == "__main__":
    run(main)
