/*
 * load.h - ruche-load, the load generator of Ruche's benchmark.
 *
 * One thread, one epoll set, non-blocking sockets, no framework.  The
 * generator opens connections to a server on loopback at a bounded rate,
 * each bound to its own source address in 127.0.0.0/8, speaks WebSocket
 * itself (ws.h), and hands whole text messages to the protocol of the
 * server under test: a struct kind, one per kind of server (ruche, the
 * node_ws peer, IRC for the InspIRCd peer).  The workloads (run.c) drive the
 * connections through the loop and measure.
 *
 * Every chat message sent carries, in its text, the step it belongs to,
 * its sender, a sequence number and the sender's CLOCK_MONOTONIC time in
 * nanoseconds: "b STEP SENDER SEQ NS xxxx...".  Every receiver reads the
 * time back when the message reaches it, which gives the end-to-end
 * latency through the server (both ends share one clock: one machine).
 *
 * Thread rules: none; everything runs on the one thread.
 */
#ifndef LOAD_H
#define LOAD_H

#include <stdbool.h>
#include <stdint.h>
#include <netinet/in.h>
#include <sys/types.h>

#include "buf.h"
#include "hist.h"

struct gen;
struct client;

/* One account of the server, or a seat in a room for servers without. */
struct user {
	char handle[40];	/* login name */
	int64_t hive_id;	/* its hive; the room for node_ws */
	int64_t channel_id;	/* the hive's "general" channel */
	char token[64];		/* session token; "" until logged in */
	uint32_t group;		/* index of its hive among those used */
};

/*
 * The protocol of one kind of server.  The generator calls open() once
 * the WebSocket is up; the kind sends what it must (log in, subscribe)
 * and calls gen_ready() once the client can take part.  It reads every
 * text message in text() and reports chat messages with gen_message()
 * and answers to sends with gen_ack().  A callback returns 0, or -1 after
 * gen_fail() when the client cannot go on.
 *
 * A kind that is not WebSocket (IRC) sets bytes(): the generator then
 * skips the upgrade, calls open() once TCP is connected, passes every
 * byte read to bytes() (which returns how many it used), and the kind
 * writes with gen_write(); --ping then calls its ping(), if any.
 */
struct kind {
	const char *name;	/* as --kind spells it */
	const char *path;	/* WebSocket path */
	const char *subprotocol; /* offered at the upgrade; NULL: none */
	bool needs_login;	/* users log in first (have a token) */
	bool acks;		/* each send is answered */
	int (*open)(struct gen *g, struct client *c);
	int (*text)(struct gen *g, struct client *c, const char *p, size_t n);
	int (*send)(struct gen *g, struct client *c, const char *text,
		    size_t n);
	long (*bytes)(struct gen *g, struct client *c, const char *p,
		      size_t n);
	int (*ping)(struct gen *g, struct client *c, uint64_t now);
};

extern const struct kind kind_ruche;
extern const struct kind kind_node_ws;
extern const struct kind kind_irc;

enum client_state {
	CL_FREE,	/* not opened yet */
	CL_CONNECTING,	/* TCP connect under way */
	CL_HTTP,	/* a login request sent, reading its answer */
	CL_UPGRADING,	/* WebSocket upgrade sent */
	CL_OPEN,	/* WebSocket open, the kind is making it ready */
	CL_READY,	/* taking part in the workload */
	CL_DONE,	/* a login that finished */
	CL_CLOSED,	/* ended: failed, or lost */
};

/* The send times of a client's unanswered sends, oldest first. */
#define CLIENT_RING 256

/* One connection. */
struct client {
	int fd;			/* -1 when not open */
	uint32_t idx;		/* index in gen.cl */
	uint32_t user;		/* index in gen.users */
	uint32_t group;		/* its user's group */
	enum client_state state;
	int kstate;		/* the kind's own progress */
	bool leader;		/* first of its group: checks the setup */
	bool want_out;		/* EPOLLOUT armed */
	bool login;		/* an HTTP login rather than a WebSocket */
	int close_code;		/* the server's close code; 0: none */
	char key[25];		/* Sec-WebSocket-Key */
	struct buf in;		/* bytes read, not yet used */
	struct buf out;		/* bytes to write */
	struct buf msg;		/* a fragmented message, so far */
	unsigned msg_op;	/* its opcode; 0: none under way */
	int64_t next_id;	/* next request id */
	uint32_t seq;		/* chat messages sent */
	uint64_t next_send_ns;	/* when the next one is due */
	size_t heap_pos;	/* 1 + index in gen.heap; 0: not scheduled */
	uint64_t *ring;		/* CLIENT_RING send times; NULL: none */
	uint32_t ring_head;	/* oldest entry */
	uint32_t ring_count;	/* entries */
	uint32_t inflight;	/* sends not yet answered */
	uint64_t opened_ns;	/* when the connection was started */
	int tries;		/* login attempts */
};

/* What one measured window counted. */
struct stats {
	uint64_t sent;		/* chat messages sent */
	uint64_t expected;	/* deliveries they owe to the other members */
	uint64_t delivered;	/* of those, received */
	uint64_t self;		/* sent back to their own sender */
	uint64_t received;	/* deliveries to others read from the start
				 * of the window to the end of the drain,
				 * whenever they were sent */
	uint64_t late;		/* messages of no window being counted */
	uint64_t acks_ok;	/* sends answered ok */
	uint64_t acks_err;	/* sends answered with an error */
	uint64_t lost;		/* connections lost */
	uint64_t frames_in;	/* WebSocket frames read */
	uint64_t pings;		/* pings sent */
	uint64_t pongs;		/* pongs received */
	uint64_t fragmented;	/* messages sent in fragments */
	char ack_error[48];	/* the first error code of an answer */
	struct hist lat;	/* sender's clock to each other receiver */
	struct hist ack;	/* send to answer */
	struct hist lag;	/* how late a send left against its schedule */
};

#define LOAD_MAX_TARGETS 8

/* What the command line asked for. */
struct opts {
	const char *mode;	/* login, cohort, idle, writes or history */
	const char *kind;	/* ruche or node_ws */
	/* The server, on loopback; or the nodes of a cluster, client i
	 * going to target i % ntargets (so a hive's members spread). */
	struct sockaddr_in dst[LOAD_MAX_TARGETS];
	char hostport[LOAD_MAX_TARGETS][80];	/* each one's HOST:PORT */
	int ntargets;
	const char *users_path;	/* TSV: handle hive channel [token] */
	const char *out_path;	/* login: the users with their tokens */
	int hives;		/* the users of the first N hives; 0: all */
	pid_t server_pid;	/* watched for CPU and memory; 0: none */
	double rates[32];	/* cohort: messages per second per member */
	int nrates;
	double warm_s;		/* before each measured window */
	double measure_s;	/* the measured window */
	double drain_s;		/* most wait for late deliveries */
	bool keep_going;	/* cohort: go on past a failing step */
	int refine;		/* cohort: rates tried under a fail */
	int retries;		/* cohort: reruns of a noisy failure */
	double noise_max;	/* % of the machine others may use: noisy */
	double p99_limit_ms;	/* a step passes under this p99 ... */
	double delivery_min;	/* ... and with this share delivered */
	double ramp;		/* new connections per second */
	int max_pending;	/* connections being set up at once */
	int conns;		/* idle: connections; 0: one per user */
	double settle_s;	/* idle: wait before reading memory */
	int writers;		/* writes: clients */
	int window;		/* writes: sends in flight per client */
	int login_conc;		/* login: requests at once */
	int text_bytes;		/* length of a chat text */
	int fragment_every;	/* every Nth text in fragments; 0: none */
	double ping_s;		/* ping every client so often; 0: no */
	double max_s;		/* the whole run's bound */
	const char *label;	/* copied into the results */
	const char *words_path;	/* history: words, commonest first */
	int64_t max_id;		/* history: pages before ids up to it */
	double page_rate;	/* history: msg.history per second, all */
	double search_rate;	/* history: msg.search per second, all */
	uint64_t seed;		/* for masks, keys and phases */
};

/* The generator. */
struct gen {
	struct opts o;
	const struct kind *kind;
	int ep;				/* epoll */
	struct user *users;		/* owned */
	size_t nusers;
	uint32_t ngroups;
	uint32_t *group_size;		/* clients per group; owned */
	struct client *cl;		/* owned */
	size_t ncl;
	size_t next_open;		/* next client to open */
	size_t nopened, nready, nfailed, ndone, nlost;
	size_t pending;			/* being set up now */
	uint64_t ramp_start_ns;
	size_t ramp_base;		/* nopened when the ramp began */
	struct client **heap;		/* by next_send_ns; owned */
	size_t nheap;
	uint64_t interval_ns;		/* between sends; 0: none */
	uint32_t tag;			/* step written into texts */
	bool counting;			/* acks count into st */
	bool measuring;			/* in a window or its drain */
	bool live;			/* ruche: sync, to get live events */
	bool fragment_next;		/* send the next text in fragments */
	const char *password;		/* login: everyone's password */
	int pipeline;			/* writes: sends in flight */
	/* What a scheduled client sends when due; NULL: a chat message. */
	int (*fire)(struct gen *g, struct client *c, uint64_t now);
	uint64_t next_ping_ns;
	struct stats st;
	uint64_t start_ns, deadline_ns;
	uint64_t rng;
	uint32_t *retry;		/* logins to try again; owned */
	size_t nretry;
	uint64_t next_check_ns;		/* next look for stuck set-ups */
	char why[320];			/* the first failure */
	char rbuf[65536];		/* where reads land first */
};

/* ---- Services for kinds ---------------------------------------------- */

/* c is ready for the workload. */
void gen_ready(struct gen *g, struct client *c);

/* c cannot go on: closes it and remembers why.  Returns -1. */
int gen_fail(struct gen *g, struct client *c, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* A chat message with text t[0..n) reached c. */
void gen_message(struct gen *g, struct client *c, const char *t, size_t n);

/* The server answered one of c's sends; code is its error when !ok. */
void gen_ack(struct gen *g, struct client *c, bool ok, const char *code,
	     size_t codelen);

/* Sends p[0..n) as one WebSocket text message.  0, or -1 after failing. */
int gen_send_text(struct gen *g, struct client *c, const char *p, size_t n);

/* Writes raw bytes (kinds that are not WebSocket).  0, or -1. */
int gen_write(struct gen *g, struct client *c, const void *p, size_t n);

/* The user behind c. */
static inline struct user *gen_user(struct gen *g, struct client *c)
{
	return &g->users[c->user];
}

/* ---- The loop (net.c) --------------------------------------------- */

/* Sets up the epoll set.  0, or -1. */
int net_init(struct gen *g);

/*
 * Runs the loop until `until` (CLOCK_MONOTONIC ns) or until done(g) is
 * true: sends what is due, opens connections as the ramp allows, reads
 * and writes.  0, or -1 when the run's bound passed.
 */
int net_run(struct gen *g, uint64_t until, bool (*done)(struct gen *g));

/* Starts the ramp: clients [next_open, ncl) open at o.ramp per second. */
void net_ramp_start(struct gen *g);

/* Closes c (an orderly close frame first when open and `polite`). */
void net_close(struct gen *g, struct client *c, bool polite);

/* Schedules c's sends every g->interval_ns from a random phase. */
void net_schedule(struct gen *g, struct client *c, uint64_t now);

/* Unschedules every client. */
void net_unschedule_all(struct gen *g);

/* Sends c's next chat message now (the text carries the time). */
int net_send_chat(struct gen *g, struct client *c, uint64_t now);

/* A random 64-bit number. */
uint64_t gen_rand(struct gen *g);

/* ---- JSON scanning (jscan.c) ---------------------------------------- */

/*
 * Finds "key": in p[0..n) and reads the integer after it.  0, or -1 when
 * absent or not an integer.  The first occurrence wins: the callers know
 * the shape of what they scan.
 */
int js_int(const char *p, size_t n, const char *key, int64_t *v);

/* Finds "key":"...", and points *s at the string (escapes left as is). */
int js_str(const char *p, size_t n, const char *key, const char **s,
	   size_t *sn);

/* Whether needle occurs in p[0..n). */
bool js_has(const char *p, size_t n, const char *needle);

#endif
