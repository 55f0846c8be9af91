/*
 * bus_redis.c - the bus of bus.h over Redis pub/sub (hiredis).
 *
 * Two connections to Redis: the event loop publishes on one (PUBLISH, a
 * round trip), and a reader thread of the bus's own holds the other in
 * subscriber mode.  The loop tells the reader which topics it wants (a
 * count each, under the lock) and wakes it through a pipe; the reader
 * subscribes and unsubscribes to match, queues what arrives, and wakes
 * the loop.  When Redis goes away the reader tries again every half
 * second and, back, subscribes to everything again and says so
 * (bus_resubscribed()): what was published meanwhile is lost on the bus,
 * and the node reads it from the store.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <hiredis/hiredis.h>

#include "ruche/bus.h"
#include "ruche/err.h"
#include "ruche/log.h"

#define BUS_CONNECT_MS 500	/* to reach Redis, and between tries */
#define BUS_PUBLISH_RETRY_MS 1000 /* publishing waits after a failure */

struct topic {
	char name[32];
	int refs;		/* wanted by the loop: > 0 */
};

struct bus {
	char host[256];
	int port;
	void (*notify)(void *arg);
	void *arg;
	pthread_t thread;
	int wake[2];		/* the loop -> the reader: look again */

	pthread_mutex_t lock;	/* guards what follows, to `loop only` */
	struct topic *topics;
	size_t ntopics, captopics;
	struct bus_msg *inbox;
	size_t nin, capin;
	bool stop, reader_up, resubscribed;

	/* The loop's only. */
	redisContext *pub;
	long long pub_retry_at;	/* ms, monotonic: no try before */
};

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int parse_url(struct bus *b, const char *url, char *err,
		     size_t errlen)
{
	const char *h, *end, *colon;
	size_t n;

	if (strncmp(url, "redis://", 8)) {
		snprintf(err, errlen, "the bus must be redis://HOST[:PORT]");
		return RUCHE_EINVAL;
	}
	h = url + 8;
	end = h + strcspn(h, "/?");
	colon = memchr(h, ':', (size_t)(end - h));
	n = (size_t)((colon ? colon : end) - h);
	if (!n || n >= sizeof(b->host) || memchr(h, '@', (size_t)(end - h))) {
		snprintf(err, errlen, "the bus must be redis://HOST[:PORT] "
			 "(no user or password)");
		return RUCHE_EINVAL;
	}
	memcpy(b->host, h, n);
	b->host[n] = '\0';
	b->port = 6379;
	if (colon) {
		char *stop;
		long port = strtol(colon + 1, &stop, 10);

		if (stop != end || port < 1 || port > 65535) {
			snprintf(err, errlen, "the bus's port must be 1 to "
				 "65535");
			return RUCHE_EINVAL;
		}
		b->port = (int)port;
	}
	return 0;
}

static redisContext *connect_redis(struct bus *b)
{
	struct timeval tv = { 0, BUS_CONNECT_MS * 1000 };
	redisContext *c = redisConnectWithTimeout(b->host, b->port, tv);

	if (c && !c->err && redisSetTimeout(c, tv) == REDIS_OK)
		return c;
	if (c)
		redisFree(c);
	return NULL;
}

/* ---- The reader thread ---------------------------------------------- */

/* The reader's own list of what it is subscribed to. */
struct subscribed {
	char (*names)[32];
	size_t n, cap;
};

static bool has(const struct subscribed *s, const char *name)
{
	for (size_t i = 0; i < s->n; i++)
		if (strcmp(s->names[i], name) == 0)
			return true;
	return false;
}

/*
 * Subscribes and unsubscribes so that the subscriptions match the
 * topics the loop wants.  Replies come back as messages, read later.
 */
static int sync_topics(struct bus *b, redisContext *c, struct subscribed *s)
{
	int done = 0;

	pthread_mutex_lock(&b->lock);
	for (size_t i = 0; i < b->ntopics; i++) {
		if (has(s, b->topics[i].name))
			continue;
		if (s->n == s->cap) {
			size_t cap = s->cap ? s->cap * 2 : 16;
			void *p = realloc(s->names, cap * sizeof(*s->names));

			if (!p)
				break;
			s->names = p;
			s->cap = cap;
		}
		memcpy(s->names[s->n++], b->topics[i].name, 32);
		redisAppendCommand(c, "SUBSCRIBE %s", b->topics[i].name);
	}
	for (size_t i = 0; i < s->n; ) {
		bool wanted = false;

		for (size_t j = 0; j < b->ntopics && !wanted; j++)
			wanted = strcmp(b->topics[j].name, s->names[i]) == 0;
		if (wanted) {
			i++;
			continue;
		}
		redisAppendCommand(c, "UNSUBSCRIBE %s", s->names[i]);
		memcpy(s->names[i], s->names[--s->n], 32);
	}
	pthread_mutex_unlock(&b->lock);
	while (!done)
		if (redisBufferWrite(c, &done) != REDIS_OK)
			return -1;
	return 0;
}

/* Queues a published message for the loop.  True when one was queued. */
static bool queue(struct bus *b, const redisReply *r)
{
	struct bus_msg m = { 0 };

	if (r->type != REDIS_REPLY_ARRAY || r->elements != 3 ||
	    r->element[0]->type != REDIS_REPLY_STRING ||
	    strcmp(r->element[0]->str, "message") ||
	    r->element[1]->len >= sizeof(m.topic) ||
	    r->element[2]->type != REDIS_REPLY_STRING)
		return false;	/* (un)subscribe confirmations */
	memcpy(m.topic, r->element[1]->str, r->element[1]->len);
	m.len = r->element[2]->len;
	m.data = malloc(m.len + 1);
	if (!m.data)
		return false;
	memcpy(m.data, r->element[2]->str, m.len);
	m.data[m.len] = '\0';
	pthread_mutex_lock(&b->lock);
	if (b->nin == b->capin) {
		size_t cap = b->capin ? b->capin * 2 : 64;
		void *p = realloc(b->inbox, cap * sizeof(*b->inbox));

		if (!p) {
			pthread_mutex_unlock(&b->lock);
			free(m.data);
			return false;
		}
		b->inbox = p;
		b->capin = cap;
	}
	b->inbox[b->nin++] = m;
	pthread_mutex_unlock(&b->lock);
	return true;
}

static void set_reader_up(struct bus *b, bool up)
{
	pthread_mutex_lock(&b->lock);
	if (up && !b->reader_up)
		b->resubscribed = true;
	b->reader_up = up;
	pthread_mutex_unlock(&b->lock);
	if (up)
		b->notify(b->arg);
}

static bool stopping(struct bus *b)
{
	bool stop;

	pthread_mutex_lock(&b->lock);
	stop = b->stop;
	pthread_mutex_unlock(&b->lock);
	return stop;
}

static void *reader_main(void *arg)
{
	struct bus *b = arg;
	struct subscribed s = { 0 };
	redisContext *c = NULL;
	char drain[64];

	while (!stopping(b)) {
		struct pollfd pf[2] = { { .fd = b->wake[0], .events = POLLIN },
					{ .fd = -1, .events = POLLIN } };
		bool queued = false;
		void *reply;

		if (!c) {
			c = connect_redis(b);
			s.n = 0;
			if (c && sync_topics(b, c, &s) == 0) {
				log_info("bus: reached redis://%s:%d",
					 b->host, b->port);
				set_reader_up(b, true);
			} else if (c) {
				redisFree(c);
				c = NULL;
			}
		}
		if (c)
			pf[1].fd = c->fd;
		if (poll(pf, 2, c ? -1 : BUS_CONNECT_MS) < 0 && errno != EINTR)
			break;
		if (pf[0].revents & POLLIN)
			while (read(b->wake[0], drain, sizeof(drain)) > 0)
				;
		if (c && (pf[1].revents & (POLLIN | POLLHUP | POLLERR)) &&
		    redisBufferRead(c) != REDIS_OK)
			goto lost;
		while (c && redisGetReplyFromReader(c, &reply) == REDIS_OK &&
		       reply) {
			queued |= queue(b, reply);
			freeReplyObject(reply);
		}
		if (c && c->err)
			goto lost;
		if (queued)
			b->notify(b->arg);
		if (c && sync_topics(b, c, &s))
			goto lost;
		continue;
lost:
		log_warn("bus: lost redis://%s:%d; trying again", b->host,
			 b->port);
		redisFree(c);
		c = NULL;
		set_reader_up(b, false);
	}
	if (c)
		redisFree(c);
	free(s.names);
	return NULL;
}

static void wake_reader(struct bus *b)
{
	ssize_t n = write(b->wake[1], "", 1);

	(void)n;	/* full: it is awake already */
}

/* ---- The loop's side ------------------------------------------------ */

int bus_open(const char *url, void (*notify)(void *arg), void *arg,
	     struct bus **out, char *err, size_t errlen)
{
	struct bus *b = calloc(1, sizeof(*b));
	int rc;

	*out = NULL;
	if (!b)
		return RUCHE_ENOMEM;
	rc = parse_url(b, url, err, errlen);
	if (rc) {
		free(b);
		return rc;
	}
	b->notify = notify;
	b->arg = arg;
	if (pipe(b->wake) || fcntl(b->wake[0], F_SETFL, O_NONBLOCK) ||
	    fcntl(b->wake[1], F_SETFL, O_NONBLOCK)) {
		free(b);
		return RUCHE_EIO;
	}
	pthread_mutex_init(&b->lock, NULL);
	if (pthread_create(&b->thread, NULL, reader_main, b)) {
		pthread_mutex_destroy(&b->lock);
		close(b->wake[0]);
		close(b->wake[1]);
		free(b);
		return RUCHE_ENOMEM;
	}
	*out = b;
	return 0;
}

void bus_close(struct bus *b)
{
	if (!b)
		return;
	pthread_mutex_lock(&b->lock);
	b->stop = true;
	pthread_mutex_unlock(&b->lock);
	wake_reader(b);
	pthread_join(b->thread, NULL);
	pthread_mutex_destroy(&b->lock);
	close(b->wake[0]);
	close(b->wake[1]);
	if (b->pub)
		redisFree(b->pub);
	bus_msg_list_free(b->inbox, b->nin);
	free(b->topics);
	free(b);
}

bool bus_up(struct bus *b)
{
	bool up;

	pthread_mutex_lock(&b->lock);
	up = b->reader_up;
	pthread_mutex_unlock(&b->lock);
	return up && (b->pub || now_ms() >= b->pub_retry_at);
}

bool bus_resubscribed(struct bus *b)
{
	bool was;

	pthread_mutex_lock(&b->lock);
	was = b->resubscribed;
	b->resubscribed = false;
	pthread_mutex_unlock(&b->lock);
	return was;
}

static struct topic *topic_find(struct bus *b, const char *name)
{
	for (size_t i = 0; i < b->ntopics; i++)
		if (strcmp(b->topics[i].name, name) == 0)
			return &b->topics[i];
	return NULL;
}

void bus_subscribe(struct bus *b, const char *name)
{
	struct topic *t;
	bool first = false;

	if (strlen(name) >= sizeof(t->name))
		return;
	pthread_mutex_lock(&b->lock);
	t = topic_find(b, name);
	if (!t && b->ntopics == b->captopics) {
		size_t cap = b->captopics ? b->captopics * 2 : 16;
		void *p = realloc(b->topics, cap * sizeof(*b->topics));

		if (p) {
			b->topics = p;
			b->captopics = cap;
		}
	}
	if (!t && b->ntopics < b->captopics) {
		t = &b->topics[b->ntopics++];
		snprintf(t->name, sizeof(t->name), "%s", name);
		t->refs = 0;
		first = true;
	}
	if (t)
		t->refs++;
	pthread_mutex_unlock(&b->lock);
	if (first)
		wake_reader(b);
}

void bus_unsubscribe(struct bus *b, const char *name)
{
	struct topic *t;
	bool last = false;

	pthread_mutex_lock(&b->lock);
	t = topic_find(b, name);
	if (t && --t->refs <= 0) {
		*t = b->topics[--b->ntopics];
		last = true;
	}
	pthread_mutex_unlock(&b->lock);
	if (last)
		wake_reader(b);
}

/* Connects the publisher, unless Redis is known to be away. */
static bool publisher(struct bus *b)
{
	bool up;

	if (b->pub)
		return true;
	/* Connecting waits: only once the reader found Redis there. */
	pthread_mutex_lock(&b->lock);
	up = b->reader_up;
	pthread_mutex_unlock(&b->lock);
	if (!up || now_ms() < b->pub_retry_at)
		return false;
	b->pub = connect_redis(b);
	if (!b->pub)
		b->pub_retry_at = now_ms() + BUS_PUBLISH_RETRY_MS;
	return b->pub != NULL;
}

int bus_publish(struct bus *b, const char *topic, const char *data,
		size_t len)
{
	/* A connection made before Redis restarted fails at its first use:
	 * then once more on a new one. */
	for (int tries = 0; tries < 2 && publisher(b); tries++) {
		bool fresh = tries > 0;
		redisReply *r = redisCommand(b->pub, "PUBLISH %s %b", topic,
					     data, len);

		if (r && !b->pub->err) {
			freeReplyObject(r);
			return 0;
		}
		if (fresh)
			log_warn("bus: cannot publish to redis://%s:%d: %s",
				 b->host, b->port, b->pub->errstr[0] ?
				 b->pub->errstr : "no answer");
		if (r)
			freeReplyObject(r);
		redisFree(b->pub);
		b->pub = NULL;
		if (fresh)
			b->pub_retry_at = now_ms() + BUS_PUBLISH_RETRY_MS;
	}
	return RUCHE_EIO;
}

void bus_take(struct bus *b, struct bus_msg **out, size_t *n)
{
	pthread_mutex_lock(&b->lock);
	*out = b->inbox;
	*n = b->nin;
	b->inbox = NULL;
	b->nin = b->capin = 0;
	pthread_mutex_unlock(&b->lock);
}

void bus_msg_list_free(struct bus_msg *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i].data);
	free(v);
}
