#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Guest devices (docs/esfd.md, "Guest devices"; the contribution on M2M
# area networks, clause 2.1): an authorization server's esfd (Cas) signs a
# delegation for the gateway of area network 1 (Cgw1) into network net2;
# Cgw1's esfd signs a device token for Cdev1 under it; Cdev1's esfd
# presents it to the gateway of net2 (Cgw2), which verifies it offline
# against its trust-file and admits the device into its relay group: a
# record Cdev1 seals under the group session it was granted opens in Cgw2's
# kernel, the grant signed by Cgw2 and checked by Cdev1 (a device holding
# another root refuses it). A forged, expired, foreign-issuer, wrong-audience, replayed,
# stale and malformed presentation are refused, each with its reason and
# its counter, and admit nobody. The AS revokes Cdev1's token; on SIGHUP
# Cgw2 drops the guest and rotates its key (the record sealed under the old
# key no longer opens) and refuses the next presentation as revoked. A
# 4-second token is admitted for 4 s at most, then dropped (the key
# rotates again) and refused as expired. esf.ko unloaded and back: Cgw2
# makes a new relay group, which a guest presenting again relays into. An
# independent implementation written from docs/esfd.md (guest_peer.py:
# Python's cryptography package) issues tokens and presents them to esfd,
# presents a token esfd issued, opening both grants, and verifies a token
# esfd issued. Prints TAP.

ESFD=${ESFD:-esfd}
ESFCTL=${ESFCTL:-esfctl}
ESF=${ESF:-esf}
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
chmod 755 "$tmp"
# guest_peer.py's files: /host/tmp is the host's /tmp in esf-host's chroot.
htmp=/host/tmp/guest.$$
sim=/tmp/guest.$$
pids=()
broker=

cleanup() {
	stop_all "${pids[@]}" $broker
	ip netns pids gst 2>/dev/null | xargs -r kill -KILL 2>/dev/null
	ip netns del gst 2>/dev/null
	rm -rf "$tmp" "$htmp"
}
trap cleanup EXIT

. "$(dirname "$0")/lib_tap.sh"
. "$(dirname "$0")/lib_pki.sh"
in_ns() { ip netns exec gst "$@"; }
ctl() { local s=$1; shift; ESFD_CONTROL_SOCKET=$tmp/$s.sock in_ns "$ESFCTL" "$@"; }
gwj() { ctl gw2 --json guest status | jq -r ".guest.gateway$1"; }
py() { in_ns esf-host /usr/bin/python3 "$sim/guest_peer.py" 127.0.0.1 1883 Cdev9 Cgw2 net2 "$sim" "$@"; }

echo "TAP version 13"
echo "1..28"

modprobe esf || { echo "Bail out! cannot load esf.ko"; exit 1; }
ip netns add gst && in_ns ip link set lo up || { echo "Bail out! network namespace"; exit 1; }

# ---- the PKI: one root for the AS and the home gateway, a foreign one -------
umask 077
cd "$tmp" || exit 1
mkca ca "esf test root"
mkca evil "a foreign root"
mkcsr as Cas
mkcsr gw1 Cgw1
mkcsr gw2 Cgw2
mkcsr evil Cevil
openssl ca -batch -config ca/ca.cnf -extensions ext -notext -out all.pem \
	-infiles as.csr gw1.csr gw2.csr 2>/dev/null
mv ca/new/1000.pem as.pem
mv ca/new/1001.pem gw1.pem
mv ca/new/1002.pem gw2.pem
mkcert evil evil
for k in dev1 dev3 dev9; do
	openssl ecparam -name prime256v1 -genkey -noout -out $k.key 2>/dev/null
done
cp ca/ca.pem root.pem
cp evil/ca.pem evilroot.pem
chmod 644 ./*.pem
[ -s as.pem ] && [ -s gw1.pem ] && [ -s evil.pem ] && [ -s dev1.key ] ||
	{ echo "Bail out! openssl could not make the test PKI"; exit 1; }

printf 'listener 1883 127.0.0.1\nallow_anonymous true\n' >mosquitto.conf
chmod 644 mosquitto.conf
in_ns mosquitto -c "$tmp/mosquitto.conf" >"$tmp/mosquitto.log" 2>&1 &
broker=$!
until_ok 50 in_ns mosquitto_pub -h 127.0.0.1 -t /ready -m x 2>/dev/null ||
	{ echo "Bail out! mosquitto"; exit 1; }

conf() { # conf NAME ID [LINES...]
	local name=$1 id=$2
	shift 2
	{
		printf '[esfd]\nid = %s\nrole = gateway\ncontrol-socket = %s/%s.sock\n' "$id" \
			"$tmp" "$name"
		printf 'mqtt-broker = 127.0.0.1:1883\n'
		printf '%s\n' "$@"
	} >"$tmp/$name.conf"
}
conf as Cas 'ca-file = root.pem' 'cert-file = as.pem' 'key-file = as.key'
conf gw1 Cgw1 'ca-file = root.pem' 'cert-file = gw1.pem' 'key-file = gw1.key'
# Cdev1 takes grants signed by a gateway of its root; Cdev3 by one of a
# foreign root only, so it refuses Cgw2's.
conf dev1 Cdev1 '[guest]' 'key-file = dev1.key' 'trust-file = root.pem'
conf dev3 Cdev3 '[guest]' 'key-file = dev3.key' 'trust-file = evilroot.pem'
for s in as gw1 dev1 dev3; do
	esfd_start gst $s debug || { echo "Bail out! esfd $s: $(tail -n 3 "$s.log")"; exit 1; }
done
# The AS's first revocation list is empty; Cgw2 starts with it.
ctl as guest revoke --out "$tmp/revoked.jws" >/dev/null ||
	{ echo "Bail out! the AS signs no revocation list"; exit 1; }
conf gw2 Cgw2 'ca-file = root.pem' 'cert-file = gw2.pem' 'key-file = gw2.key' \
	'[guest]' 'network = net2' 'trust-file = root.pem' \
	'revocation-file = revoked.jws' 'senders = 8' 'window = 30'
esfd_start gst gw2 debug || { echo "Bail out! esfd gw2: $(tail -n 3 gw2.log)"; exit 1; }
gw2_pid=$ESFD_PID

# 1: the AS delegates to Cgw1 (its certificate: the key the delegation names).
out=$(ctl as guest delegate --sub Cgw1 --aud net2,net3 --cert gw1.pem --seconds 3600 \
	--out dlg.jws 2>&1)
dlg_jti=$(field jti "$out")
t "the AS's esfd signs a delegation for Cgw1 into net2 and net3" \
	test -s dlg.jws -a -n "$dlg_jti"
# 2: a delegation for a gateway whose certificate does not name it is refused.
out=$(ctl as guest delegate --sub Cgw9 --aud net2 --cert gw1.pem --seconds 60 2>&1)
rc=$?
detail="$out" t "a delegation for an id the certificate does not name is refused (wrong-id)" \
	test $rc = 1 -a -n "$(echo "$out" | grep -o 'wrong-id')"

# 3: Cgw1 issues Cdev1 a token for net2, to the key Cdev1's esfd holds.
ctl dev1 guest pubkey >dev1.jwk
out=$(ctl gw1 guest issue --sub Cdev1 --aud net2 --jwk dev1.jwk --delegation dlg.jws \
	--seconds 600 --out dev1.tok 2>&1)
dev1_jti=$(field jti "$out")
detail="$out" t "Cgw1's esfd issues Cdev1 a device token under the delegation" \
	test -s dev1.tok -a -n "$dev1_jti"
# 4: ... but not into a network the delegation does not name.
out=$(ctl gw1 guest issue --sub Cdev1 --aud net7 --jwk dev1.jwk --delegation dlg.jws \
	--seconds 600 2>&1)
rc=$?
detail="$out" t "no device token into a network the delegation does not name" \
	test $rc = 1 -a -n "$(echo "$out" | grep 'does not name that network')"

# 5-6: Cdev1 presents it to Cgw2 and is admitted.
out=$(ctl dev1 guest present Cgw2 --token dev1.tok 2>&1)
rc=$?
dsess=$(field session "$out")
dsender=$(field sender "$out")
detail="$out / $(tail -n 5 gw2.log)" t "Cdev1 presents its token to Cgw2 and is admitted" \
	test $rc = 0 -a -n "$dsess" -a -n "$dsender"
gsess=$(gwj .session)
epoch1=$(gwj .epoch)
detail="$(ctl gw2 guest status)" t "Cgw2 lists the guest with its token id and sender id" \
	test "$(gwj '.guests[0].id') $(gwj '.guests[0].jti') $(gwj '.guests[0].sender')" = \
	"Cdev1 $dev1_jti $dsender"

# 7: a record Cdev1 seals under its grant opens in Cgw2's kernel.
printf 'guest reading 21.5C' | in_ns "$ESF" seal --session "$dsess" --format jwe-compact \
	>rec1 2>err
got=$(in_ns "$ESF" open --session "$gsess" --format jwe-compact <rec1 2>&1)
detail="$got / $(cat err)" t "a record Cdev1 seals opens in Cgw2's relay group session" \
	test "$got" = "guest reading 21.5C"

# 8-10: interoperability with guest_peer.py, written from docs/esfd.md.
mkdir -p "$htmp" && cp "$here/guest_peer.py" root.pem as.pem as.key gw1.pem gw1.key evil.pem \
	evil.key "$htmp/" && cp dev9.key "$htmp/dev.key" && chmod -R a+r "$htmp"
out=$(py valid 2>&1)
read -r w net grp ep snd sn exp key sgn <<<"$out"
detail="$out / $(tail -n 3 gw2.log)" \
	t "guest_peer.py's token admitted; it checks Cgw2's signature, opens the grant (ECDH-ES)" \
	test "$w $net $grp $ep $sn $sgn" = "granted net2 net2 $epoch1 8 signed" -a ${#key} = 32
py jwk >dev9.jwk 2>&1
ctl gw1 guest issue --sub Cdev9 --aud net2 --jwk dev9.jwk --delegation dlg.jws \
	--seconds 600 --out dev9.tok >/dev/null 2>&1
cp dev9.tok "$htmp/dev9.tok"
out=$(py token "$sim/dev9.tok" 2>&1)
detail="$out" t "guest_peer.py presents a token esfd issued and is admitted" \
	test "${out%% *}" = granted
cp root.pem dev1.tok "$htmp/"
out=$(py verify "$sim/dev1.tok" 2>&1)
detail="$out" t "guest_peer.py verifies esfd's device token and delegation (chain, ES256, claims)" \
	test "$out" = "verified Cdev1 Cgw1 Cas $dev1_jti"

# 11: a device whose trust-file does not hold Cgw2's root refuses its grant.
ctl dev3 guest pubkey >dev3.jwk
ctl gw1 guest issue --sub Cdev3 --aud net2 --jwk dev3.jwk --delegation dlg.jws \
	--seconds 600 --out dev3.tok >/dev/null 2>&1
out=$(ctl dev3 guest present Cgw2 --token dev3.tok 2>&1)
rc=$?
detail="$out / $(ctl dev3 guest status)" \
	t "Cdev3 (trust-file: a foreign root) refuses Cgw2's signed grant and installs nothing" \
	test $rc = 1 -a -n "$(echo "$out" | grep "gateway's certificate is refused")" -a \
	-n "$(ctl dev3 guest status | grep 'granted 0, denied 1$')"

# 12-18: refusals, each with its reason, none admitted.
refused() { # refused CASE REASON: guest_peer.py refused with REASON, its counter 1
	local n0 o c
	n0=$(gwj .admitted)
	o=$(py "$1" 2>&1)
	c=$(gwj ".refused[\"$2\"]")
	detail="$o / counter $c" t "$3" \
		test "${o%% *}" = refused -a -n "$(echo "$o" | grep "guest $2:")" \
		-a "$c" = 1 -a "$(gwj .admitted)" = "$n0"
}
refused forged forged "a device token not signed by the delegated key: refused forged"
refused expired expired "an expired delegation: refused expired"
refused foreign foreign-issuer "a delegation by an AS of a foreign root: refused foreign-issuer"
refused wrong-aud wrong-audience "a token for another network: refused wrong-audience"
refused stale stale "a presentation 10 minutes old: refused stale"
refused malformed malformed "a presentation without its members: refused malformed"
out=$(py replay 2>&1)
first=$(echo "$out" | head -n 1)
second=$(echo "$out" | tail -n 1)
detail="$out" t "the same presentation twice: admitted, then refused replayed" \
	test "${first%% *} ${second%% *}" = "granted refused" -a \
	-n "$(echo "$second" | grep 'guest replayed:')" -a "$(gwj '.refused.replayed')" = 1

# 19: esfctl status shows the refusals by reason.
out=$(ctl gw2 status)
detail="$out" t "esfctl status: the gateway's refusals by reason" \
	test -n "$(echo "$out" | grep '^guest gateway of net2:.* forged 1 .*replayed 1 ')"

# 20-22: revocation. The AS lists Cdev1's token; Cgw2 reloads it.
ctl as guest revoke "$dev1_jti" --out revoked.jws >/dev/null
rot=$(gwj .rotations)
kill -HUP "$gw2_pid"
until_cond 50 test "$(gwj .dropped_revoked)" = 1
detail="$(ctl gw2 guest status) / $(tail -n 4 gw2.log)" \
	t "SIGHUP with the new list: Cgw2 drops Cdev1 and rotates its key" \
	test "$(gwj .dropped_revoked) $(gwj .rotations) $(gwj .revoked_ids)" = "1 $((rot + 1)) 1" \
	-a "$(gwj .epoch)" != "$epoch1" -a "$(gwj '.guests | length')" = 0
printf 'after the revocation' | in_ns "$ESF" seal --session "$dsess" --format jwe-compact \
	>rec2 2>/dev/null
got=$(in_ns "$ESF" open --session "$gsess" --format jwe-compact <rec2 2>&1)
rc=$?
detail="$got" t "the revoked guest's record under the old key no longer opens at Cgw2" \
	test $rc != 0 -a "$got" != "after the revocation"
out=$(ctl dev1 guest present Cgw2 --token dev1.tok 2>&1)
rc=$?
detail="$out" t "Cdev1 presents again: refused revoked (oneM2M 4103), counted" \
	test $rc = 1 -a -n "$(echo "$out" | grep 'guest revoked:.*4103')" -a \
	"$(gwj '.refused.revoked')" = 1

# 23-25: an admission lasts no longer than its token.
ctl gw1 guest issue --sub Cdev1 --aud net2 --jwk dev1.jwk --delegation dlg.jws \
	--seconds 4 --out short.tok >/dev/null 2>&1
rot=$(gwj .rotations)
out=$(ctl dev1 guest present Cgw2 --token short.tok 2>&1)
rc=$?
left=$(gwj '.guests[0].expires_in')
detail="$out / $left" t "a 4-second token (not revoked): admitted for at most 4 s" \
	test $rc = 0 -a -n "$left" -a "${left:-9}" -le 4
until_cond 50 test "$(gwj .dropped_expired)" = 1
detail="$(ctl gw2 guest status)" \
	t "when it ends Cgw2 drops the guest and rotates its key (dropped expired)" \
	test "$(gwj .dropped_expired) $(gwj .rotations) $(gwj '.guests | length')" = \
	"1 $((rot + 1)) 0"
out=$(ctl dev1 guest present Cgw2 --token short.tok 2>&1)
rc=$?
detail="$out" t "the expired token presented again: refused expired, counted" \
	test $rc = 1 -a -n "$(echo "$out" | grep 'guest expired:')" -a \
	"$(gwj '.refused.expired')" = 2

# 26-27: esf.ko unloaded and back: Cgw2 makes a new relay group, and a
# guest presenting again relays through it.
epoch2=$(gwj .epoch)
for i in {1..100}; do rmmod esf 2>/dev/null && break; sleep 0.1; done
modprobe esf
until_cond 50 test "$(gwj .session)" != 0 -a "$(gwj .session)" != null -a \
	"$(gwj .epoch)" != "$epoch2"
gsess=$(gwj .session)
detail="$(ctl gw2 guest status) / $(tail -n 4 gw2.log)" \
	t "esf.ko unloaded and back: Cgw2 makes a new relay group (new epoch)" \
	test "$gsess" != 0 -a "$gsess" != null -a "$(gwj .epoch)" != "$epoch2"
ctl gw1 guest issue --sub Cdev1 --aud net2 --jwk dev1.jwk --delegation dlg.jws \
	--seconds 600 --out again.tok >/dev/null 2>&1
out=$(ctl dev1 guest present Cgw2 --token again.tok 2>&1)
dsess=$(field session "$out")
printf 'back again' | in_ns "$ESF" seal --session "${dsess:-0}" --format jwe-compact \
	>rec3 2>err
got=$(in_ns "$ESF" open --session "$gsess" --format jwe-compact <rec3 2>&1)
detail="$out / $got / $(cat err)" \
	t "Cdev1 presents again and its record opens in the new group" \
	test "$got" = "back again"

# 28: the device's own counters.
out=$(ctl dev1 guest status)
detail="$out" t "Cdev1's esfd: presented 5, granted 3, denied 2" \
	test -n "$(echo "$out" | grep '^guest device: presented 5, granted 3, denied 2')"

cp ./*.log /out/ 2>/dev/null
exit $failed
