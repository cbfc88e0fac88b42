// SPDX-License-Identifier: GPL-2.0
/*
 * esfctl dar: contentInstances stored encrypted at the hosting gateway
 * (docs/esfd.md, "Data at rest"), through esfd's control socket. The
 * application hands esfd the content and gets it back; esfd holds the
 * container's key and seals, the gateway stores, neither esfctl nor the
 * gateway sees a key.
 */
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "esf.h"
#include "esf_env.h"
#include "esfctl.h"

#define CONTENT_MAX 8192

static const char dar_usage[] =
	"usage: esfctl dar put CONTAINER [FILE] [--socket PATH]\n"
	"       esfctl dar get CONTAINER NAME [--socket PATH]\n"
	"\n"
	"Data at rest ([container] sections of esfd.conf). put: esfd seals the\n"
	"content of FILE (default: standard input, 1 to 8192 bytes) under a key\n"
	"of its own for this one contentInstance and has the container's hosting\n"
	"gateway store it (a oneM2M CREATE); prints the item's name. get: esfd\n"
	"retrieves the item NAME (\"la\": the latest) from the gateway and opens\n"
	"it; the content goes to standard output. A reader the gateway's\n"
	"access-control list does not name is refused (oneM2M 4103); an item that\n"
	"does not open under the container's key (another key, or altered) is\n"
	"refused and nothing of it is written. CONTAINER is the section's name or\n"
	"the container id. Allowed to root and the container's owner-uid/gid.\n"
	"\n"
	"options:\n"
	"  -S, --socket PATH  esfd's control socket (default $ESFD_CONTROL_SOCKET\n"
	"                     or " ESF_CTL_DEFAULT ")\n";

static const struct option opts[] = {
	{ "socket", required_argument, NULL, 'S' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

static int read_content(const char *path, uint8_t *buf, size_t *n)
{
	FILE *f = path && strcmp(path, "-") ? fopen(path, "rb") : stdin;
	size_t got;

	if (!f) {
		fprintf(stderr, "esfctl: dar put: %s: %s\n", path, strerror(errno));
		return 1;
	}
	got = fread(buf, 1, CONTENT_MAX + 1, f);
	if (f != stdin)
		fclose(f);
	if (!got || got > CONTENT_MAX) {
		fprintf(stderr, "esfctl: dar put: the content must be 1 to %d bytes\n",
			CONTENT_MAX);
		return 1;
	}
	*n = got;
	return 0;
}

/* One request; the reply when its status is 0, else NULL, the error said. */
static json_t *call(const char *sock, json_t *req)
{
	char *text = json_dumps(req, JSON_COMPACT), *reply = NULL;
	json_t *rep, *rsc;
	int err;

	json_decref(req);
	if (!text)
		return NULL;
	err = esf_ctl_request(sock, text, &reply);
	free(text);
	if (err) {
		fprintf(stderr, "esfctl: dar: cannot reach esfd: %s\n", strerror(-err));
		return NULL;
	}
	rep = json_loads(reply, 0, NULL);
	free(reply);
	if (!json_is_object(rep)) {
		fprintf(stderr, "esfctl: dar: malformed reply from esfd\n");
		json_decref(rep);
		return NULL;
	}
	if (!json_integer_value(json_object_get(rep, "status")))
		return rep;
	rsc = json_object_get(rep, "rsc");
	fprintf(stderr, "esfctl: dar: %s", json_string_value(json_object_get(rep, "error")) ?:
		"failed");
	if (rsc && !strstr(json_string_value(json_object_get(rep, "error")) ?: "", "oneM2M"))
		fprintf(stderr, " (oneM2M %lld)", (long long)json_integer_value(rsc));
	fputc('\n', stderr);
	json_decref(rep);
	return NULL;
}

static int put(const char *sock, const char *cnt, const char *path)
{
	static uint8_t buf[CONTENT_MAX + 1];
	json_t *rep;
	char *b;
	size_t n;

	if (read_content(path, buf, &n))
		return 1;
	b = esf_b64url_encode_alloc(buf, n);
	if (!b)
		return 1;
	rep = call(sock, json_pack("{s:s,s:s,s:s}", "cmd", "dar-put", "container", cnt,
				   "data", b));
	free(b);
	if (!rep)
		return 1;
	if (opt_json)
		esfctl_json_print(rep);
	else {
		printf("%s\n", json_string_value(json_object_get(rep, "rn")));
		json_decref(rep);
	}
	return 0;
}

static int get(const char *sock, const char *cnt, const char *rn)
{
	json_t *rep = call(sock, json_pack("{s:s,s:s,s:s}", "cmd", "dar-get", "container",
					   cnt, "rn", rn));
	const char *b;
	void *pt = NULL;
	size_t n = 0;
	int err;

	if (!rep)
		return 1;
	if (opt_json) {
		esfctl_json_print(rep);
		return 0;
	}
	b = json_string_value(json_object_get(rep, "data"));
	err = b ? esf_b64url_decode(b, strlen(b), &pt, &n) : -EPROTO;
	json_decref(rep);
	if (err) {
		fprintf(stderr, "esfctl: dar get: malformed reply from esfd\n");
		return 1;
	}
	err = fwrite(pt, 1, n, stdout) == n ? 0 : 1;
	free(pt);
	return err;
}

int esfctl_cmd_dar(int argc, char **argv)
{
	const char *sock = NULL;
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "S:h", opts, NULL)) != -1) {
		switch (c) {
		case 'S':
			sock = optarg;
			break;
		case 'h':
			fputs(dar_usage, stdout);
			return 0;
		default:
			fputs(dar_usage, stderr);
			return 2;
		}
	}
	if (optind + 2 > argc)
		return esfctl_usage_error(dar_usage, "%s", "missing put or get, and CONTAINER");
	if (!strcmp(argv[optind], "put")) {
		if (optind + 3 < argc)
			return esfctl_usage_error(dar_usage, "unexpected argument '%s'",
						  argv[optind + 3]);
		return put(sock, argv[optind + 1], optind + 2 < argc ? argv[optind + 2] : NULL);
	}
	if (!strcmp(argv[optind], "get")) {
		if (optind + 3 != argc)
			return esfctl_usage_error(dar_usage, "%s", "get takes CONTAINER and NAME");
		return get(sock, argv[optind + 1], argv[optind + 2]);
	}
	return esfctl_usage_error(dar_usage, "unknown dar command '%s'", argv[optind]);
}
