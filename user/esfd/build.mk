# esfd sources (included by user/Makefile; paths relative to user/).
# The daemon's self-contained core, built as $(O)/esfd/libesfd-core.a: byte
# encodings, HMAC backends (libkcapi or OpenSSL), key derivation, ESPrim
# rand objects, the configuration file, oneM2M primitives and MQTT topics,
# esfd's securityInfo primitives and the broker connection. esf-mqtt links
# it too.
ESFD_CORE_SRCS += esfd/enc.c esfd/jwe.c esfd/dar.c esfd/gkey.c esfd/gamsg.c esfd/p2pmsg.c esfd/facmsg.c esfd/guesttok.c esfd/hmac.c esfd/kdf.c esfd/randobj.c \
	esfd/config.c esfd/profile.c esfd/certs.c esfd/sign.c esfd/ecdh.c esfd/m2m.c \
	esfd/prim.c esfd/mqtt.c
# libFuzzer targets for the config parser and the primitive decoders (the
# generic fuzz rule in user/Makefile links FUZZ_SUPPORT_SRCS into each).
FUZZ_TARGETS += fuzz_esfd_config fuzz_esfd_prim fuzz_esfd_guest
# The data-at-rest object the hosting gateway parses and a reader opens.
FUZZ_TARGETS += fuzz_esfd_dar
FUZZ_SUPPORT_SRCS += $(ESFD_CORE_SRCS)
# The daemon: event loop, kernel sessions, the MQTT transport, ESPrim
# establishment and its keys, control socket.
ESFD_SRCS += esfd/main.c esfd/kernel.c esfd/transport.c esfd/peer.c esfd/keys.c \
	esfd/ctl.c esfd/certke.c esfd/oneshot.c esfd/group.c esfd/mediator.c esfd/gauth.c esfd/p2p.c esfd/fac.c \
	esfd/darstore.c esfd/guest.c
