package io.runnel.broker.protocol;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.net.Socket;
import java.nio.ByteBuffer;

import org.apache.kafka.common.message.RequestHeaderData;
import org.apache.kafka.common.message.ResponseHeaderData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.ApiMessage;
import org.apache.kafka.common.protocol.ByteBufferAccessor;
import org.apache.kafka.common.protocol.ObjectSerializationCache;

/** A bare Kafka protocol client over a socket: any API, any version, no client-side smarts. Test only. */
public final class RawKafkaClient implements AutoCloseable {
    private final Socket socket;
    private final DataInputStream in;
    private final DataOutputStream out;
    private int correlationId;

    public RawKafkaClient(String host, int port) throws IOException {
        this(new Socket(host, port));
    }

    /** Over a socket already connected (a TLS socket, say). */
    public RawKafkaClient(Socket socket) throws IOException {
        this.socket = socket;
        socket.setSoTimeout(15_000);
        in = new DataInputStream(socket.getInputStream());
        out = new DataOutputStream(socket.getOutputStream());
    }

    public static ByteBuffer encodeRequest(ApiKeys key, short version, int correlationId, ApiMessage body) {
        ObjectSerializationCache cache = new ObjectSerializationCache();
        RequestHeaderData header = new RequestHeaderData().setRequestApiKey(key.id).setRequestApiVersion(version)
                .setCorrelationId(correlationId).setClientId("raw-test");
        short headerVersion = key.requestHeaderVersion(version);
        int size = header.size(cache, headerVersion) + body.size(cache, version);
        ByteBuffer buffer = ByteBuffer.allocate(4 + size).putInt(size);
        ByteBufferAccessor accessor = new ByteBufferAccessor(buffer);
        header.write(accessor, cache, headerVersion);
        body.write(accessor, cache, version);
        return buffer.flip();
    }

    public void sendRaw(byte[] bytes) throws IOException {
        out.write(bytes);
        out.flush();
    }

    public ApiMessage send(ApiKeys key, short version, ApiMessage body) throws IOException {
        int id = ++correlationId;
        ByteBuffer request = encodeRequest(key, version, id, body);
        sendRaw(java.util.Arrays.copyOf(request.array(), request.limit()));
        return receive(key, version, id);
    }

    public ApiMessage receive(ApiKeys key, short version, int expectedCorrelationId) throws IOException {
        byte[] frame = new byte[in.readInt()];
        in.readFully(frame);
        ByteBufferAccessor accessor = new ByteBufferAccessor(ByteBuffer.wrap(frame));
        ResponseHeaderData header = new ResponseHeaderData(accessor, key.responseHeaderVersion(version));
        if (header.correlationId() != expectedCorrelationId)
            throw new IllegalStateException("correlation id " + header.correlationId() + ", expected " + expectedCorrelationId);
        ApiMessage response = key.messageType.newResponse();
        response.read(accessor, version);
        return response;
    }

    /** The next size-prefixed frame as it is (a bare SASL token after a v0 handshake). */
    public byte[] receiveRawFrame() throws IOException {
        byte[] frame = new byte[in.readInt()];
        in.readFully(frame);
        return frame;
    }

    /** True once the broker has closed the connection (reads EOF within the socket timeout). */
    public boolean isClosedByBroker() {
        try {
            return in.read() == -1;
        } catch (IOException e) {
            return true;
        }
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
