// SPDX-License-Identifier: GPL-2.0
/*
 * Fault injection into esf.ko's paths, for the debug kernel (make
 * check-debug; not run by esf-selftests, whose kernels have no fault
 * injection).
 *
 * Every operation below is swept with /proc/thread-self/fail-nth: run n
 * makes the n-th allocation the calling thread reaches fail (slab through
 * failslab, pages through fail_page_alloc), for n = 1, 2, ... until an
 * operation completes without reaching its n-th allocation. The faults are
 * thus restricted to the thread that calls into the module and to the
 * syscalls that reach it (the netlink family, the AF_ALG type, /dev/esf),
 * and every allocation point on their paths is failed in turn, not a
 * random sample. The GFP_ATOMIC allocation of an EXPIRE event made by a
 * SEAL that crosses a lifetime is among them.
 *
 * What each run must show: the operation either succeeds or fails with a
 * negative errno (a "clean error"), the module's state is what the result
 * says (a session that failed to be created does not exist, one that was
 * created works), and the same operation without a fault succeeds right
 * after. The kernel log must stay free of reports (vm-run's verdict); then
 * make check-debug unloads the module (which must succeed) and scans
 * kmemleak, so a fault path that leaks a reference or memory fails.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "esf_fp.h"
#include "esf_sess.h"
#include "esf_util.h"

/* An operation's fault points are far fewer; more means a runaway loop. */
#define MAX_POINTS 2000

static int fail_nth = -1;

static int debugfs_set(const char *file, const char *val)
{
	char path[128];

	snprintf(path, sizeof(path), "/sys/kernel/debug/%s", file);
	return esf_sysfs_write(path, val);
}

/*
 * failslab and fail_page_alloc skip GFP_KERNEL allocations and order-0
 * pages by default, and would print a stack trace per fault (which the
 * VM's verdict reads as a report): let them fail everything fail-nth
 * chooses, quietly. The probability stays 0: only fail-nth injects.
 */
static int faults_setup(void)
{
	static const char *const cfg[][2] = {
		{ "failslab/ignore-gfp-wait", "N" },
		{ "failslab/verbose", "0" },
		{ "failslab/probability", "0" },
		{ "fail_page_alloc/ignore-gfp-wait", "N" },
		{ "fail_page_alloc/ignore-gfp-highmem", "N" },
		{ "fail_page_alloc/min-order", "0" },
		{ "fail_page_alloc/verbose", "0" },
		{ "fail_page_alloc/probability", "0" },
	};
	size_t i;

	for (i = 0; i < sizeof(cfg) / sizeof(cfg[0]); i++)
		if (debugfs_set(cfg[i][0], cfg[i][1]))
			return -errno;
	if (fail_nth < 0)
		fail_nth = open("/proc/thread-self/fail-nth", O_RDWR | O_CLOEXEC);
	return fail_nth < 0 ? -errno : 0;
}

static void arm(int n)
{
	char buf[16];
	int len = snprintf(buf, sizeof(buf), "%d", n);

	if (pwrite(fail_nth, buf, (size_t)len, 0) != len)
		abort();
}

/* Disarm; whether the armed fault was injected. */
static bool disarm(void)
{
	char buf[16] = "";
	ssize_t n = pread(fail_nth, buf, sizeof(buf) - 1, 0);

	if (n <= 0)
		abort();
	arm(0);
	return atoi(buf) == 0;
}

struct ctx {
	struct esf_nl nl;
	uint8_t key[64];
	const char *alg;
	size_t key_len;
	uint32_t id, ids[8];
	struct esf_fp fp;
	uint8_t rec[256], out[256], data[64];
	uint32_t rec_len;
	/* Re-seal: the sealing session, and records sealed for each run. */
	uint32_t id2;
	uint8_t recs[4][128];
	uint32_t recs_len[4];
	struct sess o;
	bool has_fp;
};

/*
 * After a fault the netlink socket may hold what the failed exchange left:
 * a reply whose ack was lost (the socket then reports -ENOBUFS once). Take
 * it, so that the checks read their own answers.
 */
static void drain(struct esf_nl *nl)
{
	static unsigned char buf[ESF_NL_BUF];

	while (recv(nl->fd, buf, sizeof(buf), MSG_DONTWAIT) > 0 || errno == ENOBUFS)
		;
}

struct op {
	const char *name;
	int (*setup)(struct ctx *c);
	int (*run)(struct ctx *c);
	/* The state after run() returned @rc; 0 when it matches. */
	int (*check)(struct ctx *c, int rc);
	void (*cleanup)(struct ctx *c);
};

struct tally {
	int points, failed, succeeded;
	int errnos[8], counts[8];
};

static void tally_errno(struct tally *t, int rc)
{
	int i;

	for (i = 0; i < 8; i++) {
		if (t->errnos[i] == rc || !t->counts[i]) {
			t->errnos[i] = rc;
			t->counts[i]++;
			return;
		}
	}
}

/* Count of sessions in the namespace, by dump. */
static void count_cb(const struct nlmsghdr *nlh, void *arg)
{
	(void)nlh;
	(*(int *)arg)++;
}

static int sessions(struct ctx *c)
{
	struct esf_msg m;
	int n = 0, err;

	esf_msg_init(&m, c->nl.family, 0, ESF_CMD_SESSION_GET);
	err = esf_nl_dump(&c->nl, &m, count_cb, &n);
	return err ? err : n;
}

/* Sessions ------------------------------------------------------------------ */

static int new_setup(struct ctx *c)
{
	memset(&c->o, 0, sizeof(c->o));
	c->o.alg = c->alg;
	c->o.key = c->key;
	c->o.key_len = c->key_len;
	c->o.has_window = true;
	c->o.window = 4096;
	c->o.soft_msgs = 1000;
	c->o.hard_msgs = 2000;
	c->id = 0;
	return 0;
}

static int new_run(struct ctx *c)
{
	return sess_add(&c->nl, &c->o, &c->id);
}

/*
 * -ENOBUFS from recv() is the netlink socket saying it lost a message (the
 * ack or reply could not be allocated): the request itself may have been
 * done or not. Any other error is the request's own: nothing was done.
 */
static bool lost(int rc)
{
	return rc == -ENOBUFS;
}

static int new_check(struct ctx *c, int rc)
{
	int n = sessions(c);

	if (rc && lost(rc))
		return n == 0 || n == 1 ? 0 : -EIO;	/* the id went with the answer */
	if (rc)
		return n == 0 ? 0 : -EEXIST;
	if (n != 1)
		return -ENOENT;
	/* The session made under faults works (rfc4106 takes 8 bytes of AAD). */
	if (esf_fp_open(&c->fp, c->id))
		return -EIO;
	c->has_fp = true;
	if (is_mic(c->alg))
		return esf_fp_one(c->fp.op, &c->fp.info, ESF_OP_SIGN, NULL, 0, c->data, 16,
				  c->out, NULL, NULL);
	return esf_fp_one(c->fp.op, &c->fp.info, ESF_OP_SEAL, c->data, 8, c->data, 16, c->out,
			  NULL, NULL);
}

static void flush_cleanup(struct ctx *c)
{
	if (c->has_fp)
		esf_fp_close(&c->fp);
	c->has_fp = false;
	sess_flush(&c->nl);
}

static int one_session(struct ctx *c)
{
	new_setup(c);
	return sess_add(&c->nl, &c->o, &c->id);
}

static int get_run(struct ctx *c)
{
	return sess_u32(&c->nl, c->id, ESF_A_SESSION_ID) == c->id ? 0 : -EIO;
}

static int same_sessions(struct ctx *c, int want)
{
	return sessions(c) == want ? 0 : -EIO;
}

static int one_left(struct ctx *c, int rc)
{
	(void)rc;
	return same_sessions(c, 1);
}

static int some_sessions(struct ctx *c)
{
	int i, err;

	for (i = 0; i < 8; i++) {
		new_setup(c);
		err = sess_add(&c->nl, &c->o, &c->ids[i]);
		if (err)
			return err;
	}
	return 0;
}

static int dump_run(struct ctx *c)
{
	int n = sessions(c);

	return n < 0 ? n : n == 8 ? 0 : -EIO;
}

static int eight_left(struct ctx *c, int rc)
{
	(void)rc;
	return same_sessions(c, 8);
}

static int del_run(struct ctx *c)
{
	return sess_del(&c->nl, c->id);
}

static int del_check(struct ctx *c, int rc)
{
	if (lost(rc))
		return same_sessions(c, 0) && same_sessions(c, 1) ? -EIO : 0;
	return same_sessions(c, rc ? 1 : 0);
}

static int flush_run(struct ctx *c)
{
	struct esf_msg m, reply;

	esf_msg_init(&m, c->nl.family, 0, ESF_CMD_SESSION_FLUSH);
	return esf_nl_do(&c->nl, &m, &reply);
}

static int flush_check(struct ctx *c, int rc)
{
	int n = sessions(c);

	/* A flush that failed removed nothing; a lost answer, all or nothing. */
	if (lost(rc))
		return n == 0 || n == 8 ? 0 : -EIO;
	if (rc)
		return n == 8 ? 0 : -EIO;
	return n == 0 ? 0 : -EIO;
}

/* The fast path -------------------------------------------------------------- */

/*
 * The device's region, mapped and populated before the fault is armed: the
 * kernel pins the caller's pages, and faulting in ESF_FP_REGION of fresh
 * anonymous memory would make every page one more allocation of this
 * thread (thousands of fault points, none of them esf's).
 */
static uint8_t *region;

static int bind_setup(struct ctx *c)
{
	if (esf_fp_front == ESF_FP_DEVICE && !region) {
		region = mmap(NULL, ESF_FP_REGION, PROT_READ | PROT_WRITE,
			      MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
		if (region == MAP_FAILED) {
			region = NULL;
			return -ENOMEM;
		}
	}
	return one_session(c);
}

/* Socket: bind and accept. Device: open, BIND, REGISTER the region. */
static int bind_run(struct ctx *c)
{
	struct esf_dev_region reg = {
		.addr = (uintptr_t)region, .len = ESF_FP_REGION, .sq_entries = ESF_FP_TABLE,
		.cq_off = ESF_FP_CQ_OFF, .cq_entries = ESF_FP_CQ,
	};
	int fd, err;

	if (esf_fp_front == ESF_FP_SOCKET) {
		err = esf_fp_open(&c->fp, c->id);
		c->has_fp = !err;
		return err;
	}
	fd = esf_fp_dev_bind(c->id);
	if (fd < 0)
		return fd;
	err = ioctl(fd, ESF_DEV_REGISTER, &reg) ? -errno : 0;
	close(fd);	/* the region goes with the handle */
	return err;
}

static int fp_works(struct ctx *c, int rc);

static int bind_check(struct ctx *c, int rc)
{
	if (rc)
		return same_sessions(c, 1);
	return fp_works(c, rc);
}

static int opened(struct ctx *c)
{
	int err = one_session(c);

	if (!err)
		err = esf_fp_open(&c->fp, c->id);
	c->has_fp = !err;
	return err;
}

static int seal_run(struct ctx *c)
{
	return esf_fp_one(c->fp.op, &c->fp.info, ESF_OP_SEAL, c->data, 8, c->data, 48,
			  c->rec, &c->rec_len, NULL);
}

/*
 * The session still seals, and OPEN takes back a record it sealed, on a new
 * socket or handle: the one that failed may hold a batch left open by the
 * MSG_MORE calls before the failed one, as after any failed call.
 */
static int fp_works(struct ctx *c, int rc)
{
	struct esf_fp fp;
	uint32_t len;
	int err;

	(void)rc;
	err = esf_fp_open(&fp, c->id);
	if (err)
		return err;
	err = esf_fp_one(fp.op, &fp.info, ESF_OP_SEAL, c->data, 8, c->data, 48, c->rec, &len,
			 NULL);
	if (!err)
		err = esf_fp_one(fp.op, &fp.info, ESF_OP_OPEN, c->data, 8, c->rec, len, c->out,
				 NULL, NULL);
	if (!err && memcmp(c->out, c->data, 48))
		err = -EBADMSG;
	esf_fp_close(&fp);
	return err;
}

static int sealed(struct ctx *c)
{
	int err = opened(c);

	return err ? err : seal_run(c);
}

static int open_run(struct ctx *c)
{
	return esf_fp_one(c->fp.op, &c->fp.info, ESF_OP_OPEN, c->data, 8, c->rec, c->rec_len,
			  c->out, NULL, NULL);
}

/* 16 records in one batch, sent in pieces with MSG_MORE. */
static int batch_run(struct ctx *c)
{
	struct esf_fp_rec r[16];
	int k, err;

	memset(r, 0, sizeof(r));
	for (k = 0; k < 16; k++)
		r[k] = (struct esf_fp_rec){ .op = ESF_OP_SEAL, .data = c->data,
					    .data_len = (uint32_t)(k + 1) };
	for (k = 0; k < 16; k += 4) {
		err = esf_fp_send(c->fp.op, r + k, 4, k + 4 < 16 ? MSG_MORE : 0);
		if (err)
			return err;
	}
	err = esf_fp_recv(c->fp.op, &c->fp.info, r, 16);
	for (k = 0; !err && k < 16; k++)
		if (r[k].status)
			err = r[k].status;
	return err;
}

/* Delivery in place: the records' output lands in our buffers. */
static int direct_run(struct ctx *c)
{
	static uint8_t outs[4][4096];
	struct esf_output tab[4];
	struct esf_fp_rec r[4];
	int k, err;

	memset(r, 0, sizeof(r));
	for (k = 0; k < 4; k++)
		r[k] = (struct esf_fp_rec){ .op = ESF_OP_SEAL, .data = outs[3],
					    .data_len = 1000u * (uint32_t)(k + 1),
					    .out = outs[k] + k };
	err = esf_fp_direct(c->fp.op, &c->fp.info, r, 4, 0, tab, 4, 1);
	for (k = 0; !err && k < 3; k++)
		if (r[k].status)
			err = r[k].status;
	return err;
}

/* Re-seal on /dev/esf ----------------------------------------------------- */

#define RESEAL_N 4

/*
 * The opening session (c->id, through the socket) seals RESEAL_N fresh
 * records before each run; a SEAL-only session c->id2 takes them.
 */
static int resealing(struct ctx *c)
{
	struct sess b = { .alg = "gcm(aes)", .key = c->key + 16, .key_len = 16,
			  .direction = ESF_DIR_SEAL };
	int k, err;

	if (!region) {
		region = mmap(NULL, ESF_FP_REGION, PROT_READ | PROT_WRITE,
			      MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
		if (region == MAP_FAILED) {
			region = NULL;
			return -ENOMEM;
		}
	}
	err = opened(c);
	if (!err)
		err = sess_add(&c->nl, &b, &c->id2);
	for (k = 0; !err && k < RESEAL_N; k++)
		err = esf_fp_one(c->fp.op, &c->fp.info, ESF_OP_SEAL, c->data, 8, c->data, 48,
				 c->recs[k], &c->recs_len[k], NULL);
	return err;
}

/* A handle opened, bound to both sessions, its region registered; a batch
 * of RESEAL_N re-seals run; the first error.
 */
static int reseal_run(struct ctx *c)
{
	struct esf_dev_region reg = {
		.addr = (uintptr_t)region, .len = ESF_FP_REGION, .sq_entries = ESF_FP_TABLE,
		.cq_off = ESF_FP_CQ_OFF, .cq_entries = ESF_FP_CQ,
	};
	struct esf_dev_bind a = { .session_id = c->id }, b = { .session_id = c->id2 };
	struct esf_dev_submit sub = { .count = RESEAL_N, .flags = ESF_DEV_SUBMIT_WAIT };
	struct esf_dev_rec *t = (struct esf_dev_rec *)region;
	int fd = open("/dev/" ESF_DEV_NAME, O_RDWR | O_CLOEXEC), k, err = 0;

	if (fd < 0)
		return -errno;
	if (ioctl(fd, ESF_DEV_BIND, &a) || ioctl(fd, ESF_DEV_BIND_RESEAL, &b) ||
	    ioctl(fd, ESF_DEV_REGISTER, &reg))
		err = -errno;
	for (k = 0; !err && k < RESEAL_N; k++) {
		uint32_t at = ESF_FP_DATA + (uint32_t)k * 512;

		/* The opening AAD, then the sealing one: the same 8 bytes. */
		memcpy(region + at, c->data, 8);
		memcpy(region + at + 8, c->data, 8);
		memcpy(region + at + 64, c->recs[k], c->recs_len[k]);
		t[k] = (struct esf_dev_rec){
			.op = ESF_OP_RESEAL, .aad_off = at, .aad_len = 8, .aad2_len = 8,
			.in_off = at + 64, .in_len = c->recs_len[k], .out_off = at + 256,
			.out_size = 256,
		};
	}
	if (!err && ioctl(fd, ESF_DEV_SUBMIT, &sub))
		err = -errno;
	for (k = 0; !err && k < RESEAL_N; k++)
		if (t[k].res.status)
			err = t[k].res.status;
		else if (t[k].res.out_len != ESF_NONCE_LEN + 48 + 16)
			err = -EIO;
	close(fd);
	return err;
}

/*
 * Whatever failed, the counters agree: both sessions count a record only
 * when both halves succeeded, the sealing session seals only re-seals,
 * and no record was re-sealed that was not opened.
 */
static int reseal_check(struct ctx *c, int rc)
{
	uint64_t a = sess_stat(&c->nl, c->id, ESF_STATS_A_RESEAL);
	uint64_t b = sess_stat(&c->nl, c->id2, ESF_STATS_A_RESEAL);

	if (a != b || sess_stat(&c->nl, c->id2, ESF_STATS_A_SEAL) != b ||
	    sess_stat(&c->nl, c->id, ESF_STATS_A_OPEN) < a)
		return -ERANGE;
	return !rc && a != RESEAL_N ? -EIO : 0;
}

/* EXPIRE: SEALs crossing the soft and then the hard message limit. -------- */

static struct esf_nl ev;

static int expiring(struct ctx *c)
{
	int err;

	new_setup(c);
	c->o.soft_msgs = 1;
	c->o.hard_msgs = 2;
	err = sess_add(&c->nl, &c->o, &c->id);
	if (!err)
		err = esf_fp_open(&c->fp, c->id);
	c->has_fp = !err;
	return err;
}

static int expire_run(struct ctx *c)
{
	int i, err = 0, rc;

	/* The third SEAL is refused (hard limit 2): that is the plan, not an
	 * error; under a fault an earlier one may be refused too.
	 */
	for (i = 0; i < 3; i++) {
		rc = seal_run(c);
		if (rc && rc != -EKEYEXPIRED && !err)
			err = rc;
	}
	return err;
}

/* Whatever failed, the session ends expired, having raised both expiries. */
static int expire_check(struct ctx *c, int rc)
{
	int i;

	(void)rc;
	for (i = 0; i < 3; i++)
		if (seal_run(c) == -EKEYEXPIRED)
			break;
	if (i == 3)
		return -EIO;
	/* Drain the events; lost ones (their message failed) are allowed. */
	drain(&ev);
	/* Both expiries raised (counted when raised, whether or not their
	 * message could be sent), and the session refuses from then on.
	 */
	return sess_stat(&c->nl, c->id, ESF_STATS_A_EXPIRE_EVENTS) == 2 ? 0 : -ERANGE;
}

/* The sweep ------------------------------------------------------------------ */

static void sweep(struct __test_metadata *_metadata, struct ctx *c, const struct op *op)
{
	struct tally t = { 0 };
	char hist[256] = "";
	size_t used = 0;
	int n, rc, bad, i;

	for (n = 1; n <= MAX_POINTS; n++) {
		bool injected;

		ASSERT_EQ(0, op->setup(c)) TH_LOG("%s: setup without faults", op->name);
		arm(n);
		rc = op->run(c);
		injected = disarm();
		drain(&c->nl);
		if (!injected) {
			ASSERT_EQ(0, rc) TH_LOG("%s: without a fault: %s", op->name, strerror(-rc));
			ASSERT_EQ(0, op->check(c, rc)) TH_LOG("%s: state after a clean run",
							      op->name);
			op->cleanup(c);
			break;
		}
		t.points++;
		/* A clean error is a negative errno; nothing else may come back. */
		ASSERT_LE(rc, 0) TH_LOG("%s: fault %d: returned %d", op->name, n, rc);
		ASSERT_GT(rc, -4096) TH_LOG("%s: fault %d: returned %d", op->name, n, rc);
		if (rc) {
			t.failed++;
			tally_errno(&t, rc);
		} else {
			t.succeeded++;
		}
		bad = op->check(c, rc);
		ASSERT_EQ(0, bad) TH_LOG("%s: fault %d (%s): state check: %s", op->name, n,
					 rc ? strerror(-rc) : "succeeded", strerror(-bad));
		op->cleanup(c);
		/* The same operation right after, without a fault, works. */
		ASSERT_EQ(0, op->setup(c)) TH_LOG("%s: setup after fault %d", op->name, n);
		rc = op->run(c);
		ASSERT_EQ(0, rc) TH_LOG("%s: the run after fault %d: %s", op->name, n,
					strerror(-rc));
		op->cleanup(c);
	}
	ASSERT_LE(n, MAX_POINTS) TH_LOG("%s: more than %d fault points", op->name, MAX_POINTS);
	/* Some paths allocate nothing (the device's OPEN works in place in a
	 * pinned region): that is said, and the clean run above still ran.
	 */
	if (!t.points) {
		printf("# %-28s    0 fault points: it allocates nothing\n", op->name);
		fflush(stdout);
		return;
	}
	for (i = 0; i < 8 && t.counts[i] && used < sizeof(hist) - 32; i++)
		used += (size_t)snprintf(hist + used, sizeof(hist) - used, " %s:%d",
					 strerrorname_np(-t.errnos[i]) ?: "?", t.counts[i]);
	printf("# %-28s %4d fault points: %3d clean errors (%s ), %3d succeeded anyway\n",
	       op->name, t.points, t.failed, hist[0] ? hist + 1 : "none", t.succeeded);
	fflush(stdout);
}

static void ctx_setup(struct __test_metadata *_metadata, struct ctx *c, int front)
{
	int err = faults_setup();

	ASSERT_EQ(0, err) TH_LOG("fault injection unavailable (%s): this program needs the debug kernel",
				 strerror(-err));
	esf_fp_front = front;
	ASSERT_EQ(0, esf_module_ensure_loaded());
	ASSERT_EQ(0, access("/dev/" ESF_DEV_NAME, R_OK | W_OK));
	ASSERT_EQ(0, esf_nl_open(&c->nl));
	sess_flush(&c->nl);
	rnd(c->key, sizeof(c->key));
	rnd(c->data, sizeof(c->data));
	c->alg = "gcm(aes)";
	c->key_len = 16;
}

/* The control plane and EXPIRE, through the socket. */
FIXTURE(ctl) {
	struct ctx c;
};

FIXTURE_SETUP(ctl)
{
	ctx_setup(_metadata, &self->c, ESF_FP_SOCKET);
}

FIXTURE_TEARDOWN(ctl)
{
	flush_cleanup(&self->c);
	esf_nl_close(&self->c.nl);
}

/* The fast path, on each front end. */
FIXTURE(fp) {
	struct ctx c;
};

FIXTURE_VARIANT(fp)
{
	int front;
};

FIXTURE_VARIANT_ADD(fp, socket)
{
	.front = ESF_FP_SOCKET,
};

FIXTURE_VARIANT_ADD(fp, device)
{
	.front = ESF_FP_DEVICE,
};

FIXTURE_SETUP(fp)
{
	ctx_setup(_metadata, &self->c, variant->front);
}

FIXTURE_TEARDOWN(fp)
{
	flush_cleanup(&self->c);
	esf_nl_close(&self->c.nl);
}

TEST_F_TIMEOUT(ctl, session_new, 900)
{
	static const struct { const char *alg; size_t key_len; } algs[] = {
		{ "gcm(aes)", 16 }, { "rfc4106(gcm(aes))", 16 }, { "ccm(aes)", 32 },
		{ "authenc(hmac(sha256),cbc(aes))", 48 }, { "hmac(sha256)", 32 },
	};
	char name[64];
	size_t i;

	for (i = 0; i < sizeof(algs) / sizeof(algs[0]); i++) {
		const struct op o = { name, new_setup, new_run, new_check, flush_cleanup };

		snprintf(name, sizeof(name), "SESSION_NEW %s", algs[i].alg);
		self->c.alg = algs[i].alg;
		self->c.key_len = algs[i].key_len;
		sweep(_metadata, &self->c, &o);
	}
}

TEST_F_TIMEOUT(ctl, session_get_dump_del_flush, 600)
{
	const struct op ops[] = {
		{ "SESSION_GET", one_session, get_run, one_left, flush_cleanup },
		{ "SESSION_GET dump (8)", some_sessions, dump_run, eight_left, flush_cleanup },
		{ "SESSION_DEL", one_session, del_run, del_check, flush_cleanup },
		{ "SESSION_FLUSH (8)", some_sessions, flush_run, flush_check, flush_cleanup },
	};
	size_t i;

	for (i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
		sweep(_metadata, &self->c, &ops[i]);
}

TEST_F_TIMEOUT(ctl, expire, 600)
{
	const struct op op = { "SEAL x3 across soft+hard EXPIRE", expiring, expire_run,
			       expire_check, flush_cleanup };

	ASSERT_EQ(0, esf_nl_open(&ev));
	ASSERT_EQ(0, esf_nl_subscribe(&ev));
	sweep(_metadata, &self->c, &op);
	esf_nl_close(&ev);
}

TEST_F_TIMEOUT(ctl, device_reseal, 600)
{
	const struct op op = { "device: open, bind both, register, RESEAL x4", resealing,
			       reseal_run, reseal_check, flush_cleanup };

	sweep(_metadata, &self->c, &op);
}

TEST_F_TIMEOUT(fp, fast_path, 900)
{
	const struct op ops[] = {
		{ "bind + accept (device: open, bind, register)", bind_setup, bind_run, bind_check,
		  flush_cleanup },
		{ "SEAL", opened, seal_run, fp_works, flush_cleanup },
		{ "OPEN", sealed, open_run, fp_works, flush_cleanup },
		{ "batch of 16, MSG_MORE", opened, batch_run, fp_works, flush_cleanup },
		{ "delivery in place", opened, direct_run, fp_works, flush_cleanup },
	};
	char name[64];
	size_t i;

	for (i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
		struct op o = ops[i];

		snprintf(name, sizeof(name), "%s: %s", esf_fp_front_name[variant->front],
			 ops[i].name);
		o.name = name;
		sweep(_metadata, &self->c, &o);
	}
}

TEST_HARNESS_MAIN
