/* server/faultjson.c -- fault rule bodies of the control API: JSON in the shape GET /faults
   returns turned into rule lines, and the hint for a text body curl -d flattened. Pure. */
#include "server/faultjson.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

bool
faultjson_is_json(const char *body)
{
	while (*body == ' ' || *body == '\t' || *body == '\r' || *body == '\n')
		body++;
	return *body == '{' || *body == '[';
}

int
faultjson_to_text(const char *body, size_t len, char **textp, char *err, size_t errlen)
{
	json_error_t je;
	json_t *root = json_loadb(body, len, JSON_REJECT_DUPLICATES, &je), *rules;
	char *text = NULL;
	size_t used = 0, cap = 0;

	*textp = NULL;
	if (root == NULL) {
		snprintf(err, errlen, "JSON body, line %d column %d: %s", je.line, je.column,
		         je.text);
		return -1;
	}
	rules = json_is_array(root) ? root : json_object_get(root, "rules");
	if (!json_is_array(rules)) {
		snprintf(err, errlen,
		         "JSON body: expected {\"rules\": [...]} (as GET /faults "
		         "returns it) or an array of rules");
		goto fail;
	}
	for (size_t i = 0; i < json_array_size(rules); i++) {
		json_t *e = json_array_get(rules, i);
		const char *rule = json_is_string(e) ? json_string_value(e)
		                   : json_is_object(e)
		                       ? json_string_value(json_object_get(e, "rule"))
		                       : NULL;
		size_t rl;
		if (rule == NULL) {
			snprintf(
			    err, errlen,
			    "JSON body: rules[%zu] is neither a rule string nor an object with "
			    "a \"rule\" string",
			    i);
			goto fail;
		}
		rl = strlen(rule);
		if (memchr(rule, '\n', rl) != NULL || memchr(rule, '\r', rl) != NULL ||
		    rl != json_string_length(json_is_string(e) ? e : json_object_get(e, "rule"))) {
			snprintf(err, errlen, "JSON body: rules[%zu] must be one line of text", i);
			goto fail;
		}
		if (used + rl + 2 > cap) {
			size_t nc = cap ? cap * 2 : 256;
			char *nt;
			while (nc < used + rl + 2)
				nc *= 2;
			if ((nt = realloc(text, nc)) == NULL) {
				snprintf(err, errlen, "out of memory");
				goto fail;
			}
			text = nt;
			cap = nc;
		}
		memcpy(text + used, rule, rl);
		used += rl;
		text[used++] = '\n';
		text[used] = '\0';
	}
	if (text == NULL && (text = calloc(1, 1)) == NULL) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	json_decref(root);
	*textp = text;
	return 0;
fail:
	free(text);
	json_decref(root);
	return -1;
}

/* Is the field (n bytes) a fault action ("drop", "delay=MS", ...)? */
static bool
is_action(const char *f, size_t n)
{
	static const char *const plain[] = {"drop",      "truncate", "noaa",  "badid",
	                                    "qmismatch", "garble",   "short", "tcp-close"};
	static const char *const valued[] = {"delay=", "rcode=", "ttl="};

	for (size_t i = 0; i < sizeof(plain) / sizeof(plain[0]); i++)
		if (n == strlen(plain[i]) && strncasecmp(f, plain[i], n) == 0)
			return true;
	for (size_t i = 0; i < sizeof(valued) / sizeof(valued[0]); i++)
		if (n > strlen(valued[i]) && strncasecmp(f, valued[i], strlen(valued[i])) == 0)
			return true;
	return false;
}

bool
faultjson_flattened(const char *body)
{
	size_t actions = 0;
	const char *p = body;

	if (strchr(body, '\n') != NULL)
		return false;
	while (*p) {
		const char *f;
		while (*p == ' ' || *p == '\t' || *p == '\r')
			p++;
		if (*p == '\0' || *p == '#')
			break;
		f = p;
		while (*p && *p != ' ' && *p != '\t' && *p != '\r')
			p++;
		actions += is_action(f, (size_t)(p - f));
	}
	/* one rule has one action: two of them on one line are two rules run together */
	return actions >= 2;
}
