package io.runnel.broker.network;

import java.util.LinkedHashSet;
import java.util.concurrent.TimeUnit;

import io.runnel.broker.config.ListenerSecurity;
import io.vertx.core.http.ClientAuth;
import io.vertx.core.net.JksOptions;
import io.vertx.core.net.KeyCertOptions;
import io.vertx.core.net.NetServerOptions;
import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.core.net.PemTrustOptions;
import io.vertx.core.net.PfxOptions;
import io.vertx.core.net.TrustOptions;

/**
 * Turns a listener's Kafka TLS settings into Vert.x server options, so that TLS is terminated by
 * Netty's SslHandler on the connection's event loop (non-blocking; the handshake never occupies a
 * thread while waiting for the peer). Key and trust stores: JKS, PKCS12, or PEM (one file holding
 * the private key, unencrypted, and its certificate chain; a trust file of certificates). A
 * handshake that stalls is cut after {@code connections.max.unauthenticated.ms}. Stateless.
 */
final class TlsServerOptions {
    private TlsServerOptions() {
    }

    static void apply(NetServerOptions options, ListenerSecurity security) {
        ListenerSecurity.Tls tls = security.tls();
        options.setSsl(true)
                .setKeyCertOptions(keyStore(tls))
                .setClientAuth(switch (tls.clientAuth()) {
                    case NONE -> ClientAuth.NONE;
                    case REQUESTED -> ClientAuth.REQUEST;
                    case REQUIRED -> ClientAuth.REQUIRED;
                })
                .setEnabledSecureTransportProtocols(new LinkedHashSet<>(tls.enabledProtocols()))
                .setSslHandshakeTimeout(security.unauthenticatedMaxMs())
                .setSslHandshakeTimeoutUnit(TimeUnit.MILLISECONDS);
        if (!tls.truststoreLocation().isBlank()) options.setTrustOptions(trustStore(tls));
        for (String suite : tls.cipherSuites()) options.addEnabledCipherSuite(suite);
    }

    private static KeyCertOptions keyStore(ListenerSecurity.Tls tls) {
        String keyPassword = tls.keyPassword().isBlank() ? null : tls.keyPassword();
        return switch (tls.keystoreType()) {
            case "JKS" -> new JksOptions().setPath(tls.keystoreLocation()).setPassword(tls.keystorePassword()).setAliasPassword(keyPassword);
            case "PKCS12" -> new PfxOptions().setPath(tls.keystoreLocation()).setPassword(tls.keystorePassword()).setAliasPassword(keyPassword);
            // Vert.x picks the key block and the certificate blocks out of the same file.
            case "PEM" -> new PemKeyCertOptions().setKeyPath(tls.keystoreLocation()).setCertPath(tls.keystoreLocation());
            default -> throw new IllegalArgumentException("keystore type " + tls.keystoreType());
        };
    }

    private static TrustOptions trustStore(ListenerSecurity.Tls tls) {
        String password = tls.truststorePassword().isBlank() ? null : tls.truststorePassword();
        return switch (tls.truststoreType()) {
            case "JKS" -> new JksOptions().setPath(tls.truststoreLocation()).setPassword(password);
            case "PKCS12" -> new PfxOptions().setPath(tls.truststoreLocation()).setPassword(password);
            case "PEM" -> new PemTrustOptions().addCertPath(tls.truststoreLocation());
            default -> throw new IllegalArgumentException("truststore type " + tls.truststoreType());
        };
    }
}
