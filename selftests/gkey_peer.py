#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
#
# An independent reading of esfd's wrapped group keys (docs/esfd.md,
# "Groups"), for selftests/esf_esfd_group.sh: from a broker capture
# (mosquitto_sub -v) and one member's Kpsa, derive that member's wrapping
# key as the documentation says (Python's hmac, not esfd's code), open
# every esf:gky addressed to that member (the cryptography package's
# AES-GCM) and print each epoch's key and salt. Then report whether the
# capture holds any of those keys or salts in any encoding, and how many
# keys addressed to other members opened under this member's key (none
# should). Run from the host's /usr with esf-host.
#
#   gkey_peer.py CAPTURE MEMBER_TOPIC_LEVEL KPSA_HEX TARGET_ID GROUP_ID
#
# Output lines: "key EPOCH KEYHEX SALTHEX", "leak EPOCH FORM",
# "others N opened M".
import base64
import hashlib
import hmac
import json
import sys

from cryptography.hazmat.primitives.ciphers.aead import AESGCM


def b64u(s):
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


def kek_of(kpsa, target, grp):
    label = b"oneM2M Enrolment Key to Usage-Constrained Symmetric Key derivation"
    k14 = hmac.new(kpsa, label + bytes([14]) + target.encode(), hashlib.sha256).digest()
    return hmac.new(k14, b"esfd group key wrapping\x00" + grp.encode(), hashlib.sha256).digest()


def jwes(capture):
    """(to, jwe) of every esf:gky in the capture, requests and responses."""
    for line in capture.splitlines():
        topic, _, payload = line.partition(" ")
        parts = topic.split("/")
        if len(parts) != 6 or parts[1] != "oneM2M":
            continue
        try:
            prim = json.loads(payload)
        except ValueError:
            continue
        pc = prim.get("pc") if isinstance(prim, dict) else None
        if not isinstance(pc, dict) or "esf:gky" not in pc:
            continue
        # A push goes to the request's receiver, an answer to its originator.
        to = parts[4] if parts[2] == "req" else parts[3]
        yield to, pc["esf:gky"]


def open_jwe(kek, jwe):
    h, ek, iv, ct, tag = jwe.split(".")
    if ek:
        raise ValueError("not dir")
    body = AESGCM(kek).decrypt(b64u(iv), b64u(ct) + b64u(tag), h.encode())
    return json.loads(b64u(h)), json.loads(body)


def forms(raw):
    yield "raw", raw
    yield "hex", raw.hex().encode()
    yield "HEX", raw.hex().upper().encode()
    yield "base64", base64.b64encode(raw).rstrip(b"=")
    yield "base64url", base64.urlsafe_b64encode(raw).rstrip(b"=")


def main():
    capture_path, member, kpsa_hex, target, grp = sys.argv[1:6]
    raw = open(capture_path, "rb").read()
    capture = raw.decode("utf-8", "replace")
    kek = kek_of(bytes.fromhex(kpsa_hex), target, grp)
    keys = {}
    others = opened = 0
    for to, jwe in jwes(capture):
        if to != member:
            others += 1
            try:
                open_jwe(kek, jwe)
                opened += 1
            except Exception:
                pass
            continue
        hdr, body = open_jwe(kek, jwe)
        assert hdr["grp"] == grp and body["grp"] == grp and hdr["epoch"] == body["epoch"]
        keys[body["epoch"]] = (b64u(body["key"]), b64u(body["salt"]))
    for epoch, (key, salt) in sorted(keys.items()):
        print("key %d %s %s" % (epoch, key.hex(), salt.hex()))
        for what, secret in (("key", key), ("salt", salt)):
            for name, enc in forms(secret):
                if enc in raw:
                    print("leak %d %s %s" % (epoch, what, name))
    print("others %d opened %d" % (others, opened))


main()
