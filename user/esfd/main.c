// SPDX-License-Identifier: GPL-2.0
/*
 * esfd: the key establishment daemon of esf. Options, logging, signals,
 * the event loop and configuration reload. docs/esfd.md.
 */
#include <errno.h>
#include <getopt.h>
#include <libgen.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "esfd.h"

static struct esfd daemon_state;
static bool log_stderr = true;
static bool log_debug_on;

static const char usage_text[] =
"Usage: esfd [OPTIONS]\n"
"\n"
"The esf key establishment daemon: establishes ESPrim session keys with the\n"
"peers of its configuration file (from a pre-provisioned key, a key from a\n"
"facilitator, or a certificate through ESCertKE first), agrees keys with\n"
"peers it meets for the first time by their certificates alone ([p2p]),\n"
"and hands them to esf.ko as kernel sessions; applications ask for them\n"
"through the control socket (libesf's esf_peer_session(), esfctl). It talks\n"
"to its peers in oneM2M primitives through an MQTT broker (TS-0010 topics\n"
"/oneM2M/req|resp/...; mqtt-broker in the configuration). It can also be a\n"
"facilitator, a group key server or member, a mediator gateway (handing\n"
"a core's group key to its area network under a group key of its own),\n"
"a static group authentication server, agent or device, a writer, reader\n"
"or hosting gateway of contentInstances stored encrypted ([container]),\n"
"and admit guest devices into its area network or present a guest token\n"
"in another ([guest]). On a gateway it keeps each peer's role\n"
"(gateway-role: reseal, funnel, aggregator) and, on a public gateway, each\n"
"application's sessions to its own uid. See docs/esfd.md, docs/esfd.conf.md\n"
"and docs/primitives.md.\n"
"\n"
"Options:\n"
"  -c, --config FILE     configuration file (default /etc/esfd/esfd.conf)\n"
"  -s, --state FILE      where the sessions esfd owns are recorded, so that\n"
"                        a restarted esfd adopts them (default\n"
"                        /run/esfd/esfd.state)\n"
"  -f, --foreground      stay in the foreground and log to stderr (default:\n"
"                        detach and log to syslog)\n"
"  -d, --debug           log each primitive published and received\n"
"  -t, --check           check the configuration, its key files and its\n"
"                        certificate credential, then exit\n"
"      --clock-offset S  add S seconds (may be negative) to the clock esfd\n"
"                        uses for rand objects, messages and certificate\n"
"                        validity: for tests of clock skew and expiry\n"
"  -h, --help            this text\n"
"  -V, --version         print the version\n"
"\n"
"Signals: SIGTERM and SIGINT stop esfd, which first deletes the kernel\n"
"sessions it owns; SIGHUP reloads the configuration (a bad file keeps the\n"
"running one); SIGUSR1 stops esfd and leaves its sessions in the kernel\n"
"for the next esfd to adopt from the state file (an upgrade without\n"
"cutting traffic), as a crash or SIGKILL does.\n"
"\n"
"Exit status: 0 after SIGTERM, SIGUSR1 or a good --check; 1 on a\n"
"configuration or start-up error; 2 on a usage error.\n";

void esfd_log(int level, const char *fmt, ...)
{
	va_list ap;

	if (level == LOG_DEBUG_ && !log_debug_on)
		return;
	va_start(ap, fmt);
	if (log_stderr) {
		static const char *const names[8] = {
			[3] = "error", [4] = "warning", [6] = "info", [7] = "debug",
		};
		struct timespec ts;
		struct tm tm;
		char when[32];

		clock_gettime(CLOCK_REALTIME, &ts);
		gmtime_r(&ts.tv_sec, &tm);
		strftime(when, sizeof(when), "%H:%M:%S", &tm);
		fprintf(stderr, "%s.%03ld esfd[%d] %s: ", when, ts.tv_nsec / 1000000,
			(int)getpid(), names[level & 7] ? names[level & 7] : "log");
		vfprintf(stderr, fmt, ap);
		fputc('\n', stderr);
	} else {
		vsyslog(level, fmt, ap);
	}
	va_end(ap);
}

int64_t esfd_now(const struct esfd *d)
{
	return (int64_t)time(NULL) + d->clock_offset;
}

int64_t esfd_wall_ms(const struct esfd *d)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ((int64_t)ts.tv_sec + d->clock_offset) * 1000 + ts.tv_nsec / 1000000;
}

int64_t esfd_now_ms(const struct esfd *d)
{
	struct timespec ts;

	(void)d;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

const struct esfd_peer *esfd_peer_find(const struct esfd *d, const char *id_or_name,
				       size_t *idx)
{
	size_t i, pass;

	/* Ids first: a section name may look like another peer's AE-ID. */
	for (pass = 0; pass < 2; pass++) {
		for (i = 0; i < d->cfg.n_peers; i++) {
			if (strcmp(pass ? d->cfg.peers[i].name : d->cfg.peers[i].id,
				   id_or_name))
				continue;
			if (idx)
				*idx = i;
			return &d->cfg.peers[i];
		}
	}
	/* A dynamic peer (p2p.c) by its id; it has no index in cfg.peers. */
	if (idx)
		*idx = SIZE_MAX;
	return esfd_p2p_find(d, id_or_name);
}

const struct esfd_peer *esfd_peer_by_id(const struct esfd *d, const char *id)
{
	const struct esfd_peer *p = esfd_config_peer_by_id(&d->cfg, id);

	return p ? p : esfd_p2p_find(d, id);
}

/* --check: what the certificate credential is, never the key. */
static void check_certs(struct esfd *d)
{
	const struct esfd_creds *c = d->cfg.certs.creds;
	char subj[256], na[32];
	struct tm tm;
	time_t t = (time_t)c->not_after;

	X509_NAME_oneline(X509_get_subject_name(c->cert), subj, sizeof(subj));
	gmtime_r(&t, &tm);
	strftime(na, sizeof(na), "%Y-%m-%dT%H:%M:%SZ", &tm);
	printf("certificate %s, names %s, ECDSA P-256 key, %d intermediates, valid until %s%s%s\n",
	       subj, d->cfg.id, sk_X509_num(c->chain), na,
	       c->not_after < esfd_now(d) ? " (EXPIRED)" : "", c->crl ? ", CRL checked" : "");
}

static int load_config(const char *path, struct esfd_config *cfg)
{
	struct esfd_config_error e = { 0 };
	int err = esfd_config_load(path, cfg, &e);

	if (err) {
		if (e.line)
			log_err("%s:%u: %s", path, e.line, e.msg);
		else
			log_err("%s: %s", path, e.msg[0] ? e.msg : strerror(-err));
		esfd_config_free(cfg);
	}
	return err;
}

/* Has what a peer's sessions derive from, or how they are made, changed? */
static bool peer_changed(const struct esfd_config *a, const struct esfd_peer *pa,
			 const struct esfd_config *b, const struct esfd_peer *pb)
{
	const struct esfd_policy *x = &a->policies[pa->policy];
	const struct esfd_policy *y = &b->policies[pb->policy];

	return pa->cert != pb->cert || pa->fac != pb->fac ||
	       pa->fac_register != pb->fac_register ||
	       (pa->fac && strcmp(a->peers[pa->fac_peer].id, b->peers[pb->fac_peer].id)) ||
	       strcmp(pa->kpsa_id, pb->kpsa_id) || pa->kpsa_len != pb->kpsa_len ||
	       !esfd_ct_equal(pa->kpsa, pb->kpsa, pa->kpsa_len) || pa->role != pb->role ||
	       x->key_bits != y->key_bits || x->replay_window != y->replay_window ||
	       x->nonce_policy != y->nonce_policy ||
	       x->aead != y->aead || x->tag_len != y->tag_len ||
	       x->require_hw != y->require_hw || strcmp(x->driver, y->driver) ||
	       x->owner_uid != y->owner_uid ||
	       x->owner_gid != y->owner_gid || x->data_classes != y->data_classes ||
	       strcmp(a->id, b->id);
}

/* Must what was made for peer @id under @a go under @b: the peer is missing
 * from either, or changed?
 */
static bool peer_stale(const struct esfd_config *a, const struct esfd_config *b, const char *id)
{
	const struct esfd_peer *pa = esfd_config_peer_by_id(a, id);
	const struct esfd_peer *pb = esfd_config_peer_by_id(b, id);

	return !pa || !pb || peer_changed(a, pa, b, pb);
}

/* ESCertKE's TLS context from the configuration's credentials, if any. */
static int tls_setup(struct esfd *d, const struct esfd_config *cfg, SSL_CTX **out)
{
	*out = NULL;
	if (!cfg->certs.creds)
		return 0;
	*out = esfd_certke_ctx(cfg->certs.creds);
	if (!*out) {
		log_err("cannot make the TLS context of the certificate credentials");
		return -EINVAL;
	}
	(void)d;
	return 0;
}

static bool str_changed(const char *a, const char *b)
{
	return strcmp(a ? a : "", b ? b : "");
}

static bool mqtt_changed(const struct esfd_mqtt_conf *a, const struct esfd_mqtt_conf *b)
{
	return memcmp(&a->broker, &b->broker, sizeof(a->broker)) ||
	       strcmp(a->client_id, b->client_id) || strcmp(a->username, b->username) ||
	       strcmp(a->password, b->password) || str_changed(a->ca_file, b->ca_file) ||
	       a->keepalive != b->keepalive;
}

/* SIGHUP: a new configuration replaces the old one only when it is valid.
 * Sessions of peers that are gone or whose credential or policy changed
 * are deleted; the others stay.
 */
static void reload(struct esfd *d)
{
	struct esfd_config n = { 0 };
	struct esfd_guest_conf guest_old;
	struct esfd_group_rt *groups;
	struct esfd_peer_rt *rt;
	SSL_CTX *tls;
	struct esfd_pair *p, *nx;
	struct esfd_exch *x, *xn;
	size_t i, j;

	log_info("SIGHUP: reloading %s", d->config_path);
	if (load_config(d->config_path, &n)) {
		log_err("reload failed: keeping the running configuration");
		return;
	}
	if (tls_setup(d, &n, &tls)) {
		log_err("reload failed: keeping the running configuration");
		esfd_config_free(&n);
		return;
	}
	if (strcmp(n.control_socket, d->cfg.control_socket) || mqtt_changed(&n.mqtt, &d->cfg.mqtt))
		log_warn("mqtt-* and control-socket changes take effect at restart");
	esfd_crypto_select(n.crypto_backend);
	esfd_p2p_reload(d, &n);
	for (p = d->pairs; p; p = nx) {
		nx = p->next;
		if (!esfd_p2p_find(d, p->peer_id) && peer_stale(&d->cfg, &n, p->peer_id))
			esfd_pair_remove(d, p, "peer removed or changed by reload");
	}
	/* An exchange under way holds keys of the old configuration (the
	 * session key from the old Kpsa, the old policy's pair): left
	 * running, it would install them after the reload. Its waiters are
	 * told; the next request or rekey starts under the new configuration.
	 */
	for (x = d->exchs; x; x = xn) {
		xn = x->next;
		if (!esfd_p2p_find(d, x->peer_id) && peer_stale(&d->cfg, &n, x->peer_id))
			esfd_exch_cancel(d, x, "cancelled: the peer was removed or changed by a "
					 "configuration reload");
	}
	rt = calloc(n.n_peers ? n.n_peers : 1, sizeof(*rt));
	if (!rt || esfd_group_reload(d, &n, &groups)) {
		log_err("reload: out of memory; keeping the running configuration");
		free(rt);
		SSL_CTX_free(tls);
		esfd_config_free(&n);
		return;
	}
	/* Held requests are answered while the old peers' state is in place
	 * (their answers are kept for retransmissions, and move with it).
	 */
	esfd_gauth_shutdown(d);
	/* Containers start again from their stores with the new sections. */
	esfd_dar_shutdown(d);
	/* The keys the facilitator holds stay; a new store path waits for a
	 * restart (and one no longer a facilitator wipes them).
	 */
	for (i = 0; i < n.n_peers; i++) {
		for (j = 0; j < d->cfg.n_peers; j++) {
			if (!strcmp(n.peers[i].id, d->cfg.peers[j].id) &&
			    !peer_changed(&d->cfg, &d->cfg.peers[j], &n, &n.peers[i])) {
				rt[i] = d->rt[j];
				memset(&d->rt[j], 0, sizeof(d->rt[j]));
			}
		}
	}
	esfd_peer_rt_free(d->rt, d->cfg.n_peers);
	free(d->rt);
	guest_old = d->cfg.guest;
	d->cfg.guest.trust_file = d->cfg.guest.revocation_file = d->cfg.guest.key_file = NULL;
	esfd_config_free(&d->cfg);
	d->cfg = n;
	d->rt = rt;
	d->groups = groups;
	SSL_CTX_free(d->tls);
	d->tls = tls;
	esfd_certke_recheck(d);
	esfd_p2p_recheck(d);
	esfd_state_save(d);
	log_info("configuration reloaded: %zu peers, %zu policies, %zu groups", n.n_peers,
		 n.n_policies, n.n_groups);
	/* A group whose membership changed gets a new key now (revoke, join). */
	if (esfd_group_start(d) || esfd_gauth_start(d))
		log_err("reload: groups: out of memory");
	if (!d->p2p && esfd_p2p_start(d))
		log_err("reload: [p2p]: out of memory: no peer-to-peer agreement");
	if (esfd_fac_start(d))
		log_err("reload: the facilitator's key store cannot be read: this esfd "
			"serves no keys until it can");
	if (esfd_dar_start(d))
		log_err("reload: [container]: a store cannot be read: no data at rest until "
			"it can");
	esfd_guest_reload(d, &guest_old);
	free(guest_old.trust_file);
	free(guest_old.revocation_file);
	free(guest_old.key_file);
}

static int setup_signals(struct esfd *d)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGUSR1);
	if (sigprocmask(SIG_BLOCK, &set, NULL))
		return -errno;
	signal(SIGPIPE, SIG_IGN);
	d->sig = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	return d->sig < 0 ? -errno : 0;
}

static void signal_input(struct esfd *d)
{
	struct signalfd_siginfo si;

	while (read(d->sig, &si, sizeof(si)) == sizeof(si)) {
		if (si.ssi_signo == SIGHUP) {
			reload(d);
		} else if (si.ssi_signo == SIGUSR1) {
			log_info("SIGUSR1: stopping and leaving the sessions to the next esfd");
			d->keep_sessions = true;
			d->stop = true;
		} else {
			log_info("%s: shutting down", strsignal((int)si.ssi_signo));
			d->stop = true;
		}
	}
}

/* How long poll() may sleep: the exchanges' and the broker's timers. */
static int poll_timeout(struct esfd *d)
{
	int t = esfd_mqtt_timeout_ms(d->mqtt, esfd_now_ms(d));

	return t < 100 ? t : 100;
}

static void run(struct esfd *d)
{
	struct pollfd pfd[4 + ESFD_MAX_CLIENTS];
	struct esfd_client *cl[ESFD_MAX_CLIENTS];
	size_t n, i, nc;

	while (!d->stop) {
		n = 0;
		pfd[n++] = (struct pollfd){ .fd = d->sig, .events = POLLIN };
		esfd_transport_pollfd(d, &pfd[n++]);
		pfd[n++] = (struct pollfd){ .fd = esf_nl_fd(d->nl_ev), .events = POLLIN };
		pfd[n++] = (struct pollfd){ .fd = d->ctl, .events = POLLIN };
		nc = 0;
		for (i = 0; i < ESFD_MAX_CLIENTS; i++) {
			if (d->clients[i].fd < 0)
				continue;
			cl[nc++] = &d->clients[i];
			pfd[n++] = (struct pollfd){ .fd = d->clients[i].fd, .events = POLLIN };
		}
		if (poll(pfd, n, poll_timeout(d)) < 0 && errno != EINTR) {
			log_err("poll: %s", strerror(errno));
			break;
		}
		if (pfd[0].revents)
			signal_input(d);
		if (d->stop)
			break;
		/* The kernel's events first: after a module reload, the new
		 * family's handles must be in place before a peer's request
		 * that followed the reload is served.
		 */
		if (pfd[2].revents)
			esfd_kernel_events(d);
		esfd_transport_service(d, pfd[1].fd >= 0 ? pfd[1].revents : 0);
		if (pfd[3].revents)
			esfd_ctl_accept(d);
		for (i = 0; i < nc; i++)
			if (pfd[4 + i].revents && cl[i]->fd >= 0)
				esfd_ctl_input(d, cl[i]);
		esfd_exch_timer(d);
		esfd_pairs_timer(d);
		esfd_group_timer(d);
		esfd_gauth_timer(d);
		esfd_fac_timer(d);
		esfd_dar_timer(d);
		esfd_guest_timer(d);
		esfd_ctl_timer(d);
		esfd_oneshot_timer(d);
		esfd_state_flush(d);
	}
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "state", required_argument, NULL, 's' },
		{ "foreground", no_argument, NULL, 'f' },
		{ "debug", no_argument, NULL, 'd' },
		{ "check", no_argument, NULL, 't' },
		{ "clock-offset", required_argument, NULL, 'O' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct esfd *d = &daemon_state;
	bool check = false;
	char *end;
	int c, err, i;

	d->config_path = "/etc/esfd/esfd.conf";
	d->state_path = "/run/esfd/esfd.state";
	d->ctl = d->sig = -1;
	for (i = 0; i < ESFD_MAX_CLIENTS; i++)
		d->clients[i].fd = -1;
	while ((c = getopt_long(argc, argv, "c:s:fdthV", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			d->config_path = optarg;
			break;
		case 's':
			d->state_path = optarg;
			break;
		case 'f':
			d->foreground = true;
			break;
		case 'd':
			d->debug = log_debug_on = true;
			break;
		case 't':
			check = true;
			break;
		case 'O':
			errno = 0;
			d->clock_offset = strtoll(optarg, &end, 10);
			if (errno || *end || !*optarg || d->clock_offset > 86400 * 365 ||
			    d->clock_offset < -86400 * 365) {
				fprintf(stderr, "esfd: bad --clock-offset '%s'\n", optarg);
				return 2;
			}
			break;
		case 'h':
			fputs(usage_text, stdout);
			return 0;
		case 'V':
			printf("esfd %s\n", ESF_VERSION);
			return 0;
		default:
			fputs(usage_text, stderr);
			return 2;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "esfd: unexpected argument '%s'\n\n%s", argv[optind], usage_text);
		return 2;
	}
	/* The Kpsas live in this process for its whole life: no core dump
	 * (nor ptrace by other users) may carry them to disk.
	 */
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) ||
	    setrlimit(RLIMIT_CORE, &(struct rlimit){ 0, 0 })) {
		fprintf(stderr, "esfd: cannot turn core dumps off: %s\n", strerror(errno));
		return 1;
	}
	if (load_config(d->config_path, &d->cfg))
		return 1;
	err = esfd_crypto_select(d->cfg.crypto_backend);
	if (err) {
		log_err("crypto-backend %s: %s",
			esfd_crypto_backend_name(d->cfg.crypto_backend), strerror(-err));
		esfd_config_free(&d->cfg);
		return 1;
	}
	if (check) {
		printf("%s: OK: %s (%s), %zu peers, %zu policies, %zu groups, %zu gauth, "
		       "MQTT broker %s port %u%s\n", d->config_path, d->cfg.id,
		       esfd_role_name(d->cfg.role), d->cfg.n_peers, d->cfg.n_policies,
		       d->cfg.n_groups, d->cfg.n_gauths, d->cfg.mqtt.broker.host, d->cfg.mqtt.broker.port,
		       d->cfg.mqtt.ca_file ? " (TLS)" : "");
		if (d->cfg.certs.creds)
			check_certs(d);
		esfd_config_free(&d->cfg);
		return 0;
	}
	if (!d->foreground) {
		if (daemon(0, 0)) {
			log_err("daemon: %s", strerror(errno));
			return 1;
		}
		log_stderr = false;
		openlog("esfd", LOG_PID, LOG_DAEMON);
	}
	d->started = esfd_now(d);
	d->rt = calloc(d->cfg.n_peers ? d->cfg.n_peers : 1, sizeof(*d->rt));
	err = d->rt ? 0 : -ENOMEM;
	if (!err)
		err = tls_setup(d, &d->cfg, &d->tls);
	if (!err)
		err = setup_signals(d);
	if (!err)
		err = esfd_kernel_open(d);
	if (!err)
		err = esfd_p2p_start(d);
	if (!err)
		err = esfd_reconcile(d);
	if (!err)
		err = esfd_transport_open(d);
	if (!err)
		err = esfd_ctl_open(d);
	if (!err)
		err = esfd_group_start(d);
	if (!err)
		err = esfd_gauth_start(d);
	if (!err)
		err = esfd_fac_start(d);
	if (!err)
		err = esfd_dar_start(d);
	if (!err)
		err = esfd_guest_start(d);
	if (!err)
		esfd_reestablish(d);
	if (err) {
		log_err("start-up failed: %s", strerror(-err));
	} else {
		log_info("esfd %s: %s (%s), %zu peers, HMAC by %s; MQTT broker %s port %u "
			 "(topics %s, %s), control socket %s", ESF_VERSION, d->cfg.id,
			 esfd_role_name(d->cfg.role), d->cfg.n_peers,
			 esfd_crypto_backend_name(esfd_crypto_backend()),
			 d->cfg.mqtt.broker.host, d->cfg.mqtt.broker.port, d->sub_req,
			 d->sub_resp, d->cfg.control_socket);
		run(d);
		esfd_state_flush(d);
		/* Clean shutdown: the sessions esfd owns go with it, unless
		 * SIGUSR1 asked to hand them over to the next esfd (an upgrade).
		 */
		esfd_oneshot_flush(d, true);
		esfd_kernel_shutdown(d);
	}
	esfd_gauth_shutdown(d);
	esfd_fac_shutdown(d);
	esfd_dar_shutdown(d);
	esfd_guest_stop(d);
	esfd_group_shutdown(d);
	esfd_oneshot_flush(d, false);
	while (d->exchs)
		esfd_exch_free(d, d->exchs, -ECANCELED, 0);
	esfd_ctl_close(d);
	esfd_transport_close(d);
	esfd_kernel_close(d);
	esfd_kernel_free(d);
	esfd_p2p_free(d);
	if (d->rt)
		esfd_peer_rt_free(d->rt, d->cfg.n_peers);
	free(d->rt);
	SSL_CTX_free(d->tls);
	esfd_config_free(&d->cfg);
	log_info("stopped");
	return err ? 1 : 0;
}
