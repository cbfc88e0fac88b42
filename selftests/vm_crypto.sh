# SPDX-License-Identifier: GPL-2.0
#
# Bringing the test VM's virtio-crypto device up (sourced by the VM's init
# and by esf_doctor.sh, which unbinds the device and binds it again; POSIX
# sh). Not for a machine of your own.
#
#   virtio_crypto_up <command...>   run the command that makes the device
#                                   register (modprobe, or a write to the
#                                   driver's bind file) as below
#
# QEMU 7.2's builtin backend always offers RSA, and its RSA fails the
# kernel's own self-test (a WARN from testmgr on every kernel of the suite):
# it has no raw-padding RSA. esf never uses the device's RSA, and QEMU
# cannot hide it, so the self-tests are paused only while the device
# registers. They are back on before any test runs: every template instance
# esf later builds on the device (authenc(hmac(sha256),virtio_crypto_aes_cbc))
# is self-tested as usual. crypto_user must be loaded first: once the
# device's RSA is preferred, module signature checks fail and modprobe
# refuses every module.

virtio_crypto_up() {
	modprobe crypto_user
	echo 1 >/sys/module/cryptomgr/parameters/notests
	"$@"
	for _ in $(seq 50); do
		grep -q '^driver *: virtio_crypto' /proc/crypto &&
			! grep -A6 '^driver *: virtio' /proc/crypto | grep -q 'selftest *: unknown' &&
			break
		sleep 0.1
	done
	# Demote the device's RSA below rsa-generic (priority 100): otherwise
	# the next module load verifies its signature through
	# pkcs1pad(virtio-crypto-rsa,sha256), which QEMU cannot compute.
	for drv in $(awk '/^driver/ { d = $3 } /^module/ { m = $3 }
			/^type/ && $3 == "akcipher" && m == "virtio_crypto" { print d }' /proc/crypto); do
		/usr/lib/esf/selftests/vm_algprio "$drv" 0
	done
	echo 0 >/sys/module/cryptomgr/parameters/notests
	grep -q '^driver *: virtio_crypto' /proc/crypto
}
