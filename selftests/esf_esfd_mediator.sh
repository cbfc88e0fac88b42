#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The mediator gateway (issue 16; docs/esfd.md, "Mediator gateways"): the
# core (/in-cse) serves a core-side group (Ka) to the gateway (Cgw) and
# delegates it sender ids 16-31; the gateway serves its area network a
# group of its own (Kg) and hands Ka to its devices (Cd1..Cd3) wrapped under
# a key derived from Kg, each with its own sender id from the block. The
# esfds share namespace mdS, the broker is in mdW. Checked: the devices get
# Ka through the mediator, each its own sender id; what a device seals
# under Ka opens in the core's kernel (the core's own group session), once;
# the gateway has no kernel session for Ka (it holds the key in its esfd's
# memory: it could read and forge the area network's records, which this
# variant accepts); an independent reading of the capture (med_peer.py:
# Python's hmac and AES-GCM, from the documented derivations) opens the
# core's delivery to the gateway with the gateway's Kpsa and one device's
# delivery with that device's Kpsa through Kg, and finds the same key; the
# core's periodic rotation reaches the devices; a device taken out of the
# local group does not get the next epoch, which the mediator asks of the
# core at once, and cannot open what is sealed under it; a restarted
# device is given a new epoch, not the one it sealed under; after esf.ko is
# reloaded, the core's new session and the devices' are under a new epoch.
# Prints TAP.
# MD_DEBUG=1: daemons log at debug level; logs and capture go to /out.

ESFD=${ESFD:-esfd}
ESFCTL=${ESFCTL:-esfctl}
ESF=${ESF:-esf}
tmp=$(mktemp -d)
pids=()
broker=
sub=

cleanup() {
	[ -n "${MD_DEBUG:-}" ] && cp "$tmp"/*.log "$tmp/capture" /out/ 2>/dev/null
	stop_all "${pids[@]}" $broker $sub
	ip netns del mdS 2>/dev/null
	ip netns del mdW 2>/dev/null
	rm -rf "$tmp" /host/tmp/med_peer.py /host/tmp/md.capture
}
trap cleanup EXIT

. "$(dirname "$0")/lib_tap.sh"
in_s() { ip netns exec mdS "$@"; }
ctl() { local n=$1; shift; ESFD_CONTROL_SOCKET=$tmp/$n.sock in_s "$ESFCTL" "$@"; }
KA=/in-cse/area1
KG=Cgw/local

echo "TAP version 13"
echo "1..12"

modprobe esf || { echo "Bail out! cannot load esf.ko"; exit 1; }
broker_up mdS mdW 10.81.0

umask 077
rand_pool 128
rand_hex 32; printf %s "$REPLY" >"$tmp/gw.key"; KGW=$REPLY
for m in 1 2 3; do
	rand_hex 32
	printf %s "$REPLY" >"$tmp/d$m.key"
	KD[m]=$REPLY
done

head_conf() { # head_conf <id> <role> <name>
	printf '[esfd]\nid = %s\nrole = %s\nmqtt-broker = 10.81.0.2:1883\ncontrol-socket = %s\n\n' \
		"$1" "$2" "$tmp/$3.sock"
}
core_conf() {
	head_conf /in-cse server core
	printf '[peer gw]\nid = Cgw\nrole = gateway\nkpsa-id = kgw\nkpsa-file = gw.key\n\n'
	printf '[group area]\nid = %s\nmembers = gw:1\nsenders = 64\ndelegate = gw:16-31\n' "$KA"
	printf 'rotate = 20s\nswitch-delay = 1s\n'
}
gw_conf() { # gw_conf <local members>
	head_conf Cgw gateway gw
	printf '[peer core]\nid = /in-cse\nrole = server\nkpsa-id = kgw\nkpsa-file = gw.key\n\n'
	for m in 1 2 3; do
		printf '[peer d%s]\nid = Cd%s\nrole = device\nkpsa-id = kd%s\nkpsa-file = d%s.key\n\n' \
			$m $m $m $m
	done
	printf '[group area]\nid = %s\nserver = core\nmediate = local\nblock = 16-31\n\n' "$KA"
	printf '[group local]\nid = %s\nmembers = %s\nsenders = 16\nswitch-delay = 1s\n' "$KG" "$1"
}
dev_conf() { # dev_conf <n>
	head_conf "Cd$1" device "d$1"
	printf '[peer gw]\nid = Cgw\nrole = gateway\nkpsa-id = kd%s\nkpsa-file = d%s.key\n\n' $1 $1
	printf '[group local]\nid = %s\nserver = gw\n\n' "$KG"
	printf '[group area]\nid = %s\nserver = gw\nvia = local\n' "$KA"
}
core_conf >"$tmp/core.conf"
gw_conf "d1:1 d2:2 d3:3" >"$tmp/gw.conf"
for m in 1 2 3; do dev_conf $m >"$tmp/d$m.conf"; done

start() { # start <name>: its pid in pid_<name>
	esfd_start mdS "$1" "${MD_DEBUG:-}"
	local rc=$?
	eval "pid_$1=$ESFD_PID"
	return $rc
}
# ginfo <name>: its line of group "area" into G_epoch, G_session, G_state, G_sender.
ginfo() {
	local l
	l=$(ctl "$1" group list 2>&1)
	l=$(grep "^area " <<<"$l")
	fieldv G_epoch epoch "$l"
	fieldv G_session session "$l"
	fieldv G_sender sender "$l"
	[[ $l =~ " "(waiting|current|switching|mediating)" " ]] && G_state=${BASH_REMATCH[1]} || G_state=
}
has_session() { ginfo "$1"; [ "$G_state" = current ] && [ -n "$G_session" ] && [ "$G_session" != - ]; }
on_newer() { ginfo "$1"; [ "$G_state" = current ] && [ "${G_epoch:-0}" -gt "$2" ]; }
core_session() { # the core's own session for Ka (root sees it)
	ctl core --json group show area 2>/dev/null | tr -d ' \n' |
		sed -n 's/.*"mediation":{[^}]*"session":\([0-9]*\).*/\1/p'
}
seal() { # seal <device> <text> <file>
	ginfo "$1"
	printf %s "$2" | in_s "$ESF" seal --session "$G_session" --format jwe-compact >"$3"
}
open_dev() { ginfo "$1"; in_s "$ESF" open --session "$G_session" --format jwe-compact <"$2" 2>&1; }
open_core() { in_s "$ESF" open --session "$(core_session)" --format jwe-compact <"$1" 2>&1; }

# 1: the core, the mediator and three devices; every device holds Ka in a
# kernel session, all at one epoch.
start core && start gw && start d1 && start d2 && start d3
settled() {
	local m
	for m in 1 2 3; do
		has_session d$m || return 1
		E[m]=$G_epoch S[m]=$G_sender
	done
	[ "${E[1]}" = "${E[2]}" ] && [ "${E[2]}" = "${E[3]}" ] && [ -n "$(core_session)" ]
}
detail="$(ctl gw group show area 2>&1) / $(tail -n 4 "$tmp"/*.log)" \
	t "three devices got the core-side key through the mediator, one epoch" until_cond 250 settled

# 2: each its own sender id, from the delegated block, in the local
# group's order; the core and the mediator say so.
cs=$(ctl core group show area 2>&1) gs=$(ctl gw group show area 2>&1)
detail="senders ${S[*]} / $cs / $gs" t "sender ids 16, 17, 18 from the block 16-31 the core delegated" \
	eval '[ "${S[*]}" = "16 17 18" ] && [[ $cs == *"delegates sender ids 16-31 to gw"* ]] &&
	      [[ $gs == *"device d2 "*"sender 17 "* ]]'

# 3: the mediator holds Ka in its esfd, in no kernel session.
ginfo gw
detail="$gs / $(grep -c 'group area: session' "$tmp/gw.log")" \
	t "the mediator has no kernel session for the core-side key" \
	eval '[ "$G_state" = mediating ] && [ "$G_session" = - ] &&
	      ! grep -q "group area: session" "$tmp/gw.log"'

# 4: what d1 and d2 seal under Ka opens in the core's kernel, once each
# (the same first sequence numbers: distinct sender ids keep them apart).
seal d1 "d1: 21.5 C" "$tmp/r1"
seal d2 "d2: 22.0 C" "$tmp/r2"
o1=$(open_core "$tmp/r1") o2=$(open_core "$tmp/r2") o1b=$(open_core "$tmp/r1")
detail="$o1 / $o2 / $o1b" t "d1's and d2's records open in the core's kernel; a replay does not" \
	eval '[ "$o1" = "d1: 21.5 C" ] && [ "$o2" = "d2: 22.0 C" ] && [[ $o1b == *replay* ]]'

# 5: the independent reading of the deliveries: the core's to the
# mediator (block 16-31) under the gateway's Kpsa, the mediator's to d1
# under Kg (itself read from d1's deliveries with d1's Kpsa): same key.
cp "$(dirname "$0")/med_peer.py" /host/tmp/ 2>/dev/null
cp "$tmp/capture" /host/tmp/md.capture
py=$(esf-host /usr/bin/python3 /tmp/med_peer.py /tmp/md.capture /in-cse Cgw "$KGW" "$KA" \
	Cd1 "${KD[1]}" "$KG" 2>&1)
detail=$py t "med_peer.py reads Ka from the core's and from the mediator's deliveries: same key, sender 16" \
	eval '[[ $py == *"match ${E[1]} sender 16 block 16-31"* ]] && [[ $py == *"others-opened 0"* ]]'

# 6: the core's periodic rotation (rotate = 20s) reaches the devices
# through the mediator; records sealed under it open at the core.
rotated() {
	on_newer d1 "${E[1]}" && on_newer d3 "${E[1]}" && seal d1 "after rotation" "$tmp/r3" &&
		[ "$(open_core "$tmp/r3")" = "after rotation" ]
}
detail="$(ctl d1 group show area 2>&1) / $(grep 'group area' "$tmp/gw.log" | tail -n 3)" \
	t "the core's rotation reaches the devices through the mediator" until_cond 150 rotated

# 7: d3 is taken out of the local group: the mediator rotates Kg and asks
# the core for a new epoch, which goes to d1 and d2 only.
ginfo d3; e3=$G_epoch
asked=$(grep -c "local group's members changed" "$tmp/gw.log")
gw_conf "d1:1 d2:2" >"$tmp/gw.conf"
kill -HUP "$pid_gw"
revoked() {
	[ "$(grep -c "local group's members changed" "$tmp/gw.log")" -gt "$asked" ] &&
		on_newer d1 "$e3" && on_newer d2 "$e3"
}
until_cond 200 revoked
ginfo d1; erev=$G_epoch
ginfo d3; e3b=$G_epoch
# The epoch the core made when the mediator asked (not a periodic one).
eask=$(grep "(a member asked afresh" "$tmp/core.log" | tail -n 1 | sed -n 's/.* epoch \([0-9]*\) .*/\1/p')
detail="d3 held $e3, now $e3b; d1 $erev; asked $eask / $(grep 'group area' "$tmp/gw.log" | tail -n 4)" \
	t "removed d3: the mediator asks the core at once; d1 and d2 get that epoch, d3 does not" \
	eval '[ -n "$erev" ] && [ -n "$eask" ] && [ "$eask" -gt "$e3" ] && [ "$erev" -ge "$eask" ] &&
	      [ "$e3b" = "$e3" ]'

# 8: sealed under it, d1's record opens at the core and at d2, not at d3.
seal d1 "after d3 left" "$tmp/r4"
oc=$(open_core "$tmp/r4") o2=$(open_dev d2 "$tmp/r4") o3=$(open_dev d3 "$tmp/r4")
detail="$oc / $o2 / $o3" t "the removed device cannot open what is sealed after it left" \
	eval '[ "$oc" = "after d3 left" ] && [ "$o2" = "after d3 left" ] &&
	      [[ $o3 == *"not an esf nonce of this session"* ]]'

# 9: d3, restarted, asks the mediator: refused (4103), it is no longer a
# member of the local group, so it never gets to ask for Ka either.
refused() { grep -q "group local: the server refused the pull (oneM2M 4103" "$tmp/d3.log"; }
kill -TERM "$pid_d3"; wait "$pid_d3" 2>/dev/null; rm -f "$tmp/d3.sock"
start d3
detail="$(tail -n 4 "$tmp/d3.log")" t "the removed device, restarted, is refused by the mediator" until_cond 100 refused

# 10: d2 restarts: it would seal from sequence 0 under the epoch it held;
# the mediator asks the core for a new one first.
ginfo d2; old=$G_epoch
kill -TERM "$pid_d2"; wait "$pid_d2" 2>/dev/null; rm -f "$tmp/d2.sock"
start d2
back() { on_newer d2 "$old"; }
until_cond 250 back
ginfo d2; new=$G_epoch
detail="old $old new $new / $(grep 'group area' "$tmp/gw.log" | tail -n 4)" \
	t "a restarted device is given a new epoch" \
	eval '[ -n "$new" ] && [ "$new" -gt "$old" ] && grep -q "a device asked afresh" "$tmp/gw.log"'
talks() { seal d2 "d2 is back" "$tmp/r5" && [ "$(open_core "$tmp/r5")" = "d2 is back" ]; }
detail="$(ctl d2 group show area 2>&1)" t "the restarted device's records open at the core" \
	until_cond 100 talks

# 12: esf.ko unloaded and loaded again: every session went with it, the
# core's own too (it could have sealed as sender 0): the core makes a new
# epoch for its new session, the devices get a new one through the
# mediator, and the core opens what they seal.
ginfo d1; old=$G_epoch
for i in {1..100}; do rmmod esf 2>/dev/null && break; sleep 0.1; done
modprobe esf
reloaded() {
	grep -q "the core's own session went with esf.ko" "$tmp/core.log" &&
		on_newer d1 "$old" && seal d1 "after the reload" "$tmp/r6" &&
		[ "$(open_core "$tmp/r6")" = "after the reload" ]
}
detail="$(tail -n 3 "$tmp/core.log" "$tmp/gw.log" "$tmp/d1.log")" \
	t "esf.ko reloaded: a new epoch for the core's new session and the devices' through the mediator" \
	until_cond 300 reloaded
exit $failed
