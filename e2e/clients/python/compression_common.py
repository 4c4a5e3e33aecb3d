"""Shared by the compression-matrix scripts (CompressionMatrixIT), one per Python client:

  SCRIPT produce BOOTSTRAP INPUT CHUNK PARTITION TOPIC=CODEC [TOPIC=CODEC ...]
    sends INPUT's "key<TAB>value" lines, in order, to PARTITION of each TOPIC compressed with CODEC
    (none, gzip, snappy, lz4, zstd), flushing after every CHUNK records so that each chunk leaves
    as its own batch (or batches); acks=all. Prints "OK produced=N".
  SCRIPT consume BOOTSTRAP TOPIC [TOPIC ...]
    reads every partition of each TOPIC from offset 0 to its end and prints one line per record,
    "topic<TAB>partition<TAB>offset<TAB>key<TAB>value" (kcat's -f '%t\\t%p\\t%o\\t%k\\t%s\\n'),
    then "OK consumed=N". The JUnit side checks the records.

Anything that goes wrong prints "FAIL ..." and exits 1.
"""
import sys

from roundtrip_common import fail, run

CODECS = ("none", "gzip", "snappy", "lz4", "zstd")
USAGE = "usage: %s produce BOOTSTRAP INPUT CHUNK PARTITION TOPIC=CODEC... | consume BOOTSTRAP TOPIC..."


def chunks(records, size):
    return [records[i:i + size] for i in range(0, len(records), size)]


def main(produce, consume):
    """Parses sys.argv and runs the client's half:
    produce(bootstrap, records, chunk, partition, targets): records [(key, value)] as bytes,
      targets [(topic, codec)], codec one of CODECS;
    consume(bootstrap, topics): returns (topic, partition, offset, key, value) tuples."""
    run(lambda: _main(sys.argv, produce, consume))


def _main(argv, produce, consume):
    if len(argv) >= 7 and argv[1] == "produce":
        bootstrap, input_file, chunk, partition = argv[2], argv[3], int(argv[4]), int(argv[5])
        targets = [tuple(arg.split("=", 1)) for arg in argv[6:]]
        unknown = [codec for _, codec in targets if codec not in CODECS]
        if unknown:
            fail("unknown codec %s; one of %s" % (unknown, CODECS))
        with open(input_file, "rb") as f:
            records = [tuple(line.split(b"\t", 1)) for line in f.read().split(b"\n") if line]
        produce(bootstrap, records, chunk, partition, targets)
        print("OK produced=%d" % (len(records) * len(targets)), flush=True)
    elif len(argv) >= 4 and argv[1] == "consume":
        count = 0
        out = sys.stdout.buffer
        for topic, partition, offset, key, value in consume(argv[2], argv[3:]):
            out.write(b"%s\t%d\t%d\t%s\t%s\n" % (topic.encode(), partition, offset, key, value))
            count += 1
        out.flush()
        print("OK consumed=%d" % count, flush=True)
    else:
        fail(USAGE % argv[0])
