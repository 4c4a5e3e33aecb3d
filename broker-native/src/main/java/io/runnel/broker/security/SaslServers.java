package io.runnel.broker.security;

import java.security.NoSuchAlgorithmException;

import javax.security.sasl.SaslServer;

import org.apache.kafka.common.security.plain.internals.PlainSaslServer;
import org.apache.kafka.common.security.scram.internals.ScramMechanism;

import io.runnel.broker.config.ListenerSecurity;

/**
 * Makes the server side of one SASL exchange for a listener: kafka-clients' own
 * {@link PlainSaslServer}, and {@link ScramServer} (kafka-clients' ScramSaslServer's behaviour, optionally
 * accepting librdkafka's pre-2.6.1 nonce), with Runnel's callback handlers (the listener's JAAS users
 * for PLAIN, {@link ScramCredentials} for SCRAM). Immutable; safe on any thread.
 */
public final class SaslServers {
    private final ListenerSecurity.Sasl settings;
    private final PlainCallbackHandler plain;
    private final ScramCredentials scram;

    public SaslServers(ListenerSecurity.Sasl settings, ScramCredentials scram) {
        this.settings = settings;
        this.plain = new PlainCallbackHandler(settings.plainUsers());
        this.scram = scram;
    }

    public ListenerSecurity.Sasl settings() {
        return settings;
    }

    /** A fresh server for {@code mechanism}, which must be one of the listener's enabled mechanisms. */
    SaslServer create(String mechanism) {
        if (!settings.enabledMechanisms().contains(mechanism)) throw new IllegalArgumentException(mechanism + " is not enabled");
        if (mechanism.equals(PlainSaslServer.PLAIN_MECHANISM)) return new PlainSaslServer(plain);
        ScramMechanism scramMechanism = ScramMechanism.forMechanismName(mechanism);
        if (scramMechanism == null) throw new IllegalArgumentException(mechanism + " is not supported");
        try {
            return new ScramServer(scramMechanism, new ScramCallbackHandler(scram, scramMechanism), settings.acceptLibrdkafkaNonce());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK lacks " + scramMechanism.hashAlgorithm(), e);
        }
    }
}
