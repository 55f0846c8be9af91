/*
 * cluster.h - a Ruche node among others (docs/operations.md).
 *
 * Nodes share one PostgreSQL database and a bus (bus.h).  Every write
 * transaction of every node holds one lock (store_pg.c), so the events
 * they store get positions in the order of their commits, with no gap.
 * A node's clients must see every event of their hives in that order,
 * whichever node stored it, and once: so a node delivers stored events
 * only as it reads them back from the store, after the last position it
 * delivered (its mark), its own included.  The bus only rings the bell:
 * after a commit a node publishes "p NODE" on the topic of each hive
 * (h<id>) and person (u<id>) the commit's events are for, and the nodes
 * whose clients are there read the store; a lost bell costs at most the
 * second until the next read, which happens anyway.  Events that are not
 * stored (presence, typing) travel on the bus whole:
 * "e NODE HIVE CHANNEL USER FRAME".
 */
#ifndef RUCHE_CLUSTER_H
#define RUCHE_CLUSTER_H

#include <stdbool.h>
#include <stdint.h>

#include "ruche/store.h"

struct bus;
struct frame;
struct server;
struct outbox_entry;

/*
 * Makes srv a node of the cluster that bus reaches (srv->cluster), its
 * mark the last position stored now.  The bus is borrowed.  0, or a
 * negative code.
 */
int cluster_start(struct server *srv, struct bus *bus);

/* Frees srv->cluster (NULL is a no-op). */
void cluster_stop(struct server *srv);

/*
 * A hive's (kind 'h') or a person's ('u') topic gains or loses one of
 * this node's connections: the first subscribes to it, the last leaves.
 */
void cluster_watch(struct server *srv, char kind, int64_t id, bool on);

/*
 * An event this node made, committed (or never stored: pos 0).  A stored
 * one is delivered by cluster_catch_up() and its bell rung then; one that
 * is not goes on the bus, and the caller delivers it here.
 */
void cluster_event(struct server *srv, const struct outbox_entry *e);

/*
 * After a commit, or a bell, or each second: rings the bells of the
 * events committed here, then delivers every event stored after the
 * mark, in order.
 */
void cluster_catch_up(struct server *srv);

/*
 * Whether this node runs what runs on a timer (meetups, reminders,
 * scheduled messages, pairing, mutes that end, retention): a node alone
 * does; in a cluster, the one that holds the runner's lease in the
 * database (store_lease_take()), taken over by another a few seconds
 * after its holder stops renewing it.  Called at each housekeeping.
 */
bool cluster_runner(struct server *srv);

/*
 * Presence across nodes (store_presence_put()): how every node sees a
 * person, the best of them; and how this node does, stored.
 */
enum store_presence cluster_presence(struct server *srv, int64_t user_id);
void cluster_presence_put(struct server *srv, int64_t user_id,
			  enum store_presence status);

/*
 * At each housekeeping: renews what this node says of its people; the
 * runner also forgets what lapsed and says who went offline with it.
 */
void cluster_housekeeping(struct server *srv, bool runner);

/* What the bus brought: bells and whole events.  On the loop's wake. */
void cluster_woken(struct server *srv);

#endif
