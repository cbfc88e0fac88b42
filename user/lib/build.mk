# libesf sources (included by user/Makefile; paths relative to user/).
LIB_SRCS += lib/fastpath.c lib/errors.c
