"""One confluent-kafka (librdkafka) consumer-group member for the e2e suite
(ConsumerGroupConfluentKafkaIT): subscribes to TOPIC in GROUP (classic protocol, librdkafka's
default eager range,roundrobin assignors, auto commit off), prints what happens in the line
protocol of group_member_common.py, commits what it consumed when partitions are revoked and on
SIGTERM, then closes (LeaveGroup) and prints CLOSED.

Run with Debian's /usr/bin/python3: BOOTSTRAP TOPIC GROUP THROTTLE_MS [ASSIGNOR].
"""
import sys
import time

from confluent_kafka import Consumer, TopicPartition

from group_member_common import Member, run


def main():
    m = Member(sys.argv)
    config = {"bootstrap.servers": m.bootstrap, "group.id": m.group, "client.id": "runnel-e2e-ck-member",
              "enable.auto.commit": False, "auto.offset.reset": "earliest",
              "session.timeout.ms": 6000, "heartbeat.interval.ms": 500}
    if m.assignor:
        config["partition.assignment.strategy"] = m.assignor  # e.g. cooperative-sticky (incremental)
    consumer = Consumer(config)

    def commit(partitions):
        offsets = m.to_commit(partitions)
        if offsets:
            consumer.commit(offsets=[TopicPartition(m.topic, p, o) for p, o in offsets.items()], asynchronous=False)
            m.committed(offsets)

    def on_assign(_, partitions):
        m.assigned([tp.partition for tp in partitions])

    def on_revoke(_, partitions):
        commit([tp.partition for tp in partitions])
        m.revoked([tp.partition for tp in partitions])

    consumer.subscribe([m.topic], on_assign=on_assign, on_revoke=on_revoke)
    while m.running:
        message = consumer.poll(0.2)
        if message is None:
            continue
        if message.error():
            m.emit("ERROR %s" % message.error())
            continue
        m.consumed(message.partition(), message.offset(), message.value())
        if m.throttle:
            time.sleep(m.throttle)
    commit(list(m.positions))
    consumer.close()
    m.emit("CLOSED")


if __name__ == "__main__":
    run(main)
