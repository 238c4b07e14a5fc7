/* tests/support/cdp.h -- drive headless Chromium from a test through its DevTools protocol over
   a pipe (--remote-debugging-pipe: JSON messages ended by NUL on fds 3 and 4; no WebSocket, no
   npm). The browser dies with the test. */
#ifndef MXLAB_TEST_CDP_H
#define MXLAB_TEST_CDP_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include <jansson.h>

struct cdp {
	pid_t pid;         /* browser process (leader of its own process group), 0 when none */
	int wfd;           /* our end of the pipe the browser reads commands from */
	int rfd;           /* our end of the pipe the browser writes replies to */
	int next_id;       /* id of the next command */
	char session[128]; /* flat session id of the page's target */
	char profile[256]; /* fresh --user-data-dir (removed by cdp_stop) */
	char *buf;         /* bytes read and not yet split into messages; owned */
	size_t len;        /* bytes in buf */
	size_t cap;        /* bytes allocated for buf */
	char errfile[300]; /* the browser's stderr */
};

/* The Chromium binary to use: $MXLAB_CHROMIUM, else /usr/bin/chromium; NULL when there is no
   executable there (why says so). */
const char *cdp_browser(char *why, size_t whylen);

/* Start the browser with a page of width x height; 0, or -1 with the reason in why. */
int cdp_start(struct cdp *c, int width, int height, char *why, size_t whylen);
/* Send method with params (stolen; may be NULL) to the page (to the browser when page is
   false) and wait (bounded) for its reply. Returns the "result" object (caller decrefs), or
   NULL on an error reply or timeout, with the reason in why. */
json_t *cdp_call(struct cdp *c, bool page, const char *method, json_t *params, int timeout_ms,
                 char *why, size_t whylen);
/* Evaluate a JavaScript expression in the page (promises awaited); its value as JSON (caller
   decrefs), NULL when it threw (why says what). */
json_t *cdp_eval(struct cdp *c, const char *expr, char *why, size_t whylen);
/* Evaluate expr every 50 ms until it is true, at most timeout_ms. */
bool cdp_wait(struct cdp *c, const char *expr, int timeout_ms);
/* Load url and wait for the load event (bounded). 0 or -1. */
int cdp_navigate(struct cdp *c, const char *url, int timeout_ms);
/* A PNG of the page into path: all of it (full), or what the window shows. 0 or -1. */
int cdp_screenshot(struct cdp *c, const char *path, bool full);
/* Stop the browser and every process it started, remove its profile. */
void cdp_stop(struct cdp *c);

#endif
