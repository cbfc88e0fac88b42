#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Peer-to-peer agreement between entities that have never met (docs/esfd.md,
# "Peer-to-peer agreement"): esfds configured with nothing but their own
# certificate credential, the root and a [p2p] section agree on a pair of
# kernel sessions in one NOTIFY round trip and pass records through the
# fast path; the second agreement carries certificate digests only; a
# replayed, stale, reflected, spliced (swapped ephemeral key), truncated or
# oversized request is refused, and so are expired, not-yet-valid,
# foreign-CA, wrong-id and revoked certificates, each with its own reason and
# counter and nothing in the kernel; a revocation by SIGHUP removes the
# revoked peer's pairs; the certificate cache and the dynamic peer table
# keep their bounds (a responder that evicted a certificate gets it again);
# the rate of agreements is printed. An independent implementation written
# from docs/esfd.md (p2p_peer.py: Python's cryptography package) agrees
# with esfd as initiator and as responder, both ends deriving one key id.
# Prints TAP.

ESFD=${ESFD:-esfd}
ESFCTL=${ESFCTL:-esfctl}
ESF=${ESF:-esf}
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
chmod 755 "$tmp"
# p2p_peer.py's files: /host/tmp is the host's /tmp in esf-host's chroot.
htmp=/host/tmp/p2p.$$
sim=/tmp/p2p.$$
out=/out/p2p
[ -d /out ] && [ -w /out ] || out=$tmp/out
mkdir -p "$out"
pids=()
broker=

cleanup() {
	stop_all "${pids[@]}" $broker
	ip netns pids p2 2>/dev/null | xargs -r kill -KILL 2>/dev/null
	ip netns del p2 2>/dev/null
	rm -rf "$tmp" "$htmp"
}
trap cleanup EXIT

. "$(dirname "$0")/lib_tap.sh"
. "$(dirname "$0")/lib_pki.sh"
in_ns() { ip netns exec p2 "$@"; }
ctl() { local s=$1; shift; ESFD_CONTROL_SOCKET=$tmp/v$s.sock in_ns "$ESFCTL" "$@"; }
jst() { ctl "$1" --json status | jq -r "$2"; }

echo "TAP version 13"
echo "1..20"

modprobe esf || { echo "Bail out! cannot load esf.ko"; exit 1; }
ip netns add p2 && in_ns ip link set lo up || { echo "Bail out! network namespace"; exit 1; }

# ---- the PKI: a root and a foreign one; vehicles 1..4, an expired one (5),
# one not yet valid (6), one from the foreign CA (8) ----------------------
umask 077
cd "$tmp" || exit 1
mkca ca "esf test root"
mkca evil "a foreign root"
for i in 1 2 3 4 5 6 7 8; do mkcsr "v$i" "Cveh-0$i"; done
mkcsr v10 Cveh-10
valid=(v1 v2 v3 v4 v7 v10)
openssl ca -batch -config ca/ca.cnf -extensions ext -notext -out valid.pem \
	-infiles "${valid[@]/%/.csr}" 2>/dev/null
for ((i = 0; i < ${#valid[@]}; i++)); do mv "ca/new/$((1000 + i)).pem" "${valid[i]}.pem"; done
mkcert ca v5 20200101000000Z 20210101000000Z
mkcert ca v6 20990101000000Z 20991231000000Z
mkcert evil v8
openssl ca -batch -config ca/ca.cnf -gencrl -out empty.crl 2>/dev/null
openssl ca -batch -config ca/ca.cnf -revoke v4.pem 2>/dev/null
openssl ca -batch -config ca/ca.cnf -gencrl -out v4.crl 2>/dev/null
cp ca/ca.pem root.pem
cp evil/ca.pem evilroot.pem
chmod 644 ./*.pem ./*.crl
[ -s v1.pem ] && [ -s v5.pem ] && [ -s v8.pem ] && [ -s v4.crl ] ||
	{ echo "Bail out! openssl could not make the test PKI"; exit 1; }

printf 'listener 1883 127.0.0.1\nallow_anonymous true\n' >mosquitto.conf
chmod 644 mosquitto.conf
ip netns exec p2 mosquitto -c "$tmp/mosquitto.conf" >"$tmp/mosquitto.log" 2>&1 &
broker=$!
until_ok 50 in_ns mosquitto_pub -h 127.0.0.1 -t /ready -m x 2>/dev/null ||
	{ echo "Bail out! mosquitto"; exit 1; }
in_ns mosquitto_sub -h 127.0.0.1 -v -t '/oneM2M/#' >"$out/wire.log" &
pids+=($!)

conf() { # conf N [ROOT] [P2P-LINES...]: vehicle N's esfd.conf, nothing about any peer
	local v=$1 root=${2:-root.pem}
	shift 2
	{
		printf '[esfd]\nid = Cveh-0%s\nrole = peer\ncontrol-socket = %s/v%s.sock\n' "$v" \
			"$tmp" "$v"
		printf 'mqtt-broker = 127.0.0.1:1883\nmqtt-retransmit = 1s\n'
		printf 'ca-file = %s\ncert-file = v%s.pem\nkey-file = v%s.key\n' "$root" "$v" "$v"
		# The foreign CA's vehicle has no CRL of that CA.
		[ "$root" = root.pem ] && printf 'crl-file = empty.crl\n'
		printf '\n[policy p2p]\naead = gcm(aes)\nkey-size = 128\n'
		printf '\n[p2p]\npolicy = p2p\n'
		printf '%s\n' "$@"
	} >"$tmp/v$v.conf"
}
start() { # start N
	ip netns exec p2 "$ESFD" -f -d -c "$tmp/v$1.conf" -s "$tmp/v$1.state" 2>>"$tmp/v$1.log" &
	pids+=($!)
	eval "pid_$1=$!"
	until_ok 100 test -S "$tmp/v$1.sock"
}
# A daemon's session pairs (the kernel-wide count moves as older pairs
# retire after a rekey, 30 s on: not something to compare across steps).
pairs() { jst "$1" .pairs; }
# The pairs one daemon holds with one peer.
pairs_with() { ctl "$1" --json peer show "$2" 2>/dev/null | jq '.[0].pairs | length'; }
# The requests on the wire, one per line: "TOPIC JSON".
reqs_to() { grep "^/oneM2M/req/[^ ]*/$1/json .*esf:p2q" "$out/wire.log"; }
payload() { echo "${1#* }"; }
pub() { # pub TOPIC JSON
	in_ns mosquitto_pub -h 127.0.0.1 -t "$1" -m "$2"
}

conf 1 root.pem 'window = 60s'
conf 2 root.pem 'window = 60s'
conf 3 root.pem 'window = 3s' 'cert-cache = 1' 'peers = 2'
conf 4 root.pem
conf 5 root.pem
conf 6 root.pem
conf 7 root.pem 'window = 60s'
conf 8 evilroot.pem
for i in 1 2 3 4 5 6 8; do
	start $i || { echo "Bail out! esfd v$i: $(tail -n 3 "v$i.log")"; exit 1; }
done

# 1-2: Cveh-01 and Cveh-02 have never met: one round trip, a class 2 pair.
est=$(ctl 1 establish Cveh-02 --class 2 --timeout 30000 2>&1)
rc=$?
req1=$(reqs_to Cveh-02 | head -n 1)
rsp1=$(grep -m1 '^/oneM2M/resp/Cveh-01/Cveh-02/json .*esf:p2r' "$out/wire.log")
read -r peers2 cred2 kid2 <<<"$(ctl 2 --json peer show Cveh-01 |
	jq -r '"\(length) \(.[0].credential) \(.[0].kpsa_id)"')"
detail="$est / $peers2 $cred2 $kid2 / $req1 / $rsp1 / $(tail -n 5 v1.log)" \
	t "first contact: one NOTIFY esf:p2q with x5c, its 2000 esf:p2r with x5c; both ends hold a pair of one key id" \
	eval '[ $rc = 0 ] && [ "$peers2 $cred2" = "1 p2p" ] && [ "$(field kid "$est")" = "$kid2" ] &&
	      [ ${#kid2} = 22 ] &&
	      payload "$req1" | jq -e ".op == 5 and .to == \"Cveh-02\" and .fr == \"Cveh-01\" and
		(.pc[\"esf:p2q\"] | .v == 1 and .cls == 2 and (.x5c | length) == 1 and
		 (.epk | length) == 87 and (.sig | length) == 86 and (has(\"pkd\") | not))" >/dev/null &&
	      payload "$rsp1" | jq -e ".rsc == 2000 and (.pc[\"esf:p2r\"].x5c | length) == 1" >/dev/null &&
	      [ "$(grep -c "esf:p2" "$out/wire.log")" = 2 ] && ! grep -q "m2m:seci" "$out/wire.log"'
ps_1=$(ctl 1 peer session Cveh-02 --class 2) ps_2=$(ctl 2 peer session Cveh-01 --class 2)
msg='{"op":1,"to":"Cveh-02/park","fr":"Cveh-01","rqi":"m1","rvi":"3","ty":4,"pc":{"m2m:cin":{"con":"hello"}}}'
got=$(in_ns "$ESF" seal -s "$(field seal "$ps_1")" -f class2 -t sm <<<"$msg" |
	in_ns "$ESF" open -s "$(field open "$ps_2")" -f class2 -t sm 2>&1)
back=$(in_ns "$ESF" seal -s "$(field seal "$ps_2")" -f class2 -t sm <<<"$msg" |
	in_ns "$ESF" open -s "$(field open "$ps_1")" -f class2 -t sm 2>&1)
detail="$ps_1 / $ps_2 / $got / $back" \
	t "the kernel fast path: a class 2 record sealed at Cveh-01 opens at Cveh-02, and back" \
	eval 'printf "%s\n%s\n" "$got" "$back" |
	      jq -se "length == 2 and all(.[]; .pc[\"m2m:cin\"].con == \"hello\")" >/dev/null'

# 3: the same request again (a replay) is refused, nothing installed.
before=$(pairs_with 2 Cveh-01)
in_ns mosquitto_sub -h 127.0.0.1 -C 1 -W 20 -t /oneM2M/resp/Cveh-01/Cveh-02/json >replay.rsp &
sub=$!
nap 0.3
pub "${req1%% *}" "$(payload "$req1" | jq -c '.rqi = "replay-1"')"
wait $sub
detail="$(cat replay.rsp) / $before $(pairs_with 2 Cveh-01)" \
	t "a replayed request (new rqi, same nonce): 4103 p2p replay, counted, no session made" \
	eval 'jq -e ".rsc == 4103 and (.pc[\"m2m:dbg\"] | startswith(\"p2p replay\"))" replay.rsp >/dev/null &&
	      [ "$(jst 2 .p2p.refused.replay)" = 1 ] && [ "$before" = "$(pairs_with 2 Cveh-01)" ]'

# and ESPrim from a dynamic peer (which has no Kpsa) is refused, not
# answered with a rand object.
in_ns mosquitto_sub -h 127.0.0.1 -C 1 -W 20 -t /oneM2M/resp/Cveh-01/Cveh-02/json >sit3.rsp &
sub=$!
nap 0.3
pub /oneM2M/req/Cveh-01/Cveh-02/json '{"op":5,"to":"Cveh-02","fr":"Cveh-01","rqi":"e1","rvi":"3","pc":{"m2m:seci":{"sit":3}}}'
wait $sub
detail="$(cat sit3.rsp)" \
	t "a rand object request (sit 3) from a dynamic peer: 4103, no rand object" \
	eval 'jq -e ".rsc == 4103 and (.pc | has(\"m2m:seci\") | not)" sit3.rsp >/dev/null'

# 5: after first contact only the digests travel, both ways.
bf=$(jst 1 .p2p.bytes_first)
est2=$(ctl 1 rekey Cveh-02 --class 2 --timeout 30000 2>&1)
rc2=$?
est3=$(ctl 2 establish Cveh-01 --class 3 --timeout 30000 2>&1)
rc3=$?
req2=$(reqs_to Cveh-02 | tail -n 1)
rsp2=$(grep '^/oneM2M/resp/Cveh-01/Cveh-02/json .*esf:p2r' "$out/wire.log" | tail -n 1)
req3=$(reqs_to Cveh-01 | tail -n 1)
read -r bc hits <<<"$(jst 1 '"\(.p2p.bytes_cached) \(.p2p.cache.hits)"')"
detail="$est2 / $est3 / $bf $bc $hits / $req2 / $rsp2" \
	t "a rekey and the reverse direction carry x5t#S256 (and pkd), no certificate; fewer bytes" \
	eval '[ $rc2 = 0 ] && [ $rc3 = 0 ] && [ "$(field kid "$est2")" != "$kid2" ] &&
	      payload "$req2" | jq -e ".pc[\"esf:p2q\"] | (has(\"x5c\") | not) and (.[\"x5t#S256\"] | length) == 43 and (.pkd | length) == 43" >/dev/null &&
	      payload "$rsp2" | jq -e ".pc[\"esf:p2r\"] | (has(\"x5c\") | not) and has(\"x5t#S256\")" >/dev/null &&
	      payload "$req3" | jq -e ".pc[\"esf:p2q\"] | has(\"x5c\") | not" >/dev/null &&
	      [ "$bc" -gt 0 ] && [ "$bc" -lt "$bf" ] && [ "$hits" -ge 1 ]'
echo "# bytes on the wire per agreement (request + response): first contact $bf, cached certificates $bc"

# 5-8: certificates refused, each with its reason; nothing in the kernel.
refused() { # refused N REASON WHAT
	rv=$1 rr=$2
	was=$(jst 2 ".p2p.refused.$rr")
	e=$(ctl "$rv" rekey Cveh-02 --class 2 --timeout 30000 2>&1)
	rc=$?
	detail="$e / $was / $(jst 2 .p2p.refused)" \
		t "$3: the establishment fails naming ${rr//_/-}; Cveh-02 counts it and knows no Cveh-0$rv" \
		eval '[ $rc != 0 ] && grep -q "p2p ${rr//_/-}" <<<"$e" &&
		      [ "$(jst 2 ".p2p.refused.$rr")" = $((was + 1)) ] &&
		      ! ctl 2 peer show Cveh-0$rv >/dev/null 2>&1'
}
refused 5 expired "an expired certificate"
refused 6 not_yet_valid "a certificate not yet valid"
refused 8 unknown_ca "a certificate from a foreign CA"
after="$(pairs 5) $(pairs 6) $(pairs 8) $(jst 2 .p2p.peers)"
detail="$after" t "no session from any of the three, and no dynamic peer kept on either side" \
	eval '[ "$after" = "0 0 0 1" ] && [ "$(jst 5 .p2p.peers)$(jst 6 .p2p.peers)$(jst 8 .p2p.peers)" = 000 ]'

# 9: reflection and splicing, with requests Cveh-07 never received (it is
# not running yet): the class 2 and class 3 requests of Cveh-01.
ctl 1 establish Cveh-07 --class 2 --timeout 1500 >/dev/null 2>&1
ctl 1 establish Cveh-07 --class 3 --timeout 1500 >/dev/null 2>&1
# A reload with other [p2p] bounds forgets the dynamic peers and ends
# the two establishments, so that no copy of them reaches Cveh-07.
conf 1 root.pem 'window = 60s' 'peers = 63'
kill -HUP "$pid_1"
until_ok 50 eval '[ "$(grep -c "configuration reloaded" v1.log)" -ge 1 ]'
r2=$(payload "$(reqs_to Cveh-07 | grep '"cls":2' | head -n 1)")
r3=$(payload "$(reqs_to Cveh-07 | grep '"cls":3' | head -n 1)")
epk3=$(jq -r '.pc["esf:p2q"].epk' <<<"$r3")
start 7
in_ns mosquitto_sub -h 127.0.0.1 -C 6 -W 30 -t /oneM2M/resp/Cveh-01/Cveh-07/json >splice.rsp &
sub=$!
nap 0.3
T=/oneM2M/req/Cveh-01/Cveh-07/json
pub $T "$(jq -c --arg e "$epk3" '.rqi = "s1" | .pc["esf:p2q"].epk = $e' <<<"$r2")"
pub $T "$(jq -c '.rqi = "s2" | .pc["esf:p2q"].sig |= .[0:80]' <<<"$r2")"
pub $T "$(jq -c '.rqi = "s3" | .pc["esf:p2q"].x5c |= (. + . + . + . + .)' <<<"$r2")"
pub $T "$(jq -c '.rqi = "s4" | .pc["esf:p2q"].extra = 1' <<<"$r2")"
pub $T "$(jq -c '.rqi = "s5" | .pc["esf:p2q"].cls = 3' <<<"$r2")"
# and the request itself, untouched: it was only the changes.
pub $T "$(jq -c '.rqi = "s6"' <<<"$r2")"
wait $sub
declare -A rs
while read -r k v d; do rs[$k]="$v $d"; done <<<"$(jq -r '"\(.rqi) \(.rsc) \(.pc["m2m:dbg"] // "-" | split(":")[0])"' splice.rsp)"
got="${rs[s1]:-}|${rs[s2]:-}|${rs[s3]:-}|${rs[s4]:-}|${rs[s5]:-}|${rs[s6]:-}"
detail="$got / $(pairs 7) / $(cat splice.rsp)" \
	t "a swapped ephemeral key, a changed class: bad-signature; a truncated signature, 5 certificates, an extra member: malformed; the original: 2000" \
	eval '[ "$got" = "4103 p2p bad-signature|4000 p2p malformed|4000 p2p malformed|4000 p2p malformed|4103 p2p bad-signature|2000 -" ] &&
	      [ "$(pairs 7)" = 1 ]'
# Cveh-01's class 3 request, back to Cveh-01 as if from Cveh-07; and to
# Cveh-02 instead of Cveh-07.
in_ns mosquitto_sub -h 127.0.0.1 -C 1 -W 20 -t /oneM2M/resp/Cveh-07/Cveh-01/json >reflect.rsp &
sub=$!
nap 0.3
pub /oneM2M/req/Cveh-07/Cveh-01/json "$(jq -c '.fr = "Cveh-07" | .to = "Cveh-01" | .rqi = "r1"' <<<"$r3")"
wait $sub
in_ns mosquitto_sub -h 127.0.0.1 -C 1 -W 20 -t /oneM2M/resp/Cveh-01/Cveh-02/json >reflect2.rsp &
sub=$!
nap 0.3
pub /oneM2M/req/Cveh-01/Cveh-02/json "$(jq -c '.to = "Cveh-02" | .rqi = "r2"' <<<"$r3")"
wait $sub
# Wrong id: the same genuine request, to Cveh-02 in Cveh-09's name.
in_ns mosquitto_sub -h 127.0.0.1 -C 1 -W 20 -t /oneM2M/resp/Cveh-09/Cveh-02/json >wrong.rsp &
sub=$!
nap 0.3
pub /oneM2M/req/Cveh-09/Cveh-02/json "$(jq -c '.fr = "Cveh-09" | .to = "Cveh-02" | .rqi = "w1"' <<<"$r3")"
wait $sub
detail="$(cat reflect.rsp reflect2.rsp wrong.rsp)" \
	t "reflected to its sender, sent in another entity's name: p2p wrong-id; redirected to another entity: p2p bad-signature" \
	eval 'jq -e ".rsc == 4103 and (.pc[\"m2m:dbg\"] | startswith(\"p2p wrong-id\"))" wrong.rsp >/dev/null &&
	      [ "$(jst 2 .p2p.refused.wrong_id)" = 1 ] &&
	      jq -e ".rsc == 4103 and (.pc[\"m2m:dbg\"] | startswith(\"p2p wrong-id\"))" reflect.rsp >/dev/null &&
	      jq -e ".rsc == 4103 and (.pc[\"m2m:dbg\"] | startswith(\"p2p bad-signature\"))" reflect2.rsp >/dev/null'

# 10: stale: Cveh-03 takes requests up to 3 s old.
est=$(ctl 1 establish Cveh-03 --class 2 --timeout 30000 2>&1)
r13=$(reqs_to Cveh-03 | grep '/req/Cveh-01/' | tail -n 1)
nap 4
in_ns mosquitto_sub -h 127.0.0.1 -C 1 -W 20 -t /oneM2M/resp/Cveh-01/Cveh-03/json >stale.rsp &
sub=$!
nap 0.3
pub "${r13%% *}" "$(payload "$r13" | jq -c '.rqi = "old"')"
wait $sub
detail="$est / $(cat stale.rsp)" \
	t "a request older than the window: 4103 p2p stale (checked before its nonce)" \
	eval 'jq -e ".rsc == 4103 and (.pc[\"m2m:dbg\"] | startswith(\"p2p stale\"))" stale.rsp >/dev/null'

# 11-12: the bounds at Cveh-03: one certificate, two dynamic peers.
ctl 4 establish Cveh-03 --class 2 --timeout 30000 >/dev/null 2>&1
was=$(jst 1 .p2p.resent)
est=$(ctl 1 rekey Cveh-03 --class 2 --timeout 30000 2>&1)
rc=$?
read -r ent bound miss evs <<<"$(jst 3 '.p2p.cache | "\(.entries) \(.bound) \(.misses) \(.evictions)"')"
detail="$est / $ent $bound $miss $evs / $(jst 1 .p2p.resent)" \
	t "a responder whose one-entry cache evicted our certificate answers 4004 unknown-digest; it is sent again and the rekey succeeds" \
	eval '[ $rc = 0 ] && [ "$ent $bound" = "1 1" ] && [ "$miss" -ge 1 ] && [ "$evs" -ge 1 ] &&
	      [ "$(jst 1 .p2p.resent)" = $((was + 1)) ]'
ctl 2 establish Cveh-03 --class 2 --timeout 30000 >/dev/null 2>&1
read -r np ev <<<"$(jst 3 '"\(.p2p.peers) \(.p2p.evicted)"')"
detail="$np $ev / $(ctl 3 --json peer list | jq -c '[.[].id]')" \
	t "a third dynamic peer at a table of two evicts the least recently used (Cveh-04) with its pairs" \
	eval '[ "$np $ev" = "2 1" ] && ! ctl 3 peer show Cveh-04 >/dev/null 2>&1 &&
	      ctl 3 peer show Cveh-01 >/dev/null 2>&1'

# 13-14: Cveh-04 is revoked: Cveh-02's new CRL removes its pairs at once,
# and its next agreement is refused.
ctl 4 establish Cveh-02 --class 2 --timeout 30000 >/dev/null 2>&1
had=$(ctl 2 --json peer show Cveh-04 | jq '.[0].pairs | length')
sed -i 's/^crl-file = .*/crl-file = v4.crl/' v2.conf
kill -HUP "$pid_2"
until_ok 50 eval 'grep -q "Cveh-04: its certificate is refused now (revoked)" v2.log'
detail="$had / $(tail -n 4 v2.log)" \
	t "a CRL loaded by SIGHUP revokes Cveh-04: its dynamic peer and pairs go at once" \
	eval '[ "$had" -ge 1 ] && ! ctl 2 peer show Cveh-04 >/dev/null 2>&1'
refused 4 revoked "a certificate revoked mid-scene (its digest from the cache)"

# Interoperability: p2p_peer.py, written from docs/esfd.md with Python's
# cryptography package, as Cveh-10: it initiates with Cveh-02, then
# answers Cveh-01's establishment. The key id is the last 16 bytes of
# the HKDF output the key is the first 32 of: equal key ids, equal keys.
mkdir -p "$htmp" && cp "$here/p2p_peer.py" root.pem v10.pem v10.key "$htmp/"
py() { in_ns esf-host /usr/bin/python3 "$sim/p2p_peer.py" "$@"; }
got=$(py initiate 127.0.0.1 1883 Cveh-10 Cveh-02 "$sim/v10.pem" "$sim/v10.key" "$sim/root.pem" 2>&1)
kid=$(ctl 2 --json peer show Cveh-10 2>&1 | jq -r '.[0].kpsa_id')
detail="$got / $kid" \
	t "an independent implementation (Python, from docs/esfd.md) initiates: esfd answers, one key id at both ends" \
	eval '[ "$got" = "kid $kid" ] && [ ${#kid} = 22 ]'
py respond 127.0.0.1 1883 Cveh-10 "$sim/v10.pem" "$sim/v10.key" "$sim/root.pem" >py.out 2>&1 &
pypid=$!
# Python's start under TCG can take seconds: esfd asks once it listens.
until_ok 900 grep -q '^ready$' py.out
est=$(ctl 1 establish Cveh-10 --class 2 --timeout 30000 2>&1)
rc=$?
wait $pypid
pyk=$(grep -v '^ready$' py.out)
detail="$est / $(cat py.out)" \
	t "esfd initiates, the independent implementation answers: one key id at both ends" \
	eval '[ $rc = 0 ] && [ "$pyk" = "kid $(field kid "$est")" ]'

# both ends keep no private key in their logs, and no session key left.
detail="$(grep -l "PRIVATE" ./*.log)" \
	t "no key material in the daemons' logs" \
	eval '! grep -q "PRIVATE KEY" ./*.log'

# 16: the rate of agreements between two esfds (rekeys: each a new
# ephemeral ECDH, two signatures, two verifications, two session pairs).
t0=$EPOCHREALTIME
good=0
for ((i = 0; i < 10; i++)); do
	ctl 1 rekey Cveh-02 --class 2 --timeout 30000 >/dev/null 2>&1 && good=$((good + 1))
done
t1=$EPOCHREALTIME
rate=$(awk -v a="$t0" -v b="$t1" -v k="$good" 'BEGIN { printf "%.2f", k / (b - a) }')
detail="$good" t "10 rekeys in a row, each a new agreement" eval '[ $good = 10 ]'
echo "# peer-to-peer agreements between two esfds (this VM, this run): $rate/s"
cp ./*.log "$out/" 2>/dev/null
exit $failed
