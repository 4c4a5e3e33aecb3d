package io.runnel.e2e.kube;

import io.fabric8.kubernetes.api.model.ObjectReferenceBuilder;
import io.fabric8.kubernetes.api.model.PersistentVolume;
import io.fabric8.kubernetes.api.model.PersistentVolumeBuilder;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/**
 * The storage provisioner of the test node: every Pending PersistentVolumeClaim without a volume
 * gets a hostPath PersistentVolume made for it, a folder {@code volumes/<ns>/<claim>-<uid>} in the
 * run folder, with the claim's requested capacity, access modes and storageClassName, and a
 * claimRef to the claim. The controller-manager's PV controller then binds the pair (a pre-bound
 * volume is its first choice) and the scheduler can place the pod. Reclaim policy Retain: the
 * folder and its data stay after the claim is gone, for a test to inspect.
 *
 * <p>Block-mode claims are left alone (nothing here can make a block device). Agent thread only.
 */
final class ClaimProvisioner {
    static final String PROVISIONED_BY = "runnel.io/testbed-provisioner";

    private final KubernetesClient client;
    private final Path volumesDir;
    private final AgentLog log;
    private final Set<String> provisionedClaimUids = new HashSet<>();

    ClaimProvisioner(KubernetesClient client, Path volumesDir, AgentLog log) {
        this.client = client;
        this.volumesDir = volumesDir;
        this.log = log;
    }

    void onClaim(PersistentVolumeClaim claim) {
        String uid = claim.getMetadata().getUid();
        boolean pending = claim.getStatus() == null || claim.getStatus().getPhase() == null || "Pending".equals(claim.getStatus().getPhase());
        boolean unbound = claim.getSpec().getVolumeName() == null || claim.getSpec().getVolumeName().isEmpty();
        if (!pending || !unbound || claim.getMetadata().getDeletionTimestamp() != null || provisionedClaimUids.contains(uid)) return;
        if ("Block".equals(claim.getSpec().getVolumeMode())) {
            log.info("claim " + name(claim) + " wants a block volume; the test node cannot provide one");
            return;
        }
        Path folder = volumesDir.resolve(claim.getMetadata().getNamespace()).resolve(claim.getMetadata().getName() + "-" + uid);
        try {
            Files.createDirectories(folder);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        PersistentVolume volume = volumeFor(claim, folder);
        try {
            client.persistentVolumes().resource(volume).create();
            log.info("provisioned " + volume.getMetadata().getName() + " at " + folder + " for claim " + name(claim));
        } catch (KubernetesClientException e) {
            if (e.getCode() != 409) throw e; // 409: made before (an earlier event for the same claim)
        }
        provisionedClaimUids.add(uid);
    }

    /** The hostPath volume for {@code claim}: pure, so the mapping can be read in one place. */
    static PersistentVolume volumeFor(PersistentVolumeClaim claim, Path folder) {
        Quantity request = claim.getSpec().getResources() == null || claim.getSpec().getResources().getRequests() == null
                ? null : claim.getSpec().getResources().getRequests().get("storage");
        Map<String, String> labels = claim.getSpec().getSelector() == null || claim.getSpec().getSelector().getMatchLabels() == null
                ? Map.of() : claim.getSpec().getSelector().getMatchLabels();
        return new PersistentVolumeBuilder()
                .withNewMetadata()
                    .withName("pvc-" + claim.getMetadata().getUid())
                    .withLabels(labels)
                    .addToAnnotations("pv.kubernetes.io/provisioned-by", PROVISIONED_BY)
                .endMetadata()
                .withNewSpec()
                    .addToCapacity("storage", request != null ? request : new Quantity("1Gi"))
                    .withAccessModes(claim.getSpec().getAccessModes())
                    .withStorageClassName(claim.getSpec().getStorageClassName() == null ? "" : claim.getSpec().getStorageClassName())
                    .withVolumeMode("Filesystem")
                    .withPersistentVolumeReclaimPolicy("Retain")
                    .withNewHostPath().withPath(folder.toString()).withType("Directory").endHostPath()
                    .withClaimRef(new ObjectReferenceBuilder()
                            .withApiVersion("v1").withKind("PersistentVolumeClaim")
                            .withNamespace(claim.getMetadata().getNamespace()).withName(claim.getMetadata().getName())
                            .withUid(claim.getMetadata().getUid()).build())
                .endSpec()
                .build();
    }

    private static String name(PersistentVolumeClaim claim) {
        return claim.getMetadata().getNamespace() + "/" + claim.getMetadata().getName();
    }
}
