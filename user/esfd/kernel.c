// SPDX-License-Identifier: GPL-2.0
/*
 * esfd: kernel sessions. Each ESPrim key becomes a pair of esf.ko sessions
 * (SEAL towards the peer, OPEN from it), recorded in the state file so that
 * a restarted esfd adopts what it left in the kernel. Kernel events drive
 * rekeying (soft EXPIRE) and clean-up (hard EXPIRE, deletion by others).
 */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "esfd.h"
#include "enc.h"
#include "hmac.h"

/* A request handle and an event handle that also hears the controller
 * say when esf's family comes and goes.
 */
static int kernel_handles(struct esf_nl **nl, struct esf_nl **ev)
{
	int err = esf_nl_open(nl);

	*ev = NULL;
	if (err) {
		log_err("generic netlink family \"%s\": %s%s", ESF_GENL_NAME, strerror(-err),
			err == -ENOENT ? " (is esf.ko loaded?)" : "");
		return err;
	}
	err = esf_nl_open(ev);
	if (!err)
		err = esf_nl_events_subscribe(*ev);
	if (!err)
		err = esf_nl_family_watch(*ev);
	if (!err && fcntl(esf_nl_fd(*ev), F_SETFL, O_NONBLOCK))
		err = -errno;
	if (err) {
		log_err("kernel events: %s", strerror(-err));
		esf_nl_close(*nl);
		esf_nl_close(*ev);
		*nl = *ev = NULL;
	}
	return err;
}

int esfd_kernel_open(struct esfd *d)
{
	return kernel_handles(&d->nl, &d->nl_ev);
}

void esfd_kernel_close(struct esfd *d)
{
	esf_nl_close(d->nl);
	esf_nl_close(d->nl_ev);
	d->nl = d->nl_ev = NULL;
}

void esfd_kernel_free(struct esfd *d)
{
	free(d->restore);
	d->restore = NULL;
	d->n_restore = 0;
}

/* The 4-byte nonce salt of each direction: distinct, so that the two ends
 * sealing under one sessionESPrimKey never use the same nonce (the kernel
 * counter restarts at 0 in each SEAL session). The top bit says which way.
 */
static int direction_salt(const uint8_t skey[ESFD_KEY_LEN], bool from_originator,
			  uint8_t salt[ESF_SALT_LEN])
{
	static const char label[] = "esfd nonce salt";
	uint8_t msg[sizeof(label)], mac[32];
	struct esfd_buf iov = { msg, sizeof(msg) };
	int err;

	memcpy(msg, label, sizeof(label) - 1);
	msg[sizeof(label) - 1] = from_originator ? 1 : 2;
	err = esfd_hmac(ESFD_SHA256, skey, ESFD_KEY_LEN, &iov, 1, mac);
	if (!err) {
		memcpy(salt, mac, ESF_SALT_LEN);
		salt[0] = (uint8_t)((salt[0] & 0x7f) | (from_originator ? 0 : 0x80));
	}
	explicit_bzero(mac, sizeof(mac));
	return err;
}

/*
 * A MIC pair (hmac(sha256), classes 2 and 3 of an integrity-only policy):
 * the kernel's MIC sessions take no salt, so each direction gets its own
 * key instead, HMAC-SHA256(T(1), "esfd MIC direction" || 1 or 2), 1 for
 * what the originator signs. A JWS one end signed then does not verify at
 * the same end's VERIFY session: it cannot be reflected back to it.
 */
static bool is_mic(const struct esfd_pair_keys *k)
{
	return !strcmp(k->alg, "hmac(sha256)");
}

static int mic_key(const struct esfd_pair_keys *k, bool from_originator, uint8_t key[32])
{
	static const char label[] = "esfd MIC direction";
	uint8_t dir = from_originator ? 1 : 2;
	struct esfd_buf in[2] = { { label, sizeof(label) - 1 }, { &dir, 1 } };

	return esfd_hmac(ESFD_SHA256, k->key, k->key_len, in, 2, key);
}

/* The key and salt of one direction's session. */
static int direction_keys(const struct esfd_pair_keys *k, bool from_originator,
			  uint8_t mic[32], struct esf_nl_new *r)
{
	if (!is_mic(k))
		return direction_salt(k->salt_base, from_originator, r->salt);
	r->set &= ~ESF_NEW_SALT;
	r->key = mic;
	r->key_len = 32;
	return mic_key(k, from_originator, mic);
}

static void lifetimes(const struct esfd_policy *pol, int64_t remaining,
		      struct esf_nl_new *r)
{
	uint64_t hard = (uint64_t)remaining, soft;

	if (pol->hard.seconds && pol->hard.seconds < hard)
		hard = pol->hard.seconds;
	soft = hard / 10 * 9;
	if (pol->soft.seconds && pol->soft.seconds < soft)
		soft = pol->soft.seconds;
	if (!soft)
		soft = 1;
	r->hard.messages = pol->hard.messages;
	r->hard.bytes = pol->hard.bytes;
	r->hard.seconds = hard;
	r->soft.messages = pol->soft.messages;
	r->soft.bytes = pol->soft.bytes;
	r->soft.seconds = soft < hard ? soft : 0;
	r->set |= ESF_NEW_SOFT | ESF_NEW_HARD;
}

/*
 * An OPEN session that takes any IV: its replay record remembers the last
 * replay_window nonces. The hard message limit is that window, so no nonce
 * the session accepted is ever evicted and replayable; the hard seconds,
 * the rand objects' expiry, are the bound TS-0003 gives an ESPrim Object's
 * age. The soft limit at 90% makes esfd rekey before the window fills.
 */
static void open_any(struct esf_nl_new *r)
{
	uint64_t cap = r->replay_window;

	r->set |= ESF_NEW_NONCE_POLICY;
	r->nonce_policy = ESF_NONCE_ANY;
	if (!r->hard.messages || r->hard.messages > cap)
		r->hard.messages = cap;
	if (!r->soft.messages || r->soft.messages >= r->hard.messages)
		r->soft.messages = r->hard.messages / 10 * 9;
}

int esfd_pair_install(struct esfd *d, const struct esfd_peer *peer, uint8_t data_class,
		      const struct esfd_pair_keys *k, const struct esfd_randobj *ro_r,
		      const struct esfd_randobj *ro_o, bool originator,
		      struct esfd_pair **out)
{
	const struct esfd_policy *pol = &d->cfg.policies[peer->policy];
	int64_t now = esfd_now(d);
	int64_t exp = ro_r->expiry < ro_o->expiry ? ro_r->expiry : ro_o->expiry;
	struct esf_nl_session s;
	struct esf_nl_new r;
	struct esfd_pair *p;
	uint8_t mic[32];
	int err;

	if (d->kernel_down) {
		log_err("peer %s class %u: esf.ko is not loaded: no session installed", peer->id,
			data_class);
		return -ENODEV;
	}
	if (exp <= now)
		return -EKEYEXPIRED;
	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	memset(&r, 0, sizeof(r));
	r.alg = k->alg;
	r.key = k->key;
	r.key_len = k->key_len;
	r.set = ESF_NEW_SALT | ESF_NEW_DIRECTION | ESF_NEW_TAG_LEN | ESF_NEW_KEY_ID |
		ESF_NEW_REPLAY_WINDOW | ESF_NEW_SESSION_TYPE | ESF_NEW_DATA_CLASS |
		ESF_NEW_OWNER_UID | ESF_NEW_OWNER_GID | ESF_NEW_FLAGS;
	r.tag_len = k->tag_len;
	r.key_id_len = strlen(esfd_peer_kid(d, peer));
	memcpy(r.key_id, esfd_peer_kid(d, peer), r.key_id_len);
	r.replay_window = pol->replay_window;
	r.session_type = ESF_STYPE_SM;
	r.data_class = data_class;
	r.owner_uid = pol->owner_uid;
	r.owner_gid = pol->owner_gid;
	r.flags = pol->require_hw ? ESF_F_REQUIRE_HW : 0;
	/* The pin is for the policy's aead; class 1 is always gcm(aes). */
	if (pol->driver[0] && data_class != 1) {
		r.set |= ESF_NEW_DRIVER;
		r.driver = pol->driver;
	}
	lifetimes(pol, exp - now, &r);
	/* OPEN first: the peer may seal as soon as it learns we are ready. */
	r.direction = ESF_DIR_OPEN;
	if (pol->nonce_policy == ESF_NONCE_ANY)
		open_any(&r);
	err = direction_keys(k, !originator, mic, &r);
	if (!err)
		err = esf_nl_session_new(d->nl, &r, &s);
	if (err) {
		log_err("peer %s class %u: creating the OPEN session: %s%s%s", peer->id,
			data_class, strerror(-err), *esf_nl_errmsg(d->nl) ? ": " : "",
			esf_nl_errmsg(d->nl));
		explicit_bzero(mic, sizeof(mic));
		free(p);
		return err;
	}
	p->open_id = s.id;
	/* SEAL always makes esf nonces (salt || sequence): peers accept them. */
	r.direction = ESF_DIR_SEAL;
	r.set &= ~ESF_NEW_NONCE_POLICY;
	r.nonce_policy = 0;
	lifetimes(pol, exp - now, &r);
	err = direction_keys(k, originator, mic, &r);
	if (!err)
		err = esf_nl_session_new(d->nl, &r, &s);
	explicit_bzero(mic, sizeof(mic));
	if (err) {
		log_err("peer %s class %u: creating the SEAL session: %s%s%s", peer->id,
			data_class, strerror(-err), *esf_nl_errmsg(d->nl) ? ": " : "",
			esf_nl_errmsg(d->nl));
		esf_nl_session_del(d->nl, p->open_id);
		free(p);
		return err;
	}
	p->seal_id = s.id;
	snprintf(p->peer_id, sizeof(p->peer_id), "%s", peer->id);
	snprintf(p->kid, sizeof(p->kid), "%s", esfd_peer_kid(d, peer));
	snprintf(p->alg, sizeof(p->alg), "%s", k->alg);
	snprintf(p->ori, sizeof(p->ori), "%s", ro_o->id);
	snprintf(p->rri, sizeof(p->rri), "%s", ro_r->id);
	if (!esfd_peer_runtime_key(peer) && !peer->dynamic)
		esfd_kpsa_kcv(peer, p->kcv);
	p->data_class = data_class;
	p->originator = originator;
	p->created = now;
	p->expires = now + (int64_t)r.hard.seconds;
	p->next = d->pairs;
	d->pairs = p;
	log_info("peer %s class %u: sessions seal %u open %u installed (%s, %s by %s, %s, "
		 "kid %s, expires in %llds)", peer->id, data_class, p->seal_id, p->open_id,
		 originator ? "originator" : "receiver", p->alg, s.driver,
		 s.provider & ESF_PROVIDER_HW ? "hardware" : "CPU", p->kid,
		 (long long)(p->expires - now));
	*out = p;
	return 0;
}

/*
 * Retire every other current pair of (peer, class): make-before-break.
 * The originator installs its new pair last, after the receiver's answer,
 * so the receiver cannot know that the originator has it: as the receiver
 * the old pair keeps opening for ESFD_RETIRE_GRACE_RECEIVER, past the end
 * of every retransmission of the originator's request.
 */
static void retire_others(struct esfd *d, struct esfd_pair *keep)
{
	int grace = keep->originator ? ESFD_RETIRE_GRACE : ESFD_RETIRE_GRACE_RECEIVER;
	struct esfd_pair *p;

	for (p = d->pairs; p; p = p->next) {
		if (p == keep || p->retire_at || p->data_class != keep->data_class ||
		    strcmp(p->peer_id, keep->peer_id))
			continue;
		p->retire_at = esfd_now(d) + grace;
		p->await_use = !keep->originator;
		log_info("peer %s class %u: sessions seal %u open %u superseded by %u/%u; "
			 "they keep opening for %ds", p->peer_id, p->data_class, p->seal_id,
			 p->open_id, keep->seal_id, keep->open_id, grace);
	}
}

struct esfd_pair *esfd_pair_current(struct esfd *d, const char *peer_id, uint8_t data_class)
{
	struct esfd_pair *p, *best = NULL;

	for (p = d->pairs; p; p = p->next)
		if (!p->retire_at && p->data_class == data_class &&
		    !strcmp(p->peer_id, peer_id) && (!best || p->created > best->created))
			best = p;
	return best;
}

static void unlink_pair(struct esfd *d, struct esfd_pair *p)
{
	struct esfd_pair **pp;

	for (pp = &d->pairs; *pp; pp = &(*pp)->next) {
		if (*pp == p) {
			*pp = p->next;
			return;
		}
	}
}

/* Delete both kernel sessions of @p: 0, or the first failure other than
 * -ENOENT (a session already gone is what deleting it asks for).
 */
static int pair_delete(struct esfd *d, const struct esfd_pair *p)
{
	int e1 = esf_nl_session_del(d->nl, p->seal_id);
	int e2 = esf_nl_session_del(d->nl, p->open_id);

	if (e1 && e1 != -ENOENT)
		return e1;
	return e2 == -ENOENT ? 0 : e2;
}

void esfd_pair_remove(struct esfd *d, struct esfd_pair *p, const char *why)
{
	int err = pair_delete(d, p);

	log_info("peer %s class %u: sessions seal %u open %u removed (%s)%s%s", p->peer_id,
		 p->data_class, p->seal_id, p->open_id, why, err ? "; deletion failed: " : "",
		 err ? strerror(-err) : "");
	unlink_pair(d, p);
	free(p);
}

/*
 * SIGTERM: delete every pair. A pair whose sessions the kernel would not
 * delete stays listed (in memory and then in the state file), so that it
 * is not forgotten while still in the kernel: the next esfd adopts it or
 * deletes what is left of it (esfd_reconcile()). Return: how many stay.
 */
static size_t pairs_remove_all(struct esfd *d)
{
	struct esfd_pair *p, *nx;
	size_t left = 0;
	int err;

	for (p = d->pairs; p; p = nx) {
		nx = p->next;
		err = pair_delete(d, p);
		if (err) {
			left++;
			log_err("peer %s class %u: sessions seal %u open %u could not be deleted "
				"(%s): kept in the state file for the next esfd", p->peer_id,
				p->data_class, p->seal_id, p->open_id, strerror(-err));
			continue;
		}
		log_info("peer %s class %u: sessions seal %u open %u removed (esfd stopping)",
			 p->peer_id, p->data_class, p->seal_id, p->open_id);
		unlink_pair(d, p);
		free(p);
	}
	return left;
}

void esfd_kernel_shutdown(struct esfd *d)
{
	size_t left;

	/* SIGUSR1: hand the sessions over to the next esfd (an upgrade). */
	if (d->keep_sessions) {
		esfd_state_save(d);
		return;
	}
	left = pairs_remove_all(d);
	if (!left) {
		unlink(d->state_path);
		return;
	}
	log_err("%zu pairs could not be deleted; the state file %s keeps them for the next "
		"esfd", left, d->state_path);
	esfd_state_save(d);
}

/* State file ------------------------------------------------------------ */

/*
 * The Kpsa check value the state file records with each pair: the first 8
 * bytes of HMAC-SHA256(Kpsa, "esfd state Kpsa check value"), in hex. A
 * restarted esfd compares it with its configuration's Kpsa: a pair made
 * from a Kpsa that has since been replaced under the same KpsaId is not
 * adopted. One-way, and 64 bits: it tells keys apart without revealing one.
 */
void esfd_kpsa_kcv(const struct esfd_peer *peer, char out[ESFD_KCV_HEX + 1])
{
	static const char label[] = "esfd state Kpsa check value";
	struct esfd_buf in = { label, sizeof(label) - 1 };
	uint8_t mac[32];

	if (esfd_hmac(ESFD_SHA256, peer->kpsa, peer->kpsa_len, &in, 1, mac))
		out[0] = '\0';
	else
		esfd_hex_encode(mac, ESFD_KCV_HEX / 2, out);
	explicit_bzero(mac, sizeof(mac));
}

/* Written to a temporary file and renamed, so a crash leaves the old or
 * the new state, never half of one. It holds no key material.
 */
int esfd_state_save(struct esfd *d)
{
	json_t *arr = json_array(), *doc;
	struct esfd_pair *p;
	char tmp[4200];
	int err = 0, fd;
	FILE *f;

	d->state_dirty = false;
	if (!arr)
		return -ENOMEM;
	for (p = d->pairs; p; p = p->next)
		json_array_append_new(arr, json_pack("{s:s,s:s,s:s,s:s,s:i,s:I,s:I,s:s,s:s,s:b,s:I,s:I,s:I}",
			"peer", p->peer_id, "kid", p->kid, "kcv", p->kcv, "alg", p->alg,
			"class", p->data_class,
			"seal", (json_int_t)p->seal_id, "open", (json_int_t)p->open_id,
			"ori", p->ori, "rri", p->rri, "originator", p->originator,
			"created", (json_int_t)p->created, "expires", (json_int_t)p->expires,
			"retire_at", (json_int_t)p->retire_at));
	doc = json_pack("{s:i,s:s,s:o}", "version", 1, "id", d->cfg.id, "pairs", arr);
	if (!doc)
		return -ENOMEM;
	snprintf(tmp, sizeof(tmp), "%s.tmp", d->state_path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0) {
		err = -errno;
	} else {
		f = fdopen(fd, "w");
		if (!f || json_dumpf(doc, f, JSON_INDENT(1)) || fflush(f) || fsync(fd))
			err = -EIO;
		if (f)
			fclose(f);
		else
			close(fd);
		if (!err && rename(tmp, d->state_path))
			err = -errno;
	}
	json_decref(doc);
	if (err)
		log_err("state file %s: %s", d->state_path, strerror(-err));
	return err;
}

struct kdump {
	struct esf_nl_session *s;
	size_t n, cap;
};

static int dump_cb(const struct esf_nl_session *s, void *arg)
{
	struct kdump *k = arg;

	if (k->n == k->cap) {
		size_t cap = k->cap ? k->cap * 2 : 64;
		struct esf_nl_session *ns = realloc(k->s, cap * sizeof(*ns));

		if (!ns)
			return -ENOMEM;
		k->s = ns;
		k->cap = cap;
	}
	k->s[k->n++] = *s;
	return 0;
}

static const struct esf_nl_session *kfind(const struct kdump *k, uint32_t id)
{
	size_t i;

	for (i = 0; i < k->n; i++)
		if (k->s[i].id == id)
			return &k->s[i];
	return NULL;
}

/* Is this kernel session the one the state file recorded? */
static bool kmatch(const struct esf_nl_session *s, const char *kid, const char *alg,
		   unsigned int cls, uint8_t dir)
{
	return s && s->key_id_len == strlen(kid) && !memcmp(s->key_id, kid, s->key_id_len) &&
	       s->data_class == cls && s->direction == dir && !strcmp(s->alg, alg) &&
	       s->session_type == ESF_STYPE_SM;
}

/* A pair as the state file recorded it. */
struct recorded {
	const char *peer, *kid, *kcv, *alg, *ori, *rri;
	json_int_t cls;
	uint32_t seal, open;
	int64_t expires;
};

static bool recorded_read(json_t *e, struct recorded *r)
{
	r->peer = json_string_value(json_object_get(e, "peer"));
	r->kid = json_string_value(json_object_get(e, "kid"));
	r->kcv = json_string_value(json_object_get(e, "kcv"));
	r->alg = json_string_value(json_object_get(e, "alg"));
	r->ori = json_string_value(json_object_get(e, "ori"));
	r->rri = json_string_value(json_object_get(e, "rri"));
	r->cls = json_integer_value(json_object_get(e, "class"));
	r->seal = (uint32_t)json_integer_value(json_object_get(e, "seal"));
	r->open = (uint32_t)json_integer_value(json_object_get(e, "open"));
	r->expires = json_integer_value(json_object_get(e, "expires"));
	return r->peer && r->kid && r->alg && r->ori && r->rri && r->cls >= 1 && r->cls <= 3 &&
	       r->seal && r->open && strlen(r->alg) < sizeof(((struct esfd_pair *)0)->alg) &&
	       strlen(r->ori) <= ESFD_RAND_ID_MAX && strlen(r->rri) <= ESFD_RAND_ID_MAX &&
	       strlen(r->peer) <= ESFD_ID_MAX && strlen(r->kid) <= ESFD_KPSA_ID_MAX;
}

/*
 * Why a recorded pair whose two kernel sessions still exist may not be
 * adopted, or NULL when it may. The sessions were made under the
 * configuration of the esfd that left them: if what they derive from (the
 * Kpsa, its KpsaId, the credential kind) or who may use them (the policy's
 * owner-uid and owner-gid, which the kernel enforces) has changed since,
 * they must not keep serving. *@again says that the peer still wants a
 * pair of this class, made under the new configuration.
 */
static const char *adopt_refusal(struct esfd *d, const struct recorded *r,
				 const struct esf_nl_session *ks, const struct esf_nl_session *ko,
				 const struct esfd_peer *cp, bool *again)
{
	const struct esfd_policy *pol;
	char kcv[ESFD_KCV_HEX + 1];

	*again = false;
	if (!cp)
		return "the peer is no longer configured";
	pol = &d->cfg.policies[cp->policy];
	if (!(pol->data_classes & (1u << r->cls)))
		return "the policy no longer allows the class";
	if (r->expires <= esfd_now(d) || ks->state == ESF_STATE_EXPIRED ||
	    ko->state == ESF_STATE_EXPIRED)
		return "expired";
	*again = true;
	/* A certificate peer's key id changes with every ESCertKE and its key
	 * is not kept across restarts: its kernel sessions, checked by
	 * kmatch(), are what is adopted.
	 */
	if (esfd_peer_runtime_key(cp) != !(r->kcv && r->kcv[0]))
		return esfd_peer_runtime_key(cp) ? "the peer's key is made at run time now" :
		       "the state file does not say which Kpsa made the pair";
	if (!esfd_peer_runtime_key(cp) && strcmp(cp->kpsa_id, r->kid))
		return "the peer's KpsaId changed";
	if (!esfd_peer_runtime_key(cp)) {
		esfd_kpsa_kcv(cp, kcv);
		if (strcmp(kcv, r->kcv))
			return "the peer's Kpsa changed";
	}
	if (ks->owner_uid != pol->owner_uid || ko->owner_uid != pol->owner_uid ||
	    ks->owner_gid != pol->owner_gid || ko->owner_gid != pol->owner_gid)
		return "the policy's owner-uid or owner-gid changed";
	*again = false;
	return NULL;
}

static int adopt(struct esfd *d, const struct recorded *r, json_t *e,
		 const struct esf_nl_session *ks, const struct esf_nl_session *ko)
{
	struct esfd_pair *p = calloc(1, sizeof(*p));

	if (!p)
		return -ENOMEM;
	snprintf(p->peer_id, sizeof(p->peer_id), "%s", r->peer);
	snprintf(p->kid, sizeof(p->kid), "%s", r->kid);
	snprintf(p->kcv, sizeof(p->kcv), "%s", r->kcv ? r->kcv : "");
	snprintf(p->alg, sizeof(p->alg), "%s", r->alg);
	snprintf(p->ori, sizeof(p->ori), "%s", r->ori);
	snprintf(p->rri, sizeof(p->rri), "%s", r->rri);
	p->data_class = (uint8_t)r->cls;
	p->seal_id = r->seal;
	p->open_id = r->open;
	p->originator = json_is_true(json_object_get(e, "originator"));
	p->created = json_integer_value(json_object_get(e, "created"));
	p->expires = r->expires;
	p->retire_at = json_integer_value(json_object_get(e, "retire_at"));
	/* The timer rekeys it once the transport is up. */
	p->soft_expired = ks->state == ESF_STATE_SOFT_EXPIRED ||
			  ko->state == ESF_STATE_SOFT_EXPIRED;
	p->next = d->pairs;
	d->pairs = p;
	log_info("adopted peer %s class %u: sessions seal %u open %u", r->peer,
		 p->data_class, r->seal, r->open);
	return 0;
}

/* On start: the sessions a previous esfd recorded and left in the kernel
 * (it was killed, or crashed) are adopted when they still match the state
 * file and the configuration (adopt_refusal()), so applications keep
 * working through a daemon restart; the others are deleted, and those the
 * configuration still wants are established again (esfd_reestablish()).
 * Kernel sessions the state file does not name are not ours and are left
 * alone.
 */
int esfd_reconcile(struct esfd *d)
{
	struct kdump k = { 0 };
	json_error_t jerr;
	json_t *doc, *arr, *e;
	size_t i, adopted = 0, removed = 0;
	int err, tries = 0;
	char dir[4096], *slash;

	/* Its directory (/run/esfd) may not exist yet outside systemd. */
	snprintf(dir, sizeof(dir), "%s", d->state_path);
	slash = strrchr(dir, '/');
	if (slash && slash != dir) {
		*slash = '\0';
		if (mkdir(dir, 0755) && errno != EEXIST)
			log_warn("mkdir %s: %s", dir, strerror(errno));
	}
	doc = json_load_file(d->state_path, JSON_REJECT_DUPLICATES, &jerr);
	if (!doc) {
		if (access(d->state_path, F_OK) == 0)
			log_warn("state file %s unreadable (%s): starting empty", d->state_path,
				 jerr.text);
		return esfd_state_save(d);
	}
	do {
		k.n = 0;
		err = esf_nl_session_dump(d->nl, dump_cb, &k);
	} while (err == -EAGAIN && ++tries < 5);
	if (err) {
		log_err("reconcile: dumping kernel sessions: %s", strerror(-err));
		free(k.s);
		json_decref(doc);
		return err;
	}
	arr = json_object_get(doc, "pairs");
	json_array_foreach(arr, i, e) {
		const struct esf_nl_session *ks, *ko;
		const struct esfd_peer *cp;
		struct recorded r;
		const char *why;
		bool again = false;

		if (!recorded_read(e, &r))
			continue;
		ks = kfind(&k, r.seal);
		ko = kfind(&k, r.open);
		/* Ids are per boot of the module: only sessions that still carry
		 * the recorded key id, class and direction are the ones we made.
		 */
		if (!kmatch(ks, r.kid, r.alg, (unsigned int)r.cls, ESF_DIR_SEAL))
			ks = NULL;
		if (!kmatch(ko, r.kid, r.alg, (unsigned int)r.cls, ESF_DIR_OPEN))
			ko = NULL;
		cp = esfd_config_peer_by_id(&d->cfg, r.peer);
		why = ks && ko ? adopt_refusal(d, &r, ks, ko, cp, &again) :
		      "its kernel sessions are gone";
		if (!why && !adopt(d, &r, e, ks, ko)) {
			adopted++;
			continue;
		}
		if (ks)
			esf_nl_session_del(d->nl, r.seal);
		if (ko)
			esf_nl_session_del(d->nl, r.open);
		if (ks || ko) {
			removed++;
			log_info("not adopted: sessions %u/%u of peer %s class %u (%s): removed%s",
				 r.seal, r.open, r.peer, (unsigned int)r.cls, why ? why : "out of memory",
				 again ? "; establishing a new pair" : "");
		}
		if (again)
			d->rt[cp - d->cfg.peers].reestablish |= (uint8_t)(1u << r.cls);
	}
	log_info("reconciled with the kernel: %zu pairs adopted, %zu removed", adopted, removed);
	free(k.s);
	json_decref(doc);
	return esfd_state_save(d);
}

/* After the transport is open: new pairs for those esfd_reconcile() did not
 * adopt because the configuration changed, so that the peer, which may
 * still seal under the old pair, moves to one made under the new
 * configuration instead of waiting for an application to ask.
 */
void esfd_reestablish(struct esfd *d)
{
	size_t i;
	uint8_t cls;
	int err;

	for (i = 0; i < d->cfg.n_peers; i++) {
		for (cls = 1; cls <= 3; cls++) {
			if (!(d->rt[i].reestablish & (1u << cls)))
				continue;
			d->rt[i].reestablish &= (uint8_t)~(1u << cls);
			err = esfd_establish(d, &d->cfg.peers[i], cls, -1, ESFD_TIMEOUT_MS, 0);
			if (err != -EINPROGRESS && err != -EALREADY)
				log_err("peer %s class %u: establishing a new pair after restart: %s",
					d->cfg.peers[i].id, cls, strerror(-err));
		}
	}
}

/* Events ---------------------------------------------------------------- */

static struct esfd_pair *pair_of(struct esfd *d, uint32_t id)
{
	struct esfd_pair *p;

	for (p = d->pairs; p; p = p->next)
		if (p->seal_id == id || p->open_id == id)
			return p;
	return NULL;
}

static void rekey(struct esfd *d, struct esfd_pair *p, const char *why)
{
	const struct esfd_peer *peer = esfd_config_peer_by_id(&d->cfg, p->peer_id);
	int err;

	if (p->rekeying || p->retire_at || !peer)
		return;
	p->rekeying = true;
	log_info("peer %s class %u: rekeying (%s)", p->peer_id, p->data_class, why);
	err = esfd_establish(d, peer, p->data_class, -1, ESFD_TIMEOUT_MS * 2, p->seal_id);
	if (err != -EINPROGRESS) {
		/* -EALREADY: an establishment for this peer and class is under
		 * way; it retires this pair when it succeeds, else the timer
		 * tries again.
		 */
		p->rekeying = false;
		p->rekey_after = esfd_now(d) + 5;
		if (err != -EALREADY)
			log_err("peer %s class %u: rekey: %s", p->peer_id, p->data_class,
				strerror(-err));
	}
}

static void on_event(const struct esf_nl_event *ev, void *arg)
{
	struct esfd *d = arg;
	struct esfd_pair *p;

	if (ev->family_event) {
		/* Acted on once the batch is read (esfd_kernel_events()): the
		 * handle these events come on is replaced then.
		 */
		d->kmod_last = ev->family_event;
		if (ev->family_event == ESF_NL_FAMILY_DEL)
			d->kmod_del_seen = true;
		return;
	}
	p = pair_of(d, ev->session_id);
	if (!p)
		return;
	switch (ev->cmd) {
	case ESF_CMD_EXPIRE:
		if (ev->expire_kind == ESF_EXPIRE_SOFT) {
			p->soft_expired = true;
			rekey(d, p, "soft EXPIRE from the kernel");
		} else {
			esfd_pair_remove(d, p, "hard EXPIRE");
			esfd_state_save(d);
		}
		break;
	case ESF_CMD_SESSION_DEL:
		/* Someone else deleted half of a pair: drop the other half. */
		log_warn("session %u of peer %s deleted outside esfd", ev->session_id,
			 p->peer_id);
		esfd_pair_remove(d, p, "deleted outside esfd");
		esfd_state_save(d);
		break;
	case ESF_CMD_SESSION_FLUSH:
		break;
	}
}

/* Module unload and reload ----------------------------------------------
 *
 * Unloading esf.ko frees every session, in every namespace, and
 * unregisters the genetlink family: its id and events group go with it,
 * and the next load registers the family under a new id (the controller
 * allocates them cyclically). A daemon that kept its handles would talk to
 * a family that no longer exists and hear no more events; one that kept
 * its pairs would hand applications session ids that are gone, or that
 * the reloaded module gave to someone else's sessions. So esfd listens to
 * the controller: on DELFAMILY it forgets every pair (there is nothing
 * left to delete) and remembers those it had originated; on NEWFAMILY it
 * opens new handles and establishes those pairs again (the peers'
 * daemons lost theirs too), retrying every 5 s for ESFD_RESTORE_SECONDS.
 * Pairs it did not originate come back from their originator, or on
 * demand when an application asks.
 */
static void restore_add(struct esfd *d, const struct esfd_pair *p)
{
	struct esfd_restore *r;
	size_t i;

	for (i = 0; i < d->n_restore; i++)
		if (d->restore[i].data_class == p->data_class &&
		    !strcmp(d->restore[i].peer_id, p->peer_id))
			return;
	r = realloc(d->restore, (d->n_restore + 1) * sizeof(*r));
	if (!r) {
		log_err("peer %s class %u: out of memory: not established again after the "
			"module reload", p->peer_id, p->data_class);
		return;
	}
	d->restore = r;
	r = &d->restore[d->n_restore++];
	memset(r, 0, sizeof(*r));
	snprintf(r->peer_id, sizeof(r->peer_id), "%s", p->peer_id);
	r->data_class = p->data_class;
	r->until = esfd_now(d) + ESFD_RESTORE_SECONDS;
}

static void kernel_lost(struct esfd *d)
{
	size_t n = 0, again;
	struct esfd_pair *p;

	while ((p = d->pairs)) {
		if (p->originator && !p->retire_at)
			restore_add(d, p);
		d->pairs = p->next;
		free(p);
		n++;
	}
	again = d->n_restore;
	esfd_oneshot_flush(d, false);
	d->kernel_down = true;
	d->kmod_unloads++;
	log_warn("esf.ko unloaded: its sessions are gone; %zu pairs forgotten, %zu to establish "
		 "again when it is back", n, again);
	esfd_state_save(d);
}

static void restore_run(struct esfd *d)
{
	int64_t now = esfd_now(d);
	size_t i = 0;
	int err;

	while (i < d->n_restore) {
		struct esfd_restore *r = &d->restore[i];
		const struct esfd_peer *peer = esfd_config_peer_by_id(&d->cfg, r->peer_id);

		if (!peer || esfd_pair_current(d, r->peer_id, r->data_class) || now > r->until) {
			if (peer && now > r->until &&
			    !esfd_pair_current(d, r->peer_id, r->data_class))
				log_err("peer %s class %u: not established again after the module "
					"reload: giving up", r->peer_id, r->data_class);
			d->restore[i] = d->restore[--d->n_restore];
			continue;
		}
		if (now >= r->next_try) {
			r->next_try = now + 5;
			err = esfd_establish(d, peer, r->data_class, -1, ESFD_TIMEOUT_MS * 2, 0);
			if (err != -EINPROGRESS && err != -EALREADY)
				log_err("peer %s class %u: establishing again after the module "
					"reload: %s", r->peer_id, r->data_class, strerror(-err));
		}
		i++;
	}
}

/* esf.ko is loaded: its family is registered. Asked by a dump of the
 * controller's families, so that resolving the family afterwards cannot
 * make the kernel load it behind the operator's back (the family's module
 * alias would), and without /sys/module, which a container may not have.
 * An error answers "loaded": forgetting every pair on a false "unloaded"
 * would leave their sessions in the kernel with nobody to delete them.
 */
static bool module_live(void)
{
	int present = esf_nl_family_present();

	if (present < 0)
		log_warn("is esf.ko loaded? listing the genetlink families: %s",
			 strerror(-present));
	return present != 0;
}

static void kernel_back(struct esfd *d)
{
	struct esf_nl *nl, *ev;
	size_t i;

	/* Unloaded again since the NEWFAMILY just read: resolving the family
	 * by name would load it.
	 */
	if (!module_live())
		return;
	if (kernel_handles(&nl, &ev)) {
		log_err("esf.ko is back but its family cannot be reached: trying again");
		return;
	}
	esfd_kernel_close(d);
	d->nl = nl;
	d->nl_ev = ev;
	d->kernel_down = false;
	d->kmod_loads++;
	/* The retry window starts now, however long the module was away. */
	for (i = 0; i < d->n_restore; i++)
		d->restore[i].until = esfd_now(d) + ESFD_RESTORE_SECONDS;
	log_info("esf.ko is loaded again (family id %d): establishing %zu pairs again",
		 esf_nl_family_id(d->nl), d->n_restore);
	restore_run(d);
}

/* Events lost (the socket's buffer overflowed): was the family among them? */
static void kernel_verify(struct esfd *d)
{
	struct esf_nl *nl;

	if (!module_live()) {
		if (!d->kernel_down)
			kernel_lost(d);
		return;
	}
	if (esf_nl_open(&nl))
		return;
	if (d->kernel_down || esf_nl_family_id(nl) != esf_nl_family_id(d->nl)) {
		if (!d->kernel_down)
			kernel_lost(d);
		kernel_back(d);
	}
	esf_nl_close(nl);
}

void esfd_kernel_events(struct esfd *d)
{
	int err, n = 0;

	d->kmod_last = 0;
	d->kmod_del_seen = false;
	do {
		err = esf_nl_events_read(d->nl_ev, on_event, d);
	} while (!err && ++n < 64);
	if (err && err != -EAGAIN)
		log_warn("kernel events: %s", strerror(-err));
	if (d->kmod_del_seen && !d->kernel_down)
		kernel_lost(d);
	if (d->kmod_last == ESF_NL_FAMILY_NEW) {
		/* A NEWFAMILY without its DELFAMILY: the id changed all the same. */
		if (!d->kernel_down)
			kernel_lost(d);
		kernel_back(d);
	} else if (err == -ENOMEM) {
		/* libnl says ENOMEM for the socket's ENOBUFS: events were
		 * dropped, perhaps the controller's.
		 */
		kernel_verify(d);
	}
}

/*
 * A pair superseded at the receiver waits for the originator's last
 * retransmission (ESFD_RETIRE_GRACE_RECEIVER), unless the originator shows
 * sooner that it has the new pair: a record it sealed under the current
 * pair opened in that pair's OPEN session (the kernel counts successful
 * opens only). The usual grace is then all that is left. Looked at once a
 * second. Return: whether @p's retirement moved.
 */
static bool successor_seen(struct esfd *d, struct esfd_pair *p, int64_t now)
{
	const struct esfd_pair *cur = esfd_pair_current(d, p->peer_id, p->data_class);
	struct esf_nl_session s;

	p->use_checked = now;
	if (!cur || esf_nl_session_get(d->nl, cur->open_id, &s) || !s.stats[ESF_STATS_A_OPEN])
		return false;
	p->await_use = false;
	if (p->retire_at <= now + ESFD_RETIRE_GRACE)
		return false;
	p->retire_at = now + ESFD_RETIRE_GRACE;
	log_info("peer %s class %u: the originator uses sessions %u/%u; the superseded seal %u "
		 "open %u keep opening for %ds", p->peer_id, p->data_class, cur->seal_id,
		 cur->open_id, p->seal_id, p->open_id, ESFD_RETIRE_GRACE);
	return true;
}

/* Retire pairs whose grace period is over, remove expired ones, retry
 * rekeys that have not happened yet.
 */
void esfd_pairs_timer(struct esfd *d)
{
	struct esfd_pair *p, *nx;
	int64_t now = esfd_now(d);
	bool changed = false;

	for (p = d->pairs; p; p = nx) {
		nx = p->next;
		if (p->retire_at && p->await_use && now != p->use_checked &&
		    successor_seen(d, p, now))
			changed = true;
		if (p->retire_at && now >= p->retire_at) {
			esfd_pair_remove(d, p, "retired after rekey");
			changed = true;
		} else if (now >= p->expires + 2) {
			esfd_pair_remove(d, p, "expired");
			changed = true;
		} else if (p->soft_expired && !p->rekeying && !p->retire_at &&
			   now >= p->rekey_after) {
			/* Adopted soft-expired, or the last attempt failed. */
			p->rekey_after = now + 5;
			rekey(d, p, "soft-expired pair still without a successor");
		}
	}
	if (changed)
		esfd_state_save(d);
	if (d->kernel_down) {
		/* A NEWFAMILY whose handles could not be opened: again, once
		 * a second, while the module is there.
		 */
		if (now != d->kmod_checked) {
			d->kmod_checked = now;
			if (d->kmod_loads < d->kmod_unloads && module_live())
				kernel_back(d);
		}
	} else if (d->n_restore) {
		restore_run(d);
	}
}

/* A peer that rekeys in a loop must not fill the kernel with retiring
 * pairs: beyond ESFD_RETIRING_MAX per peer and class the oldest go at once.
 */
static void retiring_cap(struct esfd *d, const struct esfd_pair *keep)
{
	struct esfd_pair *p, *oldest;
	size_t n;

	for (;;) {
		n = 0;
		oldest = NULL;
		for (p = d->pairs; p; p = p->next) {
			if (!p->retire_at || p->data_class != keep->data_class ||
			    strcmp(p->peer_id, keep->peer_id))
				continue;
			n++;
			if (!oldest || p->created < oldest->created ||
			    (p->created == oldest->created && p->seal_id < oldest->seal_id))
				oldest = p;
		}
		if (n <= ESFD_RETIRING_MAX)
			return;
		esfd_pair_remove(d, oldest, "too many retiring pairs");
	}
}

void esfd_pair_promote(struct esfd *d, struct esfd_pair *p)
{
	retire_others(d, p);
	retiring_cap(d, p);
	/* Written once this pass of the event loop is done: a server that
	 * installs a thousand pairs in one pass (static group authentication)
	 * would otherwise write the whole state a thousand times.
	 */
	d->state_dirty = true;
}

void esfd_state_flush(struct esfd *d)
{
	if (d->state_dirty)
		esfd_state_save(d);
}
