// SPDX-License-Identifier: GPL-2.0
/*
 * A fuzzer of esf.ko's kernel interfaces: the generic netlink family, the
 * AF_ALG socket type and /dev/esf. Deterministic by seed (the concurrent
 * part's interleaving aside) and bounded in time:
 *
 *   esf_kfuzz                       ESF_FUZZ_SECONDS (default 30) in all
 *   ESF_FUZZ_SEED=n ESF_FUZZ_SECONDS=3600 esf_kfuzz
 *
 * Inputs, per target:
 * - genl: every command and unknown ones, with random and mutated
 *   attributes (types, lengths, nesting, truncated and overlong headers,
 *   reserved header bytes, random nlmsg flags), SESSION_NEW built from
 *   valid fields and then bent, dumps read whole, in small pieces or
 *   abandoned;
 * - socket: record streams with random and bent headers, batch sizes up to
 *   past ESF_MAX_BATCH, split over sendmsg calls with MSG_MORE, control
 *   messages of every shape, ESF_CMSG_OUTPUT tables pointing at unmapped,
 *   read-only and overlapping memory (and at the records' own input),
 *   reads of every size, binds to any name, options;
 * - device: BIND, REGISTER over unmapped, read-only, unaligned and
 *   overlapping regions, SUBMIT with tables whose offsets point anywhere,
 *   UNREGISTER, unknown ioctls, memory unmapped under a registered region;
 * - concurrency: threads sharing one operation socket and one device
 *   handle while another deletes and flushes sessions, and fork()ed
 *   children using the inherited descriptors;
 * - unprivileged callers (uid 65534): the privileged commands refused.
 *
 * Oracles: no call hangs (a watchdog); every netlink request is answered;
 * unprivileged callers get -EPERM from every privileged command; after
 * every round of inputs a fresh session still seals and opens on both
 * front ends; at the end every session flushes and the module unloads
 * (nothing holds a reference). The kernel's own checkers (in make
 * check-debug: KASAN, lockdep, kmemleak, UBSAN, ...) and vm-run's verdict
 * judge the rest. Each test prints how many inputs it tried.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "kselftest.h"
#include "esf_fp.h"
#include "esf_sess.h"
#include "esf_util.h"

/* --- deterministic randomness ---------------------------------------------- */

static __thread uint64_t rs;

static uint64_t r64(void)
{
	/* xorshift64* */
	rs ^= rs >> 12;
	rs ^= rs << 25;
	rs ^= rs >> 27;
	return rs * 0x2545f4914f6cdd1dULL;
}

static uint32_t rn(uint32_t n)
{
	return n ? (uint32_t)(r64() % n) : 0;
}

static bool one_in(uint32_t n)
{
	return rn(n) == 0;
}

static void rbytes(void *p, size_t n)
{
	uint8_t *b = p;

	while (n--)
		*b++ = (uint8_t)r64();
}

/* A length: mostly small, sometimes at or past a limit. */
static uint32_t rlen(uint32_t small, uint32_t limit)
{
	switch (rn(8)) {
	case 0:
		return limit;
	case 1:
		return limit + 1 + rn(16);
	case 2:
		return 0;
	case 3:
		return (uint32_t)r64();
	default:
		return rn(small + 1);
	}
}

/* --- time and the watchdog ------------------------------------------------- */

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static volatile sig_atomic_t hung;

static void on_alarm(int sig)
{
	(void)sig;
	hung = 1;
}

/* Arm a watchdog of @s seconds for the next calls; a blocked call returns EINTR. */
static void watch(unsigned int s)
{
	alarm(s);
}

/* --- shared state ------------------------------------------------------------ */

struct stats {
	uint64_t inputs, ok, errors;
};

static void count(struct stats *st, long rc)
{
	st->inputs++;
	if (rc < 0)
		st->errors++;
	else
		st->ok++;
}

static struct esf_nl nl;		/* privileged control socket */
static uint8_t *ro_page, *hole;		/* read-only memory; unmapped memory */
static size_t page;
static uint32_t ids[16];		/* sessions the fuzzer made (0: none) */

static const char *const algs[] = {
	"gcm(aes)", "rfc4106(gcm(aes))", "ccm(aes)", "authenc(hmac(sha256),cbc(aes))",
	"hmac(sha256)", "hmac(sha384)", "hmac(sha512)", "kw(aes)", "gcm(des)", "",
	"cbc(aes)", "gcm(aes)\x01", "sha256",
};

static const size_t key_lens[] = { 16, 24, 32, 48, 56, 64, 128, 129, 0, 15, 20 };

static const char *const drivers[] = {
	"generic-gcm-aesni", "gcm_base(ctr(aes-generic),ghash-generic)",
	"virtio_crypto_aes_cbc", "nonexistent-driver", "cryptd(cbc(aes))",
};

/* A session the fuzzer may use: one of its own, or a random id. */
static uint32_t some_id(void)
{
	uint32_t id = ids[rn(16)];

	if (!id || one_in(10))
		return one_in(2) ? (uint32_t)r64() : rn(64);
	return id;
}

static void remember(uint32_t id)
{
	ids[rn(16)] = id;
}

/* --- genl ------------------------------------------------------------------- */

static void put_lifetime_fuzz(struct esf_msg *m, uint16_t type)
{
	struct nlattr *n = esf_nest_start(m, type);
	int i, k = (int)rn(4);

	for (i = 0; i < k; i++) {
		uint16_t t = (uint16_t)rn(ESF_LIFETIME_A_MAX + 3);
		uint64_t v = one_in(3) ? r64() : rn(5);

		if (one_in(6))
			esf_put(m, t, &v, rn(9));
		else
			esf_put_u64(m, t, v);
	}
	esf_nest_end(m, n);
}

/* A SESSION_NEW from valid fields, some of them bent. */
static void gen_new(struct esf_msg *m)
{
	uint8_t key[160], salt[8], kid[80];
	size_t kl = key_lens[rn(sizeof(key_lens) / sizeof(key_lens[0]))];

	esf_msg_init(m, nl.family, 0, ESF_CMD_SESSION_NEW);
	if (!one_in(20))
		esf_put_str(m, ESF_A_ALG, algs[rn(sizeof(algs) / sizeof(algs[0]))]);
	rbytes(key, sizeof(key));
	if (!one_in(20))
		esf_put(m, ESF_A_KEY, key, kl);
	rbytes(salt, sizeof(salt));
	if (one_in(2))
		esf_put(m, ESF_A_SALT, salt, one_in(8) ? rn(9) : ESF_SALT_LEN);
	if (one_in(4))
		esf_put_u8(m, ESF_A_TAG_LEN, (uint8_t)(one_in(2) ? 16 : rn(70)));
	if (one_in(4))
		esf_put_u8(m, ESF_A_DIRECTION, (uint8_t)rn(5));
	if (one_in(4))
		esf_put_u8(m, ESF_A_DATA_CLASS, (uint8_t)rn(5));
	if (one_in(4))
		esf_put_u8(m, ESF_A_SESSION_TYPE, (uint8_t)rn(5));
	if (one_in(3))
		esf_put_u32(m, ESF_A_REPLAY_WINDOW, one_in(3) ? rlen(4096, ESF_REPLAY_WINDOW_MAX) : 64);
	if (one_in(4))
		esf_put_u64(m, ESF_A_SEQ_START, one_in(2) ? UINT64_MAX - rn(4) : r64());
	if (one_in(3)) {
		rbytes(kid, sizeof(kid));
		esf_put(m, ESF_A_KEY_ID, kid, rn(ESF_KEY_ID_MAX + 4));
	}
	if (one_in(4))
		put_lifetime_fuzz(m, ESF_A_LIFETIME_SOFT);
	if (one_in(4))
		put_lifetime_fuzz(m, ESF_A_LIFETIME_HARD);
	if (one_in(5))
		esf_put_u32(m, ESF_A_OWNER_UID, one_in(2) ? 65534 : (uint32_t)r64());
	if (one_in(6))
		esf_put_u32(m, ESF_A_OWNER_GID, one_in(2) ? 65534 : (uint32_t)r64());
	if (one_in(6))
		esf_put_u32(m, ESF_A_FLAGS, (uint32_t)rn(4));
	if (one_in(5))
		esf_put_u8(m, ESF_A_NONCE_POLICY, (uint8_t)rn(4));
	if (one_in(6))
		esf_put_u8(m, ESF_A_CEK_LEN, (uint8_t)(one_in(2) ? 16 : rn(40)));
	if (one_in(6))
		esf_put_u8(m, ESF_A_FRAMING, (uint8_t)rn(4));
	if (one_in(8))
		esf_put_str(m, ESF_A_DRIVER, drivers[rn(sizeof(drivers) / sizeof(drivers[0]))]);
	if (one_in(10))
		esf_put_u32(m, ESF_A_SESSION_ID, some_id());
	if (one_in(15))	/* an out-only attribute */
		esf_put_u32(m, (uint16_t)(ESF_A_PROVIDER + rn(12)), 0);
}

/* Any command, random attributes; nests of random attributes. */
static void gen_random(struct esf_msg *m)
{
	int i, k = (int)rn(8);
	uint8_t buf[300];

	esf_msg_init(m, nl.family, 0, (uint8_t)rn(ESF_CMD_MAX + 3));
	for (i = 0; i < k && m->nlh.nlmsg_len < 6000; i++) {
		uint16_t t = (uint16_t)rn(ESF_A_MAX + 3);

		if (one_in(12))
			t |= NLA_F_NESTED;
		if (one_in(30))
			t |= NLA_F_NET_BYTEORDER;
		if (one_in(3)) {
			struct nlattr *n = esf_nest_start(m, t | (one_in(2) ? NLA_F_NESTED : 0));
			int j, kk = (int)rn(4);

			for (j = 0; j < kk; j++) {
				rbytes(buf, 8);
				esf_put(m, (uint16_t)rn(8), buf, rn(9));
			}
			esf_nest_end(m, n);
		} else {
			rbytes(buf, sizeof(buf));
			esf_put(m, t, buf, one_in(10) ? rn(sizeof(buf)) : rn(9));
		}
	}
	if (m->nlh.nlmsg_len < 6000 && ((struct genlmsghdr *)NLMSG_DATA(&m->nlh))->cmd ==
	    ESF_CMD_SESSION_BENCH && one_in(2)) {
		struct nlattr *n;

		esf_put_u32(m, ESF_A_SESSION_ID, some_id());
		n = esf_nest_start(m, ESF_A_BENCH);
		esf_put_u32(m, ESF_BENCH_A_SIZE, rlen(2048, ESF_MAX_DATA));
		/* Valid iteration counts stay small: the loop is the kernel's. */
		esf_put_u32(m, ESF_BENCH_A_ITERATIONS, one_in(4) ? 0 : 1 + rn(16));
		if (one_in(2))
			esf_put_u32(m, ESF_BENCH_A_AAD_LEN, rlen(64, ESF_MAX_AAD));
		esf_nest_end(m, n);
	}
}

/* Bend a message's bytes after the netlink header. */
static void mutate(struct esf_msg *m)
{
	uint32_t len = m->nlh.nlmsg_len, i, k = 1 + rn(6);

	for (i = 0; i < k; i++) {
		uint32_t at = NLMSG_HDRLEN + rn(len > NLMSG_HDRLEN ? len - NLMSG_HDRLEN : 1);

		switch (rn(4)) {
		case 0:
			m->buf[at] ^= (uint8_t)(1u << rn(8));
			break;
		case 1:
			m->buf[at] = (uint8_t)r64();
			break;
		case 2:	/* an attribute length */
			if (at + 1 < sizeof(m->buf))
				*(uint16_t *)&m->buf[at & ~3u] = (uint16_t)rn(len + 8);
			break;
		default:
			break;
		}
	}
	switch (rn(6)) {
	case 0:	/* truncated */
		m->nlh.nlmsg_len = NLMSG_HDRLEN + rn(len - NLMSG_HDRLEN + 1);
		break;
	case 1:	/* trailing bytes */
		if (len + 16 < sizeof(m->buf)) {
			rbytes(m->buf + len, 16);
			m->nlh.nlmsg_len = len + rn(17);
		}
		break;
	case 2:	/* the genl header's version and reserved bytes */
		((struct genlmsghdr *)NLMSG_DATA(&m->nlh))->version = (uint8_t)r64();
		((struct genlmsghdr *)NLMSG_DATA(&m->nlh))->reserved = (uint16_t)r64();
		break;
	default:
		break;
	}
}

/*
 * Send one request and read until its answer: an ack or error, or a dump's
 * end. @how: 0 whole, 1 in small reads, 2 abandon (the caller closes).
 * Returns the ack's error, 0, or -ETIME when no answer came.
 */
static int nl_exchange(int fd, struct esf_msg *m, uint32_t seq, int how)
{
	static uint8_t buf[ESF_NL_BUF];
	/*
	 * A request must be answered (the oracle: 20 s). One whose mangled
	 * flags ask for no ack may go unanswered when it succeeds; its answer,
	 * if any, is made while send() runs (genl handles requests in the
	 * sender's context), so a second is plenty. Waiting the full 20 s for
	 * it was most of the genl part's budget whenever it happened.
	 */
	bool must = (m->nlh.nlmsg_flags & (NLM_F_REQUEST | NLM_F_ACK)) ==
		    (NLM_F_REQUEST | NLM_F_ACK);
	int err = -ETIME;

	m->nlh.nlmsg_seq = seq;
	if (send(fd, m->buf, m->nlh.nlmsg_len, 0) < 0)
		return -errno;
	if (how == 2)
		return 0;
	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		struct nlmsghdr *h;
		ssize_t n;

		if (poll(&p, 1, must ? 20000 : 1000) <= 0)
			return -ETIME;
		n = recv(fd, buf, how == 1 ? 64 + rn(256) : sizeof(buf), MSG_DONTWAIT);
		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				continue;
			return -errno;
		}
		if (how == 1) {
			/* A short read loses the rest of that datagram: done. */
			return 0;
		}
		for (h = (struct nlmsghdr *)buf; NLMSG_OK(h, (size_t)n); h = NLMSG_NEXT(h, n)) {
			if (h->nlmsg_seq != seq)
				continue;
			if (h->nlmsg_type == NLMSG_ERROR)
				return ((struct nlmsgerr *)NLMSG_DATA(h))->error;
			if (h->nlmsg_type == NLMSG_DONE)
				return 0;
			if (h->nlmsg_type == nl.family && !(h->nlmsg_flags & NLM_F_MULTI) &&
			    ((struct genlmsghdr *)NLMSG_DATA(h))->cmd == ESF_CMD_SESSION_NEW) {
				const struct nlattr *tb[ESF_A_MAX + 1];

				esf_parse(h, tb, ESF_A_MAX);
				if (tb[ESF_A_SESSION_ID])
					remember(esf_get_u32(tb[ESF_A_SESSION_ID]));
			}
		}
		(void)err;
	}
}

static int genl_one(struct stats *st)
{
	static struct esf_msg m;
	static uint32_t seq = 1;
	int how = 0, rc, fd = nl.fd;

	switch (rn(8)) {
	case 0: case 1: case 2:
		gen_new(&m);
		break;
	case 3: case 4:
		gen_random(&m);
		break;
	case 5:	/* a dump */
		esf_msg_init(&m, nl.family, NLM_F_DUMP, ESF_CMD_SESSION_GET);
		if (one_in(4))
			esf_put_u32(&m, ESF_A_SESSION_ID, some_id());
		how = (int)rn(3);
		break;
	case 6:
		esf_msg_init(&m, nl.family, 0, (uint8_t)(ESF_CMD_SESSION_DEL + rn(3)));
		esf_put_u32(&m, ESF_A_SESSION_ID, some_id());
		break;
	default:
		gen_new(&m);
		mutate(&m);
		break;
	}
	m.nlh.nlmsg_flags |= NLM_F_ACK;
	if (one_in(8))
		m.nlh.nlmsg_flags ^= (uint16_t)(1u << rn(16));
	if (how == 1 || how == 2) {
		fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_GENERIC);
		if (fd < 0)
			return -errno;
	}
	rc = nl_exchange(fd, &m, ++seq, how);
	if (fd != nl.fd)
		close(fd);
	count(st, rc);
	/* Only a flag-mangled request may go unanswered (no NLM_F_REQUEST). */
	if (rc == -ETIME && (m.nlh.nlmsg_flags & NLM_F_REQUEST) && (m.nlh.nlmsg_flags & NLM_F_ACK)) {
		ksft_print_msg("genl: no answer to cmd %u, flags %#x, %u bytes\n",
			       ((struct genlmsghdr *)NLMSG_DATA(&m.nlh))->cmd, m.nlh.nlmsg_flags,
			       m.nlh.nlmsg_len);
		return -1;
	}
	return 0;
}

/* --- the socket ------------------------------------------------------------- */

static int tfms[8], ops[8];	/* bound and operation sockets (-1: none) */
static uint8_t rbuf[ESF_MAX_RECORD + 4096];
static uint8_t *sealed[8];	/* records some session sealed, to bend and open */
static uint32_t sealed_len[8];

static int sock_bind_any(void)
{
	struct sockaddr_alg sa = { .salg_family = AF_ALG };
	int fd = socket(AF_ALG, SOCK_SEQPACKET | SOCK_CLOEXEC, 0), rc;

	if (fd < 0)
		return -errno;
	snprintf((char *)sa.salg_type, sizeof(sa.salg_type), "%s",
		 one_in(20) ? "aead" : ESF_ALG_TYPE);
	switch (rn(6)) {
	case 0:
		rbytes(sa.salg_name, sizeof(sa.salg_name));
		break;
	case 1:
		snprintf((char *)sa.salg_name, sizeof(sa.salg_name), "-%u", some_id());
		break;
	case 2:
		snprintf((char *)sa.salg_name, sizeof(sa.salg_name), "%u%c", some_id(),
			 (char)('0' + rn(60)));
		break;
	default:
		snprintf((char *)sa.salg_name, sizeof(sa.salg_name), "%u", some_id());
		break;
	}
	rc = bind(fd, (struct sockaddr *)&sa, sizeof(sa));
	if (rc) {
		rc = -errno;
		close(fd);
		return rc;
	}
	return fd;
}

static void slot_replace(int *arr, int fd)
{
	int k = (int)rn(8);

	if (arr[k] >= 0)
		close(arr[k]);
	arr[k] = fd;
}

/* A record stream: n records with bent headers and bodies. */
static size_t gen_records(uint8_t *buf, size_t cap, uint32_t *nrec)
{
	size_t used = 0;
	uint32_t n = one_in(20) ? ESF_MAX_BATCH + rn(8) : 1 + rn(8), k;

	for (k = 0; k < n; k++) {
		struct esf_rec h = { 0 };
		uint32_t body;

		h.op = (uint8_t)(one_in(10) ? r64() : 1 + rn(4));
		if (one_in(10))
			h.data_class = (uint8_t)rn(5);
		if (one_in(10))
			h.session_type = (uint8_t)rn(5);
		if (one_in(20))
			h.flags = (uint8_t)r64();
		if (one_in(20))
			h.reserved = (uint32_t)r64();
		h.aad_len = one_in(6) ? rlen(64, ESF_MAX_AAD) : rn(16);
		h.data_len = one_in(6) ? rlen(4096, ESF_MAX_DATA) : rn(300);
		if (h.op == ESF_OP_OPEN && one_in(2)) {
			int s = (int)rn(8);

			if (sealed[s]) {
				h.aad_len = 0;
				h.data_len = sealed_len[s];
			}
		}
		body = h.aad_len + h.data_len;
		if (h.aad_len > ESF_MAX_AAD || h.data_len > ESF_MAX_RECORD)
			body = rn(64);	/* the header lies about the body */
		if (used + sizeof(h) + body > cap)
			break;
		memcpy(buf + used, &h, sizeof(h));
		used += sizeof(h);
		if (h.op == ESF_OP_OPEN && sealed[k & 7] && h.data_len == sealed_len[k & 7] &&
		    body == h.data_len) {
			memcpy(buf + used, sealed[k & 7], body);
			if (one_in(2))
				buf[used + rn(body)] ^= 1;
		} else {
			rbytes(buf + used, body < 512 ? body : 512);
		}
		used += body;
	}
	if (one_in(10) && used)
		used -= 1 + rn((uint32_t)used);	/* cut short */
	*nrec = k;
	return used;
}

static struct esf_output outtab[ESF_MAX_BATCH + 16];
static uint8_t *outbuf;		/* 1 MiB read-write */

/* ESF_CMSG_OUTPUT's table, in one of many shapes. */
static void gen_table(struct esf_output_table *t, uint32_t nrec, const uint8_t *input)
{
	uint32_t k, n = nrec > ESF_MAX_BATCH + 16 ? ESF_MAX_BATCH + 16 : nrec;
	int shape = (int)rn(8);

	t->outputs = (uintptr_t)outtab;
	t->count = one_in(10) ? rn(n + 2) : nrec;
	t->flags = one_in(20) ? (uint32_t)r64() : 0;
	for (k = 0; k < n; k++) {
		uint8_t *a = outbuf + (k * 4096) % (1u << 20);

		switch (shape) {
		case 0:
			a = hole;
			break;
		case 1:
			a = ro_page;
			break;
		case 2:
			a = outbuf;	/* all overlapping */
			break;
		case 3:
			a = (uint8_t *)input;	/* over the input itself */
			break;
		case 4:
			a = outbuf + (1u << 20) - rn(64);	/* running off the end */
			break;
		default:
			break;
		}
		outtab[k] = (struct esf_output){
			.addr = (uintptr_t)a + (one_in(4) ? rn(page) : 0),
			.size = one_in(6) ? rn(128) : 70000,
			.reserved = one_in(30) ? 1 : 0,
		};
	}
	if (shape == 5)
		t->outputs = (uintptr_t)hole;
	if (shape == 6)
		t->outputs = (uintptr_t)ro_page;
}

static int sock_send(int fd, struct stats *st)
{
	static uint8_t stream[1 << 18];
	union {
		char buf[CMSG_SPACE(sizeof(struct esf_output_table)) + CMSG_SPACE(16)];
		struct cmsghdr align;
	} ctl;
	uint32_t nrec;
	size_t len = gen_records(stream, sizeof(stream), &nrec), off = 0;
	int pieces = one_in(3) ? 1 + (int)rn(4) : 1, i, rc = 0;

	for (i = 0; i < pieces; i++) {
		size_t part = i == pieces - 1 ? len - off : rn((uint32_t)(len - off + 1));
		struct iovec iov = { stream + off, part };
		struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
		int flags = i < pieces - 1 || one_in(10) ? MSG_MORE : 0;
		ssize_t n;

		if (one_in(8))
			flags |= MSG_DONTWAIT;
		if (i == pieces - 1 && one_in(3)) {
			struct esf_output_table t;
			struct cmsghdr *c;

			memset(&ctl, 0, sizeof(ctl));
			msg.msg_control = ctl.buf;
			msg.msg_controllen = CMSG_SPACE(sizeof(t));
			c = CMSG_FIRSTHDR(&msg);
			c->cmsg_level = one_in(10) ? SOL_SOCKET : SOL_ALG;
			c->cmsg_type = one_in(10) ? (int)rn(200) : ESF_CMSG_OUTPUT;
			c->cmsg_len = one_in(10) ? CMSG_LEN(rn(sizeof(t))) : CMSG_LEN(sizeof(t));
			gen_table(&t, nrec, stream);
			memcpy(CMSG_DATA(c), &t, sizeof(t));
			if (one_in(8)) {	/* a second control message */
				struct cmsghdr *c2;

				msg.msg_controllen = sizeof(ctl.buf);
				c2 = CMSG_NXTHDR(&msg, c);
				if (c2) {
					c2->cmsg_level = SOL_ALG;
					c2->cmsg_type = (int)rn(4);
					c2->cmsg_len = CMSG_LEN(16);
				}
			}
		}
		watch(60);
		n = sendmsg(fd, &msg, flags);
		watch(0);
		rc = n < 0 ? -errno : 0;
		count(st, rc);
		if (rc)
			break;
		off += part;
	}
	return rc;
}

static int sock_recv(int fd, struct stats *st)
{
	size_t len = one_in(4) ? rn(64) : one_in(2) ? rn(8192) : sizeof(rbuf);
	int flags = one_in(2) ? MSG_DONTWAIT : 0;
	ssize_t n;

	if (one_in(10))
		flags |= MSG_TRUNC;
	if (one_in(20))
		flags |= MSG_PEEK;
	if (!(flags & MSG_DONTWAIT)) {
		/* Blocking reads wait for a batch; only read when one is due. */
		struct pollfd p = { .fd = fd, .events = POLLIN };

		if (poll(&p, 1, 0) != 1)
			flags |= MSG_DONTWAIT;
	}
	watch(60);
	n = recv(fd, one_in(30) ? (void *)hole : (void *)rbuf, len, flags);
	watch(0);
	count(st, n < 0 ? -errno : n);
	return 0;
}

/* Seal a record on a fresh gcm(aes) session to feed OPENs. */
static void refill_sealed(void)
{
	struct esf_fp fp;
	struct sess o = { .alg = "gcm(aes)", .key_len = 16 };
	uint8_t key[16] = { 1 }, data[200];
	uint32_t id, len;
	int s = (int)rn(8);

	o.key = key;
	if (sess_add(&nl, &o, &id))
		return;
	remember(id);
	esf_fp_front = ESF_FP_SOCKET;
	if (esf_fp_open(&fp, id))
		return;
	rbytes(data, sizeof(data));
	free(sealed[s]);
	sealed[s] = malloc(sizeof(data) + 64);
	if (sealed[s] && !esf_fp_one(fp.op, &fp.info, ESF_OP_SEAL, NULL, 0, data, rn(200),
				     sealed[s], &len, NULL))
		sealed_len[s] = len;
	else
		sealed_len[s] = 0;
	/* Keep the op socket: a session with live sockets, for deletions. */
	slot_replace(tfms, fp.tfm);
	slot_replace(ops, fp.op);
}

static int socket_one(struct stats *st)
{
	int k = (int)rn(8), fd, rc;
	struct esf_session_info info;
	socklen_t len;

	switch (rn(12)) {
	case 0:
		fd = sock_bind_any();
		count(st, fd);
		if (fd >= 0)
			slot_replace(tfms, fd);
		return 0;
	case 1:
		if (tfms[k] < 0)
			return 0;
		fd = accept4(tfms[k], NULL, NULL, SOCK_CLOEXEC | (one_in(4) ? SOCK_NONBLOCK : 0));
		count(st, fd < 0 ? -errno : fd);
		if (fd >= 0)
			slot_replace(ops, fd);
		return 0;
	case 2:
		if (ops[k] < 0)
			return 0;
		len = one_in(3) ? rn(sizeof(info) + 8) : sizeof(info);
		rc = getsockopt(ops[k], SOL_ALG, one_in(4) ? (int)rn(200) : ESF_SO_SESSION_INFO,
				one_in(20) ? (void *)hole : (void *)&info, &len);
		count(st, rc ? -errno : 0);
		return 0;
	case 3:
		fd = one_in(2) ? tfms[k] : ops[k];
		if (fd < 0)
			return 0;
		rbytes(rbuf, 64);
		rc = setsockopt(fd, SOL_ALG, (int)rn(8), rbuf, rn(64));
		count(st, rc ? -errno : 0);
		return 0;
	case 4:
		refill_sealed();
		return 0;
	case 5:
		if (ops[k] >= 0) {
			close(ops[k]);
			ops[k] = -1;
		}
		return 0;
	case 6: case 7:
		return ops[k] >= 0 ? sock_recv(ops[k], st) : 0;
	default:
		if (ops[k] >= 0)
			sock_send(ops[k], st);
		return 0;
	}
}

/* --- the device --------------------------------------------------------------- */

struct dh {
	int fd;
	uint8_t *base;		/* the registered region, as mapped here */
	size_t len;
	bool ro;		/* mapped read-only: never written from here */
	uint32_t sq_entries, cq_off, cq_entries;
};

static struct dh dhs[4] = { { .fd = -1 }, { .fd = -1 }, { .fd = -1 }, { .fd = -1 } };

static void dh_close(struct dh *d)
{
	if (d->fd >= 0)
		close(d->fd);
	if (d->base)
		munmap(d->base, d->len);
	memset(d, 0, sizeof(*d));
	d->fd = -1;
}

static int dev_register(struct dh *d, struct stats *st)
{
	struct esf_dev_region r = { 0 };
	size_t len = page * (1 + rn(64));
	bool ro = one_in(10);
	uint8_t *base;
	int rc;

	base = mmap(NULL, len, ro ? PROT_READ : PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (base == MAP_FAILED)
		return 0;
	r.addr = (uintptr_t)base;
	r.len = len;
	switch (rn(10)) {
	case 0:
		r.addr = (uintptr_t)hole;
		break;
	case 1:
		r.addr += 1 + rn(64);	/* unaligned */
		break;
	case 2:
		r.len = one_in(2) ? ESF_DEV_REGION_MAX + page : len + page * (1 + rn(4));
		break;
	case 3:
		r.len = rn(2) ? 0 : rn((uint32_t)len);
		break;
	default:
		break;
	}
	r.sq_entries = one_in(8) ? (uint32_t)r64() : 1 + rn(64);
	r.sq_off = one_in(8) ? (uint32_t)r64() : 0;
	r.cq_entries = one_in(8) ? rn(100) : 1u << rn(6);
	r.cq_off = one_in(6) ? rn((uint32_t)len) :
		(uint32_t)((r.sq_entries * sizeof(struct esf_dev_rec) + 63) & ~63u);
	if (one_in(20))
		r.flags = (uint32_t)r64();
	if (one_in(20))
		r.reserved = (uint32_t)r64();
	rc = ioctl(d->fd, ESF_DEV_REGISTER, &r) ? -errno : 0;
	count(st, rc);
	if (rc) {
		munmap(base, len);
		return 0;
	}
	/* The kernel pins for writing: a read-only mapping must not register. */
	if (ro && r.addr == (uintptr_t)base) {
		fprintf(stderr, "# a read-only region was registered\n");
		exit(1);
	}
	if (d->base)
		munmap(d->base, d->len);	/* the old region's pages: still pinned? */
	d->base = base;
	d->len = len;
	d->ro = ro;
	d->sq_entries = r.sq_entries;
	d->cq_off = r.cq_off;
	d->cq_entries = r.cq_entries;
	if (one_in(10)) {	/* unmapped while registered */
		munmap(d->base, d->len);
		d->base = NULL;
	}
	return 0;
}

/*
 * AGGREGATE's input: an array of descriptors in the region's data half,
 * their slots, AADs and records mostly in range, sometimes not.
 */
static void fuzz_agg_inputs(uint8_t *base, uint32_t len, struct esf_dev_rec *e)
{
	uint32_t data = len / 2, n = one_in(10) ? rn(ESF_AGG_MAX + 4) : 1 + rn(8), j;
	struct esf_dev_agg_in in;

	e->in_off = data + rn(len / 4);
	e->in_len = one_in(10) ? rn(4096) : n * (uint32_t)sizeof(in);
	for (j = 0; j < n && e->in_off + (j + 1) * sizeof(in) <= len; j++) {
		in = (struct esf_dev_agg_in){
			.slot = (uint16_t)(one_in(10) ? r64() : rn(4)),
			.flags = (uint16_t)(one_in(20) ? r64() : 0),
			.aad_off = data + rn(len / 4), .aad_len = rn(32),
			.in_off = data + rn(len / 4), .in_len = rn(600),
		};
		if (one_in(10))
			in.in_len = rlen(4096, ESF_MAX_RECORD);
		memcpy(base + e->in_off + j * sizeof(in), &in, sizeof(in));
	}
}

static int dev_submit(struct dh *d, struct stats *st)
{
	struct esf_dev_submit s = { 0 };
	uint32_t k, n, room;
	int rc;

	if (d->base && !d->ro && d->sq_entries && d->sq_entries <= 4096 &&
	    d->sq_entries * sizeof(struct esf_dev_rec) <= d->len) {
		struct esf_dev_rec *t = (struct esf_dev_rec *)d->base;
		uint32_t len = (uint32_t)d->len;

		room = d->sq_entries;
		for (k = 0; k < room; k++) {
			uint32_t data = len / 2;

			t[k] = (struct esf_dev_rec){
				.op = (uint8_t)(one_in(10) ? r64() : 1 + rn(6)),
				.aad_off = data + rn(len / 4), .aad_len = rn(32),
				.in_off = data + rn(len / 4), .in_len = rn(600),
				.out_off = data + rn(len / 2), .out_size = rn(1200),
			};
			if (one_in(10))
				t[k].out_off = one_in(2) ? (uint32_t)r64() : t[k].in_off;
			if (one_in(10))
				t[k].in_len = rlen(4096, ESF_MAX_RECORD);
			if (one_in(20))
				t[k].flags = (uint8_t)r64();
			/* RESEAL's second AAD; on other operations, refused. */
			if (one_in(4))
				t[k].aad2_len = rn(32);
			else if (one_in(20))
				t[k].aad2_len = (uint32_t)r64();
			if (one_in(10))
				t[k].out_off = d->cq_off;	/* over the ring */
			if (t[k].op == ESF_OP_AGGREGATE)
				fuzz_agg_inputs(d->base, len, &t[k]);
		}
		n = 1 + rn(room);
		s.first = one_in(8) ? (uint32_t)r64() : rn(room - n + 1);
		s.count = one_in(8) ? rn(ESF_MAX_BATCH + 8) : n;
	} else {
		s.first = rn(8);
		s.count = rn(8);
	}
	s.flags = one_in(2) ? ESF_DEV_SUBMIT_WAIT : one_in(10) ? (uint32_t)r64() : 0;
	if (one_in(20))
		s.reserved = 1;
	s.user_data = r64();
	watch(60);
	rc = ioctl(d->fd, ESF_DEV_SUBMIT, &s) ? -errno : 0;
	watch(0);
	count(st, rc);
	/* Take what the ring holds, as a consumer would. */
	if (d->base && !d->ro && d->cq_entries &&
	    d->cq_off + sizeof(struct esf_dev_cq) <= d->len) {
		struct esf_dev_cq *cq = (struct esf_dev_cq *)(d->base + d->cq_off);

		__atomic_store_n(&cq->head, __atomic_load_n(&cq->tail, __ATOMIC_ACQUIRE),
				 __ATOMIC_RELEASE);
	}
	return 0;
}

static int device_one(struct stats *st)
{
	struct dh *d = &dhs[rn(4)];
	struct esf_dev_bind b = { 0 };
	struct esf_session_info info;
	int rc;

	if (d->fd < 0) {
		d->fd = open("/dev/" ESF_DEV_NAME, O_RDWR | O_CLOEXEC |
			     (one_in(4) ? O_NONBLOCK : 0));
		count(st, d->fd < 0 ? -errno : 0);
		/* The device is there: root must be able to open it. */
		if (d->fd < 0)
			return geteuid() ? 0 : -1;
	}
	switch (rn(10)) {
	case 0: case 1:
		b.session_id = some_id();
		if (one_in(8))
			b.data_class = (uint8_t)rn(5);
		if (one_in(8))
			b.session_type = (uint8_t)rn(5);
		if (one_in(20))
			b.reserved = 1;
		/* The handle's session, its second one (re-seal), or an opening one (aggregate). */
		rc = ioctl(d->fd, one_in(3) ? ESF_DEV_BIND_RESEAL :
			   one_in(2) ? ESF_DEV_BIND_AGGREGATE : ESF_DEV_BIND,
			   one_in(30) ? (void *)hole : (void *)&b);
		count(st, rc ? -errno : 0);
		return 0;
	case 2: case 3:
		return dev_register(d, st);
	case 4:
		rc = ioctl(d->fd, ESF_DEV_UNREGISTER);
		count(st, rc ? -errno : 0);
		return 0;
	case 5:
		rc = ioctl(d->fd, ESF_DEV_INFO, one_in(10) ? (void *)ro_page : (void *)&info);
		count(st, rc ? -errno : 0);
		return 0;
	case 6:	/* unknown or mis-sized commands */
		rc = ioctl(d->fd, _IOC(rn(4), one_in(2) ? ESF_DEV_IOC_MAGIC : rn(256), rn(12),
				       rn(64)), rbuf);
		count(st, rc ? -errno : 0);
		return 0;
	case 7: {
		struct pollfd p = { .fd = d->fd, .events = POLLIN | POLLOUT };

		count(st, poll(&p, 1, 0));
		if (one_in(4))
			count(st, read(d->fd, rbuf, 64));
		return 0;
	}
	case 8:
		if (one_in(3))
			dh_close(d);
		return 0;
	default:
		return dev_submit(d, st);
	}
}

/* Any target's input, interleaved with the others' left-overs. */
static int mixed_one(struct stats *st)
{
	switch (rn(3)) {
	case 0:
		return genl_one(st);
	case 1:
		return socket_one(st);
	default:
		return device_one(st);
	}
}

/* --- oracles ------------------------------------------------------------------- */

/* A fresh session seals and opens on both front ends. */
static int still_works(void)
{
	uint8_t key[16], data[100], rec[200], out[100];
	struct sess o = { .alg = "gcm(aes)", .key = key, .key_len = 16 };
	struct esf_fp fp;
	uint32_t id, len;
	int front, err;

	rbytes(key, sizeof(key));
	rbytes(data, sizeof(data));
	err = sess_add(&nl, &o, &id);
	if (err) {
		ksft_print_msg("oracle: SESSION_NEW: %s\n", strerror(-err));
		return err;
	}
	for (front = ESF_FP_SOCKET; front <= ESF_FP_DEVICE; front++) {
		esf_fp_front = front;
		err = esf_fp_open(&fp, id);
		if (!err)
			err = esf_fp_one(fp.op, &fp.info, ESF_OP_SEAL, NULL, 0, data, 100, rec,
					 &len, NULL);
		if (!err)
			err = esf_fp_one(fp.op, &fp.info, ESF_OP_OPEN, NULL, 0, rec, len, out,
					 NULL, NULL);
		if (!err && memcmp(out, data, sizeof(data)))
			err = -EBADMSG;
		if (fp.tfm >= 0 || fp.op >= 0)
			esf_fp_close(&fp);
		if (err) {
			ksft_print_msg("oracle: %s front end: %s\n", esf_fp_front_name[front],
				       strerror(-err));
			break;
		}
	}
	esf_fp_front = ESF_FP_SOCKET;
	sess_del(&nl, id);
	return err;
}

/* --- drivers --------------------------------------------------------------------- */

static double budget;		/* seconds per target */
static uint64_t seed;

static int run_target(const char *name, int (*one)(struct stats *), struct stats *st)
{
	double t0 = now(), end = t0 + budget;
	uint64_t rounds = 0;

	rs = seed ^ (uint64_t)(uintptr_t)name[0] << 32 ^ 0x9e3779b97f4a7c15ULL;
	while (now() < end) {
		int i;

		/*
		 * The budget ends rounds too: under a loaded host's TCG a
		 * round of 200 inputs takes seconds, and six parts finishing
		 * their last one made 30 s last twice as long. The check
		 * below still follows the last inputs.
		 */
		for (i = 0; i < 200 && (i % 10 || now() < end); i++) {
			if (one(st)) {
				ksft_print_msg("%s: failed after %llu inputs\n", name,
					       (unsigned long long)st->inputs);
				return -1;
			}
			if (hung) {
				ksft_print_msg("%s: a call blocked for 60 s\n", name);
				return -1;
			}
		}
		rounds++;
		if (still_works())
			return -1;
		if (rounds % 5 == 0)
			sess_flush(&nl);
	}
	ksft_print_msg("%s: %llu inputs (%llu accepted, %llu refused) in %.1f s, seed %llu\n",
		       name, (unsigned long long)st->inputs, (unsigned long long)st->ok,
		       (unsigned long long)st->errors, now() - t0, (unsigned long long)seed);
	return 0;
}

/* Concurrency: threads share one operation socket and one device handle. */
static volatile int stop;
static int shared_op = -1;
static struct dh shared_dh = { .fd = -1 };
static uint64_t conc_inputs[4];

static void *conc_thread(void *arg)
{
	long t = (long)arg;
	struct stats st = { 0 };

	rs = seed + (uint64_t)t * 7919 + 1;
	while (!stop) {
		switch (t) {
		case 0: case 1:
			if (one_in(2))
				sock_send(shared_op, &st);
			else
				sock_recv(shared_op, &st);
			break;
		case 2:
			if (one_in(3))
				dev_submit(&shared_dh, &st);
			else
				sock_send(shared_op, &st);
			break;
		default:
			/* Sessions go and come under the others' feet. */
			if (one_in(3))
				sess_flush(&nl);
			else
				refill_sealed();
			st.inputs++;
			usleep(2000);
			break;
		}
	}
	conc_inputs[t] = st.inputs;
	return NULL;
}

static int concurrency(struct stats *st)
{
	double t0 = now(), end = t0 + budget;
	pthread_t th[4];
	long t;
	int forks = 0, status, bad = 0;

	rs = seed ^ 0xc0ffee;
	while (now() < end && !bad) {
		uint8_t key[16] = { 7 };
		struct sess o = { .alg = "gcm(aes)", .key = key, .key_len = 16 };
		struct esf_fp fp;
		uint32_t id;
		pid_t pid;

		if (sess_add(&nl, &o, &id))
			return -1;
		esf_fp_front = ESF_FP_SOCKET;
		if (esf_fp_open(&fp, id))
			return -1;
		shared_op = fp.op;
		shared_dh.fd = esf_fp_dev_bind(id);
		if (shared_dh.fd >= 0)
			dev_register(&shared_dh, st);
		stop = 0;
		for (t = 0; t < 4; t++)
			pthread_create(&th[t], NULL, conc_thread, (void *)t);
		/* A child with the same descriptors, using them and exiting. */
		pid = fork();
		if (pid == 0) {
			struct stats cs = { 0 };
			int i;

			rs = seed ^ (uint64_t)forks;
			for (i = 0; i < 50; i++) {
				sock_send(shared_op, &cs);
				dev_submit(&shared_dh, &cs);
			}
			_exit(0);
		}
		usleep(300000);
		if (pid > 0) {
			waitpid(pid, &status, 0);
			forks++;
			if (!WIFEXITED(status)) {
				ksft_print_msg("concurrency: forked child died: status %#x\n", status);
				bad = 1;
			}
		}
		stop = 1;
		for (t = 0; t < 4; t++) {
			pthread_join(th[t], NULL);
			st->inputs += conc_inputs[t];
		}
		esf_fp_close(&fp);
		dh_close(&shared_dh);
		if (still_works())
			return -1;
	}
	ksft_print_msg("concurrency: %llu inputs from 4 threads, %d forked children in %.1f s, seed %llu\n",
		       (unsigned long long)st->inputs, forks, now() - t0,
		       (unsigned long long)seed);
	return bad ? -1 : 0;
}

/* Unprivileged callers: every privileged command refused, the rest survives. */
static int unprivileged(struct stats *st)
{
	pid_t pid = fork();
	int status;

	if (pid < 0)
		return -1;
	if (pid == 0) {
		static const uint8_t cmds[] = { ESF_CMD_SESSION_NEW, ESF_CMD_SESSION_DEL,
						ESF_CMD_SESSION_FLUSH, ESF_CMD_SESSION_BENCH };
		double t0 = now(), end = t0 + budget;
		struct stats cs = { 0 };
		uint64_t refused = 0;
		struct esf_msg m;
		int i;

		if (setresgid(65534, 65534, 65534) || setresuid(65534, 65534, 65534))
			_exit(3);
		/* A socket of its own: the parent's was opened by root. */
		esf_nl_close(&nl);
		if (esf_nl_open(&nl))
			_exit(4);
		rs = seed ^ 0xabad1dea;
		while (now() < end) {
			for (i = 0; i < 4; i++) {
				int rc;

				gen_new(&m);
				((struct genlmsghdr *)NLMSG_DATA(&m.nlh))->cmd = cmds[i];
				m.nlh.nlmsg_flags |= NLM_F_ACK;
				rc = nl_exchange(nl.fd, &m, 7 + (uint32_t)i, 0);
				cs.inputs++;
				if (rc != -EPERM) {
					fprintf(stderr, "# unprivileged: cmd %u answered %d, not -EPERM\n",
						cmds[i], rc);
					_exit(1);
				}
				refused++;
			}
			for (i = 0; i < 20; i++) {
				genl_one(&cs);
				socket_one(&cs);
				device_one(&cs);
			}
		}
		printf("# unprivileged: %llu inputs as uid 65534, %llu privileged commands all refused, in %.1f s\n",
		       (unsigned long long)cs.inputs, (unsigned long long)refused, now() - t0);
		fflush(stdout);
		_exit(0);
	}
	waitpid(pid, &status, 0);
	st->inputs++;
	if (!WIFEXITED(status) || WEXITSTATUS(status)) {
		ksft_print_msg("unprivileged: child status %#x\n", status);
		return -1;
	}
	return 0;
}

static void close_all(void)
{
	int i;

	for (i = 0; i < 8; i++) {
		if (tfms[i] >= 0)
			close(tfms[i]);
		if (ops[i] >= 0)
			close(ops[i]);
		tfms[i] = ops[i] = -1;
	}
	for (i = 0; i < 4; i++)
		dh_close(&dhs[i]);
}

int main(void)
{
	const char *s = getenv("ESF_FUZZ_SEED"), *d = getenv("ESF_FUZZ_SECONDS");
	struct stats st[6] = { { 0 } };
	struct sigaction sa = { .sa_handler = on_alarm };
	double total = d ? atof(d) : 30;
	uint64_t sum = 0;
	int i, rc;

	seed = s ? strtoull(s, NULL, 0) : (uint64_t)time(NULL);
	budget = total / 6;	/* genl, socket, device, mixed, concurrency, unprivileged */
	page = (size_t)sysconf(_SC_PAGESIZE);
	sigaction(SIGALRM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	/*
	 * Line by line, as the parts end: the forked children then inherit
	 * nothing unwritten (the unprivileged one's fflush() printed the whole
	 * TAP so far a second time when stdout was a file).
	 */
	setvbuf(stdout, NULL, _IOLBF, 0);
	ksft_print_header();
	ksft_set_plan(7);
	ksft_print_msg("seed %llu, %.0f s (ESF_FUZZ_SEED, ESF_FUZZ_SECONDS)\n",
		       (unsigned long long)seed, total);

	if (esf_module_ensure_loaded() || esf_nl_open(&nl))
		ksft_exit_fail_msg("esf.ko does not load or its family is missing\n");
	sess_flush(&nl);
	ro_page = mmap(NULL, page, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	hole = mmap(NULL, page, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	outbuf = mmap(NULL, 1u << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (ro_page == MAP_FAILED || hole == MAP_FAILED || outbuf == MAP_FAILED)
		ksft_exit_fail_msg("mmap\n");
	/*
	 * The hole stays mapped PROT_NONE: every access to it faults, and no
	 * later mmap() can take its address. Unmapped, a device region of one
	 * page landed there; a REGISTER aimed at the hole then pinned that
	 * region, while the table was written through a read-only one
	 * (make fuzz DURATION=1200 SEED=20261203: SIGSEGV in dev_submit()).
	 */
	for (i = 0; i < 8; i++)
		tfms[i] = ops[i] = -1;

	ksft_test_result(run_target("genl", genl_one, &st[0]) == 0,
			 "genl: random and mutated requests, dumps, every command\n");
	for (i = 0; i < 3; i++)
		refill_sealed();
	ksft_test_result(run_target("socket", socket_one, &st[1]) == 0,
			 "socket: record streams, MSG_MORE, control messages, output tables\n");
	ksft_test_result(run_target("device", device_one, &st[2]) == 0,
			 "device: bind, regions, tables, offsets, unknown ioctls\n");
	ksft_test_result(run_target("mixed", mixed_one, &st[3]) == 0,
			 "everything after everything: sessions, sockets and handles left over\n");
	close_all();
	ksft_test_result(concurrency(&st[4]) == 0,
			 "concurrency: shared socket and handle, sessions deleted under them, fork\n");
	ksft_test_result(unprivileged(&st[5]) == 0,
			 "unprivileged: privileged commands refused, the rest survives\n");

	close_all();	/* the concurrent part opened more */
	for (i = 0; i < 6; i++)
		sum += st[i].inputs;
	sess_flush(&nl);
	esf_nl_close(&nl);
	/* Sockets are released after close() returns (RCU, work): give them 10 s. */
	for (i = 0; i < 100 && (rc = esf_module_unload()); i++)
		usleep(100000);
	if (rc) {
		char ref[32] = "?";

		esf_sysfs_read("/sys/module/esf/refcnt", ref, sizeof(ref));
		ksft_print_msg("rmmod esf: %s (refcnt %s)\n", strerror(errno), ref);
	}
	ksft_print_msg("total: %llu inputs, seed %llu\n", (unsigned long long)sum,
		       (unsigned long long)seed);
	ksft_test_result(rc == 0, "esf.ko unloads after the fuzzing (nothing holds it)\n");
	ksft_finished();
}
