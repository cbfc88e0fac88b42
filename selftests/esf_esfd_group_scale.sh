#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# One group of 1000 members (issue 15, "Scale"): what a revoke costs.
# A real esfd is the group's server (/in-cse, namespace gsS) with 1000 Kpsa
# peers Cs0001..Cs1000, sender ids 1..1000 of 1024; the gateway's mosquitto
# runs in namespace gsW with a capture of everything it carries. The members
# are simulated by one Python process in gsS (gmember_peer.py, run from the
# host's /usr with esf-host): it holds the 1000 Kpsas, derives each member's
# wrapping key as docs/esfd.md writes it (Python's hmac, not esfd's code),
# subscribes as all the members, refuses pushes until a member pulled (as a
# member's esfd does), pulls each member's first key, and takes and answers
# every push after opening it under that member's key.
# Then one member is revoked (taken out of members, SIGHUP) and the test
# measures the rekey: wall time from the SIGHUP until the 999 others hold
# the new epoch, the primitives and bytes the broker carried for it, and the
# server's CPU time; and it checks, on the capture read afresh, that each of
# the 999 got exactly the new epoch's key under its own key (sender id
# included), that the revoked member got nothing of that epoch and cannot
# open any of it, and that the count is 999 pushes and 999 answers plus the
# retransmissions the server's counters report. Prints TAP; the figures as
# "# " lines.
# The logs, the capture and the simulator's output go to /out when a test
# fails, or with GS_DEBUG=1 (which also makes the server log at debug level).
# GS_TRACE=1: "# " lines saying when each step began.

ESFD=${ESFD:-esfd}
ESFCTL=${ESFCTL:-esfctl}
N=1000
SENDERS=1024
REVOKED=500
GRP=/in-cse/grp-big
tmp=$(mktemp -d)
pids=()
broker=
sub=
sim=

cleanup() {
	[ -n "${GS_DEBUG:-}" ] || ((failed)) &&
		cp "$tmp"/*.log "$tmp"/sim.* "$tmp/capture" /host/tmp/gs.keys /out/ 2>/dev/null
	stop_all "${pids[@]}" "$sim" "$broker" "$sub"
	ip netns del gsS 2>/dev/null
	ip netns del gsW 2>/dev/null
	rm -rf "$tmp" /host/tmp/gmember_peer.py /host/tmp/gs.keys /host/tmp/gs.capture
}
trap cleanup EXIT

. "$(dirname "$0")/lib_tap.sh"
step() { [ -n "${GS_TRACE:-}" ] && echo "# $EPOCHREALTIME $*"; }
ctl() { ESFD_CONTROL_SOCKET=$tmp/s.sock ip netns exec gsS "$ESFCTL" "$@"; }

echo "TAP version 13"
echo "1..6"

modprobe esf || { echo "Bail out! cannot load esf.ko"; exit 1; }
[ -x /host/usr/bin/python3 ] || { echo "Bail out! the host's /usr is not shared (esf-host)"; exit 1; }
step namespaces and broker
# The capture subscribes to everything: past mosquitto's default queue of
# 1000 messages per client a burst of 999 pushes and their answers could
# lose some of it (the test would then count what the broker dropped for
# the capture, not what esfd sent).
broker_up gsS gsW 10.80.0 $'max_queued_messages 0\n'

# 1000 Kpsas, one read; the server's configuration holds them inline (a
# file each would be 1000 files), the simulator's key list the same. One
# awk writes both (a bash loop of 1000 takes seconds under TCG).
step configuration
umask 077
rand_pool $((32 * N))
printf '[esfd]\nid = /in-cse\nrole = server\nmqtt-broker = 10.80.0.2:1883\ncontrol-socket = %s\n' \
	"$tmp/s.sock" >"$tmp/peers.conf"
awk -v n=$N -v hex="$rand_bytes" -v keys=/host/tmp/gs.keys 'BEGIN {
	for (i = 1; i <= n; i++) {
		id = sprintf("Cs%04d", i)
		k = substr(hex, 64 * (i - 1) + 1, 64)
		print id, i, k >keys
		printf "[peer p%d]\nid = %s\nrole = device\nkpsa-id = k%d\nkpsa = %s\n", i, id, i, k
	}
}' >>"$tmp/peers.conf"
# server <revoked>: the group's section, 100 members a line (a line holds
# 4096 characters); the member numbered <revoked> left out (0: none).
server() {
	cat "$tmp/peers.conf"
	printf '[group big]\nid = %s\nsenders = %d\n' "$GRP" $SENDERS
	awk -v n=$N -v r="$1" 'BEGIN {
		for (i = 1; i <= n; i++) {
			if (i % 100 == 1)
				printf "members ="
			if (i != r)
				printf " p%d:%d", i, i
			if (i % 100 == 0)
				printf "\n"
		}
	}'
}
server 0 >"$tmp/s.conf"

# The members first, so that the server's first pushes find them up
# (refused until each has pulled, as a member's esfd refuses them).
step simulator
cp "$(dirname "$0")/gmember_peer.py" /host/tmp/
ip netns exec gsS esf-host /usr/bin/python3 /tmp/gmember_peer.py run 10.80.0.2 1883 /in-cse \
	"$GRP" /tmp/gs.keys $SENDERS >"$tmp/sim.out" 2>"$tmp/sim.err" &
sim=$!
# until_cond <tries> <command...>: every 0.2 s until it succeeds (0), or
# until it says it never will (2).
until_cond() {
	local k=$1 i r
	shift
	for ((i = 0; i < k; i++)); do
		"$@"
		r=$?
		((r == 0)) && return 0
		((r == 2)) && return 1
		sleep 0.2
	done
	return 1
}
sim_says() { [[ $(<"$tmp/sim.out") =~ $1 ]]; }
# sim_epoch <count> <above>: the first epoch above <above> that <count>
# members hold, and when they did, into SE and ST; 2 if the simulator died.
sim_epoch() {
	local l re="^epoch ([0-9]+) count $1 ([0-9.]+)\$"
	while IFS= read -r l; do
		[[ $l =~ $re ]] && ((BASH_REMATCH[1] > $2)) &&
			{ SE=${BASH_REMATCH[1]} ST=${BASH_REMATCH[2]}; return 0; }
	done <"$tmp/sim.out"
	kill -0 "$sim" 2>/dev/null || return 2
	return 1
}
sim_ready() { kill -0 "$sim" 2>/dev/null || return 2; sim_says $'(^|\n)ready '; }
until_cond 300 sim_ready ||
	{ echo "Bail out! the member simulator did not come up: $(<"$tmp/sim.err")"; exit 1; }

# cpu <pid>: its user and system time so far, in ms.
hz=$(getconf CLK_TCK 2>/dev/null || echo 100)
cpu() {
	local s f
	s=$(<"/proc/$1/stat")
	read -ra f <<<"${s##*) }"
	echo $(((f[11] + f[12]) * 1000 / hz))
}
# secs <from> <to>: the difference of two times in seconds, to the ms.
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'; }
# status: the server's publications, retransmissions, refused publications.
status() {
	ctl --json status 2>/dev/null | jq -r '"\(.mqtt.published) \(.mqtt.retransmits) \(.mqtt.publish_refused)"'
}
pending() { # no push of the server waits for its answer
	[ "$(ctl --json group list 2>/dev/null | jq '[.. | objects | select(.push_pending == true)] | length')" = 0 ]
}

# 1: the server starts; all 1000 members pull their first key, one epoch.
step server
t_start=$EPOCHREALTIME
ip netns exec gsS "$ESFD" -f ${GS_DEBUG:+-d} -c "$tmp/s.conf" -s "$tmp/s.state" 2>>"$tmp/s.log" &
pid_s=$!
pids+=("$pid_s")
detail="$(tail -n 5 "$tmp/sim.out" "$tmp/sim.err" "$tmp/s.log")" \
	t "$N members pulled their first key and hold one epoch" until_cond 300 sim_epoch $N 0
e1=$SE t_first=$ST
step first keys
until_cond 100 pending
echo "# first keys of a $N-member group: $(secs "$t_start" "$t_first") s from the server's start" \
	"($(grep -c 'a member asked afresh' "$tmp/s.log") extra epochs for members that" \
	"pulled while a push to them was unanswered)"

# 2: revoke member $REVOKED: a new epoch for the 999 others.
step revoke
server $REVOKED >"$tmp/s.conf"
read -r pub0 re0 ref0 <<<"$(status)"
c0=$(cpu "$pid_s")
t0=$EPOCHREALTIME
if [ -n "${GS_PERF:-}" ]; then # GS_PERF=1 (vm-run --perf): where the server's time goes
	perf record -q -g -e cpu-clock -p "$pid_s" -o /tmp/gs.perf 2>/dev/null &
	perf_pid=$!
	sleep 1
fi
kill -HUP "$pid_s"
SE='' ST=''
detail="$(tail -n 5 "$tmp/sim.out" "$tmp/sim.err" "$tmp/s.log")" \
	t "revoke: the $((N - 1)) others hold a new epoch" until_cond 300 sim_epoch $((N - 1)) "$e1"
e2=$SE t1=${ST:-$EPOCHREALTIME}
# The epoch the reload made, as the server's log says; the capture is read
# for it when the members never reached one.
rev_epoch=$(grep "(membership or policy changed)" "$tmp/s.log" | tail -n 1 |
	sed -n 's/.* epoch \([0-9]*\) .*/\1/p')
step rekeyed
# The server has every answer: its CPU time covers reading them.
until_cond 100 pending
c1=$(cpu "$pid_s")
if [ -n "${perf_pid:-}" ]; then
	kill -INT "$perf_pid"
	wait "$perf_pid"
	perf report -i /tmp/gs.perf --no-children --stdio -g caller,0.5,callee --percent-limit 1 \
		2>/dev/null >/out/perf.txt
	perf report -i /tmp/gs.perf --no-children --stdio -g none --sort dso,sym 2>/dev/null |
		head -n 80 >/out/perf-flat.txt
fi
step answers read
read -r pub1 re1 ref1 <<<"$(status)"

# The capture, read afresh with the members' Kpsas.
kill -TERM "$sub" 2>/dev/null
wait "$sub" 2>/dev/null
sub=
cp "$tmp/capture" /host/tmp/gs.capture
printf -v rid 'Cs%04d' $REVOKED
step capture
chk=$(ip netns exec gsS esf-host /usr/bin/python3 /tmp/gmember_peer.py check /tmp/gs.capture \
	/tmp/gs.keys /in-cse "$GRP" "${e2:-${rev_epoch:-0}}" "$rid" 2>&1)
step checked
# shellcheck disable=SC2034 # read by the eval'd conditions below
pushes='' copies='' answers='' answer_copies='' bytes='' members='' opened='' wrong=''
# shellcheck disable=SC2034
revoked_got='' revoked_opens=''
for w in pushes copies answers answer_copies bytes members opened wrong revoked_got revoked_opens; do
	fieldv "$w" "$w" " $chk"
done

# 3: each of the 999 got the new epoch's key once, under its own key.
detail="$chk / sim: $(<"$tmp/sim.out")" \
	t "each of the $((N - 1)) remaining members got epoch $e2 under its own key, sender id included" \
	eval '[ "$rev_epoch" = "$e2" ] && [ "$members" = $((N - 1)) ] && [ "$pushes" = $((N - 1)) ] &&
	      [ "$opened" = $((N - 1)) ] && [ "$wrong" = 0 ] && ! sim_says "(^|\n)bad "'

# 4: the revoked member got nothing of it, and cannot open any of it.
detail=$chk t "the revoked member ($rid) got nothing of epoch $e2 and opens none of its pushes" \
	eval '[ "$revoked_got" = 0 ] && [ "$revoked_opens" = 0 ] && [ -n "$pushes" ]'

# 5: the primitives: 999 pushes, 999 answers, and as many copies more as
# the server says it retransmitted; the server published nothing else.
retx=$((re1 - re0)) published=$((pub1 - pub0)) refused=$((ref1 - ref0))
detail="$chk / server: published $published, retransmits $retx, refused publications $refused" \
	t "the rekey is $((N - 1)) pushes and $((N - 1)) answers, plus the retransmissions counted" \
	eval '[ "$answers" = $((N - 1)) ] && [ "$copies" = $((pushes + retx)) ] &&
	      [ "$published" = "$copies" ] && [ "$answer_copies" -ge "$answers" ]'

# 6: the figures; the rekey must take less than 60 s even under TCG.
wall=$(secs "$t0" "$t1")
# logms <pattern>: the time of the server's last log line matching it, in
# ms of the day (its lines begin HH:MM:SS.mmm).
logms() {
	local l
	l=$(grep -- "$1" "$tmp/s.log" | tail -n 1)
	[[ $l =~ ^([0-9]{2}):([0-9]{2}):([0-9]{2})\.([0-9]{3}) ]] || { echo 0; return; }
	echo $(((10#${BASH_REMATCH[1]} * 3600 + 10#${BASH_REMATCH[2]} * 60 +
		10#${BASH_REMATCH[3]}) * 1000 + 10#${BASH_REMATCH[4]}))
}
reload_ms=$(($(logms "group big: epoch $e2 (") - $(logms "SIGHUP: reloading")))
echo "# rekey of a $N-member group on revoke: $pushes pushes, $answers answers," \
	"$bytes bytes, $wall s, CPU $((c1 - c0)) ms" \
	"($((copies - pushes)) pushes and $((answer_copies - answers)) answers retransmitted," \
	"$refused publications refused)"
echo "# of which reading the configuration of $N peers and making the epoch: $reload_ms ms;" \
	"then each push wrapped, sent, opened and answered: $(((10#${wall/./} * 10 - reload_ms) / (N - 1))) ms a member"
detail="$wall s" t "the rekey completed within 60 s of the SIGHUP" \
	eval '[ "${wall%.*}" -lt 60 ]'
exit "$failed"
