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
 * (server_flush) ends every turn: one pass, or a few while a client has
 * more to read (turn()).
 */
#include <errno.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "ruche/bus.h"
#include "ruche/cluster.h"
#include "ruche/conn.h"
#include "ruche/jobs.h"
#include "ruche/log.h"
#include "ruche/proto.h"
#include "ruche/server.h"
#include "ruche/store.h"
#include "transport.h"

#define SHUTDOWN_GRACE_US (3 * LWS_US_PER_SEC)

/*
 * TLS as the Mozilla "intermediate" profile has it: TLS 1.2 and 1.3 only,
 * ECDHE key exchange (forward secrecy) and AEAD ciphers, so no RC4, 3DES,
 * CBC with SHA-1, export, NULL or anonymous suites can be negotiated,
 * whatever the system's OpenSSL defaults are.  The server picks the order,
 * so a client cannot steer it down its own list.  Renegotiation and
 * compression (CRIME) are off.
 */
#define TLS12_CIPHERS "ECDHE-ECDSA-AES128-GCM-SHA256:" \
	"ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:" \
	"ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:" \
	"ECDHE-RSA-CHACHA20-POLY1305"
#define TLS13_CIPHERS "TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:" \
	"TLS_CHACHA20_POLY1305_SHA256"
#ifndef SSL_OP_NO_RENEGOTIATION
#define SSL_OP_NO_RENEGOTIATION 0
#endif
#define TLS_OPTIONS (SSL_OP_NO_SSLv2 | SSL_OP_NO_SSLv3 | SSL_OP_NO_TLSv1 | \
	SSL_OP_NO_TLSv1_1 | SSL_OP_NO_COMPRESSION | \
	SSL_OP_CIPHER_SERVER_PREFERENCE | SSL_OP_NO_RENEGOTIATION)

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

/* One pass: handles the events there are, waiting for some first when
 * wait is true.  <0 when lws failed. */
static int loop_pass(struct lws_context *ctx, void *loop, bool wait)
{
	if (!loop)
		return lws_service(ctx, wait ? 0 : -1);
	ev_run(loop, wait ? EVRUN_ONCE : EVRUN_NOWAIT);
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

static int loop_pass(struct lws_context *ctx, void *loop, bool wait)
{
	(void)loop;
	return lws_service(ctx, wait ? 0 : -1);	/* -1: do not wait */
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

/*
 * The most WebSocket payload lws hands over at once, and the most it
 * reads from a socket per pass (plus its head room).  lws keeps a buffer
 * this size for every WebSocket, for as long as it is open: at 4,096
 * bytes that was most of what an idle connection cost.  conn.c pieces
 * longer messages together, so the size only bounds how much one pass
 * takes from one busy client.  Smaller costs throughput near saturation
 * (more reads for the same bytes): with 512, an idle connection cost
 * ~500 bytes less, but the cohort benchmark's server fell behind at 24
 * messages per second per member, where 1,024 and 4,096 kept up at 32
 * (docs/performance.md).  Control frames (ping, close: up to 125 bytes)
 * must fit whole, or lws would split a ping's payload.  868 is 7/8 KiB
 * less the 20 bytes lws adds (LWS_PRE and 4): its buffer is then one
 * 896-byte block of the C library's, and an idle connection costs less
 * than InspIRCd's; at 1,024 the block was 1,056 bytes and it cost more.
 * The cohort steps 1,024 passed, 868 passes (docs/performance.md).
 */
#define WS_RX_CHUNK 868
_Static_assert(WS_RX_CHUNK >= 125, "a control frame must fit in one chunk");

/*
 * The most passes of the loop in one turn, that is before one grouped
 * commit.  Reading at most a chunk per socket per pass, a client with
 * many requests in flight, or one long message, needs several passes for
 * what one 4 KiB read used to bring; were each pass to end in a commit
 * (an fsync with --sync full), such a client would lose most of its
 * throughput (one client with 64 requests in flight, 512-byte chunks:
 * from ~5,000 to ~900 acknowledgements per second).  So while a pass
 * shows a client with more to read (ws_rx_pass_more), the turn goes on
 * without waiting: up to 4 KiB per client per commit, as before.
 */
#define PASSES_PER_TURN ((4096 + WS_RX_CHUNK - 1) / WS_RX_CHUNK)

static const struct lws_protocols protocols[] = {
	{ "http", http_callback, sizeof(struct http_session), 0, 0, NULL, 0 },
	{ PROTO_SUBPROTOCOL, ws_callback, sizeof(struct ws_session),
	  WS_RX_CHUNK, 0, NULL, 0 },
	{ NULL, NULL, 0, 0, 0, NULL, 0 }
};

/* The loop's own state, beside the server. */
struct net {
	lws_sorted_usec_list_t grace;	/* fires when shutdown has taken too long */
	bool grace_over;
	lws_sorted_usec_list_t sweep;	/* session sweep timer */
	lws_sorted_usec_list_t tick;	/* connection timeouts, each second */
	struct server *srv;
	struct lws_context *ctx;
	void *loop;			/* libev's, or NULL: lws's poll() */
	uint64_t trim_conn_id;		/* srv->next_conn_id at the last trim */
	size_t trim_nconns;		/* ... and srv->nconns */
};

static struct net *net_of(lws_sorted_usec_list_t *sul)
{
	return lws_container_of(sul, struct net, grace);
}

static void grace_over(lws_sorted_usec_list_t *sul)
{
	net_of(sul)->grace_over = true;
}

/*
 * Memory freed when connections close stays with the C library, between
 * pages still in use, and the system goes on counting it as the server's:
 * after 10,000 idle connections had come and gone, Ruche kept all of its
 * 32 MiB.  After TRIM_CHURN connections have opened or closed, the free
 * pages go back (then 12 MiB).  A trim takes 1-6 ms with 10,000
 * connections open, hence at most once a sweep.
 */
#define TRIM_CHURN 512

static void trim_memory(struct net *net)
{
#ifdef __GLIBC__
	const struct server *srv = net->srv;
	uint64_t opened = srv->next_conn_id - net->trim_conn_id;
	uint64_t closed = opened + net->trim_nconns - srv->nconns;

	if (opened + closed < TRIM_CHURN)
		return;
	malloc_trim(0);
	net->trim_conn_id = srv->next_conn_id;
	net->trim_nconns = srv->nconns;
#else
	(void)net;
#endif
}

static void sweep(lws_sorted_usec_list_t *sul)
{
	struct net *net = lws_container_of(sul, struct net, sweep);

	server_housekeeping(net->srv);
	trim_memory(net);
	lws_sul_schedule(net->ctx, 0, &net->sweep, sweep,
			 SERVER_SWEEP_MS * LWS_US_PER_MS);
}

/* Closes the connections past their idle or auth timeout, pings the
 * quiet ones (conn_tick). */
static void tick(lws_sorted_usec_list_t *sul)
{
	struct net *net = lws_container_of(sul, struct net, tick);

	for (struct conn *c = net->srv->conns; c; c = c->next)
		conn_tick(c, conn_now_ms(c));
	/* A cluster's node reads what others stored, bell or not. */
	cluster_catch_up(net->srv);
	lws_sul_schedule(net->ctx, 0, &net->tick, tick, LWS_US_PER_SEC);
}

/*
 * One turn: a pass that waits for events, then passes that do not while
 * some client has more to read (PASSES_PER_TURN).  <0 when lws failed.
 */
static int turn(struct net *net)
{
	int n = 0;

	do {
		ws_rx_pass_begin();
		if (loop_pass(net->ctx, net->loop, n == 0) < 0)
			return -1;
	} while (++n < PASSES_PER_TURN && ws_rx_pass_more());
	return 0;
}

static void wake_loop(void *arg)
{
	lws_cancel_service(arg);
}

/* Makes srv a node of the cluster of --bus; its bus wakes the loop. */
static struct bus *join_cluster(struct server *srv, struct lws_context *ctx)
{
	struct bus *bus;
	char err[256];

	if (bus_open(srv->cfg->bus_url, wake_loop, ctx, &bus, err,
		     sizeof(err))) {
		log_error("--bus: %s", err);
		return NULL;
	}
	if (cluster_start(srv, bus)) {
		log_error("cannot read the event log to join the cluster");
		bus_close(bus);
		return NULL;
	}
	return bus;
}

void net_woken(struct server *srv)
{
	if (srv->jobs)
		jobs_drain(srv->jobs);
	server_flush(srv);
	cluster_woken(srv);
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

/*
 * Says which TLS file cannot be read, before lws tries them: its own
 * message for that case names neither the file nor the reason.
 */
static int tls_files_readable(const struct config *cfg)
{
	const char *what[] = { "certificate", "key" };
	const char *path[] = { cfg->tls_cert, cfg->tls_key };

	for (int i = 0; i < 2; i++) {
		FILE *f = fopen(path[i], "r");

		if (!f) {
			log_error("cannot read the TLS %s '%s': %s", what[i],
				  path[i], strerror(errno));
			return -1;
		}
		fclose(f);
	}
	return 0;
}

/* Sets up HTTPS and WSS on the listening port (cfg has both files). */
static void tls_setup(const struct config *cfg,
		      struct lws_context_creation_info *info)
{
	info->options |= LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
	info->ssl_cert_filepath = cfg->tls_cert;
	info->ssl_private_key_filepath = cfg->tls_key;
	info->ssl_cipher_list = TLS12_CIPHERS;
	info->tls1_3_plus_cipher_list = TLS13_CIPHERS;
	info->ssl_options_set = (long)TLS_OPTIONS;
	/*
	 * HTTP/1.1 only: over HTTP/2, lws would carry WebSocket frames in
	 * h2 DATA frames, and ws.c writes frames it built itself in one raw
	 * write (net.c's note on batching).
	 */
	info->alpn = "http/1.1";
}

int net_run(struct server *srv)
{
	const struct config *cfg = srv->cfg;
	struct lws_context_creation_info info;
	struct lws_context *ctx;
	struct net net = { 0 };
	bool v6 = strchr(cfg->listen_host, ':') != NULL;
	bool tls = cfg->tls_cert[0] != '\0';
	const char *scheme = tls ? "https" : "http";
	char where[1024];
	struct bus *bus = NULL;
	int port;

	if (tls && tls_files_readable(cfg))
		return 1;

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
	/* The handshake timeout (slow-loris): the time a connection may hold
	 * a header table, from its accept to a whole HTTP request or upgrade,
	 * so that a client dripping headers, or sending none, is dropped;
	 * and lws's other round trips of a client (the TLS handshake, a
	 * request body). */
	info.timeout_secs_ah_idle = (unsigned)cfg->handshake_timeout_s;
	info.timeout_secs = (unsigned)cfg->handshake_timeout_s;
	info.options = v6 ? 0 : LWS_SERVER_OPTION_DISABLE_IPV6;
	if (tls)
		tls_setup(cfg, &info);
	ctx = create_context(&info, &net.loop);
	if (!ctx) {
		if (tls)
			log_error("cannot listen on %s:%d with TLS: is the "
				  "address free, and are '%s' and '%s' a PEM "
				  "certificate and its private key?",
				  cfg->listen_host, cfg->listen_port,
				  cfg->tls_cert, cfg->tls_key);
		else
			log_error("cannot listen on %s:%d", cfg->listen_host,
				  cfg->listen_port);
		return 1;
	}
	port = lws_get_vhost_listen_port(lws_get_vhost_by_name(ctx, "ruche"));
	install_signals(ctx);
	if (srv->jobs)
		jobs_set_notify(srv->jobs, wake_loop, ctx);
	if (cfg->bus_url[0] && !(bus = join_cluster(srv, ctx))) {
		lws_context_destroy(ctx);
		loop_free(net.loop);
		return 1;
	}
	net.srv = srv;
	net.ctx = ctx;
	lws_sul_schedule(ctx, 0, &net.sweep, sweep,
			 SERVER_SWEEP_MS * LWS_US_PER_MS);
	lws_sul_schedule(ctx, 0, &net.tick, tick, LWS_US_PER_SEC);
	snprintf(srv->base_url, sizeof(srv->base_url), "%s", cfg->public_url);
	if (!srv->base_url[0])
		snprintf(srv->base_url, sizeof(srv->base_url),
			 "%s://%s%s%s:%d", scheme, v6 ? "[" : "",
			 cfg->listen_host, v6 ? "]" : "", port);
	printf("Ruche %s listening on %s://%s%s%s:%d/\n", RUCHE_VERSION,
	       scheme, v6 ? "[" : "", cfg->listen_host, v6 ? "]" : "", port);
	if (srv->on_listen)
		srv->on_listen(srv);
	fflush(stdout);
	store_where_shown(cfg->db_path, where, sizeof(where));
	log_info("serving %s, database %s", srv->client_root, where);

	while (!(srv->stopping && (srv->nconns == 0 || net.grace_over))) {
		bool was_stopping = srv->stopping;

		if (turn(&net) < 0)
			break;
		server_flush(srv);
		ws_flush_all();
		if (srv->stopping && !was_stopping)
			lws_sul_schedule(ctx, 0, &net.grace, grace_over,
					 SHUTDOWN_GRACE_US);
	}
	lws_sul_cancel(&net.grace);
	lws_sul_cancel(&net.sweep);
	lws_sul_cancel(&net.tick);
	if (srv->jobs)
		jobs_set_notify(srv->jobs, NULL, NULL);
	signal_context = NULL;
	/* Before the context: the bus's thread wakes the loop through it. */
	cluster_stop(srv);
	bus_close(bus);
	lws_context_destroy(ctx);
	loop_free(net.loop);
	log_info("stopped");
	return 0;
}
