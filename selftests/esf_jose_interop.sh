#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Interoperability with a JOSE implementation esf did not write: Debian's
# python3-jwcrypto (jose_peer.py drives it, run from the host's /usr by
# esf-host), in both directions, with the kernel doing libesf's side.
#
#  esf -> jwcrypto: every kind of object libesf makes is opened or verified
#    by jwcrypto: JWE "dir" A128/192/256GCM and A128KW/A192KW/A256KW, JWS
#    HS256/384/512, each compact, general JSON and flattened; an ESPrim
#    Object and a class 1 primitive; class 2 and class 3 (":1" and ":2");
#    nested ESData (a JWS inside a JWE, "dir" and A*KW).
#  jwcrypto -> esf: jwcrypto makes the same kinds, with its own random IVs
#    and content keys; esf opens each on sessions with the nonce policy
#    "any" (kw(aes) sessions always take the sender's IV), and refuses each
#    replay; a session under the policy "esf" refuses a random-IV JWE as a
#    foreign nonce (oneM2M 4111), not as a bad MAC.
#
# One example (a jwcrypto JWE, esf opening it, the replay refused) goes to
# $ESF_INTEROP_DIR (default /out/interop). Prints TAP.

PLAN=98
tmp=$(mktemp -d)
out_dir=${ESF_INTEROP_DIR:-/out/interop}
cleanup() {
	rm -rf "$tmp" "/host/tmp/jose_peer.py"
	esfctl session flush >/dev/null 2>&1
}
trap cleanup EXIT

. "$(dirname "$0")/lib_tap.sh"

echo "TAP version 13"
echo "1..$PLAN"

for c in esf esfctl esf-host jq od; do
	command -v $c >/dev/null || { echo "Bail out! $c not found"; exit 1; }
done
modprobe esf || { echo "Bail out! cannot load esf.ko"; exit 1; }
esfctl session flush >/dev/null
cp "$(dirname "$0")/jose_peer.py" /host/tmp/ || { echo "Bail out! no /host/tmp"; exit 1; }
peer_version=$(esf-host /usr/bin/python3 -c 'import importlib.metadata as m
print("python3-jwcrypto", m.version("jwcrypto"), "over python3-cryptography", m.version("cryptography"))' 2>&1) ||
	{ echo "Bail out! the independent JOSE library does not run: $peer_version"; exit 1; }
echo "# the other side: $peer_version"

peer() { # peer make|check < items (JSON array) > answer
	jq -c --arg op "$1" '{op: $op, items: .}' | esf-host /usr/bin/python3 /tmp/jose_peer.py
}
hexkey() { head -c "$1" /dev/urandom | od -An -v -tx1 | tr -d ' \n'; }
salt() { hexkey 4; }

# ---- sessions ------------------------------------------------------------------

# add <id> <hex key> <args...>
add() {
	local id=$1 key=$2 out
	shift 2
	printf %s "$key" >"$tmp/key"
	out=$(esfctl session add --id "$id" --key-file "$tmp/key" --key-format hex "$@" 2>&1) ||
		{ echo "Bail out! session $id: $out"; exit 1; }
}

declare -A KEY
for b in 128 192 256; do
	KEY[gcm$b]=$(hexkey $((b / 8)))
	# esf -> peer: an ordinary esf session; peer -> esf: an open-only twin
	# under the policy "any".
	add "1${b}" "${KEY[gcm$b]}" --alg 'gcm(aes)' --salt "$(salt)" --key-id "gcm$b"
	add "2${b}" "${KEY[gcm$b]}" --alg 'gcm(aes)' --key-id "gcm$b" --direction open \
		--nonce-policy any
done
# The same 128-bit key under the policy "esf", open-only.
add 300 "${KEY[gcm128]}" --alg 'gcm(aes)' --salt "$(salt)" --key-id gcm128 --direction open
# Key wrap: KEK and content key sizes crossed.
declare -A KWCEK=([128]=16 [192]=32 [256]=24)
for b in 128 192 256; do
	KEY[kw$b]=$(hexkey $((b / 8)))
	add "4${b}" "${KEY[kw$b]}" --alg 'kw(aes)' --salt "$(salt)" --key-id "kw$b" \
		--cek-len "${KWCEK[$b]}"
done
declare -A HSLEN=([256]=32 [384]=48 [512]=64)
for b in 256 384 512; do
	KEY[hs$b]=$(hexkey "${HSLEN[$b]}")
	add "5${b}" "${KEY[hs$b]}" --alg "hmac(sha$b)" --key-id "hs$b"
done
# Data-class bound sessions: class 1 (ESPrim), 2 and 3, each with an "any" twin.
for c in 1 2 3; do
	KEY[c$c]=$(hexkey 32)
	add "6${c}0" "${KEY[c$c]}" --alg 'gcm(aes)' --salt "$(salt)" --key-id "class$c" --class $c
	add "6${c}1" "${KEY[c$c]}" --alg 'gcm(aes)' --key-id "class$c" --class $c \
		--direction open --nonce-policy any
done
# Nested class 3: a MIC session signs, a key-wrap session encrypts.
KEY[nsig]=$(hexkey 32)
KEY[nkw]=$(hexkey 16)
add 700 "${KEY[nsig]}" --alg 'hmac(sha256)' --key-id nsig --class 3
add 701 "${KEY[nkw]}" --alg 'kw(aes)' --salt "$(salt)" --key-id nkw --class 3

enc_of() { echo "A${1}GCM"; }
kw_enc() { echo "A$((KWCEK[$1] * 8))GCM"; }
PRIM='{"op":2,"to":"/in-cse/cnt-1","fr":"/peer-ae","rqi":"rq-7","rvi":"3"}'
RSP_PC='{"m2m:cin":{"con":"22.5"}}'
CIN='{"m2m:cin":{"rn":"c1","cnf":"text/plain:0","con":"22.5","or":"/s/t"}}'

# ---- esf -> jwcrypto ---------------------------------------------------------------

# seal_item <description> <esf args> <jq item>: esf seals "hello, peer"
# (or $PAYLOAD), the item (with the envelope as "ser") goes to the list.
items=$tmp/to_peer.json
names=$tmp/to_peer.names
echo '[]' >"$items"
: >"$names"
seal_item() {
	local d=$1 args=$2 item=$3 ser
	if ! ser=$(printf %s "${PAYLOAD:-hello, peer}" | esf seal $args 2>"$tmp/err"); then
		not_ok "esf -> jwcrypto: $d" "esf seal $args: $(cat "$tmp/err")"
		return
	fi
	jq -c --arg ser "$ser" --arg p "${PAYLOAD:-hello, peer}" --argjson it "$item" \
		'. + [$it + {ser: $ser, payload: $p}]' "$items" >"$items.new" && mv "$items.new" "$items"
	echo "$d" >>"$names"
}

for b in 128 192 256; do
	for f in compact json flat; do
		seal_item "JWE dir $(enc_of $b) $f" "-s 1$b -f jwe-$f" \
			"{\"kind\":\"jwe\",\"key\":\"${KEY[gcm$b]}\",\"alg\":\"dir\",\"enc\":\"$(enc_of $b)\"}"
		seal_item "JWE A${b}KW $(kw_enc $b) $f" "-s 4$b -f jwe-$f" \
			"{\"kind\":\"jwe\",\"key\":\"${KEY[kw$b]}\",\"alg\":\"A${b}KW\",\"enc\":\"$(kw_enc $b)\"}"
	done
done
for b in 256 384 512; do
	for f in compact json flat; do
		seal_item "JWS HS$b $f" "-s 5$b -f jws-$f" "{\"kind\":\"jws\",\"key\":\"${KEY[hs$b]}\"}"
	done
done
seal_item "ESPrim Object" "-s 610 -f esprim --ori o-1 --rri r-1" \
	"{\"kind\":\"esprim\",\"key\":\"${KEY[c1]}\",\"alg\":\"dir\",\"enc\":\"A256GCM\",\"ori\":\"o-1\",\"rri\":\"r-1\"}"
PAYLOAD=$PRIM seal_item "class 1 primitive" "-s 610 -f class1 --ori o-2 --rri r-2" \
	"{\"kind\":\"class1\",\"key\":\"${KEY[c1]}\",\"alg\":\"dir\",\"enc\":\"A256GCM\",\"ori\":\"o-2\",\"rri\":\"r-2\"}"
PAYLOAD="{\"rsc\":2000,\"rqi\":\"rq-8\",\"rvi\":\"3\",\"pc\":$RSP_PC}"
seal_item "class 2 primitive" "-s 620 -f class2" "{\"kind\":\"class2\",\"key\":\"${KEY[c2]}\"}"
# The peer's check compares the protected "pc" with the original's.
jq -c --arg pc "$RSP_PC" '.[-1].payload = $pc' "$items" >"$items.new" && mv "$items.new" "$items"
PAYLOAD=$CIN
seal_item "class 3 contentInstance, compact (:1)" "-s 630 -f class3" \
	"{\"kind\":\"class3\",\"key\":\"${KEY[c3]}\"}"
seal_item "class 3 contentInstance, JSON (:2)" "-s 630 -f class3 -j json" \
	"{\"kind\":\"class3\",\"key\":\"${KEY[c3]}\"}"
# class 3 items come back with the original "con".
jq -c '.[-2].payload = "22.5" | .[-1].payload = "22.5"' "$items" >"$items.new" && mv "$items.new" "$items"
unset PAYLOAD
seal_item "nested: JWS HS256 in JWE dir, compact" "-s 1128 -f jwe-compact --sign 5256" \
	"{\"kind\":\"nested\",\"key\":\"${KEY[gcm128]}\",\"sign_key\":\"${KEY[hs256]}\"}"
seal_item "nested: JWS HS384 in JWE A256KW, JSON" "-s 4256 -f jwe-json --sign 5384" \
	"{\"kind\":\"nested\",\"key\":\"${KEY[kw256]}\",\"sign_key\":\"${KEY[hs384]}\"}"
PAYLOAD=$CIN seal_item "nested class 3: JWS HS256 in JWE A128KW" "-s 701 -f class3 --sign 700" \
	"{\"kind\":\"class3\",\"key\":\"${KEY[nkw]}\",\"sign_key\":\"${KEY[nsig]}\"}"
jq -c '.[-1].payload = "22.5"' "$items" >"$items.new" && mv "$items.new" "$items"

# One run of jwcrypto checks them all; one TAP line each.
answers=$(peer check <"$items" 2>"$tmp/err") ||
	{ echo "Bail out! jose_peer.py check: $(cat "$tmp/err")"; exit 1; }
i=0
while read -r d; do
	if [ "$(jq -r ".[$i].ok" <<<"$answers")" = true ]; then
		ok "esf -> jwcrypto: $d"
	else
		not_ok "esf -> jwcrypto: $d" "$(jq -r ".[$i].why" <<<"$answers")"
	fi
	i=$((i + 1))
done <"$names"

# ---- jwcrypto -> esf ---------------------------------------------------------------

# make_item <description> <esf open args> <replay: yes|no> <want> <jq item>
made=$tmp/from_peer.json
echo '[]' >"$made"
: >"$tmp/from_peer.tests"
make_item() {
	jq -c --argjson it "$5" '. + [$it]' "$made" >"$made.new" && mv "$made.new" "$made"
	printf '%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" >>"$tmp/from_peer.tests"
}
P='hello from jwcrypto'
for b in 128 192 256; do
	for f in compact json flat; do
		make_item "JWE dir $(enc_of $b) $f, random IV" "-s 2$b -f jwe-$f" yes "$P" \
			"{\"kind\":\"jwe\",\"key\":\"${KEY[gcm$b]}\",\"alg\":\"dir\",\"enc\":\"$(enc_of $b)\",\"kid\":\"gcm$b\",\"form\":\"$f\",\"payload\":\"$P\"}"
		make_item "JWE A${b}KW $(kw_enc $b) $f, its own content key" "-s 4$b -f jwe-$f" yes "$P" \
			"{\"kind\":\"jwe\",\"key\":\"${KEY[kw$b]}\",\"alg\":\"A${b}KW\",\"enc\":\"$(kw_enc $b)\",\"kid\":\"kw$b\",\"form\":\"$f\",\"payload\":\"$P\"}"
	done
done
for b in 256 384 512; do
	for f in compact json flat; do
		make_item "JWS HS$b $f" "-s 5$b -f jws-$f" no "$P" \
			"{\"kind\":\"jws\",\"key\":\"${KEY[hs$b]}\",\"alg\":\"HS$b\",\"kid\":\"hs$b\",\"form\":\"$f\",\"payload\":\"$P\"}"
	done
done
make_item "ESPrim Object, random IV" "-s 611 -f esprim --ori o-9 --rri r-9" yes "$P" \
	"{\"kind\":\"esprim\",\"key\":\"${KEY[c1]}\",\"alg\":\"dir\",\"enc\":\"A256GCM\",\"kid\":\"class1\",\"ori\":\"o-9\",\"rri\":\"r-9\",\"payload\":\"$P\"}"
make_item "class 1 primitive" "-s 611 -f class1 --ori o-8 --rri r-8" yes "$PRIM" \
	"$(jq -c -n --arg k "${KEY[c1]}" --arg p "$PRIM" '{kind:"class1",key:$k,alg:"dir",enc:"A256GCM",kid:"class1",ori:"o-8",rri:"r-8",fr:"/peer-ae",rqi:"rq-7",to:"/in-cse/cnt-1",payload:$p}')"
make_item "class 2 primitive (docs/envelopes.md)" "-s 621 -f class2" yes \
	"{\"rsc\":2000,\"rqi\":\"peer-rqi\",\"rvi\":\"3\",\"pc\":$RSP_PC}" \
	"$(jq -c -n --arg k "${KEY[c2]}" --arg p "$RSP_PC" '{kind:"class2",key:$k,alg:"dir",enc:"A256GCM",kid:"class2",form:"compact",payload:$p}')"
for f in compact json; do
	make_item "class 3 contentInstance, $f" "-s 631 -f class3" yes \
		'{"m2m:cin":{"rn":"peer-cin","con":"22.5","cnf":"text/plain:0"}}' \
		"{\"kind\":\"class3\",\"key\":\"${KEY[c3]}\",\"alg\":\"dir\",\"enc\":\"A256GCM\",\"kid\":\"class3\",\"form\":\"$f\",\"payload\":\"22.5\"}"
done
make_item "nested: JWS HS256 in JWE dir, compact" "-s 2128 -f jwe-compact --verify 5256" yes "$P" \
	"{\"kind\":\"nested\",\"key\":\"${KEY[gcm128]}\",\"alg\":\"dir\",\"enc\":\"A128GCM\",\"sign_key\":\"${KEY[hs256]}\",\"sign_alg\":\"HS256\",\"form\":\"compact\",\"payload\":\"$P\"}"
make_item "nested: JWS HS512 in JWE A192KW, flattened" "-s 4192 -f jwe-flat --verify 5512" yes "$P" \
	"{\"kind\":\"nested\",\"key\":\"${KEY[kw192]}\",\"alg\":\"A192KW\",\"enc\":\"$(kw_enc 192)\",\"sign_key\":\"${KEY[hs512]}\",\"sign_alg\":\"HS512\",\"form\":\"flat\",\"payload\":\"$P\"}"
make_item "nested class 3 in JWE A128KW" "-s 701 -f class3 --verify 700" yes \
	'{"m2m:cin":{"rn":"peer-cin","con":"22.5","cnf":"text/plain:0"}}' \
	"{\"kind\":\"class3\",\"key\":\"${KEY[nkw]}\",\"alg\":\"A128KW\",\"enc\":\"A128GCM\",\"sign_key\":\"${KEY[nsig]}\",\"sign_alg\":\"HS256\",\"form\":\"compact\",\"payload\":\"22.5\"}"

sers=$(peer make <"$made" 2>"$tmp/err") ||
	{ echo "Bail out! jose_peer.py make: $(cat "$tmp/err")"; exit 1; }
# Same JSON text, member order aside.
same_json() { [ "$(jq -S -c . <<<"$1" 2>/dev/null)" = "$(jq -S -c . <<<"$2" 2>/dev/null)" ]; }
i=0
while IFS=$'\t' read -r d args replay want; do
	jq -r ".[$i]" <<<"$sers" >"$tmp/env"
	i=$((i + 1))
	if ! got=$(esf open $args <"$tmp/env" 2>"$tmp/err"); then
		not_ok "jwcrypto -> esf: $d" "esf open $args: $(cat "$tmp/err")"
		continue
	fi
	if [ "$got" = "$want" ] || same_json "$got" "$want"; then
		ok "jwcrypto -> esf: $d"
	else
		not_ok "jwcrypto -> esf: $d" "got: $got"
		continue
	fi
	[ "$replay" = yes ] || continue
	if esf open $args <"$tmp/env" >/dev/null 2>"$tmp/err"; then
		not_ok "jwcrypto -> esf: $d: replay refused" "the replay opened"
	elif grep -q 'replayed record' "$tmp/err"; then
		ok "jwcrypto -> esf: $d: replay refused"
	else
		not_ok "jwcrypto -> esf: $d: replay refused" "$(cat "$tmp/err")"
	fi
done <"$tmp/from_peer.tests"

# A random-IV JWE on a session under the policy "esf": a foreign nonce
# (4111), not a forgery; then the same object on the "any" twin, once.
jq -c -n --arg k "${KEY[gcm128]}" \
	'[{kind:"jwe",key:$k,alg:"dir",enc:"A128GCM",kid:"gcm128",form:"compact",payload:"a reading, 21.7 C"}]' >"$tmp/one.json"
one=$(peer make <"$tmp/one.json" | jq -r '.[0]')
printf '%s\n' "$one" >"$tmp/one.jwe"
if ! esf open -s 300 -f jwe-compact <"$tmp/one.jwe" >/dev/null 2>"$tmp/err" &&
	grep -q 'not an esf nonce of this session.*4111' "$tmp/err"; then
	ok "a random-IV JWE on a session under the policy esf: refused as foreign (4111), not as a bad MAC"
else
	not_ok "a random-IV JWE on a session under the policy esf: refused as foreign (4111), not as a bad MAC" "$(cat "$tmp/err")"
fi
mkdir -p "$out_dir" 2>/dev/null
{
	echo "# made by $peer_version (python3-jwcrypto), key gcm128 = ${KEY[gcm128]}"
	echo "\$ cat random-iv.jwe"
	cat "$tmp/one.jwe"
	echo "\$ esf open -s 300 -f jwe-compact < random-iv.jwe    # nonce policy esf"
	esf open -s 300 -f jwe-compact <"$tmp/one.jwe" 2>&1
	echo "[exit $?]"
	echo "\$ esf open -s 2128 -f jwe-compact --info < random-iv.jwe    # nonce policy any"
	esf open -s 2128 -f jwe-compact --info <"$tmp/one.jwe" 2>&1
	echo
	echo "[exit $?]"
	echo "\$ esf open -s 2128 -f jwe-compact < random-iv.jwe    # the same again"
	esf open -s 2128 -f jwe-compact <"$tmp/one.jwe" 2>&1
	echo "[exit $?]"
	echo "\$ esfctl session show 2128"
	esfctl session show 2128
} >"$tmp/transcript" 2>&1
cp "$tmp/transcript" "$out_dir/random-iv-jwe.txt" 2>/dev/null
if grep -q '^a reading, 21.7 C' "$tmp/transcript" && grep -q 'replayed record' "$tmp/transcript"; then
	ok "the random-IV JWE opens once on the policy-any twin; its replay is refused"
else
	not_ok "the random-IV JWE opens once on the policy-any twin; its replay is refused" "$(cat "$tmp/transcript")"
fi

[ "$n" = "$PLAN" ] || not_ok "plan: $PLAN tests, ran $n"
exit $failed
