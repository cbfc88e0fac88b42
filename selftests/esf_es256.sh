#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# A single signed message without a session (issue 14): a JWS ES256 that
# carries its signer's certificate chain ("x5c"), signed by esfd with the
# private key of its certificate credential (the application never holds
# it: "esf sign-es256", libesf's esf_es256_sign(), esfd's control command
# "sign"), and verified offline against the CA root ("esf verify-es256",
# esf_es256_verify()). Against an implementation esf did not write, in
# both directions: python3-jwcrypto (with python3-cryptography for the
# chain, jose_peer.py) verifies what esfd signed, and esf verifies what
# jwcrypto signed. Refused, each with its own error: a changed payload or
# signature, expired and not-yet-valid certificates, a revoked one (CRL),
# one from a foreign CA, one that names another id. Only root, esfd's
# user and esfd.conf's sign-uid / sign-gid may have esfd sign.
#
# A single message encrypted to a certificate: a JWE "ECDH-ES+A128KW" /
# "A128GCM" ("esf seal-ecdh", "esf open-ecdh"; libesf's esf_ecdh_seal(),
# esf_ecdh_open(); esfd's control command "ecdh"): esfd agrees the key,
# esf.ko makes the content key and encrypts in a one-shot kw(aes) session.
# jwcrypto opens what esf sealed to /veh-08 and esf opens what jwcrypto
# sealed to /veh-07; tampering, another recipient's message and refused
# recipient certificates fail, each with its own error. Prints TAP.

ESFD=${ESFD:-esfd}
ESFCTL=${ESFCTL:-esfctl}
ESF=${ESF:-esf}
PLAN=22
tmp=$(mktemp -d)
chmod 755 "$tmp"
pdir=
esfd_pid=

cleanup() {
	[ -n "$esfd_pid" ] && stop_all "$esfd_pid"
	rm -rf "$tmp" "/host/tmp/jose_peer.py" ${pdir:+"$pdir"}
}
trap cleanup EXIT

. "$(dirname "$0")/lib_tap.sh"
. "$(dirname "$0")/lib_pki.sh"

echo "TAP version 13"
echo "1..$PLAN"

for c in "$ESFD" "$ESFCTL" "$ESF" esf-host openssl jq setpriv; do
	command -v "$c" >/dev/null || { echo "Bail out! $c not found"; exit 1; }
done
modprobe esf || { echo "Bail out! cannot load esf.ko"; exit 1; }
cp "$(dirname "$0")/jose_peer.py" /host/tmp/ || { echo "Bail out! no /host/tmp"; exit 1; }
pdir=$(mktemp -d /host/tmp/es256.XXXXXX) || { echo "Bail out! no /host/tmp"; exit 1; }
chmod 755 "$pdir"
ppdir=${pdir#/host}

# ---- the PKI ------------------------------------------------------------------
umask 077
cd "$tmp" || exit 1
mkca ca "esf test root"
mkca evil "a foreign root"
mkcsr veh /veh-07
mkcsr peer /veh-08
mkcsr rev /veh-07
mkcsr old /veh-07
mkcsr fut /veh-07
mkcsr foreign /veh-07
mkcert ca veh
mkcert ca peer
mkcert ca rev
mkcert ca old 20200101000000Z 20210101000000Z
mkcert ca fut 20990101000000Z 20991231000000Z
mkcert evil foreign
openssl ca -batch -config ca/ca.cnf -revoke rev.pem 2>/dev/null
openssl ca -batch -config ca/ca.cnf -gencrl -out rev.crl 2>/dev/null
cp ca/ca.pem root.pem
chmod 644 ./*.pem ./*.crl
umask 022
for f in veh peer rev old fut foreign; do
	[ -s "$f.pem" ] || { echo "Bail out! openssl could not make $f.pem"; exit 1; }
done
# jwcrypto reads its key, certificates and the root under /host/tmp.
cp peer.key peer.pem root.pem "$pdir/" && chmod 644 "$pdir"/*

# ---- esfd, /veh-07, with its certificate credential ----------------------
cat >esfd.conf <<EOF
[esfd]
id = /veh-07
role = peer
control-socket = $tmp/esfd.sock
mqtt-broker = 127.0.0.1:1883
ca-file = root.pem
cert-file = veh.pem
key-file = veh.key
sign-uid = 65534
EOF
"$ESFD" -f -c "$tmp/esfd.conf" -s "$tmp/esfd.state" 2>"$tmp/esfd.log" &
esfd_pid=$!
for ((i = 0; i < 100; i++)); do [ -S "$tmp/esfd.sock" ] && break; sleep 0.1; done
[ -S "$tmp/esfd.sock" ] || { echo "Bail out! esfd: $(cat "$tmp/esfd.log")"; exit 1; }
export ESFD_CONTROL_SOCKET=$tmp/esfd.sock
chmod 755 "$tmp"

payload='{"m2m:cin":{"con":"parking bay 12 free","cnf":"text/plain:0"}}'
verify() { # verify OUT ERR <esf verify-es256 args> < jws
	"$ESF" verify-es256 --ca-file root.pem "${@:3}" >"$1" 2>"$2"
}

# ---- 1-3: esfd signs; esf and jwcrypto verify ----------------------------
printf '%s' "$payload" | "$ESF" sign-es256 --cty application/json >signed.jws 2>sign.err
cp signed.jws "$pdir/signed.jws" && chmod 644 "$pdir/signed.jws"
IFS=. read -r hb _ <signed.jws
# base64url, unpadded, to bytes
b64u_dec() { local x=${1//_//}; x=${x//-/+}; while ((${#x} % 4)); do x+==; done; base64 -d <<<"$x"; }
hdr=$(b64u_dec "$hb" 2>/dev/null)
alg=$(jq -r '.alg' <<<"$hdr" 2>/dev/null) x5c=$(jq -r '.x5c | length' <<<"$hdr" 2>/dev/null)
leaf=$(openssl x509 -in veh.pem -outform DER | base64 -w0)
if [ "$alg" = ES256 ] && [ "$x5c" = 1 ] && [ "$(jq -r '.x5c[0]' <<<"$hdr")" = "$leaf" ] &&
	[ "$(jq -r '.cty' <<<"$hdr")" = application/json ]; then
	ok "esfd signs: protected header {alg ES256, cty, x5c: its own certificate}"
else
	not_ok "esfd signs: protected header {alg ES256, cty, x5c: its own certificate}" \
		"header: $hdr; $(cat sign.err)"
fi
verify got.out got.err --signer /veh-07 --info <signed.jws
t "esf verify-es256: esfd's JWS verifies against the root, signer /veh-07, payload intact" \
	test "$(cat got.out)" = "$payload" -a "$(cat got.err)" = "signer: /veh-07"

# jwcrypto: checks esfd's JWS, and makes one of its own as /veh-08.
jstr() { local s=${1//\\/\\\\}; REPLY="\"${s//\"/\\\"}\""; }
jstr "$payload"
pl=$REPLY
# esf seals one message to /veh-08 (tests 16-17), watching the kernel's
# session events: jwcrypto opens it in the same run as the rest.
"$ESFCTL" monitor --count 2 >events 2>monitor.err &
mon=$!
for ((i = 0; i < 50; i++)); do grep -q monitoring monitor.err && break; sleep 0.1; done
printf '%s' "$payload" | "$ESF" seal-ecdh --to peer.pem --id /veh-08 --cty application/json \
	>to-peer.jwe 2>seal-ecdh.err
for ((i = 0; i < 50; i++)); do kill -0 $mon 2>/dev/null || break; sleep 0.1; done
stop_all $mon
cp to-peer.jwe "$pdir/to-peer.jwe" && chmod 644 "$pdir/to-peer.jwe"
cp veh.pem "$pdir/" && chmod 644 "$pdir/veh.pem"
printf '{"dir":"%s","check":[{"kind":"es256","ser_file":"%s/signed.jws","ca_file":"%s/root.pem","signer":"/veh-07","payload":%s},{"kind":"ecdh","ser_file":"%s/to-peer.jwe","key_file":"%s/peer.key","payload":%s}],"make":[{"kind":"es256","key_file":"%s/peer.key","cert_files":["%s/peer.pem"],"payload":%s},{"kind":"ecdh","cert_file":"%s/veh.pem","apu":"/veh-08","cty":"text/plain","payload":%s}]}' \
	"$ppdir" "$ppdir" "$ppdir" "$pl" "$ppdir" "$ppdir" "$pl" "$ppdir" "$ppdir" "$pl" \
	"$ppdir" "$pl" >request.json
esf-host /usr/bin/python3 /tmp/jose_peer.py <request.json >answers 2>peer.err
cp "$pdir/made.1" theirs-ecdh.jwe 2>/dev/null
version=$(sed -n 's/^version //p' answers)
[ -n "$version" ] || { echo "Bail out! jose_peer.py: $(cat answers peer.err)"; exit 1; }
echo "# the other side: $version"
detail=$(cat answers)
t "jwcrypto verifies esfd's JWS (x5c chained to the root, the leaf naming /veh-07)" \
	grep -qx "check 0 ok" answers

# ---- 4-5: jwcrypto signs; esf verifies ------------------------------------
cp "$pdir/made.0" theirs.jws 2>/dev/null
verify got.out got.err --signer /veh-08 --info <theirs.jws
t "esf verify-es256: jwcrypto's JWS as /veh-08 verifies, payload intact" \
	test "$(cat got.out)" = "$payload" -a "$(cat got.err)" = "signer: /veh-08"
verify got.out got.err --signer /veh-07 <theirs.jws
t "esf verify-es256: jwcrypto's JWS is refused when /veh-07 was expected (wrong id)" \
	grep -q "names another id" got.err

# ---- 6-7: forgeries ---------------------------------------------------------
IFS=. read -r h p s <signed.jws
forged=$(printf '%s' '{"m2m:cin":{"con":"parking bay 12 taken"}}' | base64 -w0 | tr '/+' '_-' |
	tr -d =)
printf '%s.%s.%s\n' "$h" "$forged" "$s" | verify got.out got.err
rc=$?
detail=$(cat got.err)
t "another payload under esfd's signature: refused (the signature does not verify)" \
	test $rc = 1 -a ! -s got.out -a "$(grep -c 'signature does not verify' got.err)" = 1
c=${s:10:1}
[ "$c" = A ] && c=B || c=A
printf '%s.%s.%s\n' "$h" "$p" "${s:0:10}$c${s:11}" | verify got.out got.err
rc=$?
t "a signature with one character changed: refused" test $rc = 1 -a ! -s got.out

# ---- 8-11: certificates, each refused for its reason -------------------------
refuse() { # refuse DESCRIPTION WANT <verify args> < jws
	local d=$1 want=$2
	shift 2
	verify got.out got.err "$@"
	if [ $? = 1 ] && [ ! -s got.out ] && grep -q "$want" got.err; then
		ok "$d"
	else
		not_ok "$d" "$(cat got.err)"
	fi
}
resign() { # resign CERT: esfd again, signing with CERT's key
	stop_all "$esfd_pid"
	sed -i "s/^cert-file = .*/cert-file = $1.pem/; s/^key-file = .*/key-file = $1.key/" esfd.conf
	"$ESFD" -f -c "$tmp/esfd.conf" -s "$tmp/esfd.state" 2>>"$tmp/esfd.log" &
	esfd_pid=$!
	for ((i = 0; i < 100; i++)); do
		printf x | "$ESF" sign-es256 >"$1.jws" 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}
# esfd loads a certificate that chains to its ca-file whatever its dates
# (a peer checks them); one from a foreign CA it does not load at all, so
# jwcrypto signs with that one, and with the expired one, below.
resign rev
verify got.out got.err <rev.jws
rc=$?
verify got2.out got2.err --crl-file rev.crl <rev.jws
rc2=$?
detail=$(cat got.err got2.err)
t "revoked: verifies without the CRL; with it refused as revoked, nothing written" \
	test $rc = 0 -a $rc2 = 1 -a ! -s got2.out -a "$(grep -c revoked got2.err)" = 1
refuse "expired at the time of verification (--at 2099): refused as expired" "has expired" \
	--at 4102444800 <signed.jws
refuse "not yet valid at the time of verification (--at 2019): refused" "not valid yet" \
	--at 1546300800 <signed.jws
printf '{"dir":"%s","make":[{"kind":"es256","key_file":"%s/foreign.key","cert_files":["%s/foreign.pem"],"payload":"x"},{"kind":"es256","key_file":"%s/old.key","cert_files":["%s/old.pem"],"payload":"x"}]}' \
	"$ppdir" "$ppdir" "$ppdir" "$ppdir" "$ppdir" >request2.json
cp foreign.key foreign.pem old.key old.pem "$pdir/" && chmod 644 "$pdir"/*
esf-host /usr/bin/python3 /tmp/jose_peer.py <request2.json >answers2 2>>peer.err
cp "$pdir/made.0" foreign.jws 2>/dev/null
cp "$pdir/made.1" old.jws 2>/dev/null
refuse "a certificate from a foreign CA (jwcrypto signs with it): refused" \
	"does not chain to a trusted root" <foreign.jws

# ---- 12: what esfd refuses to sign, and for whom -----------------------------
resign veh
printf x | setpriv --reuid 65534 --regid 65534 --clear-groups "$ESF" sign-es256 \
	>nobody.jws 2>nobody.err
r1=$?
printf x | setpriv --reuid 1000 --regid 1000 --clear-groups "$ESF" sign-es256 \
	>other.jws 2>other.err
r2=$?
detail="$(cat nobody.err other.err)"
t "sign-uid 65534 may have esfd sign; uid 1000 is refused (EACCES), nothing written" \
	test $r1 = 0 -a -s nobody.jws -a $r2 = 1 -a ! -s other.jws
head -c 32769 /dev/zero | "$ESF" sign-es256 >big.jws 2>big.err
rc=$?
t "a payload over 32768 bytes: refused before esfd, nothing written" \
	test $rc = 1 -a ! -s big.jws

# ---- 13-14: esfd's counters, and the old certificate -------------------------
st=$("$ESFCTL" --json status)
signed=$(jq -r '.sign.signed' <<<"$st") refused=$(jq -r '.sign.refused' <<<"$st")
line=$("$ESFCTL" status | grep "signed for applications")
detail=$line
t "esfctl status counts what esfd signed and refused since its start ($signed, $refused)" \
	test "$signed" = 2 -a "$refused" = 1 -a \
	"$line" = "signed for applications 2 (JWS ES256), refused 1"
refuse "a certificate that expired in 2021 (jwcrypto signs with it): refused as expired" \
	"has expired" <old.jws

# ---- 16-22: a single message encrypted to a certificate ---------------------
b64u_enc() { base64 -w0 | tr '/+' '_-' | tr -d =; }
x5t=$(openssl x509 -in peer.pem -outform DER | openssl dgst -sha256 -binary | b64u_enc)
IFS=. read -r eh ek _ <to-peer.jwe
hdr=$(b64u_dec "$eh" 2>/dev/null)
detail="header: $hdr; $(cat seal-ecdh.err)"
t "esf seal-ecdh: {alg ECDH-ES+A128KW, enc A128GCM, epk P-256, x5t#S256 of /veh-08's certificate, cty}, a 24-byte Encrypted Key" \
	test "$(jq -r '[.alg, .enc, .epk.kty, .epk.crv, .["x5t#S256"], .cty] | join(" ")' \
		<<<"$hdr" 2>/dev/null)" = "ECDH-ES+A128KW A128GCM EC P-256 $x5t application/json" \
	-a "$(b64u_dec "$ek" | wc -c)" = 24
detail=$(cat events monitor.err)
t "the content was encrypted in esf.ko: a kw(aes) session was created for it and deleted after" \
	grep -q '^new session [0-9]* kw(aes) driver ' events -a \
	"$(grep -c '^del session [0-9]* kw(aes) driver ' events)" = 1
detail=$(cat answers)
t "jwcrypto opens esf's JWE with /veh-08's private key, payload intact" \
	grep -qx "check 1 ok" answers
"$ESF" open-ecdh --info <theirs-ecdh.jwe >got.out 2>got.err
detail="$(cat answers got.err)"
t "esf open-ecdh: jwcrypto's JWE to /veh-07 (epk unprotected, apu) opens through esfd and esf.ko" \
	test "$(cat got.out)" = "$payload" -a "$(cat got.err)" = "cty: text/plain"
# One character of the ciphertext changed; and the message for /veh-08.
ct=$(jq -r .ciphertext theirs-ecdh.jwe)
c=${ct:2:1}
[ "$c" = A ] && c=B || c=A
jq -c --arg ct "${ct:0:2}$c${ct:3}" '.ciphertext = $ct' theirs-ecdh.jwe |
	"$ESF" open-ecdh >bad.out 2>bad.err
r1=$?
"$ESF" open-ecdh <to-peer.jwe >other.out 2>other.err
r2=$?
detail="$(cat bad.err other.err)"
t "refused, nothing written: a changed ciphertext (does not open), a message for another certificate" \
	test $r1 = 1 -a ! -s bad.out -a $r2 = 1 -a ! -s other.out -a \
	"$(grep -c 'does not open' bad.err)" = 1 -a "$(grep -c 'not encrypted to this entity' other.err)" = 1
seal_to() { printf x | "$ESF" seal-ecdh --to "$1" --id "$2" >refused.jwe 2>>refused.err; }
: >refused.err
seal_to old.pem /veh-08
r=$?
detail=$(cat refused.err)
t "seal-ecdh to a certificate that expired in 2021: refused as expired, nothing written" \
	test $r = 1 -a ! -s refused.jwe -a "$(grep -c 'has expired' refused.err)" = 1
seal_to foreign.pem /veh-07
r1=$?
seal_to peer.pem /veh-09
r2=$?
printf x | setpriv --reuid 1000 --regid 1000 --clear-groups "$ESF" seal-ecdh --to peer.pem \
	--id /veh-08 >other.jwe 2>>refused.err
r3=$?
st=$("$ESFCTL" --json status)
line=$("$ESFCTL" status | grep "^single messages")
left=$("$ESFCTL" --json session list | jq '[.sessions[] | select(.alg == "kw(aes)")] | length')
detail="$(cat refused.err); $(jq -c .ecdh <<<"$st"); $line; kw(aes) sessions left: $left"
# esfd restarted (tests 8-12) since esf sealed to /veh-08: it counts the
# two opens and the five refusals since.
t "refused: a foreign CA's, one naming another id, uid 1000 (EACCES); esfd counts 2 keyed to open, 5 refused; no kw(aes) session left" \
	test $r1 = 1 -a $r2 = 1 -a $r3 = 1 -a ! -s other.jwe -a \
	"$(grep -c 'does not chain to a trusted root' refused.err)" = 1 -a \
	"$(grep -c 'names another id' refused.err)" = 1 -a \
	"$(grep -c 'only root, esfd.s user' refused.err)" = 1 -a \
	"$(jq -r '[.ecdh.opening, .ecdh.refused] | join(" ")' <<<"$st")" = "2 5" -a "$left" = 0 -a \
	"$line" = "single messages (ECDH-ES+A128KW) keyed to seal 0, to open 2, refused 5"

exit $failed
