#!/usr/bin/env python3
"""Recording BGP-4 speaker (RFC 4271) for capturing test vectors.

Connects to a BGP daemon, speaks just enough BGP to reach Established (OPEN with
MP IPv4/IPv6 unicast, route refresh, enhanced route refresh, 4-octet AS and
graceful restart; KEEPALIVEs), never announces anything, and saves the raw
bytes of the messages the daemon sends, one classified file each:

  open.hex keepalive.hex update-ipv4.hex update-ipv6.hex eor-ipv4.hex
  eor-ipv6.hex notification.hex

It writes OUT/ready once both End-of-RIB markers (or --ready-after seconds) have
arrived, and exits on the daemon's NOTIFICATION, on EOF, or at --deadline.
"""
import argparse
import os
import select
import socket
import struct
import sys
import time

MARKER = b"\xff" * 16


def msg(kind, body=b""):
    return MARKER + struct.pack("!HB", 19 + len(body), kind) + body


def cap(code, value=b""):
    return struct.pack("!BB", code, len(value)) + value


def build_open(asn, hold, router_id):
    caps = cap(1, struct.pack("!HBB", 1, 0, 1))
    caps += cap(1, struct.pack("!HBB", 2, 0, 1))
    caps += cap(2)
    caps += cap(70)
    caps += cap(65, struct.pack("!I", asn))
    caps += cap(64, struct.pack("!H", 120) + struct.pack("!HBB", 1, 1, 0) + struct.pack("!HBB", 2, 1, 0))
    params = struct.pack("!BB", 2, len(caps)) + caps
    body = struct.pack("!BHH", 4, asn if asn <= 0xFFFF else 23456, hold) + socket.inet_aton(router_id)
    return msg(1, body + struct.pack("!B", len(params)) + params)


def attribute_codes(body):
    """(withdrawn length, [(type, value)], nlri bytes) of an UPDATE body."""
    wl = struct.unpack("!H", body[:2])[0]
    al = struct.unpack("!H", body[2 + wl:4 + wl])[0]
    attrs = body[4 + wl:4 + wl + al]
    out = []
    i = 0
    while i < len(attrs):
        flags, code = attrs[i], attrs[i + 1]
        if flags & 0x10:
            ln = struct.unpack("!H", attrs[i + 2:i + 4])[0]
            out.append((code, attrs[i + 4:i + 4 + ln]))
            i += 4 + ln
        else:
            ln = attrs[i + 2]
            out.append((code, attrs[i + 3:i + 3 + ln]))
            i += 3 + ln
    return wl, out, body[4 + wl + al:]


def classify(kind, body):
    if kind == 1:
        return "open"
    if kind == 3:
        return "notification"
    if kind == 4:
        return "keepalive"
    if kind == 5:
        return "route-refresh"
    wl, attrs, nlri = attribute_codes(body)
    codes = [c for c, _ in attrs]
    if wl == 0 and not attrs and not nlri:
        return "eor-ipv4"
    if codes == [15] and len(attrs[0][1]) == 3:
        return "eor-ipv6" if attrs[0][1][:2] == b"\x00\x02" else "eor-other"
    if 14 in codes:
        value = dict(attrs)[14]
        return "update-ipv6" if value[:2] == b"\x00\x02" else "update-mp-ipv4"
    if nlri:
        return "update-ipv4"
    return "update-withdraw"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--peer", required=True)
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--local", required=True)
    ap.add_argument("--local-as", type=int, default=65001)
    ap.add_argument("--out", required=True)
    ap.add_argument("--deadline", type=float, default=40)
    ap.add_argument("--ready-after", type=float, default=8)
    a = ap.parse_args()

    end = time.time() + a.deadline
    sock = None
    while time.time() < end:
        try:
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sock.bind((a.local, 0))
            sock.settimeout(3)
            sock.connect((a.peer, a.port))
            break
        except OSError as e:
            print("connect:", e, flush=True)
            sock.close()
            sock = None
            time.sleep(1)
    if sock is None:
        print("could not connect", file=sys.stderr)
        return 1
    sock.settimeout(None)
    sock.sendall(build_open(a.local_as, 90, a.local))
    buf = b""
    saved = {}
    established_at = None
    last_keepalive = time.time()
    try:
        while time.time() < end:
            r, _, _ = select.select([sock], [], [], 0.5)
            if r:
                data = sock.recv(65535)
                if not data:
                    print("EOF", flush=True)
                    break
                buf += data
            while len(buf) >= 19:
                length, kind = struct.unpack("!HB", buf[16:19])
                if len(buf) < length:
                    break
                raw, buf = buf[:length], buf[length:]
                name = classify(kind, raw[19:])
                print("received", name, len(raw), flush=True)
                if name not in saved:
                    saved[name] = raw
                    with open(os.path.join(a.out, name + ".hex"), "w") as f:
                        f.write(raw.hex() + "\n")
                if kind == 1:
                    sock.sendall(msg(4))
                elif kind == 4 and established_at is None:
                    established_at = time.time()
                elif kind == 3:
                    return 0
            if established_at and time.time() - last_keepalive > 20:
                sock.sendall(msg(4))
                last_keepalive = time.time()
            both_eor = "eor-ipv4" in saved and "eor-ipv6" in saved
            if established_at and (both_eor or time.time() - established_at > a.ready_after):
                ready = os.path.join(a.out, "ready")
                if not os.path.exists(ready):
                    open(ready, "w").close()
    finally:
        sock.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
