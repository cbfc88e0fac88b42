// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * JWE "ECDH-ES+A128KW" / "A128GCM" to and from certificates (esf.h,
 * esf_ecdh_seal(), esf_ecdh_open()). esfd agrees the key-encryption key
 * and installs it as a one-shot kw(aes) session this process owns; from
 * there a JWE is what jose.c makes of any kw(aes) session, with the key
 * agreement's header: the kernel wraps a fresh content key and encrypts.
 * This file never sees a key.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "esf.h"
#include "esf_env.h"

#define ECDH_TIMEOUT_MS 10000

/* esfd's reasons for refusing a certificate, as libesf's codes. */
static int cert_error(const json_t *rep, int err)
{
	static const struct {
		const char *name;
		int code;
	} map[] = {
		{ "expired", ESF_E_CERT_EXPIRED },
		{ "not-yet-valid", ESF_E_CERT_NOT_YET_VALID },
		{ "revoked", ESF_E_CERT_REVOKED },
		{ "unknown-ca", ESF_E_CERT_UNKNOWN_CA },
		{ "wrong-id", ESF_E_CERT_WRONG_ID },
		{ "invalid", ESF_E_CERT_INVALID },
	};
	const char *why = json_string_value(json_object_get(rep, "cert"));
	size_t i;

	for (i = 0; why && i < sizeof(map) / sizeof(map[0]); i++)
		if (!strcmp(why, map[i].name))
			return -map[i].code;
	return err;
}

/* The session is used up or unused: esfd forgets it either way. */
static void release(const char *ctl_path, uint32_t id)
{
	json_t *rep = NULL;

	esf_ctl_json(ctl_path, json_pack("{s:s,s:s,s:I}", "cmd", "ecdh", "op", "release",
					 "session", (json_int_t)id), ECDH_TIMEOUT_MS, &rep);
	json_decref(rep);
}

static int session_of(const json_t *rep, uint32_t *id)
{
	json_int_t v = json_integer_value(json_object_get(rep, "session"));

	if (v <= 0 || v > UINT32_MAX)
		return -EPROTO;
	*id = (uint32_t)v;
	return 0;
}

/* {"alg","enc","epk","x5t#S256"[,"cty"]}, as compact JSON text. */
static char *seal_header(json_t *rep, json_t *cty)
{
	json_t *epk = json_object_get(rep, "epk");
	const char *x5t = json_string_value(json_object_get(rep, "x5t#S256"));
	json_t *h;
	char *text = NULL;

	if (!json_is_object(epk) || !x5t)
		return NULL;
	h = json_pack("{s:s,s:s,s:O,s:s}", "alg", ESF_JWE_ECDH_ALG, "enc", ESF_JWE_ECDH_ENC,
		      "epk", epk, "x5t#S256", x5t);
	if (h && (!cty || !json_object_set(h, "cty", cty)))
		text = esf_json_dump(h);
	json_decref(h);
	return text;
}

int esf_ecdh_seal(const char *ctl_path, const char *cert_pem, const char *peer_id,
		  const void *payload, size_t len, const char *cty, char **jwe)
{
	struct esf_session *s = NULL;
	json_t *rep = NULL, *cty_j = NULL;
	char *header = NULL;
	uint32_t id = 0;
	int err;

	if (!cert_pem || !peer_id || (!payload && len) || !jwe)
		return -EINVAL;
	if (len > ESF_ECDH_PAYLOAD_MAX)
		return -EMSGSIZE;
	/* JSON cannot carry a cty that is not UTF-8: refuse before esfd works. */
	if (cty && !(cty_j = json_string(cty)))
		return -EINVAL;
	err = esf_ctl_json(ctl_path, json_pack("{s:s,s:s,s:s,s:s}", "cmd", "ecdh", "op", "seal",
					       "cert", cert_pem, "id", peer_id),
			   ECDH_TIMEOUT_MS, &rep);
	if (err) {
		err = cert_error(rep, err);
		goto out;
	}
	err = session_of(rep, &id);
	if (!err) {
		header = seal_header(rep, cty_j);
		err = header ? esf_session_open(id, 0, 0, &s) : -EPROTO;
	}
	if (!err)
		err = esf_jose_protect(s, ESF_JOSE_COMPACT, header, strlen(header),
				       payload ? payload : "", len, NULL, 0, jwe);
	esf_session_close(s);
	if (id)
		release(ctl_path, id);
out:
	free(header);
	json_decref(rep);
	json_decref(cty_j);
	return err;
}

/* esfd's "open" request: the key agreement's members of the JWE header. */
static json_t *open_request(const json_t *joint)
{
	static const char *const copy[] = { "epk", "apu", "apv", "x5t#S256" };
	json_t *req = json_pack("{s:s,s:s}", "cmd", "ecdh", "op", "open");
	size_t i;

	for (i = 0; req && i < sizeof(copy) / sizeof(copy[0]); i++) {
		json_t *v = json_object_get(joint, copy[i]);

		if (v && json_object_set(req, copy[i], v)) {
			json_decref(req);
			return NULL;
		}
	}
	return req;
}

static int open_with(struct esf_session *s, const struct jose_parts *p, void **out,
		     size_t *out_len, struct esf_jose_info *info)
{
	static const struct jose_ext ext = { .ecdh = true };
	uint64_t seq;
	int err = esf_jose_check(s, p, &ext);

	if (!err)
		err = esf_jose_unprotect(s, p, out, out_len, &seq);
	if (!err && info) {
		memset(info, 0, sizeof(*info));
		info->jwe = 1;
		info->form = p->form;
		info->header = strdup(p->prot_text ? p->prot_text : "");
		if (json_string_value(json_object_get(p->joint, "cty")))
			info->cty = strdup(json_string_value(json_object_get(p->joint, "cty")));
		if (!info->header ||
		    (json_object_get(p->joint, "cty") && !info->cty)) {
			esf_jose_info_free(info);
			free(*out);
			*out = NULL;
			err = -ENOMEM;
		}
	}
	return err;
}

int esf_ecdh_open(const char *ctl_path, const char *jwe, size_t len, void **out,
		  size_t *out_len, struct esf_jose_info *info)
{
	const char *alg, *enc;
	struct esf_session *s = NULL;
	struct jose_parts p;
	json_t *rep = NULL;
	uint32_t id = 0;
	int err;

	if (!jwe || !out || !out_len)
		return -EINVAL;
	err = esf_jose_split(jwe, len, &p);
	if (err)
		return err;
	alg = json_string_value(json_object_get(p.joint, "alg"));
	enc = json_string_value(json_object_get(p.joint, "enc"));
	if (!p.jwe || !alg || !enc)
		err = -ESF_E_FORMAT;
	else if (strcmp(alg, ESF_JWE_ECDH_ALG) || strcmp(enc, ESF_JWE_ECDH_ENC))
		err = -ESF_E_UNSUPPORTED;
	else if (!json_is_object(json_object_get(p.joint, "epk")))
		err = -ESF_E_FORMAT;
	if (!err)
		err = esf_ctl_json(ctl_path, open_request(p.joint), ECDH_TIMEOUT_MS, &rep);
	if (!err)
		err = session_of(rep, &id);
	if (!err)
		err = esf_session_open(id, 0, 0, &s);
	if (!err)
		err = open_with(s, &p, out, out_len, info);
	esf_session_close(s);
	if (id)
		release(ctl_path, id);
	json_decref(rep);
	esf_jose_parts_free(&p);
	return err;
}
