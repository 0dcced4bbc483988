#!/usr/bin/env python3
"""Seeds for fuzz_sni: a TLS 1.3 ClientHello with a server name (one record
and split over two), and an HTTP/1.1 request with a Host header."""
import os
import struct
import sys


def ext(kind, body):
    return struct.pack(">HH", kind, len(body)) + body


def hello(name):
    sni = struct.pack(">BH", 0, len(name)) + name
    exts = ext(0, struct.pack(">H", len(sni)) + sni) + ext(43, b"\x02\x03\x04")
    body = b"\x03\x03" + b"\xab" * 32 + b"\x20" + b"\xcd" * 32 + b"\x00\x04\x13\x01\x13\x02" + b"\x01\x00"
    body += struct.pack(">H", len(exts)) + exts
    return b"\x01" + struct.pack(">I", len(body))[1:] + body


def record(hs):
    return b"\x16\x03\x01" + struct.pack(">H", len(hs)) + hs


out = sys.argv[1]
hs = hello(b"seed.example.com")
seeds = {
    "seed-hello": record(hs),
    "seed-hello-split": record(hs[:20]) + record(hs[20:]),
    "seed-http": b"GET / HTTP/1.1\r\nUser-Agent: seed\r\nHost: seed.example.com:80\r\n\r\n",
}
for name, data in seeds.items():
    with open(os.path.join(out, name), "wb") as f:
        f.write(data)
