# esf-bench sources (included by user/Makefile; paths relative to user/).
BENCH_SRCS += bench/bench.c
