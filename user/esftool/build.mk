# esf tool sources (included by user/Makefile; paths relative to user/).
ESFTOOL_SRCS += esftool/esf.c esftool/cli.c esftool/es256.c esftool/ecdh.c esftool/broadcast.c esftool/aggregate.c
