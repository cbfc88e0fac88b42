#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Inside the test VM (scripts/deb-test): the Debian 12 root with the esf
# packages installed is /share. Loads the esf.ko that the esf-dkms package
# built there, then runs the demo's first steps from the installed files
# only, chrooted into that root: versions and doctor, a broker, two esfd
# daemons with their credentials, an ESPrim session pair established
# between them, and records sealed and opened by the esf tool and by a
# libesf application. Prints TAP.
R=/share
n=0 failed=0
ok() { n=$((n + 1)); echo "ok $n $1"; }
not_ok() { n=$((n + 1)) failed=1; echo "not ok $n $1"; [ -n "${2:-}" ] && sed 's/^/# /' <<<"$2"; }
in_root() { chroot "$R" "$@"; }
echo "TAP version 13"
echo "1..9"

for m in proc sys dev run tmp; do mkdir -p "$R/$m"; done
mount -t proc proc "$R/proc"
mount -t sysfs sysfs "$R/sys"
mount -o bind /dev "$R/dev"
mount -t tmpfs tmpfs "$R/run"
mount -t tmpfs tmpfs "$R/tmp"

# 1: the module DKMS built in the root, loaded into this kernel.
ko=$(ls "$R/lib/modules/$(uname -r)/updates/dkms/"esf.ko* 2>/dev/null | head -n 1)
for d in $(modinfo -F depends "$ko" 2>/dev/null | tr , ' '); do modprobe "$d"; done
out=$(insmod "$ko" 2>&1)
[ -n "$ko" ] && [ -e /sys/module/esf ] && ok "esf.ko from the esf-dkms package loads (${ko#$R})" ||
	not_ok "esf.ko from the esf-dkms package loads" "$ko $out"

# 2-3: the installed tools.
out=$(in_root esfctl version 2>&1)
grep -q "^esf.ko $(cat /sys/module/esf/version)" <<<"$out" && ok "installed esfctl sees the module" ||
	not_ok "installed esfctl sees the module" "$out"
out=$(in_root esfctl doctor 2>&1); rc=$?
echo "$out" >"$R/root/doctor.txt"
[ $rc = 0 ] && grep -q "updates/dkms/esf.ko" <<<"$out" && grep -q '^verdict' <<<"$out" &&
	ok "installed esfctl doctor: healthy, finds the DKMS module" || not_ok "installed esfctl doctor" "rc=$rc $out"

# 4-7: a broker, two daemons, their credentials, an ESPrim pair.
in_root mkdir -p /etc/esfd/demo
in_root sh -c 'umask 077; od -An -tx1 -N32 /dev/urandom | tr -d " \n" > /etc/esfd/demo/srv-gw.key; echo >> /etc/esfd/demo/srv-gw.key'
printf 'listener 1883 127.0.0.1\nallow_anonymous true\n' >"$R/etc/esfd/demo/mosquitto.conf"
in_root mosquitto -c /etc/esfd/demo/mosquitto.conf >"$R/tmp/mosquitto.log" 2>&1 &
conf() { # conf <who> <id> <role> <peer name> <peer id> <peer role>
	printf '[esfd]\nid = %s\nrole = %s\nmqtt-broker = 127.0.0.1:1883\ncontrol-socket = /run/esfd-%s.sock\n\n' "$2" "$3" "$1"
	printf '[peer %s]\nid = %s\nrole = %s\nkpsa-id = kpsa-in-mn\nkpsa-file = srv-gw.key\n' "$4" "$5" "$6"
}
conf srv /in-cse server gw /mn-cse gateway >"$R/etc/esfd/demo/srv.conf"
conf gw /mn-cse gateway srv /in-cse server >"$R/etc/esfd/demo/gw.conf"
chmod 600 "$R"/etc/esfd/demo/*.conf
out=$(in_root esfd --check -c /etc/esfd/demo/srv.conf 2>&1 && in_root esfd --check -c /etc/esfd/demo/gw.conf 2>&1)
[ $? = 0 ] && ok "installed esfd --check accepts both configurations" || not_ok "esfd --check" "$out"
for who in srv gw; do
	in_root esfd -f -c "/etc/esfd/demo/$who.conf" -s "/run/esfd-$who.state" 2>"$R/tmp/esfd-$who.log" &
done
for who in srv gw; do
	for i in $(seq 100); do grep -q 'connected as' "$R/tmp/esfd-$who.log" 2>/dev/null && break; sleep 0.1; done
done
grep -q 'connected as' "$R/tmp/esfd-srv.log" && grep -q 'connected as' "$R/tmp/esfd-gw.log" &&
	ok "both esfd reach the broker" || not_ok "both esfd reach the broker" "$(cat "$R"/tmp/esfd-*.log)"
out=$(in_root env ESFD_CONTROL_SOCKET=/run/esfd-gw.sock esfctl establish srv --class 1 2>&1)
grep -q '^peer /in-cse class 1: seal [0-9]* open [0-9]*' <<<"$out" && ok "establish: an ESPrim pair gw <-> srv" ||
	not_ok "establish: an ESPrim pair gw <-> srv" "$out $(cat "$R"/tmp/esfd-*.log)"
out=$(in_root env ESFD_CONTROL_SOCKET=/run/esfd-srv.sock esfctl status 2>&1)
grep -q 'class 1' <<<"$out" && ok "esfctl status on the server shows the pair and its driver" ||
	not_ok "esfctl status on the server shows the pair" "$out"
echo "$out" >"$R/root/status.txt"

# 8-9: records, by the esf tool and by a libesf application.
in_root sh -c 'head -c 16 /dev/urandom > /tmp/k16'
in_root esfctl session add --alg 'gcm(aes)' --key-file /tmp/k16 --id 900 >/dev/null
out=$(in_root sh -c 'echo -n "hello from the packages" | esf seal -s 900 -f jwe-compact | esf open -s 900 -f jwe-compact' 2>&1)
[ "$out" = "hello from the packages" ] && ok "esf seal | esf open" || not_ok "esf seal | esf open" "$out"
out=$(in_root /usr/local/bin/esf-consumer 900 2>&1)
grep -q 'opened them again' <<<"$out" && ok "a program built with libesf-dev runs on libesf0" ||
	not_ok "a program built with libesf-dev runs on libesf0" "$out"

kill $(jobs -p) 2>/dev/null
sleep 0.5
exit $failed
