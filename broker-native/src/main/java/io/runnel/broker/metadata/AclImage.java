package io.runnel.broker.metadata;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.metadata.AccessControlEntryRecord;
import org.apache.kafka.common.metadata.RemoveAccessControlEntryRecord;
import org.apache.kafka.metadata.authorizer.StandardAcl;
import org.apache.kafka.metadata.authorizer.StandardAclWithId;
import org.apache.kafka.server.common.ApiMessageAndVersion;

/**
 * The ACLs of the cluster metadata, as KRaft keeps them: each ACL under the id its
 * AccessControlEntryRecord gave it, removed by a RemoveAccessControlEntryRecord naming that id.
 *
 * <p>Invariants: no two ids hold the same ACL (the controller writes no duplicate); a removal names
 * an id that exists (a replay that finds none is a corrupt log and stops loudly).
 *
 * <p>Immutable and replaced with its {@link MetadataImage}, so any thread may read it without locks.
 */
public final class AclImage {
    public static final AclImage EMPTY = new AclImage(new TreeMap<>());

    /** Id → ACL, sorted by id so that snapshots are in a stable order. */
    private final Map<Uuid, StandardAcl> byId;
    private final Set<StandardAcl> acls;

    private AclImage(TreeMap<Uuid, StandardAcl> byId) {
        this.byId = Collections.unmodifiableMap(byId);
        this.acls = Set.copyOf(byId.values());
        if (acls.size() != byId.size()) throw new IllegalStateException("the same ACL under two ids: " + byId);
    }

    /** Every ACL by id. */
    public Map<Uuid, StandardAcl> byId() {
        return byId;
    }

    public boolean contains(StandardAcl acl) {
        return acls.contains(acl);
    }

    public boolean isEmpty() {
        return byId.isEmpty();
    }

    /** The records that recreate this image on an empty one: one AccessControlEntryRecord per ACL. */
    List<ApiMessageAndVersion> records() {
        List<ApiMessageAndVersion> records = new ArrayList<>();
        byId.forEach((id, acl) -> records.add(new ApiMessageAndVersion(new StandardAclWithId(id, acl).toRecord(), (short) 0)));
        return records;
    }

    static ApiMessageAndVersion removalRecord(Uuid id) {
        return new ApiMessageAndVersion(new RemoveAccessControlEntryRecord().setId(id), (short) 0);
    }

    /**
     * The ACL changes of one metadata batch over a base image; the base is copied only once an ACL
     * record arrives, so batches without any keep the same instance. Metadata thread only.
     */
    static final class Changes {
        private final AclImage base;
        private TreeMap<Uuid, StandardAcl> byId;

        Changes(AclImage base) {
            this.base = base;
        }

        void replay(AccessControlEntryRecord r) {
            StandardAclWithId acl = StandardAclWithId.fromRecord(r);
            working().put(acl.id(), acl.acl());
        }

        void replay(RemoveAccessControlEntryRecord r) {
            if (working().remove(r.id()) == null)
                throw new IllegalStateException("RemoveAccessControlEntryRecord for an ACL id that does not exist: " + r.id());
        }

        private TreeMap<Uuid, StandardAcl> working() {
            if (byId == null) byId = new TreeMap<>(base.byId);
            return byId;
        }

        AclImage build() {
            return byId == null ? base : new AclImage(byId);
        }
    }

    /** Ids not yet used by any ACL of this image (nor by {@code taken}), for new AccessControlEntryRecords. */
    Uuid newId(Set<Uuid> taken) {
        Uuid id;
        do id = Uuid.randomUuid(); while (byId.containsKey(id) || taken.contains(id));
        return id;
    }

    /** A mutable set for {@link #newId}. */
    static Set<Uuid> noIds() {
        return new HashSet<>();
    }
}
