package io.runnel.operator.model;

import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.Date;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.ContentSigner;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * A certificate authority the operator runs (the cluster CA signs broker certificates, the clients
 * CA signs users'): a key and its self-signed certificate, and the certificates it issues. Keys are
 * EC P-256, signatures SHA256withECDSA (BouncyCastle builds the certificates, the JDK makes the
 * keys). Renewing the CA re-signs its certificate with the same key and subject, so a certificate
 * issued before the renewal still verifies against the renewed CA and one issued after it verifies
 * against the old CA certificate: nobody's trust breaks while clients pick up the new one.
 * Immutable; any thread.
 */
public record CertificateAuthority(PrivateKey key, X509Certificate certificate) {
    private static final String KEY_ALGORITHM = "EC";
    private static final String SIGNATURE = "SHA256withECDSA";
    /** Certificates start a little in the past, so that a clock slightly behind the operator's accepts them. */
    static final Duration BACKDATE = Duration.ofMinutes(5);
    private static final SecureRandom RANDOM = new SecureRandom();

    /** A key and a certificate it issued, with the chain up to (and including) the CA. */
    public record Issued(PrivateKey key, X509Certificate certificate, List<X509Certificate> chain) {
    }

    /** A new CA: a fresh key and its self-signed certificate. */
    public static CertificateAuthority create(String commonName, Instant now, Duration validity) {
        KeyPair pair = newKeyPair();
        return new CertificateAuthority(pair.getPrivate(), selfSigned(pair.getPublic(), pair.getPrivate(), commonName, now, validity));
    }

    /** The same key and subject with a new validity period. */
    public CertificateAuthority renewed(Instant now, Duration validity) {
        return new CertificateAuthority(key, selfSigned(certificate.getPublicKey(), key, commonName(certificate), now, validity));
    }

    /**
     * A certificate for {@code commonName} with {@code dnsNames} as subject alternative names
     * (none for a client certificate), good for both TLS server and client authentication.
     */
    public Issued issue(String commonName, Collection<String> dnsNames, Instant now, Duration validity) {
        KeyPair pair = newKeyPair();
        try {
            JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
            X509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(certificate, serial(), Date.from(now.minus(BACKDATE)),
                    Date.from(now.plus(validity)), new X500Name("CN=" + commonName), pair.getPublic())
                    .addExtension(Extension.basicConstraints, true, new BasicConstraints(false))
                    .addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature | KeyUsage.keyAgreement))
                    .addExtension(Extension.extendedKeyUsage, false,
                            new ExtendedKeyUsage(new KeyPurposeId[] {KeyPurposeId.id_kp_serverAuth, KeyPurposeId.id_kp_clientAuth}))
                    .addExtension(Extension.subjectKeyIdentifier, false, ext.createSubjectKeyIdentifier(pair.getPublic()))
                    .addExtension(Extension.authorityKeyIdentifier, false, ext.createAuthorityKeyIdentifier(certificate.getPublicKey()));
            if (!dnsNames.isEmpty()) {
                GeneralName[] names = dnsNames.stream().map(n -> new GeneralName(GeneralName.dNSName, n)).toArray(GeneralName[]::new);
                b.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(names));
            }
            X509Certificate cert = sign(b, key);
            return new Issued(pair.getPrivate(), cert, List.of(cert, certificate));
        } catch (Exception e) {
            throw new IllegalStateException("cannot issue a certificate for " + commonName, e);
        }
    }

    /** Whether {@code cert} carries this CA's signature. */
    public boolean signed(X509Certificate cert) {
        return verifiesWith(cert, certificate.getPublicKey());
    }

    static boolean verifiesWith(X509Certificate cert, PublicKey key) {
        try {
            cert.verify(key);
            return true;
        } catch (GeneralSecurityException e) {
            return false;
        }
    }

    /** Due for renewal: it expires within {@code renewal} of {@code now} (or already has). */
    public static boolean due(X509Certificate cert, Instant now, Duration renewal) {
        return !now.plus(renewal).isBefore(cert.getNotAfter().toInstant());
    }

    /** The DNS subject alternative names of {@code cert}, sorted. */
    public static Set<String> dnsNames(X509Certificate cert) {
        Set<String> names = new TreeSet<>();
        try {
            if (cert.getSubjectAlternativeNames() == null) return names;
            for (List<?> san : cert.getSubjectAlternativeNames())
                if (Integer.valueOf(GeneralName.dNSName).equals(san.get(0))) names.add((String) san.get(1));
        } catch (CertificateParsingException e) {
            throw new IllegalArgumentException(e);
        }
        return names;
    }

    public static String commonName(X509Certificate cert) {
        String dn = cert.getSubjectX500Principal().getName();
        for (String part : dn.split(","))
            if (part.startsWith("CN=")) return part.substring(3);
        throw new IllegalArgumentException("no CN in " + dn);
    }

    /** Reads a CA back from its PEM key and certificate. */
    public static CertificateAuthority parse(String keyPem, String certPem) {
        return new CertificateAuthority(Pem.parsePrivateKey(keyPem, KEY_ALGORITHM), Pem.parseCertificates(certPem).get(0));
    }

    public static PrivateKey parseKey(String keyPem) {
        return Pem.parsePrivateKey(keyPem, KEY_ALGORITHM);
    }

    private static X509Certificate selfSigned(PublicKey publicKey, PrivateKey privateKey, String commonName, Instant now, Duration validity) {
        try {
            JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
            X500Name subject = new X500Name("CN=" + commonName);
            X509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(subject, serial(), Date.from(now.minus(BACKDATE)),
                    Date.from(now.plus(validity)), subject, publicKey)
                    .addExtension(Extension.basicConstraints, true, new BasicConstraints(0))
                    .addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign))
                    .addExtension(Extension.subjectKeyIdentifier, false, ext.createSubjectKeyIdentifier(publicKey));
            return sign(b, privateKey);
        } catch (Exception e) {
            throw new IllegalStateException("cannot make the CA certificate " + commonName, e);
        }
    }

    private static X509Certificate sign(X509v3CertificateBuilder builder, PrivateKey signer) throws Exception {
        ContentSigner contentSigner = new JcaContentSignerBuilder(SIGNATURE).build(signer);
        return new JcaX509CertificateConverter().getCertificate(builder.build(contentSigner));
    }

    private static BigInteger serial() {
        return new BigInteger(127, RANDOM).add(BigInteger.ONE);
    }

    private static KeyPair newKeyPair() {
        try {
            KeyPairGenerator g = KeyPairGenerator.getInstance(KEY_ALGORITHM);
            g.initialize(new ECGenParameterSpec("secp256r1"), RANDOM);
            return g.generateKeyPair();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }
}
