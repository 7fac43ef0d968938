/*
 * test_agentcmd.c: where vigil-agent finds its helper programs
 * (agentcmd_helper_path): in VIGIL_HELPERDIR when it runs from
 * VIGIL_BINDIR (installed), beside itself otherwise (a build tree), and
 * a name that does not fit is refused, not cut.
 */
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "agentcmd.h"
#include "err.h"

static void
test_installed(void **state)
{
	char	buf[PATH_MAX];

	(void)state;
	assert_int_equal(agentcmd_helper_path(buf, sizeof(buf),
	    VIGIL_BINDIR "/vigil-agent", AGENTCMD_SCAN), 0);
	assert_string_equal(buf, VIGIL_HELPERDIR "/vigil-scan");
	assert_int_equal(agentcmd_helper_path(buf, sizeof(buf),
	    VIGIL_BINDIR "/vigil-agent", AGENTCMD_CAPTURE), 0);
	assert_string_equal(buf, VIGIL_HELPERDIR "/vigil-capture");
	/* the helpers are not on PATH */
	assert_string_not_equal(VIGIL_HELPERDIR, VIGIL_BINDIR);
}

static void
test_build_tree(void **state)
{
	char	buf[PATH_MAX];

	(void)state;
	assert_int_equal(agentcmd_helper_path(buf, sizeof(buf),
	    "/src/vigil/build/vigil-agent", AGENTCMD_SCAN), 0);
	assert_string_equal(buf, "/src/vigil/build/vigil-scan");
	/* a folder whose name only starts like the installed one */
	assert_int_equal(agentcmd_helper_path(buf, sizeof(buf),
	    VIGIL_BINDIR "x/vigil-agent", AGENTCMD_SCAN), 0);
	assert_string_equal(buf, VIGIL_BINDIR "x/vigil-scan");
	assert_int_equal(agentcmd_helper_path(buf, sizeof(buf),
	    VIGIL_BINDIR "/sub/vigil-agent", AGENTCMD_SCAN), 0);
	assert_string_equal(buf, VIGIL_BINDIR "/sub/vigil-scan");
}

static void
test_errors(void **state)
{
	char	buf[32];

	(void)state;
	assert_int_equal(agentcmd_helper_path(buf, sizeof(buf),
	    "vigil-agent", AGENTCMD_SCAN), ERR_IO);
	assert_int_equal(agentcmd_helper_path(buf, sizeof(buf),
	    "/a/very/long/folder/name/of/the/build/vigil-agent",
	    AGENTCMD_SCAN), ERR_TOOBIG);
	/* exactly what fits: "/a/" + "vigil-scan" + NUL is 14 bytes */
	assert_int_equal(agentcmd_helper_path(buf, 14, "/a/vigil-agent",
	    AGENTCMD_SCAN), 0);
	assert_string_equal(buf, "/a/vigil-scan");
	assert_int_equal(agentcmd_helper_path(buf, 13, "/a/vigil-agent",
	    AGENTCMD_SCAN), ERR_TOOBIG);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_installed),
		cmocka_unit_test(test_build_tree),
		cmocka_unit_test(test_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
