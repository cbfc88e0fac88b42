# libesf sources (included by user/Makefile; paths relative to user/).
LIB_SRCS += lib/fastpath.c lib/ring.c lib/errors.c
# In-kernel aggregates as compact JWEs.
LIB_SRCS += lib/aggregate.c
# Envelopes: base64url, JSON, JOSE, ESPrim, ESF envelope, data classes 1-3.
LIB_SRCS += lib/b64.c lib/json.c lib/jose_parse.c lib/jose.c lib/esprim.c \
	lib/envelope.c lib/esdata.c lib/dtls.c
# Client of esfd's control socket: sessions to peers on demand.
LIB_SRCS += lib/peer.c
# JWS ES256 with x5c, verified against CA roots (signing is esfd's).
LIB_SRCS += lib/es256.c
# JWE ECDH-ES+A128KW to and from certificates (the key agreement is esfd's).
LIB_SRCS += lib/ecdh.c
# Group broadcasts signed by their issuer (esfd signs, the kernel seals).
LIB_SRCS += lib/broadcast.c
