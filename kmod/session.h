/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Sessions: a key inside a crypto transform, with what it may be used for,
 * its counters and its lifetimes. Each network namespace has its own table.
 */
#ifndef _ESF_SESSION_H
#define _ESF_SESSION_H

#include <linux/atomic.h>
#include <linux/refcount.h>
#include <linux/spinlock.h>
#include <linux/timer.h>
#include <linux/u64_stats_sync.h>
#include <linux/uidgid.h>
#include <linux/workqueue.h>
#include <linux/xarray.h>
#include <uapi/linux/esf.h>

#include "cek.h"
#include "group.h"
#include "replay.h"

struct crypto_aead;
struct crypto_ahash;
struct esf_session;
struct net;
struct netlink_ext_ack;

enum esf_kind {
	ESF_KIND_AEAD,
	ESF_KIND_MIC,
	ESF_KIND_KW,	/* AEAD records under a fresh key per record, wrapped */
};

/*
 * DTLS 1.2 framing: a record's head is its header and explicit nonce; its
 * AAD is seq_num || type || version || length (RFC 5246 6.2.3.3).
 */
#define ESF_DTLS_HEAD_LEN	(ESF_DTLS_HEADER_LEN + ESF_DTLS_NONCE_LEN)
#define ESF_DTLS_AAD_LEN	13

/* How an algorithm lays out its records; see alg.c. */
struct esf_alg {
	const char *name;		/* cra_name */
	u8 id;				/* enum esf_alg_id */
	u8 kind;			/* enum esf_kind */
	u8 nonce_len;			/* bytes of nonce in a record (kw: per session) */
	u8 prefix;			/* bytes of nonce inside the AAD area */
	u8 aad_suffix;			/* bytes after the AAD inside the assoc */
	u8 pad_block;			/* the plaintext is padded to this */
	u8 default_tag;
	u8 framing;			/* enum esf_framing, 0: ESF_FRAMING_NONCE */
	bool (*key_ok)(const struct esf_alg *alg, unsigned int len);
	bool (*tag_ok)(const struct esf_alg *alg, unsigned int len);
	bool (*aad_ok)(unsigned int len);
	bool any_aad;			/* aad_ok() takes any length up to ESF_MAX_AAD */
	int (*setkey)(struct esf_session *s, const u8 *key, unsigned int len);
	/* AEAD: key a transform (the session's, or a group epoch's). */
	int (*aead_key)(struct crypto_aead *tfm, const u8 *salt, const u8 *key,
			unsigned int len);
	unsigned int digest_len;	/* MIC: the hash's output */
};

struct esf_lifetime {
	u64 messages;
	u64 bytes;
	u64 seconds;
};

enum esf_stat {
	ESF_STAT_SEAL,
	ESF_STAT_OPEN,
	ESF_STAT_SIGN,
	ESF_STAT_VERIFY,
	ESF_STAT_BYTES,
	ESF_STAT_AUTH_FAIL,
	ESF_STAT_REPLAY,
	ESF_STAT_TOO_OLD,
	ESF_STAT_EXPIRED,
	ESF_STAT_REFUSED,
	ESF_STAT_ERRORS,
	ESF_STAT_EXPIRE_EVENTS,
	ESF_STAT_ASYNC,
	ESF_STAT_BACKLOG,
	ESF_STAT_ZEROCOPY,
	ESF_STAT_FOREIGN,
	ESF_STAT_REPLAY_EVICTED,
	ESF_STAT_SOCKET,
	ESF_STAT_DEVICE,
	ESF_STAT_RESEAL,
	ESF_STAT_AGGREGATE,
	ESF_STAT_NUM
};

/* Per-CPU counters, summed by netlink GET. */
struct esf_stats {
	u64_stats_t v[ESF_STAT_NUM];
	struct u64_stats_sync syncp;
};

/* esf_session.flags bits */
enum {
	ESF_SF_SOFT_SENT,	/* soft EXPIRE event sent */
	ESF_SF_EXPIRED,		/* hard limit reached: unusable */
	ESF_SF_DEAD,		/* deleted from its table */
};

/* What SESSION_NEW asked for, validated by netlink.c or built by selftest.c. */
struct esf_session_params {
	u32 id;
	const char *alg;
	const char *driver;
	const u8 *key;
	unsigned int key_len;
	const u8 *salt;
	u8 direction;
	u8 tag_len;		/* 0: the algorithm's default */
	u8 session_type;
	u8 data_class;
	const u8 *key_id;
	unsigned int key_id_len;
	u32 replay_window;
	u8 nonce_policy;	/* 0: ESF_NONCE_ESF (kw: ESF_NONCE_ANY) */
	u8 framing;		/* 0: ESF_FRAMING_NONCE */
	u8 cek_len;		/* kw: content key bytes, 0: the key's length */
	u64 seq_start;
	struct esf_lifetime soft;
	struct esf_lifetime hard;
	kuid_t owner_uid;
	kgid_t owner_gid;
	u32 flags;
	const struct esf_group_params *group;	/* NULL: not a group session */
};

struct esf_session {
	/* Read-mostly: set at creation, never changed. */
	const struct esf_alg *alg;
	union {
		struct crypto_aead *aead;
		struct crypto_ahash *ahash;
		struct esf_aes_key *kek;	/* kw: the KEK's schedule (cek.c) */
	};
	/* kw: the content transforms, and the first of them for reports. */
	struct esf_cek_pool cek;
	struct crypto_aead *cek_first;
	unsigned int reqsize;	/* crypto request context of the transform */
	u32 id;
	u32 provider;		/* enum esf_provider_flags */
	u32 session_flags;	/* enum esf_session_flags */
	u32 key_len;
	u8 salt[ESF_SALT_LEN];
	u8 direction;
	u8 tag_len;
	u8 nonce_policy;	/* enum esf_nonce_policy */
	u8 nonce_len;		/* bytes ahead of a record's text: alg's, or kw's */
	u8 cek_len;		/* kw: content key bytes */
	u8 session_type;
	u8 data_class;
	u8 key_id_len;
	u8 key_id[ESF_KEY_ID_MAX];
	kuid_t owner_uid;
	kgid_t owner_gid;
	u64 seq_start;
	u64 seq_end;		/* SEAL's first sequence number never used */
	struct esf_lifetime soft;
	struct esf_lifetime hard;
	/* A message or byte limit, soft or hard: esf_session_charge() checks. */
	bool counted;
	u64 created;		/* jiffies64 */
	u64 soft_deadline;	/* jiffies64, 0: none */
	u64 hard_deadline;	/* jiffies64, 0: none */
	struct esf_group *group;	/* group sessions' keys and windows, else NULL */
	struct net *net;	/* NULL outside a table (self-tests); not counted:
				 * the netns flushes its table before it goes
				 */

	refcount_t ref;
	unsigned long flags;	/* ESF_SF_* */
	struct timer_list timer;
	struct rcu_work free_work;
	struct esf_stats __percpu *stats;

	/*
	 * Written by every SEAL and every successful OPEN: kept on a line of
	 * their own so the read-mostly fields above stay shared clean.
	 */
	atomic64_t seq ____cacheline_aligned_in_smp;
	atomic64_t used_messages;
	atomic64_t used_bytes;

	struct esf_replay replay ____cacheline_aligned_in_smp;
};

/* Per network namespace: the session table. */
struct esf_net {
	struct xarray sessions;		/* id -> session, RCU lookups */
	struct mutex lock;		/* serialises changes to the table */
	atomic_t gen;			/* bumped on every change, for dumps */
	u32 next_id;			/* cyclic id allocation */
	unsigned int count;
};

struct esf_net *esf_net(struct net *net);

const struct esf_alg *esf_alg_find(const char *name, u8 framing);
const struct esf_alg *esf_alg_by_index(unsigned int i);

struct esf_session *esf_session_create(struct net *net,
				       const struct esf_session_params *p,
				       struct netlink_ext_ack *extack);
int esf_session_insert(struct esf_session *s, struct netlink_ext_ack *extack);
struct esf_session *esf_session_get(struct net *net, u32 id);
void esf_session_put(struct esf_session *s);
struct esf_session *esf_session_remove(struct net *net, u32 id);
unsigned int esf_session_flush(struct net *net);
bool esf_session_may_use(const struct esf_session *s);
int esf_session_usable_slow(struct esf_session *s);

void esf_session_stat_add(struct esf_session *s, enum esf_stat stat, u64 n);
void esf_session_stats_sum(const struct esf_session *s, u64 out[ESF_STAT_NUM]);
void esf_session_expire(struct esf_session *s, enum esf_expire_kind kind,
			enum esf_expire_reason reason);
enum esf_state esf_session_state(const struct esf_session *s);
const char *esf_session_driver(const struct esf_session *s);
void esf_session_fill_info(const struct esf_session *s, struct esf_session_info *info);
u64 esf_session_age(const struct esf_session *s);

int esf_session_reserve_seq_slow(struct esf_session *s, u64 *seq);
int esf_session_charge_slow(struct esf_session *s, u64 bytes, bool limit);

static inline bool esf_session_dead(const struct esf_session *s)
{
	return test_bit(ESF_SF_DEAD, &s->flags);
}

static inline bool esf_session_expired(const struct esf_session *s)
{
	return test_bit(ESF_SF_EXPIRED, &s->flags);
}

/*
 * The per-record calls of the fast path (ops.c) take these inline: what
 * every record of a session without deadlines or limits does, a flag test
 * or an atomic add, is done here, the rest out of line in session.c.
 */

/**
 * esf_session_usable() - may the session do another operation?
 * @s: session
 *
 * Return: 0, -ENOKEY (deleted) or -EKEYEXPIRED.
 */
static __always_inline int esf_session_usable(struct esf_session *s)
{
	if (likely(!(READ_ONCE(s->flags) & (BIT(ESF_SF_DEAD) | BIT(ESF_SF_EXPIRED))) &&
		   !s->hard_deadline && !s->soft_deadline))
		return 0;
	return esf_session_usable_slow(s);
}

/**
 * esf_session_reserve_seq() - take the next SEAL sequence number
 * @s: session
 * @seq: receives it
 *
 * Unique across CPUs. The counter stops at U64_MAX, which is never used:
 * taking the last number left expires the session instead of wrapping.
 *
 * Return: 0 or -EKEYEXPIRED.
 */
static __always_inline int esf_session_reserve_seq(struct esf_session *s, u64 *seq)
{
	s64 old = atomic64_read(&s->seq);

	do {
		/* The last number, or none left: the slow path expires it. */
		if (unlikely((u64)old >= s->seq_end - 1))
			return esf_session_reserve_seq_slow(s, seq);
	} while (!atomic64_try_cmpxchg(&s->seq, &old, old + 1));
	*seq = old;
	return 0;
}

/**
 * esf_session_charge() - count one record against the lifetimes
 * @s: session
 * @bytes: its input length
 * @reserve: true for SEAL/SIGN, charged before the work and refused if it
 *	would pass a hard limit; false for OPEN/VERIFY, charged after success
 *
 * Return: 0, or -EKEYEXPIRED when @reserve and a hard limit would be passed.
 */
static __always_inline int esf_session_charge(struct esf_session *s, u64 bytes, bool reserve)
{
	if (likely(!s->counted)) {
		/* No limit to pass, none to cross: only the usage to count. */
		atomic64_inc(&s->used_messages);
		atomic64_add(bytes, &s->used_bytes);
		return 0;
	}
	return esf_session_charge_slow(s, bytes, reserve);
}

/* A record done: its operation's counter and its bytes, in one update. */
static __always_inline void esf_session_stat_record(struct esf_session *s, enum esf_stat stat,
						    u64 bytes)
{
	struct esf_stats *st = get_cpu_ptr(s->stats);
	unsigned long flags;

	flags = u64_stats_update_begin_irqsave(&st->syncp);
	u64_stats_add(&st->v[stat], 1);
	u64_stats_add(&st->v[ESF_STAT_BYTES], bytes);
	u64_stats_update_end_irqrestore(&st->syncp, flags);
	put_cpu_ptr(s->stats);
}

void esf_session_defer(struct rcu_work *work);

int esf_session_init(void);
void esf_session_exit(void);

#endif /* _ESF_SESSION_H */
