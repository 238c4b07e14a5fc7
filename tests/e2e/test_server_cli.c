/* tests/e2e/test_server_cli.c -- bin/mxlabd command-line mistakes: each is refused before
   listening with a message that names the option, exit 2 (usage). */
#include <stdio.h>
#include <string.h>

#include <criterion/criterion.h>
#include <criterion/parameterized.h>

#include "tests/support/support.h"

struct cli_case {
	char args[128]; /* extra arguments after -p 0 ZONEFILE */
	int status;     /* exit status */
	char want[128]; /* text the output must contain */
};

ParameterizedTestParameters(e2e_server_cli, bad_command_lines_are_explained)
{
	static struct cli_case cases[] = {
	    {"--control 127.0.0.1:0", 2,
	     "--control 127.0.0.1:0: port must be a number from 1 to 65535"},
	    {"--control [::1]:0", 2, "--control [::1]:0: port must be a number from 1 to 65535"},
	    {"--control unix:", 2, "--control unix:: empty UNIX socket path"},
	    {"-a 127.0.0.1 -a 127.0.0.1", 2, "mxlabd: -a 127.0.0.1: address listed twice"},
	    {"-a ::1 -a 0::1", 2, "mxlabd: -a 0::1: address listed twice"},
	    {"--check=1", 2, "mxlabd: option --check takes no argument"},
	    {"--allow-nonlocal=yes", 2, "mxlabd: option --allow-nonlocal takes no argument"},
	    {"--control", 2, "mxlabd: option --control needs an argument"},
	    {"--bogus", 2, "option --bogus"},
	    {"-x", 2, "mxlabd: unknown option -x"},
	    {"-w 2", 2, "mxlabd: -w: there are no workers: one event loop serves every query"},
	};
	return cr_make_param_array(struct cli_case, cases, sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct cli_case *c, e2e_server_cli, bad_command_lines_are_explained,
                  .timeout = 15)
{
	char dir[256], cmd[1024], out[4096];

	test_tmpdir(dir, sizeof(dir));
	test_write(dir, "example.test.zone", TEST_EXAMPLE_HEAD "ns1 IN A 127.0.0.1\n");
	snprintf(cmd, sizeof(cmd), "exec '%s' -p 0 '%s/example.test.zone' %s 2>&1",
	         test_bin("mxlabd"), dir, c->args);
	const char *argv[] = {"/bin/sh", "-c", cmd, NULL};
	cr_assert_eq(test_run(argv, out, sizeof(out), 5000), c->status, "%s: %s", c->args, out);
	cr_expect(strstr(out, c->want) != NULL, "%s: %s", c->args, out);
	cr_expect(strstr(out, "ready") == NULL, "%s: %s", c->args, out);
}

Test(e2e_server_cli, errors_without_a_file_say_mxlabd, .timeout = 15)
{
	char dir[256], out[4096];

	test_tmpdir(dir, sizeof(dir));
	const char *argv[] = {test_bin("mxlabd"), "--check", "-z", dir, NULL};
	cr_assert_eq(test_run(argv, out, sizeof(out), 5000), 2, "%s", out);
	cr_expect(strstr(out, "mxlabd: error: no zones loaded") != NULL, "%s", out);
	cr_expect(strstr(out, "\nerror:") == NULL && strncmp(out, "error:", 6) != 0, "%s", out);
}
