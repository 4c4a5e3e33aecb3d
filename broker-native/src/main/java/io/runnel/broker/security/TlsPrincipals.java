package io.runnel.broker.security;

import java.io.IOException;
import java.security.Principal;

import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;
import javax.security.auth.x500.X500Principal;

import org.apache.kafka.common.security.auth.KafkaPrincipal;
import org.apache.kafka.common.security.ssl.SslPrincipalMapper;

/**
 * The principal of an SSL connection, as Kafka's DefaultKafkaPrincipalBuilder makes it: the client
 * certificate's subject DN (RFC 2253 form) mapped by {@code ssl.principal.mapping.rules}, or
 * {@code User:ANONYMOUS} when the client sent no certificate. Stateless.
 */
public final class TlsPrincipals {
    private TlsPrincipals() {
    }

    /** @throws IllegalArgumentException if no mapping rule matches the DN (Kafka then closes the connection) */
    public static KafkaPrincipal of(SSLSession session, SslPrincipalMapper mapper) {
        Principal peer;
        try {
            peer = session.getPeerPrincipal();
        } catch (SSLPeerUnverifiedException e) {
            return KafkaPrincipal.ANONYMOUS;
        }
        if (!(peer instanceof X500Principal x500)) return new KafkaPrincipal(KafkaPrincipal.USER_TYPE, peer.getName());
        try {
            return new KafkaPrincipal(KafkaPrincipal.USER_TYPE, mapper.getName(x500.getName()));
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot map certificate DN '" + x500.getName() + "' with ssl.principal.mapping.rules: " + e.getMessage(), e);
        }
    }
}
