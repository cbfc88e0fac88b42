// SPDX-License-Identifier: GPL-2.0
/*
 * Mediator gateways (docs/esfd.md, "Mediator gateways"): the Ka/Kg variant
 * of the contribution on M2M area networks, clause 1. The core serves a
 * group (Ka) whose members include the gateway, and delegates it a block
 * of sender ids. The gateway serves its area network a group of its own
 * (Kg). It takes each epoch of Ka from the core and hands it to each of
 * its Kg members wrapped under a key derived from Kg, with a sender id of
 * the block: the devices seal under Ka end to end to the core, each with
 * its own nonces, and the core's kernel opens them.
 *
 * Three sides, three parts below: the device keeps, per epoch of Kg it
 * holds, the first step of the wrapping key; the mediator keeps Ka in
 * memory (never in its kernel: it relays, its applications do not read)
 * and wraps it for its devices; the core keeps a kernel session of its
 * own for Ka, as sender 0.
 *
 * What the gateway can do: it holds Ka, so it could read and forge what
 * its area network sends to the core. The variant trusts the gateway with
 * the key; it only spares the core one key per device.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "esfd.h"
#include "gkey.h"

static struct esfd_group_rt *rt_of(struct esfd *d, const struct esfd_group_conf *g)
{
	return &d->groups[g - d->cfg.groups];
}

static struct esfd_med_rt *med_of(struct esfd *d, const struct esfd_group_conf *g)
{
	struct esfd_group_rt *r = rt_of(d, g);

	if (!r->med)
		r->med = calloc(1, sizeof(*r->med));
	return r->med;
}

/* Device ------------------------------------------------------------------------ */

/* A new epoch of group @l arrived: keep its wrapping key if a group
 * comes to us wrapped under @l. The key itself stays in the kernel.
 */
void esfd_med_local_key(struct esfd *d, const struct esfd_group_conf *l,
			const struct esfd_gkey *k)
{
	struct esfd_med_rt *m;
	size_t i, slot = 0;
	bool wanted = false;

	for (i = 0; i < d->cfg.n_groups; i++)
		if (d->cfg.groups[i].via_set && d->cfg.groups[i].via == (size_t)(l - d->cfg.groups))
			wanted = true;
	m = wanted ? med_of(d, l) : NULL;
	if (!m)
		return;
	for (i = 0; i < ESFD_MED_KW; i++) {
		if (m->kw_epoch[i] == k->epoch)
			return;
		if (m->kw_epoch[i] < m->kw_epoch[slot])
			slot = i;	/* the oldest goes */
	}
	m->kw_epoch[slot] = 0;
	if (esfd_gkey_mkek_kw(k->key, k->key_len, l->id, m->kw[slot])) {
		OPENSSL_cleanse(m->kw[slot], sizeof(m->kw[slot]));
		return;
	}
	m->kw_epoch[slot] = k->epoch;
}

/* Open a core-side key from our mediator: under which of the local
 * epochs we hold it was wrapped the JWE does not say (the format is the
 * group key's), so each is tried; a wrong one fails its tag.
 */
int esfd_med_unwrap(struct esfd *d, const struct esfd_group_conf *g, const char *jwe,
		    const char *nnc, uint32_t min_epoch, struct esfd_gkey *k)
{
	const struct esfd_med_rt *m = d->groups[g->via].med;
	uint8_t kek[32];
	int err = -EBADMSG;
	size_t i;

	memset(k, 0, sizeof(*k));
	for (i = 0; m && i < ESFD_MED_KW; i++) {
		if (!m->kw_epoch[i])
			continue;
		err = esfd_gkey_mkek_dev(m->kw[i], g->id, d->cfg.id, kek);
		if (!err)
			err = esfd_gkey_unwrap(kek, jwe, g->id, nnc, min_epoch, k);
		OPENSSL_cleanse(kek, sizeof(kek));
		if (err != -EBADMSG)
			return err;
	}
	return err;
}

/* Mediator ------------------------------------------------------------------------ */

static const struct esfd_group_conf *local_of(const struct esfd *d,
					      const struct esfd_group_conf *g)
{
	return &d->cfg.groups[g->local];
}

static struct esfd_mdev *dev_get(struct esfd_med_rt *m, const char *id, bool add)
{
	struct esfd_mdev *v;
	size_t i;

	for (i = 0; i < m->n_devs; i++)
		if (!strcmp(m->devs[i].id, id))
			return &m->devs[i];
	if (!add)
		return NULL;
	v = realloc(m->devs, (m->n_devs + 1) * sizeof(*v));
	if (!v)
		return NULL;
	m->devs = v;
	v = &m->devs[m->n_devs++];
	memset(v, 0, sizeof(*v));
	snprintf(v->id, sizeof(v->id), "%s", id);
	return v;
}

/* The local member's core-side sender id: its place in the block. */
static uint16_t dev_sender(const struct esfd_group_conf *g, const struct esfd_group_conf *l,
			   size_t idx)
{
	return (uint16_t)(g->block_first + l->members[idx].sender - 1u);
}

/* Ka for local member @idx, wrapped under the current local epoch. */
static int wrap_dev(struct esfd *d, const struct esfd_group_conf *g, size_t idx,
		    const char *nnc, char **jwe)
{
	const struct esfd_group_conf *l = local_of(d, g);
	const struct esfd_group_rt *lr = rt_of(d, l);
	const struct esfd_peer *peer = &d->cfg.peers[l->members[idx].peer];
	struct esfd_gkey k = rt_of(d, g)->med->ka;
	uint8_t kek[32];
	int err;

	if (!lr->epoch) {
		esfd_gkey_wipe(&k);
		return -EAGAIN;		/* no local key made yet */
	}
	k.sender = dev_sender(g, l, idx);
	k.block_first = 0;
	k.block_last = 0;
	err = esfd_gkey_mkek(lr->key, lr->key_len, l->id, g->id, peer->id, kek);
	if (!err)
		err = esfd_gkey_wrap(kek, &k, nnc, jwe);
	OPENSSL_cleanse(kek, sizeof(kek));
	esfd_gkey_wipe(&k);
	return err;
}

static void push_dev(struct esfd *d, const struct esfd_group_conf *g, size_t idx)
{
	const struct esfd_group_conf *l = local_of(d, g);
	const struct esfd_peer *peer = &d->cfg.peers[l->members[idx].peer];
	struct esfd_med_rt *m = rt_of(d, g)->med;
	struct esfd_mdev *dev = dev_get(m, peer->id, true);
	struct esfd_greq *q = NULL;
	char *jwe = NULL;
	int err = dev ? wrap_dev(d, g, idx, NULL, &jwe) : -ENOMEM;

	if (!err)
		q = esfd_greq_new(d, g->id, peer, true, esfd_gky_content(jwe), NULL);
	free(jwe);
	if (!q) {
		log_err("group %s: cannot hand epoch %u to %s: %s", g->name, m->ka.epoch, peer->id,
			strerror(err ? -err : ENOMEM));
		return;
	}
	q->epoch = m->ka.epoch;
	q->held_before = dev->held;
	dev->held = m->ka.epoch;	/* it may hold it, unless it refuses */
	m->delivered++;
}

/* The current Ka to every current local member: only to them. */
static void push_all(struct esfd *d, const struct esfd_group_conf *g)
{
	const struct esfd_group_conf *l = local_of(d, g);
	struct esfd_greq *q, *nx;
	size_t i;

	for (q = d->greqs; q; q = nx) {
		nx = q->next;
		if (!q->ga && !q->fac && q->push && !strcmp(q->grp, g->id))
			esfd_greq_free(d, q);	/* superseded */
	}
	for (i = 0; i < l->n_members; i++)
		push_dev(d, g, i);
}

/* Ask the core for a new epoch: a pull that says "I hold none", which a
 * group's server answers with a new epoch when the member may hold the
 * current one (docs/esfd.md, "A restarted member"), as it does here.
 */
static void ask_afresh(struct esfd *d, const struct esfd_group_conf *g, const char *why)
{
	struct esfd_med_rt *m = med_of(d, g);

	if (!m || !m->ka.epoch || m->asked_above == m->ka.epoch)
		return;		/* nothing held yet, or asked already */
	m->asked_above = m->ka.epoch;
	log_info("group %s: asking %s for a new epoch (%s)", g->name,
		 d->cfg.peers[g->server].id, why);
	esfd_group_pull_afresh(d, g);
}

/* A key from the core for the group we mediate: check, keep, hand on. */
int esfd_med_take(struct esfd *d, const struct esfd_group_conf *g, const struct esfd_gkey *k,
		  const char **why)
{
	const struct esfd_policy *lp = &d->cfg.policies[local_of(d, g)->policy];
	struct esfd_med_rt *m = med_of(d, g);
	struct esfd_group_rt *r = rt_of(d, g);
	size_t aes = k->key_len - (strncmp(k->alg, "authenc", 7) ? 0 : 32);

	*why = "no memory";
	if (!m)
		return -ENOMEM;
	if (k->epoch == m->ka.epoch) {
		if (m->asked_above == k->epoch)
			log_warn("group %s: %s answered with epoch %u again: it did not rotate",
				 g->name, d->cfg.peers[g->server].id, k->epoch);
		m->asked_above = 0;
		return 0;
	}
	if (k->block_first != g->block_first || k->block_last != g->block_last) {
		log_err("group %s: %s delegates sender ids %u-%u, block says %u-%u: not mediating "
			"epoch %u", g->name, d->cfg.peers[g->server].id, k->block_first,
			k->block_last, g->block_first, g->block_last, k->epoch);
		*why = "the server delegated another block of sender ids than this mediator's";
		return -EKEYREJECTED;
	}
	if (aes * 8 > lp->key_bits) {
		log_err("group %s: a %zu-bit core-side key would go under [policy %s]'s %u-bit "
			"local key: not mediating epoch %u", g->name, aes * 8, lp->name,
			lp->key_bits, k->epoch);
		*why = "the local group's key is weaker than this key";
		return -EKEYREJECTED;
	}
	esfd_gkey_wipe(&m->ka);
	m->ka = *k;
	m->asked_above = 0;
	r->epoch = k->epoch;
	r->sender = k->sender;
	r->senders = k->senders;
	log_info("group %s: epoch %u of %s's key (sender ids %u-%u): handing it to [group %s]'s "
		 "members", g->name, k->epoch, d->cfg.peers[g->server].id, k->block_first,
		 k->block_last, local_of(d, g)->name);
	push_all(d, g);
	return 0;
}

/* A device's pull of the core-side key. */
int esfd_med_pull(struct esfd *d, const struct esfd_group_conf *g,
		  const struct esfd_peer *peer, const json_t *in, json_t **pc, const char **why)
{
	const struct esfd_group_conf *l = local_of(d, g);
	struct esfd_med_rt *m = rt_of(d, g)->med;
	int idx = esfd_group_member_index(d, l, peer);
	struct esfd_mdev *dev;
	const char *grp, *nnc;
	char *jwe = NULL;
	uint32_t have;

	if (esfd_gkp_read(in, &grp, &nnc, &have)) {
		*why = "esf:gkp must hold exactly grp, nnc (16 bytes, base64url) and have";
		return ESFD_RSC_BAD_REQUEST;
	}
	if (idx < 0) {
		*why = "not a member of the local group this gateway mediates to";
		return ESFD_RSC_ORIGINATOR_HAS_NO_PRIVILEGE;
	}
	if (!m || !m->ka.epoch) {
		*why = "the mediator holds no core-side key yet";
		return ESFD_RSC_NOT_FOUND;
	}
	dev = dev_get(m, peer->id, true);
	if (!dev) {
		*why = "no memory";
		return ESFD_RSC_INTERNAL_SERVER_ERROR;
	}
	/* Restarted while it may hold the current epoch: it would seal from
	 * sequence number 0 under it again. Only the core makes epochs.
	 */
	if (!have && dev->held == m->ka.epoch) {
		ask_afresh(d, g, "a device asked afresh while it may hold the current one");
		*why = "a new epoch is being asked of the core: pull again";
		return ESFD_RSC_INTERNAL_SERVER_ERROR;
	}
	if (wrap_dev(d, g, (size_t)idx, nnc, &jwe)) {
		*why = "the key could not be wrapped";
		return ESFD_RSC_INTERNAL_SERVER_ERROR;
	}
	*pc = esfd_gky_content(jwe);
	free(jwe);
	dev->held = m->ka.epoch;
	m->delivered++;
	log_info("group %s: epoch %u to %s (core-side sender %u), pulled (it held %u)", g->name,
		 m->ka.epoch, peer->id, dev_sender(g, l, (size_t)idx), have);
	return *pc ? ESFD_RSC_OK : ESFD_RSC_INTERNAL_SERVER_ERROR;
}

void esfd_med_answered(struct esfd *d, const struct esfd_group_conf *g,
		       const struct esfd_peer *peer, const struct esfd_greq *q,
		       const struct esfd_m2m_rsp *rsp)
{
	struct esfd_med_rt *m = rt_of(d, g)->med;
	struct esfd_mdev *dev = m ? dev_get(m, peer->id, false) : NULL;

	if (!dev)
		return;
	if (rsp->rsc == ESFD_RSC_OK) {
		if (q->epoch > dev->acked)
			dev->acked = q->epoch;
		return;
	}
	/* Refused: it did not install it, so it cannot have sealed under it. */
	if (dev->held == q->epoch)
		dev->held = q->held_before;
	log_info("group %s: %s refused epoch %u (oneM2M %d): it pulls when it is ready",
		 g->name, peer->id, q->epoch, rsp->rsc);
}

bool esfd_med_keeps(struct esfd *d, const struct esfd_group_conf *g,
		    const struct esfd_peer *peer)
{
	return g->mediates && esfd_group_member_index(d, local_of(d, g), peer) >= 0;
}

/*
 * The local group's members changed (a reload; @l has its new epoch
 * already). A device taken out holds the current Ka: only the core can
 * end that, with a new epoch, which goes to the remaining devices only,
 * under the new local epoch the removed one does not have. A device
 * added must not read what was sealed before it came: the same.
 */
void esfd_med_local_changed(struct esfd *d, const struct esfd_group_conf *l)
{
	size_t i;

	for (i = 0; i < d->cfg.n_groups; i++) {
		const struct esfd_group_conf *g = &d->cfg.groups[i];

		if (g->mediates && local_of(d, g) == l)
			ask_afresh(d, g, "the local group's members changed");
	}
}

/* Core: its own kernel session --------------------------------------------------- */

static int core_install(struct esfd *d, const struct esfd_group_conf *g,
			struct esfd_med_rt *m)
{
	const struct esfd_policy *pol = &d->cfg.policies[g->policy];
	const struct esfd_group_rt *r = rt_of(d, g);
	struct esf_nl_new n = { 0 };
	struct esf_nl_session s;
	int err;

	esfd_group_nl_new(d, g, &n);
	n.alg = esfd_aead_name(pol->aead);
	n.key = r->key;
	n.key_len = r->key_len;
	memcpy(n.salt, r->salt, sizeof(n.salt));
	n.tag_len = pol->tag_len;
	n.group_senders = g->senders;
	n.group_sender = 0;
	n.group_epoch = r->epoch;
	err = esf_nl_session_new(d->nl, &n, &s);
	if (err) {
		log_err("group %s: the core's own group session: %s%s%s", g->name, strerror(-err),
			*esf_nl_errmsg(d->nl) ? ": " : "", esf_nl_errmsg(d->nl));
		return err;
	}
	m->session = s.id;
	m->next = 0;
	m->prev = 0;
	log_info("group %s: session %u installed (sender 0, epoch %u): it opens what sender "
		 "ids %u-%u seal through the mediator", g->name, s.id, r->epoch, g->block_first,
		 g->block_last);
	return 0;
}

static void core_switch(struct esfd *d, const struct esfd_group_conf *g, struct esfd_med_rt *m)
{
	if (m->prev && !esf_nl_group_epoch_retire(d->nl, m->session, NULL))
		m->prev = 0;
	if (esf_nl_group_epoch_switch(d->nl, m->session, &m->next, NULL)) {
		log_err("group %s: switching session %u to epoch %u: %s", g->name, m->session,
			m->next, esf_nl_errmsg(d->nl));
		return;
	}
	m->prev = 1;	/* an epoch still opens until retired */
	m->next = 0;
	m->retire_at = esfd_now(d) + ESFD_GROUP_RETIRE;
}

/* The server made a new epoch (rotate()): beside the current one in its
 * own session, switched to when the members switch.
 */
void esfd_med_core_epoch(struct esfd *d, const struct esfd_group_conf *g)
{
	const struct esfd_group_rt *r = rt_of(d, g);
	struct esfd_med_rt *m = med_of(d, g);

	if (!m || !d->nl || d->kernel_down)
		return;
	if (!m->session) {
		core_install(d, g, m);
		return;
	}
	if (m->next)
		core_switch(d, g, m);
	if (esf_nl_group_epoch_new(d->nl, m->session, r->epoch, r->key, r->key_len, r->salt,
				   NULL)) {
		log_err("group %s: epoch %u into session %u: %s", g->name, r->epoch, m->session,
			esf_nl_errmsg(d->nl));
		return;
	}
	m->next = r->epoch;
	m->switch_at = r->switch_at;
}

/*
 * The core's session through time. Return: true when the server must make
 * a new epoch: the session went with esf.ko, and a new one under the same
 * key would seal as sender 0 from sequence number 0 again.
 */
bool esfd_med_core_timer(struct esfd *d, const struct esfd_group_conf *g)
{
	const struct esfd_group_rt *r = rt_of(d, g);
	struct esfd_med_rt *m = r->med;
	int64_t now = esfd_now(d);

	if (d->kernel_down) {
		if (m && m->session) {
			m->session = 0;
			m->lost = true;
		}
		return false;
	}
	if (!m || !m->session) {
		if (m && m->lost) {
			m->lost = false;
			return true;
		}
		if (r->epoch)
			esfd_med_core_epoch(d, g);	/* again, once the kernel is there */
		return false;
	}
	if (m->next && now >= m->switch_at)
		core_switch(d, g, m);
	if (m->prev && now >= m->retire_at && !esf_nl_group_epoch_retire(d->nl, m->session, NULL))
		m->prev = 0;
	return false;
}

/* Either side --------------------------------------------------------------------- */

void esfd_med_drop(struct esfd *d, struct esfd_group_rt *r)
{
	struct esfd_med_rt *m = r->med;

	if (!m)
		return;
	if (m->session && !d->kernel_down && esf_nl_session_del(d->nl, m->session))
		log_warn("deleting the core's group session %u failed", m->session);
	esfd_gkey_wipe(&m->ka);
	free(m->devs);
	OPENSSL_cleanse(m, sizeof(*m));
	free(m);
	r->med = NULL;
}

static json_t *devs_json(struct esfd *d, const struct esfd_group_conf *g)
{
	const struct esfd_group_conf *l = local_of(d, g);
	struct esfd_med_rt *m = rt_of(d, g)->med;
	json_t *arr = json_array();
	size_t i;

	for (i = 0; arr && i < l->n_members; i++) {
		const struct esfd_peer *p = &d->cfg.peers[l->members[i].peer];
		const struct esfd_mdev *v = m ? dev_get(m, p->id, false) : NULL;

		json_array_append_new(arr, json_pack("{s:s,s:s,s:i,s:I,s:I}", "peer", p->name,
						     "id", p->id, "sender",
						     (int)dev_sender(g, l, i), "epoch",
						     (json_int_t)(v ? v->held : 0), "acked",
						     (json_int_t)(v ? v->acked : 0)));
	}
	return arr;
}

json_t *esfd_med_json(struct esfd *d, const struct esfd_client *c,
		      const struct esfd_group_conf *g)
{
	const struct esfd_med_rt *m = rt_of(d, g)->med;

	if (g->serve && g->block_last) {
		json_t *j = json_pack("{s:s,s:[i,i]}", "delegate", d->cfg.peers[g->delegate].name,
				      "block", (int)g->block_first, (int)g->block_last);

		if (j && m && m->session && esfd_ctl_may_use(c, &d->cfg.policies[g->policy]))
			json_object_set_new(j, "session", json_integer(m->session));
		return j;
	}
	if (g->mediates)
		return json_pack("{s:s,s:[i,i],s:I,s:I,s:b,s:o}", "local", local_of(d, g)->name,
				 "block", (int)g->block_first, (int)g->block_last, "epoch",
				 (json_int_t)(m ? m->ka.epoch : 0), "delivered",
				 (json_int_t)(m ? m->delivered : 0), "asked",
				 m && m->asked_above, "devices", devs_json(d, g));
	if (g->via_set)
		return json_pack("{s:s}", "via", d->cfg.groups[g->via].name);
	return NULL;
}
