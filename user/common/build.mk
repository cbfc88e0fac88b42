# Shared by esfctl and esfd (included by user/Makefile; paths relative to user/).
COMMON_SRCS += common/esf_nl.c common/esf_algs.c
