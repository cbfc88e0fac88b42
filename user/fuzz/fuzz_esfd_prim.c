// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target for what esfd reads from the MQTT broker: topics,
 * oneM2M request and response primitives, their securityInfo, the rand
 * objects in them and the key-confirmation ESPrim Objects. The first byte
 * picks what the rest is:
 *   0  a topic, a NUL, then the payload published on it: the whole path
 *      esfd's transport takes (topic, JSON, primitive, securityInfo, and
 *      for sit 5 the ESPrim Object's header and tag under a fixed key)
 *   1  a rand object's JSON text
 *   2  an ESPrim Object, parsed and opened under the fixed key
 *   3  a group key JWE (gkey.h), parsed and opened under the fixed key,
 *      as a pull's answer and as a push (a mediator's "block" included)
 * Group Contents in primitives (esf:gkp, esf:gky), static group
 * authentication's (esf:gaq ... esf:gcr) and peer-to-peer agreement's
 * (esf:p2q, esf:p2r, with their certificates) are read on path 0.
 * Whatever reads must build again and read back the same.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "../esfd/facmsg.h"
#include "../esfd/gamsg.h"
#include "../esfd/gkey.h"
#include "../esfd/hmac.h"
#include "../esfd/keys.h"
#include "../esfd/m2m.h"
#include "../esfd/p2pmsg.h"
#include "../esfd/prim.h"

#define NOW 1767225600LL

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* keys.c takes the daemon's clock; here it is fixed. */
int64_t esfd_now(const struct esfd *d)
{
	(void)d;
	return NOW;
}

static uint8_t kc[32];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	memset(kc, 0x42, sizeof(kc));
	return esfd_crypto_select(ESFD_BACKEND_OPENSSL) ? -1 : 0;
}

static void confirm(const char *epo)
{
	struct esfd_confirm p;
	uint8_t cls;

	if (!esfd_confirm_parse(epo, &p)) {
		esfd_confirm_hdr(&p, "kid");
		esfd_confirm_open(&p, kc, &cls);
	}
	json_decref(p.j.hdr);
	json_decref(p.body);
}

/* A securityInfo that was read builds to a Content that reads the same. */
static void seci_round_trip(const struct esfd_seci *s, bool response)
{
	struct esfd_seci back;
	json_t *pc;

	if (esfd_seci_content(s, &pc))
		abort();
	if (esfd_seci_read(pc, response, NOW, 0, &back) || back.sit != s->sit ||
	    memcmp(&back.rand, &s->rand, sizeof(s->rand)) ||
	    (s->esprim && strcmp(s->esprim, back.esprim)))
		abort();
	esfd_seci_free(&back);
	json_decref(pc);
}

/* A group key JWE under the fixed key: what opens wraps again and opens. */
static void group_key(const char *jwe)
{
	struct esfd_gkey k, back;
	const char *nnc = "AAECAwQFBgcICQoLDA0ODw";
	char *again = NULL;

	if (esfd_gkey_unwrap(kc, jwe, "/in-cse/g", nnc, 0, &k) &&
	    esfd_gkey_unwrap(kc, jwe, "/in-cse/g", NULL, 0, &k))
		return;
	if (esfd_gkey_wrap(kc, &k, nnc, &again) ||
	    esfd_gkey_unwrap(kc, again, "/in-cse/g", nnc, k.epoch, &back) ||
	    back.epoch != k.epoch || back.key_len != k.key_len ||
	    memcmp(back.key, k.key, k.key_len) || back.block_first != k.block_first ||
	    back.block_last != k.block_last)
		abort();
	free(again);
}

/* esfd's group Contents: a pull reads back the same; a key is opened. */
static void group_content(const json_t *pc)
{
	const char *grp, *nnc, *jwe;
	const char *g2, *n2;
	uint32_t have, h2;
	json_t *back;

	if (!esfd_gkp_read(pc, &grp, &nnc, &have)) {
		back = esfd_gkp_content(grp, nnc, have);
		if (!back || esfd_gkp_read(back, &g2, &n2, &h2) || strcmp(g2, grp) ||
		    strcmp(n2, nnc) || h2 != have)
			abort();
		json_decref(back);
	}
	if (!esfd_gky_read(pc, &jwe))
		group_key(jwe);
}

/* Static group authentication: what reads builds again, reads the same, and
 * its MAC is computed.
 */
static void gauth_content(const json_t *pc)
{
	static const uint8_t k[32] = { 7 };
	enum esfd_ga_kind kind = esfd_ga_kind_of(pc);
	struct esfd_gamsg m, back;
	uint8_t mac[32];
	json_t *again;

	if (esfd_ga_read(pc, kind, &m))
		return;
	again = esfd_ga_build(&m);
	if (!again || esfd_ga_read(again, kind, &back) || strcmp(back.grp, m.grp) ||
	    memcmp(back.nnc, m.nnc, sizeof(m.nnc)) || memcmp(back.rnd, m.rnd, sizeof(m.rnd)) ||
	    memcmp(back.mac, m.mac, sizeof(m.mac)) ||
	    json_array_size(back.ids) != json_array_size(m.ids))
		abort();
	if (esfd_ga_mac(k, &m, "/mn-gw", "/in-cse", m.nnc, m.rnd, mac))
		abort();
	json_decref(again);
}

/* Peer-to-peer agreement: what reads builds again and reads the same, and
 * its signed input is made.
 */
static void p2p_content(const json_t *pc)
{
	enum esfd_p2p_kind kind = esfd_p2p_kind_of(pc);
	uint8_t tbs[ESFD_P2P_TBS_MAX], h[ESFD_P2P_DIGEST_LEN] = { 0 };
	struct esfd_p2pmsg m, back;
	json_t *again = NULL;
	size_t len;

	if (esfd_p2p_read(pc, kind, &m)) {
		esfd_p2p_msg_free(&m);
		return;
	}
	if (esfd_p2p_build(&m, m.leaf, m.chain, &again) || esfd_p2p_read(again, kind, &back) ||
	    back.full != m.full || back.t != m.t || back.cls != m.cls ||
	    memcmp(back.digest, m.digest, sizeof(m.digest)) ||
	    memcmp(back.epk, m.epk, sizeof(m.epk)) || memcmp(back.sig, m.sig, sizeof(m.sig)) ||
	    back.has_pkd != m.has_pkd)
		abort();
	if (kind == ESFD_P2P_REQ ? esfd_p2p_req_tbs("Cveh-01", "Cveh-02", &m, tbs, &len) :
	    esfd_p2p_rsp_tbs(h, "Cveh-02", &m, tbs, &len))
		abort();
	esfd_p2p_msg_free(&back);
	esfd_p2p_msg_free(&m);
	json_decref(again);
}

/* The facilitator's messages: what reads builds again and reads the same;
 * opening it under a key no sender used fails and wipes the key.
 */
static void fac_content(const json_t *pc)
{
	static const uint8_t k[32] = { 9 };
	enum esfd_fac_kind kind = esfd_fac_kind_of(pc);
	struct esfd_facmsg m, back;
	json_t *again;

	if (esfd_fac_read(pc, kind, &m))
		return;
	again = esfd_fac_build(&m);
	if (!again || esfd_fac_read(again, kind, &back) || strcmp(back.who, m.who) ||
	    strcmp(back.kid, m.kid) || back.lft != m.lft || back.exp != m.exp ||
	    memcmp(back.nnc, m.nnc, sizeof(m.nnc)) || memcmp(back.iv, m.iv, sizeof(m.iv)) ||
	    memcmp(back.key, m.key, sizeof(m.key)) || memcmp(back.tag, m.tag, sizeof(m.tag)))
		abort();
	json_decref(again);
	if (!esfd_fac_open(k, &back, "Cdev", "/fac-cse", "esfd-g0-1", m.nnc))
		return;
	for (size_t i = 0; i < sizeof(back.key); i++)
		if (back.key[i])
			abort();
}

static void content(json_t *pc, bool response)
{
	struct esfd_seci s;

	if (esfd_p2p_kind_of(pc) != ESFD_P2P_NONE) {
		p2p_content(pc);
		return;
	}
	if (esfd_fac_kind_of(pc) != ESFD_FAC_NONE) {
		fac_content(pc);
		return;
	}
	if (esfd_ga_kind_of(pc) != ESFD_GA_NONE) {
		gauth_content(pc);
		return;
	}
	if (esfd_gmsg_kind(pc) != ESFD_GMSG_NONE) {
		group_content(pc);
		return;
	}
	if (esfd_seci_read(pc, response, NOW, 0, &s))
		return;
	seci_round_trip(&s, response);
	if (s.sit == ESFD_SIT_ESPRIM)
		confirm(s.esprim);
	esfd_seci_free(&s);
}

/* A request that was read builds to a primitive that reads the same. */
static void request_round_trip(const struct esfd_m2m_req *r)
{
	json_t *j = esfd_m2m_request(r->op, r->to, r->fr, r->rqi, r->rqet,
				     r->pc ? json_incref(r->pc) : NULL), *back;
	struct esfd_m2m_req again;
	const char *why;
	char *text;

	text = j ? esfd_m2m_dump(j) : NULL;
	json_decref(j);
	if (!text)
		return;	/* out of memory, or grown beyond the limit */
	if (esfd_m2m_parse(text, strlen(text), &back) ||
	    esfd_m2m_req_read(back, &again, &why) || again.op != r->op ||
	    strcmp(again.rqi, r->rqi) || strcmp(again.fr, r->fr) || again.rqet != r->rqet)
		abort();
	json_decref(back);
	free(text);
}

static void message(const uint8_t *data, size_t size)
{
	const uint8_t *nul = memchr(data, '\0', size);
	struct esfd_m2m_topic_parts t;
	struct esfd_m2m_req req;
	struct esfd_m2m_rsp rsp;
	const char *why;
	json_t *j;

	if (!nul || esfd_m2m_topic_parse((const char *)data, &t))
		return;
	size -= (size_t)(nul + 1 - data);
	if (esfd_m2m_parse(nul + 1, size, &j))
		return;
	if (t.response) {
		if (!esfd_m2m_rsp_read(j, &rsp))
			content(rsp.pc, true);
	} else if (!esfd_m2m_req_read(j, &req, &why)) {
		request_round_trip(&req);
		content(req.pc, false);
	}
	json_decref(j);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct esfd_randobj ro;
	char *s;

	if (size < 1 || size > ESFD_M2M_MSG_MAX + 300)
		return 0;
	switch (data[0] % 4) {
	case 0:
		message(data + 1, size - 1);
		break;
	case 1:
		esfd_randobj_decode((const char *)data + 1, size - 1, NOW, 0, &ro);
		break;
	case 2:
		s = strndup((const char *)data + 1, size - 1);
		if (s)
			confirm(s);
		free(s);
		break;
	case 3:
		s = strndup((const char *)data + 1, size - 1);
		if (s)
			group_key(s);
		free(s);
		break;
	}
	return 0;
}
