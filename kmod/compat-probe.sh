#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Print -D flags describing the kernel API found in the headers under
# $1 (srctree) and $2 (objtree). kmod/compat.h is the only consumer.
# Each probe greps for the declaration itself, so a distribution kernel with
# a backported change is handled the same as the release that introduced it.

srctree=$1
inc=$srctree/include

probe() {
	# probe <file under include/> <extended regex> <macro>
	if grep -qsE "$2" "$inc/$1"; then
		printf ' -D%s' "$3"
	fi
}

# 7.x's AES library takes a struct aes_key from aes_preparekey().
probe crypto/aes.h 'int aes_preparekey\(' ESF_HAVE_AES_PREPAREKEY

# 6.3 changed the crypto completion callback from
# (struct crypto_async_request *, int) to (void *data, int).
probe linux/crypto.h 'typedef void \(\*crypto_completion_t\)\(void \*' \
	ESF_HAVE_COMPLETION_DATA

# 6.2 added timer_shutdown_sync() (Debian backports it to 6.1).
probe linux/timer.h 'int timer_shutdown_sync\(' ESF_HAVE_TIMER_SHUTDOWN

# 6.12 moved the unaligned accessors to <linux/unaligned.h>.
probe linux/unaligned.h '.' ESF_HAVE_LINUX_UNALIGNED

# 6.16 renamed from_timer() to timer_container_of() (7.x has only the new name).
probe linux/timer.h 'define timer_container_of\(' ESF_HAVE_TIMER_CONTAINER_OF

# 7.2: an AF_ALG type's bind() takes the algorithm name alone.
probe crypto/if_alg.h 'void \*\(\*bind\)\(const char \*name\);' ESF_HAVE_ALG_BIND_NAME

# hex2bin() and friends live in <linux/hex.h> where it exists (6.12 has
# it); 7.x no longer reaches it through <linux/kernel.h>.
probe linux/hex.h 'hex2bin\(' ESF_HAVE_LINUX_HEX

# 6.6 (and 6.1.y): multicast groups that only CAP_NET_ADMIN may join.
probe net/genetlink.h 'define GENL_MCAST_CAP_NET_ADMIN' ESF_HAVE_GENL_MCAST_CAP
# Older kernels let anyone join: esf then filters its events by listener.
probe linux/netlink.h 'int netlink_broadcast_filtered\(' ESF_HAVE_NETLINK_BROADCAST_FILTERED

# 6.1: the family checks reserved header bytes from resv_start_op on, and
# GENL_REQ_ATTR_CHECK() names a missing attribute in the extended ack.
probe net/genetlink.h 'resv_start_op;' ESF_HAVE_GENL_RESV_START_OP
probe net/genetlink.h 'define GENL_REQ_ATTR_CHECK\(' ESF_HAVE_GENL_REQ_ATTR_CHECK

# 6.0: iov_iter_get_pages2() advances the iterator; user_backed_iter().
probe linux/uio.h 'iov_iter_get_pages2\(' ESF_HAVE_IOV_ITER_GET_PAGES2
probe linux/uio.h 'bool user_backed_iter\(' ESF_HAVE_USER_BACKED_ITER

# 5.12: memzero_page().
probe linux/highmem.h 'void memzero_page\(' ESF_HAVE_MEMZERO_PAGE

# io_uring commands on files (5.19), completed from task work with the
# issue flags (6.1 as Debian ships it, 6.2 upstream); 6.6 moved them to
# <linux/io_uring/cmd.h>, 6.10 reads the command through the SQE.
probe linux/fs.h 'int \(\*uring_cmd\)\(struct io_uring_cmd' ESF_HAVE_URING_CMD
probe linux/io_uring.h 'task_work_cb\)\(struct io_uring_cmd \*, unsigned\)' ESF_HAVE_URING_CMD_FLAGS
probe linux/io_uring/cmd.h 'task_work_cb\)\(struct io_uring_cmd \*, unsigned\)' ESF_HAVE_URING_CMD_FLAGS
probe linux/io_uring/cmd.h 'struct io_uring_cmd \{' ESF_HAVE_IO_URING_CMD_H
probe linux/io_uring/cmd.h 'io_uring_sqe_cmd\(' ESF_HAVE_IO_URING_SQE_CMD
probe linux/io_uring/cmd.h 'define io_uring_sqe_cmd\(sqe, type\)' ESF_HAVE_IO_URING_SQE_CMD_TYPED
probe linux/io_uring/cmd.h 'io_uring_cmd_from_tw\(struct io_tw_req' ESF_HAVE_URING_TW_REQ
probe linux/io_uring/cmd.h 'io_uring_cmd_done32\(' ESF_HAVE_URING_DONE32

echo
