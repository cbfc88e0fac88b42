#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""The other side of esf_jose_interop.sh: an independent JOSE implementation.

Debian's python3-jwcrypto (not esf's code) makes and checks every kind of
object libesf makes, so that interoperability is shown against a library
esf did not write. One run does all the work (starting Python with
jwcrypto is what costs, in the test VM): one JSON request on stdin,

  {"dir": DIR, "check": [ITEM...], "make": [ITEM...]}

and on stdout one line naming the library, then one line per item:

  version python3-jwcrypto X over python3-cryptography Y
  check I ok | check I bad WHY     (ITEM I of "check" opened or verified)
  make I ok | make I bad WHY       (ITEM I of "make" written to DIR/made.I,
                                    its serialization and a newline)

WHY is one line. A check item's serialization is read from its "ser_file"
(or given as "ser").

ITEM members:
  kind     "jwe", "jws", "nested" (a JWS inside a JWE), "esprim" (JWE
           compact "dir" with ori/rri), "class1" (an ESPrim Object in a
           NOTIFY primitive), "class3" (an ESData <contentInstance>; with
           sign_key, nested), "class2" (an ESF envelope element,
           docs/envelopes.md)
  key      hex: the JWE key ("dir") or key-encryption key (A*KW), or the
           JWS HMAC key
  sign_key hex: nested, the JWS key inside
  alg, enc JOSE algorithms ("dir", "A128KW", ..., "A128GCM", "HS256", ...)
  sign_alg nested: the JWS algorithm inside
  form     "compact", "json" (general) or "flat" (flattened)
  kid      "kid" header member, optional
  payload  text: what to protect (make) or what must come out (check)
  ser      check: the serialization to verify (or ser_file, a file)
  ori, rri esprim/class1: rand object ids
  fr, rqi, to  class1: the primitive's originator, request id, target

kind "es256" (a JWS ES256 with the signer's chain in "x5c", compact):
  make: key_file (PEM private key, P-256), cert_files (PEM: the leaf
        first, then intermediates), payload
  check: ca_file (PEM root), signer (the subjectAltName URI the leaf must
        name), payload; the chain is checked with python3-cryptography
        (signatures up to the root, validity dates), the JWS with jwcrypto

kind "ecdh" (a JWE "ECDH-ES+A128KW" / "A128GCM" to a certificate's key):
  make: cert_file (PEM: the recipient's certificate), payload, apu
        (optional, text), cty (optional); jwcrypto puts "epk" in the
        recipient's unprotected header, so the result is flattened JSON
  check: key_file (PEM: the recipient's private key), payload

jwcrypto writes the flattened JSON form for one recipient or signature;
the general form is the same members moved into "recipients" or
"signatures" (RFC 7516 7.2.1, RFC 7515 7.2.1), which this script does
without touching any cryptographic value.
"""
import base64
import json
import sys

from jwcrypto import jwe, jwk, jws
from jwcrypto.common import json_encode


def b64u(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def key_of(hexkey):
    return jwk.JWK(kty="oct", k=b64u(bytes.fromhex(hexkey)))


def general_jwe(flat):
    obj = json.loads(flat)
    rec = {}
    if "encrypted_key" in obj:
        rec["encrypted_key"] = obj.pop("encrypted_key")
    if "header" in obj:
        rec["header"] = obj.pop("header")
    obj["recipients"] = [rec]
    return json.dumps(obj)


def general_jws(flat):
    obj = json.loads(flat)
    sig = {"protected": obj.pop("protected"), "signature": obj.pop("signature")}
    obj["signatures"] = [sig]
    return json.dumps(obj)


def serialize(obj, form, general):
    if form == "compact":
        return obj.serialize(compact=True)
    flat = obj.serialize()
    return general(flat) if form == "json" else flat


def make_jwe(item, payload, extra=None):
    hdr = {"alg": item["alg"], "enc": item["enc"]}
    if item.get("kid"):
        hdr["kid"] = item["kid"]
    hdr.update(extra or {})
    obj = jwe.JWE(payload, protected=json_encode(hdr))
    obj.add_recipient(key_of(item["key"]))
    return obj


def make_jws(item, payload, key=None, alg=None):
    alg = alg or item["alg"]
    hdr = {"alg": alg}
    if item.get("kid") and key is None:
        hdr["kid"] = item["kid"]
    obj = jws.JWS(payload)
    obj.add_signature(key_of(key or item["key"]), alg=alg, protected=json_encode(hdr))
    return obj


def make_es256(item, payload):
    from cryptography import x509
    from cryptography.hazmat.primitives.serialization import Encoding
    with open(item["key_file"], "rb") as f:
        key = jwk.JWK.from_pem(f.read())
    chain = []
    for name in item["cert_files"]:
        with open(name, "rb") as f:
            der = x509.load_pem_x509_certificate(f.read()).public_bytes(Encoding.DER)
        chain.append(base64.b64encode(der).decode())
    obj = jws.JWS(payload)
    obj.add_signature(key, alg="ES256", protected=json_encode({"alg": "ES256", "x5c": chain}))
    return obj.serialize(compact=True)


def check_es256(item, ser):
    """The payload, once the chain and the signature verify; else raises."""
    import datetime
    from cryptography import x509
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
    obj = jws.JWS()
    obj.deserialize(ser)
    hdr = obj.jose_header
    if hdr.get("alg") != "ES256":
        raise ValueError("alg " + str(hdr.get("alg")))
    certs = [x509.load_der_x509_certificate(base64.b64decode(c)) for c in hdr["x5c"]]
    with open(item["ca_file"], "rb") as f:
        certs.append(x509.load_pem_x509_certificate(f.read()))
    now = datetime.datetime.utcnow()
    for cert, issuer in zip(certs, certs[1:]):
        if cert.issuer != issuer.subject:
            raise ValueError("issuer of %s is not %s" % (cert.subject, issuer.subject))
        issuer.public_key().verify(cert.signature, cert.tbs_certificate_bytes,
                                   ec.ECDSA(cert.signature_hash_algorithm))
        if not cert.not_valid_before <= now <= cert.not_valid_after:
            raise ValueError("certificate not valid now: " + str(cert.subject))
    san = certs[0].extensions.get_extension_for_class(x509.SubjectAlternativeName)
    if item["signer"] not in san.value.get_values_for_type(x509.UniformResourceIdentifier):
        raise ValueError("the leaf does not name " + item["signer"])
    pem = certs[0].public_key().public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo)
    obj.verify(jwk.JWK.from_pem(pem))
    return obj.payload


def make_ecdh(item, payload):
    with open(item["cert_file"], "rb") as f:
        key = jwk.JWK.from_pem(f.read())
    hdr = {"alg": "ECDH-ES+A128KW", "enc": "A128GCM"}
    if item.get("apu"):
        hdr["apu"] = b64u(item["apu"].encode())
    if item.get("cty"):
        hdr["cty"] = item["cty"]
    obj = jwe.JWE(payload, protected=json_encode(hdr))
    obj.add_recipient(key)
    return obj.serialize()


def check_ecdh(item, ser):
    """The payload, once jwcrypto opened it with the recipient's key."""
    with open(item["key_file"], "rb") as f:
        key = jwk.JWK.from_pem(f.read())
    obj = jwe.JWE()
    obj.deserialize(ser, key)
    hdr = obj.jose_header
    if hdr.get("alg") != "ECDH-ES+A128KW" or hdr.get("enc") != "A128GCM":
        raise ValueError("header " + json.dumps(hdr))
    return obj.payload


def make(item):
    kind, form = item["kind"], item.get("form", "compact")
    payload = item["payload"].encode()
    if kind == "es256":
        return make_es256(item, payload)
    if kind == "ecdh":
        return make_ecdh(item, payload)
    if kind == "jwe":
        return serialize(make_jwe(item, payload), form, general_jwe)
    if kind == "jws":
        return serialize(make_jws(item, payload), form, general_jws)
    if kind == "nested":
        inner = serialize(make_jws(item, payload, item["sign_key"], item["sign_alg"]),
                          form, general_jws)
        cty = "JOSE" if form == "compact" else "JOSE+JSON"
        return serialize(make_jwe(item, inner.encode(), {"cty": cty}), form, general_jwe)
    if kind == "esprim":
        return make_jwe(item, payload, {"ori": item["ori"], "rri": item["rri"]}).serialize(
            compact=True)
    if kind == "class1":
        epo = make_jwe(item, payload, {"ori": item["ori"], "rri": item["rri"]}).serialize(
            compact=True)
        return json.dumps({"op": 5, "to": item["to"], "fr": item["fr"], "rqi": item["rqi"],
                           "rvi": "3", "pc": {"m2m:seci": {"sit": 5, "epo": epo}}})
    if kind == "class3":
        # TS-0003 ESData: the resource's con/cnf/or, encrypted into "con"
        # (signed first when nested).
        inner = json.dumps({"con": item["payload"], "cnf": "text/plain:0"}).encode()
        extra = None
        if item.get("sign_key"):
            inner = serialize(make_jws(item, inner, item["sign_key"], item["sign_alg"]),
                              form, general_jws).encode()
            extra = {"cty": "JOSE" if form == "compact" else "JOSE+JSON"}
        obj = make_jwe(item, inner, extra)
        suffix = ":1" if form == "compact" else ":2"
        cnf = ("application/jose:0" if form == "compact" else "application/jose+json:0")
        return json.dumps({"m2m:cin": {"rn": "peer-cin", "cnf": cnf + suffix,
                                       "con": serialize(obj, form, general_jwe)}})
    if kind == "class2":
        # docs/envelopes.md: "sst" and "tdc" are protected header members too.
        inner = json.dumps({"pc": json.loads(item["payload"])}).encode()
        obj = make_jwe(item, inner, {"sst": 1, "tdc": 2})
        env = {"esf:env": {"sst": 1, "tdc": 2, "jwe": serialize(obj, form, general_jwe)}}
        return json.dumps({"rsc": 2000, "rqi": "peer-rqi", "rvi": "3", "pc": env})
    raise ValueError("unknown kind " + kind)


def open_jwe(ser, key):
    obj = jwe.JWE()
    obj.deserialize(ser, key_of(key))
    return obj.payload, json.loads(obj.objects.get("protected", "{}"))


def verify_jws(ser, key):
    obj = jws.JWS()
    obj.deserialize(ser)
    obj.verify(key_of(key))
    return obj.payload


def check(item):
    kind, ser, want = item["kind"], item["ser"], item["payload"].encode()
    if kind in ("jwe", "esprim", "class1"):
        if kind == "class1":
            ser = json.loads(ser)["pc"]["m2m:seci"]["epo"]
        got, hdr = open_jwe(ser, item["key"])
        if hdr.get("alg") != item["alg"] or hdr.get("enc") != item["enc"]:
            return "header " + json.dumps(hdr)
        if kind != "jwe" and (hdr.get("ori") != item["ori"] or hdr.get("rri") != item["rri"]):
            return "ori/rri " + json.dumps(hdr)
    elif kind == "jws":
        got = verify_jws(ser, item["key"])
    elif kind == "es256":
        got = check_es256(item, ser)
    elif kind == "ecdh":
        got = check_ecdh(item, ser)
    elif kind == "nested":
        inner, hdr = open_jwe(ser, item["key"])
        if hdr.get("cty") not in ("JOSE", "JOSE+JSON"):
            return "outer cty " + str(hdr.get("cty"))
        got = verify_jws(inner.decode(), item["sign_key"])
    elif kind == "class3":
        cin = json.loads(ser)["m2m:cin"]
        got, hdr = open_jwe(cin["con"], item["key"])
        if item.get("sign_key"):
            # Nested ESData: the JWE's payload is a JWS of the resource.
            if hdr.get("cty") not in ("JOSE", "JOSE+JSON"):
                return "outer cty " + str(hdr.get("cty"))
            got = verify_jws(got.decode(), item["sign_key"])
        got = json.loads(got)["con"].encode()
    elif kind == "class2":
        env = json.loads(ser)["pc"]["esf:env"]
        got, hdr = open_jwe(env["jwe"], item["key"])
        if hdr.get("tdc") != 2:
            return "tdc " + str(hdr.get("tdc"))
        got = json.dumps(json.loads(got)["pc"], separators=(",", ":")).encode()
        want = json.dumps(json.loads(want), separators=(",", ":")).encode()
    else:
        return "unknown kind " + kind
    return None if got == want else "payload %r, want %r" % (got[:60], want[:60])


def one_line(e):
    return " ".join(("%s: %s" % (type(e).__name__, e)).split())


def main():
    import importlib.metadata as m

    req = json.load(sys.stdin)
    out = ["version python3-jwcrypto %s over python3-cryptography %s"
           % (m.version("jwcrypto"), m.version("cryptography"))]
    for i, item in enumerate(req.get("check", [])):
        try:
            if "ser_file" in item:
                with open(item["ser_file"]) as f:
                    item["ser"] = f.read().rstrip("\n")
            why = check(item)
        except Exception as e:  # jwcrypto refuses with its own exceptions
            why = one_line(e)
        out.append("check %d %s" % (i, "ok" if why is None else "bad " + " ".join(why.split())))
    for i, item in enumerate(req.get("make", [])):
        try:
            ser = make(item)
            with open("%s/made.%d" % (req["dir"], i), "w") as f:
                f.write(ser + "\n")
            out.append("make %d ok" % i)
        except Exception as e:
            out.append("make %d bad %s" % (i, one_line(e)))
    print("\n".join(out))


if __name__ == "__main__":
    main()
