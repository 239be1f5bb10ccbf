// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.cli;

import java.io.IOException;
import java.io.StringWriter;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.X500NameBuilder;
import org.bouncycastle.asn1.x500.style.BCStyle;
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
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.openssl.jcajce.JcaPKCS8Generator;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "certs", mixinStandardHelpOptions = true,
        description = {"Makes a test CA and a server and a client certificate for send/receive --tls-creds, in QEMU's",
            "tls-creds-x509 layout: ca-cert.pem, server-cert.pem, server-key.pem, client-cert.pem, client-key.pem.",
            "ECDSA P-256 keys, unencrypted, readable by the owner only. The CA's key is not kept: to add a",
            "certificate, make a new set. For tests and trials; a real deployment has its own CA."})
final class CertsCommand implements Callable<Integer> {
    @Option(names = "--dir", paramLabel = "DIR", required = true, description = "Where to write the files (created if missing).")
    Path dir;

    @Option(names = "--host", paramLabel = "NAME", split = ",",
            description = "A host name or address the receiver is reached by (repeatable); localhost, 127.0.0.1 and ::1 are always in.")
    List<String> hosts = new ArrayList<>();

    @Option(names = "--client-name", paramLabel = "CN", defaultValue = "blkmig-client",
            description = "The client certificate's CN, for receive --tls-allow (default ${DEFAULT-VALUE}).")
    String clientName;

    @Option(names = "--days", paramLabel = "N", defaultValue = "365", description = "Validity in days (default ${DEFAULT-VALUE}).")
    int days;

    @Option(names = "--force", description = "Overwrite existing files.")
    boolean force;

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws IOException {
        if (days < 1) {
            throw new UserError("--days must be >= 1");
        }
        List<Path> existing = TlsCredentials.existing(dir);
        if (!existing.isEmpty() && !force) {
            throw new UserError(existing.get(0) + " exists (give --force to overwrite)");
        }
        Set<String> names = new LinkedHashSet<>(List.of("localhost", "127.0.0.1", "::1"));
        names.addAll(hosts);
        try {
            Files.createDirectories(dir);
            Instant now = Instant.now();
            // a little in the past: a peer whose clock is slightly behind still accepts the certificates
            Date from = Date.from(now.minus(Duration.ofHours(1)));
            Date until = Date.from(now.plus(Duration.ofDays(days)));
            KeyPair caKey = newKey();
            X500Name caName = name("blkmig test CA");
            X509Certificate ca = sign(caName, caKey, caName, caKey, from, until, b -> {
                b.addExtension(Extension.basicConstraints, true, new BasicConstraints(0));
                b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
            });
            KeyPair serverKey = newKey();
            X509Certificate server = sign(name(hosts.isEmpty() ? "localhost" : hosts.get(0)), serverKey, caName, caKey, from, until, b -> {
                b.addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(KeyPurposeId.id_kp_serverAuth));
                b.addExtension(Extension.subjectAlternativeName, false, altNames(names));
            });
            KeyPair clientKey = newKey();
            X509Certificate client = sign(name(clientName), clientKey, caName, caKey, from, until, b ->
                    b.addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(KeyPurposeId.id_kp_clientAuth)));
            write(TlsCredentials.CA_CERT, pem(ca), false);
            write(TlsCredentials.SERVER_CERT, pem(server), false);
            write(TlsCredentials.SERVER_KEY, pem(new JcaPKCS8Generator(serverKey.getPrivate(), null)), true);
            write(TlsCredentials.CLIENT_CERT, pem(client), false);
            write(TlsCredentials.CLIENT_KEY, pem(new JcaPKCS8Generator(clientKey.getPrivate(), null)), true);
        } catch (GeneralSecurityException | OperatorCreationException e) {
            throw new IllegalStateException(e); // the JDK always has EC P-256 and SHA256withECDSA
        }
        spec.commandLine().getOut().printf("certs: %s: CA 'blkmig test CA', server %s, client CN %s, valid %d days%n", dir,
                names, clientName, days);
        return Main.OK;
    }

    private interface Extensions {
        void add(X509v3CertificateBuilder b) throws IOException, GeneralSecurityException;
    }

    private static X509Certificate sign(X500Name subject, KeyPair key, X500Name issuer, KeyPair issuerKey, Date from, Date until,
            Extensions extensions) throws IOException, GeneralSecurityException, OperatorCreationException {
        BigInteger serial = new BigInteger(64, new SecureRandom());
        X509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(issuer, serial, from, until, subject, key.getPublic());
        JcaX509ExtensionUtils utils = new JcaX509ExtensionUtils();
        b.addExtension(Extension.subjectKeyIdentifier, false, utils.createSubjectKeyIdentifier(key.getPublic()));
        b.addExtension(Extension.authorityKeyIdentifier, false, utils.createAuthorityKeyIdentifier(issuerKey.getPublic()));
        if (key != issuerKey) {
            b.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
            b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature));
        }
        extensions.add(b);
        return new JcaX509CertificateConverter().getCertificate(
                b.build(new JcaContentSignerBuilder("SHA256withECDSA").build(issuerKey.getPrivate())));
    }

    private static KeyPair newKey() throws GeneralSecurityException {
        KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
        g.initialize(new ECGenParameterSpec("secp256r1"));
        return g.generateKeyPair();
    }

    private static X500Name name(String cn) {
        return new X500NameBuilder(BCStyle.INSTANCE).addRDN(BCStyle.O, "blkmig").addRDN(BCStyle.CN, cn).build();
    }

    private static GeneralNames altNames(Set<String> names) {
        List<GeneralName> alt = new ArrayList<>();
        for (String n : names) {
            // an address literal is an IP name, anything else a DNS name (no lookup: the name may not resolve here)
            boolean ip = n.matches("[0-9.]+") || n.contains(":");
            alt.add(new GeneralName(ip ? GeneralName.iPAddress : GeneralName.dNSName, n));
        }
        return new GeneralNames(alt.toArray(GeneralName[]::new));
    }

    private static String pem(Object o) throws IOException {
        StringWriter s = new StringWriter();
        try (JcaPEMWriter w = new JcaPEMWriter(s)) {
            w.writeObject(o instanceof JcaPKCS8Generator g ? g.generate() : o);
        }
        return s.toString();
    }

    private void write(String file, String text, boolean secret) throws IOException {
        Path p = dir.resolve(file);
        Path tmp = Files.createTempFile(dir, file, ".tmp");
        try {
            try {
                Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString(secret ? "rw-------" : "rw-r--r--"));
            } catch (UnsupportedOperationException ignored) {
                // not a POSIX file system: the directory's own protection is all there is
            }
            Files.writeString(tmp, text);
            Files.move(tmp, p, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

}
