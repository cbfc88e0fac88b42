#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Gateway roles and public gateways as esfd policy (issue 16;
# docs/esfd.conf.md, "Gateway roles" and "Private and public gateways").
# esfd -t refuses the combinations the roles forbid, naming the line and
# why. A public gateway /mn-gw (namespace roS, the broker in roW) serves a
# funnel device Cf and two applications' devices, Ca1 (uid 4001's) and Ca2
# (uid 4002's): it establishes and accepts no class 2 pair with Cf, by its
# control socket or by Cf's request, and keeps class 1 with it; uid 4001
# gets its own device's sessions from esfd and uses them in the kernel
# (AF_ALG and /dev/esf), and is refused the other application's by esfd's
# control socket and by the kernel (EACCES), on both front ends.
# Prints TAP.

ESFD=${ESFD:-esfd}
ESFCTL=${ESFCTL:-esfctl}
ESF=${ESF:-esf}
tmp=$(mktemp -d)
pids=()
broker=
sub=

cleanup() {
	stop_all "${pids[@]}" $broker $sub
	ip netns del roS 2>/dev/null
	ip netns del roW 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT

. "$(dirname "$0")/lib_tap.sh"
in_s() { ip netns exec roS "$@"; }
ctl() { local who=$1; shift; ESFD_CONTROL_SOCKET=$tmp/$who.sock in_s "$ESFCTL" "$@"; }
# As another uid; its /dev/esf region is pinned and charged to RLIMIT_MEMLOCK,
# 64 KiB by default before Linux 5.16: raised here, as an operator would.
as() {
	local uid=$1
	shift
	(ulimit -l 65536 && in_s setpriv --reuid "$uid" --regid "$uid" --clear-groups "$@")
}
hasf() { [[ $2 == *"$1"* ]]; }

echo "TAP version 13"
echo "1..12"

modprobe esf || { echo "Bail out! cannot load esf.ko"; exit 1; }
setpriv --help 2>&1 | grep -q reuid || { echo "Bail out! setpriv cannot change uid"; exit 1; }
broker_up roS roW 10.83.0
# Other uids reach the control sockets through it.
chmod 755 "$tmp"

umask 077
rand_pool 96
for k in f a1 a2; do rand_hex 32; printf %s "$REPLY" >"$tmp/$k.key"; done


head_conf() { # head_conf <name> <id> <role> [extra lines]
	printf '[esfd]\nid = %s\nrole = %s\nmqtt-broker = 10.83.0.2:1883\n' "$2" "$3"
	printf 'control-socket = %s/%s.sock\n%s\n' "$tmp" "$1" "${4:-}"
}
kpeer() { # kpeer <name> <id> <role> <keyfile> [extra lines]
	printf '[peer %s]\nid = %s\nrole = %s\nkpsa-id = k-%s\nkpsa-file = %s\n%s\n' \
		"$1" "$2" "$3" "$4" "$tmp/$4.key" "${5:-}"
}
{
	head_conf gw /mn-gw gateway 'gateway = public'
	printf '[policy hop]\ndata-classes = 1\nowner-uid = 4003\n\n'
	printf '[policy app1]\nowner-uid = 4001\n\n[policy app2]\nowner-uid = 4002\n\n'
	kpeer f Cf device f $'policy = hop\ngateway-role = funnel'
	kpeer a1 Ca1 device a1 'policy = app1'
	kpeer a2 Ca2 device a2 'policy = app2'
} >"$tmp/gw.conf"
# The devices allow every class: the refusal is the gateway's.
{ head_conf f Cf device; kpeer gw /mn-gw gateway f; } >"$tmp/f.conf"
{ head_conf a1 Ca1 device; kpeer gw /mn-gw gateway a1; } >"$tmp/a1.conf"
{ head_conf a2 Ca2 device; kpeer gw /mn-gw gateway a2; } >"$tmp/a2.conf"

# 1-4: what esfd -t refuses, each with its line and reason.
refused() { # refused <description> <line> <text> <conf lines...>
	local d=$1 line=$2 text=$3 out rc
	shift 3
	printf '%s\n' "$@" >"$tmp/bad.conf"
	out=$("$ESFD" -t -c "$tmp/bad.conf" 2>&1); rc=$?
	detail=$out t "$d" eval '[ $rc != 0 ] && hasf "bad.conf:$line: " "$out" && hasf "$text" "$out"'
}
gwh=$'[esfd]\nid = /gw\nrole = gateway'
dev=$'[peer d]\nid = Cd\nrole = device\nkpsa-id = k\nkpsa-file = '"$tmp/f.key"
refused "a funnel device whose policy allows end-to-end classes is refused" 9 \
	"gateway-role = funnel: its [policy default] allows data class 2" "$gwh" "$dev" \
	"gateway-role = funnel"
refused "an aggregator on a public gateway is refused" 13 \
	"gateway-role = aggregator on a public gateway" "$gwh" "gateway = public" \
	$'[policy p]\nowner-uid = 4001' "$dev" "policy = p" "gateway-role = aggregator"
refused "a public gateway's peer without an owning application is refused" 5 \
	"on a public gateway its [policy default] must name the application" \
	"$gwh" "gateway = public" "$dev"
refused "owner-gid is refused on a public gateway" 7 "owner-gid on a public gateway" \
	"$gwh" "gateway = public" $'[policy p]\nowner-uid = 4001\nowner-gid = 4001' "$dev" \
	"policy = p"

# 5: the gateway and the three devices start.
out=$("$ESFD" -t -c "$tmp/gw.conf" 2>&1); rc=$?
for w in gw f a1 a2; do esfd_start roS "$w" debug || rc=1; done
connected() { grep -q 'connected as' "$tmp/$1.log"; }
for w in gw f a1 a2; do until_ok 150 connected "$w" || rc=1; done
detail="$out $(tail -n 5 "$tmp"/*.log)" t "the public gateway and its devices start" \
	eval '[ $rc = 0 ]'

# 6: the gateway's control socket refuses a class 2 pair with the funnel device.
out=$(ctl gw establish f --class 2 2>&1); rc=$?
detail=$out t "esfctl establish --class 2 with a funnel device is refused, naming the role" \
	eval '[ $rc != 0 ] && hasf "gateway-role = funnel" "$out" &&
	      hasf "no end-to-end (class 2 or 3) key" "$out"'

# 7: nor does it accept one the device asks for.
out=$(ctl f establish gw --class 2 2>&1); rc=$?
pairs=$(ctl gw --json status 2>&1 | jq -c '[.peers[] | select(.name == "f") | .pairs[].class]')
detail="$out / gateway's pairs with Cf: $pairs / $(grep -i funnel "$tmp/gw.log")" \
	t "the funnel device's own class 2 request is refused; the gateway holds no such key" \
	eval '[ $rc != 0 ] && hasf 4111 "$out" && [ "$pairs" = "[]" ] &&
	      grep -q "gateway-role = funnel: no end-to-end key" "$tmp/gw.log"'

# 8: hop by hop (class 1) the funnel device and the gateway still pair.
out=$(ctl gw establish f --class 1 2>&1); rc=$?
show=$(ctl gw peer show f 2>&1)
detail="$out / $show" t "class 1 with the funnel device is established; peer show names its role" \
	eval '[ $rc = 0 ] && hasf " seal " "$out" && hasf "gateway-role funnel" "$show"'

# 9: each application's device pairs with the gateway; its owner gets it from esfd.
e1=$(ctl gw establish a1 --class 1 2>&1) && e2=$(ctl gw establish a2 --class 1 2>&1)
rc=$?
fieldv s1 seal "$e1"; fieldv s2 seal "$e2"
own=$(ESFD_CONTROL_SOCKET=$tmp/gw.sock as 4001 "$ESFCTL" peer session a1 --class 1 2>&1)
detail="$e1 / $e2 / $own" t "uid 4001 gets its own application's session from esfd" \
	eval '[ $rc = 0 ] && [ -n "$s1" ] && [ -n "$s2" ] && [ "$(field seal "$own")" = "$s1" ]'

# 10: but not the other application's.
out=$(ESFD_CONTROL_SOCKET=$tmp/gw.sock as 4001 "$ESFCTL" peer session a2 --class 1 2>&1); rc=$?
detail=$out t "esfd's control socket refuses uid 4001 the other application's session" \
	eval '[ $rc != 0 ] && hasf "Permission denied" "$out"'

# 11-12: the kernel: uid 4001 seals under its own session, on both front
# ends, and is refused the other application's (EACCES: exit 3).
echo '{"t":21.5}' >"$tmp/p"
chmod 644 "$tmp/p"
kseal() { # kseal <front> <session>: exit status and messages
	ESF_FRONT=$1 as 4001 "$ESF" seal -s "$2" -f jwe-compact -c 1 -t sm <"$tmp/p" 2>&1
}
o_sock=$(kseal socket "$s1"); r_sock=$?
o_dev=$(kseal device "$s1"); r_dev=$?
detail="socket: $o_sock / device: $o_dev" \
	t "uid 4001 seals under its own session through AF_ALG and /dev/esf" \
	eval '[ $r_sock = 0 ] && [ $r_dev = 0 ] && [[ $o_sock == ey* ]] && [[ $o_dev == ey* ]]'
o_sock=$(kseal socket "$s2"); r_sock=$?
o_dev=$(kseal device "$s2"); r_dev=$?
detail="socket: $o_sock / device: $o_dev" \
	t "the kernel refuses uid 4001 the other application's session (EACCES), both front ends" \
	eval '[ $r_sock = 3 ] && [ $r_dev = 3 ] && hasf "not the session'"'"'s owner" "$o_sock" &&
	      hasf "not the session'"'"'s owner" "$o_dev"'

exit $failed
