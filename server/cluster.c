/*
 * cluster.c - a Ruche node among others (cluster.h says how).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <openssl/rand.h>

#include "ruche/bus.h"
#include "ruche/cluster.h"
#include "ruche/err.h"
#include "ruche/frame.h"
#include "ruche/log.h"
#include "ruche/server.h"
#include "ruche/store.h"

/* Events read from the store at a time, and pages at most per catch-up
 * (the rest waits for the next turn: the loop keeps serving). */
#define CATCH_UP_PAGE 500
#define CATCH_UP_PAGES 8

/* How long the runner's lease lasts unrenewed: a node that dies hands
 * the timers over this long after (housekeeping renews it every
 * SERVER_SWEEP_MS). */
#define RUNNER_LEASE_MS 6000

/* A bell to ring after the commit: a topic, deduplicated per commit. */
struct bell {
	char topic[24];
};

struct cluster {
	struct bus *bus;	/* borrowed */
	uint64_t node;		/* this node's id on the bus, random */
	int64_t mark;		/* the last position delivered */
	struct bell *bells;	/* owned: topics to ring, n of cap */
	size_t nbells, capbells;
	bool runner;		/* it held the runner's lease last time */
};

/* The node's id, as it names itself in the database. */
static void node_name(const struct cluster *cl, char *out, size_t len)
{
	snprintf(out, len, "%016" PRIx64, cl->node);
}

int cluster_start(struct server *srv, struct bus *bus)
{
	struct cluster *cl = calloc(1, sizeof(*cl));
	int rc;

	if (!cl)
		return RUCHE_ENOMEM;
	cl->bus = bus;
	if (RAND_bytes((unsigned char *)&cl->node, sizeof(cl->node)) != 1)
		cl->node = (uint64_t)getpid() << 32 ^ (uint64_t)srv->started_mono;
	rc = store_event_last(srv->store, &cl->mark);
	if (rc) {
		free(cl);
		return rc;
	}
	srv->cluster = cl;
	log_info("cluster: node %016" PRIx64 ", events from position %lld",
		 cl->node, (long long)cl->mark);
	return 0;
}

void cluster_stop(struct server *srv)
{
	struct cluster *cl = srv->cluster;

	if (!cl)
		return;
	free(cl->bells);
	free(cl);
	srv->cluster = NULL;
}

bool cluster_runner(struct server *srv)
{
	struct cluster *cl = srv->cluster;
	char holder[24];
	bool held = false;

	if (!cl)
		return true;
	node_name(cl, holder, sizeof(holder));
	if (store_lease_take(srv->store, "runner", holder, RUNNER_LEASE_MS,
			     &held))
		held = false;
	if (held != cl->runner)
		log_info(held ? "cluster: this node runs meetups and timers" :
				"cluster: another node runs meetups and timers");
	cl->runner = held;
	return held;
}

enum store_presence cluster_presence(struct server *srv, int64_t user_id)
{
	enum store_presence status;

	if (store_presence_of(srv->store, user_id, &status))
		return STORE_PRESENCE_OFFLINE;
	return status;
}

void cluster_presence_put(struct server *srv, int64_t user_id,
			  enum store_presence status)
{
	char node[24];

	node_name(srv->cluster, node, sizeof(node));
	if (store_presence_put(srv->store, node, user_id, status))
		log_warn("cluster: cannot store user %lld's presence",
			 (long long)user_id);
}

void cluster_housekeeping(struct server *srv, bool runner)
{
	char node[24];
	int64_t *gone;
	size_t n;

	if (!srv->cluster)
		return;
	node_name(srv->cluster, node, sizeof(node));
	store_presence_renew(srv->store, node);
	/* The runner tells the hives of whoever a dead node left online. */
	if (!runner || store_presence_expire(srv->store, &gone, &n))
		return;
	for (size_t i = 0; i < n; i++)
		if (cluster_presence(srv, gone[i]) == STORE_PRESENCE_OFFLINE)
			server_presence_publish(srv, gone[i], "offline");
	free(gone);
}

static void topic(char *out, size_t len, char kind, int64_t id)
{
	snprintf(out, len, "%c%lld", kind, (long long)id);
}

void cluster_watch(struct server *srv, char kind, int64_t id, bool on)
{
	char t[24];

	if (!srv->cluster || id <= 0)
		return;
	topic(t, sizeof(t), kind, id);
	if (on)
		bus_subscribe(srv->cluster->bus, t);
	else
		bus_unsubscribe(srv->cluster->bus, t);
}

static void add_bell(struct cluster *cl, char kind, int64_t id)
{
	char t[24];

	if (id <= 0)
		return;
	topic(t, sizeof(t), kind, id);
	for (size_t i = 0; i < cl->nbells; i++)
		if (strcmp(cl->bells[i].topic, t) == 0)
			return;
	if (cl->nbells == cl->capbells) {
		size_t cap = cl->capbells ? cl->capbells * 2 : 16;
		struct bell *p = realloc(cl->bells, cap * sizeof(*p));

		if (!p)
			return;	/* their nodes read it within the second */
		cl->bells = p;
		cl->capbells = cap;
	}
	snprintf(cl->bells[cl->nbells++].topic, sizeof(cl->bells[0].topic),
		 "%s", t);
}

/*
 * The topics an event's audience listens on: its hive's, or each member
 * of its direct channel, or its one person.  The caller sends to each.
 */
static void audience(struct server *srv, const struct outbox_entry *e,
		     void (*each)(struct server *srv, const char *topic,
				  void *arg), void *arg)
{
	char t[24];

	if (e->hive_id) {
		topic(t, sizeof(t), 'h', e->hive_id);
		each(srv, t, arg);
	} else if (e->channel_id) {
		int64_t *members = NULL;
		size_t n = 0;

		if (store_direct_members(srv->store, e->channel_id, &members,
					 &n))
			return;
		for (size_t i = 0; i < n; i++) {
			topic(t, sizeof(t), 'u', members[i]);
			each(srv, t, arg);
		}
		free(members);
	} else if (e->user_id > 0) {
		topic(t, sizeof(t), 'u', e->user_id);
		each(srv, t, arg);
	}
}

static void bell_for(struct server *srv, const char *t, void *arg)
{
	(void)arg;
	add_bell(srv->cluster, t[0], strtoll(t + 1, NULL, 10));
}

/* The whole of an event that is not stored, for the other nodes. */
struct relay {
	char *msg;
	size_t len;
};

static void publish_to(struct server *srv, const char *t, void *arg)
{
	struct relay *r = arg;

	bus_publish(srv->cluster->bus, t, r->msg, r->len);
}

void cluster_event(struct server *srv, const struct outbox_entry *e)
{
	struct cluster *cl = srv->cluster;
	struct relay r = { 0 };
	char head[128];
	int n;

	if (!cl || !e->frame)
		return;
	if (e->pos) {
		audience(srv, e, bell_for, NULL);
		return;
	}
	n = snprintf(head, sizeof(head), "e %016" PRIx64 " %lld %lld %lld ",
		     cl->node, (long long)e->hive_id, (long long)e->channel_id,
		     (long long)e->user_id);
	r.len = (size_t)n + e->frame->len;
	r.msg = malloc(r.len);
	if (!r.msg)
		return;		/* presence and typing are best effort */
	memcpy(r.msg, head, (size_t)n);
	memcpy(r.msg + n, frame_payload(e->frame), e->frame->len);
	audience(srv, e, publish_to, &r);
	free(r.msg);
}

/* The frame of a stored event, as server_emit_text() makes it. */
static struct frame *event_frame(const struct store_event *ev)
{
	size_t len = strlen(ev->data);
	char head[96];
	struct frame *f;
	int n = snprintf(head, sizeof(head), "{\"ev\":\"%s\",\"pos\":%lld,"
			 "\"data\":", ev->kind, (long long)ev->pos);

	if (n < 0 || (size_t)n >= sizeof(head))
		return NULL;
	f = frame_new((size_t)n + len + 1);
	if (!f)
		return NULL;
	memcpy(frame_payload(f), head, (size_t)n);
	memcpy(frame_payload(f) + n, ev->data, len);
	frame_payload(f)[(size_t)n + len] = '}';
	return f;
}

/* Rings the bells of what this node committed since the last time. */
static void ring(struct server *srv)
{
	struct cluster *cl = srv->cluster;
	char msg[64];
	int n;

	if (!cl->nbells)
		return;
	n = snprintf(msg, sizeof(msg), "p %016" PRIx64, cl->node);
	for (size_t i = 0; i < cl->nbells; i++)
		bus_publish(cl->bus, cl->bells[i].topic, msg, (size_t)n);
	cl->nbells = 0;
}

void cluster_catch_up(struct server *srv)
{
	struct cluster *cl = srv->cluster;

	if (!cl || srv->turn_open)
		return;
	for (int page = 0; page < CATCH_UP_PAGES; page++) {
		struct store_event *ev;
		size_t n;

		if (store_events_after(srv->store, cl->mark, CATCH_UP_PAGE,
				       &ev, &n))
			break;
		for (size_t i = 0; i < n; i++) {
			struct frame *f = event_frame(&ev[i]);

			cl->mark = ev[i].pos;
			if (!f)
				continue;
			server_deliver(srv, ev[i].hive_id, ev[i].channel_id,
				       ev[i].user_id, ev[i].pos, f);
			frame_unref(f);
		}
		store_event_list_free(ev, n);
		if (n < CATCH_UP_PAGE)
			break;
	}
	ring(srv);
}

/* Whether a bell "p NODE" is this node's own: what it stored, it read. */
static bool from_self(const struct cluster *cl, const struct bus_msg *m)
{
	unsigned long long node;

	return sscanf(m->data, "p %16llx", &node) == 1 && node == cl->node;
}

/* Parses "e NODE HIVE CHANNEL USER FRAME" and delivers it here. */
static void relayed(struct server *srv, const struct bus_msg *m)
{
	long long hive, channel, user;
	unsigned long long node;
	struct frame *f;
	int used = 0;

	if (sscanf(m->data, "e %16llx %lld %lld %lld %n", &node, &hive,
		   &channel, &user, &used) != 4 || !used ||
	    node == srv->cluster->node)
		return;
	f = frame_from(m->data + used, m->len - (size_t)used);
	if (!f)
		return;
	server_deliver(srv, hive, channel, user, 0, f);
	frame_unref(f);
}

void cluster_woken(struct server *srv)
{
	struct cluster *cl = srv->cluster;
	struct bus_msg *v;
	size_t n;
	bool bell = false;

	if (!cl)
		return;
	bus_take(cl->bus, &v, &n);
	for (size_t i = 0; i < n; i++) {
		if (v[i].data[0] == 'e')
			relayed(srv, &v[i]);
		else if (v[i].data[0] == 'p')
			bell |= !from_self(cl, &v[i]);
	}
	bus_msg_list_free(v, n);
	/* Back after an outage: what was rung meanwhile is in the store. */
	if (bus_resubscribed(cl->bus))
		bell = true;
	if (bell)
		cluster_catch_up(srv);
}
