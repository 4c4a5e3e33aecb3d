package io.runnel.broker.group;

import java.util.EnumSet;
import java.util.Set;

/**
 * The life cycle of a classic group, with the names Kafka reports in DescribeGroups and ListGroups.
 *
 * <pre>
 * Empty ──join──▶ PreparingRebalance ──all joined / timeout──▶ CompletingRebalance ──leader sync──▶ Stable
 *   ▲                  ▲    │ (no member left)                       │ (member change)            │
 *   └──────────────────┼────┘                                        ▼                            │
 *                      └─────────────────────────────────────────────┴────────────────────────────┘
 * Empty ──delete / all offsets expired──▶ Dead
 * </pre>
 */
public enum GroupState {
    EMPTY("Empty"),
    PREPARING_REBALANCE("PreparingRebalance"),
    COMPLETING_REBALANCE("CompletingRebalance"),
    STABLE("Stable"),
    DEAD("Dead");

    private final String kafkaName;

    GroupState(String kafkaName) {
        this.kafkaName = kafkaName;
    }

    public String kafkaName() {
        return kafkaName;
    }

    /** The states a group may move to from this one; anything else is a bug. */
    Set<GroupState> validNext() {
        return switch (this) {
            case EMPTY -> EnumSet.of(PREPARING_REBALANCE, DEAD);
            case PREPARING_REBALANCE -> EnumSet.of(COMPLETING_REBALANCE, EMPTY, DEAD);
            case COMPLETING_REBALANCE -> EnumSet.of(PREPARING_REBALANCE, STABLE, DEAD);
            case STABLE -> EnumSet.of(PREPARING_REBALANCE, DEAD);
            case DEAD -> EnumSet.of(DEAD);
        };
    }
}
