package io.runnel.e2e.security;

import io.runnel.e2e.support.ExternalCommand;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * A throw-away certificate authority for one test class, made with {@code openssl} (and the JDK's
 * {@code keytool} for the Java trust store): the CA, a broker certificate for 127.0.0.1 and
 * localhost, and client certificates, each in the form every client wants — PEM files for
 * librdkafka (kcat, confluent-kafka), kafka-python and kafkajs; PKCS12 stores for Java clients and
 * the brokers (Runnel and Apache Kafka alike).
 *
 * <p>Keys are EC P-256 (fast to make, accepted by every client here); certificates last two days.
 * Immutable once made; the files live in the test's own directory.
 */
public final class TestCa {
    /** The password of every PKCS12 store made here. */
    public static final String STORE_PASSWORD = "runnel-test-store";
    private static final Duration OPENSSL_PATIENCE = Duration.ofMinutes(1);

    private final Path dir;
    private final Path caCert;
    private final Path caKey;
    private final Path truststore;

    /** One party's certificate: PEM certificate (leaf, then CA) and unencrypted PKCS8 key, plus the same as a PKCS12 key store. */
    public record Party(String subject, Path certPem, Path keyPem, Path keystore) {}

    private TestCa(Path dir) {
        this.dir = dir;
        this.caCert = dir.resolve("ca.crt");
        this.caKey = dir.resolve("ca.key");
        this.truststore = dir.resolve("truststore.p12");
    }

    /** A new CA under {@code dir}/{@code name}. */
    public static TestCa create(Path dir, String name) {
        TestCa ca = new TestCa(createDirectories(dir.resolve(name)));
        ca.openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                "-keyout", ca.caKey.toString(), "-out", ca.caCert.toString(), "-days", "2",
                "-subj", "/O=Runnel Test/CN=" + name,
                "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign");
        ExternalCommand.ok(ExternalCommand.of(Path.of(System.getProperty("java.home"), "bin", "keytool").toString(),
                "-importcert", "-noprompt", "-alias", "ca", "-file", ca.caCert.toString(), "-keystore", ca.truststore.toString(),
                "-storetype", "PKCS12", "-storepass", STORE_PASSWORD).name("keytool").dir(ca.dir).timeout(OPENSSL_PATIENCE).run());
        return ca;
    }

    /** The CA certificate, PEM: what non-Java clients and a PEM trust store read. */
    public Path caCert() {
        return caCert;
    }

    /** The CA certificate in a PKCS12 trust store ({@link #STORE_PASSWORD}): what Java clients and brokers read. */
    public Path truststore() {
        return truststore;
    }

    /** A server certificate for 127.0.0.1 and localhost (subject {@code CN=localhost}). */
    public Party broker(String name) {
        return issue(name, "/O=Runnel Test/CN=localhost", "subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth,clientAuth\n");
    }

    /** A client certificate with subject {@code subject} in openssl's form, e.g. {@code /O=Runnel Test/OU=Clients/CN=Billing-App}. */
    public Party client(String name, String subject) {
        return issue(name, subject, "extendedKeyUsage=clientAuth\n");
    }

    private Party issue(String name, String subject, String extensions) {
        Path key = dir.resolve(name + ".key");
        Path csr = dir.resolve(name + ".csr");
        Path leaf = dir.resolve(name + "-leaf.crt");
        Path chain = dir.resolve(name + ".crt");
        Path ext = dir.resolve(name + ".ext");
        Path keystore = dir.resolve(name + ".p12");
        try {
            Files.writeString(ext, "basicConstraints=CA:FALSE\n" + extensions);
            openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", key.toString(),
                    "-out", csr.toString(), "-subj", subject);
            openssl("x509", "-req", "-in", csr.toString(), "-CA", caCert.toString(), "-CAkey", caKey.toString(),
                    "-CAcreateserial", "-days", "2", "-extfile", ext.toString(), "-out", leaf.toString());
            Files.writeString(chain, Files.readString(leaf) + Files.readString(caCert));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        openssl("pkcs12", "-export", "-in", leaf.toString(), "-inkey", key.toString(), "-certfile", caCert.toString(),
                "-name", name, "-out", keystore.toString(), "-passout", "pass:" + STORE_PASSWORD);
        return new Party(subject, chain, key, keystore);
    }

    private void openssl(String... args) {
        List<String> command = new ArrayList<>(List.of("openssl"));
        command.addAll(List.of(args));
        ExternalCommand.ok(ExternalCommand.of(command).name("openssl-" + args[0]).dir(dir).timeout(OPENSSL_PATIENCE).run());
    }

    private static Path createDirectories(Path dir) {
        try {
            return Files.createDirectories(dir);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public String toString() {
        return "test CA in " + dir;
    }
}
