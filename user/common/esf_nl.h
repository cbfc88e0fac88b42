/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Client of the kernel's "esf" generic netlink family, shared by esfctl and
 * esfd. Functions return 0 or a negative errno; after a failure the
 * kernel's extended-ack text, if it sent one, is in esf_nl_errmsg().
 */
#ifndef ESF_NL_H
#define ESF_NL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/esf.h>

struct esf_nl;

struct esf_nl_lifetime {
	uint64_t messages;
	uint64_t bytes;
	uint64_t seconds;
};

/* ESF_A_GROUP of a group session: its size, this member, the epochs held. */
struct esf_nl_group {
	bool is_group;
	uint16_t senders;
	uint16_t sender;
	uint32_t epoch;			/* the current key's; its salt is the session's */
	bool has_next, has_prev;
	uint32_t epoch_next, epoch_prev;
	uint8_t salt_next[ESF_SALT_LEN], salt_prev[ESF_SALT_LEN];
	uint32_t senders_seen;
};

/* A session as ESF_CMD_SESSION_GET reports it (never with its key). */
struct esf_nl_session {
	uint32_t id;
	char alg[128];
	char driver[128];
	uint32_t key_len;
	bool has_salt;
	uint8_t salt[ESF_SALT_LEN];
	uint8_t direction;
	uint8_t tag_len;
	uint8_t session_type;
	uint8_t data_class;
	uint8_t state;
	uint8_t key_id_len;
	uint8_t key_id[ESF_KEY_ID_MAX];
	uint32_t replay_window;
	uint8_t nonce_policy;		/* enum esf_nonce_policy; 0: an older module */
	uint32_t replay_remembered;
	uint32_t replay_memory;
	uint8_t cek_len;		/* kw(aes) */
	uint8_t framing;		/* enum esf_framing; 0: an older module */
	uint64_t seq_start;
	uint64_t seq_next;
	uint64_t age;
	struct esf_nl_lifetime soft;
	struct esf_nl_lifetime hard;
	struct esf_nl_lifetime usage;
	uint32_t owner_uid;
	uint32_t owner_gid;
	uint32_t flags;
	uint32_t provider;
	uint64_t stats[ESF_STATS_A_MAX + 1];	/* indexed by ESF_STATS_A_* */
	struct esf_nl_group group;	/* group sessions: group.is_group */
};

/* Optional fields of a new session: set the bit when the field is set. */
enum esf_nl_new_set {
	ESF_NEW_ID = 1 << 0,
	ESF_NEW_DRIVER = 1 << 1,
	ESF_NEW_SALT = 1 << 2,
	ESF_NEW_DIRECTION = 1 << 3,
	ESF_NEW_TAG_LEN = 1 << 4,
	ESF_NEW_KEY_ID = 1 << 5,
	ESF_NEW_REPLAY_WINDOW = 1 << 6,
	ESF_NEW_SEQ_START = 1 << 7,
	ESF_NEW_SOFT = 1 << 8,
	ESF_NEW_HARD = 1 << 9,
	ESF_NEW_SESSION_TYPE = 1 << 10,
	ESF_NEW_DATA_CLASS = 1 << 11,
	ESF_NEW_OWNER_UID = 1 << 12,
	ESF_NEW_OWNER_GID = 1 << 13,
	ESF_NEW_FLAGS = 1 << 14,
	ESF_NEW_NONCE_POLICY = 1 << 15,
	ESF_NEW_CEK_LEN = 1 << 16,
	ESF_NEW_FRAMING = 1 << 17,
	ESF_NEW_GROUP = 1 << 18,	/* group_senders, group_sender, group_epoch */
};

struct esf_nl_new {
	uint32_t set;		/* enum esf_nl_new_set */
	const char *alg;	/* required */
	const uint8_t *key;	/* required; not copied, wiped by the caller */
	size_t key_len;
	uint32_t id;
	const char *driver;
	uint8_t salt[ESF_SALT_LEN];
	uint8_t direction;
	uint8_t tag_len;
	uint8_t key_id[ESF_KEY_ID_MAX];
	size_t key_id_len;
	uint32_t replay_window;
	uint64_t seq_start;
	struct esf_nl_lifetime soft;
	struct esf_nl_lifetime hard;
	uint8_t session_type;
	uint8_t data_class;
	uint32_t owner_uid;
	uint32_t owner_gid;
	uint32_t flags;
	uint8_t nonce_policy;
	uint8_t cek_len;
	uint8_t framing;
	uint16_t group_senders;
	uint16_t group_sender;
	uint32_t group_epoch;
};

/* esf_nl_event.family_event: the controller's word on esf's family. */
enum esf_nl_family_event {
	ESF_NL_FAMILY_NEW = 1,	/* registered: esf.ko loaded */
	ESF_NL_FAMILY_DEL = 2,	/* unregistered: esf.ko unloaded, sessions gone */
};

/* What the events group delivers. */
struct esf_nl_event {
	uint8_t cmd;		/* ESF_CMD_SESSION_NEW/DEL/FLUSH, ESF_CMD_EXPIRE;
				 * 0 for a family event */
	uint8_t family_event;	/* 0, or enum esf_nl_family_event (only on a
				 * socket given to esf_nl_family_watch()) */
	uint16_t family_id;	/* with family_event: the family's id */
	uint32_t session_id;
	uint8_t expire_kind;	/* ESF_CMD_EXPIRE */
	uint8_t expire_reason;	/* ESF_CMD_EXPIRE */
	struct esf_nl_lifetime usage;
	uint8_t key_id_len;
	uint8_t key_id[ESF_KEY_ID_MAX];
	uint32_t flushed;	/* ESF_CMD_SESSION_FLUSH */
	struct esf_nl_session session;	/* NEW and DEL: the session */
};

typedef int (*esf_nl_session_cb)(const struct esf_nl_session *s, void *arg);
typedef void (*esf_nl_event_cb)(const struct esf_nl_event *ev, void *arg);

int esf_nl_open(struct esf_nl **nlp);
void esf_nl_close(struct esf_nl *nl);
const char *esf_nl_errmsg(const struct esf_nl *nl);
/* The id the family had when this handle resolved it. */
int esf_nl_family_id(const struct esf_nl *nl);
/* 1 if esf's family is registered (esf.ko loaded), 0 if not, or -errno;
 * never loads the module (a dump, not a lookup by name).
 */
int esf_nl_family_present(void);

int esf_nl_session_new(struct esf_nl *nl, const struct esf_nl_new *req,
		       struct esf_nl_session *out);
int esf_nl_session_del(struct esf_nl *nl, uint32_t id);
int esf_nl_session_get(struct esf_nl *nl, uint32_t id, struct esf_nl_session *out);
/* -EAGAIN: the table changed during the dump (NLM_F_DUMP_INTR); retry. */
int esf_nl_session_dump(struct esf_nl *nl, esf_nl_session_cb cb, void *arg);
/* ESF_CMD_SESSION_BENCH: @iterations requests on the session's transform
 * in the kernel; *@nsec their wall time. Needs CAP_NET_ADMIN.
 */
int esf_nl_session_bench(struct esf_nl *nl, uint32_t id, uint32_t size, uint32_t aad_len,
			 uint32_t iterations, uint64_t *nsec);
int esf_nl_session_flush(struct esf_nl *nl, uint32_t *flushed);

/*
 * Group sessions' key epochs (needs CAP_NET_ADMIN): install the next key
 * (its salt unlike the salts held), make it current (@epoch, if not NULL,
 * must be the next key's), retire the previous one. @out, if not NULL,
 * receives the session as it then is. The key is not copied; the message
 * holding it is wiped.
 */
int esf_nl_group_epoch_new(struct esf_nl *nl, uint32_t id, uint32_t epoch, const uint8_t *key,
			   size_t key_len, const uint8_t *salt, struct esf_nl_session *out);
int esf_nl_group_epoch_switch(struct esf_nl *nl, uint32_t id, const uint32_t *epoch,
			      struct esf_nl_session *out);
int esf_nl_group_epoch_retire(struct esf_nl *nl, uint32_t id, struct esf_nl_session *out);

/* One sender of ESF_CMD_GROUP_SENDERS: its id and highest sequence number opened. */
typedef int (*esf_nl_sender_cb)(uint16_t sender, uint64_t top, void *arg);
/* Every sender a group session has opened from, in order, all pages. */
int esf_nl_group_senders(struct esf_nl *nl, uint32_t id, esf_nl_sender_cb cb, void *arg);

int esf_nl_events_subscribe(struct esf_nl *nl);
/* Also deliver the controller's NEWFAMILY/DELFAMILY for esf's family
 * (esf.ko loaded, unloaded) as events with family_event set.
 */
int esf_nl_family_watch(struct esf_nl *nl);
int esf_nl_fd(const struct esf_nl *nl);
/* Wait for events and deliver what one read brings (blocks unless the
 * caller made esf_nl_fd() non-blocking; then -EAGAIN when none are left).
 */
int esf_nl_events_read(struct esf_nl *nl, esf_nl_event_cb cb, void *arg);

#endif /* ESF_NL_H */
