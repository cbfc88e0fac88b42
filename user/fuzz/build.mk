# libFuzzer targets (included by user/Makefile; paths relative to user/).
# Each is fuzz/<name>.c with a seed corpus in fuzz/corpus/<name>/.
FUZZ_TARGETS += fuzz_envelope
FUZZ_SUPPORT_SRCS += tests/swbackend.c tests/support.c
