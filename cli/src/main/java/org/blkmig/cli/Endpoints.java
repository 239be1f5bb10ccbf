// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.cli;

import java.net.InetSocketAddress;

/** HOST:PORT parsing; a bare port means 127.0.0.1. */
final class Endpoints {
    private Endpoints() {}

    static InetSocketAddress parse(String spec, boolean bareMeansLoopback) {
        String host;
        String port;
        int colon = spec.lastIndexOf(':');
        if (colon < 0) {
            if (!bareMeansLoopback) {
                throw new UserError("'" + spec + "': expected HOST:PORT");
            }
            host = "127.0.0.1";
            port = spec;
        } else {
            host = spec.substring(0, colon);
            port = spec.substring(colon + 1);
            if (host.startsWith("[") && host.endsWith("]")) {
                host = host.substring(1, host.length() - 1);
            }
            if (host.isEmpty()) {
                host = "127.0.0.1";
            }
        }
        int p;
        try {
            p = Integer.parseInt(port);
        } catch (NumberFormatException e) {
            throw new UserError("'" + spec + "': port '" + port + "' is not a number");
        }
        if (p < 0 || p > 65535) {
            throw new UserError("'" + spec + "': port must be 0..65535");
        }
        InetSocketAddress at = new InetSocketAddress(host, p);
        if (at.isUnresolved()) {
            throw new UserError("'" + spec + "': unknown host '" + host + "'");
        }
        return at;
    }
}
