// SPDX-License-Identifier: GPL-2.0
/*
 * esfctl monitor: print the kernel's session events as they come.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "esfctl.h"

static const char monitor_usage[] =
	"usage: esfctl [--json] monitor [--count N]\n"
	"\n"
	"Print session events of this network namespace as they happen: new and\n"
	"deleted sessions, flushes, and soft/hard lifetime expiries (the daemon\n"
	"rekeys on soft ones). Needs CAP_NET_ADMIN. With --json, one JSON object\n"
	"per line. Stops after N events with --count, else runs until killed.\n";

struct monitor {
	uint64_t left;		/* 0: no limit */
	bool done;
};

static json_t *event_json(const struct esf_nl_event *ev)
{
	json_t *o;

	switch (ev->cmd) {
	case ESF_CMD_SESSION_NEW:
	case ESF_CMD_SESSION_DEL:
		o = json_pack("{s:s,s:o}", "event",
			      ev->cmd == ESF_CMD_SESSION_NEW ? "new" : "del",
			      "session", esfctl_session_json(&ev->session));
		break;
	case ESF_CMD_SESSION_FLUSH:
		o = json_pack("{s:s,s:I}", "event", "flush", "flushed", (json_int_t)ev->flushed);
		break;
	case ESF_CMD_EXPIRE:
		o = json_pack("{s:s,s:I,s:s,s:s,s:{s:I,s:I,s:I}}", "event", "expire",
			      "id", (json_int_t)ev->session_id,
			      "kind", ev->expire_kind == ESF_EXPIRE_HARD ? "hard" : "soft",
			      "reason", esfctl_expire_reason_name(ev->expire_reason),
			      "usage", "messages", (json_int_t)ev->usage.messages,
			      "bytes", (json_int_t)ev->usage.bytes,
			      "seconds", (json_int_t)ev->usage.seconds);
		if (o && ev->key_id_len)
			json_object_set_new(o, "key_id", json_stringn((const char *)ev->key_id,
								       ev->key_id_len));
		break;
	default:
		o = json_pack("{s:s,s:i}", "event", "unknown", "cmd", ev->cmd);
	}
	return o;
}

static void print_event(const struct esf_nl_event *ev)
{
	const struct esf_nl_session *s = &ev->session;

	switch (ev->cmd) {
	case ESF_CMD_SESSION_NEW:
	case ESF_CMD_SESSION_DEL:
		printf("%s session %" PRIu32 " %s driver %s%s\n",
		       ev->cmd == ESF_CMD_SESSION_NEW ? "new" : "del", s->id, s->alg,
		       s->driver, s->provider & ESF_PROVIDER_HW ? " (hardware)" : "");
		break;
	case ESF_CMD_SESSION_FLUSH:
		printf("flush %" PRIu32 " sessions\n", ev->flushed);
		break;
	case ESF_CMD_EXPIRE:
		printf("expire %s session %" PRIu32 " reason %s usage messages %" PRIu64
		       " bytes %" PRIu64 " seconds %" PRIu64 "\n",
		       ev->expire_kind == ESF_EXPIRE_HARD ? "hard" : "soft", ev->session_id,
		       esfctl_expire_reason_name(ev->expire_reason), ev->usage.messages,
		       ev->usage.bytes, ev->usage.seconds);
		break;
	default:
		printf("unknown event %u\n", ev->cmd);
	}
}

static void on_event(const struct esf_nl_event *ev, void *arg)
{
	struct monitor *m = arg;
	json_t *o;

	if (m->done)
		return;
	if (opt_json) {
		o = event_json(ev);
		if (o) {
			char *text = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);

			if (text)
				puts(text);
			free(text);
			json_decref(o);
		}
	} else {
		print_event(ev);
	}
	fflush(stdout);
	if (m->left && !--m->left)
		m->done = true;
}

int esfctl_cmd_monitor(int argc, char **argv)
{
	struct monitor m = { 0 };
	struct esf_nl *nl;
	int err;

	if (esfctl_is_help(argc, argv)) {
		fputs(monitor_usage, stdout);
		return 0;
	}
	if (argc == 3 && !strcmp(argv[1], "--count")) {
		if (esfctl_parse_u64(argv[2], UINT64_MAX, &m.left) || !m.left)
			return esfctl_usage_error(monitor_usage, "invalid count '%s'", argv[2]);
	} else if (argc != 1) {
		return esfctl_usage_error(monitor_usage, "unexpected argument '%s'", argv[1]);
	}
	err = esfctl_open(&nl, "monitor");
	if (err)
		return err;
	err = esf_nl_events_subscribe(nl);
	if (err) {
		esf_nl_close(nl);
		return esfctl_fail(NULL, "monitor: joining the events group", err);
	}
	/* Tell a script waiting on us that events will be seen from now on. */
	if (!opt_json)
		fprintf(stderr, "esfctl: monitoring esf events\n");
	while (!m.done) {
		err = esf_nl_events_read(nl, on_event, &m);
		if (err && err != -EINTR && err != -EAGAIN)
			break;
		err = 0;
	}
	esf_nl_close(nl);
	return err ? esfctl_fail(NULL, "monitor", err) : 0;
}
