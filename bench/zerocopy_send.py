#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The receiver's ceiling: a sender that writes blkmig's framing with zero-copy sendfile for the data.
   zerocopy_send.py PORT IMAGE   (one device "drive0", 1 MiB chunks, the image a multiple of 1 MiB)
   With ./blkmig receive --listen PORT on the other side, it shows what blkmig would reach with a zero-copy sender."""
import os, socket, struct, sys
port, path = int(sys.argv[1]), sys.argv[2]
size = os.path.getsize(path); chunk = 1 << 20
s = socket.create_connection(("127.0.0.1", port)); fd = os.open(path, os.O_RDONLY)
name = b"drive0"; sid = 0
hdr = struct.pack(">II", 0x5145564d, 3) + b"\x07" + struct.pack(">I", 13) + b"pc-i440fx-7.2"
hdr += b"\x01" + struct.pack(">I", sid) + b"\x05block" + struct.pack(">II", 0, 1) + struct.pack(">Q", 2) + b"\x7e" + struct.pack(">I", sid)
hdr += b"\x02" + struct.pack(">I", sid)
s.sendall(hdr)
for c in range(size // chunk):
    s.sendall(struct.pack(">Q", ((c * 2048) << 9) | 1) + bytes([len(name)]) + name)
    off = c * chunk; left = chunk
    while left:
        n = os.sendfile(s.fileno(), fd, off, left); off += n; left -= n
s.sendall(struct.pack(">Q", 2) + b"\x7e" + struct.pack(">I", sid) + b"\x03" + struct.pack(">I", sid) + struct.pack(">QQ", (100 << 9) | 4, 2) + b"\x7e" + struct.pack(">I", sid) + b"\x00")
s.close()
