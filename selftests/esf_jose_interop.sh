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
#  a gateway's kernel in between (esf reseal, ESF_OP_RESEAL): an ESPrim
#    Object and a class 1 primitive esf sealed, forwarded to a second hop
#    in the kernel, open under jwcrypto with the second hop's key; an
#    ESPrim Object jwcrypto made is forwarded the same way and opens on
#    the second hop, and forwarding it again is a replay.
#  jwcrypto -> esf: jwcrypto makes the same kinds, with its own random IVs
#    and content keys; esf opens each on sessions with the nonce policy
#    "any" (kw(aes) sessions always take the sender's IV), and refuses each
#    replay; a session under the policy "esf" refuses a random-IV JWE as a
#    foreign nonce (oneM2M 4111), not as a bad MAC.
#
# esf seals everything first; then one run of jose_peer.py checks all that
# and makes all of jwcrypto's objects (in the test VM, starting Python with
# jwcrypto costs more than the rest); then esf opens them. The items are
# JSON text put together here, the objects travel in files under /host/tmp.
#
# One example (a jwcrypto JWE, esf opening it, the replay refused) goes to
# $ESF_INTEROP_DIR (default /out/interop). Prints TAP.

PLAN=102
tmp=$(mktemp -d)
pdir=
out_dir=${ESF_INTEROP_DIR:-/out/interop}
cleanup() {
	rm -rf "$tmp" "/host/tmp/jose_peer.py" ${pdir:+"$pdir"}
	esfctl session flush >/dev/null 2>&1
}
trap cleanup EXIT

. "$(dirname "$0")/lib_tap.sh"

echo "TAP version 13"
echo "1..$PLAN"

for c in esf esfctl esf-host od; do
	command -v $c >/dev/null || { echo "Bail out! $c not found"; exit 1; }
done
modprobe esf || { echo "Bail out! cannot load esf.ko"; exit 1; }
esfctl session flush >/dev/null
cp "$(dirname "$0")/jose_peer.py" /host/tmp/ || { echo "Bail out! no /host/tmp"; exit 1; }
# The objects both sides exchange; jose_peer.py sees /host/tmp as /tmp.
pdir=$(mktemp -d /host/tmp/jose.XXXXXX) || { echo "Bail out! no /host/tmp"; exit 1; }
ppdir=${pdir#/host}

# readf <file>: REPLY = its text, as it is (empty if there is no file)
readf() { REPLY=; IFS= read -r -d '' REPLY <"$1"; return 0; }
# jstr <text>: REPLY = it as a JSON string (no control characters in it)
jstr() { local s=${1//\\/\\\\}; REPLY="\"${s//\"/\\\"}\""; }

# Key material: one read of /dev/urandom, handed out by rand_hex.
rand_pool 512
salt() { rand_hex 4; SALT=$REPLY; }

# ---- sessions ------------------------------------------------------------------

# add <id> <hex key> <args...>
add() {
	local id=$1
	printf %s "$2" >"$tmp/key"
	shift 2
	esfctl session add --id "$id" --key-file "$tmp/key" --key-format hex "$@" >"$tmp/add" 2>&1 ||
		{ echo "Bail out! session $id: $(cat "$tmp/add")"; exit 1; }
}

declare -A KEY
for b in 128 192 256; do
	rand_hex $((b / 8))
	KEY[gcm$b]=$REPLY
	salt
	# esf -> peer: an ordinary esf session; peer -> esf: an open-only twin
	# under the policy "any".
	add "1${b}" "${KEY[gcm$b]}" --alg 'gcm(aes)' --salt "$SALT" --key-id "gcm$b"
	add "2${b}" "${KEY[gcm$b]}" --alg 'gcm(aes)' --key-id "gcm$b" --direction open \
		--nonce-policy any
done
# The same 128-bit key under the policy "esf", open-only.
salt
add 300 "${KEY[gcm128]}" --alg 'gcm(aes)' --salt "$SALT" --key-id gcm128 --direction open
# Key wrap: KEK and content key sizes crossed.
declare -A KWCEK=([128]=16 [192]=32 [256]=24)
for b in 128 192 256; do
	rand_hex $((b / 8))
	KEY[kw$b]=$REPLY
	salt
	add "4${b}" "${KEY[kw$b]}" --alg 'kw(aes)' --salt "$SALT" --key-id "kw$b" \
		--cek-len "${KWCEK[$b]}"
done
declare -A HSLEN=([256]=32 [384]=48 [512]=64)
for b in 256 384 512; do
	rand_hex "${HSLEN[$b]}"
	KEY[hs$b]=$REPLY
	add "5${b}" "${KEY[hs$b]}" --alg "hmac(sha$b)" --key-id "hs$b"
done
# Data-class bound sessions: class 1 (ESPrim), 2 and 3, each with an "any" twin.
for c in 1 2 3; do
	rand_hex 32
	KEY[c$c]=$REPLY
	salt
	add "6${c}0" "${KEY[c$c]}" --alg 'gcm(aes)' --salt "$SALT" --key-id "class$c" --class $c
	add "6${c}1" "${KEY[c$c]}" --alg 'gcm(aes)' --key-id "class$c" --class $c \
		--direction open --nonce-policy any
done
# A gateway's next hop for class 1 (esf reseal from 611, the open-only
# twin of 610): a SEAL session and its open-only twin.
rand_hex 16
KEY[hop]=$REPLY
salt
add 640 "${KEY[hop]}" --alg 'gcm(aes)' --salt "$SALT" --key-id hop2 --class 1 --direction seal
add 641 "${KEY[hop]}" --alg 'gcm(aes)' --key-id hop2 --class 1 --direction open --nonce-policy any
# Nested class 3: a MIC session signs, a key-wrap session encrypts.
rand_hex 32
KEY[nsig]=$REPLY
rand_hex 16
KEY[nkw]=$REPLY
salt
add 700 "${KEY[nsig]}" --alg 'hmac(sha256)' --key-id nsig --class 3
add 701 "${KEY[nkw]}" --alg 'kw(aes)' --salt "$SALT" --key-id nkw --class 3

enc_of() { REPLY="A${1}GCM"; }
kw_enc() { REPLY="A$((KWCEK[$1] * 8))GCM"; }
PRIM='{"op":2,"to":"/in-cse/cnt-1","fr":"/peer-ae","rqi":"rq-7","rvi":"3"}'
RSP_PC='{"m2m:cin":{"con":"22.5"}}'
CIN='{"m2m:cin":{"rn":"c1","cnf":"text/plain:0","con":"22.5","or":"/s/t"}}'

# ---- esf -> jwcrypto: esf seals ---------------------------------------------------

# seal_item <description> <esf args> <JSON item> [what the peer must find]:
# esf seals "hello, peer" (or $PAYLOAD) into a file; the item, naming the
# file ("ser_file") and the payload, goes to the list for jwcrypto.
check_items=()
check_names=()
seal_item() {
	local d=$1 args=$2 item=$3 p=${PAYLOAD:-hello, peer} f=$pdir/sealed.${#check_items[@]}
	printf %s "$p" >"$tmp/payload"
	if ! esf seal $args <"$tmp/payload" >"$f" 2>"$tmp/err"; then
		not_ok "esf -> jwcrypto: $d" "esf seal $args: $(cat "$tmp/err")"
		return
	fi
	jstr "${4:-$p}"
	check_items+=("${item%\}},\"ser_file\":\"$ppdir/${f##*/}\",\"payload\":$REPLY}")
	check_names+=("$d")
}

for b in 128 192 256; do
	enc_of $b
	enc=$REPLY
	kw_enc $b
	kwenc=$REPLY
	for f in compact json flat; do
		seal_item "JWE dir $enc $f" "-s 1$b -f jwe-$f" \
			"{\"kind\":\"jwe\",\"key\":\"${KEY[gcm$b]}\",\"alg\":\"dir\",\"enc\":\"$enc\"}"
		seal_item "JWE A${b}KW $kwenc $f" "-s 4$b -f jwe-$f" \
			"{\"kind\":\"jwe\",\"key\":\"${KEY[kw$b]}\",\"alg\":\"A${b}KW\",\"enc\":\"$kwenc\"}"
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
# The peer's check compares the protected "pc" with the original's.
PAYLOAD="{\"rsc\":2000,\"rqi\":\"rq-8\",\"rvi\":\"3\",\"pc\":$RSP_PC}" \
	seal_item "class 2 primitive" "-s 620 -f class2" "{\"kind\":\"class2\",\"key\":\"${KEY[c2]}\"}" "$RSP_PC"
# class 3 items come back with the original "con".
PAYLOAD=$CIN seal_item "class 3 contentInstance, compact (:1)" "-s 630 -f class3" \
	"{\"kind\":\"class3\",\"key\":\"${KEY[c3]}\"}" 22.5
PAYLOAD=$CIN seal_item "class 3 contentInstance, JSON (:2)" "-s 630 -f class3 -j json" \
	"{\"kind\":\"class3\",\"key\":\"${KEY[c3]}\"}" 22.5
seal_item "nested: JWS HS256 in JWE dir, compact" "-s 1128 -f jwe-compact --sign 5256" \
	"{\"kind\":\"nested\",\"key\":\"${KEY[gcm128]}\",\"sign_key\":\"${KEY[hs256]}\"}"
seal_item "nested: JWS HS384 in JWE A256KW, JSON" "-s 4256 -f jwe-json --sign 5384" \
	"{\"kind\":\"nested\",\"key\":\"${KEY[kw256]}\",\"sign_key\":\"${KEY[hs384]}\"}"
PAYLOAD=$CIN seal_item "nested class 3: JWS HS256 in JWE A128KW" "-s 701 -f class3 --sign 700" \
	"{\"kind\":\"class3\",\"key\":\"${KEY[nkw]}\",\"sign_key\":\"${KEY[nsig]}\"}" 22.5

# reseal_item <description> <format> <seal args> <JSON item> [payload]: esf
# seals under 610, a gateway forwards it under 640 in its kernel (esf
# reseal from 611: the payload never reaches it), jwcrypto opens it with
# the second hop's key.
reseal_item() {
	local d=$1 p=${5:-hello, peer} f=$pdir/sealed.${#check_items[@]}
	printf %s "$p" >"$tmp/payload"
	if ! esf seal -s 610 -f "$2" $3 <"$tmp/payload" >"$tmp/hop1" 2>"$tmp/err" ||
		! esf reseal -s 611 --to 640 -f "$2" --ori o-5 --rri r-5 <"$tmp/hop1" >"$f" \
			2>"$tmp/err"; then
		not_ok "esf -> jwcrypto: $d" "$(cat "$tmp/err")"
		return
	fi
	jstr "$p"
	check_items+=("${4%\}},\"ser_file\":\"$ppdir/${f##*/}\",\"payload\":$REPLY}")
	check_names+=("$d")
}
reseal_item "ESPrim Object forwarded by a gateway's kernel (esf reseal)" esprim \
	"--ori o-3 --rri r-3" \
	"{\"kind\":\"esprim\",\"key\":\"${KEY[hop]}\",\"alg\":\"dir\",\"enc\":\"A128GCM\",\"ori\":\"o-5\",\"rri\":\"r-5\"}"
reseal_item "class 1 primitive forwarded by a gateway's kernel (esf reseal)" class1 \
	"--ori o-4 --rri r-4" \
	"{\"kind\":\"class1\",\"key\":\"${KEY[hop]}\",\"alg\":\"dir\",\"enc\":\"A128GCM\",\"ori\":\"o-5\",\"rri\":\"r-5\"}" "$PRIM"

# ---- jwcrypto -> esf: what jwcrypto is to make -------------------------------------

# make_item <description> <esf open args> <replay: yes|no> <want> <JSON item>
make_items=()
make_tests=()
make_item() {
	make_items+=("$5")
	make_tests+=("$1"$'\t'"$2"$'\t'"$3"$'\t'"$4")
}
P='hello from jwcrypto'
for b in 128 192 256; do
	enc_of $b
	enc=$REPLY
	kw_enc $b
	kwenc=$REPLY
	for f in compact json flat; do
		make_item "JWE dir $enc $f, random IV" "-s 2$b -f jwe-$f" yes "$P" \
			"{\"kind\":\"jwe\",\"key\":\"${KEY[gcm$b]}\",\"alg\":\"dir\",\"enc\":\"$enc\",\"kid\":\"gcm$b\",\"form\":\"$f\",\"payload\":\"$P\"}"
		make_item "JWE A${b}KW $kwenc $f, its own content key" "-s 4$b -f jwe-$f" yes "$P" \
			"{\"kind\":\"jwe\",\"key\":\"${KEY[kw$b]}\",\"alg\":\"A${b}KW\",\"enc\":\"$kwenc\",\"kid\":\"kw$b\",\"form\":\"$f\",\"payload\":\"$P\"}"
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
jstr "$PRIM"
make_item "class 1 primitive" "-s 611 -f class1 --ori o-8 --rri r-8" yes "$PRIM" \
	"{\"kind\":\"class1\",\"key\":\"${KEY[c1]}\",\"alg\":\"dir\",\"enc\":\"A256GCM\",\"kid\":\"class1\",\"ori\":\"o-8\",\"rri\":\"r-8\",\"fr\":\"/peer-ae\",\"rqi\":\"rq-7\",\"to\":\"/in-cse/cnt-1\",\"payload\":$REPLY}"
jstr "$RSP_PC"
make_item "class 2 primitive (docs/envelopes.md)" "-s 621 -f class2" yes \
	"{\"rsc\":2000,\"rqi\":\"peer-rqi\",\"rvi\":\"3\",\"pc\":$RSP_PC}" \
	"{\"kind\":\"class2\",\"key\":\"${KEY[c2]}\",\"alg\":\"dir\",\"enc\":\"A256GCM\",\"kid\":\"class2\",\"form\":\"compact\",\"payload\":$REPLY}"
for f in compact json; do
	make_item "class 3 contentInstance, $f" "-s 631 -f class3" yes \
		'{"m2m:cin":{"rn":"peer-cin","con":"22.5","cnf":"text/plain:0"}}' \
		"{\"kind\":\"class3\",\"key\":\"${KEY[c3]}\",\"alg\":\"dir\",\"enc\":\"A256GCM\",\"kid\":\"class3\",\"form\":\"$f\",\"payload\":\"22.5\"}"
done
make_item "nested: JWS HS256 in JWE dir, compact" "-s 2128 -f jwe-compact --verify 5256" yes "$P" \
	"{\"kind\":\"nested\",\"key\":\"${KEY[gcm128]}\",\"alg\":\"dir\",\"enc\":\"A128GCM\",\"sign_key\":\"${KEY[hs256]}\",\"sign_alg\":\"HS256\",\"form\":\"compact\",\"payload\":\"$P\"}"
kw_enc 192
make_item "nested: JWS HS512 in JWE A192KW, flattened" "-s 4192 -f jwe-flat --verify 5512" yes "$P" \
	"{\"kind\":\"nested\",\"key\":\"${KEY[kw192]}\",\"alg\":\"A192KW\",\"enc\":\"$REPLY\",\"sign_key\":\"${KEY[hs512]}\",\"sign_alg\":\"HS512\",\"form\":\"flat\",\"payload\":\"$P\"}"
make_item "nested class 3 in JWE A128KW" "-s 701 -f class3 --verify 700" yes \
	'{"m2m:cin":{"rn":"peer-cin","con":"22.5","cnf":"text/plain:0"}}' \
	"{\"kind\":\"class3\",\"key\":\"${KEY[nkw]}\",\"alg\":\"A128KW\",\"enc\":\"A128GCM\",\"sign_key\":\"${KEY[nsig]}\",\"sign_alg\":\"HS256\",\"form\":\"compact\",\"payload\":\"22.5\"}"
# Not TAP lines of the loop below: an ESPrim Object for a gateway to
# forward, and the random-IV JWE for the session under the policy "esf".
hop=${#make_items[@]}
make_items+=("{\"kind\":\"esprim\",\"key\":\"${KEY[c1]}\",\"alg\":\"dir\",\"enc\":\"A256GCM\",\"kid\":\"class1\",\"ori\":\"o-6\",\"rri\":\"r-6\",\"payload\":\"$P\"}")
one=${#make_items[@]}
make_items+=("{\"kind\":\"jwe\",\"key\":\"${KEY[gcm128]}\",\"alg\":\"dir\",\"enc\":\"A128GCM\",\"kid\":\"gcm128\",\"form\":\"compact\",\"payload\":\"a reading, 21.7 C\"}")

# ---- one run of jwcrypto: check esf's objects, make its own ------------------------

IFS=,
printf '{"dir":"%s","check":[%s],"make":[%s]}\n' "$ppdir" "${check_items[*]}" "${make_items[*]}" >"$tmp/request"
unset IFS
esf-host /usr/bin/python3 /tmp/jose_peer.py <"$tmp/request" >"$tmp/answers" 2>"$tmp/err" ||
	{ echo "Bail out! the independent JOSE library does not run: $(cat "$tmp/err")"; exit 1; }
declare -a CHECKED MADE
peer_version=
while read -r what i verdict; do
	case $what in
	version) peer_version="$i $verdict" ;;
	check) CHECKED[i]=$verdict ;;
	make) MADE[i]=$verdict ;;
	esac
done <"$tmp/answers"
[ -n "$peer_version" ] || { echo "Bail out! jose_peer.py answered: $(cat "$tmp/answers" "$tmp/err")"; exit 1; }
echo "# the other side: $peer_version"

# ---- esf -> jwcrypto: one TAP line each ------------------------------------------

for i in "${!check_names[@]}"; do
	d=${check_names[i]}
	case ${CHECKED[i]:-} in
	ok) ok "esf -> jwcrypto: $d" ;;
	'') not_ok "esf -> jwcrypto: $d" "jose_peer.py gave no answer" ;;
	*) not_ok "esf -> jwcrypto: $d" "${CHECKED[i]#bad }" ;;
	esac
done

# ---- jwcrypto -> esf: esf opens each, then its replay ------------------------------

# Same JSON text, member order aside (jq only when the text differs; both
# must be JSON).
same_json() {
	local a b
	a=$(jq -S -c . <<<"$1" 2>/dev/null) && b=$(jq -S -c . <<<"$2" 2>/dev/null) &&
		[ -n "$a" ] && [ "$a" = "$b" ]
}
for i in "${!make_tests[@]}"; do
	IFS=$'\t' read -r d args replay want <<<"${make_tests[i]}"
	env=$pdir/made.$i
	if [ "${MADE[i]:-}" != ok ]; then
		not_ok "jwcrypto -> esf: $d" "jwcrypto did not make it: ${MADE[i]:-no answer}"
		continue
	fi
	if ! esf open $args <"$env" >"$tmp/got" 2>"$tmp/err"; then
		not_ok "jwcrypto -> esf: $d" "esf open $args: $(cat "$tmp/err")"
		continue
	fi
	readf "$tmp/got"
	got=$REPLY
	if [ "$got" = "$want" ] || same_json "$got" "$want"; then
		ok "jwcrypto -> esf: $d"
	else
		not_ok "jwcrypto -> esf: $d" "got: $got"
		continue
	fi
	[ "$replay" = yes ] || continue
	if esf open $args <"$env" >/dev/null 2>"$tmp/err"; then
		not_ok "jwcrypto -> esf: $d: replay refused" "the replay opened"
	elif readf "$tmp/err"; [[ $REPLY == *'replayed record'* ]]; then
		ok "jwcrypto -> esf: $d: replay refused"
	else
		not_ok "jwcrypto -> esf: $d: replay refused" "$REPLY"
	fi
done

# jwcrypto's ESPrim Object through a gateway: esf reseal (checking its
# "ori") forwards it to the second hop in the kernel, where esf opens it;
# forwarding the same object again is a replay, refused before any crypto
# of the second hop.
d="jwcrypto -> gateway kernel (esf reseal) -> next hop: the ESPrim Object opens there"
if [ "${MADE[hop]:-}" = ok ] &&
	esf reseal -s 611 --to 640 -f esprim --in-ori o-6 --ori o-7 --rri r-7 \
		<"$pdir/made.$hop" >"$tmp/fwd" 2>"$tmp/err" &&
	esf open -s 641 -f esprim --ori o-7 --rri r-7 <"$tmp/fwd" >"$tmp/got" 2>>"$tmp/err" &&
	readf "$tmp/got" && [ "$REPLY" = "$P" ]; then
	ok "$d"
else
	not_ok "$d" "${MADE[hop]:-no answer}: $(cat "$tmp/err")"
fi
d="jwcrypto -> gateway kernel: forwarding the same ESPrim Object again is a replay"
if ! esf reseal -s 611 --to 640 -f esprim --ori o-7 --rri r-7 <"$pdir/made.$hop" \
	>"$tmp/fwd" 2>"$tmp/err" && readf "$tmp/err" && [[ $REPLY == *'replayed record'* ]] &&
	[ ! -s "$tmp/fwd" ]; then
	ok "$d"
else
	not_ok "$d" "$(cat "$tmp/err")"
fi

# A random-IV JWE on a session under the policy "esf": a foreign nonce
# (4111), not a forgery; then the same object on the "any" twin, once.
[ "${MADE[one]:-}" = ok ] ||
	{ echo "Bail out! jose_peer.py make: ${MADE[one]:-no answer}"; exit 1; }
jwe=$pdir/made.$one
d="a random-IV JWE on a session under the policy esf: refused as foreign (4111), not as a bad MAC"
re=$'not an esf nonce of this session[^\n]*4111'
if ! esf open -s 300 -f jwe-compact <"$jwe" >/dev/null 2>"$tmp/err" &&
	readf "$tmp/err" && [[ $REPLY =~ $re ]]; then
	ok "$d"
else
	not_ok "$d" "$(cat "$tmp/err")"
fi
{
	echo "# made by $peer_version (python3-jwcrypto), key gcm128 = ${KEY[gcm128]}"
	echo "\$ cat random-iv.jwe"
	readf "$jwe"
	printf %s "$REPLY"
	echo "\$ esf open -s 300 -f jwe-compact < random-iv.jwe    # nonce policy esf"
	esf open -s 300 -f jwe-compact <"$jwe" 2>&1
	echo "[exit $?]"
	echo "\$ esf open -s 2128 -f jwe-compact --info < random-iv.jwe    # nonce policy any"
	esf open -s 2128 -f jwe-compact --info <"$jwe" 2>&1
	rc=$?
	echo # the plaintext has no newline of its own
	echo "[exit $rc]"
	echo "\$ esf open -s 2128 -f jwe-compact < random-iv.jwe    # the same again"
	esf open -s 2128 -f jwe-compact <"$jwe" 2>&1
	echo "[exit $?]"
	echo "\$ esfctl session show 2128"
	esfctl session show 2128
} >"$tmp/transcript" 2>&1
mkdir -p "$out_dir" 2>/dev/null && cp "$tmp/transcript" "$out_dir/random-iv-jwe.txt" 2>/dev/null
readf "$tmp/transcript"
d="the random-IV JWE opens once on the policy-any twin; its replay is refused"
if [[ $REPLY == *$'\na reading, 21.7 C'* ]] && [[ $REPLY == *'replayed record'* ]]; then
	ok "$d"
else
	not_ok "$d" "$REPLY"
fi

[ "$n" = "$PLAN" ] || not_ok "plan: $PLAN tests, ran $n"
exit $failed
