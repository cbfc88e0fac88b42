// SPDX-License-Identifier: GPL-2.0
/*
 * Known-answer tests at load time, through the same path records take:
 * esf_session_create() and esf_req_submit() on whatever provider the crypto
 * API resolves each algorithm to. A wrong answer fails the module load: a
 * gateway must not protect traffic with a provider that gets AES wrong.
 *
 * The vectors are Project Wycheproof's (C2SP/wycheproof), by
 * file and tcId, except the authenc record: esf's authenc format (salt ||
 * sequence || IV authenticated ahead of the AAD, PKCS#7 padding) is its
 * own, so its ciphertext is Wycheproof's aes_cbc_pkcs5_test.json tcId 3 and
 * its tag was computed independently with OpenSSL:
 *
 *   printf %s "$salt$seq$iv$aad$ct" | xxd -r -p |
 *     openssl dgst -sha256 -mac HMAC -macopt hexkey:$authkey
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/completion.h>
#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/slab.h>

#include "compat.h"
#include "ops.h"
#include "selftest.h"
#include "session.h"

static bool selftest = true;
module_param(selftest, bool, 0444);
MODULE_PARM_DESC(selftest, "Run the known-answer tests at load (default on)");

static char selftest_result[256] = "not run";
module_param_string(selftest_result, selftest_result, sizeof(selftest_result), 0444);
MODULE_PARM_DESC(selftest_result, "Outcome of the load-time known-answer tests (read-only)");

static char *selftest_fault;
module_param(selftest_fault, charp, 0444);
MODULE_PARM_DESC(selftest_fault,
		 "Test hook: expect a wrong answer from this algorithm, to prove that a provider's wrong answer fails the load");

/* Each vector is hex in pieces of at most 32 bytes, joined when decoded. */
#define KAT_PIECES 3

struct kat {
	const char *alg;
	const char *source;
	const char *key[KAT_PIECES];
	const char *nonce[KAT_PIECES];	/* AEAD: salt || sequence [|| IV] */
	const char *aad[KAT_PIECES];
	const char *pt[KAT_PIECES];
	const char *out[KAT_PIECES];	/* AEAD: ciphertext || tag; MIC: tag */
	bool random_iv;			/* SEAL cannot reproduce the record */
};

static const struct kat kats[] = {
	{
		.alg = "gcm(aes)", .source = "aes_gcm_test.json tcId 3",
		.key = { "aa023d0478dcb2b2312498293d9a9129" },
		.nonce = { "0432bc49ac34412081288127" },
		.aad = { "aac39231129872a2" },
		.pt = { "2035af313d1346ab00154fea78322105" },
		.out = { "eea945f3d0f98cc0fbab472a0cf24e87", "4bb9b4812519dadf9e1232016d068133" },
	},
	{
		.alg = "gcm(aes)", .source = "aes_gcm_test.json tcId 101",
		.key = { "cdccfe3f46d782ef47df4e72f0c02d9c7f774def970d23486f11a57f54247f17" },
		.nonce = { "376187894605a8d45e30de51" },
		.aad = { "956846a209e087ed" },
		.pt = { "e28e0e9f9d22463ac0e42639b530f42102fded75" },
		.out = {
			"feca44952447015b5df1f456df8ca4bb4eee2ce2",
			"082e91924deeb77880e1b1c84f9b8d30",
		},
	},
	{
		/* The same record: rfc4106 with an 8-byte AAD is plain GCM. */
		.alg = "rfc4106(gcm(aes))", .source = "aes_gcm_test.json tcId 3",
		.key = { "aa023d0478dcb2b2312498293d9a9129" },
		.nonce = { "0432bc49ac34412081288127" },
		.aad = { "aac39231129872a2" },
		.pt = { "2035af313d1346ab00154fea78322105" },
		.out = { "eea945f3d0f98cc0fbab472a0cf24e87", "4bb9b4812519dadf9e1232016d068133" },
	},
	{
		.alg = "ccm(aes)", .source = "aes_ccm_test.json tcId 12",
		.key = { "9415f925bcb41dc25e86c826dbc8bf68" },
		.nonce = { "bdffaa763b916ff0ee3f3ce4" },
		.aad = { "705d676cd8a94451" },
		.pt = { "feb36167eafc02c8e2bd6e13817686ba" },
		.out = { "08db327a88be7b48f430fd7bfccdf502", "b7c249f810adacf99abded1f3b9130f2" },
	},
	{
		.alg = "authenc(hmac(sha256),cbc(aes))",
		.source = "aes_cbc_pkcs5_test.json tcId 3 + HMAC by OpenSSL",
		.key = {
			"6fa353868c82e5deeedac7f09471a61bf749ab5498239e947e012eee3c82d7c4",
			"9bd3902ed0996c869b572272e76f3889",
		},
		/* salt, sequence, then the vector's CBC IV */
		.nonce = { "f00dcafe", "0102030405060708", "8b2e86a9a185cfa6f51c7cc595b822bc" },
		.aad = { "4553462d4b415400" },
		.pt = { "a7ba19d49ee1ea02f098aa8e30c740d893a4456ccc294040484ed8a00a55f93e" },
		.out = {
			"514cbc69aced506926deacdeb0cc0a5a07d540f65d825b65c7db0075cf930a06",
			"e0124ae598461cab0b3251baa853e377",
			"8322170924b548b14b72f0e45bb6c5af",
		},
		.random_iv = true,
	},
	{
		.alg = "hmac(sha256)", .source = "hmac_sha256_test.json tcId 17",
		.key = { "6fa353868c82e5deeedac7f09471a61bf749ab5498239e947e012eee3c82d7c4" },
		.pt = { "aeed3e4d4cb9bbb60d482e98c126c0f5" },
		.out = { "9ed7f0e73812a27a87a3808ee0c89a6456499e835974ba57c5aab2a0d8c69e93" },
	},
	{
		.alg = "hmac(sha384)", .source = "hmac_sha384_test.json tcId 17",
		.key = {
			"503d7478a773b694d6e552c9703cc8bc56fd49fafc9a17cab8b0332dca8d4933",
			"6fa7e9ec2bcb56253fe5bb504e3e7f7f",
		},
		.pt = { "d96e6fed893addfd9237c81c4f4e341b" },
		.out = {
			"19389766789912260f3f9757df3651663829c358bb48b22c1c63132070df3189",
			"05beffd45f51e4dfcb3e785f44cf9106",
		},
	},
	{
		.alg = "hmac(sha512)", .source = "hmac_sha512_test.json tcId 17",
		.key = {
			"f5e2b9e2313f4f807cb3a924a7d4943fc3fb475d8f1a1b40ce09a37770f621af",
			"8977729cadf986c98c75f08a4fab4280538e09e7e51e87a8d62c03411bdb8d24",
		},
		.pt = { "74ef623c83275ae99745bff7e6142afa" },
		.out = {
			"471055f7a2d44758e7d7837db85c33626b8306760eb45e18d4ba8dfbcd0d4279",
			"fcf8b539ef7b165eeabf5457ee2c41e52d07e9121da02c988f08162f86bdf208",
		},
	},
};

#define KAT_MAX 128

/* Decoded vector. */
struct kat_data {
	u8 key[ESF_KEY_MAX], nonce[ESF_NONCE_LEN_AUTHENC], aad[16], pt[64], out[KAT_MAX];
	u32 key_len, nonce_len, aad_len, pt_len, out_len;
};

static int unhex(const char *const hex[KAT_PIECES], u8 *buf, size_t max, u32 *len)
{
	size_t n, i;

	*len = 0;
	for (i = 0; i < KAT_PIECES && hex[i]; i++) {
		n = strlen(hex[i]) / 2;
		if (*len + n > max || hex2bin(buf + *len, hex[i], n))
			return -EINVAL;
		*len += n;
	}
	return 0;
}

static int decode(const struct kat *k, struct kat_data *d)
{
	if (unhex(k->key, d->key, sizeof(d->key), &d->key_len) ||
	    unhex(k->nonce, d->nonce, sizeof(d->nonce), &d->nonce_len) ||
	    unhex(k->aad, d->aad, sizeof(d->aad), &d->aad_len) ||
	    unhex(k->pt, d->pt, sizeof(d->pt), &d->pt_len) ||
	    unhex(k->out, d->out, sizeof(d->out), &d->out_len))
		return -EINVAL;
	return 0;
}

static void kat_done(struct esf_req *req)
{
	complete(req->owner);
}

/* Run one record to completion; @out gets the output, @out_len its length. */
static int run(struct esf_session *s, u8 op, const struct kat_data *d,
	       const u8 *in, u32 in_len, u8 *out, u32 *out_len)
{
	DECLARE_COMPLETION_ONSTACK(done);
	struct scatterlist sg;
	struct esf_layout l;
	struct esf_req *req;
	u8 *area;
	int err;

	err = esf_req_layout(s, op, d->aad_len, in_len, &l);
	if (err)
		return err;
	req = kzalloc(esf_req_size(s), GFP_KERNEL);
	area = kzalloc(l.area_len, GFP_KERNEL);
	if (!req || !area) {
		err = -ENOMEM;
		goto out;
	}
	memcpy(area + l.aad_off, d->aad, d->aad_len);
	memcpy(req->nonce, in, l.nonce_in);
	memcpy(area + l.text_off, in + l.nonce_in, in_len - l.nonce_in);
	sg_init_one(&sg, area, l.area_len);
	esf_req_init(req, s, op, d->aad_len, in_len, &sg);
	req->may_sleep = true;
	req->done = kat_done;
	req->owner = &done;
	if (esf_req_submit(req) == -EINPROGRESS)
		wait_for_completion(&done);
	err = req->status;
	if (!err) {
		memcpy(out, req->head, req->head_len);
		memcpy(out + req->head_len, area + req->body_off, req->body_len);
		*out_len = req->head_len + req->body_len;
	}
out:
	kfree_sensitive(area);
	kfree_sensitive(req);
	return err;
}

static struct esf_session *kat_session(const struct kat *k, const struct kat_data *d,
				       u64 seq_start)
{
	struct esf_session_params p = {
		.alg = k->alg,
		.key = d->key,
		.key_len = d->key_len,
		.salt = d->nonce_len ? d->nonce : NULL,
		.direction = ESF_DIR_BOTH,
		.replay_window = 64,
		.seq_start = seq_start,
		.owner_uid = GLOBAL_ROOT_UID,
		.owner_gid = GLOBAL_ROOT_GID,
	};

	return esf_session_create(NULL, &p, NULL);
}

/* The expected answer, corrupted when the fault hook names this algorithm. */
static bool matches(const struct kat *k, const u8 *got, u32 got_len,
		    const u8 *want, u32 want_len)
{
	bool fault = selftest_fault && !strcmp(selftest_fault, k->alg);

	return got_len == want_len && !memcmp(got, want, want_len) && !fault;
}

static const char *kat_aead(const struct kat *k, struct kat_data *d, struct esf_session *s)
{
	u8 rec[ESF_NONCE_LEN_AUTHENC + KAT_MAX], got[ESF_NONCE_LEN_AUTHENC + KAT_MAX];
	u32 rec_len = d->nonce_len + d->out_len, got_len;
	struct esf_session *rt;
	const char *why = NULL;

	memcpy(rec, d->nonce, d->nonce_len);
	memcpy(rec + d->nonce_len, d->out, d->out_len);
	if (!k->random_iv &&
	    (run(s, ESF_OP_SEAL, d, d->pt, d->pt_len, got, &got_len) ||
	     !matches(k, got, got_len, rec, rec_len)))
		return "SEAL gave a wrong record";
	rec[rec_len - 1] ^= 1;
	if (run(s, ESF_OP_OPEN, d, rec, rec_len, got, &got_len) != -EBADMSG)
		return "OPEN accepted a forged tag";
	rec[rec_len - 1] ^= 1;
	if (run(s, ESF_OP_OPEN, d, rec, rec_len, got, &got_len) ||
	    !matches(k, got, got_len, d->pt, d->pt_len))
		return "OPEN gave a wrong plaintext";
	if (run(s, ESF_OP_OPEN, d, rec, rec_len, got, &got_len) != -EALREADY)
		return "OPEN accepted a replay";
	if (!k->random_iv)
		return NULL;
	/* A record of our own, under a fresh sequence number, must come back. */
	rt = kat_session(k, d, get_unaligned_be64(d->nonce + ESF_SALT_LEN) + 1);
	if (IS_ERR(rt))
		return "no second session";
	if (run(rt, ESF_OP_SEAL, d, d->pt, d->pt_len, rec, &rec_len) ||
	    run(rt, ESF_OP_OPEN, d, rec, rec_len, got, &got_len) ||
	    !matches(k, got, got_len, d->pt, d->pt_len))
		why = "SEAL then OPEN did not round-trip";
	esf_session_put(rt);
	return why;
}

static const char *kat_mic(const struct kat *k, struct kat_data *d, struct esf_session *s)
{
	u8 rec[64 + KAT_MAX], got[KAT_MAX];
	u32 got_len;

	if (run(s, ESF_OP_SIGN, d, d->pt, d->pt_len, got, &got_len) ||
	    !matches(k, got, got_len, d->out, d->out_len))
		return "SIGN gave a wrong tag";
	memcpy(rec, d->pt, d->pt_len);
	memcpy(rec + d->pt_len, d->out, d->out_len);
	if (run(s, ESF_OP_VERIFY, d, rec, d->pt_len + d->out_len, got, &got_len))
		return "VERIFY rejected the right tag";
	rec[d->pt_len + d->out_len - 1] ^= 1;
	if (run(s, ESF_OP_VERIFY, d, rec, d->pt_len + d->out_len, got, &got_len) != -EBADMSG)
		return "VERIFY accepted a wrong tag";
	return NULL;
}

/* Returns 0 (passed), -ENOENT (algorithm unavailable) or -EIO (failed). */
static int run_kat(const struct kat *k)
{
	struct kat_data *d = kzalloc(sizeof(*d), GFP_KERNEL);
	struct esf_session *s;
	const char *why;
	int err;

	if (!d)
		return -ENOMEM;
	err = decode(k, d);
	if (err) {
		pr_err("self-test %s: bad vector (%s)\n", k->alg, k->source);
		goto out;
	}
	s = kat_session(k, d, d->nonce_len ? get_unaligned_be64(d->nonce + ESF_SALT_LEN) : 0);
	if (IS_ERR(s)) {
		err = PTR_ERR(s);
		if (err != -ENOENT)
			pr_err("self-test %s: cannot create a session: %d\n", k->alg, err);
		goto out;
	}
	why = d->nonce_len ? kat_aead(k, d, s) : kat_mic(k, d, s);
	if (why) {
		pr_err("self-test %s on %s FAILED: %s (%s)\n", k->alg, esf_session_driver(s),
		       why, k->source);
		err = -EIO;
	} else {
		pr_debug("self-test %s on %s passed (%s)\n", k->alg, esf_session_driver(s),
			 k->source);
	}
	esf_session_put(s);
out:
	kfree_sensitive(d);
	return err;
}

/**
 * esf_selftest_run() - the known-answer tests, at load
 *
 * Return: 0 when every available algorithm gave the right answers, -EIO
 * when one did not. Algorithms this kernel lacks are reported, not failed:
 * sessions cannot be created for them anyway.
 */
int esf_selftest_run(void)
{
	unsigned int i, passed = 0, missing = 0;
	char miss[128] = "";
	int err;

	if (!selftest) {
		strscpy(selftest_result, "skipped (selftest=0)", sizeof(selftest_result));
		return 0;
	}
	for (i = 0; i < ARRAY_SIZE(kats); i++) {
		err = run_kat(&kats[i]);
		if (err == -ENOENT) {
			missing++;
			strlcat(miss, " ", sizeof(miss));
			strlcat(miss, kats[i].alg, sizeof(miss));
			continue;
		}
		if (err) {
			snprintf(selftest_result, sizeof(selftest_result), "FAILED: %s (%s)",
				 kats[i].alg, kats[i].source);
			pr_err("self-tests failed: refusing to load\n");
			return -EIO;
		}
		passed++;
	}
	snprintf(selftest_result, sizeof(selftest_result), "passed %u/%zu%s%s", passed,
		 ARRAY_SIZE(kats), missing ? ", unavailable:" : "", miss);
	pr_info("self-tests %s\n", selftest_result);
	return 0;
}
