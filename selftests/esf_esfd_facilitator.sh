#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The trusted third party (issue 14; docs/esfd.md, "Trusted third party
# (facilitator)"): a facilitator esfd (/fac-cse), a constrained device
# (Cdev) that registers a key for each of its two readers (/in-cse and
# /mn-r2), the reader /in-cse, a reader outside the access-control list
# (Cx), all in namespace faS, the broker in faW. The device registers; the
# server retrieves and the two establish a pair with the key, which an
# application then uses in both directions; Cx is refused (4103) and gets
# nothing; the facilitator is killed and started again, and /mn-r2, which
# had not retrieved its key yet, retrieves the one registered before the
# restart from the store (mode 0600). An independent implementation
# (fac_peer.py: Python's hmac and the cryptography package's AES-GCM, the
# messages as docs/esfd.md writes them) opens the device's registrations
# and the server's retrieval in the capture with their Kpsas and finds the
# keys of the store. No key appears in a log (the daemons log at debug
# level, every message in full) or in the broker's capture.
# Prints TAP. FA_DEBUG=1: logs and capture go to /out.

ESFD=${ESFD:-esfd}
ESFCTL=${ESFCTL:-esfctl}
ESF=${ESF:-esf}
tmp=$(mktemp -d)
# fac_peer.py's files: /host/tmp is the host's /tmp in esf-host's chroot.
htmp=/host/tmp/fa.$$
sim=/tmp/fa.$$
pids=()
broker=
sub=

cleanup() {
	[ -n "${FA_DEBUG:-}" ] && cp "$tmp"/*.log "$tmp/capture" /out/ 2>/dev/null
	stop_all "${pids[@]}" $broker $sub
	ip netns del faS 2>/dev/null
	ip netns del faW 2>/dev/null
	rm -rf "$tmp" "$htmp"
}
trap cleanup EXIT

. "$(dirname "$0")/lib_tap.sh"
in_s() { ip netns exec faS "$@"; }
ctl() { local who=$1; shift; ESFD_CONTROL_SOCKET=$tmp/$who.sock in_s "$ESFCTL" "$@"; }
js() { ctl "$1" --json status 2>/dev/null | jq -r "$2" 2>/dev/null; }
hasf() { [[ $2 == *"$1"* ]]; }

echo "TAP version 13"
echo "1..13"

modprobe esf || { echo "Bail out! cannot load esf.ko"; exit 1; }
[ -x /host/usr/bin/python3 ] && [ -d /host/usr/lib/python3/dist-packages/cryptography ] ||
	{ echo "Bail out! the host's python3-cryptography is needed (scripts/deps)"; exit 1; }
broker_up faS faW 10.82.0

umask 077
rand_pool 128
for k in fd fs fr fx; do rand_hex 32; printf %s "$REPLY" >"$tmp/$k.key"; done

head_conf() { # head_conf <name> <id> <role>
	printf '[esfd]\nid = %s\nrole = %s\nmqtt-broker = 10.82.0.2:1883\n' "$2" "$3"
	printf 'control-socket = %s/%s.sock\n\n' "$tmp" "$1"
}
kpeer() { # kpeer <name> <id> <role> <keyfile>
	printf '[peer %s]\nid = %s\nrole = %s\nkpsa-id = k-%s\nkpsa-file = %s\n\n' \
		"$1" "$2" "$3" "$4" "$tmp/$4.key"
}
fpeer() { # fpeer <name> <id> <role> <register|retrieve>
	printf '[peer %s]\nid = %s\nrole = %s\ncredential = facilitator\n' "$1" "$2" "$3"
	printf 'facilitator = fac\nfacilitator-role = %s\n\n' "$4"
}
{
	head_conf f /fac-cse server
	kpeer dev Cdev device fd
	kpeer srv /in-cse server fs
	kpeer r2 /mn-r2 gateway fr
	kpeer x Cx device fx
	printf '[facilitator]\nallow = dev srv r2\nkey-lifetime = 1d\n'
} >"$tmp/f.conf"
{
	head_conf d Cdev device
	kpeer fac /fac-cse server fd
	fpeer srv /in-cse server register
	fpeer r2 /mn-r2 gateway register
} >"$tmp/d.conf"
{
	head_conf s /in-cse server
	kpeer fac /fac-cse server fs
	fpeer dev Cdev device retrieve
} >"$tmp/s.conf"
{
	head_conf r /mn-r2 gateway
	kpeer fac /fac-cse server fr
	fpeer dev Cdev device retrieve
} >"$tmp/r.conf"
{
	head_conf x Cx device
	kpeer fac /fac-cse server fx
	fpeer dev Cdev device retrieve
} >"$tmp/x.conf"

start() { esfd_start faS "$1" debug; }

# 1: the configurations are checked; facilitator, device and server start.
out=$("$ESFD" -t -c "$tmp/f.conf" 2>&1 && "$ESFD" -t -c "$tmp/d.conf" 2>&1)
rc=$?
start f && fpid=$ESFD_PID && start d && start s
rc2=$?
detail="$out $(cat "$tmp"/*.log)" t "the facilitator, the device and the server start" \
	eval '[ $rc = 0 ] && [ $rc2 = 0 ]'

# 2: the device registers a key for each reader at once.
registered() { [ "$(js f .facilitator.registered)" = 2 ]; }
until_cond 150 registered
rc=$?
dkid=$(js d '.peers[] | select(.name == "srv") | .facilitator.kid')
d2kid=$(js d '.peers[] | select(.name == "r2") | .facilitator.kid')
detail="$(ctl f status 2>&1) $(ctl d status 2>&1) $(tail -n 20 "$tmp/f.log" "$tmp/d.log")" \
	t "the device registered a key for each of its two readers" \
	eval '[ $rc = 0 ] && [ "$(js f .facilitator.keys)" = 2 ] && [ ${#dkid} = 22 ] &&
	      [ ${#d2kid} = 22 ] && [ "$dkid" != "$d2kid" ] &&
	      grep -q "facilitator: Cdev registered key $dkid for /in-cse" "$tmp/f.log"'

# 3: the server retrieves the key and establishes a pair with the device.
est=$(ctl s establish dev --class 3 2>&1)
skid=$(js s '.peers[] | select(.name == "dev") | .facilitator.kid')
detail="$est $(ctl f status 2>&1) $(tail -n 20 "$tmp/s.log")" \
	t "the server retrieved the device's key and established a pair keyed from it" \
	eval 'hasf " seal " "$est" && [ "$skid" = "$dkid" ] &&
	      [ "$(js f .facilitator.retrieved)" = 1 ] &&
	      [ "$(js s ".peers[] | select(.name == \"dev\") | .facilitator.origin")" = retrieved ]'

# 4: an application's contentInstance sealed at one end opens at the other.
pd=$(ctl d peer show srv 2>&1 | grep 'class 3 ')
fieldv ss seal "$est"; fieldv so open "$est"; fieldv ds seal "$pd"; fieldv do_ open "$pd"
echo '{"con":"valve 7 open","cnf":"text/plain:0"}' >"$tmp/cin"
in_s "$ESF" seal -s "$ss" -f class3 -t sm <"$tmp/cin" >"$tmp/c1" 2>&1
o1=$(in_s "$ESF" open -s "$do_" -f class3 -t sm <"$tmp/c1" 2>&1)
in_s "$ESF" seal -s "$ds" -f class3 -t sm <"$tmp/cin" >"$tmp/c2" 2>&1
o2=$(in_s "$ESF" open -s "$so" -f class3 -t sm <"$tmp/c2" 2>&1)
detail="$est / $pd / $(<"$tmp/c1") / $o1 / $o2" \
	t "the pair works: what the server seals opens at the device, and back" \
	eval '[[ $o1 == *"valve 7 open"* ]] && [[ $o2 == *"valve 7 open"* ]] &&
	      ! grep -q "valve" "$tmp/c1" "$tmp/c2"'

# 5: a reader outside the access-control list is refused, and has nothing.
start x
out=$(ctl x establish dev --class 3 --timeout 20000 2>&1)
rc=$?
xp=$(ctl x peer show dev 2>&1)
detail="$out / $xp / $(ctl f status 2>&1)" \
	t "a reader outside the access-control list is refused (4103) and installs nothing" \
	eval '[ $rc != 0 ] && [[ $out == *4103* ]] && [ "$(js f .facilitator.refused.acl)" = 1 ] &&
	      [ "$(js x ".peers[] | select(.name == \"dev\") | .pairs | length")" = 0 ] &&
	      [ "$(js x ".peers[] | select(.name == \"dev\") | .facilitator.last_refusal")" = 4103 ] &&
	      [ "$(js x ".peers[] | select(.name == \"dev\") | .facilitator.kid")" = null ]'

# 6: the store is private.
store=$(js f .facilitator.store)
mode=$(stat -c %a "$store" 2>&1)
detail="$store: $mode" t "the facilitator's store is $tmp/esfd-facilitator.keys, mode 0600" \
	eval '[ "$store" = "$tmp/esfd-facilitator.keys" ] && [ "$mode" = 600 ]'

# 7: the facilitator is killed and started again: it holds both keys.
kill -KILL "$fpid"
wait "$fpid" 2>/dev/null
sleep 0.5
rm -f "$tmp/f.sock"
start f
rc=$?
held() { [ "$(js f .facilitator.keys)" = 2 ]; }
until_cond 50 held
detail="$(ctl f status 2>&1) $(tail -n 5 "$tmp/f.log")" \
	t "the facilitator, killed and started again, holds both keys from its store" \
	eval '[ $rc = 0 ] && held && grep -q "facilitator: 2 keys from $store" "$tmp/f.log"'

# 8: the second reader, started now, retrieves the key registered before
# the restart and establishes with the device; the device did not register
# again.
start r
est2=$(ctl r establish dev --class 3 2>&1)
rkid=$(js r '.peers[] | select(.name == "dev") | .facilitator.kid')
detail="$est2 / $rkid / $d2kid $(tail -n 20 "$tmp/r.log")" \
	t "a reader after the restart retrieves the key registered before it, and establishes" \
	eval 'hasf " seal " "$est2" && [ "$rkid" = "$d2kid" ] &&
	      [ "$(js f .facilitator.retrieved)" = 1 ] &&
	      [ "$(grep -c "registering key" "$tmp/d.log")" = 2 ]'

# 9: that pair works too.
pr=$(ctl d peer show r2 2>&1 | grep 'class 3 ')
fieldv rs seal "$est2"; fieldv ro open "$pr"
in_s "$ESF" seal -s "$rs" -f class3 -t sm <"$tmp/cin" >"$tmp/c3" 2>&1
o3=$(in_s "$ESF" open -s "$ro" -f class3 -t sm <"$tmp/c3" 2>&1)
detail="$est2 / $pr / $o3" t "what the second reader seals opens at the device" \
	eval '[[ $o3 == *"valve 7 open"* ]]'

# 10: esfctl status says where each key came from, and what the
# facilitator did.
st=$(ctl d status 2>&1)
detail="$st" t "status: the device's keys are 'registered' by this end, the facilitator's line" \
	eval '[[ $st == *"the key is registered by this end; key id $dkid"* ]] &&
	      [[ $(ctl f status 2>&1) == *"facilitator: keys held 2, registered 0, retrieved 1; refused:"* ]]'

# 11, 12: no key in any log or in the capture, in hex or base64url.
keys=$(cut -d' ' -f6 "$store" | tail -n +2)
leak=
for k in $keys; do
	b=$(printf "$(sed 's/../\\x&/g' <<<"$k")" | base64 -w0 | tr '+/' '-_' | tr -d '=')
	grep -qiF -e "$k" -e "$b" "$tmp"/*.log && leak+=" log:$k"
	grep -qiF -e "$k" -e "$b" "$tmp/capture" && leak+=" capture:$k"
done
detail="$leak" t "the two keys are in the store" eval '[ $(wc -w <<<"$keys") = 2 ]'
detail="$leak" t "no key in the daemons' debug logs or in the broker's capture" \
	eval '[ -z "$leak" ] && grep -q "esf:fkg" "$tmp/capture"'

# 13: an independent reading of the capture: the device's two
# registrations and the server's retrieval open under keys derived from
# their Kpsas as the documentation says, and carry the store's keys.
mkdir -p "$htmp" && cp "$(dirname "$0")/fac_peer.py" "$tmp/capture" "$htmp/"
py1=$(esf-host /usr/bin/python3 "$sim/fac_peer.py" "$sim/capture" Cdev "$(<"$tmp/fd.key")" \
	/fac-cse 2>&1)
py2=$(esf-host /usr/bin/python3 "$sim/fac_peer.py" "$sim/capture" /in-cse "$(<"$tmp/fs.key")" \
	/in-cse 2>&1)
k1=$(awk -v k="$dkid" '$3 == k { print $6 }' "$store")
k2=$(awk -v k="$d2kid" '$3 == k { print $6 }' "$store")
detail="$py1 / $py2 / $k1 $k2" \
	t "fac_peer.py opens the registrations and the retrieval from the capture: the store's keys" \
	eval '[ ${#k1} = 64 ] && [ ${#k2} = 64 ] &&
	      grep -qx "register $dkid /in-cse $k1" <<<"$py1" &&
	      grep -qx "register $d2kid /mn-r2 $k2" <<<"$py1" &&
	      grep -qx "retrieve $dkid Cdev $k1" <<<"$py2" &&
	      grep -qx "refused 0" <<<"$py1" && grep -qx "refused 0" <<<"$py2"'

exit $failed
