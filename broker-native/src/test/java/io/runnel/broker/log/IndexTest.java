package io.runnel.broker.log;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The index classes on their own: lookup semantics, file format, load checks. */
class IndexTest {
    @TempDir
    Path tmp;

    @Test
    void offsetIndexLookupReturnsTheLastEntryAtOrBelowTheTarget() throws Exception {
        OffsetIndex index = OffsetIndex.create(tmp.resolve("a.index"), 100, 1024);
        index.append(105, 200);
        index.append(110, 400);
        index.append(120, 800);

        assertThat(index.lookup(0)).isEqualTo(new OffsetIndex.Entry(100, 0));
        assertThat(index.lookup(104)).isEqualTo(new OffsetIndex.Entry(100, 0));
        assertThat(index.lookup(105)).isEqualTo(new OffsetIndex.Entry(105, 200));
        assertThat(index.lookup(119)).isEqualTo(new OffsetIndex.Entry(110, 400));
        assertThat(index.lookup(Long.MAX_VALUE)).isEqualTo(new OffsetIndex.Entry(120, 800));
    }

    @Test
    void lastPositionWithinHonoursThePositionBoundTheOffsetBoundAndTheStart() throws Exception {
        OffsetIndex index = OffsetIndex.create(tmp.resolve("w.index"), 100, 1024);
        assertThat(index.lastPositionWithin(0, 10_000, Long.MAX_VALUE)).isZero(); // no entries
        index.append(105, 200);
        index.append(110, 400);
        index.append(120, 800);

        assertThat(index.lastPositionWithin(0, 10_000, Long.MAX_VALUE)).isEqualTo(800);
        assertThat(index.lastPositionWithin(0, 799, Long.MAX_VALUE)).isEqualTo(400);
        assertThat(index.lastPositionWithin(0, 400, Long.MAX_VALUE)).isEqualTo(400); // at the bound counts
        assertThat(index.lastPositionWithin(0, 199, Long.MAX_VALUE)).isZero();
        assertThat(index.lastPositionWithin(0, 10_000, 120)).isEqualTo(400); // the entry's offset must be below the bound
        assertThat(index.lastPositionWithin(0, 10_000, 121)).isEqualTo(800);
        assertThat(index.lastPositionWithin(0, 10_000, 105)).isZero();
        assertThat(index.lastPositionWithin(50, 10_000, 105)).isEqualTo(50);
        assertThat(index.lastPositionWithin(400, 10_000, 111)).isEqualTo(400); // never before the start
        assertThat(index.lastPositionWithin(500, 700, Long.MAX_VALUE)).isEqualTo(500);
    }

    @Test
    void offsetIndexFileHoldsRelativeOffsetsAndPositionsAndReloads() throws Exception {
        Path file = tmp.resolve("b.index");
        OffsetIndex index = OffsetIndex.create(file, 100, 1024);
        index.append(105, 200);
        index.append(110, 400);
        index.close();

        assertThat(Files.readAllBytes(file)).containsExactly(0, 0, 0, 5, 0, 0, 0, (byte) 200, 0, 0, 0, 10, 0, 0, 1, (byte) 144);
        OffsetIndex loaded = OffsetIndex.load(file, 100, 1024);
        assertThat(loaded.entries()).isEqualTo(2);
        assertThat(loaded.lastEntry()).contains(new OffsetIndex.Entry(110, 400));
        assertThat(loaded.lookup(107)).isEqualTo(new OffsetIndex.Entry(105, 200));
    }

    @Test
    void offsetIndexRefusesNonIncreasingEntries() throws Exception {
        OffsetIndex index = OffsetIndex.create(tmp.resolve("c.index"), 0, 1024);
        index.append(5, 100);
        assertThatThrownBy(() -> index.append(5, 200)).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> index.append(6, 100)).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> index.append(Integer.MAX_VALUE + 1L, 300)).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void offsetIndexIsFullAtSegmentIndexBytesButNeverAtZeroEntries() throws Exception {
        OffsetIndex index = OffsetIndex.create(tmp.resolve("d.index"), 0, 16);
        assertThat(index.isFull()).isFalse();
        index.append(1, 10);
        index.append(2, 20);
        assertThat(index.isFull()).isTrue();
        assertThat(OffsetIndex.create(tmp.resolve("e.index"), 0, 3).isFull()).isFalse();
    }

    @Test
    void timeIndexKeepsOnlyRisingTimestampsAndLooksUpTheLastEntryAtOrBelow() throws Exception {
        Path file = tmp.resolve("a.timeindex");
        TimeIndex index = TimeIndex.create(file, 50, 1024);
        index.maybeAppend(1_000, 52);
        index.maybeAppend(1_000, 53); // not higher: skipped
        index.maybeAppend(900, 54);   // lower: skipped
        index.maybeAppend(2_000, 57);
        assertThat(index.entries()).isEqualTo(2);

        assertThat(index.lookup(999)).isEqualTo(new TimeIndex.Entry(-1, 50));
        assertThat(index.lookup(1_000)).isEqualTo(new TimeIndex.Entry(1_000, 52));
        assertThat(index.lookup(1_999)).isEqualTo(new TimeIndex.Entry(1_000, 52));
        assertThat(index.lookup(5_000)).isEqualTo(new TimeIndex.Entry(2_000, 57));
        index.close();

        assertThat(Files.size(file)).isEqualTo(24);
        assertThat(TimeIndex.load(file, 50, 1024).lastEntry()).contains(new TimeIndex.Entry(2_000, 57));
    }

    @Test
    void timeIndexRefusesAnOffsetGoingBackwards() throws Exception {
        TimeIndex index = TimeIndex.create(tmp.resolve("b.timeindex"), 0, 1024);
        index.maybeAppend(1_000, 10);
        assertThatThrownBy(() -> index.maybeAppend(2_000, 9)).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void loadRejectsTornOrUnorderedFiles() throws Exception {
        Path torn = tmp.resolve("torn.index");
        Files.write(torn, new byte[] {0, 0, 0, 1, 0, 0, 0});
        assertThatThrownBy(() -> OffsetIndex.load(torn, 0, 1024)).isInstanceOf(CorruptIndexException.class);

        Path unordered = tmp.resolve("unordered.timeindex");
        Files.write(unordered, new byte[] {0, 0, 0, 0, 0, 0, 0, 9, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 8, 0, 0, 0, 2});
        assertThatThrownBy(() -> TimeIndex.load(unordered, 0, 1024)).isInstanceOf(CorruptIndexException.class);

        assertThatThrownBy(() -> OffsetIndex.load(tmp.resolve("missing.index"), 0, 1024)).isInstanceOf(CorruptIndexException.class);
    }
}
