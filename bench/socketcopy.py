#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The machine's limit for the data path: a plain socket copy of a file into a file, with fsync.
   socketcopy.py recv PORT OUT   -> prints the seconds from accept to fsync done
   socketcopy.py send PORT IN"""
import os, socket, sys, time

mode, port, path = sys.argv[1], int(sys.argv[2]), sys.argv[3]
if mode == "recv":
    srv = socket.socket()
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("127.0.0.1", port))
    srv.listen(1)
    print("listening", flush=True)
    conn, _ = srv.accept()
    t0 = time.monotonic()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    buf = bytearray(4 << 20)
    view = memoryview(buf)
    while True:
        n = conn.recv_into(buf)
        if n == 0:
            break
        os.write(fd, view[:n])
    os.fsync(fd)
    os.close(fd)
    print("%.3f" % (time.monotonic() - t0))
else:
    s = socket.create_connection(("127.0.0.1", port))
    with open(path, "rb") as f:
        s.sendfile(f)
    s.close()
