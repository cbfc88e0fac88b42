/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _ESF_SELFTEST_H
#define _ESF_SELFTEST_H

#ifdef ESF_SELFTEST
int esf_selftest_run(void);
#else
/* Built with ESF_SELFTEST=n: no known-answer tests at load. */
static inline int esf_selftest_run(void)
{
	return 0;
}
#endif

#endif /* _ESF_SELFTEST_H */
