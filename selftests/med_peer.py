#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
#
# An independent reading of a mediator gateway's deliveries (docs/esfd.md,
# "Mediator gateways"), for selftests/esf_esfd_mediator.sh, written from
# the documentation with Python's hmac and the cryptography package's
# AES-GCM, not from esfd's code. From a broker capture (mosquitto_sub -v):
#  - with the gateway's Kpsa, open the core's esf:gky to the gateway: each
#    epoch of the core-side key Ka and the block of sender ids delegated;
#  - with one device's Kpsa, open the gateway's esf:gky of the local group
#    Kg to that device: each epoch of Kg;
#  - with each Kg epoch, derive the device's wrapping key and open the
#    gateway's esf:gky of Ka to that device; compare its key with the
#    core's of the same epoch;
#  - try that device's wrapping keys on the Ka deliveries to other devices
#    (none should open: each is bound to its device's id).
#
#   med_peer.py CAPTURE CORE_ID GW_ID GW_KPSA_HEX KA_ID DEV_ID DEV_KPSA_HEX KG_ID
#
# Output: "core EPOCH block F-L", "dev EPOCH sender S", "match EPOCH sender
# S block F-L" (the device's key is the core's), "mismatch EPOCH",
# "others-opened N".
import base64
import hashlib
import hmac
import json
import sys

from cryptography.hazmat.primitives.ciphers.aead import AESGCM


def b64u(s):
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


def hm(key, msg):
    return hmac.new(key, msg, hashlib.sha256).digest()


def kek_of(kpsa, target, grp):
    """The group key wrapping key of a Kpsa member ("Groups")."""
    label = b"oneM2M Enrolment Key to Usage-Constrained Symmetric Key derivation"
    k14 = hm(kpsa, label + bytes([14]) + target.encode())
    return hm(k14, b"esfd group key wrapping\x00" + grp.encode())


def mkek_of(kg_key, kg_id, ka_id, dev_id):
    """The mediated wrapping key ("Mediator gateways")."""
    kw = hm(kg_key, b"esfd mediated key wrapping\x00" + kg_id.encode())
    return hm(kw, ka_id.encode() + b"\x00" + dev_id.encode())


def jwes(capture):
    """(to, header, jwe) of every esf:gky in the capture."""
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
        to = parts[4] if parts[2] == "req" else parts[3]
        jwe = pc["esf:gky"]
        yield to, json.loads(b64u(jwe.split(".")[0])), jwe


def open_jwe(kek, jwe):
    h, ek, iv, ct, tag = jwe.split(".")
    if ek:
        raise ValueError("not dir")
    return json.loads(AESGCM(kek).decrypt(b64u(iv), b64u(ct) + b64u(tag), h.encode()))


def main():
    cap, core, gw, gw_kpsa, ka, dev, dev_kpsa, kg = sys.argv[1:9]
    capture = open(cap, "rb").read().decode("utf-8", "replace")
    msgs = list(jwes(capture))
    core_kek = kek_of(bytes.fromhex(gw_kpsa), core, ka)	# the core's role is higher
    dev_kek = kek_of(bytes.fromhex(dev_kpsa), gw, kg)	# the gateway's is
    core_keys, kg_keys, dev_keys = {}, [], {}
    for to, hdr, jwe in msgs:
        if to == gw and hdr["grp"] == ka:
            b = open_jwe(core_kek, jwe)
            core_keys[b["epoch"]] = b
            print("core %d block %d-%d" % (b["epoch"], b["block"][0], b["block"][1]))
        elif to == dev and hdr["grp"] == kg:
            kg_keys.append(b64u(open_jwe(dev_kek, jwe)["key"]))
    keks = [mkek_of(k, kg, ka, dev) for k in kg_keys]
    others = 0
    for to, hdr, jwe in msgs:
        if hdr["grp"] != ka or to in (gw, core):
            continue
        for kek in keks:
            try:
                b = open_jwe(kek, jwe)
            except Exception:
                continue
            if to != dev:
                others += 1
                break
            assert "block" not in b and b["grp"] == ka == hdr["grp"]
            dev_keys[b["epoch"]] = b
            print("dev %d sender %d" % (b["epoch"], b["sender"]))
            break
    for epoch, b in sorted(dev_keys.items()):
        c = core_keys.get(epoch)
        if c and c["key"] == b["key"] and c["salt"] == b["salt"]:
            print("match %d sender %d block %d-%d" % (epoch, b["sender"], c["block"][0],
                                                      c["block"][1]))
        else:
            print("mismatch %d" % epoch)
    print("others-opened %d" % others)


main()
