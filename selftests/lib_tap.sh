#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# TAP helpers for the esf shell selftests (sourced, not run):
#   ok <description>               a passed test
#   not_ok <description> [detail]  a failed one; detail lines become comments
#   t <description> <command...>   ok when the command succeeds, else not ok
#                                  with $detail as its comment (then cleared)
#   stop_all <pid...>              SIGTERM, a moment, then SIGKILL
#   netns_pair <A> <B> <a> <b> <net>
#                                  namespaces A and B joined by veth a|b,
#                                  <net>.1/24 in A, <net>.2/24 in B
#   broker_wait <log> <ns> <ip>    until the mosquitto logging to <log>
#                                  listens on <ip>, as namespace <ns> sees it
#   fieldv <var> <name> <text>     into <var>, the word after " <name> "
#   field <name> <text>            the same, printed
#   nap <seconds>                  a pause that is no process
#   until_ok <tenths> <command...> the command until it succeeds, 0.1 s apart
#   rand_pool <bytes>              read that many random bytes at once
#   rand_hex <bytes>               REPLY = the next that many, in hex
# $n counts the tests so far; $failed is 1 once any test failed, so a
# script ends with 'exit $failed'.

n=0 failed=0

ok() { n=$((n + 1)); echo "ok $n $1"; }
not_ok() {
	n=$((n + 1)) failed=1
	echo "not ok $n $1"
	[ -n "${2:-}" ] && sed 's/^/# /' <<<"$2"
}

t() {
	local d=$1
	shift
	if "$@"; then ok "$d"; else not_ok "$d" "${detail:-}"; fi
	detail=
}

stop_all() {
	local p
	for p in "$@"; do kill -TERM "$p" 2>/dev/null; done
	sleep 0.3
	for p in "$@"; do kill -KILL "$p" 2>/dev/null; done
}

# Three ip runs, not one per step: each exec costs under TCG.
netns_pair() {
	ip -batch - <<EOF &&
netns add $1
netns add $2
link add $3 type veth peer name $4
link set $3 netns $1
link set $4 netns $2
EOF
		ip -n "$1" -batch - <<EOF &&
addr add $5.1/24 dev $3
link set $3 up
link set lo up
EOF
		ip -n "$2" -batch - <<EOF
addr add $5.2/24 dev $4
link set $4 up
link set lo up
EOF
}

# mosquitto logs "running" once it listens: wait for that with bash's reads
# (a publish per try costs two execs), then make sure with a publish.
broker_wait() {
	local i
	for i in {1..100}; do
		[[ $(<"$1") == *" running"* ]] && break
		sleep 0.1
	done
	for i in {1..50}; do
		ip netns exec "$2" mosquitto_pub -h "$3" -t /ready -m x 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}

# fieldv <var> <name> <text>: into <var>, the word after " <name> " on the
# first line that has one (the last such word on that line), as sed -n
# 's/.* name \([^ ]*\).*/\1/p' | head -n 1 would print it, without a fork
# or exec (each costs under TCG).
fieldv() {
	local l re=".* $2 ([^ ]*)"
	printf -v "$1" ''
	while IFS= read -r l; do
		[[ $l =~ $re ]] && { printf -v "$1" %s "${BASH_REMATCH[1]}"; return; }
	done <<<"$3"
}

# field NAME TEXT: the word after " NAME " in TEXT (esfctl's lines), no process.
field() {
	local re=" $1 ([^[:space:]]*)"
	[[ $2 =~ $re ]] && echo "${BASH_REMATCH[1]}"
	return 0
}

# A pause that is no process (every exec counts under TCG): a read with a
# timeout from a FIFO that nobody writes, made in the test's $tmp at first.
nap() {
	if [ -z "${nap_fd:-}" ]; then
		[ -p "$tmp/.nap" ] || mkfifo "$tmp/.nap"
		exec {nap_fd}<>"$tmp/.nap"
	fi
	read -r -t "$1" -u "$nap_fd"
}

# Wait up to $1 tenths of a second for a command to succeed.
until_ok() {
	local k=$1 i
	shift
	for ((i = 0; i < k; i++)); do "$@" && return 0; nap 0.1; done
	return 1
}

# Key material from one read of /dev/urandom (a read per key costs three
# execs under TCG): rand_pool <bytes> reads it, rand_hex <bytes> hands out
# the next bytes in hex in REPLY, and bails out when the pool runs dry.
rand_pool() {
	rand_bytes=$(od -An -v -tx1 -N "$1" /dev/urandom)
	rand_bytes=${rand_bytes//[$' \n']/}
}
rand_hex() {
	REPLY=${rand_bytes:0:2*$1}
	rand_bytes=${rand_bytes:2*$1}
	[ ${#REPLY} = $((2 * $1)) ] || { echo "Bail out! out of random bytes"; exit 1; }
}

# esfd_start <netns> <name> [debug]: esfd with $tmp/<name>.conf, .state and
# .log, its control socket $tmp/<name>.sock waited for (10 s). The job is
# started here, not by running this function in the background, so $!
# (ESFD_PID, appended to pids) is esfd itself, which a test signals.
esfd_start() {
	local i
	ip netns exec "$1" "$ESFD" -f ${3:+-d} -c "$tmp/$2.conf" -s "$tmp/$2.state" \
		2>>"$tmp/$2.log" &
	ESFD_PID=$!
	pids+=("$ESFD_PID")
	for i in {1..100}; do
		[ -S "$tmp/$2.sock" ] && return 0
		sleep 0.1
	done
	return 1
}

# until_cond <tries> <command...>: every 0.2 s until it succeeds.
until_cond() {
	local n=$1 i
	shift
	for ((i = 0; i < n; i++)); do
		"$@" && return 0
		sleep 0.2
	done
	return 1
}

# broker_up <client netns> <broker netns> <subnet> [mosquitto.conf lines]:
# the two namespaces joined by a veth pair (netns_pair; <subnet>.1 in the
# first, .2 in the second), mosquitto listening on <subnet>.2:1883 in the
# second (its pid in broker), and a capture of everything it carries,
# mosquitto_sub -v, in $tmp/capture (its pid in sub). Bails out on failure.
broker_up() {
	netns_pair "$1" "$2" "${1,,}" "${2,,}" "$3" ||
		{ echo "Bail out! network namespaces"; exit 1; }
	printf 'listener 1883 %s.2\nallow_anonymous true\n%s' "$3" "${4:-}" >"$tmp/mosquitto.conf"
	chmod 644 "$tmp/mosquitto.conf"
	ip netns exec "$2" mosquitto -c "$tmp/mosquitto.conf" >"$tmp/mosquitto.log" 2>&1 &
	broker=$!
	broker_wait "$tmp/mosquitto.log" "$1" "$3.2" || { echo "Bail out! no broker"; exit 1; }
	ip netns exec "$2" mosquitto_sub -h "$3.2" -v -t '#' >"$tmp/capture" 2>/dev/null &
	sub=$!
}
