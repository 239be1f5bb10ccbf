// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.cert.CertPathValidator;
import java.security.cert.CertPathValidatorException;
import java.security.cert.CertificateFactory;
import java.security.cert.PKIXParameters;
import java.security.cert.TrustAnchor;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** blkmig certs: QEMU's layout, a chain that verifies, keys that fit, and no overwriting without --force. */
class CertsCommandTest {
    @TempDir
    Path dir;

    static void validates(X509Certificate ca, X509Certificate cert) throws Exception {
        PKIXParameters p = new PKIXParameters(Set.of(new TrustAnchor(ca, null)));
        p.setRevocationEnabled(false);
        CertPathValidator.getInstance("PKIX").validate(CertificateFactory.getInstance("X.509").generateCertPath(List.of(cert)), p);
    }

    static void keyFits(PrivateKey key, X509Certificate cert) throws Exception {
        byte[] data = "blkmig".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        Signature s = Signature.getInstance("SHA256withECDSA");
        s.initSign(key);
        s.update(data);
        byte[] sig = s.sign();
        s.initVerify(cert.getPublicKey());
        s.update(data);
        assertTrue(s.verify(sig), cert.getSubjectX500Principal() + ": its key");
    }

    static List<String> altNames(X509Certificate c) throws Exception {
        List<String> names = new ArrayList<>();
        for (List<?> n : c.getSubjectAlternativeNames()) {
            names.add(n.get(1).toString());
        }
        return names;
    }

    @Test
    void makesTheLayoutWhoseChainVerifiesAndRefusesToOverwriteWithoutForce() throws Exception {
        Path d = dir.resolve("creds");
        Cli c = Cli.run("certs", "--dir", d.toString(), "--host", "dst.example,192.0.2.7", "--client-name", "laptop");
        assertEquals(0, c.exit(), c.err());
        for (String f : TlsCredentials.FILES) {
            assertTrue(Files.isRegularFile(d.resolve(f)), f);
        }
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(d.resolve(TlsCredentials.SERVER_KEY))));
        X509Certificate ca = TlsCredentials.readCertificate(d.resolve(TlsCredentials.CA_CERT));
        X509Certificate server = TlsCredentials.readCertificate(d.resolve(TlsCredentials.SERVER_CERT));
        X509Certificate client = TlsCredentials.readCertificate(d.resolve(TlsCredentials.CLIENT_CERT));
        assertTrue(ca.getBasicConstraints() >= 0, "the CA is a CA");
        validates(ca, server);
        validates(ca, client);
        keyFits(TlsCredentials.readPrivateKey(d.resolve(TlsCredentials.SERVER_KEY)), server);
        keyFits(TlsCredentials.readPrivateKey(d.resolve(TlsCredentials.CLIENT_KEY)), client);
        assertEquals(List.of("1.3.6.1.5.5.7.3.1"), server.getExtendedKeyUsage(), "server: serverAuth only");
        assertEquals(List.of("1.3.6.1.5.5.7.3.2"), client.getExtendedKeyUsage(), "client: clientAuth only");
        assertEquals(-1, server.getBasicConstraints(), "not a CA");
        assertTrue(altNames(server).containsAll(List.of("localhost", "127.0.0.1", "dst.example", "192.0.2.7")), altNames(server).toString());
        assertEquals("dst.example", TlsCredentials.commonName(server));
        assertEquals("laptop", TlsCredentials.commonName(client));

        Map<String, byte[]> before = new HashMap<>();
        for (String f : TlsCredentials.FILES) {
            before.put(f, Files.readAllBytes(d.resolve(f)));
        }
        Cli again = Cli.run("certs", "--dir", d.toString());
        assertEquals(2, again.exit());
        assertTrue(again.oneLineError() && again.err().contains("exists (give --force to overwrite)"), again.err());
        for (String f : TlsCredentials.FILES) {
            assertArrayEquals(before.get(f), Files.readAllBytes(d.resolve(f)), f + " untouched");
        }

        assertEquals(0, Cli.run("certs", "--dir", d.toString(), "--force").exit());
        X509Certificate newCa = TlsCredentials.readCertificate(d.resolve(TlsCredentials.CA_CERT));
        assertFalse(newCa.equals(ca), "a new CA");
        // the old CA does not vouch for the new set
        assertThrows(CertPathValidatorException.class,
                () -> validates(ca, TlsCredentials.readCertificate(d.resolve(TlsCredentials.CLIENT_CERT))));
        assertTrue(Files.list(d).noneMatch(p -> p.toString().endsWith(".tmp")), "no temporary file left");
    }
}
