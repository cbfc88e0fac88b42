#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""Data at rest and integrity-only pairs from the documentation alone.

An implementation independent of esfd's C code, written from docs/esfd.md
("Data at rest", "Integrity-only pairs") and docs/key-derivation.md, with
Python's hmac and the cryptography package's AES-GCM:

  dar_peer.py open KPSA_HEX CONTAINER_ID OBJECT_FILE
      open a stored contentInstance (JWE or JWS); print the content to
      stdout; exit 1 when it does not open
  dar_peer.py mic-verify KPSA_HEX TARGET_ID CAPTURE RRI ORI DIR JWS_FILE
      the key of one direction of an integrity-only pair (DIR 1: what the
      originator signs, 2: what the receiver signs) from the Kpsa and the
      two rand values of its establishment, found in the broker's CAPTURE
      by their ids; verify the JWS under it and print its payload
  dar_peer.py verify-jws KEY_HEX JWS_FILE
      verify a compact JWS HS256 under KEY; print its payload; exit 1 if
      it does not verify
  dar_peer.py vectors
      the fixed values of user/tests/test_esfd_dar.c
"""
import base64
import hashlib
import hmac
import json
import re
import struct
import sys

from cryptography.hazmat.primitives.ciphers.aead import AESGCM


def hm(key, msg):
    return hmac.new(key, msg, hashlib.sha256).digest()


def b64u(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def unb64u(s):
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


def tr0012_pair(salt, key, info1, info2):
    master = hm(salt, key)
    t1 = hm(master, info1 + b"\x01")
    t2 = hm(master, t1 + info2 + b"\x02")
    return t1, t2


def dar_root(kpsa, cid):
    # Salt: the container id.
    return tr0012_pair(cid.encode(), kpsa, b"Data Authenticity and Integrity",
                       b"Data Confidentiality Key")


def item_key(root, cid, usage, nonce):
    info = (b"oneM2M-ESF data-at-rest item key\x00" + bytes([usage])
            + struct.pack(">H", len(cid)) + cid.encode()
            + bytes([1]) + struct.pack(">H", len(nonce)) + nonce)
    # HKDF-Expand, L = 32: one block.
    return hm(root[usage - 1], info + b"\x01")


def dar_open(kpsa, cid, obj):
    parts = obj.strip().split(".")
    hdr = json.loads(unb64u(parts[0]))
    if hdr["cnt"] != cid or hdr["cty"] != "esf-dar":
        raise ValueError("not an item of " + cid)
    nonce = unb64u(hdr["nnc"])
    root = dar_root(kpsa, cid)
    if hdr["alg"] == "HS256":
        key = item_key(root, cid, 1, nonce)
        mac = hm(key, (parts[0] + "." + parts[1]).encode())
        if not hmac.compare_digest(mac, unb64u(parts[2])):
            raise ValueError("JWS does not verify")
        return unb64u(parts[1])
    key = item_key(root, cid, 2, nonce)
    iv, ct, tag = unb64u(parts[2]), unb64u(parts[3]), unb64u(parts[4])
    return AESGCM(key).decrypt(iv, ct + tag, parts[0].encode())


def mic_key(kpsa, target, r_value, o_value, direction):
    k15 = hm(kpsa, b"oneM2M Enrolment Key to Usage-Constrained Symmetric Key derivation"
             + bytes([15]) + target.encode())
    t1, _ = tr0012_pair(r_value + o_value, k15, b"E2E Message Authentication Key",
                        b"E2E Message Confidentiality Key")
    return hm(t1, b"esfd MIC direction" + bytes([direction]))


def rand_value(capture, rid):
    """esrv of the rand object whose esri is rid, anywhere in the capture:
    in clear (the receiver's, in its securityInfo answer) or in a JWE's
    protected header (the originator's "oro", in its ESPrim Object)."""
    texts = [capture]
    for tok in re.findall(r"eyJ[A-Za-z0-9_-]+", capture):
        try:
            texts.append(unb64u(tok).decode())
        except (ValueError, UnicodeDecodeError):
            pass
    for t in texts:
        m = re.search(r'"esri"\s*:\s*"%s"\s*,\s*"esrv"\s*:\s*"([^"]+)"' % re.escape(rid), t)
        if m:
            return base64.b64decode(m.group(1))
    raise ValueError("no rand object %s in the capture" % rid)


def verify_jws(key, jws):
    parts = jws.strip().split(".")
    hdr = json.loads(unb64u(parts[0]))
    if hdr.get("alg") != "HS256":
        raise ValueError("not HS256")
    mac = hm(key, (parts[0] + "." + parts[1]).encode())
    if not hmac.compare_digest(mac, unb64u(parts[2])):
        raise ValueError("JWS does not verify")
    return unb64u(parts[1])


def vectors():
    kpsa = bytes(range(0x00, 0x20))
    cid = "/CSE-MN-01/cnt-temp"
    nonce = bytes(range(0x30, 0x40))
    root = dar_root(kpsa, cid)
    print("Kdai", root[0].hex())
    print("Kdc ", root[1].hex())
    print("conf item key", item_key(root, cid, 2, nonce).hex())
    print("auth item key", item_key(root, cid, 1, nonce).hex())
    # The JWS is deterministic: the whole object.
    h = b64u(json.dumps({"alg": "HS256", "cty": "esf-dar", "cnt": cid,
                         "nnc": b64u(nonce)}, separators=(",", ":")).encode())
    p = b64u(b"21.5 C")
    k = item_key(root, cid, 1, nonce)
    print("jws", h + "." + p + "." + b64u(hm(k, (h + "." + p).encode())))
    # A JWE with a fixed IV that esfd must open.
    h = b64u(json.dumps({"alg": "dir", "enc": "A256GCM", "cty": "esf-dar", "cnt": cid,
                         "nnc": b64u(nonce)}, separators=(",", ":")).encode())
    iv = bytes(range(0x50, 0x5c))
    ctt = AESGCM(item_key(root, cid, 2, nonce)).encrypt(iv, b"21.5 C", h.encode())
    print("jwe", h + ".." + b64u(iv) + "." + b64u(ctt[:-16]) + "." + b64u(ctt[-16:]))
    print("mic o->r", mic_key(kpsa, "/CSE-IN-01", bytes(range(0x10, 0x20)),
                              bytes(range(0x20, 0x30)), 1).hex())


def main():
    cmd = sys.argv[1] if len(sys.argv) > 1 else ""
    try:
        if cmd == "open":
            with open(sys.argv[4]) as f:
                sys.stdout.buffer.write(dar_open(bytes.fromhex(sys.argv[2]), sys.argv[3],
                                                 f.read()))
        elif cmd == "mic-verify":
            with open(sys.argv[4]) as f:
                cap = f.read()
            key = mic_key(bytes.fromhex(sys.argv[2]), sys.argv[3], rand_value(cap, sys.argv[5]),
                          rand_value(cap, sys.argv[6]), int(sys.argv[7]))
            with open(sys.argv[8]) as f:
                sys.stdout.buffer.write(verify_jws(key, f.read()))
        elif cmd == "verify-jws":
            with open(sys.argv[3]) as f:
                sys.stdout.buffer.write(verify_jws(bytes.fromhex(sys.argv[2]), f.read()))
        elif cmd == "vectors":
            vectors()
        else:
            print(__doc__, file=sys.stderr)
            return 2
    except Exception as e:  # noqa: BLE001 - any failure is a refusal here
        print("dar_peer.py: %s" % e, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
