// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Group broadcasts signed by their issuer (esf.h, esf_broadcast_seal(),
 * esf_broadcast_open()): a command encrypted under a group session (so
 * only members read it) and signed with the issuer's certificate key by
 * its esfd (so members know who issued it: a member holds the group key
 * but not the issuer's private key, and cannot forge one).
 *
 * The JWE is any group-session JWE ("dir", the kernel's record, "cty"
 * "JOSE"); its payload is a JWS ES256 ("cty" ESF_BROADCAST_CTY) with the issuer's chain, made by esfd, whose
 * payload binds the command to the group and to the issuer's sender id:
 *
 *   {"grp":GROUP,"snd":SENDER,"cmd":BASE64URL(command)}
 *
 * so a member that opened a broadcast cannot seal it again under its own
 * sender id, or in another group, and pass it off as the issuer's: the
 * kernel stamps every record with its sealer's sender id, which the
 * application cannot choose, and the receiver compares the two.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "esf.h"
#include "esf_env.h"

/* The group's id, as esfd names it in the session's key id. */
static int group_of(const struct esf_session *s, char *grp, size_t max)
{
	const struct esf_session_info *info = esf_session_info(s);

	if (!info->key_id_len || info->key_id_len >= max ||
	    memchr(info->key_id, '\0', info->key_id_len))
		return -ESF_E_KEY_ID;
	memcpy(grp, info->key_id, info->key_id_len);
	grp[info->key_id_len] = '\0';
	return 0;
}

int esf_broadcast_seal(const char *ctl_path, struct esf_session *s, unsigned int sender,
		       const void *cmd, size_t len, char **out)
{
	/* The JWE's payload is a JOSE object (RFC 7516 4.1.12). */
	struct esf_jose_opts o = { .cty = "JOSE" };
	char grp[ESF_KEY_ID_MAX + 1], *b64 = NULL, *inner = NULL, *jws = NULL;
	json_t *j;
	int err;

	if (!s || (!cmd && len) || !out || sender >= ESF_GROUP_SENDERS_MAX)
		return -EINVAL;
	if (len > ESF_BROADCAST_MAX)
		return -EMSGSIZE;
	err = group_of(s, grp, sizeof(grp));
	if (err)
		return err;
	b64 = esf_b64url_encode_alloc(cmd ? cmd : "", len);
	j = b64 ? json_pack("{s:s,s:I,s:s}", "grp", grp, "snd", (json_int_t)sender, "cmd",
			    b64) : NULL;
	inner = j ? esf_json_dump(j) : NULL;
	json_decref(j);
	free(b64);
	if (!inner)
		return -ENOMEM;
	err = esf_es256_sign(ctl_path, inner, strlen(inner), ESF_BROADCAST_CTY, &jws);
	free(inner);
	if (!err)
		err = esf_jose_seal(s, ESF_JOSE_COMPACT, jws, strlen(jws), &o, out);
	free(jws);
	return err;
}

/* The signed statement's members, checked against the record. */
static int bound(const struct esf_session *s, const void *stmt, size_t len, uint64_t seq,
		 void **cmd, size_t *cmd_len)
{
	char grp[ESF_KEY_ID_MAX + 1];
	const char *g, *c;
	json_t *j = NULL, *snd;
	int err = esf_json_parse_object(stmt, len, &j);

	if (!err)
		err = group_of(s, grp, sizeof(grp));
	g = json_string_value(json_object_get(j, "grp"));
	c = json_string_value(json_object_get(j, "cmd"));
	snd = json_object_get(j, "snd");
	if (!err && (!g || !c || !json_is_integer(snd) || json_object_size(j) != 3))
		err = -ESF_E_FORMAT;
	/* Opened in another group, or sealed by a member it was not signed for. */
	if (!err && (strcmp(g, grp) || json_integer_value(snd) != ESF_GROUP_SENDER(seq)))
		err = -ESF_E_IMPERSONATION;
	if (!err)
		err = esf_b64url_decode(c, strlen(c), cmd, cmd_len);
	json_decref(j);
	return err;
}

int esf_broadcast_open(struct esf_session *s, const char *in, size_t in_len,
		       const struct esf_es256_opts *opts, void **cmd, size_t *cmd_len,
		       char **signer)
{
	struct esf_jose_info info = { 0 };
	void *jws = NULL, *stmt = NULL;
	size_t jws_len = 0, stmt_len = 0;
	int err;

	if (!s || !in || !opts || !opts->signer_id || !cmd || !cmd_len)
		return -EINVAL;
	err = esf_jose_open(s, in, in_len, &jws, &jws_len, &info);
	if (!err && (!info.cty || strcmp(info.cty, "JOSE")))
		err = -ESF_E_FORMAT;
	if (!err)
		err = esf_es256_verify(jws, jws_len, opts, &stmt, &stmt_len, signer);
	if (!err) {
		err = bound(s, stmt, stmt_len, info.seq, cmd, cmd_len);
		if (err && signer) {
			free(*signer);
			*signer = NULL;
		}
	}
	free(stmt);
	free(jws);
	esf_jose_info_free(&info);
	return err;
}
