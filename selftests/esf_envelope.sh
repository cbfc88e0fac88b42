#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# oneM2M envelopes through the kernel fast path, as a script or another
# implementation would use them: sessions made with esfctl from key files,
# "esf seal" on stdin, "esf open" to stdout.
#
#  - every target data class (1: ESPrim Object / class 1 primitive, 2:
#    Content replaced, 3: <contentInstance>) and every serialization esf
#    offers, over gcm(aes) 128/192/256 and hmac(sha256/384/512);
#  - the kernel's output equals docs/envelopes.md section 7 byte for byte
#    (same key, salt and counter as the host tests' software session);
#  - every opening happens in another process (uid 1000) that holds only an
#    open-only twin of the sealing session (same key, salt and key id);
#    that uid can neither seal with its twin nor use the sealing session;
#  - tampering with any part of an envelope is refused (exit 1, the oneM2M
#    code on stderr, nothing on stdout), and a refused copy does not burn
#    the original's sequence number;
#  - a JWE, an ESPrim Object or a class 2 primitive opens once: the second
#    time is a replay.
#
# Sample envelopes, one of each kind, and the exact commands that made them
# go to $ESF_ENVELOPE_DIR (default /out/envelopes in the test VM, which the
# host sees as build/vm/<release>/out/envelopes). Prints TAP.

PLAN=209
RX_UID=1000	# the receiving process
OTHER_UID=65534	# someone else
tmp=$(mktemp -d)
rx_pid=
cleanup() {
	[ -n "$rx_pid" ] && kill "$rx_pid" 2>/dev/null
	rm -rf "$tmp"
	esfctl session flush >/dev/null 2>&1
}
trap cleanup EXIT

. "$(dirname "$0")/lib_tap.sh"
skip() { n=$((n + 1)); echo "ok $n $1 # SKIP $2"; }
section() { echo "# [${SECONDS}s] $1"; }

echo "TAP version 13"
echo "1..$PLAN"

for c in esf esfctl setpriv od base64 cmp; do
	command -v $c >/dev/null || { echo "Bail out! $c not found"; exit 1; }
done
modprobe esf || { echo "Bail out! cannot load esf.ko"; exit 1; }
esfctl session flush >/dev/null

# Envelopes and payloads are readable by the receiver; keys are not.
umask 022
chmod 755 "$tmp"
mkdir -m 700 "$tmp/keys"
rxd=$tmp/rx
mkdir "$rxd"

# The receiving process: a shell of another uid, without capabilities or
# groups, that runs "esf open" for us and answers with its exit status.
# Its output lands in $rxd. Without a setpriv that can change uid the
# receiver runs as root (still through its own open-only sessions) and
# the ownership tests are skipped.
if setpriv --help 2>&1 | grep -q reuid; then
	uids=1
	chown $RX_UID:$RX_UID "$rxd"
	as_rx=(setpriv "--reuid=$RX_UID" "--regid=$RX_UID" --clear-groups)
	as_other=(setpriv "--reuid=$OTHER_UID" "--regid=$OTHER_UID" --clear-groups)
else
	uids=0
	as_rx=()
fi
coproc RX { "${as_rx[@]}" bash -c 'while IFS= read -r c; do eval "$c"; echo $?; done'; }
rx_pid=$RX_PID
# open_rx <envelope file> <session> <esf open args...>: the receiver opens
# the envelope; its stdout and stderr are then in $rxd/out and $rxd/err.
open_rx() {
	local in=$1 c rc
	shift
	printf -v c '%q ' esf open -s "$@"
	echo "$c<$in >$rxd/out 2>$rxd/err" >&"${RX[1]}"
	read -r rc <&"${RX[0]}" || { echo "Bail out! the receiver died"; exit 1; }
	return "$rc"
}

# ---- helpers ---------------------------------------------------------------

# base64url (RFC 7515 appendix C) in bash, without padding; results in
# REPLY, to spare subshells and processes
B64U=ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_
declare -A B64V
for ((i = 0; i < 64; i++)); do B64V[${B64U:i:1}]=$i; done
hex_of() { # hex_of <base64url>: the bytes in hex
	local s=$1 h='' i v n=${#1}
	for ((i = 0; i + 4 <= n; i += 4)); do
		printf -v v '%06x' $((B64V[${s:i:1}] << 18 | B64V[${s:i+1:1}] << 12 |
			B64V[${s:i+2:1}] << 6 | B64V[${s:i+3:1}]))
		h+=$v
	done
	case $((n - i)) in
	2) printf -v v '%02x' $((B64V[${s:i:1}] << 2 | B64V[${s:i+1:1}] >> 4)) ;;
	3) printf -v v '%04x' $((B64V[${s:i:1}] << 10 | B64V[${s:i+1:1}] << 4 | B64V[${s:i+2:1}] >> 2)) ;;
	*) v= ;;
	esac
	REPLY=$h$v
}
b64_of_hex() { # b64_of_hex <hex>: those bytes in base64url
	local h=$1 s='' i v n=${#1}
	for ((i = 0; i + 6 <= n; i += 6)); do
		v=$((16#${h:i:6}))
		s+=${B64U:(v >> 18):1}${B64U:(v >> 12 & 63):1}${B64U:(v >> 6 & 63):1}${B64U:(v & 63):1}
	done
	case $((n - i)) in
	2) v=$((16#${h:i:2})) s+=${B64U:(v >> 2):1}${B64U:((v & 3) << 4):1} ;;
	4) v=$((16#${h:i:4})) s+=${B64U:(v >> 10):1}${B64U:(v >> 4 & 63):1}${B64U:((v & 15) << 2):1} ;;
	esac
	REPLY=$s
}
b64d() { # b64d <base64url>: the text it holds (text only; base64 -d is
	# quicker here than bash)
	local s=${1//-/+}
	s=${s//_//}
	case $((${#s} % 4)) in
	2) s+="==" ;;
	3) s+="=" ;;
	esac
	REPLY=$(base64 -d <<<"$s")
}
b64e() { # b64e <text>: its base64url
	local LC_ALL=C s=$1 h='' c i
	for ((i = 0; i < ${#s}; i++)); do
		printf -v c '%02x' "'${s:i:1}"
		h+=$c
	done
	b64_of_hex "$h"
}
# flip <b64url> <byte>: the same data with the low bit of byte <byte>
# changed (negative: from the end)
flip() {
	local h p b
	hex_of "$1"
	h=$REPLY p=$2
	((p < 0)) && p=$((${#h} / 2 + p))
	printf -v b '%02x' $((0x${h:2*p:2} ^ 1))
	b64_of_hex "${h:0:2*p}$b${h:2*p+2}"
	printf '%s' "$REPLY"
}
# cut_bytes <b64url> <n>: drop the last <n> bytes
cut_bytes() {
	hex_of "$1"
	b64_of_hex "${REPLY:0:${#REPLY}-2*$2}"
	printf '%s' "$REPLY"
}
# part <compact> <i>, setpart <compact> <i> <value> (0-based)
part() { local IFS=. p; read -r -a p <<<"$1"; printf '%s' "${p[$2]}"; }
setpart() {
	local IFS=. p
	read -r -a p <<<"$1"
	p[$2]=$3
	printf '%s' "${p[*]}"
}
# the decoded protected header of a compact JOSE object, and a new one
hdr() { b64d "$(part "$1" 0)"; printf '%s' "$REPLY"; }
sethdr() { b64e "$2"; setpart "$1" 0 "$REPLY"; }
# addx <b64url header>: the header with a member "x" added
addx() { local h; h=$(hdr "$1"); b64e "${h%\}},\"x\":1}"; printf '%s' "$REPLY"; }
addhdr() { setpart "$1" 0 "$(addx "$(part "$1" 0)")"; }
# jget <json> <member>, jset <json> <member> <string>: string members
jget() { local re="\"$2\":\"([^\"]*)\""; [[ $1 =~ $re ]] && printf '%s' "${BASH_REMATCH[1]}"; }
jset() { local v; v=$(jget "$1" "$2"); printf '%s' "${1/\"$2\":\"$v\"/\"$2\":\"$3\"}"; }
# readf <file>: REPLY = its text without the final newline
readf() { REPLY=; IFS= read -r -d '' REPLY <"$1"; REPLY=${REPLY%$'\n'}; }
# same_file <expected> <got>: byte for byte; bash compares text (read stops
# at a NUL and then succeeds), cmp anything with a NUL in it
same_file() {
	local a b
	if IFS= read -r -d '' a <"$1"; then
		cmp -s "$1" "$2"
		return
	fi
	IFS= read -r -d '' b <"$2" && return 1
	[ "$a" = "$b" ]
}
# any_hdr <text>: REPLY = the protected header of any envelope: the
# "protected" member, else the first base64url token that starts like a
# JSON object
any_hdr() {
	local re1='protected[\\"]*:[\\"]*(eyJ[A-Za-z0-9_-]*)' re2='(eyJ[A-Za-z0-9_-]*)'
	REPLY=
	if [[ $1 =~ $re1 ]] || [[ $1 =~ $re2 ]]; then
		b64d "${BASH_REMATCH[1]}"
	fi
}

# seal <envelope file> <session> <esf seal args...> < payload
seal() {
	local f=$1 s=$2
	shift 2
	esf seal -s "$s" "$@" >"$f" 2>"$tmp/seal.err"
}

# rt <description> <tx> <rx> <payload file> <header ERE> <shape ERE> <args...>
# Seal with <tx> here, open with <rx> in the receiver: the payload must
# come back byte for byte, the protected header must match <header ERE>
# (the algorithm the key serves) and the envelope <shape ERE>.
rt() {
	local d=$1 tx=$2 rx=$3 in=$4 hre=$5 shape=$6 env=$tmp/env text
	shift 6
	if ! seal "$env" "$tx" "$@" <"$in"; then
		not_ok "$d" "seal: $(cat "$tmp/seal.err")"
		return
	fi
	readf "$env"
	text=$REPLY
	any_hdr "$text"
	if ! [[ $REPLY =~ $hre ]]; then
		not_ok "$d" "header $REPLY does not match $hre"
		return
	fi
	if [ -n "$shape" ] && ! [[ $text =~ $shape ]]; then
		not_ok "$d" "envelope does not match $shape: ${text:0:600}"
		return
	fi
	# --cty is for sealing only
	local a=() x
	for x in "$@"; do [[ $x == --cty=* ]] || a+=("$x"); done
	if ! open_rx "$env" "$rx" "${a[@]}"; then
		not_ok "$d" "open: $(cat "$rxd/err")"
		return
	fi
	if same_file "$in" "$rxd/out"; then
		ok "$d"
	else
		not_ok "$d" "payload differs: $(head -c 300 "$rxd/out")"
	fi
}

# refused <description> <stderr ERE> <rx> <text> <original> <esf open args...>
# The receiver opening <text> must exit 1 with nothing on stdout and
# <stderr ERE> on stderr. <text> must differ from <original>, so that a
# tampering that changed nothing cannot pass.
refused() {
	local d=$1 want=$2 rx=$3 text=$4 orig=$5 rc err
	shift 5
	if [ "$text" = "$orig" ] || [ -z "$text" ]; then
		not_ok "$d" "the tampering changed nothing"
		return
	fi
	printf '%s\n' "$text" >"$tmp/t"
	open_rx "$tmp/t" "$rx" "$@"
	rc=$?
	readf "$rxd/err"
	err=$REPLY
	if [ $rc = 1 ] && [ ! -s "$rxd/out" ] && [[ $err =~ $want ]]; then
		ok "$d"
	else
		not_ok "$d" "rc=$rc, stdout $(wc -c <"$rxd/out") bytes, stderr: $err"
	fi
}
# opens <description> <rx> <text> <expected payload file> <args...>
opens() {
	local d=$1 rx=$2 text=$3 want=$4
	shift 4
	printf '%s\n' "$text" >"$tmp/t"
	if open_rx "$tmp/t" "$rx" "$@" && same_file "$want" "$rxd/out"; then
		ok "$d"
	else
		not_ok "$d" "$(cat "$rxd/err")"
	fi
}

BAD_MAC='oneM2M 4115 ESPRIM_BAD_MAC'
FOREIGN='not an esf nonce of this session.*\(oneM2M 4111 ESPRIM_UNSUPPORTED_OPTION'
UNSUPP='oneM2M 4111 ESPRIM_UNSUPPORTED_OPTION'
KEY_ID='oneM2M 4112 ESPRIM_UNKNOWN_KEY_ID'
MALFORMED='malformed envelope \(oneM2M 5210 '
REPLAY='replayed record.*\(oneM2M 5210 '
CLASS='another target data class.*\(oneM2M 4111 '

# ---- sessions ----------------------------------------------------------------

# add <id> <args...>: one session, or bail out
add() {
	local id=$1
	shift
	esfctl session add --id "$id" "$@" >"$tmp/add" 2>&1 ||
		{ echo "Bail out! session $id: $(cat "$tmp/add")"; exit 1; }
}
# Keys and salts: one read of /dev/urandom, handed out by rand_hex.
rand_pool 320
keyfile() { # keyfile <file> <bytes>: a random key, raw
	local f='' i
	rand_hex "$2"
	for ((i = 0; i < ${#REPLY}; i += 2)); do f+="\\x${REPLY:i:2}"; done
	printf '%b' "$f" >"$1"
}
rx_owner=(--direction open --owner-uid "$RX_UID" --owner-gid "$RX_UID")

# gcm(aes) 128/192/256: sealing session 1<i> (root), receiving twin 2<i>.
bits=(128 192 256)
for i in 0 1 2; do
	keyfile "$tmp/keys/k$i" $((bits[i] / 8))
	rand_hex 4
	s=$REPLY
	salts[i]=$s
	add 1$i --alg 'gcm(aes)' --key-file "$tmp/keys/k$i" --salt "$s" --key-id "vm-gcm${bits[i]}"
	add 2$i --alg 'gcm(aes)' --key-file "$tmp/keys/k$i" --salt "$s" --key-id "vm-gcm${bits[i]}" "${rx_owner[@]}"
done
# hmac(sha256/384/512): signing session 3<i>, verifying twin 4<i>.
hashes=(256 384 512)
for i in 0 1 2; do
	keyfile "$tmp/keys/h$i" $((hashes[i] / 8))
	add 3$i --alg "hmac(sha${hashes[i]})" --key-file "$tmp/keys/h$i" --key-id "vm-hs${hashes[i]}"
	add 4$i --alg "hmac(sha${hashes[i]})" --key-file "$tmp/keys/h$i" --key-id "vm-hs${hashes[i]}" "${rx_owner[@]}"
done
# Receivers that must not open session 10's envelopes: same key and key id
# but another salt (50); same salt and key id but another key (51).
keyfile "$tmp/keys/kx" 16
rand_hex 4
add 50 --alg 'gcm(aes)' --key-file "$tmp/keys/k0" --salt "$REPLY" --key-id vm-gcm128 "${rx_owner[@]}"
add 51 --alg 'gcm(aes)' --key-file "$tmp/keys/kx" --salt "${salts[0]}" --key-id vm-gcm128 "${rx_owner[@]}"
# ESF Sm over DTLS 1.2 records, class 2: sealing session 60 (epoch 2), twin 61.
keyfile "$tmp/keys/kd" 16
rand_hex 4
s=$REPLY
add 60 --alg 'gcm(aes)' --framing dtls12 --key-file "$tmp/keys/kd" --salt "$s" \
	--seq-start $((2 << 48)) --class 2 --type sm
add 61 --alg 'gcm(aes)' --framing dtls12 --key-file "$tmp/keys/kd" --salt "$s" \
	--seq-start $((2 << 48)) --class 2 --type sm "${rx_owner[@]}"
ok "sessions from key files: gcm(aes) 128/192/256, hmac(sha256/384/512), DTLS 1.2 records, open-only twins of uid $RX_UID"

# ---- the documented examples, through the kernel ---------------------------

section "samples"

# Sessions 1-4 are those of docs/envelopes.md section 7 and the host test
# test_esdata/docs_examples: the same key, salt, key id and first sequence
# number give the same envelopes, byte for byte. These commands run as
# written (in the samples directory) and are saved with what they made.
samples=${ESF_ENVELOPE_DIR:-}
if [ -z "$samples" ] && [ -d /out ] && [ -w /out ]; then
	samples=/out/envelopes
fi
sdir=$tmp/samples
mkdir -p "$sdir"
[ -n "$samples" ] && mkdir -p "$samples"
cmds=$sdir/commands.txt
{
	echo "# Made by selftests/esf_envelope.sh in the test VM, kernel $(uname -r), $(esf --version)."
	echo "# Run in order, as root, in one directory; the receiver is uid $RX_UID."
	echo "# Every envelope is the output of its 'esf seal' line, without the final newline;"
	echo "# the 'esf open' line under it gives the payload back, byte for byte."
} >"$cmds"
# run <command>: run it in the samples directory and record it
run() {
	printf '%s\n' "$1" >>"$cmds"
	(cd "$sdir" && eval "$1")
}
setup=(
	"printf '%s' 000102030405060708090a0b0c0d0e0f >aes128.hex"
	"printf '%s' 000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f >hmac256.hex"
	"esfctl session add --id 1 --alg 'gcm(aes)' --key-file aes128.hex --key-format hex --salt e5f00001 --seq-start 1 --key-id pairwise-1"
	"esfctl session add --id 2 --alg 'gcm(aes)' --key-file aes128.hex --key-format hex --salt e5f00001 --key-id pairwise-1 --direction open --owner-uid $RX_UID --owner-gid $RX_UID"
	"esfctl session add --id 3 --alg 'hmac(sha256)' --key-file hmac256.hex --key-format hex --key-id pairwise-1"
	"esfctl session add --id 4 --alg 'hmac(sha256)' --key-file hmac256.hex --key-format hex --key-id pairwise-1 --direction open --owner-uid $RX_UID --owner-gid $RX_UID"
)
for c in "${setup[@]}"; do
	run "$c" >/dev/null || { echo "Bail out! $c failed"; exit 1; }
done

REQ='{"op":2,"to":"//sp/in-cse/cnt-1","fr":"Cae-1","rqi":"req-1","rvi":"3"}'
CREQ='{"op":1,"to":"//sp/mn-cse/cnt-1","fr":"Cae-1","rqi":"req-2","rvi":"3","ty":4,"pc":{"m2m:cin":{"con":"21.5"}}}'
CIN='{"m2m:cin":{"rn":"t-1","cnf":"text/plain:0","or":"http://example.org/temp","con":"21.5"}}'
# class 3 opening gives "con", "cnf", "or" back in that order
CIN_OPENED='{"m2m:cin":{"rn":"t-1","con":"21.5","cnf":"text/plain:0","or":"http://example.org/temp"}}'

# sample <name> <payload> <seal args> <open args> <expected opened> [documented]
sample() {
	local name=$1 payload=$2 sargs=$3 oargs=$4 back=$5 doc=${6:-} got
	if ! run "printf '%s' '$payload' | esf seal $sargs >$name.txt" >"$tmp/run" 2>&1; then
		readf "$tmp/run"
		not_ok "sample $name: sealed" "$REPLY"
		return
	fi
	readf "$sdir/$name.txt"
	got=$REPLY
	if [ -z "$got" ]; then
		not_ok "sample $name: sealed" "an empty envelope"
		return
	fi
	if [ -n "$doc" ] && [ "$got" != "$doc" ]; then
		not_ok "sample $name: the kernel's envelope is the one in docs/envelopes.md" \
			"got:  $got"$'\n'"want: $doc"
		return
	fi
	printf '%s' "$back" >"$tmp/back"
	# The receiver's side, as recorded: root reads the file, uid $RX_UID opens.
	run "setpriv --reuid=$RX_UID --regid=$RX_UID --clear-groups esf open $oargs <$name.txt" >"$tmp/run" 2>&1
	readf "$tmp/run"
	got=$REPLY
	if [ "$got" = "$back" ]; then
		ok "sample $name: ${doc:+the documented envelope, byte for byte; }the receiver opens it"
	else
		not_ok "sample $name: opened by the receiver" "$got"
	fi
}
if ((uids)); then
	sample jwe-compact hello "--session 1 --format jwe-compact" "--session 2 --format jwe-compact" hello \
		'eyJhbGciOiJkaXIiLCJraWQiOiJwYWlyd2lzZS0xIiwiZW5jIjoiQTEyOEdDTSJ9..5fAAAQAAAAAAAAAB.RE9wBx4.RlAQlULNnK-yS95XrJgO5Q'
	sample jwe-json hello "--session 1 --format jwe-json" "--session 2 --format jwe-json" hello \
		'{"protected":"eyJhbGciOiJkaXIiLCJraWQiOiJwYWlyd2lzZS0xIiwiZW5jIjoiQTEyOEdDTSJ9","recipients":[{}],"iv":"5fAAAQAAAAAAAAAC","ciphertext":"yPR0mnk","tag":"ul4BFsVX0Ugmir-qn0p-Qg"}'
	sample jws-compact hello "--session 3 --format jws-compact" "--session 4 --format jws-compact" hello \
		'eyJhbGciOiJIUzI1NiIsImtpZCI6InBhaXJ3aXNlLTEifQ.aGVsbG8.RGYrP7dXEBzOtmvzTNSshxCGXbPEqPxd586MSDX5vWU'
	sample esprim hello "--session 1 --format esprim --ori o-rand-1 --rri r-rand-1" \
		"--session 2 --format esprim --ori o-rand-1 --rri r-rand-1" hello \
		'eyJhbGciOiJkaXIiLCJraWQiOiJwYWlyd2lzZS0xIiwiZW5jIjoiQTEyOEdDTSIsIm9yaSI6Im8tcmFuZC0xIiwicnJpIjoici1yYW5kLTEifQ..5fAAAQAAAAAAAAAD.21Q8R5M.TdkLfJcexSBJdKUHuOfPKA'
	sample class1 "$REQ" "--session 1 --format class1 --ori o-rand-1 --rri r-rand-1" \
		"--session 2 --format class1 --ori o-rand-1 --rri r-rand-1" "$REQ" \
		'{"op":5,"to":"//sp/in-cse/cnt-1","fr":"Cae-1","rqi":"req-1","rvi":"3","pc":{"m2m:seci":{"sit":5,"epo":"eyJhbGciOiJkaXIiLCJraWQiOiJwYWlyd2lzZS0xIiwiZW5jIjoiQTEyOEdDTSIsIm9yaSI6Im8tcmFuZC0xIiwicnJpIjoici1yYW5kLTEifQ..5fAAAQAAAAAAAAAE.kiDAljJe-LFAtmXIincMfIuSFVp0FKjaRJcH3MwwIZJspjZc_AIQBpLyJoncYX-f9ChE-2iFOhU17pAcdZ5CwDZQavvq6Q.Rc5yVH3WF-6LOFdNQGZetg"}}}'
	sample envelope hello "--session 1 --format envelope --type s1 --class 2" \
		"--session 2 --format envelope --type s1 --class 2" hello \
		'{"esf:env":{"sst":1,"tdc":2,"jwe":"eyJhbGciOiJkaXIiLCJraWQiOiJwYWlyd2lzZS0xIiwiZW5jIjoiQTEyOEdDTSIsInNzdCI6MSwidGRjIjoyfQ..5fAAAQAAAAAAAAAF.QFEndH0.MO4bOnNFl-EB-QsX-CpHJQ"}}'
	sample class2 "$CREQ" "--session 1 --format class2" "--session 2 --format class2" "$CREQ" \
		'{"op":1,"to":"//sp/mn-cse/cnt-1","fr":"Cae-1","rqi":"req-2","rvi":"3","ty":65535,"pc":{"esf:env":{"sst":1,"tdc":2,"jwe":"eyJhbGciOiJkaXIiLCJraWQiOiJwYWlyd2lzZS0xIiwiZW5jIjoiQTEyOEdDTSIsInNzdCI6MSwidGRjIjoyfQ..5fAAAQAAAAAAAAAG.iYbaXRf53h5fbs-Zz9PEN9Cgvl4g0G1tAAYfCgPL-DKD8x6G8UWCEQ.uX9B1MnQNw4UdA0tUQ4s-Q"}}}'
	sample class3 "$CIN" "--session 1 --format class3" "--session 2 --format class3" "$CIN_OPENED" \
		'{"m2m:cin":{"rn":"t-1","cnf":"application/jose:0:1","con":"eyJhbGciOiJkaXIiLCJraWQiOiJwYWlyd2lzZS0xIiwiZW5jIjoiQTEyOEdDTSJ9..5fAAAQAAAAAAAAAH.E-B_8vwl37SKTBkTdouukIjxVGtY3OGSmeYAGI6xmiVZ08rSSDqRLWhPAoTQ5ml-Slo_7TSxQHuCUlat-73avnWI.pKhzRw2hRP0ILS-QTQaNVQ"}}'
	# The kinds the documentation shows no example of.
	sample jwe-flat hello "--session 1 --format jwe-flat" "--session 2 --format jwe-flat" hello
	sample jws-json hello "--session 3 --format jws-json" "--session 4 --format jws-json" hello
	sample jws-flat hello "--session 3 --format jws-flat" "--session 4 --format jws-flat" hello
	sample envelope-jws hello "--session 3 --format envelope --type sm --class 3 --jose json" \
		"--session 4 --format envelope --type sm --class 3" hello
	sample class3-json "$CIN" "--session 1 --format class3 --jose json" \
		"--session 2 --format class3" "$CIN_OPENED"
	sample class3-jws "$CIN" "--session 3 --format class3" "--session 4 --format class3" "$CIN_OPENED"
	if [ -n "$samples" ]; then
		cp "$sdir"/*.txt "$samples"/ && echo "# sample envelopes and commands in $samples"
	fi
else
	for s in jwe-compact jwe-json jws-compact esprim class1 envelope class2 class3 \
		jwe-flat jws-json jws-flat envelope-jws class3-json class3-jws; do
		skip "sample $s" "setpriv cannot change uid"
	done
fi

# ---- round trips: every class and serialization, every key --------------

section "round trips"

printf '%s' 'hello from the test VM' >"$tmp/text"
head -c 1000 /dev/urandom >"$tmp/binary"
: >"$tmp/empty"
head -c 65536 /dev/urandom >"$tmp/large"
printf '%s' "$REQ" >"$tmp/req"
printf '%s' '{"rsc":2000,"rqi":"req-1","to":"Cae-1","fr":"/in-cse","rvi":"3","pc":{"m2m:cin":{"con":"21.5"}}}' >"$tmp/rsp"
printf '%s' "$CREQ" >"$tmp/creq"
printf '%s' '{"rsc":2000,"rqi":"req-3","to":"Cae-1","fr":"/mn-cse","rvi":"3","pc":{"m2m:cin":{"con":"22"}}}' >"$tmp/crsp"
printf '%s' '{"m2m:cin":{"rn":"t-2","con":"21.5","cnf":"text/plain:0","or":"http://example.org/temp"}}' >"$tmp/cin"
printf '%s' '{"con":"eyJub3QiOiJhIEpXRSJ9","cnf":"application/json:1"}' >"$tmp/cin_bare"

C1='"op":5.*"pc":\{"m2m:seci":\{"sit":5,"epo":"eyJ'
ENV='^\{"esf:env":\{"sst":[123],"tdc":[123],"jw[es]":'
C2='"ty":65535,"pc":\{"esf:env":\{"sst":1,"tdc":2,'
C3='"con":"eyJ[^"]*","cnf":"application/jose:0:1"'
C3J='"cnf":"application/jose\+json:0:2"'
for i in 0 1 2; do
	tx=1$i rx=2$i g="gcm${bits[i]}"
	h="\"alg\":\"dir\",\"kid\":\"vm-$g\",\"enc\":\"A${bits[i]}GCM\""
	rt "$g jwe-compact" $tx $rx "$tmp/text" "$h" '^eyJ[^.]*\.\.[^.]+\.[^.]+\.[^.]+$' -f jwe-compact
	rt "$g jwe-json" $tx $rx "$tmp/text" "$h" '"recipients":\[\{\}\]' -f jwe-json
	rt "$g jwe-flat (cty)" $tx $rx "$tmp/text" "$h,\"cty\":\"text/plain\"" '^\{"protected".*"tag"' -f jwe-flat --cty=text/plain
	rt "$g esprim" $tx $rx "$tmp/text" "$h,\"ori\":\"o-$i\",\"rri\":\"r-$i\"" '' -f esprim --ori=o-$i --rri=r-$i
	rt "$g class1 request" $tx $rx "$tmp/req" "$h,\"ori\":\"o-$i\",\"rri\":\"r-$i\"" "$C1" -f class1 --ori=o-$i --rri=r-$i
	rt "$g envelope compact, class 1, s1" $tx $rx "$tmp/text" "$h,\"sst\":1,\"tdc\":1" "$ENV\"eyJ" -f envelope --class=1 --type=s1
	rt "$g envelope json, class 2, s2" $tx $rx "$tmp/text" "$h,\"sst\":2,\"tdc\":2" "$ENV\\{\"protected\"" -f envelope --class=2 --type=s2 --jose=json
	rt "$g envelope flat, class 3, sm" $tx $rx "$tmp/text" "$h,\"sst\":3,\"tdc\":3" "$ENV\\{\"protected\"" -f envelope --class=3 --type=sm --jose=flat
	rt "$g class2 request, compact" $tx $rx "$tmp/creq" "$h,\"sst\":1,\"tdc\":2" "$C2\"jwe\":\"eyJ" -f class2
	rt "$g class2 response, json" $tx $rx "$tmp/crsp" "$h,\"sst\":1,\"tdc\":2" '"pc":\{"esf:env":\{"sst":1,"tdc":2,"jwe":\{"protected"' -f class2 --jose=json
	rt "$g class2 request, flat" $tx $rx "$tmp/creq" "$h,\"sst\":1,\"tdc\":2" "$C2\"jwe\":\\{\"protected\"" -f class2 --jose=flat
	rt "$g class3 compact (:1)" $tx $rx "$tmp/cin" "$h" "$C3" -f class3
	rt "$g class3 json (:2)" $tx $rx "$tmp/cin" "$h" "$C3J" -f class3 --jose=json
	rt "$g class3 flat (:2), bare attributes" $tx $rx "$tmp/cin_bare" "$h" "^\\{\"con\":\"\\{.*$C3J" -f class3 --jose=flat
done
h='"alg":"dir","kid":"vm-gcm128","enc":"A128GCM"'
rt "gcm128 jwe-compact, 1000 random bytes" 10 20 "$tmp/binary" "$h" '' -f jwe-compact
rt "gcm128 jwe-json, empty payload" 10 20 "$tmp/empty" "$h" '"ciphertext":""' -f jwe-json
rt "gcm256 jwe-flat, 65536 random bytes (max_data)" 12 22 "$tmp/large" '"enc":"A256GCM"' '' -f jwe-flat
rt "gcm192 class1 response" 11 21 "$tmp/rsp" '"enc":"A192GCM"' '^\{"rsc":2000,"rqi":"req-1".*"sit":5' -f class1 --ori=o --rri=r

for i in 0 1 2; do
	tx=3$i rx=4$i g="hs${hashes[i]}"
	h="\"alg\":\"HS${hashes[i]}\",\"kid\":\"vm-$g\""
	rt "$g jws-compact" $tx $rx "$tmp/text" "$h" '^eyJ[^.]*\.[^.]+\.[^.]+$' -f jws-compact
	rt "$g jws-json (cty)" $tx $rx "$tmp/text" "$h,\"cty\":\"text/plain\"" '"signatures":\[\{"protected"' -f jws-json --cty=text/plain
	rt "$g jws-flat" $tx $rx "$tmp/binary" "$h" '^\{"payload".*"signature"' -f jws-flat
	rt "$g envelope compact, class 1, s1" $tx $rx "$tmp/text" "$h,\"sst\":1,\"tdc\":1" "$ENV\"eyJ" -f envelope --class=1 --type=s1
	rt "$g envelope json, class 2, sm" $tx $rx "$tmp/text" "$h,\"sst\":3,\"tdc\":2" "$ENV\\{\"payload\"" -f envelope --class=2 --type=sm --jose=json
	rt "$g envelope flat, class 3, s2" $tx $rx "$tmp/text" "$h,\"sst\":2,\"tdc\":3" "$ENV\\{\"payload\"" -f envelope --class=3 --type=s2 --jose=flat
	rt "$g class2 request, compact" $tx $rx "$tmp/creq" "$h,\"sst\":1,\"tdc\":2" "$C2\"jws\":\"eyJ" -f class2
	rt "$g class2 response, json" $tx $rx "$tmp/crsp" "$h,\"sst\":1,\"tdc\":2" '"jws":\{"payload"' -f class2 --jose=json
	rt "$g class2 request, flat" $tx $rx "$tmp/creq" "$h,\"sst\":1,\"tdc\":2" "$C2\"jws\":\\{\"payload\"" -f class2 --jose=flat
	rt "$g class3 compact (:1)" $tx $rx "$tmp/cin" "$h" "$C3" -f class3
	rt "$g class3 json (:2)" $tx $rx "$tmp/cin" "$h" "$C3J" -f class3 --jose=json
	rt "$g class3 flat (:2), bare attributes" $tx $rx "$tmp/cin_bare" "$h" "^\\{\"con\":\"\\{.*$C3J" -f class3 --jose=flat
done

# Sm envelopes of DTLS records: three records for 40000 bytes, one for
# none; the element names Sm and the session's class.
head -c 40000 /dev/urandom >"$tmp/p40k"
: >"$tmp/p0"
# (No JOSE header to match: '.*'. The records start with type 23,
# DTLS 1.2 and epoch 2: 17 fe fd 00 02, "F_79AAI" in base64url.)
rt "Sm envelope, DTLS 1.2 records, 40000 bytes (3 records)" 60 61 "$tmp/p40k" '.*' \
	'^\{"esf:env":\{"sst":3,"tdc":2,"dtls":"F_79AAI' -f envelope --class 2 --type sm
rt "Sm envelope, DTLS 1.2 records, empty payload" 60 61 "$tmp/p0" '.*' \
	'^\{"esf:env":\{"sst":3,"tdc":2,"dtls":"F_79AAI' -f envelope --class 2 --type sm
seal "$tmp/dtls" 60 -f envelope --class 2 --type sm <"$tmp/p40k"
readf "$tmp/dtls"
D=$REPLY
opens "Sm envelope of DTLS records opens" 61 "$D" "$tmp/p40k" -f envelope --class 2 --type sm
refused "Sm envelope of DTLS records: replay" "$REPLAY" 61 "$D" "" -f envelope --class 2 --type sm
refused "Sm envelope of DTLS records: relabelled sst" 'another target data class' 61 \
	"${D/\"sst\":3/\"sst\":1}" "$D" -f envelope --class 2
# ---- tampering ---------------------------------------------------------------

section "tampering"

printf '%s' 'tamper with me, please' >"$tmp/p"

# JWE compact: protected header . encrypted key . iv . ciphertext . tag
seal "$tmp/e" 10 -f jwe-compact <"$tmp/p"
readf "$tmp/e"
E=$REPLY
H=$(hdr "$E")
O=(-f jwe-compact)
refused "jwe-compact: header member added" "$BAD_MAC" 20 "$(addhdr "$E")" "$E" "${O[@]}"
refused "jwe-compact: header reordered" "$BAD_MAC" 20 "$(sethdr "$E" '{"enc":"A128GCM","alg":"dir","kid":"vm-gcm128"}')" "$E" "${O[@]}"
refused "jwe-compact: kid" "$KEY_ID" 20 "$(sethdr "$E" "${H/vm-gcm128/vm-gcm129}")" "$E" "${O[@]}"
refused "jwe-compact: kid removed" "$BAD_MAC" 20 "$(sethdr "$E" '{"alg":"dir","enc":"A128GCM"}')" "$E" "${O[@]}"
refused "jwe-compact: enc A256GCM" "$UNSUPP" 20 "$(sethdr "$E" "${H/A128GCM/A256GCM}")" "$E" "${O[@]}"
refused "jwe-compact: alg A128KW" "$UNSUPP" 20 "$(sethdr "$E" "${H/\"dir\"/\"A128KW\"}")" "$E" "${O[@]}"
refused "jwe-compact: zip" "$UNSUPP" 20 "$(sethdr "$E" "${H%\}},\"zip\":\"DEF\"}")" "$E" "${O[@]}"
refused "jwe-compact: unknown crit" "$UNSUPP" 20 "$(sethdr "$E" "${H%\}},\"crit\":[\"x\"],\"x\":1}")" "$E" "${O[@]}"
refused "jwe-compact: header not JSON" "$MALFORMED" 20 "$(sethdr "$E" "${H%\}}")" "$E" "${O[@]}"
refused "jwe-compact: header base64url padded" "$MALFORMED" 20 "$(setpart "$E" 0 "$(part "$E" 0)=")" "$E" "${O[@]}"
refused "jwe-compact: encrypted key not empty" "$MALFORMED" 20 "$(setpart "$E" 1 AAAA)" "$E" "${O[@]}"
refused "jwe-compact: iv counter" "$BAD_MAC" 20 "$(setpart "$E" 2 "$(flip "$(part "$E" 2)" 4)")" "$E" "${O[@]}"
refused "jwe-compact: iv salt (a foreign nonce, not a bad MAC)" "$FOREIGN" 20 "$(setpart "$E" 2 "$(flip "$(part "$E" 2)" 0)")" "$E" "${O[@]}"
refused "jwe-compact: iv 11 bytes" "$MALFORMED" 20 "$(setpart "$E" 2 "$(cut_bytes "$(part "$E" 2)" 1)")" "$E" "${O[@]}"
refused "jwe-compact: ciphertext" "$BAD_MAC" 20 "$(setpart "$E" 3 "$(flip "$(part "$E" 3)" 0)")" "$E" "${O[@]}"
refused "jwe-compact: ciphertext truncated" "$BAD_MAC" 20 "$(setpart "$E" 3 "$(cut_bytes "$(part "$E" 3)" 1)")" "$E" "${O[@]}"
refused "jwe-compact: ciphertext emptied" "$BAD_MAC" 20 "$(setpart "$E" 3 '')" "$E" "${O[@]}"
refused "jwe-compact: tag" "$BAD_MAC" 20 "$(setpart "$E" 4 "$(flip "$(part "$E" 4)" -1)")" "$E" "${O[@]}"
refused "jwe-compact: tag 15 bytes" "$MALFORMED" 20 "$(setpart "$E" 4 "$(cut_bytes "$(part "$E" 4)" 1)")" "$E" "${O[@]}"
refused "jwe-compact: sixth part" "$MALFORMED" 20 "$E.AAAA" "$E" "${O[@]}"
refused "jwe-compact: opened as jwe-json" "$MALFORMED" 20 "$E" "" -f jwe-json
refused "jwe-compact: another salt (session 50)" "$FOREIGN" 50 "$E" "" "${O[@]}"
refused "jwe-compact: another key, same kid and salt (session 51)" "$BAD_MAC" 51 "$E" "" "${O[@]}"
refused "jwe-compact: A128GCM object, A256GCM session" "$UNSUPP" 22 "$E" "" "${O[@]}"
opens "jwe-compact: the original opens after every refused copy" 20 "$E" "$tmp/p" "${O[@]}"
refused "jwe-compact: replay" "$REPLAY" 20 "$E" "" "${O[@]}"

# JWE general and flattened JSON
seal "$tmp/e" 10 -f jwe-json <"$tmp/p"
readf "$tmp/e"
E=$REPLY
O=(-f jwe-json)
P=$(jget "$E" protected)
refused "jwe-json: protected" "$BAD_MAC" 20 "$(jset "$E" protected "$(addx "$P")")" "$E" "${O[@]}"
refused "jwe-json: iv" "$BAD_MAC" 20 "$(jset "$E" iv "$(flip "$(jget "$E" iv)" 4)")" "$E" "${O[@]}"
refused "jwe-json: ciphertext" "$BAD_MAC" 20 "$(jset "$E" ciphertext "$(flip "$(jget "$E" ciphertext)" 3)")" "$E" "${O[@]}"
refused "jwe-json: tag" "$BAD_MAC" 20 "$(jset "$E" tag "$(flip "$(jget "$E" tag)" 7)")" "$E" "${O[@]}"
refused "jwe-json: aad added" "$BAD_MAC" 20 "${E%\}},\"aad\":\"eA\"}" "$E" "${O[@]}"
refused "jwe-json: unprotected kid beside the protected one" "$MALFORMED" 20 "${E%\}},\"unprotected\":{\"kid\":\"vm-gcm128\"}}" "$E" "${O[@]}"
refused "jwe-json: unprotected zip" "$UNSUPP" 20 "${E%\}},\"unprotected\":{\"zip\":\"DEF\"}}" "$E" "${O[@]}"
R='"recipients":[{},{}]'
refused "jwe-json: second recipient" "$UNSUPP" 20 "${E/\"recipients\":\[\{\}\]/$R}" "$E" "${O[@]}"
refused "jwe-json: duplicate member" "$MALFORMED" 20 "${E%\}},\"iv\":\"$(jget "$E" iv)\"}" "$E" "${O[@]}"
opens "jwe-json: the original opens" 20 "$E" "$tmp/p" "${O[@]}"
refused "jwe-json: replay" "$REPLAY" 20 "$E" "" "${O[@]}"
seal "$tmp/e" 10 -f jwe-flat <"$tmp/p"
readf "$tmp/e"
E=$REPLY
refused "jwe-flat: protected" "$BAD_MAC" 20 "$(jset "$E" protected "$(addx "$(jget "$E" protected)")")" "$E" -f jwe-flat
refused "jwe-flat: tag" "$BAD_MAC" 20 "$(jset "$E" tag "$(flip "$(jget "$E" tag)" 0)")" "$E" -f jwe-flat

# JWS compact: protected header . payload . signature (no replay window:
# a JWS over a MIC session carries no sequence number)
seal "$tmp/e" 30 -f jws-compact <"$tmp/p"
readf "$tmp/e"
E=$REPLY
H=$(hdr "$E")
O=(-f jws-compact)
refused "jws-compact: header member added" "$BAD_MAC" 40 "$(addhdr "$E")" "$E" "${O[@]}"
refused "jws-compact: kid" "$KEY_ID" 40 "$(sethdr "$E" "${H/vm-hs256/vm-hs257}")" "$E" "${O[@]}"
refused "jws-compact: alg HS512" "$UNSUPP" 40 "$(sethdr "$E" "${H/HS256/HS512}")" "$E" "${O[@]}"
refused "jws-compact: alg none" "$UNSUPP" 40 "$(sethdr "$E" "${H/HS256/none}")" "$E" "${O[@]}"
refused "jws-compact: payload" "$BAD_MAC" 40 "$(setpart "$E" 1 "$(flip "$(part "$E" 1)" 0)")" "$E" "${O[@]}"
refused "jws-compact: payload replaced" "$BAD_MAC" 40 "$(setpart "$E" 1 aGVsbG8)" "$E" "${O[@]}"
refused "jws-compact: signature" "$BAD_MAC" 40 "$(setpart "$E" 2 "$(flip "$(part "$E" 2)" -1)")" "$E" "${O[@]}"
refused "jws-compact: signature truncated" "$BAD_MAC" 40 "$(setpart "$E" 2 "$(cut_bytes "$(part "$E" 2)" 16)")" "$E" "${O[@]}"
refused "jws-compact: signature removed" "$BAD_MAC" 40 "$(setpart "$E" 2 '')" "$E" "${O[@]}"
refused "jws-compact: HS256 object, HS384 session" "$UNSUPP" 41 "$E" "" "${O[@]}"
opens "jws-compact: the original verifies" 40 "$E" "$tmp/p" "${O[@]}"
seal "$tmp/e" 31 -f jws-json <"$tmp/p"
readf "$tmp/e"
E=$REPLY
O=(-f jws-json)
refused "jws-json: payload" "$BAD_MAC" 41 "$(jset "$E" payload "$(flip "$(jget "$E" payload)" 5)")" "$E" "${O[@]}"
refused "jws-json: protected" "$BAD_MAC" 41 "$(jset "$E" protected "$(addx "$(jget "$E" protected)")")" "$E" "${O[@]}"
refused "jws-json: signature" "$BAD_MAC" 41 "$(jset "$E" signature "$(flip "$(jget "$E" signature)" 20)")" "$E" "${O[@]}"
refused "jws-json: second signature" "$UNSUPP" 41 "$(sed 's/"signatures":\[\(.*\)\]}$/"signatures":[\1,\1]}/' <<<"$E")" "$E" "${O[@]}"
seal "$tmp/e" 32 -f jws-flat <"$tmp/p"
readf "$tmp/e"
E=$REPLY
refused "jws-flat: payload" "$BAD_MAC" 42 "$(jset "$E" payload "$(flip "$(jget "$E" payload)" -1)")" "$E" -f jws-flat
refused "jws-flat: signature" "$BAD_MAC" 42 "$(jset "$E" signature "$(flip "$(jget "$E" signature)" 63)")" "$E" -f jws-flat

# ESPrim Object
seal "$tmp/e" 10 -f esprim --ori o-1 --rri r-1 <"$tmp/p"
readf "$tmp/e"
E=$REPLY
H=$(hdr "$E")
O=(-f esprim --ori o-1 --rri r-1)
refused "esprim: ori in the header" "$BAD_MAC" 20 "$(sethdr "$E" "${H/o-1/o-2}")" "$E" -f esprim
refused "esprim: rri removed" "$MALFORMED" 20 "$(sethdr "$E" "${H/,\"rri\":\"r-1\"/}")" "$E" -f esprim
refused "esprim: kid removed" "$KEY_ID" 20 "$(sethdr "$E" "${H/\"kid\":\"vm-gcm128\",/}")" "$E" -f esprim
refused "esprim: another originator rand id expected" 'oneM2M 4113 ' 20 "$E" "" -f esprim --ori o-2 --rri r-1
refused "esprim: another receiver rand id expected" 'oneM2M 4114 ' 20 "$E" "" -f esprim --ori o-1 --rri r-2
refused "esprim: ciphertext" "$BAD_MAC" 20 "$(setpart "$E" 3 "$(flip "$(part "$E" 3)" 2)")" "$E" "${O[@]}"
refused "esprim: tag" "$BAD_MAC" 20 "$(setpart "$E" 4 "$(flip "$(part "$E" 4)" 9)")" "$E" "${O[@]}"
opens "esprim: the original opens" 20 "$E" "$tmp/p" "${O[@]}"
refused "esprim: replay" "$REPLAY" 20 "$E" "" "${O[@]}"

# Class 1: the outer NOTIFY carries the ESPrim Object
seal "$tmp/e" 10 -f class1 --ori o-1 --rri r-1 <"$tmp/req"
readf "$tmp/e"
E=$REPLY
O=(-f class1 --ori o-1 --rri r-1)
refused "class1: outer op" "$MALFORMED" 20 "${E/\"op\":5/\"op\":1}" "$E" "${O[@]}"
refused "class1: sit" "$MALFORMED" 20 "${E/\"sit\":5/\"sit\":3}" "$E" "${O[@]}"
refused "class1: member beside m2m:seci" "$MALFORMED" 20 "${E/\"m2m:seci\"/\"x\":1,\"m2m:seci\"}" "$E" "${O[@]}"
EPO=$(jget "$E" epo)
refused "class1: epo ciphertext" "$BAD_MAC" 20 "$(jset "$E" epo "$(setpart "$EPO" 3 "$(flip "$(part "$EPO" 3)" 0)")")" "$E" "${O[@]}"
refused "class1: epo header" "$BAD_MAC" 20 "$(jset "$E" epo "$(addhdr "$EPO")")" "$E" "${O[@]}"
opens "class1: the original opens" 20 "$E" "$tmp/req" "${O[@]}"
refused "class1: replay" "$REPLAY" 20 "$E" "" "${O[@]}"
# A relabelled carrier: the object inside is authentic, so the kernel has
# consumed its sequence number before libesf sees the mismatch.
seal "$tmp/e" 10 -f class1 --ori o-1 --rri r-1 <"$tmp/req"
readf "$tmp/e"
E=$REPLY
refused "class1: outer fr (impersonation)" 'oneM2M 4116 ESPRIM_IMPERSONATION_ERROR' 20 "${E/\"fr\":\"Cae-1\"/\"fr\":\"Cae-2\"}" "$E" "${O[@]}"
refused "class1: the relabelled object's original is then a replay" "$REPLAY" 20 "$E" "" "${O[@]}"
seal "$tmp/e" 10 -f class1 --ori o-1 --rri r-1 <"$tmp/req"
readf "$tmp/e"
E=$REPLY
refused "class1: outer rqi (impersonation)" 'oneM2M 4116 ' 20 "${E/\"rqi\":\"req-1\"/\"rqi\":\"req-9\"}" "$E" "${O[@]}"

# The ESF envelope element
seal "$tmp/e" 10 -f envelope --class 2 <"$tmp/p"
readf "$tmp/e"
E=$REPLY
O=(-f envelope --class 2)
refused "envelope: tdc relabelled" "$CLASS" 20 "${E/\"tdc\":2/\"tdc\":3}" "$E" -f envelope --class 3
refused "envelope: sst relabelled" "$CLASS" 20 "${E/\"sst\":1/\"sst\":3}" "$E" "${O[@]}"
refused "envelope: jwe member called jws" "$MALFORMED" 20 "${E/\"jwe\":/\"jws\":}" "$E" "${O[@]}"
refused "envelope: member added" "$MALFORMED" 20 "${E/\"sst\"/\"x\":1,\"sst\"}" "$E" "${O[@]}"
refused "envelope: dtls instead of jwe" "$UNSUPP" 20 "${E/\"jwe\":/\"dtls\":}" "$E" "${O[@]}"
refused "envelope: of class 2, class 3 expected" "$CLASS" 20 "$E" "" -f envelope --class 3
J=$(jget "$E" jwe)
JH=$(hdr "$J")
refused "envelope: header and element relabelled together" "$BAD_MAC" 20 \
	"$(jset "${E/\"tdc\":2/\"tdc\":3}" jwe "$(sethdr "$J" "${JH/\"tdc\":2/\"tdc\":3}")")" "$E" -f envelope --class 3
refused "envelope: inner tag" "$BAD_MAC" 20 "$(jset "$E" jwe "$(setpart "$J" 4 "$(flip "$(part "$J" 4)" 1)")")" "$E" "${O[@]}"
opens "envelope: the original opens" 20 "$E" "$tmp/p" "${O[@]}"
seal "$tmp/e" 30 -f envelope --class 1 --jose json <"$tmp/p"
readf "$tmp/e"
E=$REPLY
refused "envelope (jws json): tdc relabelled" "$CLASS" 40 "${E/\"tdc\":1/\"tdc\":2}" "$E" -f envelope --class 2
refused "envelope (jws json): signature" "$BAD_MAC" 40 "$(jset "$E" signature "$(flip "$(jget "$E" signature)" 0)")" "$E" -f envelope --class 1

# Class 2
seal "$tmp/e" 10 -f class2 <"$tmp/creq"
readf "$tmp/e"
E=$REPLY
O=(-f class2)
refused "class2: ty restored by hand" "$MALFORMED" 20 "${E/\"ty\":65535/\"ty\":4}" "$E" "${O[@]}"
refused "class2: ty removed" "$MALFORMED" 20 "${E/\"ty\":65535,/}" "$E" "${O[@]}"
refused "class2: envelope relabelled class 3" "$CLASS" 20 "${E/\"tdc\":2/\"tdc\":3}" "$E" "${O[@]}"
J=$(jget "$E" jwe)
refused "class2: ciphertext" "$BAD_MAC" 20 "$(jset "$E" jwe "$(setpart "$J" 3 "$(flip "$(part "$J" 3)" -1)")")" "$E" "${O[@]}"
opens "class2: the original opens" 20 "$E" "$tmp/creq" "${O[@]}"
refused "class2: replay" "$REPLAY" 20 "$E" "" "${O[@]}"

# Class 3
seal "$tmp/e" 10 -f class3 <"$tmp/cin"
readf "$tmp/e"
E=$REPLY
O=(-f class3)
CON=$(jget "$E" con)
refused "class3: cnf :1 made :2" "$MALFORMED" 20 "${E/:0:1\"/:0:2\"}" "$E" "${O[@]}"
refused "class3: cnf removed" "$MALFORMED" 20 "${E/,\"cnf\":\"application\/jose:0:1\"/}" "$E" "${O[@]}"
refused "class3: con header" "$BAD_MAC" 20 "$(jset "$E" con "$(addhdr "$CON")")" "$E" "${O[@]}"
refused "class3: con iv" "$BAD_MAC" 20 "$(jset "$E" con "$(setpart "$CON" 2 "$(flip "$(part "$CON" 2)" 5)")")" "$E" "${O[@]}"
refused "class3: con tag" "$BAD_MAC" 20 "$(jset "$E" con "$(setpart "$CON" 4 "$(flip "$(part "$CON" 4)" -1)")")" "$E" "${O[@]}"
opens "class3: the original opens" 20 "$E" "$tmp/cin" "${O[@]}"
seal "$tmp/e" 30 -f class3 --jose json <"$tmp/cin"
readf "$tmp/e"
E=$REPLY
# "con" holds the JWS JSON serialization as a string
esc() { local re="$1"'\\":\\"([A-Za-z0-9_-]*)'; [[ $E =~ $re ]] && printf %s "${BASH_REMATCH[1]}"; }
S=$(esc signature)
refused "class3 (jws json): signature" "$BAD_MAC" 40 "${E/$S/$(flip "$S" 0)}" "$E" -f class3
S=$(esc payload)
refused "class3 (jws json): payload" "$BAD_MAC" 40 "${E/$S/$(flip "$S" 3)}" "$E" -f class3

# ---- limits, and who may use which session --------------------------------

section "limits and ownership"

head -c 65537 /dev/zero >"$tmp/over"
if esf seal -s 12 -f jwe-compact <"$tmp/over" >"$tmp/o" 2>"$tmp/e"; then
	not_ok "a payload of max_data + 1 bytes is refused" "sealed"
elif [ ! -s "$tmp/o" ] && grep -q 'too large' "$tmp/e"; then
	ok "a payload of max_data + 1 bytes is refused"
else
	not_ok "a payload of max_data + 1 bytes is refused" "$(cat "$tmp/e")"
fi

printf '%s' 'x' >"$tmp/x"
if ((uids)); then
	# expect <description> <exit status> <stderr ERE> <command...> < input
	expect() {
		local d=$1 want=$2 re=$3 rc
		shift 3
		"$@" <"$tmp/x" >"$tmp/o" 2>"$tmp/e"
		rc=$?
		if [ $rc = "$want" ] && [ ! -s "$tmp/o" ] && grep -Eq "$re" "$tmp/e"; then
			ok "$d"
		else
			not_ok "$d" "rc=$rc (want $want), stderr: $(cat "$tmp/e")"
		fi
	}
	expect "receiver cannot seal with its open-only twin" 1 'direction' "${as_rx[@]}" esf seal -s 20 -f jwe-compact
	expect "receiver cannot sign with its verify-only twin" 1 'direction' "${as_rx[@]}" esf seal -s 40 -f jws-compact
	expect "receiver cannot seal with the sealing session" 3 "not the session's owner" "${as_rx[@]}" esf seal -s 10 -f jwe-compact
	expect "receiver cannot open with the sealing session" 3 "not the session's owner" "${as_rx[@]}" esf open -s 10 -f jwe-compact
	expect "another uid cannot open with the receiver's twin" 3 "not the session's owner" "${as_other[@]}" esf open -s 20 -f jwe-compact
	expect "root cannot seal with an open-only session either" 1 'direction' esf seal -s 20 -f jwe-compact
else
	for t in "receiver cannot seal with its open-only twin" "receiver cannot sign with its verify-only twin" \
		"receiver cannot seal with the sealing session" "receiver cannot open with the sealing session" \
		"another uid cannot open with the receiver's twin" "root cannot seal with an open-only session either"; do
		skip "$t" "setpriv cannot change uid"
	done
fi

section "done"
if [ "$n" != "$PLAN" ]; then
	echo "# ran $n tests, planned $PLAN"
	failed=1
fi
exit $failed
