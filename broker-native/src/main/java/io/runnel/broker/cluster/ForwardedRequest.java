package io.runnel.broker.cluster;

import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.ApiMessage;
import org.apache.kafka.common.protocol.MessageUtil;
import org.apache.kafka.common.protocol.ByteBufferAccessor;
import org.apache.kafka.common.requests.AbstractRequest;

/**
 * A client's request, as it was decoded, sent on to the active controller at the same version:
 * kafka-clients needs a typed request builder, which this makes for any API by a round trip
 * through the message's own serialization. Immutable.
 */
public final class ForwardedRequest extends AbstractRequest.Builder<AbstractRequest> {
    private final ApiMessage data;

    public ForwardedRequest(ApiKeys api, short version, ApiMessage data) {
        super(api, version, version);
        this.data = data;
    }

    @Override
    public AbstractRequest build(short version) {
        return AbstractRequest.parseRequest(apiKey(), version, new ByteBufferAccessor(MessageUtil.toByteBufferAccessor(data, version).buffer())).request;
    }

    @Override
    public String toString() {
        return "forwarded " + apiKey().name + " " + data;
    }
}
