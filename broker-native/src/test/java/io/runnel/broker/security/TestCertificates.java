package io.runnel.broker.security;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * Test certificates made with the JDK's {@code keytool}: a self-signed broker certificate valid for
 * 127.0.0.1 and localhost, and a self-signed client certificate for mTLS, each trusted by the other
 * side through a PKCS12 trust store. Test only.
 */
public record TestCertificates(Path brokerKeystore, Path brokerTruststore, Path clientKeystore, Path clientTruststore) {
    public static final String PASSWORD = "test-secret";
    public static final String CLIENT_DN = "CN=alice,OU=Clients,O=Runnel Test";

    public static TestCertificates create(Path dir) {
        TestCertificates c = new TestCertificates(dir.resolve("broker.p12"), dir.resolve("broker-trust.p12"), dir.resolve("client.p12"),
                dir.resolve("client-trust.p12"));
        keypair(c.brokerKeystore, "broker", "CN=localhost,O=Runnel Test", "SAN=dns:localhost,ip:127.0.0.1");
        keypair(c.clientKeystore, "client", CLIENT_DN, null);
        trust(c.brokerKeystore, "broker", dir.resolve("broker.crt"), c.clientTruststore);
        trust(c.clientKeystore, "client", dir.resolve("client.crt"), c.brokerTruststore);
        return c;
    }

    /** The broker-side settings of a TLS listener, under {@code listener.name.<listener>.}. */
    public Map<String, String> listenerSettings(String listener, String clientAuth) {
        String p = "listener.name." + listener.toLowerCase() + ".";
        return Map.of(p + "ssl.keystore.location", brokerKeystore.toString(), p + "ssl.keystore.password", PASSWORD,
                p + "ssl.keystore.type", "PKCS12", p + "ssl.truststore.location", brokerTruststore.toString(),
                p + "ssl.truststore.password", PASSWORD, p + "ssl.truststore.type", "PKCS12", p + "ssl.client.auth", clientAuth);
    }

    /** The Java client's settings to trust the broker, and with {@code withCertificate} to present the client certificate. */
    public Map<String, Object> clientSettings(boolean withCertificate) {
        Map<String, Object> m = new java.util.HashMap<>(Map.of("ssl.truststore.location", clientTruststore.toString(),
                "ssl.truststore.password", PASSWORD, "ssl.truststore.type", "PKCS12"));
        if (withCertificate) {
            m.put("ssl.keystore.location", clientKeystore.toString());
            m.put("ssl.keystore.password", PASSWORD);
            m.put("ssl.key.password", PASSWORD);
            m.put("ssl.keystore.type", "PKCS12");
        }
        return m;
    }

    /** A JDK SSL context for raw test sockets: trusts the broker, presents the client certificate if asked. */
    public SSLContext clientContext(boolean withCertificate) throws Exception {
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(load(clientTruststore));
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(load(clientKeystore), PASSWORD.toCharArray());
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(withCertificate ? kmf.getKeyManagers() : null, tmf.getTrustManagers(), null);
        return context;
    }

    private static KeyStore load(Path path) throws Exception {
        KeyStore store = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(path)) {
            store.load(in, PASSWORD.toCharArray());
        }
        return store;
    }

    private static void keypair(Path keystore, String alias, String dn, String extension) {
        List<String> args = new ArrayList<>(List.of("-genkeypair", "-alias", alias, "-keyalg", "EC", "-groupname", "secp256r1",
                "-dname", dn, "-validity", "3", "-keystore", keystore.toString(), "-storetype", "PKCS12",
                "-storepass", PASSWORD, "-keypass", PASSWORD));
        if (extension != null) args.addAll(List.of("-ext", extension));
        keytool(args);
    }

    private static void trust(Path keystore, String alias, Path certificate, Path truststore) {
        keytool(List.of("-exportcert", "-rfc", "-alias", alias, "-keystore", keystore.toString(), "-storepass", PASSWORD,
                "-file", certificate.toString()));
        keytool(List.of("-importcert", "-noprompt", "-alias", alias, "-file", certificate.toString(), "-keystore", truststore.toString(),
                "-storetype", "PKCS12", "-storepass", PASSWORD));
    }

    static void keytool(List<String> args) {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "keytool").toString());
        command.addAll(args);
        try {
            Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
            String output = new String(process.getInputStream().readAllBytes());
            if (!process.waitFor(60, TimeUnit.SECONDS) || process.exitValue() != 0)
                throw new IllegalStateException("keytool " + args.get(0) + " failed: " + output);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
