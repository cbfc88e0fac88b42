// SPDX-License-Identifier: GPL-2.0
/*
 * In-kernel aggregate (ESF_OP_AGGREGATE on /dev/esf): records sealed under
 * several devices' sessions are opened and their plaintexts sealed as one
 * framed record under a gateway's upstream session, in one operation. The
 * result must be what user space gets by opening each record and sealing
 * the framed concatenation with the same keys (byte for byte, against
 * OpenSSL, where the upstream session is gcm(aes)); a failure anywhere
 * leaves no output and no input's window spent; nothing of the plaintexts
 * may appear in the caller's memory; every session is checked for the
 * caller. Variants: the upstream session in software (gcm(aes)), and
 * authenc on virtio-crypto, an asynchronous provider (SKIP without it).
 * The inputs are gcm(aes), ccm(aes) and kw(aes) sessions.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "kselftest_harness.h"
#include "esf_fp.h"
#include "esf_nl.h"
#include "esf_sess.h"
#include "esf_util.h"

#define NREC	64		/* records sealed by the devices */
#define NDEV	3		/* device sessions, one per algorithm */
#define AAD1	13		/* a device record's AAD */
#define UAAD	17		/* the upstream record's AAD */
#define STRIDE	512		/* a device record in the region */
#define REC_AT	ESF_FP_DATA
#define DESC_AT	(128u << 10)	/* an entry's input array, 2 KiB each */
#define UAAD_AT	(256u << 10)	/* an entry's upstream AAD, 64 bytes each */
#define OUT_AT	(512u << 10)	/* an entry's output slot, OSTRIDE each */
#define OSTRIDE	(16u << 10)
#define MARK	0xa5

#define NEED_SETUP()	do { if (self->skip) SKIP(return, "no virtio-crypto device"); } while (0)

static const char *const dev_alg[NDEV] = { "gcm(aes)", "ccm(aes)", "kw(aes)" };

FIXTURE(agg) {
	struct esf_nl nl;
	uint8_t kd[NDEV][16], ku[48];
	uint32_t d_seal[NDEV], d_open[NDEV];
	uint32_t u_seal, u_open;
	struct esf_session_info iu;
	uint8_t *pt[NREC];
	uint32_t len[NREC];
	uint8_t sealed[NREC][STRIDE];
	uint32_t sealed_len[NREC];
	bool skip;
};

FIXTURE_VARIANT(agg) {
	const char *up_alg;
	size_t up_key;
	bool up_hw;		/* authenc on virtio-crypto */
};

FIXTURE_VARIANT_ADD(agg, to_gcm_software) {
	.up_alg = "gcm(aes)", .up_key = 16,
};

FIXTURE_VARIANT_ADD(agg, to_authenc_virtio) {
	.up_alg = "authenc(hmac(sha256),cbc(aes))", .up_key = 48, .up_hw = true,
};

static int bind_agg(int fd, uint32_t id)
{
	struct esf_dev_bind b = { .session_id = id };

	return ioctl(fd, ESF_DEV_BIND_AGGREGATE, &b) ? -errno : 0;
}

static int run(int fd, uint32_t n)
{
	struct esf_dev_submit sub = { .count = n, .flags = ESF_DEV_SUBMIT_WAIT };

	return ioctl(fd, ESF_DEV_SUBMIT, &sub) ? -errno : 0;
}

static void aad_of(uint8_t *aad, unsigned int which, unsigned int i, size_t len)
{
	memset(aad, (int)(0x40 + which), len);
	aad[0] = (uint8_t)i;
}

static void add_pair(struct __test_metadata *_metadata, struct esf_nl *nl, const char *alg,
		     const char *driver, const uint8_t *key, size_t key_len, uint32_t *seal,
		     uint32_t *open)
{
	struct sess o = { .alg = alg, .driver = driver, .key = key, .key_len = key_len,
			  .direction = ESF_DIR_SEAL };

	ASSERT_EQ(0, sess_add(nl, &o, seal)) TH_LOG("%s: %s", alg, nl->errmsg);
	o.direction = ESF_DIR_OPEN;
	ASSERT_EQ(0, sess_add(nl, &o, open)) TH_LOG("%s: %s", alg, nl->errmsg);
}

/* Record i is device i % NDEV's, sealed under its SEAL session. */
static void seal_records(struct __test_metadata *_metadata, FIXTURE_DATA(agg) *self)
{
	struct esf_fp_dev *d;
	unsigned int i, k, n;
	int fd;

	for (k = 0; k < NDEV; k++) {
		fd = esf_fp_dev_handle(self->d_seal[k], &d);
		ASSERT_LE(0, fd);
		for (i = k, n = 0; i < NREC; i += NDEV, n++) {
			uint32_t at = REC_AT + n * STRIDE;

			aad_of(d->base + at, 1, i, AAD1);
			memcpy(d->base + at + 32, self->pt[i], self->len[i]);
			d->table[n] = (struct esf_dev_rec){
				.op = ESF_OP_SEAL, .aad_off = at, .aad_len = AAD1,
				.in_off = at + 32, .in_len = self->len[i],
				.out_off = OUT_AT + n * STRIDE, .out_size = STRIDE,
			};
		}
		ASSERT_EQ(0, run(fd, n));
		for (i = k, n = 0; i < NREC; i += NDEV, n++) {
			ASSERT_EQ(0, d->table[n].res.status);
			self->sealed_len[i] = d->table[n].res.out_len;
			memcpy(self->sealed[i], d->base + d->table[n].out_off, self->sealed_len[i]);
		}
		esf_fp_close_fd(fd);
	}
}

FIXTURE_SETUP(agg)
{
	const char *up_driver = NULL;
	unsigned int i, k;
	int fd;

	ASSERT_EQ(0, esf_module_ensure_loaded());
	ASSERT_EQ(0, esf_nl_open(&self->nl));
	sess_flush(&self->nl);
	if (variant->up_hw) {
		self->skip = !esf_have_driver("virtio_crypto_aes_cbc");
		if (self->skip)
			SKIP(return, "no virtio-crypto device");
		up_driver = esf_authenc_virtio();
	}
	for (k = 0; k < NDEV; k++) {
		rnd(self->kd[k], sizeof(self->kd[k]));
		add_pair(_metadata, &self->nl, dev_alg[k], NULL, self->kd[k], 16,
			 &self->d_seal[k], &self->d_open[k]);
	}
	rnd(self->ku, sizeof(self->ku));
	add_pair(_metadata, &self->nl, variant->up_alg, up_driver, self->ku, variant->up_key,
		 &self->u_seal, &self->u_open);
	fd = esf_fp_dev_bind(self->u_seal);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ioctl(fd, ESF_DEV_INFO, &self->iu));
	close(fd);
	for (i = 0; i < NREC; i++) {
		/* 0 to 199 bytes, a few of them empty: 64 fit one aggregate. */
		self->len[i] = (i * 37) % 200;
		self->pt[i] = malloc(self->len[i] + 1);
		ASSERT_NE(NULL, self->pt[i]);
		rnd(self->pt[i], self->len[i]);
	}
	seal_records(_metadata, self);
}

FIXTURE_TEARDOWN(agg)
{
	unsigned int i;

	for (i = 0; i < NREC; i++)
		free(self->pt[i]);
	sess_flush(&self->nl);
	esf_nl_close(&self->nl);
}

/* A handle sealing under @up, opening under the devices' sessions (slot k: device k). */
static int agg_handle(struct __test_metadata *_metadata, FIXTURE_DATA(agg) *self, uint32_t up,
		      struct esf_fp_dev **d)
{
	unsigned int k;
	int fd = esf_fp_dev_handle(up, d);

	EXPECT_LE(0, fd);
	for (k = 0; fd >= 0 && k < NDEV; k++)
		EXPECT_EQ(0, bind_agg(fd, self->d_open[k]));
	return fd;
}

/* Record @i where the caller's handle finds it: slot @j of the record area. */
static void put_record(FIXTURE_DATA(agg) *self, struct esf_fp_dev *d, unsigned int j,
		       unsigned int i)
{
	uint32_t at = REC_AT + j * STRIDE;

	aad_of(d->base + at, 1, i, AAD1);
	memcpy(d->base + at + 32, self->sealed[i], self->sealed_len[i]);
}

/*
 * Table entry @e aggregates records @recs[0..n-1], each already in the
 * record area at its place @at[..] (put_record()).
 */
static void put_agg(struct esf_fp_dev *d, unsigned int e, const unsigned int *recs,
		    const unsigned int *at, unsigned int n, const uint32_t *sealed_len)
{
	struct esf_dev_agg_in *in = (struct esf_dev_agg_in *)(d->base + DESC_AT + e * 2048);
	unsigned int j;

	for (j = 0; j < n; j++)
		in[j] = (struct esf_dev_agg_in){
			.slot = (uint16_t)(recs[j] % NDEV),
			.aad_off = REC_AT + at[j] * STRIDE, .aad_len = AAD1,
			.in_off = REC_AT + at[j] * STRIDE + 32, .in_len = sealed_len[recs[j]],
			.status = 12345,
		};
	aad_of(d->base + UAAD_AT + e * 64, 2, e, UAAD);
	d->table[e] = (struct esf_dev_rec){
		.op = ESF_OP_AGGREGATE, .aad_off = UAAD_AT + e * 64, .aad_len = UAAD,
		.in_off = DESC_AT + e * 2048, .in_len = n * sizeof(*in),
		.out_off = OUT_AT + e * OSTRIDE, .out_size = OSTRIDE,
	};
}

static struct esf_dev_agg_in *inputs(struct esf_fp_dev *d, unsigned int e)
{
	return (struct esf_dev_agg_in *)(d->base + DESC_AT + e * 2048);
}

/* The framed plaintext of records @recs: be32 length, then the bytes, each. */
static size_t framed(FIXTURE_DATA(agg) *self, const unsigned int *recs, unsigned int n,
		     uint8_t *out)
{
	size_t at = 0;
	unsigned int j;

	for (j = 0; j < n; j++) {
		uint32_t l = self->len[recs[j]];

		out[at] = (uint8_t)(l >> 24);
		out[at + 1] = (uint8_t)(l >> 16);
		out[at + 2] = (uint8_t)(l >> 8);
		out[at + 3] = (uint8_t)l;
		memcpy(out + at + 4, self->pt[recs[j]], l);
		at += 4 + l;
	}
	return at;
}

static uint32_t up_slot(const struct esf_session_info *iu, uint32_t len)
{
	uint32_t padded = iu->nonce_len == ESF_NONCE_LEN_AUTHENC ? (len / 16 + 1) * 16 : len;

	return iu->nonce_len + padded + iu->tag_len;
}

/* Open upstream record @rec under the upstream OPEN session: its plaintext, or -errno. */
static int open_up(FIXTURE_DATA(agg) *self, unsigned int e, const uint8_t *rec, uint32_t len,
		   uint8_t *out, uint32_t *out_len)
{
	struct esf_fp_dev *d;
	int fd = esf_fp_dev_handle(self->u_open, &d), status;

	if (fd < 0)
		return fd;
	aad_of(d->base + ESF_FP_DATA, 2, e, UAAD);
	memcpy(d->base + ESF_FP_DATA + 64, rec, len);
	d->table[0] = (struct esf_dev_rec){
		.op = ESF_OP_OPEN, .aad_off = ESF_FP_DATA, .aad_len = UAAD,
		.in_off = ESF_FP_DATA + 64, .in_len = len,
		.out_off = OUT_AT, .out_size = OSTRIDE,
	};
	status = run(fd, 1) ?: d->table[0].res.status;
	if (!status) {
		*out_len = d->table[0].res.out_len;
		memcpy(out, d->base + OUT_AT, *out_len);
	}
	esf_fp_close_fd(fd);
	return status;
}

/* What user space makes of @pt with the upstream gcm(aes) key and @nonce. */
static int evp_seal(const uint8_t *key, const uint8_t *nonce, const uint8_t *aad,
		    const uint8_t *pt, size_t len, uint8_t *out)
{
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	int n, ok;

	memcpy(out, nonce, ESF_NONCE_LEN);
	ok = c && EVP_EncryptInit_ex(c, EVP_aes_128_gcm(), NULL, key, nonce) &&
	     EVP_EncryptUpdate(c, NULL, &n, aad, UAAD) &&
	     (!len || EVP_EncryptUpdate(c, out + ESF_NONCE_LEN, &n, pt, (int)len)) &&
	     EVP_EncryptFinal_ex(c, out + ESF_NONCE_LEN + len, &n) &&
	     EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, 16, out + ESF_NONCE_LEN + len);
	EVP_CIPHER_CTX_free(c);
	return ok ? 0 : -EIO;
}

/* A device's gcm(aes) record opened in user space, as a gateway without esf would. */
static int evp_open_dev(const uint8_t *key, unsigned int i, const uint8_t *rec, uint32_t len,
			uint8_t *out)
{
	uint32_t ct = len - ESF_NONCE_LEN - 16;
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	uint8_t aad[AAD1];
	int n, ok;

	aad_of(aad, 1, i, AAD1);
	ok = c && EVP_DecryptInit_ex(c, EVP_aes_128_gcm(), NULL, key, rec) &&
	     EVP_DecryptUpdate(c, NULL, &n, aad, AAD1) &&
	     (!ct || EVP_DecryptUpdate(c, out, &n, rec + ESF_NONCE_LEN, (int)ct)) &&
	     EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, 16, (void *)(rec + len - 16)) &&
	     EVP_DecryptFinal_ex(c, out + ct, &n);
	EVP_CIPHER_CTX_free(c);
	return ok ? (int)ct : -EBADMSG;
}

TEST_F(agg, one_record_of_all_equals_open_then_seal)
{
	static uint8_t want[OSTRIDE], got[OSTRIDE], evp[OSTRIDE], uaad[UAAD];
	unsigned int recs[NREC], j;
	struct esf_fp_dev *d;
	uint32_t got_len, out_len;
	size_t want_len;
	int fd, n;

	NEED_SETUP();
	fd = agg_handle(_metadata, self, self->u_seal, &d);
	ASSERT_LE(0, fd);
	for (j = 0; j < NREC; j++) {
		recs[j] = j;
		put_record(self, d, j, j);
	}
	put_agg(d, 0, recs, recs, NREC, self->sealed_len);
	ASSERT_EQ(0, run(fd, 1));
	ASSERT_EQ(0, d->table[0].res.status);
	want_len = framed(self, recs, NREC, want);
	out_len = d->table[0].res.out_len;
	EXPECT_EQ(up_slot(&self->iu, want_len), out_len);
	for (j = 0; j < NREC; j++)
		EXPECT_EQ(0, inputs(d, 0)[j].status) TH_LOG("input %u", j);
	/* The upstream peer opens the framed plaintexts, in order. */
	ASSERT_EQ(0, open_up(self, 0, d->base + OUT_AT, out_len, got, &got_len));
	ASSERT_EQ(want_len, got_len);
	EXPECT_EQ(0, memcmp(want, got, want_len));
	if (!variant->up_hw) {
		/*
		 * User space opening the gcm(aes) devices' records itself and
		 * sealing the framed result with the same key and nonce makes
		 * the same bytes.
		 */
		for (j = 0; j < NREC; j += NDEV) {
			n = evp_open_dev(self->kd[0], j, self->sealed[j], self->sealed_len[j], got);
			ASSERT_EQ((int)self->len[j], n);
			EXPECT_EQ(0, memcmp(got, self->pt[j], self->len[j]));
		}
		aad_of(uaad, 2, 0, UAAD);
		ASSERT_EQ(0, evp_seal(self->ku, d->base + OUT_AT, uaad, want, want_len, evp));
		EXPECT_EQ(0, memcmp(evp, d->base + OUT_AT, out_len));
	}
	for (j = 0; j < NDEV; j++) {
		EXPECT_EQ(NREC / NDEV + (j < NREC % NDEV),
			  sess_stat(&self->nl, self->d_open[j], ESF_STATS_A_AGGREGATE));
		EXPECT_EQ(NREC / NDEV + (j < NREC % NDEV),
			  sess_stat(&self->nl, self->d_open[j], ESF_STATS_A_OPEN));
	}
	EXPECT_EQ(1, sess_stat(&self->nl, self->u_seal, ESF_STATS_A_AGGREGATE));
	EXPECT_EQ(1, sess_stat(&self->nl, self->u_seal, ESF_STATS_A_SEAL));
	/* Every record's window entry is spent: the same aggregate again is a replay. */
	ASSERT_EQ(0, run(fd, 1));
	EXPECT_EQ(-EALREADY, d->table[0].res.status);
	esf_fp_close_fd(fd);
}

/* Nothing of any plaintext in the caller's memory, on success or failure. */
TEST_F(agg, plaintext_never_reaches_the_callers_memory)
{
	unsigned int recs[2][NREC / 2], at[2][NREC / 2], e, j;
	struct esf_fp_dev *d;
	int fd, i;

	NEED_SETUP();
	fd = agg_handle(_metadata, self, self->u_seal, &d);
	ASSERT_LE(0, fd);
	/* Everything the caller hands over but the table: a marker. */
	memset(d->base + ESF_FP_DATA, MARK, d->len - ESF_FP_DATA);
	for (e = 0; e < 2; e++) {
		for (j = 0; j < NREC / 2; j++) {
			recs[e][j] = e * (NREC / 2) + j;
			at[e][j] = recs[e][j];
			put_record(self, d, at[e][j], recs[e][j]);
		}
		put_agg(d, e, recs[e], at[e], NREC / 2, self->sealed_len);
	}
	/* The second aggregate's last input has a bad tag: opened ones are in the kernel. */
	d->base[REC_AT + (NREC - 1) * STRIDE + 32 + self->sealed_len[NREC - 1] - 1] ^= 1;
	ASSERT_EQ(0, run(fd, 2));
	EXPECT_EQ(0, d->table[0].res.status);
	EXPECT_EQ(-EBADMSG, d->table[1].res.status);
	for (i = 0; i < NREC; i++) {
		if (self->len[i] < 16)
			continue;
		EXPECT_EQ(NULL, memmem(d->base, d->len, self->pt[i], 16)) TH_LOG("record %d", i);
		EXPECT_EQ(NULL, memmem(d->base, d->len, self->pt[i] + self->len[i] - 16, 16));
	}
	esf_fp_close_fd(fd);
}

/*
 * A bad tag in the middle: no output, every other input -ECANCELED, no
 * window spent (the good ones aggregate afterwards), only the upstream
 * sequence number spent.
 */
TEST_F(agg, a_bad_input_leaves_nothing_behind)
{
	static uint8_t buf[OSTRIDE];
	unsigned int recs[10], k, j, bad = 5;
	uint32_t slot;
	struct esf_fp_dev *d;
	uint64_t seq;
	int fd;

	NEED_SETUP();
	fd = agg_handle(_metadata, self, self->u_seal, &d);
	ASSERT_LE(0, fd);
	for (j = 0; j < 10; j++) {
		recs[j] = j + 1;
		put_record(self, d, j + 1, j + 1);
	}
	put_agg(d, 0, recs, recs, 10, self->sealed_len);
	put_agg(d, 1, recs, recs, 1, self->sealed_len);
	ASSERT_EQ(0, run(fd, 2));
	ASSERT_EQ(-EALREADY, d->table[1].res.status) TH_LOG("a second aggregate of record 1");
	seq = d->table[0].res.seq;
	/* Fresh records 11..20 now; 16's ciphertext broken. */
	for (j = 0; j < 10; j++) {
		recs[j] = j + 11;
		put_record(self, d, j + 11, j + 11);
	}
	d->base[REC_AT + recs[bad] * STRIDE + 32 + ESF_NONCE_LEN] ^= 0x80;
	put_agg(d, 0, recs, recs, 10, self->sealed_len);
	memset(d->base + OUT_AT, MARK, OSTRIDE);
	ASSERT_EQ(0, run(fd, 1));
	EXPECT_EQ(-EBADMSG, d->table[0].res.status);
	EXPECT_EQ(0, d->table[0].res.out_len);
	/* The record's slot is zeros, whatever was there. */
	slot = up_slot(&self->iu, framed(self, recs, 10, buf));
	for (k = 0; k < slot; k++)
		ASSERT_EQ(0, d->base[OUT_AT + k]) TH_LOG("output byte %u", k);
	for (j = 0; j < 10; j++)
		EXPECT_EQ(j == bad ? -EBADMSG : -ECANCELED, inputs(d, 0)[j].status)
			TH_LOG("input %u", j);
	EXPECT_EQ(1, sess_stat(&self->nl, self->d_open[recs[bad] % NDEV],
			       ESF_STATS_A_AUTH_FAIL));
	/* 10 opened and counted before: none of these. */
	EXPECT_EQ(10, sess_stat(&self->nl, self->d_open[0], ESF_STATS_A_OPEN) +
		      sess_stat(&self->nl, self->d_open[1], ESF_STATS_A_OPEN) +
		      sess_stat(&self->nl, self->d_open[2], ESF_STATS_A_OPEN));
	/* The nine good ones, without the bad: nothing of them was spent. */
	memmove(recs + bad, recs + bad + 1, (9 - bad) * sizeof(recs[0]));
	put_agg(d, 0, recs, recs, 9, self->sealed_len);
	ASSERT_EQ(0, run(fd, 1));
	EXPECT_EQ(0, d->table[0].res.status);
	/*
	 * Each failed record took the upstream's next number, as a re-seal's
	 * does: the replay of record 1, then the bad aggregate.
	 */
	EXPECT_EQ(seq + 3, d->table[0].res.seq);
	EXPECT_EQ(2, sess_stat(&self->nl, self->u_seal, ESF_STATS_A_AGGREGATE));
	esf_fp_close_fd(fd);
}

/* A replayed input, or one record twice, fails the aggregate; the fresh ones stay fresh. */
TEST_F(agg, replays_fail_the_aggregate_and_spend_nothing)
{
	unsigned int recs[3], at[3];
	struct esf_fp_dev *d;
	int fd;

	NEED_SETUP();
	fd = agg_handle(_metadata, self, self->u_seal, &d);
	ASSERT_LE(0, fd);
	put_record(self, d, 0, 0);
	put_record(self, d, 1, 1);
	put_record(self, d, 2, 2);
	recs[0] = 0;
	at[0] = 0;
	put_agg(d, 0, recs, at, 1, self->sealed_len);
	ASSERT_EQ(0, run(fd, 1));
	ASSERT_EQ(0, d->table[0].res.status);
	/* Record 1 fresh, record 0 replayed. */
	recs[0] = 1, at[0] = 1, recs[1] = 0, at[1] = 0;
	put_agg(d, 0, recs, at, 2, self->sealed_len);
	ASSERT_EQ(0, run(fd, 1));
	EXPECT_EQ(-EALREADY, d->table[0].res.status);
	EXPECT_EQ(-ECANCELED, inputs(d, 0)[0].status);
	EXPECT_EQ(-EALREADY, inputs(d, 0)[1].status);
	/* Record 2 twice in one aggregate, after record 1. */
	recs[0] = 1, at[0] = 1, recs[1] = 2, at[1] = 2, recs[2] = 2, at[2] = 2;
	put_agg(d, 0, recs, at, 3, self->sealed_len);
	ASSERT_EQ(0, run(fd, 1));
	EXPECT_EQ(-EALREADY, d->table[0].res.status);
	EXPECT_EQ(-ECANCELED, inputs(d, 0)[0].status);
	EXPECT_EQ(-ECANCELED, inputs(d, 0)[1].status);
	EXPECT_EQ(-EALREADY, inputs(d, 0)[2].status);
	EXPECT_EQ(2, sess_stat(&self->nl, self->d_open[2], ESF_STATS_A_REPLAY) +
		     sess_stat(&self->nl, self->d_open[0], ESF_STATS_A_REPLAY));
	/* Records 1 and 2, once each: both fresh still. */
	put_agg(d, 0, recs, at, 2, self->sealed_len);
	ASSERT_EQ(0, run(fd, 1));
	EXPECT_EQ(0, d->table[0].res.status);
	esf_fp_close_fd(fd);
}

/* A session that keeps no replay window takes a record twice, as OPEN does. */
TEST_F(agg, no_window_no_replay)
{
	struct sess o = { .alg = "gcm(aes)", .key = self->kd[0], .key_len = 16,
			  .direction = ESF_DIR_OPEN, .has_window = true, .window = 0 };
	static uint8_t want[OSTRIDE], got[OSTRIDE];
	unsigned int recs[2] = { 3, 3 }, at[2] = { 3, 3 };
	struct esf_fp_dev *d;
	uint32_t open0, got_len;
	int fd;

	NEED_SETUP();
	ASSERT_EQ(0, sess_add(&self->nl, &o, &open0)) TH_LOG("%s", self->nl.errmsg);
	fd = esf_fp_dev_handle(self->u_seal, &d);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, bind_agg(fd, open0));
	put_record(self, d, 3, 3);
	put_agg(d, 0, recs, at, 2, self->sealed_len);
	/* Record 3 is device 0's: slot 0 is the windowless session. */
	ASSERT_EQ(0, run(fd, 1));
	ASSERT_EQ(0, d->table[0].res.status);
	ASSERT_EQ(0, open_up(self, 0, d->base + OUT_AT, d->table[0].res.out_len, got, &got_len));
	ASSERT_EQ(framed(self, recs, 2, want), got_len);
	EXPECT_EQ(0, memcmp(want, got, got_len));
	esf_fp_close_fd(fd);
}

/*
 * The upstream session's hard lifetime: the aggregate is refused before
 * anything is opened, and its inputs still open under their sessions.
 */
TEST_F(agg, refused_by_the_upstream_lifetime_before_opening)
{
	struct sess o = { .alg = variant->up_alg, .key = self->ku, .key_len = variant->up_key,
			  .direction = ESF_DIR_SEAL, .hard_msgs = 1 };
	unsigned int recs[4] = { 3, 4, 5, 6 };
	struct esf_fp_dev *d, *od;
	uint32_t one;
	int fd, ofd;

	NEED_SETUP();
	if (variant->up_hw)
		o.driver = esf_authenc_virtio();
	ASSERT_EQ(0, sess_add(&self->nl, &o, &one)) TH_LOG("%s", self->nl.errmsg);
	fd = agg_handle(_metadata, self, one, &d);
	ASSERT_LE(0, fd);
	put_record(self, d, 3, 3);
	put_record(self, d, 4, 4);
	put_record(self, d, 5, 5);
	put_record(self, d, 6, 6);
	put_agg(d, 0, recs, recs, 2, self->sealed_len);
	put_agg(d, 1, recs + 2, recs + 2, 2, self->sealed_len);
	ASSERT_EQ(0, run(fd, 2));
	EXPECT_EQ(0, d->table[0].res.status);
	EXPECT_EQ(-EKEYEXPIRED, d->table[1].res.status);
	EXPECT_EQ(-ECANCELED, inputs(d, 1)[0].status);
	EXPECT_EQ(-ECANCELED, inputs(d, 1)[1].status);
	/* Records 3 and 4 opened; 5 and 6 not even looked at. */
	EXPECT_EQ(1, sess_stat(&self->nl, self->d_open[3 % NDEV], ESF_STATS_A_OPEN));
	EXPECT_EQ(0, sess_stat(&self->nl, self->d_open[5 % NDEV], ESF_STATS_A_OPEN));
	EXPECT_EQ(0, sess_stat(&self->nl, self->d_open[5 % NDEV], ESF_STATS_A_AUTH_FAIL));
	esf_fp_close_fd(fd);

	/* Record 5 opens as it is, under its device's session. */
	ofd = esf_fp_dev_handle(self->d_open[5 % NDEV], &od);
	ASSERT_LE(0, ofd);
	aad_of(od->base + ESF_FP_DATA, 1, 5, AAD1);
	memcpy(od->base + ESF_FP_DATA + 64, self->sealed[5], self->sealed_len[5]);
	od->table[0] = (struct esf_dev_rec){
		.op = ESF_OP_OPEN, .aad_off = ESF_FP_DATA, .aad_len = AAD1,
		.in_off = ESF_FP_DATA + 64, .in_len = self->sealed_len[5],
		.out_off = OUT_AT, .out_size = OSTRIDE,
	};
	ASSERT_EQ(0, run(ofd, 1));
	EXPECT_EQ(0, od->table[0].res.status);
	EXPECT_EQ(0, memcmp(od->base + OUT_AT, self->pt[5], self->len[5]));
	esf_fp_close_fd(ofd);
}

/* Many aggregates in flight at once, batch after batch, on fresh records each time. */
TEST_F(agg, many_aggregates_under_load)
{
	static uint8_t want[OSTRIDE], got[OSTRIDE];
	unsigned int recs[NREC], e, j, round;
	const unsigned int per = 8, ne = NREC / per;
	struct esf_fp_dev *d;
	uint32_t got_len;
	int fd;

	NEED_SETUP();
	for (round = 0; round < 4; round++) {
		/* Fresh records each round, sealed again by the devices. */
		seal_records(_metadata, self);
		fd = agg_handle(_metadata, self, self->u_seal, &d);
		ASSERT_LE(0, fd);
		for (j = 0; j < NREC; j++) {
			recs[j] = j;
			put_record(self, d, j, j);
		}
		for (e = 0; e < ne; e++)
			put_agg(d, e, recs + e * per, recs + e * per, per, self->sealed_len);
		ASSERT_EQ(0, run(fd, ne));
		for (e = 0; e < ne; e++) {
			size_t want_len = framed(self, recs + e * per, per, want);

			ASSERT_EQ(0, d->table[e].res.status) TH_LOG("round %u entry %u", round, e);
			ASSERT_EQ(0, open_up(self, e, d->base + d->table[e].out_off,
					     d->table[e].res.out_len, got, &got_len));
			ASSERT_EQ(want_len, got_len);
			EXPECT_EQ(0, memcmp(want, got, want_len));
		}
		esf_fp_close_fd(fd);
	}
	EXPECT_EQ(4 * ne, sess_stat(&self->nl, self->u_seal, ESF_STATS_A_AGGREGATE));
	if (variant->up_hw)
		EXPECT_LT(0, sess_stat(&self->nl, self->u_seal, ESF_STATS_A_ASYNC));
}

TEST_F(agg, binding_rules)
{
	struct sess cbc = { .alg = "authenc(hmac(sha256),cbc(aes))", .driver = esf_authenc_cpu(),
			    .key = self->ku, .key_len = 48 };
	unsigned int recs[NREC], j;
	struct esf_fp_dev *d;
	uint32_t authenc;
	int fd;

	NEED_SETUP();
	fd = open("/dev/" ESF_DEV_NAME, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, fd);
	EXPECT_EQ(-EBADFD, bind_agg(fd, self->d_open[0]));
	close(fd);

	fd = esf_fp_dev_handle(self->u_seal, &d);
	ASSERT_LE(0, fd);
	for (j = 0; j < NREC; j++) {
		recs[j] = j;
		put_record(self, d, j, j);
	}
	/* Without opening sessions, AGGREGATE is unknown: the whole batch. */
	put_agg(d, 0, recs, recs, 1, self->sealed_len);
	EXPECT_EQ(-EINVAL, run(fd, 1));
	EXPECT_EQ(-ENOENT, bind_agg(fd, 0x7ffffff0));
	/* An opening session must open. */
	EXPECT_EQ(-EPERM, bind_agg(fd, self->d_seal[0]));
	/* authenc's plaintext length is known only once its padding is off. */
	ASSERT_EQ(0, sess_add(&self->nl, &cbc, &authenc)) TH_LOG("%s", self->nl.errmsg);
	EXPECT_EQ(-EOPNOTSUPP, bind_agg(fd, authenc));
	for (j = 0; j < ESF_AGG_SESSIONS_MAX; j++)
		ASSERT_EQ(0, bind_agg(fd, self->d_open[j % NDEV]));
	EXPECT_EQ(-ENOSPC, bind_agg(fd, self->d_open[0]));
	/* A slot not bound, too many inputs, none, an output slot too small. */
	put_agg(d, 0, recs, recs, 1, self->sealed_len);
	inputs(d, 0)[0].slot = ESF_AGG_SESSIONS_MAX;
	EXPECT_EQ(-EINVAL, run(fd, 1));
	put_agg(d, 0, recs, recs, NREC, self->sealed_len);
	d->table[0].in_len = (ESF_AGG_MAX + 1) * sizeof(struct esf_dev_agg_in);
	EXPECT_EQ(-EINVAL, run(fd, 1));
	d->table[0].in_len = 0;
	EXPECT_EQ(-EINVAL, run(fd, 1));
	put_agg(d, 0, recs, recs, 2, self->sealed_len);
	d->table[0].out_size = up_slot(&self->iu, 8 + self->len[0] + self->len[1]) - 1;
	EXPECT_EQ(-ENOBUFS, run(fd, 1));
	esf_fp_close_fd(fd);

	/* The handle's session must seal. */
	fd = esf_fp_dev_handle(self->u_open, &d);
	ASSERT_LE(0, fd);
	EXPECT_EQ(-EPERM, bind_agg(fd, self->d_open[0]));
	esf_fp_close_fd(fd);
}

/* Another user may aggregate only from sessions it may use. */
static int other_user(uint32_t up, uint32_t own, uint32_t foreign)
{
	int fd;

	if (setresgid(65534, 65534, 65534) || setresuid(4242, 4242, 4242))
		return 10;
	fd = esf_fp_dev_bind(up);
	if (fd < 0)
		return 11;
	if (bind_agg(fd, foreign) != -EACCES)
		return 12;
	if (bind_agg(fd, own))
		return 13;
	close(fd);
	/* Nor may it bind the upstream session of another. */
	return esf_fp_dev_bind(foreign) == -EACCES ? 0 : 14;
}

TEST_F(agg, every_session_checked_for_the_caller)
{
	struct sess o = { .alg = "gcm(aes)", .key = self->ku, .key_len = 16,
			  .has_uid = true, .uid = 4242 };
	uint32_t up, own, foreign;
	int status;
	pid_t pid;

	NEED_SETUP();
	ASSERT_EQ(0, sess_add(&self->nl, &o, &up)) TH_LOG("%s", self->nl.errmsg);
	ASSERT_EQ(0, sess_add(&self->nl, &o, &own));
	o.uid = 4343;
	ASSERT_EQ(0, sess_add(&self->nl, &o, &foreign));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid)
		_exit(other_user(up, own, foreign));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_EQ(0, WEXITSTATUS(status));
}

TEST_HARNESS_MAIN
