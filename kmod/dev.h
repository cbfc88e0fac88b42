/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _ESF_DEV_H
#define _ESF_DEV_H

int esf_dev_init(void);
void esf_dev_exit(void);

#endif /* _ESF_DEV_H */
