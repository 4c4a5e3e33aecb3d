package io.runnel.e2e.kube;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.ResourceFieldSelector;
import io.fabric8.kubernetes.api.model.ResourceRequirements;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * The downward API: what a {@code fieldRef} or {@code resourceFieldRef} (in env or in a
 * downwardAPI volume) reads from the pod, as the kubelet answers it. Stateless.
 *
 * <p>The pod IP comes from the agent, not from the pod's status: the kubelet knows it before it
 * reports it, and a container's env is computed before the first status update.
 */
final class PodFields {
    private static final Pattern MAP_KEY = Pattern.compile("metadata\\.(labels|annotations)\\['(.*)'\\]");

    private PodFields() {
    }

    /** Thrown for a field path the kubelet would reject; the container cannot start. */
    static final class UnsupportedField extends RuntimeException {
        UnsupportedField(String message) {
            super(message);
        }
    }

    static String field(Pod pod, String fieldPath, String podIp, String hostIp) {
        Matcher key = MAP_KEY.matcher(fieldPath);
        if (key.matches()) {
            Map<String, String> map = key.group(1).equals("labels") ? pod.getMetadata().getLabels() : pod.getMetadata().getAnnotations();
            return map == null ? "" : map.getOrDefault(key.group(2), "");
        }
        return switch (fieldPath) {
            case "metadata.name" -> pod.getMetadata().getName();
            case "metadata.namespace" -> pod.getMetadata().getNamespace();
            case "metadata.uid" -> pod.getMetadata().getUid();
            case "metadata.labels" -> formatMap(pod.getMetadata().getLabels());
            case "metadata.annotations" -> formatMap(pod.getMetadata().getAnnotations());
            case "spec.nodeName" -> nullToEmpty(pod.getSpec().getNodeName());
            case "spec.serviceAccountName" -> nullToEmpty(pod.getSpec().getServiceAccountName());
            case "status.podIP", "status.podIPs" -> podIp;
            case "status.hostIP", "status.hostIPs" -> hostIp;
            default -> throw new UnsupportedField("unsupported fieldRef.fieldPath " + fieldPath);
        };
    }

    /**
     * {@code limits.cpu}, {@code requests.memory}, ... of {@code container}, divided by the
     * divisor and rounded up. An unset limit reads as the node's allocatable amount, an unset
     * request as the limit (or 0), as on a real node.
     */
    static String resource(Container container, ResourceFieldSelector selector, Map<String, Quantity> nodeAllocatable) {
        String[] parts = selector.getResource().split("\\.", 2);
        if (parts.length != 2 || !(parts[0].equals("limits") || parts[0].equals("requests"))) {
            throw new UnsupportedField("unsupported resourceFieldRef.resource " + selector.getResource());
        }
        ResourceRequirements resources = Optional.ofNullable(container.getResources()).orElseGet(ResourceRequirements::new);
        Map<String, Quantity> limits = Optional.ofNullable(resources.getLimits()).orElse(Map.of());
        Map<String, Quantity> requests = Optional.ofNullable(resources.getRequests()).orElse(Map.of());
        String name = parts[1];
        Quantity amount = parts[0].equals("limits")
                ? limits.getOrDefault(name, nodeAllocatable.get(name))
                : requests.getOrDefault(name, limits.getOrDefault(name, new Quantity("0")));
        if (amount == null) throw new UnsupportedField("no amount for resource " + name);
        BigDecimal divisor = selector.getDivisor() == null ? BigDecimal.ONE : selector.getDivisor().getNumericalAmount();
        if (divisor.signum() == 0) divisor = BigDecimal.ONE;
        return amount.getNumericalAmount().divide(divisor, 0, RoundingMode.CEILING).toPlainString();
    }

    /** {@code key="value"} lines, sorted, as the downward API renders labels and annotations. */
    private static String formatMap(Map<String, String> map) {
        if (map == null) return "";
        return new TreeMap<>(map).entrySet().stream()
                .map(e -> e.getKey() + "=\"" + e.getValue().replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n") + "\"")
                .collect(Collectors.joining("\n"));
    }

    private static String nullToEmpty(String value) {
        return value == null ? "" : value;
    }
}
