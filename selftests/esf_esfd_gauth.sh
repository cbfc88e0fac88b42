#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Static group authentication through a gateway agent (TR-0012 7.2.1,
# issue 15): a server esfd (/in-cse), a gateway esfd (/mn-gw, the agent)
# and two device esfds (Cd1, Cd2) in namespace gaS, the broker in gaW. The
# devices authenticate to the gateway; the gateway authenticates once to
# the server for all of them; the server's one Rand comes back through the
# gateway; each device and the server derive Ks_x from the Kpsa they share
# (which the gateway does not hold) and install kernel sessions keyed from
# it, which an application then uses. An independent implementation
# (gauth_peer.py: Python's hmac, the derivation as docs/esfd.md writes it)
# plays up to 1000 further devices in one process sharing the namespace, to
# count the messages each role handles for n = 1, 10, 100 (and 1000 on
# 6.1, below) and to
# check Ks_x from the outside; the capture of everything the broker carried
# holds no Ks_x. Refusals: a device the server does not know, a forged
# request, a replayed confirmation. Prints TAP.
# GA_DEBUG=1: the daemons log at debug level; logs and capture go to /out.
# GA_SIMS=N: the largest round (default 1000 on 6.1, else 100);
# GA_COLLECT_MS=MS: the gateway's collect-ms (default 3000).

ESFD=${ESFD:-esfd}
ESFCTL=${ESFCTL:-esfctl}
ESF=${ESF:-esf}
tmp=$(mktemp -d)
# The simulator's files: /host/tmp is the host's /tmp in esf-host's chroot.
htmp=/host/tmp/ga.$$
sim=/tmp/ga.$$
pids=()
broker=
sub=

cleanup() {
	[ -n "${GA_DEBUG:-}" ] && cp "$tmp"/*.log "$tmp/capture" /out/ 2>/dev/null
	stop_all "${pids[@]}" $broker $sub
	ip netns del gaS 2>/dev/null
	ip netns del gaW 2>/dev/null
	rm -rf "$tmp" "$htmp"
}
trap cleanup EXIT

. "$(dirname "$0")/lib_tap.sh"
in_s() { ip netns exec gaS "$@"; }
ctl() { local n=$1; shift; ESFD_CONTROL_SOCKET=$tmp/$n.sock in_s "$ESFCTL" "$@"; }
GRP=/in-cse/ga-field
# The 1000-device round measures esfd's user space; it runs on the suite's
# reference kernel (6.1, as make bench does), the others stop at 100 (the
# kernel's part, a pair per device, is the same at every size).
# GA_SIMS overrides.
case $(uname -r) in
6.1.*) SIMS=${GA_SIMS:-1000} ;;
*) SIMS=${GA_SIMS:-100} ;;
esac
ROUNDS="1 10 100"
[ "$SIMS" -gt 100 ] && ROUNDS+=" $SIMS"

echo "TAP version 13"
echo "1..$((9 + $(wc -w <<<"$ROUNDS")))"

modprobe esf || { echo "Bail out! cannot load esf.ko"; exit 1; }
[ -x /host/usr/bin/python3 ] && [ -d /host/usr/lib/python3/dist-packages/paho ] ||
	{ echo "Bail out! the host's python3-paho-mqtt is needed (scripts/deps installs it)"; exit 1; }
mkdir -p "$htmp" && cp "$(dirname "$0")/gauth_peer.py" "$htmp/" ||
	{ echo "Bail out! $htmp"; exit 1; }
broker_up gaS gaW 10.81.0 $'max_queued_messages 10000\n'

umask 077
rand_pool 192
for k in gi d1g d1i d2g d2i; do rand_hex 32; printf %s "$REPLY" >"$tmp/$k.key"; done
out=$(esf-host /usr/bin/python3 "$sim/gauth_peer.py" gen $SIMS Cs "$sim" 2>&1) ||
	{ echo "Bail out! gauth_peer.py gen: $out"; exit 1; }

head_conf() { # head_conf <name> <id> <role>
	printf '[esfd]\nid = %s\nrole = %s\nmqtt-broker = 10.81.0.2:1883\n' "$2" "$3"
	printf 'control-socket = %s/%s.sock\n\n' "$tmp" "$1"
}
peer() { # peer <name> <id> <role> <keyfile>
	printf '[peer %s]\nid = %s\nrole = %s\nkpsa-id = k-%s\nkpsa-file = %s\n\n' \
		"$1" "$2" "$3" "$4" "$tmp/$4.key"
}
{
	head_conf s /in-cse server
	peer gw /mn-gw gateway gi
	peer d1 Cd1 device d1i
	peer d2 Cd2 device d2i
	cat "$htmp/server.peers"
	printf '[gauth field]\nid = %s\nagent = gw\nmembers = d1 d2\n%s\n' "$GRP" "$(<"$htmp/members")"
} >"$tmp/s.conf"
{
	head_conf g /mn-gw gateway
	peer in /in-cse server gi
	peer d1 Cd1 device d1g
	peer d2 Cd2 device d2g
	peer d3 Cd3 device d2g
	cat "$htmp/agent.peers"
	printf '[gauth field]\nid = %s\nserver = in\nmembers = d1 d2 d3\n%s\ncollect-ms = %s\n' \
		"$GRP" "$(<"$htmp/members")" "${GA_COLLECT_MS:-3000}"
} >"$tmp/g.conf"
for d in 1 2; do
	{
		head_conf d$d Cd$d device
		peer gw /mn-gw gateway d${d}g
		peer in /in-cse server d${d}i
		printf '[gauth field]\nid = %s\nagent = gw\nserver = in\n' "$GRP"
	} >"$tmp/d$d.conf"
done

start() { esfd_start gaS "$1" "${GA_DEBUG:-}"; }
# gcount <name>: its section's counters into GA_in, GA_out, GA_dev, GA_ref, GA_state.
gcount() {
	local j
	j=$(ctl "$1" --json status --brief 2>/dev/null)
	j=$(jq -r '.gauth[0] |
		"\(.messages_in) \(.messages_out) \(.devices) \(.refused) \(.state // "-")"' \
		<<<"$j" 2>/dev/null)
	read -r GA_in GA_out GA_dev GA_ref GA_state <<<"$j"
}
authenticated() { gcount d1; [ "$GA_state" = authenticated ] || return 1
		  gcount d2; [ "$GA_state" = authenticated ]; }

# 1: the daemons come up; the configuration is checked.
out=$("$ESFD" -t -c "$tmp/g.conf" 2>&1)
start s && start g && gpid=$ESFD_PID && start d1 && start d2
rc=$?
detail="$out $(cat "$tmp"/*.log)" t "four esfds start; --check counts the [gauth] section" \
	eval '[ $rc = 0 ] && [[ $out == *"1 gauth"* ]]'

# 2: both devices authenticated through the gateway, in one request of it.
until_cond 150 authenticated
rc=$?
detail="$(tail -n 8 "$tmp"/s.log "$tmp"/g.log "$tmp"/d1.log)" \
	t "two devices authenticated to the server through the gateway's one request" \
	eval '[ $rc = 0 ] && grep -q "gauth field: authenticating 2 devices to /in-cse in one request" "$tmp/g.log"'

# 3: both ends hold a class 2 pair keyed from Ks_x; an application's
# Content sealed at the device opens at the server, and back.
pd=$(ctl d1 peer show in 2>&1 | grep 'class 2 ')
ps=$(ctl s peer show d1 2>&1 | grep 'class 2 ')
fieldv sd seal "$pd"; fieldv od open "$pd"; fieldv ss seal "$ps"; fieldv os open "$ps"
echo '{"op":5,"to":"/in-cse","fr":"Cd1","rqi":"r-1","rvi":"3","pc":{"m2m:sgn":{"nev":{"rep":"alarm 3"}}}}' >"$tmp/cin"
in_s "$ESF" seal -s "$sd" -f class2 -t sm <"$tmp/cin" >"$tmp/c1" 2>&1
o1=$(in_s "$ESF" open -s "$os" -f class2 -t sm <"$tmp/c1" 2>&1)
in_s "$ESF" seal -s "$ss" -f class2 -t sm <"$tmp/cin" >"$tmp/c2" 2>&1
o2=$(in_s "$ESF" open -s "$od" -f class2 -t sm <"$tmp/c2" 2>&1)
detail="$pd / $ps / $(<"$tmp/c1") / $o1 / $o2" t "the pair keyed from Ks_x: what the device seals opens at the server, and back" \
	eval '[[ $o1 == *"alarm 3"* ]] && [[ $o2 == *"alarm 3"* ]] && ! grep -q "alarm" "$tmp/c1"'

# 4-6 (-7): n simulated devices at once; the messages each role handled.
# The gateway sends what it holds after collect-ms (3 s; GA_COLLECT_MS
# overrides, up to 10000): requests that
# arrive later go in a further request to the server, b in all. Each role
# then handles n + b messages each way (the table says how many b were).
declare -A SIN SOUT GIN GOUT B
round() { # round <devices>
	local k=$1 s0 s1 g0 g1 out secs gl0
	gl0=$(wc -l <"$tmp/g.log")
	gcount s; s0="$GA_in $GA_out"
	gcount g; g0="$GA_in $GA_out"
	out=$(in_s esf-host /usr/bin/python3 "$sim/gauth_peer.py" run 10.81.0.2 1883 /mn-gw \
		/in-cse "$GRP" "$sim/devices" "$k" 2>&1)
	sleep 0.5
	gcount s; s1="$GA_in $GA_out"
	gcount g; g1="$GA_in $GA_out"
	B[$k]=$(tail -n +$((gl0 + 1)) "$tmp/g.log" | grep -c "gauth field: authenticating ")
	SIN[$k]=$(( ${s1% *} - ${s0% *} )) SOUT[$k]=$(( ${s1#* } - ${s0#* } ))
	GIN[$k]=$(( ${g1% *} - ${g0% *} )) GOUT[$k]=$(( ${g1#* } - ${g0#* } ))
	secs=
	[[ $out =~ seconds\ ([0-9.]+) ]] && secs=${BASH_REMATCH[1]}
	SIM_OUT=$out
	echo "# n=$k: server ${SIN[$k]} in / ${SOUT[$k]} out, gateway ${GIN[$k]} in / ${GOUT[$k]} out, ${B[$k]} request(s) to the server, ${secs}s"
	detail="$out $(tail -n 5 "$tmp"/g.log "$tmp"/s.log)"
	[[ $out == *"answered $k"$'\n'"confirmed $k"* ]] && [[ $'\n'$out != *$'\n'"bad "* ]] &&
		[ "${B[$k]}" -ge 1 ] && [ "${SIN[$k]}" = $((k + B[$k])) ] &&
		[ "${SOUT[$k]}" = $((k + B[$k])) ] && [ "${GIN[$k]}" = $((k + B[$k])) ] &&
		[ "${GOUT[$k]}" = $((k + B[$k])) ]
}
for k in $ROUNDS; do
	t "n=$k simulated devices authenticated: server and gateway each n+b in / n+b out (b requests to the server)" \
		round $k
done
echo "# messages per role (requests + answers): n  server in/out  gateway in/out  b;"
echo "# TR-0012 7.2.1: server n+1 in / 1 out, gateway 2n+1; transparent proxy: server 2n / n, proxy 3n / 3n"
for k in $ROUNDS; do
	echo "#   $k  ${SIN[$k]}/${SOUT[$k]}  ${GIN[$k]}/${GOUT[$k]}  ${B[$k]}"
done

kill -TERM "$sub" 2>/dev/null
wait "$sub" 2>/dev/null
sub=

# 8: Ks_x from the outside: the simulator's own derivation was confirmed by
# the server (test 7); the capture holds the Rands but no Ks_x in any form.
ks=$(grep '^ks Cs0001 ' <<<"$SIM_OUT")
read -r _ _ khex kb64 kb64u <<<"$ks"
[ -n "$kb64u" ] || khex=none kb64=none kb64u=none
raw=$(grep -c -F -e "$khex" -e "${khex^^}" -e "$kb64" -e "$kb64u" "$tmp/capture")
rnd=$(grep -c '"esf:gsr"' "$tmp/capture")
detail="$ks / found $raw / esf:gsr $rnd" t "the broker carried one Rand per round and no Ks_x in any encoding" \
	eval '[ "$khex" != none ] && [ "$raw" = 0 ] && [ "$rnd" -ge $((1 + $(wc -w <<<"$ROUNDS"))) ]'

# 9: a replayed confirmation (the last round's, under a new rqi) and a
# forged agent request (a MAC under no key) are refused and counted. The
# replay is refused as confirmed already, or, when the round took longer
# than the Rand's 120 s (a loaded host, n=1000), as an expired Rand.
gcount s; r0=$GA_ref
grep '^/oneM2M/req/Cs0001/in-cse/json ' "$tmp/capture" | tail -n 1 | cut -d' ' -f2- |
	sed 's/"rqi":"sim-[0-9a-f]*-Cs0001-2"/"rqi":"replay-1"/' >"$tmp/replay"
in_s mosquitto_pub -h 10.81.0.2 -t /oneM2M/req/Cs0001/in-cse/json -f "$tmp/replay"
fake='{"op":5,"to":"/in-cse","fr":"/mn-gw","rqi":"forged-1","rvi":"3","pc":{"esf:gas":{"grp":"'$GRP'","nnc":"AAAAAAAAAAAAAAAAAAAAAA","ids":["Cd1"],"mac":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"}}}'
in_s mosquitto_pub -h 10.81.0.2 -t /oneM2M/req/mn-gw/in-cse/json -m "$fake"
two() { gcount s; [ $((GA_ref - r0)) = 2 ]; }
until_cond 50 two
rc=$?
detail="$(tail -n 4 "$tmp/s.log")" t "a replayed confirmation and a forged agent request are refused by the server" \
	eval '[ $rc = 0 ] && grep -q -e "this Rand was confirmed already" \
		-e "refused request replay-1 from Cs0001: no such Rand" "$tmp/s.log" &&
	      grep -q "esf:gas.s mac does not hold" "$tmp/s.log"'

# 10: a device the server does not know is refused through the gateway:
# d3 is a member at the gateway only; its request is answered 4103.
{
	head_conf d3 Cd3 device
	peer gw /mn-gw gateway d2g
	peer in /in-cse server d2i
	printf '[gauth field]\nid = %s\nagent = gw\nserver = in\n' "$GRP"
} >"$tmp/d3.conf"
start d3
refused() { grep -q "gauth field: the agent refused (oneM2M 4103)" "$tmp/d3.log"; }
until_cond 100 refused
rc=$?
detail="$(tail -n 5 "$tmp/d3.log" "$tmp/g.log")" \
	t "a device the server does not take is refused 4103 by the gateway, nothing installed" \
	eval '[ $rc = 0 ] && ! ctl d3 peer show in 2>&1 | grep -q "class 2 "'

# 11: a reload of the gateway while it holds d3's request answers it (5000,
# ask again) and goes on.
held() { [ "$(ctl g --json status --brief 2>/dev/null | jq -r '.gauth[0].held')" = 1 ]; }
until_cond 100 held && kill -HUP "$gpid"
again() { grep -q "gauth field: the agent refused (oneM2M 5000)" "$tmp/d3.log"; }
until_cond 100 again
rc=$?
# The answer goes out during the reload, before its last log line.
until_cond 50 grep -q "configuration reloaded" "$tmp/g.log"
detail="$(tail -n 4 "$tmp/d3.log" "$tmp/g.log")" t "a gateway reloaded while it holds a request answers it and carries on" \
	eval '[ $rc = 0 ] && grep -q "configuration reloaded" "$tmp/g.log" && kill -0 $gpid'

# 12: esfctl status shows each role's section.
st=$(ctl g status 2>&1)
detail=$st t "esfctl status: the agent's group authentication line" \
	eval '[[ $st == *"group authentication field (/in-cse/ga-field) as agent"* ]]'

# 13: no daemon died.
alive=0
for p in "${pids[@]}"; do kill -0 "$p" 2>/dev/null && alive=$((alive + 1)); done
detail="$alive of ${#pids[@]}" t "every esfd is still running" eval '[ $alive = ${#pids[@]} ]'

exit $failed
