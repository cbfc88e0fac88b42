// SPDX-License-Identifier: GPL-2.0
/*
 * Data at rest (TR-0012 7.3.2): docs/esfd.md, "Data at rest"; the object
 * in dar.h.
 *
 * Three roles per [container]. A writer's esfd seals a contentInstance for
 * an application (control "dar-put") and sends it to the hosting gateway
 * in a TS-0004 CREATE; a reader's esfd RETRIEVEs it (control "dar-get")
 * and opens it. The hosting gateway's esfd stores what writers create and
 * answers readers, under the container's access-control list, in a 0600
 * file written atomically; it holds no key, so what it stores and what it
 * sends stay sealed. Applications never hold a key either: they hand esfd
 * the content and get the content back.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "dar.h"
#include "esfd.h"

#define STORE_MAGIC	"esf-dar-store 1"
#define ITEMS_MAX	1024		/* per hosted container */
#define WAIT_MS		10000		/* how long a writer or reader waits */
#define RQI_PREFIX	"esfd-dar-"

/* One stored item: its name, when and by whom it was created, the object. */
struct dar_item {
	char rn[ESFD_DAR_RN_MAX + 1];
	int64_t ct;
	char by[ESFD_ID_MAX + 1];
	char *obj;
};

struct dar_host {
	struct dar_item *items;
	size_t n;
	char path[4200];
};

/* A writer's or reader's request in flight, and who waits for it. */
struct dar_req {
	struct dar_req *next;
	char rqi[48];
	size_t cnt;		/* index in cfg.containers */
	bool get;
	int fd;			/* the control client, -1 once gone */
	char *msg;		/* the primitive, for retransmissions */
	int64_t deadline_ms, next_ms;
};

struct esfd_dar {
	struct dar_host *hosts;		/* cfg.n_containers entries */
	struct dar_req *reqs;
	uint64_t seq;
	uint64_t stored, retrieved, refused_acl, refused_other;	/* as host */
	uint64_t sealed, opened, open_failed;			/* as writer, reader */
};

static const struct esfd_container_conf *cnt_at(const struct esfd *d, size_t i)
{
	return &d->cfg.containers[i];
}

/* The store ------------------------------------------------------------------ */

static int store_path(const struct esfd *d, const struct esfd_container_conf *k, char *out,
		      size_t n)
{
	char dir[4096];

	if (k->store && k->store[0] == '/')
		return snprintf(out, n, "%s", k->store) >= (int)n ? -ENAMETOOLONG : 0;
	snprintf(dir, sizeof(dir), "%s", d->state_path);
	if (k->store)
		return snprintf(out, n, "%s/%s", dirname(dir), k->store) >= (int)n ?
		       -ENAMETOOLONG : 0;
	return snprintf(out, n, "%s/esfd-dar-%s.store", dirname(dir), k->name) >= (int)n ?
	       -ENAMETOOLONG : 0;
}

static void host_free(struct dar_host *h)
{
	size_t i;

	for (i = 0; i < h->n; i++)
		free(h->items[i].obj);
	free(h->items);
	h->items = NULL;
	h->n = 0;
}

/* Written to a new file, synced, then renamed over the old: a crash leaves
 * the old store or the new one, never half of one.
 */
static int host_save(const struct dar_host *h)
{
	char tmp[4300], head[ESFD_DAR_RN_MAX + ESFD_ID_MAX + 48];
	size_t i;
	int fd, err, n;

	snprintf(tmp, sizeof(tmp), "%s.tmp", h->path);
	unlink(tmp);
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	err = esfd_write_all(fd, STORE_MAGIC "\n", sizeof(STORE_MAGIC));
	for (i = 0; !err && i < h->n; i++) {
		n = snprintf(head, sizeof(head), "%s %lld %s ", h->items[i].rn,
			     (long long)h->items[i].ct, h->items[i].by);
		err = esfd_write_all(fd, head, (size_t)n);
		if (!err)
			err = esfd_write_all(fd, h->items[i].obj, strlen(h->items[i].obj));
		if (!err)
			err = esfd_write_all(fd, "\n", 1);
	}
	if (!err && fsync(fd))
		err = -errno;
	if (close(fd) && !err)
		err = -errno;
	if (!err && rename(tmp, h->path))
		err = -errno;
	if (err)
		unlink(tmp);
	return err;
}

/* One line "rn ct by object"; the object checked as it was on CREATE. */
static int item_read(char *line, const char *cid, struct dar_item *it)
{
	char *rn = strtok(line, " "), *ct = strtok(NULL, " "), *by = strtok(NULL, " ");
	char *obj = strtok(NULL, " \n"), *end;
	struct esfd_dar_hdr h;

	if (!rn || !ct || !by || !obj || strlen(by) > ESFD_ID_MAX ||
	    esfd_dar_parse(obj, cid, &h) || strcmp(h.rn, rn))
		return -EINVAL;
	memset(it, 0, sizeof(*it));
	strcpy(it->rn, rn);
	strcpy(it->by, by);
	it->ct = strtoll(ct, &end, 10);
	it->obj = strdup(obj);
	return *end ? -EINVAL : it->obj ? 0 : -ENOMEM;
}

/* A missing store is an empty one; a damaged line is skipped and said. */
static int host_load(struct dar_host *h, const char *cid)
{
	size_t cap = 0, lineno = 1;
	char *line = NULL;
	FILE *f = fopen(h->path, "re");
	int err = 0;

	if (!f)
		return errno == ENOENT ? 0 : -errno;
	h->items = calloc(ITEMS_MAX, sizeof(*h->items));
	if (!h->items) {
		fclose(f);
		return -ENOMEM;
	}
	if (getline(&line, &cap, f) < 0 || strcmp(line, STORE_MAGIC "\n"))
		err = -EINVAL;
	while (!err && h->n < ITEMS_MAX && getline(&line, &cap, f) > 0) {
		lineno++;
		if (item_read(line, cid, &h->items[h->n]))
			log_warn("store %s line %zu: not an item of %s; skipped", h->path, lineno,
				 cid);
		else
			h->n++;
	}
	free(line);
	fclose(f);
	return err;
}

int esfd_dar_start(struct esfd *d)
{
	size_t i;
	int err;

	if (!d->cfg.n_containers)
		return 0;
	d->dar = calloc(1, sizeof(*d->dar));
	if (d->dar)
		d->dar->hosts = calloc(d->cfg.n_containers, sizeof(*d->dar->hosts));
	if (!d->dar || !d->dar->hosts) {
		free(d->dar);
		d->dar = NULL;
		return -ENOMEM;
	}
	for (i = 0; i < d->cfg.n_containers; i++) {
		struct dar_host *h = &d->dar->hosts[i];

		if (cnt_at(d, i)->role != ESFD_DAR_HOST)
			continue;
		err = store_path(d, cnt_at(d, i), h->path, sizeof(h->path));
		if (!err)
			err = host_load(h, cnt_at(d, i)->id);
		if (!err && !h->items)
			h->items = calloc(ITEMS_MAX, sizeof(*h->items));
		if (!err && !h->items)
			err = -ENOMEM;
		if (err) {
			log_err("[container %s]: store %s: %s", cnt_at(d, i)->name, h->path,
				err == -EINVAL ? "not an esf-dar store" : strerror(-err));
			return err;
		}
		log_info("[container %s] %s hosted: %zu items in %s (writers: %s; readers: %s)",
			 cnt_at(d, i)->name, cnt_at(d, i)->id, h->n, h->path,
			 cnt_at(d, i)->writers, cnt_at(d, i)->readers);
	}
	return 0;
}

static void reply(struct esfd *d, struct dar_req *q, json_t *j)
{
	if (q->fd >= 0)
		esfd_ctl_reply_json(d, q->fd, j);
	else
		json_decref(j);
	q->fd = -1;
}

static json_t *error_json(int err, int rsc, const char *msg)
{
	json_t *j = json_pack("{s:i,s:s}", "status", err, "error", msg ? msg : strerror(-err));

	if (j && rsc)
		json_object_set_new(j, "rsc", json_integer(rsc));
	return j;
}

static void req_free(struct esfd *d, struct dar_req *q)
{
	struct dar_req **pp;

	for (pp = &d->dar->reqs; *pp; pp = &(*pp)->next) {
		if (*pp == q) {
			*pp = q->next;
			break;
		}
	}
	free(q->msg);
	free(q);
}

void esfd_dar_shutdown(struct esfd *d)
{
	size_t i;

	if (!d->dar)
		return;
	while (d->dar->reqs) {
		reply(d, d->dar->reqs, error_json(-ECANCELED, 0, "esfd stops or reloads"));
		req_free(d, d->dar->reqs);
	}
	for (i = 0; i < d->cfg.n_containers; i++)
		host_free(&d->dar->hosts[i]);
	free(d->dar->hosts);
	free(d->dar);
	d->dar = NULL;
}

/* The hosting gateway ----------------------------------------------------------- */

/* The hosted container a request's "to" names, and the item part after it. */
static int hosted(const struct esfd *d, const char *to, const char **rest)
{
	size_t i, n;

	/* What is for esfd itself (to = its id) is never a container's. */
	if (!strcmp(to, d->cfg.id))
		return -1;
	for (i = 0; d->dar && i < d->cfg.n_containers; i++) {
		const struct esfd_container_conf *k = cnt_at(d, i);

		n = strlen(k->id);
		if (k->role != ESFD_DAR_HOST || strncmp(to, k->id, n) ||
		    (to[n] && to[n] != '/'))
			continue;
		*rest = to[n] ? to + n + 1 : NULL;
		return (int)i;
	}
	return -1;
}

bool esfd_dar_hosts(const struct esfd *d, const char *to)
{
	const char *rest;

	return to && hosted(d, to, &rest) >= 0;
}

static int refuse(struct esfd *d, bool acl, int rsc, const char *msg, const char **why)
{
	if (acl)
		d->dar->refused_acl++;
	else
		d->dar->refused_other++;
	*why = msg;
	return rsc;
}

static json_t *cin_json(const struct esfd_container_conf *k, const struct dar_item *it,
			bool con)
{
	char ri[ESFD_ID_MAX + ESFD_DAR_RN_MAX + 2], ct[ESFD_TIME_LEN + 1];
	json_t *c;

	snprintf(ri, sizeof(ri), "%s/%s", k->id, it->rn);
	esfd_time_format(it->ct, ct);
	c = json_pack("{s:s,s:s,s:s,s:I}", "rn", it->rn, "ri", ri, "ct", ct,
		      "cs", (json_int_t)strlen(it->obj));
	if (c && con) {
		json_object_set_new(c, "cnf", json_string("application/jose"));
		json_object_set_new(c, "con", json_string(it->obj));
	}
	return json_pack("{s:o}", "m2m:cin", c);
}

static int serve_create(struct esfd *d, size_t ci, const struct esfd_m2m_req *req,
			json_t **pc, const char **why)
{
	const struct esfd_container_conf *k = cnt_at(d, ci);
	struct dar_host *h = &d->dar->hosts[ci];
	json_t *cin = json_object_get(req->pc, "m2m:cin");
	const char *obj = json_string_value(json_object_get(cin, "con"));
	struct esfd_dar_hdr hdr;
	struct dar_item *it;
	size_t i;
	int err;

	if (!esfd_container_acl_has(k->writers, req->fr))
		return refuse(d, true, ESFD_RSC_ORIGINATOR_HAS_NO_PRIVILEGE,
			      "not a writer of this container", why);
	if (req->ty != 4 || !obj || json_object_size(req->pc) != 1)
		return refuse(d, false, ESFD_RSC_BAD_REQUEST, "CREATE takes ty 4 and "
			      "{\"m2m:cin\":{\"con\": a sealed object}}", why);
	err = esfd_dar_parse(obj, k->id, &hdr);
	if (err)
		return refuse(d, false, ESFD_RSC_BAD_REQUEST, err == -EXDEV ?
			      "the object is sealed for another container" :
			      "con is not a sealed contentInstance (esf-dar JWE or JWS)", why);
	for (i = 0; i < h->n; i++) {
		if (strcmp(h->items[i].rn, hdr.rn))
			continue;
		/* A retransmission of the CREATE that made it: the same answer. */
		if (!strcmp(h->items[i].obj, obj) && !strcmp(h->items[i].by, req->fr)) {
			*pc = cin_json(k, &h->items[i], false);
			return ESFD_RSC_CREATED;
		}
		return refuse(d, false, ESFD_RSC_CONFLICT, "an item of that name exists", why);
	}
	if (h->n >= ITEMS_MAX)
		return refuse(d, false, ESFD_RSC_INTERNAL_SERVER_ERROR, "the store is full", why);
	it = &h->items[h->n];
	memset(it, 0, sizeof(*it));
	snprintf(it->rn, sizeof(it->rn), "%s", hdr.rn);
	snprintf(it->by, sizeof(it->by), "%s", req->fr);
	it->ct = esfd_now(d);
	it->obj = strdup(obj);
	if (!it->obj)
		return refuse(d, false, ESFD_RSC_INTERNAL_SERVER_ERROR, "out of memory", why);
	h->n++;
	err = host_save(h);
	if (err) {
		log_err("[container %s]: writing %s: %s", k->name, h->path, strerror(-err));
		free(it->obj);
		h->n--;
		return refuse(d, false, ESFD_RSC_INTERNAL_SERVER_ERROR,
			      "the store cannot be written", why);
	}
	d->dar->stored++;
	log_info("[container %s]: %s stored %s (%zu bytes sealed; %zu items)", k->name,
		 req->fr, it->rn, strlen(obj), h->n);
	*pc = cin_json(k, it, false);
	return ESFD_RSC_CREATED;
}

static int serve_retrieve(struct esfd *d, size_t ci, const struct esfd_m2m_req *req,
			  const char *rn, json_t **pc, const char **why)
{
	const struct esfd_container_conf *k = cnt_at(d, ci);
	const struct dar_host *h = &d->dar->hosts[ci];
	size_t i;

	if (!esfd_container_acl_has(k->readers, req->fr))
		return refuse(d, true, ESFD_RSC_ORIGINATOR_HAS_NO_PRIVILEGE,
			      "not a reader of this container", why);
	if (!rn || !*rn)
		return refuse(d, false, ESFD_RSC_OPERATION_NOT_ALLOWED, "RETRIEVE an item: "
			      "CONTAINER/NAME or CONTAINER/la", why);
	for (i = h->n; i-- > 0;) {
		if (strcmp(rn, "la") && strcmp(rn, h->items[i].rn))
			continue;
		d->dar->retrieved++;
		log_info("[container %s]: %s retrieved %s", k->name, req->fr, h->items[i].rn);
		*pc = cin_json(k, &h->items[i], true);
		return ESFD_RSC_OK;
	}
	return refuse(d, false, ESFD_RSC_NOT_FOUND, "no such item", why);
}

int esfd_dar_request(struct esfd *d, const char *level, const struct esfd_m2m_req *req,
		     json_t **pc, const char **why)
{
	char fr[ESFD_ID_MAX + 1];
	const char *rest = NULL;
	int ci = hosted(d, req->to, &rest);

	*pc = NULL;
	if (ci < 0)
		return refuse(d, false, ESFD_RSC_NOT_FOUND, "no such container", why);
	/* The broker's topic ACL is what binds "fr" to the client. */
	if (esfd_m2m_topic_id(req->fr, fr, sizeof(fr)) || strcmp(fr, level))
		return refuse(d, false, ESFD_RSC_BAD_REQUEST,
			      "fr is not the originator the topic names", why);
	if (req->op == ESFD_M2M_CREATE && !rest)
		return serve_create(d, (size_t)ci, req, pc, why);
	if (req->op == ESFD_M2M_RETRIEVE)
		return serve_retrieve(d, (size_t)ci, req, rest, pc, why);
	return refuse(d, false, ESFD_RSC_OPERATION_NOT_ALLOWED,
		      "a stored container takes CREATE of a contentInstance and RETRIEVE", why);
}

/* Writers and readers ---------------------------------------------------------- */

static int send_req(struct esfd *d, struct dar_req *q)
{
	int err = esfd_transport_request_to(d, cnt_at(d, q->cnt)->gateway, q->msg, NULL);

	q->next_ms = esfd_now_ms(d) + d->cfg.mqtt.retransmit_ms;
	return err;
}

/* A request to the container's gateway; the reply comes with its answer. */
static json_t *start(struct esfd *d, const struct esfd_client *c, size_t ci, bool get,
		     const char *to, json_t *content)
{
	struct dar_req *q = calloc(1, sizeof(*q));
	json_t *prim;

	if (!q) {
		json_decref(content);
		return error_json(-ENOMEM, 0, NULL);
	}
	snprintf(q->rqi, sizeof(q->rqi), RQI_PREFIX "%d-%llu", (int)getpid(),
		 (unsigned long long)++d->dar->seq);
	q->cnt = ci;
	q->get = get;
	q->fd = c->fd;
	q->deadline_ms = esfd_now_ms(d) + WAIT_MS;
	prim = esfd_m2m_request(get ? ESFD_M2M_RETRIEVE : ESFD_M2M_CREATE, to, d->cfg.id,
				q->rqi, 0, content);
	if (prim && !get)
		json_object_set_new(prim, "ty", json_integer(4));
	q->msg = prim ? esfd_m2m_dump(prim) : NULL;
	json_decref(prim);
	if (!q->msg) {
		free(q);
		return error_json(-ENOMEM, 0, NULL);
	}
	q->next = d->dar->reqs;
	d->dar->reqs = q;
	/* Not up yet: the timer sends it when the broker is. */
	if (esfd_transport_up(d))
		send_req(d, q);
	return NULL;
}

static json_t *ctl_put(struct esfd *d, const struct esfd_client *c, size_t ci, json_t *req)
{
	const struct esfd_container_conf *k = cnt_at(d, ci);
	const char *b = json_string_value(json_object_get(req, "data"));
	uint8_t nonce[ESFD_DAR_NONCE_LEN];
	static uint8_t buf[ESFD_DAR_PT_MAX];
	struct esfd_key_pair root;
	char *obj = NULL;
	size_t n = 0;
	int err;

	if (k->role != ESFD_DAR_WRITER)
		return error_json(-EPERM, 0, "this esfd is not a writer of the container");
	if (!b || json_object_size(req) != 3)
		return error_json(-EINVAL, 0, "dar-put takes \"container\" and \"data\" "
				  "(base64url)");
	err = esfd_b64_decode(b, strlen(b), true, buf, sizeof(buf), &n);
	if (err || !n)
		return error_json(err == -ENOSPC ? -EMSGSIZE : -EINVAL, 0, err == -ENOSPC ?
				  "content larger than 8192 bytes" :
				  "data must be 1..8192 bytes in base64url (no padding)");
	err = getrandom(nonce, sizeof(nonce), 0) == sizeof(nonce) ? 0 : -EIO;
	if (!err)
		err = esfd_dar_root(k->kpsa, k->kpsa_len, k->id, &root);
	if (!err)
		err = esfd_dar_seal(&root, k->id, k->integrity_only, nonce, buf, n, &obj);
	esfd_key_pair_wipe(&root);
	OPENSSL_cleanse(buf, n);
	if (err)
		return error_json(err, 0, "sealing the contentInstance failed");
	d->dar->sealed++;
	log_debug("[container %s]: sealed %zu bytes for uid %u", k->name, n,
		  (unsigned int)c->uid);
	return start(d, c, ci, false, k->id,
		     json_pack("{s:{s:s,s:s}}", "m2m:cin", "cnf", "application/jose", "con",
			       obj));
}

static json_t *ctl_get(struct esfd *d, const struct esfd_client *c, size_t ci, json_t *req)
{
	const struct esfd_container_conf *k = cnt_at(d, ci);
	const char *rn = json_string_value(json_object_get(req, "rn"));
	char to[ESFD_ID_MAX + 1];
	size_t n;

	if (k->role == ESFD_DAR_HOST)
		return error_json(-EPERM, 0, "the container is hosted here: its items do not "
				  "open here (no key)");
	n = rn ? strlen(rn) : 0;
	if (!n || n > ESFD_DAR_RN_MAX || json_object_size(req) != 3 ||
	    strspn(rn, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_") != n)
		return error_json(-EINVAL, 0, "dar-get takes \"container\" and \"rn\" (an "
				  "item's name, or \"la\" for the latest)");
	if (snprintf(to, sizeof(to), "%s/%s", k->id, rn) >= (int)sizeof(to))
		return error_json(-ENAMETOOLONG, 0, "container id and name too long");
	return start(d, c, ci, true, to, NULL);
}

json_t *esfd_dar_ctl(struct esfd *d, const struct esfd_client *c, json_t *req)
{
	const char *cmd = json_string_value(json_object_get(req, "cmd"));
	const char *name = json_string_value(json_object_get(req, "container"));
	size_t i;

	for (i = 0; name && i < d->cfg.n_containers; i++)
		if (!strcmp(cnt_at(d, i)->name, name) || !strcmp(cnt_at(d, i)->id, name))
			break;
	if (!name || i == d->cfg.n_containers || !d->dar)
		return error_json(-ENOENT, 0, "no such [container]");
	if (!esfd_ctl_may_use_id(c, cnt_at(d, i)->owner_uid, cnt_at(d, i)->owner_gid)) {
		log_warn("control: uid %u (pid %d) may not use [container %s]",
			 (unsigned int)c->uid, (int)c->pid, cnt_at(d, i)->name);
		return error_json(-EACCES, 0, "not allowed: root or the container's "
				  "owner-uid / owner-gid");
	}
	if (!strcmp(cmd, "dar-put"))
		return ctl_put(d, c, i, req);
	if (!strcmp(cmd, "dar-get"))
		return ctl_get(d, c, i, req);
	return error_json(-EOPNOTSUPP, 0, "unknown command");
}

static void answer_put(struct esfd *d, struct dar_req *q, const struct esfd_m2m_rsp *rsp)
{
	json_t *cin = json_object_get(rsp->pc, "m2m:cin");
	const char *rn = json_string_value(json_object_get(cin, "rn"));

	if (!rn) {
		reply(d, q, error_json(-EPROTO, 0, "the gateway's answer names no item"));
		return;
	}
	log_info("[container %s]: stored %s at %s", cnt_at(d, q->cnt)->name, rn,
		 cnt_at(d, q->cnt)->gateway);
	reply(d, q, json_pack("{s:i,s:s,s:O?}", "status", 0, "rn", rn, "cs",
			      json_object_get(cin, "cs")));
}

static void answer_get(struct esfd *d, struct dar_req *q, const struct esfd_m2m_rsp *rsp)
{
	const struct esfd_container_conf *k = cnt_at(d, q->cnt);
	json_t *cin = json_object_get(rsp->pc, "m2m:cin");
	const char *obj = json_string_value(json_object_get(cin, "con"));
	const char *rn = json_string_value(json_object_get(cin, "rn"));
	static uint8_t pt[ESFD_DAR_PT_MAX];
	struct esfd_key_pair root;
	char *b = NULL;
	size_t n = 0;
	int err;

	err = obj && rn ? esfd_dar_root(k->kpsa, k->kpsa_len, k->id, &root) : -EPROTO;
	if (!err) {
		err = esfd_dar_open(&root, k->id, k->integrity_only, obj, pt, sizeof(pt), &n);
		esfd_key_pair_wipe(&root);
	}
	if (err) {
		d->dar->open_failed++;
		log_warn("[container %s]: item %s from %s does not open: %s", k->name,
			 rn ? rn : "?", k->gateway, strerror(-err));
		reply(d, q, error_json(err == -ENOSPC ? -EPROTO : err == -EPROTO ? -EPROTO :
				       err == -EMEDIUMTYPE || err == -EXDEV ? err : -EBADMSG, 0,
				       err == -EMEDIUMTYPE ? "the item is not of the kind the "
				       "container's items are (integrity-only or not)" :
				       err == -EXDEV ? "the item is sealed for another container" :
				       err == -EPROTO ? "the gateway's answer holds no sealed item" :
				       "the item does not open under the container's key: "
				       "another key, or it was altered"));
		return;
	}
	d->dar->opened++;
	b = esfd_b64_alloc(pt, n, true);
	OPENSSL_cleanse(pt, n);
	reply(d, q, b ? json_pack("{s:i,s:s,s:s,s:s}", "status", 0, "rn", rn, "data", b,
				  "kind", k->integrity_only ? "jws" : "jwe") :
			error_json(-ENOMEM, 0, NULL));
	if (b)
		OPENSSL_cleanse(b, strlen(b));
	free(b);
}

bool esfd_dar_response(struct esfd *d, const char *level, const struct esfd_m2m_rsp *rsp)
{
	char gw[ESFD_ID_MAX + 1];
	struct dar_req *q;

	if (!d->dar || !rsp->rqi || strncmp(rsp->rqi, RQI_PREFIX, strlen(RQI_PREFIX)))
		return false;
	for (q = d->dar->reqs; q; q = q->next)
		if (!strcmp(q->rqi, rsp->rqi))
			break;
	/* A late copy of an answer already taken, or from whom we did not ask. */
	if (!q || esfd_m2m_topic_id(cnt_at(d, q->cnt)->gateway, gw, sizeof(gw)) ||
	    strcmp(gw, level))
		return true;
	if (rsp->rsc != (q->get ? ESFD_RSC_OK : ESFD_RSC_CREATED)) {
		const char *dbg = json_string_value(json_object_get(rsp->pc, "m2m:dbg"));
		char msg[200];

		snprintf(msg, sizeof(msg), "the gateway %.80s refused: %.80s (oneM2M %d)",
			 cnt_at(d, q->cnt)->gateway, dbg ? dbg : "no reason given", rsp->rsc);
		log_warn("[container %s]: %s", cnt_at(d, q->cnt)->name, msg);
		reply(d, q, error_json(rsp->rsc == ESFD_RSC_ORIGINATOR_HAS_NO_PRIVILEGE ? -EACCES :
				       rsp->rsc == ESFD_RSC_NOT_FOUND ? -ENOENT : -EPROTO,
				       rsp->rsc, msg));
	} else if (q->get) {
		answer_get(d, q, rsp);
	} else {
		answer_put(d, q, rsp);
	}
	req_free(d, q);
	return true;
}

void esfd_dar_timer(struct esfd *d)
{
	int64_t now = esfd_now_ms(d);
	struct dar_req *q, *next;

	for (q = d->dar ? d->dar->reqs : NULL; q; q = next) {
		next = q->next;
		if (now >= q->deadline_ms) {
			reply(d, q, error_json(-ETIMEDOUT, 0, "the container's gateway did not "
					       "answer within 10 s"));
			req_free(d, q);
		} else if (now >= q->next_ms && esfd_transport_up(d)) {
			send_req(d, q);
		}
	}
}

bool esfd_dar_waiting(const struct esfd *d, int fd)
{
	const struct dar_req *q;

	for (q = d->dar ? d->dar->reqs : NULL; q; q = q->next)
		if (q->fd == fd)
			return true;
	return false;
}

void esfd_dar_forget_fd(struct esfd *d, int fd)
{
	struct dar_req *q;

	for (q = d->dar ? d->dar->reqs : NULL; q; q = q->next)
		if (q->fd == fd)
			q->fd = -1;
}

json_t *esfd_dar_status(const struct esfd *d)
{
	const struct esfd_dar *a = d->dar;
	json_t *items = json_object();
	size_t i;

	if (!a)
		return NULL;
	for (i = 0; i < d->cfg.n_containers; i++)
		if (cnt_at(d, i)->role == ESFD_DAR_HOST)
			json_object_set_new(items, cnt_at(d, i)->name,
					    json_integer((json_int_t)a->hosts[i].n));
	return json_pack("{s:o,s:I,s:I,s:I,s:I,s:I,s:I,s:I}", "hosted_items", items,
			 "stored", (json_int_t)a->stored, "retrieved", (json_int_t)a->retrieved,
			 "refused_acl", (json_int_t)a->refused_acl,
			 "refused_other", (json_int_t)a->refused_other,
			 "sealed", (json_int_t)a->sealed, "opened", (json_int_t)a->opened,
			 "open_failed", (json_int_t)a->open_failed);
}
