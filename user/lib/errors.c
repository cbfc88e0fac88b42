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
		return "authentication failed: forged or corrupted record";
	case -ENOMSG:
		return "not an esf nonce of this session (its salt differs): a record of "
		       "another session, or from a sender that picks its own IVs "
		       "(open those on a session with nonce policy \"any\")";
	case -EALREADY:
		return "replayed record: already opened";
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
	case -ESF_E_FORMAT:
		return "malformed envelope";
	case -ESF_E_UNSUPPORTED:
		return "unsupported option (algorithm, \"zip\" or critical header member)";
	case -ESF_E_ALG_MISMATCH:
		return "algorithm or key size does not match the session";
	case -ESF_E_KEY_ID:
		return "unknown key id";
	case -ESF_E_ORIG_RAND:
		return "unknown originator rand object id";
	case -ESF_E_RECV_RAND:
		return "unknown receiver rand object id";
	case -ESF_E_IMPERSONATION:
		return "impersonation: protected primitive names another originator or request";
	case -ESF_E_CLASS:
		return "envelope of another target data class or session type";
	case -ESF_E_CERT_EXPIRED:
		return "the certificate has expired";
	case -ESF_E_CERT_NOT_YET_VALID:
		return "the certificate is not valid yet";
	case -ESF_E_CERT_REVOKED:
		return "the certificate is revoked";
	case -ESF_E_CERT_UNKNOWN_CA:
		return "the certificate does not chain to a trusted root";
	case -ESF_E_CERT_WRONG_ID:
		return "the certificate names another id";
	case -ESF_E_CERT_INVALID:
		return "the certificate does not verify";
	default:
		return err < 0 ? strerror(-err) : "unknown error";
	}
}

/*
 * oneM2M response status codes (TS-0004). The ESPrim codes name what went
 * wrong; anything else is a decryption error on the receiving side and an
 * encryption error on the sending side, except running out of memory,
 * which is the receiver's own trouble.
 */
int esf_onem2m_rsc(int err, int opening)
{
	switch (err) {
	case 0:
		return 2000;
	case -ESF_E_UNSUPPORTED:
	case -ESF_E_ALG_MISMATCH:
	case -ESF_E_CLASS:
		return 4111;
	case -ENOMSG:
		/* The sender's IVs are an option this session does not take. */
		return opening ? 4111 : 5211;
	case -ESF_E_KEY_ID:
		return 4112;
	case -ENOKEY:
		return opening ? 4112 : 5211;
	case -ESF_E_ORIG_RAND:
		return 4113;
	case -ESF_E_RECV_RAND:
		return 4114;
	case -EBADMSG:
		return opening ? 4115 : 5211;
	case -ESF_E_IMPERSONATION:
		return 4116;
	case -ENOMEM:
		return 5000;
	default:
		return opening ? 5210 : 5211;
	}
}

const char *esf_onem2m_rsc_name(int rsc)
{
	switch (rsc) {
	case 2000:
		return "OK";
	case 4000:
		return "BAD_REQUEST";
	case 4001:
		return "RELEASE_VERSION_NOT_SUPPORTED";
	case 4004:
		return "NOT_FOUND";
	case 4005:
		return "OPERATION_NOT_ALLOWED";
	case 4008:
		return "REQUEST_TIMEOUT";
	case 4103:
		return "ORIGINATOR_HAS_NO_PRIVILEGE";
	case 4111:
		return "ESPRIM_UNSUPPORTED_OPTION";
	case 4112:
		return "ESPRIM_UNKNOWN_KEY_ID";
	case 4113:
		return "ESPRIM_UNKNOWN_ORIG_RAND_ID";
	case 4114:
		return "ESPRIM_UNKNOWN_RECV_RAND_ID";
	case 4115:
		return "ESPRIM_BAD_MAC";
	case 4116:
		return "ESPRIM_IMPERSONATION_ERROR";
	case 5000:
		return "INTERNAL_SERVER_ERROR";
	case 5001:
		return "NOT_IMPLEMENTED";
	case 5103:
		return "TARGET_NOT_REACHABLE";
	case 5207:
		return "NOT_ACCEPTABLE";
	case 5210:
		return "ESPRIM_DECRYPTION_ERROR";
	case 5211:
		return "ESPRIM_ENCRYPTION_ERROR";
	default:
		return "UNKNOWN";
	}
}
