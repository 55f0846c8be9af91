/*
 * net.c - the libwebsockets context and Ruche's event loop.
 *
 * One thread runs every socket.  Signals only set a flag and wake the loop
 * (lws_cancel_service() writes to a pipe, which is safe in a handler); the
 * loop then starts a clean shutdown: every WebSocket is closed with 1001,
 * and once they are gone (or a grace period has passed) the context is
 * destroyed and net_run() returns.
 *
 * The loop is libev's (epoll) when Ruche is built with libev and lws finds
 * its libev plugin at run time, and lws's own poll() otherwise.  poll()
 * scans every connection's descriptor on each pass, a cost that grows with
 * connections rather than with what happened: with 1,300 connections at
 * low load it was half of the server's CPU (docs/performance.md).  Either
 * way the loop runs one pass at a time, and the turn's grouped commit
 * (server_flush) ends every pass.
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "ruche/jobs.h"
#include "ruche/log.h"
#include "ruche/proto.h"
#include "ruche/server.h"
#include "transport.h"

#define SHUTDOWN_GRACE_US (3 * LWS_US_PER_SEC)

#if defined(RUCHE_WITH_LIBEV) && defined(LWS_WITH_LIBEV)
#include <ev.h>

/* A libev loop on epoll (or libev's best), or NULL. */
static void *loop_new(void)
{
	struct ev_loop *loop = ev_loop_new(EVBACKEND_EPOLL);

	return loop ? loop : ev_loop_new(EVFLAG_AUTO);
}

/* Lets lws's watchers wind down, within bounds, then frees the loop. */
static void loop_free(void *loop)
{
	if (!loop)
		return;
	for (int i = 0; i < 100 && ev_run(loop, EVRUN_NOWAIT); i++)
		;
	ev_loop_destroy(loop);
}

/* One pass: waits for events and handles them.  <0 when lws failed. */
static int loop_pass(struct lws_context *ctx, void *loop)
{
	if (!loop)
		return lws_service(ctx, 0);
	ev_run(loop, EVRUN_ONCE);
	return 0;
}
#else
static void *loop_new(void)
{
	return NULL;
}

static void loop_free(void *loop)
{
	(void)loop;
}

static int loop_pass(struct lws_context *ctx, void *loop)
{
	(void)loop;
	return lws_service(ctx, 0);
}
#endif

/* What a signal handler may touch: the context to wake, the signal seen. */
static struct lws_context *signal_context;
static volatile sig_atomic_t signal_seen;

static void on_signal(int sig)
{
	signal_seen = sig;
	if (signal_context)
		lws_cancel_service(signal_context);
}

static const struct lws_protocols protocols[] = {
	{ "http", http_callback, sizeof(struct http_session), 0, 0, NULL, 0 },
	{ PROTO_SUBPROTOCOL, ws_callback, sizeof(struct ws_session), 4096, 0,
	  NULL, 0 },
	{ NULL, NULL, 0, 0, 0, NULL, 0 }
};

/* The loop's own state, beside the server. */
struct net {
	lws_sorted_usec_list_t grace;	/* fires when shutdown has taken too long */
	bool grace_over;
	lws_sorted_usec_list_t sweep;	/* session sweep timer */
	struct server *srv;
	struct lws_context *ctx;
	void *loop;			/* libev's, or NULL: lws's poll() */
};

static struct net *net_of(lws_sorted_usec_list_t *sul)
{
	return lws_container_of(sul, struct net, grace);
}

static void grace_over(lws_sorted_usec_list_t *sul)
{
	net_of(sul)->grace_over = true;
}

static void sweep(lws_sorted_usec_list_t *sul)
{
	struct net *net = lws_container_of(sul, struct net, sweep);

	server_housekeeping(net->srv);
	lws_sul_schedule(net->ctx, 0, &net->sweep, sweep,
			 SERVER_SWEEP_MS * LWS_US_PER_MS);
}

static void wake_loop(void *arg)
{
	lws_cancel_service(arg);
}

void net_woken(struct server *srv)
{
	if (srv->jobs)
		jobs_drain(srv->jobs);
	server_flush(srv);
	if (signal_seen && !srv->stopping) {
		log_info("signal %d: shutting down, closing %zu connections",
			 (int)signal_seen, srv->nconns);
		server_begin_shutdown(srv);
	}
}

static void lws_log(int level, const char *line)
{
	size_t n = strlen(line);

	/* lws lines end in a newline; ours add their own. */
	while (n && (line[n - 1] == '\n' || line[n - 1] == '\r'))
		n--;
	log_msg(level == LLL_ERR ? LOG_ERROR :
		level == LLL_WARN ? LOG_WARN : LOG_DEBUG, "lws: %.*s", (int)n,
		line);
}

static void install_signals(struct lws_context *ctx)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	signal_context = ctx;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
}

/*
 * The lws context, on a libev loop (*loop) when there is one and lws can
 * use it, else on lws's own.  NULL when lws cannot start.
 */
static struct lws_context *create_context(
	struct lws_context_creation_info *info, void **loop)
{
	struct lws_context *ctx;
	void *loops[1];

	*loop = loop_new();
	if (*loop) {
		loops[0] = *loop;	/* read during creation only */
		info->foreign_loops = loops;
		info->options |= LWS_SERVER_OPTION_LIBEV;
		ctx = lws_create_context(info);
		info->foreign_loops = NULL;
		info->options &= ~(uint64_t)LWS_SERVER_OPTION_LIBEV;
		if (ctx) {
			log_info("event loop: libev");
			return ctx;
		}
		/* No libev plugin for lws here, most likely. */
		loop_free(*loop);
		*loop = NULL;
	}
	ctx = lws_create_context(info);
	if (ctx)
		log_info("event loop: poll()");
	return ctx;
}

int net_run(struct server *srv)
{
	const struct config *cfg = srv->cfg;
	struct lws_context_creation_info info;
	struct lws_context *ctx;
	struct net net = { 0 };
	bool v6 = strchr(cfg->listen_host, ':') != NULL;
	int port;

	lws_set_log_level(cfg->log_level >= LOG_DEBUG ?
			  LLL_ERR | LLL_WARN | LLL_NOTICE : LLL_ERR,
			  lws_log);
	memset(&info, 0, sizeof(info));
	info.port = cfg->listen_port;
	info.iface = cfg->listen_host;
	info.protocols = protocols;
	info.user = srv;
	info.vhost_name = "ruche";
	info.server_string = "ruche";
	info.options = v6 ? 0 : LWS_SERVER_OPTION_DISABLE_IPV6;
	ctx = create_context(&info, &net.loop);
	if (!ctx) {
		log_error("cannot listen on %s:%d", cfg->listen_host,
			  cfg->listen_port);
		return 1;
	}
	port = lws_get_vhost_listen_port(lws_get_vhost_by_name(ctx, "ruche"));
	install_signals(ctx);
	if (srv->jobs)
		jobs_set_notify(srv->jobs, wake_loop, ctx);
	net.srv = srv;
	net.ctx = ctx;
	lws_sul_schedule(ctx, 0, &net.sweep, sweep,
			 SERVER_SWEEP_MS * LWS_US_PER_MS);
	snprintf(srv->base_url, sizeof(srv->base_url), "%s", cfg->public_url);
	if (!srv->base_url[0])
		snprintf(srv->base_url, sizeof(srv->base_url),
			 "http://%s%s%s:%d", v6 ? "[" : "", cfg->listen_host,
			 v6 ? "]" : "", port);
	printf("Ruche %s listening on http://%s%s%s:%d/\n", RUCHE_VERSION,
	       v6 ? "[" : "", cfg->listen_host, v6 ? "]" : "", port);
	if (srv->on_listen)
		srv->on_listen(srv);
	fflush(stdout);
	log_info("serving %s, database %s", srv->client_root, cfg->db_path);

	while (!(srv->stopping && (srv->nconns == 0 || net.grace_over))) {
		bool was_stopping = srv->stopping;

		if (loop_pass(ctx, net.loop) < 0)
			break;
		server_flush(srv);
		if (srv->stopping && !was_stopping)
			lws_sul_schedule(ctx, 0, &net.grace, grace_over,
					 SHUTDOWN_GRACE_US);
	}
	lws_sul_cancel(&net.grace);
	lws_sul_cancel(&net.sweep);
	if (srv->jobs)
		jobs_set_notify(srv->jobs, NULL, NULL);
	signal_context = NULL;
	lws_context_destroy(ctx);
	loop_free(net.loop);
	log_info("stopped");
	return 0;
}
