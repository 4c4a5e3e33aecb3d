"""Shared by the group-member scripts the e2e suite starts (ConsumerGroup*IT): argument parsing,
SIGTERM handling and the line protocol GroupMember.java parses:

  ASSIGNED 0,2 / REVOKED 0,2 / RECORD p offset value / COMMITTED 0:12,2:7 / CLOSED / ERROR text

Arguments: BOOTSTRAP TOPIC GROUP THROTTLE_MS [ASSIGNOR] (THROTTLE_MS: sleep after each record, 0 =
full speed; ASSIGNOR: the client's partition assignment strategy, default the client's own).
"""
import signal
import sys


class Member:
    def __init__(self, argv):
        if len(argv) not in (5, 6):
            print("ERROR usage: %s BOOTSTRAP TOPIC GROUP THROTTLE_MS [ASSIGNOR]" % argv[0], flush=True)
            sys.exit(2)
        self.bootstrap, self.topic, self.group = argv[1], argv[2], argv[3]
        self.throttle = int(argv[4]) / 1000.0
        self.assignor = argv[5] if len(argv) == 6 else None
        self.running = True
        self.positions = {}  # partition -> next offset to consume (what gets committed)
        signal.signal(signal.SIGTERM, self._stop)
        signal.signal(signal.SIGINT, self._stop)

    def _stop(self, *_):
        self.running = False

    @staticmethod
    def emit(line):
        print(line, flush=True)

    def assigned(self, partitions):
        self.emit("ASSIGNED " + ",".join(str(p) for p in sorted(partitions)))

    def revoked(self, partitions):
        for p in partitions:
            self.positions.pop(p, None)
        self.emit("REVOKED " + ",".join(str(p) for p in sorted(partitions)))

    def consumed(self, partition, offset, value):
        self.emit("RECORD %d %d %s" % (partition, offset, value.decode() if value is not None else ""))
        self.positions[partition] = offset + 1

    def to_commit(self, partitions):
        return {p: self.positions[p] for p in partitions if p in self.positions}

    def committed(self, offsets):
        if offsets:
            self.emit("COMMITTED " + ",".join("%d:%d" % (p, o) for p, o in sorted(offsets.items())))


def run(main):
    """Runs a member's main(); any client exception becomes an ERROR line the JUnit test shows."""
    try:
        main()
    except Exception as e:
        print("ERROR %s: %s" % (type(e).__name__, e), flush=True)
        sys.exit(1)
