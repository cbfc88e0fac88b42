// SPDX-License-Identifier: GPL-2.0
/*
 * esfd configuration parser: the shipped example parses to what it says,
 * defaults are as documented, a table of malformed files fails at the
 * right line with the right message, several hundred generated mutations of
 * the example (lines deleted, duplicated, replaced, garbage inserted) fail
 * at the line that was changed, no error message ever quotes a key, and
 * key files and the configuration file are refused when others can read
 * them.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "esfd_testutil.h"
#include "../esfd/config.h"

/* The example's inline key, which must never show up in a message. */
#define EXAMPLE_KEY "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"

static int parse(const char *text, struct esfd_config *c, struct esfd_config_error *e)
{
	return esfd_config_parse(text, strlen(text), c, e);
}

static char *example(size_t *len)
{
	char *path = esfd_test_find("ESF_SRCDIR", "user/esfd/esfd.conf.example");
	char *text;

	if (!path) {
		fprintf(stderr, "# user/esfd/esfd.conf.example not found: set "
			"ESF_SRCDIR to the checkout's esfd.conf.example\n");
		return NULL;
	}
	text = esfd_test_read_file(path, len);
	free(path);
	return text;
}

TEST(example_file)
{
	struct esfd_config c;
	struct esfd_config_error e;
	const struct esfd_peer *p;
	const struct esfd_policy *pol;
	size_t len;
	char *text = example(&len);

	ASSERT_NE(NULL, text);
	ASSERT_EQ(0, esfd_config_parse(text, len, &c, &e)) TH_LOG("%u: %s", e.line, e.msg);
	EXPECT_STREQ("/mn-cse-gw01", c.id);
	EXPECT_EQ(ESFD_ROLE_GATEWAY, c.role);
	EXPECT_STREQ("127.0.0.1", c.mqtt.broker.host);
	EXPECT_EQ(8883, c.mqtt.broker.port);
	EXPECT_STREQ("mn-cse-gw01", c.mqtt.username);
	EXPECT_STREQ("keys/mqtt.password", c.mqtt.password_file);
	EXPECT_STREQ("/etc/ssl/certs/broker-ca.pem", c.mqtt.ca_file);
	EXPECT_EQ(30, c.mqtt.keepalive);
	EXPECT_EQ(1000, c.mqtt.retransmit_ms);
	EXPECT_STREQ("", c.mqtt.client_id);
	EXPECT_STREQ("/run/esfd/control.sock", c.control_socket);
	EXPECT_EQ(ESFD_BACKEND_AUTO, c.crypto_backend);
	EXPECT_EQ(120, c.clock_skew);
	ASSERT_EQ(3, c.n_policies);
	ASSERT_EQ(3, c.n_peers);

	pol = &c.policies[0];
	EXPECT_STREQ("default", pol->name);
	EXPECT_EQ(86400, pol->hard.seconds);
	EXPECT_EQ(77760, pol->soft.seconds);
	EXPECT_EQ(1ULL << 36, pol->hard.bytes);
	EXPECT_EQ(3600, pol->rand_lifetime);
	EXPECT_EQ(0x0e, pol->data_classes);

	p = esfd_config_peer_by_id(&c, "Csensor-07");
	ASSERT_NE(NULL, p);
	pol = &c.policies[p->policy];
	EXPECT_STREQ("devices", pol->name);
	EXPECT_EQ(ESFD_AEAD_CCM, pol->aead);
	EXPECT_STREQ("ccm(aes)", esfd_aead_name(pol->aead));
	EXPECT_EQ(16, esfd_policy_key_len(pol));
	EXPECT_EQ(8, pol->tag_len);
	EXPECT_EQ(18000, pol->soft.seconds);
	EXPECT_EQ(21600, pol->hard.seconds);
	EXPECT_EQ(900000, pol->soft.messages);
	/* Hard bytes stay at the default, soft bytes follow them. */
	EXPECT_EQ((1ULL << 36) / 10 * 9, pol->soft.bytes);
	EXPECT_EQ(64, pol->replay_window);
	EXPECT_EQ(1u << 3, pol->data_classes);
	EXPECT_EQ(1800, pol->rand_lifetime);
	EXPECT_STREQ("/etc/esfd/keys/sensor-07.key", p->kpsa_file);
	EXPECT_EQ(0, p->kpsa_len);

	p = esfd_config_peer_by_id(&c, "/in-cse-01");
	ASSERT_NE(NULL, p);
	EXPECT_EQ(ESFD_ROLE_SERVER, p->role);
	EXPECT_STREQ("keys/in-cse.key", p->kpsa_file);
	EXPECT_STREQ("kpsa-gw01-in", p->kpsa_id);
	EXPECT_TRUE(c.policies[p->policy].require_hw);
	EXPECT_STREQ("gcm-aes-caam", c.policies[p->policy].driver);
	EXPECT_EQ(32, esfd_policy_key_len(&c.policies[p->policy]));

	p = esfd_config_peer_by_id(&c, "Cvalve-03");
	ASSERT_NE(NULL, p);
	EXPECT_EQ(NULL, p->kpsa_file);
	ASSERT_EQ(32, p->kpsa_len);
	EXPECT_EQ(0x00, p->kpsa[0]);
	EXPECT_EQ(0x1f, p->kpsa[31]);
	EXPECT_EQ(NULL, esfd_config_peer_by_id(&c, "Cnobody"));
	esfd_config_free(&c);
	free(text);
	esfd_test_leaks();
}

TEST(defaults)
{
	struct esfd_config c;
	struct esfd_config_error e;
	const struct esfd_policy *p;

	ASSERT_EQ(0, parse("[esfd]\nid = /gw\nrole = gateway", &c, &e));
	EXPECT_EQ(0, c.n_peers);
	ASSERT_EQ(1, c.n_policies);
	p = &c.policies[0];
	EXPECT_EQ(ESFD_AEAD_GCM, p->aead);
	EXPECT_EQ(256, p->key_bits);
	EXPECT_EQ(16, p->tag_len);
	EXPECT_EQ(1ULL << 32, p->hard.messages);
	EXPECT_EQ((1ULL << 32) / 10 * 9, p->soft.messages);
	EXPECT_EQ(1024, p->replay_window);
	EXPECT_EQ(ESF_NONCE_ESF, p->nonce_policy);
	EXPECT_FALSE(p->require_hw);
	EXPECT_STREQ("", p->driver);
	EXPECT_EQ(3600, p->rand_lifetime);
	EXPECT_EQ(0, p->owner_uid);
	EXPECT_EQ(0, p->owner_gid);
	EXPECT_STREQ("127.0.0.1", c.mqtt.broker.host);
	EXPECT_EQ(1883, c.mqtt.broker.port);
	EXPECT_EQ(30, c.mqtt.keepalive);
	EXPECT_EQ(1000, c.mqtt.retransmit_ms);
	EXPECT_EQ(NULL, c.mqtt.password_file);
	EXPECT_EQ(NULL, c.mqtt.ca_file);
	esfd_config_free(&c);
	/* Peers that choose their own IVs. */
	ASSERT_EQ(0, parse("[esfd]\nid = /gw\nrole = gateway\n[policy p]\n"
			   "aead = ccm(aes)\nnonce-policy = any", &c, &e));
	EXPECT_EQ(ESF_NONCE_ANY, c.policies[1].nonce_policy);
	esfd_config_free(&c);
	/* A broker by DNS name or IPv6 address. */
	ASSERT_EQ(0, parse("[esfd]\nid=/gw\nrole=peer\nmqtt-broker = broker.example:1884\n"
			   "mqtt-client-id = gw-1\n", &c, &e));
	EXPECT_STREQ("broker.example", c.mqtt.broker.host);
	EXPECT_EQ(1884, c.mqtt.broker.port);
	EXPECT_STREQ("gw-1", c.mqtt.client_id);
	esfd_config_free(&c);
	ASSERT_EQ(0, parse("[esfd]\nid=/gw\nrole=peer\nmqtt-broker = [::1]:1883\n", &c, &e));
	EXPECT_STREQ("::1", c.mqtt.broker.host);
	esfd_config_free(&c);
	/* Session owners. */
	ASSERT_EQ(0, parse("[esfd]\nid=/gw\nrole=peer\n[policy x]\n"
			   "owner-uid = 1000\nowner-gid = 4294967294\n", &c, &e));
	EXPECT_EQ(1000, c.policies[1].owner_uid);
	EXPECT_EQ(4294967294U, c.policies[1].owner_gid);
	esfd_config_free(&c);
	/* Soft follows a changed hard limit; hard 0 (no limit) gives soft 0. */
	ASSERT_EQ(0, parse("[esfd]\nid=/gw\nrole=peer\n[policy x]\n"
			   "lifetime-hard-seconds = 1000\nlifetime-hard-bytes = 0\n"
			   "aead = authenc(hmac(sha256),cbc(aes))\ntag-length = 32\n"
			   "key-size = 128\n", &c, &e));
	p = &c.policies[1];
	EXPECT_EQ(900, p->soft.seconds);
	EXPECT_EQ(0, p->soft.bytes);
	EXPECT_EQ(48, esfd_policy_key_len(p));
	EXPECT_STREQ("authenc(hmac(sha256),cbc(aes))", esfd_aead_name(p->aead));
	esfd_config_free(&c);
	/* CRLF files, tabs, comments with UTF-8. */
	ASSERT_EQ(0, parse("# caf\xc3\xa9\r\n[esfd]\r\n\tid\t=\t/gw \r\n"
			   "  ; x\r\nrole=server\r\n", &c, &e)) TH_LOG("%s", e.msg);
	EXPECT_STREQ("/gw", c.id);
	esfd_config_free(&c);
	esfd_test_leaks();
}

struct bad_conf {
	const char *text;	/* appended to a valid [esfd] of 3 lines */
	unsigned int line;
	const char *msg;	/* a substring of the message */
};

#define PEER "[peer p]\nid = /in\nrole = server\nkpsa-id = k\n"
#define KEY32 "00112233445566778899aabbccddeeff"

static const struct bad_conf bad[] = {
	{ "garbage", 4, "expected 'key = value'" },
	{ "[esfd", 4, "must end with ']'" },
	{ "[]", 4, "unknown section" },
	{ "[global]", 4, "unknown section '[global]'" },
	{ "[esfd x]", 4, "takes no name" },
	{ "[esfd]", 4, "[esfd] already defined on line 1" },
	{ "[peer]", 4, "needs a name" },
	{ "[policy]", 4, "needs a name" },
	{ "[peer a b]", 4, "needs a name" },
	{ "[peer  a]", 4, "needs a name" },
	{ "[peer a/b]", 4, "needs a name" },
	{ "[peer aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa]", 4, "needs a name" },
	{ "[Peer a]", 4, "unknown section" },
	{ " [peer a] x", 4, "must end with ']'" },
	{ "id = /x", 4, "'id' already set on line 2" },
	{ "ID = /x", 4, "unknown key 'ID'" },
	{ "mqtt-broker = ", 4, "'mqtt-broker' needs a value" },
	{ "mqtt-broker", 4, "expected 'key = value'" },
	{ "= x", 4, "unknown key ''" },
	{ "listen = 0.0.0.0:7414", 4, "'listen' is gone" },
	{ "mqtt-broker = 0.0.0.0", 4, "not host:port" },
	{ "mqtt-broker = 0.0.0.0:0", 4, "bad port" },
	{ "mqtt-broker = 0.0.0.0:65536", 4, "bad port" },
	{ "mqtt-broker = 0.0.0.0:080", 4, "bad port" },
	{ "mqtt-broker = 0.0.0.0:+80", 4, "bad port" },
	{ "mqtt-broker = 0.0.0.0:", 4, "bad port" },
	{ "mqtt-broker = ::1:80", 4, "not host:port" },
	{ "mqtt-broker = [::1]80", 4, "not host:port" },
	{ "mqtt-broker = [::g]:80", 4, "bad host" },
	{ "mqtt-broker = 256.0.0.1:80", 4, "bad host" },
	{ "mqtt-broker = host_x.example:80", 4, "bad host" },
	{ "mqtt-client-id = a b", 4, "mqtt-client-id must be" },
	{ "mqtt-username = a\x01" "b", 4, "control character" },
	{ "mqtt-username = "
	  "uuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuu"
	  "uuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuu", 4, "mqtt-username must be" },
	{ "mqtt-keepalive = 4", 4, "out of range" },
	{ "mqtt-keepalive = 2h", 4, "out of range" },
	{ "mqtt-retransmit = 0", 4, "out of range" },
	{ "mqtt-retransmit = 2m", 4, "out of range" },
	{ "control-socket = run/esfd.sock", 4, "absolute path" },
	{ "control-socket = /run/esfd/a b", 4, "absolute path" },
	{ "control-socket = /aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	  "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", 4, "absolute path" },
	{ "crypto-backend = kernel", 4, "unknown crypto-backend" },
	{ "clock-skew = 0", 4, "out of range" },
	{ "clock-skew = 2h", 4, "out of range" },
	{ "clock-skew = 2 m", 4, "not a number" },
	{ "clock-skew = 2M", 4, "not a number" },
	{ "clock-skew = -5", 4, "not a number" },
	{ "x\x01y = 1", 4, "control character at column 2" },
	{ "id\xc3\xa9 = 1", 4, "non-ASCII character at column 3" },
	{ "[policy p]\naead = gcm", 5, "unknown aead" },
	{ "[policy p]\naead = GCM(AES)", 5, "unknown aead" },
	{ "[policy p]\nkey-size = 512", 5, "128, 192 or 256" },
	{ "[policy p]\nkey-size = 0x80", 5, "128, 192 or 256" },
	{ "[policy p]\ntag-length = 3", 5, "out of range" },
	{ "[policy p]\nowner-uid = 4294967295", 5, "out of range" },
	{ "[policy p]\nowner-gid = -1", 5, "not a number" },
	{ "[policy p]\ntag-length = 33", 5, "out of range" },
	{ "[policy p]\ntag-length = 10", 5, "not valid for gcm(aes)" },
	{ "[policy p]\naead = ccm(aes)\ntag-length = 7", 6, "not valid for ccm(aes)" },
	{ "[policy p]\ntag-length = 14\naead = rfc4106(gcm(aes))", 5,
	  "not valid for rfc4106(gcm(aes))" },
	{ "[policy p]\naead = authenc(hmac(sha256),cbc(aes))\ntag-length = 8", 6,
	  "not valid for authenc" },
	{ "[policy p]\nreplay-window = 65537", 5, "out of range" },
	{ "[policy p]\nnonce-policy = random", 5, "nonce-policy is esf or any" },
	{ "[policy p]\naead = authenc(hmac(sha256),cbc(aes))\nnonce-policy = any", 6,
	  "needs aead gcm(aes) or ccm(aes)" },
	{ "[policy p]\nnonce-policy = any\nreplay-window = 0", 6,
	  "needs a replay-window" },
	{ "[policy p]\nrequire-hardware = true", 5, "not yes or no" },
	{ "[policy p]\ndriver = gcm-aes caam", 5, "crypto driver name" },
	{ "[policy p]\ndriver = gcm-aes-\x01", 5, "control character" },
	{ "[policy p]\ndriver = "
	  "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
	  5, "crypto driver name" },
	{ "[policy p]\ndata-classes = 4", 5, "data-classes" },
	{ "[policy p]\ndata-classes = 1,1", 5, "data-classes" },
	{ "[policy p]\ndata-classes = 1,", 5, "data-classes" },
	{ "[policy p]\ndata-classes = ,1", 5, "data-classes" },
	{ "[policy p]\ndata-classes = 1;2", 5, "data-classes" },
	{ "[policy p]\ndata-classes = 0", 5, "data-classes" },
	{ "[policy p]\nesprim-rand-lifetime = 59", 5, "out of range" },
	{ "[policy p]\nesprim-rand-lifetime = 31d", 5, "out of range" },
	{ "[policy p]\nlifetime-hard-bytes = 1P", 5, "not a number" },
	{ "[policy p]\nlifetime-hard-bytes = 16777216T", 5, "out of range" },
	{ "[policy p]\nlifetime-hard-messages = 18446744073709551616", 5, "out of range" },
	{ "[policy p]\nlifetime-hard-messages = 1K", 5, "not a number" },
	{ "[policy p]\nlifetime-hard-seconds = 1w", 5, "not a number" },
	{ "[policy p]\nlifetime-soft-seconds = 100\nlifetime-hard-seconds = 100", 5,
	  "must be below" },
	{ "[policy p]\nlifetime-hard-messages = 10\nlifetime-soft-messages = 11", 6,
	  "must be below" },
	{ "[policy p]\nlifetime-soft-bytes = 2G\nlifetime-hard-bytes = 1G", 5,
	  "must be below" },
	{ "[policy p]\nkpsa = " KEY32, 5, "unknown key 'kpsa'" },
	{ "[policy p]\nprofile = gold", 5,
	  "unknown profile 'gold' (baseline, standard, high, constrained)" },
	{ "[policy p]\nprofile = high", 5,
	  "[policy p] breaks profile high: lifetime-hard-seconds 86400 is over the profile's 3600" },
	{ "[policy p]\nprofile = high\nkey-size = 128", 5,
	  "breaks profile high: key-size 128 is not one the profile allows" },
	{ "[policy p]\nlifetime-hard-seconds = 1h\nnonce-policy = any\nprofile = high", 7,
	  "breaks profile high: nonce-policy any is not one the profile allows" },
	{ "[policy p]\nprofile = standard\nlifetime-hard-seconds = 0", 5,
	  "lifetime-hard-seconds is unlimited; the profile allows at most 86400" },
	{ "[policy p]\nprofile = standard\naead = authenc(hmac(sha256),cbc(aes))", 5,
	  "aead authenc(hmac(sha256),cbc(aes)) is not one the profile allows" },
	{ "[policy p]\naead = hmac(sha256)\nprofile = standard", 6,
	  "[policy p] breaks profile standard: aead hmac(sha256) is not one the profile allows" },
	{ "[policy p]\naead = hmac(sha256)\ntag-length = 16", 6,
	  "tag-length 16 is not valid for hmac(sha256)" },
	{ "[policy p]\naead = hmac(sha256)\nnonce-policy = any", 6,
	  "nonce-policy any needs aead gcm(aes) or ccm(aes), not hmac(sha256)" },
	{ "[policy p]\naead = hmac(sha384)", 5, "unknown aead 'hmac(sha384)'" },
	{ "[container c]\nrole = writer", 4, "[container c] needs 'id'" },
	{ "[container c]\nrole = boss", 5, "role of a container is writer, reader or host" },
	{ "[container c]\nid = /gw/cnt\nrole = host\nwriters = A\nreaders = B\nkpsa = " KEY32, 9,
	  "the hosting gateway must not hold the data-at-rest key" },
	{ "[container c]\nid = /gw/cnt\nrole = host\nwriters = A", 4,
	  "needs 'writers' and 'readers'" },
	{ "[container c]\nid = /gw/cnt\nrole = host\nwriters = A\nreaders = B\ngateway = /gw", 9,
	  "gateway and integrity-only are for writers and readers" },
	{ "[container c]\nid = /gw/cnt\nrole = reader\nkpsa = " KEY32, 4, "needs 'gateway'" },
	{ "[container c]\nid = /gw/cnt\nrole = reader\ngateway = /gw", 4,
	  "needs kpsa or kpsa-file" },
	{ "[container c]\nid = /gw/cnt\nrole = writer\ngateway = /gw\nkpsa = " KEY32
	  "\nreaders = X", 9, "writers, readers and store are for the hosting gateway" },
	{ "[container a]\nid = /x\nrole = host\nwriters = A\nreaders = B\n"
	  "[container b]\nid = /x\nrole = host\nwriters = A\nreaders = B", 9,
	  "id /x is [container a]'s too" },
	{ "[container a]\nid = /x\nrole = host\nwriters = A\nreaders = B\n[container a]", 9,
	  "[container a] already defined on line 4" },
	{ "[container c]\nid = /gw/cnt\nrole = reader\ngateway = /gw\nkpsa = 0011", 8,
	  "kpsa must be 32 to 128 hex digits" },
	{ "[policy p]\nprofile = constrained\nkey-size = 128\ntag-length = 4", 5,
	  "tag-length 4 is below the profile's 8" },
	{ PEER "kpsa = " KEY32 "\nprofile-class2 = high", 9,
	  "[peer p] class 2: [policy default] breaks profile high: lifetime-hard-seconds" },
	{ PEER "kpsa = " KEY32 "\nprofile = high\nprofile-class2 = standard", 9,
	  "[peer p] class 1: [policy default] breaks profile high" },
	{ PEER "kpsa = " KEY32 "\nprofile = x", 9, "unknown profile 'x'" },
	{ "[policy p]\n[policy p]", 5, "[policy p] already defined on line 4" },
	{ "[policy default]\n[policy default]", 5, "already defined on line 4" },
	{ PEER, 4, "needs kpsa or kpsa-file" },
	{ "[peer c]\nid = /c\nrole = peer\ncredential = certificate", 4,
	  "needs [esfd] ca-file, cert-file and key-file" },
	{ "[peer c]\nid = /c\nrole = peer\ncredential = certificate\nkpsa-id = k", 8,
	  "kpsa-id is for credential = kpsa" },
	{ "[peer c]\nid = /c\nrole = peer\ncredential = certificate\nkpsa = " KEY32, 8,
	  "kpsa is for credential = kpsa" },
	{ "[peer c]\nid = /c\nrole = peer\ncredential = x509", 7,
	  "credential must be kpsa, certificate or facilitator" },
	{ "ca-file = r.pem\nkey-file = k.pem", 4,
	  "needs ca-file, cert-file and key-file (cert-file is missing)" },
	{ "crl-file = r.crl", 4, "(ca-file is missing)" },
	{ "[peer p]\nrole = server\nkpsa-id = k\nkpsa = " KEY32, 4, "needs 'id'" },
	{ "[peer p]\nid = /in\nkpsa-id = k\nkpsa = " KEY32, 4, "needs 'role'" },
	{ "[peer p]\nid = /in\nrole = server\nkpsa = " KEY32, 4, "needs 'kpsa-id'" },
	{ PEER "kpsa = " KEY32 "\nkpsa-file = k", 9, "both kpsa and kpsa-file" },
	{ PEER "kpsa = " KEY32 "\nkpsa = " KEY32, 9, "'kpsa' already set on line 8" },
	{ PEER "kpsa = 0011", 8, "32 to 128 hex digits" },
	{ PEER "kpsa = " KEY32 "0", 8, "32 to 128 hex digits" },
	{ PEER "kpsa = " KEY32 KEY32 KEY32 KEY32 "00", 8, "32 to 128 hex digits" },
	{ PEER "kpsa = 0011223344556677889Xaabbccddeeff", 8, "32 to 128 hex digits" },
	{ PEER "kpsa = " KEY32 "\npolicy = none", 9, "no [policy none]" },
	{ PEER "kpsa = " KEY32 "\npolicy = a b", 9, "not a policy name" },
	{ PEER "kpsa = " KEY32 "\naddress = in.example:7414", 9, "'address' is gone" },
	{ "[peer p]\nid = /in\nrole = server\nkpsa-id = k k\nkpsa = " KEY32, 7, "kpsa-id" },
	{ "[peer p]\nid = /in\nrole = server\nkpsa-id = "
	  "kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk\nkpsa = "
	  KEY32, 7, "kpsa-id" },
	{ "[peer p]\nid = /in\nrole = cloud", 6, "unknown role 'cloud'" },
	{ "[peer p]\nid = Cd\xc3\xa9vice", 5, "non-ASCII" },
	{ "[peer p]\nid = a b", 5, "not a oneM2M id" },
	{ "[peer p]\nid = /gw\nrole = server\nkpsa-id = k\nkpsa = " KEY32, 4,
	  "this daemon's own id" },
	{ PEER "kpsa = " KEY32 "\n[peer q]\nid = /in\nrole = server\nkpsa-id = k\n"
	  "kpsa = " KEY32, 9, "has the id of [peer p]" },
	{ PEER "kpsa = " KEY32 "\n[peer q]\nid = in\nrole = server\nkpsa-id = k\n"
	  "kpsa = " KEY32, 9, "same MQTT topic level" },
	{ "[peer p]\nid = gw\nrole = server\nkpsa-id = k\nkpsa = " KEY32, 4,
	  "this daemon's own id" },
	{ "[peer p]\nid = /in+1", 5, "MQTT topic level" },
	{ "[peer p]\nid = /in#", 5, "MQTT topic level" },
	{ "[peer p]\nid = in:cse", 5, "MQTT topic level" },
	{ "[peer p]\nid = ///", 5, "MQTT topic level" },
	{ PEER "kpsa = " KEY32 "\n[peer p]", 9, "[peer p] already defined on line 4" },
	{ PEER "kpsa = " KEY32 "\nlisten = 0.0.0.0:1", 9, "unknown key 'listen'" },
	{ PEER "kpsa = " KEY32 "\nmqtt-broker = 1.2.3.4:1", 9, "unknown key 'mqtt-broker'" },
};

static bool has_key_text(const char *msg)
{
	return strstr(msg, "0011223344") || strstr(msg, "0102030405");
}

TEST(malformed_table)
{
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct esfd_config c;
		struct esfd_config_error e;
		char text[2048];
		int r;

		snprintf(text, sizeof(text), "[esfd]\nid = /gw\nrole = gateway\n%s\n",
			 bad[i].text);
		r = parse(text, &c, &e);
		EXPECT_EQ(-EINVAL, r) TH_LOG("case %zu parsed: %s", i, bad[i].text);
		EXPECT_EQ(bad[i].line, e.line) TH_LOG("case %zu: %s", i, e.msg);
		EXPECT_NE(NULL, strstr(e.msg, bad[i].msg))
			TH_LOG("case %zu: '%s' lacks '%s'", i, e.msg, bad[i].msg);
		EXPECT_FALSE(has_key_text(e.msg)) TH_LOG("case %zu: %s", i, e.msg);
		esfd_config_free(&c);
	}
	TH_LOG("%zu malformed files refused", i);
	esfd_test_leaks();
}

/* An integrity-only policy: hmac(sha256) with the whole tag by default,
 * allowed by the baseline profile; a group cannot take it.
 */
TEST(mic_policy)
{
	static const char text[] =
		"[esfd]\nid = /gw\nrole = gateway\n"
		"[policy mic]\naead = hmac(sha256)\nprofile = baseline\ndata-classes = 1,3\n"
		"[peer a]\nid = /in\nrole = server\nkpsa-id = k\nkpsa = " KEY32 "\n"
		"policy = mic\n";
	static const char group[] =
		"[esfd]\nid = /gw\nrole = gateway\n"
		"[policy mic]\naead = hmac(sha256)\n"
		"[group g]\nid = grp\npolicy = mic\nmembers = a\n"
		"[peer a]\nid = /in\nrole = server\nkpsa-id = k\nkpsa = " KEY32 "\n";
	struct esfd_config c;
	struct esfd_config_error e;

	ASSERT_EQ(0, parse(text, &c, &e)) TH_LOG("%u: %s", e.line, e.msg);
	EXPECT_EQ(ESFD_AEAD_HMAC, c.policies[1].aead);
	EXPECT_EQ(32, c.policies[1].tag_len);
	EXPECT_STREQ("hmac(sha256)", esfd_aead_name(c.policies[1].aead));
	EXPECT_EQ(32, esfd_policy_key_len(&c.policies[1]));
	esfd_config_free(&c);
	EXPECT_EQ(-EINVAL, parse(group, &c, &e));
	EXPECT_NE(NULL, strstr(e.msg, "has aead hmac(sha256); group sessions take")) TH_LOG("%s", e.msg);
	esfd_test_leaks();
}

/* Data at rest: a writer with its key, a host with its lists and no key. */
TEST(containers)
{
	static const char text[] =
		"[esfd]\nid = Cdev\nrole = device\n"
		"[container temp]\nid = /gw/cnt-temp\nrole = writer\ngateway = /gw\n"
		"kpsa = " KEY32 "\nintegrity-only = yes\nowner-uid = 1000\n"
		"[container hum]\nid = /gw/cnt-hum\nrole = host\nwriters = Cdev Cdev2\n"
		"readers =  /in  Cx \nstore = hum.store\n";
	struct esfd_config c;
	struct esfd_config_error e;

	ASSERT_EQ(0, parse(text, &c, &e)) TH_LOG("%u: %s", e.line, e.msg);
	ASSERT_EQ(2, c.n_containers);
	EXPECT_STREQ("temp", c.containers[0].name);
	EXPECT_STREQ("/gw/cnt-temp", c.containers[0].id);
	EXPECT_EQ(ESFD_DAR_WRITER, c.containers[0].role);
	EXPECT_STREQ("/gw", c.containers[0].gateway);
	EXPECT_EQ(16, c.containers[0].kpsa_len);
	EXPECT_TRUE(c.containers[0].integrity_only);
	EXPECT_EQ(1000, c.containers[0].owner_uid);
	EXPECT_EQ(ESFD_DAR_HOST, c.containers[1].role);
	EXPECT_EQ(0, c.containers[1].kpsa_len);
	EXPECT_STREQ("hum.store", c.containers[1].store);
	EXPECT_TRUE(esfd_container_acl_has(c.containers[1].writers, "Cdev2"));
	EXPECT_TRUE(esfd_container_acl_has(c.containers[1].readers, "/in"));
	EXPECT_TRUE(esfd_container_acl_has(c.containers[1].readers, "Cx"));
	EXPECT_FALSE(esfd_container_acl_has(c.containers[1].readers, "Cdev"));
	EXPECT_FALSE(esfd_container_acl_has(c.containers[1].writers, "Cde"));
	EXPECT_FALSE(esfd_container_acl_has(c.containers[1].readers, "/i"));
	esfd_config_free(&c);
	esfd_test_leaks();
}

/* A certificate peer needs no kpsa, and the [esfd] credential may follow it. */
/* Profiles: a policy that keeps to its own and to the peer's, per class. */
TEST(security_profiles)
{
	static const char text[] =
		"[esfd]\nid = /gw\nrole = gateway\n"
		"[policy strong]\nprofile = high\nlifetime-hard-seconds = 1h\n"
		"lifetime-hard-messages = 1000000\nlifetime-hard-bytes = 1G\n"
		"[policy light]\nprofile = constrained\naead = ccm(aes)\nkey-size = 128\n"
		"tag-length = 8\nlifetime-hard-seconds = 2d\ndata-classes = 1,3\n"
		"[peer a]\nid = /in\nrole = server\nkpsa-id = k\nkpsa = " KEY32 "\n"
		"policy = strong\nprofile = standard\nprofile-class1 = high\n"
		"[peer b]\nid = Cdev\nrole = device\nkpsa-id = k\nkpsa = " KEY32 "\n"
		"policy = light\nprofile-class2 = high\n";
	struct esfd_config c;
	struct esfd_config_error e;

	ASSERT_EQ(0, parse(text, &c, &e)) TH_LOG("%u: %s", e.line, e.msg);
	EXPECT_STREQ("high", c.policies[1].profile->name);
	EXPECT_STREQ("constrained", c.policies[2].profile->name);
	EXPECT_EQ(NULL, c.policies[0].profile);
	EXPECT_STREQ("high", c.peers[0].profiles[1]->name);
	EXPECT_STREQ("standard", c.peers[0].profiles[2]->name);
	EXPECT_STREQ("standard", c.peers[0].profiles[3]->name);
	/* Class 2 is not the policy's: its profile does not apply. */
	EXPECT_STREQ("high", c.peers[1].profiles[2]->name);
	EXPECT_EQ(NULL, c.peers[1].profiles[1]);
	esfd_config_free(&c);
	esfd_test_leaks();
}

/* Gateway roles and public gateways: what is taken, what is refused and where. */
TEST(gateway_roles)
{
	static const char head[] = "[esfd]\nid = /gw\nrole = gateway\n";
	static const char ok[] =
		"[esfd]\nid = /gw\nrole = gateway\ngateway = public\n"
		"[policy p1]\nowner-uid = 1001\ndata-classes = 1\n"
		"[policy app2]\nowner-uid = 1002\n"
		"[peer f]\nid = Cf\nrole = device\nkpsa-id = k\nkpsa = " KEY32 "\n"
		"policy = p1\ngateway-role = funnel\n"
		"[peer g]\nid = Cg\nrole = device\nkpsa-id = k\nkpsa = " KEY32 "\n"
		"policy = app2\n";
	static const struct { const char *text; unsigned int line; const char *msg; } bad[] = {
		/* A funnel's policy allows end-to-end classes (the default's do). */
		{ "[peer f]\nid = Cf\nrole = device\nkpsa-id = k\nkpsa = " KEY32 "\n"
		  "gateway-role = funnel\n", 9, "allows data class 2" },
		{ "[policy e2e]\ndata-classes = 1,3\n"
		  "[peer f]\nid = Cf\nrole = device\nkpsa-id = k\nkpsa = " KEY32 "\n"
		  "policy = e2e\ngateway-role = funnel\n", 12, "allows data class 3" },
		/* An aggregator's sessions are the aggregating application's. */
		{ "[peer a]\nid = Ca\nrole = device\nkpsa-id = k\nkpsa = " KEY32 "\n"
		  "gateway-role = aggregator\n", 9, "names no owner-uid" },
		{ "[peer a]\nid = Ca\nrole = device\nkpsa-id = k\nkpsa = " KEY32 "\n"
		  "gateway-role = mediator\n", 9, "reseal, funnel or aggregator" },
		{ "gateway = shared\n", 4, "private or public" },
		/* Public: no aggregator, every peer's sessions owned by an application. */
		{ "gateway = public\n[policy p]\nowner-uid = 1001\n"
		  "[peer a]\nid = Ca\nrole = device\nkpsa-id = k\nkpsa = " KEY32 "\n"
		  "policy = p\ngateway-role = aggregator\n", 13, "on a public gateway" },
		{ "gateway = public\n"
		  "[peer a]\nid = Ca\nrole = device\nkpsa-id = k\nkpsa = " KEY32 "\n", 5,
		  "must name the application" },
		{ "gateway = public\n[policy p]\nowner-uid = 0\n"
		  "[peer a]\nid = Ca\nrole = device\nkpsa-id = k\nkpsa = " KEY32 "\n"
		  "policy = p\n", 12, "owner-uid, not 0" },
		{ "gateway = public\n[policy p]\nowner-uid = 1001\nowner-gid = 50\n"
		  "[peer a]\nid = Ca\nrole = device\nkpsa-id = k\nkpsa = " KEY32 "\n"
		  "policy = p\n", 7, "owner-gid on a public gateway" },
	};
	struct esfd_config c;
	struct esfd_config_error e;
	char text[1024];
	size_t i;

	ASSERT_EQ(0, parse(ok, &c, &e)) TH_LOG("%u: %s", e.line, e.msg);
	EXPECT_EQ(ESFD_GATEWAY_PUBLIC, c.gateway);
	EXPECT_EQ(ESFD_GW_FUNNEL, c.peers[0].gw_role);
	EXPECT_EQ(ESFD_GW_RESEAL, c.peers[1].gw_role);
	EXPECT_TRUE(esfd_peer_funnel_refuses(&c.peers[0], 2));
	EXPECT_FALSE(esfd_peer_funnel_refuses(&c.peers[0], 1));
	EXPECT_FALSE(esfd_peer_funnel_refuses(&c.peers[1], 3));
	/* The group no longer reaches sessions on a public gateway: the uid only. */
	EXPECT_TRUE(c.policies[2].uid_only);
	esfd_config_free(&c);
	/* On a private gateway an aggregator with its owner is fine. */
	snprintf(text, sizeof(text), "%s[policy agg]\nowner-uid = 1001\n"
		 "[peer a]\nid = Ca\nrole = device\nkpsa-id = k\nkpsa = " KEY32 "\n"
		 "policy = agg\ngateway-role = aggregator\n", head);
	ASSERT_EQ(0, parse(text, &c, &e)) TH_LOG("%u: %s", e.line, e.msg);
	EXPECT_EQ(ESFD_GW_AGGREGATOR, c.peers[0].gw_role);
	EXPECT_EQ(ESFD_GATEWAY_PRIVATE, c.gateway);
	EXPECT_FALSE(c.policies[1].uid_only);
	esfd_config_free(&c);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(text, sizeof(text), "%s%s", head, bad[i].text);
		EXPECT_NE(0, parse(text, &c, &e)) TH_LOG("case %zu", i);
		EXPECT_EQ(bad[i].line, e.line) TH_LOG("case %zu: %s", i, e.msg);
		EXPECT_NE(NULL, strstr(e.msg, bad[i].msg)) TH_LOG("case %zu: %s", i, e.msg);
		esfd_config_free(&c);
	}
	esfd_test_leaks();
}

TEST(certificate_peer)
{
	static const char text[] =
		"[peer v]\nid = Cveh-02\nrole = peer\ncredential = certificate\n"
		"[esfd]\nid = Cveh-01\nrole = peer\nca-file = root.pem\n"
		"cert-file = me.pem\nkey-file = me.key\ncrl-file = r.crl\n";
	struct esfd_config c;
	struct esfd_config_error e;

	ASSERT_EQ(0, parse(text, &c, &e)) TH_LOG("%u: %s", e.line, e.msg);
	ASSERT_EQ(1, c.n_peers);
	EXPECT_TRUE(c.peers[0].cert);
	EXPECT_EQ(0, c.peers[0].kpsa_len);
	EXPECT_STREQ("", c.peers[0].kpsa_id);
	EXPECT_STREQ("root.pem", c.certs.ca_file);
	EXPECT_STREQ("me.key", c.certs.key_file);
	EXPECT_STREQ("r.crl", c.certs.crl_file);
	EXPECT_EQ(NULL, c.certs.creds);
	esfd_config_free(&c);
	esfd_test_leaks();
}

TEST(whole_file_errors)
{
	static const char with_nul[] = "[esfd]\nid = /g\0w\nrole = peer";
	struct esfd_config c;
	struct esfd_config_error e;
	char *big;

	EXPECT_EQ(-EINVAL, parse("", &c, &e));
	EXPECT_NE(NULL, strstr(e.msg, "no [esfd] section"));
	esfd_config_free(&c);
	EXPECT_EQ(-EINVAL, parse("id = /gw\n", &c, &e));
	EXPECT_NE(NULL, strstr(e.msg, "outside a section"));
	esfd_config_free(&c);
	EXPECT_EQ(-EINVAL, parse("[esfd]\n", &c, &e));
	EXPECT_EQ(1, e.line);
	EXPECT_NE(NULL, strstr(e.msg, "needs 'id'"));
	esfd_config_free(&c);
	EXPECT_EQ(-EINVAL, parse("[esfd]\nid = /gw\n", &c, &e));
	EXPECT_NE(NULL, strstr(e.msg, "needs 'role'"));
	esfd_config_free(&c);
	EXPECT_EQ(-EINVAL, esfd_config_parse(with_nul, sizeof(with_nul) - 1, &c, &e));
	EXPECT_EQ(2, e.line);
	EXPECT_NE(NULL, strstr(e.msg, "NUL byte"));
	esfd_config_free(&c);
	big = malloc(ESFD_CONFIG_MAX + 1);
	memset(big, '#', ESFD_CONFIG_MAX + 1);
	EXPECT_EQ(-EFBIG, esfd_config_parse(big, ESFD_CONFIG_MAX + 1, &c, &e));
	esfd_config_free(&c);
	memcpy(big, "[esfd]\n#", 8);
	EXPECT_EQ(-EINVAL, esfd_config_parse(big, ESFD_CONFIG_LINE_MAX + 9, &c, &e));
	EXPECT_EQ(2, e.line);
	EXPECT_NE(NULL, strstr(e.msg, "longer than"));
	esfd_config_free(&c);
	free(big);
	esfd_test_leaks();
}

/* The example, split into lines (pointers into one buffer). */
struct lines {
	char *buf;
	char *l[256];
	size_t n;
};

static int split(struct lines *ls)
{
	size_t len;
	char *p;

	ls->buf = example(&len);
	if (!ls->buf)
		return -1;
	ls->n = 0;
	for (p = ls->buf; *p && ls->n < 256;) {
		char *nl = strchr(p, '\n');

		ls->l[ls->n++] = p;
		if (!nl)
			break;
		*nl = '\0';
		p = nl + 1;
	}
	return 0;
}

/*
 * The example with line @at (0-based) replaced by @with (NULL: deleted),
 * @insert inserted before it (NULL: nothing).
 */
static char *rebuild(const struct lines *ls, size_t at, const char *with,
		     const char *insert)
{
	size_t i, cap = 16384, n = 0;
	char *out = malloc(cap);

	for (i = 0; i < ls->n; i++) {
		if (i == at && insert)
			n += (size_t)snprintf(out + n, cap - n, "%s\n", insert);
		if (i == at && !with && !insert)
			continue;
		n += (size_t)snprintf(out + n, cap - n, "%s\n",
				      i == at && with ? with : ls->l[i]);
	}
	return out;
}

static bool is_key_line(const char *l)
{
	return l[0] && l[0] != '#' && l[0] != '[' && strchr(l, '=');
}

/* Keys whose absence is not an error. */
static bool optional_key(const char *l)
{
	static const char *const req[] = { "id ", "role ", "kpsa-id ", "kpsa ", "kpsa-file " };
	size_t i;

	for (i = 0; i < 5; i++)
		if (!strncmp(l, req[i], strlen(req[i])))
			return false;
	return true;
}

/*
 * Delete or duplicate every line of the example: required keys and section
 * headers cannot go, no key can appear twice. An optional key may go
 * unless its default breaks a security profile the example names (the
 * "constrained" policy without its key-size or tag-length), and then the
 * message says which.
 */
TEST(mutations_delete_duplicate)
{
	struct lines ls;
	size_t i, cases = 0;

	ASSERT_EQ(0, split(&ls));
	for (i = 0; i < ls.n; i++) {
		struct esfd_config c;
		struct esfd_config_error e;
		const char *l = ls.l[i];
		char *t;
		int r;

		if (!l[0] || l[0] == '#')
			continue;
		t = rebuild(&ls, i, NULL, NULL);
		r = parse(t, &c, &e);
		if (is_key_line(l) && optional_key(l)) {
			if (r)
				EXPECT_NE(NULL, strstr(e.msg, "breaks profile"))
					TH_LOG("deleting '%s': %s", l, e.msg);
			EXPECT_TRUE(!r || r == -EINVAL);
		} else {
			EXPECT_EQ(-EINVAL, r) TH_LOG("deleting '%s' accepted", l);
		}
		EXPECT_FALSE(has_key_text(e.msg));
		esfd_config_free(&c);
		free(t);

		t = rebuild(&ls, i, NULL, l);
		r = parse(t, &c, &e);
		EXPECT_EQ(-EINVAL, r) TH_LOG("duplicating '%s' accepted", l);
		/* A duplicated key fails on the copy; a header on either. */
		if (is_key_line(l)) {
			EXPECT_EQ(i + 2, e.line) TH_LOG("'%s': %u %s", l, e.line, e.msg);
		} else {
			EXPECT_TRUE(e.line == i + 1 || e.line == i + 2);
		}
		EXPECT_FALSE(has_key_text(e.msg));
		esfd_config_free(&c);
		free(t);
		cases += 2;
	}
	TH_LOG("%zu mutated files checked", cases);
	free(ls.buf);
	esfd_test_leaks();
}

/* Bad values for every key of the example fail on that key's line. */
TEST(mutations_values)
{
	static const char *const values[] = {
		"", "x y", "-1", "99999999999999999999999", "[", "\xc3\xa9",
		"0x10", "1.5", "yes please", "/", ":", "a:b:c", "1,2,3,4",
		"\t", "=", "\x7f",
	};
	struct lines ls;
	size_t i, v, cases = 0, refused = 0;

	ASSERT_EQ(0, split(&ls));
	for (i = 0; i < ls.n; i++) {
		char key[64], line[128];
		const char *eq;

		if (!is_key_line(ls.l[i]))
			continue;
		eq = strchr(ls.l[i], '=');
		snprintf(key, sizeof(key), "%.*s", (int)(eq - ls.l[i]), ls.l[i]);
		for (v = 0; v < sizeof(values) / sizeof(values[0]); v++) {
			struct esfd_config c;
			struct esfd_config_error e;
			char *t;
			int r;

			snprintf(line, sizeof(line), "%s= %s", key, values[v]);
			t = rebuild(&ls, i, line, NULL);
			r = parse(t, &c, &e);
			/* Some are fine for some keys ("-1" is a valid id). */
			if (r) {
				EXPECT_EQ(-EINVAL, r);
				EXPECT_EQ(i + 1, e.line) TH_LOG("'%s': %s", line, e.msg);
				refused++;
			}
			EXPECT_FALSE(has_key_text(e.msg));
			esfd_config_free(&c);
			free(t);
			cases++;
		}
	}
	/* The values are bad for nearly every key: most must be refused. */
	EXPECT_GT(refused, cases * 3 / 4);
	TH_LOG("%zu values tried, %zu refused at their line", cases, refused);
	free(ls.buf);
	esfd_test_leaks();
}

/* A line of garbage anywhere is an error on that line. */
TEST(mutations_insert)
{
	static const char *const junk[] = {
		"garbage", "[", "key value", "\xc3\xa9 = 1", "unknown-key = 1",
		"[section]", "x\x01 = 1",
	};
	struct lines ls;
	size_t i, k, cases = 0;

	ASSERT_EQ(0, split(&ls));
	for (i = 0; i < ls.n; i++) {
		for (k = 0; k < sizeof(junk) / sizeof(junk[0]); k++) {
			struct esfd_config c;
			struct esfd_config_error e;
			char *t = rebuild(&ls, i, NULL, junk[k]);

			EXPECT_EQ(-EINVAL, parse(t, &c, &e)) TH_LOG("'%s' at %zu", junk[k], i);
			EXPECT_EQ(i + 1, e.line) TH_LOG("'%s' at %zu: %s", junk[k], i, e.msg);
			esfd_config_free(&c);
			free(t);
			cases++;
		}
	}
	TH_LOG("%zu insertions refused", cases);
	free(ls.buf);
	esfd_test_leaks();
}

/* The peer table grows to ESFD_MAX_PEERS and no further; keys survive growth. */
TEST(many_peers)
{
	size_t cap = 64 + (ESFD_MAX_PEERS + 1) * 128, n, i;
	struct esfd_config c;
	struct esfd_config_error e;
	char *t = malloc(cap);

	n = (size_t)snprintf(t, cap, "[esfd]\nid = /gw\nrole = gateway\n");
	for (i = 0; i < ESFD_MAX_PEERS; i++)
		n += (size_t)snprintf(t + n, cap - n, "[peer p%zu]\nid = Cd%zu\n"
				      "role = device\nkpsa-id = k\nkpsa = %032zx\n",
				      i, i, i);
	ASSERT_EQ(0, esfd_config_parse(t, n, &c, &e)) TH_LOG("%u: %s", e.line, e.msg);
	ASSERT_EQ(ESFD_MAX_PEERS, c.n_peers);
	EXPECT_STREQ("Cd4095", c.peers[4095].id);
	EXPECT_EQ(0xff, c.peers[4095].kpsa[15]);	/* 4095 = 0x0fff */
	EXPECT_EQ(0x0f, c.peers[4095].kpsa[14]);
	EXPECT_EQ(0x01, c.peers[1].kpsa[15]);
	esfd_config_free(&c);
	n += (size_t)snprintf(t + n, cap - n, "[peer last]\n");
	EXPECT_EQ(-EINVAL, esfd_config_parse(t, n, &c, &e));
	EXPECT_NE(NULL, strstr(e.msg, "more than 4096 peers"));
	esfd_config_free(&c);
	free(t);
	esfd_test_leaks();
}

/* Both ends of a pairwise Kpsa pick the same target id, each from its own file. */
TEST(uc_target_symmetric)
{
	static const struct {
		const char *a, *ra, *b, *rb, *target;
	} v[] = {
		{ "/gw", "gateway", "/in", "server", "/in" },
		{ "/gw", "gateway", "Cdev", "device", "/gw" },
		{ "Cdev", "device", "/in", "server", "/in" },
		{ "Cveh-1", "peer", "Cveh-2", "peer", "Cveh-2" },
		{ "Cveh-1", "peer", "Cdev", "device", "Cveh-1" },
		{ "/gw-a", "gateway", "/gw-b", "gateway", "/gw-b" },
	};
	size_t i, side;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		for (side = 0; side < 2; side++) {
			const char *self = side ? v[i].b : v[i].a, *rs = side ? v[i].rb : v[i].ra;
			const char *peer = side ? v[i].a : v[i].b, *rp = side ? v[i].ra : v[i].rb;
			struct esfd_config c;
			struct esfd_config_error e;
			char t[512];

			snprintf(t, sizeof(t), "[esfd]\nid = %s\nrole = %s\n[peer x]\n"
				 "id = %s\nrole = %s\nkpsa-id = k\nkpsa = " KEY32 "\n",
				 self, rs, peer, rp);
			ASSERT_EQ(0, parse(t, &c, &e)) TH_LOG("%s", e.msg);
			EXPECT_STREQ(v[i].target, esfd_config_uc_target(&c, &c.peers[0]));
			esfd_config_free(&c);
		}
	}
	esfd_test_leaks();
}

/* ---- files and permissions ---- */

static char tmpdir[64];

static void write_file(const char *name, const char *text, mode_t mode)
{
	char path[128];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	unlink(path);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text))
		abort();
	fchmod(fd, mode);
	close(fd);
}

static int load(const char *name, struct esfd_config *c, struct esfd_config_error *e)
{
	char path[128];

	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	return esfd_config_load(path, c, e);
}

#define FILE_CONF "[esfd]\nid = /gw\nrole = gateway\n[peer a]\nid = /in\n" \
		  "role = server\nkpsa-id = k\nkpsa-file = a.key\n"

TEST(files)
{
	struct esfd_config c;
	struct esfd_config_error e;
	char path[128];

	strcpy(tmpdir, "/tmp/esfd-config-test-XXXXXX");
	ASSERT_NE(NULL, mkdtemp(tmpdir));
	write_file("esfd.conf", FILE_CONF, 0644);
	write_file("a.key", KEY32 "\n", 0600);
	ASSERT_EQ(0, load("esfd.conf", &c, &e)) TH_LOG("%u: %s", e.line, e.msg);
	ASSERT_EQ(16, c.peers[0].kpsa_len);
	EXPECT_EQ(0x00, c.peers[0].kpsa[0]);
	EXPECT_EQ(0xff, c.peers[0].kpsa[15]);
	esfd_config_free(&c);
	EXPECT_EQ(0, c.n_peers);
	/* Key readable by others; key file with bad content; missing file. */
	write_file("a.key", KEY32 "\n", 0640);
	EXPECT_EQ(-EACCES, load("esfd.conf", &c, &e));
	EXPECT_EQ(8, e.line);
	EXPECT_NE(NULL, strstr(e.msg, "mode 0640"));
	esfd_config_free(&c);
	write_file("a.key", KEY32 "\nextra\n", 0600);
	EXPECT_EQ(-EINVAL, load("esfd.conf", &c, &e));
	EXPECT_FALSE(has_key_text(e.msg)) TH_LOG("%s", e.msg);
	esfd_config_free(&c);
	write_file("a.key", "0011", 0600);
	EXPECT_EQ(-EINVAL, load("esfd.conf", &c, &e));
	esfd_config_free(&c);
	snprintf(path, sizeof(path), "%s/a.key", tmpdir);
	unlink(path);
	EXPECT_EQ(-ENOENT, load("esfd.conf", &c, &e));
	EXPECT_EQ(8, e.line);
	esfd_config_free(&c);
	ASSERT_EQ(0, mkdir(path, 0700));
	EXPECT_EQ(-EINVAL, load("esfd.conf", &c, &e));
	EXPECT_NE(NULL, strstr(e.msg, "not a regular file"));
	esfd_config_free(&c);
	rmdir(path);
	/* The configuration file: writable by others, or inline keys readable. */
	write_file("a.key", KEY32, 0600);
	write_file("esfd.conf", FILE_CONF, 0664);
	EXPECT_EQ(-EACCES, load("esfd.conf", &c, &e));
	esfd_config_free(&c);
	write_file("inline.conf", "[esfd]\nid = /gw\nrole = gateway\n[peer a]\n"
		   "id = /in\nrole = server\nkpsa-id = k\nkpsa = " KEY32 "\n", 0644);
	EXPECT_EQ(-EACCES, load("inline.conf", &c, &e));
	EXPECT_NE(NULL, strstr(e.msg, "inline keys"));
	esfd_config_free(&c);
	write_file("inline.conf", "[esfd]\nid = /gw\nrole = gateway\n[peer a]\n"
		   "id = /in\nrole = server\nkpsa-id = k\nkpsa = " KEY32 "\n", 0600);
	EXPECT_EQ(0, load("inline.conf", &c, &e));
	esfd_config_free(&c);
	EXPECT_EQ(-ENOENT, load("missing.conf", &c, &e));
	esfd_config_free(&c);
	/* The broker password: a private file, one line; a CA file that exists. */
	write_file("mqtt.conf", "[esfd]\nid = /gw\nrole = gateway\nmqtt-username = gw\n"
		   "mqtt-password-file = pw\nmqtt-ca-file = ca.pem\n", 0644);
	write_file("pw", "s3cret word\n", 0600);
	write_file("ca.pem", "-----BEGIN CERTIFICATE-----\n", 0644);
	ASSERT_EQ(0, load("mqtt.conf", &c, &e)) TH_LOG("%s", e.msg);
	EXPECT_STREQ("s3cret word", c.mqtt.password);
	EXPECT_EQ('/', c.mqtt.ca_file[0]);
	EXPECT_NE(NULL, strstr(c.mqtt.ca_file, "/ca.pem"));
	esfd_config_free(&c);
	write_file("pw", "s3cret\n", 0604);
	EXPECT_EQ(-EACCES, load("mqtt.conf", &c, &e));
	EXPECT_EQ(5, e.line);
	EXPECT_EQ(NULL, strstr(e.msg, "s3cret"));
	esfd_config_free(&c);
	write_file("pw", "two\nlines\n", 0600);
	EXPECT_EQ(-EINVAL, load("mqtt.conf", &c, &e));
	EXPECT_NE(NULL, strstr(e.msg, "one line"));
	EXPECT_EQ(NULL, strstr(e.msg, "two"));
	esfd_config_free(&c);
	write_file("pw", "pw\n", 0600);
	snprintf(path, sizeof(path), "%s/ca.pem", tmpdir);
	unlink(path);
	EXPECT_EQ(-ENOENT, load("mqtt.conf", &c, &e));
	EXPECT_NE(NULL, strstr(e.msg, "mqtt-ca-file"));
	esfd_config_free(&c);
	snprintf(path, sizeof(path), "rm -rf %s", tmpdir);
	ASSERT_EQ(0, system(path));
	esfd_test_leaks();
}

TEST_HARNESS_MAIN
