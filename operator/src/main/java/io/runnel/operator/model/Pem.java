package io.runnel.operator.model;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * PEM and PKCS12 encodings of keys and certificates, as the brokers and Kafka clients read them:
 * keys as unencrypted PKCS#8 ({@code PRIVATE KEY}), certificates as {@code CERTIFICATE} blocks.
 * Pure; any thread.
 */
public final class Pem {
    private static final Pattern BLOCK = Pattern.compile("-----BEGIN ([A-Z ]+)-----([A-Za-z0-9+/=\\s]+)-----END \\1-----");

    private Pem() {
    }

    public static String certificate(X509Certificate cert) {
        try {
            return block("CERTIFICATE", cert.getEncoded());
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    public static String certificates(List<X509Certificate> certs) {
        StringBuilder sb = new StringBuilder();
        certs.forEach(c -> sb.append(certificate(c)));
        return sb.toString();
    }

    public static String privateKey(PrivateKey key) {
        if (!"PKCS#8".equals(key.getFormat())) throw new IllegalArgumentException("key is " + key.getFormat() + ", not PKCS#8");
        return block("PRIVATE KEY", key.getEncoded());
    }

    private static String block(String type, byte[] der) {
        String body = Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(der);
        return "-----BEGIN " + type + "-----\n" + body + "\n-----END " + type + "-----\n";
    }

    /** Every CERTIFICATE block of {@code pem}, in order. */
    public static List<X509Certificate> parseCertificates(String pem) {
        List<X509Certificate> certs = new ArrayList<>();
        try {
            CertificateFactory factory = CertificateFactory.getInstance("X.509");
            for (byte[] der : blocks(pem, "CERTIFICATE"))
                certs.add((X509Certificate) factory.generateCertificate(new ByteArrayInputStream(der)));
        } catch (GeneralSecurityException e) {
            throw new IllegalArgumentException("not a PEM certificate: " + e.getMessage(), e);
        }
        return certs;
    }

    /** The first PRIVATE KEY block of {@code pem}, for the algorithm of the key it pairs with. */
    public static PrivateKey parsePrivateKey(String pem, String algorithm) {
        List<byte[]> keys = blocks(pem, "PRIVATE KEY");
        if (keys.isEmpty()) throw new IllegalArgumentException("no PRIVATE KEY block");
        try {
            return KeyFactory.getInstance(algorithm).generatePrivate(new PKCS8EncodedKeySpec(keys.get(0)));
        } catch (GeneralSecurityException e) {
            throw new IllegalArgumentException("not a PKCS#8 " + algorithm + " key: " + e.getMessage(), e);
        }
    }

    private static List<byte[]> blocks(String pem, String type) {
        List<byte[]> out = new ArrayList<>();
        Matcher m = BLOCK.matcher(pem);
        while (m.find())
            if (m.group(1).equals(type)) out.add(Base64.getMimeDecoder().decode(m.group(2)));
        return out;
    }

    /** A PKCS12 key store holding one key with its chain under {@code alias}. */
    public static byte[] pkcs12(String alias, PrivateKey key, List<X509Certificate> chain, char[] password) {
        try {
            KeyStore store = KeyStore.getInstance("PKCS12");
            store.load(null, null);
            store.setKeyEntry(alias, key, password, chain.toArray(new Certificate[0]));
            return save(store, password);
        } catch (Exception e) {
            throw new IllegalStateException("cannot build a PKCS12 key store", e);
        }
    }

    /** A PKCS12 trust store holding {@code trusted}, as Kafka clients' ssl.truststore.type=PKCS12 reads it. */
    public static byte[] pkcs12Trust(List<X509Certificate> trusted, char[] password) {
        try {
            KeyStore store = KeyStore.getInstance("PKCS12");
            store.load(null, null);
            for (int i = 0; i < trusted.size(); i++) store.setCertificateEntry("ca-" + i, trusted.get(i));
            return save(store, password);
        } catch (Exception e) {
            throw new IllegalStateException("cannot build a PKCS12 trust store", e);
        }
    }

    private static byte[] save(KeyStore store, char[] password) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        store.store(out, password);
        return out.toByteArray();
    }
}
