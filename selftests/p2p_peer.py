#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
#
# An independent implementation of peer-to-peer agreement, written from
# docs/esfd.md ("Peer-to-peer agreement") alone, for
# selftests/esf_esfd_p2p.sh: the cryptography package's P-256, ECDSA, ECDH,
# HKDF and X.509, paho-mqtt for the broker; nothing of esfd's. It plays one
# side of one agreement with an esfd and prints the key id it derived, for
# the test to compare with esfd's. Run from the host's /usr with esf-host.
#
#   p2p_peer.py initiate HOST PORT MY_ID PEER_ID CERT KEY ROOT
#   p2p_peer.py respond  HOST PORT MY_ID CERT KEY ROOT
#
# Output: "kid KID" (base64url), or "refused RSC DBG", or "error WHAT";
# respond prints "ready" first, once it listens.
import base64
import datetime
import json
import os
import sys
import time

import paho.mqtt.client as mqtt
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import (
    decode_dss_signature, encode_dss_signature)
from cryptography.hazmat.primitives.kdf.hkdf import HKDF


def b64u(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def unb64u(s):
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


def level(i):
    """An id as a topic level (TS-0010): no leading '/', other '/' as ':'."""
    return (i[1:] if i.startswith("/") else i).replace("/", ":")


def L(s):
    b = s.encode()
    return len(b).to_bytes(2, "big") + b


def point(pub):
    return pub.public_bytes(serialization.Encoding.X962,
                            serialization.PublicFormat.UncompressedPoint)


class Me:
    def __init__(self, ident, cert, key, root):
        self.id = ident
        self.cert = x509.load_pem_x509_certificate(open(cert, "rb").read())
        self.key = serialization.load_pem_private_key(open(key, "rb").read(), None)
        self.root = x509.load_pem_x509_certificate(open(root, "rb").read())
        self.der = self.cert.public_bytes(serialization.Encoding.DER)
        self.digest = hashes.Hash(hashes.SHA256())
        self.digest.update(self.der)
        self.digest = self.digest.finalize()

    def sign(self, tbs):
        r, s = decode_dss_signature(self.key.sign(tbs, ec.ECDSA(hashes.SHA256())))
        return r.to_bytes(32, "big") + s.to_bytes(32, "big")

    def half(self):
        """t, nnc, ephemeral key: what each side makes afresh."""
        return int(time.time() * 1000), os.urandom(16), ec.generate_private_key(ec.SECP256R1())

    def check_cert(self, m, ident):
        """The sender's certificate from x5c: issued by our root, valid now,
        naming ident as a subjectAltName URI. Returns it and its digest."""
        der = base64.b64decode(m["x5c"][0])
        c = x509.load_der_x509_certificate(der)
        self.root.public_key().verify(c.signature, c.tbs_certificate_bytes,
                                      ec.ECDSA(c.signature_hash_algorithm))
        now = datetime.datetime.now(datetime.timezone.utc)
        if not utc(c, "before") <= now <= utc(c, "after"):
            raise ValueError("certificate not valid now")
        uris = c.extensions.get_extension_for_class(
            x509.SubjectAlternativeName).value.get_values_for_type(
            x509.UniformResourceIdentifier)
        if ident not in uris:
            raise ValueError("certificate does not name " + ident)
        h = hashes.Hash(hashes.SHA256())
        h.update(der)
        return c, h.finalize()


def utc(c, which):
    """notBefore or notAfter, aware (cryptography < 42 has naive UTC only)."""
    t = getattr(c, "not_valid_%s_utc" % which, None)
    if t is None:
        t = getattr(c, "not_valid_" + which).replace(tzinfo=datetime.timezone.utc)
    return t


def verify(cert, tbs, sig):
    cert.public_key().verify(
        encode_dss_signature(int.from_bytes(sig[:32], "big"), int.from_bytes(sig[32:], "big")),
        tbs, ec.ECDSA(hashes.SHA256()))


def req_tbs(fr, to, cls, t, nnc, epk, digest):
    return (b"esf-p2p-v1 req" + L(fr) + L(to) + bytes([cls]) + t.to_bytes(8, "big") +
            nnc + epk + digest)


def rsp_tbs(req_hash, fr, t, nnc, epk, digest):
    return b"esf-p2p-v1 rsp" + req_hash + L(fr) + t.to_bytes(8, "big") + nnc + epk + digest


def sha256(b):
    h = hashes.Hash(hashes.SHA256())
    h.update(b)
    return h.finalize()


def kid_of(eph, other_epk, nnc_i, nnc_r, hq, hr):
    z = eph.exchange(ec.ECDH(), ec.EllipticCurvePublicKey.from_encoded_point(
        ec.SECP256R1(), other_epk))
    okm = HKDF(algorithm=hashes.SHA256(), length=48, salt=nnc_i + nnc_r,
               info=b"esf-p2p-v1 key" + hq + hr).derive(z)
    return b64u(okm[32:])


def connect(host, port):
    c = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2) if hasattr(mqtt, "CallbackAPIVersion") \
        else mqtt.Client()
    c.connect(host, int(port))
    return c


def wait_for(c, topic, timeout=30):
    got = []
    c.on_message = lambda cl, ud, msg: got.append(msg.payload)
    c.subscribe(topic, qos=1)
    c.loop(timeout=0.5)
    # The test starts esfd's side only now: a slow start (TCG, a loaded
    # host) must not make it wait longer than it would for an esfd.
    print("ready", flush=True)
    end = time.time() + timeout
    while not got and time.time() < end:
        c.loop(timeout=0.2)
    return got


def initiate(host, port, me, peer):
    t, nnc, eph = me.half()
    epk = point(eph.public_key())
    tbs = req_tbs(me.id, peer, 2, t, nnc, epk, me.digest)
    body = {"v": 1, "t": t, "cls": 2, "nnc": b64u(nnc), "epk": b64u(epk),
            "x5c": [base64.b64encode(me.der).decode()], "sig": b64u(me.sign(tbs))}
    req = {"op": 5, "to": peer, "fr": me.id, "rqi": "esfd-py-1", "rvi": "3",
           "pc": {"esf:p2q": body}}
    c = connect(host, port)
    got = []
    c.on_message = lambda cl, ud, msg: got.append(msg.payload)
    c.subscribe("/oneM2M/resp/%s/%s/json" % (level(me.id), level(peer)), qos=1)
    c.loop(timeout=0.5)
    c.publish("/oneM2M/req/%s/%s/json" % (level(me.id), level(peer)), json.dumps(req), qos=1)
    end = time.time() + 30
    while not got and time.time() < end:
        c.loop(timeout=0.2)
    if not got:
        print("error no answer")
        return 1
    rsp = json.loads(got[0])
    if rsp.get("rsc") != 2000:
        print("refused %s %s" % (rsp.get("rsc"), rsp.get("pc", {}).get("m2m:dbg", "")))
        return 1
    m = rsp["pc"]["esf:p2r"]
    cert, digest = me.check_cert(m, peer)
    r_nnc, r_epk = unb64u(m["nnc"]), unb64u(m["epk"])
    hq = sha256(tbs)
    rtbs = rsp_tbs(hq, peer, m["t"], r_nnc, r_epk, digest)
    verify(cert, rtbs, unb64u(m["sig"]))
    print("kid " + kid_of(eph, r_epk, nnc, r_nnc, hq, sha256(rtbs)))
    return 0


def respond(host, port, me):
    c = connect(host, port)
    got = wait_for(c, "/oneM2M/req/+/%s/json" % level(me.id), 60)
    if not got:
        print("error no request")
        return 1
    req = json.loads(got[0])
    m = req["pc"]["esf:p2q"]
    cert, digest = me.check_cert(m, req["fr"])
    i_nnc, i_epk = unb64u(m["nnc"]), unb64u(m["epk"])
    tbs = req_tbs(req["fr"], me.id, m["cls"], m["t"], i_nnc, i_epk, digest)
    verify(cert, tbs, unb64u(m["sig"]))
    hq = sha256(tbs)
    t, nnc, eph = me.half()
    epk = point(eph.public_key())
    rtbs = rsp_tbs(hq, me.id, t, nnc, epk, me.digest)
    body = {"v": 1, "t": t, "nnc": b64u(nnc), "epk": b64u(epk),
            "x5c": [base64.b64encode(me.der).decode()], "sig": b64u(me.sign(rtbs))}
    rsp = {"rsc": 2000, "rqi": req["rqi"], "to": req["fr"], "fr": me.id, "rvi": "3",
           "pc": {"esf:p2r": body}}
    c.publish("/oneM2M/resp/%s/%s/json" % (level(req["fr"]), level(me.id)), json.dumps(rsp),
              qos=1)
    c.loop(timeout=0.5)
    print("kid " + kid_of(eph, i_epk, i_nnc, nnc, hq, sha256(rtbs)))
    sys.stdout.flush()
    return 0


def main(a):
    try:
        if a[0] == "initiate":
            return initiate(a[1], a[2], Me(a[3], a[5], a[6], a[7]), a[4])
        return respond(a[1], a[2], Me(a[3], a[4], a[5], a[6]))
    except Exception as e:  # a refusal of ours is an answer too
        print("error %s: %s" % (type(e).__name__, e))
        return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
