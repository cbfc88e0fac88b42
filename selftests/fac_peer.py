#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
#
# An independent reading of the facilitator's messages (docs/esfd.md,
# "Trusted third party (facilitator)"), for
# selftests/esf_esfd_facilitator.sh: from a broker capture (mosquitto_sub
# -v) and the Kpsa one client shares with the facilitator, derive the link
# key as the documentation says (Python's hmac, not esfd's code), build
# each message's additional authenticated data from the documented fields,
# and open (the cryptography package's AES-GCM) every register request the
# client sent and every retrieve answer it got. Run from the host's /usr
# with esf-host.
#
#   fac_peer.py CAPTURE CLIENT_ID KPSA_HEX TARGET_ID
#
# Output lines: "register KID READER KEYHEX" (a register request of the
# client), "retrieve KID OWNER KEYHEX" (a retrieve answer to it),
# "refused N" (its messages that did not open), "seen N" (its messages).
import base64
import hashlib
import hmac
import json
import sys

from cryptography.hazmat.primitives.ciphers.aead import AESGCM


def b64u(s):
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


def link_key(kpsa, target, client):
    label = b"oneM2M Enrolment Key to Usage-Constrained Symmetric Key derivation"
    k14 = hmac.new(kpsa, label + bytes([14]) + target.encode(), hashlib.sha256).digest()
    return hmac.new(k14, b"esfd facilitator\x00" + client.encode(), hashlib.sha256).digest()


def aad(kind, fr, to, rqi, m, nnc):
    num = str(m["lft"]) if kind == "esf:fkr" else "" if kind == "esf:fkq" else str(m["exp"])
    who = m["rdr"] if kind in ("esf:fkr", "esf:fka") else m["own"]
    fields = [kind, fr, to, rqi, who, m.get("kid", ""), num, nnc]
    return b"".join(f.encode() + b"\x00" for f in fields)


def main():
    capture_path, client, kpsa_hex, target = sys.argv[1:5]
    lk = AESGCM(link_key(bytes.fromhex(kpsa_hex), target, client))
    reqs = {}  # rqi -> (fr, to, nnc) of the client's requests
    answers = []
    seen = refused = 0
    for line in open(capture_path, encoding="utf-8", errors="replace"):
        topic, _, payload = line.rstrip("\n").partition(" ")
        try:
            prim = json.loads(payload)
        except ValueError:
            continue
        pc = prim.get("pc") if isinstance(prim, dict) else None
        if not isinstance(pc, dict) or len(pc) != 1:
            continue
        kind, m = next(iter(pc.items()))
        if not kind.startswith("esf:fk"):
            continue
        if topic.startswith("/oneM2M/req/") and prim.get("fr") == client:
            reqs[prim["rqi"]] = (prim["fr"], prim["to"], m["nnc"])
            if kind != "esf:fkr":
                continue
            seen += 1
            try:
                key = lk.decrypt(b64u(m["iv"]), b64u(m["ck"]) + b64u(m["tag"]),
                                 aad(kind, prim["fr"], prim["to"], prim["rqi"], m, m["nnc"]))
                print("register %s %s %s" % (m["kid"], m["rdr"], key.hex()))
            except Exception:
                refused += 1
        elif topic.startswith("/oneM2M/resp/") and kind == "esf:fkg":
            answers.append((prim, m))
    for prim, m in answers:
        if prim.get("rqi") not in reqs:
            continue
        seen += 1
        fr, to, nnc = reqs[prim["rqi"]]
        try:
            key = lk.decrypt(b64u(m["iv"]), b64u(m["ck"]) + b64u(m["tag"]),
                             aad("esf:fkg", to, fr, prim["rqi"], m, nnc))
            print("retrieve %s %s %s" % (m["kid"], m["own"], key.hex()))
        except Exception:
            refused += 1
    print("refused %d" % refused)
    print("seen %d" % seen)


main()
