// SPDX-License-Identifier: GPL-2.0-only
/*
 * The trees over netlink (libnl-route-3): reading the live tree, sending a
 * diff, stop, and probing for leaf qdiscs.
 *
 * Requests are pipelined. The kernel handles every request of a sendmsg
 * in order inside that one call, queueing an ACK (or error) per request on
 * our socket; we read the ACKs afterwards and match them to the requests
 * by sequence number. So a batch costs one sendmsg instead of a round trip
 * per request, and each error still names its own request. The batch is
 * bounded by what fits the send buffer and by how many ACKs fit the
 * receive buffer: an ACK the kernel cannot queue is dropped, and then a
 * request could fail unseen. NETLINK_CAP_ACK keeps ACKs small (no copy of
 * the request); NETLINK_EXT_ACK adds the kernel's reason to errors.
 */
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/ethtool.h>
#include <linux/gen_stats.h>
#include <linux/sockios.h>

#include <linux/netlink.h>
#include <linux/pkt_sched.h>
#include <linux/rtnetlink.h>
#include <netlink/errno.h>
#include <netlink/msg.h>
#include <netlink/netlink.h>
#include <netlink/route/class.h>
#include <netlink/route/link.h>
#include <netlink/route/qdisc.h>
#include <netlink/route/qdisc/htb.h>
#include <netlink/route/tc.h>
#include <netlink/socket.h>

#include "common/crashpoint.h"
#include "common/handle.h"
#include "common/log.h"
#include "shaper/tree.h"

#ifndef SOL_NETLINK
#define SOL_NETLINK 270
#endif

/* Socket buffers; SO_*BUFFORCE needs CAP_NET_ADMIN, which changing qdiscs needs anyway. */
#define SOCK_BUF (8 << 20)
/* Upper bound of the truesize of one queued ACK (a small skb). */
#define ACK_TRUESIZE   1024
#define BATCH_BYTES    (1 << 20)
#define BATCH_REQS_MAX 4096
#define RECV_BUF       (64 << 10)
/* Failed requests reported one by one; the rest are counted. */
#define ERRORS_SHOWN 10
/* Times a dump the tree changed under is started again before giving up. */
#define DUMP_TRIES 5

/* Requests of stop, next to the enum tree_op_type ones, for messages. */
enum {
	REQ_ROOT_DELETE = 100,
	REQ_ROOT_RESTORE,
	REQ_PROBE,
};

struct tc_req {
	uint32_t seq;
	int type; /* enum tree_op_type or REQ_* */
	uint32_t handle, parent;
};

struct tc_sock {
	struct nl_sock *sk;
	int fd;
	unsigned long messages; /* change requests sent */
	/* what one batch may hold: what the socket buffers take */
	size_t batch_cap, reqs_cap;
	char *rbuf;
};

/*
 * The requests of one apply, stop step or probe, about one device: queued
 * until the batch is full or flushed, and the failures among them so far.
 */
struct tc_batch {
	struct tc_sock *ts;
	const char *ifname; /* for messages */
	const char *leaf_kind; /* TREE_OP_LEAF_CREATE: the kind of the leaves */
	const char *root_kind; /* REQ_ROOT_RESTORE: the kind put back */
	bool quiet; /* probing: errors are expected, not reported */
	size_t reqs_max; /* requests a batch holds at most; 0: what the socket takes */
	tree_progress_fn progress; /* after each batch: its requests */
	void *progress_arg;
	unsigned int nerrors;
	char *buf;
	size_t len;
	struct tc_req *reqs;
	size_t nreqs;
};

static int errno_of_nl(int nlerr)
{
	switch (nlerr < 0 ? -nlerr : nlerr) {
	case 0:
		return 0;
	case NLE_NOMEM:
		return -ENOMEM;
	case NLE_OBJ_NOTFOUND:
	case NLE_NODEV:
		return -ENODEV;
	case NLE_EXIST:
		return -EEXIST;
	case NLE_PERM:
		return -EPERM;
	case NLE_BUSY:
		return -EBUSY;
	case NLE_OPNOTSUPP:
		return -EOPNOTSUPP;
	case NLE_NOACCESS:
		return -EACCES;
	case NLE_MSGSIZE:
		return -EMSGSIZE;
	default:
		return -EINVAL;
	}
}

static void sock_buf(int fd, int force, int plain, int size)
{
	if (setsockopt(fd, SOL_SOCKET, force, &size, sizeof(size)) < 0)
		setsockopt(fd, SOL_SOCKET, plain, &size, sizeof(size));
}

int tc_sock_open(struct tc_sock **out)
{
	struct tc_sock *ts;
	int one = 1, rcv = 0, snd = 0, err;
	socklen_t len = sizeof(int);

	*out = NULL;
	ts = calloc(1, sizeof(*ts));
	if (!ts)
		return -ENOMEM;
	ts->sk = nl_socket_alloc();
	ts->rbuf = malloc(RECV_BUF);
	if (!ts->sk || !ts->rbuf) {
		err = -ENOMEM;
		goto fail;
	}
	err = nl_connect(ts->sk, NETLINK_ROUTE);
	if (err) {
		pr_err("cannot open a route netlink socket: %s\n", nl_geterror(err));
		err = errno_of_nl(err);
		goto fail;
	}
	/* our own requests carry their own sequence numbers; see tc_flush */
	nl_socket_disable_seq_check(ts->sk);
	ts->fd = nl_socket_get_fd(ts->sk);
	sock_buf(ts->fd, SO_SNDBUFFORCE, SO_SNDBUF, SOCK_BUF);
	sock_buf(ts->fd, SO_RCVBUFFORCE, SO_RCVBUF, SOCK_BUF);
	setsockopt(ts->fd, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof(one));
	setsockopt(ts->fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one));
	getsockopt(ts->fd, SOL_SOCKET, SO_RCVBUF, &rcv, &len);
	len = sizeof(int);
	getsockopt(ts->fd, SOL_SOCKET, SO_SNDBUF, &snd, &len);

	/* the kernel reports twice what was set; half of it is what we can count on */
	ts->reqs_cap = (size_t)rcv / 2 / ACK_TRUESIZE;
	if (ts->reqs_cap > BATCH_REQS_MAX)
		ts->reqs_cap = BATCH_REQS_MAX;
	if (ts->reqs_cap < 8)
		ts->reqs_cap = 8;
	/* crash tests kill a run between any two requests (crashpoint.h) */
	if (getenv("XSHAPER_TEST_KILL_AFTER"))
		ts->reqs_cap = 1;
	ts->batch_cap = (size_t)snd / 2;
	if (ts->batch_cap > BATCH_BYTES)
		ts->batch_cap = BATCH_BYTES;
	if (ts->batch_cap < 16384)
		ts->batch_cap = 16384;
	*out = ts;
	return 0;
fail:
	tc_sock_close(ts);
	return err;
}

void tc_sock_close(struct tc_sock *ts)
{
	if (!ts)
		return;
	if (ts->sk)
		nl_socket_free(ts->sk);
	free(ts->rbuf);
	free(ts);
}

unsigned long tc_sock_messages(const struct tc_sock *ts)
{
	return ts->messages;
}

static void batch_close(struct tc_batch *b)
{
	free(b->buf);
	free(b->reqs);
	b->buf = NULL;
	b->reqs = NULL;
}

static int batch_open(struct tc_batch *b, struct tc_sock *ts, const char *ifname)
{
	memset(b, 0, sizeof(*b));
	b->ts = ts;
	b->ifname = ifname;
	b->buf = malloc(ts->batch_cap);
	b->reqs = calloc(ts->reqs_cap, sizeof(*b->reqs));
	if (b->buf && b->reqs)
		return 0;
	batch_close(b);
	return -ENOMEM;
}

/* "create class 3:17" for a request */
static void describe(const struct tc_batch *b, const struct tc_req *r, char *buf, size_t len)
{
	char h[HANDLE_TEXT_LEN], p[HANDLE_TEXT_LEN];

	handle_text(r->handle, h, sizeof(h));
	handle_text(r->parent, p, sizeof(p));
	switch (r->type) {
	case TREE_OP_ROOT:
		snprintf(buf, len, "replace the root qdisc with mq %s", h);
		break;
	case TREE_OP_HTB:
		snprintf(buf, len, "create htb %s on mq class %s", h, p);
		break;
	case TREE_OP_HTB_RESET:
		snprintf(buf, len, "delete the broken qdisc %s (parent %s)", h, p);
		break;
	case TREE_OP_CLASS_CREATE:
		snprintf(buf, len, "create class %s", h);
		break;
	case TREE_OP_CLASS_CHANGE:
		snprintf(buf, len, "change class %s", h);
		break;
	case TREE_OP_LEAF_CREATE:
		snprintf(buf, len, "create %s leaf %s on class %s", b->leaf_kind, h, p);
		break;
	case TREE_OP_LEAF_DELETE:
		snprintf(buf, len, "delete leaf %s of class %s", h, p);
		break;
	case TREE_OP_CLASS_DELETE:
		snprintf(buf, len, "delete class %s", h);
		break;
	case TREE_OP_HTB_REMOVE:
		snprintf(buf, len, "put pfifo_fast back in place of htb %s on mq class %s", h, p);
		break;
	case REQ_ROOT_DELETE:
		snprintf(buf, len, "delete the mq root %s", h);
		break;
	case REQ_ROOT_RESTORE:
		snprintf(buf, len, "put the previous root qdisc %s back", b->root_kind);
		break;
	default:
		snprintf(buf, len, "request %d on %s", r->type, h);
		break;
	}
}

static const char *hint(const struct tc_req *r, int err)
{
	if (r->type == TREE_OP_LEAF_CREATE && err == -ENOENT)
		return "; is this leaf qdisc in the kernel? 'xshaper check' lists the ones it has";
	if (r->type == TREE_OP_ROOT && err == -EOPNOTSUPP)
		return "; mq needs a multiqueue device";
	if (err == -EEXIST || err == -ENOENT)
		return "; was the tree changed meanwhile? run again to repair it";
	return "";
}

/* The kernel's own words on a failed request (NETLINK_EXT_ACK), if any. */
static const char *ext_ack_msg(const struct nlmsghdr *nlh)
{
	const struct nlmsgerr *e = NLMSG_DATA(nlh);
	struct nlattr *tb[NLMSGERR_ATTR_MAX + 1];
	size_t off = sizeof(*e);
	int len;

	if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS))
		return NULL;
	if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
		off += e->msg.nlmsg_len - NLMSG_HDRLEN;
	len = (int)nlh->nlmsg_len - NLMSG_HDRLEN - (int)off;
	if (len <= 0)
		return NULL;
	if (nla_parse(tb, NLMSGERR_ATTR_MAX, (struct nlattr *)((char *)e + off), len, NULL) < 0)
		return NULL;
	return tb[NLMSGERR_ATTR_MSG] ? nla_get_string(tb[NLMSGERR_ATTR_MSG]) : NULL;
}

static void report(struct tc_batch *b, const struct tc_req *r, int err, const char *kmsg)
{
	char what[128];

	if (b->quiet)
		return;
	if (++b->nerrors > ERRORS_SHOWN)
		return;
	describe(b, r, what, sizeof(what));
	pr_err("%s: %s: %s%s%s%s%s\n", b->ifname ? b->ifname : "?", what, strerror(-err),
	       kmsg ? " (kernel: " : "", kmsg ? kmsg : "", kmsg ? ")" : "", hint(r, err));
}

/*
 * Send the batch and collect one ACK per request. Returns the first
 * request's error, or a socket error.
 */
static int tc_flush(struct tc_batch *b)
{
	struct tc_sock *ts = b->ts;
	size_t acked = 0, n = b->nreqs;
	uint32_t first;
	int first_err = 0;
	int ret;

	if (!n)
		return 0;
	first = b->reqs[0].seq;
	errno = 0;
	ret = nl_sendto(ts->sk, b->buf, b->len);
	b->len = 0;
	b->nreqs = 0;
	if (ret < 0) {
		int err = errno ? -errno : errno_of_nl(ret);

		if (!b->quiet)
			pr_err("%s: sending %zu tc requests failed: %s\n",
			       b->ifname ? b->ifname : "?", n, strerror(-err));
		return err;
	}
	ts->messages += n;
	while (acked < n) {
		int len = (int)recv(ts->fd, ts->rbuf, RECV_BUF, 0);
		struct nlmsghdr *nlh;

		if (len < 0) {
			if (errno == EINTR)
				continue;
			if (!b->quiet)
				pr_err("%s: reading the ACKs of %zu tc requests failed: %s%s\n",
				       b->ifname ? b->ifname : "?", n, strerror(errno),
				       errno == ENOBUFS ? " (ACKs were dropped; the socket "
							  "receive buffer is too small)"
							: "");
			return -errno;
		}
		for (nlh = (struct nlmsghdr *)ts->rbuf; NLMSG_OK(nlh, len);
		     nlh = NLMSG_NEXT(nlh, len)) {
			const struct nlmsgerr *e = NLMSG_DATA(nlh);
			uint32_t idx = nlh->nlmsg_seq - first;

			/* anything else is a late answer to an earlier request */
			if (nlh->nlmsg_type != NLMSG_ERROR || idx >= n)
				continue;
			acked++;
			if (!e->error)
				continue;
			report(b, &b->reqs[idx], e->error, ext_ack_msg(nlh));
			if (!first_err)
				first_err = e->error;
		}
	}
	for (acked = 0; acked < n; acked++)
		crashpoint();
	if (b->progress)
		b->progress(b->progress_arg, n);
	return first_err;
}

/* Queue one request; the batch goes out when it is full or on tc_flush. */
static int tc_queue(struct tc_batch *b, struct nl_msg *msg, int type, uint32_t handle,
		    uint32_t parent)
{
	struct tc_sock *ts = b->ts;
	struct nlmsghdr *nlh;
	struct tc_req *r;
	size_t len;
	int err;

	nl_complete_msg(ts->sk, msg);
	nlh = nlmsg_hdr(msg);
	len = NLMSG_ALIGN(nlh->nlmsg_len);
	if (len > ts->batch_cap) {
		nlmsg_free(msg);
		return -EMSGSIZE;
	}
	if (b->len + len > ts->batch_cap || b->nreqs == ts->reqs_cap ||
	    (b->reqs_max && b->nreqs == b->reqs_max)) {
		err = tc_flush(b);
		if (err) {
			nlmsg_free(msg);
			return err;
		}
	}
	memset(b->buf + b->len, 0, len);
	memcpy(b->buf + b->len, nlh, nlh->nlmsg_len);
	b->len += len;
	r = &b->reqs[b->nreqs++];
	r->seq = nlh->nlmsg_seq;
	r->type = type;
	r->handle = handle;
	r->parent = parent;
	nlmsg_free(msg);
	return 0;
}

/*
 * A qdisc request with nothing but the kind: for mq, pfifo_fast and the
 * leaves, whose kernel defaults are what we want. libnl's per-kind fillers
 * are not used for these: some insist on options (fifo wants a limit,
 * pfifo_fast a priomap).
 */
static int qdisc_msg(int type, int flags, int ifindex, uint32_t handle, uint32_t parent,
		     const char *kind, struct nl_msg **out)
{
	struct tcmsg t = {
		.tcm_family = AF_UNSPEC,
		.tcm_ifindex = ifindex,
		.tcm_handle = handle,
		.tcm_parent = parent,
	};
	struct nl_msg *msg = nlmsg_alloc_simple(type, flags);

	if (!msg)
		return -ENOMEM;
	if (nlmsg_append(msg, &t, sizeof(t), NLMSG_ALIGNTO) < 0 ||
	    (kind && nla_put_string(msg, TCA_KIND, kind) < 0)) {
		nlmsg_free(msg);
		return -EMSGSIZE;
	}
	*out = msg;
	return 0;
}

/*
 * Dumps. cb gets each RTM_NEW* message of the dump. A dump the kernel
 * flags as interrupted (the tree changed under it) is started again.
 */
typedef int (*dump_cb)(struct nlmsghdr *nlh, void *arg);

static int tc_dump_once(struct tc_sock *ts, int type, int ifindex, uint32_t parent, dump_cb cb,
			void *arg, bool *intr)
{
	struct nl_msg *msg;
	uint32_t seq;
	int err;

	*intr = false;
	err = qdisc_msg(type, NLM_F_DUMP, ifindex, 0, parent, NULL, &msg);
	if (err)
		return err;
	nl_complete_msg(ts->sk, msg);
	/* a dump ends with NLMSG_DONE, it needs no ACK */
	nlmsg_hdr(msg)->nlmsg_flags &= ~NLM_F_ACK;
	seq = nlmsg_hdr(msg)->nlmsg_seq;
	err = nl_sendto(ts->sk, nlmsg_hdr(msg), nlmsg_hdr(msg)->nlmsg_len);
	nlmsg_free(msg);
	if (err < 0)
		return -errno;
	for (;;) {
		int len = (int)recv(ts->fd, ts->rbuf, RECV_BUF, MSG_TRUNC);
		struct nlmsghdr *nlh;

		if (len < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (len > RECV_BUF)
			return -EMSGSIZE;
		for (nlh = (struct nlmsghdr *)ts->rbuf; NLMSG_OK(nlh, len);
		     nlh = NLMSG_NEXT(nlh, len)) {
			if (nlh->nlmsg_seq != seq)
				continue;
			if (nlh->nlmsg_flags & NLM_F_DUMP_INTR)
				*intr = true;
			if (nlh->nlmsg_type == NLMSG_DONE)
				return 0;
			if (nlh->nlmsg_type == NLMSG_ERROR) {
				const struct nlmsgerr *e = NLMSG_DATA(nlh);

				if (e->error)
					return e->error;
				continue;
			}
			err = cb(nlh, arg);
			if (err)
				return err;
		}
	}
}

static int tc_dump(struct tc_sock *ts, int type, int ifindex, uint32_t parent, dump_cb cb,
		   void *arg, void (*reset)(void *arg))
{
	int tries, err = 0;
	bool intr = false;

	for (tries = 0; tries < DUMP_TRIES; tries++) {
		err = tc_dump_once(ts, type, ifindex, parent, cb, arg, &intr);
		if (err || !intr)
			return err;
		reset(arg);
	}
	return -EAGAIN;
}

struct dump_state {
	struct tree *t;
	size_t cap;
	size_t mark; /* entries before this dump, kept on a restart */
};

static int parse_qdisc(struct nlmsghdr *nlh, void *arg)
{
	struct dump_state *d = arg;
	struct tree *t = d->t;
	struct tcmsg *tcm = nlmsg_data(nlh);
	struct nlattr *tb[TCA_MAX + 1], *opt[TCA_HTB_MAX + 1];
	struct tree_qdisc *q;

	if (nlh->nlmsg_type != RTM_NEWQDISC || tcm->tcm_ifindex != t->ifindex)
		return 0;
	if (nlmsg_parse(nlh, sizeof(*tcm), tb, TCA_MAX, NULL) < 0 || !tb[TCA_KIND])
		return 0;
	if (t->nqdiscs == d->cap) {
		size_t cap = d->cap ? 2 * d->cap : 64;
		struct tree_qdisc *v = realloc(t->qdiscs, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		t->qdiscs = v;
		d->cap = cap;
	}
	q = &t->qdiscs[t->nqdiscs++];
	memset(q, 0, sizeof(*q));
	q->handle = tcm->tcm_handle;
	q->parent = tcm->tcm_parent;
	snprintf(q->kind, sizeof(q->kind), "%s", nla_get_string(tb[TCA_KIND]));
	if (!strcmp(q->kind, "htb") && tb[TCA_OPTIONS] &&
	    nla_parse_nested(opt, TCA_HTB_MAX, tb[TCA_OPTIONS], NULL) >= 0 && opt[TCA_HTB_INIT] &&
	    nla_len(opt[TCA_HTB_INIT]) >= (int)sizeof(struct tc_htb_glob)) {
		struct tc_htb_glob *g = nla_data(opt[TCA_HTB_INIT]);

		q->defcls = g->defcls;
	}
	return 0;
}

/* What the class counted: the baseline of a customer given it (plan.h). */
static void parse_class_stats(struct nlattr *stats2, struct tree_class *c)
{
	struct nlattr *st[TCA_STATS_MAX + 1];

	if (nla_parse_nested(st, TCA_STATS_MAX, stats2, NULL) < 0)
		return;
	if (st[TCA_STATS_BASIC] &&
	    nla_len(st[TCA_STATS_BASIC]) >= (int)sizeof(struct gnet_stats_basic)) {
		const struct gnet_stats_basic *b = nla_data(st[TCA_STATS_BASIC]);

		c->counters[PLAN_BYTES] = b->bytes;
		c->counters[PLAN_PACKETS] = b->packets;
	}
	/*
	 * packets as 32 bits, TCA_STATS_PKT64 left alone: the reports read them
	 * through libnl, which knows only the 32-bit count, and a baseline must
	 * be in the units it is subtracted from (modulo 2^32)
	 */
	if (st[TCA_STATS_QUEUE] &&
	    nla_len(st[TCA_STATS_QUEUE]) >= (int)sizeof(struct gnet_stats_queue)) {
		const struct gnet_stats_queue *q = nla_data(st[TCA_STATS_QUEUE]);

		c->counters[PLAN_DROPS] = q->drops;
		c->counters[PLAN_OVERLIMITS] = q->overlimits;
	}
}

static int parse_class(struct nlmsghdr *nlh, void *arg)
{
	struct dump_state *d = arg;
	struct tree *t = d->t;
	struct tcmsg *tcm = nlmsg_data(nlh);
	struct nlattr *tb[TCA_MAX + 1], *opt[TCA_HTB_MAX + 1];
	struct tc_htb_opt *o;
	struct tree_class *c;

	if (nlh->nlmsg_type != RTM_NEWTCLASS || tcm->tcm_ifindex != t->ifindex)
		return 0;
	if (nlmsg_parse(nlh, sizeof(*tcm), tb, TCA_MAX, NULL) < 0 || !tb[TCA_KIND] ||
	    strcmp(nla_get_string(tb[TCA_KIND]), "htb") || !tb[TCA_OPTIONS])
		return 0;
	if (nla_parse_nested(opt, TCA_HTB_MAX, tb[TCA_OPTIONS], NULL) < 0 || !opt[TCA_HTB_PARMS] ||
	    nla_len(opt[TCA_HTB_PARMS]) < (int)sizeof(*o))
		return 0;
	if (t->nclasses == d->cap) {
		size_t cap = d->cap ? 2 * d->cap : 256;
		struct tree_class *v = realloc(t->classes, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		t->classes = v;
		d->cap = cap;
	}
	o = nla_data(opt[TCA_HTB_PARMS]);
	c = &t->classes[t->nclasses++];
	memset(c, 0, sizeof(*c));
	c->classid = tcm->tcm_handle;
	c->parent = tcm->tcm_parent;
	c->leaf = tcm->tcm_info;
	c->rate = opt[TCA_HTB_RATE64] ? nla_get_u64(opt[TCA_HTB_RATE64]) : o->rate.rate;
	c->ceil = opt[TCA_HTB_CEIL64] ? nla_get_u64(opt[TCA_HTB_CEIL64]) : o->ceil.rate;
	c->buffer = o->buffer;
	c->cbuffer = o->cbuffer;
	c->quantum = o->quantum;
	c->prio = o->prio;
	c->level = o->level;
	if (tb[TCA_STATS2])
		parse_class_stats(tb[TCA_STATS2], c);
	return 0;
}

static void reset_qdiscs(void *arg)
{
	struct dump_state *d = arg;

	d->t->nqdiscs = d->mark;
}

static void reset_classes(void *arg)
{
	struct dump_state *d = arg;

	d->t->nclasses = d->mark;
}

/*
 * The TX queues in use: a driver allocates num_tx_queues (what netlink
 * reports) but may run fewer ('ethtool -L'), and a queue_mapping past the
 * ones in use lands on queue 0, in another CPU's tree. The channel count
 * is the number in use (combined + TX-only channels); 0 when the driver
 * does not say.
 */
static unsigned int active_txqs(const char *ifname)
{
	struct ethtool_channels ch = { .cmd = ETHTOOL_GCHANNELS };
	struct ifreq ifr = {};
	unsigned int n = 0;
	int fd;

	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return 0;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	ifr.ifr_data = (void *)&ch;
	if (!ioctl(fd, SIOCETHTOOL, &ifr))
		n = ch.combined_count + ch.tx_count;
	close(fd);
	return n;
}

static int read_link(struct tc_sock *ts, const char *ifname, struct tree *t)
{
	unsigned int active;
	struct rtnl_link *link = NULL;
	int err;

	err = rtnl_link_get_kernel(ts->sk, 0, ifname, &link);
	if (err < 0) {
		pr_err("%s: no such interface (%s); check [interfaces] in the config\n", ifname,
		       nl_geterror(err));
		return -ENODEV;
	}
	t->ifindex = rtnl_link_get_ifindex(link);
	t->bridge = rtnl_link_get_type(link) && !strcmp(rtnl_link_get_type(link), "bridge");
	t->mtu = rtnl_link_get_mtu(link);
	t->dev_txqs = rtnl_link_get_num_tx_queues(link);
	t->dev_max_txqs = t->dev_txqs;
	rtnl_link_put(link);
	active = active_txqs(ifname);
	if (active && active < t->dev_txqs)
		t->dev_txqs = active;
	return 0;
}

int tree_not_bridge(const struct tree *live)
{
	if (!live->bridge)
		return 0;
	pr_err("%s: a bridge device: XDP and TC on it do not see the frames it forwards "
	       "between its ports, so no customer would be shaped; name its ports in "
	       "[interfaces] (wan: the one toward the internet, lan: toward the customers)\n",
	       live->ifname);
	return -EINVAL;
}

int tree_tx_queues(struct tc_sock *ts, const char *ifname, unsigned int *n)
{
	struct tree t = {};
	int err;

	*n = 0;
	err = read_link(ts, ifname, &t);
	if (!err)
		*n = t.dev_txqs;
	return err;
}

static int read_qdiscs(struct tc_sock *ts, struct tree *t)
{
	struct dump_state d = { .t = t };
	int err;

	err = tc_dump(ts, RTM_GETQDISC, t->ifindex, 0, parse_qdisc, &d, reset_qdiscs);
	if (err) {
		pr_err("%s: reading qdiscs failed: %s\n", t->ifname, strerror(-err));
		return err;
	}
	if (t->nqdiscs)
		qsort(t->qdiscs, t->nqdiscs, sizeof(*t->qdiscs), tree_qdisc_cmp);
	return 0;
}

/*
 * The classes of each of our HTBs, one dump per HTB. A class dump of the
 * whole device restarts its walk over every qdisc of the device for each
 * 32 kB the kernel sends: with HTB's own leaves (one hashed qdisc per
 * class) that is quadratic, 0.3 s for 20k classes. A dump asked for one
 * qdisc's classes (tcm_parent) finds that qdisc instead, also once per
 * 32 kB (netlink caps a dump's buffer there), by walking its handle's
 * bucket of the device's 16-bucket qdisc hash until it meets it. Our HTBs
 * have a bucket to themselves (xs_htb_major), so that walk passes only
 * other HTBs; when the HTB of major 2 shared bucket 0 with HTB's own pfifo
 * leaves, its dump walked every leaf of the device created after it for
 * each 32 kB, 0.75 s of system time per interface at 100k customers. Only
 * the HTBs on our mq's slots matter: anything else is replaced.
 */
static int read_classes(struct tc_sock *ts, struct tree *t)
{
	struct dump_state d = { .t = t };
	size_t i, n = t->nqdiscs;
	int err;

	for (i = 0; i < n; i++) {
		const struct tree_qdisc *q = &t->qdiscs[i];

		char h[HANDLE_TEXT_LEN];

		if (xs_handle_major(q->parent) != XS_MQ_MAJOR || strcmp(q->kind, "htb"))
			continue;
		d.mark = t->nclasses;
		err = tc_dump(ts, RTM_GETTCLASS, t->ifindex, q->handle, parse_class, &d,
			      reset_classes);
		if (err) {
			pr_err("%s: reading the classes of htb %s failed: %s\n", t->ifname,
			       handle_text(q->handle, h, sizeof(h)), strerror(-err));
			return err;
		}
	}
	if (t->nclasses)
		qsort(t->classes, t->nclasses, sizeof(*t->classes), tree_classid_cmp);
	return 0;
}

int tree_read(struct tc_sock *ts, const char *ifname, struct tree *out)
{
	size_t i;
	int err;

	memset(out, 0, sizeof(*out));
	snprintf(out->ifname, sizeof(out->ifname), "%s", ifname);
	err = read_link(ts, ifname, out);
	if (!err)
		err = read_qdiscs(ts, out);
	if (err)
		goto fail;
	for (i = 0; i < out->nqdiscs; i++) {
		/* someone else's root: it is replaced whole, its classes do not matter */
		if (tree_qdisc_is_our_root(&out->qdiscs[i])) {
			err = read_classes(ts, out);
			if (err)
				goto fail;
			break;
		}
	}
	return 0;
fail:
	tree_free(out);
	return err;
}

/* One apply: its batch, and the libnl objects it reuses for every request. */
struct apply_ctx {
	struct tc_batch b;
	const struct tree_diff *diff;
	struct rtnl_class *cls;
	struct rtnl_qdisc *htb;
};

static int class_msg(struct apply_ctx *a, const struct tree_op *op, int flags, struct nl_msg **msg)
{
	struct rtnl_class *cl = a->cls;
	const struct tree_class *c = &op->cls;
	int err;

	rtnl_tc_set_ifindex(TC_CAST(cl), a->diff->ifindex);
	rtnl_tc_set_parent(TC_CAST(cl), c->parent);
	rtnl_tc_set_handle(TC_CAST(cl), c->classid);
	if ((err = rtnl_htb_set_rate64(cl, c->rate)) < 0 ||
	    (err = rtnl_htb_set_ceil64(cl, c->ceil)) < 0 ||
	    (err = rtnl_htb_set_rbuffer(cl, c->burst)) < 0 ||
	    (err = rtnl_htb_set_cbuffer(cl, c->cburst)) < 0 ||
	    (err = rtnl_htb_set_quantum(cl, c->quantum)) < 0 ||
	    (err = rtnl_htb_set_prio(cl, c->prio)) < 0)
		return errno_of_nl(err);
	err = rtnl_class_build_add_request(cl, flags, msg);
	return err < 0 ? errno_of_nl(err) : 0;
}

static int op_msg(struct apply_ctx *a, const struct tree_op *op, struct nl_msg **msg,
		  uint32_t *handle, uint32_t *parent)
{
	int ifindex = a->diff->ifindex;
	int err;

	*handle = op->handle;
	*parent = op->parent;
	switch (op->type) {
	case TREE_OP_ROOT:
		return qdisc_msg(RTM_NEWQDISC, NLM_F_CREATE | NLM_F_REPLACE, ifindex, op->handle,
				 TC_H_ROOT, "mq", msg);
	case TREE_OP_HTB:
		rtnl_tc_set_ifindex(TC_CAST(a->htb), ifindex);
		rtnl_tc_set_parent(TC_CAST(a->htb), op->parent);
		rtnl_tc_set_handle(TC_CAST(a->htb), op->handle);
		err = rtnl_qdisc_build_add_request(a->htb, NLM_F_CREATE | NLM_F_REPLACE, msg);
		return err < 0 ? errno_of_nl(err) : 0;
	case TREE_OP_HTB_RESET:
	case TREE_OP_LEAF_DELETE:
		return qdisc_msg(RTM_DELQDISC, 0, ifindex, op->handle, op->parent, NULL, msg);
	case TREE_OP_HTB_REMOVE:
		return qdisc_msg(RTM_NEWQDISC, NLM_F_CREATE | NLM_F_REPLACE, ifindex, 0, op->parent,
				 "pfifo_fast", msg);
	case TREE_OP_LEAF_CREATE:
		return qdisc_msg(RTM_NEWQDISC, NLM_F_CREATE | NLM_F_REPLACE, ifindex, op->handle,
				 op->parent, leaf_qdisc_name(a->diff->leaf), msg);
	case TREE_OP_CLASS_CREATE:
		*handle = op->cls.classid;
		return class_msg(a, op, NLM_F_CREATE | NLM_F_EXCL, msg);
	case TREE_OP_CLASS_CHANGE:
		/* no NLM_F_EXCL: the kernel changes the class in place, counters and all */
		*handle = op->cls.classid;
		return class_msg(a, op, 0, msg);
	case TREE_OP_CLASS_DELETE:
		*handle = op->cls.classid;
		return qdisc_msg(RTM_DELTCLASS, 0, ifindex, op->cls.classid, op->parent, NULL, msg);
	}
	return -EINVAL;
}

/*
 * Batches of a progressive apply: a class costs the kernel milliseconds
 * at scale (tree.h), and the kernel answers a batch only when it has done
 * all of it, so a smaller batch is what lets progress be seen.
 */
#define PROGRESS_BATCH 256

int tree_apply(struct tc_sock *ts, const struct tree_diff *diff, enum tree_phase phase)
{
	if (phase == TREE_PHASE_CREATE)
		return tree_apply_ops(ts, diff, diff->create, diff->ncreate, NULL, NULL);
	return tree_apply_ops(ts, diff, diff->delete, diff->ndelete, NULL, NULL);
}

int tree_apply_ops(struct tc_sock *ts, const struct tree_diff *diff, const struct tree_op *ops,
		   size_t n, tree_progress_fn progress, void *arg)
{
	struct apply_ctx a = { .diff = diff };
	size_t i;
	int err = 0;

	if (!n)
		return 0;
	err = batch_open(&a.b, ts, diff->ifname);
	if (err)
		return err;
	if (progress) {
		a.b.progress = progress;
		a.b.progress_arg = arg;
		a.b.reqs_max = PROGRESS_BATCH;
	}
	a.b.leaf_kind = leaf_qdisc_name(diff->leaf);
	a.cls = rtnl_class_alloc();
	a.htb = rtnl_qdisc_alloc();
	if (!a.cls || !a.htb) {
		err = -ENOMEM;
		goto out;
	}
	if (rtnl_tc_set_kind(TC_CAST(a.cls), "htb") < 0 ||
	    rtnl_tc_set_kind(TC_CAST(a.htb), "htb") < 0 ||
	    rtnl_htb_set_defcls(a.htb, XS_DEFAULT_MINOR) < 0 ||
	    rtnl_htb_set_rate2quantum(a.htb, TREE_R2Q) < 0) {
		err = -ENOMEM;
		goto out;
	}
	for (i = 0; i < n; i++) {
		struct nl_msg *msg;
		uint32_t handle, parent;

		err = op_msg(&a, &ops[i], &msg, &handle, &parent);
		if (err) {
			pr_err("%s: building a tc request failed: %s\n", diff->ifname,
			       strerror(-err));
			break;
		}
		err = tc_queue(&a.b, msg, ops[i].type, handle, parent);
		if (err)
			break;
	}
	if (!err)
		err = tc_flush(&a.b);
	else
		tc_flush(&a.b); /* collect the ACKs of what is already queued */
	if (a.b.nerrors > ERRORS_SHOWN)
		pr_err("%s: %u more tc requests failed\n", diff->ifname,
		       a.b.nerrors - ERRORS_SHOWN);
out:
	if (a.cls)
		rtnl_class_put(a.cls);
	if (a.htb)
		rtnl_qdisc_put(a.htb);
	batch_close(&a.b);
	return err;
}

int tree_read_root(struct tc_sock *ts, const char *ifname, struct tree_root *out)
{
	struct tree t = {};
	size_t i;
	int err;

	memset(out, 0, sizeof(*out));
	snprintf(t.ifname, sizeof(t.ifname), "%s", ifname);
	err = read_link(ts, ifname, &t);
	if (!err)
		err = read_qdiscs(ts, &t);
	if (err)
		goto out;
	for (i = 0; i < t.nqdiscs; i++) {
		if (t.qdiscs[i].parent != TC_H_ROOT)
			continue;
		snprintf(out->kind, sizeof(out->kind), "%s", t.qdiscs[i].kind);
		out->handle = t.qdiscs[i].handle;
		out->ours = tree_qdisc_is_our_root(&t.qdiscs[i]);
		break;
	}
	if (!out->kind[0])
		snprintf(out->kind, sizeof(out->kind), "noqueue");
out:
	tree_free(&t);
	return err;
}

static int send_one(struct tc_batch *b, struct nl_msg *msg, int type, uint32_t handle,
		    uint32_t parent)
{
	int err = tc_queue(b, msg, type, handle, parent);

	return err ? err : tc_flush(b);
}

/*
 * Each HTB tree replaced by pfifo_fast, the newest first
 * (tree_teardown_order), ahead of the root: its TX queue goes on
 * forwarding, unshaped, until the root goes. A tree that will not go is
 * left to the root's deletion, which takes everything, so failures here
 * are not reported.
 */
static void retire_trees(struct tc_sock *ts, const struct tree *link)
{
	const char *ifname = link->ifname;

	tree_retire(ts, &ifname, 1);
}

void tree_retire(struct tc_sock *ts, const char *const *ifnames, size_t nlinks)
{
	struct tree live[XS_DIRS] = {};
	struct tc_batch b[XS_DIRS];
	uint32_t *order[XS_DIRS] = {};
	bool opened[XS_DIRS] = {};
	size_t i, n[XS_DIRS] = {}, most = 0, k;
	struct tree_root root;
	struct nl_msg *msg;

	if (nlinks > XS_DIRS)
		nlinks = XS_DIRS;
	/* the qdiscs only: the classes do not matter, and dumping them costs */
	for (k = 0; k < nlinks; k++) {
		snprintf(live[k].ifname, sizeof(live[k].ifname), "%s", ifnames[k]);
		if (read_link(ts, ifnames[k], &live[k]) || tree_read_root(ts, ifnames[k], &root) ||
		    !root.ours || read_qdiscs(ts, &live[k]) ||
		    tree_teardown_order(&live[k], &order[k], &n[k]) ||
		    batch_open(&b[k], ts, live[k].ifname)) {
			n[k] = 0;
			continue;
		}
		opened[k] = true;
		b[k].quiet = true;
		if (n[k] > most)
			most = n[k];
	}
	/* tree by tree, newest first; in a tree, the interface built last first */
	for (i = 0; i < most; i++)
		for (k = nlinks; k-- > 0;)
			if (i < n[k] &&
			    !qdisc_msg(RTM_NEWQDISC, NLM_F_CREATE | NLM_F_REPLACE, live[k].ifindex,
				       0, order[k][i], "pfifo_fast", &msg) &&
			    !tc_queue(&b[k], msg, TREE_OP_HTB_REMOVE, 0, order[k][i]))
				tc_flush(&b[k]);
	for (k = 0; k < nlinks; k++) {
		if (opened[k])
			batch_close(&b[k]);
		free(order[k]);
		tree_free(&live[k]);
	}
}

int tree_stop(struct tc_sock *ts, const char *ifname, const char *prev_kind)
{
	struct tree_root root;
	struct tree t = {};
	struct tc_batch b;
	struct nl_msg *msg;
	int err;

	snprintf(t.ifname, sizeof(t.ifname), "%s", ifname);
	err = read_link(ts, ifname, &t);
	if (!err)
		err = tree_read_root(ts, ifname, &root);
	if (err)
		return err;
	if (!root.ours)
		return 0; /* not started, or someone else's root by now: leave it */
	retire_trees(ts, &t);
	err = batch_open(&b, ts, ifname);
	if (err)
		return err;
	b.root_kind = prev_kind;
	err = qdisc_msg(RTM_DELQDISC, 0, t.ifindex, root.handle, TC_H_ROOT, NULL, &msg);
	if (!err)
		err = send_one(&b, msg, REQ_ROOT_DELETE, root.handle, TC_H_ROOT);
	if (err)
		goto out;
	/* the kernel has attached the device's default root (noqueue, mq, pfifo_fast) */
	err = tree_read_root(ts, ifname, &root);
	if (err || !prev_kind || !*prev_kind || !strcmp(prev_kind, root.kind))
		goto out;
	/* something the kernel does not attach by itself: that kind, default parameters */
	err = qdisc_msg(RTM_NEWQDISC, NLM_F_CREATE | NLM_F_REPLACE, t.ifindex, 0, TC_H_ROOT,
			prev_kind, &msg);
	if (!err)
		err = send_one(&b, msg, REQ_ROOT_RESTORE, 0, TC_H_ROOT);
	if (err)
		pr_err("%s: the previous root qdisc %s was not put back; the root is %s\n", ifname,
		       prev_kind, root.kind);
out:
	batch_close(&b);
	return err;
}

/*
 * Probe the leaf kinds in a child process that has a network namespace of
 * its own: its loopback device is a place to create qdiscs that nothing
 * else uses, and it all disappears with the child. The exit status has a
 * bit per kind the kernel has.
 */
static const enum leaf_qdisc leaf_kinds[] = { LEAF_FQ_CODEL, LEAF_SFQ, LEAF_PFIFO };
#define LEAF_PROBE_FAILED 0x80
#define LOOPBACK_IFINDEX  1

static int probe_child(void)
{
	struct tc_sock *ts;
	struct tc_batch b;
	unsigned int i, have = 0;

	if (unshare(CLONE_NEWNET) < 0 || tc_sock_open(&ts))
		return LEAF_PROBE_FAILED;
	if (batch_open(&b, ts, "lo")) {
		tc_sock_close(ts);
		return LEAF_PROBE_FAILED;
	}
	b.quiet = true;
	for (i = 0; i < sizeof(leaf_kinds) / sizeof(leaf_kinds[0]); i++) {
		struct nl_msg *msg;

		/* a handle per kind: a new kind on an existing handle is refused */
		uint32_t handle = xs_handle(i + 1, 0);

		if (qdisc_msg(RTM_NEWQDISC, NLM_F_CREATE | NLM_F_REPLACE, LOOPBACK_IFINDEX, handle,
			      TC_H_ROOT, leaf_qdisc_name(leaf_kinds[i]), &msg))
			continue;
		if (!send_one(&b, msg, REQ_PROBE, handle, TC_H_ROOT))
			have |= 1U << i;
	}
	batch_close(&b);
	tc_sock_close(ts);
	return (int)have;
}

int tree_check_leaf(enum leaf_qdisc leaf)
{
	char names[64] = "";
	unsigned int i, have;
	int status, want = -1;
	pid_t pid;

	fflush(NULL);
	pid = fork();
	if (pid < 0)
		return -errno;
	if (!pid)
		_exit(probe_child());
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -errno;
	if (!WIFEXITED(status) || WEXITSTATUS(status) & LEAF_PROBE_FAILED) {
		pr_err("cannot probe for the %s qdisc: a private network namespace is needed "
		       "(run as root)\n",
		       leaf_qdisc_name(leaf));
		return -EPERM;
	}
	have = WEXITSTATUS(status);
	for (i = 0; i < sizeof(leaf_kinds) / sizeof(leaf_kinds[0]); i++) {
		if (leaf_kinds[i] == leaf)
			want = (int)i;
		if (have & (1U << i)) {
			if (names[0])
				strncat(names, ", ", sizeof(names) - strlen(names) - 1);
			strncat(names, leaf_qdisc_name(leaf_kinds[i]),
				sizeof(names) - strlen(names) - 1);
		}
	}
	if (want >= 0 && have & (1U << want))
		return 0;
	pr_err("leaf_qdisc = %s: this kernel has no %s qdisc; it has: %s\n", leaf_qdisc_name(leaf),
	       leaf_qdisc_name(leaf), names[0] ? names : "none of them");
	return -EOPNOTSUPP;
}
