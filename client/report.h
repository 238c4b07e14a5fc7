/* client/report.h -- formats a check result: the text report and JSON Lines. */
#ifndef MXCHECK_REPORT_H
#define MXCHECK_REPORT_H

#include <stdbool.h>
#include <stdio.h>

#include "client/check.h"

/* Verdict line, one chain per route/address, then the problems. color: ANSI colours. */
void report_text(FILE *fp, const struct check_result *r, bool color);
/* One JSON object on one line (JSON Lines), newline included. 0, or -1 on failure. */
int report_json(FILE *fp, const struct check_result *r);
/* The same JSON object as a malloc'd string without the newline (NULL on failure). */
char *report_json_string(const struct check_result *r);

#endif
