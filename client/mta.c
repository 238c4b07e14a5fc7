/* client/mta.c -- the MTA profile table (--mta): rfc (mxcheck's own policy), postfix and exim
   as Debian configures them, and the name and address rules those MTAs apply. Each rule is
   documented with its source in README.md ("MTA profiles"). */
#include "client/mta.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "client/check.h"

/* Debian exim4-config, router/200_exim4-config_primary, ROUTER_DNSLOOKUP_IGNORE_TARGET_HOSTS
   of the dnslookup router ("internet" configtype). */
static const struct mta_net exim_debian_ignore[] = {
    {AF_INET, {0, 0, 0, 0}, 32},
    {AF_INET, {127}, 8},
    {AF_INET, {192, 168}, 16},
    {AF_INET, {172, 16}, 12},
    {AF_INET, {10}, 8},
    {AF_INET, {169, 254}, 16},
    {AF_INET, {255, 255, 255, 255}, 32},
    {AF_INET6, {0}, 128},
    {AF_INET6, {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}, 128},
    {AF_INET6, {0xfc}, 7},
    {AF_INET6, {0xfe, 0x80}, 10},
    {AF_INET6, {0x01, 0x00}, 64},
};

static const struct mta_profile profiles[] = {
    {
        .name = "rfc",
        .label = "RFC 5321",
        .names = MTA_NAMES_RFC,
        .null_mx = MTA_NULL_RFC,
        .addrs = MTA_ADDRS_RFC,
        .cname_hops = LOOKUP_MAX_CNAME,
    },
    {
        .name = "postfix",
        .label = "Postfix",
        .names = MTA_NAMES_POSTFIX,
        .null_mx = MTA_NULL_POSTFIX,
        .addrs = MTA_ADDRS_SELF,
        .literal_quad_only = true,
        .literal_used = true,
        .cname_hops = LOOKUP_CHAIN_MAX,
        .formerr_permanent = true,
    },
    {
        .name = "exim",
        .label = "Exim",
        .names = MTA_NAMES_EXIM,
        .null_mx = MTA_NULL_EXIM,
        .addrs = MTA_ADDRS_IGNORE,
        .ignore = exim_debian_ignore,
        .nignore = sizeof(exim_debian_ignore) / sizeof(exim_debian_ignore[0]),
        .literal_quad_only = true,
        .cname_loop_temporary = true,
        .cname_hops = LOOKUP_CHAIN_MAX,
        .v6_first = true,
    },
};

const struct mta_profile *
mta_find(const char *name)
{
	for (size_t i = 0; i < sizeof(profiles) / sizeof(profiles[0]); i++)
		if (strcmp(profiles[i].name, name) == 0)
			return &profiles[i];
	return NULL;
}

const struct mta_profile *
mta_default(void)
{
	return &profiles[0];
}

const char *
mta_names_list(void)
{
	return "rfc|postfix|exim";
}

bool
mta_is_temporary(const struct mta_profile *p, enum lookup_status s)
{
	if (s == LOOKUP_FORMERR && p->formerr_permanent)
		return false;
	return lookup_is_temporary(s);
}

static bool
net_match(const struct mta_net *n, int family, const uint8_t *addr)
{
	unsigned full = n->bits / 8, rest = n->bits % 8;

	if (n->family != family)
		return false;
	if (memcmp(n->addr, addr, full) != 0)
		return false;
	if (rest == 0)
		return true;
	return ((n->addr[full] ^ addr[full]) & (uint8_t)(0xff << (8 - rest))) == 0;
}

bool
mta_ignored(const struct mta_profile *p, int family, const uint8_t *addr)
{
	uint8_t a[16];

	/* Exim compares an IPv4-mapped ::ffff:a.b.c.d with the IPv4 entries (observed: the
	   mapped forms of 10/8 and 127/8 are ignored). */
	family = check_unmap_ip(family, addr, a);
	for (unsigned i = 0; i < p->nignore; i++)
		if (net_match(&p->ignore[i], family, a))
			return true;
	return false;
}

static bool
word_char(int c)
{
	return isalnum(c) || c == '_';
}

bool
mta_exim_name_ok(const char *name)
{
	/* (?i)^(?>(?(1)\.|())[^\W](?>[a-z0-9/_-]*[^\W])?)+(\.?)$ : labels that start and end
	   with a word character and hold only letters, digits, '/', '_' and '-'. */
	const char *p = name;

	if (strcmp(name, ".") == 0 || *p == '\0')
		return false;
	while (*p) {
		const char *s = p;
		while (*p && *p != '.') {
			int c = (unsigned char)*p;
			if (!(isalnum(c) || c == '/' || c == '_' || c == '-'))
				return false;
			p++;
		}
		if (p == s || !word_char((unsigned char)s[0]) || !word_char((unsigned char)p[-1]))
			return false;
		if (*p == '.')
			p++;
	}
	return true;
}

bool
mta_postfix_name_ok(const char *name)
{
	/* util/valid_hostname.c: letters, digits, '_' and inner '-'; labels 1..63, total
	   <= 255, not all-numeric. */
	size_t label = 0, len = strlen(name);
	bool non_numeric = false;

	if (len > 0 && name[len - 1] == '.')
		len--;
	if (len == 0 || len > 255)
		return false;
	for (size_t i = 0; i < len; i++) {
		int c = (unsigned char)name[i];
		bool last = i + 1 == len || name[i + 1] == '.';
		if (isalnum(c) || c == '_') {
			if (++label > 63)
				return false;
			if (!isdigit(c))
				non_numeric = true;
		} else if (c == '.') {
			if (label == 0 || i + 1 == len)
				return false;
			label = 0;
		} else if (c == '-') {
			non_numeric = true;
			if (++label == 1 || last)
				return false;
		} else {
			return false;
		}
	}
	return non_numeric;
}
