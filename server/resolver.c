/* server/resolver.c -- configurations for real recursive resolvers in front of the world. */
#include "server/resolver.h"

#include <stdio.h>
#include <string.h>

static const char *const kinds[] = {"unbound", "bind", "knot-resolver"};

int
resolver_conf_check(const char *spec, char *err, size_t errlen)
{
	const char *eq = strchr(spec, '=');

	if (eq == NULL || eq[1] == '\0') {
		snprintf(err, errlen, "--resolver-config %s: expected KIND=FILE", spec);
		return -1;
	}
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (strlen(kinds[i]) == (size_t)(eq - spec) &&
		    strncmp(kinds[i], spec, (size_t)(eq - spec)) == 0)
			return 0;
	snprintf(err, errlen,
	         "--resolver-config %s: unknown resolver (expected unbound, bind or "
	         "knot-resolver)",
	         spec);
	return -1;
}

int
resolver_conf_write(const char *spec, const struct world *w, const struct zoneset *zs,
                    const char *hints, char *err, size_t errlen)
{
	(void)w;
	(void)zs;
	(void)hints;
	snprintf(err, errlen, "--resolver-config %s: not written yet in this build", spec);
	return -1;
}
