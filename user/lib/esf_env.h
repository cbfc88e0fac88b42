/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libesf internals shared by the envelope codecs (b64.c, jose.c, esprim.c,
 * esdata.c, envelope.c). Not part of the public API: nothing here is
 * exported by libesf.map. The unit tests and the fuzz target include it to
 * reach the codecs below the public functions.
 */
#ifndef ESF_ENV_H
#define ESF_ENV_H

#include <stdbool.h>
#include <jansson.h>

#include "esf_backend.h"

/* base64url without padding (RFC 7515 section 2, appendix C) */
size_t esf_b64url_len(size_t n);
void esf_b64url_encode(const void *in, size_t n, char *out);
char *esf_b64url_encode_alloc(const void *in, size_t n);
int esf_b64url_decode(const char *in, size_t n, void **out, size_t *out_len);

/* JSON: strict parse into an object; jansson objects freed by the caller */
int esf_json_parse_object(const char *in, size_t len, json_t **out);
char *esf_json_dump(const json_t *v);
int esf_json_opt_string(const json_t *obj, const char *key, const char **out);

/*
 * A JOSE object split into its parts. Strings point into @root (JSON
 * serialization) or into @buf (compact), which this structure owns.
 */
struct jose_parts {
	bool jwe;
	int form;		/* enum esf_jose_form */
	char *buf;		/* compact: a copy of the input, split in place */
	json_t *root;		/* JSON serialization */
	const char *prot_b64;	/* "" when absent */
	json_t *prot;		/* decoded protected header (object or NULL) */
	json_t *joint;		/* protected + unprotected + per-recipient */
	char *prot_text;	/* the protected header's JSON text, NUL-terminated */
	/* JWE */
	const char *aad_b64;	/* JSON "aad", or NULL */
	void *aad;		/* ... decoded */
	size_t aad_len;
	void *ek, *iv, *ct, *tag;	/* ek: the Encrypted Key (A*KW), or NULL */
	size_t ek_len, iv_len, ct_len, tag_len;
	/* JWS */
	const char *payload_b64;
	void *sig;
	size_t sig_len;
};

/*
 * What an extension (ESPrim, ESF envelope) understands: header members in
 * "crit" (@names); @ecdh: "alg" is "ECDH-ES+A128KW" with an "epk" (esfd
 * agreed the kw(aes) session's key, ecdh.c), not "A128KW".
 */
struct jose_ext {
	const char *const *names;
	bool ecdh;
};

/* The one key agreement libesf takes, with its content encryption. */
#define ESF_JWE_ECDH_ALG "ECDH-ES+A128KW"
#define ESF_JWE_ECDH_ENC "A128GCM"

void esf_jose_parts_free(struct jose_parts *p);
int esf_jose_split(const char *in, size_t len, struct jose_parts *p);
int esf_jose_check(const struct esf_session *s, const struct jose_parts *p,
		   const struct jose_ext *ext);
int esf_jose_check_header(const struct esf_session *s, const json_t *prot,
			  const json_t *joint, bool jwe,
			  const struct jose_ext *ext);
int esf_jose_unprotect(struct esf_session *s, const struct jose_parts *p,
		       void **out, size_t *out_len, uint64_t *seq);

/* Whether a "cty" says the payload is itself a JOSE object (nested). */
bool esf_jose_cty_nested(const char *cty);

/* Base header for the session: "alg", "kid" (if any) and, for JWE, "enc". */
int esf_jose_base_header(const struct esf_session *s, bool with_kid, json_t **out);
int esf_jose_protect(struct esf_session *s, int form, const char *header,
		     size_t header_len, const void *in, size_t in_len,
		     const void *aad, size_t aad_len, char **out);

/*
 * One request to esfd's control socket (peer.c): @req is sent and
 * released; *@rep is its reply (json_decref() it, set even on an error
 * esfd reported, NULL otherwise). Return: 0, esfd's negative status,
 * -EPROTO (a reply without one), or the error of the socket.
 */
int esf_ctl_json(const char *ctl_path, json_t *req, int timeout_ms, json_t **rep);

/* oneM2M primitive (JSON, short names): 1 request, 0 response, or error. */
int esf_primitive_kind(const json_t *prim);

/* ESF envelope element as a JSON value (esf:env), and its opener. */
int esf_envelope_build(struct esf_session *s, int form, unsigned int stype,
		       unsigned int dclass, const void *in, size_t in_len,
		       json_t **out);
int esf_envelope_open_json(struct esf_session *s, const json_t *env,
			   unsigned int stype, unsigned int dclass,
			   void **out, size_t *out_len,
			   struct esf_envelope_info *info);

/* Sm envelopes over DTLS 1.2 records (dtls.c): the records in base64url. */
bool esf_session_is_dtls(const struct esf_session *s);
int esf_dtls_seal(struct esf_session *s, const void *in, size_t in_len, char **b64);
int esf_dtls_open(struct esf_session *s, const char *b64, void **out, size_t *out_len,
		  uint64_t *seq);

/* The session's key id as a kid string (NUL-terminated copy), or NULL. */
int esf_session_kid(const struct esf_session *s, char **kid);
/* JWE (AEAD or key-wrap session) rather than JWS (MIC session). */
bool esf_session_is_aead(const struct esf_session *s);

/* RFC 3394's integrity check value ahead of a wrapped key. */
#define ESF_JWE_KW_ICV 8
/* JWE names: "enc" for an AES-GCM key length, "alg" for an AES-KW KEK's. */
const char *esf_jwe_gcm_enc(unsigned int key_len);
const char *esf_jwe_kw_alg(unsigned int kek_len);
/* Bytes of the JWE Encrypted Key the session's records carry (0: "dir"). */
size_t esf_jwe_ek_len(const struct esf_session_info *info);

#endif /* ESF_ENV_H */
