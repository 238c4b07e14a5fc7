/* client/rdns.h -- reverse DNS: PTR names, forward-confirmed reverse DNS, address mode. */
#ifndef MXCHECK_RDNS_H
#define MXCHECK_RDNS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "client/check.h"
#include "client/lookup.h"

/* "25.2.0.192.in-addr.arpa." or the 32-nibble "...ip6.arpa." name. 0, or -1 (bad family or
   buffer too small). */
int rdns_format_ptr_name(int family, const uint8_t *addr, char *out, size_t len);
/* Reverse-check address addr of route route in r: PTR lookup, FCrDNS, problems. In domain
   mode reverse problems are warnings (or info) and ptr-not-mx-name is checked. */
void rdns_check_address(struct lookup *lk, struct check_result *r, int route, int addr,
                        bool domain_mode);
/* Address mode: would a receiver checking FCrDNS accept a connection from ip? NULL with err
   when ip is not an address. */
struct check_result *rdns_check(struct lookup *lk, const char *ip, const struct check_options *opt,
                                char *err, size_t errlen);

#endif
