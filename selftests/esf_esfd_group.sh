#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Group keys distributed end to end by esfd (issue 15): a group's server
# (/in-cse) and its members' esfds (Cm1..Cm3, then Cm4) in namespace gkS,
# the gateway's mosquitto in namespace gkW, the only way between them. The
# members' esfds pull their keys and install kernel group sessions; their
# applications (the esf tool) seal in one member and open in the others.
# m1 is also the group's agent: its broadcasts, signed by its esfd with its
# certificate and sealed by its kernel, open at the others with the issuer
# named, and a member that seals one again as its own, or has its esfd
# sign one without a certificate, is refused.
# A capture of everything the broker carried holds no key or salt in any
# form, yet an independent reading (gkey_peer.py: Python's hmac and
# AES-GCM, one member's Kpsa, the derivation as docs/esfd.md writes it)
# recovers that member's keys and only those, and the key it recovers
# opens the member's records. Then: a revoked member cannot open what is
# sealed after the switch while the others can; a joining member cannot
# open a record sealed before it joined; a restarted member is given a new
# epoch (it would otherwise seal from sequence 0 under a key it used); the
# key rotates on its own with a short period. The members share one
# namespace, each with its own kernel session and sender id (the kernel
# cannot tell them apart from members on other hosts). Prints TAP.
# GK_DEBUG=1: the daemons log at debug level, and their logs and the
# capture are copied to /out.

ESFD=${ESFD:-esfd}
ESFCTL=${ESFCTL:-esfctl}
ESF=${ESF:-esf}
tmp=$(mktemp -d)
pids=()
broker=
sub=

cleanup() {
	[ -n "${GK_DEBUG:-}" ] && cp "$tmp"/*.log "$tmp/capture" /out/ 2>/dev/null
	stop_all "${pids[@]}" $broker $sub
	ip netns del gkS 2>/dev/null
	ip netns del gkW 2>/dev/null
	rm -rf "$tmp" /host/tmp/gkey_peer.py /host/tmp/gk.capture
}
trap cleanup EXIT

. "$(dirname "$0")/lib_tap.sh"
in_s() { ip netns exec gkS "$@"; }
ctl() { local n=$1; shift; ESFD_CONTROL_SOCKET=$tmp/$n.sock in_s "$ESFCTL" "$@"; }
GRP=/in-cse/grp-test

echo "TAP version 13"
echo "1..15"

modprobe esf || { echo "Bail out! cannot load esf.ko"; exit 1; }
# The broker, with a capture of everything the gateway forwards from the
# first primitive on.
broker_up gkS gkW 10.79.0

umask 077
rand_pool 128
for m in 1 2 3 4; do
	rand_hex 32
	printf %s "$REPLY" >"$tmp/m$m.key"
	KPSA[m]=$REPLY
done

# server <members>: the group's server; rotate short enough to be seen.
server() {
	cat <<EOF
[esfd]
id = /in-cse
role = server
mqtt-broker = 10.79.0.2:1883
control-socket = $tmp/s.sock
EOF
	for m in 1 2 3 4; do
		printf '[peer m%s]\nid = Cm%s\nrole = device\nkpsa-id = k%s\nkpsa-file = m%s.key\n' \
			$m $m $m $m
	done
	printf '[group test]\nid = %s\nmembers = %s\nsenders = 16\nrotate = 15s\n' "$GRP" "$1"
	printf 'switch-delay = 1s\n'
}
member() { # member <n>; m1 is also the group's agent, with a certificate
	cat <<EOF
[esfd]
id = Cm$1
role = device
mqtt-broker = 10.79.0.2:1883
control-socket = $tmp/m$1.sock
EOF
	[ "$1" = 1 ] && printf 'ca-file = %s\ncert-file = %s\nkey-file = %s\n' \
		"$tmp/ca/ca.pem" "$tmp/m1c.pem" "$tmp/m1c.key"
	cat <<EOF

[peer srv]
id = /in-cse
role = server
kpsa-id = k$1
kpsa-file = m$1.key

[group test]
id = $GRP
server = srv
EOF
}
# m1 signs the group's broadcasts (tests 4-5): a CA and m1's certificate.
. "$(dirname "$0")/lib_pki.sh"
(cd "$tmp" && mkca ca "esf test root" && mkcsr m1c Cm1 && mkcert ca m1c) ||
	{ echo "Bail out! openssl could not make the test PKI"; exit 1; }
server "m1:1 m2:2 m3:3" >"$tmp/s.conf"
for m in 1 2 3 4; do member $m >"$tmp/m$m.conf"; done

start() { # start <name>: esfd <name> in gkS, its pid in pid_<name>
	esfd_start gkS "$1" "${GK_DEBUG:-}"
	local rc=$?
	eval "pid_$1=$ESFD_PID"
	return $rc
}
# ginfo <member>: its group line into G_epoch, G_session, G_state.
ginfo() {
	local l
	l=$(ctl "$1" group list 2>&1)
	fieldv G_epoch epoch "$l"
	fieldv G_session session "$l"
	[[ $l =~ " "(waiting|current|switching)" " ]] && G_state=${BASH_REMATCH[1]} || G_state=
}
has_session() { ginfo "$1"; [ "$G_state" = current ] && [ -n "$G_session" ]; }
# on <member> <epoch>: it seals under a newer epoch than <epoch>, switched.
on_newer() { ginfo "$1"; [ "$G_state" = current ] && [ "${G_epoch:-0}" -gt "$2" ]; }
seal() { # seal <member> <text> <file>
	ginfo "$1"
	printf %s "$2" | in_s "$ESF" seal --session "$G_session" --format jwe-compact >"$3"
}
open_as() { # open_as <member> <file>: the plaintext, or the error
	ginfo "$1"
	in_s "$ESF" open --session "$G_session" --format jwe-compact <"$2" 2>&1
}
sess() { ginfo "$1"; echo "$G_session"; }

# 1: the server and three members; each member gets its session, and
# they settle on one epoch (a member that starts while the server's push to
# it is unanswered may hold that epoch as far as the server knows: its
# first pull makes a new one, pushed to the others).
start s && start m1 && start m2 && start m3
settled() {
	local m
	for m in 1 2 3; do
		has_session m$m || return 1
		E[m]=$G_epoch
	done
	[ "${E[1]}" = "${E[2]}" ] && [ "${E[2]}" = "${E[3]}" ]
}
detail="$(ctl m1 group show test 2>&1) / $(ctl s group show test 2>&1) / $(tail -n 5 "$tmp"/*.log)" \
	t "three members pulled the group key: one epoch, a session each" until_cond 75 settled
e1=${E[1]}

# 2: the server's view: members, sender ids, epochs delivered; no key.
# The key rotates every 15 s: a member may have been given a newer epoch
# than the one they settled on, never an older one.
out=$(ctl s group show test 2>&1; ctl s --json group list 2>&1)
given() { # given <member> <sender>: its line names the sender id and an epoch >= e1
	local re=$'member '"$1"$' [^\n]*sender '"$2"$' [^\n]*epoch ([0-9]+)'
	[[ $out =~ $re ]] && [ "${BASH_REMATCH[1]}" -ge "$e1" ]
}
detail=$out t "esfctl group show on the server: members, sender ids, epochs" \
	eval 'given m1 1 && given m3 3 && [[ $out == *\"role\"*\"server\"* ]]'

# 3: an application of m1 seals, m2's and m3's open; m1's own is refused.
seal m1 "close the valve" "$tmp/r1"
o2=$(open_as m2 "$tmp/r1") o3=$(open_as m3 "$tmp/r1")
detail="$o2 / $o3" t "m1 seals with its group session, m2 and m3 open" \
	eval '[ "$o2" = "close the valve" ] && [ "$o3" = "close the valve" ]'

# 4-5: m1, as the group's agent (a gateway's role, TR-0012 5.4), sends a
# command the members read and none can forge, though all hold the key:
# signed by m1's esfd with its certificate, sealed by m1's kernel.
bcast() { # bcast <file>: m1 broadcasts a command
	ginfo m1
	printf '{"cmd":"close fire doors"}' | ESFD_CONTROL_SOCKET=$tmp/m1.sock in_s "$ESF" \
		broadcast-seal --session "$G_session" --sender 1 >"$1" 2>"$tmp/bseal.err"
}
bopen() { # bopen <member> <file> [<signer>]: the command and the issuer, or the error
	ginfo "$1"
	in_s "$ESF" broadcast-open --session "$G_session" --ca-file "$tmp/ca/ca.pem" \
		--signer "${3:-Cm1}" --info <"$2" 2>&1
}
bcast "$tmp/b1"
b2=$(bopen m2 "$tmp/b1") b3=$(bopen m3 "$tmp/b1")
want=$'signer: Cm1\n{"cmd":"close fire doors"}'
detail="$(<"$tmp/bseal.err") / $b2 / $b3" \
	t "m1 broadcasts a command signed by its esfd; m2 and m3 open it and name the issuer" \
	eval '[ "$b2" = "$want" ] && [ "$b3" = "$want" ]'
# m2 opens a second broadcast as a plain group record, seals the signed
# statement inside again under its own sender id and passes it to m3; m2
# asks its own esfd to sign one (it has no certificate); m3 expects
# another issuer.
bcast "$tmp/b2"
ginfo m2
in_s "$ESF" open --session "$G_session" --format jwe-compact <"$tmp/b2" >"$tmp/inner" 2>&1
in_s "$ESF" seal --session "$G_session" --format jwe-compact --cty JOSE <"$tmp/inner" \
	>"$tmp/forged" 2>&1
f3=$(bopen m3 "$tmp/forged")
ESFD_CONTROL_SOCKET=$tmp/m2.sock in_s "$ESF" broadcast-seal --session "$G_session" --sender 2 \
	<<<'{"cmd":"open fire doors"}' >"$tmp/own" 2>"$tmp/own.err"
r=$?
w3=$(bopen m3 "$tmp/b2" Cm2)
detail="$f3 / $(<"$tmp/own.err") / $w3" \
	t "a member cannot pass off the agent's command: resealed (another sender), self-signed (no credential), another issuer" \
	eval '[[ $f3 == *"another sender than the one that sealed it"* ]] && [ $r = 1 ] &&
	      [ ! -s "$tmp/own" ] && [[ $(<"$tmp/own.err") == *"no certificate credential"* ]] &&
	      [[ $w3 == *"names another id"* ]]'

# 6: revoke m3: the others get a new epoch, m3 does not. (The periodic
# rotation, every 15 s, may give all three a newer epoch just before the
# reload: what counts is the epoch the reload made.)
server "m1:1 m2:2" >"$tmp/s.conf"
revokes=$(grep -c "(membership or policy changed)" "$tmp/s.log")
kill -HUP "$pid_s"
revoked() { [ "$(grep -c "(membership or policy changed)" "$tmp/s.log")" -gt "$revokes" ]; }
until_cond 50 revoked
erev=$(grep "(membership or policy changed)" "$tmp/s.log" | tail -n 1 | sed -n 's/.* epoch \([0-9]*\) .*/\1/p')
ok=0
until_cond 50 on_newer m1 "$((erev - 1))" || ok=1
until_cond 50 on_newer m2 "$((erev - 1))" || ok=1
ginfo m3; e3b=$G_epoch
detail="revoke epoch $erev, m3 $e3b: $(tail -n 8 "$tmp/s.log" "$tmp/m3.log")" \
	t "revoke: m1 and m2 switch to a new epoch, m3 keeps the old" \
	eval '[ $ok = 0 ] && [ -n "$erev" ] && [ -n "$e3b" ] && [ "$e3b" -lt "$erev" ]'

# 7: after the switch m3 cannot open m1's records; m2 can.
seal m1 "revoked members see nothing" "$tmp/r2"
o2=$(open_as m2 "$tmp/r2") o3=$(open_as m3 "$tmp/r2")
detail="$o2 / $o3" t "after the switch the revoked member cannot open (-ENOMSG), the others can" \
	eval '[ "$o2" = "revoked members see nothing" ] && [[ $o3 == *"not an esf nonce of this session"* ]]'

# 8: join m4: it cannot open what was sealed before it joined, and opens
# what m1 seals once m1 switched to the epoch m4 was given.
seal m1 "before m4 joined" "$tmp/r3"
ginfo m1; before=$G_epoch
server "m1:1 m2:2 m4:4" >"$tmp/s.conf"
kill -HUP "$pid_s"
until_cond 50 grep -q "configuration reloaded" "$tmp/s.log"
start m4
until_cond 50 has_session m4
ginfo m4; e4=$G_epoch
o4=$(open_as m4 "$tmp/r3")
detail="epoch before $before, m4's $e4: $o4" t "join: the newcomer gets a new epoch and cannot open an earlier record" \
	eval '[ -n "$e4" ] && [ "$e4" -gt "$before" ] && [[ $o4 == *"not an esf nonce of this session"* ]]'
joined() { seal m1 "after m4 joined" "$tmp/r4" && [ "$(open_as m4 "$tmp/r4")" = "after m4 joined" ]; }
detail="$(ctl m1 group show test 2>&1) / $(ctl m4 group show test 2>&1)" \
	t "join: the newcomer opens what is sealed after the switch" until_cond 30 joined

# 10: restart m2: it pulls with nothing held, the server makes a new epoch
# first, so m2 never seals from sequence 0 again under a key it used.
ginfo m2; old=$G_epoch
afresh=$(grep -c "a member asked afresh" "$tmp/s.log")
kill -TERM "$pid_m2"
wait "$pid_m2" 2>/dev/null
rm -f "$tmp/m2.sock"
start m2
until_cond 50 has_session m2
ginfo m2; new=$G_epoch
afresh2=$(grep -c "a member asked afresh" "$tmp/s.log")
detail="old $old new $new / $(tail -n 6 "$tmp/s.log")" t "a restarted member gets a new epoch" \
	eval '[ -n "$new" ] && [ "$new" -gt "$old" ] && [ "$afresh2" -gt "$afresh" ]'
restarted() { seal m2 "m2 is back" "$tmp/r5" && [ "$(open_as m1 "$tmp/r5")" = "m2 is back" ]; }
detail="$(ctl m1 group show test 2>&1) / $(ctl m2 group show test 2>&1)" \
	t "the restarted member's records open at the others" until_cond 30 restarted

# 12: the period: rotate = 15s rotates without any change.
periodic() { [[ $(<"$tmp/s.log") == *"(periodic)"* ]]; }
detail="$(grep 'group test: epoch' "$tmp/s.log")" t "the key rotates on its own (rotate = 15s)" \
	until_cond 100 periodic

# 13-14: the capture: no key or salt in any form; one member's Kpsa opens
# its own keys (and they are the real ones: a session made by hand from
# one opens m1's record), never another member's. The record is sealed
# under an epoch m1 had (and the capture with it) before the capture ends.
for i in 1 2 3 4 5; do
	ginfo m1; le=$G_epoch
	seal m1 "read by hand" "$tmp/r6"
	ginfo m1
	[ "$G_epoch" = "$le" ] && break
done
kill -TERM "$sub" 2>/dev/null
wait "$sub" 2>/dev/null
sub=
cp "$(dirname "$0")/gkey_peer.py" "$tmp/capture" /host/tmp/ 2>/dev/null
mv /host/tmp/capture /host/tmp/gk.capture 2>/dev/null
py=$(esf-host /usr/bin/python3 /tmp/gkey_peer.py /tmp/gk.capture Cm1 "${KPSA[1]}" /in-cse \
	"$GRP" 2>&1)
nkeys=0 leaks=0
while read -r w a b c; do
	case $w in
	key)
		nkeys=$((nkeys + 1))
		[ "$a" = "$le" ] && lk=$b ls=$c
		;;
	leak) leaks=$((leaks + 1)) ;;
	others) others=$a opened=$c ;;
	esac
done <<<"$py"
detail=$py t "the gateway's capture holds no key or salt; m1's Kpsa opens m1's keys only" \
	eval '[ $nkeys -ge 3 ] && [ $leaks = 0 ] && [ "${others:-0}" -gt 0 ] && [ "$opened" = 0 ]'
# The key of the epoch m1 sealed under, made into a session by hand.
printf %s "${lk:-00}" | in_s "$ESFCTL" session add --alg 'gcm(aes)' --key-file - --key-format hex \
	--salt "${ls:-00000000}" --id 4242 --key-id "$GRP" --group-senders 16 --group-sender 9 --group-epoch "$le" \
	>"$tmp/add" 2>&1
oh=$(in_s "$ESF" open --session 4242 --format jwe-compact <"$tmp/r6" 2>&1)
detail="$(<"$tmp/add") / $oh / epoch $le" t "the key read from the capture with m1's Kpsa opens m1's record" \
	eval '[ "$oh" = "read by hand" ]'
in_s "$ESFCTL" session del 4242 >/dev/null 2>&1

# 15: esf.ko unloaded and loaded again under the daemons: the members'
# sessions went with it; each pulls again from nothing and is given a new
# epoch (the old one's sequence numbers were spent), and they talk again.
ginfo m1; old=$G_epoch
afresh=$(grep -c "a member asked afresh" "$tmp/s.log")
for i in {1..100}; do rmmod esf 2>/dev/null && break; sleep 0.1; done
modprobe esf
back() {
	has_session m1 && [ "$G_epoch" -gt "$old" ] && has_session m4 &&
		seal m1 "after the reload" "$tmp/r7" && [ "$(open_as m4 "$tmp/r7")" = "after the reload" ] &&
		[ "$(grep -c "a member asked afresh" "$tmp/s.log")" -gt "$afresh" ]
}
detail="$(tail -n 4 "$tmp/m1.log" "$tmp/s.log")" \
	t "esf.ko reloaded: members pull a new epoch into new sessions" until_cond 75 back
exit $failed
