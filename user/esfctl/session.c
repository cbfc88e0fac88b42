// SPDX-License-Identifier: GPL-2.0
/*
 * esfctl session add|del|show|list|flush
 */
#include <errno.h>
#include <getopt.h>
#include <grp.h>
#include <inttypes.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "esf_algs.h"
#include "esfctl.h"

static const char session_usage[] =
	"usage: esfctl [--json] session <add|del|show|list|flush> [<args>]\n"
	"\n"
	"  add --alg ALG --key-file FILE|- [options]   create a session\n"
	"  del ID                                      delete a session\n"
	"  show ID                                     show one session\n"
	"  list                                        list all sessions\n"
	"  flush                                       delete all sessions\n"
	"\n"
	"'esfctl session add --help' lists the options of add.\n";

static const char add_usage[] =
	"usage: esfctl [--json] session add --alg ALG --key-file FILE|- [options]\n"
	"\n"
	"Create a session in the kernel and print it. The key is read from FILE,\n"
	"or from standard input with '-', never from the command line.\n"
	"\n"
	"required:\n"
	"  --alg ALG            gcm(aes), rfc4106(gcm(aes)), ccm(aes),\n"
	"                       authenc(hmac(sha256),cbc(aes)), kw(aes) (JWE A*KW: a\n"
	"                       fresh AES-GCM content key per record, wrapped with\n"
	"                       the session's key), hmac(sha256), hmac(sha384) or\n"
	"                       hmac(sha512)\n"
	"  --key-file FILE|-    the key: AES 16/24/32 bytes (kw(aes): the key-encryption\n"
	"                       key); authenc a 32-byte HMAC key then the AES key;\n"
	"                       hmac(shaN) digest to block size\n"
	"options:\n"
	"  --key-format raw|hex how FILE holds the key (default raw; hex allows\n"
	"                       surrounding whitespace)\n"
	"  --id N               session id (default: the kernel picks one)\n"
	"  --driver NAME        pin a provider by its /proc/crypto driver name, e.g.\n"
	"                       gcm-aes-caam or, with every inner driver named,\n"
	"                       'authenc(hmac(sha256-generic),virtio_crypto_aes_cbc)'\n"
	"  --salt HEX           4-byte nonce salt, 8 hex digits (AEAD; default random)\n"
	"  --direction D        seal, open or both (default both)\n"
	"  --tag-len N          tag bytes (default 16, digest size for hmac)\n"
	"  --key-id ID          key identifier, e.g. a JWE kid (up to 64 bytes)\n"
	"  --key-id-hex HEX     the same, given in hex\n"
	"  --framing F          how records are laid out: nonce (nonce, ciphertext, tag;\n"
	"                       the default) or dtls12 (DTLS 1.2 AEAD records for ESF\n"
	"                       Sm, gcm(aes) only: --salt is the key block's write IV,\n"
	"                       --seq-start the epoch << 48 | first sequence number)\n"
	"  --cek-len N          kw(aes): content key bytes, 16, 24 or 32 (A128GCM,\n"
	"                       A192GCM, A256GCM; default: the key's length)\n"
	"  --nonce-policy P     which nonces OPEN accepts: esf (the session's salt and\n"
	"                       a sequence number, as esf seals; the default) or any\n"
	"                       (any 12-byte IV, as other JOSE/oneM2M peers make them;\n"
	"                       gcm(aes) and ccm(aes) only)\n"
	"  --replay-window N    OPEN replay protection, 0 to 65536 (default 1024;\n"
	"                       0 = off): a window of N sequence numbers, or with\n"
	"                       --nonce-policy any a record of the last N nonces\n"
	"  --seq-start N        first SEAL sequence number (default 0)\n"
	"  --soft LIMITS        soft lifetime: messages=N,bytes=N,seconds=N (any of)\n"
	"  --hard LIMITS        hard lifetime, same form\n"
	"  --type T             bind to session type s1, s2 or sm\n"
	"  --class N            bind to target data class 1, 2 or 3\n"
	"  --owner-uid USER     user allowed to use it (name or number)\n"
	"  --owner-gid GROUP    group allowed to use it (name or number)\n"
	"  --require-hw         fail unless the provider is off-CPU hardware\n"
	"  --group-senders N    make it a group session for N senders (1 to 4096;\n"
	"                       gcm(aes), ccm(aes) or authenc): every member seals\n"
	"                       under the one key with its own sender id in the nonce,\n"
	"                       OPEN keeps a replay window per sender (see 'esfctl\n"
	"                       group --help'); needs --group-sender\n"
	"  --group-sender I     this member's sender id, below N; each member of the\n"
	"                       group must have its own\n"
	"  --group-epoch E      the key's epoch number (default 0)\n";

/* Reading the key --------------------------------------------------------- */

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Decode hex in place, skipping whitespace; returns the length or -EINVAL. */
static ssize_t unhex(uint8_t *buf, size_t len, size_t max)
{
	size_t i, n = 0;
	int hi = -1, v;

	for (i = 0; i < len; i++) {
		if (buf[i] == ' ' || buf[i] == '\n' || buf[i] == '\t' || buf[i] == '\r')
			continue;
		v = hexval(buf[i]);
		if (v < 0)
			return -EINVAL;
		if (hi < 0) {
			hi = v;
			continue;
		}
		if (n >= max)
			return -EINVAL;
		buf[n++] = (uint8_t)(hi << 4 | v);
		hi = -1;
	}
	return hi < 0 ? (ssize_t)n : -EINVAL;
}

int esfctl_parse_hex(const char *s, uint8_t *out, size_t max, size_t *len)
{
	size_t n = strlen(s);
	uint8_t buf[2 * ESF_KEY_ID_MAX + 2];
	ssize_t r;

	if (n > sizeof(buf))
		return -EINVAL;
	memcpy(buf, s, n);
	r = unhex(buf, n, max);
	if (r < 0)
		return -EINVAL;
	memcpy(out, buf, (size_t)r);
	*len = (size_t)r;
	return 0;
}

int esfctl_read_key(const char *path, bool hex, uint8_t *key, size_t *len)
{
	uint8_t buf[2 * ESF_KEY_MAX + 64];
	FILE *f = strcmp(path, "-") ? fopen(path, "rb") : stdin;
	size_t n;
	ssize_t r;

	if (!f)
		return -errno;
	n = fread(buf, 1, sizeof(buf), f);
	if (f != stdin)
		fclose(f);
	if (n == sizeof(buf)) {
		explicit_bzero(buf, sizeof(buf));
		return -EMSGSIZE;
	}
	if (hex) {
		r = unhex(buf, n, ESF_KEY_MAX);
		if (r < 0) {
			explicit_bzero(buf, sizeof(buf));
			return -EINVAL;
		}
		n = (size_t)r;
	}
	if (n > ESF_KEY_MAX || !n) {
		explicit_bzero(buf, sizeof(buf));
		return n ? -EMSGSIZE : -ENODATA;
	}
	memcpy(key, buf, n);
	*len = n;
	explicit_bzero(buf, sizeof(buf));
	return 0;
}

/* Option values ----------------------------------------------------------- */

static int parse_lifetime(char *s, struct esf_nl_lifetime *lt)
{
	char *item, *save = NULL, *eq;
	uint64_t v;

	for (item = strtok_r(s, ",", &save); item; item = strtok_r(NULL, ",", &save)) {
		eq = strchr(item, '=');
		if (!eq || esfctl_parse_u64(eq + 1, UINT64_MAX, &v))
			return -EINVAL;
		*eq = '\0';
		if (!strcmp(item, "messages"))
			lt->messages = v;
		else if (!strcmp(item, "bytes"))
			lt->bytes = v;
		else if (!strcmp(item, "seconds"))
			lt->seconds = v;
		else
			return -EINVAL;
	}
	return 0;
}

static int parse_uid(const char *s, uint32_t *out)
{
	struct passwd *pw;
	uint64_t v;

	if (!esfctl_parse_u64(s, UINT32_MAX - 1, &v)) {
		*out = (uint32_t)v;
		return 0;
	}
	pw = getpwnam(s);
	if (!pw)
		return -ENOENT;
	*out = pw->pw_uid;
	return 0;
}

static int parse_gid(const char *s, uint32_t *out)
{
	struct group *gr;
	uint64_t v;

	if (!esfctl_parse_u64(s, UINT32_MAX - 1, &v)) {
		*out = (uint32_t)v;
		return 0;
	}
	gr = getgrnam(s);
	if (!gr)
		return -ENOENT;
	*out = gr->gr_gid;
	return 0;
}

static int parse_choice(const char *s, const char *const *names, unsigned int n, uint8_t *out)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		if (names[i] && !strcmp(s, names[i])) {
			*out = (uint8_t)i;
			return 0;
		}
	return -EINVAL;
}

enum {
	OPT_ALG = 256, OPT_KEY_FILE, OPT_KEY_FORMAT, OPT_ID, OPT_DRIVER, OPT_SALT,
	OPT_DIRECTION, OPT_TAG_LEN, OPT_KEY_ID, OPT_KEY_ID_HEX, OPT_REPLAY,
	OPT_SEQ_START, OPT_SOFT, OPT_HARD, OPT_TYPE, OPT_CLASS, OPT_OWNER_UID,
	OPT_OWNER_GID, OPT_REQUIRE_HW, OPT_NONCE_POLICY, OPT_CEK_LEN, OPT_FRAMING,
	OPT_GROUP_SENDERS, OPT_GROUP_SENDER, OPT_GROUP_EPOCH, OPT_HELP,
};

static const struct option add_options[] = {
	{ "alg", required_argument, NULL, OPT_ALG },
	{ "key-file", required_argument, NULL, OPT_KEY_FILE },
	{ "key-format", required_argument, NULL, OPT_KEY_FORMAT },
	{ "id", required_argument, NULL, OPT_ID },
	{ "driver", required_argument, NULL, OPT_DRIVER },
	{ "salt", required_argument, NULL, OPT_SALT },
	{ "direction", required_argument, NULL, OPT_DIRECTION },
	{ "tag-len", required_argument, NULL, OPT_TAG_LEN },
	{ "key-id", required_argument, NULL, OPT_KEY_ID },
	{ "key-id-hex", required_argument, NULL, OPT_KEY_ID_HEX },
	{ "replay-window", required_argument, NULL, OPT_REPLAY },
	{ "seq-start", required_argument, NULL, OPT_SEQ_START },
	{ "soft", required_argument, NULL, OPT_SOFT },
	{ "hard", required_argument, NULL, OPT_HARD },
	{ "type", required_argument, NULL, OPT_TYPE },
	{ "class", required_argument, NULL, OPT_CLASS },
	{ "owner-uid", required_argument, NULL, OPT_OWNER_UID },
	{ "owner-gid", required_argument, NULL, OPT_OWNER_GID },
	{ "require-hw", no_argument, NULL, OPT_REQUIRE_HW },
	{ "nonce-policy", required_argument, NULL, OPT_NONCE_POLICY },
	{ "cek-len", required_argument, NULL, OPT_CEK_LEN },
	{ "framing", required_argument, NULL, OPT_FRAMING },
	{ "group-senders", required_argument, NULL, OPT_GROUP_SENDERS },
	{ "group-sender", required_argument, NULL, OPT_GROUP_SENDER },
	{ "group-epoch", required_argument, NULL, OPT_GROUP_EPOCH },
	{ "help", no_argument, NULL, OPT_HELP },
	{ NULL, 0, NULL, 0 },
};

static const char *const direction_names[] = { NULL, "seal", "open", "both" };
static const char *const type_names[] = { "none", "s1", "s2", "sm" };
static const char *const nonce_policy_names[] = { NULL, "esf", "any" };
static const char *const framing_names[] = { NULL, "nonce", "dtls12" };

/* Fill @r from one option; returns 0, or 2 after printing a usage error. */
static int add_option(int opt, char *arg, struct esf_nl_new *r, const char **key_file,
		      bool *hex, bool *group_sender)
{
	size_t n;
	uint64_t v;

	switch (opt) {
	case OPT_ALG:
		r->alg = arg;
		return 0;
	case OPT_KEY_FILE:
		*key_file = arg;
		return 0;
	case OPT_KEY_FORMAT:
		if (strcmp(arg, "raw") && strcmp(arg, "hex"))
			break;
		*hex = !strcmp(arg, "hex");
		return 0;
	case OPT_ID:
		if (esfctl_parse_u64(arg, UINT32_MAX, &v) || !v)
			break;
		r->id = (uint32_t)v;
		r->set |= ESF_NEW_ID;
		return 0;
	case OPT_DRIVER:
		r->driver = arg;
		r->set |= ESF_NEW_DRIVER;
		return 0;
	case OPT_SALT:
		if (esfctl_parse_hex(arg, r->salt, ESF_SALT_LEN, &n) || n != ESF_SALT_LEN) {
			fprintf(stderr, "esfctl: session add: --salt takes %d bytes, %d hex "
				"digits; got '%s'\n", ESF_SALT_LEN, 2 * ESF_SALT_LEN, arg);
			return 2;
		}
		r->set |= ESF_NEW_SALT;
		return 0;
	case OPT_DIRECTION:
		if (parse_choice(arg, direction_names, 4, &r->direction))
			break;
		r->set |= ESF_NEW_DIRECTION;
		return 0;
	case OPT_TAG_LEN:
		if (esfctl_parse_u64(arg, 255, &v))
			break;
		r->tag_len = (uint8_t)v;
		r->set |= ESF_NEW_TAG_LEN;
		return 0;
	case OPT_KEY_ID:
		n = strlen(arg);
		if (n > ESF_KEY_ID_MAX) {
			fprintf(stderr, "esfctl: session add: --key-id takes up to %d bytes; "
				"got %zu\n", ESF_KEY_ID_MAX, n);
			return 2;
		}
		memcpy(r->key_id, arg, n);
		r->key_id_len = n;
		r->set |= ESF_NEW_KEY_ID;
		return 0;
	case OPT_KEY_ID_HEX:
		if (esfctl_parse_hex(arg, r->key_id, ESF_KEY_ID_MAX, &r->key_id_len)) {
			fprintf(stderr, "esfctl: session add: --key-id-hex takes up to %d bytes "
				"(%d hex digits); got '%s'\n", ESF_KEY_ID_MAX,
				2 * ESF_KEY_ID_MAX, arg);
			return 2;
		}
		r->set |= ESF_NEW_KEY_ID;
		return 0;
	case OPT_FRAMING:
		if (parse_choice(arg, framing_names, 3, &r->framing))
			break;
		r->set |= ESF_NEW_FRAMING;
		return 0;
	case OPT_CEK_LEN:
		if (esfctl_parse_u64(arg, 255, &v))
			break;
		r->cek_len = (uint8_t)v;
		r->set |= ESF_NEW_CEK_LEN;
		return 0;
	case OPT_NONCE_POLICY:
		if (parse_choice(arg, nonce_policy_names, 3, &r->nonce_policy))
			break;
		r->set |= ESF_NEW_NONCE_POLICY;
		return 0;
	case OPT_REPLAY:
		if (esfctl_parse_u64(arg, UINT32_MAX, &v))
			break;
		r->replay_window = (uint32_t)v;
		r->set |= ESF_NEW_REPLAY_WINDOW;
		return 0;
	case OPT_SEQ_START:
		if (esfctl_parse_u64(arg, UINT64_MAX, &r->seq_start))
			break;
		r->set |= ESF_NEW_SEQ_START;
		return 0;
	case OPT_SOFT:
		if (parse_lifetime(arg, &r->soft))
			break;
		r->set |= ESF_NEW_SOFT;
		return 0;
	case OPT_HARD:
		if (parse_lifetime(arg, &r->hard))
			break;
		r->set |= ESF_NEW_HARD;
		return 0;
	case OPT_TYPE:
		if (parse_choice(arg, type_names, 4, &r->session_type))
			break;
		r->set |= ESF_NEW_SESSION_TYPE;
		return 0;
	case OPT_CLASS:
		if (esfctl_parse_u64(arg, 255, &v))
			break;
		r->data_class = (uint8_t)v;
		r->set |= ESF_NEW_DATA_CLASS;
		return 0;
	case OPT_OWNER_UID:
		if (parse_uid(arg, &r->owner_uid))
			break;
		r->set |= ESF_NEW_OWNER_UID;
		return 0;
	case OPT_OWNER_GID:
		if (parse_gid(arg, &r->owner_gid))
			break;
		r->set |= ESF_NEW_OWNER_GID;
		return 0;
	case OPT_REQUIRE_HW:
		r->flags |= ESF_F_REQUIRE_HW;
		r->set |= ESF_NEW_FLAGS;
		return 0;
	case OPT_GROUP_SENDERS:
		if (esfctl_parse_u64(arg, ESF_GROUP_SENDERS_MAX, &v) || !v)
			break;
		r->group_senders = (uint16_t)v;
		r->set |= ESF_NEW_GROUP;
		return 0;
	case OPT_GROUP_SENDER:
		if (esfctl_parse_u64(arg, ESF_GROUP_SENDERS_MAX - 1, &v))
			break;
		r->group_sender = (uint16_t)v;
		*group_sender = true;
		return 0;
	case OPT_GROUP_EPOCH:
		if (esfctl_parse_u64(arg, UINT32_MAX, &v))
			break;
		r->group_epoch = (uint32_t)v;
		return 0;
	default:
		return esfctl_usage_error(add_usage, "%s", "unknown option");
	}
	return esfctl_usage_error(add_usage, "invalid value '%s'", arg);
}

static bool is_aead(const char *alg)
{
	return strncmp(alg, "hmac(", 5) != 0;
}

/*
 * Sizes are checked here, before the kernel sees them, so that an error
 * names the algorithm and what it accepts (the kernel's netlink policy
 * would only say "binary attribute size out of range"). The rules are the
 * module's (esf_algs.c; esf_doctor.sh compares them in the VM). With @key
 * NULL, only what the options give; with @key, the key's length too.
 */
static int check_alg_sizes(const struct esf_nl_new *r, const uint8_t *key)
{
	const struct esf_alg_desc *a = esf_alg_lookup(r->alg);
	bool dtls12 = (r->set & ESF_NEW_FRAMING) && r->framing == ESF_FRAMING_DTLS12;
	char what[160];

	if (!a) {
		fprintf(stderr, "esfctl: session add: unknown algorithm '%s'; esf offers %s\n",
			r->alg, esf_alg_names(what, sizeof(what)));
		return 2;
	}
	if (key && !a->key_ok(a, r->key_len)) {
		fprintf(stderr, "esfctl: session add: %s takes a %s; got %zu\n", a->name,
			esf_alg_key_sizes(a, what, sizeof(what)), r->key_len);
		return 2;
	}
	if ((r->set & ESF_NEW_TAG_LEN) && !esf_alg_tag_ok(a, r->tag_len, dtls12)) {
		fprintf(stderr, "esfctl: session add: %s%s takes a %s; got %u\n", a->name,
			dtls12 ? " with DTLS 1.2 framing" : "",
			esf_alg_tag_sizes(a, dtls12, what, sizeof(what)), r->tag_len);
		return 2;
	}
	if ((r->set & ESF_NEW_CEK_LEN) && (a->kind != ESF_ALGK_KW ||
	    (r->cek_len != 16 && r->cek_len != 24 && r->cek_len != 32))) {
		if (a->kind != ESF_ALGK_KW)
			fprintf(stderr, "esfctl: session add: --cek-len is for kw(aes), not %s\n",
				a->name);
		else
			fprintf(stderr, "esfctl: session add: kw(aes) takes a 16, 24 or 32-byte "
				"content key (--cek-len); got %u\n", r->cek_len);
		return 2;
	}
	return 0;
}

static void show(const struct esf_nl_session *s)
{
	if (opt_json)
		esfctl_json_print(esfctl_session_json(s));
	else
		esfctl_session_print(s);
}

static int cmd_add(int argc, char **argv)
{
	struct esf_nl_new r = { 0 };
	struct esf_nl_session s;
	uint8_t key[ESF_KEY_MAX];
	const char *key_file = NULL;
	bool hex = false, group_sender = false;
	struct esf_nl *nl;
	int opt, err;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "", add_options, NULL)) != -1) {
		if (opt == OPT_HELP) {
			fputs(add_usage, stdout);
			return 0;
		}
		if (opt == '?')
			return esfctl_usage_error(add_usage, "%s", "bad option");
		err = add_option(opt, optarg, &r, &key_file, &hex, &group_sender);
		if (err)
			return err;
	}
	if (optind < argc)
		return esfctl_usage_error(add_usage, "unexpected argument '%s'", argv[optind]);
	if (!r.alg || !key_file)
		return esfctl_usage_error(add_usage, "%s", "--alg and --key-file are required");
	/* A default sender id would let two members share nonces: no default. */
	if (!!(r.set & ESF_NEW_GROUP) != group_sender)
		return esfctl_usage_error(add_usage, "%s",
					  "--group-senders and --group-sender go together");
	err = check_alg_sizes(&r, NULL);
	if (err)
		return err;
	/* A random salt is as good as any; nonces stay unique by the counter. */
	if (is_aead(r.alg) && !(r.set & ESF_NEW_SALT)) {
		if (getrandom(r.salt, sizeof(r.salt), 0) != sizeof(r.salt))
			return esfctl_fail(NULL, "random salt", -errno);
		r.set |= ESF_NEW_SALT;
	}
	err = esfctl_read_key(key_file, hex, key, &r.key_len);
	if (err == -EMSGSIZE) {
		const struct esf_alg_desc *a = esf_alg_lookup(r.alg);
		char what[160];

		fprintf(stderr, "esfctl: session add: %s takes a %s; the key in %s is longer "
			"than %d bytes\n", a->name, esf_alg_key_sizes(a, what, sizeof(what)),
			key_file, ESF_KEY_MAX);
		return 2;
	}
	if (err) {
		fprintf(stderr, "esfctl: session add: cannot read the key from %s: %s\n",
			key_file, err == -ENODATA ? "empty" : strerror(-err));
		return 1;
	}
	r.key = key;
	err = check_alg_sizes(&r, key);
	if (err) {
		explicit_bzero(key, sizeof(key));
		return err;
	}
	err = esfctl_open(&nl, "session add");
	if (!err) {
		err = esf_nl_session_new(nl, &r, &s);
		if (err)
			err = esfctl_fail(nl, "session add", err);
		else
			show(&s);
		esf_nl_close(nl);
	}
	explicit_bzero(key, sizeof(key));
	return err;
}

static int parse_id_arg(int argc, char **argv, const char *usage, uint32_t *id)
{
	uint64_t v;

	if (argc != 2)
		return esfctl_usage_error(usage, "%s", "expected one session id");
	if (esfctl_parse_u64(argv[1], UINT32_MAX, &v) || !v)
		return esfctl_usage_error(usage, "invalid session id '%s'", argv[1]);
	*id = (uint32_t)v;
	return 0;
}

static int cmd_del(int argc, char **argv)
{
	static const char usage[] = "usage: esfctl session del ID\n\nDelete a session. "
		"Sockets bound to it get ENOKEY from then on.\n";
	struct esf_nl *nl;
	uint32_t id;
	int err;

	if (esfctl_is_help(argc, argv)) {
		fputs(usage, stdout);
		return 0;
	}
	err = parse_id_arg(argc, argv, usage, &id);
	if (err || (err = esfctl_open(&nl, "session del")))
		return err;
	err = esf_nl_session_del(nl, id);
	if (err)
		err = esfctl_fail(nl, "session del", err);
	esf_nl_close(nl);
	return err;
}

static int cmd_show(int argc, char **argv)
{
	static const char usage[] = "usage: esfctl [--json] session show ID\n\n"
		"Show a session: algorithm, the driver that serves it and whether it is\n"
		"hardware, lifetimes and usage, counters. Never the key.\n";
	struct esf_nl_session s;
	struct esf_nl *nl;
	uint32_t id;
	int err;

	if (esfctl_is_help(argc, argv)) {
		fputs(usage, stdout);
		return 0;
	}
	err = parse_id_arg(argc, argv, usage, &id);
	if (err || (err = esfctl_open(&nl, "session show")))
		return err;
	err = esf_nl_session_get(nl, id, &s);
	if (err)
		err = esfctl_fail(nl, "session show", err);
	else
		show(&s);
	esf_nl_close(nl);
	return err;
}

static int list_one(const struct esf_nl_session *s, void *arg)
{
	json_t *arr = arg;

	if (arr)
		json_array_append_new(arr, esfctl_session_json(s));
	else
		esfctl_list_row(s);
	return 0;
}

static int cmd_list(int argc, char **argv)
{
	static const char usage[] = "usage: esfctl [--json] session list\n\n"
		"List the sessions of this network namespace that you may use (all of\n"
		"them with CAP_NET_ADMIN).\n";
	struct esf_nl *nl;
	json_t *arr = NULL;
	int err, tries = 0;

	if (esfctl_is_help(argc, argv)) {
		fputs(usage, stdout);
		return 0;
	}
	if (argc != 1)
		return esfctl_usage_error(usage, "unexpected argument '%s'", argv[1]);
	err = esfctl_open(&nl, "session list");
	if (err)
		return err;
	/* A dump the table changed under is retried; text output is already
	 * printed by then, so only JSON output retries cleanly.
	 */
	do {
		json_decref(arr);
		arr = opt_json ? json_array() : NULL;
		if (!opt_json && !tries)
			esfctl_list_header();
		err = esf_nl_session_dump(nl, list_one, arr);
	} while (err == -EAGAIN && opt_json && ++tries < 3);
	if (err == -EAGAIN && !opt_json)
		fprintf(stderr, "esfctl: session list: the table changed during the listing\n");
	if (err && err != -EAGAIN)
		err = esfctl_fail(nl, "session list", err);
	else if (arr) {
		/* "o" hands arr over to the document. */
		esfctl_json_print(json_pack("{s:o}", "sessions", arr));
		arr = NULL;
	}
	json_decref(arr);
	esf_nl_close(nl);
	return err ? 1 : 0;
}

static int cmd_flush(int argc, char **argv)
{
	static const char usage[] = "usage: esfctl [--json] session flush\n\n"
		"Delete every session of this network namespace.\n";
	struct esf_nl *nl;
	uint32_t n = 0;
	int err;

	if (esfctl_is_help(argc, argv)) {
		fputs(usage, stdout);
		return 0;
	}
	if (argc != 1)
		return esfctl_usage_error(usage, "unexpected argument '%s'", argv[1]);
	err = esfctl_open(&nl, "session flush");
	if (err)
		return err;
	err = esf_nl_session_flush(nl, &n);
	if (err)
		err = esfctl_fail(nl, "session flush", err);
	else if (opt_json)
		esfctl_json_print(json_pack("{s:I}", "flushed", (json_int_t)n));
	else
		printf("flushed %" PRIu32 " sessions\n", n);
	esf_nl_close(nl);
	return err;
}

int esfctl_cmd_session(int argc, char **argv)
{
	static const struct {
		const char *name;
		int (*fn)(int argc, char **argv);
	} sub[] = {
		{ "add", cmd_add }, { "del", cmd_del }, { "show", cmd_show },
		{ "list", cmd_list }, { "flush", cmd_flush },
	};
	size_t i;

	if (argc < 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
		fputs(session_usage, argc < 2 ? stderr : stdout);
		return argc < 2 ? 2 : 0;
	}
	for (i = 0; i < sizeof(sub) / sizeof(sub[0]); i++)
		if (!strcmp(argv[1], sub[i].name))
			return sub[i].fn(argc - 1, argv + 1);
	return esfctl_usage_error(session_usage, "unknown session command '%s'", argv[1]);
}
