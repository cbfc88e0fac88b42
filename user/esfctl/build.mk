# esfctl sources (included by user/Makefile; paths relative to user/).
ESFCTL_SRCS += esfctl/esfctl.c
