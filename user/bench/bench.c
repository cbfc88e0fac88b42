// SPDX-License-Identifier: GPL-2.0
/*
 * esf-bench: throughput of the esf fast path, side by side with what a
 * gateway would use instead, on the same algorithm and key size: SEAL and
 * OPEN on gcm(aes) sessions, SIGN and VERIFY on hmac(sha256), hmac(sha384)
 * and hmac(sha512) (MIC) sessions.
 *
 *   esf        one record per esf_seal()/esf_open()/esf_sign()/esf_verify()
 *              on esf's AF_ALG socket type
 *   esf-batch  --batch records per esf_batch() round trip, likewise
 *   ring       one record per call on /dev/esf (a handle whose buffers lie
 *              in its registered region: esf_buf_alloc())
 *   ring-batch --batch records per esf_batch() on /dev/esf, in place
 *   afalg      the stock AF_ALG sockets through libkcapi, sendmsg and read
 *              per operation: "aead" for gcm(aes) (what algif_aead offers),
 *              "hash" for hmac (algif_hash; VERIFY computes and compares)
 *   openssl    OpenSSL in user space, one context kept with its key
 *              schedule (the best case): EVP_CIPHER with a new IV per
 *              operation, or EVP_MAC "HMAC" re-initialised per message
 *   openssl-init  OpenSSL set up per operation: a new context keyed
 *              for each message, as a one-shot seal(key, iv, aad, text) or
 *              hmac(key, text) function does
 *   kernel     crypto_aead_encrypt() or crypto_ahash_digest() in a loop in
 *              the kernel on the session's own transform
 *              (ESF_CMD_SESSION_BENCH, CAP_NET_ADMIN): the crypto API's
 *              limit, SEAL or SIGN only, one thread, fixed sizes only
 *
 * With --reseal-to ID, the ring paths also measure a gateway's forwarding
 * of the session's records to session ID: "reseal" opens each record and
 * seals it again under ID in the kernel (ESF_OP_RESEAL), "open-seal" opens
 * it into user space and seals the plaintext under ID with a second handle
 * (what a gateway does without re-seal).
 *
 * Sizes are payload bytes, or "imix", the classic simple IMIX: per cycle of
 * 12 records, 7 of 64 B, 4 of 576 B and 1 of 1500 B (mean 354.33 B, which
 * MB/s counts). Single-record paths take the 12 sizes in turn, call after
 * call; the records of an esf-batch batch take them in turn too.
 *
 * --threads N runs N threads on the same path, operation and size at once,
 * each with its own handles (esf session handle and so its own operation
 * socket, libkcapi handle, OpenSSL context) and buffers. Ops/s is their
 * total over the measurement's wall time; CPU time is the process's.
 *
 * The esf paths use an existing kernel session (created by esfctl or
 * esfd); the others get a random key of the session's key length. Each
 * measurement runs for --seconds of wall time; under QEMU's -icount that
 * is guest time, which follows instruction counts, so runs repeat.
 */
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include <jansson.h>
#include <kcapi.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "esf.h"
#include "esf_nl.h"

#define MAX_SIZES 16
#define MAX_THREADS 64
#define GCM_IV 12
#define GCM_TAG 16
#define MAX_VAR 3		/* distinct sizes in a mix */
#define IMIX_LEN 12		/* records per IMIX cycle */

enum path { P_ESF, P_BATCH, P_RING, P_RING_BATCH, P_AFALG, P_OPENSSL, P_OPENSSL_INIT,
	    P_KERNEL, P_NUM };
static const char *const path_names[P_NUM] = { "esf", "esf-batch", "ring", "ring-batch",
					       "afalg", "openssl", "openssl-init",
					       "kernel" };

enum op { O_SEAL, O_OPEN, O_SIGN, O_VERIFY, O_RESEAL, O_OPEN_SEAL, O_NUM };
static const char *const op_names[O_NUM] = { "seal", "open", "sign", "verify", "reseal",
					     "open-seal" };
static const uint8_t op_codes[O_NUM] = { ESF_OP_SEAL, ESF_OP_OPEN, ESF_OP_SIGN,
					 ESF_OP_VERIFY, ESF_OP_RESEAL, ESF_OP_OPEN };

/* The MIC algorithms: the crypto API's name and OpenSSL's digest. */
static const struct mic_alg {
	uint8_t alg;
	const char *name, *digest;
} mic_algs[] = {
	{ ESF_ALG_HMAC_SHA256, "hmac(sha256)", "SHA256" },
	{ ESF_ALG_HMAC_SHA384, "hmac(sha384)", "SHA384" },
	{ ESF_ALG_HMAC_SHA512, "hmac(sha512)", "SHA512" },
};

/* One payload size, or a mix of sizes that records take in turn. */
struct mix {
	char name[16];		/* as reported: "64", "imix" */
	unsigned int nvar, len;
	size_t size[MAX_VAR];
	uint8_t pat[IMIX_LEN];	/* per record of a cycle, an index into @size */
	double mean;		/* payload bytes per record */
};

struct opts {
	uint32_t session;
	uint32_t reseal_to;	/* --reseal-to, or 0 */
	bool paths[P_NUM];
	bool ops[O_NUM];
	struct mix sizes[MAX_SIZES];
	unsigned int nsizes;
	size_t aad_len;
	unsigned int batch, threads;
	double seconds;
	const char *csv, *json;
	bool paths_given, ops_given;
	const struct mic_alg *mic;	/* NULL for gcm(aes) */
	struct esf_nl *nl;	/* for the kernel path */
};

struct result {
	const char *path;
	const char *op;
	const struct mix *mix;
	unsigned int batch;	/* records per call */
	unsigned int threads;
	double ops, seconds, cpu;
	const char *driver;
};

/*
 * One thread's buffers: @n records per call, taking the mix's sizes in
 * turn from @cur. @in holds the largest payload (smaller ones are its
 * start); @rec[v] the session's own SEAL output or tag for size v, which
 * the esf OPEN and VERIFY runs take again and again.
 */
struct work {
	const struct mix *mix;
	unsigned int cur;
	size_t aad_len, rec_max;
	unsigned int n;
	uint8_t *aad, *in, *out;
	uint8_t *rec[MAX_VAR];
	size_t rec_len[MAX_VAR];
	struct esf_op *ops;
	struct esf_session *region;	/* buffers in its region (ring paths) */
	/* open-seal: the plaintexts, and the SEALs under the second session */
	uint8_t *plain;
	struct esf_op *ops2;
};

/* libkcapi: an "aead" or a "hash" handle. */
struct afalg {
	struct kcapi_handle *h;
	uint8_t iv[GCM_IV];
	uint8_t *buf[MAX_VAR];	/* AAD || text (|| tag): libkcapi's layout */
	size_t buf_len[MAX_VAR];
	uint8_t tag[MAX_VAR][ESF_TAG_MAX];	/* hmac: what VERIFY expects */
	size_t tag_len;
};

/* OpenSSL: EVP_CIPHER for gcm(aes), EVP_MAC for hmac. */
struct evp {
	EVP_CIPHER_CTX *c;
	const EVP_CIPHER *cipher;
	EVP_MAC *mac;
	EVP_MAC_CTX *m;
	OSSL_PARAM params[2];
	uint8_t key[ESF_KEY_MAX];
	size_t key_len, tag_len;
	uint8_t iv[GCM_IV];
	uint8_t tag[MAX_VAR][ESF_TAG_MAX];
	uint8_t *ct[MAX_VAR];
};

struct worker;
/* The step a path takes: one call, the job's records. 0 or -errno. */
typedef int (*step_fn)(struct worker *k, int op);

/* One measurement: what all its threads share. */
struct job {
	const struct opts *o;
	const struct mix *mix;
	const uint8_t *key;
	size_t key_len, overhead, tag_len;
	int path, op;
	unsigned int per;	/* records per call */
	step_fn fn;
	pthread_barrier_t start, stop;
};

struct worker {
	struct job *j;
	pthread_t tid;
	struct esf_session *s;
	struct esf_session *s2;		/* open-seal: a handle on --reseal-to */
	struct work w;
	struct afalg a;
	struct evp e;
	uint64_t calls;
	double start, end, cpu;	/* its own clocks: see measure() */
	int err;
};

static double now(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void *xmalloc(size_t n)
{
	void *p = calloc(1, n ? n : 1);

	if (!p) {
		fprintf(stderr, "esf-bench: out of memory\n");
		exit(1);
	}
	return p;
}

static void rnd(void *p, size_t n)
{
	uint8_t *b = p;

	while (n) {
		ssize_t r = getrandom(b, n, 0);

		if (r < 0)
			r = 0;
		b += r;
		n -= (size_t)r;
	}
}

static void mix_fixed(struct mix *m, size_t size)
{
	*m = (struct mix){ .nvar = 1, .len = 1, .size = { size }, .mean = (double)size };
	snprintf(m->name, sizeof(m->name), "%zu", size);
}

/* 7 x 64, 4 x 576, 1 x 1500, the small ones spread out. */
static void mix_imix(struct mix *m)
{
	static const uint8_t pat[IMIX_LEN] = { 0, 1, 0, 1, 0, 1, 0, 1, 0, 0, 0, 2 };
	unsigned int i;

	*m = (struct mix){ .name = "imix", .nvar = 3, .len = IMIX_LEN,
			   .size = { 64, 576, 1500 } };
	memcpy(m->pat, pat, sizeof(pat));
	for (i = 0; i < IMIX_LEN; i++)
		m->mean += (double)m->size[pat[i]];
	m->mean /= IMIX_LEN;
}

static size_t mix_max(const struct mix *m)
{
	return m->size[m->nvar - 1];
}

/* The size index of the next record. */
static unsigned int next_var(struct work *w)
{
	unsigned int v = w->mix->pat[w->cur];

	w->cur = (w->cur + 1) % w->mix->len;
	return v;
}

static bool is_mic(const struct job *j)
{
	return j->o->mic != NULL;
}

/* esf, one record per call --------------------------------------------- */

static int esf_one(struct esf_session *s, struct work *w, unsigned int v, int op,
		   uint8_t *out, size_t *out_len)
{
	size_t size = w->mix->size[v];
	ssize_t n;

	switch (op) {
	case O_SEAL:
		n = esf_seal(s, w->aad, w->aad_len, w->in, size, out, w->rec_max, NULL);
		break;
	case O_OPEN:
		n = esf_open(s, w->aad, w->aad_len, w->rec[v], w->rec_len[v], out, w->rec_max,
			     NULL);
		break;
	case O_SIGN:
		n = esf_sign(s, w->in, size, out, w->rec_max);
		break;
	case O_RESEAL:
		/* The second AAD follows the first: one span for the kernel. */
		n = esf_reseal(s, w->aad, w->aad_len, w->aad + w->aad_len, w->aad_len, w->rec[v],
			       w->rec_len[v], out, w->rec_max, NULL);
		break;
	default:
		n = esf_verify(s, w->in, size, w->rec[v], w->rec_len[v]);
	}
	if (n >= 0 && out_len)
		*out_len = (size_t)n;
	return n < 0 ? (int)n : 0;
}

/* What a gateway does without re-seal: the plaintext through its memory. */
static int open_seal_one(struct worker *k, unsigned int v)
{
	struct work *w = &k->w;
	ssize_t n;

	n = esf_open(k->s, w->aad, w->aad_len, w->rec[v], w->rec_len[v], w->plain, w->rec_max,
		     NULL);
	if (n >= 0)
		n = esf_seal(k->s2, w->aad + w->aad_len, w->aad_len, w->plain, (size_t)n, w->out,
			     w->rec_max, NULL);
	return n < 0 ? (int)n : 0;
}

static int esf_step(struct worker *k, int op)
{
	if (op == O_OPEN_SEAL)
		return open_seal_one(k, next_var(&k->w));
	return esf_one(k->s, &k->w, next_var(&k->w), op, k->w.out, NULL);
}

/* A genuine record (or tag) of each size for OPEN (or VERIFY) to take again
 * and again: the session's replay window must be off for OPEN.
 */
static int esf_refs(struct esf_session *s, struct work *w, int op)
{
	unsigned int v;
	int err = 0;

	for (v = 0; v < w->mix->nvar && !err; v++)
		err = esf_one(s, w, v, op == O_OPEN ? O_SEAL : O_SIGN, w->rec[v],
			      &w->rec_len[v]);
	return err;
}

/* esf, a batch per call -------------------------------------------------- */

/* One record of a batch; the measured loop, so one switch per record. */
static void batch_fill(struct work *w, struct esf_op *op, unsigned int i, int o)
{
	unsigned int v = next_var(w);

	*op = (struct esf_op){
		.op = op_codes[o], .in = w->in, .in_len = w->mix->size[v],
		.out = w->out + (size_t)i * w->rec_max, .out_size = w->rec_max,
	};
	switch (o) {
	case O_SEAL:
		op->aad = w->aad;
		op->aad_len = w->aad_len;
		break;
	case O_OPEN:
	case O_RESEAL:
	case O_OPEN_SEAL:
		op->aad = w->aad;
		op->aad_len = w->aad_len;
		op->in = w->rec[v];
		op->in_len = w->rec_len[v];
		if (o == O_RESEAL) {
			/* The second AAD follows the first. */
			op->in2 = w->aad + w->aad_len;
			op->in2_len = w->aad_len;
		} else if (o == O_OPEN_SEAL) {
			op->out = w->plain + (size_t)i * w->rec_max;
		}
		break;
	case O_VERIFY:
		/* VERIFY takes data || tag. */
		op->in2 = w->rec[v];
		op->in2_len = w->rec_len[v];
		break;
	}
}

static int batch_run(struct esf_session *s, struct work *w, int o)
{
	unsigned int i;
	int err;

	for (i = 0; i < w->n; i++)
		batch_fill(w, &w->ops[i], i, o);
	err = esf_batch(s, w->ops, w->n);
	for (i = 0; !err && i < w->n; i++)
		err = w->ops[i].status;
	return err;
}

/* One batch of OPENs into user memory, then one of SEALs on the second handle. */
static int open_seal_run(struct worker *k)
{
	struct work *w = &k->w;
	unsigned int i;
	int err;

	err = batch_run(k->s, w, O_OPEN_SEAL);
	for (i = 0; i < w->n; i++)
		w->ops2[i] = (struct esf_op){
			.op = ESF_OP_SEAL, .aad = w->aad + w->aad_len, .aad_len = w->aad_len,
			.in = w->ops[i].out, .in_len = w->ops[i].out_len,
			.out = w->out + (size_t)i * w->rec_max, .out_size = w->rec_max,
		};
	if (!err)
		err = esf_batch(k->s2, w->ops2, w->n);
	for (i = 0; !err && i < w->n; i++)
		err = w->ops2[i].status;
	return err;
}

static int batch_step(struct worker *k, int op)
{
	if (op == O_OPEN_SEAL)
		return open_seal_run(k);
	return batch_run(k->s, &k->w, op);
}

/* Raw AF_ALG through libkcapi -------------------------------------------- */

static int afalg_aead(struct afalg *a, struct work *w, unsigned int v, bool seal)
{
	size_t text = w->aad_len + w->mix->size[v];
	ssize_t n;

	if (seal) {
		n = kcapi_aead_encrypt(a->h, a->buf[v], text, a->iv, a->buf[v], a->buf_len[v],
				       KCAPI_ACCESS_SENDMSG);
	} else {
		n = kcapi_aead_decrypt(a->h, a->buf[v], a->buf_len[v], a->iv, w->out, text,
				       KCAPI_ACCESS_SENDMSG);
	}
	return n < 0 ? (int)n : 0;
}

static int afalg_aead_step(struct worker *k, int op)
{
	return afalg_aead(&k->a, &k->w, next_var(&k->w), op == O_SEAL);
}

static int afalg_aead_setup(struct afalg *a, struct work *w, const struct job *j)
{
	unsigned int v;
	int err;

	err = kcapi_aead_init(&a->h, "gcm(aes)", 0);
	if (!err)
		err = kcapi_aead_setkey(a->h, j->key, (uint32_t)j->key_len);
	if (!err)
		err = kcapi_aead_settaglen(a->h, GCM_TAG);
	if (err)
		return err;
	kcapi_aead_setassoclen(a->h, w->aad_len);
	rnd(a->iv, sizeof(a->iv));
	for (v = 0; v < w->mix->nvar && !err; v++) {
		a->buf_len[v] = w->aad_len + w->mix->size[v] + GCM_TAG;
		a->buf[v] = xmalloc(a->buf_len[v]);
		memcpy(a->buf[v], w->aad, w->aad_len);
		memcpy(a->buf[v] + w->aad_len, w->in, w->mix->size[v]);
		/* Something to decrypt: encrypt once in place. */
		err = afalg_aead(a, w, v, true);
	}
	return err;
}

/* HMAC: SIGN keeps the tag, VERIFY computes one and compares. */
static int afalg_md(struct afalg *a, struct work *w, unsigned int v, bool sign)
{
	uint8_t md[ESF_TAG_MAX];
	ssize_t n;

	n = kcapi_md_digest(a->h, w->in, w->mix->size[v], sign ? a->tag[v] : md, sizeof(md));
	if (n < 0)
		return (int)n;
	if (!sign && CRYPTO_memcmp(md, a->tag[v], a->tag_len))
		return -EBADMSG;
	return 0;
}

static int afalg_md_step(struct worker *k, int op)
{
	return afalg_md(&k->a, &k->w, next_var(&k->w), op == O_SIGN);
}

static int afalg_md_setup(struct afalg *a, struct work *w, const struct job *j)
{
	unsigned int v;
	int err;

	err = kcapi_md_init(&a->h, j->o->mic->name, 0);
	if (!err)
		err = kcapi_md_setkey(a->h, j->key, (uint32_t)j->key_len);
	a->tag_len = j->tag_len;
	for (v = 0; v < w->mix->nvar && !err; v++)
		err = afalg_md(a, w, v, true);
	return err;
}

static void afalg_free(struct afalg *a, bool mic)
{
	unsigned int v;

	if (a->h && mic)
		kcapi_md_destroy(a->h);
	else if (a->h)
		kcapi_aead_destroy(a->h);
	for (v = 0; v < MAX_VAR; v++)
		free(a->buf[v]);
}

/* OpenSSL EVP_CIPHER ----------------------------------------------------- */

static int evp_run(struct evp *e, struct work *w, unsigned int v, bool seal)
{
	size_t size = w->mix->size[v];
	int len, ok;

	ok = EVP_CipherInit_ex(e->c, NULL, NULL, NULL, e->iv, seal) &&
	     EVP_CipherUpdate(e->c, NULL, &len, w->aad, (int)w->aad_len);
	if (seal) {
		ok = ok && EVP_CipherUpdate(e->c, e->ct[v], &len, w->in, (int)size) &&
		     EVP_CipherFinal_ex(e->c, e->ct[v] + len, &len) &&
		     EVP_CIPHER_CTX_ctrl(e->c, EVP_CTRL_GCM_GET_TAG, GCM_TAG, e->tag[v]);
	} else {
		ok = ok && EVP_CipherUpdate(e->c, w->out, &len, e->ct[v], (int)size) &&
		     EVP_CIPHER_CTX_ctrl(e->c, EVP_CTRL_GCM_SET_TAG, GCM_TAG, e->tag[v]) &&
		     EVP_CipherFinal_ex(e->c, w->out + len, &len);
	}
	return ok ? 0 : -EBADMSG;
}

static int evp_step(struct worker *k, int op)
{
	return evp_run(&k->e, &k->w, next_var(&k->w), op == O_SEAL);
}

/* Everything per message: context, cipher and key schedule, then free. */
static int evp_init_step(struct worker *k, int op)
{
	struct evp *e = &k->e;
	EVP_CIPHER_CTX *keep = e->c;
	bool seal = op == O_SEAL;
	int err = -ENOMEM;

	e->c = EVP_CIPHER_CTX_new();
	if (e->c && EVP_CipherInit_ex(e->c, e->cipher, NULL, e->key, NULL, seal))
		err = evp_run(e, &k->w, next_var(&k->w), seal);
	else if (e->c)
		err = -EINVAL;
	EVP_CIPHER_CTX_free(e->c);
	e->c = keep;
	return err;
}

static int evp_setup(struct evp *e, struct work *w, const struct job *j)
{
	unsigned int v;
	int err = 0;

	e->cipher = j->key_len == 16 ? EVP_aes_128_gcm() :
		    j->key_len == 24 ? EVP_aes_192_gcm() : EVP_aes_256_gcm();
	memcpy(e->key, j->key, j->key_len);
	e->c = EVP_CIPHER_CTX_new();
	rnd(e->iv, sizeof(e->iv));
	if (!e->c || !EVP_CipherInit_ex(e->c, e->cipher, NULL, j->key, NULL, 1))
		return -EINVAL;
	for (v = 0; v < w->mix->nvar && !err; v++) {
		e->ct[v] = xmalloc(w->mix->size[v] + 16);
		err = evp_run(e, w, v, true);
	}
	return err;
}

/* OpenSSL EVP_MAC HMAC --------------------------------------------------- */

static int mac_final(struct evp *e, EVP_MAC_CTX *m, struct work *w, unsigned int v, bool sign)
{
	uint8_t md[EVP_MAX_MD_SIZE];
	size_t len;

	if (!EVP_MAC_update(m, w->in, w->mix->size[v]) ||
	    !EVP_MAC_final(m, sign ? e->tag[v] : md, &len, sizeof(md)))
		return -EINVAL;
	if (!sign && CRYPTO_memcmp(md, e->tag[v], e->tag_len))
		return -EBADMSG;
	return 0;
}

/* The kept context: a new message under the key it already has. */
static int mac_run(struct evp *e, struct work *w, unsigned int v, bool sign)
{
	if (!EVP_MAC_init(e->m, NULL, 0, NULL))
		return -EINVAL;
	return mac_final(e, e->m, w, v, sign);
}

static int mac_step(struct worker *k, int op)
{
	return mac_run(&k->e, &k->w, next_var(&k->w), op == O_SIGN);
}

static int mac_init_step(struct worker *k, int op)
{
	struct evp *e = &k->e;
	EVP_MAC_CTX *m = EVP_MAC_CTX_new(e->mac);
	int err = -ENOMEM;

	if (m && EVP_MAC_init(m, e->key, e->key_len, e->params))
		err = mac_final(e, m, &k->w, next_var(&k->w), op == O_SIGN);
	else if (m)
		err = -EINVAL;
	EVP_MAC_CTX_free(m);
	return err;
}

static int mac_setup(struct evp *e, struct work *w, const struct job *j)
{
	unsigned int v;
	int err = 0;

	memcpy(e->key, j->key, j->key_len);
	e->key_len = j->key_len;
	e->tag_len = j->tag_len;
	e->params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
							(char *)j->o->mic->digest, 0);
	e->params[1] = OSSL_PARAM_construct_end();
	e->mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
	e->m = e->mac ? EVP_MAC_CTX_new(e->mac) : NULL;
	if (!e->m || !EVP_MAC_init(e->m, e->key, e->key_len, e->params))
		return -EINVAL;
	for (v = 0; v < w->mix->nvar && !err; v++)
		err = mac_run(e, w, v, true);
	return err;
}

static void evp_free(struct evp *e)
{
	unsigned int v;

	EVP_CIPHER_CTX_free(e->c);
	EVP_MAC_CTX_free(e->m);
	EVP_MAC_free(e->mac);
	for (v = 0; v < MAX_VAR; v++)
		free(e->ct[v]);
	OPENSSL_cleanse(e->key, sizeof(e->key));
}

/* Buffers and threads ---------------------------------------------------- */

static void work_init(struct work *w, const struct mix *mix, size_t aad_len, unsigned int n,
		      size_t overhead)
{
	unsigned int v;

	*w = (struct work){ .mix = mix, .aad_len = aad_len, .n = n };
	/* Room for a sealed record or a tag of the largest size. */
	w->rec_max = mix_max(mix) + overhead + ESF_TAG_MAX;
	/* Twice: re-seal's second AAD follows the first. */
	w->aad = xmalloc(2 * aad_len);
	w->in = xmalloc(mix_max(mix));
	for (v = 0; v < mix->nvar; v++)
		w->rec[v] = xmalloc(w->rec_max);
	/* Room for libkcapi's AAD || plaintext too. */
	w->out = xmalloc((size_t)n * w->rec_max + aad_len);
	w->ops = xmalloc(n * sizeof(*w->ops));
	rnd(w->aad, 2 * aad_len);
	rnd(w->in, mix_max(mix));
}

static void work_free(struct work *w)
{
	unsigned int v;

	if (w->region) {
		esf_buf_free(w->region, w->aad);
		esf_buf_free(w->region, w->in);
		for (v = 0; v < w->mix->nvar; v++)
			esf_buf_free(w->region, w->rec[v]);
		esf_buf_free(w->region, w->out);
		esf_buf_free(w->region, w->plain);
	} else {
		free(w->aad);
		free(w->in);
		for (v = 0; v < MAX_VAR; v++)
			free(w->rec[v]);
		free(w->out);
		free(w->plain);
	}
	free(w->ops);
	free(w->ops2);
}

/* The buffers' bytes, page by page, as esf_buf_alloc() hands them out. */
static size_t work_region_bytes(const struct work *w)
{
	size_t pages = (2 * w->aad_len + 4095) / 4096 + (mix_max(w->mix) + 4095) / 4096 +
		       w->mix->nvar * ((w->rec_max + 4095) / 4096) +
		       2 * (((size_t)w->n * w->rec_max + w->aad_len + 4095) / 4096);

	return (pages + MAX_VAR + 4) * 4096;
}

static void *region_copy(struct esf_session *s, void *heap, size_t len, int *err)
{
	void *p = esf_buf_alloc(s, len);

	if (!p) {
		*err = -ENOMEM;
		return heap;
	}
	memcpy(p, heap, len);
	free(heap);
	return p;
}

/* Move the buffers into @s's region: the ring paths copy nothing. */
static int work_to_region(struct work *w, struct esf_session *s)
{
	size_t out = (size_t)w->n * w->rec_max + w->aad_len;
	unsigned int v;
	int err = 0;

	w->aad = region_copy(s, w->aad, w->aad_len ? 2 * w->aad_len : 1, &err);
	if (!err)
		w->in = region_copy(s, w->in, mix_max(w->mix), &err);
	for (v = 0; v < w->mix->nvar && !err; v++)
		w->rec[v] = region_copy(s, w->rec[v], w->rec_max, &err);
	if (!err)
		w->out = region_copy(s, w->out, out, &err);
	if (!err)
		w->region = s;
	return err;
}

/*
 * open-seal: a device handle on the second session, whose region holds the
 * plaintexts (its SEALs read them in place; the OPENs write them there
 * through the first handle's staging area).
 */
static int open_seal_setup(struct worker *k)
{
	struct work *w = &k->w;
	size_t bytes = (size_t)w->n * w->rec_max;
	int err;

	err = esf_session_open_on(k->j->o->reseal_to, 0, 0, "device", bytes + (1u << 20),
				  &k->s2);
	if (err)
		return err;
	w->plain = esf_buf_alloc(k->s2, bytes);
	w->ops2 = xmalloc(w->n * sizeof(*w->ops2));
	return w->plain ? 0 : -ENOMEM;
}

/* A thread's own handles and buffers, and what OPEN and VERIFY check. */
static int worker_setup(struct worker *k)
{
	const struct job *j = k->j;
	struct work *w = &k->w;
	int err = 0;

	work_init(w, j->mix, j->o->aad_len, j->per, j->overhead);
	switch (j->path) {
	case P_ESF:
	case P_BATCH:
		err = esf_session_open_on(j->o->session, 0, 0, "socket", 0, &k->s);
		if (!err && (j->op == O_OPEN || j->op == O_VERIFY))
			err = esf_refs(k->s, w, j->op);
		break;
	case P_RING:
	case P_RING_BATCH:
		err = esf_session_open_on(j->o->session, 0, 0, "device",
					  work_region_bytes(w), &k->s);
		if (!err)
			err = work_to_region(w, k->s);
		if (!err && j->op == O_RESEAL)
			err = esf_session_reseal_to(k->s, j->o->reseal_to, 0, 0);
		if (!err && j->op == O_OPEN_SEAL)
			err = open_seal_setup(k);
		if (!err && j->op != O_SEAL && j->op != O_SIGN)
			err = esf_refs(k->s, w, j->op == O_VERIFY ? O_VERIFY : O_OPEN);
		break;
	case P_AFALG:
		err = is_mic(j) ? afalg_md_setup(&k->a, w, j) : afalg_aead_setup(&k->a, w, j);
		break;
	default:
		err = is_mic(j) ? mac_setup(&k->e, w, j) : evp_setup(&k->e, w, j);
	}
	w->cur = 0;
	return err;
}

static void worker_free(struct worker *k)
{
	/* The buffers may lie in the handle's region: free them first. */
	if (k->w.plain && k->s2) {
		esf_buf_free(k->s2, k->w.plain);
		k->w.plain = NULL;
	}
	work_free(&k->w);
	esf_session_close(k->s);
	esf_session_close(k->s2);
	afalg_free(&k->a, is_mic(k->j));
	evp_free(&k->e);
}

/* Whole calls only; check the clock every call (cheap next to a system
 * call, and the same for every path).
 */
static void *worker_main(void *arg)
{
	struct worker *k = arg;
	struct job *j = k->j;
	double c0;

	k->err = worker_setup(k);
	pthread_barrier_wait(&j->start);
	k->start = now(CLOCK_MONOTONIC);
	c0 = now(CLOCK_THREAD_CPUTIME_ID);
	while (!k->err) {
		k->err = j->fn(k, j->op);
		if (k->err)
			break;
		k->calls++;
		if (now(CLOCK_MONOTONIC) - k->start >= j->o->seconds)
			break;
	}
	k->end = now(CLOCK_MONOTONIC);
	k->cpu = now(CLOCK_THREAD_CPUTIME_ID) - c0;
	pthread_barrier_wait(&j->stop);
	worker_free(k);
	return NULL;
}

/*
 * --threads workers at once; set-up and tear-down are outside the clocks.
 * The run lasts from the first worker's start to the last one's end, and
 * its CPU time is the sum of the workers' own: both read by the workers
 * themselves. The main thread's clocks would be racy: it may be scheduled
 * after the start barrier only once a worker has finished its whole run
 * (a loaded guest, a 0.05 s run), which gave a negative rate.
 */
static int measure(struct job *j, struct result *r)
{
	unsigned int i, n = j->o->threads;
	struct worker *k = xmalloc(n * sizeof(*k));
	double t0 = 0, end = 0;
	uint64_t calls = 0;
	int err = 0;

	pthread_barrier_init(&j->start, NULL, n + 1);
	pthread_barrier_init(&j->stop, NULL, n + 1);
	for (i = 0; i < n; i++) {
		k[i].j = j;
		if (pthread_create(&k[i].tid, NULL, worker_main, &k[i])) {
			fprintf(stderr, "esf-bench: cannot start thread %u\n", i);
			exit(1);
		}
	}
	pthread_barrier_wait(&j->start);
	pthread_barrier_wait(&j->stop);
	r->cpu = 0;
	for (i = 0; i < n; i++) {
		pthread_join(k[i].tid, NULL);
		calls += k[i].calls;
		t0 = !i || k[i].start < t0 ? k[i].start : t0;
		end = k[i].end > end ? k[i].end : end;
		r->cpu += k[i].cpu;
		err = err ? err : k[i].err;
	}
	pthread_barrier_destroy(&j->start);
	pthread_barrier_destroy(&j->stop);
	free(k);
	r->ops = (double)(calls * j->per);
	r->seconds = end - t0;
	r->batch = j->per;
	r->threads = n;
	return err;
}

/* The most records a batch may hold: the kernel takes at most SO_SNDBUF
 * bytes of framing per batch (see docs/fast-path.md).
 */
static unsigned int fit_batch(const struct opts *o, const struct job *j, unsigned int want)
{
	struct esf_session *s;
	struct work w;

	if (esf_session_open_on(o->session, 0, 0, "socket", 0, &s))
		return want;	/* the esf-batch run will say why */
	work_init(&w, j->mix, j->o->aad_len, want, j->overhead);
	while (want > 1) {
		w.n = want;
		w.cur = 0;
		if (batch_run(s, &w, is_mic(j) ? O_SIGN : O_SEAL) != -EMSGSIZE)
			break;
		want /= 2;
	}
	work_free(&w);
	esf_session_close(s);
	return want;
}

static void report(const struct result *r, FILE *csv, json_t *arr)
{
	const struct mix *m = r->mix;
	double ops = r->ops / r->seconds;
	double mbs = ops * m->mean / 1e6;
	double cpu_us = r->cpu / r->ops * 1e6;

	printf("%-10s %-6s %6s %6u %12.0f %10.2f %10.3f %3u  %s\n", r->path, r->op, m->name,
	       r->batch, ops, mbs, cpu_us, r->threads, r->driver);
	fflush(stdout);
	if (csv)
		fprintf(csv, "%s,%s,%s,%u,%.0f,%.3f,%.4f,%s,%u\n", r->path, r->op, m->name,
			r->batch, ops, mbs, cpu_us, r->driver, r->threads);
	if (arr)
		json_array_append_new(arr, json_pack("{s:s,s:s,s:o,s:I,s:f,s:f,s:f,s:s,s:I}",
						     "path", r->path, "op", r->op, "size",
						     m->nvar == 1 ? json_integer((json_int_t)m->size[0]) :
						     json_string(m->name),
						     "batch", (json_int_t)r->batch,
						     "ops_per_s", ops, "mb_per_s", mbs,
						     "cpu_us_per_op", cpu_us, "driver", r->driver,
						     "threads", (json_int_t)r->threads));
}

/* A netlink error of the kernel path: the plain errno text (esf_strerror()
 * speaks of the fast path) and the kernel's extended-ack reason.
 */
static void kernel_error(struct esf_nl *nl, const char *what, int err)
{
	const char *why = nl ? esf_nl_errmsg(nl) : "";

	fprintf(stderr, "esf-bench: kernel %s: %s%s%s\n", what, strerror(-err),
		*why ? ": " : "", why);
}

/*
 * The kernel path: a short call to size the loop, then one call long
 * enough for --seconds. The rate is the kernel's own clock over its loop;
 * the CPU time is this process's over the call. MIC sessions take no AAD.
 */
static int kernel_measure(const struct opts *o, size_t size, struct result *r)
{
	uint32_t iter = 256, aad = o->mic ? 0 : (uint32_t)o->aad_len;
	uint64_t nsec;
	double c0, want;
	int err;

	err = esf_nl_session_bench(o->nl, o->session, (uint32_t)size, aad, iter, &nsec);
	if (err)
		return err;
	want = o->seconds * 1e9 / (nsec ? (double)nsec : 1.0) * iter;
	iter = want > ESF_BENCH_ITERATIONS_MAX ? ESF_BENCH_ITERATIONS_MAX :
	       want < 1 ? 1 : (uint32_t)want;
	c0 = now(CLOCK_PROCESS_CPUTIME_ID);
	err = esf_nl_session_bench(o->nl, o->session, (uint32_t)size, aad, iter, &nsec);
	if (err)
		return err;
	r->ops = iter;
	r->seconds = (double)nsec / 1e9;
	r->cpu = now(CLOCK_PROCESS_CPUTIME_ID) - c0;
	r->batch = iter;
	r->threads = 1;
	return 0;
}

/* The kernel's op: SEAL or SIGN. */
static int kernel_op(const struct opts *o)
{
	return o->mic ? O_SIGN : O_SEAL;
}

/* One loop, one size: a mix is skipped, with a note. */
static int run_kernel(const struct opts *o, const struct mix *mix, const char *driver,
		      FILE *csv, json_t *arr)
{
	struct result r = { .path = "kernel", .op = op_names[kernel_op(o)], .mix = mix,
			    .driver = driver };
	char what[32];
	int err;

	if (!o->ops[kernel_op(o)] || !o->nl)
		return 0;
	if (mix->nvar > 1) {
		fprintf(stderr, "esf-bench: note: kernel path skipped for %s: its loop runs one size\n",
			mix->name);
		return 0;
	}
	err = kernel_measure(o, mix->size[0], &r);
	if (err) {
		snprintf(what, sizeof(what), "%s %s B", r.op, mix->name);
		kernel_error(o->nl, what, err);
	} else {
		report(&r, csv, arr);
	}
	return err;
}

static step_fn path_step(int path, bool mic)
{
	switch (path) {
	case P_ESF:
	case P_RING:
		return esf_step;
	case P_BATCH:
	case P_RING_BATCH:
		return batch_step;
	case P_AFALG:
		return mic ? afalg_md_step : afalg_aead_step;
	case P_OPENSSL:
		return mic ? mac_step : evp_step;
	default:
		return mic ? mac_init_step : evp_init_step;
	}
}

static int run_size(const struct opts *o, struct esf_session *s, const struct mix *mix,
		    const uint8_t *key, FILE *csv, json_t *arr)
{
	const struct esf_session_info *info = esf_session_info(s);
	const char *alg = o->mic ? o->mic->name : "gcm(aes)";
	char afalg_drv[48];
	int err = 0, p, k;

	snprintf(afalg_drv, sizeof(afalg_drv), "%s via AF_ALG", alg);
	for (p = 0; p < P_NUM && !err; p++) {
		/* Room for the second session's records too, whatever it is. */
		struct job j = { .o = o, .mix = mix, .key = key, .key_len = info->key_len,
				 .overhead = esf_seal_overhead(s) + (o->reseal_to ? 64 : 0),
				 .tag_len = info->tag_len,
				 .path = p, .per = 1, .fn = path_step(p, o->mic) };

		if (!o->paths[p])
			continue;
		if (p == P_KERNEL) {
			err = run_kernel(o, mix, info->driver, csv, arr);
			continue;
		}
		if (p == P_BATCH)
			j.per = fit_batch(o, &j, o->batch);
		if (p == P_RING_BATCH)
			j.per = o->batch;
		for (k = 0; k < O_NUM && !err; k++) {
			struct result r = {
				.path = path_names[p], .mix = mix, .op = op_names[k],
				.driver = p == P_OPENSSL || p == P_OPENSSL_INIT ? "openssl" :
					  p == P_AFALG ? afalg_drv : info->driver,
			};

			if (!o->ops[k])
				continue;
			/* Re-seal is /dev/esf's. */
			if ((k == O_RESEAL || k == O_OPEN_SEAL) && p != P_RING && p != P_RING_BATCH)
				continue;
			j.op = k;
			err = measure(&j, &r);
			if (err)
				fprintf(stderr, "esf-bench: %s %s %s B: %s\n", r.path, r.op,
					mix->name, esf_strerror(err));
			else
				report(&r, csv, arr);
		}
	}
	return err;
}

/* Options ------------------------------------------------------------------ */

static const char usage[] =
	"usage: esf-bench -s ID [options]\n"
	"\n"
	"Throughput of esf session ID against raw AF_ALG, OpenSSL and the\n"
	"in-kernel crypto API loop, on the same algorithm and key size: SEAL and\n"
	"OPEN on a gcm(aes) session, SIGN and VERIFY on an hmac(sha256),\n"
	"hmac(sha384) or hmac(sha512) session. OPEN reopens the same record:\n"
	"create the session with --replay-window 0.\n"
	"\n"
	"options:\n"
	"  -s, --session ID     the esf session (required)\n"
	"  -p, --paths LIST     esf,esf-batch,ring,ring-batch,afalg,openssl,\n"
	"                       openssl-init,kernel (esf paths on esf's AF_ALG\n"
	"                       socket, ring paths on /dev/esf with buffers in its\n"
	"                       region; both skipped with a note where missing)\n"
	"                       (default: all; kernel needs CAP_NET_ADMIN and is\n"
	"                       skipped without it unless asked for; openssl keeps\n"
	"                       one keyed context, openssl-init keys a new one per\n"
	"                       message; kernel runs SEAL or SIGN only, one thread,\n"
	"                       and skips imix with a note)\n"
	"  -o, --ops LIST       seal,open for a gcm(aes) session, sign,verify for an\n"
	"                       hmac session (default: both of the session's kind;\n"
	"                       the other kind's are refused); with --reseal-to,\n"
	"                       also reseal,open-seal (ring paths only)\n"
	"  -r, --reseal-to ID   a second AEAD session that seals: reseal opens the\n"
	"                       session's records and seals them again under ID in\n"
	"                       the kernel, open-seal opens them into user space and\n"
	"                       seals the plaintext under ID with a second handle\n"
	"  -z, --sizes LIST     payload bytes, or imix (default: 64,1024,16384; at\n"
	"                       most %d entries). imix is the simple IMIX: per cycle\n"
	"                       of 12 records, 7 of 64 B, 4 of 576 B, 1 of 1500 B,\n"
	"                       taken in turn call by call (and record by record in\n"
	"                       a batch); MB/s counts the mean, 354.33 B\n"
	"  -a, --aad N          AAD bytes per SEAL/OPEN record (default 16)\n"
	"  -b, --batch N        records per esf-batch call (default 256, at most %d;\n"
	"                       halved until the batch fits the socket's SO_SNDBUF)\n"
	"  -t, --seconds S      wall time per measurement (default 1)\n"
	"  -T, --threads N      threads per measurement (default 1, at most %d), each\n"
	"                       with its own session handle, libkcapi handle, OpenSSL\n"
	"                       context and buffers; ops/s is their total\n"
	"      --csv FILE       also write CSV (path,op,size,batch,ops_s,mb_s,\n"
	"                       cpu_us_op,driver,threads)\n"
	"      --json FILE      also write a JSON array of the same records (size is\n"
	"                       a number, or the string \"imix\")\n"
	"  -h, --help           this text\n"
	"\n"
	"Output: path, op, size (bytes or imix), records per call, ops/s, MB/s\n"
	"(payload), CPU microseconds per operation (user + system of the measuring\n"
	"threads, summed), threads, driver.\n"
	"Exit status: 0, or 1 on any error (a failed record fails the run: an OPEN\n"
	"or VERIFY that does not check out, too).\n";

static bool parse_list(const char *arg, const char *const *names, unsigned int n, bool *set)
{
	char *copy = strdup(arg), *save = NULL, *tok;
	unsigned int i;
	bool ok = copy != NULL;

	for (tok = copy ? strtok_r(copy, ",", &save) : NULL; tok && ok;
	     tok = strtok_r(NULL, ",", &save)) {
		for (i = 0; i < n && strcmp(tok, names[i]); i++)
			;
		if (i == n)
			ok = false;
		else
			set[i] = true;
	}
	free(copy);
	return ok;
}

static bool parse_ulong(const char *arg, unsigned long min, unsigned long max, unsigned long *v)
{
	char *end;

	errno = 0;
	*v = strtoul(arg, &end, 10);
	return !errno && *arg && !*end && *v >= min && *v <= max;
}

static bool parse_sizes(const char *arg, struct opts *o)
{
	char *copy = strdup(arg), *save = NULL, *tok;
	unsigned long v;
	bool ok = copy != NULL;

	o->nsizes = 0;
	for (tok = copy ? strtok_r(copy, ",", &save) : NULL; tok && ok;
	     tok = strtok_r(NULL, ",", &save)) {
		ok = o->nsizes < MAX_SIZES;
		if (ok && !strcmp(tok, "imix"))
			mix_imix(&o->sizes[o->nsizes++]);
		else if (ok && (ok = parse_ulong(tok, 1, ESF_MAX_DATA, &v)))
			mix_fixed(&o->sizes[o->nsizes++], v);
	}
	free(copy);
	return ok && o->nsizes;
}

static int parse(int argc, char **argv, struct opts *o)
{
	static const struct option lo[] = {
		{ "session", required_argument, NULL, 's' },
		{ "reseal-to", required_argument, NULL, 'r' },
		{ "paths", required_argument, NULL, 'p' },
		{ "ops", required_argument, NULL, 'o' },
		{ "sizes", required_argument, NULL, 'z' },
		{ "aad", required_argument, NULL, 'a' },
		{ "batch", required_argument, NULL, 'b' },
		{ "seconds", required_argument, NULL, 't' },
		{ "threads", required_argument, NULL, 'T' },
		{ "csv", required_argument, NULL, 'C' },
		{ "json", required_argument, NULL, 'J' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	unsigned long v;
	int c, i;

	*o = (struct opts){ .aad_len = 16, .batch = 256, .seconds = 1, .threads = 1,
			    .nsizes = 3 };
	mix_fixed(&o->sizes[0], 64);
	mix_fixed(&o->sizes[1], 1024);
	mix_fixed(&o->sizes[2], 16384);
	while ((c = getopt_long(argc, argv, "s:r:p:o:z:a:b:t:T:h", lo, NULL)) != -1) {
		bool ok = true;
		char *end;

		switch (c) {
		case 's':
			ok = parse_ulong(optarg, 1, UINT32_MAX, &v);
			o->session = (uint32_t)v;
			break;
		case 'r':
			ok = parse_ulong(optarg, 1, UINT32_MAX, &v);
			o->reseal_to = (uint32_t)v;
			break;
		case 'p':
			ok = o->paths_given = parse_list(optarg, path_names, P_NUM, o->paths);
			break;
		case 'o':
			ok = o->ops_given = parse_list(optarg, op_names, O_NUM, o->ops);
			break;
		case 'z':
			ok = parse_sizes(optarg, o);
			break;
		case 'a':
			ok = parse_ulong(optarg, 0, ESF_MAX_AAD, &v);
			o->aad_len = v;
			break;
		case 'b':
			ok = parse_ulong(optarg, 1, ESF_MAX_BATCH, &v);
			o->batch = (unsigned int)v;
			break;
		case 't':
			o->seconds = strtod(optarg, &end);
			ok = *optarg && !*end && o->seconds > 0 && o->seconds <= 3600;
			break;
		case 'T':
			ok = parse_ulong(optarg, 1, MAX_THREADS, &v);
			o->threads = (unsigned int)v;
			break;
		case 'C':
			o->csv = optarg;
			break;
		case 'J':
			o->json = optarg;
			break;
		case 'h':
			printf(usage, MAX_SIZES, ESF_MAX_BATCH, MAX_THREADS);
			exit(0);
		default:
			ok = false;
		}
		if (!ok) {
			if (c != '?')
				fprintf(stderr, "esf-bench: bad value for -%c: '%s'\n", c, optarg);
			fprintf(stderr, "Try 'esf-bench --help'.\n");
			return -1;
		}
	}
	if (optind != argc || !o->session) {
		fprintf(stderr, "esf-bench: %s\nTry 'esf-bench --help'.\n",
			optind != argc ? "unexpected argument" : "--session is required");
		return -1;
	}
	for (i = 0; i < P_NUM && !o->paths_given; i++)
		o->paths[i] = true;
	return 0;
}

/*
 * What the session can be measured with: gcm(aes) with a 16-byte tag
 * (SEAL, OPEN) or a MIC session (SIGN, VERIFY); the other kind's
 * operations are refused by name, not silently skipped.
 */
static int check_session(struct opts *o, const struct esf_session_info *info)
{
	bool aead = info->alg == ESF_ALG_GCM_AES && info->tag_len == GCM_TAG;
	/* The esf and ring paths need only the session: any AEAD will do. */
	bool esf_only = o->paths_given && !o->paths[P_AFALG] && !o->paths[P_OPENSSL] &&
			!o->paths[P_OPENSSL_INIT] && !o->paths[P_KERNEL];
	unsigned int i;

	for (i = 0; i < sizeof(mic_algs) / sizeof(mic_algs[0]); i++)
		if (info->alg == mic_algs[i].alg)
			o->mic = &mic_algs[i];
	if (!o->mic && esf_only && !esf_info_is_mic(info) && info->alg != ESF_ALG_KW_AES)
		aead = true;
	if (!aead && !o->mic) {
		fprintf(stderr, "esf-bench: session %u is neither gcm(aes) with a 16-byte tag nor hmac(sha256|384|512) (other AEAD sessions: -p with esf, esf-batch, ring, ring-batch only)\n",
			o->session);
		return -1;
	}
	if ((o->reseal_to || o->ops[O_RESEAL] || o->ops[O_OPEN_SEAL]) && !aead) {
		fprintf(stderr, "esf-bench: session %u is a MIC session: it has no records to re-seal\n",
			o->session);
		return -1;
	}
	if (!o->reseal_to && (o->ops[O_RESEAL] || o->ops[O_OPEN_SEAL])) {
		fprintf(stderr, "esf-bench: reseal and open-seal need --reseal-to\n");
		return -1;
	}
	if (!o->ops_given) {
		o->ops[aead ? O_SEAL : O_SIGN] = true;
		o->ops[aead ? O_OPEN : O_VERIFY] = true;
		o->ops[O_RESEAL] = o->ops[O_OPEN_SEAL] = o->reseal_to != 0;
	} else if (aead && (o->ops[O_SIGN] || o->ops[O_VERIFY])) {
		fprintf(stderr, "esf-bench: session %u is a gcm(aes) session: it cannot SIGN or VERIFY (they need an hmac session); use -o seal,open\n",
			o->session);
		return -1;
	} else if (o->mic && (o->ops[O_SEAL] || o->ops[O_OPEN])) {
		fprintf(stderr, "esf-bench: session %u is a MIC session (%s): it cannot SEAL or OPEN; use -o sign,verify\n",
			o->session, o->mic->name);
		return -1;
	}
	return 0;
}

/*
 * The kernel path needs generic netlink and CAP_NET_ADMIN. Asked for by
 * name, missing either is an error; as part of "all paths" it is skipped
 * with a note, so that an unprivileged owner of the session can still
 * measure the rest.
 */
static int kernel_path_init(struct opts *o)
{
	uint64_t nsec;
	int err;

	if (!o->paths[P_KERNEL] || !o->ops[kernel_op(o)])
		return 0;
	err = esf_nl_open(&o->nl);
	if (!err)
		err = esf_nl_session_bench(o->nl, o->session, 16, 0, 1, &nsec);
	if (!err) {
		/* One loop in the kernel: threads would only queue on it. */
		if (o->threads > 1)
			fprintf(stderr, "esf-bench: note: the kernel path runs one thread\n");
		return 0;
	}
	if (o->paths_given || err != -EPERM) {
		kernel_error(o->nl, "path", err);
		return err;
	}
	printf("# kernel path skipped: it needs CAP_NET_ADMIN\n");
	esf_nl_close(o->nl);
	o->nl = NULL;
	o->paths[P_KERNEL] = false;
	return 0;
}

/*
 * The esf paths need esf's AF_ALG type, the ring paths /dev/esf. Asked
 * for by name, a missing front end is an error; as part of "all paths",
 * its paths are skipped with a note (AF_ALG blocked by seccomp, an esf.ko
 * without the device, a locked-memory limit too small for the region).
 */
static int front_paths_init(struct opts *o, const char *front, int p1, int p2)
{
	struct esf_session *s;
	int err;

	if (!o->paths[p1] && !o->paths[p2])
		return 0;
	err = esf_session_open_on(o->session, 0, 0, front, 0, &s);
	if (!err) {
		esf_session_close(s);
		return 0;
	}
	if (o->paths_given) {
		fprintf(stderr, "esf-bench: %s paths: %s\n", front, esf_strerror(err));
		return err;
	}
	printf("# %s and %s paths skipped: the %s front end: %s\n", path_names[p1],
	       path_names[p2], front, esf_strerror(err));
	o->paths[p1] = o->paths[p2] = false;
	return 0;
}

static void print_header(const struct opts *o, const struct esf_session_info *info)
{
	if (o->mic)
		printf("# esf-bench: session %u, %s, %s, %u-byte key, %u-byte tag", o->session,
		       info->driver, o->mic->name, info->key_len, info->tag_len);
	else if (info->alg == ESF_ALG_GCM_AES)
		printf("# esf-bench: session %u, %s, AES-%u, %zu B AAD", o->session,
		       info->driver, info->key_len * 8, o->aad_len);
	else
		printf("# esf-bench: session %u, %s, %u-byte key, %u-byte tag, %zu B AAD",
		       o->session, info->driver, info->key_len, info->tag_len, o->aad_len);
	printf(", %g s per run, %u thread%s\n", o->seconds, o->threads,
	       o->threads > 1 ? "s" : "");
	printf("%-10s %-6s %6s %6s %12s %10s %10s %3s  %s\n", "path", "op", "size", "batch",
	       "ops/s", "MB/s", "cpu-us/op", "thr", "driver");
}

int main(int argc, char **argv)
{
	struct esf_session *s = NULL;
	const struct esf_session_info *info;
	json_t *arr = NULL;
	FILE *csv = NULL;
	uint8_t key[ESF_KEY_MAX];
	struct opts o;
	unsigned int i;
	int err;

	if (parse(argc, argv, &o))
		return 1;
	err = esf_session_open(o.session, 0, 0, &s);
	if (err) {
		fprintf(stderr, "esf-bench: session %u: %s\n", o.session, esf_strerror(err));
		return 1;
	}
	info = esf_session_info(s);
	if (check_session(&o, info) || info->key_len > sizeof(key) || kernel_path_init(&o) ||
	    front_paths_init(&o, "socket", P_ESF, P_BATCH) ||
	    front_paths_init(&o, "device", P_RING, P_RING_BATCH)) {
		esf_session_close(s);
		esf_nl_close(o.nl);
		return 1;
	}
	rnd(key, info->key_len);
	if (o.csv) {
		csv = fopen(o.csv, "w");
		if (!csv) {
			perror(o.csv);
			esf_session_close(s);
			return 1;
		}
		fprintf(csv, "path,op,size,batch,ops_s,mb_s,cpu_us_op,driver,threads\n");
	}
	if (o.json)
		arr = json_array();
	print_header(&o, info);
	for (i = 0; i < o.nsizes && !err; i++)
		err = run_size(&o, s, &o.sizes[i], key, csv, arr);
	if (csv && fclose(csv) && !err)
		err = -errno;
	if (arr) {
		if (!err && json_dump_file(arr, o.json, JSON_INDENT(1)))
			err = -EIO;
		json_decref(arr);
	}
	esf_session_close(s);
	esf_nl_close(o.nl);
	explicit_bzero(key, sizeof(key));
	if (err)
		fprintf(stderr, "esf-bench: %s\n", esf_strerror(err));
	return err ? 1 : 0;
}
