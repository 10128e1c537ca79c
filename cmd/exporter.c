// SPDX-License-Identifier: GPL-2.0-only
/*
 * xshaper exporter: GET /metrics over HTTP, the body stats --prometheus
 * prints, read from the maps and the trees at each scrape. The maps are
 * opened per scrape, so a reload or a stop between two scrapes is seen;
 * while xshaper is not started a scrape gets 503.
 *
 * libmicrohttpd runs one polling thread that answers one request at a
 * time (the view's reading is not made for two at once); the main thread
 * waits for SIGTERM or SIGINT with the two blocked, then stops it.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <microhttpd.h>
#include <netdb.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/log.h"
#include "conf/config.h"
#include "cmd/commands.h"
#include "cmd/stats.h"

/* Clear of 9100-9199 (node_exporter and its kin) and 9464 (OpenTelemetry). */
#define EXPORTER_LISTEN	    "127.0.0.1:9847"
#define EXPORTER_LISTEN_MAX 64 /* "[v6 literal]:65535" and some */

/* The exposition format stats --prometheus writes. */
#define METRICS_TYPE "text/plain; version=0.0.4; charset=utf-8"

/*
 * ADDR:PORT or [IPV6]:PORT, both numeric, into sa. 0 or -EINVAL
 * (reported, naming what was given).
 */
static int parse_listen(const char *text, struct sockaddr_storage *sa, socklen_t *salen)
{
	struct addrinfo hints = {
		.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV | AI_PASSIVE,
		.ai_socktype = SOCK_STREAM,
	};
	char host[EXPORTER_LISTEN_MAX];
	struct addrinfo *ai = NULL;
	const char *port, *colon;
	size_t len;
	char *end;
	long p;

	if (strlen(text) >= sizeof(host))
		goto bad;
	if (text[0] == '[') {
		colon = strstr(text, "]:");
		if (!colon)
			goto bad;
		len = (size_t)(colon - text - 1);
		memcpy(host, text + 1, len);
		port = colon + 2;
		hints.ai_family = AF_INET6;
	} else {
		colon = strchr(text, ':');
		if (!colon || strchr(colon + 1, ':'))
			goto bad;
		len = (size_t)(colon - text);
		memcpy(host, text, len);
		port = colon + 1;
		hints.ai_family = AF_INET;
	}
	host[len] = '\0';
	errno = 0;
	p = strtol(port, &end, 10);
	if (!len || errno || end == port || *end || p < 1 || p > 65535)
		goto bad;
	if (getaddrinfo(host, port, &hints, &ai) || !ai || ai->ai_addrlen > sizeof(*sa))
		goto bad;
	memcpy(sa, ai->ai_addr, ai->ai_addrlen);
	*salen = ai->ai_addrlen;
	freeaddrinfo(ai);
	return 0;
bad:
	if (ai)
		freeaddrinfo(ai);
	pr_err("exporter: --listen '%s': expected ADDRESS:PORT or [IPV6]:PORT, a numeric "
	       "address and a port from 1 to 65535 (default " EXPORTER_LISTEN ")\n",
	       text);
	return -EINVAL;
}

/* A listening socket on sa: the fd, or -errno (reported, naming where). */
static int listen_on(const char *text, const struct sockaddr_storage *sa, socklen_t salen)
{
	int fd, one = 1, err;

	fd = socket(sa->ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		goto fail;
	/* TIME_WAIT of a previous exporter only; two listeners still fail */
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)))
		goto fail;
	if (sa->ss_family == AF_INET6 &&
	    setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one)))
		goto fail;
	if (bind(fd, (const struct sockaddr *)sa, salen) || listen(fd, 64))
		goto fail;
	return fd;
fail:
	err = -errno;
	pr_err("exporter: cannot listen on %s: %s\n", text, strerror(errno));
	if (fd >= 0)
		close(fd);
	return err;
}

static enum MHD_Result respond(struct MHD_Connection *conn, unsigned int status, char *body,
			       size_t len, const char *type)
{
	struct MHD_Response *r;
	enum MHD_Result ret;

	r = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
	if (!r) {
		free(body);
		return MHD_NO;
	}
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	if (status == MHD_HTTP_METHOD_NOT_ALLOWED)
		MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, MHD_HTTP_METHOD_GET);
	ret = MHD_queue_response(conn, status, r);
	MHD_destroy_response(r);
	return ret;
}

/* A one-line text answer. */
static enum MHD_Result respond_text(struct MHD_Connection *conn, unsigned int status,
				    const char *text)
{
	char *body = strdup(text);

	if (!body)
		return MHD_NO;
	return respond(conn, status, body, strlen(body), "text/plain; charset=utf-8");
}

static enum MHD_Result scrape(struct MHD_Connection *conn, const struct xs_config *cfg)
{
	struct stats_view v;
	char *body = NULL;
	size_t len = 0;
	FILE *f;
	int err;

	err = stats_view_read(cfg, 0, true, &v);
	if (err == -ENOENT) {
		stats_view_free(&v);
		return respond_text(conn, MHD_HTTP_SERVICE_UNAVAILABLE, "xshaper is not started\n");
	}
	if (!err) {
		f = open_memstream(&body, &len);
		if (f) {
			stats_prometheus(f, &v);
			err = fclose(f) ? -errno : 0;
		} else {
			err = -errno;
		}
	}
	stats_view_free(&v);
	if (err) {
		free(body);
		pr_err("exporter: /metrics: cannot read the counters: %s\n", strerror(-err));
		return respond_text(conn, MHD_HTTP_INTERNAL_SERVER_ERROR,
				    "cannot read the counters; see the exporter's log\n");
	}
	return respond(conn, MHD_HTTP_OK, body, len, METRICS_TYPE);
}

static enum MHD_Result answer(void *cls, struct MHD_Connection *conn, const char *url,
			      const char *method, const char *version, const char *upload_data,
			      size_t *upload_data_size, void **req_cls)
{
	if (strcmp(method, MHD_HTTP_METHOD_GET))
		return respond_text(conn, MHD_HTTP_METHOD_NOT_ALLOWED, "only GET is served\n");
	if (strcmp(url, "/metrics"))
		return respond_text(conn, MHD_HTTP_NOT_FOUND, "not found; try /metrics\n");
	return scrape(conn, cls);
}

int cmd_exporter(const char *config, int argc, char **argv)
{
	static const struct option options[] = {
		{ "listen", required_argument, NULL, 'l' },
		{},
	};
	const char *listen_text = EXPORTER_LISTEN;
	struct sockaddr_storage sa;
	struct MHD_Daemon *d;
	struct xs_config cfg;
	socklen_t salen;
	sigset_t stop;
	int opt, fd, sig;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "", options, NULL)) != -1) {
		switch (opt) {
		case 'l':
			listen_text = optarg;
			break;
		default:
			goto usage;
		}
	}
	if (optind < argc)
		goto usage;
	if (parse_listen(listen_text, &sa, &salen))
		return XS_EXIT_INVALID;
	if (load_config(config, &cfg))
		return XS_EXIT_INVALID;
	/* blocked before the polling thread starts, so only sigwait sees them */
	sigemptyset(&stop);
	sigaddset(&stop, SIGTERM);
	sigaddset(&stop, SIGINT);
	if (sigprocmask(SIG_BLOCK, &stop, NULL)) {
		pr_err("exporter: cannot block SIGTERM and SIGINT: %s\n", strerror(errno));
		return XS_EXIT_SYSTEM;
	}
	fd = listen_on(listen_text, &sa, salen);
	if (fd < 0)
		return XS_EXIT_SYSTEM;
	d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG |
				     (sa.ss_family == AF_INET6 ? MHD_USE_IPv6 : 0),
			     0, NULL, NULL, answer, &cfg, MHD_OPTION_LISTEN_SOCKET, fd,
			     MHD_OPTION_CONNECTION_TIMEOUT, 10U, MHD_OPTION_END);
	if (!d) {
		/* the socket is MHD's from here, closed or not: the process ends */
		pr_err("exporter: cannot start the HTTP server on %s\n", listen_text);
		return XS_EXIT_SYSTEM;
	}
	pr_info("exporter: serving http://%s/metrics\n", listen_text);
	do
		sig = sigwaitinfo(&stop, NULL);
	while (sig < 0 && errno == EINTR);
	MHD_stop_daemon(d); /* closes fd */
	return XS_EXIT_OK;
usage:
	pr_err("usage: xshaper exporter [--listen ADDRESS:PORT]\n");
	return XS_EXIT_INVALID;
}
