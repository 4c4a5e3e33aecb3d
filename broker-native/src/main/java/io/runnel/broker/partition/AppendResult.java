package io.runnel.broker.partition;

import org.apache.kafka.common.protocol.Errors;

/** The outcome of appending one produce request's records to one partition. */
public record AppendResult(Errors error, String errorMessage, long baseOffset, long logAppendTimeMs, long logStartOffset) {

    public static AppendResult error(Errors error, String message) {
        return new AppendResult(error, message, -1, -1, -1);
    }
}
