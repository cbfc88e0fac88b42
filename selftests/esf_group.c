// SPDX-License-Identifier: GPL-2.0
/*
 * Group sessions: one key, many members each sealing.
 *
 * Every member here is a group session of its own in this kernel, as each
 * member's kernel would hold one. Checked on the records themselves: the
 * nonce layout (salt, sender id, 48-bit sequence number) read from the
 * bytes and, for gcm(aes), the records decrypted by OpenSSL with the nonce
 * as the IV; nonces unique across eight members sealing at once; a replay
 * window per sender under interleaving; a member's own records refused;
 * epochs installed, switched to and retired make-before-break, with
 * records of each epoch opened or refused as they should be; a revoked
 * member, a joiner and another group's member failing on captured records;
 * a member's range ending before the next sender's; the control plane's
 * refusals; and a group with 1000 senders (memory, per-sender state).
 * Fixtures run on both front ends, on the CPU (gcm(aes)) and on the
 * asynchronous virtio-crypto provider (authenc).
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "kselftest_harness.h"
#include "esf_fp.h"
#include "esf_nl.h"
#include "esf_sess.h"
#include "esf_util.h"

#define MAX_REC		(ESF_NONCE_LEN_AUTHENC + 256 + 16 + 32)
#define AAD		"group-aad"
#define AAD_LEN		(sizeof(AAD) - 1)
#define SEQ_MASK	((1ULL << ESF_GROUP_SEQ_BITS) - 1)

static const uint8_t salt1[ESF_SALT_LEN] = { 0x67, 0x72, 0x00, 0x01 };
static const uint8_t salt2[ESF_SALT_LEN] = { 0x67, 0x72, 0x00, 0x02 };
static const uint8_t salt3[ESF_SALT_LEN] = { 0x67, 0x72, 0x00, 0x03 };

/* A group member's session, as SESSION_NEW with ESF_A_GROUP makes it. */
struct gmember {
	const char *alg;
	const char *driver;
	const uint8_t *key;
	size_t key_len;
	const uint8_t *salt;
	uint16_t senders;
	uint16_t sender;
	uint32_t epoch;
	uint32_t window;	/* 0: the default */
	bool has_seq;
	uint64_t seq_start;
	uint8_t nonce_policy;	/* 0: not sent */
	bool no_sender;		/* leave ESF_GROUP_A_SENDER out */
};

static void put_u16(struct esf_msg *m, uint16_t type, uint16_t v)
{
	esf_put(m, type, &v, sizeof(v));
}

static int group_add(struct esf_nl *nl, const struct gmember *g, uint32_t *id)
{
	struct esf_msg m;
	struct nlattr *n;

	esf_msg_init(&m, nl->family, 0, ESF_CMD_SESSION_NEW);
	esf_put_str(&m, ESF_A_ALG, g->alg);
	if (g->driver)
		esf_put_str(&m, ESF_A_DRIVER, g->driver);
	esf_put(&m, ESF_A_KEY, g->key, g->key_len);
	esf_put(&m, ESF_A_SALT, g->salt, ESF_SALT_LEN);
	if (g->window)
		esf_put_u32(&m, ESF_A_REPLAY_WINDOW, g->window);
	if (g->has_seq)
		esf_put_u64(&m, ESF_A_SEQ_START, g->seq_start);
	if (g->nonce_policy)
		esf_put_u8(&m, ESF_A_NONCE_POLICY, g->nonce_policy);
	n = esf_nest_start(&m, ESF_A_GROUP);
	put_u16(&m, ESF_GROUP_A_SENDERS, g->senders);
	if (!g->no_sender)
		put_u16(&m, ESF_GROUP_A_SENDER, g->sender);
	esf_put_u32(&m, ESF_GROUP_A_EPOCH, g->epoch);
	esf_nest_end(&m, n);
	return esf_nl_new_session(nl, &m, id);
}

/* ESF_CMD_GROUP_EPOCH_NEW; 0 or -errno. */
static int epoch_new(struct esf_nl *nl, uint32_t id, uint32_t epoch, const uint8_t *key,
		     size_t key_len, const uint8_t *salt)
{
	struct esf_msg m, reply;
	struct nlattr *n;

	esf_msg_init(&m, nl->family, 0, ESF_CMD_GROUP_EPOCH_NEW);
	esf_put_u32(&m, ESF_A_SESSION_ID, id);
	esf_put(&m, ESF_A_KEY, key, key_len);
	esf_put(&m, ESF_A_SALT, salt, ESF_SALT_LEN);
	n = esf_nest_start(&m, ESF_A_GROUP);
	esf_put_u32(&m, ESF_GROUP_A_EPOCH, epoch);
	esf_nest_end(&m, n);
	return esf_nl_do(nl, &m, &reply);
}

/* ESF_CMD_GROUP_EPOCH_SWITCH or _RETIRE; @epoch 0: not sent. */
static int epoch_cmd(struct esf_nl *nl, uint8_t cmd, uint32_t id, uint32_t epoch)
{
	struct esf_msg m, reply;
	struct nlattr *n;

	esf_msg_init(&m, nl->family, 0, cmd);
	esf_put_u32(&m, ESF_A_SESSION_ID, id);
	if (epoch) {
		n = esf_nest_start(&m, ESF_A_GROUP);
		esf_put_u32(&m, ESF_GROUP_A_EPOCH, epoch);
		esf_nest_end(&m, n);
	}
	return esf_nl_do(nl, &m, &reply);
}

/* One u32 of a group session's ESF_A_GROUP, or UINT32_MAX when absent. */
static uint32_t group_u32(struct esf_nl *nl, uint32_t id, int attr)
{
	const struct nlattr *tb[ESF_A_MAX + 1], *g[ESF_GROUP_A_MAX + 1];
	struct esf_msg m, reply;

	esf_msg_init(&m, nl->family, 0, ESF_CMD_SESSION_GET);
	esf_put_u32(&m, ESF_A_SESSION_ID, id);
	if (esf_nl_do(nl, &m, &reply))
		return UINT32_MAX;
	esf_parse(&reply.nlh, tb, ESF_A_MAX);
	if (!tb[ESF_A_GROUP])
		return UINT32_MAX;
	esf_parse_nested(tb[ESF_A_GROUP], g, ESF_GROUP_A_MAX);
	if (!g[attr])
		return UINT32_MAX;
	if (attr == ESF_GROUP_A_SENDERS || attr == ESF_GROUP_A_SENDER)
		return *(const uint16_t *)esf_attr_data(g[attr]);
	return esf_get_u32(g[attr]);
}

/*
 * Every sender's state through ESF_CMD_GROUP_SENDERS, page by page:
 * tops[sender] set (others UINT64_MAX); returns the senders or -errno,
 * and the pages it took in *@pages.
 */
static int senders_state(struct esf_nl *nl, uint32_t id, uint64_t *tops, uint32_t n,
			 int *pages)
{
	const struct nlattr *tb[ESF_A_MAX + 1], *g[ESF_GROUP_A_MAX + 1];
	const struct nlattr *one[ESF_GROUP_A_MAX + 1];
	uint32_t first = 0, i;
	int count = 0, err;

	for (i = 0; i < n; i++)
		tops[i] = UINT64_MAX;
	*pages = 0;
	for (;;) {
		struct esf_msg m, reply;
		const struct nlattr *a;
		struct nlattr *nest;
		size_t off, step;

		esf_msg_init(&m, nl->family, 0, ESF_CMD_GROUP_SENDERS);
		esf_put_u32(&m, ESF_A_SESSION_ID, id);
		nest = esf_nest_start(&m, ESF_A_GROUP);
		put_u16(&m, ESF_GROUP_A_SENDER, (uint16_t)first);
		esf_nest_end(&m, nest);
		err = esf_nl_do(nl, &m, &reply);
		if (err)
			return err;
		(*pages)++;
		esf_parse(&reply.nlh, tb, ESF_A_MAX);
		if (!tb[ESF_A_GROUP])
			return -EPROTO;
		/* Repeated ESF_GROUP_A_SENDER_STATE: walk them by hand. */
		for (off = 0; off + NLA_HDRLEN <= esf_attr_len(tb[ESF_A_GROUP]); off += step) {
			const uint8_t *base = esf_attr_data(tb[ESF_A_GROUP]);
			uint16_t sender;

			a = (const struct nlattr *)(base + off);
			if (a->nla_len < NLA_HDRLEN)
				return -EPROTO;
			step = NLA_ALIGN(a->nla_len);
			if ((a->nla_type & NLA_TYPE_MASK) != ESF_GROUP_A_SENDER_STATE)
				continue;
			esf_parse_nested(a, one, ESF_GROUP_A_MAX);
			if (!one[ESF_GROUP_A_SENDER] || !one[ESF_GROUP_A_SENDER_TOP])
				return -EPROTO;
			sender = *(const uint16_t *)esf_attr_data(one[ESF_GROUP_A_SENDER]);
			if (sender >= n)
				return -ERANGE;
			tops[sender] = esf_get_u64(one[ESF_GROUP_A_SENDER_TOP]);
			count++;
		}
		esf_parse_nested(tb[ESF_A_GROUP], g, ESF_GROUP_A_MAX);
		if (!g[ESF_GROUP_A_SENDER_NEXT])
			return count;
		first = esf_get_u32(g[ESF_GROUP_A_SENDER_NEXT]);
	}
}

/* Records --------------------------------------------------------------- */

struct rec {
	uint8_t b[MAX_REC];
	uint32_t len;
	uint64_t seq;
};

static int seal(const struct esf_fp *fp, const void *pt, uint32_t len, struct rec *r)
{
	return esf_fp_one(fp->op, &fp->info, ESF_OP_SEAL, AAD, AAD_LEN, pt, len, r->b, &r->len,
			  &r->seq);
}

/* OPEN @r; the plaintext must be @pt when it opens. 0 or -errno. */
static int open_rec(const struct esf_fp *fp, const struct rec *r, const void *pt,
		    uint32_t len, uint64_t *seq)
{
	uint8_t out[MAX_REC];
	uint32_t out_len = 0;
	int err;

	err = esf_fp_one(fp->op, &fp->info, ESF_OP_OPEN, AAD, AAD_LEN, r->b, r->len, out,
			 &out_len, seq);
	if (!err && (out_len != len || memcmp(out, pt, len)))
		return -EILSEQ;
	return err;
}

static uint64_t nonce_seq(const struct rec *r)
{
	return be64(r->b + ESF_SALT_LEN);
}

/* OpenSSL opens a gcm(aes) record with @aad: the nonce is the IV, as laid out. */
static bool ossl_gcm_open_aad(const uint8_t *key, size_t key_len, const char *aad,
			      size_t aad_len, const struct rec *r, const void *pt, uint32_t len)
{
	const EVP_CIPHER *c = key_len == 16 ? EVP_aes_128_gcm() : EVP_aes_256_gcm();
	EVP_CIPHER_CTX *x = EVP_CIPHER_CTX_new();
	uint8_t out[MAX_REC];
	int n, ok;

	ok = x && r->len == ESF_NONCE_LEN + len + 16 &&
	     EVP_DecryptInit_ex(x, c, NULL, key, r->b) &&
	     EVP_DecryptUpdate(x, NULL, &n, (const uint8_t *)aad, (int)aad_len) &&
	     EVP_DecryptUpdate(x, out, &n, r->b + ESF_NONCE_LEN, (int)len) &&
	     EVP_CIPHER_CTX_ctrl(x, EVP_CTRL_GCM_SET_TAG, 16,
				 (void *)(r->b + ESF_NONCE_LEN + len)) &&
	     EVP_DecryptFinal_ex(x, out + len, &n) && !memcmp(out, pt, len);
	EVP_CIPHER_CTX_free(x);
	return ok;
}

/* A group record, with the group's AAD. */
static bool ossl_gcm_open(const uint8_t *key, size_t key_len, const struct rec *r,
			  const void *pt, uint32_t len)
{
	return ossl_gcm_open_aad(key, key_len, AAD, AAD_LEN, r, pt, len);
}

/* OpenSSL seals a gcm(aes) record as group member @sender would. */
static bool ossl_gcm_seal(const uint8_t *key, size_t key_len, const uint8_t *salt,
			  uint16_t sender, uint64_t seq, const void *pt, uint32_t len,
			  struct rec *r)
{
	const EVP_CIPHER *c = key_len == 16 ? EVP_aes_128_gcm() : EVP_aes_256_gcm();
	EVP_CIPHER_CTX *x = EVP_CIPHER_CTX_new();
	int n, ok;

	memcpy(r->b, salt, ESF_SALT_LEN);
	put_be64(r->b + ESF_SALT_LEN, (uint64_t)sender << ESF_GROUP_SEQ_BITS | seq);
	ok = x && EVP_EncryptInit_ex(x, c, NULL, key, r->b) &&
	     EVP_EncryptUpdate(x, NULL, &n, (const uint8_t *)AAD, (int)AAD_LEN) &&
	     EVP_EncryptUpdate(x, r->b + ESF_NONCE_LEN, &n, pt, (int)len) &&
	     EVP_EncryptFinal_ex(x, r->b + ESF_NONCE_LEN + len, &n) &&
	     EVP_CIPHER_CTX_ctrl(x, EVP_CTRL_GCM_GET_TAG, 16, r->b + ESF_NONCE_LEN + len);
	r->len = ESF_NONCE_LEN + len + 16;
	EVP_CIPHER_CTX_free(x);
	return ok;
}

/* Fixture ----------------------------------------------------------------- */

#define NMEMBERS 10

FIXTURE(group) {
	struct esf_nl nl;
	uint8_t key[48], key2[48], key3[48];
	struct esf_fp fp[NMEMBERS];
	uint32_t id[NMEMBERS];
	int n;
};

FIXTURE_VARIANT(group)
{
	int front;
	bool virtio;
};

FIXTURE_VARIANT_ADD(group, cpu_gcm_socket) { .front = ESF_FP_SOCKET, .virtio = false };
FIXTURE_VARIANT_ADD(group, cpu_gcm_device) { .front = ESF_FP_DEVICE, .virtio = false };
FIXTURE_VARIANT_ADD(group, virtio_authenc_socket) { .front = ESF_FP_SOCKET, .virtio = true };
FIXTURE_VARIANT_ADD(group, virtio_authenc_device) { .front = ESF_FP_DEVICE, .virtio = true };

FIXTURE_SETUP(group)
{
	int i;

	esf_fp_front = variant->front;
	for (i = 0; i < NMEMBERS; i++)
		self->fp[i].op = self->fp[i].tfm = -1;
	ASSERT_EQ(0, esf_module_ensure_loaded());
	if (variant->front == ESF_FP_DEVICE && access("/dev/" ESF_DEV_NAME, R_OK | W_OK))
		SKIP(return, "no /dev/esf: %s", strerror(errno));
	if (variant->virtio && !esf_have_driver("virtio_crypto_aes_cbc"))
		SKIP(return, "no virtio-crypto device (scripts/vm-run --virtio-crypto)");
	ASSERT_EQ(0, esf_nl_open(&self->nl));
	sess_flush(&self->nl);
	rnd(self->key, sizeof(self->key));
	rnd(self->key2, sizeof(self->key2));
	rnd(self->key3, sizeof(self->key3));
}

FIXTURE_TEARDOWN(group)
{
	int i;

	for (i = 0; i < NMEMBERS; i++)
		esf_fp_close(&self->fp[i]);
	sess_flush(&self->nl);
	esf_nl_close(&self->nl);
}

/* The variant's member description, for key @key, salt @salt. */
static struct gmember member(const FIXTURE_VARIANT(group) *v, const uint8_t *key,
			     const uint8_t *salt, uint16_t senders, uint16_t sender)
{
	struct gmember g = {
		.alg = v->virtio ? "authenc(hmac(sha256),cbc(aes))" : "gcm(aes)",
		.driver = v->virtio ? esf_authenc_virtio() : NULL,
		.key = key, .key_len = v->virtio ? 48 : 16, .salt = salt,
		.senders = senders, .sender = sender, .epoch = 1,
	};
	return g;
}

/* Member @i of the fixture: a session and its operation socket or handle. */
static int join(struct __test_metadata *_metadata, FIXTURE_DATA(group) *self,
		const struct gmember *g, int i)
{
	int err = group_add(&self->nl, g, &self->id[i]);

	if (err) {
		TH_LOG("SESSION_NEW: %s (%s)", strerror(-err), self->nl.errmsg);
		return err;
	}
	err = esf_fp_open(&self->fp[i], self->id[i]);
	if (err)
		TH_LOG("open: %s", strerror(-err));
	return err;
}

/*
 * The nonce is salt || sender || 48-bit sequence number, as read in the
 * record's bytes and in esf_res.seq; another member opens it and learns
 * the sender; the sealer itself refuses it; a tampered copy fails.
 */
TEST_F(group, nonce_layout)
{
	struct gmember a = member(variant, self->key, salt1, 8, 3);
	struct gmember b = member(variant, self->key, salt1, 8, 5);
	const char pt[] = "fire door 7: close";
	struct rec r[3], bad;
	uint64_t seq;
	int i;

	ASSERT_EQ(0, join(_metadata, self, &a, 0));
	ASSERT_EQ(0, join(_metadata, self, &b, 1));
	for (i = 0; i < 3; i++) {
		ASSERT_EQ(0, seal(&self->fp[0], pt, sizeof(pt), &r[i]));
		ASSERT_EQ(0, memcmp(r[i].b, salt1, ESF_SALT_LEN));
		ASSERT_EQ(0, r[i].b[4]);
		ASSERT_EQ(3, r[i].b[5]);
		ASSERT_EQ((uint64_t)i, nonce_seq(&r[i]) & SEQ_MASK);
		ASSERT_EQ(3ULL << 48 | (uint64_t)i, r[i].seq);
		ASSERT_EQ(3, ESF_GROUP_SENDER(r[i].seq));
		ASSERT_EQ((uint64_t)i, ESF_GROUP_SEQ(r[i].seq));
		if (!variant->virtio)
			ASSERT_TRUE(ossl_gcm_open(self->key, 16, &r[i], pt, sizeof(pt)));
	}
	for (i = 0; i < 3; i++) {
		ASSERT_EQ(0, open_rec(&self->fp[1], &r[i], pt, sizeof(pt), &seq));
		ASSERT_EQ(r[i].seq, seq);
	}
	/* Its own records coming back: not another member's. */
	ASSERT_EQ(-ENOMSG, open_rec(&self->fp[0], &r[2], pt, sizeof(pt), NULL));
	bad = r[1];
	bad.b[bad.len - 1] ^= 1;
	ASSERT_EQ(-EALREADY, open_rec(&self->fp[1], &bad, pt, sizeof(pt), NULL));
	ASSERT_EQ(0, seal(&self->fp[0], pt, sizeof(pt), &bad));
	bad.b[bad.len - 1] ^= 1;
	ASSERT_EQ(-EBADMSG, open_rec(&self->fp[1], &bad, pt, sizeof(pt), NULL));
	ASSERT_EQ(1, sess_stat(&self->nl, self->id[0], ESF_STATS_A_FOREIGN));
	ASSERT_EQ(1, sess_stat(&self->nl, self->id[1], ESF_STATS_A_AUTH_FAIL));
	ASSERT_EQ(3, sess_stat(&self->nl, self->id[1], ESF_STATS_A_OPEN));
	ASSERT_EQ(8, group_u32(&self->nl, self->id[1], ESF_GROUP_A_SENDERS));
	ASSERT_EQ(5, group_u32(&self->nl, self->id[1], ESF_GROUP_A_SENDER));
	ASSERT_EQ(1, group_u32(&self->nl, self->id[1], ESF_GROUP_A_SENDERS_SEEN));
}

/*
 * A sender id the group has no room for is refused before any crypto:
 * a member of a larger group with the same key seals as sender 9.
 */
TEST_F(group, sender_out_of_range)
{
	struct gmember big = member(variant, self->key, salt1, 16, 9);
	struct gmember small = member(variant, self->key, salt1, 8, 0);
	const char pt[] = "x";
	struct rec r;

	ASSERT_EQ(0, join(_metadata, self, &big, 0));
	ASSERT_EQ(0, join(_metadata, self, &small, 1));
	ASSERT_EQ(0, seal(&self->fp[0], pt, sizeof(pt), &r));
	ASSERT_EQ(9ULL << 48, r.seq);
	ASSERT_EQ(-ENOMSG, open_rec(&self->fp[1], &r, pt, sizeof(pt), NULL));
	ASSERT_EQ(1, sess_stat(&self->nl, self->id[1], ESF_STATS_A_FOREIGN));
}

/*
 * Three senders' records opened interleaved and out of order: each has
 * its own window. One sender running far ahead makes its own old records
 * too old, never another sender's.
 */
TEST_F(group, replay_per_sender)
{
	enum { N = 40, AHEAD = 100 };
	struct gmember rcv = member(variant, self->key, salt1, 4, 0);
	static struct rec r[3][N + AHEAD];
	uint64_t tops[4], seq;
	const char pt[] = "temperature 21.5";
	int s, i, pages;

	rcv.window = 64;
	ASSERT_EQ(0, join(_metadata, self, &rcv, 0));
	for (s = 1; s <= 3; s++) {
		struct gmember m = member(variant, self->key, salt1, 4, (uint16_t)s);

		ASSERT_EQ(0, join(_metadata, self, &m, s));
		for (i = 0; i < N; i++)
			ASSERT_EQ(0, seal(&self->fp[s], pt, sizeof(pt), &r[s - 1][i]));
	}
	/* Interleaved, newest first within each sender. */
	for (i = N - 1; i >= 0; i--)
		for (s = 0; s < 3; s++) {
			ASSERT_EQ(0, open_rec(&self->fp[0], &r[s][i], pt, sizeof(pt), &seq));
			ASSERT_EQ((uint64_t)(s + 1) << 48 | (uint64_t)i, seq);
		}
	for (i = 0; i < N; i++)
		for (s = 0; s < 3; s++)
			ASSERT_EQ(-EALREADY, open_rec(&self->fp[0], &r[s][i], pt, sizeof(pt), NULL));
	ASSERT_EQ((uint64_t)3 * N, sess_stat(&self->nl, self->id[0], ESF_STATS_A_REPLAY));

	/* Sender 1 runs AHEAD records on; sender 2 seals one more, held back. */
	for (i = N; i < N + AHEAD; i++)
		ASSERT_EQ(0, seal(&self->fp[1], pt, sizeof(pt), &r[0][i]));
	ASSERT_EQ(0, seal(&self->fp[2], pt, sizeof(pt), &r[1][N]));
	ASSERT_EQ(0, open_rec(&self->fp[0], &r[0][N + AHEAD - 1], pt, sizeof(pt), NULL));
	ASSERT_EQ(-ESTALE, open_rec(&self->fp[0], &r[0][N], pt, sizeof(pt), NULL));
	ASSERT_EQ(0, open_rec(&self->fp[0], &r[1][N], pt, sizeof(pt), NULL));
	ASSERT_EQ(1, sess_stat(&self->nl, self->id[0], ESF_STATS_A_TOO_OLD));

	ASSERT_EQ(3, senders_state(&self->nl, self->id[0], tops, 4, &pages));
	ASSERT_EQ(UINT64_MAX, tops[0]);
	ASSERT_EQ((uint64_t)N + AHEAD - 1, tops[1]);
	ASSERT_EQ((uint64_t)N, tops[2]);
	ASSERT_EQ((uint64_t)N - 1, tops[3]);
	ASSERT_EQ(1, pages);
}

/* Eight members seal at once; every nonce is different and opens. */
#define SEALERS 8
#define PER_SEALER 256
#define BATCH 32

struct sealer {
	const struct esf_fp *fp;
	struct rec *recs;
	int err;
};

static void *seal_thread(void *arg)
{
	struct sealer *t = arg;
	struct esf_fp_rec r[BATCH];
	uint8_t pt[48];
	int i, j;

	memset(pt, 0x5a, sizeof(pt));
	for (i = 0; i < PER_SEALER && !t->err; i += BATCH) {
		memset(r, 0, sizeof(r));
		for (j = 0; j < BATCH; j++) {
			r[j].op = ESF_OP_SEAL;
			r[j].aad = AAD;
			r[j].aad_len = AAD_LEN;
			r[j].data = pt;
			r[j].data_len = sizeof(pt);
			r[j].out = t->recs[i + j].b;
		}
		t->err = esf_fp_run(t->fp->op, &t->fp->info, r, BATCH);
		for (j = 0; j < BATCH && !t->err; j++) {
			t->err = r[j].status;
			t->recs[i + j].len = r[j].out_len;
			t->recs[i + j].seq = r[j].seq;
		}
	}
	return NULL;
}

static int cmp_nonce(const void *a, const void *b)
{
	return memcmp(a, b, ESF_NONCE_LEN);
}

TEST_F(group, nonces_unique_concurrent)
{
	struct gmember rcv = member(variant, self->key, salt1, SEALERS + 1, SEALERS);
	pthread_t th[SEALERS];
	struct sealer t[SEALERS];
	struct rec *recs;
	uint8_t (*nonces)[ESF_NONCE_LEN];
	uint8_t pt[48];
	int s, i, n = SEALERS * PER_SEALER;

	recs = calloc(n, sizeof(*recs));
	nonces = calloc(n, sizeof(*nonces));
	ASSERT_NE(NULL, recs);
	ASSERT_NE(NULL, nonces);
	memset(pt, 0x5a, sizeof(pt));
	for (s = 0; s < SEALERS; s++) {
		struct gmember m = member(variant, self->key, salt1, SEALERS + 1, (uint16_t)s);

		ASSERT_EQ(0, join(_metadata, self, &m, s));
	}
	ASSERT_EQ(0, join(_metadata, self, &rcv, SEALERS));
	for (s = 0; s < SEALERS; s++) {
		t[s].fp = &self->fp[s];
		t[s].recs = recs + s * PER_SEALER;
		t[s].err = 0;
		ASSERT_EQ(0, pthread_create(&th[s], NULL, seal_thread, &t[s]));
	}
	for (s = 0; s < SEALERS; s++) {
		pthread_join(th[s], NULL);
		ASSERT_EQ(0, t[s].err) TH_LOG("sealer %d: %s", s, strerror(-t[s].err));
	}
	for (i = 0; i < n; i++) {
		memcpy(nonces[i], recs[i].b, ESF_NONCE_LEN);
		ASSERT_EQ(recs[i].seq, nonce_seq(&recs[i]));
		ASSERT_EQ((uint64_t)(i / PER_SEALER), recs[i].seq >> 48);
	}
	qsort(nonces, n, ESF_NONCE_LEN, cmp_nonce);
	for (i = 1; i < n; i++)
		ASSERT_NE(0, memcmp(nonces[i - 1], nonces[i], ESF_NONCE_LEN));
	for (i = 0; i < n; i++)
		ASSERT_EQ(0, open_rec(&self->fp[SEALERS], &recs[i], pt, sizeof(pt), NULL));
	ASSERT_EQ(SEALERS, group_u32(&self->nl, self->id[SEALERS], ESF_GROUP_A_SENDERS_SEEN));
	ksft_print_msg("%d nonces from %d members sealing at once, all distinct, all opened\n",
		       n, SEALERS);
	fflush(stdout);
	free(recs);
	free(nonces);
}

/*
 * Epochs, make-before-break: the receiver installs the next key first,
 * the sender switches, records of both epochs open while the previous is
 * held, and none of the retired epoch after.
 */
TEST_F(group, epochs)
{
	struct gmember a = member(variant, self->key, salt1, 8, 1);
	struct gmember b = member(variant, self->key, salt1, 8, 2);
	size_t kl = a.key_len;
	const char pt[] = "rotate";
	struct rec r1, r2, r3, late, late2;

	ASSERT_EQ(0, join(_metadata, self, &a, 0));
	ASSERT_EQ(0, join(_metadata, self, &b, 1));
	ASSERT_EQ(0, seal(&self->fp[0], pt, sizeof(pt), &r1));
	ASSERT_EQ(0, seal(&self->fp[0], pt, sizeof(pt), &late));
	ASSERT_EQ(0, seal(&self->fp[0], pt, sizeof(pt), &late2));

	/* Refusals that change nothing. */
	ASSERT_EQ(-ENOENT, epoch_cmd(&self->nl, ESF_CMD_GROUP_EPOCH_SWITCH, self->id[1], 0));
	ASSERT_EQ(-ENOENT, epoch_cmd(&self->nl, ESF_CMD_GROUP_EPOCH_RETIRE, self->id[1], 0));
	ASSERT_EQ(-EINVAL, epoch_new(&self->nl, self->id[1], 1, self->key2, kl, salt2));
	ASSERT_EQ(-EINVAL, epoch_new(&self->nl, self->id[1], 2, self->key2, kl, salt1));
	ASSERT_EQ(-EINVAL, epoch_new(&self->nl, self->id[1], 2, self->key2, kl == 16 ? 32 : 64,
				     salt2));

	/* Make: the receiver first, then the sender. */
	ASSERT_EQ(0, epoch_new(&self->nl, self->id[1], 2, self->key2, kl, salt2));
	ASSERT_EQ(-EBUSY, epoch_new(&self->nl, self->id[1], 3, self->key3, kl, salt3));
	ASSERT_EQ(2, group_u32(&self->nl, self->id[1], ESF_GROUP_A_EPOCH_NEXT));
	ASSERT_EQ(0, epoch_new(&self->nl, self->id[0], 2, self->key2, kl, salt2));
	ASSERT_EQ(0, open_rec(&self->fp[1], &r1, pt, sizeof(pt), NULL));
	ASSERT_EQ(-EINVAL, epoch_cmd(&self->nl, ESF_CMD_GROUP_EPOCH_SWITCH, self->id[0], 3));
	ASSERT_EQ(0, epoch_cmd(&self->nl, ESF_CMD_GROUP_EPOCH_SWITCH, self->id[0], 2));

	/* The sender's next record: the new salt, its counter carrying on. */
	ASSERT_EQ(0, seal(&self->fp[0], pt, sizeof(pt), &r2));
	ASSERT_EQ(0, memcmp(r2.b, salt2, ESF_SALT_LEN));
	ASSERT_EQ(late2.seq + 1, r2.seq);
	if (!variant->virtio) {
		ASSERT_TRUE(ossl_gcm_open(self->key2, 16, &r2, pt, sizeof(pt)));
		ASSERT_FALSE(ossl_gcm_open(self->key, 16, &r2, pt, sizeof(pt)));
	}
	/* The receiver opens it under its next key, before switching itself. */
	ASSERT_EQ(0, open_rec(&self->fp[1], &r2, pt, sizeof(pt), NULL));
	ASSERT_EQ(0, epoch_cmd(&self->nl, ESF_CMD_GROUP_EPOCH_SWITCH, self->id[1], 0));
	ASSERT_EQ(2, group_u32(&self->nl, self->id[1], ESF_GROUP_A_EPOCH));
	ASSERT_EQ(1, group_u32(&self->nl, self->id[1], ESF_GROUP_A_EPOCH_PREV));
	ASSERT_EQ(UINT32_MAX, group_u32(&self->nl, self->id[1], ESF_GROUP_A_EPOCH_NEXT));
	/* A late record of epoch 1 still opens while it is held. */
	ASSERT_EQ(0, open_rec(&self->fp[1], &late, pt, sizeof(pt), NULL));

	/* Next round: switching needs the previous one retired first. */
	ASSERT_EQ(0, epoch_new(&self->nl, self->id[1], 3, self->key3, kl, salt3));
	ASSERT_EQ(-EBUSY, epoch_cmd(&self->nl, ESF_CMD_GROUP_EPOCH_SWITCH, self->id[1], 3));
	ASSERT_EQ(0, epoch_cmd(&self->nl, ESF_CMD_GROUP_EPOCH_RETIRE, self->id[1], 0));
	ASSERT_EQ(UINT32_MAX, group_u32(&self->nl, self->id[1], ESF_GROUP_A_EPOCH_PREV));
	/* Break: epoch 1 is gone, its last late record with it. */
	ASSERT_EQ(-ENOMSG, open_rec(&self->fp[1], &late2, pt, sizeof(pt), NULL));
	ASSERT_EQ(0, epoch_cmd(&self->nl, ESF_CMD_GROUP_EPOCH_SWITCH, self->id[1], 3));
	ASSERT_EQ(0, seal(&self->fp[1], pt, sizeof(pt), &r3));
	ASSERT_EQ(0, memcmp(r3.b, salt3, ESF_SALT_LEN));
	/* The sender has no epoch 3 yet: make-before-break was not followed. */
	ASSERT_EQ(-ENOMSG, open_rec(&self->fp[0], &r3, pt, sizeof(pt), NULL));
}

/*
 * Membership change on captured records: after a revoke the new key goes
 * to the remaining members only; a joiner gets the current key only; a
 * member of another group has another key.
 */
TEST_F(group, revoke_join_other_group)
{
	struct gmember gw = member(variant, self->key, salt1, 8, 0);
	struct gmember m1 = member(variant, self->key, salt1, 8, 1);
	struct gmember rev = member(variant, self->key, salt1, 8, 2);
	struct gmember joiner = member(variant, self->key2, salt2, 8, 3);
	struct gmember rev_forged = member(variant, self->key, salt2, 8, 2);
	struct gmember joiner_forged = member(variant, self->key2, salt1, 8, 3);
	struct gmember other = member(variant, self->key3, salt1, 8, 4);
	size_t kl = gw.key_len;
	const char before[] = "close fire doors (epoch 1)";
	const char after[] = "close fire doors (epoch 2)";
	struct rec c1, c2;

	joiner.epoch = 2;
	joiner_forged.epoch = 2;
	rev_forged.epoch = 2;
	ASSERT_EQ(0, join(_metadata, self, &gw, 0));
	ASSERT_EQ(0, join(_metadata, self, &m1, 1));
	ASSERT_EQ(0, join(_metadata, self, &rev, 2));
	ASSERT_EQ(0, seal(&self->fp[0], before, sizeof(before), &c1));
	ASSERT_EQ(0, open_rec(&self->fp[1], &c1, before, sizeof(before), NULL));
	ASSERT_EQ(0, open_rec(&self->fp[2], &c1, before, sizeof(before), NULL));

	/* Revoke member 2: epoch 2 to the gateway and member 1 only. */
	ASSERT_EQ(0, epoch_new(&self->nl, self->id[1], 2, self->key2, kl, salt2));
	ASSERT_EQ(0, epoch_new(&self->nl, self->id[0], 2, self->key2, kl, salt2));
	ASSERT_EQ(0, epoch_cmd(&self->nl, ESF_CMD_GROUP_EPOCH_SWITCH, self->id[0], 2));
	ASSERT_EQ(0, epoch_cmd(&self->nl, ESF_CMD_GROUP_EPOCH_RETIRE, self->id[0], 0));
	ASSERT_EQ(0, seal(&self->fp[0], after, sizeof(after), &c2));
	ASSERT_EQ(0, open_rec(&self->fp[1], &c2, after, sizeof(after), NULL));
	ASSERT_EQ(-ENOMSG, open_rec(&self->fp[2], &c2, after, sizeof(after), NULL));

	/* Joiners and impostors, each a session of its own. */
	ASSERT_EQ(0, join(_metadata, self, &joiner, 3));
	ASSERT_EQ(0, join(_metadata, self, &rev_forged, 4));
	ASSERT_EQ(0, join(_metadata, self, &joiner_forged, 5));
	ASSERT_EQ(0, join(_metadata, self, &other, 6));
	/* The joiner reads from now on, not the recording of before. */
	ASSERT_EQ(0, open_rec(&self->fp[3], &c2, after, sizeof(after), NULL));
	ASSERT_EQ(-ENOMSG, open_rec(&self->fp[3], &c1, before, sizeof(before), NULL));
	/* With the salts swapped, the keys themselves fail. */
	ASSERT_EQ(-EBADMSG, open_rec(&self->fp[4], &c2, after, sizeof(after), NULL));
	ASSERT_EQ(-EBADMSG, open_rec(&self->fp[5], &c1, before, sizeof(before), NULL));
	/* Another group's member, whatever its salt. */
	ASSERT_EQ(-EBADMSG, open_rec(&self->fp[6], &c1, before, sizeof(before), NULL));
	ASSERT_EQ(-ENOMSG, open_rec(&self->fp[6], &c2, after, sizeof(after), NULL));
	if (!variant->virtio) {
		ASSERT_FALSE(ossl_gcm_open(self->key, 16, &c2, after, sizeof(after)));
		ASSERT_TRUE(ossl_gcm_open(self->key2, 16, &c2, after, sizeof(after)));
	}
}

/* A member's range ends below the next sender's first number. */
TEST_F(group, sequence_range_end)
{
	struct gmember m = member(variant, self->key, salt1, 8, 6);
	const char pt[] = "last";
	struct rec r;

	m.has_seq = true;
	m.seq_start = (1ULL << 48) - 2;
	ASSERT_EQ(0, join(_metadata, self, &m, 0));
	ASSERT_EQ(0, seal(&self->fp[0], pt, sizeof(pt), &r));
	ASSERT_EQ(6ULL << 48 | ((1ULL << 48) - 2), r.seq);
	ASSERT_EQ(0, seal(&self->fp[0], pt, sizeof(pt), &r));
	ASSERT_EQ(6ULL << 48 | ((1ULL << 48) - 1), r.seq);
	ASSERT_EQ(-EKEYEXPIRED, seal(&self->fp[0], pt, sizeof(pt), &r));
	ASSERT_EQ(ESF_STATE_EXPIRED, sess_u32(&self->nl, self->id[0], ESF_A_STATE) & 0xff);
}

/*
 * Epoch churn under load: a thread seals without pause while the control
 * plane installs, switches to and retires epoch after epoch, so keys are
 * retired with records of theirs in flight on the provider.
 */
struct churn {
	const struct esf_fp *fp;
	volatile int stop;
	int err;
	long sealed;
	uint8_t salts[64][ESF_SALT_LEN];
	volatile int nsalts;
};

static void *churn_thread(void *arg)
{
	struct churn *c = arg;
	struct esf_fp_rec r[BATCH];
	static uint8_t out[BATCH][MAX_REC];
	uint8_t pt[200];
	int j, k;

	memset(pt, 0xa5, sizeof(pt));
	while (!c->stop && !c->err) {
		memset(r, 0, sizeof(r));
		for (j = 0; j < BATCH; j++) {
			r[j].op = ESF_OP_SEAL;
			r[j].data = pt;
			r[j].data_len = sizeof(pt);
			r[j].out = out[j];
		}
		c->err = esf_fp_run(c->fp->op, &c->fp->info, r, BATCH);
		for (j = 0; j < BATCH && !c->err; j++) {
			bool known = false;

			c->err = r[j].status;
			for (k = 0; k < c->nsalts; k++)
				known |= !memcmp(out[j], c->salts[k], ESF_SALT_LEN);
			if (!c->err && !known)
				c->err = -EILSEQ;
		}
		c->sealed += BATCH;
	}
	return NULL;
}

TEST_F(group, epoch_churn_under_load)
{
	struct gmember m = member(variant, self->key, salt1, 2, 0);
	size_t kl = m.key_len;
	struct churn c = { 0 };
	pthread_t th;
	uint8_t key[48], salt[ESF_SALT_LEN];
	uint32_t e;

	ASSERT_EQ(0, join(_metadata, self, &m, 0));
	c.fp = &self->fp[0];
	memcpy(c.salts[0], salt1, ESF_SALT_LEN);
	c.nsalts = 1;
	ASSERT_EQ(0, pthread_create(&th, NULL, churn_thread, &c));
	for (e = 2; e < 40 && !c.err; e++) {
		rnd(key, kl);
		memcpy(salt, salt1, ESF_SALT_LEN);
		salt[3] = (uint8_t)e;
		memcpy(c.salts[e - 1], salt, ESF_SALT_LEN);
		__atomic_store_n(&c.nsalts, (int)e, __ATOMIC_RELEASE);
		ASSERT_EQ(0, epoch_new(&self->nl, self->id[0], e, key, kl, salt));
		if (e > 2)
			ASSERT_EQ(0, epoch_cmd(&self->nl, ESF_CMD_GROUP_EPOCH_RETIRE,
					       self->id[0], 0));
		ASSERT_EQ(0, epoch_cmd(&self->nl, ESF_CMD_GROUP_EPOCH_SWITCH, self->id[0], e));
		usleep(2000);
	}
	c.stop = 1;
	pthread_join(th, NULL);
	ASSERT_EQ(0, c.err) TH_LOG("%s", strerror(-c.err));
	ASSERT_EQ(39, group_u32(&self->nl, self->id[0], ESF_GROUP_A_EPOCH));
	ASSERT_LT(0, c.sealed);
	ksft_print_msg("%ld records sealed across 38 epoch changes\n", c.sealed);
	fflush(stdout);
	memset(key, 0, sizeof(key));
}

/*
 * No reply, ack or report carries an epoch's key: every byte received
 * while epochs are installed (accepted and refused), switched, retired and
 * reported is searched for the keys.
 */
TEST_F(group, no_key_in_replies)
{
	struct gmember m = member(variant, self->key, salt1, 4, 1);
	size_t kl = m.key_len;
	uint64_t tops[4];
	int pages;

	ASSERT_EQ(0, join(_metadata, self, &m, 0));
	self->nl.tap = true;
	ASSERT_EQ(-EINVAL, epoch_new(&self->nl, self->id[0], 2, self->key2, kl, salt1));
	ASSERT_EQ(-EINVAL, epoch_new(&self->nl, self->id[0], 0, self->key2, kl, salt2));
	ASSERT_EQ(0, epoch_new(&self->nl, self->id[0], 2, self->key2, kl, salt2));
	ASSERT_EQ(-EBUSY, epoch_new(&self->nl, self->id[0], 3, self->key3, kl, salt3));
	ASSERT_EQ(0, epoch_cmd(&self->nl, ESF_CMD_GROUP_EPOCH_SWITCH, self->id[0], 2));
	ASSERT_EQ(0, epoch_cmd(&self->nl, ESF_CMD_GROUP_EPOCH_RETIRE, self->id[0], 0));
	ASSERT_EQ(0, senders_state(&self->nl, self->id[0], tops, 4, &pages));
	ASSERT_EQ(2, group_u32(&self->nl, self->id[0], ESF_GROUP_A_EPOCH));
	self->nl.tap = false;
	ASSERT_LT(0, self->nl.tapped_len);
	ASSERT_FALSE(esf_nl_tapped_has(&self->nl, self->key, kl));
	ASSERT_FALSE(esf_nl_tapped_has(&self->nl, self->key2, kl));
	ASSERT_FALSE(esf_nl_tapped_has(&self->nl, self->key3, kl));
}

/*
 * A group session holding all three keys, deleted under a bound socket
 * with records just run: the socket gets -ENOKEY, and once it is closed
 * the module unloads (every key freed, none left queued) and loads again.
 */
TEST_F(group, unload_with_epochs_held)
{
	struct gmember m = member(variant, self->key, salt1, 4, 1);
	size_t kl = m.key_len;
	const char pt[] = "bye";
	struct rec r;
	int i;

	ASSERT_EQ(0, join(_metadata, self, &m, 0));
	ASSERT_EQ(0, epoch_new(&self->nl, self->id[0], 2, self->key2, kl, salt2));
	ASSERT_EQ(0, epoch_cmd(&self->nl, ESF_CMD_GROUP_EPOCH_SWITCH, self->id[0], 2));
	ASSERT_EQ(0, epoch_new(&self->nl, self->id[0], 3, self->key3, kl, salt3));
	ASSERT_EQ(1, group_u32(&self->nl, self->id[0], ESF_GROUP_A_EPOCH_PREV));
	ASSERT_EQ(3, group_u32(&self->nl, self->id[0], ESF_GROUP_A_EPOCH_NEXT));
	for (i = 0; i < 16; i++)
		ASSERT_EQ(0, seal(&self->fp[0], pt, sizeof(pt), &r));
	sess_flush(&self->nl);
	ASSERT_EQ(-ENOKEY, seal(&self->fp[0], pt, sizeof(pt), &r));
	EXPECT_EQ(-1, esf_module_unload());
	esf_fp_close(&self->fp[0]);
	esf_nl_close(&self->nl);
	EXPECT_EQ(0, esf_module_unload()) TH_LOG("errno %d", errno);
	ASSERT_EQ(0, esf_module_load());
	ASSERT_EQ(0, esf_nl_open(&self->nl));
}

/*
 * OPEN while the receiver switches epochs: records of the epoch being
 * left and of the one being entered, interleaved, all open while the
 * switch moves both keys (each OPEN sees the keys before or after it,
 * never a mix missing one).
 */
#define SW_ROUNDS 6
#define SW_EACH 64

struct opener {
	const struct esf_fp *fp;
	const struct rec *recs;
	int n, opened, err;
};

static void *open_thread(void *arg)
{
	struct opener *o = arg;
	struct esf_fp_rec r[4];
	uint8_t out[4][MAX_REC];
	int i, j;

	for (i = 0; i < o->n && !o->err; i += 4) {
		memset(r, 0, sizeof(r));
		for (j = 0; j < 4; j++) {
			r[j].op = ESF_OP_OPEN;
			r[j].aad = AAD;
			r[j].aad_len = AAD_LEN;
			r[j].data = o->recs[i + j].b;
			r[j].data_len = o->recs[i + j].len;
			r[j].out = out[j];
		}
		o->err = esf_fp_run(o->fp->op, &o->fp->info, r, 4);
		for (j = 0; j < 4 && !o->err; j++) {
			o->err = r[j].status;
			o->opened += !r[j].status;
		}
	}
	return NULL;
}

TEST_F(group, open_during_switch)
{
	struct gmember snd = member(variant, self->key, salt1, 2, 1);
	struct gmember rcv = member(variant, self->key, salt1, 2, 0);
	size_t kl = snd.key_len;
	static struct rec a[SW_EACH], b[SW_EACH], mix[2 * SW_EACH];
	const char pt[] = "during the switch";
	uint8_t key[48], sl[ESF_SALT_LEN];
	struct opener o;
	pthread_t th;
	uint32_t e;
	int i;

	ASSERT_EQ(0, join(_metadata, self, &snd, 0));
	ASSERT_EQ(0, join(_metadata, self, &rcv, 1));
	for (e = 1; e <= SW_ROUNDS; e++) {
		for (i = 0; i < SW_EACH; i++)
			ASSERT_EQ(0, seal(&self->fp[0], pt, sizeof(pt), &a[i]));
		rnd(key, kl);
		memcpy(sl, salt1, sizeof(sl));
		sl[3] = (uint8_t)(e + 1);
		ASSERT_EQ(0, epoch_new(&self->nl, self->id[0], e + 1, key, kl, sl));
		ASSERT_EQ(0, epoch_new(&self->nl, self->id[1], e + 1, key, kl, sl));
		ASSERT_EQ(0, epoch_cmd(&self->nl, ESF_CMD_GROUP_EPOCH_SWITCH, self->id[0], e + 1));
		for (i = 0; i < SW_EACH; i++) {
			ASSERT_EQ(0, seal(&self->fp[0], pt, sizeof(pt), &b[i]));
			mix[2 * i] = a[i];
			mix[2 * i + 1] = b[i];
		}
		o = (struct opener){ .fp = &self->fp[1], .recs = mix, .n = 2 * SW_EACH };
		ASSERT_EQ(0, pthread_create(&th, NULL, open_thread, &o));
		ASSERT_EQ(0, epoch_cmd(&self->nl, ESF_CMD_GROUP_EPOCH_SWITCH, self->id[1], e + 1));
		pthread_join(th, NULL);
		ASSERT_EQ(0, o.err) TH_LOG("round %u: %s after %d", e, strerror(-o.err), o.opened);
		ASSERT_EQ(2 * SW_EACH, o.opened);
		ASSERT_EQ(0, epoch_cmd(&self->nl, ESF_CMD_GROUP_EPOCH_RETIRE, self->id[0], 0));
		ASSERT_EQ(0, epoch_cmd(&self->nl, ESF_CMD_GROUP_EPOCH_RETIRE, self->id[1], 0));
	}
	memset(key, 0, sizeof(key));
}

/* The control plane ------------------------------------------------------- */

TEST_F(group, refusals)
{
	struct gmember g = member(variant, self->key, salt1, 8, 8);
	struct sess plain = { .alg = "gcm(aes)", .key = self->key, .key_len = 16 };
	uint32_t id;

	ASSERT_EQ(-EINVAL, group_add(&self->nl, &g, &id));	/* sender >= senders */
	g.sender = 1;
	g.senders = 0;
	ASSERT_EQ(-ERANGE, group_add(&self->nl, &g, &id));	/* by policy */
	g.senders = ESF_GROUP_SENDERS_MAX + 1;
	ASSERT_EQ(-ERANGE, group_add(&self->nl, &g, &id));
	g.senders = ESF_GROUP_SENDERS_MAX;
	g.window = 4096;
	ASSERT_EQ(-EINVAL, group_add(&self->nl, &g, &id));	/* memory bound */
	g.window = 0;
	g.no_sender = true;
	ASSERT_EQ(-EINVAL, group_add(&self->nl, &g, &id));
	g.no_sender = false;
	g.has_seq = true;
	g.seq_start = 1ULL << 48;
	ASSERT_EQ(-EINVAL, group_add(&self->nl, &g, &id));
	g.has_seq = false;
	if (!variant->virtio) {
		g.nonce_policy = ESF_NONCE_ANY;
		ASSERT_EQ(-EINVAL, group_add(&self->nl, &g, &id));
		g.nonce_policy = 0;
		g.alg = "rfc4106(gcm(aes))";
		ASSERT_EQ(-EINVAL, group_add(&self->nl, &g, &id));
		g.alg = "gcm(aes)";
	}
	/* Epoch commands on a session that is not a group's, or none. */
	ASSERT_EQ(0, sess_add(&self->nl, &plain, &id));
	ASSERT_EQ(-EINVAL, epoch_new(&self->nl, id, 2, self->key2, 16, salt2));
	ASSERT_EQ(-EINVAL, epoch_cmd(&self->nl, ESF_CMD_GROUP_EPOCH_RETIRE, id, 0));
	ASSERT_EQ(-ENOENT, epoch_cmd(&self->nl, ESF_CMD_GROUP_EPOCH_RETIRE, id + 1000, 0));
	/* The largest group at the memory bound is accepted. */
	g.senders = ESF_GROUP_SENDERS_MAX;
	g.sender = ESF_GROUP_SENDERS_MAX - 1;
	g.window = ESF_GROUP_REPLAY_BITS_MAX / ESF_GROUP_SENDERS_MAX;
	ASSERT_EQ(0, group_add(&self->nl, &g, &id)) TH_LOG("%s", self->nl.errmsg);
	ASSERT_EQ(g.window, sess_u32(&self->nl, id, ESF_A_REPLAY_WINDOW));
}


/* Re-seal through the gateway ------------------------------------------- */

#define RS_N		12
#define RS_STRIDE	1024
#define RS_OUT		(ESF_FP_DATA + RS_N * RS_STRIDE)
#define UP_AAD		"upstream-aad"
#define UP_AAD_LEN	(sizeof(UP_AAD) - 1)

/* A /dev/esf handle opening under @a and sealing under @b. */
static int reseal_handle(uint32_t a, uint32_t b, struct esf_fp_dev **d)
{
	struct esf_dev_bind bind = { .session_id = b };
	int fd = esf_fp_dev_handle(a, d);

	if (fd >= 0 && ioctl(fd, ESF_DEV_BIND_RESEAL, &bind)) {
		int err = -errno;

		esf_fp_close_fd(fd);
		return err;
	}
	return fd;
}

/*
 * Table entry @k re-seals record @r: the opening side's AAD @aad, the
 * sealing side's @aad2 right after it, the record, an output slot.
 */
static void put_reseal(struct esf_fp_dev *d, unsigned int k, const struct rec *r,
		       const char *aad, uint32_t aad_len, const char *aad2, uint32_t aad2_len)
{
	uint32_t at = ESF_FP_DATA + k * RS_STRIDE;

	memcpy(d->base + at, aad, aad_len);
	memcpy(d->base + at + aad_len, aad2, aad2_len);
	memcpy(d->base + at + 64, r->b, r->len);
	d->table[k] = (struct esf_dev_rec){
		.op = ESF_OP_RESEAL, .aad_off = at, .aad_len = aad_len, .aad2_len = aad2_len,
		.in_off = at + 64, .in_len = r->len, .out_off = RS_OUT + k * RS_STRIDE,
		.out_size = RS_STRIDE,
	};
}

/* Entries 0..@n-1 as one batch, waited for; 0 or -errno. */
static int reseal_run(int fd, uint32_t n)
{
	struct esf_dev_submit sub = { .count = n, .flags = ESF_DEV_SUBMIT_WAIT };

	return ioctl(fd, ESF_DEV_SUBMIT, &sub) ? -errno : 0;
}

/* Entry @k's output as a record. */
static void reseal_out(const struct esf_fp_dev *d, unsigned int k, struct rec *r)
{
	r->len = d->table[k].res.out_len;
	r->seq = d->table[k].res.seq;
	memcpy(r->b, d->base + d->table[k].out_off, r->len);
}

/*
 * The gateway is a member of the group (sender 0) and forwards hop by
 * hop with in-kernel re-seal, so that no plaintext reaches it: a member's
 * reports open under the group and are sealed again under its pairwise
 * session upstream; the server's commands open under a pairwise session
 * and are sealed again under the group, as sender 0, for every member.
 * The re-seal runs on /dev/esf whatever front end the members use. Each
 * session keeps its replay state: a member's record forwarded twice is a
 * replay, a member opening a command twice is one, and the gateway's own
 * group records are not another member's. A group algorithm that pads
 * (authenc) cannot be the opening side; it is the sealing side here on
 * an asynchronous provider in the virtio variants.
 */
TEST_F(group, reseal_through_the_gateway)
{
	enum { GW, DEV, OTHER };
	struct gmember gw = member(variant, self->key, salt1, 8, 0);
	struct gmember dev = member(variant, self->key, salt1, 8, 3);
	struct gmember other = member(variant, self->key, salt1, 8, 5);
	struct sess pw = { .alg = "gcm(aes)", .key = self->key2, .key_len = 16,
			   .has_window = true, .window = ESF_REPLAY_WINDOW_MAX };
	uint32_t up_seal, up_open, down_seal, down_open;
	static struct rec r[RS_N], out[RS_N];
	struct esf_fp up, down;
	char pt[RS_N][64];
	struct esf_fp_dev *d;
	uint64_t seq;
	unsigned int i;
	int fd;

	ASSERT_EQ(0, join(_metadata, self, &gw, GW));
	ASSERT_EQ(0, join(_metadata, self, &dev, DEV));
	ASSERT_EQ(0, join(_metadata, self, &other, OTHER));
	pw.direction = ESF_DIR_SEAL;
	ASSERT_EQ(0, sess_add(&self->nl, &pw, &up_seal)) TH_LOG("%s", self->nl.errmsg);
	pw.direction = ESF_DIR_OPEN;
	ASSERT_EQ(0, sess_add(&self->nl, &pw, &up_open)) TH_LOG("%s", self->nl.errmsg);
	pw.key = self->key3;
	ASSERT_EQ(0, sess_add(&self->nl, &pw, &down_open)) TH_LOG("%s", self->nl.errmsg);
	pw.direction = ESF_DIR_SEAL;
	ASSERT_EQ(0, sess_add(&self->nl, &pw, &down_seal)) TH_LOG("%s", self->nl.errmsg);
	for (i = 0; i < RS_N; i++)
		snprintf(pt[i], sizeof(pt[i]), "report %u from sensor 3: %.*s", i, (int)i * 3,
			 "temperature rising, smoke at level two");

	/* Upstream: the member's reports, to the server under the pairwise key. */
	fd = reseal_handle(self->id[GW], up_seal, &d);
	if (variant->virtio) {
		/* authenc pads: its plaintext length is not the record's. */
		ASSERT_EQ(-EOPNOTSUPP, fd);
	} else {
		ASSERT_LE(0, fd) TH_LOG("%s", strerror(-fd));
		ASSERT_EQ(0, esf_fp_open(&up, up_open));
		for (i = 0; i < RS_N; i++) {
			ASSERT_EQ(0, seal(&self->fp[DEV], pt[i], (uint32_t)strlen(pt[i]), &r[i]));
			put_reseal(d, i, &r[i], AAD, AAD_LEN, UP_AAD, UP_AAD_LEN);
		}
		ASSERT_EQ(0, reseal_run(fd, RS_N));
		for (i = 0; i < RS_N; i++) {
			uint8_t back[MAX_REC];
			uint32_t back_len = 0;

			ASSERT_EQ(0, d->table[i].res.status) TH_LOG("record %u", i);
			reseal_out(d, i, &out[i]);
			/* The output is upstream's record, nothing of the group's. */
			ASSERT_EQ((uint64_t)i, out[i].seq);
			ASSERT_EQ(0, esf_fp_one(up.op, &up.info, ESF_OP_OPEN, UP_AAD, UP_AAD_LEN,
						out[i].b, out[i].len, back, &back_len, &seq));
			ASSERT_EQ(strlen(pt[i]), back_len);
			ASSERT_EQ(0, memcmp(back, pt[i], back_len));
			/* and OpenSSL, with the pairwise key, agrees */
			ASSERT_TRUE(ossl_gcm_open_aad(self->key2, 16, UP_AAD, UP_AAD_LEN, &out[i],
						      pt[i], (uint32_t)strlen(pt[i])))
				TH_LOG("record %u", i);
		}
		/* Forwarded twice: the group's window for sender 3 refuses it. */
		put_reseal(d, 0, &r[RS_N / 2], AAD, AAD_LEN, UP_AAD, UP_AAD_LEN);
		/* The gateway's own group record coming back: not a member's. */
		ASSERT_EQ(0, seal(&self->fp[GW], pt[0], 8, &r[0]));
		put_reseal(d, 1, &r[0], AAD, AAD_LEN, UP_AAD, UP_AAD_LEN);
		/* Tampered: fails alone, nothing sealed upstream. */
		ASSERT_EQ(0, seal(&self->fp[DEV], pt[1], 8, &r[1]));
		r[1].b[r[1].len - 1] ^= 1;
		put_reseal(d, 2, &r[1], AAD, AAD_LEN, UP_AAD, UP_AAD_LEN);
		ASSERT_EQ(0, reseal_run(fd, 3));
		ASSERT_EQ(-EALREADY, d->table[0].res.status);
		ASSERT_EQ(-ENOMSG, d->table[1].res.status);
		ASSERT_EQ(-EBADMSG, d->table[2].res.status);
		ASSERT_EQ(RS_N, sess_stat(&self->nl, self->id[GW], ESF_STATS_A_RESEAL));
		ASSERT_EQ(RS_N, sess_stat(&self->nl, up_seal, ESF_STATS_A_RESEAL));
		esf_fp_close_fd(fd);
		esf_fp_close(&up);
	}

	/* Downstream: the server's commands, into the group as sender 0. */
	ASSERT_EQ(0, esf_fp_open(&down, down_seal));
	fd = reseal_handle(down_open, self->id[GW], &d);
	ASSERT_LE(0, fd) TH_LOG("%s", strerror(-fd));
	for (i = 0; i < RS_N; i++) {
		ASSERT_EQ(0, esf_fp_one(down.op, &down.info, ESF_OP_SEAL, UP_AAD, UP_AAD_LEN,
					pt[i], (uint32_t)strlen(pt[i]), r[i].b, &r[i].len, NULL));
		put_reseal(d, i, &r[i], UP_AAD, UP_AAD_LEN, AAD, AAD_LEN);
	}
	ASSERT_EQ(0, reseal_run(fd, RS_N));
	for (i = 0; i < RS_N; i++) {
		ASSERT_EQ(0, d->table[i].res.status) TH_LOG("record %u", i);
		reseal_out(d, i, &out[i]);
		ASSERT_EQ(0, out[i].b[4]);
		ASSERT_EQ(0, out[i].b[5]);
	}
	for (i = 0; i < RS_N; i++) {
		ASSERT_EQ(0, open_rec(&self->fp[DEV], &out[i], pt[i], (uint32_t)strlen(pt[i]),
				      &seq)) TH_LOG("record %u", i);
		ASSERT_EQ(0, ESF_GROUP_SENDER(seq));
		ASSERT_EQ(0, open_rec(&self->fp[OTHER], &out[i], pt[i], (uint32_t)strlen(pt[i]),
				      NULL)) TH_LOG("record %u", i);
	}
	ASSERT_EQ(-EALREADY, open_rec(&self->fp[DEV], &out[3], pt[3], (uint32_t)strlen(pt[3]),
				      NULL));
	ASSERT_EQ(-ENOMSG, open_rec(&self->fp[GW], &out[3], pt[3], (uint32_t)strlen(pt[3]),
				    NULL));
	/* The same command forwarded twice: the pairwise window refuses it. */
	put_reseal(d, 0, &r[5], UP_AAD, UP_AAD_LEN, AAD, AAD_LEN);
	ASSERT_EQ(0, reseal_run(fd, 1));
	ASSERT_EQ(-EALREADY, d->table[0].res.status);
	ASSERT_EQ(RS_N, sess_stat(&self->nl, down_open, ESF_STATS_A_RESEAL));
	esf_fp_close_fd(fd);
	esf_fp_close(&down);
}

/*
 * One group of 1000 senders: the receiver opens one record from each of
 * 999 others (made by OpenSSL as each member would seal it), reports all
 * of them through ESF_CMD_GROUP_SENDERS page by page, and its replay state
 * takes the memory the uAPI header documents.
 */
TEST(group_1000_senders)
{
	enum { SENDERS = 1000 };
	struct gmember g = { .alg = "gcm(aes)", .salt = salt1, .senders = SENDERS,
			     .sender = SENDERS - 1, .epoch = 1, .key_len = 16 };
	static uint64_t tops[SENDERS];
	struct esf_nl nl;
	struct esf_fp fp;
	uint8_t key[16];
	const char pt[] = "member report";
	struct timespec t0, t1;
	uint32_t id, mem, per;
	uint8_t k2[16], s2[ESF_SALT_LEN];
	struct rec r;
	int i, pages;

	ASSERT_EQ(0, esf_module_ensure_loaded());
	ASSERT_EQ(0, esf_nl_open(&nl));
	sess_flush(&nl);
	rnd(key, sizeof(key));
	g.key = key;
	ASSERT_EQ(0, group_add(&nl, &g, &id)) TH_LOG("%s", nl.errmsg);
	ASSERT_EQ(0, esf_fp_open(&fp, id));
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (i = 0; i < SENDERS - 1; i++) {
		ASSERT_TRUE(ossl_gcm_seal(key, 16, salt1, (uint16_t)i, 7 + (uint64_t)i, pt,
					  sizeof(pt), &r));
		ASSERT_EQ(0, open_rec(&fp, &r, pt, sizeof(pt), NULL));
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ASSERT_EQ(SENDERS - 1, senders_state(&nl, id, tops, SENDERS, &pages));
	for (i = 0; i < SENDERS - 1; i++)
		ASSERT_EQ(7 + (uint64_t)i, tops[i]);
	ASSERT_EQ(UINT64_MAX, tops[SENDERS - 1]);
	ASSERT_EQ((SENDERS + ESF_GROUP_SENDERS_PER_MSG - 1) / ESF_GROUP_SENDERS_PER_MSG, pages);
	ASSERT_EQ(SENDERS - 1, group_u32(&nl, id, ESF_GROUP_A_SENDERS_SEEN));
	/*
	 * Per sender: the window's bits (1024 numbers: 32 blocks of 64 bits,
	 * 256 bytes) and its state, a few dozen to a few hundred bytes
	 * depending on lock debugging.
	 */
	mem = sess_u32(&nl, id, ESF_A_REPLAY_MEMORY);
	ASSERT_EQ(0, mem % SENDERS);
	per = mem / SENDERS;
	ASSERT_LE(256 + 32, per);
	ASSERT_GE(256 + 512, per);
	ksft_print_msg("1000-sender group: replay state %u bytes (%u per sender), %d replies for the per-sender state, %.1f us per OPEN from a new sender\n",
		       mem, per, pages,
		       ((t1.tv_sec - t0.tv_sec) * 1e9 + (t1.tv_nsec - t0.tv_nsec)) / 1e3 /
		       (SENDERS - 1));
	fflush(stdout);
	/* A replay from any of them is still caught. */
	ASSERT_TRUE(ossl_gcm_seal(key, 16, salt1, 500, 507, pt, sizeof(pt), &r));
	ASSERT_EQ(-EALREADY, open_rec(&fp, &r, pt, sizeof(pt), NULL));

	/*
	 * A rekey of this member (a revoke elsewhere in the group): epochs
	 * 2 to 11 installed, switched to and the previous retired, timed.
	 * The 999 windows carry over: a sender's old number under the new
	 * key is still a replay, its next one opens.
	 */
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (i = 2; i <= 11; i++) {
		uint8_t k[16], sl[ESF_SALT_LEN];

		rnd(k, sizeof(k));
		memcpy(sl, salt1, sizeof(sl));
		sl[3] = (uint8_t)i;
		if (i == 11) {
			memcpy(k2, k, sizeof(k));
			memcpy(s2, sl, sizeof(sl));
		}
		ASSERT_EQ(0, epoch_new(&nl, id, (uint32_t)i, k, sizeof(k), sl));
		ASSERT_EQ(0, epoch_cmd(&nl, ESF_CMD_GROUP_EPOCH_SWITCH, id, (uint32_t)i));
		ASSERT_EQ(0, epoch_cmd(&nl, ESF_CMD_GROUP_EPOCH_RETIRE, id, 0));
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ASSERT_TRUE(ossl_gcm_seal(k2, 16, s2, 500, 507, pt, sizeof(pt), &r));
	ASSERT_EQ(-EALREADY, open_rec(&fp, &r, pt, sizeof(pt), NULL));
	ASSERT_TRUE(ossl_gcm_seal(k2, 16, s2, 500, 508, pt, sizeof(pt), &r));
	ASSERT_EQ(0, open_rec(&fp, &r, pt, sizeof(pt), NULL));
	ASSERT_TRUE(ossl_gcm_seal(key, 16, salt1, 501, 600, pt, sizeof(pt), &r));
	ASSERT_EQ(-ENOMSG, open_rec(&fp, &r, pt, sizeof(pt), NULL));
	ksft_print_msg("1000-sender group: one epoch change (new, switch, retire: 3 netlink round trips) %.2f ms\n",
		       ((t1.tv_sec - t0.tv_sec) * 1e9 + (t1.tv_nsec - t0.tv_nsec)) / 1e6 / 10);
	fflush(stdout);
	esf_fp_close(&fp);
	sess_flush(&nl);
	esf_nl_close(&nl);
}

TEST_HARNESS_MAIN
