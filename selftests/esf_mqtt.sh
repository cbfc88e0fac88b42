#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# esfd and applications over the oneM2M MQTT binding (TS-0010), through a
# real broker (Debian's mosquitto): a server (/in-cse, namespace mqA, with
# its application /in-cse/Cmonitor) and a device (Cdevice-07, namespace
# mqB, where the broker runs) establish keys in securityInfo primitives,
# and the device's class 1, 2 and 3 envelopes travel as primitives
# (esf-mqtt). Then the broker is missing at start, restarted in the middle
# of traffic, slowed down and stalled, and a hostile client on it sends
# malformed and forged primitives: each refused with its status code,
# nothing lost. Last, a broker with TLS, passwords and an ACL.
# mosquitto_pub and mosquitto_sub are the independent client. Prints TAP.

ESFD=${ESFD:-esfd}
ESFCTL=${ESFCTL:-esfctl}
ESF=${ESF:-esf}
MQ=${MQ:-esf-mqtt}
tmp=$(mktemp -d)
chmod 755 "$tmp"
out=/out/mqtt
[ -d /out ] && [ -w /out ] || out=$tmp/out
mkdir -p "$out"
pids=()
broker=

cleanup() {
	tc_off
	stop_all "${pids[@]}" $broker
	ip netns del mqA 2>/dev/null
	ip netns del mqB 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT

. "$(dirname "$0")/lib_tap.sh"
# Background processes start with "ip netns exec" itself, which execs the
# program: through these functions $! would be a subshell, and killing it
# would leave the program running.
in_a() { ip netns exec mqA "$@"; }
in_b() { ip netns exec mqB "$@"; }
ctl_a() { ESFD_CONTROL_SOCKET=$tmp/a.sock in_a "$ESFCTL" "$@"; }
ctl_b() { ESFD_CONTROL_SOCKET=$tmp/b.sock in_b "$ESFCTL" "$@"; }
# jq costs a third of a second a start under TCG: one per status, however
# many values are read (one line each).
jst() { ESFD_CONTROL_SOCKET=$tmp/$1.sock ip netns exec "mq${1^^}" "$ESFCTL" --json status |
	jq -r "$2"; }
# jab EXPR: EXPR on [a's status, b's status], one jq.
jab() { { ESFD_CONTROL_SOCKET=$tmp/a.sock in_a "$ESFCTL" --json status
	  ESFD_CONTROL_SOCKET=$tmp/b.sock in_b "$ESFCTL" --json status; } | jq -rs "$1"; }
tc_off() { in_a tc qdisc del dev mqa root 2>/dev/null; in_b tc qdisc del dev mqb root 2>/dev/null; }
# lines FILE: the number of lines in FILE, in $lines.
# shellcheck disable=SC2034
lines() { local l; mapfile -t l <"$1"; lines=${#l[@]}; }

echo "TAP version 13"
echo "1..16"

modprobe esf || { echo "Bail out! cannot load esf.ko"; exit 1; }
command -v mosquitto >/dev/null || { echo "Bail out! mosquitto not found"; exit 1; }
ip netns add mqA && ip netns add mqB &&
	ip link add mqa type veth peer name mqb &&
	ip link set mqa netns mqA && ip link set mqb netns mqB &&
	in_a ip addr add 10.78.0.1/24 dev mqa && in_b ip addr add 10.78.0.2/24 dev mqb &&
	in_a ip link set mqa up && in_b ip link set mqb up &&
	in_a ip link set lo up && in_b ip link set lo up ||
	{ echo "Bail out! network namespaces"; exit 1; }

umask 077
key() { od -An -tx1 -N32 /dev/urandom | tr -d ' \n'; echo; }
key >"$tmp/dev.key"
key >"$tmp/other.key"

# The broker of the device's network, anonymous on this private link.
printf 'listener 1883 10.78.0.2\nallow_anonymous true\n' >"$tmp/mosquitto.conf"
chmod 644 "$tmp/mosquitto.conf"
# Not through in_b: $! must be mosquitto itself ("ip netns exec" execs it),
# not a subshell that a kill would leave the broker running behind.
broker_start() {
	ip netns exec mqB mosquitto -c "$tmp/mosquitto.conf" >>"$tmp/mosquitto.log" 2>&1 &
	broker=$!
	until_ok 50 in_b mosquitto_pub -h 10.78.0.2 -t /ready -m x 2>/dev/null
}
broker_kill() {
	kill -KILL "$broker" 2>/dev/null
	wait "$broker" 2>/dev/null
	broker=
}

common='mqtt-broker = 10.78.0.2:1883
mqtt-keepalive = 5s
mqtt-retransmit = 1s

[policy default]
lifetime-hard-messages = 100000
replay-window = 256'
cat >"$tmp/a.conf" <<EOF
[esfd]
id = /in-cse
role = server
control-socket = $tmp/a.sock
$common

[peer dev]
id = Cdevice-07
role = device
kpsa-id = kpsa-in-dev07
kpsa-file = dev.key

# Another peer: its credential in a device's ESPrim Object is impersonation.
[peer other]
id = Cother-01
role = device
kpsa-id = kpsa-in-other
kpsa-file = other.key
EOF
cat >"$tmp/b.conf" <<EOF
[esfd]
id = Cdevice-07
role = device
control-socket = $tmp/b.sock
$common

[peer in]
id = /in-cse
role = server
kpsa-id = kpsa-in-dev07
kpsa-file = dev.key
EOF
start() {
	local ns=$1 name=$2
	ip netns exec "$ns" "$ESFD" -f -d -c "$tmp/$name.conf" -s "$tmp/$name.state" \
		2>>"$tmp/$name.log" &
	pids+=($!)
	until_ok 50 test -S "$tmp/$name.sock"
}

# 1-2: the broker is not there yet.
start mqA a && start mqB b
# (esfd reports the refused connection as soon as it has tried)
until_ok 50 eval 'st=$(ctl_a status 2>&1); grep -Eq "last: .*(refused|lost)" <<<"$st"'
detail=$st t "broker down at start: esfd runs and esfctl status says why" \
	eval 'grep -Eq "MQTT broker 10.78.0.2 port 1883: (down|connecting)" <<<"$st" &&
	      grep -Eq "last: .*(refused|lost)" <<<"$st"'
ctl_a establish dev --class 1 --timeout 30000 >"$tmp/est1" 2>&1 &
est=$!
until_ok 50 eval 'grep -q "waiting for the broker 1;" <<<"$(ctl_a status 2>&1)"'
queued=$(jst a '"\(.mqtt.state) pending \(.mqtt.pending) queued \(.mqtt.queued)"')
broker_start
wait $est
rc=$?
est1=$(<"$tmp/est1")
detail="$queued / $est1 / $(tail -n 5 "$tmp/a.log")" \
	t "an establishment asked while the broker is down completes once it is up" \
	eval '[ $rc = 0 ] && grep -q "queued 1" <<<"$queued" && [ -n "$(field seal "$est1")" ] &&
	      grep -q "ori $(field ori "$est1")" <<<"$(ctl_b peer show in)"'

# 3: one establishment's primitives, as the broker carries them.
ip netns exec mqB mosquitto_sub -h 10.78.0.2 -v -t '/oneM2M/#' >"$out/establishment.log" &
sub=$!
# Subscribed once a probe published after it comes back (a fixed half
# second was too short on a loaded host: the log stayed empty).
until_ok 300 eval 'ip netns exec mqB mosquitto_pub -h 10.78.0.2 -t /oneM2M/probe -m x &&
		   grep -q "^/oneM2M/probe x$" "$out/establishment.log"'
ctl_b establish in --class 2 --timeout 30000 >/dev/null 2>&1
# The last primitive reaches the device's esfd and mosquitto_sub together.
until_ok 50 grep -q '"rsc":2000,.*"sit":5' "$out/establishment.log"
kill $sub
wire=$(cat "$out/establishment.log")
first() { grep -m1 "$1" <<<"$wire"; }
detail=$wire t "on the wire: NOTIFY sit 3, 2000 sit 4, NOTIFY sit 5, 2000 sit 5 on TS-0010 topics" \
	eval 'first "\"sit\":3" | grep -q "^/oneM2M/req/Cdevice-07/in-cse/json {\"op\":5,\"to\":\"/in-cse\",\"fr\":\"Cdevice-07\",\"rqi\":\"esfd-[0-9a-f]*-1\",\"rvi\":\"3\",\"rqet\":\"[0-9T]*\",\"pc\":{\"m2m:seci\":{\"sit\":3}}}$" &&
	      first "\"sit\":4" | grep -q "^/oneM2M/resp/Cdevice-07/in-cse/json {\"rsc\":2000,\"rqi\":\"esfd-[0-9a-f]*-1\",\"to\":\"Cdevice-07\",\"fr\":\"/in-cse\",\"rvi\":\"3\",\"pc\":{\"m2m:seci\":{\"sit\":4,\"ero\":{\"esri\"" &&
	      first "\"op\":5,.*\"sit\":5" | grep -q "^/oneM2M/req/Cdevice-07/in-cse/json {\"op\":5,.*\"rqi\":\"esfd-[0-9a-f]*-2\".*\"sit\":5,\"epo\":\"ey" &&
	      first "\"rsc\":2000,.*\"sit\":5" | grep -q "^/oneM2M/resp/Cdevice-07/in-cse/json {\"rsc\":2000,.*\"sit\":5,\"epo\":\"ey"'
ctl_b establish in --class 3 --timeout 30000 >/dev/null 2>&1

# The server's application: opens what arrives with the OPEN session of the
# pair its header names ("ori" for ESPrim; classes 2 and 3 are not rekeyed
# here, their current pair opens them) and answers with the status code.
# One jq (a third of a second a start under TCG) reads the request and
# esfd's pairs: the format, the OPEN session, and for class 3 the envelope.
cat >"$tmp/app.sh" <<'EOF'
#!/bin/bash
IFS= read -r -d '' req
export ESFD_CONTROL_SOCKET=$T/a.sock
{ read -r fmt open; IFS= read -r in; } <<<"$(esfctl --json peer show dev | jq -r --arg req "$req" '
	($req | fromjson) as $r | .[0].pairs as $p |
	def open($c; f): [$p[] | select(.class == $c) | select(f) | .open][0] // 0;
	if $r.pc["m2m:seci"] then
		($r.pc["m2m:seci"].epo | split(".")[0] | gsub("_"; "/") | gsub("-"; "+") |
			@base64d | fromjson | .ori) as $o |
		"class1 \(open(1; .ori == $o))"
	elif $r.pc["esf:env"] then "class2 \(open(2; .state == "current"))"
	else "class3 \(open(3; .state == "current"))", ($r.pc | tojson) end')"
[ "$fmt" = class3 ] || in=$req
if got=$(printf '%s' "$in" | esf open -s "${open:-0}" -f "${fmt:-class1}" -t sm 2>"$T/app.err"); then
	echo "$ESF_MQTT_FR $ESF_MQTT_RQI $fmt $got" >>"$T/opened"
	echo '{"rsc":2000}'
else
	code=$(sed -n 's/.*oneM2M \([0-9]*\).*/\1/p' "$T/app.err")
	echo "$ESF_MQTT_RQI $(cat "$T/app.err")" >>"$T/app.refused"
	printf '{"rsc":%s,"pc":{"m2m:dbg":%s}}\n' "${code:-5000}" "$(jq -Rs . <"$T/app.err")"
fi
EOF
chmod 755 "$tmp/app.sh"
: >"$tmp/opened"
T=$tmp ip netns exec mqA "$MQ" serve -b 10.78.0.2:1883 --id /in-cse/Cmonitor --exec "$tmp/app.sh" \
	2>"$tmp/app.log" &
pids+=($!)

# The device's application: the current pair from esfd, then a primitive of
# class 1, 2 or 3 sealed by the kernel and sent through the broker.
send() { # send <class> <number> [esf-mqtt options]
	local c=$1 k=$2 ps seal ori rri p
	shift 2
	ps=$(ctl_b peer session in --class "$c")
	seal=$(field seal "$ps") ori=$(field ori "$ps") rri=$(field rri "$ps")
	printf -v p '{"m2m:cin":{"con":"%s"}}' "$k"
	[ "$c" = 3 ] && p=$(in_b "$ESF" seal -s "$seal" -f class3 -t sm <<<"$p")
	printf -v p '{"op":1,"to":"/in-cse/Cmonitor/temp","fr":"Cdevice-07","rqi":"m%s","rvi":"3","ty":4,"pc":%s}' \
		"$k" "$p"
	case $c in
	1) p=$(in_b "$ESF" seal -s "$seal" -f class1 -t sm --ori "$ori" --rri "$rri" <<<"$p") ;;
	2) p=$(in_b "$ESF" seal -s "$seal" -f class2 -t sm <<<"$p") ;;
	esac
	# 60 s: under TCG on a loaded host an answer can take more than the
	# default 10 s; what is checked is that it comes, once.
	in_b "$MQ" request -b 10.78.0.2:1883 --timeout 60000 "$@" /in-cse/Cmonitor <<<"$p" \
		>>"$tmp/answers" 2>>"$tmp/send.err"
}
opened() { grep -c " $1 " "$tmp/opened"; }

# 4: the applications' envelopes as primitives. (Were "esf-mqtt serve" not
# subscribed yet, the first request would be retransmitted.)
fails=0
for k in 1 2 3 4 5 6; do send $(( (k - 1) % 3 + 1 )) "$k" || fails=$((fails + 1)); done
detail="$(cat "$tmp/opened" "$tmp/send.err" "$tmp/app.log")" \
	t "class 1, 2 and 3 envelopes travel as primitives through the broker: 6 opened" \
	eval '[ $fails = 0 ] && [ "$(wc -l <"$tmp/opened")" = 6 ] &&
	      [ "$(opened class1)" = 2 ] && [ "$(opened class2)" = 2 ] && [ "$(opened class3)" = 2 ] &&
	      grep -q "m6 class3 {\"m2m:cin\":{\"con\":\"6\"}}" "$tmp/opened" &&
	      grep -q "m4 class1 .*\"con\":\"4\"" "$tmp/opened"'

# 5-7: the broker restarts in the middle of the traffic.
: >"$tmp/opened"
(for k in {101..108}; do send 1 "$k" || echo "m$k failed" >>"$tmp/send.err"; done) &
traffic=$!
until_ok 300 eval 'lines "$tmp/opened"; [ "$lines" -ge 3 ]'
broker_kill
# esfd sees the connection go at once, and says so
during=
until_ok 50 eval 'during=$(ctl_a status 2>&1)
	grep -Eq "MQTT broker .*: (down|connecting) for" <<<"$during" &&
	grep -Eq "last: .*(refused|lost)" <<<"$during"'
ctl_a rekey dev --class 1 --timeout 60000 >"$tmp/rekey" 2>&1 &
rekey=$!
during_q=
until_ok 50 eval 'during_q=$(ctl_a status 2>&1); grep -q "waiting for the broker 1;" <<<"$during_q"'
broker_start
wait $traffic
wait $rekey
rc=$?
detail="$(cat "$tmp/send.err" "$tmp/opened" | tail -n 20)" \
	t "broker restart in the middle of traffic: 8 primitives answered 2000 and opened once each" \
	eval '! grep -q failed "$tmp/send.err" && [ "$(wc -l <"$tmp/opened")" = 8 ] &&
	      [ "$(cut -d" " -f2 "$tmp/opened" | sort -u | wc -l)" = 8 ] && [ ! -s "$tmp/app.refused" ]'
detail="$during / $during_q" t "esfctl status during the outage: the broker down, the reason, the rekey queued" \
	eval 'grep -Eq "MQTT broker .*: (down|connecting) for" <<<"$during" &&
	      grep -Eq "last: .*(refused|lost)" <<<"$during" &&
	      grep -Eq "MQTT broker .*: (down|connecting) for" <<<"$during_q" &&
	      grep -q "waiting for the broker 1;" <<<"$during_q"'
st=$(ctl_a status 2>&1)
rk=$(<"$tmp/rekey")
detail="$rk / $st" t "a rekey asked during the outage completes after it; both esfd reconnected" \
	eval '[ $rc = 0 ] && [ "$(jab "length == 2 and ([.[].mqtt.reconnects] | min >= 1)")" = true ] &&
	      grep -q "ori $(field ori "$rk")" <<<"$(ctl_b peer show in)"'

# 8-9: a slow broker: 1.5 s each way between the server and the broker,
# which is the device's neighbour. The device's requests reach the broker
# at once and the server 1.5 s later: the device retransmits before the
# answer can be back, and the server must answer every copy as the first.
in_a tc qdisc add dev mqa root netem delay 1500ms &&
	in_b tc qdisc add dev mqb root netem delay 1500ms
read -r re0 dup0 <<<"$(jab '"\(.[1].mqtt.retransmits) \(.[0].mqtt.duplicates)"')"
is0=$(grep -c 'issued receiver rand object' "$tmp/a.log")
out_r=$(ctl_b rekey in --class 1 --timeout 60000 2>&1)
rc=$?
read -r re1 dup1 <<<"$(jab '"\(.[1].mqtt.retransmits) \(.[0].mqtt.duplicates)"')"
is1=$(grep -c 'issued receiver rand object' "$tmp/a.log")
detail="$out_r / retransmits $re0->$re1, duplicates $dup0->$dup1, issued $is0->$is1" \
	t "slow broker: the establishment completes; retransmitted requests get the first answer (one rand object)" \
	eval '[ $rc = 0 ] && [ "$re1" -gt "$re0" ] && [ "$dup1" -gt "$dup0" ] && [ $((is1 - is0)) = 1 ] &&
	      grep -q "ori $(field ori "$out_r")" <<<"$(ctl_a peer show dev)"'
: >"$tmp/opened"
: >"$tmp/send.err"
fails=0
for k in 201 202; do send 1 "$k" || fails=$((fails + 1)); done
tc_off
detail="$(cat "$tmp/send.err" "$tmp/opened")" \
	t "slow broker: application primitives are answered and opened once each" \
	eval '[ $fails = 0 ] && [ "$(wc -l <"$tmp/opened")" = 2 ]'

# 10: a stalled broker (stopped for 4 s in the middle of an establishment).
ctl_b rekey in --class 1 --timeout 60000 >"$tmp/rekey2" 2>&1 &
rekey=$!
kill -STOP "$broker"
sleep 4
kill -CONT "$broker"
wait $rekey
rc=$?
rk=$(<"$tmp/rekey2")
detail="$rk / $(tail -n 5 "$tmp/b.log")" \
	t "stalled broker: the establishment completes when it resumes" \
	eval '[ $rc = 0 ] && grep -q "ori $(field ori "$rk")" <<<"$(ctl_a peer show dev)"'

# 11-13: a hostile client on the broker. Each request has its own rqi (or
# originator level, for what has no readable rqi); the answers are read
# back from the broker.
ip netns exec mqA mosquitto_sub -h 10.78.0.2 -v -t '/oneM2M/resp/+/in-cse/json' >"$tmp/hostile.resp" &
sub=$!
sleep 0.5
# What goes to one topic goes in one mosquitto_pub, a message a line (-l).
hpub() { in_a mosquitto_pub -h 10.78.0.2 -t "/oneM2M/req/$1/in-cse/json" -l; }
R() { printf '{"op":5,"to":"/in-cse","fr":"Cdevice-07","rqi":"%s","rvi":"3"%s}' "$1" "$2"; }
# b64u VAR STRING: STRING in base64url without padding, into VAR.
b64u() {
	local s
	s=$(printf '%s' "$2" | base64 -w0)
	s=${s//+/-} s=${s//\//_}
	printf -v "$1" '%s' "${s%%=*}"
}
echo 'not json' | hpub hostile-1
echo '[1,2]' | hpub hostile-2
head -c 70000 /dev/zero | tr '\0' ' ' | sed 's/^/{"op":5/; s/$/}/' >"$tmp/big"
in_a mosquitto_pub -h 10.78.0.2 -t /oneM2M/req/hostile-3/in-cse/json -f "$tmp/big"
m=$(R h-intruder ',"pc":{"m2m:seci":{"sit":3}}')
echo "${m/'"fr":"Cdevice-07"'/'"fr":"intruder"'}" | hpub intruder
# Responses nobody asked for, malformed or not.
printf '%s\n' garbage '{"rsc":2000,"rqi":"esfd-0000000000000000-1","pc":{"m2m:seci":{"sit":3}}}' |
	in_a mosquitto_pub -h 10.78.0.2 -t /oneM2M/resp/in-cse/Cdevice-07/json -l
# The last one, h-rand, is a real request for a rand object: its answer's
# rri is the ESPrim Objects' below.
{
	echo '{"op":5,"to":"/in-cse","fr":"Cdevice-07","rqi":"h-norvi"}'
	m=$(R h-rvi1 '')
	echo "${m/'"rvi":"3"'/'"rvi":"1"'}"
	m=$(R h-op1 ',"pc":{"m2m:seci":{"sit":3}}')
	echo "${m/'"op":5'/'"op":1'}"
	m=$(R h-to ',"pc":{"m2m:seci":{"sit":3}}')
	echo "${m/'"to":"/in-cse"'/'"to":"/mn-cse"'}"
	m=$(R h-fr ',"pc":{"m2m:seci":{"sit":3}}')
	echo "${m/'"fr":"Cdevice-07"'/'"fr":"Cother-01"'}"
	R h-sit6 ',"pc":{"m2m:seci":{"sit":6,"eckm":"AAAA"}}'; echo
	R h-sit1 ',"pc":{"m2m:seci":{"sit":1}}'; echo
	R h-rset ',"rset":"20300101T000000","pc":{"m2m:seci":{"sit":3}}'; echo
	R h-rqet ',"rqet":"20200101T000000","pc":{"m2m:seci":{"sit":3}}'; echo
	R h-nopc ''; echo
	R h-sit4 ',"pc":{"m2m:seci":{"sit":4}}'; echo
	R h-extra ',"pc":{"m2m:seci":{"sit":3,"x":1}}'; echo
	R h-rand ',"pc":{"m2m:seci":{"sit":3}}'; echo
} | hpub Cdevice-07
# ESPrim Objects: not JWE, another alg, unknown or another peer's kid,
# unknown rri; then with a real rri (asked for as the device): no "oro",
# and a well-formed object sealed with a key that is not the Kpsa's.
until_ok 50 grep -q '"rqi":"h-rand"' "$tmp/hostile.resp"
m=$(grep -m1 '"rqi":"h-rand"' "$tmp/hostile.resp")
{ read -r rri; read -r oro; } <<<"$(jq -r '.pc["m2m:seci"].ero | .esri,
	(.esri = "forged-o" | .esrv = "AAAAAAAAAAAAAAAAAAAAAA==" | tojson)' <<<"${m#* }")"
prot=
b64u prot '{"dataClass":1,"alg":"gcm(aes)","tagLength":16}'
iv=$(head -c 12 /dev/urandom | base64 -w0) tag=$(head -c 16 /dev/urandom | base64 -w0)
iv=${iv//+/-} iv=${iv//\//_} iv=${iv%%=*} tag=${tag//+/-} tag=${tag//\//_} tag=${tag%%=*}
jwe() { # jwe <header json>: a compact JWE with that header, in $jwe
	local h
	b64u h "$1"
	jwe="$h..$iv.$prot.$tag"
}
hdr() { # hdr <alg> <kid> <rri> [oro]
	printf '{"alg":"%s","enc":"A256GCM","kid":"%s","ori":"forged-o","rri":"%s","cty":"application/vnd.esfd.establish+json"%s}' \
		"$1" "$2" "$3" "${4:+,\"oro\":$4}"
}
epo() { R "$1" ",\"pc\":{\"m2m:seci\":{\"sit\":5,\"epo\":\"$2\"}}"; echo; }
{
	epo h-notjwe 'a.b.c'
	jwe "$(hdr RSA-OAEP kpsa-in-dev07 "$rri" "$oro")"; epo h-alg "$jwe"
	jwe "$(hdr dir kpsa-nobody "$rri" "$oro")"; epo h-kid "$jwe"
	jwe "$(hdr dir kpsa-in-other "$rri" "$oro")"; epo h-imp "$jwe"
	jwe "$(hdr dir kpsa-in-dev07 unknown-rri "$oro")"; epo h-rri "$jwe"
	jwe "$(hdr dir kpsa-in-dev07 "$rri")"; epo h-oro "$jwe"
	jwe "$(hdr dir kpsa-in-dev07 "$rri" "$oro")"; epo h-mac "$jwe"
} | hpub Cdevice-07
# Every request was answered once h-mac, the last one, is (esfd reads its
# broker connection in order); the answers by rqi, or by topic level where
# there is no readable rqi, are read with one jq.
until_ok 100 grep -q '"rqi":"h-mac"' "$tmp/hostile.resp"
kill $sub
declare -A resp
while read -r k v; do
	[ -n "${resp[$k]:-}" ] || resp[$k]=$v
done <<<"$(jq -rR 'capture("^/oneM2M/resp/(?<l>[^/]*)/[^ ]* (?<j>.*)$") | . as $c |
	(.j | fromjson? // {}) as $j | ($j.rqi // empty, $c.l) + " \($j.rsc) \($c.j)"' "$tmp/hostile.resp")"
expect() { # expect <rqi or topic level> <rsc>
	[ "${resp[$1]%% *}" = "$2" ] || echo "$1: wanted $2, got ${resp[$1]:-nothing}"
}
bad=$(expect hostile-1 4000; expect hostile-2 4000; expect hostile-3 4000; expect h-norvi 4000
	expect h-rvi1 4001; expect h-op1 4005; expect h-to 4004; expect h-fr 4000
	expect h-intruder 4103; expect h-sit6 4103; expect h-sit1 5001; expect h-rset 5001
	expect h-rqet 4008; expect h-nopc 4000; expect h-sit4 4000; expect h-extra 4000)
detail=$bad t "malformed requests from a client on the broker: 4000, 4001, 4004, 4005, 4008, 4103 (also ESCertKE from a kpsa peer), 5001 as TS-0004 says" \
	eval '[ -z "$bad" ]'
bad=$(expect h-notjwe 5210; expect h-alg 4111; expect h-kid 4112; expect h-imp 4116
	expect h-rri 4114; expect h-oro 4113; expect h-mac 4115)
detail=$bad t "forged ESPrim Objects: 5210, 4111, 4112, 4116, 4114, 4113, 4115; no session made" \
	eval '[ -z "$bad" ] && shown=$(ctl_a peer show dev) && ! grep -q "ori forged-o " <<<"$shown"'
st=$(ctl_a status 2>&1)
detail="$st" t "responses nobody asked for are dropped and counted; esfd unharmed, nothing lost after" \
	eval '[ "$(jst a "[.dropped.malformed, .dropped.unmatched] | min >= 1")" = true ] &&
	      kill -0 ${pids[0]} && ctl_b rekey in --class 1 --timeout 30000 >/dev/null && send 1 301'

# 14: what an unauthenticated sit 3 can cost is bounded: 100 spoofed
# requests, then a real establishment still works.
for i in {1..100}; do R "h-flood-$i" ',"pc":{"m2m:seci":{"sit":3}}'; echo; done |
	in_a mosquitto_pub -h 10.78.0.2 -t /oneM2M/req/Cdevice-07/in-cse/json -l
until_ok 100 eval '[ "$(grep -c "issued receiver rand object .*h-flood" "$tmp/a.log")" = 100 ]'
out_f=$(ctl_b rekey in --class 1 --timeout 30000 2>&1)
rc=$?
detail="$out_f" t "100 spoofed rand object requests answered, then a real establishment still succeeds" \
	eval '[ $rc = 0 ] && [ "$(grep -c "issued receiver rand object .*h-flood" "$tmp/a.log")" = 100 ]'

# 15-16: a broker with TLS, passwords and an ACL that ties each user to the
# topics of its own id. A wrong password is refused with a clear status; a
# user may not publish as another originator (the broker drops it).
cd "$tmp" || exit 1
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ca.key -out ca.pem \
	-days 2 -subj /CN=esf-test-ca >/dev/null 2>&1
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout srv.key -out srv.csr \
	-subj /CN=10.78.0.2 >/dev/null 2>&1
printf 'subjectAltName=IP:10.78.0.2\n' >ext
openssl x509 -req -in srv.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out srv.pem -days 2 \
	-extfile ext >/dev/null 2>&1
printf '%s:pw-%s\n' in-cse in-cse Cdevice-07 Cdevice-07 mallory mallory >passwd
mosquitto_passwd -U passwd >/dev/null 2>&1
cat >acl <<'EOF'
pattern write /oneM2M/req/%u/+/json
pattern write /oneM2M/resp/+/%u/json
pattern read /oneM2M/req/+/%u/json
pattern read /oneM2M/resp/%u/+/json
EOF
printf 'listener 8883 10.78.0.2\ncafile %s/ca.pem\ncertfile %s/srv.pem\nkeyfile %s/srv.key\npassword_file %s/passwd\nacl_file %s/acl\nallow_anonymous false\n' \
	"$tmp" "$tmp" "$tmp" "$tmp" "$tmp" >tls.conf
chmod 644 ca.pem srv.pem srv.key passwd acl tls.conf
ip netns exec mqB mosquitto -c "$tmp/tls.conf" >>"$tmp/mosquitto-tls.log" 2>&1 &
pids+=($!)
for u in in-cse Cdevice-07; do printf 'pw-%s\n' "$u" >"pw.$u"; done
printf 'wrong\n' >pw.bad
tls() { # tls <name> <id> <peer id> <user> <password file>
	cat <<EOF
[esfd]
id = $2
role = $([ "$2" = /in-cse ] && echo server || echo device)
control-socket = $tmp/$1.sock
mqtt-broker = 10.78.0.2:8883
mqtt-ca-file = ca.pem
mqtt-username = $4
mqtt-password-file = $5

[peer p]
id = $3
role = $([ "$3" = /in-cse ] && echo server || echo device)
kpsa-id = kpsa-in-dev07
kpsa-file = dev.key
EOF
}
kill -TERM "${pids[0]}" "${pids[1]}"
wait "${pids[0]}" "${pids[1]}" 2>/dev/null
tls ta /in-cse Cdevice-07 in-cse pw.in-cse >ta.conf
tls tb Cdevice-07 /in-cse Cdevice-07 pw.Cdevice-07 >tb.conf
tls tc Cdevice-07 /in-cse Cdevice-07 pw.bad >tc.conf
start mqA ta && start mqB tb && start mqB tc
out_t=$(ESFD_CONTROL_SOCKET=$tmp/tb.sock in_b "$ESFCTL" establish p --timeout 30000 2>&1)
rc=$?
st_c=$(ESFD_CONTROL_SOCKET=$tmp/tc.sock in_b "$ESFCTL" status 2>&1)
detail="$out_t / $st_c / $(tail -n 3 "$tmp/tb.log")" \
	t "TLS broker with passwords: an establishment; a wrong password is refused and said so" \
	eval '[ $rc = 0 ] && [ -n "$(field seal "$out_t")" ] && grep -q "not authorised" <<<"$st_c"'
rx0=$(ESFD_CONTROL_SOCKET=$tmp/ta.sock in_a "$ESFCTL" --json status | jq .rx)
in_a mosquitto_pub -h 10.78.0.2 -p 8883 --cafile ca.pem -u mallory -P pw-mallory \
	-t /oneM2M/req/Cdevice-07/in-cse/json -m "$(R h-acl ',"pc":{"m2m:seci":{"sit":3}}')"
m=$(R h-acl2 ',"pc":{"m2m:seci":{"sit":3}}')
in_a mosquitto_pub -h 10.78.0.2 -p 8883 --cafile ca.pem -u mallory -P pw-mallory \
	-t /oneM2M/req/mallory/in-cse/json -m "${m/'"fr":"Cdevice-07"'/'"fr":"mallory"'}"
# Until esfd has refused the second; the first, had the broker let it
# through, would have come before it.
until_ok 100 eval 'grep -q "refused:.* 4103 " <<<"$(ESFD_CONTROL_SOCKET=$tmp/ta.sock in_a "$ESFCTL" status 2>&1)"'
read -r rx1 r4103 refused <<<"$(ESFD_CONTROL_SOCKET=$tmp/ta.sock in_a "$ESFCTL" --json status |
	jq -r '"\(.rx) \(.refused["4103"]) \(.refused | tojson)"')"
detail="rx $rx0 -> $rx1, refused $refused (4103: $r4103)" \
	t "ACL: the broker drops a user's request in another originator's name; its own reaches esfd (4103)" \
	eval '[ "$rx1" = $((rx0 + 1)) ] && [ "$r4103" -ge 1 ] && ! grep -q "h-acl\"" "$tmp/ta.log"'
cd / || true

[ $failed = 0 ] || { echo "# logs:"; for f in "$tmp"/*.log; do sed "s|^|# ${f##*/}: |" "$f" | tail -n 30; done; }
exit $failed
