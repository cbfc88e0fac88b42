// SPDX-License-Identifier: GPL-2.0
/*
 * libesf's client of esfd's control socket (esf_peer_session(),
 * esf_ctl_request()) against a scripted stand-in for esfd: the request it
 * sends, the replies it accepts, and the ones it refuses.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "esf.h"

struct fake {
	char path[108];
	int lfd;
	const char *reply;	/* sent back to one client; NULL: close instead */
	char got[4096];		/* the request it received */
	pthread_t th;
};

static void *serve(void *arg)
{
	struct fake *f = arg;
	int c = accept(f->lfd, NULL, NULL);
	ssize_t n;

	if (c < 0)
		return NULL;
	n = recv(c, f->got, sizeof(f->got) - 1, 0);
	f->got[n > 0 ? n : 0] = '\0';
	if (f->reply)
		send(c, f->reply, strlen(f->reply), MSG_NOSIGNAL);
	close(c);
	return NULL;
}

static void fake_start(struct fake *f, const char *reply)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };

	memset(f, 0, sizeof(*f));
	snprintf(f->path, sizeof(f->path), "/tmp/esf-test-ctl.%d", (int)getpid());
	strcpy(sa.sun_path, f->path);
	unlink(f->path);
	f->lfd = socket(AF_UNIX, SOCK_SEQPACKET, 0);
	if (f->lfd < 0 || bind(f->lfd, (struct sockaddr *)&sa, sizeof(sa)) || listen(f->lfd, 1))
		abort();
	f->reply = reply;
	pthread_create(&f->th, NULL, serve, f);
}

static void fake_stop(struct fake *f)
{
	pthread_join(f->th, NULL);
	close(f->lfd);
	unlink(f->path);
}

#define GOOD "{\"status\":0,\"peer\":\"/in-cse\",\"kid\":\"kpsa-1\",\"class\":1," \
	     "\"seal\":12,\"open\":11,\"ori\":\"o-1\",\"rri\":\"r-1\",\"expires\":1900000000}"

TEST(current_pair)
{
	struct esf_peer_session ps;
	struct fake f;

	fake_start(&f, GOOD);
	ASSERT_EQ(0, esf_peer_session(f.path, "/in-cse", 1, 2500, &ps));
	fake_stop(&f);
	EXPECT_EQ(12, ps.seal_id);
	EXPECT_EQ(11, ps.open_id);
	EXPECT_EQ(1, ps.data_class);
	EXPECT_STREQ("kpsa-1", ps.kid);
	EXPECT_STREQ("o-1", ps.ori);
	EXPECT_STREQ("r-1", ps.rri);
	EXPECT_EQ(1900000000, ps.expires);
	/* What esfd was asked. */
	EXPECT_NE(NULL, strstr(f.got, "\"cmd\":\"session\""));
	EXPECT_NE(NULL, strstr(f.got, "\"peer\":\"/in-cse\""));
	EXPECT_NE(NULL, strstr(f.got, "\"class\":1"));
	EXPECT_NE(NULL, strstr(f.got, "\"timeout\":2500"));
}

TEST(environment_names_the_socket)
{
	struct esf_peer_session ps;
	struct fake f;

	fake_start(&f, GOOD);
	setenv("ESFD_CONTROL_SOCKET", f.path, 1);
	EXPECT_EQ(0, esf_peer_session(NULL, "gw", 1, 0, &ps));
	unsetenv("ESFD_CONTROL_SOCKET");
	fake_stop(&f);
	EXPECT_EQ(NULL, strstr(f.got, "timeout"));
}

struct bad_reply {
	const char *reply;
	int err;
};

static const struct bad_reply bad[] = {
	{ "{\"status\":-13,\"error\":\"not the owner\"}", -EACCES },
	{ "{\"status\":-110,\"error\":\"Connection timed out\"}", -ETIMEDOUT },
	{ "{\"status\":-111,\"error\":\"refused\",\"rsc\":4111}", -ECONNREFUSED },
	{ "{\"status\":5}", -EPROTO },
	{ "{\"status\":-99999}", -EPROTO },
	{ "{\"status\":\"0\"}", -EPROTO },
	{ "[0]", -EPROTO },
	{ "not json", -EPROTO },
	/* Missing or out-of-range members of a success. */
	{ "{\"status\":0,\"class\":1,\"seal\":1,\"open\":2,\"ori\":\"o\",\"rri\":\"r\"}", -EPROTO },
	{ "{\"status\":0,\"kid\":\"k\",\"class\":1,\"seal\":0,\"open\":2,\"ori\":\"o\",\"rri\":\"r\"}",
	  -EPROTO },
	{ "{\"status\":0,\"kid\":\"k\",\"class\":1,\"seal\":4294967296,\"open\":2,\"ori\":\"o\","
	  "\"rri\":\"r\"}", -EPROTO },
	{ "{\"status\":0,\"kid\":\"k\",\"class\":2,\"seal\":1,\"open\":2,\"ori\":\"o\",\"rri\":\"r\"}",
	  -EPROTO },
	{ "{\"status\":0,\"kid\":\"k\",\"class\":1,\"seal\":1,\"open\":2,\"ori\":7,\"rri\":\"r\"}",
	  -EPROTO },
	{ "{\"status\":0,\"kid\":\"kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk\","
	  "\"class\":1,\"seal\":1,\"open\":2,\"ori\":\"o\",\"rri\":\"r\"}", -EPROTO },
	/* esfd closed the connection without answering. */
	{ NULL, -ECONNRESET },
};

TEST(refused_replies)
{
	struct esf_peer_session ps;
	struct fake f;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int r;

		fake_start(&f, bad[i].reply);
		r = esf_peer_session(f.path, "/in-cse", 1, 1000, &ps);
		fake_stop(&f);
		if (r != bad[i].err)
			TH_LOG("case %zu (%s): got %d", i, bad[i].reply ? bad[i].reply : "close", r);
		EXPECT_EQ(bad[i].err, r);
	}
}

TEST(bad_arguments_and_no_daemon)
{
	struct esf_peer_session ps;
	char *reply = NULL;

	EXPECT_EQ(-EINVAL, esf_peer_session("/nonexistent", NULL, 1, 0, &ps));
	EXPECT_EQ(-EINVAL, esf_peer_session("/nonexistent", "p", 0, 0, &ps));
	EXPECT_EQ(-EINVAL, esf_peer_session("/nonexistent", "p", 4, 0, &ps));
	EXPECT_EQ(-EINVAL, esf_peer_session("/nonexistent", "p", 1, 60001, &ps));
	EXPECT_EQ(-ENOENT, esf_peer_session("/nonexistent/esfd.sock", "p", 1, 0, &ps));
	EXPECT_EQ(-ENAMETOOLONG, esf_ctl_request("/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
						 "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
						 "aaaaaaaaaa", "{}", &reply));
	EXPECT_EQ(NULL, reply);
}

TEST(raw_request)
{
	struct fake f;
	char *reply = NULL;

	fake_start(&f, "{\"status\":0,\"pairs\":3}");
	ASSERT_EQ(0, esf_ctl_request(f.path, "{\"cmd\":\"status\"}", &reply));
	fake_stop(&f);
	EXPECT_STREQ("{\"cmd\":\"status\"}", f.got);
	EXPECT_STREQ("{\"status\":0,\"pairs\":3}", reply);
	free(reply);
}

/* A reply larger than 64 KiB (a 1000-member group's server answers
 * "groups" with about 130 KiB) arrives whole.
 */
TEST(large_reply)
{
	size_t len = 150 * 1024, i;
	char *big = malloc(len + 1), *reply = NULL;
	struct fake f;

	ASSERT_NE(NULL, big);
	i = (size_t)snprintf(big, len + 1, "{\"status\":0,\"pad\":\"");
	memset(big + i, 'x', len - i - 2);
	strcpy(big + len - 2, "\"}");
	fake_start(&f, big);
	ASSERT_EQ(0, esf_ctl_request(f.path, "{\"cmd\":\"groups\"}", &reply));
	fake_stop(&f);
	ASSERT_NE(NULL, reply);
	EXPECT_EQ(len, strlen(reply));
	EXPECT_EQ(0, strcmp(big, reply));
	free(reply);
	free(big);
}

TEST_HARNESS_MAIN
