package io.runnel.operator.model;

import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.ConditionBuilder;

/**
 * Kubernetes-style conditions: one per type; the transition time moves only when the status
 * does, so that a reconcile that changes nothing writes nothing. Pure.
 */
public final class Conditions {
    public static final String READY = "Ready";
    public static final String RECONCILING = "Reconciling";
    public static final String DEGRADED = "Degraded";

    private Conditions() {
    }

    /** {@code previous} with the condition of {@code type} set; the other conditions kept in order. */
    public static List<Condition> with(List<Condition> previous, String type, boolean status, String reason, String message,
                                       Long generation, Instant now) {
        List<Condition> next = new ArrayList<>();
        boolean placed = false;
        String statusText = status ? "True" : "False";
        for (Condition c : previous == null ? List.<Condition>of() : previous) {
            if (!type.equals(c.getType())) {
                next.add(c);
                continue;
            }
            placed = true;
            String since = statusText.equals(c.getStatus()) ? c.getLastTransitionTime() : now.truncatedTo(ChronoUnit.SECONDS).toString();
            next.add(condition(type, statusText, reason, message, generation, since));
        }
        if (!placed) next.add(condition(type, statusText, reason, message, generation, now.truncatedTo(ChronoUnit.SECONDS).toString()));
        return next;
    }

    public static Optional<Condition> find(List<Condition> conditions, String type) {
        return conditions == null ? Optional.empty() : conditions.stream().filter(c -> type.equals(c.getType())).findFirst();
    }

    public static boolean isTrue(List<Condition> conditions, String type) {
        return find(conditions, type).map(c -> Objects.equals(c.getStatus(), "True")).orElse(false);
    }

    private static Condition condition(String type, String status, String reason, String message, Long generation, String since) {
        // The API server refuses a null message in a status condition.
        if (message == null || message.isEmpty()) message = reason;
        return new ConditionBuilder().withType(type).withStatus(status).withReason(reason).withMessage(message)
                .withObservedGeneration(generation).withLastTransitionTime(since).build();
    }
}
