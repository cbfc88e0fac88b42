// SPDX-License-Identifier: GPL-2.0
/*
 * Static group authentication on the wire (gamsg.h). Everything read here
 * came through the broker: strict and bounded.
 */
#include <errno.h>
#include <string.h>

#include "enc.h"
#include "gamsg.h"
#include "hmac.h"
#include "m2m.h"

static const char *const names[ESFD_GA__N] = {
	[ESFD_GA_DEV_REQ] = "esf:gaq",
	[ESFD_GA_DEV_ANS] = "esf:gar",
	[ESFD_GA_GRP_REQ] = "esf:gas",
	[ESFD_GA_GRP_ANS] = "esf:gsr",
	[ESFD_GA_CONF_REQ] = "esf:gac",
	[ESFD_GA_CONF_ANS] = "esf:gcr",
};

/* Which byte strings and lists each message carries besides grp and mac. */
static bool has_nnc(enum esfd_ga_kind k)
{
	return k == ESFD_GA_DEV_REQ || k == ESFD_GA_GRP_REQ;
}

static bool has_rnd(enum esfd_ga_kind k)
{
	return k == ESFD_GA_DEV_ANS || k == ESFD_GA_GRP_ANS || k == ESFD_GA_CONF_REQ;
}

static bool has_ids(enum esfd_ga_kind k)
{
	return k == ESFD_GA_GRP_REQ || k == ESFD_GA_GRP_ANS;
}

const char *esfd_ga_name(enum esfd_ga_kind k)
{
	return k > ESFD_GA_NONE && k < ESFD_GA__N ? names[k] : "?";
}

enum esfd_ga_kind esfd_ga_kind_of(const json_t *pc)
{
	return (enum esfd_ga_kind)esfd_m2m_content_kind(pc, names, ESFD_GA__N);
}

/* 1..ESFD_GA_IDS_MAX well-formed ids, none twice. */
static int ids_check(const json_t *ids, bool allow_empty)
{
	size_t i, k, n = json_array_size(ids);

	if (!json_is_array(ids) || (!n && !allow_empty) || n > ESFD_GA_IDS_MAX)
		return -EPROTO;
	for (i = 0; i < n; i++) {
		const char *s = json_string_value(json_array_get(ids, i));

		if (!s || esfd_id_check(s, strlen(s)))
			return -EPROTO;
		/* Quadratic, but bounded, and cheaper than the MAC over them. */
		for (k = 0; k < i; k++)
			if (!strcmp(s, json_string_value(json_array_get(ids, k))))
				return -EPROTO;
	}
	return 0;
}

int esfd_ga_read(const json_t *pc, enum esfd_ga_kind want, struct esfd_gamsg *m)
{
	const json_t *o = json_object_get(pc, esfd_ga_name(want));
	size_t n = 2;

	memset(m, 0, sizeof(*m));
	if (esfd_ga_kind_of(pc) != want || !json_is_object(o))
		return -EPROTO;
	m->kind = want;
	m->grp = json_string_value(json_object_get(o, "grp"));
	if (!m->grp || esfd_id_check(m->grp, strlen(m->grp)) ||
	    esfd_m2m_get_b64(o, "mac", m->mac, sizeof(m->mac)))
		return -EPROTO;
	if (has_nnc(want) && (n++, esfd_m2m_get_b64(o, "nnc", m->nnc, sizeof(m->nnc))))
		return -EPROTO;
	if (has_rnd(want) && (n++, esfd_m2m_get_b64(o, "rnd", m->rnd, sizeof(m->rnd))))
		return -EPROTO;
	if (has_ids(want)) {
		n++;
		m->ids = json_object_get(o, "ids");
		/* The server may take none of the devices named. */
		if (ids_check(m->ids, want == ESFD_GA_GRP_ANS))
			return -EPROTO;
	}
	return json_object_size(o) == n ? 0 : -EPROTO;
}

json_t *esfd_ga_build(const struct esfd_gamsg *m)
{
	json_t *o = json_object();
	int err = o ? 0 : -ENOMEM;

	if (!err)
		err = json_object_set_new(o, "grp", json_string(m->grp)) ? -ENOMEM : 0;
	if (!err && has_nnc(m->kind))
		err = esfd_m2m_set_b64(o, "nnc", m->nnc, sizeof(m->nnc));
	if (!err && has_rnd(m->kind))
		err = esfd_m2m_set_b64(o, "rnd", m->rnd, sizeof(m->rnd));
	if (!err && has_ids(m->kind))
		err = json_object_set(o, "ids", (json_t *)m->ids) ? -ENOMEM : 0;
	if (!err)
		err = esfd_m2m_set_b64(o, "mac", m->mac, sizeof(m->mac));
	if (err) {
		json_decref(o);
		return NULL;
	}
	return json_pack("{s:o}", esfd_ga_name(m->kind), o);
}

/* One text field of the MAC input, and its terminating zero byte. */
static void field(struct esfd_buf *in, size_t *n, const char *s)
{
	in[(*n)++] = (struct esfd_buf){ s, strlen(s) + 1 };
}

int esfd_ga_mac(const uint8_t key[32], const struct esfd_gamsg *m, const char *from,
		const char *to, const uint8_t *nnc, const uint8_t *rnd,
		uint8_t out[ESFD_GA_MAC_LEN])
{
	struct esfd_buf in[6 + 2 + ESFD_GA_IDS_MAX];
	char nb[32], rb[32];
	size_t i, n = 0;

	if (has_nnc(m->kind))
		nnc = m->nnc;
	if (has_rnd(m->kind))
		rnd = m->rnd;
	field(in, &n, esfd_ga_name(m->kind));
	field(in, &n, m->grp);
	field(in, &n, from);
	field(in, &n, to);
	if (nnc) {
		esfd_b64_encode(nnc, ESFD_GA_NONCE_LEN, true, nb, sizeof(nb));
		field(in, &n, nb);
	}
	if (rnd) {
		esfd_b64_encode(rnd, ESFD_GA_RAND_LEN, true, rb, sizeof(rb));
		field(in, &n, rb);
	}
	for (i = 0; has_ids(m->kind) && i < json_array_size(m->ids); i++) {
		const char *s = json_string_value(json_array_get(m->ids, i));

		if (!s || i >= ESFD_GA_IDS_MAX)
			return -EINVAL;
		field(in, &n, s);
	}
	return esfd_hmac(ESFD_SHA256, key, 32, in, n, out);
}

int esfd_ga_link_key(const uint8_t k14[32], const char *grp, uint8_t out[32])
{
	return esfd_hmac_label(k14, "esfd group authentication", grp, out);
}

int esfd_ga_confirm_key(const uint8_t ks[32], const char *grp, uint8_t out[32])
{
	return esfd_hmac_label(ks, "esfd group authentication confirmation", grp, out);
}
