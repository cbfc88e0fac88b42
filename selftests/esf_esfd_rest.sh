#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Data at rest and integrity-only pairs (issue 16; docs/esfd.md, "Data at
# rest" and "Integrity-only pairs"). In namespace daS: a hosting gateway
# (/mn-cse, [container temp] role host, no key), a device (Cdev, the
# writer), the server (/in-cse, a reader), a reader the gateway's ACL
# does not name (Cx, with the right key) and a reader the ACL names with
# the wrong key (Cw); the broker in daW records everything. The device
# stores contentInstances, the server reads them back; the store and the
# capture hold no plaintext; Cx is refused 4103, Cw cannot open; an item
# altered in the store is refused; two items have two keys; dar_peer.py
# (Python's hmac and AES-GCM, the documented derivation) opens an item
# from the container's Kpsa. Then a class 3 integrity-only pair between
# the server and the device (aead = hmac(sha256)): a JWS HS256 that
# dar_peer.py verifies with the key it derives from the Kpsa, a tampered
# one refused, and a peer whose policy is AES-GCM refused with both
# algorithms named; and an integrity-only pair between two certificate
# peers (ESCertKE, SUID 45). Prints TAP. DA_DEBUG=1: logs and capture go to /out.

ESFD=${ESFD:-esfd}
ESFCTL=${ESFCTL:-esfctl}
ESF=${ESF:-esf}
tmp=$(mktemp -d)
htmp=/host/tmp/da.$$
sim=/tmp/da.$$
pids=()
broker=
sub=

cleanup() {
	[ -n "${DA_DEBUG:-}" ] && cp "$tmp"/*.log "$tmp/capture" "$tmp"/*.store /out/ 2>/dev/null
	stop_all "${pids[@]}" $broker $sub
	ip netns del daS 2>/dev/null
	ip netns del daW 2>/dev/null
	rm -rf "$tmp" "$htmp"
}
trap cleanup EXIT

. "$(dirname "$0")/lib_tap.sh"
. "$(dirname "$0")/lib_pki.sh"
in_s() { ip netns exec daS "$@"; }
ctl() { local who=$1; shift; ESFD_CONTROL_SOCKET=$tmp/$who.sock in_s "$ESFCTL" "$@"; }
js() { ctl "$1" --json status 2>/dev/null | jq -r "$2" 2>/dev/null; }
py() { esf-host /usr/bin/python3 "$sim/dar_peer.py" "$@"; }

echo "TAP version 13"
echo "1..15"

modprobe esf || { echo "Bail out! cannot load esf.ko"; exit 1; }
[ -x /host/usr/bin/python3 ] && [ -d /host/usr/lib/python3/dist-packages/cryptography ] ||
	{ echo "Bail out! the host's python3-cryptography is needed (scripts/deps)"; exit 1; }
broker_up daS daW 10.83.0

umask 077
rand_pool 128
for k in dar wrong ps px; do rand_hex 32; printf %s "$REPLY" >"$tmp/$k.key"; done

head_conf() { # head_conf <name> <id> <role>
	printf '[esfd]\nid = %s\nrole = %s\nmqtt-broker = 10.83.0.2:1883\n' "$2" "$3"
	printf 'control-socket = %s/%s.sock\n\n' "$tmp" "$1"
}
cnt() { # cnt <role> <keyfile>: a writer's or reader's [container temp]
	printf '[container temp]\nid = /mn-cse/cnt-temp\nrole = %s\ngateway = /mn-cse\n' "$1"
	printf 'kpsa-file = %s\n\n' "$tmp/$2.key"
}
mic='[policy mic]\naead = hmac(sha256)\nprofile = baseline\nlifetime-hard-seconds = 1d\n\n'
{
	head_conf g /mn-cse gateway
	printf '[container temp]\nid = /mn-cse/cnt-temp\nrole = host\n'
	printf 'writers = Cdev\nreaders = /in-cse Cw\n'
} >"$tmp/g.conf"
{
	head_conf d Cdev device
	cnt writer dar
	printf "$mic"
	printf '[peer srv]\nid = /in-cse\nrole = server\nkpsa-id = k-ps\nkpsa-file = %s\n' \
		"$tmp/ps.key"
	printf 'policy = mic\n'
} >"$tmp/d.conf"
{
	head_conf s /in-cse server
	cnt reader dar
	printf "$mic"
	printf '[peer dev]\nid = Cdev\nrole = device\nkpsa-id = k-ps\nkpsa-file = %s\n' \
		"$tmp/ps.key"
	printf 'policy = mic\n\n'
	printf '[peer x]\nid = Cx\nrole = device\nkpsa-id = k-px\nkpsa-file = %s\n' "$tmp/px.key"
	printf 'policy = mic\n'
} >"$tmp/s.conf"
{
	head_conf x Cx device
	cnt reader dar
	printf '[peer srv]\nid = /in-cse\nrole = server\nkpsa-id = k-px\nkpsa-file = %s\n' \
		"$tmp/px.key"
} >"$tmp/x.conf"
{
	head_conf w Cw device
	cnt reader wrong
} >"$tmp/w.conf"

start() { esfd_start daS "$1" debug; }

# 1: the configurations pass --check; a host holding the key does not.
out=$(for c in g d s x w; do "$ESFD" -t -c "$tmp/$c.conf" 2>&1 || echo "FAILED $c"; done)
sed 's/^role = host$/role = host\nkpsa-file = x/' "$tmp/g.conf" >"$tmp/bad.conf"
bad=$("$ESFD" -t -c "$tmp/bad.conf" 2>&1)
start g && start d && start s && start x && start w
rc=$?
detail="$out / $bad $(cat "$tmp"/*.log)" \
	t "five esfds start; a hosting gateway configured with the key is refused" \
	eval '[ $rc = 0 ] && [[ $out != *FAILED* ]] &&
	      [[ $bad == *"the hosting gateway must not hold the data-at-rest key"* ]]'

# 2: the device stores two contentInstances, the server reads them back.
printf 'temperature 21.5 C, valve 7 open' >"$tmp/c1"
printf 'temperature 22.0 C, valve 7 shut' >"$tmp/c2"
rn1=$(ctl d dar put temp "$tmp/c1" 2>&1)
rn2=$(ctl d dar put temp <"$tmp/c2" 2>&1)
ctl s dar get temp "$rn1" >"$tmp/o1" 2>"$tmp/o1.err"
ctl s dar get temp la >"$tmp/o2" 2>"$tmp/o2.err"
detail="$rn1 $rn2 $(cat "$tmp"/o*.err) $(tail -n 5 "$tmp/g.log")" \
	t "the device stores two items at the gateway; the server reads both back, equal" \
	eval '[[ $rn1 == cin-* ]] && [[ $rn2 == cin-* ]] && [ "$rn1" != "$rn2" ] &&
	      cmp -s "$tmp/c1" "$tmp/o1" && cmp -s "$tmp/c2" "$tmp/o2" &&
	      [ "$(js g .dar.stored)" = 2 ] && [ "$(js g .dar.retrieved)" = 2 ]'

# 3: what the gateway stores holds no plaintext, and is private.
store=$tmp/esfd-dar-temp.store
mode=$(stat -c %a "$store" 2>&1)
b1=$(base64 -w0 <"$tmp/c1" | tr '+/' '-_' | tr -d '=')
detail="$mode $(head -c 600 "$store")" \
	t "the store (mode 0600) holds two sealed items and no plaintext" \
	eval '[ "$mode" = 600 ] && [ "$(grep -c "^cin-" "$store")" = 2 ] &&
	      ! grep -q -e temperature -e valve -e "${b1:0:20}" "$store"'

# 4: neither does the broker's capture (nor does it carry the key).
kb=$(printf "$(sed 's/../\\x&/g' <"$tmp/dar.key")" | base64 -w0 | tr '+/' '-_' | tr -d '=')
detail="$(grep -c . "$tmp/capture") lines" \
	t "the broker's capture holds the items sealed: no plaintext, no key" \
	eval 'grep -q "$rn1" "$tmp/capture" && ! grep -q -e temperature -e valve \
	      -e "${b1:0:20}" "$tmp/capture" && ! grep -qiF -e "$(<"$tmp/dar.key")" -e "$kb" \
	      "$tmp/capture" "$store"'

# 5: a reader the ACL does not name is refused 4103 (it has the right key).
out=$(ctl x dar get temp "$rn1" 2>&1)
rc=$?
detail="$out" t "a reader outside the gateway's access-control list is refused (4103)" \
	eval '[ $rc != 0 ] && [[ $out == *"not a reader of this container"*4103* ]] &&
	      [ "$(js g .dar.refused_acl)" = 1 ]'

# 6: a reader on the ACL with the wrong key gets the item and cannot open it.
ctl w dar get temp "$rn1" >"$tmp/ow" 2>"$tmp/ow.err"
rc=$?
detail="$(<"$tmp/ow.err")" \
	t "a reader with the wrong key cannot open an item: a clear error, nothing written" \
	eval '[ $rc != 0 ] && [ ! -s "$tmp/ow" ] &&
	      grep -q "does not open under the container.s key" "$tmp/ow.err" &&
	      [ "$(js w .dar.open_failed)" = 1 ]'

# 7: a writer not on the ACL cannot store (the server holds the key too).
out=$(ctl s dar put temp "$tmp/c1" 2>&1)
detail="$out" t "a reader that tries to store is refused: it is not this esfd's writer role" \
	eval '[[ $out == *"not a writer of the container"* ]]'

# 8: per-contentInstance keys: the two items have different nonces, and
# each opens only under its own key (dar_peer.py derives them).
mkdir -p "$htmp" && cp "$(dirname "$0")/dar_peer.py" "$htmp/"
grep "^$rn1 " "$store" | cut -d' ' -f4 >"$htmp/i1"
grep "^$rn2 " "$store" | cut -d' ' -f4 >"$htmp/i2"
h1=$(cut -d. -f1 "$htmp/i1"); h2=$(cut -d. -f1 "$htmp/i2")
swapped=$(sed "s/^[^.]*/$h1/" "$htmp/i2")
printf %s "$swapped" >"$htmp/sw"
p1=$(py open "$(<"$tmp/dar.key")" /mn-cse/cnt-temp "$sim/i1" 2>&1)
psw=$(py open "$(<"$tmp/dar.key")" /mn-cse/cnt-temp "$sim/sw" 2>&1)
detail="$p1 / $psw" \
	t "two items of one container have two keys: one item's header on the other fails" \
	eval '[ "$h1" != "$h2" ] && [ "$p1" = "$(<"$tmp/c1")" ] &&
	      [[ $psw == *"dar_peer.py"* ]]'

# 9: dar_peer.py (the documented derivation) opens an item.
p2=$(py open "$(<"$tmp/dar.key")" /mn-cse/cnt-temp "$sim/i2" 2>&1)
pw=$(py open "$(<"$tmp/wrong.key")" /mn-cse/cnt-temp "$sim/i2" 2>&1)
detail="$p2 / $pw" \
	t "dar_peer.py opens the stored item from the container's Kpsa as docs/esfd.md says" \
	eval '[ "$p2" = "$(<"$tmp/c2")" ] && [[ $pw == *"dar_peer.py"* ]]'

# 10: an item altered in the store is refused when read.
gpid=${pids[0]}
kill "$gpid"; wait "$gpid" 2>/dev/null
awk -v rn="$rn1" '$1 == rn { n = split($4, p, "."); c = p[4];
	p[4] = (substr(c, 1, 1) == "A" ? "B" : "A") substr(c, 2);
	$4 = p[1] "." p[2] "." p[3] "." p[4] "." p[5] } { print }' "$store" >"$tmp/st" &&
	cat "$tmp/st" >"$store"
rm -f "$tmp/g.sock"
start g
ctl s dar get temp "$rn1" >"$tmp/ot" 2>"$tmp/ot.err"
rc=$?
ctl s dar get temp "$rn2" >"$tmp/o2b" 2>&1
detail="$(<"$tmp/ot.err") $(tail -n 3 "$tmp/g.log")" \
	t "an item altered in the store is refused; the other still opens" \
	eval '[ $rc != 0 ] && [ ! -s "$tmp/ot" ] &&
	      grep -q "does not open under the container.s key" "$tmp/ot.err" &&
	      cmp -s "$tmp/c2" "$tmp/o2b"'

# 11: an integrity-only (MIC) class 3 pair between the server and the device.
est=$(ctl s establish dev --class 3 2>&1)
pd=$(ctl d peer show srv 2>&1 | grep 'class 3 ')
fieldv ss seal "$est"; fieldv so open "$est"; fieldv ds seal "$pd"; fieldv do_ open "$pd"
fieldv ori ori "$est"; fieldv rri rri "$est"
echo '{"con":"valve 7 open","cnf":"text/plain:0"}' >"$tmp/cin"
in_s "$ESF" seal -s "$ss" -f class3 -t sm <"$tmp/cin" >"$tmp/m1" 2>&1
o1=$(in_s "$ESF" open -s "$do_" -f class3 -t sm <"$tmp/m1" 2>&1)
in_s "$ESF" seal -s "$ds" -f class3 -t sm <"$tmp/cin" >"$tmp/m2" 2>&1
o2=$(in_s "$ESF" open -s "$so" -f class3 -t sm <"$tmp/m2" 2>&1)
jws=$(jq -r .con "$tmp/m1" 2>/dev/null)
hb=$(cut -d. -f1 <<<"$jws" | tr '_-' '/+')
while [ $((${#hb} % 4)) != 0 ]; do hb+==; done
hdr=$(base64 -d <<<"$hb" 2>/dev/null)
detail="$est / $pd / $(<"$tmp/m1") / $hdr / $o1 / $o2" \
	t "a class 3 integrity-only pair: JWS HS256 both ways, opened by the other end" \
	eval '[[ $est == *"hmac(sha256)"* ]] && [[ $hdr == *"\"HS256\""* ]] &&
	      [[ $o1 == *"valve 7 open"* ]] && [[ $o2 == *"valve 7 open"* ]] &&
	      [ "$(tr -cd . <<<"$jws" | wc -c)" = 2 ]'

# 12: Python verifies the JWS under the key it derives from the Kpsa (SUID
# 15, the rand values of the establishment in the capture, the direction).
printf %s "$jws" >"$htmp/m1"
cp "$tmp/capture" "$htmp/capture"
pv=$(py mic-verify "$(<"$tmp/ps.key")" /in-cse "$sim/capture" "$rri" "$ori" 1 "$sim/m1" 2>&1)
pr=$(py mic-verify "$(<"$tmp/ps.key")" /in-cse "$sim/capture" "$rri" "$ori" 2 "$sim/m1" 2>&1)
detail="$pv / $pr" \
	t "dar_peer.py verifies the JWS with the key derived from the Kpsa (SUID 15, direction 1)" \
	eval '[[ $pv == *"valve 7 open"* ]] && [[ $pr == *"does not verify"* ]]'

# 13: a tampered JWS is refused; and reflected to its signer it does not verify.
sig=${jws##*.}
bad="${jws%.*}.$([ "${sig:0:1}" = A ] && echo B || echo A)${sig:1}"
jq --arg c "$bad" '.con = $c' "$tmp/m1" >"$tmp/m1bad"
ob=$(in_s "$ESF" open -s "$do_" -f class3 -t sm <"$tmp/m1bad" 2>&1)
rcb=$?
orf=$(in_s "$ESF" open -s "$so" -f class3 -t sm <"$tmp/m1" 2>&1)
rcr=$?
detail="$ob / $orf" t "a tampered JWS is refused, and one reflected to its signer too" \
	eval '[ $rcb != 0 ] && [ $rcr != 0 ] && [[ $ob != *"valve 7 open"* ]]'

# 14: a peer whose policy is AES-GCM cannot make an integrity-only pair.
out=$(ctl x establish srv --class 3 --timeout 20000 2>&1)
rc=$?
detail="$out / $(grep disagree "$tmp/s.log")" \
	t "an AES-GCM end facing an integrity-only one is refused (4111), both named" \
	eval '[ $rc != 0 ] && [[ $out == *4111* ]] &&
	      grep -q "disagree on class 3: the originator.s is gcm(aes) tag 16, ours hmac(sha256) tag 32" \
		"$tmp/s.log"'

# 15: certificate peers (ESCertKE, then the SUID 45 key) make one too.
(
	cd "$tmp" && mkca ca "esf test root" && mkcsr ca1 /cert-a && mkcsr cb1 Ccert-b &&
		openssl ca -batch -config ca/ca.cnf -extensions ext -notext -out both.pem \
			-infiles ca1.csr cb1.csr 2>/dev/null &&
		mv ca/new/1000.pem ca1.pem && mv ca/new/1001.pem cb1.pem && cp ca/ca.pem root.pem &&
		chmod 644 ./*.pem
) >/dev/null 2>&1
cconf() { # cconf <name> <id> <cert> <peer name> <peer id>
	head_conf "$1" "$2" peer
	printf 'ca-file = root.pem\ncert-file = %s.pem\nkey-file = %s.key\n\n' "$3" "$3"
	printf "$mic"
	printf '[peer %s]\nid = %s\nrole = peer\ncredential = certificate\npolicy = mic\n' \
		"$4" "$5"
}
cconf ca /cert-a ca1 b Ccert-b >"$tmp/ca.conf"
cconf cb Ccert-b cb1 a /cert-a >"$tmp/cb.conf"
start ca && start cb
cest=$(ctl ca establish b --class 3 --timeout 20000 2>&1)
cpb=$(ctl cb peer show a 2>&1 | grep 'class 3 ')
fieldv cs seal "$cest"; fieldv co open "$cpb"
echo '{"con":"door 3 shut","cnf":"text/plain:0"}' >"$tmp/ccin"
in_s "$ESF" seal -s "$cs" -f class3 -t sm <"$tmp/ccin" >"$tmp/cm" 2>&1
co1=$(in_s "$ESF" open -s "$co" -f class3 -t sm <"$tmp/cm" 2>&1)
hb=$(jq -r .con "$tmp/cm" 2>/dev/null | cut -d. -f1 | tr '_-' '/+')
while [ $((${#hb} % 4)) != 0 ]; do hb+==; done
detail="$cest / $cpb / $(<"$tmp/cm") / $co1 $(tail -n 5 "$tmp/ca.log" "$tmp/cb.log")" \
	t "certificate peers (ESCertKE, SUID 45) make an integrity-only class 3 pair that works" \
	eval '[[ $cest == *"hmac(sha256)"* ]] && [[ $co1 == *"door 3 shut"* ]] &&
	      [[ $(base64 -d <<<"$hb" 2>/dev/null) == *HS256* ]]'

exit $failed
