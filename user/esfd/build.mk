# esfd sources (included by user/Makefile; paths relative to user/).
# The daemon's self-contained core, built as $(O)/esfd/libesfd-core.a: byte
# encodings, HMAC backends (libkcapi or OpenSSL), key derivation, ESPrim
# rand objects, the configuration file and the peer message codec.
ESFD_CORE_SRCS += esfd/enc.c esfd/hmac.c esfd/kdf.c esfd/randobj.c \
	esfd/config.c esfd/msg.c
# libFuzzer targets for the config parser and the message decoder (the
# generic fuzz rule in user/Makefile links FUZZ_SUPPORT_SRCS into each).
FUZZ_TARGETS += fuzz_esfd_config fuzz_esfd_msg
FUZZ_SUPPORT_SRCS += $(ESFD_CORE_SRCS)
# The daemon: event loop, kernel sessions, peer transport, control socket.
ESFD_SRCS += esfd/main.c esfd/kernel.c esfd/peer.c esfd/ctl.c
