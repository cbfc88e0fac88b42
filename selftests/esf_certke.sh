#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# ESCertKE (TS-0003 8.7): certificate credentials from registration in
# esfd's configuration, and the TLS 1.2 handshake carried in securityInfo
# type 6 across two NOTIFY request/response pairs over the MQTT binding,
# then ESPrim on the exported key and the kernel hand-down. Two esfds
# (Cveh-01, Cveh-02) that share nothing but a CA root establish class 1
# and 2 pairs and pass records through the fast path; esfd and OpenSSL's
# own s_server and s_client (an implementation we did not write, bridged
# to the broker by "esf-mqtt tls-bridge", which runs no TLS) agree on the
# exporter value, in both directions; expired, not-yet-valid, revoked,
# foreign-CA and wrong-id certificates are refused with their own reason
# and nothing reaches the kernel; truncated, oversized and out-of-order
# messages are refused; a CRL loaded by SIGHUP ends a revoked peer's key
# and pairs; a receiver that restarted (its key gone) gets a new ESCertKE;
# "esfctl rekey --certke" makes a new key each time, and the rate of
# establishments with and without ESCertKE is printed.
# The certificates are made here by the openssl command line. Prints TAP.

ESFD=${ESFD:-esfd}
ESFCTL=${ESFCTL:-esfctl}
ESF=${ESF:-esf}
MQ=${MQ:-esf-mqtt}
tmp=$(mktemp -d)
chmod 755 "$tmp"
out=/out/certke
[ -d /out ] && [ -w /out ] || out=$tmp/out
mkdir -p "$out"
pids=()
broker=
label=EXPORTER-oneM2M-ESCertKE

cleanup() {
	stop_all "${pids[@]}" $broker
	# and whatever was started through in_ns (a function: its $! is a
	# subshell's), so that nothing outlives the test holding its output.
	ip netns pids ck 2>/dev/null | xargs -r kill -KILL 2>/dev/null
	ip netns del ck 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT

. "$(dirname "$0")/lib_tap.sh"
. "$(dirname "$0")/lib_pki.sh"
in_ns() { ip netns exec ck "$@"; }
ctl() { local s=$1; shift; ESFD_CONTROL_SOCKET=$tmp/$s.sock in_ns "$ESFCTL" "$@"; }
# jq costs a third of a second a start under TCG: one per query, however
# many values it reads (on one line, for read).
jpeer() { ctl "$1" --json peer show "$2" | jq -r ".[0]$3"; }
jst() { ctl "$1" --json status | jq -r "$2"; }
# The key id (base64url) and key check value esfd would show for an
# exporter output given in hex: the first 16 bytes, and the first 8 bytes
# of HMAC-SHA256(last 32 bytes, "esfd ESCertKE key check value").
# ids_of EKM: those two in $kid_of and $kcv_of.
# shellcheck disable=SC2034
ids_of() {
	local e='' i
	for ((i = 0; i < 32; i += 2)); do e+="\\x${1:i:2}"; done
	# shellcheck disable=SC2059
	kid_of=$(printf "$e" | base64 -w0)
	kid_of=${kid_of//+/-} kid_of=${kid_of//\//_} kid_of=${kid_of%%=*}
	kcv_of=$(printf '%s' "esfd ESCertKE key check value" |
		openssl dgst -sha256 -mac HMAC -macopt "hexkey:${1:32:64}")
	kcv_of=${kcv_of##*= } kcv_of=${kcv_of:0:16}
}
# ekm_of FILE: the exporter value openssl printed in FILE, in hex, in $ekm.
ekm_of() {
	local re="Keying material: ([0-9A-F]*)"
	ekm=
	[[ $(<"$1") =~ $re ]] && ekm=${BASH_REMATCH[1],,}
}

echo "TAP version 13"
echo "1..18"

modprobe esf || { echo "Bail out! cannot load esf.ko"; exit 1; }
ip netns add ck && in_ns ip link set lo up || { echo "Bail out! network namespace"; exit 1; }

# ---- the PKI: a root, a foreign root, the entities' certificates ----------
umask 077
cd "$tmp" || exit 1
mkca ca "esf test root"
mkca evil "a foreign root"
mkcsr v1 Cveh-01
mkcsr v2 Cveh-02
mkcsr srv /tls-srv
mkcsr cli /tls-cli
mkcsr rev /tls-cli
mkcsr wrong Cveh-99
mkcsr old /tls-cli
mkcsr fut /tls-cli
mkcsr foreign /tls-cli
valid=(v1 v2 srv cli rev wrong)
openssl ca -batch -config ca/ca.cnf -extensions ext -notext -out valid.pem \
	-infiles "${valid[@]/%/.csr}" 2>/dev/null
for ((i = 0; i < ${#valid[@]}; i++)); do mv "ca/new/$((1000 + i)).pem" "${valid[i]}.pem"; done
mkcert ca old 20200101000000Z 20210101000000Z
mkcert ca fut 20990101000000Z 20991231000000Z
mkcert evil foreign
openssl ca -batch -config ca/ca.cnf -gencrl -out empty.crl 2>/dev/null
openssl ca -batch -config ca/ca.cnf -revoke rev.pem 2>/dev/null
openssl ca -batch -config ca/ca.cnf -gencrl -out rev.crl 2>/dev/null
openssl ca -batch -config ca/ca.cnf -revoke v2.pem 2>/dev/null
openssl ca -batch -config ca/ca.cnf -gencrl -out v2.crl 2>/dev/null
cp ca/ca.pem root.pem
chmod 644 ./*.pem ./*.crl
[ -s v1.pem ] && [ -s wrong.pem ] && [ -s old.pem ] && [ -s foreign.pem ] && [ -s v2.crl ] ||
	{ echo "Bail out! openssl could not make the test PKI"; exit 1; }

printf 'listener 1883 127.0.0.1\nallow_anonymous true\n' >mosquitto.conf
chmod 644 mosquitto.conf
ip netns exec ck mosquitto -c "$tmp/mosquitto.conf" >"$tmp/mosquitto.log" 2>&1 &
broker=$!
until_ok 50 in_ns mosquitto_pub -h 127.0.0.1 -t /ready -m x 2>/dev/null ||
	{ echo "Bail out! mosquitto"; exit 1; }
in_ns mosquitto_sub -h 127.0.0.1 -v -t '/oneM2M/#' >"$out/wire.log" &
pids+=($!)

conf() { # conf NAME ID CERT [CRL] -- peer sections on stdin
	{
		printf '[esfd]\nid = %s\nrole = peer\ncontrol-socket = %s/%s.sock\n' "$2" "$tmp" "$1"
		printf 'mqtt-broker = 127.0.0.1:1883\nmqtt-retransmit = 1s\n'
		printf 'ca-file = root.pem\ncert-file = %s.pem\nkey-file = %s.key\n' "$3" "$3"
		[ -n "${4:-}" ] && printf 'crl-file = %s\n' "$4"
		printf '\n'
		cat
	} >"$tmp/$1.conf"
}
start() { # start NAME
	ip netns exec ck "$ESFD" -f -d -c "$tmp/$1.conf" -s "$tmp/$1.state" 2>>"$tmp/$1.log" &
	pids+=($!)
	eval "pid_$1=$!"
	until_ok 100 test -S "$tmp/$1.sock"
}
peers_of_v1='[peer v2]
id = Cveh-02
role = peer
credential = certificate

[peer tlssrv]
id = /tls-srv
role = peer
credential = certificate

[peer tlscli]
id = /tls-cli
role = peer
credential = certificate

[peer tlssrv2]
id = /tls-srv2
role = peer
credential = certificate
'
conf a Cveh-01 v1 empty.crl <<<"$peers_of_v1"
conf b Cveh-02 v2 <<EOF
[peer v1]
id = Cveh-01
role = peer
credential = certificate
EOF

# 1-2: the credentials and their checks.
chk=$(in_ns "$ESFD" --check -c "$tmp/a.conf" 2>&1)
cp v1.key loose.key && chmod 644 loose.key
sed 's/^key-file = .*/key-file = loose.key/' a.conf >loose.conf
loose=$(in_ns "$ESFD" --check -c "$tmp/loose.conf" 2>&1)
sed 's/^key-file = .*/key-file = v2.key/' a.conf >mismatch.conf
mismatch=$(in_ns "$ESFD" --check -c "$tmp/mismatch.conf" 2>&1)
sed 's/^id = Cveh-01/id = Cveh-09/' a.conf >notme.conf
notme=$(in_ns "$ESFD" --check -c "$tmp/notme.conf" 2>&1)
sed 's/^ca-file = .*/ca-file = evil\/ca.pem/' a.conf >evil.conf
noroot=$(in_ns "$ESFD" --check -c "$tmp/evil.conf" 2>&1)
detail="$chk" t "esfd --check loads the root, the chain, the P-256 key and the CRL" \
	eval 'grep -q "names Cveh-01, ECDSA P-256 key, 0 intermediates, valid until" <<<"$chk" &&
	      grep -q "CRL checked" <<<"$chk"'
detail="$loose / $mismatch / $notme / $noroot" \
	t "refused: a key file others can read, a key not the certificate's, a certificate not naming the id, one not from ca-file" \
	eval 'grep -q "loose.key: accessible to group or others (mode 0644)" <<<"$loose" &&
	      grep -q "not the key of cert-file" <<<"$mismatch" &&
	      grep -q "does not name this entity.s id Cveh-09" <<<"$notme" &&
	      grep -q "does not verify against ca-file" <<<"$noroot" &&
	      ! grep -q "PRIVATE KEY" <<<"$loose$mismatch$notme$noroot"'

start a && start b

# 3-5: two esfds that have never met: ESCertKE, then ESPrim, class 1 and 2.
est=$(ctl a establish v2 --class 1 --timeout 60000 2>&1)
rc=$?
read -r kid_a kcv_a <<<"$(jpeer a v2 '.certke | "\(.kid) \(.kcv)"')"
read -r kid_b kcv_b <<<"$(jpeer b v1 '.certke | "\(.kid) \(.kcv)"')"
detail="$est / $kid_a $kcv_a / $kid_b $kcv_b / $(tail -n 5 a.log)" \
	t "ESCertKE then ESPrim between two esfds: one key id and key check value at both ends, the pair's kid" \
	eval '[ $rc = 0 ] && [ ${#kid_a} = 22 ] && [ ${#kcv_a} = 16 ] && [ "$kid_a" = "$kid_b" ] &&
	      [ "$kcv_a" = "$kcv_b" ] && [ "$(field kid "$est")" = "$kid_a" ]'
wire=$(cat "$out/wire.log")
n6=$(grep -c '"sit":6' <<<"$wire")
first() { grep -m1 "$1" <<<"$wire"; }
detail="$wire" \
	t "on the wire: two NOTIFY sit 6 and their 2000 sit 6 answers, then sit 3, 4, 5 (kid = the key id)" \
	eval '[ "$n6" = 4 ] &&
	      first "\"sit\":6" | grep -q "^/oneM2M/req/Cveh-01/Cveh-02/json {\"op\":5,\"to\":\"Cveh-02\",\"fr\":\"Cveh-01\",\"rqi\":\"esfd-[0-9a-f]*-1\",\"rvi\":\"3\",\"rqet\":\"[0-9T]*\",\"pc\":{\"m2m:seci\":{\"sit\":6,\"eckm\":\"FgMB" &&
	      first "\"rsc\":2000,.*\"sit\":6" | grep -q "^/oneM2M/resp/Cveh-01/Cveh-02/json {\"rsc\":2000,\"rqi\":\"esfd-[0-9a-f]*-1\".*\"eckm\":\"FgMD" &&
	      grep -q "\"rqi\":\"esfd-[0-9a-f]*-3\".*\"sit\":3" <<<"$wire" &&
	      grep -q "\"rqi\":\"esfd-[0-9a-f]*-4\".*\"sit\":5" <<<"$wire"'
ps_a=$(ctl a peer session v2 --class 1) ps_b=$(ctl b peer session v1 --class 1)
msg='{"op":1,"to":"Cveh-02/app","fr":"Cveh-01","rqi":"m1","rvi":"3","ty":4,"pc":{"m2m:cin":{"con":"hello"}}}'
got=$(in_ns "$ESF" seal -s "$(field seal "$ps_a")" -f class1 -t sm --ori "$(field ori "$ps_a")" \
	--rri "$(field rri "$ps_a")" <<<"$msg" | in_ns "$ESF" open -s "$(field open "$ps_b")" \
	-f class1 -t sm 2>&1)
est2=$(ctl b establish v1 --class 2 --timeout 60000 2>&1)
rc2=$?
ps2_a=$(ctl a peer session v2 --class 2) ps2_b=$(ctl b peer session v1 --class 2)
got2=$(in_ns "$ESF" seal -s "$(field seal "$ps2_b")" -f class2 -t sm <<<"$msg" |
	in_ns "$ESF" open -s "$(field open "$ps2_a")" -f class2 -t sm 2>&1)
detail="$got / $est2 / $got2" \
	t "the kernel fast path: a class 1 record sealed at Cveh-01 opens at Cveh-02, and class 2 (SUID 44) back" \
	eval 'printf "%s\n%s\n" "$got" "$got2" |
	      jq -se "length == 2 and all(.[]; .pc[\"m2m:cin\"].con == \"hello\")" >/dev/null && [ $rc2 = 0 ] &&
	      [ "$(field kid "$est2")" = "$kid_a" ]'
cp "$out/wire.log" "$out/esfd-esfd.log"
# The bytes of that first establishment (ESCertKE's two round trips, then
# ESPrim's two), primitives only, as docs/esfd.md compares them with
# peer-to-peer agreement's.
ck_bytes=$(grep -E '"sit":[3-6]' <<<"$wire" | head -n 8 |
	awk '{ sub(/^[^ ]* /, ""); n += length($0) } END { print n }')
echo "# bytes on the wire of one ESCertKE + ESPrim establishment (4 requests, 4 responses): $ck_bytes"

# 6-7: interoperability with OpenSSL's s_server and s_client. s_server
# ends its connection at the end of its standard input: a FIFO held open
# by a sleep keeps that open without making the wait below wait for the
# sleep, as a pipeline from it would (and the guest has no /dev/fd for a
# process substitution). s_client finishes its handshake before it reads
# its standard input, so /dev/null is enough for it. (s_server runs
# without in_ns, a function, so that $! is s_server itself.)
mkfifo hold
sleep 600 >hold &
pids+=($!)
ip netns exec ck openssl s_server -accept 127.0.0.1:4433 -naccept 1 -tls1_2 \
	-cipher ECDHE-ECDSA-AES128-SHA256 -cert srv.pem -key srv.key -CAfile root.pem -Verify 2 \
	-keymatexport $label -keymatexportlen 48 >s_server.out 2>&1 <hold &
sserver=$!
until_ok 50 eval 'grep -q ACCEPT s_server.out'
in_ns "$MQ" tls-bridge -b 127.0.0.1:1883 --id /tls-srv --peer Cveh-01 --connect 127.0.0.1:4433 \
	-t 60000 2>bridge1.log &
bridge=$!
sleep 0.5
est3=$(ctl a establish tlssrv --class 1 --timeout 60000 2>&1)
wait $bridge
brc=$?
kill $sserver 2>/dev/null
wait $sserver 2>/dev/null
ekm_of s_server.out
ids_of "$ekm"
read -r kid_s kcv_s <<<"$(jpeer a tlssrv '.certke | "\(.kid) \(.kcv)"')"
detail="$est3 / $(cat bridge1.log) / ekm $ekm / $kid_s $kcv_s / $kid_of $kcv_of / $(grep -i "cipher\|error" s_server.out)" \
	t "esfd as TLS client, openssl s_server as server: the exporter value is the same at both" \
	eval '[ $brc = 0 ] && [ ${#ekm} = 96 ] && [ "$kid_s" = "$kid_of" ] && [ "$kcv_s" = "$kcv_of" ] &&
	      grep -q "CIPHER is ECDHE-ECDSA-AES128-SHA256" s_server.out &&
	      grep -q "5001 NOT_IMPLEMENTED" <<<"$est3"'
{ echo "$est3"; cat s_server.out bridge1.log; } >"$out/s_server.log"
s_client() { # s_client NAME: openssl s_client with NAME's certificate, through a bridge to Cveh-01
	in_ns "$MQ" tls-bridge -b 127.0.0.1:1883 --id /tls-cli --peer Cveh-01 --listen 4434 \
		-t 60000 2>"bridge-$1.log" &
	bridge=$!
	until_ok 50 eval "grep -q listening bridge-$1.log"
	in_ns openssl s_client -connect 127.0.0.1:4434 -tls1_2 -cert "$1.pem" \
		-key "$1.key" -CAfile root.pem -keymatexport $label -keymatexportlen 48 \
		>"s_client-$1.out" 2>&1 </dev/null
	wait $bridge
}
s_client cli
brc=$?
ekm_of s_client-cli.out
ids_of "$ekm"
read -r kid_c kcv_c <<<"$(jpeer a tlscli '.certke | "\(.kid) \(.kcv)"')"
detail="$(cat bridge-cli.log) / ekm $ekm / $kid_c $kcv_c / $kid_of $kcv_of" \
	t "openssl s_client as TLS client, esfd as server: the exporter value is the same at both" \
	eval '[ $brc = 0 ] && [ ${#ekm} = 96 ] && [ "$kid_c" = "$kid_of" ] && [ "$kcv_c" = "$kcv_of" ] &&
	      grep -q "Cipher is ECDHE-ECDSA-AES128-SHA256" s_client-cli.out'
{ cat s_client-cli.out bridge-cli.log; } >"$out/s_client.log"

# 8-12: refused certificates, each with its reason; nothing in the kernel.
# Cveh-01 loads rev.crl (SIGHUP) for the revoked one.
sessions() { in_ns "$ESFCTL" --json session list | jq ".sessions | length"; }
# hup_a: SIGHUP to Cveh-01, and wait until it has read its configuration.
hup_a() {
	local reloads
	reloads=$(grep -c "configuration reloaded" a.log)
	kill -HUP "$pid_a"
	until_ok 50 eval '[ "$(grep -c "configuration reloaded" a.log)" -gt '"$reloads"' ]'
}
# counts: Cveh-01's ESCertKE refusals by reason in ${count[REASON]}, and
# its key id for /tls-cli in $count_kid, from one status.
declare -A count
# shellcheck disable=SC2034
counts() {
	local k v
	count=() count_kid=
	while read -r k v; do
		if [ "$k" = kid: ]; then count_kid=$v; else count[$k]=$v; fi
	done <<<"$(jst a '(.certke.refused | to_entries[] | "\(.key) \(.value)"),
		"kid: \(.peers[] | select(.name == "tlscli") | .certke.kid)"')"
}
before=$(sessions)
sed -i 's/^crl-file = .*/crl-file = rev.crl/' a.conf
hup_a
counts
refused() { # refused NAME REASON WHAT: s_client with NAME's certificate is refused for REASON
	local was=${count[$2]:-0}
	rname=$1 rreason=$2
	s_client "$rname"
	counts
	detail="$(cat "bridge-$rname.log") / $was -> ${count[$2]:-} / $(grep -i "keying material:" "s_client-$rname.out")" \
		t "s_client with a $3 certificate: refused ($rreason, 4103), counted, the key from test 7 kept" \
		eval '[ "${count[$rreason]:-}" = $((was + 1)) ] &&
		      grep -q "refused the flight: 4103 .*($rreason)" "bridge-$rname.log" &&
		      [ "$count_kid" = "$kid_c" ]'
}
refused old expired expired
refused fut not-yet-valid not-yet-valid
refused rev revoked revoked
refused foreign unknown-ca foreign-CA
refused wrong wrong-id "wrong-id (names Cveh-99)"
after=$(sessions)
# 13: and esfd refuses a server whose certificate is not the peer's: an
# s_server presenting Cveh-02's certificate for /tls-srv2.
ip netns exec ck openssl s_server -accept 127.0.0.1:4433 -naccept 1 -tls1_2 \
	-cipher ECDHE-ECDSA-AES128-SHA256 -cert v2.pem -key v2.key -CAfile root.pem -Verify 2 \
	>s_server2.out 2>&1 <hold &
sserver=$!
until_ok 50 eval 'grep -q ACCEPT s_server2.out'
in_ns "$MQ" tls-bridge -b 127.0.0.1:1883 --id /tls-srv2 --peer Cveh-01 --connect 127.0.0.1:4433 \
	-t 20000 2>bridge2.log &
bridge=$!
sleep 0.5
was=${count[wrong-id]:-0}
est4=$(ctl a establish tlssrv2 --class 1 --timeout 60000 2>&1)
kill $sserver $bridge 2>/dev/null
wait $sserver $bridge 2>/dev/null
detail="$est4 / $before $after / $(tail -n 3 a.log)" \
	t "esfd refuses a TLS server whose certificate names another id (wrong-id); no kernel session from any refusal" \
	eval 'grep -q "does not name /tls-srv2" <<<"$est4" &&
	      [ "$(jst a ".certke.refused[\"wrong-id\"]")" = $((was + 1)) ] && [ "$before" = "$after" ]'

# 14: malformed, truncated, oversized and out-of-order sit 6 requests, as
# NOTIFY sit 6 from Cveh-02 to Cveh-01; the answers are read back by rqi.
in_ns mosquitto_sub -h 127.0.0.1 -C 4 -W 30 -t /oneM2M/resp/Cveh-02/Cveh-01/json >resp6 &
sub=$!
sleep 0.3
req6() { # req6 RQI ECKM
	printf '{"op":5,"to":"Cveh-01","fr":"Cveh-02","rqi":"%s","rvi":"3","pc":{"m2m:seci":{"sit":6,"eckm":"%s"}}}\n' \
		"$1" "$2"
}
{ req6 t1 "FgMDAAE="; req6 t2 "FAMDAAEB"; req6 t4 "FgMD!!=="; } |
	in_ns mosquitto_pub -h 127.0.0.1 -t /oneM2M/req/Cveh-02/Cveh-01/json -l
m=$(req6 t3 "$(head -c 17000 /dev/zero | base64 -w0)")
printf '%s' "$m" >req6.json
in_ns mosquitto_pub -h 127.0.0.1 -t /oneM2M/req/Cveh-02/Cveh-01/json -f req6.json
wait $sub
declare -A r6
while read -r k v; do r6[$k]=$v; done <<<"$(jq -r '"\(.rqi) \(.rsc)"' resp6)"
rsc6="${r6[t1]:-} ${r6[t2]:-} ${r6[t3]:-} ${r6[t4]:-}"
detail="$rsc6 / $(cat resp6)" \
	t "a truncated ClientHello, a flight with no handshake under way, 17000 bytes, bad base64: 4000 each" \
	eval '[ "$rsc6" = "4000 4000 4000 4000" ]'

# 15: a receiver that restarted lost its ESCertKE key: 4112, ESCertKE again.
kill -TERM "$pid_b"
wait "$pid_b" 2>/dev/null
rm -f b.sock
start b
was=$(jst a .certke.established)
est5=$(ctl a rekey v2 --class 1 --timeout 60000 2>&1)
rc=$?
read -r now kid_a2 <<<"$(jst a '"\(.certke.established) \(.peers[] | select(.name == "v2") | .certke.kid)"')"
kid_b2=$(jpeer b v1 .certke.kid)
detail="$est5 / $kid_a -> $kid_a2 / $kid_b2 / $was -> $now / $(grep 4112 a.log | tail -n 2)" \
	t "after the receiver restarts, a rekey meets 4112 and runs ESCertKE again: a new key id at both ends" \
	eval '[ $rc = 0 ] && [ "$kid_a2" = "$kid_b2" ] && [ "$kid_a2" != "$kid_a" ] &&
	      [ "$now" = $((was + 1)) ] && grep -q "ESCertKE again" a.log'

# 16: the rate: rekeys with a new ESCertKE each (--certke), and without.
# Five of each: a key kept where a new one was asked for, or a new one
# where none was, shows from the second rekey on.
rate() { # rate N ARGS...: N rekeys; prints "ok-count kids seconds"
	local n=$1 i t0 t1 good=0
	shift
	: >rk
	t0=$EPOCHREALTIME
	for ((i = 0; i < n; i++)); do
		ctl a rekey v2 --class 1 --timeout 60000 "$@" >>rk 2>&1 && good=$((good + 1))
	done
	t1=$EPOCHREALTIME
	# The pair's kid is the ESCertKE key id it was made with.
	sed -n 's/.* kid \([^ ]*\) .*/\1/p' rk >kids
	echo "$good $(sort -u kids | wc -l) $(echo "$t1 $t0" | awk '{printf "%.2f", $1 - $2}')"
}
rc_ck=$(rate 5 --certke)
rc_ep=$(rate 5)
per_s() { awk -v n="$1" -v s="$2" 'BEGIN { printf "%.2f", n / s }'; }
read -r ck_ok ck_kids ck_s <<<"$rc_ck"
read -r ep_ok ep_kids ep_s <<<"$rc_ep"
detail="$rc_ck / $rc_ep" \
	t "5 rekeys each with a new ESCertKE (5 distinct key ids), 5 ESPrim-only rekeys (one key id)" \
	eval '[ "$ck_ok $ck_kids $ep_ok $ep_kids" = "5 5 5 1" ]'
echo "# establishments between two esfds (this VM, this run): ESCertKE + ESPrim" \
	"$(per_s 5 "$ck_s")/s, ESPrim alone $(per_s 5 "$ep_s")/s"

# 17: Cveh-02 is revoked: a CRL loaded by SIGHUP ends its key and pairs.
pairs_before=$(jpeer a v2 '.pairs | length')
sed -i 's/^crl-file = .*/crl-file = v2.crl/' a.conf
kill -HUP "$pid_a"
until_ok 50 eval 'ctl a peer show v2 | grep -q ", pairs 0$"'
read -r kidgone pairs_after <<<"$(jpeer a v2 ' | "\(.certke.kid) \(.pairs | length)"')"
est6=$(ctl a establish v2 --class 1 --timeout 60000 2>&1)
detail="$pairs_before / $pairs_after / $kidgone / $est6 / $(grep -i "refused now" a.log)" \
	t "SIGHUP with a CRL revoking Cveh-02: its key and pairs go, a new ESCertKE is refused (revoked)" \
	eval '[ "$pairs_before" -ge 1 ] && [ "$pairs_after" = 0 ] &&
	      [ "$kidgone" = null ] && grep -q "certificate revoked (revoked)" <<<"$est6"'

# 18: no key material in the logs.
keys=$(for k in v1 v2; do openssl ec -in $k.key -text -noout 2>/dev/null |
	sed -n '/priv:/,/pub:/p' | grep -v 'priv\|pub' | tr -d ' :\n'; echo; done)
nokeys() {
	local k
	! grep -q "PRIVATE KEY" a.log b.log || return 1
	for k in $keys; do ! grep -qi "$k" a.log b.log || return 1; done
	[ -n "$keys" ]
}
t "the logs hold no private key, PEM or hex" nokeys
cp a.log b.log "$out/" 2>/dev/null
echo "# ESCertKE handshakes at Cveh-01: $(jst a -c .certke)"
exit $failed
