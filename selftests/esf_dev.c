// SPDX-License-Identifier: GPL-2.0
/*
 * /dev/esf beyond what esf_fastpath runs on both front ends: io_uring
 * submission (IORING_OP_URING_CMD, with and without SQPOLL, on the CPU and
 * on virtio-crypto), libesf in a process whose socket(AF_ALG) a seccomp
 * filter denies, libesf's batches placed, staged and split, and hostile
 * use of the region: unregistered, unmapped or closed with batches in
 * flight, used after fork(2), over the locked-memory limit. (Bad offsets
 * and lengths, and the module's unload under an open handle, are
 * esf_fastpath's, on both front ends.)
 *
 * Records are sealed on the device and opened again through it, so a test
 * that passes shows the records were right, not only that calls returned.
 */
#include <errno.h>
#include <poll.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>

#include <liburing.h>

#include "kselftest_harness.h"
#include "esf_fp.h"
#include "esf_nl.h"
#include "esf_sess.h"
#include "esf_util.h"
#include "esf.h"

#define RECS	256
#define LEN	1000
/* The command bytes of a 64-byte SQE: esf_dev_submit's first 16. */
#define ESF_URING_CMD_BYTES	16

FIXTURE(dev) {
	struct esf_nl nl;
	uint8_t key[48];
	uint32_t cpu, hw;	/* hw: 0 without virtio-crypto */
};

FIXTURE_SETUP(dev)
{
	struct sess o = { .alg = "gcm(aes)", .key = self->key, .key_len = 16,
			  .has_window = true, .window = ESF_REPLAY_WINDOW_MAX };

	ASSERT_EQ(0, esf_module_ensure_loaded());
	ASSERT_EQ(0, access("/dev/" ESF_DEV_NAME, F_OK));
	ASSERT_EQ(0, esf_nl_open(&self->nl));
	sess_flush(&self->nl);
	rnd(self->key, sizeof(self->key));
	ASSERT_EQ(0, sess_add(&self->nl, &o, &self->cpu)) TH_LOG("%s", self->nl.errmsg);
	self->hw = 0;
	if (esf_have_driver("virtio_crypto_aes_cbc")) {
		o = (struct sess){ .alg = "authenc(hmac(sha256),cbc(aes))",
				   .driver = esf_authenc_virtio(), .key = self->key,
				   .key_len = 48, .has_window = true,
				   .window = ESF_REPLAY_WINDOW_MAX };
		ASSERT_EQ(0, sess_add(&self->nl, &o, &self->hw)) TH_LOG("%s", self->nl.errmsg);
	}
}

FIXTURE_TEARDOWN(dev)
{
	sess_flush(&self->nl);
	esf_nl_close(&self->nl);
}

/*
 * Table entries 0..n-1: SEAL records of LEN bytes from the data area, each
 * in a slot of LEN plus the largest overhead, its output in the next one.
 */
static uint32_t slot_bytes(const struct esf_session_info *info)
{
	return LEN + info->nonce_len + info->tag_len + 16;
}

static void fill_seals(struct esf_fp_dev *d, const struct esf_session_info *info, unsigned int n)
{
	uint32_t slot = slot_bytes(info), i;

	for (i = 0; i < n; i++) {
		uint32_t in = ESF_FP_DATA + i * 2 * slot;

		memset(d->base + in, (int)i, LEN);
		d->table[i] = (struct esf_dev_rec){
			.op = ESF_OP_SEAL, .in_off = in, .in_len = LEN,
			.out_off = in + slot, .out_size = slot,
		};
	}
}

/*
 * Entries 0..n-1 become OPENs of what the SEALs above wrote, into the
 * input's slot (authenc's OPEN slot holds the padding too).
 */
static void turn_to_opens(struct esf_fp_dev *d, const struct esf_session_info *info,
			  unsigned int n)
{
	uint32_t i;

	for (i = 0; i < n; i++) {
		struct esf_dev_rec *e = &d->table[i];
		uint32_t sealed = e->res.out_len;

		*e = (struct esf_dev_rec){
			.op = ESF_OP_OPEN, .in_off = e->out_off, .in_len = sealed,
			.out_off = e->in_off, .out_size = slot_bytes(info),
		};
		memset(d->base + e->out_off, 0xee, LEN);
	}
}

static int submit_wait(int fd, unsigned int n)
{
	struct esf_dev_submit sub = { .count = n, .flags = ESF_DEV_SUBMIT_WAIT };

	return ioctl(fd, ESF_DEV_SUBMIT, &sub) ? -errno : 0;
}

/* Every entry done, and each OPEN gave back its SEAL's bytes. */
static int check_opened(struct esf_fp_dev *d, unsigned int n)
{
	uint32_t i, k;

	for (i = 0; i < n; i++) {
		const struct esf_dev_rec *e = &d->table[i];

		if (e->res.status || e->res.out_len != LEN)
			return -(int)i - 1;
		for (k = 0; k < LEN; k++)
			if (d->base[e->out_off + k] != (uint8_t)i)
				return -(int)i - 1;
	}
	return 0;
}

/* io_uring ------------------------------------------------------------------ */

static void prep_cmd(struct io_uring_sqe *sqe, int fd, uint32_t first, uint32_t count,
		     uint64_t tag)
{
	struct esf_dev_submit sub = { .first = first, .count = count };

	io_uring_prep_rw(IORING_OP_URING_CMD, sqe, fd, NULL, 0, 0);
	sqe->cmd_op = ESF_DEV_URING_SUBMIT;
	memcpy(sqe->cmd, &sub, ESF_URING_CMD_BYTES);
	io_uring_sqe_set_data64(sqe, tag);
}

/*
 * Seal RECS records in batches of 32 through io_uring (all queued at
 * once), then open them the same way. Returns 0, -EOPNOTSUPP where the
 * kernel has no uring_cmd, or a failure.
 */
static int uring_round(struct __test_metadata *_metadata, uint32_t id, unsigned int flags)
{
	struct io_uring_params p = { .flags = flags, .sq_thread_idle = 2000 };
	struct esf_session_info info;
	struct esf_fp_dev *d;
	struct io_uring_probe *probe;
	struct io_uring ring;
	int fd, err, round;
	bool cmd;

	err = io_uring_queue_init_params(64, &ring, &p);
	if (err)
		return err == -EPERM || err == -ENOSYS ? -EOPNOTSUPP : err;
	/* Before 5.19 io_uring has no IORING_OP_URING_CMD at all. */
	probe = io_uring_get_probe_ring(&ring);
	cmd = probe && io_uring_opcode_supported(probe, IORING_OP_URING_CMD);
	io_uring_free_probe(probe);
	if (!cmd) {
		io_uring_queue_exit(&ring);
		return -EOPNOTSUPP;
	}
	fd = esf_fp_dev_handle(id, &d);
	if (fd < 0) {
		io_uring_queue_exit(&ring);
		return fd;
	}
	EXPECT_EQ(0, ioctl(fd, ESF_DEV_INFO, &info));
	fill_seals(d, &info, RECS);
	for (round = 0; round < 2 && !err; round++) {
		unsigned int b, seen = 0;

		for (b = 0; b < RECS / 32; b++)
			prep_cmd(io_uring_get_sqe(&ring), fd, b * 32, 32, b);
		EXPECT_EQ(RECS / 32, io_uring_submit(&ring));
		while (seen < RECS / 32 && !err) {
			struct io_uring_cqe *cqe;

			err = io_uring_wait_cqe(&ring, &cqe);
			if (err)
				break;
			if (cqe->res != 32)
				err = cqe->res < 0 ? cqe->res : -EPROTO;
			io_uring_cqe_seen(&ring, cqe);
			seen++;
		}
		if (!err && round == 0)
			turn_to_opens(d, &info, RECS);
	}
	if (!err)
		err = check_opened(d, RECS);
	esf_fp_close_fd(fd);
	io_uring_queue_exit(&ring);
	return err;
}

TEST_F(dev, io_uring_cmd_seals_and_opens)
{
	int err = uring_round(_metadata, self->cpu, 0);

	if (err == -EOPNOTSUPP)
		SKIP(return, "this kernel has no io_uring commands on files (uring_cmd, 5.19+)");
	EXPECT_EQ(0, err);
	EXPECT_EQ(2 * RECS, sess_stat(&self->nl, self->cpu, ESF_STATS_A_DEVICE));
	EXPECT_EQ(RECS, sess_stat(&self->nl, self->cpu, ESF_STATS_A_OPEN));
}

/* SQPOLL: the kernel's thread takes the submissions, no syscall per batch. */
TEST_F(dev, io_uring_cmd_under_sqpoll)
{
	int err = uring_round(_metadata, self->cpu, IORING_SETUP_SQPOLL);

	if (err == -EOPNOTSUPP)
		SKIP(return, "this kernel has no io_uring commands on files (uring_cmd, 5.19+)");
	EXPECT_EQ(0, err);
	EXPECT_EQ(RECS, sess_stat(&self->nl, self->cpu, ESF_STATS_A_OPEN));
}

/* An asynchronous provider completes into io_uring's ring. */
TEST_F(dev, io_uring_cmd_on_virtio_crypto)
{
	int err;

	if (!self->hw)
		SKIP(return, "no virtio-crypto device (scripts/vm-run --virtio-crypto)");
	err = uring_round(_metadata, self->hw, 0);
	if (err == -EOPNOTSUPP)
		SKIP(return, "this kernel has no io_uring commands on files (uring_cmd, 5.19+)");
	EXPECT_EQ(0, err);
	EXPECT_EQ(RECS, sess_stat(&self->nl, self->hw, ESF_STATS_A_OPEN));
	EXPECT_EQ(2 * RECS, sess_stat(&self->nl, self->hw, ESF_STATS_A_ASYNC));
}

/* libesf where AF_ALG is denied ------------------------------------------ */

/* socket(AF_ALG, ...) fails with EPERM; everything else is allowed. */
static int deny_af_alg(void)
{
	struct sock_filter f[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_socket, 0, 3),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, args[0])),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AF_ALG, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = { .len = sizeof(f) / sizeof(f[0]), .filter = f };

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
		return -errno;
	return prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) ? -errno : 0;
}

static int seccomp_child(uint32_t id)
{
	static const char msg[] = "a reading through /dev/esf";
	struct esf_session *s;
	uint8_t rec[256], back[64];
	ssize_t n, m;

	if (deny_af_alg())
		return 10;
	/* The filter holds: AF_ALG is refused, as in a container. */
	if (socket(AF_ALG, SOCK_SEQPACKET, 0) >= 0 || errno != EPERM)
		return 11;
	if (esf_session_open_on(id, 0, 0, "socket", 0, &s) != -EPERM)
		return 12;
	/* The default choice still reaches the session. */
	if (esf_session_open(id, 0, 0, &s))
		return 13;
	if (strcmp(esf_session_front(s), "device"))
		return 14;
	n = esf_seal(s, NULL, 0, msg, sizeof(msg), rec, sizeof(rec), NULL);
	m = n > 0 ? esf_open(s, NULL, 0, rec, (size_t)n, back, sizeof(back), NULL) : -1;
	esf_session_close(s);
	if (m != (ssize_t)sizeof(msg) || memcmp(back, msg, sizeof(msg)))
		return 15;
	return 0;
}

TEST_F(dev, libesf_seals_where_seccomp_denies_af_alg)
{
	int status;
	pid_t pid = fork();

	ASSERT_LE(0, pid);
	if (!pid)
		_exit(seccomp_child(self->cpu));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_EQ(0, WEXITSTATUS(status));
	EXPECT_EQ(1, sess_stat(&self->nl, self->cpu, ESF_STATS_A_OPEN));
	EXPECT_EQ(2, sess_stat(&self->nl, self->cpu, ESF_STATS_A_DEVICE));
	EXPECT_EQ(0, sess_stat(&self->nl, self->cpu, ESF_STATS_A_SOCKET));
}

/* ESF_FRONT picks the front end; a value that is none is refused. */
TEST_F(dev, libesf_front_override)
{
	struct esf_session *s;

	ASSERT_EQ(0, setenv("ESF_FRONT", "socket", 1));
	ASSERT_EQ(0, esf_session_open(self->cpu, 0, 0, &s));
	EXPECT_STREQ("socket", esf_session_front(s));
	esf_session_close(s);
	ASSERT_EQ(0, setenv("ESF_FRONT", "device", 1));
	ASSERT_EQ(0, esf_session_open(self->cpu, 0, 0, &s));
	EXPECT_STREQ("device", esf_session_front(s));
	esf_session_close(s);
	ASSERT_EQ(0, setenv("ESF_FRONT", "dev", 1));
	EXPECT_EQ(-EINVAL, esf_session_open(self->cpu, 0, 0, &s));
	unsetenv("ESF_FRONT");
	/* A session the caller may not use is refused, not sent elsewhere. */
	EXPECT_EQ(-ENOENT, esf_session_open(999999, 0, 0, &s));
}

/*
 * libesf's batch on the device: records named in place, records staged
 * (outside the region, output overlapping an input, input in two pieces),
 * records refused, and a batch larger than a 4 KiB staging area, which
 * goes out in several submissions in record order. Each record sealed is
 * opened again, and the opens are a batch of the same kinds.
 */
#define MIX	16
#define BIG	600	/* three staged records fill the 4 KiB staging area */

struct mix_rec {
	uint8_t *aad, *in, *in2, *out;
	size_t aad_len, in_len, in2_len, out_size;
	int want;	/* 0, or the status it must be refused with */
};

static void mix_plan(struct esf_session *s, struct mix_rec *m, uint8_t *heap)
{
	uint8_t *pool = esf_buf_alloc(s, 8 * 4096);
	size_t i;

	memset(m, 0, MIX * sizeof(*m));
	if (!pool)
		return;
	rnd(pool, 8 * 4096);
	rnd(heap, 16 * 4096);
	/* 0: all in place; 1: no AAD, in place; 2: in || in2 adjacent, in place. */
	m[0] = (struct mix_rec){ pool, pool + 64, NULL, pool + 4096, 16, 64, 0, 200, 0 };
	m[1] = (struct mix_rec){ NULL, pool + 200, NULL, pool + 4396, 0, 100, 0, 200, 0 };
	m[2] = (struct mix_rec){ pool + 32, pool + 300, pool + 340, pool + 4696, 16, 40, 24, 200, 0 };
	/* 3: all outside the region; 4: the output over the input. */
	m[3] = (struct mix_rec){ heap, heap + 64, NULL, heap + 4096, 16, 64, 0, 200, 0 };
	m[4] = (struct mix_rec){ pool, pool + 8192, NULL, pool + 8192, 16, 64, 0, 200, 0 };
	/* 5: the output over the AAD; 6: in and in2 in the region, apart. */
	m[5] = (struct mix_rec){ pool + 12288, pool + 500, NULL, pool + 12288, 16, 64, 0, 200, 0 };
	m[6] = (struct mix_rec){ pool, pool + 600, pool + 700, pool + 13000, 16, 30, 20, 200, 0 };
	/* 7: a slot too small; 8: no output; 9: larger than the staging area. */
	m[7] = (struct mix_rec){ pool, pool + 64, NULL, pool + 14000, 16, 64, 0, 64, -ENOSPC };
	m[8] = (struct mix_rec){ pool, pool + 64, NULL, NULL, 16, 64, 0, 200, -EINVAL };
	m[9] = (struct mix_rec){ heap, heap + 8192, NULL, heap + 4096, 16, 3000, 0, 3100,
				 -EMSGSIZE };
	/* 10..15: BIG records, staged but for 12 and 13, in place. */
	for (i = 10; i < MIX; i++)
		m[i] = (struct mix_rec){ heap + 16 * i, heap + 12288 + 64 * i, NULL,
					 heap + 24576 + 1024 * (i - 10), 16, BIG, 0, 1024, 0 };
	m[12] = (struct mix_rec){ pool + 16, pool + 15000, NULL, pool + 16384, 16, BIG, 0, 1024, 0 };
	m[13] = (struct mix_rec){ pool + 16, pool + 15000, NULL, pool + 18432, 16, BIG, 0, 1024, 0 };
}

TEST_F(dev, libesf_batch_places_stages_and_splits)
{
	uint8_t *heap = malloc(16 * 4096 + 8192), *plain;
	struct esf_op ops[MIX], opens[MIX];
	uint8_t *back = malloc(MIX * 1024);
	struct mix_rec m[MIX];
	struct esf_session *s;
	uint64_t last = 0;
	size_t i, over;

	ASSERT_TRUE(heap && back);
	ASSERT_EQ(0, setenv("ESF_RING_STAGING", "4096", 1));
	ASSERT_EQ(0, esf_session_open_on(self->cpu, 0, 0, "device", 0, &s));
	unsetenv("ESF_RING_STAGING");
	over = (size_t)esf_session_info(s)->nonce_len + esf_session_info(s)->tag_len;
	mix_plan(s, m, heap);
	ASSERT_TRUE(m[0].aad != NULL);
	for (i = 0; i < MIX; i++)
		ops[i] = (struct esf_op){ .op = ESF_OP_SEAL, .aad = m[i].aad,
					  .aad_len = m[i].aad_len, .in = m[i].in,
					  .in_len = m[i].in_len, .in2 = m[i].in2,
					  .in2_len = m[i].in2_len, .out = m[i].out,
					  .out_size = m[i].out_size, .status = 7,
					  .out_len = 7, .seq = 7 };
	/* The plaintexts, before outputs over inputs overwrite them. */
	plain = malloc(MIX * 1024);
	ASSERT_TRUE(plain != NULL);
	for (i = 0; i < MIX; i++) {
		memcpy(plain + i * 1024, m[i].in, m[i].in_len);
		if (m[i].in2_len)
			memcpy(plain + i * 1024 + m[i].in_len, m[i].in2, m[i].in2_len);
	}
	/* The AAD of 5 is overwritten too: kept aside for the open. */
	memcpy(heap + 16 * 4096, m[5].aad, 16);
	ASSERT_EQ(0, esf_batch(s, ops, MIX));
	for (i = 0; i < MIX; i++) {
		size_t text = m[i].in_len + m[i].in2_len;

		if (m[i].want) {
			EXPECT_EQ(m[i].want, ops[i].status) TH_LOG("record %zu", i);
			EXPECT_EQ(0, ops[i].out_len);
			EXPECT_EQ(0, ops[i].seq);
			continue;
		}
		ASSERT_EQ(0, ops[i].status) TH_LOG("record %zu", i);
		/* Sequence numbers in record order, across the submissions. */
		if (i)
			EXPECT_LT(last, ops[i].seq) TH_LOG("record %zu", i);
		last = ops[i].seq;
		EXPECT_EQ(text + over, ops[i].out_len) TH_LOG("record %zu", i);
	}
	/* Opened back as one batch: into the region, out of it, over the input. */
	for (i = 0; i < MIX; i++) {
		opens[i] = (struct esf_op){ .op = ESF_OP_OPEN,
					    .aad = i == 5 ? heap + 16 * 4096 : m[i].aad,
					    .aad_len = m[i].aad_len, .in = m[i].out,
					    .in_len = ops[i].out_len,
					    .out = i % 3 == 1 ? m[i].out : back + i * 1024,
					    .out_size = 1024 };
		/* What was refused opens bytes that are no record: it fails. */
		if (m[i].want) {
			opens[i].in = m[i].in;
			opens[i].in_len = 64;
		}
	}
	ASSERT_EQ(0, esf_batch(s, opens, MIX));
	for (i = 0; i < MIX; i++) {
		size_t text = m[i].in_len + m[i].in2_len;

		if (m[i].want) {
			EXPECT_GT(0, opens[i].status) TH_LOG("record %zu", i);
			EXPECT_EQ(0, opens[i].out_len);
			continue;
		}
		ASSERT_EQ(0, opens[i].status) TH_LOG("record %zu", i);
		ASSERT_EQ(text, opens[i].out_len);
		EXPECT_EQ(0, memcmp(opens[i].out, plain + i * 1024, text)) TH_LOG("record %zu", i);
	}
	esf_session_close(s);
	free(plain);
	free(back);
	free(heap);
}

/* Hostile use of the region ------------------------------------------------- */

/* Submit entries 0..n-1 without waiting; their end goes to esf's ring. */
static int submit_ring(int fd, unsigned int n)
{
	struct esf_dev_submit sub = { .count = n, .user_data = 77 };

	return ioctl(fd, ESF_DEV_SUBMIT, &sub) ? -errno : 0;
}

/* Wait for one completion in esf's ring; 0 or -errno. */
static int reap(int fd, struct esf_fp_dev *d)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	uint32_t head = d->cq->head;

	if (poll(&pfd, 1, 20000) != 1)
		return -ETIMEDOUT;
	if (__atomic_load_n(&d->cq->tail, __ATOMIC_ACQUIRE) == head)
		return -EPROTO;
	__atomic_store_n(&d->cq->head, head + 1, __ATOMIC_RELEASE);
	return 0;
}

TEST_F(dev, unregister_refused_while_batches_run)
{
	struct esf_session_info info;
	struct esf_fp_dev *d;
	int fd, busy = 0, tries;

	if (!self->hw)
		SKIP(return, "needs an asynchronous provider (virtio-crypto)");
	fd = esf_fp_dev_handle(self->hw, &d);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ioctl(fd, ESF_DEV_INFO, &info));
	fill_seals(d, &info, RECS);
	/* The device is slow enough that some unregister lands mid-batch. */
	for (tries = 0; tries < 20 && !busy; tries++) {
		ASSERT_EQ(0, submit_ring(fd, RECS));
		busy = ioctl(fd, ESF_DEV_UNREGISTER) && errno == EBUSY;
		if (busy) {
			ASSERT_EQ(0, reap(fd, d));
		} else {
			/*
			 * Unregistered, so the batch had ended: its completion
			 * is in the ring already, which is still mapped here.
			 * (poll() cannot say so: a handle without a region has
			 * no ring to report on.)
			 */
			ASSERT_NE(d->cq->head, __atomic_load_n(&d->cq->tail, __ATOMIC_ACQUIRE));
			d->cq->head++;
		}
		if (!busy) {
			/* It ran to the end first: register again and retry. */
			esf_fp_dev_forget(fd);
			ASSERT_EQ(0, esf_fp_dev_setup(fd));
			d = esf_fp_dev_of(fd);
			fill_seals(d, &info, RECS);
		}
	}
	EXPECT_TRUE(busy);
	/* Once done, it goes; a submission then has no region. */
	EXPECT_EQ(0, ioctl(fd, ESF_DEV_UNREGISTER));
	EXPECT_EQ(-EBADFD, submit_wait(fd, 1));
	esf_fp_close_fd(fd);
}

/*
 * The caller unmaps the region, or closes the handle, while its batch
 * runs: the kernel's pin keeps the pages until the batch ends, which must
 * happen with no fault and every record accounted for.
 */
static void abandon(struct __test_metadata *_metadata, struct esf_nl *nl, uint32_t id,
		    bool unmap)
{
	uint64_t before = sess_stat(nl, id, ESF_STATS_A_SEAL), after = before;
	struct esf_session_info info;
	struct esf_fp_dev *d;
	int fd, i;

	fd = esf_fp_dev_handle(id, &d);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ioctl(fd, ESF_DEV_INFO, &info));
	fill_seals(d, &info, RECS);
	ASSERT_EQ(0, submit_ring(fd, RECS));
	if (unmap) {
		ASSERT_EQ(0, munmap(d->base, ESF_FP_REGION));
		d->base = mmap(NULL, ESF_FP_REGION, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	}
	esf_fp_close_fd(fd);
	for (i = 0; i < 200 && after - before < RECS; i++) {
		usleep(50 * 1000);
		after = sess_stat(nl, id, ESF_STATS_A_SEAL);
	}
	EXPECT_EQ(RECS, after - before);
	EXPECT_EQ(0, sess_stat(nl, id, ESF_STATS_A_ERRORS));
}

TEST_F(dev, region_unmapped_with_a_batch_in_flight)
{
	abandon(_metadata, &self->nl, self->hw ? self->hw : self->cpu, true);
}

TEST_F(dev, handle_closed_with_a_batch_in_flight)
{
	abandon(_metadata, &self->nl, self->hw ? self->hw : self->cpu, false);
}

TEST_F(dev, forked_child_may_not_submit)
{
	struct esf_session_info info;
	struct esf_fp_dev *d;
	int fd, status;
	pid_t pid;

	fd = esf_fp_dev_handle(self->cpu, &d);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ioctl(fd, ESF_DEV_INFO, &info));
	fill_seals(d, &info, 1);
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid)
		_exit(submit_wait(fd, 1) == -EACCES ? 0 : 1);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_EQ(0, WEXITSTATUS(status));
	/* The parent still may. */
	EXPECT_EQ(0, submit_wait(fd, 1));
	EXPECT_EQ(0, d->table[0].res.status);
	esf_fp_close_fd(fd);
}

static int memlock_child(uint32_t id)
{
	struct rlimit rl = { 1 << 20, 1 << 20 };
	struct esf_dev_region reg = { .len = 2 << 20, .sq_entries = 16,
				      .cq_off = 4096, .cq_entries = 16 };
	uint8_t *mem = mmap(NULL, 2 << 20, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	int fd = esf_fp_dev_bind(id);

	if (fd < 0 || mem == MAP_FAILED)
		return 10;
	if (setrlimit(RLIMIT_MEMLOCK, &rl) || setresgid(4242, 4242, 4242) ||
	    setresuid(4242, 4242, 4242))
		return 11;
	reg.addr = (uintptr_t)mem;
	/* 2 MiB over a 1 MiB limit, without CAP_IPC_LOCK. */
	if (!ioctl(fd, ESF_DEV_REGISTER, &reg) || errno != ENOMEM)
		return 12;
	/* Within it, fine. */
	reg.len = 768 << 10;
	if (ioctl(fd, ESF_DEV_REGISTER, &reg))
		return 13;
	close(fd);
	fd = esf_fp_dev_bind(id);
	if (fd < 0)
		return 14;
	/* The first handle's charge went with its close. */
	return ioctl(fd, ESF_DEV_REGISTER, &reg) ? 15 : 0;
}

TEST_F(dev, region_charged_to_the_memlock_limit)
{
	struct sess o = { .alg = "gcm(aes)", .key = self->key, .key_len = 16,
			  .has_uid = true, .uid = 4242 };
	uint32_t id;
	int status;
	pid_t pid;

	ASSERT_EQ(0, sess_add(&self->nl, &o, &id));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid)
		_exit(memlock_child(id));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_EQ(0, WEXITSTATUS(status));
}

TEST_HARNESS_MAIN
