// SPDX-License-Identifier: GPL-2.0
/*
 * esfctl group epoch-new|switch|retire|senders: a group session's key
 * epochs and its per-sender replay state. Group sessions themselves are
 * made by 'esfctl session add --group-senders N --group-sender I'.
 * 'esfctl group list|show' asks esfd about the groups it runs (daemon.c).
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "esfctl.h"

static const char group_usage[] =
	"usage: esfctl [--json] group <epoch-new|switch|retire|senders> ID [<args>]\n"
	"       esfctl [--json] group <list|show GROUP> [--socket PATH]\n"
	"\n"
	"A group session (esfctl session add --group-senders N --group-sender I)\n"
	"holds one key for a group whose members all seal, each under its own\n"
	"sender id; its key changes in epochs, make-before-break:\n"
	"\n"
	"  epoch-new ID --epoch E --key-file FILE|- [--key-format raw|hex] [--salt HEX]\n"
	"               install the next key beside the current one (it opens at\n"
	"               once; E above the current epoch; the salt, default random,\n"
	"               unlike the salts held)\n"
	"  switch ID [--epoch E]\n"
	"               seal under the next key from now on; the current key\n"
	"               becomes the previous one and still opens\n"
	"  retire ID    drop the previous key: its records no longer open\n"
	"  senders ID   the senders this member has opened records from, and the\n"
	"               highest sequence number of each (its replay state)\n"
	"\n"
	"For a group: every member runs epoch-new, then each switches, then each\n"
	"retires once late records have drained. A member left out of epoch-new\n"
	"(revoked) cannot open what is sealed after the switch. 'esfctl session\n"
	"show ID' shows the epochs held.\n"
	"\n"
	"  list         the groups esfd runs: role, epoch, members or session\n"
	"  show GROUP   one of them in full ('esfctl group list --help')\n"
	"\n"
	"esfd distributes group keys itself ([group] in esfd.conf); these\n"
	"commands are for groups made by hand. Exit status: 0 success, 1 the\n"
	"kernel or esfd refused (its reason is printed), 2 usage error.\n";

static int parse_id(const char *s, uint32_t *id)
{
	uint64_t v;

	if (esfctl_parse_u64(s, UINT32_MAX, &v) || !v)
		return esfctl_usage_error(group_usage, "invalid session id '%s'", s);
	*id = (uint32_t)v;
	return 0;
}

static void show(const struct esf_nl_session *s)
{
	if (opt_json)
		esfctl_json_print(esfctl_session_json(s));
	else
		esfctl_session_print(s);
}

enum { OPT_EPOCH = 256, OPT_KEY_FILE, OPT_KEY_FORMAT, OPT_SALT };

static const struct option epoch_options[] = {
	{ "epoch", required_argument, NULL, OPT_EPOCH },
	{ "key-file", required_argument, NULL, OPT_KEY_FILE },
	{ "key-format", required_argument, NULL, OPT_KEY_FORMAT },
	{ "salt", required_argument, NULL, OPT_SALT },
	{ NULL, 0, NULL, 0 },
};

struct epoch_args {
	bool has_epoch;
	uint32_t epoch;
	const char *key_file;
	bool hex;
	bool has_salt;
	uint8_t salt[ESF_SALT_LEN];
};

static int epoch_option(int opt, const char *arg, struct epoch_args *a)
{
	uint64_t v;
	size_t n;

	switch (opt) {
	case OPT_EPOCH:
		if (esfctl_parse_u64(arg, UINT32_MAX, &v))
			break;
		a->epoch = (uint32_t)v;
		a->has_epoch = true;
		return 0;
	case OPT_KEY_FILE:
		a->key_file = arg;
		return 0;
	case OPT_KEY_FORMAT:
		if (strcmp(arg, "raw") && strcmp(arg, "hex"))
			break;
		a->hex = !strcmp(arg, "hex");
		return 0;
	case OPT_SALT:
		if (esfctl_parse_hex(arg, a->salt, ESF_SALT_LEN, &n) || n != ESF_SALT_LEN)
			break;
		a->has_salt = true;
		return 0;
	default:
		return esfctl_usage_error(group_usage, "%s", "bad option");
	}
	return esfctl_usage_error(group_usage, "invalid value '%s'", arg);
}

/* ID then options; returns 0 or the exit status of a usage error. */
static int parse_args(int argc, char **argv, uint32_t *id, struct epoch_args *a)
{
	int opt, err;

	if (argc < 2)
		return esfctl_usage_error(group_usage, "%s", "expected a session id");
	err = parse_id(argv[1], id);
	if (err)
		return err;
	optind = 2;
	while ((opt = getopt_long(argc, argv, "", epoch_options, NULL)) != -1) {
		err = epoch_option(opt, optarg, a);
		if (err)
			return err;
	}
	if (optind < argc)
		return esfctl_usage_error(group_usage, "unexpected argument '%s'", argv[optind]);
	return 0;
}

/*
 * Every epoch's key has the length of the session's first key: say so with
 * the sizes, rather than leave the user with the netlink policy's "binary
 * attribute size out of range" or the kernel's bare refusal. A session
 * that cannot be read is left to the kernel's own answer.
 */
static int check_key_len(struct esf_nl *nl, uint32_t id, size_t key_len)
{
	struct esf_nl_session cur;

	if (esf_nl_session_get(nl, id, &cur) || !cur.group.is_group || !cur.key_len ||
	    key_len == cur.key_len)
		return 0;
	fprintf(stderr, "esfctl: group epoch-new: group session %u (%s) takes a %u-byte key, "
		"the length of its first key; got %zu\n", id, cur.alg, cur.key_len, key_len);
	return 2;
}

static int cmd_epoch_new(int argc, char **argv)
{
	struct epoch_args a = { 0 };
	struct esf_nl_session s;
	uint8_t key[ESF_KEY_MAX];
	size_t key_len;
	struct esf_nl *nl;
	uint32_t id = 0;
	int err;

	err = parse_args(argc, argv, &id, &a);
	if (err)
		return err;
	if (!a.has_epoch || !a.key_file)
		return esfctl_usage_error(group_usage, "%s", "--epoch and --key-file are required");
	if (!a.has_salt && getrandom(a.salt, sizeof(a.salt), 0) != sizeof(a.salt))
		return esfctl_fail(NULL, "random salt", -errno);
	err = esfctl_read_key(a.key_file, a.hex, key, &key_len);
	if (err) {
		fprintf(stderr, "esfctl: group epoch-new: cannot read the key from %s: %s\n",
			a.key_file, err == -ENODATA ? "empty" : strerror(-err));
		return 1;
	}
	err = esfctl_open(&nl, "group epoch-new");
	if (!err) {
		err = check_key_len(nl, id, key_len);
		if (!err)
			err = esf_nl_group_epoch_new(nl, id, a.epoch, key, key_len, a.salt, &s);
		if (err > 0)
			;	/* check_key_len() said why */
		else if (err)
			err = esfctl_fail(nl, "group epoch-new", err);
		else
			show(&s);
		esf_nl_close(nl);
	}
	explicit_bzero(key, sizeof(key));
	return err;
}

static int cmd_switch(int argc, char **argv)
{
	struct epoch_args a = { 0 };
	struct esf_nl_session s;
	struct esf_nl *nl;
	uint32_t id = 0;
	int err;

	err = parse_args(argc, argv, &id, &a);
	if (err)
		return err;
	if (a.key_file || a.has_salt)
		return esfctl_usage_error(group_usage, "%s", "switch takes only --epoch");
	err = esfctl_open(&nl, "group switch");
	if (err)
		return err;
	err = esf_nl_group_epoch_switch(nl, id, a.has_epoch ? &a.epoch : NULL, &s);
	if (err)
		err = esfctl_fail(nl, "group switch", err);
	else
		show(&s);
	esf_nl_close(nl);
	return err;
}

static int cmd_retire(int argc, char **argv)
{
	struct esf_nl_session s;
	struct esf_nl *nl;
	uint32_t id = 0;
	int err;

	if (argc != 2)
		return esfctl_usage_error(group_usage, "%s", "retire takes a session id only");
	err = parse_id(argv[1], &id);
	if (err || (err = esfctl_open(&nl, "group retire")))
		return err;
	err = esf_nl_group_epoch_retire(nl, id, &s);
	if (err)
		err = esfctl_fail(nl, "group retire", err);
	else
		show(&s);
	esf_nl_close(nl);
	return err;
}

static int sender_row(uint16_t sender, uint64_t top, void *arg)
{
	json_t *arr = arg;

	if (arr)
		json_array_append_new(arr, json_pack("{s:I,s:I}", "sender", (json_int_t)sender,
						     "top", (json_int_t)top));
	else
		printf("%-8u %20" PRIu64 "\n", sender, top);
	return 0;
}

static int cmd_senders(int argc, char **argv)
{
	json_t *arr = opt_json ? json_array() : NULL;
	struct esf_nl *nl;
	uint32_t id = 0;
	int err;

	if (argc != 2)
		return esfctl_usage_error(group_usage, "%s", "senders takes a session id only");
	err = parse_id(argv[1], &id);
	if (err || (err = esfctl_open(&nl, "group senders"))) {
		json_decref(arr);
		return err;
	}
	if (!arr)
		printf("%-8s %20s\n", "SENDER", "HIGHEST SEQ OPENED");
	err = esf_nl_group_senders(nl, id, sender_row, arr);
	if (err) {
		err = esfctl_fail(nl, "group senders", err);
	} else if (arr) {
		esfctl_json_print(json_pack("{s:I,s:o}", "session", (json_int_t)id, "senders", arr));
		arr = NULL;
	}
	json_decref(arr);
	esf_nl_close(nl);
	return err;
}

int esfctl_cmd_group(int argc, char **argv)
{
	static const struct {
		const char *name;
		int (*fn)(int argc, char **argv);
	} sub[] = {
		{ "epoch-new", cmd_epoch_new }, { "switch", cmd_switch },
		{ "retire", cmd_retire }, { "senders", cmd_senders },
	};
	size_t i;

	if (argc < 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
		fputs(group_usage, argc < 2 ? stderr : stdout);
		return argc < 2 ? 2 : 0;
	}
	if (!strcmp(argv[1], "list") || !strcmp(argv[1], "show"))
		return esfctl_cmd_groups(argc - 1, argv + 1);
	for (i = 0; i < sizeof(sub) / sizeof(sub[0]); i++)
		if (!strcmp(argv[1], sub[i].name)) {
			if (esfctl_is_help(argc - 1, argv + 1)) {
				fputs(group_usage, stdout);
				return 0;
			}
			return sub[i].fn(argc - 1, argv + 1);
		}
	return esfctl_usage_error(group_usage, "unknown group command '%s'", argv[1]);
}
