/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _ESF_SOCKET_H
#define _ESF_SOCKET_H

int esf_socket_init(void);
void esf_socket_exit(void);

#endif /* _ESF_SOCKET_H */
