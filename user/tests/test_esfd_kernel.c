// SPDX-License-Identifier: GPL-2.0
/*
 * esfd's kernel sessions (esfd/kernel.c) against a kernel made of a table
 * in this file: what a restarted esfd adopts from the state file and what
 * it deletes and establishes again, and what a shutdown leaves behind when
 * the kernel refuses to delete a session. The real kernel is in
 * selftests/esf_esfd.sh; here the kernel's answers can be chosen,
 * including the failures that a running esf.ko does not give on demand.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "esfd_clock.h"
#include "esfd_testutil.h"
#include "../esfd/esfd.h"

/* The fake kernel ---------------------------------------------------------- */

#define FAKE_MAX 32

static struct esf_nl_session fake[FAKE_MAX];
static size_t n_fake;
static uint32_t next_id = 100;
/* Session ids whose SESSION_DEL fails, and with what. */
static uint32_t del_fails_id[4];
static int del_fails_err;

/* What esfd asked for through esfd_establish(). */
static char est_peer[8][ESFD_ID_MAX + 1];
static uint8_t est_class[8];
static size_t n_est;

int esf_nl_session_new(struct esf_nl *nl, const struct esf_nl_new *req,
		       struct esf_nl_session *out)
{
	struct esf_nl_session *s = &fake[n_fake];

	(void)nl;
	if (n_fake == FAKE_MAX)
		return -ENOSPC;
	memset(s, 0, sizeof(*s));
	s->id = next_id++;
	snprintf(s->alg, sizeof(s->alg), "%s", req->alg);
	snprintf(s->driver, sizeof(s->driver), "fake-%s", req->alg);
	s->direction = req->direction;
	s->data_class = req->data_class;
	s->session_type = req->session_type;
	s->key_id_len = req->key_id_len;
	memcpy(s->key_id, req->key_id, req->key_id_len);
	s->owner_uid = req->owner_uid;
	s->owner_gid = req->owner_gid;
	s->state = ESF_STATE_ACTIVE;
	n_fake++;
	*out = *s;
	return 0;
}

int esf_nl_session_del(struct esf_nl *nl, uint32_t id)
{
	size_t i;

	(void)nl;
	for (i = 0; i < 4; i++)
		if (del_fails_id[i] && del_fails_id[i] == id)
			return del_fails_err;
	for (i = 0; i < n_fake; i++) {
		if (fake[i].id == id) {
			fake[i] = fake[--n_fake];
			return 0;
		}
	}
	return -ENOENT;
}

int esf_nl_session_dump(struct esf_nl *nl, esf_nl_session_cb cb, void *arg)
{
	size_t i;
	int err;

	(void)nl;
	for (i = 0; i < n_fake; i++) {
		err = cb(&fake[i], arg);
		if (err)
			return err;
	}
	return 0;
}

int esf_nl_session_get(struct esf_nl *nl, uint32_t id, struct esf_nl_session *out)
{
	size_t i;

	(void)nl;
	for (i = 0; i < n_fake; i++) {
		if (fake[i].id == id) {
			*out = fake[i];
			return 0;
		}
	}
	return -ENOENT;
}

static struct esf_nl_session *fake_find(uint32_t id)
{
	size_t i;

	for (i = 0; i < n_fake; i++)
		if (fake[i].id == id)
			return &fake[i];
	return NULL;
}

static bool fake_has(uint32_t id)
{
	size_t i;

	for (i = 0; i < n_fake; i++)
		if (fake[i].id == id)
			return true;
	return false;
}

const char *esf_nl_errmsg(const struct esf_nl *nl)
{
	(void)nl;
	return "";
}

int esf_nl_open(struct esf_nl **nlp)
{
	*nlp = NULL;
	return -ENOSYS;
}

void esf_nl_close(struct esf_nl *nl)
{
	(void)nl;
}

int esf_nl_events_subscribe(struct esf_nl *nl)
{
	(void)nl;
	return -ENOSYS;
}

int esf_nl_fd(const struct esf_nl *nl)
{
	(void)nl;
	return -1;
}

int esf_nl_family_watch(struct esf_nl *nl)
{
	(void)nl;
	return -ENOSYS;
}

int esf_nl_family_present(void)
{
	return 1;
}

/* One esf.ko for the whole test: the family never changes its id. */
int esf_nl_family_id(const struct esf_nl *nl)
{
	(void)nl;
	return 0x20;
}

int esf_nl_events_read(struct esf_nl *nl, esf_nl_event_cb cb, void *arg)
{
	(void)nl;
	(void)cb;
	(void)arg;
	return -EAGAIN;
}

/* The rest of the daemon that kernel.c calls ---------------------------------- */

int esfd_establish(struct esfd *d, const struct esfd_peer *peer, uint8_t data_class,
		   int waiter_fd, int timeout_ms, uint32_t rekey_of)
{
	(void)d;
	(void)waiter_fd;
	(void)timeout_ms;
	(void)rekey_of;
	if (n_est < 8) {
		snprintf(est_peer[n_est], sizeof(est_peer[n_est]), "%s", peer->id);
		est_class[n_est++] = data_class;
	}
	return -EINPROGRESS;
}

const char *esfd_peer_kid(const struct esfd *d, const struct esfd_peer *peer)
{
	(void)d;
	return peer->kpsa_id;
}

/* oneshot.c's needs (its own test is test_esfd_oneshot). */
json_t *esfd_ctl_error(int err, const char *msg)
{
	return json_pack("{s:i,s:s}", "status", err, "error", msg ? msg : "");
}

bool esfd_ctl_may_use_key(const struct esfd *d, const struct esfd_client *c)
{
	(void)d;
	(void)c;
	return false;
}

/* The daemon under test ------------------------------------------------------- */

#define KEY_A "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
#define KEY_B "ff0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"

/* A gateway with one peer; @policy_extra and @key vary the configuration. */
static int config(struct esfd_config *c, const char *kpsa_id, const char *key,
		  const char *policy_extra)
{
	struct esfd_config_error e = { 0 };
	char text[1024];
	int err;

	snprintf(text, sizeof(text),
		 "[esfd]\nid = /mn-cse\nrole = gateway\nmqtt-broker = 127.0.0.1:1883\n"
		 "control-socket = /nonexistent/esfd.sock\n\n"
		 "[policy default]\n%s\n\n"
		 "[peer in]\nid = /in-cse\nrole = server\nkpsa-id = %s\nkpsa = %s\n",
		 policy_extra, kpsa_id, key);
	memset(c, 0, sizeof(*c));
	err = esfd_config_parse(text, strlen(text), c, &e);
	if (err)
		fprintf(stderr, "# config line %u: %s\n", e.line, e.msg);
	return err;
}

static void start(struct esfd *d, const char *state, const char *kpsa_id, const char *key,
		  const char *policy_extra)
{
	memset(d, 0, sizeof(*d));
	d->state_path = state;
	if (config(&d->cfg, kpsa_id, key, policy_extra))
		abort();
	d->rt = calloc(d->cfg.n_peers, sizeof(*d->rt));
	if (!d->rt)
		abort();
}

/* A SIGUSR1 or a crash: the pairs stay in the kernel and the state file. */
static void vanish(struct esfd *d)
{
	struct esfd_pair *p;

	while ((p = d->pairs)) {
		d->pairs = p->next;
		free(p);
	}
	free(d->rt);
	esfd_config_free(&d->cfg);
}

/* Install a class 1 pair with the peer, as an establishment would. */
static struct esfd_pair *install_as(struct esfd *d, bool originator)
{
	struct esfd_randobj r = { .id = "rcv-1" }, o = { .id = "ori-1" };
	struct esfd_pair_keys k = { .alg = "gcm(aes)", .key_len = 32, .tag_len = 16 };
	struct esfd_pair *p = NULL;

	r.expiry = o.expiry = esfd_now(d) + 3600;
	memset(k.key, 0x5a, sizeof(k.key));
	memset(k.salt_base, 0xa5, sizeof(k.salt_base));
	if (esfd_pair_install(d, &d->cfg.peers[0], 1, &k, &r, &o, originator, &p))
		return NULL;
	esfd_pair_promote(d, p);
	esfd_state_flush(d);	/* as the event loop does after each pass */
	return p;
}

static struct esfd_pair *install(struct esfd *d)
{
	return install_as(d, false);
}

static size_t count_pairs(const struct esfd *d)
{
	const struct esfd_pair *p;
	size_t n = 0;

	for (p = d->pairs; p; p = p->next)
		n++;
	return n;
}

FIXTURE(restart) {
	struct esfd d;
	char state[64];
	uint32_t seal, open;
};

FIXTURE_SETUP(restart)
{
	struct esfd_pair *p;

	n_fake = 0;
	n_est = 0;
	memset(del_fails_id, 0, sizeof(del_fails_id));
	snprintf(self->state, sizeof(self->state), "/tmp/esfd-kernel-test.%d.state",
		 (int)getpid());
	start(&self->d, self->state, "kpsa-in-mn", KEY_A, "owner-uid = 1000\nowner-gid = 1000");
	p = install(&self->d);
	ASSERT_NE(NULL, p);
	self->seal = p->seal_id;
	self->open = p->open_id;
	ASSERT_EQ(2, n_fake);
	vanish(&self->d);
}

FIXTURE_TEARDOWN(restart)
{
	unlink(self->state);
}

/* A restart under @kpsa_id, @key and @policy does not adopt the recorded
 * pair: both its sessions are deleted, and one new pair is asked for.
 */
static void replaced(struct __test_metadata *_metadata, FIXTURE_DATA(restart) *self,
		     const char *kpsa_id, const char *key, const char *policy)
{
	start(&self->d, self->state, kpsa_id, key, policy);
	ASSERT_EQ(0, esfd_reconcile(&self->d));
	EXPECT_EQ(0, count_pairs(&self->d));
	EXPECT_FALSE(fake_has(self->seal) || fake_has(self->open));
	esfd_reestablish(&self->d);
	EXPECT_EQ(1, n_est);
	vanish(&self->d);
}

/* Nothing changed: the next esfd adopts the pair and asks for nothing. */
TEST_F(restart, same_configuration_adopts)
{
	start(&self->d, self->state, "kpsa-in-mn", KEY_A, "owner-uid = 1000\nowner-gid = 1000");
	ASSERT_EQ(0, esfd_reconcile(&self->d));
	EXPECT_EQ(1, count_pairs(&self->d));
	EXPECT_TRUE(fake_has(self->seal) && fake_has(self->open));
	esfd_reestablish(&self->d);
	EXPECT_EQ(0, n_est);
	vanish(&self->d);
}

/* A pair whose owner is not the policy's any more goes, and a new one is
 * asked for: the kernel would let the old owner keep using it.
 */
TEST_F(restart, owner_uid_change_not_adopted)
{
	replaced(_metadata, self, "kpsa-in-mn", KEY_A, "owner-uid = 1001\nowner-gid = 1000");
	ASSERT_EQ(1, n_est);
	EXPECT_STREQ("/in-cse", est_peer[0]);
	EXPECT_EQ(1, est_class[0]);
}

TEST_F(restart, owner_gid_change_not_adopted)
{
	replaced(_metadata, self, "kpsa-in-mn", KEY_A, "owner-uid = 1000\nowner-gid = 1002");
}

/* Another Kpsa under the same KpsaId: the key id in the kernel matches,
 * only the state file's Kpsa check value tells.
 */
TEST_F(restart, kpsa_change_same_id_not_adopted)
{
	replaced(_metadata, self, "kpsa-in-mn", KEY_B, "owner-uid = 1000\nowner-gid = 1000");
}

TEST_F(restart, kpsa_id_change_not_adopted)
{
	replaced(_metadata, self, "kpsa-in-mn-2", KEY_A, "owner-uid = 1000\nowner-gid = 1000");
}

/* The state file never carries the Kpsa, only its check value. */
TEST_F(restart, state_file_has_no_key)
{
	size_t len;
	char *text = esfd_test_read_file(self->state, &len);

	ASSERT_NE(NULL, text);
	EXPECT_EQ(NULL, strstr(text, KEY_A));
	EXPECT_EQ(NULL, strstr(text, "0001020304050607"));
	EXPECT_NE(NULL, strstr(text, "\"kcv\""));
	free(text);
}

/* Rekeying: how long the superseded pair keeps opening ------------------------ */

FIXTURE(retire) {
	struct esfd d;
	char state[64];
};

FIXTURE_SETUP(retire)
{
	n_fake = 0;
	esfd_test_clock_ahead = 0;
	memset(del_fails_id, 0, sizeof(del_fails_id));
	snprintf(self->state, sizeof(self->state), "/tmp/esfd-kernel-test.%d.state",
		 (int)getpid());
	start(&self->d, self->state, "kpsa-in-mn", KEY_A, "");
}

FIXTURE_TEARDOWN(retire)
{
	esfd_test_clock_ahead = 0;
	vanish(&self->d);
	unlink(self->state);
}

/*
 * The receiver installed its new pair and answered; every copy of the
 * answer was lost, so the originator still seals under the old pair and
 * retransmits its request until its establishment gives up, up to
 * ESFD_EXCH_LIFETIME_MS later. The old pair must still open then.
 */
TEST_F(retire, receiver_keeps_old_pair_past_originator_retransmissions)
{
	struct esfd_pair *old = install_as(&self->d, false), *cur;
	uint32_t old_open;

	ASSERT_NE(NULL, old);
	old_open = old->open_id;
	cur = install_as(&self->d, false);
	ASSERT_NE(NULL, cur);
	esfd_test_clock_ahead = ESFD_EXCH_LIFETIME_MS / 1000 + 1;
	esfd_pairs_timer(&self->d);
	EXPECT_TRUE(fake_has(old_open));
	EXPECT_EQ(2, count_pairs(&self->d));
	/* ... and not for ever: after the originator's last retransmission
	 * and the usual grace it goes.
	 */
	esfd_test_clock_ahead = ESFD_EXCH_LIFETIME_MS / 1000 + ESFD_RETIRE_GRACE + 1;
	esfd_pairs_timer(&self->d);
	EXPECT_FALSE(fake_has(old_open));
	EXPECT_EQ(1, count_pairs(&self->d));
}

/* The originator sealed under the new pair and the receiver opened it: the
 * old pair need not wait for retransmissions any more, only the grace.
 */
TEST_F(retire, receiver_retires_sooner_once_originator_uses_new_pair)
{
	struct esfd_pair *old = install_as(&self->d, false), *cur;
	struct esf_nl_session *s;
	uint32_t old_open;

	ASSERT_NE(NULL, old);
	old_open = old->open_id;
	cur = install_as(&self->d, false);
	ASSERT_NE(NULL, cur);
	esfd_test_clock_ahead = 1;
	esfd_pairs_timer(&self->d);
	EXPECT_TRUE(fake_has(old_open));
	s = fake_find(cur->open_id);
	ASSERT_NE(NULL, s);
	s->stats[ESF_STATS_A_OPEN] = 1;
	esfd_test_clock_ahead = 2;
	esfd_pairs_timer(&self->d);
	esfd_test_clock_ahead = 2 + ESFD_RETIRE_GRACE - 1;
	esfd_pairs_timer(&self->d);
	EXPECT_TRUE(fake_has(old_open));
	esfd_test_clock_ahead = 2 + ESFD_RETIRE_GRACE + 1;
	esfd_pairs_timer(&self->d);
	EXPECT_FALSE(fake_has(old_open));
	EXPECT_EQ(1, count_pairs(&self->d));
}

/* The originator installs last: it knows both ends have the new pair. */
TEST_F(retire, originator_retires_after_grace)
{
	struct esfd_pair *old = install_as(&self->d, true);
	uint32_t old_open;

	ASSERT_NE(NULL, old);
	old_open = old->open_id;
	ASSERT_NE(NULL, install_as(&self->d, true));
	esfd_test_clock_ahead = ESFD_RETIRE_GRACE - 1;
	esfd_pairs_timer(&self->d);
	EXPECT_TRUE(fake_has(old_open));
	esfd_test_clock_ahead = ESFD_RETIRE_GRACE + 1;
	esfd_pairs_timer(&self->d);
	EXPECT_FALSE(fake_has(old_open));
}

/* SIGTERM ---------------------------------------------------------------------- */

FIXTURE(shutdown) {
	struct esfd d;
	char state[64];
	uint32_t seal[2], open[2];
};

FIXTURE_SETUP(shutdown)
{
	struct esfd_pair *p;
	int i;

	n_fake = 0;
	n_est = 0;
	memset(del_fails_id, 0, sizeof(del_fails_id));
	snprintf(self->state, sizeof(self->state), "/tmp/esfd-kernel-test.%d.state",
		 (int)getpid());
	start(&self->d, self->state, "kpsa-in-mn", KEY_A, "");
	/* Two pairs: the first retires when the second is made. */
	for (i = 0; i < 2; i++) {
		p = install(&self->d);
		ASSERT_NE(NULL, p);
		self->seal[i] = p->seal_id;
		self->open[i] = p->open_id;
	}
	ASSERT_EQ(4, n_fake);
}

FIXTURE_TEARDOWN(shutdown)
{
	unlink(self->state);
}

static bool state_names(const char *path, uint32_t id)
{
	char needle[32], *text;
	size_t len;
	bool found;

	text = esfd_test_read_file(path, &len);
	if (!text)
		return false;
	snprintf(needle, sizeof(needle), ": %u,", id);
	found = strstr(text, needle) != NULL;
	free(text);
	return found;
}

/* Every deletion succeeds: nothing left, no state file. */
TEST_F(shutdown, clean_removes_state_file)
{
	esfd_kernel_shutdown(&self->d);
	EXPECT_EQ(0, n_fake);
	EXPECT_EQ(NULL, self->d.pairs);
	EXPECT_NE(0, access(self->state, F_OK));
	vanish(&self->d);
}

/* The kernel refuses to delete one session: its pair stays in the state
 * file (the other pair does not), and the next esfd deletes what is left.
 */
TEST_F(shutdown, failed_delete_keeps_state_file)
{
	del_fails_id[0] = self->open[0];
	del_fails_err = -ENOBUFS;
	esfd_kernel_shutdown(&self->d);
	ASSERT_EQ(0, access(self->state, F_OK));
	EXPECT_TRUE(state_names(self->state, self->open[0]));
	EXPECT_FALSE(state_names(self->state, self->open[1]));
	EXPECT_FALSE(state_names(self->state, self->seal[1]));
	EXPECT_TRUE(fake_has(self->open[0]));
	EXPECT_FALSE(fake_has(self->seal[0]));
	EXPECT_EQ(1, n_fake);
	vanish(&self->d);

	/* The next esfd: the pair is half gone, so it deletes the rest. */
	del_fails_id[0] = 0;
	start(&self->d, self->state, "kpsa-in-mn", KEY_A, "");
	ASSERT_EQ(0, esfd_reconcile(&self->d));
	EXPECT_EQ(0, n_fake);
	EXPECT_EQ(0, count_pairs(&self->d));
	vanish(&self->d);
}

TEST_HARNESS_MAIN
