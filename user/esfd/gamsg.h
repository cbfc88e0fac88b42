/* SPDX-License-Identifier: GPL-2.0 */
/*
 * esfd: the messages and keys of static group authentication through a
 * gateway agent (TR-0012 7.2.1; docs/esfd.md, "Static group
 * authentication"). Pure functions: no daemon state, so the unit tests and
 * the fuzzer reach them.
 */
#ifndef ESFD_GAMSG_H
#define ESFD_GAMSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#define ESFD_GA_NONCE_LEN	16
#define ESFD_GA_RAND_LEN	16
#define ESFD_GA_MAC_LEN		32
/* Device ids in one request of the agent: 1000 ids of 48 bytes fit 64 KiB. */
#define ESFD_GA_IDS_MAX		1000

/**
 * enum esfd_ga_kind - the six messages, by their Content member name
 * @ESFD_GA_NONE: not one of them
 * @ESFD_GA_DEV_REQ: "esf:gaq", device to agent: please authenticate me
 * @ESFD_GA_DEV_ANS: "esf:gar", the agent's answer to it: the server's Rand
 * @ESFD_GA_GRP_REQ: "esf:gas", agent to server: these devices, once
 * @ESFD_GA_GRP_ANS: "esf:gsr", the server's answer: one Rand, the ids taken
 * @ESFD_GA_CONF_REQ: "esf:gac", device to server: I hold Ks_x
 * @ESFD_GA_CONF_ANS: "esf:gcr", the server's answer: so do I
 */
enum esfd_ga_kind {
	ESFD_GA_NONE,
	ESFD_GA_DEV_REQ,
	ESFD_GA_DEV_ANS,
	ESFD_GA_GRP_REQ,
	ESFD_GA_GRP_ANS,
	ESFD_GA_CONF_REQ,
	ESFD_GA_CONF_ANS,
	ESFD_GA__N
};

/**
 * struct esfd_gamsg - one message, decoded (strings point into the JSON)
 * @kind: which
 * @grp: the authentication group's id
 * @nnc: the requester's nonce (DEV_REQ, DEV_ANS's binding, GRP_REQ, GRP_ANS's)
 * @rnd: the server's Rand (DEV_ANS, GRP_ANS, CONF_REQ, CONF_ANS's binding)
 * @ids: GRP_REQ: the devices the agent authenticated; GRP_ANS: those the
 *	server took (a JSON array of strings, borrowed)
 * @mac: the message's MAC
 */
struct esfd_gamsg {
	enum esfd_ga_kind kind;
	const char *grp;
	uint8_t nnc[ESFD_GA_NONCE_LEN];
	uint8_t rnd[ESFD_GA_RAND_LEN];
	const json_t *ids;
	uint8_t mac[ESFD_GA_MAC_LEN];
};

/**
 * esfd_ga_kind_of() - is this Content one of the six messages?
 * @pc: the Content (a request's or a response's), or NULL
 *
 * Return: its kind: an object whose only member is one of the six names.
 */
enum esfd_ga_kind esfd_ga_kind_of(const json_t *pc);

/**
 * esfd_ga_name() - a kind's Content member name
 * @k: the kind
 *
 * Return: "esf:gaq" ..., or "?".
 */
const char *esfd_ga_name(enum esfd_ga_kind k);

/**
 * esfd_ga_read() - strict reading of a message
 * @pc: the Content
 * @want: the kind expected
 * @m: filled in
 *
 * Exactly the members the kind has, the byte strings base64url of their
 * exact length, ids 1..%ESFD_GA_IDS_MAX well-formed ids without repeats.
 *
 * Return: 0, or -EPROTO.
 */
int esfd_ga_read(const json_t *pc, enum esfd_ga_kind want, struct esfd_gamsg *m);

/**
 * esfd_ga_build() - a message's Content
 * @m: the message, its MAC filled in by esfd_ga_mac()
 *
 * Return: the Content ({"esf:...": {...}}), or NULL without memory.
 */
json_t *esfd_ga_build(const struct esfd_gamsg *m);

/**
 * esfd_ga_mac() - the MAC of a message
 * @key: the message's key (esfd_ga_link_key() or esfd_ga_confirm_key())
 * @m: the message (its @mac is not read)
 * @from: the sender's id
 * @to: the receiver's id
 * @nnc: a DEV_ANS or GRP_ANS: the nonce of the request answered; else NULL
 * @rnd: a CONF_ANS: the Rand confirmed; else NULL
 * @out: the MAC
 *
 * HMAC-SHA-256 over the kind's name, @m's group id, @from and @to, then
 * the nonce, the Rand and every id, each field followed by one zero byte;
 * byte strings are in their base64url text.
 *
 * Return: 0 or a negative errno.
 */
int esfd_ga_mac(const uint8_t key[32], const struct esfd_gamsg *m, const char *from,
		const char *to, const uint8_t *nnc, const uint8_t *rnd,
		uint8_t out[ESFD_GA_MAC_LEN]);

/**
 * esfd_ga_link_key() - the key of one link's messages
 * @k14: the link's end-to-end key: the SUID 14 usage-constrained key of
 *	the Kpsa the two ends share (device and agent, agent and server)
 * @grp: the authentication group's id
 * @out: HMAC-SHA-256(@k14, "esfd group authentication" || 0x00 || @grp)
 *
 * Return: 0 or a negative errno.
 */
int esfd_ga_link_key(const uint8_t k14[32], const char *grp, uint8_t out[32]);

/**
 * esfd_ga_confirm_key() - the key of a device's key confirmation
 * @ks: Ks_x (esfd_kdf_group_key())
 * @grp: the authentication group's id
 * @out: HMAC-SHA-256(@ks, "esfd group authentication confirmation" ||
 *	0x00 || @grp)
 *
 * Return: 0 or a negative errno.
 */
int esfd_ga_confirm_key(const uint8_t ks[32], const char *grp, uint8_t out[32]);

#endif /* ESFD_GAMSG_H */
