/* SPDX-License-Identifier: GPL-2.0 */
/*
 * esfd configuration file: identity, peers, credentials and policies. The
 * format is described in docs/esfd.conf.md; user/esfd/esfd.conf.example is
 * a complete example. The parser is strict: an unknown section or key, a
 * key given twice, a value out of range or a missing required key fails
 * with the line number and a message that never contains key material.
 */
#ifndef ESFD_CONFIG_H
#define ESFD_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <linux/esf.h>

#include "enc.h"
#include "hmac.h"

#define ESFD_NAME_MAX		32
/* CRYPTO_MAX_ALG_NAME less its NUL */
#define ESFD_DRIVER_MAX		127
#define ESFD_KPSA_MIN		16
#define ESFD_KPSA_MAX		64
#define ESFD_KPSA_ID_MAX	64
#define ESFD_HOST_MAX		253
#define ESFD_SOCK_PATH_MAX	107
#define ESFD_MAX_PEERS		4096
#define ESFD_MAX_POLICIES	64
#define ESFD_CONFIG_MAX		(1 << 20)
#define ESFD_CONFIG_LINE_MAX	4096
#define ESFD_MQTT_CLIENT_ID_MAX	128
#define ESFD_MQTT_USER_MAX	128
#define ESFD_MQTT_PASSWORD_MAX	256
#define ESFD_PATH_MAX		4096

/**
 * enum esfd_role - what an entity is in the oneM2M topology
 * @ESFD_ROLE_SERVER: infrastructure node (IN-CSE)
 * @ESFD_ROLE_GATEWAY: middle node (MN-CSE)
 * @ESFD_ROLE_DEVICE: application dedicated node or device (ADN/ASN)
 * @ESFD_ROLE_PEER: a peer of equal standing (vehicle to vehicle)
 */
enum esfd_role {
	ESFD_ROLE_SERVER = 1,
	ESFD_ROLE_GATEWAY = 2,
	ESFD_ROLE_DEVICE = 3,
	ESFD_ROLE_PEER = 4,
};

/**
 * enum esfd_gw_role - what a gateway does with a peer's records
 *	([peer] gateway-role; docs/esfd.conf.md, "Gateway roles")
 * @ESFD_GW_RESEAL: the default: the gateway holds the peer's pair keys of
 *	every class its policy allows, and forwards hop by hop (in-kernel
 *	re-seal where an application asks for it)
 * @ESFD_GW_FUNNEL: the peer's end-to-end keys pass through: the gateway
 *	holds no class 2 or 3 key for it, and establishes or accepts none
 * @ESFD_GW_AGGREGATOR: the peer's records are opened by the gateway's
 *	aggregating application (its policy's owner-uid), in the kernel, and
 *	sealed upstream as one record (ESF_OP_AGGREGATE)
 */
enum esfd_gw_role {
	ESFD_GW_RESEAL = 0,
	ESFD_GW_FUNNEL = 1,
	ESFD_GW_AGGREGATOR = 2,
};

/**
 * enum esfd_gateway - [esfd] gateway: who shares this gateway
 * @ESFD_GATEWAY_PRIVATE: one operator's applications (the default)
 * @ESFD_GATEWAY_PUBLIC: several applications, each of which must not use
 *	another's sessions (docs/esfd.conf.md, "Private and public gateways")
 */
enum esfd_gateway {
	ESFD_GATEWAY_PRIVATE = 0,
	ESFD_GATEWAY_PUBLIC = 1,
};

/**
 * enum esfd_aead - payload protection algorithm of a policy
 * @ESFD_AEAD_GCM: gcm(aes)
 * @ESFD_AEAD_CCM: ccm(aes)
 * @ESFD_AEAD_RFC4106: rfc4106(gcm(aes))
 * @ESFD_AEAD_AUTHENC: authenc(hmac(sha256),cbc(aes))
 * @ESFD_AEAD_HMAC: hmac(sha256): integrity only (MIC) for classes 2 and 3,
 *	keyed from the ESData signature key (SUID 15 or 45); class 1 stays
 *	gcm(aes)
 */
enum esfd_aead {
	ESFD_AEAD_GCM = 1,
	ESFD_AEAD_CCM = 2,
	ESFD_AEAD_RFC4106 = 3,
	ESFD_AEAD_AUTHENC = 4,
	ESFD_AEAD_HMAC = 5,
};

/**
 * struct esfd_lifetime - session limits; 0 is no limit
 * @messages: records
 * @bytes: input bytes
 * @seconds: seconds since creation
 */
struct esfd_lifetime {
	uint64_t messages;
	uint64_t bytes;
	uint64_t seconds;
};

/**
 * struct esfd_profile - a named security profile (TR-0012 7.5): what a
 *	policy may choose (profile.c has the table, docs/esfd.conf.md the
 *	figures)
 * @name: its name in the configuration
 * @about: one line for people
 * @aeads: bit per &enum esfd_aead allowed
 * @key_bits: bit 0: 128, 1: 192, 2: 256 allowed
 * @min_tag: shortest tag, bytes
 * @max_hard_seconds: the hard lifetimes' caps; 0: none. A capped limit
 *	must be set (a policy's 0, unlimited, breaks the cap)
 * @max_hard_messages: likewise
 * @max_hard_bytes: likewise
 * @nonces: bit per &enum esf_nonce_policy allowed
 */
struct esfd_profile {
	const char *name;
	const char *about;
	uint8_t aeads;
	uint8_t key_bits;
	unsigned int min_tag;
	uint64_t max_hard_seconds;
	uint64_t max_hard_messages;
	uint64_t max_hard_bytes;
	uint8_t nonces;
};

/**
 * struct esfd_policy - how sessions with a peer are protected
 * @name: the policy's name ("default" always exists)
 * @aead: algorithm
 * @key_bits: AES key size, 128, 192 or 256
 * @tag_len: tag length in bytes, valid for @aead (see <linux/esf.h>)
 * @soft: soft lifetime: rekey when crossed
 * @hard: hard lifetime: the kernel stops the session
 * @replay_window: OPEN replay window, 0 .. 65536
 * @nonce_policy: what the OPEN sessions accept as a nonce: %ESF_NONCE_ESF
 *	(the peer's salt and sequence, esf peers) or %ESF_NONCE_ANY (any IV,
 *	peers that choose their own); see esfd_pair_install()
 * @require_hw: refuse sessions not served off-CPU
 * @driver: the crypto driver to pin the @aead sessions (classes 2 and 3)
 *	to, as /proc/crypto names it (ESF_A_DRIVER); empty: the kernel's
 *	choice
 * @data_classes: bit n set when target data class n (1..3) is allowed
 * @rand_lifetime: lifetime of the ESPrim rand objects esfd creates, seconds
 * @owner_uid: user allowed to use the sessions (ESF_A_OWNER_UID) and to ask
 *	esfd for them over the control socket
 * @owner_gid: group likewise (ESF_A_OWNER_GID)
 * @profile: the security profile it keeps to ("profile"), or NULL
 * @line: line of its [policy] header, 0 for the built-in default
 * @owner_uid_line: line of its owner-uid, 0 when not given
 * @owner_gid_line: line of its owner-gid, 0 when not given
 * @uid_only: on a public gateway: only @owner_uid (and root) may ask
 *	esfd for its sessions, not members of @owner_gid
 */
struct esfd_policy {
	char name[ESFD_NAME_MAX + 1];
	enum esfd_aead aead;
	unsigned int key_bits;
	unsigned int tag_len;
	struct esfd_lifetime soft;
	struct esfd_lifetime hard;
	uint32_t replay_window;
	uint8_t nonce_policy;
	bool require_hw;
	char driver[ESFD_DRIVER_MAX + 1];
	uint8_t data_classes;
	uint32_t rand_lifetime;
	uint32_t owner_uid;
	uint32_t owner_gid;
	const struct esfd_profile *profile;
	unsigned int line;
	unsigned int owner_uid_line;
	unsigned int owner_gid_line;
	bool uid_only;
};

/**
 * struct esfd_addr - a network address
 * @host: IPv4 address, IPv6 address (without brackets) or DNS name
 * @port: 1 .. 65535
 */
struct esfd_addr {
	char host[ESFD_HOST_MAX + 1];
	uint16_t port;
};

/**
 * struct esfd_mqtt_conf - how esfd reaches its peers: the MQTT binding
 * @broker: the broker's address (mqtt-broker)
 * @client_id: MQTT client identifier; empty: "esfd-" + the topic form of
 *	the daemon's id + "-" + its pid (mqtt-client-id)
 * @username: MQTT user name; empty: none (mqtt-username)
 * @password_file: file holding the password, or NULL (mqtt-password-file)
 * @password_line: line of mqtt-password-file
 * @password: the password read from @password_file (esfd_config_load());
 *	never logged, wiped by esfd_config_free()
 * @ca_file: CA certificates to check a TLS broker with; NULL: plain TCP
 *	(mqtt-ca-file)
 * @keepalive: seconds between keepalives (mqtt-keepalive)
 * @retransmit_ms: first retransmission interval of a request
 *	(mqtt-retransmit)
 */
struct esfd_mqtt_conf {
	struct esfd_addr broker;
	char client_id[ESFD_MQTT_CLIENT_ID_MAX + 1];
	char username[ESFD_MQTT_USER_MAX + 1];
	char *password_file;
	unsigned int password_line;
	char password[ESFD_MQTT_PASSWORD_MAX + 1];
	char *ca_file;
	uint32_t keepalive;
	uint32_t retransmit_ms;
};

struct esfd_creds;

/**
 * struct esfd_cert_conf - the entity's certificate credentials (from
 *	registration): [esfd] ca-file, cert-file, key-file, crl-file
 * @ca_file: CA roots (PEM), or NULL when no certificate credential is set
 * @cert_file: our certificate and its intermediates (PEM)
 * @key_file: our ECDSA P-256 private key (PEM, a private file)
 * @crl_file: a CRL (PEM), or NULL
 * @lines: configuration lines of the four keys (0: not given)
 * @creds: the loaded credentials (esfd_config_load_keys()), or NULL
 */
struct esfd_cert_conf {
	char *ca_file;
	char *cert_file;
	char *key_file;
	char *crl_file;
	unsigned int lines[4];
	struct esfd_creds *creds;
};

/**
 * struct esfd_peer - a peer esfd talks to
 * @name: the section name
 * @id: the peer's oneM2M id (CSE-ID or AE-ID)
 * @role: its role
 * @cert: its credential is a certificate (credential = certificate): the
 *	pairwise key comes from ESCertKE, @kpsa_id and @kpsa are empty
 * @dynamic: not from the file: a peer met through peer-to-peer agreement
 *	([p2p]); @name is "p2p", @kpsa_id the key id of the last agreement,
 *	@kpsa empty (p2p.c)
 * @kpsa_id: KpsaId: names the pairwise key (JWE "kid", message key id)
 * @kpsa: the pre-provisioned symmetric key; never logged
 * @kpsa_len: its length, 16 .. 64 (0 until esfd_config_load_keys())
 * @kpsa_file: where the key is read from, or NULL when given inline
 * @policy: index into &esfd_config.policies
 * @profiles: per target data class 1..3 (index 0 unused), the security
 *	profile its policy must keep to for that class ("profile",
 *	"profile-classN"), or NULL
 * @line: line of its [peer] header
 * @kpsa_line: line of its kpsa or kpsa-file key
 * @fac: its credential is a key from the facilitator (credential =
 *	facilitator): registered or retrieved there, @kpsa_id and @kpsa empty
 * @fac_peer: then the facilitator: index into &esfd_config.peers
 * @fac_register: then this esfd makes the key and registers it (else it
 *	retrieves the key the peer registered)
 * @gw_role: what this gateway does with the peer's records (gateway-role)
 * @gw_role_line: its line, 0 when not given
 */
struct esfd_peer {
	char name[ESFD_NAME_MAX + 1];
	char id[ESFD_ID_MAX + 1];
	enum esfd_role role;
	bool cert;
	bool dynamic;
	char kpsa_id[ESFD_KPSA_ID_MAX + 1];
	uint8_t kpsa[ESFD_KPSA_MAX];
	size_t kpsa_len;
	char *kpsa_file;
	size_t policy;
	const struct esfd_profile *profiles[4];
	unsigned int line;
	unsigned int kpsa_line;
	bool fac;
	size_t fac_peer;
	bool fac_register;
	enum esfd_gw_role gw_role;
	unsigned int gw_role_line;
};

/**
 * esfd_peer_funnel_refuses() - does the peer's gateway role forbid a pair
 *	of @data_class with it?
 * @p: the peer
 * @data_class: 1..3
 *
 * A funnel gateway holds no end-to-end (class 2 or 3) key for its peer.
 */
static inline bool esfd_peer_funnel_refuses(const struct esfd_peer *p, unsigned int data_class)
{
	return p->gw_role == ESFD_GW_FUNNEL && data_class >= 2;
}

/**
 * esfd_peer_runtime_key() - is a peer's pairwise key made at run time
 *	(ESCertKE, the facilitator), not pre-provisioned?
 * @p: the peer
 */
static inline bool esfd_peer_runtime_key(const struct esfd_peer *p)
{
	return p->cert || p->fac;
}

/* The facilitator (docs/esfd.conf.md, "[facilitator]"). */
#define ESFD_FAC_LIFETIME_DEF	86400
#define ESFD_FAC_STORE_DEF	"esfd-facilitator.keys"

/**
 * struct esfd_fac_allow - one "allow" line of [facilitator]
 * @owner: the peer whose keys it is about (index into &esfd_config.peers)
 * @readers: the peers that may retrieve them
 * @n_readers: how many
 * @line: its line
 */
struct esfd_fac_allow {
	size_t owner;
	size_t *readers;
	size_t n_readers;
	unsigned int line;
};

/**
 * struct esfd_fac_conf - the [facilitator] section: this esfd keeps keys
 *	for its peers
 * @allow: the access-control list, one entry per owner
 * @n_allow: how many
 * @key_lifetime: the longest a registered key is kept, seconds
 * @store: where the keys are kept across restarts; relative to the state
 *	file's directory unless absolute
 * @line: line of its header
 */
struct esfd_fac_conf {
	struct esfd_fac_allow *allow;
	size_t n_allow;
	uint32_t key_lifetime;
	char *store;
	unsigned int line;
};

/* Groups: at most this many, each with at most ESF_GROUP_SENDERS_MAX senders. */
#define ESFD_MAX_GROUPS		64
#define ESFD_GROUP_SENDERS_DEF	64
#define ESFD_GROUP_ROTATE_DEF	86400
#define ESFD_GROUP_SWITCH_DEF	5

/**
 * struct esfd_group_member - a member of a group this esfd serves
 * @peer: index into &esfd_config.peers
 * @sender: its sender id, 1 .. senders - 1, stable across key epochs
 */
struct esfd_group_member {
	size_t peer;
	uint16_t sender;
};

/**
 * struct esfd_group_conf - a [group NAME] section (docs/esfd.conf.md)
 * @name: the section name
 * @id: the group's oneM2M-style id: what the wire names it by ("grp")
 * @policy: index into &esfd_config.policies: the algorithm, key size and tag
 *	length of the group key (server), the owner and replay window of the
 *	kernel session (member)
 * @serve: this esfd is the group's server ("members"), else a member
 * @members: the server's members, in file order
 * @n_members: how many
 * @senders: the group's size: sender ids are 0 .. @senders - 1
 * @rotate: seconds between periodic key rotations (server)
 * @switch_delay: seconds between a new key's delivery and the members'
 *	switch to sealing under it (server)
 * @server: a member's server: index into &esfd_config.peers
 * @line: line of its header
 * @mediates: a member (the gateway): it hands this group's key to the
 *	members of @local, under @local's key (docs/esfd.md, "Mediator
 *	gateways"), and does not use it itself
 * @local: the [group] this esfd serves whose members get the key
 * @via_set: a member (a device): the key comes from its server, a
 *	mediator, wrapped under the key of group @via
 * @via: index into &esfd_config.groups
 * @delegate: server: a member to which the sender ids @block_first ..
 *	@block_last are delegated (@block_last 0: none), index into
 *	&esfd_config.peers
 * @block_first: the delegated block's first sender id (server:
 *	"delegate", mediator: "block")
 * @block_last: its last, 0 for none
 */
struct esfd_group_conf {
	char name[ESFD_NAME_MAX + 1];
	char id[ESFD_ID_MAX + 1];
	size_t policy;
	bool serve;
	struct esfd_group_member *members;
	size_t n_members;
	uint16_t senders;
	uint32_t rotate;
	uint32_t switch_delay;
	size_t server;
	unsigned int line;
	bool mediates;
	size_t local;
	bool via_set;
	size_t via;
	size_t delegate;
	uint16_t block_first;
	uint16_t block_last;
};

/* Static group authentication (docs/esfd.md, "Static group authentication"). */
#define ESFD_MAX_GAUTHS		16
#define ESFD_GAUTH_COLLECT_DEF	1000	/* ms */

/**
 * enum esfd_gauth_role - what a [gauth NAME] section makes this esfd
 * @ESFD_GAUTH_SERVER: the server (IN): "agent" and "members"
 * @ESFD_GAUTH_AGENT: the gateway agent (MN): "server" and "members"
 * @ESFD_GAUTH_DEVICE: a device: "agent" and "server"
 */
enum esfd_gauth_role { ESFD_GAUTH_SERVER, ESFD_GAUTH_AGENT, ESFD_GAUTH_DEVICE };

/**
 * struct esfd_gauth_conf - a [gauth NAME] section (docs/esfd.conf.md)
 * @name: the section name
 * @id: the authentication group's id: what the wire names it by ("grp")
 * @role: this esfd's part in it
 * @agent: server, device: the gateway agent (index into &esfd_config.peers)
 * @server: agent, device: the server
 * @members: server, agent: the devices (indexes into &esfd_config.peers)
 * @n_members: how many
 * @data_class: server, device: the class (2 or 3) of the pair of kernel
 *	sessions keyed from Ks_x
 * @collect_ms: agent: how long device requests are gathered before the one
 *	request to the server
 * @line: line of its header
 */
struct esfd_gauth_conf {
	char name[ESFD_NAME_MAX + 1];
	char id[ESFD_ID_MAX + 1];
	enum esfd_gauth_role role;
	size_t agent;
	size_t server;
	size_t *members;
	size_t n_members;
	uint8_t data_class;
	uint32_t collect_ms;
	unsigned int line;
};

/* Peer-to-peer agreement with dynamic peers (docs/esfd.md, "Peer-to-peer
 * agreement"): the [p2p] section's bounds and defaults.
 */
#define ESFD_P2P_PEERS_DEF	64
#define ESFD_P2P_PEERS_MAX	4096
#define ESFD_P2P_CACHE_DEF	64
#define ESFD_P2P_CACHE_MAX	4096
#define ESFD_P2P_WINDOW_DEF	30

/**
 * struct esfd_p2p_conf - the [p2p] section: agreement with peers that are
 *	in no [peer] section, authenticated by their certificates alone
 * @line: line of its header; 0: no [p2p] section, dynamic peers refused
 * @policy: index into &esfd_config.policies: the sessions with dynamic peers
 * @peers: most dynamic peers kept at once (least recently used evicted)
 * @cert_cache: most peer certificates remembered by digest
 * @window: seconds a message's time may differ from ours (freshness), and
 *	how long its nonce is remembered against replay
 */
struct esfd_p2p_conf {
	unsigned int line;
	size_t policy;
	uint32_t peers;
	uint32_t cert_cache;
	uint32_t window;
};

#define ESFD_MAX_CONTAINERS	64
#define ESFD_DAR_ACL_MAX	1024	/* characters of a writers or readers line */

/**
 * enum esfd_dar_role - what this esfd does for a [container] (docs/esfd.md,
 *	"Data at rest")
 * @ESFD_DAR_WRITER: seals contentInstances for its applications and has
 *	the hosting gateway store them
 * @ESFD_DAR_READER: retrieves them from the gateway and opens them
 * @ESFD_DAR_HOST: the hosting gateway: stores them, answers CREATE and
 *	RETRIEVE under an access-control list, never holds the key
 */
enum esfd_dar_role {
	ESFD_DAR_WRITER = 1,
	ESFD_DAR_READER = 2,
	ESFD_DAR_HOST = 3,
};

/**
 * struct esfd_container_conf - a [container NAME] section
 * @name: the section's name (what esfctl dar takes)
 * @id: the container's resource id, bound into every item key
 * @role: &enum esfd_dar_role
 * @gateway: writer, reader: the hosting gateway's CSE id
 * @kpsa: writer, reader: the data-at-rest Kpsa the owner and its readers
 *	share (kpsa or kpsa-file); wiped by esfd_config_free()
 * @kpsa_len: its length, 0 for a host
 * @kpsa_file: the file it is read from, or NULL
 * @kpsa_line: line of kpsa or kpsa-file
 * @integrity_only: items are JWS HS256 under Kdai keys, not JWE under Kdc
 * @writers: host: the ids that may CREATE, separated by spaces
 * @readers: host: the ids that may RETRIEVE
 * @store: host: the store file; NULL: esfd-dar-NAME.store beside the
 *	state file
 * @owner_uid: besides root, who may use it over the control socket
 * @owner_gid: likewise, a group
 * @line: line of its header
 */
struct esfd_container_conf {
	char name[ESFD_NAME_MAX + 1];
	char id[ESFD_ID_MAX + 1];
	enum esfd_dar_role role;
	char gateway[ESFD_ID_MAX + 1];
	uint8_t kpsa[ESFD_KPSA_MAX];
	size_t kpsa_len;
	char *kpsa_file;
	unsigned int kpsa_line;
	bool integrity_only;
	char writers[ESFD_DAR_ACL_MAX + 1];
	char readers[ESFD_DAR_ACL_MAX + 1];
	char *store;
	uint32_t owner_uid;
	uint32_t owner_gid;
	unsigned int line;
};

/**
 * esfd_container_acl_has() - is @id in a container's writers or readers?
 * @acl: the space-separated list
 * @id: the id
 *
 * Return: true when it is.
 */
bool esfd_container_acl_has(const char *acl, const char *id);

/* Guest devices (docs/esfd.md, "Guest devices"): the [guest] section's
 * bounds and defaults.
 */
#define ESFD_GUEST_SENDERS_DEF	16
#define ESFD_GUEST_SENDERS_MAX	1024
#define ESFD_GUEST_SECONDS_DEF	3600
#define ESFD_GUEST_WINDOW_DEF	30

/**
 * struct esfd_guest_conf - the [guest] section: this esfd admits guest
 *	devices into its area network's relay group (@network set), and/or
 *	presents a guest token in foreign networks (@key_file set)
 * @line: line of its header; 0: no [guest] section
 * @network: the area network whose guests this gateway admits ("aud"), or
 *	empty
 * @trust_file: the roots an authorization server's certificate must chain
 *	to (PEM), for a gateway
 * @revocation_file: the authorization server's signed revocation list, or
 *	NULL
 * @key_file: the device's P-256 private key (PEM): the key its tokens name
 *	("cnf"), or NULL
 * @senders: the relay group's size: the gateway is sender 0, each
 *	admission takes the next id of the epoch
 * @max_seconds: longest admission (never beyond the token's expiry)
 * @window: seconds a presentation's time may differ from ours, and how long
 *	its nonce is remembered against replay
 */
struct esfd_guest_conf {
	unsigned int line;
	char network[ESFD_ID_MAX + 1];
	char *trust_file;
	char *revocation_file;
	char *key_file;
	uint32_t senders;
	uint32_t max_seconds;
	uint32_t window;
};

/**
 * struct esfd_config - a parsed configuration
 * @id: this daemon's oneM2M id
 * @role: its role
 * @mqtt: the MQTT broker, client and credentials (struct esfd_mqtt_conf)
 * @certs: the certificate credentials (struct esfd_cert_conf)
 * @control_socket: path of the local control socket
 * @crypto_backend: HMAC backend for esfd_crypto_select()
 * @clock_skew: largest accepted difference between a peer's clock and ours
 * @sign_uid: besides root and esfd's own uid, the user whose applications
 *	may have esfd sign with the certificate key (control "sign")
 * @sign_gid: likewise, a primary group
 * @gateway: private or public ([esfd] gateway)
 * @policies: the policies, "default" first
 * @n_policies: how many
 * @peers: the peers, in file order
 * @n_peers: how many
 * @groups: the [group] sections, in file order
 * @n_groups: how many
 * @gauths: the [gauth] sections, in file order
 * @n_gauths: how many
 * @p2p: the [p2p] section (struct esfd_p2p_conf)
 * @fac: the [facilitator] section, or NULL when this esfd is none
 * @containers: the [container] sections, in file order
 * @n_containers: how many
 * @guest: the [guest] section (struct esfd_guest_conf)
 */
struct esfd_config {
	char id[ESFD_ID_MAX + 1];
	enum esfd_role role;
	struct esfd_mqtt_conf mqtt;
	struct esfd_cert_conf certs;
	char control_socket[ESFD_SOCK_PATH_MAX + 1];
	enum esfd_crypto_backend crypto_backend;
	uint32_t clock_skew;
	uint32_t sign_uid;
	uint32_t sign_gid;
	enum esfd_gateway gateway;
	struct esfd_policy *policies;
	size_t n_policies;
	struct esfd_peer *peers;
	size_t n_peers;
	struct esfd_group_conf *groups;
	size_t n_groups;
	struct esfd_gauth_conf *gauths;
	size_t n_gauths;
	struct esfd_p2p_conf p2p;
	struct esfd_fac_conf *fac;
	struct esfd_container_conf *containers;
	size_t n_containers;
	struct esfd_guest_conf guest;
};

/**
 * struct esfd_config_error - where and why parsing failed
 * @line: 1-based line number, 0 when the error is not about one line
 * @msg: what is wrong, NUL-terminated; never contains key material
 */
struct esfd_config_error {
	unsigned int line;
	char msg[200];
};

/**
 * esfd_config_parse() - parse configuration text
 * @buf: the text (need not be NUL-terminated; NUL bytes are an error)
 * @len: its length, at most ESFD_CONFIG_MAX
 * @cfg: filled in; release with esfd_config_free() (also after failure)
 * @err: set on failure
 *
 * Keys given as kpsa-file are not read here (esfd_config_load_keys()), so
 * parsing touches nothing outside @buf.
 *
 * Return: 0, -EINVAL with @err set, -EFBIG for oversized input, -ENOMEM.
 */
int esfd_config_parse(const char *buf, size_t len, struct esfd_config *cfg,
		      struct esfd_config_error *err);

/**
 * esfd_config_load_keys() - read the kpsa-file of every peer, the
 *	mqtt-password-file, and the certificate credentials (esfd_creds_load())
 * @cfg: a parsed configuration
 * @base_dir: directory relative paths are taken from
 * @err: set on failure, with the line of the kpsa-file key
 *
 * A key file holds the key in hex on one line, a password file the
 * password on one line. Both must be regular files owned by root or the
 * effective user and not accessible to group or others.
 *
 * Return: 0; -EACCES for a file with loose permissions or a foreign owner;
 * -EINVAL for bad content; the error of open(2) or read(2).
 */
int esfd_config_load_keys(struct esfd_config *cfg, const char *base_dir,
			  struct esfd_config_error *err);

/**
 * esfd_password_file_read() - read a password kept in a file
 * @file: the file; relative to @base_dir unless absolute
 * @base_dir: directory of relative names, or NULL for the working directory
 * @line: configuration line to blame in @e (0 outside a configuration)
 * @out: the password, NUL-terminated
 * @e: set on failure; never quotes the file's content
 *
 * The file must be private (regular, owned by root or the effective user,
 * no access for group or others) and hold one line of 1 to
 * ESFD_MQTT_PASSWORD_MAX printable ASCII characters.
 *
 * Return: 0, -EACCES, -EINVAL, or the error of open(2) or read(2).
 */
int esfd_password_file_read(const char *file, const char *base_dir, unsigned int line,
			    char out[ESFD_MQTT_PASSWORD_MAX + 1], struct esfd_config_error *e);

/**
 * esfd_config_open_private() - open a secret file named in a configuration
 * @file: the name; relative to @base_dir unless absolute
 * @base_dir: directory of relative names, or NULL
 * @line: configuration line to blame in @e
 * @path: receives the name opened
 * @pathmax: its size
 * @e: set on failure
 *
 * The file must be regular, owned by root or the effective user, and not
 * accessible to group or others.
 *
 * Return: an open descriptor, or -EACCES, -EINVAL, or the error of open(2).
 */
int esfd_config_open_private(const char *file, const char *base_dir, unsigned int line,
			     char *path, size_t pathmax, struct esfd_config_error *e);

/**
 * esfd_addr_parse() - read "host:port" or "[ipv6]:port"
 * @v: the text
 * @a: filled in
 * @why: set to a static explanation on failure
 *
 * The host is an IPv4 address, an IPv6 address in brackets or a DNS name;
 * the port 1..65535 without leading zeros or sign.
 *
 * Return: 0 or -EINVAL.
 */
int esfd_addr_parse(const char *v, struct esfd_addr *a, const char **why);

/**
 * esfd_config_load() - read, parse and load the keys of a configuration file
 * @path: the file
 * @cfg: filled in; release with esfd_config_free() (also after failure)
 * @err: set on failure
 *
 * The file must not be writable by group or others, and when it holds
 * inline keys, not readable by them either.
 *
 * Return: 0, or the errors of esfd_config_parse() and
 * esfd_config_load_keys(), -EACCES, or the error of open(2) and read(2).
 */
int esfd_config_load(const char *path, struct esfd_config *cfg,
		     struct esfd_config_error *err);

/**
 * esfd_config_free() - release a configuration, wiping every key
 * @cfg: the configuration; zeroed afterwards
 */
void esfd_config_free(struct esfd_config *cfg);

/**
 * esfd_fac_allowed() - may @reader retrieve the keys @owner registers?
 * @cfg: a facilitator's configuration
 * @owner: index of the owner's [peer]
 * @reader: index of the reader's [peer]
 */
bool esfd_fac_allowed(const struct esfd_config *cfg, size_t owner, size_t reader);

/**
 * esfd_config_peer_by_id() - find a peer by its oneM2M id
 * @cfg: the configuration
 * @id: the id
 *
 * Return: the peer, or NULL.
 */
const struct esfd_peer *esfd_config_peer_by_id(const struct esfd_config *cfg,
					       const char *id);

/**
 * esfd_config_gauth_by_id() - find a [gauth] section by its group id
 * @cfg: the configuration
 * @id: the authentication group's id
 *
 * Return: the section, or NULL.
 */
const struct esfd_gauth_conf *esfd_config_gauth_by_id(const struct esfd_config *cfg,
						      const char *id);

/**
 * esfd_config_group_by_id() - find a group by its id
 * @cfg: the configuration
 * @id: the group id
 *
 * Return: the group, or NULL.
 */
const struct esfd_group_conf *esfd_config_group_by_id(const struct esfd_config *cfg,
						      const char *id);

/**
 * esfd_config_uc_target() - target id for this peer's usage-constrained keys
 * @cfg: the configuration (this daemon's id and role)
 * @peer: the peer whose Kpsa the keys derive from
 *
 * Both ends of a pairwise Kpsa must hash the same target id into TS-0003
 * usage-constrained keys (esfd_kdf_uc_key()). The rule: the id of the end
 * higher in the oneM2M hierarchy (server, then gateway, then device and
 * peer); between equals, the byte-wise greater id. Each end computes it
 * from its own configuration and reaches the same answer when the two
 * configurations agree on the roles.
 *
 * Return: @cfg->id or @peer->id.
 */
const char *esfd_config_uc_target(const struct esfd_config *cfg,
				  const struct esfd_peer *peer);

/**
 * esfd_aead_name() - crypto API name of an algorithm (ESF_A_ALG)
 * @a: the algorithm
 *
 * Return: "gcm(aes)", ..., or NULL for an unknown @a.
 */
const char *esfd_aead_name(enum esfd_aead a);

/**
 * esfd_policy_key_len() - length of the session key a policy needs
 * @p: the policy
 *
 * Return: bytes of ESF_A_KEY: the AES key, preceded for authenc by a
 * 32-byte HMAC key.
 */
size_t esfd_policy_key_len(const struct esfd_policy *p);

/**
 * esfd_role_name() - printable name of a role
 * @r: the role
 *
 * Return: "server", "gateway", "device", "peer" or "unknown".
 */
const char *esfd_role_name(enum esfd_role r);

/**
 * esfd_gw_role_name() - "reseal", "funnel" or "aggregator"
 * @r: a gateway role
 */
const char *esfd_gw_role_name(enum esfd_gw_role r);

/**
 * esfd_profile_find() - a security profile by name
 * @name: "baseline", "standard", "high" or "constrained"
 *
 * Return: the profile, or NULL.
 */
const struct esfd_profile *esfd_profile_find(const char *name);

/**
 * esfd_profile_at() - the security profiles, in order
 * @i: 0, 1, ...
 *
 * Return: the @i-th profile, or NULL past the last.
 */
const struct esfd_profile *esfd_profile_at(size_t i);

/**
 * esfd_profile_check() - whether a policy keeps to a profile
 * @pr: the profile
 * @pol: the policy
 * @why: receives what breaks it, for a message
 * @n: bytes at @why
 *
 * Return: 0, or -1 with @why filled in.
 */
int esfd_profile_check(const struct esfd_profile *pr, const struct esfd_policy *pol,
		       char *why, size_t n);

#endif /* ESFD_CONFIG_H */
