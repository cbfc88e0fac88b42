// SPDX-License-Identifier: GPL-2.0
/*
 * ESF Sm over DTLS 1.2 records (ESF_FRAMING_DTLS12): the fast path makes and
 * opens DTLSCiphertext records with AES-GCM (RFC 6347, RFC 5288).
 *
 * Checked two ways against implementations esf did not write:
 *  - records: every byte of a record the kernel seals equals the record
 *    computed here with OpenSSL's EVP AES-GCM from the RFCs' formulas
 *    (header, explicit nonce, salt || explicit nonce, seq_num || type ||
 *    version || length as AAD), and records computed that way, with any
 *    explicit nonce, open in the kernel;
 *  - a live peer: OpenSSL's own DTLS 1.2 stack (PSK-AES128-GCM-SHA256 and
 *    PSK-AES256-GCM-SHA384) completes a handshake in memory; the key block
 *    derived from its master secret keys two esf sessions; the server's
 *    SSL_read() takes the kernel's records, and the kernel opens what the
 *    server's SSL_write() sends.
 */
#include <errno.h>
#include <stdio.h>
#include <sys/random.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/ssl.h>

#include "kselftest_harness.h"
#include "esf_fp.h"
#include "esf_nl.h"
#include "esf_sess.h"
#include "esf_util.h"

#define CT_APPDATA 23
#define REC_MAX (ESF_DTLS_HEADER_LEN + ESF_DTLS_NONCE_LEN + ESF_DTLS_MAX_PLAIN + 16)

/* A DTLS session: the key, its 4-byte implicit IV, epoch and first number. */
static int dtls_session(struct esf_nl *nl, const uint8_t *key, size_t key_len,
			const uint8_t *iv, uint64_t seq_start, uint32_t *id, struct esf_fp *fp)
{
	struct esf_msg m;
	int err;

	esf_msg_init(&m, nl->family, 0, ESF_CMD_SESSION_NEW);
	esf_put_str(&m, ESF_A_ALG, "gcm(aes)");
	esf_put_u8(&m, ESF_A_FRAMING, ESF_FRAMING_DTLS12);
	esf_put(&m, ESF_A_KEY, key, key_len);
	esf_put(&m, ESF_A_SALT, iv, ESF_SALT_LEN);
	esf_put_u64(&m, ESF_A_SEQ_START, seq_start);
	err = esf_nl_new_session(nl, &m, id);
	return err ? err : esf_fp_open(fp, *id);
}

static const EVP_CIPHER *gcm(size_t key_len)
{
	return key_len == 16 ? EVP_aes_128_gcm() : EVP_aes_256_gcm();
}

/*
 * The record RFC 6347 4.1 and RFC 5288 3 define, computed with EVP alone:
 * header, explicit nonce, then AES-GCM under salt || explicit with the AAD
 * seq_num || type || version || length. Returns the record's length, or 0.
 */
static size_t evp_record(const uint8_t *key, size_t key_len, const uint8_t *salt4,
			 uint64_t seq, const uint8_t explicit[8], uint8_t type,
			 const uint8_t *pt, size_t len, uint8_t *rec)
{
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	uint8_t nonce[12], aad[13];
	int n, i, ok;

	rec[0] = type;
	rec[1] = 0xfe;
	rec[2] = 0xfd;
	for (i = 0; i < 8; i++)
		rec[3 + i] = (uint8_t)(seq >> (56 - 8 * i));
	rec[11] = (uint8_t)((8 + len + 16) >> 8);
	rec[12] = (uint8_t)(8 + len + 16);
	memcpy(rec + 13, explicit, 8);
	memcpy(nonce, salt4, 4);
	memcpy(nonce + 4, explicit, 8);
	memcpy(aad, rec + 3, 8);
	aad[8] = type;
	aad[9] = 0xfe;
	aad[10] = 0xfd;
	aad[11] = (uint8_t)(len >> 8);
	aad[12] = (uint8_t)len;
	ok = EVP_EncryptInit_ex(c, gcm(key_len), NULL, key, nonce) &&
	     EVP_EncryptUpdate(c, NULL, &n, aad, sizeof(aad)) &&
	     (!len || EVP_EncryptUpdate(c, rec + 21, &n, pt, (int)len)) &&
	     EVP_EncryptFinal_ex(c, rec + 21 + len, &n) &&
	     EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, 16, rec + 21 + len);
	EVP_CIPHER_CTX_free(c);
	return ok ? 21 + len + 16 : 0;
}

FIXTURE(rec) {
	struct esf_nl nl;
	uint8_t key[32], salt[4];
};

FIXTURE_VARIANT(rec) {
	size_t key_len;
};

FIXTURE_VARIANT_ADD(rec, aes128_gcm) { .key_len = 16 };
FIXTURE_VARIANT_ADD(rec, aes256_gcm) { .key_len = 32 };

FIXTURE_SETUP(rec)
{
	ASSERT_EQ(0, esf_module_ensure_loaded());
	ASSERT_EQ(0, esf_nl_open(&self->nl));
	sess_flush(&self->nl);
	rnd(self->key, sizeof(self->key));
	rnd(self->salt, sizeof(self->salt));
}

FIXTURE_TEARDOWN(rec)
{
	sess_flush(&self->nl);
	esf_nl_close(&self->nl);
}

/* SEAL's records are, byte for byte, the ones the RFCs define. */
TEST_F_TIMEOUT(rec, seal_equals_the_rfc_record, 120)
{
	const uint64_t start = (7ULL << 48) | 1000;
	uint8_t *pt = malloc(ESF_DTLS_MAX_PLAIN), *rec = malloc(REC_MAX), *want = malloc(REC_MAX);
	uint8_t type = 22, explicit[8];
	struct esf_fp fp;
	uint32_t id, n, len;
	uint64_t seq;
	int i;

	ASSERT_TRUE(pt && rec && want);
	ASSERT_EQ(0, dtls_session(&self->nl, self->key, variant->key_len, self->salt, start, &id,
				  &fp)) TH_LOG("%s", self->nl.errmsg);
	EXPECT_EQ(ESF_ALG_DTLS12_GCM_AES, fp.info.alg);
	EXPECT_EQ(ESF_DTLS_MAX_PLAIN, fp.info.max_data);
	for (i = 0; i < 40; i++) {
		len = i == 39 ? ESF_DTLS_MAX_PLAIN : (uint32_t)(i * 97);
		type = i % 3 ? CT_APPDATA : 21;
		rnd(pt, len);
		ASSERT_EQ(0, esf_fp_one(fp.op, &fp.info, ESF_OP_SEAL, &type, 1, pt, len, rec, &n,
					&seq));
		ASSERT_EQ(start + (uint64_t)i, seq);
		put_be64(explicit, seq);
		ASSERT_EQ(evp_record(self->key, variant->key_len, self->salt, seq, explicit, type,
				     pt, len, want), n);
		ASSERT_EQ(0, memcmp(rec, want, n)) TH_LOG("record %d of %u bytes", i, len);
	}
	esf_fp_close(&fp);
	free(pt), free(rec), free(want);
}

/*
 * OPEN takes the RFC record with whatever explicit nonce the sender chose,
 * once; and refuses another epoch, a wrong version or length, a flipped
 * tag, with the errors the uAPI names.
 */
TEST_F_TIMEOUT(rec, open_takes_any_explicit_nonce, 120)
{
	const uint64_t epoch = 3ULL << 48;
	uint8_t pt[300], rec[21 + 300 + 16], back[300], explicit[8];
	struct esf_fp fp;
	uint32_t id, n;
	uint64_t seq;
	size_t len;
	int i;

	ASSERT_EQ(0, dtls_session(&self->nl, self->key, variant->key_len, self->salt, epoch, &id,
				  &fp));
	for (i = 0; i < 50; i++) {
		rnd(pt, sizeof(pt));
		rnd(explicit, sizeof(explicit));
		/* Numbers out of order, as datagrams arrive. */
		len = evp_record(self->key, variant->key_len, self->salt,
				 epoch | (uint64_t)((i * 7) % 50), explicit, CT_APPDATA, pt,
				 (size_t)i * 5, rec);
		ASSERT_EQ(0, esf_fp_one(fp.op, &fp.info, ESF_OP_OPEN, NULL, 0, rec, (uint32_t)len,
					back, &n, &seq)) TH_LOG("record %d", i);
		ASSERT_EQ((uint32_t)i * 5, n);
		ASSERT_EQ(0, memcmp(back, pt, n));
		ASSERT_EQ(epoch | (uint64_t)((i * 7) % 50), seq);
		EXPECT_EQ(-EALREADY, esf_fp_one(fp.op, &fp.info, ESF_OP_OPEN, NULL, 0, rec,
						(uint32_t)len, back, &n, NULL));
	}
	len = evp_record(self->key, variant->key_len, self->salt, (4ULL << 48) | 1, explicit,
			 CT_APPDATA, pt, 10, rec);
	EXPECT_EQ(-ENOMSG, esf_fp_one(fp.op, &fp.info, ESF_OP_OPEN, NULL, 0, rec, (uint32_t)len,
				      back, &n, NULL));
	len = evp_record(self->key, variant->key_len, self->salt, epoch | 100, explicit,
			 CT_APPDATA, pt, 10, rec);
	rec[2] = 0xfe;		/* DTLS 1.0 */
	EXPECT_EQ(-EBADMSG, esf_fp_one(fp.op, &fp.info, ESF_OP_OPEN, NULL, 0, rec, (uint32_t)len,
				       back, &n, NULL));
	rec[2] = 0xfd;
	rec[12]++;		/* a length that is not the record's */
	EXPECT_EQ(-EBADMSG, esf_fp_one(fp.op, &fp.info, ESF_OP_OPEN, NULL, 0, rec, (uint32_t)len,
				       back, &n, NULL));
	rec[12]--;
	rec[0] = 22;		/* the type is authenticated */
	EXPECT_EQ(-EBADMSG, esf_fp_one(fp.op, &fp.info, ESF_OP_OPEN, NULL, 0, rec, (uint32_t)len,
				       back, &n, NULL));
	rec[0] = CT_APPDATA;
	EXPECT_EQ(0, esf_fp_one(fp.op, &fp.info, ESF_OP_OPEN, NULL, 0, rec, (uint32_t)len, back,
				&n, NULL));
	EXPECT_EQ(1, sess_stat(&self->nl, id, ESF_STATS_A_FOREIGN));
	EXPECT_EQ(3, sess_stat(&self->nl, id, ESF_STATS_A_AUTH_FAIL));
	esf_fp_close(&fp);
}

/* An epoch's last sequence number is its last: then EXPIRE, never wrap. */
TEST_F(rec, the_epoch_ends)
{
	const uint64_t last = (5ULL << 48) | ((1ULL << 48) - 1);
	uint8_t type = CT_APPDATA, pt[4] = { 0 }, rec[64];
	struct esf_nl ev;
	struct esf_event e;
	struct esf_fp fp;
	uint32_t id, n;
	uint64_t seq;

	ASSERT_EQ(0, esf_nl_open(&ev));
	ASSERT_EQ(0, esf_nl_subscribe(&ev));
	ASSERT_EQ(0, dtls_session(&self->nl, self->key, variant->key_len, self->salt, last - 1,
				  &id, &fp));
	ASSERT_EQ(0, esf_fp_one(fp.op, &fp.info, ESF_OP_SEAL, &type, 1, pt, 4, rec, &n, &seq));
	ASSERT_EQ(0, esf_fp_one(fp.op, &fp.info, ESF_OP_SEAL, &type, 1, pt, 4, rec, &n, &seq));
	EXPECT_EQ(last, seq);
	EXPECT_EQ(-EKEYEXPIRED, esf_fp_one(fp.op, &fp.info, ESF_OP_SEAL, &type, 1, pt, 4, rec, &n,
					   NULL));
	do {
		ASSERT_EQ(0, esf_nl_next_event(&ev, &e, 5));
	} while (e.cmd != ESF_CMD_EXPIRE);
	EXPECT_EQ(id, e.id);
	EXPECT_EQ(ESF_EXPIRE_HARD, e.kind);
	EXPECT_EQ(ESF_EXPIRE_SEQUENCE, e.reason);
	esf_fp_close(&fp);
	esf_nl_close(&ev);
}

/* What DTLS framing refuses, at creation and per record. */
TEST_F(rec, refusals)
{
	uint8_t type = CT_APPDATA, *big = calloc(1, ESF_DTLS_MAX_PLAIN + 1), rec[64];
	uint8_t *out = malloc(REC_MAX + 64);
	struct esf_msg m;
	struct esf_fp fp;
	uint32_t id, n;

	esf_msg_init(&m, self->nl.family, 0, ESF_CMD_SESSION_NEW);
	esf_put_str(&m, ESF_A_ALG, "ccm(aes)");
	esf_put_u8(&m, ESF_A_FRAMING, ESF_FRAMING_DTLS12);
	esf_put(&m, ESF_A_KEY, self->key, 16);
	esf_put(&m, ESF_A_SALT, self->salt, 4);
	EXPECT_EQ(-EINVAL, esf_nl_new_session(&self->nl, &m, &id));
	EXPECT_NE(NULL, strstr(self->nl.errmsg, "framing")) TH_LOG("%s", self->nl.errmsg);
	ASSERT_EQ(0, dtls_session(&self->nl, self->key, variant->key_len, self->salt, 1ULL << 48,
				  &id, &fp));
	/* SEAL needs its ContentType; OPEN takes none. */
	EXPECT_EQ(-EINVAL, esf_fp_one(fp.op, &fp.info, ESF_OP_SEAL, NULL, 0, &type, 1, rec, &n,
				      NULL));
	EXPECT_EQ(-EMSGSIZE, esf_fp_one(fp.op, &fp.info, ESF_OP_SEAL, &type, 1, big,
					ESF_DTLS_MAX_PLAIN + 1, out, &n, NULL));
	EXPECT_EQ(-EINVAL, esf_fp_one(fp.op, &fp.info, ESF_OP_OPEN, &type, 1, rec, 40, rec, &n,
				      NULL));
	esf_fp_close(&fp);
	free(big);
	free(out);
}

/* OpenSSL's DTLS 1.2, in memory ------------------------------------------------ */

static const uint8_t psk[32] = "esf-dtls-selftest-psk-0123456789";

static unsigned int psk_client(SSL *ssl, const char *hint, char *identity,
			       unsigned int max_id, unsigned char *out, unsigned int max)
{
	(void)ssl, (void)hint;
	snprintf(identity, max_id, "esf");
	if (max < sizeof(psk))
		return 0;
	memcpy(out, psk, sizeof(psk));
	return sizeof(psk);
}

static unsigned int psk_server(SSL *ssl, const char *identity, unsigned char *out,
			       unsigned int max)
{
	(void)ssl;
	if (strcmp(identity, "esf") || max < sizeof(psk))
		return 0;
	memcpy(out, psk, sizeof(psk));
	return sizeof(psk);
}

struct end {
	SSL_CTX *ctx;
	SSL *ssl;
	BIO *rd, *wr;	/* datagrams to it, datagrams from it */
};

static int end_init(struct end *e, bool server, const char *cipher)
{
	e->ctx = SSL_CTX_new(server ? DTLS_server_method() : DTLS_client_method());
	if (!e->ctx || !SSL_CTX_set_min_proto_version(e->ctx, DTLS1_2_VERSION) ||
	    !SSL_CTX_set_max_proto_version(e->ctx, DTLS1_2_VERSION) ||
	    !SSL_CTX_set_cipher_list(e->ctx, cipher))
		return -1;
	if (server)
		SSL_CTX_set_psk_server_callback(e->ctx, psk_server);
	else
		SSL_CTX_set_psk_client_callback(e->ctx, psk_client);
	e->ssl = SSL_new(e->ctx);
	e->rd = BIO_new(BIO_s_mem());
	e->wr = BIO_new(BIO_s_mem());
	if (!e->ssl || !e->rd || !e->wr)
		return -1;
	BIO_set_mem_eof_return(e->rd, -1);
	SSL_set_bio(e->ssl, e->rd, e->wr);
	SSL_set_options(e->ssl, SSL_OP_NO_QUERY_MTU);
	DTLS_set_link_mtu(e->ssl, 1400);
	if (server)
		SSL_set_accept_state(e->ssl);
	else
		SSL_set_connect_state(e->ssl);
	return 0;
}

static void end_free(struct end *e)
{
	SSL_free(e->ssl);	/* frees the BIOs */
	SSL_CTX_free(e->ctx);
}

/* Move what one end wrote to the other's read side. */
static void pump(struct end *from, struct end *to)
{
	uint8_t buf[4096];
	int n;

	while ((n = BIO_read(from->wr, buf, sizeof(buf))) > 0)
		BIO_write(to->rd, buf, n);
}

static int handshake(struct end *c, struct end *s)
{
	int i, rc = 0, rs = 0;

	for (i = 0; i < 50 && (rc != 1 || rs != 1); i++) {
		if (rc != 1)
			rc = SSL_do_handshake(c->ssl);
		pump(c, s);
		if (rs != 1)
			rs = SSL_do_handshake(s->ssl);
		pump(s, c);
	}
	return rc == 1 && rs == 1 ? 0 : -1;
}

/*
 * RFC 5246 6.3: key_block = PRF(master_secret, "key expansion",
 * server_random || client_random): client and server write keys, then
 * their 4-byte implicit IVs (AEAD suites have no MAC keys).
 */
static int key_block(SSL *ssl, const char *digest, uint8_t *out, size_t len)
{
	uint8_t master[48], seed[13 + 64];
	EVP_KDF *kdf = EVP_KDF_fetch(NULL, "TLS1-PRF", NULL);
	EVP_KDF_CTX *kctx = kdf ? EVP_KDF_CTX_new(kdf) : NULL;
	OSSL_PARAM p[4];
	size_t mlen;
	int ok;

	mlen = SSL_SESSION_get_master_key(SSL_get_session(ssl), master, sizeof(master));
	memcpy(seed, "key expansion", 13);
	SSL_get_server_random(ssl, seed + 13, 32);
	SSL_get_client_random(ssl, seed + 45, 32);
	p[0] = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, (char *)digest, 0);
	p[1] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SECRET, master, mlen);
	p[2] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SEED, seed, sizeof(seed));
	p[3] = OSSL_PARAM_construct_end();
	ok = kctx && mlen == 48 && EVP_KDF_derive(kctx, out, len, p) > 0;
	EVP_KDF_CTX_free(kctx);
	EVP_KDF_free(kdf);
	OPENSSL_cleanse(master, sizeof(master));
	return ok ? 0 : -1;
}

FIXTURE(peer) {
	struct esf_nl nl;
	struct end c, s;
};

FIXTURE_VARIANT(peer) {
	const char *cipher, *digest;
	size_t key_len;
};

FIXTURE_VARIANT_ADD(peer, psk_aes128_gcm_sha256) {
	.cipher = "PSK-AES128-GCM-SHA256", .digest = "SHA256", .key_len = 16,
};

FIXTURE_VARIANT_ADD(peer, psk_aes256_gcm_sha384) {
	.cipher = "PSK-AES256-GCM-SHA384", .digest = "SHA384", .key_len = 32,
};

FIXTURE_SETUP(peer)
{
	ASSERT_EQ(0, esf_module_ensure_loaded());
	ASSERT_EQ(0, esf_nl_open(&self->nl));
	sess_flush(&self->nl);
	ASSERT_EQ(0, end_init(&self->c, false, variant->cipher));
	ASSERT_EQ(0, end_init(&self->s, true, variant->cipher));
	ASSERT_EQ(0, handshake(&self->c, &self->s)) TH_LOG("the DTLS handshake did not finish");
	ASSERT_STREQ(variant->cipher, SSL_get_cipher_name(self->c.ssl));
}

FIXTURE_TEARDOWN(peer)
{
	end_free(&self->c);
	end_free(&self->s);
	sess_flush(&self->nl);
	esf_nl_close(&self->nl);
}

/*
 * After the handshake both ends are in epoch 1, whose number 0 their
 * Finished messages took. The kernel seals the client's records from
 * number 1 and the server's SSL_read() takes them; what the server's
 * SSL_write() sends, the kernel opens. A record the kernel seals with a
 * flipped bit is dropped by OpenSSL as DTLS drops bad records, and the
 * next good one still arrives.
 */
TEST_F_TIMEOUT(peer, openssl_reads_and_writes_kernel_records, 120)
{
	size_t kl = variant->key_len;
	uint8_t kb[2 * 32 + 8], type = CT_APPDATA, msg[1200], rec[1300], got[1300];
	struct esf_fp tx, rx;
	uint32_t idt, idr, n;
	uint64_t seq;
	int i, r;

	ASSERT_EQ(0, key_block(self->c.ssl, variant->digest, kb, 2 * kl + 8));
	/* client_write_key, server_write_key, client_write_IV, server_write_IV */
	ASSERT_EQ(0, dtls_session(&self->nl, kb, kl, kb + 2 * kl, (1ULL << 48) | 1, &idt, &tx))
		TH_LOG("%s", self->nl.errmsg);
	ASSERT_EQ(0, dtls_session(&self->nl, kb + kl, kl, kb + 2 * kl + 4, 1ULL << 48, &idr, &rx));
	for (i = 0; i < 20; i++) {
		size_t len = (size_t)i * 60 + 1;

		rnd(msg, len);
		ASSERT_EQ(0, esf_fp_one(tx.op, &tx.info, ESF_OP_SEAL, &type, 1, msg, (uint32_t)len,
					rec, &n, &seq));
		ASSERT_EQ((1ULL << 48) | (uint64_t)(i + 1), seq);
		if (i == 7) {
			rec[n - 1] ^= 1;
			BIO_write(self->s.rd, rec, (int)n);
			r = SSL_read(self->s.ssl, got, sizeof(got));
			EXPECT_GE(0, r) TH_LOG("OpenSSL took a forged record");
			continue;
		}
		BIO_write(self->s.rd, rec, (int)n);
		r = SSL_read(self->s.ssl, got, sizeof(got));
		ASSERT_EQ((int)len, r) TH_LOG("record %d: SSL_read %d, error %d", i, r,
					      SSL_get_error(self->s.ssl, r));
		ASSERT_EQ(0, memcmp(got, msg, len));

		/* And back: OpenSSL seals, the kernel opens. */
		ASSERT_EQ((int)len, SSL_write(self->s.ssl, msg, (int)len));
		r = BIO_read(self->s.wr, rec, sizeof(rec));
		ASSERT_LT(0, r);
		ASSERT_EQ(CT_APPDATA, rec[0]);
		ASSERT_EQ(0, esf_fp_one(rx.op, &rx.info, ESF_OP_OPEN, NULL, 0, rec, (uint32_t)r,
					got, &n, &seq));
		ASSERT_EQ(len, n);
		ASSERT_EQ(0, memcmp(got, msg, len));
		/* Replayed to the kernel: refused. */
		EXPECT_EQ(-EALREADY, esf_fp_one(rx.op, &rx.info, ESF_OP_OPEN, NULL, 0, rec,
						(uint32_t)r, got, &n, NULL));
	}
	EXPECT_EQ(20, sess_stat(&self->nl, idt, ESF_STATS_A_SEAL));
	EXPECT_EQ(19, sess_stat(&self->nl, idr, ESF_STATS_A_OPEN));
	ksft_print_msg("%s: 19 kernel records read by OpenSSL's DTLS, 19 of its records opened by the kernel, 1 forgery dropped\n",
		       variant->cipher);
	fflush(stdout);
	esf_fp_close(&tx);
	esf_fp_close(&rx);
}

TEST_HARNESS_MAIN
