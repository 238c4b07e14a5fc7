/* tests/unit/test_zload.c -- zone loading in two stages: a zone loaded by the parser and the
   storing thread gives the same records, the same index (byte for byte) and the same
   diagnostics as one loaded by one thread, and the index started while loading equals the
   one zoneset_finish builds from scratch. */
#include <criterion/criterion.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/zload.h"
#include "server/zone.h"
#include "server/zone_int.h"
#include "tests/support/support.h"

/* A zone of about n records (several batches of the pipeline): owners in mixed case, names
   that come back later in the file, MX targets in capitals, a delegation with glue, a
   wildcard, a CNAME, and a child zone's apex below it when child is set. */
static char *
gen_zone(const char *origin, size_t n, bool child)
{
	size_t cap = n * 64 + 4096, len = 0;
	char *t = malloc(cap);

	cr_assert_not_null(t);
	len += (size_t)snprintf(t + len, cap - len,
	                        "$ORIGIN %s\n$TTL 3600\n"
	                        "@ SOA ns1 hostmaster 7 3600 600 86400 300\n"
	                        "@ NS ns1\nns1 A 192.0.2.1\n"
	                        "*.wild A 192.0.2.7\nalias CNAME H1\n"
	                        "deleg NS ns.deleg\nns.deleg A 192.0.2.53\n",
	                        origin);
	if (child)
		len += (size_t)snprintf(t + len, cap - len, "sub NS ns1\n");
	for (size_t i = 0; len + 128 < cap && i < n; i++) {
		if (i % 3 == 0)
			len += (size_t)snprintf(t + len, cap - len, "H%zu A 10.%zu.%zu.%zu\n", i,
			                        (i >> 16) & 255, (i >> 8) & 255, i & 255);
		else if (i % 3 == 1)
			len += (size_t)snprintf(t + len, cap - len, "h%zu MX 10 MAIL%zu\n", i - 1,
			                        i % 50);
		else
			len += (size_t)snprintf(t + len, cap - len,
			                        "h%zu.Deep AAAA 2001:db8::%zx\n", i % 997, i);
	}
	return t;
}

/* Everything loading and indexing produced must be equal in a and b. */
static void
assert_same_set(const struct zoneset *a, const struct zoneset *b)
{
	cr_assert_eq(a->nzones, b->nzones);
	for (size_t i = 0; i < a->nzones; i++) {
		const struct zone *x = a->zones[i], *y = b->zones[i];
		cr_assert_eq(x->nrecs, y->nrecs, "zone %zu: %zu records, %zu", i, x->nrecs,
		             y->nrecs);
		cr_assert_eq(memcmp(x->recs, y->recs, x->nrecs * sizeof(*x->recs)), 0,
		             "zone %zu: records differ", i);
		cr_assert_eq(x->alen, y->alen);
		cr_assert_eq(memcmp(x->arena, y->arena, x->alen), 0, "zone %zu: arena differs", i);
		cr_assert_eq(x->apex, y->apex);
		cr_assert_eq(x->soa, y->soa);
		cr_assert_eq(x->ns, y->ns);
	}
	cr_assert_eq(a->nnodes, b->nnodes, "nodes: %u and %u", a->nnodes, b->nnodes);
	for (uint32_t n = 0; n < a->nnodes; n++) {
		const struct node *p = &a->nodes[n], *q = &b->nodes[n];
		cr_assert_eq(p->namelen, q->namelen, "node %u", n);
		cr_assert_eq(memcmp(a->names + p->name, b->names + q->name, p->namelen), 0,
		             "node %u: another name", n);
		cr_assert_eq(p->parent, q->parent, "node %u", n);
		cr_assert_eq(p->rrsets, q->rrsets, "node %u", n);
		cr_assert_eq(p->zone, q->zone, "node %u", n);
		cr_assert_eq(p->flags, q->flags, "node %u", n);
	}
	cr_assert_eq(a->slen, b->slen);
	/* RRset by RRset (the alignment bytes between them are not written) */
	for (uint32_t n = 0; n < a->nnodes; n++) {
		for (uint32_t off = a->nodes[n].rrsets; off;) {
			const struct rrset *p = zone_rrset_at(a, off), *q = zone_rrset_at(b, off);
			cr_assert_eq(memcmp(p, q, sizeof(*p)), 0, "node %u: RRset headers differ",
			             n);
			cr_assert_eq(memcmp(p + 1, q + 1, zone_rrset_bytes(p)), 0,
			             "node %u: records differ", n);
			off = p->next;
		}
	}
}

static void
assert_same_diags(const struct diag *a, const struct diag *b)
{
	char x[1024], y[1024];

	cr_assert_eq(a->n, b->n, "%zu and %zu diagnostics", a->n, b->n);
	for (size_t i = 0; i < a->n; i++) {
		diag_format(a, i, x, sizeof(x));
		diag_format(b, i, y, sizeof(y));
		cr_assert_str_eq(x, y);
	}
}

/* A set of the given zone texts loaded with zone text of thread_min bytes or more going
   through the storing thread; rc gets what zoneset_finish returned. */
static struct zoneset *
load(const char *const *texts, size_t n, size_t thread_min, struct diag *d, int *rc)
{
	struct zoneset *zs = zoneset_new();

	zload_set_thread_min(thread_min);
	for (size_t i = 0; i < n; i++) {
		char name[64];
		snprintf(name, sizeof(name), "z%zu.zone", i);
		zoneset_add_text(zs, name, texts[i], d);
	}
	*rc = zoneset_finish(zs, d);
	zload_set_thread_min(ZLOAD_THREAD_MIN);
	return zs;
}

/* The texts loaded by one thread and by two must both load and give the same set and the
   same diagnostics; returns the set the two threads made (the caller frees it). */
static struct zoneset *
load_both_ways(const char *const *texts, size_t n)
{
	struct diag d1, d2;
	struct zoneset *a, *b;
	int r1, r2;

	diag_init(&d1);
	diag_init(&d2);
	a = load(texts, n, SIZE_MAX, &d1, &r1);
	b = load(texts, n, 0, &d2, &r2);
	cr_assert_eq(r1, 0);
	cr_assert_eq(r2, 0);
	assert_same_set(a, b);
	assert_same_diags(&d1, &d2);
	zoneset_free(a);
	diag_free(&d1);
	diag_free(&d2);
	return b;
}

Test(zload, two_threads_give_the_records_and_index_of_one)
{
	char *big = gen_zone("big.test.", 60000, true),
	     *sub = gen_zone("sub.big.test.", 300, false);
	const char *texts[] = {big, sub};
	struct zoneset *b;

	cr_assert_gt(strlen(big), 4 * 256 * 1024, "the zone spans several batches");
	b = load_both_ways(texts, 2);
	cr_assert_eq(b->zones[0]->nrecs, 60000 + 8);
	zoneset_free(b);
	free(big);
	free(sub);
}

/* Records of every size the parser hands over: a 254-byte owner, rdata of a few bytes, of 2 KB
   and of 65,280 bytes (with that owner, more than a whole 64 KB batch), between small ones. */
Test(zload, records_of_every_size_cross_the_batches_intact)
{
	char *base = gen_zone("big.test.", 30000, false), *t, label[64], owner[300];
	size_t cap = strlen(base) + 200000, len;
	struct zoneset *b;

	memset(label, 'L', 60);
	label[60] = '\0';
	snprintf(owner, sizeof(owner), "%s.%s.%s.%s", label, label, label, label);
	t = malloc(cap);
	cr_assert_not_null(t);
	len = (size_t)snprintf(t, cap, "%s%s A 192.0.2.9\nmid2k TXT", base, owner);
	for (int i = 0; i < 8; i++)
		len += (size_t)snprintf(t + len, cap - len, " \"%0255d\"", i);
	len += (size_t)snprintf(t + len, cap - len, "\nafter A 192.0.2.10\n%s TXT", owner);
	for (int i = 0; i < 255; i++)
		len += (size_t)snprintf(t + len, cap - len, " \"%0255d\"", i);
	snprintf(t + len, cap - len, "\nlast A 192.0.2.11\n");
	{
		const char *texts[] = {t};
		b = load_both_ways(texts, 1);
	}
	{
		const struct zone *z = b->zones[0];
		size_t n = z->nrecs;
		cr_assert_eq(n, 30000 + 7 + 5);
		cr_assert_eq(z->recs[n - 4].rdlen, 8 * 256, "the 2 KB TXT");
		cr_assert_eq(z->recs[n - 2].rdlen, 255 * 256, "the 65,280-byte TXT");
		cr_assert_eq(zone_wire_len(z->arena + z->recs[n - 2].owner, z->arena + z->alen),
		             254, "its owner");
		cr_assert_eq(z->arena[z->recs[n - 2].rdata + 255 * 256 - 1], '4',
		             "the last string ends as written (...254)");
		cr_assert_eq(z->recs[n - 1].rdlen, 4, "and the record after it");
	}
	zoneset_free(b);
	free(base);
	free(t);
}

Test(zload, two_threads_report_every_error_at_its_line)
{
	char *big = gen_zone("big.test.", 30000, false), *t;
	const char *texts[1];
	struct diag d1, d2;
	struct zoneset *a, *b;
	int r1, r2;
	size_t len = strlen(big), lines = 0;
	char longtxt[300];

	for (size_t i = 0; i < len; i++)
		lines += big[i] == '\n';
	memset(longtxt, 'x', 280);
	longtxt[280] = '\0';
	t = malloc(len + 1024);
	cr_assert_not_null(t);
	snprintf(t, len + 1024,
	         "%s"
	         "bad A 300.1.2.3\n"      /* lines + 1 */
	         "chaos CH A 192.0.2.1\n" /* lines + 2 */
	         "txt TXT \"%s\"\n"       /* lines + 3: found again in the text */
	         "H3 A 10.0.0.99.1\n",    /* lines + 4 */
	         big, longtxt);
	texts[0] = t;
	diag_init(&d1);
	diag_init(&d2);
	a = load(texts, 1, SIZE_MAX, &d1, &r1);
	b = load(texts, 1, 0, &d2, &r2);
	cr_assert_eq(r1, -1);
	cr_assert_eq(r2, -1);
	assert_same_diags(&d1, &d2);
	cr_assert_eq(d2.errors, 4, "errors: %zu", d2.errors);
	{
		char want[64], got[1024];
		bool found[4] = {false};
		for (size_t i = 0; i < d2.n; i++) {
			diag_format(&d2, i, got, sizeof(got));
			for (int k = 0; k < 4; k++) {
				snprintf(want, sizeof(want), "z0.zone:%zu:", lines + 1 + (size_t)k);
				found[k] |= strstr(got, want) != NULL;
			}
		}
		for (int k = 0; k < 4; k++)
			cr_assert(found[k], "an error at line %zu", lines + 1 + (size_t)k);
	}
	zoneset_free(a);
	zoneset_free(b);
	diag_free(&d1);
	diag_free(&d2);
	free(t);
	free(big);
}

Test(zload, index_started_while_loading_equals_one_built_from_scratch)
{
	char *big = gen_zone("big.test.", 20000, true),
	     *sub = gen_zone("sub.big.test.", 300, false);
	const char *texts[] = {big, sub};
	struct diag d;
	struct zoneset *a, *b = zoneset_new();
	int rc;

	diag_init(&d);
	a = load(texts, 2, 0, &d, &rc);
	cr_assert_eq(rc, 0);
	/* shared zones are never indexed while loading: finish builds b from nothing */
	cr_assert_eq(zoneset_add_shared(b, a, 0, &d), 0);
	cr_assert_eq(zoneset_add_shared(b, a, 1, &d), 0);
	cr_assert_eq(zoneset_finish(b, &d), 0);
	assert_same_set(a, b);
	zoneset_free(a);
	zoneset_free(b);
	diag_free(&d);
	free(big);
	free(sub);
}

Test(zload, a_zone_refused_between_two_leaves_the_others_indexed_as_without_it)
{
	char *big = gen_zone("big.test.", 20000, true),
	     *sub = gen_zone("sub.big.test.", 300, false);
	const char *good[] = {big, sub};
	const char *with_bad[] = {big, "$ORIGIN bad.test.\n@ SOA ns hm 1 2 3 4 5\nx A 1.2.3\n",
	                          sub};
	struct diag d1, d2;
	struct zoneset *a, *b;
	int r1, r2;

	diag_init(&d1);
	diag_init(&d2);
	a = load(good, 2, 0, &d1, &r1);
	b = load(with_bad, 3, 0, &d2, &r2);
	cr_assert_eq(r1, 0);
	cr_assert_eq(zoneset_count(b), 2, "the bad zone is not added");
	cr_assert_eq(d2.errors, 1);
	assert_same_set(a, b);
	zoneset_free(a);
	zoneset_free(b);
	diag_free(&d1);
	diag_free(&d2);
	free(big);
	free(sub);
}

/* The RRsets of every node of a and b hold the same records (their offsets may differ: a
   parallel build leaves room between its two halves). */
static void
assert_same_rrsets(const struct zoneset *a, const struct zoneset *b)
{
	cr_assert_eq(a->nnodes, b->nnodes, "nodes: %u and %u", a->nnodes, b->nnodes);
	for (uint32_t n = 0; n < a->nnodes; n++) {
		uint32_t x = a->nodes[n].rrsets, y = b->nodes[n].rrsets;
		cr_assert_eq(a->nodes[n].namelen, b->nodes[n].namelen, "node %u", n);
		cr_assert_eq(memcmp(a->names + a->nodes[n].name, b->names + b->nodes[n].name,
		                    a->nodes[n].namelen),
		             0, "node %u: another name", n);
		cr_assert_eq(a->nodes[n].parent, b->nodes[n].parent, "node %u", n);
		cr_assert_eq(a->nodes[n].flags, b->nodes[n].flags, "node %u", n);
		cr_assert_eq(a->nodes[n].zone, b->nodes[n].zone, "node %u", n);
		while (x && y) {
			const struct rrset *p = zone_rrset_at(a, x), *q = zone_rrset_at(b, y);
			cr_assert_eq(p->type, q->type, "node %u", n);
			cr_assert_eq(p->count, q->count, "node %u", n);
			cr_assert_eq(p->zone, q->zone, "node %u", n);
			cr_assert_eq(zone_rrset_bytes(p), zone_rrset_bytes(q), "node %u", n);
			cr_assert_eq(memcmp(p + 1, q + 1, zone_rrset_bytes(p)), 0,
			             "node %u: records differ", n);
			x = p->next;
			y = q->next;
		}
		cr_assert(x == 0 && y == 0, "node %u: as many RRsets", n);
	}
	for (size_t i = 0; i < a->nzones; i++)
		cr_assert_eq(a->zones[i]->bad, b->zones[i]->bad, "zone %zu", i);
}

Test(zload, two_threads_write_the_rrsets_one_would)
{
	/* targets outside the zone (entered after both halves), TTLs that differ (warnings) and
	   CNAMEs beside other data (errors) in both halves */
	size_t cap = 8 * 1024 * 1024, len = 0;
	char *t = malloc(cap);
	const char *texts[1];
	struct diag d1, d2;
	struct zoneset *a, *b;
	int r1, r2;

	cr_assert_not_null(t);
	len += (size_t)snprintf(t, cap,
	                        "$ORIGIN par.test.\n$TTL 3600\n"
	                        "@ SOA ns1 hostmaster 7 3600 600 86400 300\n"
	                        "@ NS ns1\nns1 A 192.0.2.1\n");
	for (size_t i = 0; i < 40000; i++) {
		len += (size_t)snprintf(t + len, cap - len, "h%zu A 10.0.%zu.%zu\n", i,
		                        (i >> 8) & 255, i & 255);
		if (i % 3 == 0)
			len +=
			    (size_t)snprintf(t + len, cap - len,
			                     "h%zu MX 10 mx%zu.Elsewhere.example.\n", i, i % 7000);
		if (i % 5 == 0)
			len += (size_t)snprintf(t + len, cap - len, "h%zu 60 A 10.1.%zu.%zu\n", i,
			                        (i >> 8) & 255, i & 255);
		if (i % 9000 == 1)
			len += (size_t)snprintf(t + len, cap - len, "h%zu CNAME h0\n", i);
		if (i % 4 == 0)
			len += (size_t)snprintf(t + len, cap - len, "h%zu NS ns.h%zu\n", i, i + 1);
	}
	texts[0] = t;
	diag_init(&d1);
	diag_init(&d2);
	zone_set_parallel_min(SIZE_MAX);
	a = load(texts, 1, 0, &d1, &r1);
	zone_set_parallel_min(0);
	b = load(texts, 1, 0, &d2, &r2);
	cr_assert_eq(r1, r2);
	cr_assert_eq(r1, -1, "the CNAMEs beside other data make the zone unservable");
	cr_assert_gt(d2.warnings, 1000, "TTL warnings: %zu", d2.warnings);
	assert_same_rrsets(a, b);
	assert_same_diags(&d1, &d2);
	zoneset_free(a);
	zoneset_free(b);
	diag_free(&d1);
	diag_free(&d2);
	free(t);
}
