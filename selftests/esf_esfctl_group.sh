#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Group sessions as an operator handles them with esfctl: members made
# with 'session add --group-senders/--group-sender', the key's epochs
# installed, switched to and retired with 'esfctl group', the epochs and
# the per-sender replay state shown; JWEs sealed by one member with the
# esf tool and opened by another. Prints TAP.

ESFCTL=${ESFCTL:-esfctl}
ESF=${ESF:-esf}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"; "$ESFCTL" session flush >/dev/null 2>&1' EXIT

. "$(dirname "$0")/lib_tap.sh"

echo "TAP version 13"
echo "1..16"

modprobe esf || { echo "Bail out! cannot load esf.ko"; exit 1; }
"$ESFCTL" session flush >/dev/null
head -c 16 /dev/urandom >"$tmp/k1"
head -c 16 /dev/urandom >"$tmp/k2"
keyhex=$(od -An -tx1 "$tmp/k1" | tr -d ' \n')
key2hex=$(od -An -tx1 "$tmp/k2" | tr -d ' \n')

# member <id> <sender>: a member of an 8-sender group on key 1, epoch 1.
member() {
	"$ESFCTL" session add --alg 'gcm(aes)' --key-file "$tmp/k1" --salt 67720001 \
		--id "$1" --group-senders 8 --group-sender "$2" --group-epoch 1
}

# 1-2: help, and no sender id by default.
helps=0
for c in "group" "group epoch-new" "group switch" "group retire" "group senders"; do
	# shellcheck disable=SC2086
	"$ESFCTL" $c --help 2>&1 | grep -q '^usage: esfctl' || { helps=1; echo "# no help: $c"; }
done
"$ESFCTL" session add --help | grep -q -- '--group-sender I' || helps=1
[ $helps = 0 ] && ok "group commands have --help" || not_ok "group commands have --help"
out=$("$ESFCTL" session add --alg 'gcm(aes)' --key-file "$tmp/k1" --group-senders 8 2>&1); rc=$?
[ $rc = 2 ] && grep -q -- '--group-senders and --group-sender go together' <<<"$out" &&
	ok "a group member needs its sender id" || not_ok "a group member needs its sender id" "rc=$rc $out"

# 3-4: members, shown for people and as JSON.
out=$(member 30 2 2>&1)
grep -q 'group .*sender 2 of 8' <<<"$out" && grep -q 'epochs .*current 1 (salt 67720001)' <<<"$out" &&
	ok "session add --group-senders: shown as a group member" ||
	not_ok "session add --group-senders: shown as a group member" "$out"
member 31 5 >/dev/null
out=$("$ESFCTL" --json session show 31 2>&1)
grep -q '"senders": 8' <<<"$out" && grep -q '"sender": 5' <<<"$out" && grep -q '"epoch": 1' <<<"$out" &&
	ok "session show --json: group" || not_ok "session show --json: group" "$out"

# 5-6: a member seals a JWE, another opens it; its own sealer refuses it.
printf 'close fire doors' | "$ESF" seal --session 30 --format jwe-compact >"$tmp/c1" 2>"$tmp/err"
out=$("$ESF" open --session 31 --format jwe-compact <"$tmp/c1" 2>&1)
[ "$out" = "close fire doors" ] && ok "member 2 seals, member 5 opens" ||
	not_ok "member 2 seals, member 5 opens" "$out $(cat "$tmp/err")"
"$ESF" open --session 30 --format jwe-compact <"$tmp/c1" >/dev/null 2>&1; rc=$?
[ $rc = 1 ] && ok "the sealer does not open its own record" ||
	not_ok "the sealer does not open its own record" "rc=$rc"

# 7: the receiver's per-sender replay state.
out=$("$ESFCTL" group senders 31 2>&1)
grep -Eq '^2 +0$' <<<"$out" && [ "$(grep -c . <<<"$out")" = 2 ] &&
	ok "group senders: sender 2, sequence 0" || not_ok "group senders: sender 2, sequence 0" "$out"

# 8-9: refusals with the kernel's reason.
out=$("$ESFCTL" group epoch-new 31 --epoch 2 --key-file "$tmp/k2" --salt 67720001 2>&1); rc=$?
[ $rc = 1 ] && grep -q 'salt must differ' <<<"$out" && ok "epoch-new: a held salt is refused" ||
	not_ok "epoch-new: a held salt is refused" "rc=$rc $out"
out=$("$ESFCTL" group switch 31 2>&1); rc=$?
[ $rc = 1 ] && grep -q 'no next epoch installed' <<<"$out" && ok "switch without a next key is refused" ||
	not_ok "switch without a next key is refused" "rc=$rc $out"

# 10-11: a key of the wrong length is refused before it reaches the
# kernel, naming the length the session takes (a 2-byte key would
# otherwise get the netlink policy's "binary attribute size out of range").
head -c 2 /dev/urandom >"$tmp/k_short"
head -c 32 /dev/urandom >"$tmp/k_long"
for k in short:2 long:32; do
	out=$("$ESFCTL" group epoch-new 31 --epoch 2 --key-file "$tmp/k_${k%%:*}" --salt 67720003 2>&1); rc=$?
	name="epoch-new: a ${k#*:}-byte key for a 16-byte group session is refused with the sizes"
	[ $rc = 2 ] && grep -q 'group session 31 (gcm(aes)) takes a 16-byte key.*got '"${k#*:}" <<<"$out" &&
		ok "$name" || not_ok "$name" "rc=$rc $out"
done

# 12-14: make-before-break on both members (key 2 from stdin, in hex).
printf '%s\n' "$key2hex" | "$ESFCTL" group epoch-new 31 --epoch 2 --key-file - --key-format hex \
	--salt 67720002 >/dev/null &&
	out=$("$ESFCTL" group epoch-new 30 --epoch 2 --key-file "$tmp/k2" --salt 67720002 2>&1)
grep -q 'next 2 (salt 67720002)' <<<"$out" && ok "epoch-new: next epoch shown" ||
	not_ok "epoch-new: next epoch shown" "$out"
out=$("$ESFCTL" group switch 30 --epoch 2 2>&1)
grep -q 'current 2 (salt 67720002), previous 1 (salt 67720001)' <<<"$out" &&
	ok "switch: current and previous shown" || not_ok "switch: current and previous shown" "$out"
printf 'after the switch' | "$ESF" seal --session 30 --format jwe-compact >"$tmp/c2"
out=$("$ESF" open --session 31 --format jwe-compact <"$tmp/c2" 2>&1)
[ "$out" = "after the switch" ] && ok "the receiver opens the new epoch before switching" ||
	not_ok "the receiver opens the new epoch before switching" "$out"

# 15-16: retire; the key never shows.
"$ESFCTL" group switch 31 >/dev/null
out=$("$ESFCTL" --json group retire 31 2>&1)
grep -q '"epoch": 2' <<<"$out" && ! grep -q '"previous"' <<<"$out" &&
	ok "retire: the previous epoch is gone" || not_ok "retire: the previous epoch is gone" "$out"
all=$("$ESFCTL" session list; "$ESFCTL" --json session show 30; "$ESFCTL" session show 31;
	"$ESFCTL" --json group senders 31)
grep -qi -e "$keyhex" -e "$key2hex" <<<"$all" && not_ok "no key in any output" ||
	ok "no key in any output"
exit $failed
