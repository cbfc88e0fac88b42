# esfctl sources (included by user/Makefile; paths relative to user/).
ESFCTL_SRCS += esfctl/esfctl.c esfctl/session.c esfctl/print.c esfctl/monitor.c esfctl/daemon.c \
	esfctl/doctor.c esfctl/group.c esfctl/dar.c esfctl/guest.c
