package io.runnel.e2e.support;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One consumer-group member the test starts, watches and stops: a client process (kcat -G, a
 * Python or node script) or a Java consumer on a thread. Every member reports what happens to it
 * in the same line protocol, which {@link #view()} parses:
 *
 * <pre>
 *   ASSIGNED 0,2          partitions added to this member's assignment (rebalance callback)
 *   REVOKED 0,2           partitions taken away (after the member committed them)
 *   RECORD p offset value one record the member consumed
 *   COMMITTED 0:12,2:7    offsets the member committed (next offset to read)
 *   CLOSED                the member left the group and closed cleanly
 *   ERROR text            a client error it saw (kcat: {@code % ERROR ...} on stderr)
 * </pre>
 *
 * kcat prints its own rebalance lines on stderr ({@code % Group G rebalanced (memberid M):
 * assigned: t [0], t [2]}), parsed the same way; its records are printed with
 * {@code -f 'RECORD %p %o %s\n'}.
 */
public interface GroupMember extends AutoCloseable {
    String name();

    /** Everything the member reported so far (stdout, then stderr for processes). */
    String output();

    /** Asks the member to commit, leave and exit, without waiting. */
    void signalStop();

    /** {@link #signalStop()}, then waits; returns the exit code (0: clean). */
    int stop();

    String describe();

    @Override
    void close();

    default View view() {
        return View.parse(output());
    }

    /** A member whose client is a separate process. */
    static GroupMember process(BackgroundProcess process) {
        return new GroupMember() {
            @Override public String name() { return process.name(); }
            // Whole lines only: a client still writing (kcat -u writes a line in pieces) must not be read mid-line.
            @Override public String output() { return wholeLines(process.stdout()) + "\n" + wholeLines(process.stderr()); }
            @Override public void signalStop() { process.signalStop(); }
            @Override public int stop() { return process.stop(); }
            @Override public String describe() { return process.describe(); }
            @Override public void close() { process.close(); }
        };
    }

    /** {@code text} up to and including its last line break. */
    static String wholeLines(String text) {
        return text.substring(0, text.lastIndexOf('\n') + 1);
    }

    record Consumed(int partition, long offset, String value) {}

    /** What a member reported, parsed. */
    record View(Set<Integer> assignment, int rebalanceEvents, List<Set<Integer>> assignmentHistory,
                List<Consumed> records, Map<Integer, Long> lastCommitted, int commits, boolean closed,
                List<String> errors) {
        private static final Pattern KCAT_REBALANCE =
                Pattern.compile("^% Group \\S+ rebalanced \\(memberid [^)]*\\): (assigned|revoked): ?(.*)$");
        private static final Pattern KCAT_PARTITION = Pattern.compile("\\[(\\d+)\\]");

        static View parse(String output) {
            Set<Integer> assignment = new TreeSet<>();
            List<Set<Integer>> history = new ArrayList<>();
            List<Consumed> records = new ArrayList<>();
            Map<Integer, Long> committed = new LinkedHashMap<>();
            List<String> errors = new ArrayList<>();
            int events = 0;
            int commits = 0;
            boolean closed = false;
            for (String line : output.split("\n")) {
                Matcher kcat = KCAT_REBALANCE.matcher(line);
                if (line.startsWith("RECORD ")) {
                    String[] parts = line.split(" ", 4);
                    records.add(new Consumed(Integer.parseInt(parts[1]), Long.parseLong(parts[2]),
                            parts.length > 3 ? parts[3] : ""));
                } else if (line.startsWith("ASSIGNED") || line.startsWith("REVOKED")) {
                    Set<Integer> partitions = partitions(line.substring(line.indexOf(' ') + 1 > 0 ? line.indexOf(' ') + 1 : line.length()));
                    if (line.startsWith("ASSIGNED")) assignment.addAll(partitions); else assignment.removeAll(partitions);
                    events++;
                    history.add(Set.copyOf(assignment));
                } else if (kcat.matches()) {
                    Set<Integer> partitions = new TreeSet<>();
                    Matcher p = KCAT_PARTITION.matcher(kcat.group(2));
                    while (p.find()) partitions.add(Integer.parseInt(p.group(1)));
                    if (kcat.group(1).equals("assigned")) assignment.addAll(partitions); else assignment.removeAll(partitions);
                    events++;
                    history.add(Set.copyOf(assignment));
                } else if (line.startsWith("COMMITTED ")) {
                    commits++;
                    for (String entry : line.substring(10).trim().split(",")) {
                        if (entry.isBlank()) continue;
                        String[] kv = entry.split(":");
                        committed.put(Integer.parseInt(kv[0]), Long.parseLong(kv[1]));
                    }
                } else if (line.equals("CLOSED")) {
                    closed = true;
                } else if (line.startsWith("ERROR ") || line.startsWith("% ERROR")) {
                    errors.add(line);
                }
            }
            return new View(Set.copyOf(assignment), events, history, records, committed, commits, closed, errors);
        }

        private static Set<Integer> partitions(String csv) {
            Set<Integer> partitions = new TreeSet<>();
            for (String p : csv.trim().split(",")) if (!p.isBlank()) partitions.add(Integer.parseInt(p.trim()));
            return partitions;
        }

        public Set<Integer> partitionsConsumed() {
            Set<Integer> partitions = new TreeSet<>();
            records.forEach(r -> partitions.add(r.partition()));
            return partitions;
        }
    }
}
