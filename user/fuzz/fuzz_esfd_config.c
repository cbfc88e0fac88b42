// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target for esfd's configuration parser. Beyond not crashing,
 * leaking or reading out of bounds, a parse must leave a consistent result:
 * on success every peer names a policy that exists and ids that pass the
 * id check; on failure the error names a line of the input (or 0) and says
 * something.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "../esfd/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static size_t count_lines(const uint8_t *data, size_t size)
{
	size_t i, n = 1;

	for (i = 0; i < size; i++)
		n += data[i] == '\n';
	return n;
}

static void check_ok(const struct esfd_config *c)
{
	size_t i;

	if (esfd_id_check(c->id, strlen(c->id)) || !c->n_policies ||
	    strcmp(c->policies[0].name, "default"))
		abort();
	for (i = 0; i < c->n_peers; i++) {
		const struct esfd_peer *p = &c->peers[i];

		if (p->policy >= c->n_policies ||
		    esfd_id_check(p->id, strlen(p->id)) || !strcmp(p->id, c->id) ||
		    (!esfd_peer_runtime_key(p) && !p->kpsa_file && (p->kpsa_len < ESFD_KPSA_MIN ||
								 p->kpsa_len > ESFD_KPSA_MAX)) ||
		    (esfd_peer_runtime_key(p) && p->kpsa_len) ||
		    (p->fac && (p->fac_peer >= c->n_peers ||
				esfd_peer_runtime_key(&c->peers[p->fac_peer]))))
			abort();
	}
	/* The facilitator's access-control list names Kpsa peers, never an
	 * owner as its own reader.
	 */
	for (i = 0; c->fac && i < c->fac->n_allow; i++) {
		const struct esfd_fac_allow *a = &c->fac->allow[i];
		size_t k;

		if (!a->n_readers || a->owner >= c->n_peers ||
		    esfd_peer_runtime_key(&c->peers[a->owner]))
			abort();
		for (k = 0; k < a->n_readers; k++)
			if (a->readers[k] >= c->n_peers || a->readers[k] == a->owner ||
			    esfd_peer_runtime_key(&c->peers[a->readers[k]]))
				abort();
	}
	/* A hosting gateway never holds a container's key; the others do. */
	for (i = 0; i < c->n_containers; i++) {
		const struct esfd_container_conf *k = &c->containers[i];
		bool key = k->kpsa_len || k->kpsa_file;

		if (esfd_id_check(k->id, strlen(k->id)) ||
		    (k->role == ESFD_DAR_HOST ? key || !k->writers[0] || !k->readers[0] ||
						k->gateway[0] :
		     !key || !k->gateway[0] || k->writers[0] || k->readers[0] ||
		     (k->role != ESFD_DAR_WRITER && k->role != ESFD_DAR_READER)))
			abort();
	}
	for (i = 0; i < c->n_policies; i++) {
		const struct esfd_policy *p = &c->policies[i];

		if ((p->soft.seconds && p->hard.seconds && p->soft.seconds >= p->hard.seconds) ||
		    !esfd_aead_name(p->aead) || p->replay_window > 65536)
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct esfd_config c;
	struct esfd_config_error e;
	int r = esfd_config_parse((const char *)data, size, &c, &e);

	if (!r)
		check_ok(&c);
	else if (r == -EINVAL && (e.line > count_lines(data, size) || !e.msg[0]))
		abort();
	esfd_config_free(&c);
	return 0;
}
