// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.cli;

import java.io.IOException;
import java.io.Reader;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import javax.naming.InvalidNameException;
import javax.naming.ldap.LdapName;
import javax.naming.ldap.Rdn;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedTrustManager;
import javax.net.ssl.X509TrustManager;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;

/**
 * x509 credentials in QEMU's tls-creds-x509 layout: {@code ca-cert.pem}, and {@code server-cert.pem},
 * {@code server-key.pem} (the receiver) or {@code client-cert.pem}, {@code client-key.pem} (the sender).
 * TLS 1.3 only, and each side must present a certificate signed by the CA.
 */
final class TlsCredentials {
    static final String CA_CERT = "ca-cert.pem";
    static final String SERVER_CERT = "server-cert.pem";
    static final String SERVER_KEY = "server-key.pem";
    static final String CLIENT_CERT = "client-cert.pem";
    static final String CLIENT_KEY = "client-key.pem";
    static final List<String> FILES = List.of(CA_CERT, SERVER_CERT, SERVER_KEY, CLIENT_CERT, CLIENT_KEY);
    static final String PROTOCOL = "TLSv1.3";

    private final SSLContext context;
    private final boolean server;

    private TlsCredentials(SSLContext context, boolean server) {
        this.context = context;
        this.server = server;
    }

    /** The receiver's side; with {@code allowedNames} non-empty, a client's certificate CN must be one of them. */
    static TlsCredentials server(Path dir, Set<String> allowedNames) {
        return load(dir, true, allowedNames);
    }

    /** The sender's side. */
    static TlsCredentials client(Path dir) {
        return load(dir, false, Set.of());
    }

    /** An engine for one connection; the client checks that the receiver's certificate names {@code peer}'s host. */
    SSLEngine engine(InetSocketAddress peer) {
        SSLEngine e = server ? context.createSSLEngine() : context.createSSLEngine(peer.getHostString(), peer.getPort());
        e.setUseClientMode(!server);
        SSLParameters p = e.getSSLParameters();
        p.setProtocols(new String[] {PROTOCOL});
        if (server) {
            p.setNeedClientAuth(true);
        } else {
            p.setEndpointIdentificationAlgorithm("HTTPS"); // the host named in --connect must be in the certificate
        }
        e.setSSLParameters(p);
        return e;
    }

    SSLContext context() {
        return context;
    }

    private static TlsCredentials load(Path dir, boolean server, Set<String> allowedNames) {
        if (!Files.isDirectory(dir)) {
            throw new UserError("--tls-creds " + dir + ": no such directory (blkmig certs --dir " + dir + " makes a test set)");
        }
        String role = server ? "server" : "client";
        try {
            X509Certificate ca = readCertificate(dir.resolve(CA_CERT));
            X509Certificate cert = readCertificate(dir.resolve(role + "-cert.pem"));
            PrivateKey key = readPrivateKey(dir.resolve(role + "-key.pem"));
            KeyStore keys = KeyStore.getInstance("PKCS12");
            keys.load(null, null);
            char[] none = new char[0];
            keys.setKeyEntry(role, key, none, new X509Certificate[] {cert, ca});
            KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            kmf.init(keys, none);
            SSLContext ctx = SSLContext.getInstance(PROTOCOL);
            X509ExtendedTrustManager trust = trustManager(ca);
            ctx.init(kmf.getKeyManagers(), new TrustManager[] {allowedNames.isEmpty() ? trust : new AllowList(trust, allowedNames)},
                    null);
            return new TlsCredentials(ctx, server);
        } catch (NoSuchFileException e) {
            throw new UserError("--tls-creds " + dir + ": no " + Path.of(e.getFile()).getFileName()
                    + " (the layout of QEMU's tls-creds-x509; blkmig certs makes a test set)");
        } catch (IOException e) {
            throw new UserError("--tls-creds " + dir + ": " + UserError.describe(e));
        } catch (GeneralSecurityException e) {
            // a key that does not fit its certificate, say
            throw new UserError("--tls-creds " + dir + ": unusable " + role + " credentials: " + e.getMessage());
        }
    }

    /** The JDK's PKIX checks (chain, validity, key usage) with {@code ca} as the only anchor. */
    static X509ExtendedTrustManager trustManager(X509Certificate ca) throws GeneralSecurityException, IOException {
        KeyStore anchors = KeyStore.getInstance("PKCS12");
        anchors.load(null, null);
        anchors.setCertificateEntry("ca", ca);
        TrustManagerFactory tmf = TrustManagerFactory.getInstance("PKIX");
        tmf.init(anchors);
        for (TrustManager t : tmf.getTrustManagers()) {
            if (t instanceof X509ExtendedTrustManager x) {
                return x;
            }
        }
        throw new GeneralSecurityException("no X509 trust manager");
    }

    static X509Certificate readCertificate(Path file) throws IOException {
        Object o = readPem(file);
        if (!(o instanceof X509CertificateHolder h)) {
            throw new IOException(file + ": not a PEM certificate");
        }
        try {
            return new JcaX509CertificateConverter().getCertificate(h);
        } catch (CertificateException e) {
            throw new IOException(file + ": " + e.getMessage());
        }
    }

    /** PKCS#8 ("PRIVATE KEY") or the traditional "RSA/EC PRIVATE KEY"; encrypted keys are refused (QEMU's need a secret too). */
    static PrivateKey readPrivateKey(Path file) throws IOException {
        Object o = readPem(file);
        JcaPEMKeyConverter convert = new JcaPEMKeyConverter();
        if (o instanceof PEMKeyPair pair) {
            return convert.getKeyPair(pair).getPrivate();
        }
        if (o instanceof PrivateKeyInfo info) {
            return convert.getPrivateKey(info);
        }
        throw new IOException(file + ": not an unencrypted PEM private key");
    }

    private static Object readPem(Path file) throws IOException {
        try (Reader r = Files.newBufferedReader(file); PEMParser p = new PEMParser(r)) {
            return p.readObject();
        } catch (NoSuchFileException e) {
            throw e;
        } catch (IOException | RuntimeException e) {
            // BouncyCastle's parse errors are runtime exceptions with the PEM text's problem in them
            throw new IOException(file + ": not valid PEM (" + e.getMessage() + ")");
        }
    }

    /** Why a TLS connection failed, in one line: the JDK's message without the class names nested in it. */
    static String reason(IOException e) {
        String m = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage().lines().findFirst().orElse("");
        return m.replaceAll("(?:[a-z][a-z0-9_]*\\.)+[A-Z]\\w*(?:Exception|Error): ", "");
    }

    /** The CN of a subject, or the whole RFC 2253 name when it has none. */
    static String commonName(X509Certificate cert) {
        String dn = cert.getSubjectX500Principal().getName();
        try {
            for (Rdn rdn : new LdapName(dn).getRdns()) {
                if (rdn.getType().equalsIgnoreCase("CN")) {
                    return rdn.getValue().toString();
                }
            }
        } catch (InvalidNameException ignored) {
            // fall back to the whole name
        }
        return dn;
    }

    /**
     * QEMU's tls-authz in its simplest form: after the usual checks, the client's CN must be on the list.
     * Checked inside the handshake, so a refused client gets a TLS alert, not a silent close.
     */
    private static final class AllowList extends X509ExtendedTrustManager {
        private final X509ExtendedTrustManager trust;
        private final Set<String> names;

        AllowList(X509ExtendedTrustManager trust, Set<String> names) {
            this.trust = trust;
            this.names = names;
        }

        private void allowed(X509Certificate[] chain) throws CertificateException {
            String cn = commonName(chain[0]);
            if (!names.contains(cn)) {
                throw new CertificateException("client certificate CN '" + cn + "' is not on --tls-allow");
            }
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
            trust.checkClientTrusted(chain, authType, socket);
            allowed(chain);
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine) throws CertificateException {
            trust.checkClientTrusted(chain, authType, engine);
            allowed(chain);
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
            trust.checkClientTrusted(chain, authType);
            allowed(chain);
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
            trust.checkServerTrusted(chain, authType, socket);
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine) throws CertificateException {
            trust.checkServerTrusted(chain, authType, engine);
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
            trust.checkServerTrusted(chain, authType);
        }

        @Override
        public X509Certificate[] getAcceptedIssuers() {
            return trust.getAcceptedIssuers();
        }
    }

    /** For tests and tools: the trust managers alone (a client with no certificate of its own). */
    static X509TrustManager trustOnly(Path dir) throws IOException, GeneralSecurityException {
        return trustManager(readCertificate(dir.resolve(CA_CERT)));
    }

    /** Every file of the layout that exists in {@code dir}. */
    static List<Path> existing(Path dir) {
        List<Path> found = new ArrayList<>();
        for (String f : FILES) {
            if (Files.exists(dir.resolve(f))) {
                found.add(dir.resolve(f));
            }
        }
        return found;
    }
}
