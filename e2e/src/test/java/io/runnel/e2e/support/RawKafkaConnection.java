package io.runnel.e2e.support;

import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.time.Duration;
import org.apache.kafka.common.message.RequestHeaderData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.ApiMessage;
import org.apache.kafka.common.protocol.ByteBufferAccessor;
import org.apache.kafka.common.protocol.ObjectSerializationCache;
import org.apache.kafka.common.requests.AbstractResponse;
import org.apache.kafka.common.requests.ResponseHeader;

/**
 * A blocking Kafka connection over a plain {@link Socket}, for tests that need control over every
 * byte: valid requests are built with kafka-clients' generated {@code *Data} classes and
 * {@link RequestHeaderData}, then sent as they are or broken on purpose.
 *
 * <p>Frame layout (Kafka's): a 4-byte big-endian size, then that many bytes of request header
 * and body. Responses: size, response header (correlation id, plus tagged fields from header v1),
 * body.
 *
 * <p>Not thread-safe. The socket read timeout is a hang guard, not a speed check.
 */
public final class RawKafkaConnection implements AutoCloseable {
    public static final String CLIENT_ID = "runnel-e2e-raw";
    private static final Duration READ_TIMEOUT = Duration.ofSeconds(60);

    private final Socket socket;
    private final DataInputStream in;
    private final OutputStream out;
    private int nextCorrelationId = 1;

    private RawKafkaConnection(Socket socket) throws IOException {
        this.socket = socket;
        this.in = new DataInputStream(socket.getInputStream());
        this.out = socket.getOutputStream();
    }

    public static RawKafkaConnection open(String bootstrap) throws IOException {
        return open(bootstrap, READ_TIMEOUT);
    }

    /**
     * A connection whose connect and every read give up after {@code timeout} (an IOException),
     * for polling a node that may be frozen or cut off without stalling the poll for a minute.
     */
    public static RawKafkaConnection open(String bootstrap, Duration timeout) throws IOException {
        int colon = bootstrap.lastIndexOf(':');
        Socket socket = new Socket();
        try {
            socket.setTcpNoDelay(true);
            socket.setSoTimeout((int) timeout.toMillis());
            socket.connect(new InetSocketAddress(bootstrap.substring(0, colon), Integer.parseInt(bootstrap.substring(colon + 1))),
                    (int) timeout.toMillis());
        } catch (IOException e) {
            socket.close();
            throw e;
        }
        return new RawKafkaConnection(socket);
    }

    /**
     * A connection over a socket the caller connected (and set up) itself, e.g. an
     * {@link javax.net.ssl.SSLSocket} for a TLS listener; the read timeout is set to the default hang guard.
     */
    public static RawKafkaConnection over(Socket connected) throws IOException {
        connected.setSoTimeout((int) READ_TIMEOUT.toMillis());
        return new RawKafkaConnection(connected);
    }

    public int nextCorrelationId() {
        return nextCorrelationId++;
    }

    /** Sends a valid request and parses the response, checking the correlation id. */
    @SuppressWarnings("unchecked")
    public <R extends AbstractResponse> R request(ApiKeys api, short version, ApiMessage body) throws IOException {
        int correlationId = nextCorrelationId();
        send(frame(api, version, correlationId, body));
        return (R) readResponse(api, version, correlationId);
    }

    /** Reads one response frame and parses it as {@code api} at {@code version}. */
    public AbstractResponse readResponse(ApiKeys api, short version, int correlationId) throws IOException {
        ByteBuffer payload = readFrame();
        ResponseHeader header = ResponseHeader.parse(payload, api.responseHeaderVersion(version));
        if (header.correlationId() != correlationId) {
            throw new IOException("response correlation id " + header.correlationId() + ", expected " + correlationId);
        }
        return AbstractResponse.parseResponse(api, new ByteBufferAccessor(payload), version);
    }

    /** Sends bytes as they are: the caller supplies (or deliberately breaks) the size prefix. */
    public void send(byte[] bytes) throws IOException {
        out.write(bytes);
        out.flush();
    }

    public void send(ByteBuffer frame) throws IOException {
        ByteBuffer copy = frame.duplicate();
        byte[] bytes = new byte[copy.remaining()];
        copy.get(bytes);
        send(bytes);
    }

    /** Reads one size-prefixed frame; {@link EOFException} if the broker closed the connection. */
    public ByteBuffer readFrame() throws IOException {
        int size = in.readInt();
        if (size < 0 || size > 256 * 1024 * 1024) throw new IOException("implausible response size " + size);
        byte[] payload = new byte[size];
        in.readFully(payload);
        return ByteBuffer.wrap(payload);
    }

    /**
     * Whether the broker closes this connection (EOF or reset) within {@code wait}, with no
     * response frame first. Returns false if the connection stays open and silent.
     *
     * @throws IOException if the broker sends data instead of closing
     */
    public boolean closedByBroker(Duration wait) throws IOException {
        int previous = socket.getSoTimeout();
        socket.setSoTimeout((int) wait.toMillis());
        try {
            int read = in.read();
            if (read < 0) return true;
            throw new IOException("expected the broker to close the connection, but it sent data (first byte " + read + ")");
        } catch (SocketTimeoutException e) {
            return false;
        } catch (SocketException e) {
            return true; // connection reset: closed by the broker, abruptly
        } finally {
            if (!socket.isClosed()) socket.setSoTimeout(previous);
        }
    }

    public void shutdownOutput() throws IOException {
        socket.shutdownOutput();
    }

    public int localPort() {
        return socket.getLocalPort();
    }

    @Override
    public void close() {
        try {
            socket.close();
        } catch (IOException ignored) {
            // closing a test socket: nothing useful to do
        }
    }

    /** A complete, size-prefixed request frame: header for {@code api}/{@code version}, then body. */
    public static ByteBuffer frame(ApiKeys api, short version, int correlationId, ApiMessage body) {
        return frame(api, version, version, correlationId, body);
    }

    /**
     * A frame whose header claims {@code headerApiVersion} while the body is written at
     * {@code bodyVersion}: the way to send a version the broker does not support.
     */
    public static ByteBuffer frame(ApiKeys api, short headerApiVersion, short bodyVersion, int correlationId, ApiMessage body) {
        RequestHeaderData header = new RequestHeaderData()
                .setRequestApiKey(api.id)
                .setRequestApiVersion(headerApiVersion)
                .setCorrelationId(correlationId)
                .setClientId(CLIENT_ID);
        return frame(header, api.requestHeaderVersion(bodyVersion), body, bodyVersion);
    }

    public static ByteBuffer frame(RequestHeaderData header, short headerVersion, ApiMessage body, short bodyVersion) {
        ObjectSerializationCache cache = new ObjectSerializationCache();
        int headerSize = header.size(cache, headerVersion);
        int bodySize = body == null ? 0 : body.size(cache, bodyVersion);
        ByteBuffer buffer = ByteBuffer.allocate(4 + headerSize + bodySize);
        buffer.putInt(headerSize + bodySize);
        ByteBufferAccessor accessor = new ByteBufferAccessor(buffer);
        header.write(accessor, cache, headerVersion);
        if (body != null) body.write(accessor, cache, bodyVersion);
        buffer.flip();
        return buffer;
    }

    /** The bytes of a frame, for tests that edit them. */
    public static byte[] bytes(ByteBuffer frame) {
        ByteBuffer copy = frame.duplicate();
        byte[] bytes = new byte[copy.remaining()];
        copy.get(bytes);
        return bytes;
    }
}
