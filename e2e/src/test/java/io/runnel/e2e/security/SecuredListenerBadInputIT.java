package io.runnel.e2e.security;

import static io.runnel.e2e.security.AuthenticationRequiredIT.assertClosedWithoutAKafkaResponse;
import static org.assertj.core.api.Assertions.assertThat;

import io.runnel.e2e.support.E2eSettings.BrokerKind;
import io.runnel.e2e.support.RawKafkaConnection;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.message.SaslAuthenticateRequestData;
import org.apache.kafka.common.message.SaslHandshakeRequestData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.requests.SaslAuthenticateResponse;
import org.apache.kafka.common.requests.SaslHandshakeResponse;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Bad input on secured listeners is cut off while authenticated clients keep working: garbage in
 * the SASL exchange, a SASL token larger than {@code sasl.server.max.receive.size}, TLS handshakes
 * that stall, and thousands of connections that never authenticate. Each case runs while
 * {@link AuthenticatedTraffic} produces over SASL_SSL and consumes over mTLS, and ends by checking
 * that every one of its records made the round trip; on Runnel it also checks the broker's log line.
 *
 * <p>Against Apache Kafka 4.4 ({@code -Drunnel.e2e.broker=kafka}) the same garbage and oversized
 * tokens are refused the same way. Kafka has no equivalent of Runnel's
 * {@code connections.max.unauthenticated.ms}: a stalled handshake or a connection that never
 * authenticates lives there until {@code connections.max.idle.ms} (10 minutes), so against Kafka the
 * assertions that such connections are cut are skipped (the authenticated traffic is still checked).
 */
class SecuredListenerBadInputIT {
    private static final long UNAUTHENTICATED_MAX_MS = 2_000;
    private static final int MAX_RECEIVE_BYTES = 524_288; // sasl.server.max.receive.size, Kafka's default
    private static final int IDLE_CONNECTIONS = 2_000;
    private static final int HALF_AUTHENTICATED_CONNECTIONS = 100;
    private static final Duration CUT_PATIENCE = Duration.ofSeconds(60); // hang guard, far above the 2 s bound
    private static SecureBroker secure;

    @BeforeAll
    static void startBroker() {
        secure = SecureBroker.start("secured-bad-input", Map.of("connections.max.unauthenticated.ms", Long.toString(UNAUTHENTICATED_MAX_MS)));
    }

    @AfterAll
    static void stopBroker() {
        if (secure != null) secure.close();
    }

    private static boolean runnel() {
        return secure.broker().kind() == BrokerKind.RUNNEL;
    }

    @Test
    void garbageInTheSaslExchangeIsRefusedAndTheConnectionClosed() throws Exception {
        try (AuthenticatedTraffic traffic = AuthenticatedTraffic.start(secure, "traffic-garbage")) {
            long mark = secure.broker().logMark();
            // A token that is no SCRAM client-first message: SASL_AUTHENTICATION_FAILED, then the close.
            try (RawKafkaConnection connection = scramHandshake()) {
                SaslAuthenticateResponse response = connection.request(ApiKeys.SASL_AUTHENTICATE, (short) 2,
                        new SaslAuthenticateRequestData().setAuthBytes("\u0000\u00ffnot,a=scram,message\r\n".getBytes(StandardCharsets.ISO_8859_1)));
                assertThat(response.error()).isEqualTo(Errors.SASL_AUTHENTICATION_FAILED);
                assertThat(connection.closedByBroker(CUT_PATIENCE)).as("closed after the failure").isTrue();
            }
            // A frame that is no Kafka request at all, in place of the token and in place of the handshake.
            try (RawKafkaConnection connection = scramHandshake()) {
                connection.send(garbageFrame(64));
                assertClosedWithoutAKafkaResponse(connection);
            }
            try (RawKafkaConnection connection = secure.rawTls(secure.saslSslBootstrap(), null)) {
                connection.send(garbageFrame(64));
                assertClosedWithoutAKafkaResponse(connection);
            }
            if (runnel()) {
                String log = secure.awaitLog(mark, "Closing connection", CUT_PATIENCE);
                assertThat(log).contains("Failed authentication on listener SASL_SSL from 127.0.0.1:").contains("Closing connection");
            }
            traffic.stopAndAssert();
        }
    }

    @Test
    void aSaslTokenOverSaslServerMaxReceiveSizeIsCutOff() throws Exception {
        try (AuthenticatedTraffic traffic = AuthenticatedTraffic.start(secure, "traffic-oversized")) {
            long mark = secure.broker().logMark();
            try (RawKafkaConnection connection = scramHandshake()) {
                byte[] token = new byte[MAX_RECEIVE_BYTES + 1];
                Arrays.fill(token, (byte) 'x');
                ByteBuffer frame = RawKafkaConnection.frame(ApiKeys.SASL_AUTHENTICATE, (short) 2, connection.nextCorrelationId(),
                        new SaslAuthenticateRequestData().setAuthBytes(token));
                assertThat(frame.getInt(0)).isGreaterThan(MAX_RECEIVE_BYTES);
                try {
                    connection.send(frame);
                } catch (SocketException cutWhileSending) {
                    // the broker closed on the size prefix, before the rest arrived: that is the point
                }
                assertThat(connection.closedByBroker(CUT_PATIENCE)).as("an oversized token closes the connection").isTrue();
            }
            if (runnel()) {
                assertThat(secure.awaitLog(mark, "(sasl.server.max.receive.size)", CUT_PATIENCE))
                        .contains("before authentication on listener SASL_SSL is outside 0.." + MAX_RECEIVE_BYTES + " (sasl.server.max.receive.size)");
            }
            traffic.stopAndAssert();
        }
    }

    @Test
    void aStalledTlsHandshakeIsCutAfterConnectionsMaxUnauthenticatedMs() throws Exception {
        try (AuthenticatedTraffic traffic = AuthenticatedTraffic.start(secure, "traffic-stalled")) {
            long mark = secure.broker().logMark();
            List<Socket> stalled = new ArrayList<>();
            try {
                for (String bootstrap : List.of(secure.saslSslBootstrap(), secure.mtlsBootstrap())) {
                    stalled.add(connect(bootstrap)); // nothing at all
                    Socket partial = connect(bootstrap);
                    partial.getOutputStream().write(PARTIAL_CLIENT_HELLO);
                    partial.getOutputStream().flush();
                    stalled.add(partial);
                }
                if (runnel()) {
                    for (Socket socket : stalled) assertThat(cutByBroker(socket, Instant.now().plus(CUT_PATIENCE))).as("stalled handshake cut").isTrue();
                    for (String listener : List.of(SecureBroker.SASL_SSL, SecureBroker.MTLS)) {
                        assertThat(secure.awaitLogLines(mark, "on listener " + listener + " before the TLS handshake completed", 2, CUT_PATIENCE))
                                .as("log lines for the stalled handshakes on " + listener).isEqualTo(2);
                    }
                }
                // else: Kafka bounds a stalled handshake only by connections.max.idle.ms (see the class comment)
            } finally {
                closeAll(stalled);
            }
            traffic.stopAndAssert();
        }
    }

    @Test
    void thousandsOfConnectionsThatNeverAuthenticateAreCutWhileAuthenticatedClientsWork() throws Exception {
        try (AuthenticatedTraffic traffic = AuthenticatedTraffic.start(secure, "traffic-flood")) {
            long mark = secure.broker().logMark();
            List<Socket> idle = new ArrayList<>();
            List<RawKafkaConnection> halfAuthenticated = new ArrayList<>();
            try {
                for (int i = 0; i < IDLE_CONNECTIONS; i++) idle.add(connect(i % 2 == 0 ? secure.saslSslBootstrap() : secure.mtlsBootstrap()));
                for (int i = 0; i < HALF_AUTHENTICATED_CONNECTIONS; i++) halfAuthenticated.add(scramHandshake());
                if (runnel()) {
                    Instant deadline = Instant.now().plus(CUT_PATIENCE);
                    long cut = 0;
                    for (Socket socket : idle) cut += cutByBroker(socket, deadline) ? 1 : 0;
                    assertThat(cut).as("idle connections (no TLS handshake) cut").isEqualTo(IDLE_CONNECTIONS);
                    for (RawKafkaConnection connection : halfAuthenticated) {
                        assertThat(connection.closedByBroker(CUT_PATIENCE)).as("a SASL handshake without authentication is cut").isTrue();
                    }
                    assertThat(secure.awaitLogLines(mark, "not authenticated within " + UNAUTHENTICATED_MAX_MS + " ms on listener SASL_SSL",
                            HALF_AUTHENTICATED_CONNECTIONS, CUT_PATIENCE)).isEqualTo(HALF_AUTHENTICATED_CONNECTIONS);
                    assertThat(secure.awaitLogLines(mark, "before the TLS handshake completed", IDLE_CONNECTIONS, CUT_PATIENCE))
                            .as("one log line per idle connection cut").isEqualTo(IDLE_CONNECTIONS);
                }
                // else: Kafka keeps them until connections.max.idle.ms (see the class comment); the traffic check below still holds
            } finally {
                closeAll(idle);
                halfAuthenticated.forEach(RawKafkaConnection::close);
            }
            traffic.stopAndAssert();
        }
    }

    /** The first 9 bytes of a TLS 1.2 record carrying a ClientHello (header, then the start of the handshake message): the rest never comes. */
    private static final byte[] PARTIAL_CLIENT_HELLO = {0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, (byte) 0xfc};

    /** A TLS connection on the SASL_SSL listener after a successful SaslHandshake for SCRAM-SHA-512. */
    private static RawKafkaConnection scramHandshake() throws Exception {
        RawKafkaConnection connection = secure.rawTls(secure.saslSslBootstrap(), null);
        SaslHandshakeResponse handshake = connection.request(ApiKeys.SASL_HANDSHAKE, (short) 1,
                new SaslHandshakeRequestData().setMechanism("SCRAM-SHA-512"));
        assertThat(handshake.error()).isEqualTo(Errors.NONE);
        return connection;
    }

    /** A size-prefixed frame of {@code size} 0xFF bytes: its header names API key -1, which no broker has. */
    private static byte[] garbageFrame(int size) {
        ByteBuffer frame = ByteBuffer.allocate(4 + size).putInt(size);
        while (frame.hasRemaining()) frame.put((byte) 0xFF);
        return frame.array();
    }

    private static Socket connect(String bootstrap) throws IOException {
        int colon = bootstrap.lastIndexOf(':');
        Socket socket = new Socket();
        socket.connect(new InetSocketAddress(bootstrap.substring(0, colon), Integer.parseInt(bootstrap.substring(colon + 1))), 10_000);
        return socket;
    }

    /** Whether the broker closes {@code socket} by {@code deadline}; bytes it sends first (a TLS alert) are skipped. */
    private static boolean cutByBroker(Socket socket, Instant deadline) throws IOException {
        InputStream in = socket.getInputStream();
        while (true) {
            long leftMs = Duration.between(Instant.now(), deadline).toMillis();
            if (leftMs <= 0) return false;
            socket.setSoTimeout((int) leftMs);
            try {
                if (in.read() < 0) return true;
            } catch (SocketTimeoutException e) {
                return false;
            } catch (SocketException reset) {
                return true;
            }
        }
    }

    private static void closeAll(List<Socket> sockets) {
        for (Socket socket : sockets) {
            try {
                socket.close();
            } catch (IOException ignored) {
                // closing a test socket
            }
        }
    }
}
