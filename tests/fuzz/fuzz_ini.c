// SPDX-License-Identifier: GPL-2.0-only
/*
 * config_load on arbitrary bytes, through a memfd so that iniparser reads
 * it by path as it reads a real file. Whatever loads must be consistent.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "common/log.h"
#include "conf/config.h"

static void quiet(enum log_level level, const char *msg)
{
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct xs_config cfg;
	char path[64];
	unsigned int i;
	int fd;

	log_set_sink(quiet);
	fd = memfd_create("fuzz.ini", MFD_CLOEXEC);
	if (fd < 0)
		return 0;
	if (write(fd, data, size) != (ssize_t)size) {
		close(fd);
		return 0;
	}
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	config_defaults(&cfg);
	if (!config_load(path, &cfg)) {
		if (!cfg.wan[0] || !cfg.lan[0] || !strcmp(cfg.wan, cfg.lan) || !cfg.ncpus ||
		    !cfg.queues_per_cpu || config_txqs(&cfg) > XS_MAX_TXQS)
			__builtin_trap();
		for (i = 1; i < cfg.ncpus; i++)
			if (cfg.cpus[i] <= cfg.cpus[i - 1])
				__builtin_trap();
		if (cfg.default_ceil && cfg.default_ceil < cfg.default_rate)
			__builtin_trap();
	}
	close(fd);
	return 0;
}
