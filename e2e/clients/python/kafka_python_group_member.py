"""One kafka-python (Debian python3-kafka 2.0.2) consumer-group member for the e2e suite
(ConsumerGroupKafkaPythonIT): KafkaConsumer with group_id subscribes to TOPIC (classic protocol,
kafka-python's default range/round-robin eager assignors, auto commit off), prints what happens in
the line protocol of group_member_common.py, commits what it consumed when partitions are
revoked and on SIGTERM, then closes (LeaveGroup) and prints CLOSED.

Run with Debian's /usr/bin/python3: BOOTSTRAP TOPIC GROUP THROTTLE_MS.
"""
import sys
import time

import kafka
from kafka import ConsumerRebalanceListener, KafkaConsumer, TopicPartition
from kafka.structs import OffsetAndMetadata

from group_member_common import Member, run


def main():
    m = Member(sys.argv)
    consumer = KafkaConsumer(bootstrap_servers=m.bootstrap, group_id=m.group, client_id="runnel-e2e-kp-member",
                             enable_auto_commit=False, auto_offset_reset="earliest",
                             session_timeout_ms=6000, heartbeat_interval_ms=500, max_poll_records=50)

    def commit(partitions):
        offsets = m.to_commit(partitions)
        if offsets:
            consumer.commit({TopicPartition(m.topic, p): OffsetAndMetadata(o, "") for p, o in offsets.items()})
            m.committed(offsets)

    class Listener(ConsumerRebalanceListener):
        def on_partitions_revoked(self, revoked):
            commit([tp.partition for tp in revoked])
            m.revoked([tp.partition for tp in revoked])

        def on_partitions_assigned(self, assigned):
            m.assigned([tp.partition for tp in assigned])

    consumer.subscribe([m.topic], listener=Listener())
    m.emit("# kafka-python %s, api_version %s" % (kafka.__version__, consumer.config["api_version"]))
    while m.running:
        for tp, records in consumer.poll(timeout_ms=200).items():
            for record in records:
                if not m.running:
                    break
                m.consumed(record.partition, record.offset, record.value)
                if m.throttle:
                    time.sleep(m.throttle)
    commit(list(m.positions))
    consumer.close()
    m.emit("CLOSED")


if __name__ == "__main__":
    run(main)
