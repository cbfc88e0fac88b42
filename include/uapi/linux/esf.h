/* SPDX-License-Identifier: (GPL-2.0 WITH Linux-syscall-note) OR MIT */
/*
 * esf: user-space API of the oneM2M End-to-End Security Framework fast path.
 *
 * The one header shared by esf.ko and everything in user space (libesf,
 * esfd, esfctl, the selftests). It has two halves:
 *
 * 1. The control plane: a generic netlink family, ESF_GENL_NAME, through
 *    which esfd (or esfctl) installs, inspects and removes sessions. A
 *    session holds a key inside the kernel; no reply, dump, event or log
 *    ever carries key material back out.
 *
 * 2. The fast path: an AF_ALG socket type, ESF_ALG_TYPE, through which an
 *    application seals, opens, signs and verifies records under a session
 *    it may use, without ever seeing the key.
 *
 * Sessions live in the network namespace that created them: netlink
 * requests and AF_ALG binds see the sessions of their own namespace.
 *
 * Control plane
 * -------------
 *
 * ESF_CMD_SESSION_NEW (needs CAP_NET_ADMIN)
 *   Creates a session and allocates its crypto transform at once, so a wrong
 *   algorithm, driver, key length or tag length fails here with an extended
 *   ack message naming the attribute. Replies with the session as
 *   ESF_CMD_SESSION_GET would and multicasts the same message on
 *   ESF_MCGRP_EVENTS.
 *
 *   Required: ESF_A_ALG, ESF_A_KEY; ESF_A_SALT for AEAD algorithms.
 *   Optional: ESF_A_SESSION_ID (absent or 0: the kernel picks an unused id),
 *   ESF_A_DRIVER, ESF_A_DIRECTION (default ESF_DIR_BOTH), ESF_A_TAG_LEN
 *   (default 16 for AEAD, the digest size for MIC), ESF_A_KEY_ID,
 *   ESF_A_REPLAY_WINDOW (default ESF_REPLAY_WINDOW_DEFAULT),
 *   ESF_A_SEQ_START (default 0), ESF_A_LIFETIME_SOFT, ESF_A_LIFETIME_HARD,
 *   ESF_A_SESSION_TYPE, ESF_A_DATA_CLASS (default 0: not bound),
 *   ESF_A_OWNER_UID, ESF_A_OWNER_GID (default: the caller's), ESF_A_FLAGS,
 *   ESF_A_NONCE_POLICY (default ESF_NONCE_ESF), ESF_A_CEK_LEN (kw(aes)
 *   only), ESF_A_FRAMING (default ESF_FRAMING_NONCE). An id already in use
 *   gives -EEXIST.
 *
 * ESF_CMD_SESSION_DEL (needs CAP_NET_ADMIN)
 *   Required: ESF_A_SESSION_ID. The session leaves the table at once; records
 *   already in flight finish, later operations on sockets bound to it fail
 *   with -ENOKEY. Multicasts ESF_CMD_SESSION_DEL with the session's
 *   attributes.
 *
 * ESF_CMD_SESSION_GET
 *   do: ESF_A_SESSION_ID required; dump (NLM_F_DUMP): every session, in id
 *   order, resumable across recvmsg calls, flagged NLM_F_DUMP_INTR when the
 *   table changed during the dump. Without CAP_NET_ADMIN a caller sees only
 *   the sessions it may use (see ESF_A_OWNER_UID). Each reply carries every
 *   attribute the session was created with except ESF_A_KEY, plus
 *   ESF_A_DRIVER (resolved), ESF_A_PROVIDER, ESF_A_KEY_LEN, ESF_A_STATE,
 *   ESF_A_AGE, ESF_A_SEQ_NEXT, ESF_A_USAGE, ESF_A_STATS,
 *   ESF_A_REPLAY_REMEMBERED and ESF_A_REPLAY_MEMORY.
 *
 * ESF_CMD_SESSION_FLUSH (needs CAP_NET_ADMIN)
 *   Deletes every session of the namespace. Replies and multicasts
 *   ESF_A_FLUSHED, the number removed.
 *
 * ESF_CMD_GROUP_EPOCH_NEW, ESF_CMD_GROUP_EPOCH_SWITCH,
 * ESF_CMD_GROUP_EPOCH_RETIRE, ESF_CMD_GROUP_SENDERS: group sessions, see
 *   "Group sessions" below.
 *
 * ESF_CMD_EXPIRE (event only, on ESF_MCGRP_EVENTS)
 *   A lifetime was crossed: ESF_A_SESSION_ID, ESF_A_EXPIRE_KIND,
 *   ESF_A_EXPIRE_REASON, ESF_A_USAGE, ESF_A_KEY_ID when set. A soft expiry
 *   is sent once per session; the session keeps working so the owner can
 *   rekey. At a hard expiry the session stops working (-EKEYEXPIRED) and
 *   stays in the table, reported in state ESF_STATE_EXPIRED, until deleted.
 *
 * Fast path
 * ---------
 *
 * bind(2) an AF_ALG socket with salg_type ESF_ALG_TYPE and salg_name the
 * session id in decimal ("42"); only the session's owner (ESF_A_OWNER_UID,
 * a member of ESF_A_OWNER_GID) or a CAP_NET_ADMIN caller may bind. accept(2)
 * gives an operation socket; any number of operation sockets and threads
 * may use one session at once.
 *
 * An operation socket takes a batch of records in one sendmsg(2), or in
 * several with MSG_MORE on all but the last, and returns the results of the
 * whole batch, in record order, through recvmsg(2)/read(2), which may take
 * them in pieces. Each record is a struct esf_rec followed by aad_len bytes
 * of additional authenticated data and data_len bytes of input. Each result
 * is a struct esf_res followed by the record's output slot, whose size
 * depends only on the record and the session, never on the outcome, so
 * that user space can scatter results straight into its buffers:
 *
 *   op              input (data)                 output slot (bytes)
 *   ESF_OP_SEAL     plaintext                    nonce || ciphertext || tag
 *                                                (data_len + nonce + tag)
 *   ESF_OP_OPEN     nonce || ciphertext || tag   plaintext
 *                                                (data_len - nonce - tag, or
 *                                                0 if data_len is shorter)
 *   ESF_OP_SIGN     data                         tag (tag_len)
 *   ESF_OP_VERIFY   data || tag                  none (0)
 *
 * esf_res.out_len says how many bytes of the slot are valid: all of them on
 * success, none on failure, and then the slot is zero-filled.
 *
 * The nonce is ESF_NONCE_LEN bytes, the session's 4-byte salt followed by
 * a 64-bit big-endian sequence number that the kernel takes from the
 * session's counter at SEAL (the caller cannot choose it); authenc sessions
 * append a random 16-byte CBC IV (ESF_NONCE_LEN_AUTHENC in all) and
 * authenticate salt || sequence || IV ahead of the AAD. authenc sessions
 * also pad the plaintext to the AES block (PKCS#7, 1 to 16 bytes, removed
 * by OPEN only after the tag has verified, so there is no padding oracle):
 * their SEAL slot is nonce + roundup(data_len + 1, 16) + tag. For gcm(aes),
 * rfc4106(gcm(aes)) and ccm(aes) the 12-byte nonce is the algorithm's IV,
 * so SEAL's output is a JWE-ready IV || ciphertext || tag.
 * rfc4106(gcm(aes)) takes only 8 or 12 bytes of AAD (the IPsec ESP layout
 * the kernel's template requires).
 *
 * OPEN checks that the nonce carries the session's salt (-ENOMSG if not),
 * that its sequence number is not a replay (-EALREADY) nor older than the
 * replay window (-ESTALE), then decrypts and verifies (-EBADMSG for a bad
 * tag), and only then marks the sequence number as seen. Under the nonce
 * policy ESF_NONCE_ANY it takes any IV instead and checks it against the
 * record of the nonces it opened (-EALREADY); see enum esf_nonce_policy. A record's failure
 * is reported in its own esf_res.status and does not affect the others.
 *
 * sendmsg(2) itself fails, consuming nothing, when the framing is wrong
 * (-EINVAL: unknown op, non-zero reserved fields, a record cut short;
 * -EMSGSIZE: aad_len over ESF_MAX_AAD, data_len over ESF_MAX_DATA for SEAL
 * and SIGN or over ESF_MAX_RECORD for OPEN and VERIFY, more
 * than ESF_MAX_BATCH records, a batch larger than the socket's send buffer
 * (SO_SNDBUF, at most ESF_MAX_BATCH_BYTES); -EBUSY: the previous batch's
 * results have not all been read) and when the session is gone (-ENOKEY);
 * who may use the session is checked once, at bind(2) (-EACCES). OPEN and
 * VERIFY take records up to ESF_MAX_RECORD whatever the session's
 * algorithm, so what a peer holding the key sealed elsewhere may open to a
 * few bytes more than esf_session_info.max_data. Per-record refusals
 * (wrong direction -EPERM, wrong op for the session kind -EOPNOTSUPP,
 * wrong ESF_A_DATA_CLASS or session type binding -EKEYREJECTED, lifetime or
 * counter exhausted -EKEYEXPIRED) come back in esf_res.status. So do
 * records left unsubmitted when an off-CPU provider is saturated (the
 * max_inflight module parameter): sendmsg(2) waits for room up to the
 * socket's SO_SNDTIMEO, not at all under MSG_DONTWAIT or O_NONBLOCK, and a
 * signal ends the wait; the records not yet submitted then fail with
 * -EAGAIN (no room in time) or -EINTR (signal), and the ones before them
 * run as usual.
 *
 * Delivery in place: a control message (cmsg_level SOL_ALG, cmsg_type
 * ESF_CMSG_OUTPUT, data struct esf_output_table) on the sendmsg(2) that
 * closes a batch (not with MSG_MORE) names a table of struct esf_output,
 * one per record of the batch, in record order. sendmsg(2) then runs the
 * batch, waits for it to finish (uninterruptibly, as the crypto API's own
 * synchronous waits do: the provider may be writing to the caller's pages),
 * writes each record's output slot to its esf_output.addr (the bytes
 * recvmsg(2) would return after the esf_res, zero-filled the same way) and
 * its esf_res into the table, and returns; there is nothing to recvmsg(2).
 * Large SEAL and OPEN records of AEAD sessions without padding (gcm(aes),
 * ccm(aes)) are then not copied at all: the provider reads their text from
 * the caller's pages and writes to the caller's pages. The module parameter
 * zerocopy_min (bytes of data_len, default 2048) sets "large"; the
 * ESF_STATS_A_ZEROCOPY counter shows which records took that path. So an
 * output slot must not overlap any input of the same batch, and neither
 * may change while the call runs (the provider may read the text more than
 * once): the result is then undefined (never outside the caller's own
 * memory). As with algif_aead, a zero-copy OPEN's output buffer holds
 * plaintext not yet verified while the call runs; when the record fails,
 * the kernel zero-fills it, through its own mapping of the pinned pages,
 * before sendmsg(2) returns. Memory that cannot be pinned (VM_IO or
 * VM_PFNMAP mappings, memfd_secret) fails a zero-copy record with -EFAULT:
 * use recvmsg(2) for such buffers. Besides the framing errors above,
 * sendmsg(2) fails with -EINVAL (control data that is not one
 * ESF_CMSG_OUTPUT, a table whose count is not the number of records,
 * non-zero flags or reserved fields, ESF_CMSG_OUTPUT with MSG_MORE),
 * -ENOBUFS (an esf_output.size below its record's slot) or -EFAULT (a
 * table the caller cannot read or write, a zero-copy slot it cannot
 * write), all before anything runs (the table's esf_res fields and SEAL's
 * nonce bytes may have been cleared). A copied slot the caller cannot
 * write is found while delivering, after the batch ran: sendmsg(2) then
 * fails with -EFAULT and those results are lost (SEAL's sequence numbers
 * are spent).
 *
 * recvmsg(2) blocks until the batch has completed (asynchronous providers
 * may finish records out of order; results still come back in record
 * order), or fails with -EAGAIN under MSG_DONTWAIT. With no batch
 * submitted (none sent, one still open under MSG_MORE, or all results
 * read) it fails with -ENODATA, also when another reader of the same
 * socket took the last results of the batch this call was waiting for: a
 * reader never receives any part of a batch submitted after it began to
 * wait. Concurrent readers of one socket share one stream of results, each
 * call taking the next bytes; a batch built over several sendmsg(2) calls
 * takes the records of whoever sends them, so writers sharing a socket
 * must not interleave theirs (docs/fast-path.md, "One socket, many
 * threads"). poll(2) reports EPOLLIN
 * when results are ready and EPOLLOUT when a new batch may be sent. This
 * batch interface is the asynchronous interface: it replaces the AIO
 * (io_submit) path of algif_aead, see docs/fast-path.md.
 *
 * Group sessions
 * --------------
 *
 * A group session (ESF_A_GROUP in ESF_CMD_SESSION_NEW) holds one key shared
 * by the members of a group, each of which may SEAL: every member's kernel
 * has a group session of its own, with its own sender id, and OPENs what
 * the others sealed. gcm(aes), ccm(aes) and authenc(hmac(sha256),cbc(aes))
 * only, under %ESF_NONCE_ESF and %ESF_FRAMING_NONCE.
 *
 * Nonce layout. The 12 bytes of nonce (authenc: the first 12 of its 28) are
 *
 *   salt (4) || sender id (2, big-endian) || sequence number (6, big-endian)
 *
 * that is, the usual salt || 64-bit sequence number with the sender id in
 * the sequence number's top 16 bits. Each member's SEAL counter runs from
 * sender << 48 (plus ESF_A_SEQ_START) up to, not including, (sender + 1)
 * << 48, where the session expires (%ESF_EXPIRE_SEQUENCE) instead of
 * running into the next sender's numbers: two members with different
 * sender ids never make the same nonce under the group key. The sender ids
 * of one group's members must differ: the kernel cannot see other members,
 * so assigning them is the key distributor's job (esfd's), as is never
 * giving a member a key it sealed under before without an
 * ESF_A_SEQ_START past the numbers it used. The salt is the
 * epoch's (below). esf_res.seq of a group record is that 64-bit value:
 * sender << 48 | sequence number; OPEN tells the caller who sealed.
 *
 * Replay. OPEN takes the sender id from the nonce and checks the record
 * against that sender's own window of ESF_A_REPLAY_WINDOW sequence
 * numbers, so senders' records interleave freely. A sender id not below
 * ESF_GROUP_A_SENDERS, or the session's own (a member's records coming back
 * to it), fails with -ENOMSG like a foreign salt. Memory: the windows of
 * all ESF_GROUP_A_SENDERS senders are allocated at creation and do not
 * grow; ESF_A_REPLAY_MEMORY reports their total, which is
 * ESF_GROUP_A_SENDERS * (the window's state, about 100 bytes, more with
 * lock debugging + 8 * roundup_pow_of_two(window / 64 + 1) bytes of bits):
 * for 1000 senders and the default 1024-number window about 356 KB.
 * ESF_GROUP_A_SENDERS * ESF_A_REPLAY_WINDOW may not exceed
 * %ESF_GROUP_REPLAY_BITS_MAX (-EINVAL).
 *
 * Epochs: the group key changes make-before-break, as rekeying a pair does,
 * but inside the session, so that bound sockets and handles carry on. A
 * group session holds up to three keys, each with its own epoch number and
 * salt: the current one (SEAL uses it), the next one (installed, not yet
 * used by this member to SEAL) and the previous one (no longer used to
 * SEAL, still opened while late records drain). OPEN finds the key by the
 * record's salt, among all three; a salt none of them has fails with
 * -ENOMSG. Each sender's window spans the epochs: a member's counter does
 * not restart at a new epoch.
 *
 * ESF_CMD_GROUP_EPOCH_NEW (needs CAP_NET_ADMIN)
 *   Installs the next key. Required: ESF_A_SESSION_ID, ESF_A_KEY (the
 *   session's key length), ESF_A_SALT (different from the salts of the keys
 *   held), ESF_A_GROUP with ESF_GROUP_A_EPOCH (above the current epoch).
 *   -EBUSY if a next key is already installed. The key is allocated on the
 *   session's resolved driver.
 * ESF_CMD_GROUP_EPOCH_SWITCH (needs CAP_NET_ADMIN)
 *   Required: ESF_A_SESSION_ID. The next key becomes current, the current
 *   one previous; SEAL uses the new key from the next record on. -ENOENT
 *   without a next key, -EBUSY while a previous key is still held (retire
 *   it first). Optional ESF_A_GROUP with ESF_GROUP_A_EPOCH: it must be the
 *   next key's epoch (-EINVAL otherwise).
 * ESF_CMD_GROUP_EPOCH_RETIRE (needs CAP_NET_ADMIN)
 *   Required: ESF_A_SESSION_ID. The previous key goes: records under it
 *   fail with -ENOMSG from now on; records in flight finish with it; the
 *   transform holding it is freed (its key schedule wiped) when the last of
 *   them completes. -ENOENT without a previous key.
 *   These three reply with the session as ESF_CMD_SESSION_GET would.
 * ESF_CMD_GROUP_SENDERS
 *   The per-sender replay state of a group session, for the senders whose
 *   records it has opened, in sender order, at most
 *   %ESF_GROUP_SENDERS_PER_MSG per reply. Required: ESF_A_SESSION_ID;
 *   optional ESF_A_GROUP with ESF_GROUP_A_SENDER, the first sender to report
 *   (default 0). The reply has ESF_A_SESSION_ID and ESF_A_GROUP holding one
 *   ESF_GROUP_A_SENDER_STATE per sender and, when senders remain,
 *   ESF_GROUP_A_SENDER_NEXT: ask again from there. Who may see it: as
 *   ESF_CMD_SESSION_GET.
 *
 * getsockopt(SOL_ALG, ESF_SO_SESSION_INFO) on an operation socket returns
 * struct esf_session_info: what libesf needs to size buffers and build
 * envelopes (algorithm, key length, tag length, key id), never the key.
 */
#ifndef _UAPI_LINUX_ESF_H
#define _UAPI_LINUX_ESF_H

#include <linux/ioctl.h>
#include <linux/types.h>

/* Module name, as seen in /sys/module and by modprobe. */
#define ESF_MODULE_NAME "esf"

#define ESF_GENL_NAME		"esf"
#define ESF_GENL_VERSION	1
/* Multicast group for ESF_CMD_SESSION_NEW/DEL/FLUSH and ESF_CMD_EXPIRE. */
#define ESF_MCGRP_EVENTS	"events"

/* AF_ALG salg_type of the fast path. */
#define ESF_ALG_TYPE		"esf"

/**
 * enum esf_cmd - generic netlink commands (see the top of this file)
 * @ESF_CMD_UNSPEC: unused
 * @ESF_CMD_SESSION_NEW: create a session
 * @ESF_CMD_SESSION_DEL: delete a session
 * @ESF_CMD_SESSION_GET: read one session, or dump all
 * @ESF_CMD_SESSION_FLUSH: delete every session of the namespace
 * @ESF_CMD_EXPIRE: event: a soft or hard lifetime was crossed
 * @ESF_CMD_SESSION_BENCH: run the session's own transform in a loop in the
 *	kernel and report the time (see &enum esf_bench_attr)
 * @ESF_CMD_GROUP_EPOCH_NEW: install a group session's next key
 * @ESF_CMD_GROUP_EPOCH_SWITCH: make the next key current
 * @ESF_CMD_GROUP_EPOCH_RETIRE: drop the previous key
 * @ESF_CMD_GROUP_SENDERS: read a group session's per-sender replay state
 */
enum esf_cmd {
	ESF_CMD_UNSPEC,
	ESF_CMD_SESSION_NEW,
	ESF_CMD_SESSION_DEL,
	ESF_CMD_SESSION_GET,
	ESF_CMD_SESSION_FLUSH,
	ESF_CMD_EXPIRE,
	ESF_CMD_SESSION_BENCH,
	ESF_CMD_GROUP_EPOCH_NEW,
	ESF_CMD_GROUP_EPOCH_SWITCH,
	ESF_CMD_GROUP_EPOCH_RETIRE,
	ESF_CMD_GROUP_SENDERS,
	__ESF_CMD_MAX
};

#define ESF_CMD_MAX (__ESF_CMD_MAX - 1)

/**
 * enum esf_attr - session attributes
 *
 * "in" attributes are accepted by ESF_CMD_SESSION_NEW; "out" attributes
 * appear only in replies and events. Every "in" attribute except ESF_A_KEY
 * is also reported back.
 *
 * @ESF_A_UNSPEC: unused
 * @ESF_A_PAD: padding for 64-bit attributes
 * @ESF_A_SESSION_ID: u32, in/out. The session's id in its namespace; 0 is
 *	not a valid id (in ESF_CMD_SESSION_NEW it means "pick one").
 * @ESF_A_ALG: NUL-terminated string, in/out. The crypto API algorithm:
 *	AEAD "gcm(aes)", "rfc4106(gcm(aes))", "ccm(aes)",
 *	"authenc(hmac(sha256),cbc(aes))"; MIC "hmac(sha256)", "hmac(sha384)",
 *	"hmac(sha512)"; key wrap "kw(aes)" (JWE "A128KW"/"A192KW"/"A256KW":
 *	every SEAL makes a fresh AES-GCM content key in the kernel, wraps it
 *	with ESF_A_KEY by RFC 3394 and encrypts under it; see
 *	%ESF_ALG_KW_AES for the record).
 * @ESF_A_DRIVER: NUL-terminated string, in/out. In: the driver to
 *	allocate instead of ESF_A_ALG (for "kw(aes)": instead of the content
 *	cipher "gcm(aes)", where the text's work is done), pinning a
 *	provider, exactly as
 *	/proc/crypto names drivers (cra_driver_name): "gcm-aes-caam", or for
 *	a template instance every inner driver spelt out,
 *	"authenc(hmac(sha256-generic),virtio_crypto_aes_cbc)" (the crypto API
 *	does not find an instance by a name that mixes algorithm and driver
 *	names). It must implement ESF_A_ALG. Out: the resolved driver.
 * @ESF_A_KEY: binary, in only. gcm(aes), rfc4106(gcm(aes)), ccm(aes): the
 *	AES key, 16, 24 or 32 bytes. kw(aes): the key-encryption key, 16, 24
 *	or 32 bytes. authenc(hmac(sha256),cbc(aes)): the
 *	32-byte HMAC key followed by the AES key (48, 56 or 64 bytes in all).
 *	hmac(shaN): from the digest size (RFC 7518's minimum) to
 *	%ESF_KEY_MAX bytes. Never reported.
 * @ESF_A_KEY_LEN: u32, out. Length of ESF_A_KEY.
 * @ESF_A_SALT: binary, exactly 4 bytes, in/out. First 4 bytes of every nonce;
 *	required for AEAD sessions (except open-only ones under
 *	%ESF_NONCE_ANY), rejected for MIC sessions.
 * @ESF_A_DIRECTION: u8 &enum esf_direction, in/out.
 * @ESF_A_TAG_LEN: u8, in/out. Tag length in bytes: gcm(aes) 4, 8 or 12..16;
 *	kw(aes) 16;
 *	rfc4106(gcm(aes)) 8, 12 or 16; ccm(aes) 4..16, even; authenc 16..32;
 *	hmac(shaN) 16..digest size.
 * @ESF_A_KEY_ID: binary, at most %ESF_KEY_ID_MAX bytes, in/out. Opaque key
 *	identifier, for example the JWE "kid" (pairwiseESPrimKeyID).
 * @ESF_A_REPLAY_WINDOW: u32, in/out. Size of OPEN's replay protection, 0
 *	(no replay check) to %ESF_REPLAY_WINDOW_MAX: under %ESF_NONCE_ESF the
 *	width of the window in sequence numbers, under %ESF_NONCE_ANY how
 *	many records' nonces are remembered (see &enum esf_nonce_policy).
 * @ESF_A_SEQ_START: u64, in/out. First sequence number SEAL uses.
 * @ESF_A_LIFETIME_SOFT: nested &enum esf_lifetime_attr, in/out. Crossing any
 *	of its limits sends one ESF_CMD_EXPIRE of kind ESF_EXPIRE_SOFT.
 * @ESF_A_LIFETIME_HARD: nested &enum esf_lifetime_attr, in/out. Reaching any
 *	of its limits stops the session (ESF_EXPIRE_HARD).
 * @ESF_A_SESSION_TYPE: u8 &enum esf_session_type, in/out. The ESF security
 *	session type the key is bound to; 0 = not bound.
 * @ESF_A_DATA_CLASS: u8, 0..3, in/out. The ESF target data class the key is
 *	bound to; 0 = not bound.
 * @ESF_A_OWNER_UID: u32, in/out. User allowed to bind the session.
 * @ESF_A_OWNER_GID: u32, in/out. Group whose members may bind the session.
 * @ESF_A_FLAGS: u32 of &enum esf_session_flags, in/out.
 * @ESF_A_PROVIDER: u32 of &enum esf_provider_flags, out. What serves it.
 * @ESF_A_STATE: u8 &enum esf_state, out.
 * @ESF_A_AGE: u64, out. Seconds since the session was created.
 * @ESF_A_SEQ_NEXT: u64, out. Next sequence number SEAL will use.
 * @ESF_A_USAGE: nested &enum esf_lifetime_attr, out. Messages, bytes and
 *	seconds used so far, counted as the lifetimes count them.
 * @ESF_A_STATS: nested &enum esf_stats_attr, out.
 * @ESF_A_EXPIRE_KIND: u8 &enum esf_expire_kind, out (ESF_CMD_EXPIRE).
 * @ESF_A_EXPIRE_REASON: u8 &enum esf_expire_reason, out (ESF_CMD_EXPIRE).
 * @ESF_A_FLUSHED: u32, out. Sessions removed by ESF_CMD_SESSION_FLUSH.
 * @ESF_A_BENCH: nested &enum esf_bench_attr, in/out (ESF_CMD_SESSION_BENCH
 *	only).
 * @ESF_A_NONCE_POLICY: u8 &enum esf_nonce_policy, in/out. Which nonces
 *	OPEN accepts.
 * @ESF_A_REPLAY_REMEMBERED: u32, out. Under %ESF_NONCE_ANY: nonces the
 *	replay record holds now (at most ESF_A_REPLAY_WINDOW); else 0.
 * @ESF_A_REPLAY_MEMORY: u32, out. Bytes the replay window or record
 *	takes in the kernel (fixed at creation).
 * @ESF_A_CEK_LEN: u8, in/out, kw(aes) only. Bytes of the content keys, 16,
 *	24 or 32 (JWE "enc" A128GCM, A192GCM, A256GCM); default: ESF_A_KEY's
 *	length.
 * @ESF_A_FRAMING: u8 &enum esf_framing, in/out. How records are laid out.
 * @ESF_A_GROUP: nested &enum esf_group_attr, in/out. Makes the session a
 *	group session (see "Group sessions" at the top): in
 *	ESF_CMD_SESSION_NEW ESF_GROUP_A_SENDERS and ESF_GROUP_A_SENDER are
 *	required, ESF_GROUP_A_EPOCH optional (default 0). Reported for group
 *	sessions with the epochs held. ESF_A_SALT is then the current key's
 *	salt, ESF_A_REPLAY_WINDOW each sender's window, ESF_A_SEQ_START the
 *	first sequence number within this member's 48 bits (below 2^48), and
 *	ESF_A_SEQ_NEXT the whole next value, sender id in its top 16 bits.
 */
enum esf_attr {
	ESF_A_UNSPEC,
	ESF_A_PAD,
	ESF_A_SESSION_ID,
	ESF_A_ALG,
	ESF_A_DRIVER,
	ESF_A_KEY,
	ESF_A_KEY_LEN,
	ESF_A_SALT,
	ESF_A_DIRECTION,
	ESF_A_TAG_LEN,
	ESF_A_KEY_ID,
	ESF_A_REPLAY_WINDOW,
	ESF_A_SEQ_START,
	ESF_A_LIFETIME_SOFT,
	ESF_A_LIFETIME_HARD,
	ESF_A_SESSION_TYPE,
	ESF_A_DATA_CLASS,
	ESF_A_OWNER_UID,
	ESF_A_OWNER_GID,
	ESF_A_FLAGS,
	ESF_A_PROVIDER,
	ESF_A_STATE,
	ESF_A_AGE,
	ESF_A_SEQ_NEXT,
	ESF_A_USAGE,
	ESF_A_STATS,
	ESF_A_EXPIRE_KIND,
	ESF_A_EXPIRE_REASON,
	ESF_A_FLUSHED,
	ESF_A_BENCH,
	ESF_A_NONCE_POLICY,
	ESF_A_REPLAY_REMEMBERED,
	ESF_A_REPLAY_MEMORY,
	ESF_A_CEK_LEN,
	ESF_A_FRAMING,
	ESF_A_GROUP,
	__ESF_A_MAX
};

#define ESF_A_MAX (__ESF_A_MAX - 1)

/**
 * enum esf_lifetime_attr - limits inside ESF_A_LIFETIME_SOFT/HARD and
 * counts inside ESF_A_USAGE. A limit that is absent or 0 is no limit.
 * @ESF_LIFETIME_A_UNSPEC: unused
 * @ESF_LIFETIME_A_PAD: padding
 * @ESF_LIFETIME_A_MESSAGES: u64, records sealed or signed (counted when
 *	submitted: a nonce is spent even if the provider then fails) plus
 *	records opened or verified successfully (so forgeries cannot use up a
 *	session)
 * @ESF_LIFETIME_A_BYTES: u64, input bytes of the same records (data, not AAD)
 * @ESF_LIFETIME_A_SECONDS: u64, seconds since creation; as a limit at most
 *	%ESF_LIFETIME_SECONDS_MAX
 */
enum esf_lifetime_attr {
	ESF_LIFETIME_A_UNSPEC,
	ESF_LIFETIME_A_PAD,
	ESF_LIFETIME_A_MESSAGES,
	ESF_LIFETIME_A_BYTES,
	ESF_LIFETIME_A_SECONDS,
	__ESF_LIFETIME_A_MAX
};

#define ESF_LIFETIME_A_MAX (__ESF_LIFETIME_A_MAX - 1)

/**
 * enum esf_stats_attr - u64 counters inside ESF_A_STATS
 * @ESF_STATS_A_UNSPEC: unused
 * @ESF_STATS_A_PAD: padding
 * @ESF_STATS_A_SEAL: records sealed
 * @ESF_STATS_A_OPEN: records opened (authenticated and decrypted)
 * @ESF_STATS_A_SIGN: records signed
 * @ESF_STATS_A_VERIFY: records verified
 * @ESF_STATS_A_BYTES: input bytes of successful operations (data, not AAD)
 * @ESF_STATS_A_AUTH_FAIL: OPEN or VERIFY rejected: bad tag
 * @ESF_STATS_A_REPLAY: OPEN rejected: sequence number already seen
 * @ESF_STATS_A_TOO_OLD: OPEN rejected: sequence number left of the window
 * @ESF_STATS_A_EXPIRED: operations refused because a hard lifetime was reached
 * @ESF_STATS_A_REFUSED: operations refused by the session's binding
 *	(direction, operation, session type, data class)
 * @ESF_STATS_A_ERRORS: other failures (provider errors, out of memory)
 * @ESF_STATS_A_EXPIRE_EVENTS: ESF_CMD_EXPIRE events sent for this session
 * @ESF_STATS_A_ASYNC: records the provider accepted to finish later
 *	(-EINPROGRESS): the work left the submitting thread
 * @ESF_STATS_A_BACKLOG: records the provider queued on its backlog because
 *	its queue was full (-EBUSY with CRYPTO_TFM_REQ_MAY_BACKLOG); they are
 *	counted in @ESF_STATS_A_ASYNC too
 * @ESF_STATS_A_ZEROCOPY: records whose text the provider read from, and
 *	whose output it wrote to, the caller's own pages (ESF_CMSG_OUTPUT)
 * @ESF_STATS_A_FOREIGN: OPEN rejected under %ESF_NONCE_ESF before any
 *	crypto: the nonce's salt is not the session's (-ENOMSG), so the
 *	record was not sealed by this session's peer session, or by an
 *	implementation that picks its own IVs (%ESF_NONCE_ANY serves those)
 * @ESF_STATS_A_REPLAY_EVICTED: under %ESF_NONCE_ANY, nonces the full
 *	replay record forgot, oldest first, to remember newer ones: replays
 *	of those records are no longer detected
 * @ESF_STATS_A_SOCKET: records submitted through the AF_ALG socket type
 * @ESF_STATS_A_DEVICE: records submitted through /dev/esf
 * @ESF_STATS_A_RESEAL: records opened under this session and sealed again
 *	under another in the kernel (%ESF_OP_RESEAL), or sealed here from
 *	another session's plaintext: their plaintext never left the kernel
 * @ESF_STATS_A_AGGREGATE: %ESF_OP_AGGREGATE records: on an opening
 *	session, its records opened into an aggregate; on the sealing
 *	session, the aggregates it sealed. Counted when the aggregate's SEAL
 *	succeeded: their plaintext never left the kernel
 */
enum esf_stats_attr {
	ESF_STATS_A_UNSPEC,
	ESF_STATS_A_PAD,
	ESF_STATS_A_SEAL,
	ESF_STATS_A_OPEN,
	ESF_STATS_A_SIGN,
	ESF_STATS_A_VERIFY,
	ESF_STATS_A_BYTES,
	ESF_STATS_A_AUTH_FAIL,
	ESF_STATS_A_REPLAY,
	ESF_STATS_A_TOO_OLD,
	ESF_STATS_A_EXPIRED,
	ESF_STATS_A_REFUSED,
	ESF_STATS_A_ERRORS,
	ESF_STATS_A_EXPIRE_EVENTS,
	ESF_STATS_A_ASYNC,
	ESF_STATS_A_BACKLOG,
	ESF_STATS_A_ZEROCOPY,
	ESF_STATS_A_FOREIGN,
	ESF_STATS_A_REPLAY_EVICTED,
	ESF_STATS_A_SOCKET,
	ESF_STATS_A_DEVICE,
	ESF_STATS_A_RESEAL,
	ESF_STATS_A_AGGREGATE,
	__ESF_STATS_A_MAX
};

#define ESF_STATS_A_MAX (__ESF_STATS_A_MAX - 1)

/**
 * enum esf_direction - what a session may be used for
 * @ESF_DIR_SEAL: SEAL (AEAD) or SIGN (MIC) only
 * @ESF_DIR_OPEN: OPEN (AEAD) or VERIFY (MIC) only
 * @ESF_DIR_BOTH: both
 */
enum esf_direction {
	ESF_DIR_SEAL = 1,
	ESF_DIR_OPEN = 2,
	ESF_DIR_BOTH = 3,
};

/**
 * enum esf_session_type - ESF security session types (oneM2M TR-0012 6.2)
 * @ESF_STYPE_NONE: not bound to a session type
 * @ESF_STYPE_S1: one-way single envelope
 * @ESF_STYPE_S2: two-way single envelope
 * @ESF_STYPE_SM: multi-envelope session
 */
enum esf_session_type {
	ESF_STYPE_NONE = 0,
	ESF_STYPE_S1 = 1,
	ESF_STYPE_S2 = 2,
	ESF_STYPE_SM = 3,
};

/**
 * enum esf_nonce_policy - ESF_A_NONCE_POLICY: which nonces OPEN accepts
 *
 * SEAL is the same under both: the kernel's salt || sequence nonce, which
 * every AEAD implementation accepts.
 *
 * @ESF_NONCE_ESF: the nonce is the session's salt and a 64-bit sequence
 *	number, as esf's own SEAL makes it; a record with another salt fails
 *	with -ENOMSG (counted in %ESF_STATS_A_FOREIGN); replays are caught by
 *	a window over the sequence numbers (-EALREADY, -ESTALE). The default,
 *	and the right policy between esf peers.
 * @ESF_NONCE_ANY: any 12-byte IV, as other JOSE and oneM2M
 *	implementations choose them at random; gcm(aes) and ccm(aes) only.
 *	Replays are caught by a record of the nonces of the last
 *	ESF_A_REPLAY_WINDOW records opened (-EALREADY): a replay of one of
 *	those is always refused, a replay of an older one is not (see
 *	%ESF_STATS_A_REPLAY_EVICTED). Bound the session's life so that it
 *	never opens more records than it remembers (a hard lifetime of at
 *	most ESF_A_REPLAY_WINDOW messages) and no longer than the senders'
 *	records are valid (for ESPrim, the rand objects' expiry): esfd does.
 *	Records carry no sequence number: esf_res.seq is 0. The salt is
 *	only needed if the session also seals.
 */
enum esf_nonce_policy {
	ESF_NONCE_ESF = 1,
	ESF_NONCE_ANY = 2,
};

/**
 * enum esf_framing - ESF_A_FRAMING: how a session's records are laid out
 * @ESF_FRAMING_NONCE: nonce || ciphertext || tag, the record of the table
 *	above (the default)
 * @ESF_FRAMING_DTLS12: DTLS 1.2 AEAD records (RFC 6347, RFC 5288), for ESF
 *	Sm sessions (TR-0012 6.2.2.2.3.5); gcm(aes) with a 16-byte tag only.
 *	ESF_A_KEY is the direction's write key and ESF_A_SALT its 4-byte
 *	implicit IV (the TLS key block's client_ or server_write_IV);
 *	ESF_A_SEQ_START is the epoch in its top 16 bits and the first
 *	48-bit sequence number below. SEAL takes the ContentType as its one
 *	byte of AAD (aad_len 1) and at most %ESF_DTLS_MAX_PLAIN bytes of
 *	data, and outputs a whole DTLSCiphertext: the 13-byte header (type,
 *	version 0xfefd, epoch, sequence number, length), the 8-byte explicit
 *	nonce (the same epoch and sequence number) and the ciphertext and
 *	tag; the GCM nonce is salt || explicit nonce and the AAD is
 *	seq_num || type || version || plaintext length, both made in the
 *	kernel. The session stops at the end of its epoch (-EKEYEXPIRED,
 *	ESF_EXPIRE_SEQUENCE): rekey into the next. OPEN takes a whole record
 *	and no AAD; its header must say version 1.2, its own length and the
 *	session's epoch (else -EBADMSG; another epoch: -ENOMSG); the replay
 *	window runs over its epoch and sequence number (esf_res.seq), and
 *	the explicit nonce may be anything the sender chose. OPEN's output
 *	is the plaintext; the (authenticated) ContentType is the record's
 *	first byte. esf_session_info.alg is %ESF_ALG_DTLS12_GCM_AES.
 */
enum esf_framing {
	ESF_FRAMING_NONCE = 1,
	ESF_FRAMING_DTLS12 = 2,
};

/* DTLS 1.2 records (ESF_FRAMING_DTLS12) */
#define ESF_DTLS_HEADER_LEN	13
#define ESF_DTLS_NONCE_LEN	8	/* the explicit nonce after the header */
#define ESF_DTLS_MAX_PLAIN	16384	/* 2^14, RFC 6347 4.1 */

/**
 * enum esf_session_flags - ESF_A_FLAGS bits
 * @ESF_F_REQUIRE_HW: fail creation unless the provider is off-CPU
 *	(ESF_PROVIDER_HW)
 */
enum esf_session_flags {
	ESF_F_REQUIRE_HW = 1 << 0,
};

#define ESF_F_ALL (ESF_F_REQUIRE_HW)

/**
 * enum esf_provider_flags - ESF_A_PROVIDER bits
 * @ESF_PROVIDER_ASYNC: the transform completes asynchronously
 * @ESF_PROVIDER_HW: the work leaves the CPU (CAAM, QAT, virtio-crypto): the
 *	transform is driver-only (CRYPTO_ALG_KERN_DRIVER_ONLY), or asynchronous
 *	and allocating per request (CRYPTO_ALG_ALLOCATES_MEMORY), which CPU code,
 *	SIMD wrappers included, never is
 * @ESF_PROVIDER_PINNED: created with ESF_A_DRIVER
 */
enum esf_provider_flags {
	ESF_PROVIDER_ASYNC = 1 << 0,
	ESF_PROVIDER_HW = 1 << 1,
	ESF_PROVIDER_PINNED = 1 << 2,
};

/**
 * enum esf_state - ESF_A_STATE
 * @ESF_STATE_ACTIVE: usable
 * @ESF_STATE_SOFT_EXPIRED: usable; a soft lifetime was crossed
 * @ESF_STATE_EXPIRED: unusable; a hard lifetime was reached
 */
enum esf_state {
	ESF_STATE_ACTIVE = 1,
	ESF_STATE_SOFT_EXPIRED = 2,
	ESF_STATE_EXPIRED = 3,
};

/**
 * enum esf_expire_kind - ESF_A_EXPIRE_KIND
 * @ESF_EXPIRE_SOFT: soft limit crossed; rekey now
 * @ESF_EXPIRE_HARD: hard limit reached; the session no longer works
 */
enum esf_expire_kind {
	ESF_EXPIRE_SOFT = 1,
	ESF_EXPIRE_HARD = 2,
};

/**
 * enum esf_expire_reason - ESF_A_EXPIRE_REASON: which limit
 * @ESF_EXPIRE_MESSAGES: ESF_LIFETIME_A_MESSAGES
 * @ESF_EXPIRE_BYTES: ESF_LIFETIME_A_BYTES
 * @ESF_EXPIRE_SECONDS: ESF_LIFETIME_A_SECONDS
 * @ESF_EXPIRE_SEQUENCE: the 64-bit SEAL counter is exhausted; it never wraps
 */
enum esf_expire_reason {
	ESF_EXPIRE_MESSAGES = 1,
	ESF_EXPIRE_BYTES = 2,
	ESF_EXPIRE_SECONDS = 3,
	ESF_EXPIRE_SEQUENCE = 4,
};

#define ESF_SALT_LEN			4
#define ESF_KEY_ID_MAX			64
#define ESF_KEY_MAX			128
#define ESF_TAG_MAX			64
#define ESF_REPLAY_WINDOW_DEFAULT	1024
/**
 * enum esf_bench_attr - ESF_A_BENCH: the crypto API's own limit
 *
 * ESF_CMD_SESSION_BENCH (CAP_NET_ADMIN; ESF_A_SESSION_ID and ESF_A_BENCH
 * required) runs the session's transform, ESF_BENCH_A_ITERATIONS times, one
 * request after the other, on a kernel buffer: crypto_aead_encrypt() for an
 * AEAD session, crypto_ahash_digest() for a MIC session. Nothing else of
 * the fast path runs (no counter, replay window, lifetime or copy), and
 * nothing it computes leaves the kernel; it takes no sequence number and
 * counts in no statistic. The reply repeats ESF_A_SESSION_ID and
 * ESF_A_BENCH with ESF_BENCH_A_NSEC added. esf-bench compares the fast path
 * with it. rfc4106(gcm(aes)), kw(aes) and group sessions are refused
 * (-EOPNOTSUPP). A fatal signal stops the loop (-EINTR).
 *
 * @ESF_BENCH_A_UNSPEC: unused
 * @ESF_BENCH_A_PAD: padding for 64-bit attributes
 * @ESF_BENCH_A_SIZE: u32, in, required. Payload bytes per request, at most
 *	%ESF_MAX_DATA (authenc rounds it up to the AES block).
 * @ESF_BENCH_A_AAD_LEN: u32, in. AAD bytes per AEAD request, at most
 *	%ESF_MAX_AAD (default 0; MIC sessions take none).
 * @ESF_BENCH_A_ITERATIONS: u32, in, required. Requests to run, 1 to
 *	%ESF_BENCH_ITERATIONS_MAX.
 * @ESF_BENCH_A_NSEC: u64, out. Wall time of the loop, in nanoseconds.
 */
enum esf_bench_attr {
	ESF_BENCH_A_UNSPEC,
	ESF_BENCH_A_PAD,
	ESF_BENCH_A_SIZE,
	ESF_BENCH_A_AAD_LEN,
	ESF_BENCH_A_ITERATIONS,
	ESF_BENCH_A_NSEC,
	__ESF_BENCH_A_MAX
};

#define ESF_BENCH_A_MAX (__ESF_BENCH_A_MAX - 1)
#define ESF_BENCH_ITERATIONS_MAX	(1U << 24)

#define ESF_REPLAY_WINDOW_MAX		65536

/**
 * enum esf_group_attr - inside ESF_A_GROUP
 * @ESF_GROUP_A_UNSPEC: unused
 * @ESF_GROUP_A_PAD: padding for 64-bit attributes
 * @ESF_GROUP_A_SENDERS: u16, in/out, 1 to %ESF_GROUP_SENDERS_MAX. How many
 *	senders the group has room for: sender ids are 0 .. SENDERS - 1, and
 *	OPEN keeps a replay window for each of them.
 * @ESF_GROUP_A_SENDER: u16, in/out. This member's sender id, below
 *	ESF_GROUP_A_SENDERS; in ESF_CMD_GROUP_SENDERS, the first sender to
 *	report (in) and a sender's id (out, inside ESF_GROUP_A_SENDER_STATE).
 * @ESF_GROUP_A_EPOCH: u32, in/out. The epoch number of the key given with
 *	it (ESF_CMD_SESSION_NEW, ESF_CMD_GROUP_EPOCH_NEW); out: the current
 *	key's.
 * @ESF_GROUP_A_EPOCH_NEXT: u32, out. The next key's epoch, when installed.
 * @ESF_GROUP_A_EPOCH_PREV: u32, out. The previous key's epoch, while held.
 * @ESF_GROUP_A_SALT_NEXT: binary, 4 bytes, out. The next key's salt.
 * @ESF_GROUP_A_SALT_PREV: binary, 4 bytes, out. The previous key's salt.
 * @ESF_GROUP_A_SENDERS_SEEN: u32, out. Senders whose records this session
 *	has opened.
 * @ESF_GROUP_A_SENDER_STATE: nested, out (ESF_CMD_GROUP_SENDERS), one per
 *	sender: ESF_GROUP_A_SENDER and ESF_GROUP_A_SENDER_TOP.
 * @ESF_GROUP_A_SENDER_TOP: u64, out. The highest sequence number (the low
 *	48 bits of the nonce's 64) opened from that sender.
 * @ESF_GROUP_A_SENDER_NEXT: u32, out (ESF_CMD_GROUP_SENDERS). The sender
 *	to ask from for the rest; absent when the reply is the last.
 */
enum esf_group_attr {
	ESF_GROUP_A_UNSPEC,
	ESF_GROUP_A_PAD,
	ESF_GROUP_A_SENDERS,
	ESF_GROUP_A_SENDER,
	ESF_GROUP_A_EPOCH,
	ESF_GROUP_A_EPOCH_NEXT,
	ESF_GROUP_A_EPOCH_PREV,
	ESF_GROUP_A_SALT_NEXT,
	ESF_GROUP_A_SALT_PREV,
	ESF_GROUP_A_SENDERS_SEEN,
	ESF_GROUP_A_SENDER_STATE,
	ESF_GROUP_A_SENDER_TOP,
	ESF_GROUP_A_SENDER_NEXT,
	__ESF_GROUP_A_MAX
};

#define ESF_GROUP_A_MAX (__ESF_GROUP_A_MAX - 1)

#define ESF_GROUP_SENDERS_MAX		4096
/* Bits of replay window a group session may hold, all senders together. */
#define ESF_GROUP_REPLAY_BITS_MAX	(1U << 22)
#define ESF_GROUP_SENDERS_PER_MSG	128
/* A sender's sequence numbers: the low 48 bits of the nonce's 64. */
#define ESF_GROUP_SEQ_BITS		48
/* The sender and its sequence number in a group record's esf_res.seq. */
#define ESF_GROUP_SENDER(seq)	((__u16)((seq) >> ESF_GROUP_SEQ_BITS))
#define ESF_GROUP_SEQ(seq)	((seq) & ((1ULL << ESF_GROUP_SEQ_BITS) - 1))
#define ESF_LIFETIME_SECONDS_MAX	315360000	/* ten years */

/* Fast path (AF_ALG type ESF_ALG_TYPE) */

/**
 * enum esf_opcode - esf_rec.op
 * @ESF_OP_SEAL: encrypt and authenticate (AEAD sessions)
 * @ESF_OP_OPEN: check, authenticate and decrypt (AEAD sessions)
 * @ESF_OP_SIGN: compute a MIC (MIC sessions)
 * @ESF_OP_VERIFY: check a MIC in constant time (MIC sessions)
 * @ESF_OP_RESEAL: /dev/esf only: OPEN under the handle's session, then SEAL
 *	the plaintext under its second session (ESF_DEV_BIND_RESEAL), in the
 *	kernel; the plaintext never reaches user space (see /dev/esf below)
 * @ESF_OP_AGGREGATE: /dev/esf only: OPEN up to %ESF_AGG_MAX records, each
 *	under one of the handle's opening sessions (ESF_DEV_BIND_AGGREGATE),
 *	and SEAL their plaintexts, framed, as one record under the handle's
 *	session, in the kernel (see /dev/esf below)
 */
enum esf_opcode {
	ESF_OP_SEAL = 1,
	ESF_OP_OPEN = 2,
	ESF_OP_SIGN = 3,
	ESF_OP_VERIFY = 4,
	ESF_OP_RESEAL = 5,
	ESF_OP_AGGREGATE = 6,
};

/* Nonce: salt (4) || big-endian sequence number (8) [|| CBC IV (16)] */
#define ESF_NONCE_LEN		12
#define ESF_NONCE_LEN_AUTHENC	28

#define ESF_MAX_AAD		8192
/* The largest payload SEAL or SIGN takes. */
#define ESF_MAX_DATA		65536
/* The largest record OPEN or VERIFY takes: a sealed ESF_MAX_DATA payload
 * with the longest nonce, padding block and tag.
 */
#define ESF_MAX_RECORD		(ESF_MAX_DATA + ESF_NONCE_LEN_AUTHENC + 16 + ESF_TAG_MAX)
#define ESF_MAX_BATCH		1024
#define ESF_MAX_BATCH_BYTES	(4U << 20)
/*
 * Delivery in place never takes a record whose data_len is below this
 * from the caller's pages, whatever the zerocopy_min module parameter
 * says: shorter records are always copied.
 */
#define ESF_ZEROCOPY_FLOOR	256

/**
 * struct esf_rec - header of one record sent to an operation socket
 * @op: &enum esf_opcode
 * @data_class: the target data class the caller protects (1..3); must equal
 *	the session's ESF_A_DATA_CLASS when the session is bound to one
 * @session_type: &enum esf_session_type the caller uses; must equal the
 *	session's ESF_A_SESSION_TYPE when the session is bound to one
 * @flags: must be 0
 * @aad_len: bytes of additional authenticated data that follow (SEAL and
 *	OPEN; must be 0 for SIGN and VERIFY, whose data is all authenticated)
 * @data_len: bytes of input that follow the AAD
 * @reserved: must be 0
 */
struct esf_rec {
	__u8	op;
	__u8	data_class;
	__u8	session_type;
	__u8	flags;
	__u32	aad_len;
	__u32	data_len;
	__u32	reserved;
};

/**
 * struct esf_res - header of one result read from an operation socket
 * @status: 0, or a negative errno for this record (see the top of the file)
 * @out_len: valid bytes in the output slot that follows (0 when @status is
 *	not 0); the slot's size is fixed by the record (see the table above)
 * @seq: SEAL: the sequence number used; OPEN: the one verified; else 0
 */
struct esf_res {
	__s32	status;
	__u32	out_len;
	__u64	seq;
};

/* cmsg_type (cmsg_level SOL_ALG) of a sendmsg(2): deliver results in place. */
#define ESF_CMSG_OUTPUT		101

/**
 * struct esf_output_table - data of an ESF_CMSG_OUTPUT control message
 * @outputs: user address of @count struct esf_output
 * @count: number of records in the batch the call closes
 * @flags: must be 0
 */
struct esf_output_table {
	__aligned_u64	outputs;
	__u32		count;
	__u32		flags;
};

/**
 * struct esf_output - where one record's result goes (delivery in place)
 * @addr: user address of the record's output slot (see the table above)
 * @size: bytes available at @addr; at least the slot's size
 * @reserved: must be 0
 * @res: written by the kernel: the record's result header
 */
struct esf_output {
	__aligned_u64	addr;
	__u32		size;
	__u32		reserved;
	struct esf_res	res;
};

/* getsockopt(SOL_ALG, ESF_SO_SESSION_INFO) on an operation socket. */
#define ESF_SO_SESSION_INFO	100

/**
 * enum esf_alg_id - esf_session_info.alg
 * @ESF_ALG_GCM_AES: gcm(aes)
 * @ESF_ALG_RFC4106_GCM_AES: rfc4106(gcm(aes))
 * @ESF_ALG_CCM_AES: ccm(aes)
 * @ESF_ALG_AUTHENC_HMAC_SHA256_CBC_AES: authenc(hmac(sha256),cbc(aes))
 * @ESF_ALG_HMAC_SHA256: hmac(sha256)
 * @ESF_ALG_HMAC_SHA384: hmac(sha384)
 * @ESF_ALG_HMAC_SHA512: hmac(sha512)
 * @ESF_ALG_DTLS12_GCM_AES: gcm(aes) with %ESF_FRAMING_DTLS12: DTLS 1.2
 *	records (see &enum esf_framing)
 * @ESF_ALG_KW_AES: kw(aes). A record is an AES-GCM record under a content
 *	key (CEK) of its own: SEAL's output is the CEK wrapped with the
 *	session's key (RFC 3394: 8 + cek_len bytes, the JWE Encrypted Key),
 *	the 12-byte IV (the session's salt and sequence number), the
 *	ciphertext and the 16-byte tag; esf_session_info.nonce_len covers the
 *	wrapped key and the IV. OPEN takes the same, with any IV: the
 *	session's nonce policy is always %ESF_NONCE_ANY, and its replay record
 *	remembers the wrapped key and IV of each record opened. A wrapped
 *	key the session's key did not wrap fails with -EBADMSG. The CEK never
 *	leaves the kernel.
 */
enum esf_alg_id {
	ESF_ALG_GCM_AES = 1,
	ESF_ALG_RFC4106_GCM_AES = 2,
	ESF_ALG_CCM_AES = 3,
	ESF_ALG_AUTHENC_HMAC_SHA256_CBC_AES = 4,
	ESF_ALG_HMAC_SHA256 = 5,
	ESF_ALG_HMAC_SHA384 = 6,
	ESF_ALG_HMAC_SHA512 = 7,
	ESF_ALG_KW_AES = 8,
	ESF_ALG_DTLS12_GCM_AES = 9,
};

/**
 * struct esf_session_info - what an operation socket's session is
 * @session_id: ESF_A_SESSION_ID
 * @alg: &enum esf_alg_id
 * @direction: &enum esf_direction
 * @session_type: ESF_A_SESSION_TYPE
 * @data_class: ESF_A_DATA_CLASS
 * @tag_len: ESF_A_TAG_LEN
 * @nonce_len: bytes of nonce SEAL prepends (0 for MIC sessions; for
 *	kw(aes) the wrapped content key and the IV)
 * @key_id_len: bytes used in @key_id
 * @cek_len: kw(aes): ESF_A_CEK_LEN; else 0
 * @key_len: ESF_A_KEY_LEN
 * @provider: ESF_A_PROVIDER
 * @max_aad: %ESF_MAX_AAD (or less for rfc4106)
 * @max_data: %ESF_MAX_DATA
 * @key_id: ESF_A_KEY_ID
 * @driver: ESF_A_DRIVER as resolved, NUL-terminated
 */
struct esf_session_info {
	__u32	session_id;
	__u8	alg;
	__u8	direction;
	__u8	session_type;
	__u8	data_class;
	__u8	tag_len;
	__u8	nonce_len;
	__u8	key_id_len;
	__u8	cek_len;
	__u32	key_len;
	__u32	provider;
	__u32	max_aad;
	__u32	max_data;
	__u8	key_id[ESF_KEY_ID_MAX];
	char	driver[128];
};

/*
 * /dev/esf: the device front end
 * ------------------------------
 *
 * The same sessions, permissions, nonces, replay windows, lifetimes,
 * counters and EXPIRE events as the AF_ALG socket type, for systems where
 * AF_ALG is off or blocked (container seccomp profiles, Linux 7.2's
 * restrictions), and without a copy of the text at any size.
 *
 * open(2) /dev/esf gives a handle. ESF_DEV_BIND names the session, checked
 * as bind(2) on the socket is (-ENOENT, -EACCES). ESF_DEV_REGISTER pins a
 * region of the caller's memory (page-aligned, at most ESF_DEV_REGION_MAX
 * bytes) for the handle's life, charged to RLIMIT_MEMLOCK (-ENOMEM past
 * it, unless CAP_IPC_LOCK): in it lie the record table (sq_entries
 * struct esf_dev_rec at sq_off), the completion ring (struct esf_dev_cq
 * and cq_entries struct esf_dev_cqe at cq_off; cq_entries a power of two)
 * and the records' AAD, input and output, named by offsets. Only the
 * process that registered the region may submit (another, after fork(2):
 * -EACCES); ESF_DEV_UNREGISTER (-EBUSY while batches run) or close(2)
 * lets it go.
 *
 * ESF_DEV_SUBMIT (struct esf_dev_submit) runs table entries first ..
 * first + count - 1 as one batch, in order, on the session's provider;
 * the text is read from and written to the region in place. Each entry's
 * esf_res is written when the batch completes: status, out_len and seq as
 * on the socket, and the output slot (the table at the top of this file)
 * written whole, zero-filled on failure. Entries are read once, when
 * submitted; a batch whose entries are malformed (unknown op, non-zero
 * reserved fields or flags, lengths over the socket's limits, an AAD,
 * input or output outside the region or over the table or ring, an
 * output slot smaller than the record's) fails whole with -EINVAL,
 * -EMSGSIZE or -ERANGE before anything runs. Per-record refusals are as
 * on the socket. At most ESF_DEV_MAX_BATCHES batches run at once per
 * handle (-EBUSY beyond). With ESF_DEV_SUBMIT_WAIT the call returns when
 * the batch is done; without, it returns once the batch is submitted and
 * the batch's end is posted as a struct esf_dev_cqe in the completion ring
 * (poll(2) reports EPOLLIN while the ring holds entries; -EBUSY when it
 * has no room). Waits for room on a saturated off-CPU provider follow
 * O_NONBLOCK as the socket's follow MSG_DONTWAIT.
 *
 * io_uring: IORING_OP_URING_CMD on a /dev/esf handle with cmd_op
 * ESF_DEV_URING_SUBMIT and the first 16 bytes of a struct esf_dev_submit
 * (first, count, flags 0, reserved) as the SQE's command bytes submits the
 * same way; the batch's end is the io_uring CQE (res:
 * the count, or a negative errno), not an entry in esf's ring. Kernels
 * without uring_cmd for files (before 5.19) fail it with -EOPNOTSUPP.
 *
 * Re-seal, for a gateway that forwards hop by hop without seeing the text:
 * ESF_DEV_BIND_RESEAL (struct esf_dev_bind) names a second session, after
 * ESF_DEV_BIND (-EBADFD before) and once per handle (-EBUSY), checked as
 * ESF_DEV_BIND is (-ENOENT, -EACCES): the caller must be allowed on both
 * sessions. The first must open (-EPERM otherwise) and be an AEAD session
 * whose plaintext length follows from the record's (gcm(aes), ccm(aes),
 * kw(aes); a group session of gcm(aes) too); the second must seal
 * (-EPERM) and be an AEAD session other than kw(aes) and DTLS
 * (-EOPNOTSUPP for either rule); its data_class and session_type apply
 * to the SEAL half of each record.
 * An ESF_OP_RESEAL entry names the first session's record as its input
 * (nonce || ciphertext || tag) and that record's AAD at aad_off (aad_len
 * bytes), directly followed by the AAD to seal with (aad2_len bytes). Its
 * output slot gets the second session's record, as that session's SEAL
 * slot for the plaintext's length. The plaintext lies only in the
 * handle's kernel memory and is wiped when the batch ends.
 *
 * Each half keeps its session's rules. The SEAL's lifetime charge and
 * sequence number are taken first: a record refused there is not opened,
 * so its replay window entry stays unspent. The OPEN then checks the
 * nonce, the replay window and the tag, and the SEAL runs. A record that
 * fails to open spends the sequence number it took, as a SEAL whose
 * provider fails does. esf_res is the SEAL's (status, out_len, seq), or
 * carries the OPEN's error. Both sessions count the record in
 * ESF_STATS_A_RESEAL when both halves succeeded. Under max_inflight a
 * record counts against the first session's provider. A handle without a
 * second session, and the socket, refuse ESF_OP_RESEAL as an unknown
 * operation (-EINVAL).
 *
 * Aggregate, for a gateway that turns many devices' records into one
 * upstream record under its own session without seeing them:
 * ESF_DEV_BIND_AGGREGATE (struct esf_dev_bind) adds an opening session to
 * the handle, after ESF_DEV_BIND (-EBADFD before), up to
 * ESF_AGG_SESSIONS_MAX of them (-ENOSPC), numbered from 0 in the order
 * bound (the slot). Each is checked as ESF_DEV_BIND is (-ENOENT, -EACCES:
 * the caller must be allowed on every session) and paired with the
 * handle's session as a re-seal's two are (the opening session must open,
 * the handle's seal: -EPERM; -EOPNOTSUPP for an algorithm re-seal does
 * not take); its data_class and session_type apply to the OPENs under it.
 * An ESF_OP_AGGREGATE entry's input (in_off, in_len) is an array of n
 * struct esf_dev_agg_in, 1 <= n <= ESF_AGG_MAX (in_len = n * its size,
 * else -EINVAL), each naming a record sealed under its slot's session and
 * that record's AAD; aad_off and aad_len are the AAD the handle's session
 * seals with (aad2_len is 0). The plaintext the SEAL takes is the inputs'
 * plaintexts in array order, each preceded by its length as a 32-bit
 * big-endian number:
 *
 *   be32 len_0 || plaintext_0 || be32 len_1 || plaintext_1 || ...
 *
 * at most ESF_MAX_DATA bytes in all (-EMSGSIZE). The output slot gets the
 * handle's session's record, as its SEAL slot for that length. The
 * plaintexts lie only in the handle's kernel memory and are wiped when
 * the batch ends.
 *
 * Semantics. The SEAL's checks, lifetime charge and sequence number come
 * first: a record refused there (the hard lifetime reached:
 * -EKEYEXPIRED) opens nothing. The inputs are then opened in order, one
 * at a time, each checked as an OPEN is (nonce, replay window, tag,
 * permissions of its binding) but not yet committed. If one fails, the
 * record fails with its error: no output (the slot zero-filled), no
 * input's window entry spent, no input's lifetime charged; the SEAL's
 * sequence number is spent, as for a re-seal whose OPEN fails. When all
 * have authenticated, their window entries are spent and their lifetimes
 * charged, and the SEAL runs; a record named twice in one aggregate fails
 * it with -EALREADY before anything is spent (unless its session keeps no
 * replay window, ESF_A_REPLAY_WINDOW 0). (Only a record in two
 * aggregates in flight at once can be found a replay at that point, by
 * the later one: the inputs before it then stay spent.) Each input's
 * esf_dev_agg_in.status is written when the batch completes: 0 when its
 * window entry was spent, its own error for the input that failed, and
 * -ECANCELED for the others: those may be submitted again. The handle's
 * session counts the record in ESF_STATS_A_SEAL and each input's session
 * in ESF_STATS_A_OPEN, and all of them in ESF_STATS_A_AGGREGATE, once
 * the SEAL succeeded (the inputs' OPEN counts once their entries are
 * spent). Under max_inflight a record counts once, against the handle's
 * session's provider. A handle without opening sessions, and the socket,
 * refuse ESF_OP_AGGREGATE as an unknown operation (-EINVAL).
 */

#define ESF_DEV_NAME		"esf"
#define ESF_DEV_REGION_MAX	(1ULL << 30)
#define ESF_DEV_MAX_BATCHES	16
/* Inputs of one ESF_OP_AGGREGATE record, and opening sessions per handle. */
#define ESF_AGG_MAX		64
#define ESF_AGG_SESSIONS_MAX	16

/**
 * struct esf_dev_bind - ESF_DEV_BIND
 * @session_id: the session (ESF_A_SESSION_ID)
 * @data_class: as esf_rec.data_class, for every record of the handle
 * @session_type: as esf_rec.session_type, likewise
 * @reserved: 0
 */
struct esf_dev_bind {
	__u32	session_id;
	__u8	data_class;
	__u8	session_type;
	__u16	reserved;
};

/**
 * struct esf_dev_region - ESF_DEV_REGISTER
 * @addr: start, page-aligned
 * @len: bytes, a multiple of the page size, at most %ESF_DEV_REGION_MAX
 * @sq_off: offset of the record table, 8-byte aligned
 * @sq_entries: entries in it
 * @cq_off: offset of the completion ring, 8-byte aligned
 * @cq_entries: entries in it, a power of two
 * @flags: 0
 * @reserved: 0
 */
struct esf_dev_region {
	__aligned_u64	addr;
	__aligned_u64	len;
	__u32		sq_off;
	__u32		sq_entries;
	__u32		cq_off;
	__u32		cq_entries;
	__u32		flags;
	__u32		reserved;
};

/**
 * struct esf_dev_rec - one entry of the record table
 * @op: &enum esf_opcode
 * @flags: 0
 * @reserved: 0
 * @aad_off: offset of the AAD in the region
 * @aad_len: its length (as esf_rec.aad_len)
 * @in_off: offset of the input
 * @in_len: its length (as esf_rec.data_len)
 * @out_off: offset of the output slot
 * @out_size: bytes there; at least the record's slot
 * @aad2_len: %ESF_OP_RESEAL: the sealing session's AAD, right after the
 *	first at aad_off + aad_len; other operations: 0
 * @res: written by the kernel when the batch completes
 */
struct esf_dev_rec {
	__u8	op;
	__u8	flags;
	__u16	reserved;
	__u32	aad_off;
	__u32	aad_len;
	__u32	in_off;
	__u32	in_len;
	__u32	out_off;
	__u32	out_size;
	__u32	aad2_len;
	struct esf_res res;
};

/**
 * struct esf_dev_agg_in - one input of an %ESF_OP_AGGREGATE entry
 * @slot: its opening session: the ESF_DEV_BIND_AGGREGATE that named it,
 *	from 0
 * @flags: 0
 * @aad_off: offset in the region of the record's AAD
 * @aad_len: its length
 * @in_off: offset of the record (nonce || ciphertext || tag)
 * @in_len: its length
 * @status: written by the kernel when the batch completes (see above)
 */
struct esf_dev_agg_in {
	__u16	slot;
	__u16	flags;
	__u32	aad_off;
	__u32	aad_len;
	__u32	in_off;
	__u32	in_len;
	__s32	status;
};

/**
 * struct esf_dev_submit - ESF_DEV_SUBMIT, and the command bytes of
 *	ESF_DEV_URING_SUBMIT
 * @first: first table entry of the batch
 * @count: entries, 1 to %ESF_MAX_BATCH
 * @flags: %ESF_DEV_SUBMIT_WAIT or 0 (io_uring: 0)
 * @reserved: 0
 * @user_data: echoed in the completion (ioctl; io_uring has its own)
 */
struct esf_dev_submit {
	__u32		first;
	__u32		count;
	__u32		flags;
	__u32		reserved;
	__aligned_u64	user_data;
};

#define ESF_DEV_SUBMIT_WAIT	(1U << 0)

/**
 * struct esf_dev_cqe - the end of a batch submitted without waiting
 * @user_data: esf_dev_submit.user_data
 * @first: its first table entry
 * @count: its entries
 * @status: 0 (each entry's esf_res says how it went)
 * @reserved: 0
 */
struct esf_dev_cqe {
	__aligned_u64	user_data;
	__u32		first;
	__u32		count;
	__s32		status;
	__u32		reserved;
};

/**
 * struct esf_dev_cq - the completion ring's head, then its entries
 * @head: next entry to read, user space's to advance
 * @tail: next entry the kernel writes, the kernel's to advance (entries
 *	before it are complete once it is read with acquire ordering)
 * @reserved: 0
 * @cqes: cq_entries entries, index & (cq_entries - 1)
 */
struct esf_dev_cq {
	__u32			head;
	__u32			tail;
	__u32			reserved[2];
	struct esf_dev_cqe	cqes[];
};

#define ESF_DEV_IOC_MAGIC	0xe5
#define ESF_DEV_BIND		_IOW(ESF_DEV_IOC_MAGIC, 1, struct esf_dev_bind)
#define ESF_DEV_REGISTER	_IOW(ESF_DEV_IOC_MAGIC, 2, struct esf_dev_region)
#define ESF_DEV_UNREGISTER	_IO(ESF_DEV_IOC_MAGIC, 3)
#define ESF_DEV_SUBMIT		_IOW(ESF_DEV_IOC_MAGIC, 4, struct esf_dev_submit)
#define ESF_DEV_INFO		_IOR(ESF_DEV_IOC_MAGIC, 5, struct esf_session_info)
#define ESF_DEV_BIND_RESEAL	_IOW(ESF_DEV_IOC_MAGIC, 6, struct esf_dev_bind)
#define ESF_DEV_BIND_AGGREGATE	_IOW(ESF_DEV_IOC_MAGIC, 7, struct esf_dev_bind)
/* io_uring uring_cmd cmd_op */
#define ESF_DEV_URING_SUBMIT	ESF_DEV_SUBMIT

#endif /* _UAPI_LINUX_ESF_H */
