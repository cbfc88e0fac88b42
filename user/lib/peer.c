// SPDX-License-Identifier: GPL-2.0
/*
 * libesf: client of esfd's control socket (docs/esfd.md, "Control
 * protocol"). One SOCK_SEQPACKET connection per request; esfd checks the
 * caller's credentials (SO_PEERCRED) itself.
 */
#include <errno.h>
#include <jansson.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "esf.h"
#include "esf_env.h"

/* esfd's replies grow with its configuration: status lists every peer, a
 * group's server every member (a 1000-member group's is about 130 KiB).
 */
#define REPLY_MAX (16 << 20)

static const char *ctl_path_or_default(const char *p)
{
	const char *env;

	if (p)
		return p;
	/* secure_getenv: a privileged caller must not be pointed at a fake esfd. */
	env = secure_getenv("ESFD_CONTROL_SOCKET");
	return env && *env ? env : ESF_CTL_DEFAULT;
}

static int ctl_call(const char *path, const char *req, int timeout_ms, char **reply)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct pollfd pfd;
	char *buf;
	ssize_t n;
	int fd, err;

	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) ||
	    send(fd, req, strlen(req), MSG_NOSIGNAL) < 0) {
		err = -errno;
		close(fd);
		return err;
	}
	pfd = (struct pollfd){ .fd = fd, .events = POLLIN };
	n = poll(&pfd, 1, timeout_ms);
	if (n <= 0) {
		close(fd);
		return n ? -errno : -ETIMEDOUT;
	}
	/* The reply's length first (MSG_TRUNC: the whole packet's), then the
	 * reply, in one buffer of that size.
	 */
	n = recv(fd, &pfd, 1, MSG_PEEK | MSG_TRUNC);
	if (n <= 0 || n > REPLY_MAX) {
		err = n < 0 ? -errno : n ? -EMSGSIZE : -ECONNRESET;
		close(fd);
		return err;
	}
	buf = malloc((size_t)n + 1);
	if (!buf) {
		close(fd);
		return -ENOMEM;
	}
	n = recv(fd, buf, (size_t)n, 0);
	err = n < 0 ? -errno : n == 0 ? -ECONNRESET : 0;
	close(fd);
	if (err) {
		free(buf);
		return err;
	}
	buf[n] = '\0';
	*reply = buf;
	return 0;
}

int esf_ctl_request(const char *ctl_path, const char *request, char **reply)
{
	/* Establishment may take esfd up to a minute (its longest timeout). */
	return ctl_call(ctl_path_or_default(ctl_path), request, 65000, reply);
}

static int copy_str(json_t *j, const char *k, char *dst, size_t max)
{
	const char *v = json_string_value(json_object_get(j, k));

	if (!v || strlen(v) >= max)
		return -EPROTO;
	strcpy(dst, v);
	return 0;
}

/* esfd's reply as an object with an integer "status": 0, its error, or -EPROTO. */
static int reply_status(const char *reply, json_t **rep)
{
	json_int_t st;

	*rep = json_loads(reply, JSON_REJECT_DUPLICATES, NULL);
	if (!json_is_object(*rep) || !json_is_integer(json_object_get(*rep, "status")))
		return -EPROTO;
	st = json_integer_value(json_object_get(*rep, "status"));
	if (st)
		return st < 0 && st > -4096 ? (int)st : -EPROTO;
	return 0;
}

int esf_ctl_json(const char *ctl_path, json_t *req, int timeout_ms, json_t **rep)
{
	char *text = req ? json_dumps(req, JSON_COMPACT) : NULL, *reply = NULL;
	int err;

	*rep = NULL;
	json_decref(req);
	if (!text)
		return -ENOMEM;
	err = ctl_call(ctl_path_or_default(ctl_path), text, timeout_ms, &reply);
	free(text);
	if (err)
		return err;
	err = reply_status(reply, rep);
	free(reply);
	return err;
}

int esf_peer_session(const char *ctl_path, const char *peer, unsigned int data_class,
		     unsigned int timeout_ms, struct esf_peer_session *out)
{
	json_t *req, *rep;
	char *text, *reply = NULL;
	json_int_t seal, open;
	int err;

	if (!peer || !out || data_class < 1 || data_class > 3 || timeout_ms > 60000)
		return -EINVAL;
	req = json_pack("{s:s,s:s,s:i}", "cmd", "session", "peer", peer, "class",
			(int)data_class);
	if (req && timeout_ms)
		json_object_set_new(req, "timeout", json_integer(timeout_ms));
	text = req ? json_dumps(req, JSON_COMPACT) : NULL;
	json_decref(req);
	if (!text)
		return -ENOMEM;
	err = ctl_call(ctl_path_or_default(ctl_path), text,
		       (int)(timeout_ms ? timeout_ms : 5000) + 2000, &reply);
	free(text);
	if (err)
		return err;
	err = reply_status(reply, &rep);
	free(reply);
	if (!err) {
		memset(out, 0, sizeof(*out));
		seal = json_integer_value(json_object_get(rep, "seal"));
		open = json_integer_value(json_object_get(rep, "open"));
		out->data_class = (unsigned int)json_integer_value(json_object_get(rep, "class"));
		out->expires = json_integer_value(json_object_get(rep, "expires"));
		err = copy_str(rep, "kid", out->kid, sizeof(out->kid));
		if (!err)
			err = copy_str(rep, "ori", out->ori, sizeof(out->ori));
		if (!err)
			err = copy_str(rep, "rri", out->rri, sizeof(out->rri));
		if (!err && (seal <= 0 || seal > UINT32_MAX || open <= 0 || open > UINT32_MAX ||
			     out->data_class != data_class))
			err = -EPROTO;
		out->seal_id = (uint32_t)seal;
		out->open_id = (uint32_t)open;
	}
	json_decref(rep);
	return err;
}

int esf_es256_sign(const char *ctl_path, const void *payload, size_t len, const char *cty,
		   char **jws)
{
	const char *v;
	json_t *req, *rep = NULL, *c;
	char *b64;
	int err;

	if ((!payload && len) || !jws)
		return -EINVAL;
	if (len > ESF_ES256_PAYLOAD_MAX)
		return -EMSGSIZE;
	/* esfd refuses a bad cty with its reason; JSON cannot carry invalid UTF-8. */
	c = cty ? json_string(cty) : NULL;
	if (cty && !c)
		return -EINVAL;
	b64 = esf_b64url_encode_alloc(payload ? payload : "", len);
	req = b64 ? json_pack("{s:s,s:s}", "cmd", "sign", "payload", b64) : NULL;
	free(b64);
	if (req && c && json_object_set(req, "cty", c)) {
		json_decref(req);
		req = NULL;
	}
	json_decref(c);
	err = esf_ctl_json(ctl_path, req, 10000, &rep);
	v = json_string_value(json_object_get(rep, "jws"));
	if (!err && !v)
		err = -EPROTO;
	if (!err) {
		*jws = strdup(v);
		err = *jws ? 0 : -ENOMEM;
	}
	json_decref(rep);
	return err;
}
