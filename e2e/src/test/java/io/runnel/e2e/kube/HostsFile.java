package io.runnel.e2e.kube;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The cluster's DNS, played by {@code /etc/hosts}: one block between
 * {@code # BEGIN runnel-kube-testbed <agent id>} and {@code # END ...} lines holds the agent's
 * names (pods' {@code hostname.subdomain.ns.svc...}, services' {@code svc.ns.svc...}), grouped by
 * the object that owns them; everything else in the file is left exactly as it was.
 *
 * <p>The block is also the agent's mark on the machine: it lists, as {@code # lo <address>}
 * comments, the addresses the agent added to lo. An agent whose JVM died without closing leaves
 * its block behind; the next agent drops such blocks (their pid no longer runs) and removes the
 * addresses they list ({@link #dropStaleBlocks}).
 *
 * <p>The file is rewritten in place (truncate and write, never a rename), because
 * {@code /etc/hosts} is often a bind mount whose inode must stay. Agent thread only.
 */
final class HostsFile {
    private static final String MARK = "runnel-kube-testbed";
    private static final Pattern BEGIN = Pattern.compile("# BEGIN " + MARK + " (\\d+)-(\\S+)");
    private static final String LO_PREFIX = "# lo ";

    /** A line of the block: an address and its names. */
    record Entry(String address, List<String> names) {
    }

    private final Path file;
    private final String agentId;
    private final Map<String, List<Entry>> byOwner = new TreeMap<>();
    private Set<String> loopbackAddresses = Set.of();

    /** @param agentId {@code <pid>-<n>}: the pid tells later agents whether the block's owner still runs */
    HostsFile(Path file, String agentId) {
        this.file = file;
        this.agentId = agentId;
        if (!Files.isWritable(file)) {
            throw new IllegalStateException(file + " is not writable: the test node agent resolves pod and service names through it "
                    + "and needs to run as root");
        }
    }

    /** Sets the entries an object owns ({@code pod/ns/name}, {@code svc/ns/name}); rewrites the file if they changed. */
    void put(String owner, List<Entry> entries) {
        List<Entry> previous = byOwner.put(owner, List.copyOf(entries));
        if (!entries.equals(previous)) write();
    }

    void remove(String owner) {
        if (byOwner.remove(owner) != null) write();
    }

    /** Records the addresses the agent has on lo now, for a successor to clean up should this JVM die. */
    void loopbackAddresses(Set<String> addresses) {
        if (addresses.equals(loopbackAddresses)) return;
        loopbackAddresses = new TreeSet<>(addresses);
        write();
    }

    /** The agent's block as it is now in the file (empty when absent). */
    List<String> blockLines() {
        List<String> lines = read();
        int begin = lines.indexOf(beginLine(agentId));
        int end = lines.indexOf(endLine(agentId));
        return begin < 0 || end < begin ? List.of() : List.copyOf(lines.subList(begin, end + 1));
    }

    /** Removes the agent's block and forgets every entry. */
    void clear() {
        byOwner.clear();
        loopbackAddresses = Set.of();
        List<String> lines = withoutBlock(read(), agentId);
        writeLines(lines);
    }

    /**
     * Drops the blocks of agents whose process no longer runs (a JVM that died without closing
     * its agent).
     *
     * @return the lo addresses those agents had added, for the caller to remove
     */
    Set<String> dropStaleBlocks() {
        List<String> lines = read();
        List<String> kept = new ArrayList<>();
        Set<String> orphanedAddresses = new TreeSet<>();
        boolean inStaleBlock = false;
        for (String line : lines) {
            Matcher begin = BEGIN.matcher(line);
            if (begin.matches() && ProcessHandle.of(Long.parseLong(begin.group(1))).isEmpty()) {
                inStaleBlock = true;
            } else if (inStaleBlock) {
                if (line.startsWith("# END " + MARK + " ")) inStaleBlock = false;
                else if (line.startsWith(LO_PREFIX)) orphanedAddresses.add(line.substring(LO_PREFIX.length()).trim());
            } else {
                kept.add(line);
            }
        }
        if (!kept.equals(lines)) writeLines(kept);
        return orphanedAddresses;
    }

    private void write() {
        List<String> lines = withoutBlock(read(), agentId);
        if (!byOwner.isEmpty() || !loopbackAddresses.isEmpty()) {
            lines.add(beginLine(agentId));
            byOwner.forEach((owner, entries) -> {
                for (Entry entry : entries) {
                    if (!entry.names().isEmpty()) lines.add(entry.address() + " " + String.join(" ", entry.names()) + "   # " + owner);
                }
            });
            for (String address : loopbackAddresses) lines.add(LO_PREFIX + address);
            lines.add(endLine(agentId));
        }
        writeLines(lines);
    }

    private static List<String> withoutBlock(List<String> lines, String id) {
        List<String> kept = new ArrayList<>();
        boolean inBlock = false;
        for (String line : lines) {
            if (line.equals(beginLine(id))) inBlock = true;
            else if (inBlock && line.equals(endLine(id))) inBlock = false;
            else if (!inBlock) kept.add(line);
        }
        return kept;
    }

    private List<String> read() {
        try {
            return new ArrayList<>(Files.readAllLines(file, StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private void writeLines(List<String> lines) {
        try {
            // Files.write truncates and writes the same inode: safe for a bind-mounted /etc/hosts.
            Files.write(file, lines, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String beginLine(String id) {
        return "# BEGIN " + MARK + " " + id;
    }

    private static String endLine(String id) {
        return "# END " + MARK + " " + id;
    }
}
