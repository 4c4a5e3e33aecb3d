package io.runnel.broker.log;

import java.io.IOException;

/** An index file that cannot be trusted; the owner rebuilds it from the log. */
final class CorruptIndexException extends IOException {
    CorruptIndexException(String message) {
        super(message);
    }
}
