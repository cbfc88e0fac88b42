/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Group sessions: one key, many members each sealing under its own sender
 * id, a replay window per sender, and key epochs changed make-before-break.
 * The nonce layout and the memory bound are in include/uapi/linux/esf.h,
 * "Group sessions".
 */
#ifndef _ESF_GROUP_H
#define _ESF_GROUP_H

#include <linux/mutex.h>
#include <linux/rcupdate.h>
#include <linux/refcount.h>
#include <linux/types.h>
#include <linux/workqueue.h>
#include <uapi/linux/esf.h>

#include "replay.h"

struct crypto_aead;
struct esf_session;
struct esf_session_params;
struct netlink_ext_ack;

/* One epoch's key, in a transform of its own; records hold a reference. */
struct esf_gkey {
	struct crypto_aead *aead;
	refcount_t ref;
	u32 epoch;
	u8 salt[ESF_SALT_LEN];
	struct rcu_work free_work;
};

enum esf_gkey_slot {
	ESF_GKEY_PREV,		/* opens only, until retired */
	ESF_GKEY_CUR,		/* seals and opens */
	ESF_GKEY_NEXT,		/* opens only, until switched to */
	ESF_GKEY_SLOTS
};

/* What ESF_A_GROUP asked for at creation. */
struct esf_group_params {
	u16 senders;
	u16 sender;
	u32 epoch;
};

/*
 * The keys held, replaced whole on every change (copy, update, publish),
 * so that OPEN looking through them sees one consistent set: a switch
 * moves two keys at once, and a reader walking slots being rewritten
 * could miss either.
 */
struct esf_gkeys {
	struct esf_gkey *k[ESF_GKEY_SLOTS];
	struct rcu_head rcu;
};

struct esf_group {
	struct mutex lock;	/* serialises epoch changes */
	u16 senders;
	u16 sender;		/* this member's */
	u32 window;		/* each sender's replay window */
	struct esf_gkeys __rcu *keys;
	struct esf_replay *replay;	/* one window per sender */
};

/* One sender's replay state, for reports. */
struct esf_group_sender {
	u16 sender;
	u64 top;
};

int esf_group_check(const struct esf_session *s, const struct esf_session_params *p,
		    struct netlink_ext_ack *extack);
int esf_group_create(struct esf_session *s, const struct esf_group_params *gp,
		     u32 window, const u8 *key, unsigned int key_len,
		     struct netlink_ext_ack *extack);
void esf_group_free(struct esf_session *s);

int esf_group_epoch_new(struct esf_session *s, u32 epoch, const u8 *key,
			unsigned int key_len, const u8 *salt,
			struct netlink_ext_ack *extack);
int esf_group_epoch_switch(struct esf_session *s, const u32 *epoch,
			   struct netlink_ext_ack *extack);
int esf_group_epoch_retire(struct esf_session *s, struct netlink_ext_ack *extack);

struct esf_gkey *esf_group_seal_key(struct esf_session *s);
struct esf_gkey *esf_group_open_key(struct esf_session *s, const u8 *salt);
void esf_gkey_put(struct esf_gkey *k);
int esf_group_sender_ok(const struct esf_session *s, u64 seq);
int esf_group_replay_check(struct esf_session *s, u64 seq);
int esf_group_replay_commit(struct esf_session *s, u64 seq);

bool esf_group_epoch(const struct esf_session *s, enum esf_gkey_slot slot,
		     u32 *epoch, u8 *salt);
size_t esf_group_memory(const struct esf_session *s);
u32 esf_group_senders_seen(const struct esf_session *s);
unsigned int esf_group_senders_state(const struct esf_session *s, u32 first,
				     struct esf_group_sender *out, unsigned int max,
				     u32 *next);

#endif /* _ESF_GROUP_H */
