package io.runnel.broker.metadata;

import org.apache.kafka.common.protocol.Errors;

/**
 * The outcome of one topic in a create, delete or create-partitions operation. {@code topic} is
 * the topic as it stands afterwards (or as it would, for validate-only), null on error.
 */
public record TopicResult(String name, Errors error, String message, TopicImage topic) {

    public static TopicResult ok(String name, TopicImage topic) {
        return new TopicResult(name, Errors.NONE, null, topic);
    }

    public static TopicResult error(String name, Errors error, String message) {
        return new TopicResult(name, error, message, null);
    }
}
