# Host-side unit tests (included by user/Makefile; paths relative to user/).
# Each program is tests/<name>.c, built with ASan and UBSan, TAP output.
HOST_TESTS += test_b64 test_jose test_esprim test_esdata test_errors test_cli test_overlap \
	test_es256
# Linked into every test: the software backend and shared helpers, and the
# esf tool's command-line core so that its parsing runs on the host.
TEST_SUPPORT_SRCS += tests/swbackend.c tests/support.c tests/pki.c esftool/cli.c esftool/ecdh.c esftool/broadcast.c esftool/aggregate.c \
	esftool/es256.c
# esfd's core (key derivation, rand objects, configuration, peer messages);
# test_esfd_* link esfd's core and tests/esfd_testutil.c, not libesf.
HOST_TESTS += test_esfd_kdf test_esfd_randobj
HOST_TESTS += test_esfd_prim
HOST_TESTS += test_esfd_config test_esfd_ecdh
# Group keys on the wire and [group] sections (esfd/gkey.c, config.c).
HOST_TESTS += test_esfd_group
# Mediator gateways: the mediated wrapping key, the delegated block, the
# three sides' [group] keys (esfd/gkey.c, config.c).
HOST_TESTS += test_esfd_mediator
# Static group authentication on the wire and [gauth] sections (esfd/gamsg.c).
HOST_TESTS += test_esfd_gauth
# Peer-to-peer agreement on the wire and the [p2p] section (esfd/p2pmsg.c).
HOST_TESTS += test_esfd_p2p
# Guest devices' tokens, presentations, grants and the [guest] section (esfd/guesttok.c).
HOST_TESTS += test_esfd_guest
# The facilitator's messages, store and [facilitator] sections (esfd/facmsg.c).
HOST_TESTS += test_esfd_fac
# Data at rest: container keys and the sealed contentInstance (esfd/dar.c).
HOST_TESTS += test_esfd_dar
HOST_TESTS += test_peer
# esfctl's algorithm table (user/common/esf_algs.c, linked through COMMON_SRCS).
HOST_TESTS += test_algs
# Certificate credentials (core) and ESCertKE's handshake (the daemon's
# certke.c, linked in by user/Makefile).
HOST_TESTS += test_esfd_certke
# esfd's kernel sessions and state file (the daemon's kernel.c, linked in by
# user/Makefile) against a kernel faked in the test; likewise the "ecdh"
# command's single-message sessions (oneshot.c).
HOST_TESTS += test_esfd_kernel test_esfd_oneshot
