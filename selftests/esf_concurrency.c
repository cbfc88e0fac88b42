// SPDX-License-Identifier: GPL-2.0
/*
 * One operation socket, many threads: the contract of docs/fast-path.md
 * ("One socket, many threads") held under load.
 *
 * race: the interleaving that corrupted memory on asynchronous providers
 * (issue 21). Readers block in recvmsg() on a batch; another thread reads
 * that batch and at once opens the next one with MSG_MORE. A sleeper that
 * woke then must not take the half-built batch for its own: every result
 * handed out must be one a batch produced, once, and no record may be lost.
 * Run by an unprivileged owner of the session, as it was found.
 *
 * stress: writers and readers on one socket for thousands of batches, some
 * built over two sendmsg() calls, some delivered in place. Every sealed
 * record is opened again on a second session holding the same key, which
 * tells exactly which writer, batch and record it came from: each must be
 * delivered exactly once, under a sequence number no other record has.
 *
 * Both run on the CPU (gcm(aes)) and on the asynchronous virtio-crypto
 * provider (authenc), which is where completions race the readers.
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdarg.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "esf_fp.h"
#include "esf_nl.h"
#include "esf_sess.h"
#include "esf_util.h"

#define RECV_BUF (2u << 20)
#define OWNER_UID 1000

/* The session under test and a CPU session with the same key and salt. */
struct pair {
	struct esf_nl nl;
	uint8_t key[48];
	uint32_t id, vid;
	struct esf_fp vfp;		/* the verifier, opened as root */
};

struct provider {
	const char *alg;
	const char *(*driver)(void), *(*vdriver)(void);	/* NULL: any */
	size_t key_len;
};

static const struct provider cpu_gcm = { "gcm(aes)", NULL, NULL, 16 };
static const struct provider async_authenc = {
	"authenc(hmac(sha256),cbc(aes))", esf_authenc_virtio, esf_authenc_cpu, 48
};

/* 0 or -errno. */
static int pair_setup(struct pair *p, const struct provider *pv)
{
	struct sess o = { .alg = pv->alg, .driver = pv->driver ? pv->driver() : NULL, .key = p->key,
			  .key_len = pv->key_len, .has_window = true,
			  .window = ESF_REPLAY_WINDOW_MAX, .has_uid = true, .uid = OWNER_UID };
	int err;

	err = esf_module_ensure_loaded();
	if (!err)
		err = esf_nl_open(&p->nl);
	if (err)
		return err;
	sess_flush(&p->nl);
	rnd(p->key, sizeof(p->key));
	err = sess_add(&p->nl, &o, &p->id);
	if (err)
		return err;
	o.driver = pv->vdriver ? pv->vdriver() : NULL;
	o.has_uid = false;
	err = sess_add(&p->nl, &o, &p->vid);
	return err ? err : esf_fp_open(&p->vfp, p->vid);
}

static void pair_teardown(struct pair *p)
{
	esf_fp_close(&p->vfp);
	sess_flush(&p->nl);
	esf_nl_close(&p->nl);
}

/* Whether a thread's own call failed in a way the test reports. */
struct verdict {
	pthread_mutex_t lock;
	int failed;
	char why[256];
};

static void fail(struct verdict *v, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void fail(struct verdict *v, const char *fmt, ...)
{
	va_list ap;

	pthread_mutex_lock(&v->lock);
	if (!v->failed++) {
		va_start(ap, fmt);
		vsnprintf(v->why, sizeof(v->why), fmt, ap);
		va_end(ap);
	}
	pthread_mutex_unlock(&v->lock);
}

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + t.tv_nsec / 1e9;
}

/* A sealed record's nonce: the session's salt, then the result's number. */
static bool nonce_matches(const uint8_t *rec, uint64_t seq)
{
	return !memcmp(rec, salt, ESF_SALT_LEN) && be64(rec + ESF_SALT_LEN) == seq;
}

/*
 * Walk the SEAL results of one read: each must have succeeded (a failed
 * SEAL's slot size cannot be told from its header), fit in what was read,
 * and be one of the sizes the test seals. @take gets each record.
 */
static int walk_results(const uint8_t *buf, size_t n, const uint32_t *sizes, int nsizes,
			int (*take)(void *arg, const struct esf_res *res, const uint8_t *rec),
			void *arg, char *why, size_t why_len)
{
	size_t off = 0;
	int i, err;

	while (off < n) {
		struct esf_res res;

		if (n - off < sizeof(res)) {
			snprintf(why, why_len, "%zu stray bytes after the last result", n - off);
			return -EPROTO;
		}
		memcpy(&res, buf + off, sizeof(res));
		off += sizeof(res);
		if (res.status) {
			snprintf(why, why_len, "a SEAL failed: %s", strerror(-res.status));
			return -EPROTO;
		}
		for (i = 0; i < nsizes && sizes[i] != res.out_len; i++)
			;
		if (i == nsizes || res.out_len > n - off) {
			snprintf(why, why_len, "a result no record produced: out_len %u, %zu bytes left",
				 res.out_len, n - off);
			return -EPROTO;
		}
		err = take(arg, &res, buf + off);
		if (err) {
			snprintf(why, why_len, "result with sequence number %llu: %s",
				 (unsigned long long)res.seq, strerror(-err));
			return err;
		}
		off += res.out_len;
	}
	return 0;
}

/* race ------------------------------------------------------------------ */

#define RACE_READERS 4
#define RACE_ROUNDS 3000
#define RACE_SECONDS 4.0
#define RACE_SEQS (4 * RACE_ROUNDS)

enum { SMALL, BIG };

struct race {
	int fd;
	uint32_t size[2];		/* SEAL slots of 16 and 60000 bytes */
	uint8_t *small, *big, *aad;
	pthread_mutex_t lock;		/* the counts below */
	uint64_t sent[2], got[2];
	uint8_t seen[RACE_SEQS];
	struct verdict v;
	volatile bool stop;
};

static int race_take(void *arg, const struct esf_res *res, const uint8_t *rec)
{
	struct race *r = arg;
	int err = 0;

	if (!nonce_matches(rec, res->seq))
		return -EILSEQ;
	pthread_mutex_lock(&r->lock);
	if (res->seq >= RACE_SEQS)
		err = -ERANGE;
	else if (r->seen[res->seq]++)
		err = -EEXIST;
	else
		r->got[res->out_len == r->size[BIG] ? BIG : SMALL]++;
	pthread_mutex_unlock(&r->lock);
	return err;
}

/* One recv(); 1 if it read results, 0 if there were none to read. */
static int race_read(struct race *r, uint8_t *buf)
{
	char why[200];
	ssize_t n = recv(r->fd, buf, RECV_BUF, 0);

	if (n < 0 && errno == ENODATA)
		return 0;
	if (n <= 0) {
		fail(&r->v, "recv: %s", n ? strerror(errno) : "0 bytes");
		return -1;
	}
	if (walk_results(buf, (size_t)n, r->size, 2, race_take, r, why, sizeof(why))) {
		fail(&r->v, "%s", why);
		return -1;
	}
	return 1;
}

static void *race_reader(void *arg)
{
	struct race *r = arg;
	uint8_t *buf = malloc(RECV_BUF);

	while (buf && !r->stop && !r->v.failed)
		if (!race_read(r, buf))
			sched_yield();
	free(buf);
	return NULL;
}

/*
 * Send records, retrying while the previous batch is still being read,
 * unless a reader gave up on the test.
 */
static int send_retry(struct race *r, const struct esf_fp_rec *rec, size_t n, int flags)
{
	int err;

	while ((err = esf_fp_send(r->fd, rec, n, flags)) == -EBUSY && !r->v.failed)
		sched_yield();
	return err;
}

static void race_count(struct race *r, int which, uint64_t n)
{
	pthread_mutex_lock(&r->lock);
	r->sent[which] += n;
	pthread_mutex_unlock(&r->lock);
}

/* The main thread's rounds: batch A, read it, batch B over two calls. */
static void race_rounds(struct race *r, uint8_t *buf)
{
	struct esf_fp_rec a[2] = {
		{ .op = ESF_OP_SEAL, .data = r->small, .data_len = 16 },
		{ .op = ESF_OP_SEAL, .aad = r->aad, .aad_len = 8192, .data = r->small,
		  .data_len = 16 },
	};
	struct esf_fp_rec b[2] = {
		{ .op = ESF_OP_SEAL, .data = r->big, .data_len = 60000 },
		{ .op = ESF_OP_SEAL, .data = r->small, .data_len = 16 },
	};
	double end = now() + RACE_SECONDS;
	int i, err;

	for (i = 0; i < RACE_ROUNDS && now() < end && !r->v.failed; i++) {
		err = send_retry(r, a, 2, 0);
		if (!err)
			race_count(r, SMALL, 2);
		if (!err && race_read(r, buf) < 0)
			return;
		if (!err)
			err = send_retry(r, b, 2, MSG_MORE);
		if (!err) {
			race_count(r, SMALL, 1);
			race_count(r, BIG, 1);
			sched_yield();
			sched_yield();
			sched_yield();
			err = send(r->fd, NULL, 0, 0) ? -errno : 0;
		}
		if (err) {
			fail(&r->v, "round %d: send: %s", i, strerror(-err));
			return;
		}
	}
}

/* The whole race, in a process of the session's unprivileged owner. */
static int race_run(struct race *r, uint32_t id)
{
	pthread_t th[RACE_READERS];
	struct esf_fp fp;
	uint8_t *buf = malloc(RECV_BUF);
	double end;
	bool all;
	int i;

	if (setresgid(OWNER_UID, OWNER_UID, OWNER_UID) ||
	    setresuid(OWNER_UID, OWNER_UID, OWNER_UID) || !buf)
		return 10;
	if (esf_fp_open(&fp, id))
		return 11;
	r->fd = fp.op;
	r->size[SMALL] = esf_fp_slot(&fp.info, ESF_OP_SEAL, 16);
	r->size[BIG] = esf_fp_slot(&fp.info, ESF_OP_SEAL, 60000);
	for (i = 0; i < RACE_READERS; i++)
		if (pthread_create(&th[i], NULL, race_reader, r))
			return 12;
	race_rounds(r, buf);
	/* The last batch B, if no reader has taken it yet. */
	end = now() + 30;
	for (;;) {
		pthread_mutex_lock(&r->lock);
		all = r->got[SMALL] == r->sent[SMALL] && r->got[BIG] == r->sent[BIG];
		pthread_mutex_unlock(&r->lock);
		if (all || r->v.failed || now() > end)
			break;
		if (race_read(r, buf) == 0)
			sched_yield();
	}
	r->stop = true;
	for (i = 0; i < RACE_READERS; i++)
		pthread_join(th[i], NULL);
	esf_fp_close(&fp);
	free(buf);
	return 0;
}

FIXTURE(race) {
	struct pair p;
};

FIXTURE_VARIANT(race) {
	const struct provider *pv;
};

FIXTURE_VARIANT_ADD(race, cpu) {
	.pv = &cpu_gcm,
};

FIXTURE_VARIANT_ADD(race, async) {
	.pv = &async_authenc,
};

FIXTURE_SETUP(race)
{
	if (variant->pv->driver && !esf_have_driver("virtio_crypto_aes_cbc"))
		SKIP(return, "no virtio-crypto device (scripts/vm-run --virtio-crypto)");
	ASSERT_EQ(0, pair_setup(&self->p, variant->pv)) TH_LOG("%s", self->p.nl.errmsg);
}

FIXTURE_TEARDOWN(race)
{
	pair_teardown(&self->p);
}

/*
 * Readers asleep in recvmsg() on a batch that another thread reads, and
 * the next batch opened with MSG_MORE before they wake: each result once,
 * none invented, none lost.
 */
TEST_F_TIMEOUT(race, sleeping_readers_never_take_the_next_batch, 120)
{
	struct race *r = mmap(NULL, sizeof(*r), PROT_READ | PROT_WRITE,
			      MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	pthread_mutexattr_t ma;
	uint64_t total, k;
	int status;
	pid_t pid;

	ASSERT_NE(MAP_FAILED, r);
	memset(r, 0, sizeof(*r));
	r->small = calloc(1, 16);
	r->big = calloc(1, 60000);
	r->aad = calloc(1, 8192);
	ASSERT_TRUE(r->small && r->big && r->aad);
	pthread_mutexattr_init(&ma);
	pthread_mutexattr_setpshared(&ma, PTHREAD_PROCESS_SHARED);
	pthread_mutex_init(&r->lock, &ma);
	pthread_mutex_init(&r->v.lock, &ma);
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid)
		_exit(race_run(r, self->p.id));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status)) TH_LOG("the racing process died of signal %d",
					      WTERMSIG(status));
	ASSERT_EQ(0, WEXITSTATUS(status));
	EXPECT_EQ(0, r->v.failed) TH_LOG("%s", r->v.why);
	/* Nothing lost: every record sent came back, each number once. */
	EXPECT_EQ(r->sent[SMALL], r->got[SMALL]);
	EXPECT_EQ(r->sent[BIG], r->got[BIG]);
	total = r->sent[SMALL] + r->sent[BIG];
	for (k = 0; k < total && k < RACE_SEQS; k++)
		if (r->seen[k] != 1)
			break;
	EXPECT_EQ(total, k) TH_LOG("sequence number %llu delivered %d times",
				   (unsigned long long)k, r->seen[k]);
	EXPECT_EQ(total, sess_stat(&self->p.nl, self->p.id, ESF_STATS_A_SEAL));
	ksft_print_msg("%llu rounds, %llu records, each delivered once\n",
		       (unsigned long long)r->sent[BIG], (unsigned long long)total);
	fflush(stdout);
	free(r->small);
	free(r->big);
	free(r->aad);
	munmap(r, sizeof(*r));
}

/* stress ----------------------------------------------------------------- */

#define ST_WRITERS 3
#define ST_READERS 3
#define ST_BATCHES 700		/* per writer */
#define ST_MAXREC 4
#define ST_HDR 16
#define ST_RECORDS (ST_WRITERS * ST_BATCHES * ST_MAXREC)

/* Four kinds of record; gcm's 3000 bytes go zero-copy when in place. */
static const uint32_t st_len[4] = { 24, 200, 1500, 3000 };
static const uint32_t st_aad[4] = { 0, 13, 64, 8192 };

struct got {
	uint64_t seq;
	uint32_t len;
	uint8_t *rec;
};

struct stress {
	int fd;
	struct esf_session_info info;
	bool direct;			/* writers but the first deliver in place */
	uint32_t size[4];		/* SEAL slot of each kind */
	uint8_t aad[8192];
	pthread_mutex_t wlock;		/* one writer builds a batch at a time */
	pthread_mutex_t lock;		/* the results */
	struct got *got;
	size_t ngot;
	uint64_t sent;
	struct verdict v;
	volatile bool stop;
};

struct writer {
	struct stress *st;
	int w;
};

static int records_in(int b)
{
	return 1 + b % ST_MAXREC;
}

static int kind_of(int w, int b, int i)
{
	return (w + b + i) % 4;
}

/* The plaintext of writer @w's batch @b, record @i: who it is, then filler. */
static void st_fill(uint8_t *p, int w, int b, int i)
{
	uint32_t len = st_len[kind_of(w, b, i)], x;

	memcpy(p, "ESFC", 4);
	put_be64(p + 4, (uint64_t)w << 48 | (uint64_t)b << 16 | (uint64_t)i);
	memset(p + 12, 0, 4);
	for (x = ST_HDR; x < len; x++)
		p[x] = (uint8_t)(w * 131 + b * 7 + i * 3 + x);
}

static int st_keep(struct stress *st, const struct esf_res *res, const uint8_t *rec)
{
	uint8_t *copy;

	if (!nonce_matches(rec, res->seq))
		return -EILSEQ;
	copy = malloc(res->out_len);
	if (!copy)
		return -ENOMEM;
	memcpy(copy, rec, res->out_len);
	pthread_mutex_lock(&st->lock);
	if (st->ngot == ST_RECORDS) {
		pthread_mutex_unlock(&st->lock);
		free(copy);
		return -E2BIG;
	}
	st->got[st->ngot++] = (struct got){ res->seq, res->out_len, copy };
	pthread_mutex_unlock(&st->lock);
	return 0;
}

static int st_take(void *arg, const struct esf_res *res, const uint8_t *rec)
{
	return st_keep(arg, res, rec);
}

/*
 * A reader with nothing to read sleeps until a batch ends (the socket's
 * POLLIN; 10 ms at most, to see the end of the test) rather than spinning
 * on sched_yield(): three spinning readers kept both vCPUs busy, and the
 * writers waited for the scheduler to reach the one reader that had work.
 * Readers still sleep in recvmsg() on a batch that is running whenever a
 * writer opened it first, and race each other for every batch.
 */
static void *st_reader(void *arg)
{
	struct stress *st = arg;
	struct pollfd p = { .fd = st->fd, .events = POLLIN };
	uint8_t *buf = malloc(RECV_BUF);
	char why[200];
	ssize_t n;

	while (buf && !st->v.failed) {
		n = recv(st->fd, buf, RECV_BUF, 0);
		if (n < 0 && errno == ENODATA) {
			if (st->stop)
				break;
			poll(&p, 1, 10);
			continue;
		}
		if (n <= 0) {
			fail(&st->v, "recv: %s", n ? strerror(errno) : "0 bytes");
			break;
		}
		if (walk_results(buf, (size_t)n, st->size, 4, st_take, st, why, sizeof(why)))
			fail(&st->v, "reader: %s", why);
	}
	free(buf);
	return NULL;
}

/*
 * One batch in place: the results come back in the writer's own buffers,
 * straight from sendmsg(), whatever the readers do meanwhile.
 */
static int st_direct(struct stress *st, struct esf_fp_rec *r, int n, uint8_t *out)
{
	struct esf_output tab[ST_MAXREC];
	struct esf_res res;
	size_t off = 0;
	int i, err;

	for (i = 0; i < n; i++) {
		r[i].out = out + off;
		off += esf_fp_slot(&st->info, ESF_OP_SEAL, r[i].data_len);
	}
	while ((err = esf_fp_direct(st->fd, &st->info, r, n, 0, tab, n, 1)) == -EBUSY &&
	       !st->v.failed) {
		pthread_mutex_unlock(&st->wlock);
		sched_yield();
		pthread_mutex_lock(&st->wlock);
	}
	for (i = 0; !err && i < n; i++) {
		res = tab[i].res;
		if (res.status || res.out_len != esf_fp_slot(&st->info, ESF_OP_SEAL, r[i].data_len))
			return res.status ? res.status : -EPROTO;
		err = st_keep(st, &res, r[i].out);
	}
	return err;
}

/* Send under the writers' lock, letting go of it while the socket is busy. */
static int st_send(struct stress *st, const struct esf_fp_rec *r, int n, int flags)
{
	int err;

	while ((err = esf_fp_send(st->fd, r, n, flags)) == -EBUSY && !st->v.failed) {
		pthread_mutex_unlock(&st->wlock);
		sched_yield();
		pthread_mutex_lock(&st->wlock);
	}
	return err;
}

static void *st_writer(void *arg)
{
	struct writer *wr = arg;
	struct stress *st = wr->st;
	struct esf_fp_rec r[ST_MAXREC];
	uint8_t *in = malloc(ST_MAXREC * 3000), *out = malloc(ST_MAXREC * 3100);
	bool direct = st->direct && wr->w > 0;
	int b, i, n, half, err = 0;

	for (b = 0; b < ST_BATCHES && in && out && !err && !st->v.failed; b++) {
		n = records_in(b);
		for (i = 0; i < n; i++) {
			int k = kind_of(wr->w, b, i);

			st_fill(in + i * 3000, wr->w, b, i);
			r[i] = (struct esf_fp_rec){ .op = ESF_OP_SEAL, .aad = st->aad,
						    .aad_len = st_aad[k], .data = in + i * 3000,
						    .data_len = st_len[k] };
		}
		/* Every third batch of two or more records over two calls. */
		half = !direct && n > 1 && b % 3 == 0 ? n / 2 : 0;
		pthread_mutex_lock(&st->wlock);
		if (direct)
			err = st_direct(st, r, n, out);
		else if (half)
			err = st_send(st, r, half, MSG_MORE);
		if (!err && half) {
			sched_yield();
			err = esf_fp_send(st->fd, r + half, n - half, 0);
		} else if (!err && !direct) {
			err = st_send(st, r, n, 0);
		}
		pthread_mutex_unlock(&st->wlock);
		if (!err) {
			pthread_mutex_lock(&st->lock);
			st->sent += n;
			pthread_mutex_unlock(&st->lock);
		}
	}
	if (err)
		fail(&st->v, "writer %d, batch %d: %s", wr->w, b - 1, strerror(-err));
	else if (!in || !out)
		fail(&st->v, "writer %d: out of memory", wr->w);
	free(in);
	free(out);
	return NULL;
}

static int by_seq(const void *a, const void *b)
{
	const struct got *x = a, *y = b;

	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/*
 * Open every result on the verifier, in sequence order (the replay window
 * only moves forward), and tick off the record its plaintext names. 0, or
 * -errno with @why filled in.
 */
static int st_verify(struct stress *st, const struct esf_fp *vfp, char *why, size_t why_len)
{
	static uint8_t seen[ST_WRITERS][ST_BATCHES][ST_MAXREC];
	struct esf_fp_rec r[64];
	uint8_t *plain = malloc(64 * 3000), want[3000];
	size_t at, k, n, done = 0;
	int err = 0;

	memset(seen, 0, sizeof(seen));
	qsort(st->got, st->ngot, sizeof(*st->got), by_seq);
	for (at = 0; at < st->ngot && !err; at += n) {
		size_t bytes = 0;

		for (k = 0; k < 64 && at + k < st->ngot; k++) {
			struct got *g = &st->got[at + k];
			int kind;

			if (at + k && g->seq == g[-1].seq) {
				snprintf(why, why_len, "sequence number %llu given twice",
					 (unsigned long long)g->seq);
				err = -EEXIST;
				goto out;
			}
			for (kind = 0; st->size[kind] != g->len; kind++)
				;
			/* Well under the socket's default send buffer. */
			bytes += sizeof(struct esf_rec) + st_aad[kind] + g->len;
			if (k && bytes > 65536)
				break;
			r[k] = (struct esf_fp_rec){ .op = ESF_OP_OPEN, .aad = st->aad,
						    .aad_len = st_aad[kind], .data = g->rec,
						    .data_len = g->len, .out = plain + k * 3000 };
		}
		n = k;
		err = esf_fp_run(vfp->op, &vfp->info, r, n);
		if (err)
			snprintf(why, why_len, "opening on the verifier: %s", strerror(-err));
		for (k = 0; k < n && !err; k++) {
			const uint8_t *p = plain + k * 3000;
			uint64_t who = be64(p + 4);
			int w = (int)(who >> 48), b = (int)(who >> 16 & 0xffffffff), i = who & 0xffff;

			if (r[k].status || memcmp(p, "ESFC", 4) || w >= ST_WRITERS ||
			    b >= ST_BATCHES || i >= records_in(b) ||
			    r[k].out_len != st_len[kind_of(w, b, i)]) {
				snprintf(why, why_len, "sequence number %llu does not open to a record "
					 "that was sent (status %d)",
					 (unsigned long long)st->got[at + k].seq, r[k].status);
				err = -EBADMSG;
				break;
			}
			st_fill(want, w, b, i);
			if (memcmp(p, want, r[k].out_len) || seen[w][b][i]++) {
				snprintf(why, why_len, "writer %d batch %d record %d %s", w, b, i,
					 seen[w][b][i] > 1 ? "delivered twice" : "came back altered");
				err = -EILSEQ;
				break;
			}
			done++;
		}
	}
	if (!err && done != st->sent) {
		snprintf(why, why_len, "%zu of %llu records delivered", done,
			 (unsigned long long)st->sent);
		err = -ENODATA;
	}
out:
	free(plain);
	return err;
}

FIXTURE(stress) {
	struct pair p;
};

FIXTURE_VARIANT(stress) {
	const struct provider *pv;
	bool direct;
};

FIXTURE_VARIANT_ADD(stress, cpu) {
	.pv = &cpu_gcm,
};

FIXTURE_VARIANT_ADD(stress, cpu_in_place) {
	.pv = &cpu_gcm,
	.direct = true,
};

FIXTURE_VARIANT_ADD(stress, async) {
	.pv = &async_authenc,
};

FIXTURE_VARIANT_ADD(stress, async_in_place) {
	.pv = &async_authenc,
	.direct = true,
};

FIXTURE_SETUP(stress)
{
	if (variant->pv->driver && !esf_have_driver("virtio_crypto_aes_cbc"))
		SKIP(return, "no virtio-crypto device (scripts/vm-run --virtio-crypto)");
	ASSERT_EQ(0, pair_setup(&self->p, variant->pv)) TH_LOG("%s", self->p.nl.errmsg);
}

FIXTURE_TEARDOWN(stress)
{
	pair_teardown(&self->p);
}

/*
 * Writers and readers on one socket: each record delivered once, to
 * somebody, under a number no other record has, and opening to exactly
 * what its writer sealed.
 */
TEST_F_TIMEOUT(stress, many_writers_and_readers_on_one_socket, 600)
{
	struct stress *st = calloc(1, sizeof(*st));
	struct writer wr[ST_WRITERS];
	pthread_t tw[ST_WRITERS], tr[ST_READERS];
	struct esf_fp fp;
	char why[256] = "";
	double t0 = now();
	size_t k;
	int i;

	ASSERT_NE(NULL, st);
	st->got = calloc(ST_RECORDS, sizeof(*st->got));
	ASSERT_NE(NULL, st->got);
	ASSERT_EQ(0, esf_fp_open(&fp, self->p.id));
	st->fd = fp.op;
	st->info = fp.info;
	st->direct = variant->direct;
	for (i = 0; i < 4; i++)
		st->size[i] = esf_fp_slot(&fp.info, ESF_OP_SEAL, st_len[i]);
	rnd(st->aad, sizeof(st->aad));
	pthread_mutex_init(&st->wlock, NULL);
	pthread_mutex_init(&st->lock, NULL);
	pthread_mutex_init(&st->v.lock, NULL);
	for (i = 0; i < ST_READERS; i++)
		ASSERT_EQ(0, pthread_create(&tr[i], NULL, st_reader, st));
	for (i = 0; i < ST_WRITERS; i++) {
		wr[i] = (struct writer){ st, i };
		ASSERT_EQ(0, pthread_create(&tw[i], NULL, st_writer, &wr[i]));
	}
	for (i = 0; i < ST_WRITERS; i++)
		pthread_join(tw[i], NULL);
	/* Readers stop once nothing is left to read. */
	st->stop = true;
	for (i = 0; i < ST_READERS; i++)
		pthread_join(tr[i], NULL);
	ASSERT_EQ(0, st->v.failed) TH_LOG("%s", st->v.why);
	EXPECT_EQ(0, st_verify(st, &self->p.vfp, why, sizeof(why))) TH_LOG("%s", why);
	EXPECT_EQ(st->sent, sess_stat(&self->p.nl, self->p.id, ESF_STATS_A_SEAL));
	EXPECT_EQ(0, sess_stat(&self->p.nl, self->p.id, ESF_STATS_A_ERRORS));
	if (variant->direct && !variant->pv->driver)
		EXPECT_LT(0, sess_stat(&self->p.nl, self->p.id, ESF_STATS_A_ZEROCOPY));
	ksft_print_msg("%d writers, %d readers: %d batches, %llu records in %.1f s\n",
		       ST_WRITERS, ST_READERS, ST_WRITERS * ST_BATCHES,
		       (unsigned long long)st->sent, now() - t0);
	fflush(stdout);
	for (k = 0; k < st->ngot; k++)
		free(st->got[k].rec);
	free(st->got);
	esf_fp_close(&fp);
	free(st);
}

TEST_HARNESS_MAIN
