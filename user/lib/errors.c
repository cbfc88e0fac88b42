// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libesf error strings, in the library's own terms: the errno values the
 * kernel's fast path uses for replay, staleness and expiry mean something
 * specific here that strerror() cannot say.
 */
#include <errno.h>
#include <string.h>

#include "esf.h"

const char *esf_strerror(int err)
{
	switch (err) {
	case 0:
		return "success";
	case -EBADMSG:
		return "authentication failed: forged, corrupted or foreign record";
	case -EALREADY:
		return "replayed record: sequence number already seen";
	case -ESTALE:
		return "record too old: sequence number left of the replay window";
	case -EKEYEXPIRED:
		return "session expired: hard lifetime or sequence counter exhausted";
	case -EKEYREJECTED:
		return "session bound to another data class or session type";
	case -ENOKEY:
		return "session deleted";
	case -EPERM:
		return "operation not allowed in this session's direction";
	case -EOPNOTSUPP:
		return "operation not supported by this session's algorithm";
	case -EACCES:
		return "not the session's owner";
	case -ENOENT:
		return "no such session (or esf.ko not loaded)";
	case -EMSGSIZE:
		return "record or batch too large";
	case -ENOSPC:
		return "output buffer too small";
	case -EBUSY:
		return "previous batch's results not read yet";
	default:
		return err < 0 ? strerror(-err) : "unknown error";
	}
}
