/* tests/e2e/test_dashboard.c -- the dashboard in a real browser: headless Chromium loads GET /
   from a running bin/mxlabd, queries are sent, and the page is read back (rows and their
   fields, filters, pause, counters, a scenario's break/fix switch, the world's delegation tree
   and a silenced server). Screenshots go to the build directory. Without Chromium every test
   here is skipped, loudly, with the reason. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <jansson.h>
#include <ldns/ldns.h>

#include "tests/support/cdp.h"
#include "tests/support/support.h"

static struct testsrv srv;
static struct cdp browser;
static int ctl_port;

static void
stop_all(void)
{
	cdp_stop(&browser);
	testsrv_stop(&srv);
}

TestSuite(e2e_dashboard, .fini = stop_all, .timeout = 120);

/* A free loopback TCP port for --control (bound, read back, released). */
static int
free_tcp_port(void)
{
	struct sockaddr_in sin = {.sin_family = AF_INET};
	socklen_t sl = sizeof(sin);
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	cr_assert_geq(fd, 0);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	cr_assert_eq(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	cr_assert_eq(getsockname(fd, (struct sockaddr *)&sin, &sl), 0);
	close(fd);
	return ntohs(sin.sin_port);
}

/* Skip the test, loudly, when there is no browser to drive. */
static void
need_browser(void)
{
	char why[512];

	if (cdp_browser(why, sizeof(why)) == NULL) {
		fprintf(stderr, "\n*** SKIPPED browser test: %s ***\n\n", why);
		cr_skip_test("%s", why);
	}
}

/* Start mxlabd with args plus --control on a free port, then the browser on its dashboard;
   before_page (may be NULL) runs in the page before its own script; conn is the connection
   state to wait for ("live", or "polling" without EventSource). */
static void
open_dashboard_with(const char *const args[], const char *before_page, const char *conn)
{
	const char *argv[32];
	char ctl[64], url[96], why[4096];
	size_t n = 0;

	need_browser();
	ctl_port = free_tcp_port();
	snprintf(ctl, sizeof(ctl), "127.0.0.1:%d", ctl_port);
	for (; args[n] && n < 28; n++)
		argv[n] = args[n];
	argv[n++] = "--control";
	argv[n++] = ctl;
	argv[n] = NULL;
	cr_assert_eq(testsrv_start(&srv, argv), 0, "mxlabd did not start: %s",
	             testsrv_stderr(&srv));
	cr_assert_eq(cdp_start(&browser, 1400, 1000, why, sizeof(why)), 0,
	             "Chromium did not start: %s", why);
	if (before_page) {
		json_t *r =
		    cdp_call(&browser, true, "Page.addScriptToEvaluateOnNewDocument",
		             json_pack("{s:s}", "source", before_page), 10000, why, sizeof(why));
		cr_assert_not_null(r, "%s", why);
		json_decref(r);
	}
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/", ctl_port);
	cr_assert_eq(cdp_navigate(&browser, url, 20000), 0, "the page did not load");
	snprintf(why, sizeof(why), "document.querySelector('#conn').textContent === '%s'", conn);
	cr_assert(cdp_wait(&browser, why, 10000), "the page's connection did not become %s", conn);
}

static void
open_dashboard(const char *const args[])
{
	open_dashboard_with(args, NULL, "live");
}

/* The value of a JavaScript expression (fails the test when it throws). */
static json_t *
js(const char *expr)
{
	char why[2048];
	json_t *v = cdp_eval(&browser, expr, why, sizeof(why));

	cr_assert_not_null(v, "%s", why);
	return v;
}

static void
screenshot(const char *name, bool full)
{
	const char *dir = getenv("MXLAB_BUILD_DIR");
	char path[4200];

	snprintf(path, sizeof(path), "%s/%s", dir && dir[0] ? dir : test_src("build"), name);
	cr_expect_eq(cdp_screenshot(&browser, path, full), 0, "no screenshot at %s", path);
}

/* The shown row for qname: {"class": ..., "c-name": ..., ...}; NULL when none. */
static json_t *
row_of(const char *qname)
{
	char expr[1024];
	json_t *v;

	snprintf(expr, sizeof(expr),
	         "(() => { for (const tr of document.querySelectorAll('#qrows tr')) {"
	         " if (tr.querySelector('.c-name').textContent !== '%s') continue;"
	         " const o = {class: tr.className};"
	         " for (const td of tr.children) o[td.className] = td.textContent;"
	         " return o; } return null; })()",
	         qname);
	v = js(expr);
	if (json_is_null(v)) {
		json_decref(v);
		return NULL;
	}
	return v;
}

static const char *
field(json_t *row, const char *key)
{
	const char *s = json_string_value(json_object_get(row, key));
	return s ? s : "(missing)";
}

static int
rcode_of(const char *addr, const char *name)
{
	ldns_pkt *p = test_query_at(addr, srv.port, name, LDNS_RR_TYPE_MX, false, 0, 2000);
	int rc;

	cr_assert_not_null(p, "no answer for %s MX", name);
	rc = ldns_pkt_get_rcode(p);
	ldns_pkt_free(p);
	return rc;
}

Test(e2e_dashboard, rows_appear_with_client_server_name_type_rcode_flags_and_fault)
{
	const char *args[] = {"-z", test_src("zones"), NULL};
	json_t *ok, *bad;

	open_dashboard(args);
	cr_assert_eq(rcode_of("127.0.0.1", "healthy.test."), LDNS_RCODE_NOERROR);
	cr_assert_eq(rcode_of("127.0.0.1", "mx-servfail.test."), LDNS_RCODE_SERVFAIL);
	cr_assert(cdp_wait(&browser, "document.querySelectorAll('#qrows tr').length >= 2", 5000),
	          "the two queries did not appear");

	ok = row_of("healthy.test.");
	cr_assert_not_null(ok);
	cr_expect_str_eq(field(ok, "c-client"), "127.0.0.1");
	cr_expect_str_eq(field(ok, "c-server"), "127.0.0.1");
	cr_expect_str_eq(field(ok, "c-type"), "MX");
	cr_expect_str_eq(field(ok, "c-rcode"), "NOERROR");
	cr_expect_str_eq(field(ok, "c-flags"), "aa");
	cr_expect_str_eq(field(ok, "c-ans"), "1");
	cr_expect_str_eq(field(ok, "c-fault"), "");
	cr_expect_str_eq(field(ok, "class"), "");
	cr_expect_not_null(strstr(field(ok, "c-lat"), " ms"));
	cr_expect_eq(strlen(field(ok, "c-time")), 12, "time %s", field(ok, "c-time"));

	bad = row_of("mx-servfail.test.");
	cr_assert_not_null(bad);
	cr_expect_str_eq(field(bad, "c-rcode"), "SERVFAIL");
	cr_expect_str_eq(field(bad, "c-fault"), "rcode: mx-servfail.test. MX rcode=SERVFAIL");
	cr_expect_str_eq(field(bad, "class"), "fail", "a failed query stands out");
	json_decref(ok);
	json_decref(bad);

	/* counters per rcode and action */
	cr_expect(cdp_wait(&browser,
	                   "document.querySelector('#counters').textContent.includes('SERVFAIL 1') "
	                   "&& document.querySelector('#counters').textContent.includes('action "
	                   "rcode 1')",
	                   3000),
	          "counters do not show SERVFAIL 1 / action rcode 1");

	/* a filter by name hides the other rows, and clearing it shows them again */
	json_decref(js("(() => { const f = document.querySelector('#f-name'); f.value = 'healthy';"
	               " f.dispatchEvent(new Event('input')); return true; })()"));
	cr_expect(cdp_wait(&browser,
	                   "[...document.querySelectorAll('#qrows tr:not(.hidden) .c-name')]"
	                   ".map(x => x.textContent).join() === 'healthy.test.'",
	                   3000),
	          "the name filter did not leave only healthy.test.");
	json_decref(js("(() => { const f = document.querySelector('#f-name'); f.value = '';"
	               " f.dispatchEvent(new Event('input')); return true; })()"));

	/* pause holds new rows back; resume shows them */
	json_decref(js("document.querySelector('#pause').click(), true"));
	cr_assert_eq(rcode_of("127.0.0.1", "null-mx.test."), LDNS_RCODE_NOERROR);
	cr_expect(cdp_wait(&browser,
	                   "document.querySelector('#held').textContent.startsWith('1 held')",
	                   3000),
	          "a query during pause was not held");
	cr_expect_null(row_of("null-mx.test."), "a row appeared while paused");
	json_decref(js("document.querySelector('#pause').click(), true"));
	cr_expect(cdp_wait(&browser, "document.querySelectorAll('#qrows tr').length === 3", 3000),
	          "the held row did not appear on resume");
	screenshot("dashboard-full.png", true);
	/* what the README shows: a few more queries, one of them dropped */
	cr_assert_eq(rcode_of("127.0.0.1", "lame.test."), LDNS_RCODE_NOERROR);
	cr_assert_eq(rcode_of("127.0.0.1", "mx-refused.test."), LDNS_RCODE_REFUSED);
	cr_assert_null(test_query(srv.port, "mx-timeout.test.", LDNS_RR_TYPE_MX, false, 0, 300));
	cr_assert_eq(rcode_of("127.0.0.1", "pref-order.test."), LDNS_RCODE_NOERROR);
	cr_expect(cdp_wait(&browser, "document.querySelectorAll('#qrows tr').length === 7", 3000),
	          "rows of the last queries missing");
	cr_expect(cdp_wait(&browser,
	                   "[...document.querySelectorAll('#qrows tr.fail .c-rcode')].some("
	                   "x => x.textContent === 'no reply')",
	                   3000),
	          "the dropped query is not shown as a failure");
	screenshot("dashboard.png", false);
}

Test(e2e_dashboard, a_scenario_switch_fixes_and_breaks_what_a_query_gets)
{
	const char *args[] = {"-z", test_src("zones"), NULL};
	const char sw[] = "document.querySelector('#srows tr[data-target=\"mx-servfail.test\"] "
	                  "button.switch')";
	char expr[512];

	open_dashboard(args);
	snprintf(expr, sizeof(expr), "!!%s && %s.getAttribute('aria-checked') === 'true'", sw, sw);
	cr_assert(cdp_wait(&browser, expr, 5000), "no switch showing mx-servfail.test broken");
	cr_assert_eq(rcode_of("127.0.0.1", "mx-servfail.test."), LDNS_RCODE_SERVFAIL);

	snprintf(expr, sizeof(expr), "%s.click(), true", sw);
	json_decref(js(expr));
	snprintf(expr, sizeof(expr), "%s.getAttribute('aria-checked') === 'false'", sw);
	cr_assert(cdp_wait(&browser, expr, 5000), "the switch did not turn to fixed");
	cr_expect_eq(rcode_of("127.0.0.1", "mx-servfail.test."), LDNS_RCODE_NOERROR,
	             "fixed: the MX query is answered");
	cr_expect_eq(rcode_of("127.0.0.1", "mx-refused.test."), LDNS_RCODE_REFUSED,
	             "the other scenarios keep their rules");

	snprintf(expr, sizeof(expr), "%s.click(), true", sw);
	json_decref(js(expr));
	snprintf(expr, sizeof(expr), "%s.getAttribute('aria-checked') === 'true'", sw);
	cr_assert(cdp_wait(&browser, expr, 5000), "the switch did not turn back to broken");
	cr_expect_eq(rcode_of("127.0.0.1", "mx-servfail.test."), LDNS_RCODE_SERVFAIL,
	             "broken again: SERVFAIL");
}

/* A small world: test. on 127.53.120.1, kestrel.test. on 127.53.121.1 and .2. */
static const char world_test[] = "$ORIGIN test.\n"
                                 "$TTL 300\n"
                                 "@ SOA ns.nic hostmaster 1 3600 600 86400 300\n"
                                 "@ NS ns.nic\n"
                                 "ns.nic A 127.53.120.1\n"
                                 "kestrel NS ns1.kestrel\n"
                                 "kestrel NS ns2.kestrel\n"
                                 "ns1.kestrel A 127.53.121.1\n"
                                 "ns2.kestrel A 127.53.121.2\n";
static const char world_kestrel[] = "$ORIGIN kestrel.test.\n"
                                    "$TTL 300\n"
                                    "@ SOA ns1 hostmaster 1 3600 600 86400 300\n"
                                    "@ NS ns1\n"
                                    "@ NS ns2\n"
                                    "ns1 A 127.53.121.1\n"
                                    "ns2 A 127.53.121.2\n"
                                    "@ MX 10 mail\n"
                                    "mail A 192.0.2.25\n";

Test(e2e_dashboard, the_world_tree_shows_servers_and_a_click_silences_one)
{
	char dir[256];
	const char btn[] = "document.querySelector('#tree button.srv[data-addr=\"127.53.121.1\"]')";
	char expr[512];
	json_t *v;
	ldns_pkt *p;

	test_tmpdir(dir, sizeof(dir));
	test_write(dir, "test.zone", world_test);
	test_write(dir, "kestrel.test.zone", world_kestrel);
	const char *args[] = {"--world", "--root-addr", "127.53.119.1", "-z", dir, NULL};
	open_dashboard(args);

	/* root, the TLD and the zone, nested, with their servers */
	cr_assert(cdp_wait(&browser, "!!document.querySelector('#tree button.srv')", 5000),
	          "no delegation tree");
	v = js("[...document.querySelectorAll('#tree .zname')].map(x => x.textContent).join('|')");
	cr_expect_str_eq(json_string_value(v), ". (root)|test.|kestrel.test.");
	json_decref(v);
	v = js("document.querySelector('#tree li li li .node').textContent");
	cr_expect_not_null(strstr(json_string_value(v), "127.53.121.1"), "%s",
	                   json_string_value(v));
	cr_expect_not_null(strstr(json_string_value(v), "127.53.121.2"), "%s",
	                   json_string_value(v));
	json_decref(v);

	/* a query to one server shows in the stream with that server's address, and lights the
	   server up in the picture (recorded by an observer: the light lasts 0.7 s) */
	json_decref(
	    js("window.litSeen = [], new MutationObserver((ms) => { for (const m of ms)"
	       " if (m.target.classList.contains('lit')) litSeen.push(m.target.dataset.addr);"
	       " }).observe(document.querySelector('#tree'), {subtree: true, attributes: true,"
	       " attributeFilter: ['class']}), true"));
	cr_assert_eq(rcode_of("127.53.121.1", "kestrel.test."), LDNS_RCODE_NOERROR);
	cr_expect(cdp_wait(&browser, "litSeen.includes('127.53.121.1')", 5000),
	          "the answering server did not light up");
	v = js("litSeen.includes('127.53.121.2')");
	cr_expect(json_is_false(v), "a server that did not answer lit up");
	json_decref(v);
	cr_assert(cdp_wait(&browser,
	                   "[...document.querySelectorAll('#qrows .c-server')].some("
	                   "x => x.textContent === '127.53.121.1')",
	                   5000),
	          "the query to 127.53.121.1 did not appear");

	/* clicking the server makes it silent: the picture says so and queries go unanswered */
	snprintf(expr, sizeof(expr), "%s.click(), true", btn);
	json_decref(js(expr));
	snprintf(expr, sizeof(expr), "%s && %s.dataset.state === 'silent'", btn, btn);
	cr_assert(cdp_wait(&browser, expr, 5000), "the server did not turn silent");
	p = test_query_at("127.53.121.1", srv.port, "kestrel.test.", LDNS_RR_TYPE_MX, false, 0,
	                  500);
	cr_expect_null(p, "a silent server answered");
	ldns_pkt_free(p);
	cr_expect_eq(rcode_of("127.53.121.2", "kestrel.test."), LDNS_RCODE_NOERROR,
	             "the other server still answers");
	screenshot("dashboard-world.png", false);

	/* silent -> closed -> up */
	snprintf(expr, sizeof(expr), "%s.click(), true", btn);
	json_decref(js(expr));
	snprintf(expr, sizeof(expr), "%s && %s.dataset.state === 'closed'", btn, btn);
	cr_expect(cdp_wait(&browser, expr, 5000), "the server did not turn closed");
	snprintf(expr, sizeof(expr), "%s.click(), true", btn);
	json_decref(js(expr));
	snprintf(expr, sizeof(expr), "%s && %s.dataset.state === 'up'", btn, btn);
	cr_expect(cdp_wait(&browser, expr, 5000), "the server did not come back up");
	cr_expect_eq(rcode_of("127.53.121.1", "kestrel.test."), LDNS_RCODE_NOERROR);
}

Test(e2e_dashboard, without_event_streams_the_page_polls_and_names_are_shown_as_text)
{
	const char *args[] = {"-z", test_src("zones"), NULL};
	json_t *v;
	ldns_pkt *p;

	open_dashboard_with(args, "delete window.EventSource;", "polling");
	cr_assert_eq(rcode_of("127.0.0.1", "healthy.test."), LDNS_RCODE_NOERROR);
	/* a name with markup in it: shown as text, never parsed as HTML */
	p = test_query(srv.port, "<b>x</b>.example.", LDNS_RR_TYPE_A, false, 0, 2000);
	cr_assert_not_null(p, "no answer for the markup name");
	cr_expect_eq(ldns_pkt_get_rcode(p), LDNS_RCODE_REFUSED);
	ldns_pkt_free(p);
	cr_assert(cdp_wait(&browser, "document.querySelectorAll('#qrows tr').length === 2", 5000),
	          "polling did not bring the rows");
	v = js("document.querySelector('#qrows tr .c-name').textContent");
	cr_expect_str_eq(json_string_value(v), "<b>x</b>.example.");
	json_decref(v);
	v = js("document.querySelectorAll('#qrows b').length");
	cr_expect_eq(json_integer_value(v), 0, "markup from a query name became HTML");
	json_decref(v);
	v = js("document.querySelector('#qrows tr').className");
	cr_expect_str_eq(json_string_value(v), "fail", "REFUSED stands out");
	json_decref(v);
}

/* Press and release a key in the page. */
static void
key(const char *k, const char *code, int vk, const char *text)
{
	char why[512];
	json_t *r = cdp_call(&browser, true, "Input.dispatchKeyEvent",
	                     json_pack("{s:s,s:s,s:s,s:i,s:s}", "type", "keyDown", "key", k, "code",
	                               code, "windowsVirtualKeyCode", vk, "text", text),
	                     5000, why, sizeof(why));

	cr_assert_not_null(r, "%s", why);
	json_decref(r);
	r = cdp_call(&browser, true, "Input.dispatchKeyEvent",
	             json_pack("{s:s,s:s,s:s,s:i}", "type", "keyUp", "key", k, "code", code,
	                       "windowsVirtualKeyCode", vk),
	             5000, why, sizeof(why));
	cr_assert_not_null(r, "%s", why);
	json_decref(r);
}

Test(e2e_dashboard, the_keyboard_pauses_and_a_focused_switch_toggles_with_enter)
{
	const char *args[] = {"-z", test_src("zones"), NULL};
	const char sw[] = "document.querySelector('#srows tr[data-target=\"mx-refused.test\"] "
	                  "button.switch')";
	char expr[512];

	open_dashboard(args);
	cr_assert(cdp_wait(&browser, "!!document.querySelector('#srows button.switch')", 5000));
	/* "p" anywhere but in a text field toggles pause */
	key("p", "KeyP", 80, "p");
	cr_expect(
	    cdp_wait(&browser,
	             "document.querySelector('#pause').getAttribute('aria-pressed') === 'true'",
	             3000),
	    "p did not pause");
	/* a switch is a focusable button: Enter on it flips it */
	snprintf(expr, sizeof(expr), "%s.focus(), document.activeElement === %s", sw, sw);
	json_t *v = js(expr);
	cr_assert(json_is_true(v), "the switch cannot take the focus");
	json_decref(v);
	key("Enter", "Enter", 13, "\r");
	snprintf(expr, sizeof(expr), "%s.getAttribute('aria-checked') === 'false'", sw);
	cr_expect(cdp_wait(&browser, expr, 5000), "Enter on the focused switch did not fix it");
	snprintf(expr, sizeof(expr), "document.activeElement === %s", sw);
	cr_expect(cdp_wait(&browser, expr, 2000), "the focus left the switch");
	cr_expect_eq(rcode_of("127.0.0.1", "mx-refused.test."), LDNS_RCODE_NOERROR);
}
