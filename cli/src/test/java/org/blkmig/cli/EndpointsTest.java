// SPDX-License-Identifier: GPL-2.0-or-later
package org.blkmig.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetSocketAddress;
import org.junit.jupiter.api.Test;

class EndpointsTest {
    @Test
    void aBarePortListensOnLoopbackOnly() {
        InetSocketAddress a = Endpoints.parse("7000", true);
        assertEquals("127.0.0.1", a.getAddress().getHostAddress());
        assertEquals(7000, a.getPort());
        assertEquals("127.0.0.1", Endpoints.parse(":7001", false).getAddress().getHostAddress());
        assertTrue(Endpoints.parse("[::1]:7002", false).getAddress().isLoopbackAddress());
    }

    @Test
    void badEndpointsAreUserErrorsNamingTheProblem() {
        assertEquals("'7000': expected HOST:PORT", assertThrows(UserError.class, () -> Endpoints.parse("7000", false)).getMessage());
        assertTrue(assertThrows(UserError.class, () -> Endpoints.parse("127.0.0.1:x", false)).getMessage()
                .contains("port 'x' is not a number"));
        assertTrue(assertThrows(UserError.class, () -> Endpoints.parse("127.0.0.1:70000", false)).getMessage()
                .contains("port must be 0..65535"));
        // .invalid never resolves (RFC 6761); before, the connect failed later with the message "null"
        assertEquals("'no-such-host.invalid:1': unknown host 'no-such-host.invalid'",
                assertThrows(UserError.class, () -> Endpoints.parse("no-such-host.invalid:1", false)).getMessage());
    }
}
