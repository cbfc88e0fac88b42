// SPDX-License-Identifier: GPL-2.0
/*
 * In-kernel re-seal (ESF_OP_RESEAL on /dev/esf): records sealed under a
 * session A are opened under A and sealed again under a session B in one
 * operation, as a gateway forwarding hop by hop does. The results must
 * open under B's peer session (and, where B is gcm(aes), under OpenSSL
 * with B's key: not esf against itself only), nothing of the plaintext may
 * appear in the caller's memory, and each session keeps its own replay
 * window, lifetime and counters. Variants: the opening side gcm(aes),
 * ccm(aes) or kw(aes); the sealing side on each kind of algorithm the
 * operation takes, and authenc on virtio-crypto, an asynchronous provider
 * (SKIP without the device).
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

#define N	48
#define BIG	20000		/* one record over several pages */
#define AAD1	13
#define AAD2	21	/* rfc4106 takes an ESP header's 8 */
/* Where things lie in a handle's region (ESF_FP_DATA on): per record. */
#define STRIDE	(BIG + 256)
#define OUT_AT	(N * STRIDE)

/*
 * linux-source-6.1's harness runs the test body after a SKIP in the
 * fixture's setup: each test skips again.
 */
#define NEED_SETUP()	do { if (self->skip) SKIP(return, "no virtio-crypto device"); } while (0)

FIXTURE(reseal) {
	struct esf_nl nl;
	uint8_t ka[48], kb[48];
	uint32_t a_seal, a_open, b_seal, b_open;
	uint8_t *pt[N];
	uint32_t len[N];
	/* What the A side sealed: record i at sealed + i * STRIDE. */
	uint8_t *sealed;
	uint32_t sealed_len[N];
	struct esf_session_info ia, ib;
	uint32_t aad2;		/* the AAD B seals with */
	bool skip;
};

FIXTURE_VARIANT(reseal) {
	const char *open_alg;
	size_t open_key;
	const char *seal_alg;
	size_t seal_key;
	bool seal_hw;		/* B on virtio-crypto */
	bool seal_cpu_authenc;	/* B: authenc entirely on the CPU */
	uint32_t aad2;		/* 0: AAD2 */
};

FIXTURE_VARIANT_ADD(reseal, gcm128_to_gcm256) {
	.open_alg = "gcm(aes)", .open_key = 16, .seal_alg = "gcm(aes)", .seal_key = 32,
};

FIXTURE_VARIANT_ADD(reseal, ccm_to_gcm128) {
	.open_alg = "ccm(aes)", .open_key = 16, .seal_alg = "gcm(aes)", .seal_key = 16,
};

/* A fresh content key per record, wrapped in its nonce part. */
FIXTURE_VARIANT_ADD(reseal, kw_to_gcm128) {
	.open_alg = "kw(aes)", .open_key = 16, .seal_alg = "gcm(aes)", .seal_key = 16,
};

FIXTURE_VARIANT_ADD(reseal, gcm_to_rfc4106) {
	.open_alg = "gcm(aes)", .open_key = 16, .seal_alg = "rfc4106(gcm(aes))", .seal_key = 16,
	.aad2 = 8,
};

FIXTURE_VARIANT_ADD(reseal, gcm_to_authenc_cpu) {
	.open_alg = "gcm(aes)", .open_key = 32, .seal_alg = "authenc(hmac(sha256),cbc(aes))",
	.seal_key = 48, .seal_cpu_authenc = true,
};

FIXTURE_VARIANT_ADD(reseal, gcm_to_authenc_virtio) {
	.open_alg = "gcm(aes)", .open_key = 16, .seal_alg = "authenc(hmac(sha256),cbc(aes))",
	.seal_key = 48, .seal_hw = true,
};

static int bind_reseal(int fd, uint32_t id)
{
	struct esf_dev_bind b = { .session_id = id };

	return ioctl(fd, ESF_DEV_BIND_RESEAL, &b) ? -errno : 0;
}

/* Entries 0..n-1 as one batch, waited for; 0 or -errno. */
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

static uint32_t padded(const struct esf_session_info *info, uint32_t len)
{
	/* authenc pads to the block, 1 to 16 bytes; the others do not. */
	return info->nonce_len == ESF_NONCE_LEN_AUTHENC ? (len / 16 + 1) * 16 : len;
}

/* B's record for a plaintext of @len bytes. */
static uint32_t b_slot(const struct esf_session_info *ib, uint32_t len)
{
	return ib->nonce_len + padded(ib, len) + ib->tag_len;
}

static void add_pair(struct __test_metadata *_metadata, struct esf_nl *nl, const char *alg,
		     const char *driver, const uint8_t *key, size_t key_len, uint32_t *seal,
		     uint32_t *open)
{
	struct sess o = { .alg = alg, .driver = driver, .key = key, .key_len = key_len,
			  .direction = ESF_DIR_SEAL, .has_window = true,
			  .window = ESF_REPLAY_WINDOW_MAX };

	ASSERT_EQ(0, sess_add(nl, &o, seal)) TH_LOG("%s: %s", alg, nl->errmsg);
	o.direction = ESF_DIR_OPEN;
	ASSERT_EQ(0, sess_add(nl, &o, open)) TH_LOG("%s: %s", alg, nl->errmsg);
}

static void info_of(struct __test_metadata *_metadata, uint32_t id,
		    struct esf_session_info *info)
{
	int fd = esf_fp_dev_bind(id);

	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ioctl(fd, ESF_DEV_INFO, info));
	close(fd);
}

FIXTURE_SETUP(reseal)
{
	const char *seal_driver = NULL;
	struct esf_fp_dev *d;
	unsigned int i;
	uint8_t aad[AAD1];
	int fd;

	ASSERT_EQ(0, esf_module_ensure_loaded());
	ASSERT_EQ(0, esf_nl_open(&self->nl));
	sess_flush(&self->nl);
	if (variant->seal_hw) {
		self->skip = !esf_have_driver("virtio_crypto_aes_cbc");
		if (self->skip)
			SKIP(return, "no virtio-crypto device");
		seal_driver = esf_authenc_virtio();
	} else if (variant->seal_cpu_authenc) {
		seal_driver = esf_authenc_cpu();
	}
	self->aad2 = variant->aad2 ?: AAD2;
	rnd(self->ka, sizeof(self->ka));
	rnd(self->kb, sizeof(self->kb));
	add_pair(_metadata, &self->nl, variant->open_alg, NULL, self->ka, variant->open_key,
		 &self->a_seal, &self->a_open);
	add_pair(_metadata, &self->nl, variant->seal_alg, seal_driver, self->kb,
		 variant->seal_key, &self->b_seal, &self->b_open);
	info_of(_metadata, self->a_seal, &self->ia);
	info_of(_metadata, self->b_seal, &self->ib);

	/* N plaintexts, empty to BIG bytes, sealed under A with their AAD. */
	fd = esf_fp_dev_handle(self->a_seal, &d);
	ASSERT_LE(0, fd);
	for (i = 0; i < N; i++) {
		uint32_t at = ESF_FP_DATA + i * STRIDE;

		self->len[i] = i == N - 1 ? BIG : (i * 37) % 600;
		self->pt[i] = malloc(self->len[i] + 1);
		ASSERT_NE(NULL, self->pt[i]);
		rnd(self->pt[i], self->len[i]);
		aad_of(aad, 1, i, AAD1);
		memcpy(d->base + at, aad, AAD1);
		memcpy(d->base + at + 32, self->pt[i], self->len[i]);
		d->table[i] = (struct esf_dev_rec){
			.op = ESF_OP_SEAL, .aad_off = at, .aad_len = AAD1, .in_off = at + 32,
			.in_len = self->len[i], .out_off = OUT_AT + ESF_FP_DATA + i * STRIDE,
			.out_size = STRIDE,
		};
	}
	ASSERT_EQ(0, run(fd, N));
	self->sealed = malloc((size_t)N * STRIDE);
	ASSERT_NE(NULL, self->sealed);
	for (i = 0; i < N; i++) {
		ASSERT_EQ(0, d->table[i].res.status);
		self->sealed_len[i] = d->table[i].res.out_len;
		memcpy(self->sealed + i * STRIDE, d->base + d->table[i].out_off,
		       self->sealed_len[i]);
	}
	esf_fp_close_fd(fd);
}

FIXTURE_TEARDOWN(reseal)
{
	unsigned int i;

	for (i = 0; i < N; i++)
		free(self->pt[i]);
	free(self->sealed);
	sess_flush(&self->nl);
	esf_nl_close(&self->nl);
}

/*
 * Table entry k re-seals A's record i: its AAD then the AAD to seal with,
 * adjacent; the input; an output slot sized for B's record.
 */
static void put_reseal(FIXTURE_DATA(reseal) *self, struct esf_fp_dev *d, unsigned int k,
		       unsigned int i)
{
	uint32_t at = ESF_FP_DATA + k * STRIDE;

	aad_of(d->base + at, 1, i, AAD1);
	aad_of(d->base + at + AAD1, 2, i, self->aad2);
	memcpy(d->base + at + 64, self->sealed + i * STRIDE, self->sealed_len[i]);
	d->table[k] = (struct esf_dev_rec){
		.op = ESF_OP_RESEAL, .aad_off = at, .aad_len = AAD1, .aad2_len = self->aad2,
		.in_off = at + 64, .in_len = self->sealed_len[i],
		.out_off = OUT_AT + ESF_FP_DATA + k * STRIDE, .out_size = STRIDE,
	};
}

/* A handle that opens under A and seals under B. */
static int reseal_handle(struct __test_metadata *_metadata, FIXTURE_DATA(reseal) *self,
			 uint32_t b, struct esf_fp_dev **d)
{
	int fd = esf_fp_dev_handle(self->a_open, d);

	EXPECT_LE(0, fd);
	if (fd >= 0)
		EXPECT_EQ(0, bind_reseal(fd, b));
	return fd;
}

/* A re-seal handle with table entries 0..N-1 re-sealing A's records 0..N-1. */
static int all_records(struct __test_metadata *_metadata, FIXTURE_DATA(reseal) *self,
		       struct esf_fp_dev **d)
{
	unsigned int i;
	int fd = reseal_handle(_metadata, self, self->b_seal, d);

	for (i = 0; fd >= 0 && i < N; i++)
		put_reseal(self, *d, i, i);
	return fd;
}

/*
 * Open B's record @rec (@rec_len bytes) of A's record @i under B's OPEN
 * session; 0 when it gives A's plaintext back.
 */
static int open_b(FIXTURE_DATA(reseal) *self, const uint8_t *rec, uint32_t rec_len,
		  unsigned int i)
{
	struct esf_fp_dev *d;
	int fd = esf_fp_dev_handle(self->b_open, &d), status;

	if (fd < 0)
		return fd;
	aad_of(d->base + ESF_FP_DATA, 2, i, self->aad2);
	memcpy(d->base + ESF_FP_DATA + 64, rec, rec_len);
	d->table[0] = (struct esf_dev_rec){
		.op = ESF_OP_OPEN, .aad_off = ESF_FP_DATA, .aad_len = self->aad2,
		.in_off = ESF_FP_DATA + 64, .in_len = rec_len,
		.out_off = OUT_AT + ESF_FP_DATA, .out_size = STRIDE,
	};
	status = run(fd, 1) ?: d->table[0].res.status;
	if (!status && (d->table[0].res.out_len != self->len[i] ||
			memcmp(d->base + OUT_AT + ESF_FP_DATA, self->pt[i], self->len[i])))
		status = -EILSEQ;
	esf_fp_close_fd(fd);
	return status;
}

/* gcm(aes) B records through OpenSSL: nonce || ciphertext || 16-byte tag. */
static int evp_open_b(FIXTURE_DATA(reseal) *self, const uint8_t *rec, uint32_t rec_len,
		      unsigned int i, size_t key_len)
{
	uint32_t ct = rec_len - ESF_NONCE_LEN - 16;
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	uint8_t aad[AAD2], *out = malloc(ct + 16);
	int n, ok;

	aad_of(aad, 2, i, self->aad2);
	ok = c && out &&
	     EVP_DecryptInit_ex(c, key_len == 16 ? EVP_aes_128_gcm() : EVP_aes_256_gcm(), NULL,
				self->kb, rec) &&
	     EVP_DecryptUpdate(c, NULL, &n, aad, (int)self->aad2) &&
	     (!ct || EVP_DecryptUpdate(c, out, &n, rec + ESF_NONCE_LEN, (int)ct)) &&
	     EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, 16, (void *)(rec + rec_len - 16)) &&
	     EVP_DecryptFinal_ex(c, out + ct, &n) && ct == self->len[i] &&
	     !memcmp(out, self->pt[i], ct);
	EVP_CIPHER_CTX_free(c);
	free(out);
	return ok ? 0 : -EBADMSG;
}

TEST_F(reseal, records_open_under_the_second_session)
{
	struct esf_fp_dev *d;
	uint64_t seq0 = 0;
	unsigned int i;
	int fd;

	NEED_SETUP();
	fd = all_records(_metadata, self, &d);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, run(fd, N));
	for (i = 0; i < N; i++) {
		const struct esf_res *res = &d->table[i].res;
		const uint8_t *rec = d->base + d->table[i].out_off;

		ASSERT_EQ(0, res->status) TH_LOG("record %u (%u bytes)", i, self->len[i]);
		ASSERT_EQ(b_slot(&self->ib, self->len[i]), res->out_len);
		/* B's own counter, in record order. */
		if (!i)
			seq0 = res->seq;
		EXPECT_EQ(seq0 + i, res->seq);
		EXPECT_EQ(0, open_b(self, rec, res->out_len, i)) TH_LOG("record %u", i);
		if (!strcmp(variant->seal_alg, "gcm(aes)"))
			EXPECT_EQ(0, evp_open_b(self, rec, res->out_len, i, variant->seal_key))
				TH_LOG("OpenSSL refused record %u", i);
	}
	EXPECT_EQ(N, sess_stat(&self->nl, self->a_open, ESF_STATS_A_OPEN));
	EXPECT_EQ(N, sess_stat(&self->nl, self->a_open, ESF_STATS_A_RESEAL));
	EXPECT_EQ(N, sess_stat(&self->nl, self->b_seal, ESF_STATS_A_SEAL));
	EXPECT_EQ(N, sess_stat(&self->nl, self->b_seal, ESF_STATS_A_RESEAL));
	if (variant->seal_hw)
		EXPECT_LT(0, sess_stat(&self->nl, self->b_seal, ESF_STATS_A_ASYNC));
	esf_fp_close_fd(fd);
}

TEST_F(reseal, plaintext_never_reaches_the_callers_memory)
{
	struct esf_fp_dev *d;
	unsigned int i;
	int fd;

	NEED_SETUP();
	fd = all_records(_metadata, self, &d);
	ASSERT_LE(0, fd);
	/* One record's tag broken: its OPEN writes before it checks. */
	d->base[d->table[N - 1].in_off + d->table[N - 1].in_len - 1] ^= 1;
	ASSERT_EQ(0, run(fd, N));
	EXPECT_EQ(-EBADMSG, d->table[N - 1].res.status);
	for (i = 0; i < N; i++) {
		if (self->len[i] < 16)
			continue;
		/* Any 16 bytes of it, anywhere in the region. */
		EXPECT_EQ(NULL, memmem(d->base, d->len, self->pt[i], 16)) TH_LOG("record %u", i);
		EXPECT_EQ(NULL, memmem(d->base, d->len, self->pt[i] + self->len[i] - 16, 16));
	}
	esf_fp_close_fd(fd);
}

TEST_F(reseal, forgeries_and_replays_fail_alone)
{
	uint32_t slot = b_slot(&self->ib, self->len[3]);
	struct esf_fp_dev *d;
	unsigned int k;
	int fd;

	NEED_SETUP();
	fd = reseal_handle(_metadata, self, self->b_seal, &d);
	ASSERT_LE(0, fd);
	put_reseal(self, d, 0, 2);
	put_reseal(self, d, 1, 3);
	put_reseal(self, d, 2, 4);
	put_reseal(self, d, 3, 2);	/* a replay of entry 0 */
	put_reseal(self, d, 4, 5);
	d->base[d->table[1].in_off + ESF_NONCE_LEN] ^= 0x80;	/* ciphertext */
	d->base[d->table[4].aad_off + 2] ^= 1;			/* A's AAD */
	memset(d->base + d->table[1].out_off, 0xa5, slot);
	ASSERT_EQ(0, run(fd, 5));
	EXPECT_EQ(0, d->table[0].res.status);
	EXPECT_EQ(-EBADMSG, d->table[1].res.status);
	EXPECT_EQ(0, d->table[2].res.status);
	EXPECT_EQ(-EALREADY, d->table[3].res.status);
	EXPECT_EQ(-EBADMSG, d->table[4].res.status);
	/* A failed record's slot is zeros, whatever was there. */
	EXPECT_EQ(0, d->table[1].res.out_len);
	for (k = 0; k < slot; k++)
		ASSERT_EQ(0, d->base[d->table[1].out_off + k]);
	/* Each record took B's next number first: the failed one spent it. */
	EXPECT_EQ(d->table[0].res.seq + 2, d->table[2].res.seq);
	EXPECT_EQ(0, open_b(self, d->base + d->table[2].out_off, d->table[2].res.out_len, 4));
	EXPECT_EQ(2, sess_stat(&self->nl, self->a_open, ESF_STATS_A_AUTH_FAIL));
	EXPECT_EQ(1, sess_stat(&self->nl, self->a_open, ESF_STATS_A_REPLAY));
	EXPECT_EQ(2, sess_stat(&self->nl, self->b_seal, ESF_STATS_A_RESEAL));
	esf_fp_close_fd(fd);
}

/*
 * A sealing session out of lifetime refuses the record before it is
 * opened: A's window entry is not spent, and the record still opens.
 */
TEST_F(reseal, refused_by_the_sealing_side_before_opening)
{
	struct sess o = { .alg = variant->seal_alg, .key = self->kb, .key_len = variant->seal_key,
			  .direction = ESF_DIR_SEAL, .hard_msgs = 1 };
	struct esf_fp_dev *d, *od;
	uint32_t one;
	int fd, ofd;

	NEED_SETUP();

	if (variant->seal_hw)
		o.driver = esf_authenc_virtio();
	else if (variant->seal_cpu_authenc)
		o.driver = esf_authenc_cpu();
	ASSERT_EQ(0, sess_add(&self->nl, &o, &one)) TH_LOG("%s", self->nl.errmsg);
	fd = reseal_handle(_metadata, self, one, &d);
	ASSERT_LE(0, fd);
	put_reseal(self, d, 0, 0);
	put_reseal(self, d, 1, 1);
	ASSERT_EQ(0, run(fd, 2));
	EXPECT_EQ(0, d->table[0].res.status);
	EXPECT_EQ(-EKEYEXPIRED, d->table[1].res.status);
	EXPECT_EQ(1, sess_stat(&self->nl, self->a_open, ESF_STATS_A_OPEN));
	esf_fp_close_fd(fd);

	/* Record 1 opens as it is, under A. */
	ofd = esf_fp_dev_handle(self->a_open, &od);
	ASSERT_LE(0, ofd);
	aad_of(od->base + ESF_FP_DATA, 1, 1, AAD1);
	memcpy(od->base + ESF_FP_DATA + 64, self->sealed + STRIDE, self->sealed_len[1]);
	od->table[0] = (struct esf_dev_rec){
		.op = ESF_OP_OPEN, .aad_off = ESF_FP_DATA, .aad_len = AAD1,
		.in_off = ESF_FP_DATA + 64, .in_len = self->sealed_len[1],
		.out_off = OUT_AT + ESF_FP_DATA, .out_size = STRIDE,
	};
	ASSERT_EQ(0, run(ofd, 1));
	EXPECT_EQ(0, od->table[0].res.status);
	EXPECT_EQ(0, memcmp(od->base + OUT_AT + ESF_FP_DATA, self->pt[1], self->len[1]));
	esf_fp_close_fd(ofd);
}

TEST_F(reseal, binding_rules)
{
	struct sess cbc = { .alg = "authenc(hmac(sha256),cbc(aes))", .driver = esf_authenc_cpu(),
			    .key = self->kb, .key_len = 48 };
	struct esf_fp_dev *d;
	uint32_t authenc;
	int fd;

	NEED_SETUP();

	fd = open("/dev/" ESF_DEV_NAME, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, fd);
	EXPECT_EQ(-EBADFD, bind_reseal(fd, self->b_seal));
	close(fd);

	fd = esf_fp_dev_handle(self->a_open, &d);
	ASSERT_LE(0, fd);
	EXPECT_EQ(-ENOENT, bind_reseal(fd, 0x7ffffff0));
	EXPECT_EQ(-EINVAL, bind_reseal(fd, 0));
	/* The second session must seal. */
	EXPECT_EQ(-EPERM, bind_reseal(fd, self->b_open));
	/* A handle without one refuses RESEAL entries, the whole batch. */
	put_reseal(self, d, 0, 0);
	EXPECT_EQ(-EINVAL, run(fd, 1));
	EXPECT_EQ(0, bind_reseal(fd, self->b_seal));
	EXPECT_EQ(-EBUSY, bind_reseal(fd, self->b_seal));
	/* Only RESEAL takes a second AAD. */
	d->table[0] = (struct esf_dev_rec){ .op = ESF_OP_SEAL, .in_off = ESF_FP_DATA,
					    .in_len = 16, .out_off = OUT_AT + ESF_FP_DATA,
					    .out_size = STRIDE, .aad2_len = 1 };
	EXPECT_EQ(-EINVAL, run(fd, 1));
	/* An output slot too small for B's record. */
	put_reseal(self, d, 0, 5);
	d->table[0].out_size = b_slot(&self->ib, self->len[5]) - 1;
	EXPECT_EQ(-ENOBUFS, run(fd, 1));
	esf_fp_close_fd(fd);

	/* The first session must open. */
	fd = esf_fp_dev_handle(self->a_seal, &d);
	ASSERT_LE(0, fd);
	EXPECT_EQ(-EPERM, bind_reseal(fd, self->b_seal));
	esf_fp_close_fd(fd);

	/* authenc's plaintext length is known only once its padding is off. */
	ASSERT_EQ(0, sess_add(&self->nl, &cbc, &authenc)) TH_LOG("%s", self->nl.errmsg);
	fd = esf_fp_dev_handle(authenc, &d);
	ASSERT_LE(0, fd);
	EXPECT_EQ(-EOPNOTSUPP, bind_reseal(fd, self->b_seal));
	esf_fp_close_fd(fd);
}

/* Another user may pair only sessions it may use, both of them. */
static int other_user(uint32_t a, uint32_t b_foreign, uint32_t b_own)
{
	int fd;

	if (setresgid(65534, 65534, 65534) || setresuid(4242, 4242, 4242))
		return 10;
	fd = esf_fp_dev_bind(a);
	if (fd < 0)
		return 11;
	if (bind_reseal(fd, b_foreign) != -EACCES)
		return 12;
	return bind_reseal(fd, b_own) ? 13 : 0;
}

TEST_F(reseal, both_sessions_checked_for_the_caller)
{
	struct sess o = { .alg = "gcm(aes)", .key = self->ka, .key_len = 16,
			  .has_uid = true, .uid = 4242 };
	uint32_t a, own, foreign;
	int status;
	pid_t pid;

	NEED_SETUP();

	ASSERT_EQ(0, sess_add(&self->nl, &o, &a)) TH_LOG("%s", self->nl.errmsg);
	ASSERT_EQ(0, sess_add(&self->nl, &o, &own));
	o.uid = 4343;
	ASSERT_EQ(0, sess_add(&self->nl, &o, &foreign));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid)
		_exit(other_user(a, foreign, own));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_EQ(0, WEXITSTATUS(status));
}

TEST_HARNESS_MAIN
