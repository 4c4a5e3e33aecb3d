"""Shared checks for the Python client round trips of the Runnel e2e suite.

Each round trip produces COUNT keyed records ("key-i" -> "value-i") to a new topic and reads every
partition back from offset 0; check_replay() then asserts that every produced record was read
exactly once and that each partition holds its records in the order they were sent.
Scripts print one line starting with "OK " on success, "FAIL ..." (and exit 1) otherwise.
"""
import sys


def parse_args(argv):
    if len(argv) != 5:
        fail("usage: %s BOOTSTRAP TOPIC COUNT PARTITIONS" % argv[0])
    return argv[1], argv[2], int(argv[3]), int(argv[4])


def fail(message):
    print("FAIL " + message, flush=True)
    sys.exit(1)


def record(i):
    return ("key-%d" % i).encode(), ("value-%d" % i).encode()


def check_replay(count, by_partition):
    """by_partition: {partition: [(offset, key, value), ...]} as read from offset 0."""
    seen = {}
    for partition, records in sorted(by_partition.items()):
        previous_index = -1
        for expected_offset, (offset, key, value) in enumerate(records):
            if offset != expected_offset:
                fail("partition %d: offset %d where %d was expected" % (partition, offset, expected_offset))
            index = int(value.decode().replace("value-", ""))
            if key != record(index)[0]:
                fail("partition %d offset %d: key %r carries value %r" % (partition, offset, key, value))
            if index <= previous_index:
                fail("partition %d: value-%d after value-%d" % (partition, index, previous_index))
            if index in seen:
                fail("value-%d read twice (partitions %d and %d)" % (index, seen[index], partition))
            seen[index] = partition
            previous_index = index
    missing = [i for i in range(count) if i not in seen]
    if missing:
        fail("%d of %d records missing, first %s" % (len(missing), count, missing[:5]))
    return len(set(seen.values()))


def run(main):
    """Runs a round trip's main(); any client exception becomes a FAIL line the JUnit test shows."""
    try:
        main()
    except SystemExit:
        raise
    except Exception as e:
        fail("%s: %s" % (type(e).__name__, e))
