/*
 * bus.h - the message bus between the nodes of a Ruche cluster.
 *
 * Nodes that share one PostgreSQL database (store.h) tell each other,
 * over Redis pub/sub, what they committed; docs/operations.md says how a
 * cluster works.  The bus carries topics named by what they concern
 * ("h42": hive 42, "u7": user 7) and short messages; a node subscribes
 * only to the topics of its own clients.  Nothing on the bus is the
 * record: a stored event is read back from the store, so that a message
 * lost on the bus (Redis restarting, a node slow to read) costs only
 * time, never an event.
 *
 * A bus belongs to the event loop's thread, but for the thread of its
 * own that reads subscriptions; bus_redis.c is the only file that
 * includes hiredis.
 */
#ifndef RUCHE_BUS_H
#define RUCHE_BUS_H

#include <stdbool.h>
#include <stddef.h>

struct bus;

/* A message taken from the bus. */
struct bus_msg {
	char topic[32];
	char *data;		/* owned, NUL-terminated */
	size_t len;
};

/*
 * Opens the bus at url (redis://HOST[:PORT]), starting its reader
 * thread, which calls notify(arg) whenever messages wait (to wake the
 * event loop; it may be called from that thread).  Does not wait for
 * Redis: a bus that cannot reach it now keeps trying, and bus_up() says
 * whether it is reached.  0, or RUCHE_EINVAL for a malformed url (with
 * err), RUCHE_ENOMEM.
 */
int bus_open(const char *url, void (*notify)(void *arg), void *arg,
	     struct bus **out, char *err, size_t errlen);

/* Stops the reader thread, closes, frees.  NULL is a no-op. */
void bus_close(struct bus *b);

/* Whether Redis is reached now, by the reader and the publisher. */
bool bus_up(struct bus *b);

/*
 * Whether the reader lost its subscriptions since the last call (it was
 * down, or just came up): messages may have been missed meanwhile, so
 * the caller reads what it may have missed from the store.
 */
bool bus_resubscribed(struct bus *b);

/* Counts a subscription to topic: the first subscribes. */
void bus_subscribe(struct bus *b, const char *topic);

/* Takes back one count: the last unsubscribes. */
void bus_unsubscribe(struct bus *b, const char *topic);

/*
 * Publishes data on topic.  Waits for Redis's answer (a round trip on
 * loopback); gives up at once, without waiting, while Redis is known to
 * be down.  0, or RUCHE_EIO.
 */
int bus_publish(struct bus *b, const char *topic, const char *data,
		size_t len);

/*
 * Takes the messages that wait, oldest first: *out (free with
 * bus_msg_list_free()) and *n.
 */
void bus_take(struct bus *b, struct bus_msg **out, size_t *n);
void bus_msg_list_free(struct bus_msg *v, size_t n);

#endif
