/* SPDX-License-Identifier: GPL-2.0 */
/*
 * esfd, the daemon: shared state of its parts. main.c runs the event loop
 * (signals, timers, reload), kernel.c hands sessions to esf.ko and keeps
 * the state file, transport.c carries oneM2M primitives over the MQTT
 * binding, peer.c runs ESPrim establishment over it, keys.c makes its
 * keys, ctl.c serves the local control socket. docs/esfd.md.
 */
#ifndef ESFD_DAEMON_H
#define ESFD_DAEMON_H

#include <poll.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "certke.h"
#include "config.h"
#include "esf_nl.h"
#include "facmsg.h"
#include "gamsg.h"
#include "gkey.h"
#include "guesttok.h"
#include "kdf.h"
#include "m2m.h"
#include "mqtt.h"
#include "p2pmsg.h"
#include "prim.h"
#include "randobj.h"
#include "esf.h"

#define ESFD_MAX_CLIENTS	64
/* Control connections one uid other than root and esfd's own may hold at
 * once, and the slots of ESFD_MAX_CLIENTS that only those two may take: a
 * user cannot fill the socket, nor can a few users lock the operator out.
 */
#define ESFD_CTL_PER_UID	8
#define ESFD_CTL_ADMIN_SLOTS	8
/* A control connection with no request for this long, and no establishment
 * it waits for, is closed (esfctl and libesf use one per request).
 */
#define ESFD_CTL_IDLE_MS	10000
/* Answers kept per peer, so that a retransmitted request gets the same. */
#define ESFD_REPLAY_SLOTS	64
/* Receiver rand objects per peer issued and not used yet: the state an
 * unauthenticated request (sit 3) can make us keep.
 */
#define ESFD_ISSUED_MAX		16
/* An issued receiver rand object serves one ESPrim Object that arrives
 * within this many seconds, whatever its own (longer) expiry.
 */
#define ESFD_ISSUED_TTL		120
/* Key derivations that requests not yet authenticated may cost per peer
 * (an ESPrim Object is only known to be genuine once it opens under the
 * derived key; an ESCertKE flight costs public-key operations): a token
 * bucket of ESFD_KDF_BURST, refilled at ESFD_KDF_RATE per second. Beyond
 * it requests are refused ESFD_RSC_THROTTLED without deriving anything.
 */
#define ESFD_KDF_BURST		20
#define ESFD_KDF_RATE		5
/* oneM2M has no "too many requests": 5207 NOT_ACCEPTABLE says that the
 * receiver will not process the request now.
 */
#define ESFD_RSC_THROTTLED	5207
/* An old pair keeps opening this long after its successor is live. */
#define ESFD_RETIRE_GRACE	30
/* At most this many retiring pairs per peer and class. */
#define ESFD_RETIRING_MAX	4
/* The retransmission interval doubles up to this many times mqtt-retransmit. */
#define ESFD_RETRANSMIT_BACKOFF	8
/* How long a control client waits for an establishment by default. */
#define ESFD_TIMEOUT_MS		5000
/* How long an establishment keeps trying, whoever waits for it: a broker
 * that is down or restarting must not lose it.
 */
#define ESFD_EXCH_LIFETIME_MS	60000
/* Restarts of an establishment whose ESPrim Object the receiver no longer
 * knows the rand object of (4113/4114, e.g. the receiver restarted).
 */
#define ESFD_EXCH_RESTARTS	2
/*
 * The grace of a pair the receiver's new pair supersedes. The receiver
 * installs its pair before it answers the ESPrim Object; if every copy of
 * that answer is lost, the originator never installs its own and goes on
 * sealing under the old pair, retransmitting its request (answered from
 * the receiver's cache) until its establishment gives up, at most
 * ESFD_EXCH_LIFETIME_MS after it began. So the old pair keeps opening at
 * the receiver for that long, then the usual grace for records in flight.
 */
#define ESFD_RETIRE_GRACE_RECEIVER (ESFD_EXCH_LIFETIME_MS / 1000 + ESFD_RETIRE_GRACE)
/* A Kpsa check value in hex: 8 bytes of a one-way function of the key. */
#define ESFD_KCV_HEX		16

enum esfd_log_level { LOG_ERR_ = 3, LOG_WARN_ = 4, LOG_INFO_ = 6, LOG_DEBUG_ = 7 };

void esfd_log(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
#define log_err(...) esfd_log(LOG_ERR_, __VA_ARGS__)
#define log_warn(...) esfd_log(LOG_WARN_, __VA_ARGS__)
#define log_info(...) esfd_log(LOG_INFO_, __VA_ARGS__)
#define log_debug(...) esfd_log(LOG_DEBUG_, __VA_ARGS__)

/* Why incoming primitives were dropped without an answer. Requests are
 * answered, with an error status when refused; these are what cannot be.
 */
enum esfd_drop {
	DROP_MALFORMED,		/* topic, JSON or primitive syntax */
	DROP_UNKNOWN,		/* response from an entity that is not a peer */
	DROP_UNAUTH,		/* an ESPrim Object that does not open */
	DROP_UNMATCHED,		/* response to nothing we asked */
	DROP_OTHER,
	DROP__N
};

/* Response status codes esfd refuses requests with, counted by code. */
#define ESFD_RSC_KINDS		17

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
 * @await_use: superseded at the receiver: it retires sooner once the
 *	originator is seen using the new pair (esfd_pairs_timer())
 * @use_checked: when that was last looked at
 * @kcv: the Kpsa check value of the key it was made from (esfd_kpsa_kcv();
 *	empty for a certificate peer), so that a restarted esfd sees a Kpsa
 *	changed under the same KpsaId
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
	bool await_use;
	int64_t use_checked;
	char kcv[ESFD_KCV_HEX + 1];
};

/* A request we answered, kept to answer its retransmissions alike. */
struct esfd_seen {
	uint8_t sit;
	char rqi[ESFD_M2M_RQI_MAX + 1];
	int64_t time;
	char *resp;		/* the response primitive, as published */
};

/* A receiverESPrimRandObject we issued and that was not used yet. */
struct esfd_issued {
	struct esfd_randobj ro;
	int64_t issued;
	bool used;
};

/**
 * struct esfd_certkey - the pairwise key ESCertKE gave with a peer
 * @valid: there is one
 * @key: the 32 least significant bytes of the exporter output; never
 *	logged, wiped when dropped or replaced and at exit
 * @kid: its key id (the 16 most significant bytes) in base64url: the JWE
 *	"kid" of the ESPrim Objects made with it
 * @time: when it was established
 * @cert: the peer's certificate, verified again on reload (a new CRL)
 * @chain: the intermediates it sent
 */
struct esfd_certkey {
	bool valid;
	uint8_t key[ESFD_CERTKE_KEY_LEN];
	char kid[ESFD_CERTKE_KID_B64 + 1];
	int64_t time;
	int64_t expires;	/* a facilitator key: when it is dropped */
	X509 *cert;
	STACK_OF(X509) *chain;
};

/**
 * struct esfd_bucket - a token bucket, in thousandths of a token
 * @tokens: what is left
 * @last_ms: its last refill (esfd_now_ms()); 0: never used, full
 */
struct esfd_bucket {
	int64_t tokens;
	int64_t last_ms;
};

/**
 * esfd_bucket_take() - take one token if there is one
 * @b: the bucket
 * @now_ms: esfd_now_ms()
 * @burst: its size, tokens
 * @rate: tokens added per second
 *
 * Return: true when a token was taken.
 */
bool esfd_bucket_take(struct esfd_bucket *b, int64_t now_ms, int64_t burst, int64_t rate);

/* Per-peer run-time state, parallel to cfg.peers. */
struct esfd_peer_rt {
	struct esfd_seen seen[ESFD_REPLAY_SLOTS];
	size_t seen_next;
	struct esfd_issued issued[ESFD_ISSUED_MAX];
	size_t issued_next;
	uint64_t rx, tx, established, refused;
	/* Certificate peers: the ESCertKE key, and the handshake this esfd
	 * answers as the receiver (one per peer: a new ClientHello replaces it).
	 */
	struct esfd_certkey ck;
	struct esfd_certke *ck_srv;
	int64_t ck_srv_started;
	uint64_t certke_ok;
	/* The derivation token bucket, and the requests it refused. */
	struct esfd_bucket kdf;
	uint64_t kdf_throttled;
	/* Classes (bit n: class n) whose recorded pair a restart did not
	 * adopt because the configuration changed: esfd establishes them
	 * again once the transport is open.
	 */
	uint8_t reestablish;
	/* Dynamic peers (p2p.c): it has verified our certificate of this
	 * digest, so our requests carry only the digest; its last use.
	 */
	bool p2p_knows;
	uint8_t p2p_known[32];
	int64_t p2p_used_ms;
	/* A credential = facilitator peer (fac.c): the key being registered
	 * (the owner's, until the facilitator has taken it), when to ask the
	 * facilitator again, and what it answered.
	 */
	uint8_t fac_key[ESFD_FAC_KEY_LEN];
	char fac_kid[ESFD_FAC_KID_B64 + 1];
	int64_t fac_next_ms;
	uint64_t fac_registered, fac_retrieved, fac_refused;
	int fac_last_rsc;
};

/* Someone waiting for an establishment: a control client. */
#define ESFD_WAITERS_MAX 16

struct esfd_waiter {
	int fd;			/* -1: unused */
	int64_t deadline_ms;
};

struct esfd_p2p_x;

enum esfd_exch_state {
	EXCH_WAIT_RAND = 1,	/* sit 4 */
	EXCH_WAIT_CONFIRM = 2,	/* sit 5 */
	EXCH_WAIT_CERTKE1 = 3,	/* sit 6: ServerHello .. ServerHelloDone */
	EXCH_WAIT_CERTKE2 = 4,	/* sit 6: ChangeCipherSpec, Finished */
	EXCH_WAIT_FAC = 5,	/* the pairwise key, from the facilitator */
	EXCH_WAIT_P2P = 6,	/* esf:p2r (p2p.c) */
};

/**
 * struct esfd_exch - an establishment we originate
 * @next: list link
 * @peer_id: with whom
 * @data_class: for which class
 * @id: random, names its requests ("rqi" esfd-<id>-<step>)
 * @step: counts its requests; each has its own rqi
 * @rqi: the rqi of the request in flight
 * @state: what we wait for
 * @ro_o: our originator rand object
 * @ro_r: the receiver's rand object (from EXCH_WAIT_CONFIRM on)
 * @skey: sessionESPrimKey (from EXCH_WAIT_CONFIRM on); wiped on free
 * @msg: the request primitive we (re)publish
 * @next_send_ms: when to publish it again (0: as soon as the broker is up)
 * @interval_ms: the current retransmission interval (doubles)
 * @sends: copies published
 * @mid: MQTT message id of the last copy
 * @acked: the broker acknowledged the last copy (PUBACK)
 * @deadline_ms: when to give up
 * @restarts: times it started again from sit 3
 * @waiters: control clients to answer
 * @rekey_of: seal id of the pair it replaces (0: none)
 * @ck: ESCertKE handshake (certificate peers without a key), or NULL
 * @p2p: peer-to-peer agreement with a dynamic peer (p2p.c), or NULL
 */
struct esfd_exch {
	struct esfd_exch *next;
	char peer_id[ESFD_ID_MAX + 1];
	uint8_t data_class;
	uint64_t id;
	unsigned int step;
	char rqi[ESFD_M2M_RQI_MAX + 1];
	enum esfd_exch_state state;
	struct esfd_randobj ro_o;
	struct esfd_randobj ro_r;
	uint8_t skey[ESFD_KEY_LEN];
	char *msg;
	int64_t next_send_ms;
	int interval_ms;
	unsigned int sends;
	int mid;
	bool acked;
	int64_t deadline_ms;
	unsigned int restarts;
	struct esfd_waiter waiters[ESFD_WAITERS_MAX];
	uint32_t rekey_of;
	struct esfd_certke *ck;
	struct esfd_p2p_x *p2p;
};

/* A pair lost with esf.ko, to establish again when the module is back. */
struct esfd_restore {
	char peer_id[ESFD_ID_MAX + 1];
	uint8_t data_class;
	int64_t next_try;	/* esfd_now() of the next attempt */
	int64_t until;		/* given up after this */
};

/* How long esfd keeps trying to establish again what esf.ko took away. */
#define ESFD_RESTORE_SECONDS	600

/* Groups (group.c, docs/esfd.md "Groups"). */

/* A member's previous key keeps opening this long after the switch. */
#define ESFD_GROUP_RETIRE	30
/* A push or a pull is given up (a pull: made again) after this long. */
#define ESFD_GROUP_REQ_MS	60000
/* A member refused by its server asks again after this long. */
#define ESFD_GROUP_RETRY_MS	5000

/**
 * struct esfd_greq - a group request in flight: a member's pull or a
 *	server's push, or a request of static group authentication (gauth.c),
 *	retransmitted until answered
 * @next: list link
 * @ga: static group authentication: the request's kind (else ESFD_GA_NONE)
 * @fac: a request to the facilitator: its kind (else ESFD_FAC_NONE); @grp
 *	is then the id of the peer whose key it is about, @nnc the request's
 *	nonce in base64url
 * @grp: the group's id
 * @peer_id: to whom
 * @push: a push (else a pull)
 * @epoch: a push's epoch
 * @held_before: a push: what the server believed the member held before
 * @nnc: a pull's nonce
 * @rqi: its request identifier
 * @msg: the request primitive
 * @next_send_ms: when to publish it (again)
 * @interval_ms: the retransmission interval (doubles)
 * @mid: MQTT message id of the last copy
 * @acked: the broker acknowledged the last copy
 * @sends: copies published
 * @deadline_ms: when it is given up
 */
struct esfd_greq {
	struct esfd_greq *next;
	enum esfd_ga_kind ga;
	enum esfd_fac_kind fac;		/* a request to the facilitator (fac.c) */
	char grp[ESFD_ID_MAX + 1];
	char peer_id[ESFD_ID_MAX + 1];
	bool push;
	uint32_t epoch;
	uint32_t held_before;
	char nnc[32];
	char rqi[ESFD_M2M_RQI_MAX + 1];
	char *msg;
	int64_t next_send_ms;
	int interval_ms;
	int wait_ms;			/* for an answer to the last copy */
	int mid;
	bool acked;
	unsigned int sends;
	int64_t first_ms;		/* sent first */
	int64_t deadline_ms;
};

/* The server's view of one member. */
struct esfd_gmember {
	uint32_t held;		/* the highest epoch it may hold, this run */
	uint32_t acked;		/* the highest it confirmed */
	int64_t last_contact;	/* its last pull or answer; 0: none */
};

/**
 * struct esfd_group_rt - a group's run-time state, parallel to cfg.groups
 * @epoch: the current epoch (server: the newest made; member: SEAL's)
 * @key: server: the current key (wiped when replaced and at exit)
 * @key_len: its length
 * @salt: server: the current epoch's salt
 * @old_salt: server: the previous epoch's
 * @switch_at: server: the current epoch's switch time; member: the
 *	pending switch to @next (0: none)
 * @next_rotate: server: when the key rotates next
 * @rotations: server: rotations so far
 * @members: server: per configured member
 * @session: member: the kernel group session (0: none yet)
 * @sender: member: its sender id
 * @senders: member: the group's size
 * @next: member: the epoch installed, not switched to (0: none)
 * @prev: member: the epoch still opening after a switch (0: none)
 * @retire_at: member: when @prev goes
 * @pulled: member: it pulled a key in this run (pushes are taken after)
 * @keys: member: keys received
 * @dirty: server: rotate as soon as esfd_group_start() runs (the
 *	membership or the key's policy changed by a reload)
 */
/* Mediator gateways (mediator.c, docs/esfd.md "Mediator gateways"). */

/* How many epochs of the local group's key a device keeps a wrapping key of. */
#define ESFD_MED_KW		3

/* A mediator's view of one device: the newest core-side epoch it may hold. */
struct esfd_mdev {
	char id[ESFD_ID_MAX + 1];
	uint32_t held;
	uint32_t acked;
};

/**
 * struct esfd_med_rt - mediation state of one group (group rt's @med)
 * @ka: mediator: the core-side key as its server sent it (wiped when
 *	replaced and at exit); @ka.epoch 0: none yet
 * @devs: mediator: the devices it was sent to
 * @n_devs: how many
 * @asked_above: mediator: a fresh epoch was asked of the server because
 *	devices changed, one above this (0: none asked)
 * @delivered: mediator: deliveries to devices (pushes and pulls answered)
 * @kw: device, on the local group: esfd_gkey_mkek_kw() of its epochs held
 * @kw_epoch: their epochs (0: empty slot)
 * @session: server with a delegated block: its own kernel group session
 *	(sender 0), to open what the area network seals to it
 * @next: that session's epoch installed, not switched to
 * @prev: an epoch still opens after a switch (non-zero)
 * @switch_at: when @next is switched to
 * @retire_at: when @prev goes
 * @lost: that session went with esf.ko: the next needs a new epoch
 */
struct esfd_med_rt {
	struct esfd_gkey ka;
	struct esfd_mdev *devs;
	size_t n_devs;
	uint32_t asked_above;
	uint64_t delivered;
	uint8_t kw[ESFD_MED_KW][32];
	uint32_t kw_epoch[ESFD_MED_KW];
	uint32_t session;
	uint32_t next;
	uint32_t prev;
	int64_t switch_at;
	int64_t retire_at;
	bool lost;
};

struct esfd_group_rt {
	struct esfd_med_rt *med;	/* mediation (NULL: none, or not yet) */
	uint32_t epoch;
	uint8_t key[64];
	size_t key_len;
	uint8_t salt[4];
	uint8_t old_salt[4];
	int64_t switch_at;
	int64_t next_rotate;
	uint64_t rotations;
	struct esfd_gmember *members;
	uint32_t session;
	uint16_t sender;
	uint16_t senders;
	uint32_t next;
	uint32_t prev;
	int64_t retire_at;
	bool pulled;
	uint64_t keys;
	bool dirty;
};

/* Static group authentication (gauth.c, docs/esfd.md). */

/* The server answers a confirmation for this long after its Rand. */
#define ESFD_GA_RUN_SECONDS	120
/* Rands a server keeps per section (older ones are forgotten). */
#define ESFD_GA_RUNS		8
/* The pair keyed from Ks_x lives at most this long (a rand object's life). */
#define ESFD_GA_PAIR_SECONDS	3600
/* A device that failed asks again after 5 s, doubling up to this. */
#define ESFD_GA_RETRY_MAX_MS	300000
/* An agent forgets a device's request it could not answer after this. */
#define ESFD_GA_WAIT_MS		60000
/* What esfd_gauth_request() returns to have the transport answer later. */
#define ESFD_RSC_DEFERRED	1

/* An agent: a device's request, held until the server's Rand is in. */
struct esfd_ga_wait {
	size_t peer;
	char rqi[ESFD_M2M_RQI_MAX + 1];
	char rvi[8];
	uint8_t nnc[ESFD_GA_NONCE_LEN];
	int64_t since_ms;
	bool batched;		/* named in the request in flight to the server */
};

/* A server: one Rand and who may confirm under it. */
struct esfd_ga_run {
	uint8_t rnd[ESFD_GA_RAND_LEN];
	int64_t expires;
	uint8_t *state;		/* per member: 0 not taken, 1 taken, 2 confirmed */
};

enum esfd_ga_state { ESFD_GA_IDLE, ESFD_GA_ASKING, ESFD_GA_CONFIRMING, ESFD_GA_DONE };

/**
 * struct esfd_gauth_rt - a [gauth] section's run-time state, parallel to
 *	cfg.gauths
 * @waits: agent: device requests held (one per member at most)
 * @n_waits: how many
 * @flush_at_ms: agent: when the held requests go to the server (0: none)
 * @in_flight: agent: a request to the server is in flight
 * @nnc: agent: its nonce; device: the nonce of its request to the agent
 * @runs: server: the last Rands, a ring
 * @next_run: server: the ring's next slot
 * @state: device: where it stands
 * @rnd: device: the Rand it confirms
 * @retry_at_ms: device: when to ask again after a failure
 * @retry_ms: device: the interval that gave it (0: no failure since the last
 *	success)
 * @msgs_in: this section's messages received, requests and responses
 * @msgs_out: and sent (retransmitted copies are not counted again)
 * @devices: server: devices confirmed; agent: devices answered with a
 *	Rand; device: authentications completed
 * @refused: messages of this section refused or failed
 * @last_ms: agent, server: duration of the last round, first device
 *	request held to last answer (agent), Rand to last confirmation (server)
 * @round_start_ms: the current round's start
 */
struct esfd_gauth_rt {
	struct esfd_ga_wait *waits;
	size_t n_waits;
	int64_t flush_at_ms;
	bool in_flight;
	uint8_t nnc[ESFD_GA_NONCE_LEN];
	struct esfd_ga_run runs[ESFD_GA_RUNS];
	size_t next_run;
	enum esfd_ga_state state;
	uint8_t rnd[ESFD_GA_RAND_LEN];
	int64_t retry_at_ms;
	int64_t retry_ms;
	uint64_t msgs_in, msgs_out;
	uint64_t devices, refused;
	int64_t last_ms, round_start_ms;
};

/* Peer-to-peer agreement (p2p.c; docs/esfd.md, "Peer-to-peer agreement"). */

/* Requests that are not yet authenticated may cost public-key operations:
 * a token bucket of this burst, refilled at this rate per second, shared
 * by every peer (the peers are not known before they are verified).
 */
#define ESFD_P2P_BURST		200
#define ESFD_P2P_RATE		100
/* Request nonces remembered against replay, each for two windows. */
#define ESFD_P2P_SEEN		4096

/**
 * enum esfd_p2p_reason - why an agreement was refused (counters, errors)
 * @P2P_R_EXPIRED: the certificate (or an issuer's) is past its notAfter
 * @P2P_R_NOT_YET_VALID: before its notBefore
 * @P2P_R_REVOKED: listed in our CRL
 * @P2P_R_UNKNOWN_CA: does not chain to our roots
 * @P2P_R_WRONG_ID: valid, but does not name the sender's id
 * @P2P_R_INVALID: any other certificate problem
 * @P2P_R_BAD_SIGNATURE: the signature over the transcript does not verify
 * @P2P_R_STALE: the message's time is outside the freshness window
 * @P2P_R_REPLAY: a request nonce seen before
 * @P2P_R_UNKNOWN_DIGEST: a certificate digest we have no certificate for
 * @P2P_R_MALFORMED: not a well-formed message, or a bad ephemeral key
 * @P2P_R__N: how many
 */
enum esfd_p2p_reason {
	P2P_R_EXPIRED,
	P2P_R_NOT_YET_VALID,
	P2P_R_REVOKED,
	P2P_R_UNKNOWN_CA,
	P2P_R_WRONG_ID,
	P2P_R_INVALID,
	P2P_R_BAD_SIGNATURE,
	P2P_R_STALE,
	P2P_R_REPLAY,
	P2P_R_UNKNOWN_DIGEST,
	P2P_R_MALFORMED,
	P2P_R__N
};

/* A peer certificate remembered by its digest, and the id it named. */
struct esfd_p2p_cert {
	uint8_t digest[32];
	char id[ESFD_ID_MAX + 1];
	X509 *leaf;
	STACK_OF(X509) *chain;
	int64_t used_ms;
};

struct esfd_p2p_seen {
	uint8_t nnc[16];
	int64_t until_ms;
};

/**
 * struct esfd_p2p - dynamic peers and what agreement with them keeps
 * @peers: the dynamic peers (struct esfd_peer, @dynamic set); @cap slots
 * @rt: their run-time state, parallel
 * @n: peers in use
 * @cap: cfg.p2p.peers when allocated
 * @forgetting: a peer is being forgotten (its establishments cancelled)
 * @cache: the certificate cache, @cache_cap entries
 * @n_cache: entries in use
 * @cache_cap: cfg.p2p.cert_cache when allocated
 * @seen: request nonces accepted, a ring of ESFD_P2P_SEEN
 * @seen_next: the ring's next slot
 * @bucket: the token bucket of strangers' requests (ESFD_P2P_BURST, _RATE)
 * @established: agreements completed, either side
 * @first_contact: ours (as initiator) whose request carried our certificate
 * @cached: ours whose request carried only its digest
 * @resent: requests sent again with the certificate after the responder
 *	had lost it (unknown-digest)
 * @evicted: dynamic peers evicted to make room
 * @dropped: dynamic peers dropped on reload, their certificate refused now
 *	(revoked, say): not counted in @refused, which counts messages
 * @throttled: requests refused by the token bucket or a full nonce ring
 * @refused: what this esfd refused, by reason, either side
 * @hits: certificates found in the cache by digest or id
 * @misses: digests not found
 * @evictions: certificates evicted from the cache
 * @bytes_first: request plus response bytes of our last first contact
 * @bytes_cached: and of our last agreement with a cached certificate
 */
struct esfd_p2p {
	struct esfd_peer *peers;
	struct esfd_peer_rt *rt;
	size_t n, cap;
	bool forgetting;
	struct esfd_p2p_cert *cache;
	size_t n_cache, cache_cap;
	struct esfd_p2p_seen seen[ESFD_P2P_SEEN];
	size_t seen_next;
	struct esfd_bucket bucket;
	uint64_t established, first_contact, cached, resent, evicted, dropped, throttled;
	uint64_t refused[P2P_R__N];
	uint64_t hits, misses, evictions;
	uint64_t bytes_first, bytes_cached;
};

struct esfd_client {
	int fd;
	uid_t uid;
	gid_t gid;
	pid_t pid;
	int64_t last_ms;	/* accepted, or last request or wait */
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
	SSL_CTX *tls;			/* ESCertKE, when certificates are set */

	struct esf_nl *nl;		/* requests */
	struct esf_nl *nl_ev;		/* events */
	struct esfd_mqtt *mqtt;		/* the broker */
	char topic_id[ESFD_ID_MAX + 1];	/* our id as a topic level */
	char sub_req[ESFD_M2M_TOPIC_MAX + 1];
	char sub_resp[ESFD_M2M_TOPIC_MAX + 1];
	char client_id[ESFD_MQTT_CLIENT_ID_MAX + 1];
	int ctl;
	int sig;
	struct esfd_client clients[ESFD_MAX_CLIENTS];
	uint64_t ctl_refused;		/* connections over a cap */
	uint64_t ctl_idle;		/* connections closed idle */
	int64_t ctl_refused_logged;	/* when the last refusal was logged */
	uint64_t ctl_refused_unlogged;
	uint64_t signed_ok;		/* control "sign": JWS made */
	uint64_t sign_refused;		/* and refused */
	struct esfd_oneshot *oneshots;	/* control "ecdh": kw(aes) sessions */
	uint64_t ecdh_sealed, ecdh_opened;	/* ... installed to seal, to open */
	uint64_t ecdh_refused;		/* ... and refused */

	struct esfd_pair *pairs;
	struct esfd_exch *exchs;
	uint64_t drops[DROP__N];
	uint64_t refused[ESFD_RSC_KINDS];	/* by esfd_rsc_index() */
	uint64_t rx, tx, established, rekeys, failures;
	uint64_t retransmits, duplicates;
	uint64_t certke_ok;			/* ESCertKE handshakes completed */
	uint64_t certke_refused[ESFD_CERT__N];	/* and failed, by reason */
	bool stop;
	bool keep_sessions;	/* SIGUSR1: leave them to the next esfd */
	/* esf.ko unloaded under esfd (the controller's DELFAMILY): every
	 * kernel session is gone and the family's id with them, until its
	 * NEWFAMILY. kernel.c, "Module unload and reload".
	 */
	bool kernel_down;
	bool state_dirty;	/* pairs changed since the state file was written */
	uint8_t kmod_last;		/* the last family event read */
	bool kmod_del_seen;		/* a DELFAMILY among the events read */
	uint64_t kmod_unloads, kmod_loads;
	int64_t kmod_checked;		/* esfd_now() of the last retry */
	struct esfd_restore *restore;	/* pairs to establish again */
	size_t n_restore;
	struct esfd_group_rt *groups;	/* cfg.n_groups entries */
	struct esfd_greq *greqs;	/* group requests in flight */
	int64_t greq_answer_ms;		/* when the last answer to one came */
	int64_t greq_srtt_ms;		/* how long answers take, smoothed */
	struct esfd_gauth_rt *gauths;	/* cfg.n_gauths entries */
	struct esfd_p2p *p2p;		/* with a [p2p] section, else NULL */
	struct esfd_fac_rt *fac;	/* this esfd is a facilitator */
	struct esfd_dar *dar;		/* with [container] sections (darstore.c) */
	struct esfd_guest *guest;	/* with a [guest] section (guest.c) */
};

/* main.c */
int64_t esfd_now(const struct esfd *d);
int64_t esfd_now_ms(const struct esfd *d);
/* The wall clock in ms since the epoch (what messages carry), with the
 * test offset esfd_now() has.
 */
int64_t esfd_wall_ms(const struct esfd *d);
const struct esfd_peer *esfd_peer_find(const struct esfd *d, const char *id_or_name,
				       size_t *idx);
/* A configured or dynamic peer by id, or NULL. */
const struct esfd_peer *esfd_peer_by_id(const struct esfd *d, const char *id);

/* A peer's run-time state: configured peers' parallel cfg.peers, dynamic
 * peers' their own table (p2p.c).
 */
static inline struct esfd_peer_rt *esfd_peer_rt(const struct esfd *d,
						const struct esfd_peer *peer)
{
	if (peer->dynamic)
		return &d->p2p->rt[peer - d->p2p->peers];
	return &d->rt[peer - d->cfg.peers];
}

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
void esfd_kernel_shutdown(struct esfd *d);
int esfd_state_save(struct esfd *d);
void esfd_state_flush(struct esfd *d);
int esfd_reconcile(struct esfd *d);
void esfd_reestablish(struct esfd *d);
void esfd_kpsa_kcv(const struct esfd_peer *peer, char out[ESFD_KCV_HEX + 1]);
void esfd_kernel_events(struct esfd *d);
void esfd_pairs_timer(struct esfd *d);
void esfd_kernel_free(struct esfd *d);

/* transport.c */
int esfd_transport_open(struct esfd *d);
void esfd_transport_close(struct esfd *d);
void esfd_transport_pollfd(struct esfd *d, struct pollfd *p);
void esfd_transport_service(struct esfd *d, short revents);
/* Answer a request whose answer was deferred (gauth.c); consumes @pc. */
int esfd_transport_answer(struct esfd *d, const struct esfd_peer *peer, const char *rqi,
			  const char *rvi, int rsc, json_t *pc, const char *why);
int esfd_transport_request(struct esfd *d, const struct esfd_peer *peer, const char *msg,
			   int *mid);
/* A request to an entity that need not be a peer (a guest's presentation,
 * a container's gateway). */
int esfd_transport_request_to(struct esfd *d, const char *id, const char *msg, int *mid);
bool esfd_transport_up(const struct esfd *d);
const char *esfd_drop_name(enum esfd_drop r);
void esfd_drop(struct esfd *d, enum esfd_drop why, const char *who, const char *detail);
int esfd_rsc_index(int rsc);
int esfd_rsc_at(int index);
json_t *esfd_transport_status(struct esfd *d);

/* peer.c */
int esfd_peer_request(struct esfd *d, const struct esfd_peer *peer,
		      const struct esfd_m2m_req *req, const struct esfd_seci *s,
		      json_t **pc, const char **why);
void esfd_peer_response(struct esfd *d, const struct esfd_peer *peer,
			const struct esfd_m2m_rsp *rsp);
void esfd_peer_broker_up(struct esfd *d);
void esfd_peer_published(struct esfd *d, int mid);
void esfd_peer_fac_ready(struct esfd *d, const struct esfd_peer *peer, int err, int rsc,
			 const char *msg);
int esfd_establish(struct esfd *d, const struct esfd_peer *peer, uint8_t data_class,
		   int waiter_fd, int timeout_ms, uint32_t rekey_of);
void esfd_exch_timer(struct esfd *d);
void esfd_exch_free(struct esfd *d, struct esfd_exch *x, int err, int rsc);
void esfd_exch_finish(struct esfd *d, struct esfd_exch *x, const struct esfd_pair *pair,
		      int err, int rsc, const char *msg);
/* Make the NOTIFY carrying @pc (consumed), with a fresh rqi, the request
 * in flight.
 */
int esfd_exch_request_pc(struct esfd *d, struct esfd_exch *x, json_t *pc);
void esfd_exch_cancel(struct esfd *d, struct esfd_exch *x, const char *why);
void esfd_peer_rt_free(struct esfd_peer_rt *rt, size_t n);
void esfd_certkey_drop(struct esfd_certkey *ck);
void esfd_certke_recheck(struct esfd *d);
const char *esfd_peer_kid(const struct esfd *d, const struct esfd_peer *peer);

/* group.c */
void esfd_group_pull_afresh(struct esfd *d, const struct esfd_group_conf *g);
/*
 * A group's kernel session as its policy owns it: sets @n's flags, replay
 * window, owner and key id (the group id); the caller adds the key, salt,
 * tag length and the sender, senders and epoch.
 */
void esfd_group_nl_new(const struct esfd *d, const struct esfd_group_conf *g,
		       struct esf_nl_new *n);
/* The member entry of @peer in a group this esfd serves, or -1. */
int esfd_group_member_index(const struct esfd *d, const struct esfd_group_conf *g,
			    const struct esfd_peer *peer);
int esfd_group_start(struct esfd *d);
void esfd_group_timer(struct esfd *d);
int esfd_group_request(struct esfd *d, const struct esfd_peer *peer,
		       const struct esfd_m2m_req *req, json_t **pc, const char **why);
bool esfd_group_response(struct esfd *d, const struct esfd_peer *peer,
			 const struct esfd_m2m_rsp *rsp);
void esfd_group_broker_up(struct esfd *d);
void esfd_group_published(struct esfd *d, int mid);
int esfd_group_reload(struct esfd *d, const struct esfd_config *n,
		      struct esfd_group_rt **out);
void esfd_group_shutdown(struct esfd *d);
struct esfd_greq *esfd_greq_new(struct esfd *d, const char *grp, const struct esfd_peer *peer,
				bool push, json_t *pc, const char *rqi);
void esfd_greq_rqi(char rqi[ESFD_M2M_RQI_MAX + 1]);
void esfd_greq_free(struct esfd *d, struct esfd_greq *q);

/* gauth.c */
int esfd_gauth_start(struct esfd *d);
void esfd_gauth_timer(struct esfd *d);
int esfd_gauth_request(struct esfd *d, const struct esfd_peer *peer,
		       const struct esfd_m2m_req *req, json_t **pc, const char **why);
void esfd_gauth_response(struct esfd *d, const struct esfd_peer *peer, struct esfd_greq *q,
			 const struct esfd_m2m_rsp *rsp);
void esfd_gauth_expired(struct esfd *d, struct esfd_greq *q);
bool esfd_gauth_keeps(const struct esfd *d, const struct esfd_greq *q);
void esfd_gauth_shutdown(struct esfd *d);
json_t *esfd_gauth_ctl(struct esfd *d);
json_t *esfd_group_ctl(struct esfd *d, const struct esfd_client *c, const json_t *req);

/* mediator.c (docs/esfd.md, "Mediator gateways") */
int esfd_med_unwrap(struct esfd *d, const struct esfd_group_conf *g, const char *jwe,
		    const char *nnc, uint32_t min_epoch, struct esfd_gkey *k);
void esfd_med_local_key(struct esfd *d, const struct esfd_group_conf *l,
			const struct esfd_gkey *k);
int esfd_med_take(struct esfd *d, const struct esfd_group_conf *g, const struct esfd_gkey *k,
		  const char **why);
int esfd_med_pull(struct esfd *d, const struct esfd_group_conf *g,
		  const struct esfd_peer *peer, const json_t *in, json_t **pc, const char **why);
void esfd_med_answered(struct esfd *d, const struct esfd_group_conf *g,
		       const struct esfd_peer *peer, const struct esfd_greq *q,
		       const struct esfd_m2m_rsp *rsp);
bool esfd_med_keeps(struct esfd *d, const struct esfd_group_conf *g,
		    const struct esfd_peer *peer);
void esfd_med_local_changed(struct esfd *d, const struct esfd_group_conf *l);
void esfd_med_core_epoch(struct esfd *d, const struct esfd_group_conf *g);
bool esfd_med_core_timer(struct esfd *d, const struct esfd_group_conf *g);
void esfd_med_drop(struct esfd *d, struct esfd_group_rt *r);
json_t *esfd_med_json(struct esfd *d, const struct esfd_client *c,
		      const struct esfd_group_conf *g);

/* p2p.c */
int esfd_p2p_start(struct esfd *d);
void esfd_p2p_reload(struct esfd *d, const struct esfd_config *n);
void esfd_p2p_free(struct esfd *d);
void esfd_p2p_recheck(struct esfd *d);
void esfd_p2p_forget_unused(struct esfd *d, const char *id);
const struct esfd_peer *esfd_p2p_peer(struct esfd *d, const char *id, bool create);
const struct esfd_peer *esfd_p2p_find(const struct esfd *d, const char *id);
int esfd_p2p_initiate(struct esfd *d, const struct esfd_peer *peer, struct esfd_exch *x);
void esfd_p2p_response(struct esfd *d, const struct esfd_peer *peer, struct esfd_exch *x,
		       const struct esfd_m2m_rsp *rsp);
int esfd_p2p_request(struct esfd *d, const struct esfd_m2m_req *req,
		     const struct esfd_peer **peer, json_t **pc, const char **why);
void esfd_p2p_x_free(struct esfd_p2p_x *x);
const char *esfd_p2p_reason_name(enum esfd_p2p_reason r);
json_t *esfd_p2p_status(const struct esfd *d);

/* fac.c: the facilitator, and its clients */
#define ESFD_FAC_KEYS_MAX	4096	/* keys a facilitator holds */
#define ESFD_FAC_PER_PAIR	2	/* of one owner for one reader: newest, previous */
#define ESFD_FAC_RETRY_MS	5000	/* a client asks again at most this often */
#define ESFD_FAC_REFUSED_MS	60000	/* ... and after a refusal, this late */

enum esfd_fac_refusal {
	FAC_REFUSED_ACL,		/* 4103: outside the access-control list */
	FAC_REFUSED_NO_KEY,		/* 4004: no such key */
	FAC_REFUSED_UNAUTH,		/* 4000: does not open under the link key */
	FAC_REFUSED_MALFORMED,		/* 4000: not a facilitator request */
	FAC_REFUSED_FULL,		/* 5207: no room, or the store cannot be written */
	FAC_REFUSED__N
};

struct esfd_fac_rt {
	struct esfd_fac_key *keys;	/* ESFD_FAC_KEYS_MAX of them */
	size_t n;
	char path[4096];
	uint64_t registered, retrieved, refused[FAC_REFUSED__N];
};

int esfd_fac_start(struct esfd *d);
void esfd_fac_shutdown(struct esfd *d);
void esfd_fac_timer(struct esfd *d);
int esfd_fac_request(struct esfd *d, const struct esfd_peer *peer,
		     const struct esfd_m2m_req *req, json_t **pc, const char **why);
void esfd_fac_response(struct esfd *d, const struct esfd_peer *peer, struct esfd_greq *q,
		       const struct esfd_m2m_rsp *rsp);
void esfd_fac_expired(struct esfd *d, struct esfd_greq *q);
int esfd_fac_need(struct esfd *d, const struct esfd_peer *peer, const char *kid);
json_t *esfd_fac_ctl(struct esfd *d);
json_t *esfd_fac_peer_ctl(struct esfd *d, const struct esfd_peer *peer);

/* ctl.c */
bool esfd_ctl_may_use(const struct esfd_client *c, const struct esfd_policy *pol);
int esfd_ctl_open(struct esfd *d);
void esfd_ctl_close(struct esfd *d);
void esfd_ctl_accept(struct esfd *d);
void esfd_ctl_timer(struct esfd *d);
void esfd_ctl_input(struct esfd *d, struct esfd_client *c);
void esfd_ctl_reply_pair(struct esfd *d, int fd, const struct esfd_pair *p, int err,
			 int rsc);
void esfd_ctl_reply_error(struct esfd *d, int fd, int err, int rsc, const char *msg);
void esfd_ctl_forget_fd(struct esfd *d, int fd);
json_t *esfd_ctl_error(int err, const char *msg);
bool esfd_ctl_may_use_key(const struct esfd *d, const struct esfd_client *c);

void esfd_ctl_reply_json(struct esfd *d, int fd, json_t *j);

/* guest.c: guest devices (docs/esfd.md, "Guest devices") */

/**
 * enum esfd_guest_reason - why a gateway refused a presentation
 * @GUEST_R_MALFORMED: not a well-formed presentation or token
 * @GUEST_R_FORGED: a signature that does not verify (the delegation's, the
 *	device token's, the proof of possession's), or a token for another
 *	device than the sender
 * @GUEST_R_EXPIRED: the delegation, the device token or the AS's
 *	certificate has expired
 * @GUEST_R_REVOKED: the device token or its delegation is in the
 *	revocation list
 * @GUEST_R_REPLAYED: a presentation nonce accepted before
 * @GUEST_R_STALE: the presentation's time is outside the window
 * @GUEST_R_FOREIGN_ISSUER: the AS's certificate does not chain to
 *	trust-file
 * @GUEST_R_WRONG_AUDIENCE: the tokens do not name this network
 * @GUEST_R__N: how many
 */
enum esfd_guest_reason {
	GUEST_R_MALFORMED,
	GUEST_R_FORGED,
	GUEST_R_EXPIRED,
	GUEST_R_REVOKED,
	GUEST_R_REPLAYED,
	GUEST_R_STALE,
	GUEST_R_FOREIGN_ISSUER,
	GUEST_R_WRONG_AUDIENCE,
	GUEST_R__N
};

const char *esfd_guest_reason_name(enum esfd_guest_reason r);
int esfd_guest_start(struct esfd *d);
void esfd_guest_stop(struct esfd *d);
void esfd_guest_reload(struct esfd *d, const struct esfd_guest_conf *old);
void esfd_guest_timer(struct esfd *d);
/* A presentation ("esf:gsp") from anyone: answered at once. */
int esfd_guest_request(struct esfd *d, const struct esfd_m2m_req *req, json_t **pc,
		       const char **why);
/* A response on the topic level @level: true when it answered our
 * presentation (and was consumed).
 */
bool esfd_guest_response(struct esfd *d, const char *level, const struct esfd_m2m_rsp *rsp);
json_t *esfd_guest_ctl(struct esfd *d, const struct esfd_client *c, const json_t *req);
json_t *esfd_guest_status(struct esfd *d, bool admin);
void esfd_guest_forget_fd(struct esfd *d, int fd);
bool esfd_guest_waiting(const struct esfd *d, int fd);

/* oneshot.c: the "ecdh" command's single-message sessions */
json_t *esfd_oneshot_ctl(struct esfd *d, const struct esfd_client *c, json_t *req);
void esfd_oneshot_timer(struct esfd *d);
/* Forget them all; @del: delete them from the kernel too. */
void esfd_oneshot_flush(struct esfd *d, bool del);

/* darstore.c: data at rest ([container] sections) */
struct esfd_dar;
int esfd_dar_start(struct esfd *d);
void esfd_dar_shutdown(struct esfd *d);
void esfd_dar_timer(struct esfd *d);
bool esfd_dar_hosts(const struct esfd *d, const char *to);
int esfd_dar_request(struct esfd *d, const char *level, const struct esfd_m2m_req *req,
		     json_t **pc, const char **why);
bool esfd_dar_response(struct esfd *d, const char *level, const struct esfd_m2m_rsp *rsp);
json_t *esfd_dar_ctl(struct esfd *d, const struct esfd_client *c, json_t *req);
bool esfd_dar_waiting(const struct esfd *d, int fd);
void esfd_dar_forget_fd(struct esfd *d, int fd);
json_t *esfd_dar_status(const struct esfd *d);
/* ctl.c: may this client use what @uid or @gid owns (or is it root)? */
bool esfd_ctl_may_use_id(const struct esfd_client *c, uint32_t uid, uint32_t gid);

#endif /* ESFD_DAEMON_H */
