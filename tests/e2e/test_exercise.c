/* tests/e2e/test_exercise.c -- bin/mxlab-exercise: the same seed gives the same exercise, the
   renamed zones served by bin/mxlabd give mxcheck exactly the key's verdicts and codes, and
   scoring counts right and wrong answers and explains each miss from the lab guide. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>
#include <jansson.h>

#include "tests/support/support.h"

static struct testsrv srv;

static void
stop_srv(void)
{
	testsrv_stop(&srv);
}

TestSuite(e2e_exercise, .fini = stop_srv, .timeout = 120);

static char out[1 << 16];

/* Run mxlab-exercise with args (NULL-terminated); its exit status, stdout in out. */
static int
exercise(const char *const args[])
{
	const char *argv[16];
	size_t n = 0;

	argv[n++] = test_bin("mxlab-exercise");
	for (; args[n - 1] && n < 15; n++)
		argv[n] = args[n - 1];
	argv[n] = NULL;
	return test_run(argv, out, sizeof(out), 60000);
}

static void
new_exercise(const char *n, const char *seed, char *dir, size_t len)
{
	char parent[256];

	test_tmpdir(parent, sizeof(parent));
	snprintf(dir, len, "%s/ex", parent);
	const char *args[] = {"new", n,         "--seed",          seed, "--out",
	                      dir,   "--zones", test_src("zones"), NULL};
	cr_assert_eq(exercise(args), 0, "mxlab-exercise new failed: %s", out);
}

/* Contents of dir/rel (static buffer, one of two). */
static const char *
slurp(const char *dir, const char *rel)
{
	static char buf[2][1 << 17];
	static int slot;
	char path[600];
	char *b = buf[slot++ % 2];
	FILE *fp;
	size_t n;

	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	fp = fopen(path, "r");
	cr_assert_not_null(fp, "cannot read %s", path);
	n = fread(b, 1, sizeof(buf[0]) - 1, fp);
	b[n] = '\0';
	fclose(fp);
	return b;
}

Test(e2e_exercise, the_same_seed_gives_the_same_exercise_and_another_seed_another)
{
	char a[300], b[300], c[300];
	char ka[8192];

	new_exercise("6", "42", a, sizeof(a));
	new_exercise("6", "42", b, sizeof(b));
	new_exercise("6", "43", c, sizeof(c));
	snprintf(ka, sizeof(ka), "%s", slurp(a, "teacher/key.tsv"));
	cr_expect_str_eq(ka, slurp(b, "teacher/key.tsv"));
	cr_expect_str_neq(ka, slurp(c, "teacher/key.tsv"));
	cr_expect_str_eq(slurp(a, "zones/faults.conf"), slurp(b, "zones/faults.conf"));
	cr_expect_str_eq(slurp(a, "zones/ex3.lab.test.zone"), slurp(b, "zones/ex3.lab.test.zone"));
	/* a served zone has no comments (they would name the scenario) */
	cr_expect_null(strchr(slurp(a, "zones/ex3.lab.test.zone"), ';'), "%s",
	               slurp(a, "zones/ex3.lab.test.zone"));

	/* the sheet names the neutral domains and none of the scenarios behind them */
	const char *sheet = slurp(a, "sheet.txt");
	cr_expect_not_null(strstr(sheet, "seed 42"));
	for (int i = 1; i <= 6; i++) {
		char name[32];
		/* the domain is exN.lab.test or a name in it (typo.nx.test becomes typo.exN...) */
		snprintf(name, sizeof(name), "ex%d.lab.test\n", i);
		cr_expect_not_null(strstr(sheet, name), "%s missing from the sheet", name);
	}
	cr_expect_null(strstr(sheet, "ex7.lab.test"));
	for (char *line = strchr(ka, '\n'); line && line[1]; line = strchr(line + 1, '\n')) {
		char scen[256];
		const char *tab = strrchr(line + 1, '\t');
		size_t n = strcspn(tab + 1, "\n");
		snprintf(scen, sizeof(scen), "%.*s", (int)n, tab + 1);
		cr_expect_null(strstr(sheet, scen), "the sheet gives away %s", scen);
		for (int i = 1; i <= 6; i++) {
			char zf[64];
			snprintf(zf, sizeof(zf), "zones/ex%d.lab.test.zone", i);
			cr_expect_null(strstr(slurp(a, zf), scen), "%s names %s", zf, scen);
		}
	}
}

/* The set of "code" values anywhere in j, appended to list as ",code". */
static void
codes_of(json_t *j, char *list, size_t len)
{
	size_t i;
	const char *k;
	json_t *v;

	if (json_is_object(j)) {
		json_t *code = json_object_get(j, "code");
		if (json_is_string(code)) {
			char item[80];
			snprintf(item, sizeof(item), ",%s,", json_string_value(code));
			if (strstr(list, item) == NULL)
				snprintf(list + strlen(list), len - strlen(list), "%s,",
				         json_string_value(code));
		}
		json_object_foreach(j, k, v) codes_of(v, list, len);
	} else if (json_is_array(j)) {
		json_array_foreach(j, i, v) codes_of(v, list, len);
	}
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* ",b,a," -> "a,b" (or "-" when empty). */
static void
sorted(const char *list, char *outl, size_t len)
{
	char tmp[2048], *v[64], *save = NULL;
	size_t n = 0;

	snprintf(tmp, sizeof(tmp), "%s", list);
	for (char *t = strtok_r(tmp, ",", &save); t && n < 64; t = strtok_r(NULL, ",", &save))
		v[n++] = t;
	qsort(v, n, sizeof(v[0]), cmp_str);
	outl[0] = '\0';
	for (size_t i = 0; i < n; i++)
		snprintf(outl + strlen(outl), len - strlen(outl), "%s%s", i ? "," : "", v[i]);
	if (n == 0)
		snprintf(outl, len, "-");
}

Test(e2e_exercise, served_exercise_gives_mxcheck_the_keys_verdicts_and_codes)
{
	char dir[300], key[16384], zdir[400];
	int checked = 0;

	new_exercise("14", "5", dir, sizeof(dir));
	snprintf(key, sizeof(key), "%s", slurp(dir, "teacher/key.tsv"));
	snprintf(zdir, sizeof(zdir), "%s/zones", dir);
	testsrv_start_dir(&srv, zdir, NULL);
	char *save = NULL;

	for (char *line = strtok_r(key, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char target[256], flags[64], verdict[32], codes[1024], scen[256], got[1024] = ",",
		                                                                  gots[1024];
		const char *extra[] = {NULL, NULL, NULL, NULL, NULL};
		json_t *j;
		if (line[0] == '#')
			continue;
		cr_assert_eq(sscanf(line, "%255[^\t]\t%63[^\t]\t%31[^\t]\t%1023[^\t]\t%255s",
		                    target, flags, verdict, codes, scen),
		             5, "key line: %s", line);
		if (strcmp(flags, "-t 300 -r 0") == 0) {
			extra[0] = "-t";
			extra[1] = "300";
			extra[2] = "-r";
			extra[3] = "0";
		}
		cr_assert(strlen(target) > 9 &&
		              strcmp(target + strlen(target) - 9, ".lab.test") == 0,
		          "target %s in line %s", target, line);
		cr_assert_null(strstr(slurp(zdir, "faults.conf"), scen), "rules keep the name %s",
		               scen);
		test_mxcheck_json(srv.port, extra, target, out, sizeof(out), 20000);
		j = json_loads(out, 0, NULL);
		cr_assert_not_null(j, "%s: not JSON: %s", target, out);
		cr_expect_str_eq(json_string_value(json_object_get(j, "verdict")), verdict,
		                 "%s (%s)", target, scen);
		codes_of(j, got, sizeof(got));
		sorted(got, gots, sizeof(gots));
		cr_expect_str_eq(gots, codes, "%s (%s)", target, scen);
		json_decref(j);
		checked++;
	}
	cr_expect_eq(checked, 14);
}

Test(e2e_exercise, scoring_counts_right_and_wrong_and_explains_each_miss)
{
	char dir[300], key[8192], answers[8192] = "# my answers\n", path[400], t1[256] = "";
	int status;

	new_exercise("3", "11", dir, sizeof(dir));
	snprintf(key, sizeof(key), "%s", slurp(dir, "teacher/key.tsv"));
	char *save = NULL;

	for (char *line = strtok_r(key, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char target[256], flags[64], verdict[32], codes[1024], scen[256];
		if (line[0] == '#')
			continue;
		sscanf(line, "%255[^\t]\t%63[^\t]\t%31[^\t]\t%1023[^\t]\t%255s", target, flags,
		       verdict, codes, scen);
		if (t1[0] == '\0')
			snprintf(t1, sizeof(t1), "%s", target);
		/* upper case and a trailing dot are fine */
		snprintf(answers + strlen(answers), sizeof(answers) - strlen(answers),
		         "%s.  %s  %s\n", target, verdict, codes);
	}
	snprintf(path, sizeof(path), "%s/mine.txt", dir);
	test_write(dir, "mine.txt", answers);
	{
		const char *args[] = {"score", dir, path, NULL};
		status = exercise(args);
	}
	cr_expect_eq(status, 0, "%s", out);
	cr_expect_not_null(strstr(out, "score: 6/6"), "%s", out);

	/* the first domain answered wrongly (verdict and codes), the last one left out */
	{
		char wrong[8192], *last;
		char *first_nl = strchr(answers, '\n');
		snprintf(wrong, sizeof(wrong), "# my answers\n%s  deliver  mx-cname,bogus-code\n%s",
		         t1, strchr(first_nl + 1, '\n') + 1);
		last = strrchr(wrong, '\n');
		*last = '\0';
		last = strrchr(wrong, '\n');
		last[1] = '\0';
		test_write(dir, "mine.txt", wrong);
		const char *args[] = {"score", dir, path, NULL};
		status = exercise(args);
	}
	cr_expect_eq(status, 1, "%s", out);
	cr_expect_not_null(strstr(out, "codes WRONG"), "%s", out);
	cr_expect_not_null(strstr(out, "MISSING"), "%s", out);
	cr_expect_not_null(strstr(out, "score: "), "%s", out);
	cr_expect_null(strstr(out, "score: 6/6"), "%s", out);
	/* the explanation is the guide's paragraph, with the neutral name in it */
	cr_expect_not_null(strstr(out, "    **ex"), "no explanation from the guide: %s", out);

	/* an answer for a domain that is not in the exercise names the file and line */
	test_write(dir, "mine.txt", "# x\n\nex99.lab.test deliver -\n");
	{
		const char *args[] = {"score", dir, path, NULL};
		status = exercise(args);
	}
	cr_expect_eq(status, 2);
}

Test(e2e_exercise, bad_requests_are_refused_with_a_reason)
{
	char parent[256], dir[300];
	const char *zero[] = {"new", "0", "--out", "/nonexistent/x", NULL};
	const char *many[] = {"new",   "1000",           "--seed",  "1",
	                      "--out", "/nonexistent/x", "--zones", test_src("zones"),
	                      NULL};
	const char *noout[] = {"new", "3", NULL};
	const char *bogus[] = {"frobnicate", NULL};

	cr_expect_eq(exercise(zero), 2);
	cr_expect_eq(exercise(many), 2);
	cr_expect_eq(exercise(noout), 2);
	cr_expect_eq(exercise(bogus), 2);
	/* an existing non-empty directory is never overwritten */
	test_tmpdir(parent, sizeof(parent));
	test_write(parent, "keep.txt", "mine\n");
	snprintf(dir, sizeof(dir), "%s", parent);
	const char *full[] = {"new", "2", "--seed", "1", "--out", dir, NULL};
	cr_expect_eq(exercise(full), 2);
	cr_expect_str_eq(slurp(parent, "keep.txt"), "mine\n");
}
