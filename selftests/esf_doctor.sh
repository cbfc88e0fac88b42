#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# esfctl doctor, checked against what it reports on: the module's sysfs
# files, /proc/crypto, sessions made with esfctl session add, an AF_ALG
# socket under a seccomp filter, /dev/esf, securityfs and a running esfd.
# With a virtio-crypto device (vm-run -c) the device's cbc(aes) must show
# as hardware for authenc; without one no provider may. Also: global
# options anywhere and size errors that name the algorithm. Prints TAP.

ESFCTL=${ESFCTL:-esfctl}
ESFD=${ESFD:-esfd}
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
chmod 755 "$tmp"
pids=()
cleanup() {
	stop_all "${pids[@]}"
	[ -e "$tmp/esf.node" ] && mv "$tmp/esf.node" /dev/esf
	"$ESFCTL" session flush >/dev/null 2>&1
	rm -rf "$tmp"
}
trap cleanup EXIT

. "$here/lib_tap.sh"
# jq -e as a test: its output is not TAP.
jqt() { jq -e "$@" >/dev/null; }
# Under TCG every jq costs seconds: the checks on doctor's answer are made
# by one jq (below), each a "name<TAB>value" line in r[]; chk <name> is
# true when that check's value is true.
declare -A r
chk() { [ "${r[$1]:-}" = true ]; }
# No esfd runs at this socket until 18-19 start one.
export ESFD_CONTROL_SOCKET=$tmp/ctl.sock

# The algorithms esf offers and a key length each takes.
algs=("gcm(aes)" "rfc4106(gcm(aes))" "ccm(aes)" "authenc(hmac(sha256),cbc(aes))" "kw(aes)"
	"hmac(sha256)" "hmac(sha384)" "hmac(sha512)")
keylen=(16 16 16 48 16 32 48 64)

echo "TAP version 13"
echo "1..27"

# 1-2: with esf.ko not loaded, doctor says so, fails, and loads nothing.
modprobe -r esf 2>/dev/null
if [ -e /sys/module/esf ]; then
	echo "Bail out! esf.ko is loaded and busy"
	exit 1
fi
out=$("$ESFCTL" doctor 2>&1); rc=$?
[ $rc = 1 ] && grep -q '^! module: esf.ko not loaded' <<<"$out" &&
	ok "not loaded: said, exit 1" || not_ok "not loaded: said, exit 1" "rc=$rc $out"
[ ! -e /sys/module/esf ] && ok "doctor does not load the module" ||
	not_ok "doctor does not load the module"

modprobe esf || { echo "Bail out! cannot load esf.ko"; exit 1; }
"$ESFCTL" session flush >/dev/null
# Lockdown (16) as securityfs has it: mounted before doctor looks.
grep -q ' /sys/kernel/security ' /proc/mounts ||
	mount -t securityfs securityfs /sys/kernel/security

# Which algorithms this kernel has, and what a new session of each gets,
# as esfctl session add finds out (every kernel of the suite has all of
# them; a kernel built without one is reported, and doctor must then say
# it is not healthy). adds[i] is session add's JSON answer, or null and
# why[i] the kernel's reason (as esfctl prints it after "session add: ").
for l in 2 16 32 48 64; do head -c $l /dev/urandom >"$tmp/k$l"; done
missing=0 adds=() why=()
for i in "${!algs[@]}"; do
	if s=$("$ESFCTL" --json session add --alg "${algs[$i]}" --key-file "$tmp/k${keylen[$i]}" \
		2>"$tmp/add.err"); then
		adds[i]=$s
	else
		adds[i]=null why[i]=$(<"$tmp/add.err") why[i]=${why[i]#esfctl: session add: }
		missing=$((missing + 1))
	fi
done
"$ESFCTL" session flush >/dev/null
want_rc=$([ $missing = 0 ] && echo 0 || echo 1)
want_healthy=$([ $missing = 0 ] && echo true || echo false)

# 3-5: the module, as sysfs has it; healthy unless an algorithm is missing.
out=$("$ESFCTL" doctor 2>&1); rc=$?
kat=$(</sys/module/esf/parameters/selftest_result)
ver=$(</sys/module/esf/version)
[ $rc = "$want_rc" ] && grep -qF "  module: esf.ko $ver loaded; known-answer tests: $kat" <<<"$out" &&
	ok "module line: version and KAT result; exit $want_rc" ||
	not_ok "module line: version and KAT result; exit $want_rc" "rc=$rc $out"
"$ESFCTL" doctor --json >"$tmp/d.json" 2>&1
ms=$(</sys/module/esf/parameters/max_sessions)
taint=$(</sys/module/esf/taint)
dev=$(</sys/class/misc/esf/dev)
if [ -e /sys/kernel/security/lockdown ]; then
	want=$(</sys/kernel/security/lockdown) want=${want#*\[} want=${want%%\]*}
else
	want=null
fi
# The gcm(aes) and hmac(sha256) providers /proc/crypto has (8).
provs=$(awk '
	/^name/ { n = $3 } /^driver/ { d = $3 } /^priority/ { p = $3 }
	/^internal/ { i = $3 } /^type/ { ty = $3 }
	/^$/ { if ((n == "gcm(aes)" || n == "hmac(sha256)") && i != "yes" &&
		   (ty == "aead" || ty == "shash" || ty == "ahash"))
		print n, d, p; n = ""; i = "" }' /proc/crypto)
# All the checks on doctor's answer, in one jq: "name<TAB>value" lines.
res=$(jq -rs --argjson h "$want_healthy" --arg ms "$ms" --arg ta "$taint" --arg d "$dev" \
	--arg w "$want" --argjson adds "[$(IFS=,; echo "${adds[*]}")]" '
	"one\t\(length == 1)", (.[0] |
	"healthy\t\(.healthy == $h and .kernel_checked == true)",
	"params\t\(.module.parameters.max_sessions == $ms and .module.taint == $ta)",
	"af_alg\t\(.af_alg.state == "available" and .af_alg.esf_type == true)",
	"dev\t\(.dev_esf.exists and .dev_esf.device == $d)",
	"lockdown\t\((.boot.lockdown // "null") == $w and .boot.efi == false and
		.boot.secure_boot == false)",
	"esfd\t\(.esfd.running == false)",
	"pinned\t\([.algorithms[] | select(.name == "authenc(hmac(sha256),cbc(aes))") |
		.providers[] | select(.driver | test("virtio_crypto_aes_cbc")) |
		select(.hardware == true and .async == true) | .driver] | join(" "))",
	"nhw\t\([.algorithms[].providers[] | select(.hardware == true)] | length)",
	(.algorithms[] | "alg:\(.name)\t\(.verdict)\t\(.new_session_driver)\t\(.error)",
		(.name as $a | .providers[] | "prov:\($a) \(.driver)\t\(.priority)"))),
	($adds | to_entries[] | "add:\(.key)\t\(.value.driver)\t\(.value.hardware)")' "$tmp/d.json")
while IFS= read -r l; do r["${l%%$'\t'*}"]=${l#*$'\t'}; done <<<"$res"
# (a failure's detail: the document, or the checks' values)
detail=$(<"$tmp/d.json")
t "--json is one JSON document, healthy: $want_healthy" eval 'chk one && chk healthy'
detail="max_sessions $ms; taint $taint; ${r[params]:-}"
t "parameters and taint as sysfs has them" chk params

# 6-7: what a new session gets is what esfctl session add gets, driver and
# hardware flag alike, for every algorithm; a verdict line for each.
bad=
for i in "${!algs[@]}"; do
	a=${algs[$i]}
	IFS=$'\t' read -r v drv err <<<"${r["alg:$a"]:-}"
	if [ "${adds[i]}" = null ]; then
		got="$v $err"
		[ "$got" = "unavailable ${why[i]}" ] || bad+="$a: doctor '$got', session add '${why[i]}'; "
		continue
	fi
	IFS=$'\t' read -r sdrv hw <<<"${r["add:$i"]:-}"
	got="$drv $v"
	want="$sdrv $([ "$hw" = true ] && echo hardware || echo cpu)"
	[ "$got" = "$want" ] || bad+="$a: doctor '$got', session '$want'; "
done
[ -z "$bad" ] && ok "new-session driver and hardware flag match esfctl session add ($missing unavailable)" ||
	not_ok "new-session driver and hardware flag match esfctl session add" "$bad"
verdicts=$(sed '1,/^verdict$/d' <<<"$out")
n_ok=0
for a in "${algs[@]}"; do
	IFS=$'\t' read -r v drv err <<<"${r["alg:$a"]:-}"
	if [ "$v" = unavailable ]; then
		[[ $verdicts == *"! $a: unavailable ("* ]] && n_ok=$((n_ok + 1))
		continue
	fi
	word=$([ "$v" = hardware ] && echo "hardware" || echo "CPU only")
	[[ $verdicts == *"  $a: $word ($drv)"* ]] && n_ok=$((n_ok + 1))
done
[ "$n_ok" = 8 ] && [ "$(wc -l <<<"$verdicts")" = 8 ] && ok "one verdict line per algorithm" ||
	not_ok "one verdict line per algorithm" "$verdicts"

# 8: every usable gcm(aes) and hmac(sha256) provider of /proc/crypto is
# listed, with its priority.
bad= seen=0
while read -r name drv prio; do
	[ -n "$name" ] || continue
	seen=$((seen + 1))
	p=${r["prov:$name $drv"]:-}
	[ "$p" = "$prio" ] || bad+="$name $drv $prio: doctor '$p'; "
done <<<"$provs"
[ -z "$bad" ] && [ "$seen" -ge 2 ] && ok "providers listed as /proc/crypto has them ($seen)" ||
	not_ok "providers listed as /proc/crypto has them" "$seen seen; $bad"

# 9: its throwaway sessions are gone.
left=$("$ESFCTL" --json session list | jq '.sessions | length')
[ "$left" = 0 ] && ok "no session left behind" || not_ok "no session left behind" "$left sessions"

# 10-11: with and without a hardware cbc(aes): the device's provider shows
# as hardware for authenc and the verdict says how to get it; without one,
# no provider is called hardware.
if grep -q '^driver *: virtio_crypto_aes_cbc' /proc/crypto; then
	pinned=${r[pinned]:-}
	[ -n "$pinned" ] && ok "virtio-crypto: authenc over the device, hardware and async" ||
		not_ok "virtio-crypto: authenc over the device, hardware and async" \
			"$(jq '.algorithms[3]' "$tmp/d.json")"
	# (after other programs, more than one authenc instance may sit on the
	# device, one per hmac driver: the verdict names one of them)
	# (one line: [^ ] would match a newline too)
	re='authenc\(hmac\(sha256\),cbc\(aes\)\): CPU only [^'$'\n'']*; hardware when pinned: ([^ '$'\n'']+)'
	[[ $verdicts =~ $re ]] && [[ " $pinned " == *" ${BASH_REMATCH[1]} "* ]] &&
		ok "virtio-crypto: the verdict names the hardware provider to pin" ||
		not_ok "virtio-crypto: the verdict names the hardware provider to pin" "$verdicts"
else
	hw=${r[nhw]:-}
	[ "$hw" = 0 ] && ok "no device: no provider is hardware" ||
		not_ok "no device: no provider is hardware" "$(jq '.algorithms' "$tmp/d.json")"
	grep -q 'hardware when pinned' <<<"$verdicts" &&
		not_ok "no device: no verdict offers hardware" "$verdicts" ||
		ok "no device: no verdict offers hardware"
fi

# 12-13: AF_ALG, plain and under a seccomp filter that refuses it.
chk af_alg && ok "AF_ALG available, esf type registered" ||
	not_ok "AF_ALG available, esf type registered" "$(jq .af_alg "$tmp/d.json")"
out=$("$here/vm_noafalg" "$ESFCTL" doctor 2>&1); rc=$?
"$here/vm_noafalg" "$ESFCTL" doctor --json >"$tmp/s.json" 2>/dev/null
[ $rc = 1 ] && grep -q '^! AF_ALG: blocked by seccomp' <<<"$out" &&
	jq -e '.af_alg.state == "blocked-by-seccomp" and .af_alg.seccomp == "filter" and .healthy == false' "$tmp/s.json" >/dev/null &&
	ok "seccomp: blocked, exit 1" || not_ok "seccomp: blocked, exit 1" "rc=$rc $out"

# 14-15: /dev/esf, and a missing node.
chk dev && ok "/dev/esf: present, device as sysfs has it" ||
	not_ok "/dev/esf: present, device as sysfs has it" "$(jq .dev_esf "$tmp/d.json") sysfs $dev"
mv /dev/esf "$tmp/esf.node"
out=$("$ESFCTL" doctor 2>&1)
mv "$tmp/esf.node" /dev/esf
grep -qF "/dev/esf: no /dev/esf node, though the module registered $dev" <<<"$out" &&
	ok "/dev/esf: a missing node is noticed" || not_ok "/dev/esf: a missing node is noticed" "$out"

# 16: lockdown as securityfs has it (mounted above, before doctor looked).
chk lockdown && ok "lockdown state as securityfs has it" ||
	not_ok "lockdown state as securityfs has it" "$(jq .boot "$tmp/d.json") want $want"

# 17: unprivileged, providers are predicted from /proc/crypto and said so.
out=$(setpriv --reuid=65534 --regid=65534 --clear-groups "$ESFCTL" doctor --json 2>&1)
detail=$out
t "unprivileged: predicted, kernel not asked" jqt '.kernel_checked == false and
	([.algorithms[] | select(.predicted == false)] | length) == 0 and
	.algorithms[0].new_session_driver != null' <<<"$out"

# 18-19: esfd: not running (doctor --json above, at $ESFD_CONTROL_SOCKET),
# then running.
chk esfd && ok "esfd not running: said" || not_ok "esfd not running: said" "$(jq .esfd "$tmp/d.json")"
printf 'listener 1883 127.0.0.1\nallow_anonymous true\n' >"$tmp/mosquitto.conf"
mosquitto -c "$tmp/mosquitto.conf" >"$tmp/mosquitto.log" 2>&1 &
pids+=($!)
cat >"$tmp/esfd.conf" <<EOF
[esfd]
id = /doctor-cse
role = gateway
mqtt-broker = 127.0.0.1:1883
control-socket = $tmp/ctl.sock
EOF
"$ESFD" --foreground --config "$tmp/esfd.conf" --state "$tmp/esfd.state" >"$tmp/esfd.log" 2>&1 &
pids+=($!)
for i in {1..50}; do [ -S "$tmp/ctl.sock" ] && break; sleep 0.1; done
out=$("$ESFCTL" doctor 2>&1)
grep -q "^  esfd: running, pid ${pids[1]}, /doctor-cse" <<<"$out" &&
	ok "esfd running: pid and id" || not_ok "esfd running: pid and id" "$out $(cat "$tmp/esfd.log")"

# 20-21: global options anywhere.
"$ESFCTL" session add --alg 'gcm(aes)' --key-file "$tmp/k16" --id 7 >/dev/null
# (compared without the fields that count seconds: a second may pass)
a=$("$ESFCTL" --json session list 2>&1)
b=$("$ESFCTL" session list --json 2>&1)
b2=$("$ESFCTL" session show --json 7 2>&1)
c=$("$ESFCTL" session --version 2>&1)
# Both checks in one jq: "list" and "show" lines.
res=$(jq -rn --argjson a "$a" --argjson b "$b" --argjson b2 "$b2" '
	def same: del(.sessions[].age, .sessions[].usage);
	"list \(($a | same) == ($b | same) and $b.sessions[0].id == 7)", "show \($b2.id == 7)"')
[[ $res == *"list true"* ]] &&
	ok "session list --json as --json session list" || not_ok "session list --json as --json session list" "$b"
[[ $res == *"show true"* ]] && [[ $c == "esfctl "* ]] &&
	ok "--json and --version between the words" || not_ok "--json and --version between the words" "$b2 $c"

# 22-24: size errors name the algorithm and what it takes.
out=$("$ESFCTL" session add --alg 'gcm(aes)' --key-file "$tmp/k2" 2>&1); rc=$?
[ $rc = 2 ] && [ "$out" = "esfctl: session add: gcm(aes) takes a 16, 24 or 32-byte key; got 2" ] &&
	ok "key size error names the sizes" || not_ok "key size error names the sizes" "rc=$rc $out"
out=$("$ESFCTL" session add --alg 'hmac(sha384)' --key-file "$tmp/k16" 2>&1); rc=$?
[ $rc = 2 ] && [ "$out" = "esfctl: session add: hmac(sha384) takes a 48 to 128-byte key; got 16" ] &&
	ok "HMAC key size error" || not_ok "HMAC key size error" "rc=$rc $out"
out=$("$ESFCTL" session add --alg 'ccm(aes)' --key-file "$tmp/k16" --tag-len 5 2>&1); rc=$?
[ $rc = 2 ] && [ "$out" = "esfctl: session add: ccm(aes) takes a 4, 6, 8, 10, 12, 14 or 16-byte tag; got 5" ] &&
	ok "tag size error names the sizes" || not_ok "tag size error names the sizes" "rc=$rc $out"

# 25: whether esf.ko is signed, as the file's tail says (the signature
# marker module signing appends), and whether signatures are enforced.
"$ESFCTL" doctor --json >"$tmp/d.json"
ko=$(modinfo -n esf)
case $ko in
*.ko) [ "$(tail -c 28 "$ko")" = "~Module signature appended~" ] && want=yes || want=no ;;
*) want="unknown (compressed module)" ;;
esac
enf=$(cat /sys/module/module/parameters/sig_enforce 2>/dev/null)
case $enf in Y) enf=true ;; N) enf=false ;; *) enf=null ;; esac
detail="$(jq .module "$tmp/d.json") file $ko want $want, enforced $enf"
t "esf.ko signed or not as its file says; enforcement as the kernel says" jqt --arg w "$want" \
	--argjson e "$enf" '.module.file_signed == $w and .module.sig_enforce == $e' "$tmp/d.json"

# 26-27: the device taken away (its driver unbound, so its algorithms are
# unregistered): doctor must stop calling anything hardware, then the
# device comes back for the programs that run after this one.
"$ESFCTL" session flush >/dev/null
drv=/sys/bus/virtio/drivers/virtio_crypto
vdev=$(cd "$drv" 2>/dev/null && ls -d virtio* 2>/dev/null | head -n 1)
if [ -n "$vdev" ]; then
	echo "$vdev" >"$drv/unbind"
	"$ESFCTL" doctor --json >"$tmp/n.json"
	verdicts=$("$ESFCTL" doctor 2>&1 | grep -F ': ')
	. "$here/vm_crypto.sh"
	virtio_crypto_up sh -c "echo $vdev >$drv/bind"
	hw=$(jq -r '[.algorithms[].providers[] | select(.hardware == true or (.driver | test("virtio")))] |
		length' "$tmp/n.json")
	[ "$hw" = 0 ] && ok "device unbound: no provider is hardware" ||
		not_ok "device unbound: no provider is hardware" "$(jq '.algorithms' "$tmp/n.json")"
	grep -q 'hardware when pinned' <<<"$verdicts" &&
		not_ok "device unbound: no verdict offers hardware" "$verdicts" ||
		ok "device unbound: no verdict offers hardware"
	grep -q '^driver *: virtio_crypto_aes_cbc' /proc/crypto ||
		echo "# warning: virtio_crypto_aes_cbc did not come back after binding $vdev"
else
	echo "ok 26 # SKIP no virtio-crypto device to unbind (10-11 checked the no-device case)"
	echo "ok 27 # SKIP no virtio-crypto device to unbind"
	n=27
fi
exit $failed
