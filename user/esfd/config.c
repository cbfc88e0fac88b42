// SPDX-License-Identifier: GPL-2.0
/*
 * esfd configuration parser. Line-oriented and table-driven: each section
 * kind has a table of keys with a setter each; a section is validated as a
 * whole when the next one starts, because some checks (tag length against
 * algorithm, soft against hard lifetime) involve several keys in any order.
 *
 * Lines that may hold a key are copied into a stack buffer that is wiped
 * after every line, and no error message ever quotes a kpsa value.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "certs.h"
#include "config.h"
#include "m2m.h"

enum section { SEC_NONE, SEC_ESFD, SEC_POLICY, SEC_PEER, SEC_GROUP, SEC_GAUTH, SEC_P2P,
	       SEC_FAC, SEC_CONTAINER, SEC_GUEST };

struct parser;

struct key_def {
	const char *name;
	int (*set)(struct parser *p, const char *v);
};

#define MAX_KEYS 24

/* A peer's "policy = NAME", resolved once every policy is known. */
struct policy_ref {
	char name[ESFD_NAME_MAX + 1];
	unsigned int line;
	/* The peer's security profiles: "profile", and per class. */
	const struct esfd_profile *all;
	unsigned int all_line;
	unsigned int class_line[4];
	/* "facilitator = NAME" of a credential = facilitator peer. */
	char fac[ESFD_NAME_MAX + 1];
	unsigned int fac_line;
};

/* The [facilitator] section's "allow" lines, resolved once all peers are
 * known.
 */
struct fac_ref {
	char **allow;
	unsigned int *lines;
	size_t n;
};

/* A group's references to policies and peers, resolved once all are known. */
struct group_ref {
	char policy[ESFD_NAME_MAX + 1];
	unsigned int policy_line;
	/* The "members" lines, parsed at the end: a group of many members
	 * takes several (a line holds ESFD_CONFIG_LINE_MAX characters), their
	 * texts joined by '\n', the line each came from in members_lines.
	 */
	char *members;
	unsigned int members_line;	/* the first */
	unsigned int *members_lines;
	size_t n_members_lines;
	char server[ESFD_NAME_MAX + 1];
	unsigned int server_line;
	/* Mediator gateways (docs/esfd.md, "Mediator gateways"). */
	char mediate[ESFD_NAME_MAX + 1];
	unsigned int mediate_line;
	char via[ESFD_NAME_MAX + 1];
	unsigned int via_line;
	char delegate[ESFD_NAME_MAX + 1];
	unsigned int delegate_line;
	unsigned int block_line;
};

/* A [gauth] section's peer names, resolved once all peers are known. */
struct gauth_ref {
	char agent[ESFD_NAME_MAX + 1];
	unsigned int agent_line;
	char server[ESFD_NAME_MAX + 1];
	unsigned int server_line;
	char *members;
	unsigned int members_line;
};

struct parser {
	struct esfd_config *cfg;
	struct esfd_config_error *err;
	unsigned int line;
	enum section sec;
	unsigned int sec_line;
	const struct key_def *keys;
	unsigned int seen[MAX_KEYS];
	size_t cur;
	unsigned int esfd_line;
	struct policy_ref *refs;
	size_t peer_cap;
	struct group_ref grefs[ESFD_MAX_GROUPS];
	struct gauth_ref arefs[ESFD_MAX_GAUTHS];
	unsigned int need_certs;	/* line of a certificate peer */
	char p2p_policy[ESFD_NAME_MAX + 1];	/* [p2p] policy, resolved at the end */
	unsigned int p2p_policy_line;
	struct fac_ref fref;
};

static int fail(struct parser *p, unsigned int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int fail(struct parser *p, unsigned int line, const char *fmt, ...)
{
	va_list ap;

	p->err->line = line;
	va_start(ap, fmt);
	vsnprintf(p->err->msg, sizeof(p->err->msg), fmt, ap);
	va_end(ap);
	return -EINVAL;
}

static struct esfd_policy *cur_policy(struct parser *p)
{
	return &p->cfg->policies[p->cur];
}

static struct esfd_peer *cur_peer(struct parser *p)
{
	return &p->cfg->peers[p->cur];
}

static struct esfd_group_conf *cur_group(struct parser *p)
{
	return &p->cfg->groups[p->cur];
}

static struct esfd_gauth_conf *cur_gauth(struct parser *p)
{
	return &p->cfg->gauths[p->cur];
}

static struct esfd_container_conf *cur_cnt(struct parser *p)
{
	return &p->cfg->containers[p->cur];
}

/* Line a key of the current section was set on, 0 if not set. */
static unsigned int seen_line(const struct parser *p, const char *key)
{
	size_t i;

	for (i = 0; p->keys[i].name; i++)
		if (!strcmp(p->keys[i].name, key))
			return p->seen[i];
	return 0;
}

/* The line to blame for a section-level problem about @key. */
static unsigned int blame(const struct parser *p, const char *key)
{
	unsigned int l = seen_line(p, key);

	return l ? l : p->sec_line;
}

/* ---- value syntax ---- */

static int parse_u64(const char *v, size_t n, uint64_t *out)
{
	uint64_t x = 0;
	size_t i;

	if (!n)
		return -EINVAL;
	if (n > 20)
		return -ERANGE;
	for (i = 0; i < n; i++) {
		unsigned int d;

		if (v[i] < '0' || v[i] > '9')
			return -EINVAL;
		d = (unsigned int)(v[i] - '0');
		if (x > (UINT64_MAX - d) / 10)
			return -ERANGE;
		x = x * 10 + d;
	}
	*out = x;
	return 0;
}

struct unit {
	char suffix;
	uint64_t mult;
};

static const struct unit byte_units[] = {
	{ 'K', 1ULL << 10 }, { 'M', 1ULL << 20 }, { 'G', 1ULL << 30 },
	{ 'T', 1ULL << 40 }, { 0, 0 },
};

static const struct unit time_units[] = {
	{ 's', 1 }, { 'm', 60 }, { 'h', 3600 }, { 'd', 86400 }, { 0, 0 },
};

static const struct unit no_units[] = { { 0, 0 } };

/* Digits with an optional one-letter unit suffix. */
static int parse_scaled(const char *v, const struct unit *units, uint64_t *out)
{
	size_t n = strlen(v);
	uint64_t x, mult = 1;
	size_t i;
	int err;

	for (i = 0; n && units[i].suffix; i++) {
		if (v[n - 1] == units[i].suffix) {
			mult = units[i].mult;
			n--;
			break;
		}
	}
	err = parse_u64(v, n, &x);
	if (err)
		return err;
	if (x > UINT64_MAX / mult)
		return -ERANGE;
	*out = x * mult;
	return 0;
}

static int number(struct parser *p, const char *v, const struct unit *units,
		  uint64_t min, uint64_t max, uint64_t *out)
{
	int err = parse_scaled(v, units, out);

	if (err == -EINVAL)
		return fail(p, p->line, "'%.40s' is not a number%s", v,
			    units == byte_units ? " (suffixes K, M, G, T)" :
			    units == time_units ? " (suffixes s, m, h, d)" : "");
	if (err || *out < min || *out > max)
		return fail(p, p->line, "'%.40s' is out of range %llu..%llu", v,
			    (unsigned long long)min, (unsigned long long)max);
	return 0;
}

static int name_check(const char *s)
{
	size_t i, n = strlen(s);

	if (!n || n > ESFD_NAME_MAX)
		return -EINVAL;
	for (i = 0; i < n; i++)
		if (!((s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= 'a' && s[i] <= 'z') ||
		      (s[i] >= '0' && s[i] <= '9') || s[i] == '-' || s[i] == '_' ||
		      s[i] == '.'))
			return -EINVAL;
	return 0;
}

static int set_id(struct parser *p, const char *v, char *dst)
{
	int err = esfd_id_check(v, strlen(v));
	char level[ESFD_ID_MAX + 1];

	if (err == -EILSEQ)
		return fail(p, p->line, "identifier is not ASCII: esfd accepts "
			    "ASCII oneM2M ids only (see docs/key-derivation.md)");
	if (err)
		return fail(p, p->line, "'%.40s' is not a oneM2M id (1..%d "
			    "printable ASCII characters, no spaces)", v, ESFD_ID_MAX);
	if (esfd_m2m_topic_id(v, level, sizeof(level)))
		return fail(p, p->line, "'%.40s' cannot name an MQTT topic level "
			    "(TS-0010): no '+', '#' or ':', and not only '/'", v);
	strcpy(dst, v);
	return 0;
}

static int set_role(struct parser *p, const char *v, enum esfd_role *r)
{
	static const enum esfd_role roles[] = {
		ESFD_ROLE_SERVER, ESFD_ROLE_GATEWAY, ESFD_ROLE_DEVICE, ESFD_ROLE_PEER,
	};
	size_t i;

	for (i = 0; i < sizeof(roles) / sizeof(roles[0]); i++) {
		if (!strcmp(v, esfd_role_name(roles[i]))) {
			*r = roles[i];
			return 0;
		}
	}
	return fail(p, p->line, "unknown role '%.40s' (server, gateway, device, peer)", v);
}

static int port_parse(const char *s, uint16_t *port)
{
	uint64_t x;

	if (s[0] == '0' || parse_u64(s, strlen(s), &x) || !x || x > 65535)
		return -EINVAL;
	*port = (uint16_t)x;
	return 0;
}

/* A DNS name: dot-separated LDH labels, the last one not all digits. */
static bool dns_name_ok(const char *h)
{
	size_t n = strlen(h), i, lab = 0;
	bool digits_only = true;

	if (!n || n > ESFD_HOST_MAX)
		return false;
	for (i = 0; i <= n; i++) {
		char c = h[i];

		if (c == '.' || c == '\0') {
			if (!lab || h[i - 1] == '-')
				return false;
			if (c == '\0')
				return !digits_only;
			lab = 0;
			digits_only = true;
			continue;
		}
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '-') || (c == '-' && !lab) ||
		    ++lab > 63)
			return false;
		if (c < '0' || c > '9')
			digits_only = false;
	}
	return false;
}

/* "host:port" with an IPv4 address or DNS name, or "[ipv6]:port". */
static int addr_split(char *v, char **host, char **port, bool *v6)
{
	char *c;

	*v6 = v[0] == '[';
	if (*v6) {
		c = strchr(v, ']');
		if (!c || c[1] != ':')
			return -EINVAL;
		*c = '\0';
		*host = v + 1;
		*port = c + 2;
		return 0;
	}
	c = strrchr(v, ':');
	if (!c || strchr(v, ':') != c)
		return -EINVAL;
	*c = '\0';
	*host = v;
	*port = c + 1;
	return 0;
}

int esfd_addr_parse(const char *v, struct esfd_addr *a, const char **why)
{
	char buf[ESFD_HOST_MAX + 16], *host, *port;
	unsigned char bin[16];
	bool v6, ok;

	*why = "not host:port or [ipv6]:port";
	if (strlen(v) >= sizeof(buf) || addr_split(strcpy(buf, v), &host, &port, &v6))
		return -EINVAL;
	*why = "bad port (1..65535)";
	if (port_parse(port, &a->port))
		return -EINVAL;
	if (v6)
		ok = inet_pton(AF_INET6, host, bin) == 1;
	else
		ok = inet_pton(AF_INET, host, bin) == 1 || dns_name_ok(host);
	*why = "bad host (an IPv4 or [IPv6] address or a DNS name)";
	if (!ok)
		return -EINVAL;
	strcpy(a->host, host);
	return 0;
}

static int set_addr(struct parser *p, const char *v, struct esfd_addr *a)
{
	const char *why;

	if (esfd_addr_parse(v, a, &why))
		return fail(p, p->line, "'%.60s': %s", v, why);
	return 0;
}

static int set_bool(struct parser *p, const char *v, bool *b)
{
	if (!strcmp(v, "yes"))
		*b = true;
	else if (!strcmp(v, "no"))
		*b = false;
	else
		return fail(p, p->line, "'%.40s' is not yes or no", v);
	return 0;
}

/* ---- [esfd] ---- */

static int esfd_set_id(struct parser *p, const char *v)
{
	return set_id(p, v, p->cfg->id);
}

static int esfd_set_role(struct parser *p, const char *v)
{
	return set_role(p, v, &p->cfg->role);
}

/* Keys of the UDP transport esfd had before the MQTT binding. */
static int esfd_set_listen(struct parser *p, const char *v)
{
	(void)v;
	return fail(p, p->line, "'listen' is gone: esfd reaches its peers through an MQTT "
		    "broker now (mqtt-broker, see docs/esfd.md)");
}

static int esfd_set_broker(struct parser *p, const char *v)
{
	return set_addr(p, v, &p->cfg->mqtt.broker);
}

/* Printable ASCII without spaces, 1..@max characters, into @dst. */
static int set_token(struct parser *p, const char *v, size_t max, char *dst,
		     const char *what)
{
	size_t n = strlen(v), i;

	for (i = 0; i < n; i++)
		if (v[i] <= ' ' || v[i] > '~')
			break;
	if (!n || n > max || i < n)
		return fail(p, p->line, "%s must be 1..%zu printable ASCII characters "
			    "without spaces", what, max);
	memcpy(dst, v, n + 1);
	return 0;
}

static int esfd_set_client_id(struct parser *p, const char *v)
{
	return set_token(p, v, ESFD_MQTT_CLIENT_ID_MAX, p->cfg->mqtt.client_id,
			 "mqtt-client-id");
}

static int esfd_set_username(struct parser *p, const char *v)
{
	return set_token(p, v, ESFD_MQTT_USER_MAX, p->cfg->mqtt.username, "mqtt-username");
}

static int set_path(struct parser *p, const char *v, char **dst, const char *what)
{
	if (strlen(v) >= ESFD_PATH_MAX)
		return fail(p, p->line, "%s: path too long", what);
	*dst = strdup(v);
	return *dst ? 0 : -ENOMEM;
}

static int esfd_set_password_file(struct parser *p, const char *v)
{
	p->cfg->mqtt.password_line = p->line;
	return set_path(p, v, &p->cfg->mqtt.password_file, "mqtt-password-file");
}

static int esfd_set_ca_file(struct parser *p, const char *v)
{
	return set_path(p, v, &p->cfg->mqtt.ca_file, "mqtt-ca-file");
}

static int esfd_set_cert_path(struct parser *p, const char *v, int i, const char *what)
{
	char **dst[4] = { &p->cfg->certs.ca_file, &p->cfg->certs.cert_file,
			  &p->cfg->certs.key_file, &p->cfg->certs.crl_file };

	p->cfg->certs.lines[i] = p->line;
	return set_path(p, v, dst[i], what);
}

static int esfd_set_ca(struct parser *p, const char *v)
{
	return esfd_set_cert_path(p, v, 0, "ca-file");
}

static int esfd_set_cert(struct parser *p, const char *v)
{
	return esfd_set_cert_path(p, v, 1, "cert-file");
}

static int esfd_set_key(struct parser *p, const char *v)
{
	return esfd_set_cert_path(p, v, 2, "key-file");
}

static int esfd_set_crl(struct parser *p, const char *v)
{
	return esfd_set_cert_path(p, v, 3, "crl-file");
}

static int esfd_set_keepalive(struct parser *p, const char *v)
{
	uint64_t x;
	int err = number(p, v, time_units, 5, 3600, &x);

	if (!err)
		p->cfg->mqtt.keepalive = (uint32_t)x;
	return err;
}

static int esfd_set_retransmit(struct parser *p, const char *v)
{
	uint64_t x;
	int err = number(p, v, time_units, 1, 60, &x);

	if (!err)
		p->cfg->mqtt.retransmit_ms = (uint32_t)x * 1000;
	return err;
}

static int esfd_set_control(struct parser *p, const char *v)
{
	size_t n = strlen(v);

	if (v[0] != '/' || n > ESFD_SOCK_PATH_MAX || strpbrk(v, " \t"))
		return fail(p, p->line, "control-socket must be an absolute path "
			    "of at most %d characters, without spaces",
			    ESFD_SOCK_PATH_MAX);
	strcpy(p->cfg->control_socket, v);
	return 0;
}

static int esfd_set_backend(struct parser *p, const char *v)
{
	static const enum esfd_crypto_backend all[] = {
		ESFD_BACKEND_AUTO, ESFD_BACKEND_KCAPI, ESFD_BACKEND_OPENSSL,
	};
	size_t i;

	for (i = 0; i < 3; i++) {
		if (!strcmp(v, esfd_crypto_backend_name(all[i]))) {
			p->cfg->crypto_backend = all[i];
			return 0;
		}
	}
	return fail(p, p->line, "unknown crypto-backend '%.40s' (auto, kcapi, openssl)", v);
}

static int esfd_set_skew(struct parser *p, const char *v)
{
	uint64_t x;
	int err = number(p, v, time_units, 1, 3600, &x);

	if (!err)
		p->cfg->clock_skew = (uint32_t)x;
	return err;
}

static int esfd_set_sign_uid(struct parser *p, const char *v)
{
	uint64_t x;
	int err = number(p, v, no_units, 0, UINT32_MAX - 1, &x);

	if (!err)
		p->cfg->sign_uid = (uint32_t)x;
	return err;
}

static int esfd_set_sign_gid(struct parser *p, const char *v)
{
	uint64_t x;
	int err = number(p, v, no_units, 0, UINT32_MAX - 1, &x);

	if (!err)
		p->cfg->sign_gid = (uint32_t)x;
	return err;
}

/* "gateway = private|public": who shares this gateway. */
static int esfd_set_gateway(struct parser *p, const char *v)
{
	if (!strcmp(v, "private"))
		p->cfg->gateway = ESFD_GATEWAY_PRIVATE;
	else if (!strcmp(v, "public"))
		p->cfg->gateway = ESFD_GATEWAY_PUBLIC;
	else
		return fail(p, p->line, "gateway must be private or public, not '%.40s'", v);
	return 0;
}

static const struct key_def esfd_keys[] = {
	{ "id", esfd_set_id },
	{ "role", esfd_set_role },
	{ "listen", esfd_set_listen },
	{ "control-socket", esfd_set_control },
	{ "crypto-backend", esfd_set_backend },
	{ "clock-skew", esfd_set_skew },
	{ "mqtt-broker", esfd_set_broker },
	{ "mqtt-client-id", esfd_set_client_id },
	{ "mqtt-username", esfd_set_username },
	{ "mqtt-password-file", esfd_set_password_file },
	{ "mqtt-ca-file", esfd_set_ca_file },
	{ "ca-file", esfd_set_ca },
	{ "cert-file", esfd_set_cert },
	{ "key-file", esfd_set_key },
	{ "crl-file", esfd_set_crl },
	{ "sign-uid", esfd_set_sign_uid },
	{ "sign-gid", esfd_set_sign_gid },
	{ "gateway", esfd_set_gateway },
	{ "mqtt-keepalive", esfd_set_keepalive },
	{ "mqtt-retransmit", esfd_set_retransmit },
	{ NULL, NULL },
};

/* ---- [policy NAME] ---- */

static const char *const aead_names[] = {
	[ESFD_AEAD_GCM] = "gcm(aes)",
	[ESFD_AEAD_CCM] = "ccm(aes)",
	[ESFD_AEAD_RFC4106] = "rfc4106(gcm(aes))",
	[ESFD_AEAD_AUTHENC] = "authenc(hmac(sha256),cbc(aes))",
	[ESFD_AEAD_HMAC] = "hmac(sha256)",
};

static int pol_set_aead(struct parser *p, const char *v)
{
	int a;

	for (a = ESFD_AEAD_GCM; a <= ESFD_AEAD_HMAC; a++) {
		if (!strcmp(v, aead_names[a])) {
			cur_policy(p)->aead = (enum esfd_aead)a;
			return 0;
		}
	}
	return fail(p, p->line, "unknown aead '%.40s' (gcm(aes), ccm(aes), "
		    "rfc4106(gcm(aes)), authenc(hmac(sha256),cbc(aes)), hmac(sha256))", v);
}

static int pol_set_key_size(struct parser *p, const char *v)
{
	if (strcmp(v, "128") && strcmp(v, "192") && strcmp(v, "256"))
		return fail(p, p->line, "key-size must be 128, 192 or 256");
	cur_policy(p)->key_bits = (unsigned int)atoi(v);
	return 0;
}

static int pol_set_tag(struct parser *p, const char *v)
{
	uint64_t x;
	int err = number(p, v, no_units, 4, 32, &x);

	if (!err)
		cur_policy(p)->tag_len = (unsigned int)x;
	return err;
}

#define LIFETIME_SETTER(fn, which, field, units)			\
static int fn(struct parser *p, const char *v)				\
{									\
	return number(p, v, units, 0, UINT64_MAX,			\
		      &cur_policy(p)->which.field);			\
}

LIFETIME_SETTER(pol_soft_msgs, soft, messages, no_units)
LIFETIME_SETTER(pol_soft_bytes, soft, bytes, byte_units)
LIFETIME_SETTER(pol_soft_secs, soft, seconds, time_units)
LIFETIME_SETTER(pol_hard_msgs, hard, messages, no_units)
LIFETIME_SETTER(pol_hard_bytes, hard, bytes, byte_units)
LIFETIME_SETTER(pol_hard_secs, hard, seconds, time_units)

static int pol_set_window(struct parser *p, const char *v)
{
	uint64_t x;
	int err = number(p, v, no_units, 0, 65536, &x);

	if (!err)
		cur_policy(p)->replay_window = (uint32_t)x;
	return err;
}

static int pol_set_nonce(struct parser *p, const char *v)
{
	if (!strcmp(v, "esf"))
		cur_policy(p)->nonce_policy = ESF_NONCE_ESF;
	else if (!strcmp(v, "any"))
		cur_policy(p)->nonce_policy = ESF_NONCE_ANY;
	else
		return fail(p, p->line, "nonce-policy is esf or any, not '%s'", v);
	return 0;
}

static int pol_set_hw(struct parser *p, const char *v)
{
	return set_bool(p, v, &cur_policy(p)->require_hw);
}

/* A crypto API driver name: printable, no spaces; the kernel checks the rest. */
static int pol_set_driver(struct parser *p, const char *v)
{
	return set_token(p, v, ESFD_DRIVER_MAX, cur_policy(p)->driver,
			 "driver (a crypto driver name)");
}

static int pol_set_classes(struct parser *p, const char *v)
{
	uint8_t mask = 0;
	const char *s = v;

	for (;;) {
		if (*s < '1' || *s > '3' || (mask & (1u << (*s - '0'))))
			return fail(p, p->line, "data-classes must list distinct "
				    "classes 1, 2, 3 separated by commas");
		mask |= (uint8_t)(1u << (*s - '0'));
		s++;
		if (!*s)
			break;
		if (*s++ != ',')
			return fail(p, p->line, "data-classes must list distinct "
				    "classes 1, 2, 3 separated by commas");
		while (*s == ' ')
			s++;
	}
	cur_policy(p)->data_classes = mask;
	return 0;
}

static int pol_set_rand(struct parser *p, const char *v)
{
	uint64_t x;
	int err = number(p, v, time_units, 60, 30 * 86400, &x);

	if (!err)
		cur_policy(p)->rand_lifetime = (uint32_t)x;
	return err;
}

/* uid_t and gid_t -1 mean "no change" to the kernel: not a valid owner. */
static int pol_set_uid(struct parser *p, const char *v)
{
	uint64_t x;
	int err = number(p, v, no_units, 0, UINT32_MAX - 1, &x);

	if (!err) {
		cur_policy(p)->owner_uid = (uint32_t)x;
		cur_policy(p)->owner_uid_line = p->line;
	}
	return err;
}

static int pol_set_gid(struct parser *p, const char *v)
{
	uint64_t x;
	int err = number(p, v, no_units, 0, UINT32_MAX - 1, &x);

	if (!err) {
		cur_policy(p)->owner_gid = (uint32_t)x;
		cur_policy(p)->owner_gid_line = p->line;
	}
	return err;
}

/* A security profile's name, or a message listing them. */
static const struct esfd_profile *take_profile(struct parser *p, const char *v)
{
	const struct esfd_profile *pr = esfd_profile_find(v);
	char names[128] = "";
	size_t i, n = 0;

	if (pr)
		return pr;
	for (i = 0; esfd_profile_at(i); i++)
		n += (size_t)snprintf(names + n, sizeof(names) - n, "%s%s", i ? ", " : "",
				      esfd_profile_at(i)->name);
	fail(p, p->line, "unknown profile '%.40s' (%s)", v, names);
	return NULL;
}

static int pol_set_profile(struct parser *p, const char *v)
{
	cur_policy(p)->profile = take_profile(p, v);
	return cur_policy(p)->profile ? 0 : -EINVAL;
}

static const struct key_def policy_keys[] = {
	{ "aead", pol_set_aead },
	{ "key-size", pol_set_key_size },
	{ "tag-length", pol_set_tag },
	{ "lifetime-soft-messages", pol_soft_msgs },
	{ "lifetime-soft-bytes", pol_soft_bytes },
	{ "lifetime-soft-seconds", pol_soft_secs },
	{ "lifetime-hard-messages", pol_hard_msgs },
	{ "lifetime-hard-bytes", pol_hard_bytes },
	{ "lifetime-hard-seconds", pol_hard_secs },
	{ "replay-window", pol_set_window },
	{ "nonce-policy", pol_set_nonce },
	{ "require-hardware", pol_set_hw },
	{ "driver", pol_set_driver },
	{ "data-classes", pol_set_classes },
	{ "esprim-rand-lifetime", pol_set_rand },
	{ "owner-uid", pol_set_uid },
	{ "owner-gid", pol_set_gid },
	{ "profile", pol_set_profile },
	{ NULL, NULL },
};

/* ---- [peer NAME] ---- */

static int peer_set_id(struct parser *p, const char *v)
{
	return set_id(p, v, cur_peer(p)->id);
}

static int peer_set_role(struct parser *p, const char *v)
{
	return set_role(p, v, &cur_peer(p)->role);
}

static int peer_set_addr(struct parser *p, const char *v)
{
	(void)v;
	return fail(p, p->line, "'address' is gone: peers are reached by their id through "
		    "the MQTT broker (mqtt-broker, see docs/esfd.md)");
}

static int peer_set_kpsa_id(struct parser *p, const char *v)
{
	size_t n = strlen(v);

	if (n > ESFD_KPSA_ID_MAX || esfd_id_check(v, n))
		return fail(p, p->line, "kpsa-id must be 1..%d printable ASCII "
			    "characters without spaces", ESFD_KPSA_ID_MAX);
	strcpy(cur_peer(p)->kpsa_id, v);
	return 0;
}

/* Never quote the value: it is a key. */
static int peer_set_kpsa(struct parser *p, const char *v)
{
	struct esfd_peer *pe = cur_peer(p);
	size_t n = strlen(v);

	if (n < 2 * ESFD_KPSA_MIN || n > 2 * ESFD_KPSA_MAX ||
	    esfd_hex_decode(v, n, pe->kpsa, sizeof(pe->kpsa), &pe->kpsa_len))
		return fail(p, p->line, "kpsa must be %d to %d hex digits, an even "
			    "number (a %d to %d byte key)", 2 * ESFD_KPSA_MIN,
			    2 * ESFD_KPSA_MAX, ESFD_KPSA_MIN, ESFD_KPSA_MAX);
	pe->kpsa_line = p->line;
	return 0;
}

static int peer_set_kpsa_file(struct parser *p, const char *v)
{
	struct esfd_peer *pe = cur_peer(p);

	if (strlen(v) >= 4096)
		return fail(p, p->line, "kpsa-file path too long");
	pe->kpsa_file = strdup(v);
	if (!pe->kpsa_file)
		return -ENOMEM;
	pe->kpsa_line = p->line;
	return 0;
}

static int peer_set_credential(struct parser *p, const char *v)
{
	cur_peer(p)->cert = !strcmp(v, "certificate");
	cur_peer(p)->fac = !strcmp(v, "facilitator");
	if (!cur_peer(p)->cert && !cur_peer(p)->fac && strcmp(v, "kpsa"))
		return fail(p, p->line, "credential must be kpsa, certificate or facilitator, "
			    "not '%.40s'", v);
	return 0;
}

static int peer_set_facilitator(struct parser *p, const char *v)
{
	if (name_check(v))
		return fail(p, p->line, "'%.40s' is not a peer name", v);
	strcpy(p->refs[p->cur].fac, v);
	p->refs[p->cur].fac_line = p->line;
	return 0;
}

static int peer_set_fac_role(struct parser *p, const char *v)
{
	if (strcmp(v, "register") && strcmp(v, "retrieve"))
		return fail(p, p->line, "facilitator-role must be register or retrieve, "
			    "not '%.40s'", v);
	cur_peer(p)->fac_register = !strcmp(v, "register");
	return 0;
}

static int peer_set_policy(struct parser *p, const char *v)
{
	if (name_check(v))
		return fail(p, p->line, "'%.40s' is not a policy name", v);
	strcpy(p->refs[p->cur].name, v);
	p->refs[p->cur].line = p->line;
	return 0;
}

/* "profile": for every class not given its own with "profile-classN". */
static int peer_set_profile(struct parser *p, const char *v)
{
	struct policy_ref *r = &p->refs[p->cur];

	r->all = take_profile(p, v);
	r->all_line = p->line;
	return r->all ? 0 : -EINVAL;
}

static int peer_class_profile(struct parser *p, const char *v, unsigned int cls)
{
	cur_peer(p)->profiles[cls] = take_profile(p, v);
	p->refs[p->cur].class_line[cls] = p->line;
	return cur_peer(p)->profiles[cls] ? 0 : -EINVAL;
}

static int peer_profile_1(struct parser *p, const char *v)
{
	return peer_class_profile(p, v, 1);
}

static int peer_profile_2(struct parser *p, const char *v)
{
	return peer_class_profile(p, v, 2);
}

static int peer_profile_3(struct parser *p, const char *v)
{
	return peer_class_profile(p, v, 3);
}

static int peer_set_gw_role(struct parser *p, const char *v)
{
	struct esfd_peer *pe = cur_peer(p);

	if (!strcmp(v, "reseal"))
		pe->gw_role = ESFD_GW_RESEAL;
	else if (!strcmp(v, "funnel"))
		pe->gw_role = ESFD_GW_FUNNEL;
	else if (!strcmp(v, "aggregator"))
		pe->gw_role = ESFD_GW_AGGREGATOR;
	else
		return fail(p, p->line, "gateway-role must be reseal, funnel or aggregator, "
			    "not '%.40s'", v);
	pe->gw_role_line = p->line;
	return 0;
}

static const struct key_def peer_keys[] = {
	{ "id", peer_set_id },
	{ "role", peer_set_role },
	{ "address", peer_set_addr },
	{ "kpsa-id", peer_set_kpsa_id },
	{ "kpsa", peer_set_kpsa },
	{ "kpsa-file", peer_set_kpsa_file },
	{ "credential", peer_set_credential },
	{ "facilitator", peer_set_facilitator },
	{ "facilitator-role", peer_set_fac_role },
	{ "policy", peer_set_policy },
	{ "profile", peer_set_profile },
	{ "profile-class1", peer_profile_1 },
	{ "profile-class2", peer_profile_2 },
	{ "profile-class3", peer_profile_3 },
	{ "gateway-role", peer_set_gw_role },
	{ NULL, NULL },
};

/* ---- [group NAME] ---- */

static int group_set_id(struct parser *p, const char *v)
{
	return set_id(p, v, cur_group(p)->id);
}

static int group_set_policy(struct parser *p, const char *v)
{
	if (name_check(v))
		return fail(p, p->line, "'%.40s' is not a policy name", v);
	strcpy(p->grefs[p->cur].policy, v);
	p->grefs[p->cur].policy_line = p->line;
	return 0;
}

/* "members" may be given on several lines; they add up. */
static int group_set_members(struct parser *p, const char *v)
{
	struct group_ref *r = &p->grefs[p->cur];
	size_t old = r->members ? strlen(r->members) : 0, n = strlen(v);
	unsigned int *lines;
	char *text;

	text = realloc(r->members, old + n + 2);
	if (!text)
		return -ENOMEM;
	r->members = text;
	if (old)
		text[old++] = '\n';
	memcpy(text + old, v, n + 1);
	lines = realloc(r->members_lines, (r->n_members_lines + 1) * sizeof(*lines));
	if (!lines)
		return -ENOMEM;
	r->members_lines = lines;
	lines[r->n_members_lines++] = p->line;
	if (!r->members_line)
		r->members_line = p->line;
	cur_group(p)->serve = true;
	return 0;
}

static int group_set_server(struct parser *p, const char *v)
{
	if (name_check(v))
		return fail(p, p->line, "'%.40s' is not a peer name", v);
	strcpy(p->grefs[p->cur].server, v);
	p->grefs[p->cur].server_line = p->line;
	return 0;
}

static int group_set_senders(struct parser *p, const char *v)
{
	uint64_t x;
	int err = number(p, v, no_units, 2, ESF_GROUP_SENDERS_MAX, &x);

	cur_group(p)->senders = (uint16_t)x;
	return err;
}

static int group_set_rotate(struct parser *p, const char *v)
{
	uint64_t x;
	int err = number(p, v, time_units, 1, 365 * 86400, &x);

	cur_group(p)->rotate = (uint32_t)x;
	return err;
}

static int group_set_switch(struct parser *p, const char *v)
{
	uint64_t x;
	int err = number(p, v, time_units, 0, 86400, &x);

	cur_group(p)->switch_delay = (uint32_t)x;
	return err;
}

/* "FIRST-LAST": a block of sender ids, checked against the group later. */
static int block_parse(struct parser *p, const char *v)
{
	struct esfd_group_conf *g = cur_group(p);
	const char *dash = strchr(v, '-');
	uint64_t a, b;

	if (!dash || parse_u64(v, (size_t)(dash - v), &a) ||
	    parse_u64(dash + 1, strlen(dash + 1), &b) || !a || a > b ||
	    b >= ESF_GROUP_SENDERS_MAX)
		return fail(p, p->line, "'%.40s' is not a block of sender ids FIRST-LAST "
			    "(1 <= FIRST <= LAST < %u)", v, ESF_GROUP_SENDERS_MAX);
	g->block_first = (uint16_t)a;
	g->block_last = (uint16_t)b;
	p->grefs[p->cur].block_line = p->line;
	return 0;
}

/* Mediator: "block = FIRST-LAST", the sender ids its server delegated. */
static int group_set_block(struct parser *p, const char *v)
{
	return block_parse(p, v);
}

/* Mediator: "mediate = LOCAL", the group served to the area network. */
static int group_set_mediate(struct parser *p, const char *v)
{
	if (name_check(v))
		return fail(p, p->line, "'%.40s' is not a group name", v);
	strcpy(p->grefs[p->cur].mediate, v);
	p->grefs[p->cur].mediate_line = p->line;
	cur_group(p)->mediates = true;
	return 0;
}

/* Device: "via = LOCAL", the group whose key wraps this one. */
static int group_set_via(struct parser *p, const char *v)
{
	if (name_check(v))
		return fail(p, p->line, "'%.40s' is not a group name", v);
	strcpy(p->grefs[p->cur].via, v);
	p->grefs[p->cur].via_line = p->line;
	cur_group(p)->via_set = true;
	return 0;
}

/* Server: "delegate = PEER:FIRST-LAST", a block handed to a mediator. */
static int group_set_delegate(struct parser *p, const char *v)
{
	const char *colon = strchr(v, ':');
	size_t n = colon ? (size_t)(colon - v) : 0;
	char name[ESFD_NAME_MAX + 1];

	if (!colon || !n || n > ESFD_NAME_MAX)
		return fail(p, p->line, "'%.40s' is not PEER:FIRST-LAST (a member's name and "
			    "the sender ids it hands out)", v);
	memcpy(name, v, n);
	name[n] = '\0';
	if (name_check(name))
		return fail(p, p->line, "'%.40s' is not a peer name", name);
	strcpy(p->grefs[p->cur].delegate, name);
	p->grefs[p->cur].delegate_line = p->line;
	return block_parse(p, colon + 1);
}

/* ---- [gauth NAME] ---- */

static int gauth_set_id(struct parser *p, const char *v)
{
	return set_id(p, v, cur_gauth(p)->id);
}

static int gauth_peer_name(struct parser *p, const char *v, char *name, unsigned int *line)
{
	if (name_check(v))
		return fail(p, p->line, "'%.40s' is not a peer name", v);
	strcpy(name, v);
	*line = p->line;
	return 0;
}

static int gauth_set_agent(struct parser *p, const char *v)
{
	struct gauth_ref *r = &p->arefs[p->cur];

	return gauth_peer_name(p, v, r->agent, &r->agent_line);
}

static int gauth_set_server(struct parser *p, const char *v)
{
	struct gauth_ref *r = &p->arefs[p->cur];

	return gauth_peer_name(p, v, r->server, &r->server_line);
}

static int gauth_set_members(struct parser *p, const char *v)
{
	struct gauth_ref *r = &p->arefs[p->cur];
	size_t have = r->members ? strlen(r->members) : 0;
	char *m = realloc(r->members, have + strlen(v) + 2);

	if (!m)
		return -ENOMEM;
	m[have] = ' ';
	strcpy(m + (have ? have + 1 : 0), v);
	r->members = m;
	if (!r->members_line)
		r->members_line = p->line;
	return 0;
}

static int gauth_set_class(struct parser *p, const char *v)
{
	uint64_t x;
	int err = number(p, v, no_units, 2, 3, &x);

	cur_gauth(p)->data_class = (uint8_t)x;
	return err;
}

static int gauth_set_collect(struct parser *p, const char *v)
{
	uint64_t x;
	int err = number(p, v, no_units, 0, 10000, &x);

	cur_gauth(p)->collect_ms = (uint32_t)x;
	return err;
}

static const struct key_def gauth_keys[] = {
	{ "id", gauth_set_id },
	{ "agent", gauth_set_agent },
	{ "server", gauth_set_server },
	{ "members", gauth_set_members },
	{ "class", gauth_set_class },
	{ "collect-ms", gauth_set_collect },
	{ NULL, NULL },
};

/* ---- [p2p] ---- */

static int dyn_set_policy(struct parser *p, const char *v)
{
	if (name_check(v))
		return fail(p, p->line, "'%.40s' is not a policy name", v);
	strcpy(p->p2p_policy, v);
	p->p2p_policy_line = p->line;
	return 0;
}

static int dyn_set_peers(struct parser *p, const char *v)
{
	uint64_t x;
	int err = number(p, v, no_units, 1, ESFD_P2P_PEERS_MAX, &x);

	if (!err)
		p->cfg->p2p.peers = (uint32_t)x;
	return err;
}

static int dyn_set_cache(struct parser *p, const char *v)
{
	uint64_t x;
	int err = number(p, v, no_units, 1, ESFD_P2P_CACHE_MAX, &x);

	if (!err)
		p->cfg->p2p.cert_cache = (uint32_t)x;
	return err;
}

static int dyn_set_window(struct parser *p, const char *v)
{
	uint64_t x;
	int err = number(p, v, time_units, 1, 3600, &x);

	if (!err)
		p->cfg->p2p.window = (uint32_t)x;
	return err;
}

static const struct key_def p2p_keys[] = {
	{ "policy", dyn_set_policy },
	{ "peers", dyn_set_peers },
	{ "cert-cache", dyn_set_cache },
	{ "window", dyn_set_window },
	{ NULL, NULL },
};

/* ---- [guest] ---- */

static int guest_set_network(struct parser *p, const char *v)
{
	if (esfd_id_check(v, strlen(v)))
		return fail(p, p->line, "network: '%.40s' is not an id (1..%d printable ASCII "
			    "characters)", v, ESFD_ID_MAX);
	strcpy(p->cfg->guest.network, v);
	return 0;
}

static int guest_set_trust_file(struct parser *p, const char *v)
{
	free(p->cfg->guest.trust_file);
	return set_path(p, v, &p->cfg->guest.trust_file, "trust-file");
}

static int guest_set_revocation_file(struct parser *p, const char *v)
{
	free(p->cfg->guest.revocation_file);
	return set_path(p, v, &p->cfg->guest.revocation_file, "revocation-file");
}

static int guest_set_key_file(struct parser *p, const char *v)
{
	free(p->cfg->guest.key_file);
	return set_path(p, v, &p->cfg->guest.key_file, "key-file");
}

static int guest_set_senders(struct parser *p, const char *v)
{
	uint64_t x;
	int err = number(p, v, no_units, 2, ESFD_GUEST_SENDERS_MAX, &x);

	if (!err)
		p->cfg->guest.senders = (uint32_t)x;
	return err;
}

static int guest_set_max_seconds(struct parser *p, const char *v)
{
	uint64_t x;
	int err = number(p, v, time_units, 10, 86400 * 30, &x);

	if (!err)
		p->cfg->guest.max_seconds = (uint32_t)x;
	return err;
}

static int guest_set_window(struct parser *p, const char *v)
{
	uint64_t x;
	int err = number(p, v, time_units, 1, 3600, &x);

	if (!err)
		p->cfg->guest.window = (uint32_t)x;
	return err;
}

static const struct key_def guest_keys[] = {
	{ "network", guest_set_network },
	{ "trust-file", guest_set_trust_file },
	{ "revocation-file", guest_set_revocation_file },
	{ "key-file", guest_set_key_file },
	{ "senders", guest_set_senders },
	{ "max-seconds", guest_set_max_seconds },
	{ "window", guest_set_window },
	{ NULL, NULL },
};

/* ---- [facilitator] ---- */

/* "allow = OWNER READER...": one line per owner; the lines add up. */
static int fac_set_allow(struct parser *p, const char *v)
{
	struct fac_ref *r = &p->fref;
	unsigned int *lines;
	char **allow;

	allow = realloc(r->allow, (r->n + 1) * sizeof(*allow));
	if (!allow)
		return -ENOMEM;
	r->allow = allow;
	lines = realloc(r->lines, (r->n + 1) * sizeof(*lines));
	if (!lines)
		return -ENOMEM;
	r->lines = lines;
	allow[r->n] = strdup(v);
	if (!allow[r->n])
		return -ENOMEM;
	lines[r->n++] = p->line;
	return 0;
}

static int fac_set_lifetime(struct parser *p, const char *v)
{
	uint64_t x;
	int err = number(p, v, time_units, 60, 366 * 86400, &x);

	p->cfg->fac->key_lifetime = (uint32_t)x;
	return err;
}

static int fac_set_store(struct parser *p, const char *v)
{
	if (strlen(v) >= 4096)
		return fail(p, p->line, "store path too long");
	free(p->cfg->fac->store);
	p->cfg->fac->store = strdup(v);
	return p->cfg->fac->store ? 0 : -ENOMEM;
}

static const struct key_def fac_keys[] = {
	{ "allow", fac_set_allow },
	{ "key-lifetime", fac_set_lifetime },
	{ "store", fac_set_store },
	{ NULL, NULL },
};

/* ---- [container NAME] ---- */

static int cnt_set_id(struct parser *p, const char *v)
{
	return set_id(p, v, cur_cnt(p)->id);
}

static int cnt_set_role(struct parser *p, const char *v)
{
	struct esfd_container_conf *k = cur_cnt(p);

	if (!strcmp(v, "writer"))
		k->role = ESFD_DAR_WRITER;
	else if (!strcmp(v, "reader"))
		k->role = ESFD_DAR_READER;
	else if (!strcmp(v, "host"))
		k->role = ESFD_DAR_HOST;
	else
		return fail(p, p->line, "role of a container is writer, reader or host, "
			    "not '%.40s'", v);
	return 0;
}

static int cnt_set_gateway(struct parser *p, const char *v)
{
	return set_id(p, v, cur_cnt(p)->gateway);
}

/* Never quote the value: it is a key. */
static int cnt_set_kpsa(struct parser *p, const char *v)
{
	struct esfd_container_conf *k = cur_cnt(p);
	size_t n = strlen(v);

	if (n < 2 * ESFD_KPSA_MIN || n > 2 * ESFD_KPSA_MAX ||
	    esfd_hex_decode(v, n, k->kpsa, sizeof(k->kpsa), &k->kpsa_len))
		return fail(p, p->line, "kpsa must be %d to %d hex digits, an even "
			    "number (a %d to %d byte key)", 2 * ESFD_KPSA_MIN,
			    2 * ESFD_KPSA_MAX, ESFD_KPSA_MIN, ESFD_KPSA_MAX);
	k->kpsa_line = p->line;
	return 0;
}

static int cnt_set_kpsa_file(struct parser *p, const char *v)
{
	struct esfd_container_conf *k = cur_cnt(p);

	if (strlen(v) >= 4096)
		return fail(p, p->line, "kpsa-file path too long");
	k->kpsa_file = strdup(v);
	k->kpsa_line = p->line;
	return k->kpsa_file ? 0 : -ENOMEM;
}

static int cnt_set_integrity(struct parser *p, const char *v)
{
	return set_bool(p, v, &cur_cnt(p)->integrity_only);
}

/* A list of oneM2M ids separated by spaces, each checked. */
static int acl_set(struct parser *p, const char *v, char *dst)
{
	char id[ESFD_ID_MAX + 1], checked[ESFD_ID_MAX + 1];
	const char *s = v;
	size_t n;

	if (strlen(v) > ESFD_DAR_ACL_MAX)
		return fail(p, p->line, "more than %d characters of ids", ESFD_DAR_ACL_MAX);
	while (*s) {
		n = strcspn(s, " ");
		if (n > ESFD_ID_MAX)
			return fail(p, p->line, "an id of more than %d characters", ESFD_ID_MAX);
		memcpy(id, s, n);
		id[n] = '\0';
		if (n && set_id(p, id, checked))
			return -EINVAL;
		s += n;
		while (*s == ' ')
			s++;
	}
	strcpy(dst, v);
	return 0;
}

static int cnt_set_writers(struct parser *p, const char *v)
{
	return acl_set(p, v, cur_cnt(p)->writers);
}

static int cnt_set_readers(struct parser *p, const char *v)
{
	return acl_set(p, v, cur_cnt(p)->readers);
}

static int cnt_set_store(struct parser *p, const char *v)
{
	struct esfd_container_conf *k = cur_cnt(p);

	if (strlen(v) >= 4096)
		return fail(p, p->line, "store path too long");
	free(k->store);
	k->store = strdup(v);
	return k->store ? 0 : -ENOMEM;
}

static int cnt_set_uid(struct parser *p, const char *v)
{
	uint64_t x;
	int err = number(p, v, no_units, 0, UINT32_MAX - 1, &x);

	if (!err)
		cur_cnt(p)->owner_uid = (uint32_t)x;
	return err;
}

static int cnt_set_gid(struct parser *p, const char *v)
{
	uint64_t x;
	int err = number(p, v, no_units, 0, UINT32_MAX - 1, &x);

	if (!err)
		cur_cnt(p)->owner_gid = (uint32_t)x;
	return err;
}

static const struct key_def container_keys[] = {
	{ "id", cnt_set_id },
	{ "role", cnt_set_role },
	{ "gateway", cnt_set_gateway },
	{ "kpsa", cnt_set_kpsa },
	{ "kpsa-file", cnt_set_kpsa_file },
	{ "integrity-only", cnt_set_integrity },
	{ "writers", cnt_set_writers },
	{ "readers", cnt_set_readers },
	{ "store", cnt_set_store },
	{ "owner-uid", cnt_set_uid },
	{ "owner-gid", cnt_set_gid },
	{ NULL, NULL },
};

bool esfd_container_acl_has(const char *acl, const char *id)
{
	size_t n = strlen(id), k;

	while (*acl) {
		k = strcspn(acl, " ");
		if (k == n && !memcmp(acl, id, n))
			return true;
		acl += k;
		while (*acl == ' ')
			acl++;
	}
	return false;
}

/*
 * A writer or reader holds the container's key and names its gateway; the
 * hosting gateway holds no key (that is the point) and names who may
 * write and read.
 */
static int end_container(struct parser *p)
{
	struct esfd_container_conf *k = cur_cnt(p);
	bool has_key = k->kpsa_len || k->kpsa_file;
	size_t i;

	if (!k->id[0])
		return fail(p, k->line, "[container %s] needs 'id' (the container's resource id)",
			    k->name);
	for (i = 0; i + 1 < p->cfg->n_containers; i++)
		if (!strcmp(p->cfg->containers[i].id, k->id))
			return fail(p, k->line, "[container %s]: id %.80s is [container %s]'s too",
				    k->name, k->id, p->cfg->containers[i].name);
	if (!k->role)
		return fail(p, k->line, "[container %s] needs 'role' (writer, reader or host)",
			    k->name);
	if (k->kpsa_len && k->kpsa_file)
		return fail(p, blame(p, "kpsa-file"), "kpsa and kpsa-file both set");
	if (k->role == ESFD_DAR_HOST) {
		if (has_key)
			return fail(p, k->kpsa_line, "[container %s] is hosted here: the hosting "
				    "gateway must not hold the data-at-rest key", k->name);
		if (k->gateway[0] || seen_line(p, "integrity-only"))
			return fail(p, blame(p, k->gateway[0] ? "gateway" : "integrity-only"),
				    "gateway and integrity-only are for writers and readers");
		if (!k->writers[0] || !k->readers[0])
			return fail(p, k->line, "[container %s] (host) needs 'writers' and 'readers'",
				    k->name);
		return 0;
	}
	if (k->writers[0] || k->readers[0] || k->store)
		return fail(p, blame(p, k->store ? "store" : k->writers[0] ? "writers" : "readers"),
			    "writers, readers and store are for the hosting gateway (role = host)");
	if (!k->gateway[0])
		return fail(p, k->line, "[container %s] needs 'gateway' (the hosting CSE's id)",
			    k->name);
	if (!has_key)
		return fail(p, k->line, "[container %s] needs kpsa or kpsa-file (the data-at-rest "
			    "key the writer and its readers share)", k->name);
	return 0;
}

static int begin_container(struct parser *p, const char *name)
{
	struct esfd_config *c = p->cfg;
	size_t i;

	for (i = 0; i < c->n_containers; i++)
		if (!strcmp(c->containers[i].name, name))
			return fail(p, p->line, "[container %s] already defined on line %u",
				    name, c->containers[i].line);
	if (c->n_containers >= ESFD_MAX_CONTAINERS)
		return fail(p, p->line, "more than %d containers", ESFD_MAX_CONTAINERS);
	if (!c->containers) {
		c->containers = calloc(ESFD_MAX_CONTAINERS, sizeof(*c->containers));
		if (!c->containers)
			return -ENOMEM;
	}
	p->cur = c->n_containers++;
	strcpy(c->containers[p->cur].name, name);
	c->containers[p->cur].line = p->line;
	return 0;
}

static const struct key_def group_keys[] = {
	{ "id", group_set_id },
	{ "policy", group_set_policy },
	{ "members", group_set_members },
	{ "server", group_set_server },
	{ "senders", group_set_senders },
	{ "rotate", group_set_rotate },
	{ "switch-delay", group_set_switch },
	{ "mediate", group_set_mediate },
	{ "block", group_set_block },
	{ "via", group_set_via },
	{ "delegate", group_set_delegate },
	{ NULL, NULL },
};

/* ---- section validation ---- */

static void policy_defaults(struct esfd_policy *pol, const char *name)
{
	memset(pol, 0, sizeof(*pol));
	strcpy(pol->name, name);
	pol->aead = ESFD_AEAD_GCM;
	pol->key_bits = 256;
	pol->tag_len = 16;
	pol->hard.messages = 1ULL << 32;
	pol->hard.bytes = 1ULL << 36;
	pol->hard.seconds = 86400;
	pol->soft.messages = pol->hard.messages / 10 * 9;
	pol->soft.bytes = pol->hard.bytes / 10 * 9;
	pol->soft.seconds = pol->hard.seconds / 10 * 9;
	pol->replay_window = 1024;
	pol->nonce_policy = ESF_NONCE_ESF;
	pol->data_classes = 1u << 1 | 1u << 2 | 1u << 3;
	pol->rand_lifetime = 3600;
}

static bool tag_ok(enum esfd_aead a, unsigned int t)
{
	switch (a) {
	case ESFD_AEAD_GCM:
		return t == 4 || t == 8 || (t >= 12 && t <= 16);
	case ESFD_AEAD_RFC4106:
		return t == 8 || t == 12 || t == 16;
	case ESFD_AEAD_CCM:
		return t >= 4 && t <= 16 && !(t % 2);
	case ESFD_AEAD_AUTHENC:
		return t >= 16 && t <= 32;
	case ESFD_AEAD_HMAC:
		/* A JWS carries the whole HMAC-SHA256 (RFC 7518 3.2). */
		return t == 32;
	}
	return false;
}

/* A soft limit left unset is 90% of the hard one; set, it must be lower. */
static int lifetime_pair(struct parser *p, const char *what, uint64_t *soft,
			 uint64_t hard)
{
	char key[40];

	snprintf(key, sizeof(key), "lifetime-soft-%s", what);
	if (!seen_line(p, key))
		*soft = hard / 10 * 9;
	if (*soft && hard && *soft >= hard)
		return fail(p, blame(p, key), "%s must be below lifetime-hard-%s",
			    key, what);
	return 0;
}

static int end_policy(struct parser *p)
{
	struct esfd_policy *pol = cur_policy(p);
	int err;

	/* A MIC pair's tag is the whole HMAC unless the policy says otherwise. */
	if (pol->aead == ESFD_AEAD_HMAC && !seen_line(p, "tag-length"))
		pol->tag_len = 32;
	if (!tag_ok(pol->aead, pol->tag_len))
		return fail(p, blame(p, "tag-length"), "tag-length %u is not "
			    "valid for %s", pol->tag_len, aead_names[pol->aead]);
	/* The kernel remembers "any" nonces in the replay record only. */
	if (pol->nonce_policy == ESF_NONCE_ANY && pol->aead != ESFD_AEAD_GCM &&
	    pol->aead != ESFD_AEAD_CCM)
		return fail(p, blame(p, "nonce-policy"), "nonce-policy any needs "
			    "aead gcm(aes) or ccm(aes), not %s", aead_names[pol->aead]);
	if (pol->nonce_policy == ESF_NONCE_ANY && !pol->replay_window)
		return fail(p, blame(p, "replay-window"), "nonce-policy any needs "
			    "a replay-window (the nonces remembered), not 0");
	err = lifetime_pair(p, "messages", &pol->soft.messages, pol->hard.messages);
	if (!err)
		err = lifetime_pair(p, "bytes", &pol->soft.bytes, pol->hard.bytes);
	if (!err)
		err = lifetime_pair(p, "seconds", &pol->soft.seconds, pol->hard.seconds);
	if (!err && pol->profile) {
		char why[160];

		if (esfd_profile_check(pol->profile, pol, why, sizeof(why)))
			err = fail(p, blame(p, "profile"), "[policy %s] breaks profile %s: %s",
				   pol->name, pol->profile->name, why);
	}
	return err;
}

static int end_peer(struct parser *p)
{
	struct esfd_peer *pe = cur_peer(p);
	struct policy_ref *r = &p->refs[p->cur];
	static const char *const required[] = { "id", "role", "kpsa-id" };
	static const char *const psk_only[] = { "kpsa-id", "kpsa", "kpsa-file" };
	static const char *const fac_only[] = { "facilitator", "facilitator-role" };
	size_t i;

	/* "profile" covers the classes without a profile-classN of their own. */
	for (i = 1; i <= 3 && r->all; i++) {
		if (pe->profiles[i])
			continue;
		pe->profiles[i] = r->all;
		r->class_line[i] = r->all_line;
	}

	for (i = 0; !pe->fac && i < 2; i++)
		if (seen_line(p, fac_only[i]))
			return fail(p, seen_line(p, fac_only[i]), "[peer %s]: %s is for "
				    "credential = facilitator", pe->name, fac_only[i]);
	if (pe->cert || pe->fac) {
		for (i = 0; i < 2; i++)
			if (!seen_line(p, required[i]))
				return fail(p, p->sec_line, "[peer %s] needs '%s'",
					    pe->name, required[i]);
		for (i = 0; i < 3; i++)
			if (seen_line(p, psk_only[i]))
				return fail(p, seen_line(p, psk_only[i]), "[peer %s]: %s is for "
					    "credential = kpsa; the key of a %s peer comes from %s",
					    pe->name, psk_only[i], pe->cert ? "certificate" :
					    "facilitator", pe->cert ? "ESCertKE" : "the facilitator");
		for (i = 0; pe->fac && i < 2; i++)
			if (!seen_line(p, fac_only[i]))
				return fail(p, p->sec_line, "[peer %s] needs '%s' (credential = "
					    "facilitator)", pe->name, fac_only[i]);
		if (pe->fac)
			return 0;
		if (!p->cfg->certs.ca_file)
			p->need_certs = p->sec_line;
		return 0;
	}
	for (i = 0; i < 3; i++)
		if (!seen_line(p, required[i]))
			return fail(p, p->sec_line, "[peer %s] needs '%s'",
				    pe->name, required[i]);
	if (seen_line(p, "kpsa") && seen_line(p, "kpsa-file"))
		return fail(p, seen_line(p, "kpsa-file"), "[peer %s] has both kpsa "
			    "and kpsa-file", pe->name);
	if (!seen_line(p, "kpsa") && !seen_line(p, "kpsa-file"))
		return fail(p, p->sec_line, "[peer %s] needs kpsa or kpsa-file",
			    pe->name);
	return 0;
}

/* Which side sets which key of mediation (docs/esfd.conf.md). */
static int end_group_mediation(struct parser *p, const struct esfd_group_conf *g)
{
	static const char *const member_only[] = { "mediate", "block", "via" };
	size_t i;

	for (i = 0; g->serve && i < 3; i++)
		if (seen_line(p, member_only[i]))
			return fail(p, seen_line(p, member_only[i]), "[group %s]: %s is a member's "
				    "(a mediator's: mediate, block; a device's: via); the server "
				    "sets delegate", g->name, member_only[i]);
	if (!g->serve && seen_line(p, "delegate"))
		return fail(p, seen_line(p, "delegate"), "[group %s]: delegate is the server's "
			    "(it hands a block of sender ids to a mediator among its members)",
			    g->name);
	if (!!seen_line(p, "mediate") != !!seen_line(p, "block"))
		return fail(p, blame(p, seen_line(p, "mediate") ? "mediate" : "block"),
			    "[group %s]: a mediator needs both mediate (the local group) and "
			    "block (the sender ids its server delegated)", g->name);
	if (seen_line(p, "mediate") && seen_line(p, "via"))
		return fail(p, seen_line(p, "via"), "[group %s]: mediate and via: an esfd "
			    "either mediates a group's key or receives it from a mediator",
			    g->name);
	return 0;
}

static int end_group(struct parser *p)
{
	static const char *const server_only[] = { "senders", "rotate", "switch-delay" };
	struct esfd_group_conf *g = cur_group(p);
	size_t i;

	if (!seen_line(p, "id"))
		return fail(p, p->sec_line, "[group %s] needs 'id'", g->name);
	if (seen_line(p, "members") && seen_line(p, "server"))
		return fail(p, seen_line(p, "server"), "[group %s] has both members (this esfd "
			    "serves the group) and server (it is a member)", g->name);
	if (!seen_line(p, "members") && !seen_line(p, "server"))
		return fail(p, p->sec_line, "[group %s] needs members (on the group's server) "
			    "or server (on a member)", g->name);
	for (i = 0; !g->serve && i < 3; i++)
		if (seen_line(p, server_only[i]))
			return fail(p, seen_line(p, server_only[i]), "[group %s]: %s is the "
				    "server's to set (a member learns it with the key)", g->name,
				    server_only[i]);
	if (g->serve && g->switch_delay >= g->rotate)
		return fail(p, blame(p, "switch-delay"), "[group %s]: switch-delay (%us) must be "
			    "shorter than rotate (%us)", g->name, g->switch_delay, g->rotate);
	return end_group_mediation(p, g);
}

/* The role follows from which two of agent, server and members are set. */
static int end_gauth(struct parser *p)
{
	struct esfd_gauth_conf *a = cur_gauth(p);
	bool ag = seen_line(p, "agent"), sv = seen_line(p, "server");
	bool mb = seen_line(p, "members");

	if (!seen_line(p, "id"))
		return fail(p, p->sec_line, "[gauth %s] needs 'id'", a->name);
	if (ag + sv + mb != 2)
		return fail(p, p->sec_line, "[gauth %s] needs exactly two of agent, server and "
			    "members: agent and members on the server, server and members on "
			    "the gateway agent, agent and server on a device", a->name);
	a->role = !sv ? ESFD_GAUTH_SERVER : !ag ? ESFD_GAUTH_AGENT : ESFD_GAUTH_DEVICE;
	if (a->role == ESFD_GAUTH_AGENT && seen_line(p, "class"))
		return fail(p, seen_line(p, "class"), "[gauth %s]: class is for the server and "
			    "the devices (the agent never holds their keys)", a->name);
	if (a->role != ESFD_GAUTH_AGENT && seen_line(p, "collect-ms"))
		return fail(p, seen_line(p, "collect-ms"), "[gauth %s]: collect-ms is the gateway "
			    "agent's (server and members set)", a->name);
	return 0;
}

static int end_esfd(struct parser *p)
{
	static const char *const cert_keys[] = { "ca-file", "cert-file", "key-file" };
	unsigned int any = 0;
	size_t i;

	if (!seen_line(p, "id"))
		return fail(p, p->sec_line, "[esfd] needs 'id'");
	if (!seen_line(p, "role"))
		return fail(p, p->sec_line, "[esfd] needs 'role'");
	for (i = 0; i < 3; i++)
		any = any ? any : seen_line(p, cert_keys[i]);
	if (!any && seen_line(p, "crl-file"))
		any = seen_line(p, "crl-file");
	for (i = 0; any && i < 3; i++)
		if (!seen_line(p, cert_keys[i]))
			return fail(p, any, "[esfd]: a certificate credential needs ca-file, "
				    "cert-file and key-file (%s is missing)", cert_keys[i]);
	return 0;
}

static int end_section(struct parser *p)
{
	switch (p->sec) {
	case SEC_ESFD:
		return end_esfd(p);
	case SEC_POLICY:
		return end_policy(p);
	case SEC_PEER:
		return end_peer(p);
	case SEC_GROUP:
		return end_group(p);
	case SEC_GAUTH:
		return end_gauth(p);
	case SEC_P2P:
		if (!p->p2p_policy_line)
			return fail(p, p->sec_line, "[p2p] needs 'policy' (the sessions with "
				    "the peers it meets)");
		break;
	case SEC_GUEST:
		if (!p->cfg->guest.network[0] && !p->cfg->guest.key_file)
			return fail(p, p->sec_line, "[guest] needs 'network' (a gateway that "
				    "admits guests) or 'key-file' (a device that visits), or both");
		if (p->cfg->guest.network[0] && !p->cfg->guest.trust_file)
			return fail(p, p->sec_line, "[guest] network needs 'trust-file': the "
				    "roots the authorization server's certificate chains to");
		return 0;
	case SEC_FAC:
		if (!p->fref.n)
			return fail(p, p->sec_line, "[facilitator] needs at least one 'allow = "
				    "OWNER READER...'");
		return 0;
	case SEC_CONTAINER:
		return end_container(p);
	case SEC_NONE:
		break;
	}
	return 0;
}

/* ---- sections ---- */

static int begin_policy(struct parser *p, const char *name)
{
	struct esfd_config *c = p->cfg;
	struct esfd_policy *np;
	size_t i;

	for (i = 0; i < c->n_policies; i++) {
		if (strcmp(c->policies[i].name, name))
			continue;
		if (c->policies[i].line)
			return fail(p, p->line, "[policy %s] already defined on "
				    "line %u", name, c->policies[i].line);
		/* The built-in default, given settings for the first time. */
		p->cur = i;
		c->policies[i].line = p->line;
		return 0;
	}
	if (c->n_policies >= ESFD_MAX_POLICIES)
		return fail(p, p->line, "more than %d policies", ESFD_MAX_POLICIES);
	np = realloc(c->policies, (c->n_policies + 1) * sizeof(*np));
	if (!np)
		return -ENOMEM;
	c->policies = np;
	p->cur = c->n_policies++;
	policy_defaults(&np[p->cur], name);
	np[p->cur].line = p->line;
	return 0;
}

/*
 * Room for one more peer, doubling. Not realloc(): the peers already
 * parsed hold keys, and realloc() would free their old copy unwiped.
 */
static int grow_peers(struct parser *p)
{
	struct esfd_config *c = p->cfg;
	size_t cap = p->peer_cap ? 2 * p->peer_cap : 8;
	struct policy_ref *nr;
	struct esfd_peer *np;

	if (c->n_peers < p->peer_cap)
		return 0;
	np = calloc(cap, sizeof(*np));
	nr = realloc(p->refs, cap * sizeof(*nr));
	if (!np || !nr) {
		free(np);
		if (nr)
			p->refs = nr;
		return -ENOMEM;
	}
	p->refs = nr;
	if (c->n_peers) {
		memcpy(np, c->peers, c->n_peers * sizeof(*np));
		explicit_bzero(c->peers, c->n_peers * sizeof(*np));
	}
	free(c->peers);
	c->peers = np;
	p->peer_cap = cap;
	return 0;
}

static int begin_peer(struct parser *p, const char *name)
{
	struct esfd_config *c = p->cfg;
	size_t i;

	for (i = 0; i < c->n_peers; i++)
		if (!strcmp(c->peers[i].name, name))
			return fail(p, p->line, "[peer %s] already defined on line %u",
				    name, c->peers[i].line);
	if (c->n_peers >= ESFD_MAX_PEERS)
		return fail(p, p->line, "more than %d peers", ESFD_MAX_PEERS);
	if (grow_peers(p))
		return -ENOMEM;
	p->cur = c->n_peers++;
	memset(&p->refs[p->cur], 0, sizeof(p->refs[p->cur]));
	strcpy(c->peers[p->cur].name, name);
	c->peers[p->cur].line = p->line;
	return 0;
}

static int begin_group(struct parser *p, const char *name)
{
	struct esfd_config *c = p->cfg;
	struct esfd_group_conf *g;
	size_t i;

	for (i = 0; i < c->n_groups; i++)
		if (!strcmp(c->groups[i].name, name))
			return fail(p, p->line, "[group %s] already defined on line %u",
				    name, c->groups[i].line);
	if (c->n_groups >= ESFD_MAX_GROUPS)
		return fail(p, p->line, "more than %d groups", ESFD_MAX_GROUPS);
	if (!c->groups) {
		c->groups = calloc(ESFD_MAX_GROUPS, sizeof(*c->groups));
		if (!c->groups)
			return -ENOMEM;
	}
	p->cur = c->n_groups++;
	g = &c->groups[p->cur];
	strcpy(g->name, name);
	g->line = p->line;
	g->senders = ESFD_GROUP_SENDERS_DEF;
	g->rotate = ESFD_GROUP_ROTATE_DEF;
	g->switch_delay = ESFD_GROUP_SWITCH_DEF;
	return 0;
}

static int begin_gauth(struct parser *p, const char *name)
{
	struct esfd_config *c = p->cfg;
	struct esfd_gauth_conf *a;
	size_t i;

	for (i = 0; i < c->n_gauths; i++)
		if (!strcmp(c->gauths[i].name, name))
			return fail(p, p->line, "[gauth %s] already defined on line %u",
				    name, c->gauths[i].line);
	if (c->n_gauths >= ESFD_MAX_GAUTHS)
		return fail(p, p->line, "more than %d [gauth] sections", ESFD_MAX_GAUTHS);
	if (!c->gauths) {
		c->gauths = calloc(ESFD_MAX_GAUTHS, sizeof(*c->gauths));
		if (!c->gauths)
			return -ENOMEM;
	}
	p->cur = c->n_gauths++;
	a = &c->gauths[p->cur];
	strcpy(a->name, name);
	a->line = p->line;
	a->data_class = 2;
	a->collect_ms = ESFD_GAUTH_COLLECT_DEF;
	return 0;
}

static int begin_section(struct parser *p, enum section sec, const char *name)
{
	int err = end_section(p);

	if (err)
		return err;
	memset(p->seen, 0, sizeof(p->seen));
	p->sec = sec;
	p->sec_line = p->line;
	switch (sec) {
	case SEC_ESFD:
		if (p->esfd_line)
			return fail(p, p->line, "[esfd] already defined on line %u",
				    p->esfd_line);
		p->esfd_line = p->line;
		p->keys = esfd_keys;
		return 0;
	case SEC_POLICY:
		p->keys = policy_keys;
		return begin_policy(p, name);
	case SEC_PEER:
		p->keys = peer_keys;
		return begin_peer(p, name);
	case SEC_GROUP:
		p->keys = group_keys;
		return begin_group(p, name);
	case SEC_GAUTH:
		p->keys = gauth_keys;
		return begin_gauth(p, name);
	case SEC_P2P:
		if (p->cfg->p2p.line)
			return fail(p, p->line, "[p2p] already defined on line %u",
				    p->cfg->p2p.line);
		p->cfg->p2p.line = p->line;
		p->keys = p2p_keys;
		return 0;
	case SEC_GUEST:
		if (p->cfg->guest.line)
			return fail(p, p->line, "[guest] already defined on line %u",
				    p->cfg->guest.line);
		p->cfg->guest.line = p->line;
		p->keys = guest_keys;
		return 0;
	case SEC_FAC:
		if (p->cfg->fac)
			return fail(p, p->line, "[facilitator] already defined on line %u",
				    p->cfg->fac->line);
		p->cfg->fac = calloc(1, sizeof(*p->cfg->fac));
		if (!p->cfg->fac)
			return -ENOMEM;
		p->cfg->fac->line = p->line;
		p->cfg->fac->key_lifetime = ESFD_FAC_LIFETIME_DEF;
		p->keys = fac_keys;
		return 0;
	case SEC_CONTAINER:
		p->keys = container_keys;
		return begin_container(p, name);
	case SEC_NONE:
		break;
	}
	return -EINVAL;
}

/* "[esfd]", "[p2p]", "[policy NAME]", "[peer NAME]", "[group NAME]" or
 * "[gauth NAME]".
 */
static int parse_header(struct parser *p, char *s)
{
	size_t n = strlen(s);
	char *name, *arg;

	if (s[n - 1] != ']')
		return fail(p, p->line, "section header must end with ']'");
	s[n - 1] = '\0';
	name = s + 1;
	arg = strchr(name, ' ');
	if (arg)
		*arg++ = '\0';
	if (!strcmp(name, "esfd"))
		return arg ? fail(p, p->line, "[esfd] takes no name") :
			     begin_section(p, SEC_ESFD, NULL);
	if (!strcmp(name, "p2p"))
		return arg ? fail(p, p->line, "[p2p] takes no name") :
			     begin_section(p, SEC_P2P, NULL);
	if (!strcmp(name, "facilitator"))
		return arg ? fail(p, p->line, "[facilitator] takes no name") :
			     begin_section(p, SEC_FAC, NULL);
	if (!strcmp(name, "guest"))
		return arg ? fail(p, p->line, "[guest] takes no name") :
			     begin_section(p, SEC_GUEST, NULL);
	if (strcmp(name, "policy") && strcmp(name, "peer") && strcmp(name, "group") &&
	    strcmp(name, "gauth") && strcmp(name, "container"))
		return fail(p, p->line, "unknown section '[%.40s]' (esfd, p2p, facilitator, guest, "
			    "policy NAME, peer NAME, group NAME, gauth NAME, container NAME)", name);
	if (!arg || name_check(arg))
		return fail(p, p->line, "[%s NAME] needs a name of 1..%d "
			    "characters A-Z a-z 0-9 . _ -", name, ESFD_NAME_MAX);
	if (!strcmp(name, "container"))
		return begin_section(p, SEC_CONTAINER, arg);
	return begin_section(p, !strcmp(name, "gauth") ? SEC_GAUTH :
			     name[0] == 'g' ? SEC_GROUP :
			     name[1] == 'o' ? SEC_POLICY : SEC_PEER, arg);
}

static int parse_kv(struct parser *p, char *s)
{
	char *eq = strchr(s, '='), *k_end, *v;
	size_t i;

	if (!eq)
		return fail(p, p->line, "expected 'key = value', a [section] "
			    "header or a comment");
	for (k_end = eq; k_end > s && (k_end[-1] == ' ' || k_end[-1] == '\t');)
		k_end--;
	*k_end = '\0';
	for (v = eq + 1; *v == ' ' || *v == '\t';)
		v++;
	if (p->sec == SEC_NONE)
		return fail(p, p->line, "'%.40s' outside a section", s);
	for (i = 0; p->keys[i].name; i++)
		if (!strcmp(p->keys[i].name, s))
			break;
	if (!p->keys[i].name)
		return fail(p, p->line, "unknown key '%.40s' in this section", s);
	/* A group's or a [gauth]'s members may take several lines; any other
	 * key is set once.
	 */
	if (p->seen[i] && p->keys[i].set != group_set_members &&
	    p->keys[i].set != gauth_set_members && p->keys[i].set != fac_set_allow)
		return fail(p, p->line, "'%s' already set on line %u", s, p->seen[i]);
	if (!*v)
		return fail(p, p->line, "'%s' needs a value", s);
	if (!p->seen[i])
		p->seen[i] = p->line;
	return p->keys[i].set(p, v);
}

static int parse_line(struct parser *p, char *s)
{
	size_t n = strlen(s), i;

	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r'))
		s[--n] = '\0';
	while (*s == ' ' || *s == '\t')
		s++;
	if (!*s || *s == '#' || *s == ';')
		return 0;
	for (i = 0; s[i]; i++)
		if (((unsigned char)s[i] < 0x20 && s[i] != '\t') ||
		    (unsigned char)s[i] > 0x7e)
			return fail(p, p->line, "%s character at column %zu "
				    "(only comments may hold them)",
				    (unsigned char)s[i] > 0x7e ? "non-ASCII" :
				    "control", i + 1);
	return s[0] == '[' ? parse_header(p, s) : parse_kv(p, s);
}

/* ---- whole file ---- */

static int resolve_policies(struct parser *p)
{
	struct esfd_config *c = p->cfg;
	size_t i, k;

	for (i = 0; i < c->n_peers; i++) {
		if (!p->refs[i].line)
			continue; /* "default", index 0 */
		for (k = 0; k < c->n_policies; k++)
			if (!strcmp(c->policies[k].name, p->refs[i].name))
				break;
		if (k == c->n_policies)
			return fail(p, p->refs[i].line, "no [policy %s]",
				    p->refs[i].name);
		c->peers[i].policy = k;
	}
	return 0;
}

/*
 * Each peer's policy keeps to the profiles the peer names, for the classes
 * the policy allows (a class it refuses is never protected under it).
 */
static int check_peer_profiles(struct parser *p)
{
	struct esfd_config *c = p->cfg;
	char why[160];
	size_t i;
	unsigned int k;

	for (i = 0; i < c->n_peers; i++) {
		const struct esfd_peer *pe = &c->peers[i];
		const struct esfd_policy *pol = &c->policies[pe->policy];

		for (k = 1; k <= 3; k++) {
			if (!pe->profiles[k] || !(pol->data_classes & (1u << k)))
				continue;
			if (esfd_profile_check(pe->profiles[k], pol, why, sizeof(why)))
				return fail(p, p->refs[i].class_line[k], "[peer %s] class %u: "
					    "[policy %s] breaks profile %s: %s", pe->name, k,
					    pol->name, pe->profiles[k]->name, why);
		}
	}
	return 0;
}

/* ---- gateway roles and public gateways, once every policy and peer is known ---- */

/* Where to blame a peer's policy: its "policy" line, or the peer's header. */
static unsigned int policy_line_of(const struct parser *p, size_t i)
{
	return p->refs[i].line ? p->refs[i].line : p->cfg->peers[i].line;
}

/*
 * A peer's gateway role against its policy: a funnel gateway holds no
 * end-to-end key, so its policy must not allow classes 2 and 3; an
 * aggregator's records are opened by the aggregating application, which
 * its policy must name as the sessions' owner.
 */
static int check_gw_role(struct parser *p, size_t i)
{
	const struct esfd_config *c = p->cfg;
	const struct esfd_peer *pe = &c->peers[i];
	const struct esfd_policy *pol = &c->policies[pe->policy];

	if (pe->gw_role == ESFD_GW_FUNNEL && (pol->data_classes & (1u << 2 | 1u << 3)))
		return fail(p, pe->gw_role_line, "[peer %s] gateway-role = funnel: its [policy %s] "
			    "allows data class %s, an end-to-end key this gateway must not hold "
			    "(set data-classes = 1 in a policy of its own)", pe->name, pol->name,
			    pol->data_classes & (1u << 2) ? "2" : "3");
	if (pe->gw_role == ESFD_GW_AGGREGATOR && c->gateway == ESFD_GATEWAY_PUBLIC)
		return fail(p, pe->gw_role_line, "[peer %s] gateway-role = aggregator on a public "
			    "gateway: aggregation opens the device's records on a machine other "
			    "applications share", pe->name);
	if (pe->gw_role == ESFD_GW_AGGREGATOR && !pol->owner_uid_line)
		return fail(p, pe->gw_role_line, "[peer %s] gateway-role = aggregator: its "
			    "[policy %s] names no owner-uid: the aggregating application must own "
			    "the sessions whose records it opens", pe->name, pol->name);
	return 0;
}

/*
 * A public gateway: every peer's sessions belong to one application, its
 * policy's owner-uid (not root, which is no application). Not to a group:
 * the kernel lets a session's owner group use it, and one application's
 * user may be in another's group.
 */
static int check_public(struct parser *p, size_t i)
{
	struct esfd_config *c = p->cfg;
	const struct esfd_peer *pe = &c->peers[i];
	struct esfd_policy *pol = &c->policies[pe->policy];

	if (!pol->owner_uid_line || !pol->owner_uid)
		return fail(p, policy_line_of(p, i), "[peer %s]: on a public gateway its [policy %s] "
			    "must name the application that owns its sessions (owner-uid, not 0)",
			    pe->name, pol->name);
	if (pol->owner_gid_line)
		return fail(p, pol->owner_gid_line, "[policy %s]: owner-gid on a public gateway: "
			    "each application is its uid, and a group would let another "
			    "application's users in", pol->name);
	pol->uid_only = true;
	return 0;
}

static int check_gateway_roles(struct parser *p)
{
	size_t i;
	int err = 0;

	for (i = 0; !err && i < p->cfg->n_peers; i++) {
		err = check_gw_role(p, i);
		if (!err && p->cfg->gateway == ESFD_GATEWAY_PUBLIC)
			err = check_public(p, i);
	}
	return err;
}

const char *esfd_gw_role_name(enum esfd_gw_role r)
{
	switch (r) {
	case ESFD_GW_FUNNEL:
		return "funnel";
	case ESFD_GW_AGGREGATOR:
		return "aggregator";
	default:
		return "reseal";
	}
}

/* ---- groups, once every policy and peer is known ---- */

static int peer_by_name(const struct esfd_config *c, const char *name, size_t *idx)
{
	size_t i;

	for (i = 0; i < c->n_peers; i++) {
		if (!strcmp(c->peers[i].name, name)) {
			*idx = i;
			return 0;
		}
	}
	return -ENOENT;
}

/* A member or server must be a Kpsa peer: the group key is wrapped under a
 * key derived from its Kpsa (docs/esfd.md, "Groups").
 */
static int group_peer(struct parser *p, const struct esfd_group_conf *g, const char *name,
		      unsigned int line, size_t *idx)
{
	if (peer_by_name(p->cfg, name, idx))
		return fail(p, line, "[group %s]: no [peer %s]", g->name, name);
	if (esfd_peer_runtime_key(&p->cfg->peers[*idx]))
		return fail(p, line, "[group %s]: [peer %s] has credential = %s; "
			    "group keys are wrapped under a Kpsa's keys only", g->name, name,
			    p->cfg->peers[*idx].cert ? "certificate" : "facilitator");
	return 0;
}

/* One "PEER:SENDER" of a members list. */
static int member_parse(struct parser *p, struct esfd_group_conf *g, char *tok,
			unsigned int line)
{
	char *colon = strchr(tok, ':');
	struct esfd_group_member *m = &g->members[g->n_members];
	uint64_t sender;
	size_t i;
	int err;

	if (!colon || parse_u64(colon + 1, strlen(colon + 1), &sender))
		return fail(p, line, "[group %s]: '%.40s' is not PEER:SENDER (a peer's name "
			    "and its sender id)", g->name, tok);
	*colon = '\0';
	err = group_peer(p, g, tok, line, &m->peer);
	if (err)
		return err;
	if (sender < 1 || sender >= g->senders)
		return fail(p, line, "[group %s]: %s's sender id %llu is outside 1..%u (senders "
			    "= %u; 0 is the server's)", g->name, tok, (unsigned long long)sender,
			    g->senders - 1u, g->senders);
	m->sender = (uint16_t)sender;
	for (i = 0; i < g->n_members; i++) {
		if (g->members[i].peer == m->peer)
			return fail(p, line, "[group %s]: %s is listed twice", g->name, tok);
		if (g->members[i].sender == m->sender)
			return fail(p, line, "[group %s]: sender id %u is both %s's and %s's: "
				    "two members must never seal with the same nonces", g->name,
				    m->sender, p->cfg->peers[g->members[i].peer].name, tok);
	}
	g->n_members++;
	return 0;
}

static int group_members(struct parser *p, struct esfd_group_conf *g, struct group_ref *r)
{
	char *lsave = NULL, *save, *text, *tok;
	size_t l = 0;
	int err = 0;

	g->members = calloc(g->senders, sizeof(*g->members));
	if (!g->members)
		return -ENOMEM;
	for (text = strtok_r(r->members, "\n", &lsave); text && !err;
	     text = strtok_r(NULL, "\n", &lsave), l++) {
		unsigned int line = l < r->n_members_lines ? r->members_lines[l] :
				    r->members_line;

		save = NULL;
		for (tok = strtok_r(text, " \t,", &save); tok && !err;
		     tok = strtok_r(NULL, " \t,", &save)) {
			if (g->n_members + 1 >= g->senders)
				return fail(p, line, "[group %s]: more members than sender "
					    "ids (senders = %u)", g->name, g->senders);
			err = member_parse(p, g, tok, line);
		}
	}
	return err;
}

static int group_policy(struct parser *p, struct esfd_group_conf *g, const struct group_ref *r)
{
	const struct esfd_policy *pol;
	size_t k;

	for (k = 0; r->policy_line && k < p->cfg->n_policies; k++)
		if (!strcmp(p->cfg->policies[k].name, r->policy))
			break;
	if (r->policy_line && k == p->cfg->n_policies)
		return fail(p, r->policy_line, "no [policy %s]", r->policy);
	g->policy = r->policy_line ? k : 0;
	pol = &p->cfg->policies[g->policy];
	if (pol->aead == ESFD_AEAD_RFC4106 || pol->aead == ESFD_AEAD_HMAC)
		return fail(p, r->policy_line ? r->policy_line : g->line, "[group %s]: [policy %s] "
			    "has aead %s; group sessions take gcm(aes), ccm(aes) "
			    "or authenc(hmac(sha256),cbc(aes))", g->name, pol->name, aead_names[pol->aead]);
	if (g->serve && (uint64_t)g->senders * pol->replay_window > ESF_GROUP_REPLAY_BITS_MAX)
		return fail(p, g->line, "[group %s]: senders x replay-window of [policy %s] is "
			    "above the kernel's %u window bits per group session", g->name,
			    pol->name, ESF_GROUP_REPLAY_BITS_MAX);
	return 0;
}

/* ---- mediator gateways (docs/esfd.md, "Mediator gateways") ---- */

static int group_by_name(const struct esfd_config *c, const char *name, size_t *idx)
{
	size_t i;

	for (i = 0; i < c->n_groups; i++) {
		if (!strcmp(c->groups[i].name, name)) {
			*idx = i;
			return 0;
		}
	}
	return -ENOENT;
}

/* Server: the block is a member's, inside the group, and no one else's. */
static int resolve_delegate(struct parser *p, struct esfd_group_conf *g, const struct group_ref *r)
{
	size_t i, peer;

	if (peer_by_name(p->cfg, r->delegate, &peer))
		return fail(p, r->delegate_line, "[group %s]: no [peer %s]", g->name, r->delegate);
	for (i = 0; i < g->n_members; i++)
		if (g->members[i].peer == peer)
			break;
	if (i == g->n_members)
		return fail(p, r->delegate_line, "[group %s]: delegate: %s is not among members "
			    "(the mediator gets the key as a member)", g->name, r->delegate);
	if (g->block_last >= g->senders)
		return fail(p, r->delegate_line, "[group %s]: delegated block %u-%u goes beyond "
			    "the group's sender ids 1..%u (senders = %u)", g->name, g->block_first,
			    g->block_last, g->senders - 1u, g->senders);
	for (i = 0; i < g->n_members; i++)
		if (g->members[i].sender >= g->block_first && g->members[i].sender <= g->block_last)
			return fail(p, r->delegate_line, "[group %s]: %s's sender id %u is inside "
				    "the block %u-%u delegated to %s: two senders would share nonces",
				    g->name, p->cfg->peers[g->members[i].peer].name,
				    g->members[i].sender, g->block_first, g->block_last, r->delegate);
	g->delegate = peer;
	return 0;
}

/* Mediator: a gateway serving the local group, whose members all map
 * into the block, under a key no weaker than the one it carries.
 */
static int resolve_mediate(struct parser *p, struct esfd_group_conf *g, const struct group_ref *r)
{
	struct esfd_config *c = p->cfg;
	const struct esfd_group_conf *l;
	const struct esfd_policy *lp, *gp;
	size_t i;

	if (c->role != ESFD_ROLE_GATEWAY)
		return fail(p, r->mediate_line, "[group %s]: mediate: only a gateway mediates a "
			    "core-side key (this esfd's role is %s)", g->name, esfd_role_name(c->role));
	if (group_by_name(c, r->mediate, &g->local))
		return fail(p, r->mediate_line, "[group %s]: mediate: no [group %s]", g->name,
			    r->mediate);
	l = &c->groups[g->local];
	if (!l->serve)
		return fail(p, r->mediate_line, "[group %s]: mediate = %s: this esfd is a member of "
			    "[group %s], not its server: it can hand the key only to members of a "
			    "group it serves", g->name, l->name, l->name);
	for (i = 0; i < l->n_members; i++) {
		unsigned int s = g->block_first + l->members[i].sender - 1u;

		if (s > g->block_last)
			return fail(p, r->block_line, "[group %s]: [group %s]'s member %s (sender "
				    "%u) would seal as core-side sender %u, beyond the delegated "
				    "block %u-%u", g->name, l->name, c->peers[l->members[i].peer].name,
				    l->members[i].sender, s, g->block_first, g->block_last);
	}
	lp = &c->policies[l->policy];
	gp = &c->policies[g->policy];
	if (lp->key_bits < gp->key_bits || lp->tag_len < gp->tag_len)
		return fail(p, r->mediate_line, "[group %s]: [group %s]'s [policy %s] (%u-bit key, "
			    "%u-byte tag) is weaker than [policy %s] (%u-bit, %u-byte) of the key it "
			    "would carry", g->name, l->name, lp->name, lp->key_bits, lp->tag_len,
			    gp->name, gp->key_bits, gp->tag_len);
	return 0;
}

/* Device: the wrapping group comes from the same server, as a plain member. */
static int resolve_via(struct parser *p, struct esfd_group_conf *g, const struct group_ref *r)
{
	const struct esfd_group_conf *v;

	if (group_by_name(p->cfg, r->via, &g->via))
		return fail(p, r->via_line, "[group %s]: via: no [group %s]", g->name, r->via);
	v = &p->cfg->groups[g->via];
	if (v == g || v->serve || v->via_set || v->mediates || v->server != g->server)
		return fail(p, r->via_line, "[group %s]: via = %s must be another group this esfd "
			    "is a plain member of, served by the same peer (%s, the mediator)",
			    g->name, v->name, p->cfg->peers[g->server].name);
	return 0;
}

static int resolve_mediation(struct parser *p, struct esfd_group_conf *g,
			     const struct group_ref *r)
{
	if (r->delegate_line)
		return resolve_delegate(p, g, r);
	if (r->mediate_line)
		return resolve_mediate(p, g, r);
	if (r->via_line)
		return resolve_via(p, g, r);
	return 0;
}

static int resolve_groups(struct parser *p)
{
	struct esfd_config *c = p->cfg;
	size_t i, k;
	int err = 0;

	for (i = 0; !err && i < c->n_groups; i++) {
		struct esfd_group_conf *g = &c->groups[i];
		struct group_ref *r = &p->grefs[i];

		for (k = 0; k < i; k++)
			if (!strcmp(c->groups[k].id, g->id))
				return fail(p, g->line, "[group %s] has the id of [group %s]",
					    g->name, c->groups[k].name);
		err = group_policy(p, g, r);
		if (!err && g->serve)
			err = group_members(p, g, r);
		else if (!err)
			err = group_peer(p, g, r->server, r->server_line, &g->server);
	}
	for (i = 0; !err && i < c->n_groups; i++)
		err = resolve_mediation(p, &c->groups[i], &p->grefs[i]);
	return err;
}

/* ---- [gauth] sections, once every peer is known ---- */

/* Every peer of static group authentication is a Kpsa peer: its keys
 * derive from the Kpsa (Ks_x from Kpsa_xi itself, as TR-0012 7.2.1 has it).
 */
static int gauth_peer(struct parser *p, const struct esfd_gauth_conf *a, const char *name,
		      unsigned int line, size_t *idx)
{
	if (peer_by_name(p->cfg, name, idx))
		return fail(p, line, "[gauth %s]: no [peer %s]", a->name, name);
	if (esfd_peer_runtime_key(&p->cfg->peers[*idx]))
		return fail(p, line, "[gauth %s]: [peer %s] has credential = %s; "
			    "static group authentication derives from Kpsas only", a->name, name,
			    p->cfg->peers[*idx].cert ? "certificate" : "facilitator");
	return 0;
}

static int gauth_members(struct parser *p, struct esfd_gauth_conf *a, struct gauth_ref *r)
{
	char *save = NULL, *tok;
	size_t i, idx;
	int err = 0;

	a->members = calloc(p->cfg->n_peers + 1, sizeof(*a->members));
	if (!a->members)
		return -ENOMEM;
	for (tok = strtok_r(r->members, " \t,", &save); tok && !err;
	     tok = strtok_r(NULL, " \t,", &save)) {
		err = gauth_peer(p, a, tok, r->members_line, &idx);
		for (i = 0; !err && i < a->n_members; i++)
			if (a->members[i] == idx)
				err = fail(p, r->members_line, "[gauth %s]: %s is listed twice",
					   a->name, tok);
		if (!err && ((a->role == ESFD_GAUTH_SERVER && idx == a->agent) ||
			     (a->role == ESFD_GAUTH_AGENT && idx == a->server)))
			err = fail(p, r->members_line, "[gauth %s]: %s is a member and the %s",
				   a->name, tok, a->role == ESFD_GAUTH_SERVER ? "agent" : "server");
		if (!err)
			a->members[a->n_members++] = idx;
	}
	if (!err && !a->n_members)
		err = fail(p, r->members_line, "[gauth %s]: members names no peer", a->name);
	return err;
}

static int resolve_gauths(struct parser *p)
{
	struct esfd_config *c = p->cfg;
	size_t i, k;
	int err = 0;

	for (i = 0; !err && i < c->n_gauths; i++) {
		struct esfd_gauth_conf *a = &c->gauths[i];
		struct gauth_ref *r = &p->arefs[i];

		for (k = 0; k < i; k++)
			if (!strcmp(c->gauths[k].id, a->id))
				return fail(p, a->line, "[gauth %s] has the id of [gauth %s]",
					    a->name, c->gauths[k].name);
		if (a->role != ESFD_GAUTH_AGENT)
			err = gauth_peer(p, a, r->agent, r->agent_line, &a->agent);
		if (!err && a->role != ESFD_GAUTH_SERVER)
			err = gauth_peer(p, a, r->server, r->server_line, &a->server);
		if (!err && a->role == ESFD_GAUTH_DEVICE && a->agent == a->server)
			err = fail(p, r->server_line, "[gauth %s]: agent and server are one peer",
				   a->name);
		if (!err && a->role != ESFD_GAUTH_DEVICE)
			err = gauth_members(p, a, r);
	}
	return err;
}

/* ---- the facilitator and its clients, once every peer is known ---- */

/* The facilitator's clients reach it with a pre-provisioned Kpsa. */
static int fac_kpsa_peer(struct parser *p, const char *what, const char *name,
			 unsigned int line, size_t *idx)
{
	if (peer_by_name(p->cfg, name, idx))
		return fail(p, line, "%s: no [peer %s]", what, name);
	if (esfd_peer_runtime_key(&p->cfg->peers[*idx]))
		return fail(p, line, "%s: [peer %s] must be a credential = kpsa peer (the "
			    "facilitator and its clients share a Kpsa)", what, name);
	return 0;
}

static int fac_allow_line(struct parser *p, struct esfd_fac_allow *a, char *text)
{
	struct esfd_fac_conf *f = p->cfg->fac;
	char *save = NULL, *tok = strtok_r(text, " \t,", &save);
	size_t i, idx;
	int err;

	if (!tok)
		return fail(p, a->line, "[facilitator]: allow names no owner");
	err = fac_kpsa_peer(p, "[facilitator] allow", tok, a->line, &a->owner);

	for (i = 0; !err && f->allow + i < a; i++)
		if (f->allow[i].owner == a->owner)
			return fail(p, a->line, "[facilitator]: %s already has its readers on "
				    "line %u", tok, f->allow[i].line);
	a->readers = calloc(p->cfg->n_peers + 1, sizeof(*a->readers));
	if (!err && !a->readers)
		return -ENOMEM;
	while (!err && (tok = strtok_r(NULL, " \t,", &save))) {
		err = fac_kpsa_peer(p, "[facilitator] allow", tok, a->line, &idx);
		if (!err && idx == a->owner)
			err = fail(p, a->line, "[facilitator]: %s is the owner and one of its "
				   "readers", tok);
		for (i = 0; !err && i < a->n_readers; i++)
			if (a->readers[i] == idx)
				err = fail(p, a->line, "[facilitator]: reader %s is listed twice",
					   tok);
		if (!err)
			a->readers[a->n_readers++] = idx;
	}
	if (!err && !a->n_readers)
		err = fail(p, a->line, "[facilitator]: allow names an owner and no reader");
	return err;
}

static int resolve_facilitator(struct parser *p)
{
	struct esfd_config *c = p->cfg;
	size_t i;
	int err = 0;

	for (i = 0; !err && i < c->n_peers; i++) {
		struct esfd_peer *pe = &c->peers[i];
		char what[64];

		if (!pe->fac)
			continue;
		snprintf(what, sizeof(what), "[peer %s] facilitator", pe->name);
		err = fac_kpsa_peer(p, what, p->refs[i].fac, p->refs[i].fac_line, &pe->fac_peer);
	}
	if (err || !c->fac)
		return err;
	c->fac->allow = calloc(p->fref.n, sizeof(*c->fac->allow));
	if (!c->fac->allow)
		return -ENOMEM;
	for (i = 0; !err && i < p->fref.n; i++) {
		c->fac->allow[i].line = p->fref.lines[i];
		c->fac->n_allow++;
		err = fac_allow_line(p, &c->fac->allow[i], p->fref.allow[i]);
	}
	return err;
}

bool esfd_fac_allowed(const struct esfd_config *cfg, size_t owner, size_t reader)
{
	size_t i, k;

	for (i = 0; cfg->fac && i < cfg->fac->n_allow; i++) {
		if (cfg->fac->allow[i].owner != owner)
			continue;
		for (k = 0; k < cfg->fac->allow[i].n_readers; k++)
			if (cfg->fac->allow[i].readers[k] == reader)
				return true;
	}
	return false;
}

/* "/in-cse" and "in-cse" are one topic level: one entity to the broker. */
static bool same_topic_id(const char *a, const char *b)
{
	return !strcmp(a, b) || (esfd_m2m_same_level(a, b) && esfd_m2m_id_ok(a) &&
				 esfd_m2m_id_ok(b));
}

static int check_peer_ids(struct parser *p)
{
	struct esfd_config *c = p->cfg;
	size_t i, k;

	for (i = 0; i < c->n_peers; i++) {
		if (same_topic_id(c->peers[i].id, c->id))
			return fail(p, c->peers[i].line, "[peer %s] has this "
				    "daemon's own id (or one that names the same MQTT "
				    "topic level)", c->peers[i].name);
		for (k = 0; k < i; k++)
			if (same_topic_id(c->peers[i].id, c->peers[k].id))
				return fail(p, c->peers[i].line, "[peer %s] has the "
					    "id of [peer %s] (or one that names the same "
					    "MQTT topic level)", c->peers[i].name,
					    c->peers[k].name);
	}
	return 0;
}

/* Dynamic peers are known by their certificates alone. */
static int resolve_p2p(struct parser *p)
{
	struct esfd_config *c = p->cfg;
	size_t k;

	if (!c->certs.ca_file)
		return fail(p, c->p2p.line, "[p2p] needs [esfd] ca-file, cert-file and key-file: "
			    "the peers it meets are known by their certificates");
	for (k = 0; k < c->n_policies; k++)
		if (!strcmp(c->policies[k].name, p->p2p_policy))
			break;
	if (k == c->n_policies)
		return fail(p, p->p2p_policy_line, "no [policy %s]", p->p2p_policy);
	/* Peer-to-peer keys come from ECDH, not from an ESData signature key. */
	if (c->policies[k].aead == ESFD_AEAD_HMAC)
		return fail(p, p->p2p_policy_line, "[p2p] policy %s has aead hmac(sha256): "
			    "integrity-only pairs are for Kpsa, certificate and facilitator peers",
			    p->p2p_policy);
	c->p2p.policy = k;
	return 0;
}

static int config_defaults(struct esfd_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	strcpy(cfg->mqtt.broker.host, "127.0.0.1");
	cfg->mqtt.broker.port = 1883;
	cfg->mqtt.keepalive = 30;
	cfg->mqtt.retransmit_ms = 1000;
	strcpy(cfg->control_socket, "/run/esfd/control.sock");
	cfg->crypto_backend = ESFD_BACKEND_AUTO;
	cfg->clock_skew = 120;
	cfg->p2p.peers = ESFD_P2P_PEERS_DEF;
	cfg->p2p.cert_cache = ESFD_P2P_CACHE_DEF;
	cfg->p2p.window = ESFD_P2P_WINDOW_DEF;
	cfg->guest.senders = ESFD_GUEST_SENDERS_DEF;
	cfg->guest.max_seconds = ESFD_GUEST_SECONDS_DEF;
	cfg->guest.window = ESFD_GUEST_WINDOW_DEF;
	cfg->policies = calloc(1, sizeof(*cfg->policies));
	if (!cfg->policies)
		return -ENOMEM;
	policy_defaults(&cfg->policies[0], "default");
	cfg->n_policies = 1;
	return 0;
}

static int parse_lines(struct parser *p, const char *buf, size_t len)
{
	char line[ESFD_CONFIG_LINE_MAX + 2];
	size_t off = 0;
	int err = 0;

	while (!err && off < len) {
		const char *nl = memchr(buf + off, '\n', len - off);
		size_t n = nl ? (size_t)(nl - buf - off) : len - off;

		p->line++;
		if (n > ESFD_CONFIG_LINE_MAX)
			err = fail(p, p->line, "line longer than %d characters",
				   ESFD_CONFIG_LINE_MAX);
		else if (memchr(buf + off, '\0', n))
			err = fail(p, p->line, "NUL byte");
		else {
			memcpy(line, buf + off, n);
			line[n] = '\0';
			err = parse_line(p, line);
		}
		off += n + 1;
	}
	/* The line may have held a key. */
	explicit_bzero(line, sizeof(line));
	return err;
}

int esfd_config_parse(const char *buf, size_t len, struct esfd_config *cfg,
		      struct esfd_config_error *err)
{
	struct parser p = { .cfg = cfg, .err = err };
	size_t i;
	int ret;

	memset(err, 0, sizeof(*err));
	ret = config_defaults(cfg);
	if (ret)
		return ret;
	if (len > ESFD_CONFIG_MAX) {
		snprintf(err->msg, sizeof(err->msg), "larger than %d bytes",
			 ESFD_CONFIG_MAX);
		return -EFBIG;
	}
	ret = parse_lines(&p, buf, len);
	if (!ret)
		ret = end_section(&p);
	if (!ret && !p.esfd_line)
		ret = fail(&p, 0, "no [esfd] section");
	if (!ret)
		ret = resolve_policies(&p);
	if (!ret)
		ret = check_peer_profiles(&p);
	if (!ret)
		ret = check_gateway_roles(&p);
	if (!ret)
		ret = check_peer_ids(&p);
	if (!ret)
		ret = resolve_groups(&p);
	if (!ret)
		ret = resolve_gauths(&p);
	if (!ret)
		ret = resolve_facilitator(&p);
	/* [esfd] may come after the peers: checked once everything is read. */
	if (!ret && p.need_certs && !cfg->certs.ca_file)
		ret = fail(&p, p.need_certs, "a peer with credential = certificate needs "
			   "[esfd] ca-file, cert-file and key-file");
	if (!ret && cfg->p2p.line)
		ret = resolve_p2p(&p);
	free(p.refs);
	for (i = 0; i < ESFD_MAX_GROUPS; i++) {
		free(p.grefs[i].members);
		free(p.grefs[i].members_lines);
	}
	for (i = 0; i < ESFD_MAX_GAUTHS; i++)
		free(p.arefs[i].members);
	for (i = 0; i < p.fref.n; i++)
		free(p.fref.allow[i]);
	free(p.fref.allow);
	free(p.fref.lines);
	return ret;
}

/* ---- files ---- */

/*
 * One read of a small secret file into @buf; the length without a final
 * "\n" or "\r\n". A file longer than @size - 1 bytes shows as one whose
 * content is too long.
 */
static ssize_t read_line(int fd, char *buf, size_t size)
{
	ssize_t n = read(fd, buf, size);

	if (n < 0)
		return -errno;
	if (n && buf[n - 1] == '\n')
		n--;
	if (n && buf[n - 1] == '\r')
		n--;
	return n;
}

static int key_file_read(int fd, struct esfd_peer *pe)
{
	char buf[2 * ESFD_KPSA_MAX + 3];
	ssize_t n = read_line(fd, buf, sizeof(buf));
	size_t len;
	int err;

	if (n < 0)
		return (int)n;
	len = (size_t)n;
	err = -EINVAL;
	if (len >= 2 * ESFD_KPSA_MIN && len <= 2 * ESFD_KPSA_MAX &&
	    !esfd_hex_decode(buf, len, pe->kpsa, sizeof(pe->kpsa), &pe->kpsa_len))
		err = 0;
	explicit_bzero(buf, sizeof(buf));
	return err;
}

/* Regular, ours or root's, and no access for group or others. */
static int private_file(int fd, const char *path, struct esfd_config_error *e,
			unsigned int line)
{
	struct stat st;

	if (fstat(fd, &st))
		return -errno;
	e->line = line;
	if (!S_ISREG(st.st_mode)) {
		snprintf(e->msg, sizeof(e->msg), "%.120s: not a regular file", path);
		return -EINVAL;
	}
	if (st.st_uid != 0 && st.st_uid != geteuid()) {
		snprintf(e->msg, sizeof(e->msg), "%.120s: owned by uid %u, "
			 "neither root nor us", path, (unsigned int)st.st_uid);
		return -EACCES;
	}
	if (st.st_mode & 077) {
		snprintf(e->msg, sizeof(e->msg), "%.120s: accessible to group or "
			 "others (mode %04o); chmod 600 it", path,
			 (unsigned int)(st.st_mode & 07777));
		return -EACCES;
	}
	e->line = 0;
	return 0;
}

/*
 * Open a secret file named in the configuration (relative to @base_dir),
 * checked with private_file(); @path receives the name used. Return: the
 * descriptor, or a negative errno with @e set.
 */
static int open_private(const char *file, const char *base_dir, unsigned int line,
			char *path, size_t pathmax, struct esfd_config_error *e)
{
	int fd, err;

	if (file[0] == '/' || !base_dir)
		snprintf(path, pathmax, "%s", file);
	else
		snprintf(path, pathmax, "%s/%s", base_dir, file);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		err = -errno;
		e->line = line;
		snprintf(e->msg, sizeof(e->msg), "%.120s: %s", path, strerror(-err));
		return err;
	}
	err = private_file(fd, path, e, line);
	if (err) {
		close(fd);
		return err;
	}
	return fd;
}

int esfd_config_open_private(const char *file, const char *base_dir, unsigned int line,
			     char *path, size_t pathmax, struct esfd_config_error *e)
{
	return open_private(file, base_dir, line, path, pathmax, e);
}

static int load_key(struct esfd_peer *pe, const char *base_dir,
		    struct esfd_config_error *e)
{
	char path[2 * ESFD_PATH_MAX + 2];
	int fd, err;

	fd = open_private(pe->kpsa_file, base_dir, pe->kpsa_line, path, sizeof(path), e);
	if (fd < 0)
		return fd;
	err = key_file_read(fd, pe);
	if (err) {
		e->line = pe->kpsa_line;
		snprintf(e->msg, sizeof(e->msg), "%.120s: must hold %d to %d hex digits "
			 "on one line", path, 2 * ESFD_KPSA_MIN, 2 * ESFD_KPSA_MAX);
	}
	close(fd);
	return err;
}

/* A container's kpsa-file, read as a peer's is. */
static int load_container_key(struct esfd_container_conf *k, const char *base_dir,
			      struct esfd_config_error *e)
{
	struct esfd_peer tmp;
	int err;

	if (!k->kpsa_file)
		return 0;
	memset(&tmp, 0, sizeof(tmp));
	tmp.kpsa_file = k->kpsa_file;
	tmp.kpsa_line = k->kpsa_line;
	err = load_key(&tmp, base_dir, e);
	if (!err) {
		memcpy(k->kpsa, tmp.kpsa, tmp.kpsa_len);
		k->kpsa_len = tmp.kpsa_len;
	}
	explicit_bzero(&tmp, sizeof(tmp));
	return err;
}

/* One line of printable ASCII (spaces allowed), 1..ESFD_MQTT_PASSWORD_MAX. */
static int password_read(int fd, char *out)
{
	char buf[ESFD_MQTT_PASSWORD_MAX + 3];
	ssize_t n = read_line(fd, buf, sizeof(buf));
	size_t len, i;
	int err = -EINVAL;

	if (n < 0)
		return (int)n;
	len = (size_t)n;
	for (i = 0; i < len; i++)
		if (buf[i] < ' ' || buf[i] > '~')
			break;
	if (len && len <= ESFD_MQTT_PASSWORD_MAX && i == len) {
		memcpy(out, buf, len);
		out[len] = '\0';
		err = 0;
	}
	explicit_bzero(buf, sizeof(buf));
	return err;
}

int esfd_password_file_read(const char *file, const char *base_dir, unsigned int line,
			    char out[ESFD_MQTT_PASSWORD_MAX + 1], struct esfd_config_error *e)
{
	char path[2 * ESFD_PATH_MAX + 2];
	int fd, err;

	fd = open_private(file, base_dir, line, path, sizeof(path), e);
	if (fd < 0)
		return fd;
	err = password_read(fd, out);
	if (err) {
		e->line = line;
		snprintf(e->msg, sizeof(e->msg), "%.120s: must hold the password on one "
			 "line, 1 to %d printable ASCII characters", path,
			 ESFD_MQTT_PASSWORD_MAX);
	}
	close(fd);
	return err;
}

/* A relative mqtt-ca-file is taken from @base_dir; it must be readable. */
static int ca_file_resolve(struct esfd_mqtt_conf *mq, const char *base_dir,
			   struct esfd_config_error *e)
{
	char *abs;

	if (mq->ca_file[0] != '/' && base_dir) {
		if (asprintf(&abs, "%s/%s", base_dir, mq->ca_file) < 0)
			return -ENOMEM;
		free(mq->ca_file);
		mq->ca_file = abs;
	}
	if (access(mq->ca_file, R_OK)) {
		int err = -errno;

		snprintf(e->msg, sizeof(e->msg), "mqtt-ca-file %.120s: %s", mq->ca_file,
			 strerror(-err));
		return err;
	}
	return 0;
}

/* [guest]'s files are read by guest.c at start and on reload: a relative
 * name is taken from @base_dir, as the others.
 */
static int guest_path_resolve(char **path, const char *base_dir)
{
	char *abs;

	if (!*path || (*path)[0] == '/' || !base_dir)
		return 0;
	if (asprintf(&abs, "%s/%s", base_dir, *path) < 0)
		return -ENOMEM;
	free(*path);
	*path = abs;
	return 0;
}

int esfd_config_load_keys(struct esfd_config *cfg, const char *base_dir,
			  struct esfd_config_error *err)
{
	size_t i;
	int ret;

	memset(err, 0, sizeof(*err));
	if (cfg->mqtt.password_file) {
		ret = esfd_password_file_read(cfg->mqtt.password_file, base_dir,
					      cfg->mqtt.password_line, cfg->mqtt.password, err);
		if (ret)
			return ret;
	}
	if (cfg->mqtt.ca_file) {
		ret = ca_file_resolve(&cfg->mqtt, base_dir, err);
		if (ret)
			return ret;
	}
	for (i = 0; i < cfg->n_peers; i++) {
		if (!cfg->peers[i].kpsa_file)
			continue;
		ret = load_key(&cfg->peers[i], base_dir, err);
		if (ret)
			return ret;
	}
	for (i = 0; i < cfg->n_containers; i++) {
		ret = load_container_key(&cfg->containers[i], base_dir, err);
		if (ret)
			return ret;
	}
	if (guest_path_resolve(&cfg->guest.trust_file, base_dir) ||
	    guest_path_resolve(&cfg->guest.revocation_file, base_dir) ||
	    guest_path_resolve(&cfg->guest.key_file, base_dir))
		return -ENOMEM;
	if (cfg->certs.ca_file && !cfg->certs.creds)
		return esfd_creds_load(cfg->certs.ca_file, cfg->certs.cert_file,
				       cfg->certs.key_file, cfg->certs.crl_file, cfg->id,
				       base_dir, cfg->certs.lines, &cfg->certs.creds, err);
	return 0;
}

static bool has_inline_keys(const struct esfd_config *cfg)
{
	size_t i;

	for (i = 0; i < cfg->n_peers; i++)
		if (!cfg->peers[i].kpsa_file && !esfd_peer_runtime_key(&cfg->peers[i]))
			return true;
	for (i = 0; i < cfg->n_containers; i++)
		if (cfg->containers[i].kpsa_len && !cfg->containers[i].kpsa_file)
			return true;
	return false;
}

static int read_all(int fd, char **out, size_t *len, struct stat *st)
{
	size_t got = 0;
	char *buf;

	if (fstat(fd, st))
		return -errno;
	if (st->st_size > ESFD_CONFIG_MAX)
		return -EFBIG;
	buf = malloc((size_t)st->st_size + 1);
	if (!buf)
		return -ENOMEM;
	while (got < (size_t)st->st_size) {
		ssize_t n = read(fd, buf + got, (size_t)st->st_size - got);

		if (n <= 0) {
			int e = n < 0 ? -errno : -EIO;

			explicit_bzero(buf, got);
			free(buf);
			return e;
		}
		got += (size_t)n;
	}
	*out = buf;
	*len = got;
	return 0;
}

static int config_file_check(const struct stat *st, const char *path,
			     const struct esfd_config *cfg,
			     struct esfd_config_error *e)
{
	if (!S_ISREG(st->st_mode) || (st->st_mode & 022)) {
		snprintf(e->msg, sizeof(e->msg), "%.120s: must be a regular file "
			 "not writable by group or others", path);
		return -EACCES;
	}
	if (has_inline_keys(cfg) && (st->st_mode & 044)) {
		snprintf(e->msg, sizeof(e->msg), "%.120s: holds inline keys but is "
			 "readable by group or others; chmod 600 it", path);
		return -EACCES;
	}
	return 0;
}

static void dir_of(const char *path, char *dir, size_t size)
{
	const char *slash = strrchr(path, '/');

	if (!slash)
		snprintf(dir, size, ".");
	else if (slash == path)
		snprintf(dir, size, "/");
	else
		snprintf(dir, size, "%.*s", (int)(slash - path), path);
}

int esfd_config_load(const char *path, struct esfd_config *cfg,
		     struct esfd_config_error *err)
{
	char dir[4096];
	struct stat st;
	size_t len = 0;
	char *buf = NULL;
	int fd, ret;

	memset(cfg, 0, sizeof(*cfg));
	memset(err, 0, sizeof(*err));
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		ret = -errno;
		snprintf(err->msg, sizeof(err->msg), "%.120s: %s", path, strerror(-ret));
		return ret;
	}
	ret = read_all(fd, &buf, &len, &st);
	close(fd);
	if (ret) {
		snprintf(err->msg, sizeof(err->msg), "%.120s: %s", path, strerror(-ret));
		return ret;
	}
	ret = esfd_config_parse(buf, len, cfg, err);
	explicit_bzero(buf, len);
	free(buf);
	if (!ret)
		ret = config_file_check(&st, path, cfg, err);
	dir_of(path, dir, sizeof(dir));
	if (!ret)
		ret = esfd_config_load_keys(cfg, dir, err);
	return ret;
}

void esfd_config_free(struct esfd_config *cfg)
{
	size_t i;

	for (i = 0; i < cfg->n_peers; i++) {
		free(cfg->peers[i].kpsa_file);
		explicit_bzero(&cfg->peers[i], sizeof(cfg->peers[i]));
	}
	free(cfg->peers);
	for (i = 0; i < cfg->n_groups; i++)
		free(cfg->groups[i].members);
	free(cfg->groups);
	for (i = 0; i < cfg->n_gauths; i++)
		free(cfg->gauths[i].members);
	free(cfg->gauths);
	if (cfg->fac) {
		for (i = 0; i < cfg->fac->n_allow; i++)
			free(cfg->fac->allow[i].readers);
		free(cfg->fac->allow);
		free(cfg->fac->store);
		free(cfg->fac);
	}
	for (i = 0; i < cfg->n_containers; i++) {
		free(cfg->containers[i].kpsa_file);
		free(cfg->containers[i].store);
		explicit_bzero(&cfg->containers[i], sizeof(cfg->containers[i]));
	}
	free(cfg->containers);
	free(cfg->policies);
	free(cfg->mqtt.password_file);
	free(cfg->mqtt.ca_file);
	free(cfg->certs.ca_file);
	free(cfg->certs.cert_file);
	free(cfg->certs.key_file);
	free(cfg->certs.crl_file);
	free(cfg->guest.trust_file);
	free(cfg->guest.revocation_file);
	free(cfg->guest.key_file);
	esfd_creds_free(cfg->certs.creds);
	explicit_bzero(cfg->mqtt.password, sizeof(cfg->mqtt.password));
	memset(cfg, 0, sizeof(*cfg));
}

const struct esfd_group_conf *esfd_config_group_by_id(const struct esfd_config *cfg,
						      const char *id)
{
	size_t i;

	for (i = 0; i < cfg->n_groups; i++)
		if (!strcmp(cfg->groups[i].id, id))
			return &cfg->groups[i];
	return NULL;
}

const struct esfd_gauth_conf *esfd_config_gauth_by_id(const struct esfd_config *cfg,
						      const char *id)
{
	size_t i;

	for (i = 0; i < cfg->n_gauths; i++)
		if (!strcmp(cfg->gauths[i].id, id))
			return &cfg->gauths[i];
	return NULL;
}

const struct esfd_peer *esfd_config_peer_by_id(const struct esfd_config *cfg,
					       const char *id)
{
	size_t i;

	for (i = 0; i < cfg->n_peers; i++)
		if (!strcmp(cfg->peers[i].id, id))
			return &cfg->peers[i];
	return NULL;
}

static int role_rank(enum esfd_role r)
{
	switch (r) {
	case ESFD_ROLE_SERVER:
		return 3;
	case ESFD_ROLE_GATEWAY:
		return 2;
	case ESFD_ROLE_DEVICE:
	case ESFD_ROLE_PEER:
		return 1;
	}
	return 0;
}

const char *esfd_config_uc_target(const struct esfd_config *cfg,
				  const struct esfd_peer *peer)
{
	int self = role_rank(cfg->role), other = role_rank(peer->role);

	if (self != other)
		return self > other ? cfg->id : peer->id;
	return strcmp(cfg->id, peer->id) > 0 ? cfg->id : peer->id;
}

const char *esfd_aead_name(enum esfd_aead a)
{
	if (a < ESFD_AEAD_GCM || a > ESFD_AEAD_HMAC)
		return NULL;
	return aead_names[a];
}

size_t esfd_policy_key_len(const struct esfd_policy *p)
{
	size_t aes = p->key_bits / 8;

	if (p->aead == ESFD_AEAD_HMAC)
		return 32;
	return p->aead == ESFD_AEAD_AUTHENC ? 32 + aes : aes;
}

const char *esfd_role_name(enum esfd_role r)
{
	switch (r) {
	case ESFD_ROLE_SERVER:
		return "server";
	case ESFD_ROLE_GATEWAY:
		return "gateway";
	case ESFD_ROLE_DEVICE:
		return "device";
	case ESFD_ROLE_PEER:
		return "peer";
	}
	return "unknown";
}
