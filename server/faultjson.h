/* server/faultjson.h -- fault rule bodies of the control API: JSON in the shape GET /faults
   returns turned into rule lines, and the hint for a text body curl -d flattened. Pure. */
#ifndef MXLAB_FAULTJSON_H
#define MXLAB_FAULTJSON_H

#include <stdbool.h>
#include <stddef.h>

/* Is body JSON (its first non-blank byte '{' or '[')? */
bool faultjson_is_json(const char *body);

/* Rule lines (one per line, caller frees *textp) from a JSON body: {"rules": [...]} as
   GET /faults returns it, or a bare array; each element a rule string or an object whose
   "rule" member is one (other members, such as "index" and "fired", are ignored). 0, or -1
   with the reason in err. */
int faultjson_to_text(const char *body, size_t len, char **textp, char *err, size_t errlen);

/* Does a text body look like several rules with their newlines stripped (curl -d @file)?
   No newline, and more than one action among its fields. */
bool faultjson_flattened(const char *body);

#endif
