/* tests/support/cdp.c -- drive headless Chromium through the DevTools protocol over a pipe:
   start it with a fresh profile, evaluate JavaScript in a page, take screenshots. */
#include "tests/support/cdp.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tests/support/support.h"

const char *
cdp_browser(char *why, size_t whylen)
{
	const char *b = getenv("MXLAB_CHROMIUM");

	if (b == NULL || b[0] == '\0')
		b = "/usr/bin/chromium";
	if (access(b, X_OK) != 0) {
		snprintf(why, whylen,
		         "no Chromium at %s (%s): install the Debian package chromium (make "
		         "browser-deps) or set MXLAB_CHROMIUM",
		         b, strerror(errno));
		return NULL;
	}
	return b;
}

/* Write all of len bytes (bounded by the pipe staying writable). */
static int
write_all(int fd, const char *p, size_t len)
{
	while (len) {
		ssize_t n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* The next NUL-terminated message as JSON (caller decrefs), waiting until deadline. */
static json_t *
next_message(struct cdp *c, double deadline)
{
	for (;;) {
		char *nul = c->len ? memchr(c->buf, '\0', c->len) : NULL;
		if (nul) {
			size_t mlen = (size_t)(nul - c->buf);
			json_t *j = json_loadb(c->buf, mlen, 0, NULL);
			memmove(c->buf, nul + 1, c->len - mlen - 1);
			c->len -= mlen + 1;
			if (j)
				return j;
			continue;
		}
		int left = (int)(deadline - test_now_ms());
		struct pollfd p = {.fd = c->rfd, .events = POLLIN};
		if (left <= 0 || poll(&p, 1, left) <= 0)
			return NULL;
		if (c->cap - c->len < 65536) {
			size_t ncap = c->cap ? c->cap * 2 : 1 << 20;
			char *nb = realloc(c->buf, ncap);
			if (nb == NULL)
				return NULL;
			c->buf = nb;
			c->cap = ncap;
		}
		ssize_t n = read(c->rfd, c->buf + c->len, c->cap - c->len);
		if (n <= 0)
			return NULL;
		c->len += (size_t)n;
	}
}

json_t *
cdp_call(struct cdp *c, bool page, const char *method, json_t *params, int timeout_ms, char *why,
         size_t whylen)
{
	int id = ++c->next_id;
	json_t *msg = json_pack("{s:i,s:s,s:o}", "id", id, "method", method, "params",
	                        params ? params : json_object());
	double deadline = test_now_ms() + timeout_ms;
	char *text;

	if (page && c->session[0])
		json_object_set_new(msg, "sessionId", json_string(c->session));
	text = json_dumps(msg, JSON_COMPACT);
	json_decref(msg);
	if (text == NULL || write_all(c->wfd, text, strlen(text) + 1) < 0) {
		free(text);
		snprintf(why, whylen, "%s: the browser's pipe is closed", method);
		return NULL;
	}
	free(text);
	for (;;) {
		json_t *r = next_message(c, deadline);
		json_t *res;
		if (r == NULL) {
			snprintf(why, whylen, "%s: no reply within %d ms", method, timeout_ms);
			return NULL;
		}
		if (json_integer_value(json_object_get(r, "id")) != id) {
			json_decref(r); /* an event, or a reply to a command given up on */
			continue;
		}
		if ((res = json_object_get(r, "result")) != NULL) {
			json_incref(res);
			json_decref(r);
			return res;
		}
		text = json_dumps(json_object_get(r, "error"), JSON_COMPACT);
		snprintf(why, whylen, "%s: %s", method, text ? text : "error");
		free(text);
		json_decref(r);
		return NULL;
	}
}

int
cdp_start(struct cdp *c, int width, int height, char *why, size_t whylen)
{
	const char *bin = cdp_browser(why, whylen);
	int to_browser[2], from_browser[2];
	char dirarg[300], sizearg[64];
	pid_t parent = getpid();
	json_t *r;

	memset(c, 0, sizeof(*c));
	if (bin == NULL)
		return -1;
	test_tmpdir(c->profile, sizeof(c->profile));
	snprintf(dirarg, sizeof(dirarg), "--user-data-dir=%s", c->profile);
	snprintf(sizearg, sizeof(sizearg), "--window-size=%d,%d", width, height);
	snprintf(c->errfile, sizeof(c->errfile), "%s.err", c->profile);
	if (pipe(to_browser) < 0 || pipe(from_browser) < 0) {
		snprintf(why, whylen, "pipe: %s", strerror(errno));
		return -1;
	}
	c->pid = fork();
	if (c->pid < 0) {
		snprintf(why, whylen, "fork: %s", strerror(errno));
		c->pid = 0;
		return -1;
	}
	if (c->pid == 0) {
		int err = open(c->errfile, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		int in = dup(to_browser[0]), out = dup(from_browser[1]);
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(127);
		setpgid(0, 0); /* one group: cdp_stop ends the browser's helpers too */
		if (err >= 0) {
			dup2(err, 1);
			dup2(err, 2);
		}
		dup2(in, 3);
		dup2(out, 4);
		for (int fd = 5; fd < 1024; fd++)
			close(fd);
		execl(bin, bin, "--headless", "--no-sandbox", "--disable-gpu",
		      "--disable-background-networking", "--disable-component-update",
		      "--disable-sync", "--no-first-run", "--no-default-browser-check",
		      "--disable-dev-shm-usage", "--remote-debugging-pipe", dirarg, sizearg,
		      "about:blank", (char *)NULL);
		_exit(127);
	}
	close(to_browser[0]);
	close(from_browser[1]);
	c->wfd = to_browser[1];
	c->rfd = from_browser[0];
	fcntl(c->wfd, F_SETFD, FD_CLOEXEC);
	fcntl(c->rfd, F_SETFD, FD_CLOEXEC);

	/* a page of our own, and a flat session to it */
	r = cdp_call(c, false, "Target.createTarget", json_pack("{s:s}", "url", "about:blank"),
	             30000, why, whylen);
	if (r == NULL)
		goto fail;
	json_t *att = cdp_call(
	    c, false, "Target.attachToTarget",
	    json_pack("{s:O,s:b}", "targetId", json_object_get(r, "targetId"), "flatten", 1), 10000,
	    why, whylen);
	json_decref(r);
	if (att == NULL)
		goto fail;
	snprintf(c->session, sizeof(c->session), "%s",
	         json_string_value(json_object_get(att, "sessionId")) ?: "");
	json_decref(att);
	if ((r = cdp_call(c, true, "Page.enable", NULL, 10000, why, whylen)) == NULL)
		goto fail;
	json_decref(r);
	r = cdp_call(c, true, "Emulation.setDeviceMetricsOverride",
	             json_pack("{s:i,s:i,s:i,s:b}", "width", width, "height", height,
	                       "deviceScaleFactor", 1, "mobile", 0),
	             10000, why, whylen);
	if (r == NULL)
		goto fail;
	json_decref(r);
	return 0;
fail : {
	size_t n = strlen(why);
	FILE *fp = fopen(c->errfile, "r");
	if (fp && n + 20 < whylen) {
		snprintf(why + n, whylen - n, "; browser stderr: ");
		n = strlen(why);
		size_t got = fread(why + n, 1, whylen - n - 1, fp);
		why[n + got] = '\0';
	}
	if (fp)
		fclose(fp);
}
	cdp_stop(c);
	return -1;
}

json_t *
cdp_eval(struct cdp *c, const char *expr, char *why, size_t whylen)
{
	json_t *r = cdp_call(
	    c, true, "Runtime.evaluate",
	    json_pack("{s:s,s:b,s:b}", "expression", expr, "returnByValue", 1, "awaitPromise", 1),
	    10000, why, whylen);
	json_t *v;

	if (r == NULL)
		return NULL;
	if (json_object_get(r, "exceptionDetails")) {
		char *t = json_dumps(json_object_get(r, "exceptionDetails"), JSON_COMPACT);
		snprintf(why, whylen, "%s: %s", expr, t ? t : "exception");
		free(t);
		json_decref(r);
		return NULL;
	}
	v = json_object_get(json_object_get(r, "result"), "value");
	v = v ? json_incref(v) : json_null();
	json_decref(r);
	return v;
}

bool
cdp_wait(struct cdp *c, const char *expr, int timeout_ms)
{
	double deadline = test_now_ms() + timeout_ms;
	char why[512];

	do {
		json_t *v = cdp_eval(c, expr, why, sizeof(why));
		bool ok = v && json_is_true(v);
		json_decref(v);
		if (ok)
			return true;
		poll(NULL, 0, 50);
	} while (test_now_ms() < deadline);
	return false;
}

int
cdp_navigate(struct cdp *c, const char *url, int timeout_ms)
{
	char why[512];
	json_t *r = cdp_call(c, true, "Page.navigate", json_pack("{s:s}", "url", url), timeout_ms,
	                     why, sizeof(why));

	if (r == NULL)
		return -1;
	json_decref(r);
	return cdp_wait(c, "document.readyState === 'complete'", timeout_ms) ? 0 : -1;
}

/* Decode base64 text into a new buffer (*out, caller frees); the length, or -1. */
static long
base64_decode(const char *s, unsigned char **out)
{
	size_t n = strlen(s), o = 0;
	unsigned char *b = malloc(n / 4 * 3 + 3);
	unsigned acc = 0;
	int bits = 0;

	if (b == NULL)
		return -1;
	for (size_t i = 0; i < n; i++) {
		const char ch = s[i];
		int v;
		if (ch >= 'A' && ch <= 'Z')
			v = ch - 'A';
		else if (ch >= 'a' && ch <= 'z')
			v = ch - 'a' + 26;
		else if (ch >= '0' && ch <= '9')
			v = ch - '0' + 52;
		else if (ch == '+')
			v = 62;
		else if (ch == '/')
			v = 63;
		else
			continue; /* padding */
		acc = (acc << 6) | (unsigned)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			b[o++] = (unsigned char)(acc >> bits);
			acc &= (1u << bits) - 1;
		}
	}
	*out = b;
	return (long)o;
}

int
cdp_screenshot(struct cdp *c, const char *path, bool full)
{
	char why[512];
	json_t *r = cdp_call(c, true, "Page.captureScreenshot",
	                     json_pack("{s:s,s:b}", "format", "png", "captureBeyondViewport", full),
	                     20000, why, sizeof(why));
	const char *data;
	unsigned char *png = NULL;
	long n;
	FILE *fp;
	int rc = -1;

	if (r == NULL)
		return -1;
	data = json_string_value(json_object_get(r, "data"));
	if (data && (n = base64_decode(data, &png)) > 8 && (fp = fopen(path, "wb")) != NULL) {
		if (fwrite(png, 1, (size_t)n, fp) == (size_t)n)
			rc = 0;
		if (fclose(fp) != 0)
			rc = -1;
	}
	free(png);
	json_decref(r);
	return rc;
}

void
cdp_stop(struct cdp *c)
{
	if (c->pid > 0) {
		char why[128];
		double deadline = test_now_ms() + 5000;
		int st;
		json_t *r = cdp_call(c, false, "Browser.close", NULL, 3000, why, sizeof(why));
		json_decref(r);
		pid_t got = 0;
		while ((got = waitpid(c->pid, &st, WNOHANG)) == 0 && test_now_ms() < deadline)
			poll(NULL, 0, 20);
		kill(-c->pid, SIGKILL); /* its group: renderer, zygote and the rest */
		if (got == 0)
			waitpid(c->pid, &st, 0);
		c->pid = 0;
	}
	if (c->wfd > 0)
		close(c->wfd);
	if (c->rfd > 0)
		close(c->rfd);
	c->wfd = c->rfd = 0;
	free(c->buf);
	c->buf = NULL;
	c->len = c->cap = 0;
	if (c->profile[0]) {
		char cmd[600];
		snprintf(cmd, sizeof(cmd), "rm -rf '%s' '%s'", c->profile, c->errfile);
		if (system(cmd) != 0) {
			/* a leftover temporary profile is harmless */
		}
		c->profile[0] = '\0';
	}
}
