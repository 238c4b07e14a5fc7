/* tests/e2e/test_docs.c -- the documentation a user reads without the source: every option
   --help lists is in the man page and the README (and the man page's options are in --help),
   and no document points outside the project. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "tests/support/support.h"

/* The whole file at the source-tree path rel (static buffer). */
static const char *
slurp(const char *rel)
{
	static char buf[1 << 20];
	FILE *f = fopen(test_src(rel), "r");
	size_t n;

	cr_assert_not_null(f, "cannot read %s", rel);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	return buf;
}

/* Every option (-x, --long-name) in text, each once, into opts; returns how many. */
static size_t
options_in(const char *text, char opts[][40], size_t max)
{
	size_t n = 0;

	for (const char *p = text; *p && n < max; p++) {
		size_t l = 0;
		char o[40];
		if (*p != '-' || (p > text && !strchr(" \t\n[|,", p[-1])))
			continue;
		if (p[1] == '-' && islower((unsigned char)p[2])) {
			while (l < sizeof(o) - 1 && (islower((unsigned char)p[l]) ||
			                             isdigit((unsigned char)p[l]) || p[l] == '-'))
				o[l] = p[l], l++;
		} else if (isalnum((unsigned char)p[1]) && !isalnum((unsigned char)p[2])) {
			o[0] = '-', o[1] = p[1], l = 2;
		} else {
			continue;
		}
		o[l] = '\0';
		bool seen = false;
		for (size_t i = 0; i < n; i++)
			seen = seen || strcmp(opts[i], o) == 0;
		if (!seen)
			snprintf(opts[n++], 40, "%s", o);
	}
	return n;
}

/* The option as groff writes it: every '-' as "\-". */
static void
groff(const char *opt, char *out, size_t len)
{
	size_t o = 0;

	for (; *opt && o + 3 < len; opt++) {
		if (*opt == '-')
			out[o++] = '\\';
		out[o++] = *opt;
	}
	out[o] = '\0';
}

static void
help_matches_man_and_readme(const char *prog, const char *man)
{
	static char help[16384];
	static char opts[128][40];
	const char *argv[] = {test_bin(prog), "--help", NULL};
	char *mantext, g[96];
	const char *readme;
	size_t n;

	cr_assert_eq(test_run(argv, help, sizeof(help), 10000), 0);
	n = options_in(help, opts, 128);
	cr_assert_gt(n, 5, "options found in --help: %zu", n);
	mantext = strdup(slurp(man));
	readme = slurp("README.md");
	for (size_t i = 0; i < n; i++) {
		groff(opts[i], g, sizeof(g));
		cr_expect(strstr(mantext, g) != NULL, "%s --help lists %s, %s does not", prog,
		          opts[i], man);
		cr_expect(strstr(readme, opts[i]) != NULL, "%s --help lists %s, README.md does not",
		          prog, opts[i]);
	}
	/* and the other way: every option the man page describes (".TP" then ".B"/".BI"/".BR"
	   with the option) is one --help knows */
	for (char *p = strstr(mantext, "\n.TP\n.B"); p; p = strstr(p + 1, "\n.TP\n.B")) {
		char *q = strchr(p + 5, ' '), opt[40];
		size_t l = 0;
		if (q == NULL || strncmp(q + 1, "\\-", 2) != 0)
			continue;
		for (q++; *q && !isspace((unsigned char)*q) && *q != '"' && l + 1 < sizeof(opt);
		     q++) {
			if (*q == '\\')
				continue;
			opt[l++] = *q;
		}
		opt[l] = '\0';
		if (strchr(opt, ','))
			*strchr(opt, ',') = '\0';
		cr_expect(strstr(help, opt) != NULL, "%s describes %s, %s --help does not", man,
		          opt, prog);
	}
	free(mantext);
}

Test(docs, mxlabd_help_man_page_and_readme_list_the_same_options)
{
	help_matches_man_and_readme("mxlabd", "man/mxlabd.8");
}

Test(docs, mxcheck_help_man_page_and_readme_list_the_same_options)
{
	help_matches_man_and_readme("mxcheck", "man/mxcheck.1");
}

Test(docs, no_document_points_outside_the_project)
{
	static const char files[][40] = {"README.md",
	                                 "man/mxlabd.8",
	                                 "man/mxcheck.1",
	                                 "man/mxlab-lab.1",
	                                 "man/mxlab-exercise.1",
	                                 "zones/README.md",
	                                 "tests/conformance/deliberate.txt",
	                                 "tests/fuzz/README.md"};

	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		const char *t = slurp(files[i]);
		cr_expect(strstr(t, "../"
		                    "shared") == NULL,
		          "%s refers to the spec folder outside the project", files[i]);
		cr_expect(strstr(t, "/"
		                    "work/") == NULL,
		          "%s names a machine path", files[i]);
		cr_expect(strstr(t, "spec/mxlabd.md") == NULL, "%s refers to the spec", files[i]);
	}
	cr_expect(strstr(slurp("README.md"), "man -l man/mxlabd.8") != NULL,
	          "README says how to read the man page before installing");
}

Test(docs, license_is_gpl3_or_later_like_the_knot_libraries)
{
	const char *t = slurp("LICENSE");

	cr_expect(strstr(t, "GNU GENERAL PUBLIC LICENSE") != NULL && strstr(t, "Version 3") != NULL,
	          "LICENSE is the GPL version 3 text");
	cr_expect(strstr(slurp("README.md"), "GPL-3.0-or-later") != NULL);
}

Test(docs, man_page_says_put_zones_copies_the_served_zones)
{
	const char *t = slurp("man/mxlabd.8");

	cr_expect(strstr(t, "re-reading the other zones") == NULL,
	          "PUT/DELETE /zones do not re-read files");
	cr_expect(strstr(t, "from the zones served now") != NULL);
}
