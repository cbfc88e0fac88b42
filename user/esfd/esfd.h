/* SPDX-License-Identifier: GPL-2.0 */
/*
 * esfd, the daemon: shared state of its parts. main.c runs the event loop
 * (signals, timers, reload), kernel.c hands sessions to esf.ko and keeps
 * the state file, peer.c speaks the peer transport and runs ESPrim
 * establishment, ctl.c serves the local control socket. docs/esfd.md.
 */
#ifndef ESFD_DAEMON_H
#define ESFD_DAEMON_H

#include <netinet/in.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "config.h"
#include "esf_nl.h"
#include "kdf.h"
#include "msg.h"
#include "randobj.h"

#define ESFD_MAX_CLIENTS	64
#define ESFD_REPLAY_SLOTS	64
#define ESFD_ISSUED_MAX		16
/* An old pair keeps opening this long after its successor is live. */
#define ESFD_RETIRE_GRACE	30
/* At most this many retiring pairs per peer and class. */
#define ESFD_RETIRING_MAX	4
/* Retransmission interval of a pending exchange, milliseconds. */
#define ESFD_RETRANSMIT_MS	500
#define ESFD_TIMEOUT_MS		5000

enum esfd_log_level { LOG_ERR_ = 3, LOG_WARN_ = 4, LOG_INFO_ = 6, LOG_DEBUG_ = 7 };

void esfd_log(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
#define log_err(...) esfd_log(LOG_ERR_, __VA_ARGS__)
#define log_warn(...) esfd_log(LOG_WARN_, __VA_ARGS__)
#define log_info(...) esfd_log(LOG_INFO_, __VA_ARGS__)
#define log_debug(...) esfd_log(LOG_DEBUG_, __VA_ARGS__)

/* Why incoming datagrams were dropped. */
enum esfd_drop {
	DROP_MALFORMED,		/* framing, syntax, payload */
	DROP_UNAUTH,		/* unknown sender or key id, bad tag */
	DROP_MISADDRESSED,	/* receiver is not us */
	DROP_STALE,		/* time outside clock-skew */
	DROP_REPLAY,		/* request id already seen */
	DROP_UNMATCHED,		/* response to nothing we asked */
	DROP_OTHER,
	DROP__N
};

/**
 * struct esfd_pair - the two kernel sessions of one ESPrim key
 * @next: list link
 * @peer_id: the peer's oneM2M id
 * @kid: pairwiseESPrimKeyID (the peer's kpsa-id)
 * @alg: the sessions' algorithm (gcm(aes) for ESPrim, class 1; the
 *	policy's aead for classes 2 and 3)
 * @data_class: target data class both sessions are bound to
 * @seal_id: our SEAL session
 * @open_id: our OPEN session
 * @ori: originator rand object id ("ori" of every ESPrim Object)
 * @rri: receiver rand object id ("rri")
 * @originator: we asked for the receiver's rand object
 * @created: when it was installed (our clock)
 * @expires: when the kernel stops it (hard seconds)
 * @retire_at: 0 while current; else when esfd deletes it
 * @rekeying: its successor is being established
 * @soft_expired: the kernel reported a soft EXPIRE: it needs a successor
 * @rekey_after: earliest time of the next attempt after a failed one
 */
struct esfd_pair {
	struct esfd_pair *next;
	char peer_id[ESFD_ID_MAX + 1];
	char kid[ESFD_KPSA_ID_MAX + 1];
	char alg[40];
	uint8_t data_class;
	uint32_t seal_id;
	uint32_t open_id;
	char ori[ESFD_RAND_ID_MAX + 1];
	char rri[ESFD_RAND_ID_MAX + 1];
	bool originator;
	int64_t created;
	int64_t expires;
	int64_t retire_at;
	bool rekeying;
	bool soft_expired;
	int64_t rekey_after;
};

/* A request we answered, kept to answer its retransmissions alike. */
struct esfd_seen {
	uint8_t type;
	uint64_t req_id;
	int64_t time;
	/* Where the request came from: retransmissions are answered there
	 * only, so a replayed frame cannot aim our answer elsewhere.
	 */
	struct sockaddr_storage from;
	socklen_t from_len;
	uint8_t *resp;
	size_t resp_len;
};

/* A receiverESPrimRandObject we issued and that was not used yet. */
struct esfd_issued {
	struct esfd_randobj ro;
	uint64_t req_id;
	bool used;
};

/* Per-peer run-time state, parallel to cfg.peers. */
struct esfd_peer_rt {
	struct esfd_seen seen[ESFD_REPLAY_SLOTS];
	size_t seen_next;
	struct esfd_issued issued[ESFD_ISSUED_MAX];
	size_t issued_next;
	struct sockaddr_storage last_addr;
	socklen_t last_addr_len;
	uint64_t rx, tx, established, refused;
};

/* Someone waiting for an establishment: a control client. */
#define ESFD_WAITERS_MAX 16

enum esfd_exch_state { EXCH_WAIT_RAND = 1, EXCH_WAIT_CONFIRM = 2 };

/**
 * struct esfd_exch - an establishment we originate
 * @next: list link
 * @peer_id: with whom
 * @data_class: for which class
 * @req_id: request id of all its frames
 * @state: what we wait for
 * @ro_o: our originator rand object
 * @ro_r: the receiver's rand object (from EXCH_WAIT_CONFIRM on)
 * @skey: sessionESPrimKey (from EXCH_WAIT_CONFIRM on); wiped on free
 * @frame: the frame we (re)send
 * @frame_len: its length
 * @next_send_ms: when to resend
 * @deadline_ms: when to give up
 * @waiters: control client fds to answer, -1 when unused
 * @rekey_of: seal id of the pair it replaces (0: none)
 */
struct esfd_exch {
	struct esfd_exch *next;
	char peer_id[ESFD_ID_MAX + 1];
	uint8_t data_class;
	uint64_t req_id;
	enum esfd_exch_state state;
	struct esfd_randobj ro_o;
	struct esfd_randobj ro_r;
	uint8_t skey[ESFD_KEY_LEN];
	uint8_t *frame;
	size_t frame_len;
	int64_t next_send_ms;
	int64_t deadline_ms;
	int waiters[ESFD_WAITERS_MAX];
	uint32_t rekey_of;
};

struct esfd_client {
	int fd;
	uid_t uid;
	gid_t gid;
	pid_t pid;
};

struct esfd {
	const char *config_path;
	const char *state_path;
	bool foreground;
	bool debug;
	int64_t clock_offset;
	int64_t started;

	struct esfd_config cfg;
	struct esfd_peer_rt *rt;	/* cfg.n_peers entries */

	struct esf_nl *nl;		/* requests */
	struct esf_nl *nl_ev;		/* events */
	int udp;
	int udp_family;
	int ctl;
	int sig;
	struct esfd_client clients[ESFD_MAX_CLIENTS];

	struct esfd_pair *pairs;
	struct esfd_exch *exchs;
	uint64_t drops[DROP__N];
	uint64_t rx, tx, established, rekeys, failures;
	bool stop;
	bool keep_sessions;	/* SIGUSR1: leave them to the next esfd */
};

/* main.c */
int64_t esfd_now(const struct esfd *d);
int64_t esfd_now_ms(const struct esfd *d);
const struct esfd_peer *esfd_peer_find(const struct esfd *d, const char *id_or_name,
				       size_t *idx);
const char *esfd_drop_name(enum esfd_drop r);

/* kernel.c */
int esfd_kernel_open(struct esfd *d);
void esfd_kernel_close(struct esfd *d);
/**
 * struct esfd_pair_keys - what both sessions of a pair are made of
 * @alg: ESF_A_ALG
 * @key: ESF_A_KEY; wiped by whoever fills it
 * @key_len: its length
 * @tag_len: ESF_A_TAG_LEN
 * @salt_base: the 32-byte key the per-direction nonce salts derive from
 */
struct esfd_pair_keys {
	const char *alg;
	uint8_t key[64];
	size_t key_len;
	uint8_t tag_len;
	uint8_t salt_base[ESFD_KEY_LEN];
};

int esfd_pair_install(struct esfd *d, const struct esfd_peer *peer, uint8_t data_class,
		      const struct esfd_pair_keys *k, const struct esfd_randobj *ro_r,
		      const struct esfd_randobj *ro_o, bool originator,
		      struct esfd_pair **out);
void esfd_pair_promote(struct esfd *d, struct esfd_pair *p);
void esfd_pair_remove(struct esfd *d, struct esfd_pair *p, const char *why);
struct esfd_pair *esfd_pair_current(struct esfd *d, const char *peer_id, uint8_t data_class);
void esfd_pairs_remove_all(struct esfd *d);
int esfd_state_save(struct esfd *d);
int esfd_reconcile(struct esfd *d);
void esfd_kernel_events(struct esfd *d);
void esfd_pairs_timer(struct esfd *d);

/* peer.c */
int esfd_transport_open(struct esfd *d);
void esfd_transport_input(struct esfd *d);
int esfd_establish(struct esfd *d, const struct esfd_peer *peer, uint8_t data_class,
		   int waiter_fd, int timeout_ms, uint32_t rekey_of);
void esfd_exch_timer(struct esfd *d);
void esfd_exch_free(struct esfd *d, struct esfd_exch *x, int err, int rsc);
void esfd_peer_rt_free(struct esfd_peer_rt *rt, size_t n);
int esfd_esprim_prot(unsigned int key_bits);

/* ctl.c */
int esfd_ctl_open(struct esfd *d);
void esfd_ctl_close(struct esfd *d);
void esfd_ctl_accept(struct esfd *d);
void esfd_ctl_input(struct esfd *d, struct esfd_client *c);
void esfd_ctl_reply_pair(struct esfd *d, int fd, const struct esfd_pair *p, int err,
			 int rsc);
void esfd_ctl_forget_fd(struct esfd *d, int fd);

#endif /* ESFD_DAEMON_H */
