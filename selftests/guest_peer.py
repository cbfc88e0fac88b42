#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
#
# An independent implementation of guest devices, written from docs/esfd.md
# ("Guest devices") alone, for selftests/esf_esfd_guest.sh: the
# cryptography package's P-256, ECDSA, ECDH, SHA-256 and AES-GCM, paho-mqtt
# for the broker; nothing of esfd's. It plays the authorization server and
# the home gateway (it signs a delegation and a device token with their
# keys) and the device (it presents the token with its proof of possession
# to an esfd gateway, checks the gateway's signature on its answer and
# opens the grant with the device's key), or presents a token esfd issued. Run from the host's /usr with esf-host.
#
#   guest_peer.py HOST PORT DEV_ID GW_ID NET DIR CASE [TOKEN_FILE]
#
# DIR holds as.pem/as.key (the AS's chain and key), gw1.pem/gw1.key,
# evil.pem/evil.key (a foreign AS) and dev.key. CASE: valid, forged,
# expired, foreign, wrong-aud, replay, stale, malformed, token (present
# TOKEN_FILE, made by esfd), jwk (print dev.key's public JWK), verify
# (check TOKEN_FILE, made by esfd, against root.pem: "verified SUB ISS AS
# JTI"). Output, one line per presentation: "granted
# NET GRP EPOCH SENDER SENDERS EXP KEYHEX signed|unsigned" or "refused RSC DBG" or
# "error WHAT".
import base64
import hashlib
import json
import os
import sys
import time

import paho.mqtt.client as mqtt
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from cryptography.hazmat.primitives.ciphers.aead import AESGCM


def b64u(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def unb64u(s):
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


def level(i):
    return (i[1:] if i.startswith("/") else i).replace("/", ":")


def L(s):
    b = s.encode()
    return len(b).to_bytes(2, "big") + b


def es256(key, data):
    r, s = decode_dss_signature(key.sign(data, ec.ECDSA(hashes.SHA256())))
    return r.to_bytes(32, "big") + s.to_bytes(32, "big")


def jwk(pub):
    n = pub.public_numbers()
    return {"kty": "EC", "crv": "P-256", "x": b64u(n.x.to_bytes(32, "big")),
            "y": b64u(n.y.to_bytes(32, "big"))}


def compact(obj):
    return b64u(json.dumps(obj, separators=(",", ":")).encode())


def jws(key, hdr, payload):
    inp = compact(hdr) + "." + compact(payload)
    return inp + "." + b64u(es256(key, inp.encode()))


def load_key(path):
    return serialization.load_pem_private_key(open(path, "rb").read(), None)


def x5c(path):
    pems = open(path, "rb").read().split(b"-----END CERTIFICATE-----")
    out = []
    for p in pems:
        if b"BEGIN" in p:
            c = x509.load_pem_x509_certificate(p + b"-----END CERTIFICATE-----\n")
            out.append(base64.b64encode(c.public_bytes(serialization.Encoding.DER)).decode())
    return out


def as_id(path):
    c = x509.load_pem_x509_certificate(open(path, "rb").read())
    san = c.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    return san.get_values_for_type(x509.UniformResourceIdentifier)[0]


def delegation(d, gw1, aud, exp, signer="as"):
    now = int(time.time())
    payload = {"iss": as_id(os.path.join(d, signer + ".pem")), "sub": gw1, "aud": aud,
               "iat": now - 60, "exp": exp, "jti": b64u(os.urandom(16)),
               "cnf": {"jwk": jwk(load_key(os.path.join(d, "gw1.key")).public_key())}}
    hdr = {"alg": "ES256", "typ": "esf-delegation+jwt", "x5c": x5c(os.path.join(d, signer + ".pem"))}
    return jws(load_key(os.path.join(d, signer + ".key")), hdr, payload)


def device_token(d, gw1, dev, aud, exp, dlg, key=None):
    now = int(time.time())
    payload = {"iss": gw1, "sub": dev, "aud": aud, "iat": now - 60, "exp": exp,
               "jti": b64u(os.urandom(16)),
               "cnf": {"jwk": jwk(load_key(os.path.join(d, "dev.key")).public_key())},
               "dlg": dlg}
    return jws(key or load_key(os.path.join(d, "gw1.key")),
               {"alg": "ES256", "typ": "esf-guest+jwt"}, payload)


def presentation(d, dev, gw, net, tok, t=None):
    t = int(time.time() * 1000) if t is None else t
    nnc = os.urandom(16)
    tbs = (b"esf-guest-v1 pop" + L(dev) + L(gw) + L(net) + t.to_bytes(8, "big") + nnc +
           hashlib.sha256(tok.encode()).digest())
    sig = es256(load_key(os.path.join(d, "dev.key")), tbs)
    return nnc, {"esf:gsp": {"v": 1, "tok": tok, "t": t, "nnc": b64u(nnc), "sig": b64u(sig)}}


def concat_kdf(z, apu, apv):
    info = (len(b"A256GCM").to_bytes(4, "big") + b"A256GCM" + len(apu).to_bytes(4, "big") +
            apu + len(apv).to_bytes(4, "big") + apv + (256).to_bytes(4, "big"))
    return hashlib.sha256(b"\x00\x00\x00\x01" + z + info).digest()


def open_grant(d, gw, nnc, jwe):
    parts = jwe.split(".")
    hdr = json.loads(unb64u(parts[0]))
    assert hdr["alg"] == "ECDH-ES" and hdr["enc"] == "A256GCM", hdr
    assert hdr["cty"] == "application/vnd.esfd.guest-key+json", hdr
    assert unb64u(hdr["apu"]) == gw.encode() and unb64u(hdr["apv"]) == nnc, hdr
    assert parts[1] == "", "an encrypted key with ECDH-ES"
    e = hdr["epk"]
    epk = ec.EllipticCurvePublicNumbers(int.from_bytes(unb64u(e["x"]), "big"),
                                        int.from_bytes(unb64u(e["y"]), "big"),
                                        ec.SECP256R1()).public_key()
    z = load_key(os.path.join(d, "dev.key")).exchange(ec.ECDH(), epk)
    cek = concat_kdf(z, gw.encode(), nnc)
    pt = AESGCM(cek).decrypt(unb64u(parts[2]), unb64u(parts[3]) + unb64u(parts[4]),
                             parts[0].encode())
    g = json.loads(pt)
    return "granted %s %s %d %d %d %d %s" % (g["net"], g["grp"], g["epoch"], g["sender"],
                                            g["senders"], g["exp"], unb64u(g["key"]).hex())


class Link:
    def __init__(self, host, port, dev, gw):
        self.c = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2) \
            if hasattr(mqtt, "CallbackAPIVersion") else mqtt.Client()
        self.c.connect(host, int(port))
        self.got = []
        self.c.on_message = lambda cl, ud, msg: self.got.append(msg.payload)
        self.c.subscribe("/oneM2M/resp/%s/%s/json" % (level(dev), level(gw)), qos=1)
        self.c.loop(timeout=0.5)
        self.dev, self.gw, self.n = dev, gw, 0

    def ask(self, pc):
        self.n += 1
        rqi = "py-guest-%d-%d" % (os.getpid(), self.n)
        req = {"op": 5, "to": self.gw, "fr": self.dev, "rqi": rqi, "rvi": "3", "pc": pc}
        self.got.clear()
        self.c.publish("/oneM2M/req/%s/%s/json" % (level(self.dev), level(self.gw)),
                       json.dumps(req), qos=1)
        end = time.time() + 30
        while time.time() < end:
            for p in self.got:
                r = json.loads(p)
                if r.get("rqi") == rqi:
                    return r
            self.c.loop(timeout=0.2)
        return None


def check_signed(d, gw, dev, nnc, g):
    """A signed answer: the gateway's certificate under root.pem, naming it,
    and its ES256 over "esf-guest-v1 grant" || L(gw) || L(dev) || nnc ||
    SHA-256(key)."""
    leaf = x509.load_der_x509_certificate(base64.b64decode(g["x5c"][0]))
    root = x509.load_pem_x509_certificate(open(os.path.join(d, "root.pem"), "rb").read())
    root.public_key().verify(leaf.signature, leaf.tbs_certificate_bytes,
                             ec.ECDSA(leaf.signature_hash_algorithm))
    san = leaf.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert gw in san.get_values_for_type(x509.UniformResourceIdentifier)
    tbs = (b"esf-guest-v1 grant" + L(gw) + L(dev) + nnc +
           hashlib.sha256(g["key"].encode()).digest())
    es256_verify(leaf.public_key(), tbs, unb64u(g["sig"]))


def answer(d, gw, dev, nnc, r):
    if r is None:
        return "error no answer"
    if r.get("rsc") != 2000:
        return "refused %s %s" % (r.get("rsc"), r.get("pc", {}).get("m2m:dbg", ""))
    g = r["pc"]["esf:gsa"]
    assert g["v"] == 1 and len(g) in (2, 4)
    if len(g) == 4:
        check_signed(d, gw, dev, nnc, g)
    return open_grant(d, gw, nnc, g["key"]) + (" signed" if len(g) == 4 else " unsigned")


def jws_parts(tok, typ):
    h, p, sig = tok.split(".")
    hdr, payload = json.loads(unb64u(h)), json.loads(unb64u(p))
    assert hdr["alg"] == "ES256" and hdr["typ"] == typ, hdr
    return hdr, payload, (h + "." + p).encode(), unb64u(sig)


def es256_verify(pub, data, sig):
    from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
    assert len(sig) == 64
    pub.verify(encode_dss_signature(int.from_bytes(sig[:32], "big"),
                                    int.from_bytes(sig[32:], "big")), data,
               ec.ECDSA(hashes.SHA256()))


def jwk_key(j):
    assert j["kty"] == "EC" and j["crv"] == "P-256", j
    return ec.EllipticCurvePublicNumbers(int.from_bytes(unb64u(j["x"]), "big"),
                                         int.from_bytes(unb64u(j["y"]), "big"),
                                         ec.SECP256R1()).public_key()


def verify_token(d, path, net):
    """Check a device token esfd issued as a gateway would, with this code."""
    tok = open(path).read().strip()
    hdr, t, inp, sig = jws_parts(tok, "esf-guest+jwt")
    assert list(hdr) == ["alg", "typ"], hdr
    assert list(t) == ["iss", "sub", "aud", "iat", "exp", "jti", "cnf", "dlg"], list(t)
    dhdr, dl, dinp, dsig = jws_parts(t["dlg"], "esf-delegation+jwt")
    assert list(dl) == ["iss", "sub", "aud", "iat", "exp", "jti", "cnf"], list(dl)
    leaf = x509.load_der_x509_certificate(base64.b64decode(dhdr["x5c"][0]))
    root = x509.load_pem_x509_certificate(open(os.path.join(d, "root.pem"), "rb").read())
    root.public_key().verify(leaf.signature, leaf.tbs_certificate_bytes,
                             ec.ECDSA(leaf.signature_hash_algorithm))
    san = leaf.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert dl["iss"] in san.get_values_for_type(x509.UniformResourceIdentifier)
    es256_verify(leaf.public_key(), dinp, dsig)
    es256_verify(jwk_key(dl["cnf"]["jwk"]), inp, sig)
    now = time.time()
    assert t["iss"] == dl["sub"] and t["aud"] == net and net in dl["aud"]
    assert t["exp"] > now and dl["exp"] > now and len(unb64u(t["jti"])) == 16
    return "verified %s %s %s %s" % (t["sub"], t["iss"], dl["iss"], t["jti"])


def main(a):
    host, port, dev, gw, net, d, case = a[:7]
    if case == "verify":  # a token esfd issued, checked by this implementation
        print(verify_token(d, a[7], net))
        return 0
    if case == "jwk":  # the device key's public half, for esfd to issue a token to
        print(json.dumps(jwk(load_key(os.path.join(d, "dev.key")).public_key())))
        return 0
    now = int(time.time())
    gw1 = as_id(os.path.join(d, "gw1.pem"))
    link = Link(host, port, dev, gw)
    dlg = delegation(d, gw1, [net, "net3"], now + 3600)
    tok = device_token(d, gw1, dev, net, now + 600, dlg)
    t = None
    if case == "forged":  # the device token signed by a key that is not gw1's
        tok = device_token(d, gw1, dev, net, now + 600, dlg, ec.generate_private_key(ec.SECP256R1()))
    elif case == "expired":
        tok = device_token(d, gw1, dev, net, now + 600, delegation(d, gw1, [net], now - 10))
    elif case == "foreign":
        tok = device_token(d, gw1, dev, net, now + 600, delegation(d, gw1, [net], now + 3600, "evil"))
    elif case == "wrong-aud":
        tok = device_token(d, gw1, dev, "net3", now + 600, dlg)
    elif case == "stale":
        t = int(time.time() * 1000) - 600000
    elif case == "token":
        tok = open(a[7]).read().strip()
    if case == "malformed":
        print(answer(d, gw, dev, b"", link.ask({"esf:gsp": {"v": 1, "tok": tok}})))
        return 0
    nnc, pc = presentation(d, dev, gw, net, tok, t)
    print(answer(d, gw, dev, nnc, link.ask(pc)), flush=True)
    if case == "replay":
        print(answer(d, gw, dev, nnc, link.ask(pc)), flush=True)
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except Exception as e:  # a refusal of ours is an answer too
        print("error %s: %s" % (type(e).__name__, e))
        sys.exit(1)
