// SPDX-License-Identifier: GPL-2.0
/*
 * Sessions and the per-namespace session table.
 *
 * The table (an xarray keyed by id) holds one reference; every user (a
 * bound socket, a request in flight, a netlink reply being built) holds
 * another. Lookups run under RCU and take a reference only if the count is
 * not already zero; the last put frees the session after an RCU grace
 * period, in process context because freeing a transform may sleep.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <crypto/aead.h>
#include <crypto/hash.h>
#include <linux/cred.h>
#include <linux/jiffies.h>
#include <linux/module.h>
#include <linux/percpu.h>
#include <linux/slab.h>
#include <net/net_namespace.h>
#include <net/netlink.h>
#include <net/netns/generic.h>

#include "compat.h"
#include "netlink.h"
#include "session.h"

static unsigned int max_sessions = 1U << 20;
module_param(max_sessions, uint, 0644);
MODULE_PARM_DESC(max_sessions, "Most sessions one network namespace may hold (default 1048576)");

static unsigned int esf_net_id __read_mostly;
static struct workqueue_struct *esf_wq;

struct esf_net *esf_net(struct net *net)
{
	return net_generic(net, esf_net_id);
}

/* Provider classification ------------------------------------------------ */

/*
 * Off-CPU means a driver-only algorithm (CAAM and QAT mark theirs
 * CRYPTO_ALG_KERN_DRIVER_ONLY), or an asynchronous one that allocates memory
 * per request: hardware drivers set CRYPTO_ALG_ALLOCATES_MEMORY (all of
 * them since 5.9, virtio-crypto included), CPU code never does, and CPU
 * SIMD code, though asynchronous through cryptd, allocates nothing. Both
 * ASYNC and ALLOCATES_MEMORY are inherited by template instances, so the
 * transform's own algorithm answers for the whole stack, without lookups.
 */
static u32 classify(struct crypto_tfm *tfm)
{
	u32 cra = tfm->__crt_alg->cra_flags, flags = 0;

	if (cra & CRYPTO_ALG_ASYNC)
		flags |= ESF_PROVIDER_ASYNC;
	if ((cra & CRYPTO_ALG_KERN_DRIVER_ONLY) ||
	    ((cra & CRYPTO_ALG_ASYNC) && (cra & CRYPTO_ALG_ALLOCATES_MEMORY)))
		flags |= ESF_PROVIDER_HW;
	return flags;
}

/* Creation ----------------------------------------------------------------- */

/*
 * The transform that does a session's work on the text: for kw(aes)
 * sessions the content cipher, whose provider is what matters (the key
 * wrap is a few AES blocks on the CPU).
 */
static struct crypto_tfm *work_tfm(const struct esf_session *s)
{
	switch (s->alg->kind) {
	case ESF_KIND_AEAD:
		return crypto_aead_tfm(s->aead);
	case ESF_KIND_KW:
		return crypto_aead_tfm(s->cek_first);
	default:
		return crypto_ahash_tfm(s->ahash);
	}
}

/* The resolved provider, as the crypto API names it. */
const char *esf_session_driver(const struct esf_session *s)
{
	return crypto_tfm_alg_driver_name(work_tfm(s));
}

static void free_transform(struct esf_session *s)
{
	switch (s->alg->kind) {
	case ESF_KIND_AEAD:
		crypto_free_aead(s->aead);
		break;
	case ESF_KIND_KW:
		esf_cek_free(s);
		esf_cek_freekek(s);	/* wipes the KEK */
		break;
	default:
		crypto_free_ahash(s->ahash);
	}
}

static int alloc_transform(struct esf_session *s, const struct esf_session_params *p,
			   struct netlink_ext_ack *extack)
{
	const char *name = p->driver ?: s->alg->name;
	int err;

	if (s->alg->kind == ESF_KIND_KW) {
		/* The content cipher's transform; the KEK comes with the key. */
		err = esf_cek_init(s, p->driver, extack);
		if (err)
			return err;
		goto resolved;
	}
	if (s->alg->kind == ESF_KIND_AEAD) {
		s->aead = crypto_alloc_aead(name, 0, 0);
		err = PTR_ERR_OR_ZERO(s->aead);
	} else {
		s->ahash = crypto_alloc_ahash(name, 0, 0);
		err = PTR_ERR_OR_ZERO(s->ahash);
	}
	if (err) {
		/* The crypto API finds a template instance only by its full
		 * driver name, inner drivers included; for a name that mixes
		 * in algorithm names it fails with -ENOENT (6.1) or, having
		 * built the instance under its real name, -EEXIST (6.12).
		 * User space sees one answer.
		 */
		if (err == -EEXIST)
			err = -ENOENT;
		if (p->driver && strchr(p->driver, '('))
			NL_SET_ERR_MSG(extack, "esf: no such driver (name inner drivers too)");
		else if (p->driver)
			NL_SET_ERR_MSG(extack, "esf: no such driver for this kind of algorithm");
		else
			NL_SET_ERR_MSG(extack, "esf: algorithm not available in this kernel");
		return err;
	}
	if (strcmp(crypto_tfm_alg_name(work_tfm(s)), s->alg->name)) {
		NL_SET_ERR_MSG(extack, "esf: driver does not implement the session's algorithm");
		free_transform(s);
		return -EINVAL;
	}
resolved:
	if (s->alg->kind == ESF_KIND_MIC)
		s->reqsize = crypto_ahash_reqsize(s->ahash);
	else
		s->reqsize = crypto_aead_reqsize(s->alg->kind == ESF_KIND_KW ? s->cek_first :
							s->aead);
	s->provider = classify(work_tfm(s));
	if (p->driver)
		s->provider |= ESF_PROVIDER_PINNED;
	return 0;
}

static bool aes_key_len_ok(unsigned int len)
{
	return len == 16 || len == 24 || len == 32;
}

/* Key-wrap sessions always take the sender's IV. */
static bool any_policy(const struct esf_alg *alg, const struct esf_session_params *p)
{
	return alg->kind == ESF_KIND_KW || p->nonce_policy == ESF_NONCE_ANY;
}

static int check_params(const struct esf_alg *alg, const struct esf_session_params *p,
			struct netlink_ext_ack *extack)
{
	unsigned int tag = p->tag_len ?: alg->default_tag;

	if (!alg->key_ok(alg, p->key_len)) {
		NL_SET_ERR_MSG(extack, "esf: key length does not fit the algorithm");
		return -EINVAL;
	}
	if (!alg->tag_ok(alg, tag)) {
		NL_SET_ERR_MSG(extack, "esf: tag length not supported by the algorithm");
		return -EINVAL;
	}
	if (p->cek_len && (alg->kind != ESF_KIND_KW || !aes_key_len_ok(p->cek_len))) {
		NL_SET_ERR_MSG(extack, "esf: ESF_A_CEK_LEN is 16, 24 or 32, for kw(aes) sessions");
		return -EINVAL;
	}
	/* A key-wrap record's IV is the sender's: there is no other policy. */
	if (alg->kind == ESF_KIND_KW && p->nonce_policy == ESF_NONCE_ESF) {
		NL_SET_ERR_MSG(extack, "esf: kw(aes) sessions take any IV (nonce policy \"any\")");
		return -EINVAL;
	}
	/* A DTLS record's sequence number is in its header, its own policy. */
	if (p->nonce_policy == ESF_NONCE_ANY && alg->kind != ESF_KIND_KW &&
	    (alg->kind != ESF_KIND_AEAD || alg->nonce_len != ESF_NONCE_LEN || alg->prefix ||
	     alg->aad_suffix)) {
		NL_SET_ERR_MSG(extack, "esf: nonce policy \"any\" needs gcm(aes) or ccm(aes)");
		return -EINVAL;
	}
	/* The salt makes SEAL's nonces; an open-only "any" session has none to make. */
	if (alg->kind != ESF_KIND_MIC && !p->salt &&
	    !(any_policy(alg, p) && p->direction == ESF_DIR_OPEN)) {
		NL_SET_ERR_MSG(extack, "esf: AEAD sessions need ESF_A_SALT");
		return -EINVAL;
	}
	if (alg->kind == ESF_KIND_MIC && p->salt) {
		NL_SET_ERR_MSG(extack, "esf: MIC sessions take no salt");
		return -EINVAL;
	}
	return 0;
}

static u64 deadline(u64 now, u64 seconds)
{
	/* Lifetimes are at most ESF_LIFETIME_SECONDS_MAX: no overflow. */
	return seconds ? now + seconds * HZ : 0;
}

static void session_timer(struct timer_list *t);
static void free_work(struct work_struct *work);

static void copy_params(struct esf_session *s, const struct esf_session_params *p)
{
	s->id = p->id;
	s->session_flags = p->flags;
	s->key_len = p->key_len;
	if (p->salt)
		memcpy(s->salt, p->salt, ESF_SALT_LEN);
	s->direction = p->direction;
	s->tag_len = p->tag_len ?: s->alg->default_tag;
	s->nonce_policy = any_policy(s->alg, p) ? ESF_NONCE_ANY : ESF_NONCE_ESF;
	s->nonce_len = s->alg->nonce_len;
	if (s->alg->kind == ESF_KIND_KW) {
		/* The record starts with the wrapped content key, then the IV. */
		s->cek_len = p->cek_len ?: p->key_len;
		s->nonce_len = ESF_KW_ICV_LEN + s->cek_len + ESF_NONCE_LEN;
	}
	s->session_type = p->session_type;
	s->data_class = p->data_class;
	s->key_id_len = p->key_id_len;
	memcpy(s->key_id, p->key_id, p->key_id_len);
	s->owner_uid = p->owner_uid;
	s->owner_gid = p->owner_gid;
	s->seq_start = p->seq_start;
	/*
	 * The counter never wraps: U64_MAX is never used. A DTLS epoch ends
	 * where its 48-bit sequence number would run into the next epoch.
	 */
	s->seq_end = U64_MAX;
	if (s->alg->id == ESF_ALG_DTLS12_GCM_AES && (p->seq_start >> 48) != 0xffff)
		s->seq_end = ((p->seq_start >> 48) + 1) << 48;
	/* A group member seals in its own 48-bit range (group.c). */
	if (p->group)
		s->seq_end = ((u64)p->group->sender + 1) << ESF_GROUP_SEQ_BITS;
	s->soft = p->soft;
	s->hard = p->hard;
	s->counted = p->soft.messages || p->soft.bytes || p->hard.messages || p->hard.bytes;
	s->created = get_jiffies_64();
	s->soft_deadline = deadline(s->created, p->soft.seconds);
	s->hard_deadline = deadline(s->created, p->hard.seconds);
	atomic64_set(&s->seq, p->seq_start);
	if (p->group)
		atomic64_set(&s->seq, (u64)p->group->sender << ESF_GROUP_SEQ_BITS |
			     p->seq_start);
}

static int alloc_stats(struct esf_session *s)
{
	int cpu;

	s->stats = alloc_percpu(struct esf_stats);
	if (!s->stats)
		return -ENOMEM;
	for_each_possible_cpu(cpu)
		u64_stats_init(&per_cpu_ptr(s->stats, cpu)->syncp);
	return 0;
}

/**
 * esf_session_create() - build a session, its transform keyed
 * @net: the namespace whose table it will join, or NULL (self-tests)
 * @p: what was asked for; p->key is not kept
 * @extack: for the reason of a failure
 *
 * Return: the session, holding one reference, not yet in any table; or an
 * ERR_PTR.
 */
struct esf_session *esf_session_create(struct net *net,
				       const struct esf_session_params *p,
				       struct netlink_ext_ack *extack)
{
	const struct esf_alg *alg = esf_alg_find(p->alg, p->framing);
	struct esf_session *s;
	int err;

	if (!alg && p->framing && esf_alg_find(p->alg, 0)) {
		NL_SET_ERR_MSG(extack, "esf: this framing is for gcm(aes) only");
		return ERR_PTR(-EINVAL);
	}
	if (!alg) {
		NL_SET_ERR_MSG(extack, "esf: unsupported algorithm");
		return ERR_PTR(-ENOENT);
	}
	err = check_params(alg, p, extack);
	if (err)
		return ERR_PTR(err);

	s = kzalloc(sizeof(*s), GFP_KERNEL);
	if (!s)
		return ERR_PTR(-ENOMEM);
	s->alg = alg;
	s->net = net;
	copy_params(s, p);
	refcount_set(&s->ref, 1);
	timer_setup(&s->timer, session_timer, 0);
	INIT_RCU_WORK(&s->free_work, free_work);

	if (p->group) {
		err = esf_group_check(s, p, extack);
		if (err)
			goto err_free;
	}
	err = alloc_stats(s);
	if (err)
		goto err_free;
	/* A group session's windows are per sender, in its group. */
	err = esf_replay_init(&s->replay, alg->kind != ESF_KIND_MIC && !p->group ?
			      p->replay_window : 0, s->nonce_policy == ESF_NONCE_ANY);
	if (err)
		goto err_stats;
	err = alloc_transform(s, p, extack);
	if (err)
		goto err_replay;
	if ((p->flags & ESF_F_REQUIRE_HW) && !(s->provider & ESF_PROVIDER_HW)) {
		NL_SET_ERR_MSG(extack, "esf: required hardware, but the provider runs on the CPU");
		err = -ENODEV;
		goto err_tfm;
	}
	if (alg->kind == ESF_KIND_AEAD) {
		err = crypto_aead_setauthsize(s->aead, s->tag_len);
		if (err) {
			NL_SET_ERR_MSG(extack, "esf: the provider rejected the tag length");
			goto err_tfm;
		}
	}
	/*
	 * A group session's own transform stays unkeyed: it names the
	 * provider; each epoch's key has a transform of its own, so that
	 * retiring an epoch leaves no copy of its key behind.
	 */
	if (p->group)
		err = esf_group_create(s, p->group, p->replay_window, p->key, p->key_len,
				       extack);
	else
		err = alg->setkey(s, p->key, p->key_len);
	if (err) {
		if (!p->group)
			NL_SET_ERR_MSG(extack, "esf: the provider rejected the key");
		goto err_tfm;
	}
	return s;

err_tfm:
	free_transform(s);	/* crypto_destroy_tfm() wipes the key schedule */
err_replay:
	esf_replay_free(&s->replay);
err_stats:
	free_percpu(s->stats);
err_free:
	kfree(s);
	return ERR_PTR(err);
}

/**
 * esf_session_fill_info() - what a front end tells its users of a session
 * @s: the session
 * @info: filled in: what libesf needs to size buffers and build envelopes,
 *	never the key
 */
void esf_session_fill_info(const struct esf_session *s, struct esf_session_info *info)
{
	memset(info, 0, sizeof(*info));
	info->session_id = s->id;
	info->alg = s->alg->id;
	info->direction = s->direction;
	info->session_type = s->session_type;
	info->data_class = s->data_class;
	info->tag_len = s->tag_len;
	info->nonce_len = s->nonce_len;
	info->cek_len = s->cek_len;
	info->key_id_len = s->key_id_len;
	info->key_len = s->key_len;
	info->provider = s->provider;
	info->max_aad = s->alg->id == ESF_ALG_RFC4106_GCM_AES ? 12 :
			s->alg->id == ESF_ALG_DTLS12_GCM_AES ? 1 :
			s->alg->kind == ESF_KIND_MIC ? 0 : ESF_MAX_AAD;
	info->max_data = s->alg->id == ESF_ALG_DTLS12_GCM_AES ? ESF_DTLS_MAX_PLAIN : ESF_MAX_DATA;
	memcpy(info->key_id, s->key_id, s->key_id_len);
	strscpy(info->driver, esf_session_driver(s), sizeof(info->driver));
}

/* References and freeing --------------------------------------------------- */

static void free_work(struct work_struct *work)
{
	struct esf_session *s = container_of(to_rcu_work(work), struct esf_session,
					     free_work);

	esf_group_free(s);
	free_transform(s);
	esf_replay_free(&s->replay);
	free_percpu(s->stats);
	kfree(s);
}

/**
 * esf_session_defer() - free something after an RCU grace period
 * @work: an rcu_work whose function frees it
 *
 * On the module's workqueue, which module unload drains after its RCU
 * barrier, so nothing queued here outlives the module.
 */
void esf_session_defer(struct rcu_work *work)
{
	queue_rcu_work(esf_wq, work);
}

void esf_session_put(struct esf_session *s)
{
	if (s && refcount_dec_and_test(&s->ref))
		queue_rcu_work(esf_wq, &s->free_work);
}

/**
 * esf_session_get() - look up a live session and take a reference
 * @net: namespace
 * @id: session id
 *
 * Return: the session, or NULL if there is none (or it is being deleted).
 */
struct esf_session *esf_session_get(struct net *net, u32 id)
{
	struct esf_session *s;

	rcu_read_lock();
	s = xa_load(&esf_net(net)->sessions, id);
	if (s && (esf_session_dead(s) || !refcount_inc_not_zero(&s->ref)))
		s = NULL;
	rcu_read_unlock();
	return s;
}

/* The table ---------------------------------------------------------------- */

static void arm_timer(struct esf_session *s);

/**
 * esf_session_insert() - publish a new session in its namespace's table
 * @s: from esf_session_create(), with a non-NULL net
 * @extack: for the reason of a failure
 *
 * On success the table owns the creation reference and the caller holds
 * a second one, to be put when done with @s.
 *
 * Return: 0, -EEXIST (id in use), -ENOSPC (table full) or -ENOMEM.
 */
int esf_session_insert(struct esf_session *s, struct netlink_ext_ack *extack)
{
	struct esf_net *en = esf_net(s->net);
	int err;

	mutex_lock(&en->lock);
	if (en->count >= max_sessions) {
		NL_SET_ERR_MSG(extack, "esf: session table full (module parameter max_sessions)");
		err = -ENOSPC;
		goto out;
	}
	if (s->id) {
		err = xa_insert(&en->sessions, s->id, s, GFP_KERNEL);
		if (err == -EBUSY) {
			NL_SET_ERR_MSG(extack, "esf: session id in use");
			err = -EEXIST;
		}
	} else {
		err = xa_alloc_cyclic(&en->sessions, &s->id, s, XA_LIMIT(1, U32_MAX),
				      &en->next_id, GFP_KERNEL);
		if (err == -EBUSY) {
			NL_SET_ERR_MSG(extack, "esf: no free session id");
			err = -ENOSPC;
		}
		err = min(err, 0);	/* 1 means the ids wrapped: fine */
	}
	if (err)
		goto out;
	en->count++;
	atomic_inc(&en->gen);
	refcount_inc(&s->ref);
	arm_timer(s);
out:
	mutex_unlock(&en->lock);
	return err;
}

/* Caller holds en->lock; @s was just erased from the table. */
static void unpublish(struct esf_net *en, struct esf_session *s)
{
	set_bit(ESF_SF_DEAD, &s->flags);
	en->count--;
	atomic_inc(&en->gen);
}

/**
 * esf_session_remove() - take a session out of its table
 * @net: namespace
 * @id: session id
 *
 * Sockets bound to it see -ENOKEY from now on; requests in flight finish.
 *
 * Return: the session with the table's reference, now the caller's to put;
 * or NULL if there is no such session.
 */
struct esf_session *esf_session_remove(struct net *net, u32 id)
{
	struct esf_net *en = esf_net(net);
	struct esf_session *s;

	mutex_lock(&en->lock);
	s = xa_erase(&en->sessions, id);
	if (s)
		unpublish(en, s);
	mutex_unlock(&en->lock);
	if (s)
		timer_shutdown_sync(&s->timer);
	return s;
}

/**
 * esf_session_flush() - remove every session of a namespace
 * @net: namespace
 *
 * Return: how many were removed.
 */
unsigned int esf_session_flush(struct net *net)
{
	struct esf_net *en = esf_net(net);
	struct esf_session *s;
	unsigned int n = 0;
	unsigned long id;

	mutex_lock(&en->lock);
	xa_for_each(&en->sessions, id, s) {
		xa_erase(&en->sessions, id);
		unpublish(en, s);
		timer_shutdown_sync(&s->timer);
		esf_session_put(s);
		n++;
		cond_resched();
	}
	mutex_unlock(&en->lock);
	return n;
}

/**
 * esf_session_may_use() - may the current task use this session?
 * @s: session
 *
 * The owner, members of the owner group, and CAP_NET_ADMIN may.
 */
bool esf_session_may_use(const struct esf_session *s)
{
	if (uid_eq(current_fsuid(), s->owner_uid))
		return true;
	if (gid_valid(s->owner_gid) && in_group_p(s->owner_gid))
		return true;
	/* Not audited: dumps ask this of every session. */
	return ns_capable_noaudit(&init_user_ns, CAP_NET_ADMIN);
}

/* Counters ---------------------------------------------------------------- */

void esf_session_stat_add(struct esf_session *s, enum esf_stat stat, u64 n)
{
	struct esf_stats *st = get_cpu_ptr(s->stats);
	unsigned long flags;

	flags = u64_stats_update_begin_irqsave(&st->syncp);
	u64_stats_add(&st->v[stat], n);
	u64_stats_update_end_irqrestore(&st->syncp, flags);
	put_cpu_ptr(s->stats);
}

void esf_session_stats_sum(const struct esf_session *s, u64 out[ESF_STAT_NUM])
{
	u64 v[ESF_STAT_NUM];
	unsigned int start;
	int cpu, i;

	memset(out, 0, sizeof(u64) * ESF_STAT_NUM);
	for_each_possible_cpu(cpu) {
		const struct esf_stats *st = per_cpu_ptr(s->stats, cpu);

		do {
			start = u64_stats_fetch_begin(&st->syncp);
			for (i = 0; i < ESF_STAT_NUM; i++)
				v[i] = u64_stats_read(&st->v[i]);
		} while (u64_stats_fetch_retry(&st->syncp, start));
		for (i = 0; i < ESF_STAT_NUM; i++)
			out[i] += v[i];
	}
}

/* Lifetimes ---------------------------------------------------------------- */

/**
 * esf_session_expire() - a lifetime was crossed: mark it, tell user space
 * @s: session
 * @kind: soft (sent once) or hard (the session stops working)
 * @reason: which limit
 *
 * Any context. Sessions outside a table (self-tests) send no event.
 */
void esf_session_expire(struct esf_session *s, enum esf_expire_kind kind,
			enum esf_expire_reason reason)
{
	int bit = kind == ESF_EXPIRE_SOFT ? ESF_SF_SOFT_SENT : ESF_SF_EXPIRED;

	if (test_and_set_bit(bit, &s->flags))
		return;
	if (!s->net || esf_session_dead(s))
		return;
	esf_session_stat_add(s, ESF_STAT_EXPIRE_EVENTS, 1);
	esf_nl_notify_expire(s, kind, reason);
}

enum esf_state esf_session_state(const struct esf_session *s)
{
	if (esf_session_expired(s))
		return ESF_STATE_EXPIRED;
	if (test_bit(ESF_SF_SOFT_SENT, &s->flags))
		return ESF_STATE_SOFT_EXPIRED;
	return ESF_STATE_ACTIVE;
}

u64 esf_session_age(const struct esf_session *s)
{
	return div_u64(get_jiffies_64() - s->created, HZ);
}

static bool past(u64 when)
{
	return when && time_after_eq64(get_jiffies_64(), when);
}

/* Time limits are checked on use as well as by the timer, so a late timer
 * never lets a session be used past its hard deadline.
 */
static void check_time(struct esf_session *s)
{
	if (past(s->soft_deadline))
		esf_session_expire(s, ESF_EXPIRE_SOFT, ESF_EXPIRE_SECONDS);
	if (past(s->hard_deadline))
		esf_session_expire(s, ESF_EXPIRE_HARD, ESF_EXPIRE_SECONDS);
}

/* esf_session_usable() for a session dead, expired or with deadlines. */
int esf_session_usable_slow(struct esf_session *s)
{
	if (esf_session_dead(s))
		return -ENOKEY;
	if (s->hard_deadline || s->soft_deadline)
		check_time(s);
	if (esf_session_expired(s))
		return -EKEYEXPIRED;
	return 0;
}

/* Arm for the next deadline not yet passed; long waits go in steps because
 * a timer's expiry is an unsigned long of jiffies.
 */
static void arm_timer(struct esf_session *s)
{
	u64 now = get_jiffies_64(), next = 0;

	if (s->soft_deadline && !test_bit(ESF_SF_SOFT_SENT, &s->flags))
		next = s->soft_deadline;
	if (s->hard_deadline && !esf_session_expired(s) &&
	    (!next || s->hard_deadline < next))
		next = s->hard_deadline;
	if (!next || esf_session_dead(s))
		return;
	next = next > now ? next - now : 0;
	mod_timer(&s->timer, jiffies + min_t(u64, next, MAX_JIFFY_OFFSET / 2));
}

static void session_timer(struct timer_list *t)
{
	struct esf_session *s = timer_container_of(s, t, timer);

	check_time(s);
	arm_timer(s);
}

/* esf_session_reserve_seq() near the end of the counter: it expires there. */
int esf_session_reserve_seq_slow(struct esf_session *s, u64 *seq)
{
	s64 old = atomic64_read(&s->seq);

	do {
		if ((u64)old >= s->seq_end) {
			esf_session_expire(s, ESF_EXPIRE_HARD, ESF_EXPIRE_SEQUENCE);
			return -EKEYEXPIRED;
		}
	} while (!atomic64_try_cmpxchg(&s->seq, &old, old + 1));
	*seq = old;
	if ((u64)old + 1 == s->seq_end)
		esf_session_expire(s, ESF_EXPIRE_HARD, ESF_EXPIRE_SEQUENCE);
	return 0;
}

/* Add @n to @v unless that passes @limit (0: none). */
static __always_inline bool add_within(atomic64_t *v, u64 n, u64 limit, u64 *total)
{
	s64 old;

	if (!limit) {
		*total = atomic64_add_return(n, v);
		return true;
	}
	old = atomic64_read(v);
	do {
		if ((u64)old + n > limit)
			return false;
	} while (!atomic64_try_cmpxchg(v, &old, old + n));
	*total = old + n;
	return true;
}

static void check_usage(struct esf_session *s, u64 msgs, u64 bytes)
{
	if ((s->soft.messages && msgs >= s->soft.messages))
		esf_session_expire(s, ESF_EXPIRE_SOFT, ESF_EXPIRE_MESSAGES);
	else if (s->soft.bytes && bytes >= s->soft.bytes)
		esf_session_expire(s, ESF_EXPIRE_SOFT, ESF_EXPIRE_BYTES);
	if (s->hard.messages && msgs >= s->hard.messages)
		esf_session_expire(s, ESF_EXPIRE_HARD, ESF_EXPIRE_MESSAGES);
	else if (s->hard.bytes && bytes >= s->hard.bytes)
		esf_session_expire(s, ESF_EXPIRE_HARD, ESF_EXPIRE_BYTES);
}

/* esf_session_charge() for a session with a message or byte limit. */
int esf_session_charge_slow(struct esf_session *s, u64 bytes, bool reserve)
{
	u64 msgs, total;

	if (!add_within(&s->used_messages, 1, reserve ? s->hard.messages : 0, &msgs)) {
		esf_session_expire(s, ESF_EXPIRE_HARD, ESF_EXPIRE_MESSAGES);
		return -EKEYEXPIRED;
	}
	if (!add_within(&s->used_bytes, bytes, reserve ? s->hard.bytes : 0, &total)) {
		atomic64_dec(&s->used_messages);
		esf_session_expire(s, ESF_EXPIRE_HARD, ESF_EXPIRE_BYTES);
		return -EKEYEXPIRED;
	}
	check_usage(s, msgs, total);
	return 0;
}

/* Namespaces and module ---------------------------------------------------- */

static int __net_init esf_net_init(struct net *net)
{
	struct esf_net *en = esf_net(net);

	xa_init_flags(&en->sessions, XA_FLAGS_ALLOC1);
	mutex_init(&en->lock);
	/* Netlink reads a dump sequence of 0 as "unset": start at 1. */
	atomic_set(&en->gen, 1);
	en->next_id = 1;
	en->count = 0;
	return 0;
}

static void __net_exit esf_net_exit(struct net *net)
{
	struct esf_net *en = esf_net(net);

	esf_session_flush(net);
	xa_destroy(&en->sessions);
}

static struct pernet_operations esf_net_ops = {
	.init = esf_net_init,
	.exit = esf_net_exit,
	.id = &esf_net_id,
	.size = sizeof(struct esf_net),
};

int __init esf_session_init(void)
{
	int err;

	esf_wq = alloc_workqueue("esf", WQ_UNBOUND | WQ_MEM_RECLAIM, 0);
	if (!esf_wq)
		return -ENOMEM;
	err = register_pernet_subsys(&esf_net_ops);
	if (err)
		destroy_workqueue(esf_wq);
	return err;
}

void esf_session_exit(void)
{
	unregister_pernet_subsys(&esf_net_ops);
	/* Every put has queued its free by now; let the RCU callbacks run,
	 * then the frees they queued.
	 */
	rcu_barrier();
	destroy_workqueue(esf_wq);
}
