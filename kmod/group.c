// SPDX-License-Identifier: GPL-2.0
/*
 * Group sessions.
 *
 * A group key is shared by every member, and every member seals: nonce
 * uniqueness under the key cannot come from one counter, so each member
 * seals in a range of its own, its sender id in the top 16 bits of the
 * nonce's 64-bit sequence number (session.c sets the counter's range).
 * Opening keeps a window per sender for the same reason: the senders'
 * counters are unrelated, and one window would see every sender but the
 * fastest as too old.
 *
 * The key changes in epochs, make-before-break: the next key is installed
 * beside the current one (every member can then open it), each member
 * switches its SEAL to it, and the previous key is retired once late
 * records have drained. Records find their key by the salt in their nonce,
 * so the epochs need no room in the record. Keys live in transforms of
 * their own, allocated on the driver the session resolved at creation, and
 * a record holds a reference on its key while it runs, so that retiring
 * never frees a transform under an asynchronous provider.
 */

#include <crypto/aead.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <net/netlink.h>

#include "group.h"
#include "session.h"

#define SEQ_MASK	((1ULL << ESF_GROUP_SEQ_BITS) - 1)

static u32 sender_of(u64 seq)
{
	return seq >> ESF_GROUP_SEQ_BITS;
}

/**
 * esf_group_check() - may a session with these parameters be a group one?
 * @s: the session being created, its algorithm and nonce policy set
 * @p: what was asked for, p->group set
 * @extack: for the reason of a refusal
 *
 * Return: 0 or -EINVAL.
 */
int esf_group_check(const struct esf_session *s, const struct esf_session_params *p,
		    struct netlink_ext_ack *extack)
{
	const struct esf_group_params *gp = p->group;
	const struct esf_alg *alg = s->alg;

	/*
	 * The sender id lives in the nonce's sequence number: only the
	 * salt || sequence layouts have one to lend, and rfc4106 keeps the
	 * salt inside its key.
	 */
	if (alg->kind != ESF_KIND_AEAD || alg->framing ||
	    alg->id == ESF_ALG_RFC4106_GCM_AES || s->nonce_policy != ESF_NONCE_ESF) {
		NL_SET_ERR_MSG(extack,
			       "esf: group sessions are gcm(aes), ccm(aes) or authenc, nonce policy \"esf\"");
		return -EINVAL;
	}
	if (!gp->senders || gp->senders > ESF_GROUP_SENDERS_MAX ||
	    gp->sender >= gp->senders) {
		NL_SET_ERR_MSG(extack, "esf: the sender id must be below the group's senders");
		return -EINVAL;
	}
	if ((u64)gp->senders * p->replay_window > ESF_GROUP_REPLAY_BITS_MAX) {
		NL_SET_ERR_MSG(extack, "esf: senders * replay window > ESF_GROUP_REPLAY_BITS_MAX");
		return -EINVAL;
	}
	if (p->seq_start > SEQ_MASK) {
		NL_SET_ERR_MSG(extack, "esf: a group member's ESF_A_SEQ_START is below 2^48");
		return -EINVAL;
	}
	return 0;
}

/* Keys ---------------------------------------------------------------------- */

static void gkey_free(struct esf_gkey *k)
{
	crypto_free_aead(k->aead);	/* crypto_destroy_tfm() wipes the key */
	kfree(k);
}

static void gkey_free_work(struct work_struct *work)
{
	gkey_free(container_of(to_rcu_work(work), struct esf_gkey, free_work));
}

/**
 * esf_gkey_put() - drop a reference on an epoch's key
 * @k: the key, or NULL
 *
 * Any context: the last put frees the transform from a workqueue, after
 * an RCU grace period (lookups find keys under RCU).
 */
void esf_gkey_put(struct esf_gkey *k)
{
	if (k && refcount_dec_and_test(&k->ref))
		esf_session_defer(&k->free_work);
}

/*
 * A key for epoch @epoch on the session's own driver, so that every epoch
 * runs where the first one does, and with a request context no larger
 * than the one the front ends sized their requests for.
 */
static struct esf_gkey *gkey_alloc(struct esf_session *s, u32 epoch, const u8 *key,
				   unsigned int key_len, const u8 *salt,
				   struct netlink_ext_ack *extack)
{
	struct esf_gkey *k = kzalloc(sizeof(*k), GFP_KERNEL);
	int err;

	if (!k)
		return ERR_PTR(-ENOMEM);
	k->aead = crypto_alloc_aead(esf_session_driver(s), 0, 0);
	if (IS_ERR(k->aead)) {
		err = PTR_ERR(k->aead);
		kfree(k);
		NL_SET_ERR_MSG(extack, "esf: the session's driver is gone");
		return ERR_PTR(err);
	}
	err = -EINVAL;
	if (crypto_aead_reqsize(k->aead) > s->reqsize) {
		NL_SET_ERR_MSG(extack, "esf: the driver's request size changed");
		goto fail;
	}
	err = crypto_aead_setauthsize(k->aead, s->tag_len);
	if (err) {
		NL_SET_ERR_MSG(extack, "esf: the provider rejected the tag length");
		goto fail;
	}
	err = s->alg->aead_key(k->aead, salt, key, key_len);
	if (err) {
		NL_SET_ERR_MSG(extack, "esf: the provider rejected the key");
		goto fail;
	}
	refcount_set(&k->ref, 1);
	k->epoch = epoch;
	memcpy(k->salt, salt, ESF_SALT_LEN);
	INIT_RCU_WORK(&k->free_work, gkey_free_work);
	return k;
fail:
	gkey_free(k);
	return ERR_PTR(err);
}

/* The keys held, for their writer. */
static struct esf_gkeys *held(const struct esf_group *g)
{
	return rcu_dereference_protected(g->keys, lockdep_is_held(&g->lock));
}

static struct esf_gkey *slot(const struct esf_group *g, enum esf_gkey_slot i)
{
	return held(g)->k[i];
}

/* A copy of the keys held, to change and publish(); NULL without memory. */
static struct esf_gkeys *edit(const struct esf_group *g)
{
	return kmemdup(held(g), sizeof(struct esf_gkeys), GFP_KERNEL);
}

static void publish(struct esf_group *g, struct esf_gkeys *next)
{
	struct esf_gkeys *old = held(g);

	rcu_assign_pointer(g->keys, next);
	kfree_rcu(old, rcu);
}

/* Creation and freeing ------------------------------------------------------ */

static void free_windows(struct esf_group *g)
{
	u32 i;

	for (i = 0; i < g->senders; i++)
		esf_replay_free(&g->replay[i]);
	kvfree(g->replay);
}

static int alloc_windows(struct esf_group *g, u32 window)
{
	u32 i;
	int err;

	g->replay = kvcalloc(g->senders, sizeof(*g->replay), GFP_KERNEL);
	if (!g->replay)
		return -ENOMEM;
	for (i = 0; i < g->senders; i++) {
		err = esf_replay_init(&g->replay[i], window, false);
		if (err)
			goto fail;
	}
	return 0;
fail:
	/* esf_replay_free() of a zeroed, never initialised window is a no-op. */
	free_windows(g);
	return err;
}

/**
 * esf_group_create() - make a session being created a group session
 * @s: the session: transform allocated, s->salt the first epoch's salt
 * @gp: senders, this member's sender id, the first epoch
 * @window: each sender's replay window
 * @key: the first epoch's key, not kept
 * @key_len: its length
 * @extack: for the reason of a failure
 *
 * Return: 0, or a negative errno with nothing left allocated.
 */
int esf_group_create(struct esf_session *s, const struct esf_group_params *gp,
		     u32 window, const u8 *key, unsigned int key_len,
		     struct netlink_ext_ack *extack)
{
	struct esf_group *g = kzalloc(sizeof(*g), GFP_KERNEL);
	struct esf_gkeys *keys = kzalloc(sizeof(*keys), GFP_KERNEL);
	struct esf_gkey *k;
	int err = -ENOMEM;

	if (!g || !keys)
		goto fail;
	mutex_init(&g->lock);
	g->senders = gp->senders;
	g->sender = gp->sender;
	g->window = window;
	err = alloc_windows(g, window);
	if (err)
		goto fail;
	k = gkey_alloc(s, gp->epoch, key, key_len, s->salt, extack);
	if (IS_ERR(k)) {
		err = PTR_ERR(k);
		free_windows(g);
		goto fail;
	}
	keys->k[ESF_GKEY_CUR] = k;
	RCU_INIT_POINTER(g->keys, keys);
	s->group = g;
	return 0;
fail:
	kfree(keys);
	kfree(g);
	return err;
}

/**
 * esf_group_free() - free a group session's keys and windows
 * @s: the session, being freed: no record runs on it any more
 */
void esf_group_free(struct esf_session *s)
{
	struct esf_group *g = s->group;
	struct esf_gkeys *keys;
	struct esf_gkey *k;
	int i;

	if (!g)
		return;
	/* No reader is left: the session's last reference went a grace period ago. */
	keys = rcu_dereference_protected(g->keys, true);
	for (i = 0; i < ESF_GKEY_SLOTS; i++) {
		k = keys->k[i];
		/* The last reference here: free at once, before the module may go. */
		if (k && refcount_dec_and_test(&k->ref))
			gkey_free(k);
	}
	kfree(keys);
	free_windows(g);
	mutex_destroy(&g->lock);
	kfree(g);
	s->group = NULL;
}

/* Epochs -------------------------------------------------------------------- */

static bool salt_held(const struct esf_group *g, const u8 *salt)
{
	struct esf_gkey *k;
	int i;

	for (i = 0; i < ESF_GKEY_SLOTS; i++) {
		k = slot(g, i);
		if (k && !memcmp(k->salt, salt, ESF_SALT_LEN))
			return true;
	}
	return false;
}

/* Caller holds g->lock and has checked the epoch, key length and salt. */
static int install_next(struct esf_session *s, u32 epoch, const u8 *key,
			unsigned int key_len, const u8 *salt,
			struct netlink_ext_ack *extack)
{
	struct esf_gkeys *next = edit(s->group);
	struct esf_gkey *k;

	if (!next)
		return -ENOMEM;
	k = gkey_alloc(s, epoch, key, key_len, salt, extack);
	if (IS_ERR(k)) {
		kfree(next);
		return PTR_ERR(k);
	}
	next->k[ESF_GKEY_NEXT] = k;
	publish(s->group, next);
	return 0;
}

/**
 * esf_group_epoch_new() - install the next epoch's key beside the current
 * @s: a group session
 * @epoch: its number, above the current epoch's
 * @key: the key, of the session's key length; not kept
 * @key_len: its length
 * @salt: its salt, unlike the salts of the keys held
 * @extack: for the reason of a refusal
 *
 * Return: 0, -EBUSY (a next key is installed), -EINVAL or -ENOMEM.
 */
int esf_group_epoch_new(struct esf_session *s, u32 epoch, const u8 *key,
			unsigned int key_len, const u8 *salt,
			struct netlink_ext_ack *extack)
{
	struct esf_group *g = s->group;
	int err = 0;

	mutex_lock(&g->lock);
	if (slot(g, ESF_GKEY_NEXT)) {
		NL_SET_ERR_MSG(extack, "esf: a next epoch is already installed");
		err = -EBUSY;
	} else if (epoch <= slot(g, ESF_GKEY_CUR)->epoch) {
		NL_SET_ERR_MSG(extack, "esf: the next epoch must be above the current one");
		err = -EINVAL;
	} else if (key_len != s->key_len) {
		NL_SET_ERR_MSG(extack, "esf: an epoch's key has the session's key length");
		err = -EINVAL;
	} else if (salt_held(g, salt)) {
		/* The salt is how OPEN tells the epochs apart. */
		NL_SET_ERR_MSG(extack, "esf: an epoch's salt must differ from the salts held");
		err = -EINVAL;
	}
	if (!err)
		err = install_next(s, epoch, key, key_len, salt, extack);
	mutex_unlock(&g->lock);
	return err;
}

/**
 * esf_group_epoch_switch() - SEAL under the next key from now on
 * @s: a group session
 * @epoch: if not NULL, the epoch the caller expects to switch to
 * @extack: for the reason of a refusal
 *
 * The current key becomes the previous one and keeps opening.
 *
 * Return: 0, -ENOENT (no next key), -EBUSY (a previous key is still held)
 * or -EINVAL (@epoch is not the next key's).
 */
int esf_group_epoch_switch(struct esf_session *s, const u32 *epoch,
			   struct netlink_ext_ack *extack)
{
	struct esf_group *g = s->group;
	struct esf_gkeys *keys;
	struct esf_gkey *next;
	int err = 0;

	mutex_lock(&g->lock);
	next = slot(g, ESF_GKEY_NEXT);
	if (!next) {
		NL_SET_ERR_MSG(extack, "esf: no next epoch installed");
		err = -ENOENT;
	} else if (slot(g, ESF_GKEY_PREV)) {
		NL_SET_ERR_MSG(extack, "esf: retire the previous epoch first");
		err = -EBUSY;
	} else if (epoch && *epoch != next->epoch) {
		NL_SET_ERR_MSG(extack, "esf: that is not the next epoch");
		err = -EINVAL;
	}
	keys = err ? NULL : edit(g);
	if (keys) {
		keys->k[ESF_GKEY_PREV] = keys->k[ESF_GKEY_CUR];
		keys->k[ESF_GKEY_CUR] = next;
		keys->k[ESF_GKEY_NEXT] = NULL;
		publish(g, keys);
	} else if (!err) {
		err = -ENOMEM;
	}
	mutex_unlock(&g->lock);
	return err;
}

/**
 * esf_group_epoch_retire() - drop the previous epoch's key
 * @s: a group session
 * @extack: for the reason of a refusal
 *
 * Records in flight under it finish; later ones fail with -ENOMSG.
 *
 * Return: 0 or -ENOENT (no previous key).
 */
int esf_group_epoch_retire(struct esf_session *s, struct netlink_ext_ack *extack)
{
	struct esf_group *g = s->group;
	struct esf_gkeys *keys = NULL;
	struct esf_gkey *prev;
	int err = 0;

	mutex_lock(&g->lock);
	prev = slot(g, ESF_GKEY_PREV);
	if (!prev) {
		NL_SET_ERR_MSG(extack, "esf: no previous epoch to retire");
		err = -ENOENT;
	} else {
		keys = edit(g);
		err = keys ? 0 : -ENOMEM;
	}
	if (keys) {
		keys->k[ESF_GKEY_PREV] = NULL;
		publish(g, keys);
	}
	mutex_unlock(&g->lock);
	/* Readers may still find it in the set just replaced: hold() fails at 0. */
	if (!err)
		esf_gkey_put(prev);
	return err;
}

/* The fast path ------------------------------------------------------------- */

static struct esf_gkey *hold(struct esf_gkey *k)
{
	return k && refcount_inc_not_zero(&k->ref) ? k : NULL;
}

/**
 * esf_group_seal_key() - the key SEAL uses now, held
 * @s: a group session
 *
 * Return: the current key with a reference for the record, or NULL if it
 * was retired between the lookup and the reference (never in practice:
 * the current key is only replaced, and a replaced key stays held as the
 * previous one).
 */
struct esf_gkey *esf_group_seal_key(struct esf_session *s)
{
	struct esf_gkey *k;

	rcu_read_lock();
	k = hold(rcu_dereference(s->group->keys)->k[ESF_GKEY_CUR]);
	rcu_read_unlock();
	return k;
}

/**
 * esf_group_open_key() - the key of the epoch whose salt a record carries
 * @s: a group session
 * @salt: the record's salt, the nonce's first bytes
 *
 * Return: the key, held for the record, or NULL for a salt no epoch held
 * has.
 */
struct esf_gkey *esf_group_open_key(struct esf_session *s, const u8 *salt)
{
	struct esf_gkey *k, *found = NULL;
	struct esf_gkeys *keys;
	int i;

	rcu_read_lock();
	keys = rcu_dereference(s->group->keys);
	for (i = 0; i < ESF_GKEY_SLOTS && !found; i++) {
		k = keys->k[i];
		if (k && !memcmp(k->salt, salt, ESF_SALT_LEN))
			found = hold(k);
	}
	rcu_read_unlock();
	return found;
}

/**
 * esf_group_sender_ok() - may a record from this sender be opened here?
 * @s: a group session
 * @seq: the record's 64-bit sequence number, sender id on top
 *
 * A member's own records coming back are not another member's: refused
 * like a foreign salt.
 *
 * Return: 0 or -ENOMSG.
 */
int esf_group_sender_ok(const struct esf_session *s, u64 seq)
{
	u32 sender = sender_of(seq);

	if (sender >= s->group->senders || sender == s->group->sender)
		return -ENOMSG;
	return 0;
}

/* Caller has checked the sender with esf_group_sender_ok(). */
int esf_group_replay_check(struct esf_session *s, u64 seq)
{
	return esf_replay_check(&s->group->replay[sender_of(seq)], seq & SEQ_MASK);
}

int esf_group_replay_commit(struct esf_session *s, u64 seq)
{
	return esf_replay_commit(&s->group->replay[sender_of(seq)], seq & SEQ_MASK);
}

/* Reports ------------------------------------------------------------------- */

/**
 * esf_group_epoch() - the epoch number and salt of one of the keys held
 * @s: a group session
 * @which: which key
 * @epoch: receives its epoch
 * @salt: receives its salt (ESF_SALT_LEN bytes)
 *
 * Return: false if no key is in that slot.
 */
bool esf_group_epoch(const struct esf_session *s, enum esf_gkey_slot which,
		     u32 *epoch, u8 *salt)
{
	struct esf_gkey *k;
	bool held = false;

	rcu_read_lock();
	k = rcu_dereference(s->group->keys)->k[which];
	if (k) {
		*epoch = k->epoch;
		memcpy(salt, k->salt, ESF_SALT_LEN);
		held = true;
	}
	rcu_read_unlock();
	return held;
}

/**
 * esf_group_memory() - bytes of a group session's replay state
 * @s: a group session
 *
 * Return: every sender's window, its state and its bits, as allocated at
 * creation; it never grows.
 */
size_t esf_group_memory(const struct esf_session *s)
{
	const struct esf_group *g = s->group;

	return (size_t)g->senders *
	       (sizeof(*g->replay) + esf_replay_memory(&g->replay[0]));
}

/* One sender's top, if its window has seen a record. */
static bool sender_top(const struct esf_group *g, u32 i, u64 *top)
{
	struct esf_replay *r = &g->replay[i];
	unsigned long flags;
	bool seen;

	spin_lock_irqsave(&r->lock, flags);
	seen = r->seen;
	*top = r->top;
	spin_unlock_irqrestore(&r->lock, flags);
	return seen;
}

u32 esf_group_senders_seen(const struct esf_session *s)
{
	u32 i, n = 0;
	u64 top;

	for (i = 0; i < s->group->senders; i++)
		n += sender_top(s->group, i, &top);
	return n;
}

/**
 * esf_group_senders_state() - the senders a group session has opened from
 * @s: a group session
 * @first: the first sender id to look at
 * @out: receives up to @max entries, in sender order
 * @max: room in @out
 * @next: receives the sender id to continue from, or U32_MAX when none
 *	is left
 *
 * Return: the entries written.
 */
unsigned int esf_group_senders_state(const struct esf_session *s, u32 first,
				     struct esf_group_sender *out, unsigned int max,
				     u32 *next)
{
	const struct esf_group *g = s->group;
	unsigned int n = 0;
	u32 i;
	u64 top;

	for (i = first; i < g->senders && n < max; i++) {
		if (!sender_top(g, i, &top))
			continue;
		out[n].sender = i;
		out[n].top = top;
		n++;
	}
	*next = i < g->senders ? i : U32_MAX;
	return n;
}
