"""kafka-python (Debian python3-kafka) round trip for the Runnel e2e suite (KafkaPythonRoundTripIT).

Run with Debian's /usr/bin/python3: BOOTSTRAP TOPIC COUNT PARTITIONS. Creates the topic with
KafkaAdminClient, produces with acks=all, reads back with assign()+seek (no consumer group).
"""
import sys

import kafka
from kafka import KafkaAdminClient, KafkaProducer, TopicPartition
from kafka.admin import NewTopic

from kafka_python_common import read_from_zero, reader
from roundtrip_common import check_replay, parse_args, record, run


def main():
    bootstrap, topic, count, partitions = parse_args(sys.argv)
    # request_timeout_ms: a hang guard well under the JUnit test's, so a broker that never answers
    # shows up as this client's own error rather than as a killed process.
    admin = KafkaAdminClient(bootstrap_servers=bootstrap, client_id="runnel-e2e-kafka-python",
                             request_timeout_ms=30000)
    admin.create_topics([NewTopic(topic, num_partitions=partitions, replication_factor=1)])
    admin.close()

    producer = KafkaProducer(bootstrap_servers=bootstrap, acks="all", retries=5, linger_ms=5,
                             request_timeout_ms=30000)
    futures = [producer.send(topic, key=k, value=v) for k, v in (record(i) for i in range(count))]
    producer.flush()
    acked = [f.get(timeout=30) for f in futures]
    api_version = producer.config["api_version"]
    producer.close()

    consumer = reader(bootstrap)
    read = read_from_zero(consumer, [TopicPartition(topic, p) for p in range(partitions)])
    by_partition = {tp.partition: [(m.offset, m.key, m.value) for m in messages] for tp, messages in read.items()}
    consumer.close()

    used = check_replay(count, by_partition)
    acked_partitions = len({a.partition for a in acked})
    print("OK produced=%d consumed=%d partitionsUsed=%d ackedPartitions=%d kafka-python=%s api_version=%s"
          % (count, sum(len(r) for r in by_partition.values()), used, acked_partitions,
             kafka.__version__, ".".join(map(str, api_version))), flush=True)


if __name__ == "__main__":
    run(main)
