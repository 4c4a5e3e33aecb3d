package io.runnel.broker.security;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A test certificate authority and one node certificate it signed, made with the JDK's
 * {@code keytool}: the certificate is valid for 127.0.0.1 and localhost, for both server and
 * client authentication, so that every node of a test cluster can use the same keystore as its
 * listeners' certificate and as its client certificate to the others (mTLS), and the same trust
 * store (the CA alone) to check its peers. Test only.
 *
 * @param keystore   PKCS12: the node's key and its chain (node certificate, CA)
 * @param truststore PKCS12: the CA certificate
 */
public record NodeCertificates(Path keystore, Path truststore) {
    public static final String PASSWORD = TestCertificates.PASSWORD;

    /** A new CA in {@code dir} and a node certificate with subject {@code nodeDn} signed by it. */
    public static NodeCertificates create(Path dir, String nodeDn) {
        Path ca = dir.resolve("ca.p12");
        Path caCert = dir.resolve("ca.crt");
        NodeCertificates c = new NodeCertificates(dir.resolve("node.p12"), dir.resolve("truststore.p12"));
        TestCertificates.keytool(List.of("-genkeypair", "-alias", "ca", "-keyalg", "EC", "-groupname", "secp256r1", "-dname", "CN=Runnel Test CA",
                "-ext", "bc:c", "-validity", "3", "-keystore", ca.toString(), "-storetype", "PKCS12", "-storepass", PASSWORD, "-keypass", PASSWORD));
        TestCertificates.keytool(List.of("-exportcert", "-rfc", "-alias", "ca", "-keystore", ca.toString(), "-storepass", PASSWORD,
                "-file", caCert.toString()));
        TestCertificates.keytool(List.of("-importcert", "-noprompt", "-alias", "ca", "-file", caCert.toString(), "-keystore", c.truststore.toString(),
                "-storetype", "PKCS12", "-storepass", PASSWORD));

        Path csr = dir.resolve("node.csr");
        Path signed = dir.resolve("node.crt");
        TestCertificates.keytool(List.of("-genkeypair", "-alias", "node", "-keyalg", "EC", "-groupname", "secp256r1", "-dname", nodeDn,
                "-validity", "3", "-keystore", c.keystore.toString(), "-storetype", "PKCS12", "-storepass", PASSWORD, "-keypass", PASSWORD));
        TestCertificates.keytool(List.of("-certreq", "-alias", "node", "-keystore", c.keystore.toString(), "-storepass", PASSWORD,
                "-file", csr.toString()));
        TestCertificates.keytool(List.of("-gencert", "-rfc", "-alias", "ca", "-keystore", ca.toString(), "-storepass", PASSWORD,
                "-infile", csr.toString(), "-outfile", signed.toString(), "-validity", "3",
                "-ext", "SAN=dns:localhost,ip:127.0.0.1", "-ext", "EKU=serverAuth,clientAuth"));
        TestCertificates.keytool(List.of("-importcert", "-noprompt", "-alias", "ca", "-file", caCert.toString(), "-keystore", c.keystore.toString(),
                "-storepass", PASSWORD));
        TestCertificates.keytool(List.of("-importcert", "-alias", "node", "-file", signed.toString(), "-keystore", c.keystore.toString(),
                "-storepass", PASSWORD));
        return c;
    }

    /** The node's TLS settings, broker-wide (Kafka's keys, without the {@code runnel.} prefix). */
    public Map<String, String> brokerSettings() {
        return Map.of("ssl.keystore.location", keystore.toString(), "ssl.keystore.password", PASSWORD, "ssl.key.password", PASSWORD,
                "ssl.keystore.type", "PKCS12", "ssl.truststore.location", truststore.toString(), "ssl.truststore.password", PASSWORD,
                "ssl.truststore.type", "PKCS12");
    }

    /** A Java client's settings to trust the nodes and, with {@code withCertificate}, to present the node certificate (mTLS). */
    public Map<String, Object> clientSettings(boolean withCertificate) {
        Map<String, Object> m = new HashMap<>(Map.of("ssl.truststore.location", truststore.toString(), "ssl.truststore.password", PASSWORD,
                "ssl.truststore.type", "PKCS12"));
        if (withCertificate) {
            m.put("ssl.keystore.location", keystore.toString());
            m.put("ssl.keystore.password", PASSWORD);
            m.put("ssl.key.password", PASSWORD);
            m.put("ssl.keystore.type", "PKCS12");
        }
        return m;
    }
}
