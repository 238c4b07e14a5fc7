/* server/dash.h -- the dashboard on the control API: GET / (one self-contained page built into
   the binary), GET /catalog (the served scenario catalog and each scenario's fault rules),
   GET /events (the query log as server-sent events). It reads; every change the page makes
   goes through the API's own resources (/faults, /servers). */
#ifndef MXLAB_DASH_H
#define MXLAB_DASH_H

#include <stddef.h>

#include <event2/http.h>

struct srv;
struct dash;

/* The page (generated at build time from dashboard/index.html). */
extern const char dash_page[];
extern const size_t dash_page_len;

struct dash *dash_new(struct srv *s);
void dash_free(struct dash *d);

/* Answer req when path is a dashboard resource ("/", "/index.html", "/catalog", "/events"):
   1 when answered, 0 when the path is not the dashboard's. */
int dash_handle(struct dash *d, struct evhttp_request *req, const char *path, const char *query);

/* The directory whose catalog.tsv and faults.conf describe the served scenarios: the first
   -z DIR holding catalog.tsv, or the bundled catalog when no zones were given; "" when none. */
void dash_catalog_dir(const struct srv *s, char *buf, size_t len);

#endif
