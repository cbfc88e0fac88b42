#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# esf.ko unloaded and loaded again under running esfd daemons: a server
# (/in-cse, namespace rlA) and a gateway (/mn-cse, namespace rlB, with the
# mosquitto broker). Unloading the module frees every session and takes
# the genetlink family's id and events group with it; the daemons must
# notice (the controller's DELFAMILY), forget their pairs, refuse session
# requests while the module is away, and when it is back (NEWFAMILY) talk
# to the new family, establish again the pairs they originated, and hear
# its events (a soft EXPIRE rekeys). Found by the soak test (make soak).
# Prints TAP.

ESFD=${ESFD:-esfd}
ESFCTL=${ESFCTL:-esfctl}
ESF=${ESF:-esf}
tmp=$(mktemp -d)
pids=()
broker=

cleanup() {
	stop_all "${pids[@]}" $broker
	ip netns del rlA 2>/dev/null
	ip netns del rlB 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT

. "$(dirname "$0")/lib_tap.sh"
in_a() { ip netns exec rlA "$@"; }
in_b() { ip netns exec rlB "$@"; }
ctl_a() { ESFD_CONTROL_SOCKET=$tmp/a.sock in_a "$ESFCTL" "$@"; }
ctl_b() { ESFD_CONTROL_SOCKET=$tmp/b.sock in_b "$ESFCTL" "$@"; }
field() { local v; fieldv v "$@"; echo "$v"; }
jstatus() { ESFD_CONTROL_SOCKET=$tmp/$1.sock ip netns exec "rl${1^^}" "$ESFCTL" --json status; }
# rekeys <name>: the rekeys its esfd counted, from the text status (no jq)
rekeys() {
	local st
	st=$(ESFD_CONTROL_SOCKET=$tmp/$1.sock ip netns exec "rl${1^^}" "$ESFCTL" status 2>&1)
	[[ $st =~ rekeys\ ([0-9]+) ]] && echo "${BASH_REMATCH[1]}"
}
# ksessions: the kernel sessions of rlA and rlB, "A B" (one jq for both)
ksessions() {
	jq -rn --argjson a "$(ip netns exec rlA "$ESFCTL" --json session list 2>/dev/null)" \
		--argjson b "$(ip netns exec rlB "$ESFCTL" --json session list 2>/dev/null)" \
		'"\($a.sessions | length) \($b.sessions | length)"'
}

echo "TAP version 13"
echo "1..9"

modprobe esf || { echo "Bail out! cannot load esf.ko"; exit 1; }
netns_pair rlA rlB rla rlb 10.78.0 || { echo "Bail out! network namespaces"; exit 1; }
printf 'listener 1883 10.78.0.2\nallow_anonymous true\n' >"$tmp/mosquitto.conf"
chmod 644 "$tmp/mosquitto.conf"
ip netns exec rlB mosquitto -c "$tmp/mosquitto.conf" >"$tmp/mosquitto.log" 2>&1 &
broker=$!
broker_wait "$tmp/mosquitto.log" rlA 10.78.0.2

umask 077
h=$(od -An -tx1 -N32 /dev/urandom)
printf %s "${h//[$' \n']/}" >"$tmp/ab.key"
conf() { # conf <name> <id> <role> <peer id> <peer role>
	cat <<EOF
[esfd]
id = $2
role = $3
mqtt-broker = 10.78.0.2:1883
control-socket = $tmp/$1.sock

[policy default]
lifetime-soft-messages = 5
lifetime-hard-messages = 100000
replay-window = 64

[peer other]
id = $4
role = $5
kpsa-id = kpsa-rl
kpsa-file = ab.key
EOF
}
conf a /in-cse server /mn-cse gateway >"$tmp/a.conf"
conf b /mn-cse gateway /in-cse server >"$tmp/b.conf"
start() { esfd_start "$1" "$2"; }	# start <ns> <name>
echo '{"m2m:cin":{"con":"reload"}}' >"$tmp/p"
# roundtrip: seal at A with its current pair, open at B with the pair of that ori.
# B's OPEN session is looked up once per ori (rt_ori, rt_ob), as a
# receiver would; no fork or exec but the ones under test (each costs
# under TCG).
IFS= read -r -d '' ptext <"$tmp/p"
rt_ori= rt_ob=
roundtrip() {
	local cur s o r ob l pb g=
	cur=$(ctl_a peer session other --class 1 2>&1) || { echo "A: $cur"; return 1; }
	fieldv s seal "$cur"; fieldv o ori "$cur"; fieldv r rri "$cur"
	in_a "$ESF" seal -s "$s" -f esprim -t sm --ori "$o" --rri "$r" <"$tmp/p" >"$tmp/e" 2>&1 ||
		{ cat "$tmp/e"; return 1; }
	if [ -n "$o" ] && [ "$o" = "$rt_ori" ]; then
		ob=$rt_ob
	else
		pb=$(ctl_b peer show other 2>&1) ob=
		while IFS= read -r l; do
			[[ $l == *" ori $o "* ]] && { fieldv ob open "$l"; break; }
		done <<<"$pb"
		rt_ori=$o rt_ob=$ob
	fi
	[ -n "$ob" ] || { echo "B has no pair with ori $o"; return 1; }
	in_b "$ESF" open -s "$ob" -f esprim -t sm <"$tmp/e" >"$tmp/g" 2>&1 || return 1
	IFS= read -r -d '' g <"$tmp/g"
	[ "$g" = "$ptext" ]
}

# 1: two daemons, a pair, a record.
start rlA a && start rlB b && est=$(ctl_a establish other --class 1 2>&1) && out=$(roundtrip 2>&1)
rc=$?
detail="$est / $out / $(cat "$tmp"/*.log)" t "two esfds, a pair established, a record opened" \
	eval '[ $rc = 0 ] && [ -n "$(field seal "$est")" ]'

# 2-3: unload with the daemons running (esfd answers ENODEV, "No such device").
for i in {1..100}; do rmmod esf 2>/dev/null && break; sleep 0.1; done
# Both say so in their logs once they noticed (up to 2 s, as the fixed
# wait this replaces allowed).
for i in {1..20}; do
	la=$(<"$tmp/a.log") lb=$(<"$tmp/b.log")
	[[ $la == *"esf.ko unloaded"* && $lb == *"esf.ko unloaded"* ]] && break
	sleep 0.1
done
sa=$(jstatus a) sb=$(jstatus b)
got=$(jq -rn --argjson a "$sa" --argjson b "$sb" \
	'"\($a.kernel.loaded) \($b.kernel.loaded) \($a.pairs) \($b.pairs)"' 2>&1)
detail="$got / $sa / $sb / $(tail -n 3 "$tmp/a.log" "$tmp/b.log")" \
	t "esf.ko unloaded: both daemons notice and forget their pairs" \
	eval '[ ! -e /sys/module/esf ] && [ "$got" = "false false 0 0" ] &&
	      grep -q "esf.ko unloaded" "$tmp/a.log"'
out=$(ctl_a peer session other --class 1 2>&1); rc=$?
detail=$out t "a session request while the module is away is refused, saying why" \
	eval '[ $rc = 1 ] && grep -Eq "not loaded|No such device" <<<"$out"'

# 4-6: loaded again: the originator establishes again, on the new family.
modprobe esf
cur=
for i in {1..100}; do
	cur=$(ctl_a peer show other 2>&1 | grep 'class 1  current ')
	[ -n "$cur" ] && ctl_b peer show other 2>&1 | grep -q 'class 1  current ' && break
	sleep 0.2
done
sa=$(jstatus a)
got=$(jq -r '"\(.kernel.loaded) \(.kernel.loads) \(.kernel.unloads)"' <<<"$sa" 2>&1)
detail="$cur / $got / $sa / $(tail -n 5 "$tmp/a.log")" \
	t "esf.ko back: the originator establishes its pair again by itself" \
	eval '[ -n "$cur" ] && [ "$got" = "true 1 1" ]'
k=$(ksessions)
detail="A B: $k" t "each namespace holds exactly the new pair's two sessions" eval '[ "$k" = "2 2" ]'
out=$(roundtrip 2>&1); rc=$?
detail=$out t "records seal and open on the new pair" eval '[ $rc = 0 ]'

# 7: the events group of the new family is heard: a soft EXPIRE (5
# messages) rekeys.
r0=$(rekeys a) rb0=$(rekeys b)
fails=0
for i in {1..7}; do roundtrip >/dev/null 2>&1 || fails=$((fails + 1)); done
for i in {1..50}; do
	r1=$(rekeys a) rb1=$(rekeys b)
	[ $((r1 + rb1)) -gt $((r0 + rb0)) ] && break
	sleep 0.2
done
detail="rekeys A $r0 -> $r1, B $rb0 -> $rb1, $fails failed" \
	t "a soft EXPIRE after the reload rekeys (the new events group is joined)" \
	eval '[ $((r1 + rb1)) -gt $((r0 + rb0)) ] && [ $fails = 0 ]'

# 8-9: a clean stop leaves nothing behind, and the module unloads.
for p in "${pids[@]}"; do kill -TERM "$p"; done
for p in "${pids[@]}"; do wait "$p"; done
pids=()
k=$(ksessions)
detail="A B: $k" t "SIGTERM: no session left in either namespace" eval '[ "$k" = "0 0" ]'
for i in {1..50}; do rmmod esf 2>/dev/null && break; sleep 0.1; done
detail=$(lsmod | grep esf) t "the module unloads at the end" eval '[ ! -e /sys/module/esf ]'
modprobe esf

[ $failed = 0 ] || for f in "$tmp"/*.log; do sed "s|^|# ${f##*/}: |" "$f" | tail -n 30; done
exit $failed
