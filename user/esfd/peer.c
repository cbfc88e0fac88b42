// SPDX-License-Identifier: GPL-2.0
/*
 * esfd: the peer transport (one authenticated frame per UDP datagram) and
 * ESPrim establishment:
 *
 *   originator                                   receiver
 *   type 3 receiverESPrimRandObject request  ->
 *                                            <-  type 4 response: rand object R
 *   (makes its rand object O, derives sessionESPrimKey from R and O)
 *   type 5 ESPrim Object, "oro" = O          ->  (derives the key, opens the
 *                                                 object, installs its pair)
 *                                            <-  type 5 ESPrim Object
 *   (opens it, installs its pair)
 *
 * A refusal is a type 4 with a oneM2M response status code. Every frame of
 * one establishment carries the originator's request id. Details and
 * reasons: docs/esfd.md.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <netdb.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "enc.h"
#include "esfd.h"

#define CONFIRM_CTY "application/vnd.esfd.establish+json"
#define GCM_IV_LEN 12
#define GCM_TAG_LEN 16

int esfd_esprim_prot(unsigned int key_bits)
{
	return key_bits == 128 ? ESFD_PROT_JWE_A128GCM :
	       key_bits == 192 ? ESFD_PROT_JWE_A192GCM : ESFD_PROT_JWE_A256GCM;
}

static size_t peer_index(const struct esfd *d, const struct esfd_peer *p)
{
	return (size_t)(p - d->cfg.peers);
}

void esfd_peer_rt_free(struct esfd_peer_rt *rt, size_t n)
{
	size_t i, j;

	for (i = 0; i < n; i++) {
		for (j = 0; j < ESFD_REPLAY_SLOTS; j++)
			free(rt[i].seen[j].resp);
		explicit_bzero(rt[i].issued, sizeof(rt[i].issued));
		memset(&rt[i], 0, sizeof(rt[i]));
	}
}

/* Transport -------------------------------------------------------------- */

int esfd_transport_open(struct esfd *d)
{
	struct addrinfo hints = { .ai_socktype = SOCK_DGRAM,
				  .ai_flags = AI_PASSIVE | AI_NUMERICHOST | AI_NUMERICSERV };
	struct addrinfo *ai;
	char port[8];
	int fd, zero = 0, err;

	snprintf(port, sizeof(port), "%u", d->cfg.listen.port);
	err = getaddrinfo(d->cfg.listen.host, port, &hints, &ai);
	if (err) {
		log_err("listen %s: %s", d->cfg.listen.host, gai_strerror(err));
		return -EINVAL;
	}
	fd = socket(ai->ai_family, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd >= 0 && ai->ai_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero));
	if (fd < 0 || bind(fd, ai->ai_addr, ai->ai_addrlen)) {
		err = -errno;
		log_err("listen %s port %u: %s", d->cfg.listen.host, d->cfg.listen.port,
			strerror(errno));
		if (fd >= 0)
			close(fd);
		freeaddrinfo(ai);
		return err;
	}
	d->udp = fd;
	d->udp_family = ai->ai_family;
	freeaddrinfo(ai);
	return 0;
}

/* Where to send to a peer: its configured address, else where it last
 * wrote from.
 */
static int peer_addr(struct esfd *d, const struct esfd_peer *peer,
		     struct sockaddr_storage *ss, socklen_t *len)
{
	struct esfd_peer_rt *rt = &d->rt[peer_index(d, peer)];
	struct addrinfo hints = { .ai_socktype = SOCK_DGRAM, .ai_family = d->udp_family,
				  .ai_flags = AI_NUMERICSERV };
	struct addrinfo *ai;
	char port[8];
	int err;

	if (!peer->has_addr) {
		if (!rt->last_addr_len)
			return -EDESTADDRREQ;
		memcpy(ss, &rt->last_addr, rt->last_addr_len);
		*len = rt->last_addr_len;
		return 0;
	}
	if (d->udp_family == AF_INET6)
		hints.ai_flags |= AI_V4MAPPED;
	snprintf(port, sizeof(port), "%u", peer->addr.port);
	err = getaddrinfo(peer->addr.host, port, &hints, &ai);
	if (err) {
		log_warn("peer %s: address %s: %s", peer->id, peer->addr.host,
			 gai_strerror(err));
		return -EHOSTUNREACH;
	}
	memcpy(ss, ai->ai_addr, ai->ai_addrlen);
	*len = ai->ai_addrlen;
	freeaddrinfo(ai);
	return 0;
}

static void send_to(struct esfd *d, const struct esfd_peer *peer, const uint8_t *f,
		    size_t len, const struct sockaddr_storage *to, socklen_t tolen)
{
	struct sockaddr_storage ss;
	socklen_t sl;

	if (!to) {
		if (peer_addr(d, peer, &ss, &sl))
			return;
		to = &ss;
		tolen = sl;
	}
	if (sendto(d->udp, f, len, 0, (const struct sockaddr *)to, tolen) < 0) {
		log_warn("peer %s: send: %s", peer->id, strerror(errno));
		return;
	}
	d->tx++;
	d->rt[peer_index(d, peer)].tx++;
}

static int msg_key(const struct esfd_peer *peer, uint8_t key[ESFD_MSG_KEY_LEN])
{
	return esfd_msg_key_derive(peer->kpsa, peer->kpsa_len, key);
}

static int key_lookup(void *arg, const char *sender, const char *kid,
		      uint8_t key[ESFD_MSG_KEY_LEN])
{
	const struct esfd *d = arg;
	const struct esfd_peer *p = esfd_config_peer_by_id(&d->cfg, sender);

	if (!p || strcmp(p->kpsa_id, kid))
		return -ENOKEY;
	return msg_key(p, key);
}

/* Encode a message of ours to @peer (with @req_id) into a frame. */
static int build(struct esfd *d, const struct esfd_peer *peer, struct esfd_msg *m,
		 uint8_t type, uint64_t req_id, uint8_t **f, size_t *flen)
{
	uint8_t key[ESFD_MSG_KEY_LEN];
	int err;

	m->type = type;
	m->req_id = req_id;
	m->time = esfd_now(d);
	snprintf(m->sender, sizeof(m->sender), "%s", d->cfg.id);
	snprintf(m->receiver, sizeof(m->receiver), "%s", peer->id);
	snprintf(m->kid, sizeof(m->kid), "%s", peer->kpsa_id);
	err = msg_key(peer, key);
	if (!err)
		err = esfd_msg_encode(m, key, f, flen);
	explicit_bzero(key, sizeof(key));
	return err;
}

/* Remember a request and our answer, for its retransmissions. */
static void seen_add(struct esfd *d, struct esfd_peer_rt *rt, uint8_t type, uint64_t req_id,
		     const uint8_t *resp, size_t len, const struct sockaddr_storage *from,
		     socklen_t from_len)
{
	struct esfd_seen *s = &rt->seen[rt->seen_next++ % ESFD_REPLAY_SLOTS];

	free(s->resp);
	s->type = type;
	s->req_id = req_id;
	s->time = esfd_now(d);
	s->from_len = from ? from_len : 0;
	if (from)
		memcpy(&s->from, from, from_len);
	s->resp = resp ? malloc(len) : NULL;
	s->resp_len = s->resp ? len : 0;
	if (s->resp)
		memcpy(s->resp, resp, len);
}

static struct esfd_seen *seen_find(struct esfd *d, struct esfd_peer_rt *rt, uint8_t type,
				   uint64_t req_id)
{
	size_t i;

	for (i = 0; i < ESFD_REPLAY_SLOTS; i++) {
		struct esfd_seen *s = &rt->seen[i];

		if (s->time && s->type == type && s->req_id == req_id &&
		    esfd_now(d) - s->time <= 2 * (int64_t)d->cfg.clock_skew + 60)
			return s;
	}
	return NULL;
}

static void note_addr(struct esfd_peer_rt *rt, const struct sockaddr_storage *from,
		      socklen_t len)
{
	memcpy(&rt->last_addr, from, len);
	rt->last_addr_len = len;
}

static bool same_addr(const struct sockaddr_storage *a, socklen_t alen,
		      const struct sockaddr_storage *b, socklen_t blen)
{
	return alen == blen && !memcmp(a, b, alen);
}

/* Answer a request (and remember the answer). */
static void answer(struct esfd *d, const struct esfd_peer *peer, struct esfd_msg *m,
		   uint8_t req_type, uint64_t req_id, const struct sockaddr_storage *from,
		   socklen_t fromlen)
{
	struct esfd_peer_rt *rt = &d->rt[peer_index(d, peer)];
	uint8_t *f = NULL;
	size_t n = 0;
	int err = build(d, peer, m, m->type, req_id, &f, &n);

	if (err) {
		log_err("peer %s: encoding a reply: %s", peer->id, strerror(-err));
		return;
	}
	seen_add(d, rt, req_type, req_id, f, n, from, fromlen);
	send_to(d, peer, f, n, from, fromlen);
	free(f);
}

static void refuse(struct esfd *d, const struct esfd_peer *peer, uint8_t req_type,
		   uint64_t req_id, int rsc, const struct sockaddr_storage *from,
		   socklen_t fromlen, const char *why)
{
	struct esfd_msg m = { .type = ESFD_MSG_RAND_RESP, .status = rsc };

	log_warn("peer %s: refused request %016llx (type %u): %s (oneM2M %d)", peer->id,
		 (unsigned long long)req_id, req_type, why, rsc);
	d->rt[peer_index(d, peer)].refused++;
	answer(d, peer, &m, req_type, req_id, from, fromlen);
}

/* Keys ------------------------------------------------------------------- */

/* sessionESPrimKey of (peer, R, O): pairwiseESPrimKey is the SUID 13
 * usage-constrained key of the peer's Kpsa, so it can serve nothing but
 * ESPrim.
 */
static int derive_session_key(struct esfd *d, const struct esfd_peer *peer,
			      const struct esfd_randobj *r, const struct esfd_randobj *o,
			      uint8_t skey[ESFD_KEY_LEN])
{
	struct esfd_uc_key pairwise;
	int err;

	err = esfd_kdf_uc_key(peer->kpsa, peer->kpsa_len, ESFD_SUID_PSK_ESPRIM,
			      esfd_config_uc_target(&d->cfg, peer), &pairwise);
	if (!err)
		err = esfd_uc_key_check(&pairwise, ESFD_FEAT_ESPRIM);
	if (!err)
		err = esfd_kdf_session_esprim_key(&pairwise, r, o, esfd_now(d), skey);
	esfd_uc_key_wipe(&pairwise);
	return err;
}

/* The kernel sessions of a pair. Class 1 (whole primitives) is ESPrim:
 * sessionESPrimKey under gcm(aes), as TS-0003 has it. Classes 2 and 3
 * (Content, contentInstance) protect data the way TR-0012 7.4.1 keys
 * pre-provisioned end-to-end sessions: master = HMAC(Salt, K), then the
 * message authentication key T(1) and confidentiality key T(2), under the
 * policy's aead and tag length. K is the Kpsa's SUID 14 (pre-provisioned
 * ESData encryption) usage-constrained key, never the Kpsa itself, and
 * the salt is the two fresh rand values, receiver's then originator's, so
 * every establishment gives new keys. authenc takes T(1) as its HMAC key
 * and T(2) as its AES key; the AEADs take T(2).
 */
static int pair_keys(struct esfd *d, const struct esfd_peer *peer, uint8_t cls,
		     const uint8_t skey[ESFD_KEY_LEN], const struct esfd_randobj *r,
		     const struct esfd_randobj *o, struct esfd_pair_keys *k)
{
	const struct esfd_policy *pol = &d->cfg.policies[peer->policy];
	size_t aes = pol->key_bits / 8;
	uint8_t salt[2 * ESFD_RAND_VALUE_LEN];
	struct esfd_uc_key uc;
	struct esfd_key_pair kp;
	int err;

	memset(k, 0, sizeof(*k));
	if (cls == 1) {
		k->alg = "gcm(aes)";
		k->tag_len = 16;
		k->key_len = aes;
		memcpy(k->key, skey, aes);
		memcpy(k->salt_base, skey, ESFD_KEY_LEN);
		return 0;
	}
	memcpy(salt, r->value, ESFD_RAND_VALUE_LEN);
	memcpy(salt + ESFD_RAND_VALUE_LEN, o->value, ESFD_RAND_VALUE_LEN);
	err = esfd_kdf_uc_key(peer->kpsa, peer->kpsa_len, ESFD_SUID_PSK_ESDATA_ENC,
			      esfd_config_uc_target(&d->cfg, peer), &uc);
	if (!err)
		err = esfd_uc_key_check(&uc, ESFD_FEAT_ESDATA_ENC);
	if (!err)
		err = esfd_kdf_e2e_keys(ESFD_SHA256, salt, sizeof(salt), uc.key, sizeof(uc.key),
					&kp);
	esfd_uc_key_wipe(&uc);
	if (err)
		return err;
	k->alg = esfd_aead_name(pol->aead);
	k->tag_len = (uint8_t)pol->tag_len;
	if (pol->aead == ESFD_AEAD_AUTHENC) {
		memcpy(k->key, kp.auth, 32);
		memcpy(k->key + 32, kp.conf, aes);
		k->key_len = 32 + aes;
	} else {
		memcpy(k->key, kp.conf, aes);
		k->key_len = aes;
	}
	memcpy(k->salt_base, kp.conf, ESFD_KEY_LEN);
	esfd_key_pair_wipe(&kp);
	return 0;
}

/* The key that seals the establishment's ESPrim Objects, one per
 * direction, so that neither can be reflected back as the other.
 */
static int confirm_key(const uint8_t skey[ESFD_KEY_LEN], bool from_originator,
		       uint8_t kc[32])
{
	static const char label[] = "esfd ESPrim key confirmation";
	uint8_t dir = from_originator ? 1 : 2;
	struct esfd_buf in[2] = { { label, sizeof(label) - 1 }, { &dir, 1 } };

	return esfd_hmac(ESFD_SHA256, skey, ESFD_KEY_LEN, in, 2, kc);
}

/* ESPrim Objects of the establishment (JWE compact, "dir", A256GCM) ------- */

static char *b64url(const uint8_t *p, size_t n)
{
	size_t sz = esfd_b64_len(n, true) + 1;
	char *s = malloc(sz);

	if (s && esfd_b64_encode(p, n, true, s, sz)) {
		free(s);
		s = NULL;
	}
	return s;
}

static int gcm(bool enc, const uint8_t key[32], const uint8_t *iv, const uint8_t *aad,
	       size_t aadlen, const uint8_t *in, size_t len, uint8_t *out, uint8_t *tag)
{
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	int ok, n = 0, fin = 0;

	if (!c)
		return -ENOMEM;
	ok = EVP_CipherInit_ex(c, EVP_aes_256_gcm(), NULL, key, iv, enc) == 1 &&
	     EVP_CipherUpdate(c, NULL, &n, aad, (int)aadlen) == 1 &&
	     (!len || EVP_CipherUpdate(c, out, &n, in, (int)len) == 1) &&
	     (enc || EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, GCM_TAG_LEN, tag) == 1) &&
	     EVP_CipherFinal_ex(c, out + (len ? n : 0), &fin) == 1 &&
	     (!enc || EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, GCM_TAG_LEN, tag) == 1);
	EVP_CIPHER_CTX_free(c);
	if (!ok && !enc)
		explicit_bzero(out, len);
	return ok ? 0 : -EBADMSG;
}

/* Seal {"dataClass":N,"alg":A,"tagLength":T} (what the pair will be) with
 * the header fields of an ESPrim Object.
 */
static int esprim_seal(const uint8_t kc[32], const char *kid, const char *ori,
		       const char *rri, const struct esfd_randobj *oro,
		       const struct esfd_pair_keys *pk, uint8_t cls, char **out)
{
	json_t *h = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s}", "alg", "dir", "enc", "A256GCM",
			      "kid", kid, "ori", ori, "rri", rri, "cty", CONFIRM_CTY);
	char *htext = NULL, *hb = NULL, *ivb = NULL, *cb = NULL, *tb = NULL;
	uint8_t iv[GCM_IV_LEN], tag[GCM_TAG_LEN], ct[128];
	char pt[128];
	json_t *o = NULL;
	int err = -ENOMEM, n;

	if (!h)
		return -ENOMEM;
	if (oro) {
		err = esfd_randobj_to_json(oro, &o);
		if (err || json_object_set_new(h, "oro", o))
			goto out;
	}
	htext = json_dumps(h, JSON_COMPACT | JSON_PRESERVE_ORDER);
	hb = htext ? b64url((const uint8_t *)htext, strlen(htext)) : NULL;
	n = snprintf(pt, sizeof(pt), "{\"dataClass\":%u,\"alg\":\"%s\",\"tagLength\":%u}",
		     cls, pk->alg, pk->tag_len);
	if (!hb || getrandom(iv, sizeof(iv), 0) != sizeof(iv)) {
		err = hb ? -EIO : -ENOMEM;
		goto out;
	}
	err = gcm(true, kc, iv, (const uint8_t *)hb, strlen(hb), (const uint8_t *)pt,
		  (size_t)n, ct, tag);
	if (err)
		goto out;
	ivb = b64url(iv, sizeof(iv));
	cb = b64url(ct, (size_t)n);
	tb = b64url(tag, sizeof(tag));
	err = -ENOMEM;
	if (ivb && cb && tb && asprintf(out, "%s..%s.%s.%s", hb, ivb, cb, tb) > 0)
		err = 0;
out:
	json_decref(h);
	free(htext);
	free(hb);
	free(ivb);
	free(cb);
	free(tb);
	return err;
}

/* The header of an ESPrim Object, before its tag is checked. */
struct esprim_parsed {
	json_t *hdr;
	json_t *body;	/* after esprim_open() */
	const char *parts[5];
	size_t lens[5];
};

static int esprim_parse(const char *jwe, struct esprim_parsed *p)
{
	uint8_t buf[4096];
	size_t i, n;
	const char *s = jwe, *dot;

	memset(p, 0, sizeof(*p));
	for (i = 0; i < 5; i++) {
		dot = strchr(s, '.');
		if ((i < 4) != !!dot)
			return -EPROTO;
		p->parts[i] = s;
		p->lens[i] = dot ? (size_t)(dot - s) : strlen(s);
		s = dot ? dot + 1 : s;
	}
	if (p->lens[1] || esfd_b64_decode(p->parts[0], p->lens[0], true, buf, sizeof(buf), &n))
		return -EPROTO;
	p->hdr = json_loadb((const char *)buf, n, JSON_REJECT_DUPLICATES, NULL);
	if (!json_is_object(p->hdr))
		return -EPROTO;
	if (strcmp(json_string_value(json_object_get(p->hdr, "alg")) ?: "", "dir") ||
	    strcmp(json_string_value(json_object_get(p->hdr, "enc")) ?: "", "A256GCM") ||
	    strcmp(json_string_value(json_object_get(p->hdr, "cty")) ?: "", CONFIRM_CTY) ||
	    !json_is_string(json_object_get(p->hdr, "kid")) ||
	    !json_is_string(json_object_get(p->hdr, "ori")) ||
	    !json_is_string(json_object_get(p->hdr, "rri")))
		return -EPROTO;
	return 0;
}

static const char *hdr_str(const struct esprim_parsed *p, const char *k)
{
	return json_string_value(json_object_get(p->hdr, k));
}

/* Check the tag, return the data class inside and check that the pair the
 * other end makes is @pk's (the ends' policies agree).
 */
static int esprim_open(struct esprim_parsed *p, const uint8_t kc[32], uint8_t *cls)
{
	uint8_t iv[GCM_IV_LEN], tag[GCM_TAG_LEN], ct[128], pt[128];
	size_t ivn, tn, cn;
	json_t *j, *v;
	int err;

	if (esfd_b64_decode(p->parts[2], p->lens[2], true, iv, sizeof(iv), &ivn) ||
	    ivn != GCM_IV_LEN ||
	    esfd_b64_decode(p->parts[3], p->lens[3], true, ct, sizeof(ct), &cn) || !cn ||
	    esfd_b64_decode(p->parts[4], p->lens[4], true, tag, sizeof(tag), &tn) ||
	    tn != GCM_TAG_LEN)
		return -EPROTO;
	err = gcm(false, kc, iv, (const uint8_t *)p->parts[0], p->lens[0], ct, cn, pt, tag);
	if (err)
		return err;
	j = json_loadb((const char *)pt, cn, JSON_REJECT_DUPLICATES, NULL);
	v = json_object_get(j, "dataClass");
	err = json_is_integer(v) && json_object_size(j) == 3 &&
	      json_is_string(json_object_get(j, "alg")) &&
	      json_is_integer(json_object_get(j, "tagLength")) &&
	      json_integer_value(v) >= 1 && json_integer_value(v) <= 3 ? 0 : -EPROTO;
	if (!err)
		*cls = (uint8_t)json_integer_value(v);
	p->body = err ? NULL : j;
	if (err)
		json_decref(j);
	return err;
}

/* Does the other end's pair (from the opened object) match ours? */
static bool same_pair(const struct esprim_parsed *p, const struct esfd_pair_keys *pk)
{
	const char *alg = json_string_value(json_object_get(p->body, "alg"));

	return alg && !strcmp(alg, pk->alg) &&
	       json_integer_value(json_object_get(p->body, "tagLength")) == pk->tag_len;
}

/* Receiver side ----------------------------------------------------------- */

static void on_rand_req(struct esfd *d, const struct esfd_peer *peer, const struct esfd_msg *in,
			const struct sockaddr_storage *from, socklen_t fromlen)
{
	const struct esfd_policy *pol = &d->cfg.policies[peer->policy];
	struct esfd_peer_rt *rt = &d->rt[peer_index(d, peer)];
	uint8_t kg = ESFD_KEYGEN_HMAC_SHA256, pr = (uint8_t)esfd_esprim_prot(pol->key_bits);
	struct esfd_issued *is = &rt->issued[rt->issued_next++ % ESFD_ISSUED_MAX];
	struct esfd_msg m = { .type = ESFD_MSG_RAND_RESP };
	int err;

	explicit_bzero(is, sizeof(*is));
	err = esfd_randobj_new(&is->ro, esfd_now(d), pol->rand_lifetime, &kg, 1, &pr, 1);
	if (err) {
		refuse(d, peer, in->type, in->req_id, 5000, from, fromlen, strerror(-err));
		return;
	}
	is->req_id = in->req_id;
	m.rand = is->ro;
	log_info("peer %s: issued receiver rand object %s (request %016llx)", peer->id,
		 is->ro.id, (unsigned long long)in->req_id);
	answer(d, peer, &m, in->type, in->req_id, from, fromlen);
	explicit_bzero(&m, sizeof(m));
}

static struct esfd_issued *issued_find(struct esfd_peer_rt *rt, const char *id)
{
	size_t i;

	for (i = 0; i < ESFD_ISSUED_MAX; i++)
		if (rt->issued[i].ro.id[0] && !strcmp(rt->issued[i].ro.id, id))
			return &rt->issued[i];
	return NULL;
}

static void on_esprim_req(struct esfd *d, const struct esfd_peer *peer,
			  const struct esfd_msg *in, const struct sockaddr_storage *from,
			  socklen_t fromlen)
{
	const struct esfd_policy *pol = &d->cfg.policies[peer->policy];
	struct esfd_peer_rt *rt = &d->rt[peer_index(d, peer)];
	struct esfd_msg m = { .type = ESFD_MSG_ESPRIM };
	uint8_t skey[ESFD_KEY_LEN], kc[32], cls = 0;
	struct esfd_pair_keys pk;
	struct esprim_parsed p;
	struct esfd_randobj ro_o;
	struct esfd_issued *is;
	struct esfd_pair *pair;
	char *reply = NULL;
	int err, rsc = 0;
	const char *why = NULL;

	memset(&ro_o, 0, sizeof(ro_o));
	memset(&pk, 0, sizeof(pk));
	memset(skey, 0, sizeof(skey));
	memset(kc, 0, sizeof(kc));
	if (esprim_parse(in->esprim, &p)) {
		rsc = 4111;
		why = "not an esfd ESPrim Object";
	} else if (strcmp(hdr_str(&p, "kid"), peer->kpsa_id)) {
		rsc = 4112;
		why = "unknown key id";
	} else if (!(is = issued_find(rt, hdr_str(&p, "rri"))) || is->used) {
		rsc = 4114;
		why = "unknown or used receiver rand id";
	} else if (esfd_randobj_expired(&is->ro, esfd_now(d))) {
		rsc = 4114;
		why = "our receiver rand object has expired";
	} else if ((err = esfd_randobj_from_json(json_object_get(p.hdr, "oro"), esfd_now(d),
						 30 * 86400 + d->cfg.clock_skew, &ro_o))) {
		rsc = err == -EOPNOTSUPP ? 4111 : 4113;
		why = err == -EKEYEXPIRED ? "originator rand object expired" :
		      err == -EOPNOTSUPP ? "originator offers no supported algorithm" :
					   "originator rand object malformed or missing";
	} else if (strcmp(ro_o.id, hdr_str(&p, "ori"))) {
		rsc = 4113;
		why = "\"ori\" is not the id of \"oro\"";
	} else if (esfd_randobj_choose_prot(&is->ro, &ro_o) !=
		   esfd_esprim_prot(pol->key_bits)) {
		rsc = 4111;
		why = "no common ESPrim protocol and algorithm";
	} else if ((err = derive_session_key(d, peer, &is->ro, &ro_o, skey))) {
		rsc = err == -EKEYEXPIRED ? 4113 : 5000;
		why = strerror(-err);
	} else if ((err = confirm_key(skey, true, kc)) ||
		   (err = esprim_open(&p, kc, &cls))) {
		rsc = 4115;
		why = "the ESPrim Object does not open (wrong key)";
	} else if (!(pol->data_classes & (1u << cls))) {
		rsc = 4111;
		why = "data class not allowed by the policy";
	} else if ((err = pair_keys(d, peer, cls, skey, &is->ro, &ro_o, &pk))) {
		rsc = 5000;
		why = strerror(-err);
	} else if (!same_pair(&p, &pk)) {
		rsc = 4111;
		why = "the two policies disagree on the algorithm or tag length";
	} else if ((err = esfd_pair_install(d, peer, cls, &pk, &is->ro, &ro_o, false, &pair))) {
		rsc = 5000;
		why = "installing the kernel sessions failed";
	} else {
		is->used = true;
		esfd_pair_promote(d, pair);
		rt->established++;
		d->established++;
		err = confirm_key(skey, false, kc);
		if (!err)
			err = esprim_seal(kc, peer->kpsa_id, ro_o.id, is->ro.id, NULL, &pk, cls,
					  &reply);
		if (!err) {
			m.esprim = reply;
			answer(d, peer, &m, in->type, in->req_id, from, fromlen);
			m.esprim = NULL;
		} else {
			log_err("peer %s: sealing the confirmation: %s", peer->id, strerror(-err));
		}
	}
	if (rsc)
		refuse(d, peer, in->type, in->req_id, rsc, from, fromlen, why);
	explicit_bzero(skey, sizeof(skey));
	explicit_bzero(kc, sizeof(kc));
	explicit_bzero(&pk, sizeof(pk));
	explicit_bzero(&ro_o, sizeof(ro_o));
	free(reply);
	json_decref(p.hdr);
	json_decref(p.body);
}

/* Originator side --------------------------------------------------------- */

static struct esfd_exch *exch_find(struct esfd *d, const char *peer_id, uint64_t req_id)
{
	struct esfd_exch *x;

	for (x = d->exchs; x; x = x->next)
		if (x->req_id == req_id && !strcmp(x->peer_id, peer_id))
			return x;
	return NULL;
}

static void exch_finish(struct esfd *d, struct esfd_exch *x, const struct esfd_pair *pair,
			int err, int rsc)
{
	struct esfd_exch **pp;
	struct esfd_pair *old;
	size_t i;

	for (i = 0; i < ESFD_WAITERS_MAX; i++)
		if (x->waiters[i] >= 0)
			esfd_ctl_reply_pair(d, x->waiters[i], pair, err, rsc);
	if (err) {
		d->failures++;
		log_warn("peer %s class %u: establishment failed: %s%s", x->peer_id,
			 x->data_class, strerror(-err), rsc ? " (refused by the peer)" : "");
		/* Let a later soft EXPIRE or request try again. */
		for (old = d->pairs; old; old = old->next) {
			if (old->seal_id == x->rekey_of) {
				old->rekeying = false;
				old->rekey_after = esfd_now(d) + 5;
			}
		}
	}
	for (pp = &d->exchs; *pp; pp = &(*pp)->next) {
		if (*pp == x) {
			*pp = x->next;
			break;
		}
	}
	free(x->frame);
	explicit_bzero(x, sizeof(*x));
	free(x);
}

void esfd_exch_free(struct esfd *d, struct esfd_exch *x, int err, int rsc)
{
	exch_finish(d, x, NULL, err, rsc);
}

static void exch_send(struct esfd *d, struct esfd_exch *x)
{
	const struct esfd_peer *peer = esfd_config_peer_by_id(&d->cfg, x->peer_id);

	if (peer)
		send_to(d, peer, x->frame, x->frame_len, NULL, 0);
	x->next_send_ms = esfd_now_ms(d) + ESFD_RETRANSMIT_MS;
}

int esfd_establish(struct esfd *d, const struct esfd_peer *peer, uint8_t data_class,
		   int waiter_fd, int timeout_ms, uint32_t rekey_of)
{
	const struct esfd_policy *pol = &d->cfg.policies[peer->policy];
	struct esfd_msg m = { 0 };
	struct sockaddr_storage ss;
	struct esfd_exch *x;
	socklen_t sl;
	size_t i;
	int err;

	if (data_class < 1 || data_class > 3 || !(pol->data_classes & (1u << data_class)))
		return -EPERM;
	err = peer_addr(d, peer, &ss, &sl);
	if (err)
		return err;
	for (x = d->exchs; x; x = x->next) {
		if (x->data_class != data_class || strcmp(x->peer_id, peer->id))
			continue;
		if (waiter_fd < 0)
			return -EALREADY;
		for (i = 0; i < ESFD_WAITERS_MAX; i++) {
			if (x->waiters[i] < 0) {
				x->waiters[i] = waiter_fd;
				return -EINPROGRESS;
			}
		}
		return -EBUSY;
	}
	x = calloc(1, sizeof(*x));
	if (!x)
		return -ENOMEM;
	for (i = 0; i < ESFD_WAITERS_MAX; i++)
		x->waiters[i] = -1;
	x->waiters[0] = waiter_fd;
	snprintf(x->peer_id, sizeof(x->peer_id), "%s", peer->id);
	x->data_class = data_class;
	x->rekey_of = rekey_of;
	x->state = EXCH_WAIT_RAND;
	if (getrandom(&x->req_id, sizeof(x->req_id), 0) != sizeof(x->req_id)) {
		free(x);
		return -EIO;
	}
	err = build(d, peer, &m, ESFD_MSG_RAND_REQ, x->req_id, &x->frame, &x->frame_len);
	if (err) {
		free(x);
		return err;
	}
	x->deadline_ms = esfd_now_ms(d) + (timeout_ms > 0 ? timeout_ms : ESFD_TIMEOUT_MS);
	x->next = d->exchs;
	d->exchs = x;
	log_info("peer %s class %u: asking for a receiver rand object (request %016llx)",
		 peer->id, data_class, (unsigned long long)x->req_id);
	exch_send(d, x);
	return -EINPROGRESS;
}

static void on_rand_resp(struct esfd *d, const struct esfd_peer *peer, struct esfd_exch *x,
			 const struct esfd_msg *in)
{
	const struct esfd_policy *pol = &d->cfg.policies[peer->policy];
	uint8_t kg = ESFD_KEYGEN_HMAC_SHA256, pr = (uint8_t)esfd_esprim_prot(pol->key_bits);
	struct esfd_msg m = { 0 };
	struct esfd_pair_keys pk;
	uint8_t kc[32];
	char *jwe = NULL;
	int err;

	memset(&pk, 0, sizeof(pk));
	if (in->status) {
		exch_finish(d, x, NULL, -ECONNREFUSED, in->status);
		return;
	}
	x->ro_r = in->rand;
	err = esfd_randobj_new(&x->ro_o, esfd_now(d), pol->rand_lifetime, &kg, 1, &pr, 1);
	if (!err && esfd_randobj_choose_prot(&x->ro_r, &x->ro_o) != pr)
		err = -EOPNOTSUPP;
	if (!err)
		err = derive_session_key(d, peer, &x->ro_r, &x->ro_o, x->skey);
	if (!err)
		err = confirm_key(x->skey, true, kc);
	if (!err)
		err = pair_keys(d, peer, x->data_class, x->skey, &x->ro_r, &x->ro_o, &pk);
	if (!err)
		err = esprim_seal(kc, peer->kpsa_id, x->ro_o.id, x->ro_r.id, &x->ro_o, &pk,
				  x->data_class, &jwe);
	explicit_bzero(kc, sizeof(kc));
	explicit_bzero(&pk, sizeof(pk));
	if (!err) {
		free(x->frame);
		x->frame = NULL;
		m.esprim = jwe;
		err = build(d, peer, &m, ESFD_MSG_ESPRIM, x->req_id, &x->frame, &x->frame_len);
	}
	free(jwe);
	if (err) {
		log_warn("peer %s: receiver rand object %s: %s", peer->id, x->ro_r.id,
			 strerror(-err));
		exch_finish(d, x, NULL, err, err == -EOPNOTSUPP ? 4111 : 0);
		return;
	}
	x->state = EXCH_WAIT_CONFIRM;
	log_debug("peer %s: got receiver rand object %s; sending ESPrim Object with oro %s",
		  peer->id, x->ro_r.id, x->ro_o.id);
	exch_send(d, x);
}

static void on_esprim_resp(struct esfd *d, const struct esfd_peer *peer, struct esfd_exch *x,
			   const struct esfd_msg *in)
{
	struct esfd_peer_rt *rt = &d->rt[peer_index(d, peer)];
	struct esfd_pair_keys pk;
	struct esprim_parsed p;
	struct esfd_pair *pair;
	uint8_t kc[32], cls = 0;
	int err;

	err = esprim_parse(in->esprim, &p);
	if (!err && (strcmp(hdr_str(&p, "kid"), peer->kpsa_id) ||
		     strcmp(hdr_str(&p, "ori"), x->ro_o.id) ||
		     strcmp(hdr_str(&p, "rri"), x->ro_r.id) || json_object_get(p.hdr, "oro")))
		err = -EPROTO;
	if (!err)
		err = confirm_key(x->skey, false, kc);
	if (!err)
		err = esprim_open(&p, kc, &cls);
	explicit_bzero(kc, sizeof(kc));
	json_decref(p.hdr);
	if (!err && cls != x->data_class)
		err = -EPROTO;
	if (err) {
		/* Not from the holder of the key: ignore it and keep waiting. */
		json_decref(p.body);
		log_warn("peer %s: ESPrim Object for request %016llx refused: %s", peer->id,
			 (unsigned long long)x->req_id, strerror(-err));
		d->drops[DROP_UNAUTH]++;
		return;
	}
	err = pair_keys(d, peer, cls, x->skey, &x->ro_r, &x->ro_o, &pk);
	/* The receiver checked the same; a mismatch here is a bug or a race
	 * with a reload.
	 */
	if (!err && !same_pair(&p, &pk))
		err = -EPROTO;
	json_decref(p.body);
	if (!err)
		err = esfd_pair_install(d, peer, cls, &pk, &x->ro_r, &x->ro_o, true, &pair);
	explicit_bzero(&pk, sizeof(pk));
	if (err) {
		exch_finish(d, x, NULL, err, 0);
		return;
	}
	if (x->rekey_of)
		d->rekeys++;
	esfd_pair_promote(d, pair);
	rt->established++;
	d->established++;
	exch_finish(d, x, pair, 0, 0);
}

void esfd_exch_timer(struct esfd *d)
{
	struct esfd_exch *x, *nx;
	int64_t now = esfd_now_ms(d);

	for (x = d->exchs; x; x = nx) {
		nx = x->next;
		if (now >= x->deadline_ms)
			exch_finish(d, x, NULL, -ETIMEDOUT, 0);
		else if (now >= x->next_send_ms)
			exch_send(d, x);
	}
}

/* Input ------------------------------------------------------------------ */

/* Drop log lines per window: a flood of garbage is counted exactly but
 * cannot flood the log.
 */
#define DROP_LOG_BURST 20
#define DROP_LOG_WINDOW_MS 10000

static void drop(struct esfd *d, enum esfd_drop why, const struct sockaddr_storage *from,
		 const char *detail)
{
	static int64_t window_start;
	static unsigned int logged;
	static uint64_t quiet;
	char host[INET6_ADDRSTRLEN + 8] = "?", port[8] = "?";
	int64_t now = esfd_now_ms(d);

	d->drops[why]++;
	if (now - window_start >= DROP_LOG_WINDOW_MS) {
		if (quiet)
			log_warn("%llu more dropped datagrams were not logged",
				 (unsigned long long)quiet);
		window_start = now;
		logged = 0;
		quiet = 0;
	}
	if (logged >= DROP_LOG_BURST) {
		quiet++;
		return;
	}
	logged++;
	getnameinfo((const struct sockaddr *)from, sizeof(*from), host, sizeof(host), port,
		    sizeof(port), NI_NUMERICHOST | NI_NUMERICSERV);
	log_warn("dropped a %s datagram from %s port %s: %s (%llu so far)", esfd_drop_name(why),
		 host, port, detail, (unsigned long long)d->drops[why]);
}

static enum esfd_drop classify(int err)
{
	switch (err) {
	case -ENOKEY:
	case -EBADMSG:
		return DROP_UNAUTH;
	case -EXDEV:
		return DROP_MISADDRESSED;
	case -ESTALE:
		return DROP_STALE;
	case -EPROTO:
	case -EPROTONOSUPPORT:
	case -EMSGSIZE:
	case -EOPNOTSUPP:
	case -EKEYEXPIRED:
		return DROP_MALFORMED;
	default:
		return DROP_OTHER;
	}
}

/* An authenticated response whose payload the codec refused (an expired or
 * unsupported rand object): end the exchange it answers with that reason
 * rather than let it time out. Only called after the tag has verified.
 */
static void fail_exchange_of(struct esfd *d, const uint8_t *buf, size_t len, int err)
{
	char sender[ESFD_ID_MAX + 1];
	struct esfd_exch *x;
	size_t sl;

	if (len < ESFD_MSG_HDR_LEN || buf[5] != ESFD_MSG_RAND_RESP)
		return;
	sl = esfd_get_be16(buf + 28);
	if (!sl || sl > ESFD_ID_MAX || ESFD_MSG_HDR_LEN + sl > len)
		return;
	memcpy(sender, buf + ESFD_MSG_HDR_LEN, sl);
	sender[sl] = '\0';
	x = exch_find(d, sender, esfd_get_be64(buf + 12));
	if (x && x->state == EXCH_WAIT_RAND)
		exch_finish(d, x, NULL, err, err == -EOPNOTSUPP ? 4111 : 0);
}

void esfd_transport_input(struct esfd *d)
{
	static uint8_t buf[ESFD_MSG_MAX + 1];
	struct sockaddr_storage from;
	const struct esfd_peer *peer;
	struct esfd_peer_rt *rt;
	struct esfd_msg_ctx ctx;
	struct esfd_exch *x;
	struct esfd_seen *s;
	struct esfd_msg m;
	socklen_t fl;
	ssize_t n;
	int err, budget = 64;
	size_t idx;

	while (budget--) {
		fl = sizeof(from);
		n = recvfrom(d->udp, buf, sizeof(buf), 0, (struct sockaddr *)&from, &fl);
		if (n < 0)
			return;
		d->rx++;
		ctx = (struct esfd_msg_ctx){
			.self_id = d->cfg.id, .now = esfd_now(d), .max_skew = d->cfg.clock_skew,
			.rand_max_lifetime = 30 * 86400 + d->cfg.clock_skew,
			.get_key = key_lookup, .arg = d,
		};
		err = (size_t)n > ESFD_MSG_MAX ? -EMSGSIZE :
		      esfd_msg_decode(buf, (size_t)n, &ctx, &m);
		if (err) {
			drop(d, classify(err), &from, esfd_msg_strerror(err));
			if (err == -EKEYEXPIRED || err == -EOPNOTSUPP)
				fail_exchange_of(d, buf, (size_t)n, err);
			continue;
		}
		/* The sender the tag was checked against, by id only. */
		peer = esfd_config_peer_by_id(&d->cfg, m.sender);
		idx = peer_index(d, peer);
		rt = &d->rt[idx];
		rt->rx++;
		log_debug("peer %s: type %u request %016llx", peer->id, m.type,
			  (unsigned long long)m.req_id);
		x = exch_find(d, peer->id, m.req_id);
		/*
		 * The peer's address (for peers configured without one) follows
		 * only frames that move something forward: a replayed frame,
		 * though authentic, must not redirect our traffic.
		 */
		if (m.type == ESFD_MSG_RAND_RESP && x) {
			if (x->state == EXCH_WAIT_RAND) {
				note_addr(rt, &from, fl);
				on_rand_resp(d, peer, x, &m);
			}
			else if (m.status)
				exch_finish(d, x, NULL, -ECONNREFUSED, m.status);
			else
				drop(d, DROP_UNMATCHED, &from, "second rand object");
		} else if (m.type == ESFD_MSG_ESPRIM && x && x->state == EXCH_WAIT_CONFIRM) {
			note_addr(rt, &from, fl);
			on_esprim_resp(d, peer, x, &m);
		} else if (m.type == ESFD_MSG_RAND_REQ || m.type == ESFD_MSG_ESPRIM) {
			s = seen_find(d, rt, m.type, m.req_id);
			if (s && s->resp && same_addr(&s->from, s->from_len, &from, fl)) {
				log_debug("peer %s: retransmitted request %016llx answered again",
					  peer->id, (unsigned long long)m.req_id);
				send_to(d, peer, s->resp, s->resp_len, &from, fl);
			} else if (s) {
				drop(d, DROP_REPLAY, &from, s->resp ?
				     "request id already seen from another address" :
				     "request id already seen");
			} else {
				note_addr(rt, &from, fl);
				if (m.type == ESFD_MSG_RAND_REQ)
					on_rand_req(d, peer, &m, &from, fl);
				else
					on_esprim_req(d, peer, &m, &from, fl);
			}
		} else if (m.type == ESFD_MSG_CERTKE) {
			drop(d, DROP_OTHER, &from, "ESCertKE is not implemented");
		} else {
			drop(d, DROP_UNMATCHED, &from, "response to no pending request");
		}
		esfd_msg_free(&m);
	}
}
