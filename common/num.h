/* common/num.h -- whole decimal numbers from the command line, checked against a range. */
#ifndef MXLAB_NUM_H
#define MXLAB_NUM_H

/* Parse s, all of it, as a decimal number in [min, max]: digits only (no sign, no spaces,
   no base prefix), no overflow. 0 with *out set, or -1 with *out untouched. */
int num_parse(const char *s, unsigned long long min, unsigned long long max,
              unsigned long long *out);

#endif
