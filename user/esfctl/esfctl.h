/* SPDX-License-Identifier: GPL-2.0 */
/* esfctl internals shared between its command files. */
#ifndef ESFCTL_H
#define ESFCTL_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "esf_nl.h"

extern bool opt_json;

int esfctl_cmd_session(int argc, char **argv);
int esfctl_cmd_group(int argc, char **argv);
int esfctl_cmd_monitor(int argc, char **argv);
/* doctor.c */
int esfctl_cmd_doctor(int argc, char **argv);
/* daemon.c: commands esfd answers */
int esfctl_cmd_status(int argc, char **argv);
int esfctl_cmd_peer(int argc, char **argv);
int esfctl_cmd_establish(int argc, char **argv);
int esfctl_cmd_rekey(int argc, char **argv);
int esfctl_cmd_dar(int argc, char **argv);
int esfctl_cmd_groups(int argc, char **argv);
/* guest.c: guest devices */
int esfctl_cmd_guest(int argc, char **argv);
void esfctl_print_guest(const json_t *g);

int esfctl_open(struct esf_nl **nl, const char *what);
int esfctl_fail(struct esf_nl *nl, const char *what, int err);
bool esfctl_is_help(int argc, char **argv);
int esfctl_usage_error(const char *usage, const char *fmt, const char *arg);
int esfctl_parse_u64(const char *s, uint64_t max, uint64_t *out);
void esfctl_json_print(json_t *doc);
/* session.c: hex values and keys (from a file or stdin, never argv) */
int esfctl_parse_hex(const char *s, uint8_t *out, size_t max, size_t *len);
int esfctl_read_key(const char *path, bool hex, uint8_t *key, size_t *len);

/* print.c */
json_t *esfctl_session_json(const struct esf_nl_session *s);
void esfctl_session_print(const struct esf_nl_session *s);
void esfctl_list_header(void);
void esfctl_list_row(const struct esf_nl_session *s);
const char *esfctl_state_name(unsigned int state);
const char *esfctl_expire_reason_name(unsigned int reason);

#endif /* ESFCTL_H */
