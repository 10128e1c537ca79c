// SPDX-License-Identifier: GPL-2.0-only
/*
 * The state file: what stop needs when the pins are gone comes back as it
 * was written, a file that is not one is refused at once, and two bpffs
 * directories never share a file.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "steer/internal.h"

static char bpffs[64];
static char path[PATH_MAX];

static int setup(void **state)
{
	snprintf(bpffs, sizeof(bpffs), "/sys/fs/bpf/xs-unit-%d", (int)getpid());
	assert_int_equal(statefile_path(bpffs, path, sizeof(path)), 0);
	return 0;
}

static int teardown(void **state)
{
	unlink(path);
	return 0;
}

static void test_round_trip(void **state)
{
	struct steer_xps xps[3] = {};
	struct statefile sf = {}, back;

	snprintf(sf.bpffs, sizeof(sf.bpffs), "%s", bpffs);
	sf.map_id = 4242;
	sf.state.flags = XS_STATE_CLSACT_LAN;
	sf.state.started = 1764620000;
	snprintf(sf.state.wan_if, sizeof(sf.state.wan_if), "eth0");
	snprintf(sf.state.wan_qdisc, sizeof(sf.state.wan_qdisc), "pfifo_fast");
	snprintf(sf.state.lan_if, sizeof(sf.state.lan_if), "-");
	/* lan_qdisc left empty: "none recorded" must stay empty; "-" is a name */
	snprintf(sf.state.lan_qdisc, sizeof(sf.state.lan_qdisc), "%s", "");
	snprintf(xps[0].key.ifname, sizeof(xps[0].key.ifname), "eth0");
	xps[0].key.txq = 0;
	snprintf(xps[0].masks.cpus, sizeof(xps[0].masks.cpus), "00000000,00000003");
	snprintf(xps[1].key.ifname, sizeof(xps[1].key.ifname), "eth1.100");
	xps[1].key.txq = 4095;
	snprintf(xps[1].masks.rxqs, sizeof(xps[1].masks.rxqs), "f");
	snprintf(xps[2].key.ifname, sizeof(xps[2].key.ifname), "eth1.100");
	xps[2].key.txq = 7;
	sf.xps = xps;
	sf.nxps = 3;
	assert_int_equal(statefile_write(&sf), 0);

	assert_int_equal(statefile_read(bpffs, &back), 0);
	assert_string_equal(back.bpffs, bpffs);
	assert_int_equal(back.map_id, 4242);
	assert_int_equal(back.state.version, XS_STATE_VERSION);
	assert_int_equal(back.state.flags, XS_STATE_CLSACT_LAN);
	assert_int_equal(back.state.started, 1764620000);
	assert_string_equal(back.state.wan_if, "eth0");
	assert_string_equal(back.state.wan_qdisc, "pfifo_fast");
	assert_string_equal(back.state.lan_if, "-");
	assert_string_equal(back.state.lan_qdisc, "");
	assert_int_equal(back.nxps, 3);
	assert_memory_equal(back.xps, xps, sizeof(xps));
	statefile_free(&back);

	/* rewritten in place: the new one wins, no temporary file left */
	sf.map_id = 7;
	sf.nxps = 0;
	assert_int_equal(statefile_write(&sf), 0);
	assert_int_equal(statefile_read(bpffs, &back), 0);
	assert_int_equal(back.map_id, 7);
	assert_int_equal(back.nxps, 0);
	statefile_free(&back);
	{
		char tmp[PATH_MAX + 8];

		snprintf(tmp, sizeof(tmp), "%s.tmp", path);
		assert_int_not_equal(access(tmp, F_OK), 0);
	}
	assert_int_equal(statefile_remove(bpffs), 0);
	assert_int_equal(statefile_read(bpffs, &back), -ENOENT);
	assert_int_equal(statefile_remove(bpffs), 0); /* gone is fine */
}

static void write_file(const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void test_not_a_state_file(void **state)
{
	struct statefile sf;
	struct timespec t0, t1;
	char big[600];

	/* another program's file, a file without the map id, a newer version */
	write_file("hello\n");
	assert_int_equal(statefile_read(bpffs, &sf), -EINVAL);
	write_file("xshaper-state 1\nbpffs /x\nflags 0\n");
	assert_int_equal(statefile_read(bpffs, &sf), -EINVAL);
	write_file("xshaper-state 99\nbpffs /x\nmap_id 3\n");
	assert_int_equal(statefile_read(bpffs, &sf), -EINVAL);
	/* a line longer than any record */
	memset(big, 'x', sizeof(big) - 2);
	big[sizeof(big) - 2] = '\n';
	big[sizeof(big) - 1] = '\0';
	write_file(big);
	assert_int_equal(statefile_read(bpffs, &sf), -EINVAL);
	/* a FIFO is refused at once, never waited on */
	unlink(path);
	assert_int_equal(mkfifo(path, 0600), 0);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(statefile_read(bpffs, &sf), -EINVAL);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	assert_true(t1.tv_sec - t0.tv_sec < 2);
	unlink(path);
	/* a symlink is not followed */
	assert_int_equal(symlink("/etc/passwd", path), 0);
	assert_int_not_equal(statefile_read(bpffs, &sf), 0);
}

static void test_names(void **state)
{
	char a[PATH_MAX], b[PATH_MAX], c[PATH_MAX];
	struct statefile sf = {}, back;
	char longer[300];

	assert_int_equal(statefile_path("/sys/fs/bpf/xshaper", a, sizeof(a)), 0);
	assert_string_equal(a, XS_STATE_DIR "/sys-fs-bpf-xshaper.state");
	/* one directory, one name */
	assert_int_equal(statefile_path("//sys/fs//bpf/xshaper/", b, sizeof(b)), 0);
	assert_string_equal(a, b);
	/* two directories, two names: '-' and '/' never meet */
	assert_int_equal(statefile_path("/sys/fs/bpf/xs-a/b", a, sizeof(a)), 0);
	assert_int_equal(statefile_path("/sys/fs/bpf/xs/a-b", b, sizeof(b)), 0);
	assert_string_not_equal(a, b);
	assert_string_equal(a, XS_STATE_DIR "/sys-fs-bpf-xs%2Da-b.state");
	/* nothing outside the directory, whatever the path holds */
	assert_int_equal(statefile_path("/sys/fs/bpf/../../etc/x y", c, sizeof(c)), 0);
	assert_string_equal(c, XS_STATE_DIR "/sys-fs-bpf-..-..-etc-x%20y.state");
	assert_null(strchr(c + sizeof(XS_STATE_DIR), '/'));
	assert_int_equal(statefile_path("/sys/fs/bpf/xshaper", a, 20), -ENAMETOOLONG);
	/* a name longer than a directory entry can be */
	memset(longer, 'x', sizeof(longer) - 1);
	longer[0] = '/';
	longer[sizeof(longer) - 1] = '\0';
	assert_int_equal(statefile_path(longer, a, sizeof(a)), -ENAMETOOLONG);

	/* a bpffs with a space comes back whole */
	snprintf(sf.bpffs, sizeof(sf.bpffs), "/sys/fs/bpf/xs unit %d", (int)getpid());
	sf.map_id = 9;
	assert_int_equal(statefile_write(&sf), 0);
	assert_int_equal(statefile_read(sf.bpffs, &back), 0);
	assert_string_equal(back.bpffs, sf.bpffs);
	statefile_free(&back);
	assert_int_equal(statefile_remove(sf.bpffs), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_round_trip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_not_a_state_file, setup, teardown),
		cmocka_unit_test(test_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
