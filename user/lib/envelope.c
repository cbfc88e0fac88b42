// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The ESF envelope element: a JSON wrapper that names the security session
 * type and the target data class (TR-0012 clause 6.2 requires both to be
 * identifiable) around a JOSE object:
 *
 *   {"esf:env":{"sst":1,"tdc":2,"jwe":"<compact>"}}
 *   {"esf:env":{"sst":1,"tdc":2,"jws":{<JSON serialization>}}}
 *   {"esf:env":{"sst":3,"tdc":2,"dtls":"<DTLS 1.2 records, base64url>"}}
 *
 * The same two numbers are members of the JOSE protected header, so a
 * relabelled envelope fails instead of being read as another class. DTLS
 * records have no header to carry them: an Sm envelope's session type is
 * Sm, and its class is the one its kernel session is bound to.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "esf_env.h"

#define ENV_KEY "esf:env"

static const char *const env_names[] = { "sst", "tdc", NULL };
static const struct jose_ext env_ext = { .names = env_names };

/* Resolve and check a type or class against the handle's binding. */
static int resolve(unsigned int want, unsigned int bound, unsigned int dflt,
		   unsigned int *out)
{
	unsigned int v = want ? want : bound ? bound : dflt;

	if (!v || v > 3)
		return -EINVAL;
	if (bound && v != bound)
		return -ESF_E_CLASS;
	*out = v;
	return 0;
}

static int envelope_header(const struct esf_session *s, unsigned int st,
			   unsigned int dc, char **out)
{
	json_t *h;
	int err = esf_jose_base_header(s, true, &h);

	if (err)
		return err;
	if (json_object_set_new(h, "sst", json_integer(st)) ||
	    json_object_set_new(h, "tdc", json_integer(dc)))
		err = -ENOMEM;
	if (!err) {
		*out = esf_json_dump(h);
		err = *out ? 0 : -ENOMEM;
	}
	json_decref(h);
	return err;
}

/* The JOSE text as the envelope carries it: a string or an object. */
static int jose_value(const char *jose, int form, json_t **out)
{
	int err = 0;

	if (form == ESF_JOSE_COMPACT)
		*out = json_string(jose);
	else
		err = esf_json_parse_object(jose, strlen(jose), out);
	if (!err && !*out)
		err = -ENOMEM;
	return err;
}

/* An Sm envelope of DTLS records: the session type must be Sm. */
static int dtls_build(struct esf_session *s, unsigned int stype, unsigned int dclass,
		      const void *in, size_t in_len, json_t **out)
{
	unsigned int st, dc;
	char *recs = NULL;
	int err;

	err = resolve(stype, s->session_type, ESF_STYPE_SM, &st);
	if (!err && st != ESF_STYPE_SM)
		err = -ESF_E_CLASS;
	if (!err)
		err = resolve(dclass, s->data_class, 0, &dc);
	if (!err)
		err = esf_dtls_seal(s, in, in_len, &recs);
	if (!err) {
		*out = json_pack("{s:{s:i,s:i,s:s}}", ENV_KEY, "sst", st, "tdc", dc, "dtls", recs);
		err = *out ? 0 : -ENOMEM;
	}
	free(recs);
	return err;
}

int esf_envelope_build(struct esf_session *s, int form, unsigned int stype,
		       unsigned int dclass, const void *in, size_t in_len,
		       json_t **out)
{
	char *header = NULL, *jose = NULL;
	json_t *val = NULL;
	unsigned int st, dc;
	int err;

	if (form < ESF_JOSE_COMPACT || form > ESF_JOSE_JSON_FLAT)
		return -EINVAL;
	if (esf_session_is_dtls(s))
		return dtls_build(s, stype, dclass, in, in_len, out);
	err = resolve(stype, s->session_type, ESF_STYPE_S1, &st);
	if (!err)
		err = resolve(dclass, s->data_class, 0, &dc);
	if (!err)
		err = envelope_header(s, st, dc, &header);
	if (!err)
		err = esf_jose_protect(s, form, header, strlen(header), in,
				       in_len, NULL, 0, &jose);
	if (!err)
		err = jose_value(jose, form, &val);
	if (!err) {
		*out = json_pack("{s:{s:i,s:i,s:o}}", ENV_KEY, "sst", st,
				 "tdc", dc, esf_session_is_aead(s) ? "jwe" : "jws",
				 val);
		err = *out ? 0 : -ENOMEM;
	}
	free(header);
	free(jose);
	return err;
}

int esf_envelope_seal(struct esf_session *s, enum esf_jose_form form,
		      unsigned int session_type, unsigned int data_class,
		      const void *in, size_t in_len, char **out)
{
	json_t *env;
	int err;

	if (!s || !out || (!in && in_len) || form < ESF_JOSE_COMPACT ||
	    form > ESF_JOSE_JSON_FLAT)
		return -EINVAL;
	err = esf_envelope_build(s, form, session_type, data_class, in, in_len, &env);
	if (err)
		return err;
	*out = esf_json_dump(env);
	json_decref(env);
	return *out ? 0 : -ENOMEM;
}

static int small_int(const json_t *o, const char *key, unsigned int *out)
{
	json_t *v = json_object_get(o, key);
	json_int_t i;

	if (!json_is_integer(v))
		return -ESF_E_FORMAT;
	i = json_integer_value(v);
	if (i < 1 || i > 3)
		return -ESF_E_FORMAT;
	*out = (unsigned int)i;
	return 0;
}

/*
 * The element's members: "sst", "tdc" and exactly one of "jwe", "jws"
 * (a JOSE object) or "dtls" (records, a base64url string).
 */
static int parse_element(const json_t *env, struct esf_envelope_info *ei,
			 const json_t **jose)
{
	const json_t *body = json_object_get(env, ENV_KEY);
	const json_t *jwe, *jws, *dtls;
	int err;

	if (!json_is_object(env) || json_object_size(env) != 1 || !json_is_object(body))
		return -ESF_E_FORMAT;
	err = small_int(body, "sst", &ei->session_type);
	if (!err)
		err = small_int(body, "tdc", &ei->data_class);
	if (err)
		return err;
	jwe = json_object_get(body, "jwe");
	jws = json_object_get(body, "jws");
	dtls = json_object_get(body, "dtls");
	if (!!jwe + !!jws + !!dtls != 1 || json_object_size(body) != 3)
		return -ESF_E_FORMAT;
	*jose = jwe ? jwe : jws ? jws : dtls;
	ei->jwe = jwe != NULL;
	if (dtls) {
		ei->form = ESF_ENVELOPE_DTLS;
		return json_is_string(dtls) ? 0 : -ESF_E_FORMAT;
	}
	if (!json_is_string(*jose) && !json_is_object(*jose))
		return -ESF_E_FORMAT;
	return 0;
}

/* An Sm envelope of records: labels checked against what binds the key. */
static int open_dtls(struct esf_session *s, const json_t *recs, struct esf_envelope_info *ei,
		     unsigned int st, unsigned int dc, void **out, size_t *out_len)
{
	if (!esf_session_is_dtls(s))
		return -ESF_E_ALG_MISMATCH;
	if (ei->session_type != ESF_STYPE_SM || (st && st != ei->session_type) ||
	    (dc && dc != ei->data_class) ||
	    (s->session_type && s->session_type != ei->session_type) ||
	    (s->data_class && s->data_class != ei->data_class))
		return -ESF_E_CLASS;
	return esf_dtls_open(s, json_string_value(recs), out, out_len, &ei->seq);
}

static int check_labels(const struct esf_session *s, const json_t *prot,
			const struct esf_envelope_info *ei, unsigned int st,
			unsigned int dc)
{
	json_t *hst = json_object_get(prot, "sst"), *hdc = json_object_get(prot, "tdc");

	if (!json_is_integer(hst) || !json_is_integer(hdc) ||
	    json_integer_value(hst) != ei->session_type ||
	    json_integer_value(hdc) != ei->data_class)
		return -ESF_E_CLASS;
	if ((st && st != ei->session_type) || (dc && dc != ei->data_class))
		return -ESF_E_CLASS;
	if ((s->session_type && s->session_type != ei->session_type) ||
	    (s->data_class && s->data_class != ei->data_class))
		return -ESF_E_CLASS;
	return 0;
}

static int jose_text(const json_t *jose, char **text, size_t *len)
{
	if (json_is_string(jose)) {
		*text = strdup(json_string_value(jose));
		if (*text && (**text == '{' || !**text)) {
			free(*text);
			*text = NULL;
			return -ESF_E_FORMAT;
		}
	} else {
		*text = esf_json_dump(jose);
	}
	if (!*text)
		return -ENOMEM;
	*len = strlen(*text);
	return 0;
}

int esf_envelope_open_json(struct esf_session *s, const json_t *env,
			   unsigned int stype, unsigned int dclass,
			   void **out, size_t *out_len,
			   struct esf_envelope_info *info)
{
	struct esf_envelope_info ei = { 0 };
	struct jose_parts p;
	const json_t *jose;
	char *text = NULL;
	size_t len;
	int err;

	err = parse_element(env, &ei, &jose);
	if (!err && ei.form == ESF_ENVELOPE_DTLS) {
		err = open_dtls(s, jose, &ei, stype, dclass, out, out_len);
		if (!err && info)
			*info = ei;
		return err;
	}
	if (!err && esf_session_is_dtls(s))
		err = -ESF_E_ALG_MISMATCH;
	if (!err)
		err = jose_text(jose, &text, &len);
	if (!err)
		err = esf_jose_split(text, len, &p);
	free(text);
	if (err)
		return err;
	if (p.jwe != ei.jwe)
		err = -ESF_E_FORMAT;
	if (!err)
		err = esf_jose_check(s, &p, &env_ext);
	if (!err)
		err = check_labels(s, p.prot, &ei, stype, dclass);
	if (!err)
		err = esf_jose_unprotect(s, &p, out, out_len, &ei.seq);
	ei.form = p.form;
	esf_jose_parts_free(&p);
	if (!err && info)
		*info = ei;
	return err;
}

int esf_envelope_open(struct esf_session *s, const char *in, size_t in_len,
		      unsigned int session_type, unsigned int data_class,
		      void **out, size_t *out_len,
		      struct esf_envelope_info *info)
{
	json_t *env;
	int err;

	if (!s || !in || !out || !out_len)
		return -EINVAL;
	err = esf_json_parse_object(in, in_len, &env);
	if (err)
		return err;
	err = esf_envelope_open_json(s, env, session_type, data_class, out,
				     out_len, info);
	json_decref(env);
	return err;
}
