"""confluent-kafka (librdkafka) reads a topic with isolation.level=read_committed, for
ReadCommittedClientsIT:

  read_committed_confluent_kafka.py BOOTSTRAP TOPIC

assigns every partition at offset 0 (no group), reads each to its end (partition EOF: the last
stable offset) and prints one line per record, "partition<TAB>offset<TAB>key<TAB>value", then
"OK consumed=N". The JUnit side checks that exactly the committed records came, in order.
Run with Debian's /usr/bin/python3.
"""
import sys

from confluent_kafka import TopicPartition

from confluent_kafka_common import read_to_eof, reader
from roundtrip_common import fail, run


def main():
    if len(sys.argv) != 3:
        fail("usage: %s BOOTSTRAP TOPIC" % sys.argv[0])
    bootstrap, topic = sys.argv[1], sys.argv[2]
    consumer = reader(bootstrap, isolation_level="read_committed")
    tps = [TopicPartition(topic, p, 0) for p in sorted(consumer.list_topics(topic, timeout=30).topics[topic].partitions)]
    read = read_to_eof(consumer, tps)
    consumer.close()
    out = sys.stdout.buffer
    count = 0
    for tp in tps:
        for m in read[(tp.topic, tp.partition)]:
            out.write(b"%d\t%d\t%s\t%s\n" % (tp.partition, m.offset(), m.key() or b"", m.value() or b""))
            count += 1
    out.flush()
    print("OK consumed=%d" % count, flush=True)


if __name__ == "__main__":
    run(main)
