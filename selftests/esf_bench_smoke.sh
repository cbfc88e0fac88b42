#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# esf-bench as a smoke test: every path and both operations run, records
# are checked (a failed record fails esf-bench), and the CSV and JSON hold
# what the table says. It times nothing: CI machines vary; "make bench" is
# the measurement. Prints TAP.

BENCH=${BENCH:-esf-bench}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"; esfctl session flush >/dev/null 2>&1' EXIT
n=0 failed=0

ok() { n=$((n + 1)); echo "ok $n $1"; }
not_ok() {
	n=$((n + 1)) failed=1
	echo "not ok $n $1"
	[ -n "${2:-}" ] && sed 's/^/# /' <<<"$2"
}

echo "TAP version 13"
echo "1..6"
modprobe esf || { echo "Bail out! cannot load esf.ko"; exit 1; }
esfctl session flush >/dev/null
head -c 32 /dev/urandom >"$tmp/k"
esfctl session add --id 70 --alg 'gcm(aes)' --key-file "$tmp/k" --replay-window 0 >/dev/null
esfctl session add --id 71 --alg 'gcm(aes)' --key-file "$tmp/k" >/dev/null
esfctl session add --id 72 --alg 'hmac(sha256)' --key-file "$tmp/k" >/dev/null

# 1: all four paths, SEAL and OPEN, two sizes, AES-256.
out=$("$BENCH" -s 70 -t 0.05 -z 64,4096 -b 16 --csv "$tmp/b.csv" --json "$tmp/b.json" 2>&1)
rc=$?
[ $rc = 0 ] && ok "every path runs" || not_ok "every path runs" "rc=$rc $out"

# 2: 16 rows (4 paths x 2 ops x 2 sizes), each with a positive rate.
rows=$(awk -F, 'NR > 1 && $5 > 0' "$tmp/b.csv" | wc -l)
[ "$rows" = 16 ] && ok "CSV: 16 measurements" || not_ok "CSV: 16 measurements" "$(cat "$tmp/b.csv")"

# 3: the JSON says the same, and names the kernel's driver for esf.
out=$(jq -r '[length, (.[] | select(.path == "esf") | .driver)][0:2] | @tsv' "$tmp/b.json" 2>&1)
drv=$(esfctl --json session show 70 | jq -r '.driver' 2>/dev/null)
[ "$out" = "16	$drv" ] && [ -n "$drv" ] && ok "JSON: 16 records, driver $drv" ||
	not_ok "JSON: 16 records, driver of the session" "$out / $drv"

# 4: the kernel counted what esf-bench claims it sealed and opened at least.
seals=$(esfctl --json session show 70 | jq -r '.stats.seal')
[ "${seals:-0}" -gt 16 ] && ok "kernel counted $seals seals" ||
	not_ok "kernel counted the seals" "$seals"

# 5: OPEN with the replay window on fails the run (the second open of the
# same record is a replay), with the reason.
out=$("$BENCH" -s 71 -t 0.05 -z 64 -p esf -o open 2>&1); rc=$?
[ $rc = 1 ] && grep -q "replay" <<<"$out" && ok "replayed record fails the run" ||
	not_ok "replayed record fails the run" "rc=$rc $out"

# 6: a MIC session is refused, with the reason.
out=$("$BENCH" -s 72 -t 0.05 2>&1); rc=$?
[ $rc = 1 ] && grep -q "not gcm(aes)" <<<"$out" && ok "MIC session refused" ||
	not_ok "MIC session refused" "rc=$rc $out"
exit $failed
