#!/usr/bin/env python3
"""A misbehaving BGP neighbour: for each case it accepts one connection from anycastd, sends the
case's malformed bytes (before or after reaching Established) and records what anycastd answered.

Raw sockets only, no BGP library: every byte is written here. One JSON line per case on stdout:
  {"case": NAME, "result": "notification", "code": C, "subcode": S, "data": HEX, "after": SECONDS}
  {"case": NAME, "result": "alive", "keepalives": N}      the session stayed up (RFC 7606 handling)
  {"case": NAME, "result": "closed"}                       the connection closed without NOTIFICATION
  {"case": NAME, "result": "timeout"}                      nothing happened in time
  {"case": NAME, "result": "no-connection"}                anycastd did not connect in time

Usage: rogue_peer.py --listen ADDR --port PORT --asn ASN [--accept-timeout S]
"""

import argparse
import json
import socket
import struct
import sys
import time

MARKER = b"\xff" * 16
OPEN, UPDATE, NOTIFICATION, KEEPALIVE = 1, 2, 3, 4


def message(kind, body=b"", length=None):
    """A BGP message (RFC 4271 §4.1); `length` overrides the header's length field."""
    if length is None:
        length = 19 + len(body)
    return MARKER + struct.pack("!HB", length, kind) + body


def open_message(asn, hold=3, router_id="198.18.0.9", version=4, four_octet=None):
    """An OPEN (RFC 4271 §4.2) with MP IPv4 and IPv6 unicast and the 4-octet AS capability."""
    caps = b""
    for afi in (1, 2):
        caps += bytes([1, 4]) + struct.pack("!HBB", afi, 0, 1)
    caps += bytes([65, 4]) + struct.pack("!I", asn if four_octet is None else four_octet)
    params = bytes([2, len(caps)]) + caps
    my_as = asn if asn < 65536 else 23456
    body = struct.pack("!BHH", version, my_as, hold) + socket.inet_aton(router_id)
    body += bytes([len(params)]) + params
    return message(OPEN, body)


def attribute(flags, code, value):
    """One path attribute (RFC 4271 §4.3); extended length when the value needs it."""
    if len(value) > 255:
        return struct.pack("!BBH", flags | 0x10, code, len(value)) + value
    return struct.pack("!BBB", flags, code, len(value)) + value


def update(attributes, nlri=b"", withdrawn=b""):
    body = struct.pack("!H", len(withdrawn)) + withdrawn
    body += struct.pack("!H", len(attributes)) + attributes + nlri
    return message(UPDATE, body)


def as_path(asn, segment_type=2):
    return attribute(0x40, 2, bytes([segment_type, 1]) + struct.pack("!I", asn))


ORIGIN_IGP = attribute(0x40, 1, b"\x00")
NEXT_HOP = attribute(0x40, 3, socket.inet_aton("198.18.0.9"))
NLRI = bytes([24, 203, 0, 113])  # 203.0.113.0/24


def good_update(asn):
    return update(ORIGIN_IGP + as_path(asn) + NEXT_HOP, NLRI)


class Peer:
    """One accepted connection with a receive buffer."""

    def __init__(self, conn):
        self.conn = conn
        self.buf = b""
        self.keepalives = 0

    def send(self, data):
        self.conn.sendall(data)

    def next_message(self, deadline):
        """The next (type, body), None at EOF, or "timeout"."""
        while True:
            if len(self.buf) >= 19:
                (length,) = struct.unpack("!H", self.buf[16:18])
                if length < 19:
                    raise ValueError("anycastd sent a bad length %d" % length)
                if len(self.buf) >= length:
                    kind = self.buf[18]
                    body = self.buf[19:length]
                    self.buf = self.buf[length:]
                    if kind == KEEPALIVE:
                        self.keepalives += 1
                    return kind, body
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return "timeout"
            self.conn.settimeout(remaining)
            try:
                chunk = self.conn.recv(65536)
            except socket.timeout:
                return "timeout"
            except ConnectionResetError:
                return None
            if not chunk:
                return None
            self.buf += chunk

    def wait_for(self, kind, seconds):
        """Reads until a message of `kind`; returns it, or the NOTIFICATION / EOF / timeout met first."""
        deadline = time.monotonic() + seconds
        while True:
            got = self.next_message(deadline)
            if got is None or got == "timeout":
                return got
            if got[0] == kind or got[0] == NOTIFICATION:
                return got


def outcome(peer, seconds, started):
    """What anycastd does within `seconds`: a NOTIFICATION, a close, or nothing."""
    deadline = time.monotonic() + seconds
    while True:
        got = peer.next_message(deadline)
        if got is None:
            return {"result": "closed"}
        if got == "timeout":
            return {"result": "timeout"}
        kind, body = got
        if kind == NOTIFICATION:
            return {
                "result": "notification",
                "code": body[0] if len(body) > 0 else None,
                "subcode": body[1] if len(body) > 1 else None,
                "data": body[2:].hex(),
                "after": round(time.monotonic() - started, 3),
            }


def stays_up(peer, seconds):
    """The session survives `seconds` (anycastd keeps sending KEEPALIVEs, no NOTIFICATION)."""
    before = peer.keepalives
    deadline = time.monotonic() + seconds
    while True:
        got = peer.next_message(deadline)
        if got is None:
            return {"result": "closed"}
        if got == "timeout":
            break
        if got[0] == NOTIFICATION:
            body = got[1]
            return {
                "result": "notification",
                "code": body[0] if len(body) > 0 else None,
                "subcode": body[1] if len(body) > 1 else None,
                "data": body[2:].hex(),
            }
    # Alive means anycastd kept talking: KEEPALIVEs (every hold/3 = 1 s) still arrive.
    if peer.keepalives == before:
        return {"result": "silent"}
    return {"result": "alive", "keepalives": peer.keepalives - before}


def establish(peer, asn):
    """Valid OPEN + KEEPALIVE; returns None once anycastd's KEEPALIVE confirms Established."""
    got = peer.wait_for(OPEN, 10)
    if not isinstance(got, tuple) or got[0] != OPEN:
        return {"result": "no-open", "got": repr(got)[:200]}
    peer.send(open_message(asn) + message(KEEPALIVE))
    got = peer.wait_for(KEEPALIVE, 10)
    if not isinstance(got, tuple) or got[0] != KEEPALIVE:
        return {"result": "not-established", "got": repr(got)[:200]}
    return None


# Each case: (name, established first?, bytes to send, what to watch: "answer" or "alive").
def cases(asn):
    wrong_as = 65099
    unknown_well_known = attribute(0x40, 200, b"\x01\x02")
    return [
        # Header errors before OPEN (RFC 4271 §6.1).
        ("bad-marker", False, b"\xfe" * 16 + struct.pack("!HB", 29, OPEN) + b"\x00" * 10, "answer"),
        ("malformed-origin", True, update(attribute(0x40, 1, b"\x05") + as_path(asn) + NEXT_HOP, NLRI), "alive"),
        ("length-below-minimum", False, MARKER + struct.pack("!HB", 18, OPEN), "answer"),
        ("bad-as-path-segment-type", True, update(ORIGIN_IGP + as_path(asn, segment_type=9) + NEXT_HOP, NLRI), "alive"),
        ("unknown-type-before-open", False, message(9, b"\x00\x00"), "answer"),
        ("as-path-overrun", True, update(ORIGIN_IGP + attribute(0x40, 2, bytes([2, 5]) + struct.pack("!I", asn)) + NEXT_HOP, NLRI), "alive"),
        ("open-version-3", False, open_message(asn, version=3), "answer"),
        ("missing-next-hop", True, update(ORIGIN_IGP + as_path(asn), NLRI), "alive"),
        ("open-hold-time-1", False, open_message(asn, hold=1), "answer"),
        ("nlri-prefix-length-33", True, update(ORIGIN_IGP + as_path(asn) + NEXT_HOP, bytes([33, 203, 0, 113, 1, 2])), "answer"),
        ("open-bgp-id-zero", False, open_message(asn, router_id="0.0.0.0"), "answer"),
        ("unrecognized-well-known-attribute", True, update(ORIGIN_IGP + as_path(asn) + NEXT_HOP + unknown_well_known, NLRI), "answer"),
        ("open-as-mismatch", False, open_message(wrong_as), "answer"),
        ("unknown-type-established", True, message(7, b"\x01\x02\x03"), "answer"),
        ("oversized-message", False, message(OPEN, b"\x00" * (4097 - 19)), "answer"),
        ("keepalive-length-20", True, message(KEEPALIVE, b"\x00"), "answer"),
        ("open-in-established", True, open_message(asn), "answer"),
        ("garbage-after-established", True, bytes(range(7, 7 + 64)), "answer"),
        ("truncated-frame-then-silence", True, message(UPDATE, b"\x00" * 40)[:30], "answer"),
        ("torn-frames-reassembled", True, [good_update(asn)[:5], good_update(asn)[5:23], good_update(asn)[23:]], "alive"),
    ]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--listen", required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--asn", type=int, required=True)
    parser.add_argument("--accept-timeout", type=float, default=20.0)
    parser.add_argument("--only", default="")
    args = parser.parse_args()
    family = socket.AF_INET6 if ":" in args.listen else socket.AF_INET
    server = socket.socket(family, socket.SOCK_STREAM)
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind((args.listen, args.port))
    server.listen(4)
    print(json.dumps({"listening": True}), flush=True)
    selected = [c for c in cases(args.asn) if not args.only or c[0] in args.only.split(",")]
    for name, established, payload, watch in selected:
        server.settimeout(args.accept_timeout)
        try:
            conn, _ = server.accept()
        except socket.timeout:
            print(json.dumps({"case": name, "result": "no-connection"}), flush=True)
            continue
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        peer = Peer(conn)
        try:
            report = None
            if established:
                report = establish(peer, args.asn)
            else:
                got = peer.wait_for(OPEN, 10)
                if not isinstance(got, tuple) or got[0] != OPEN:
                    report = {"result": "no-open", "got": repr(got)[:200]}
            if report is None:
                started = time.monotonic()
                chunks = payload if isinstance(payload, list) else [payload]
                for chunk in chunks:
                    peer.send(chunk)
                    time.sleep(0.05)
                if watch == "alive":
                    report = stays_up(peer, 2.5)
                    if report["result"] == "alive":
                        # End the case the polite way: Cease / Administrative Shutdown.
                        peer.send(message(NOTIFICATION, b"\x06\x02"))
                else:
                    # The hold time is 3 s: a silent peer is answered with Hold Timer Expired.
                    report = outcome(peer, 8, started)
        except (OSError, ValueError) as error:
            report = {"result": "error", "error": str(error)}
        finally:
            try:
                conn.close()
            except OSError:
                pass
        report["case"] = name
        print(json.dumps(report), flush=True)
    server.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
