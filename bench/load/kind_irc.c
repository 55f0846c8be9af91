/*
 * kind_irc.c - the generator speaking IRC (RFC 1459/2812) to the InspIRCd
 * peer, over plain TCP.
 *
 * InspIRCd can also take IRC inside WebSocket frames (its m_websocket
 * module); the lines are the same either way, and plain TCP is how IRC
 * servers are mostly run and tuned, and spares InspIRCd the framing.
 *
 * A client registers with NICK and USER (nick "u" and its client index,
 * unique even when users are reused), joins #hive-NNN (its user's hive)
 * once the server has welcomed it (001), and is ready at the end of the
 * channel's names list (366).  A chat message is PRIVMSG #hive-NNN :text.
 * IRC does not echo a message to its sender, and does not answer it:
 * deliveries to the other members are what is counted.  The server's
 * PINGs are answered, and --ping sends PINGs of our own.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "irc.h"
#include "load.h"

/* The longest line the generator accepts: IRC allows 512 bytes, 8,191
 * more with IRCv3 message tags; past that the server is broken. */
#define IRC_MAX_LINE (512 + 8191)

enum { IRC_REGISTERING, IRC_JOINING, IRC_JOINED };

static int irc_printf(struct gen *g, struct client *c, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int irc_printf(struct gen *g, struct client *c, const char *fmt, ...)
{
	char line[600];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(line))
		return gen_fail(g, c, "an IRC line too long");
	return gen_write(g, c, line, (size_t)n);
}

static int irc_open(struct gen *g, struct client *c)
{
	c->kstate = IRC_REGISTERING;
	return irc_printf(g, c, "NICK u%u\r\nUSER b 0 * :bench\r\n", c->idx);
}

/* One line from the server, without its CR LF. */
static int irc_line(struct gen *g, struct client *c, const char *p,
		    size_t n)
{
	struct irc_line l;

	if (irc_split(p, n, &l))
		return 0;
	if (l.cmd_len == 4 && memcmp(l.cmd, "PING", 4) == 0)
		return irc_printf(g, c, "PONG :%.*s\r\n",
				  (int)l.trailing_len,
				  l.trailing ? l.trailing : "");
	if (l.cmd_len == 5 && memcmp(l.cmd, "ERROR", 5) == 0)
		return gen_fail(g, c, "closed by the server: %.*s",
				(int)(n > 120 ? 120 : n), p);
	if (l.cmd_len == 7 && memcmp(l.cmd, "PRIVMSG", 7) == 0) {
		if (l.trailing)
			gen_message(g, c, l.trailing, l.trailing_len);
		return 0;
	}
	if (l.cmd_len == 4 && memcmp(l.cmd, "PONG", 4) == 0) {
		g->st.pongs++;
		return 0;
	}
	if (!irc_numeric(&l))
		return 0;	/* JOIN, MODE, NOTICE...: nothing to do */
	if (memcmp(l.cmd, "001", 3) == 0 && c->kstate == IRC_REGISTERING) {
		c->kstate = IRC_JOINING;
		return irc_printf(g, c, "JOIN #hive-%03lld\r\n",
				  (long long)gen_user(g, c)->hive_id);
	}
	if (memcmp(l.cmd, "366", 3) == 0 && c->kstate == IRC_JOINING) {
		c->kstate = IRC_JOINED;
		gen_ready(g, c);
		return 0;
	}
	/* 4xx and 5xx are refusals; 422 only says there is no MOTD. */
	if ((l.cmd[0] == '4' || l.cmd[0] == '5') &&
	    memcmp(l.cmd, "422", 3) != 0)
		return gen_fail(g, c, "refused: %.*s",
				(int)(n > 120 ? 120 : n), p);
	return 0;
}

static long irc_bytes(struct gen *g, struct client *c, const char *p,
		      size_t n)
{
	size_t used = 0;

	while (used < n) {
		const char *nl = memchr(p + used, '\n', n - used);
		size_t len;

		if (!nl) {
			if (n - used > IRC_MAX_LINE)
				return gen_fail(g, c, "an IRC line too long");
			break;
		}
		len = (size_t)(nl - (p + used));
		if (len && p[used + len - 1] == '\r')
			len--;
		if (irc_line(g, c, p + used, len) || c->state >= CL_DONE)
			return -1;
		used = (size_t)(nl - p) + 1;
	}
	return (long)used;
}

static int irc_send(struct gen *g, struct client *c, const char *text,
		    size_t n)
{
	return irc_printf(g, c, "PRIVMSG #hive-%03lld :%.*s\r\n",
			  (long long)gen_user(g, c)->hive_id, (int)n, text);
}

static int irc_ping(struct gen *g, struct client *c, uint64_t now)
{
	return irc_printf(g, c, "PING :%llu\r\n", (unsigned long long)now);
}

const struct kind kind_irc = {
	.name = "irc",
	.path = NULL,
	.subprotocol = NULL,
	.needs_login = false,
	.acks = false,
	.open = irc_open,
	.send = irc_send,
	.bytes = irc_bytes,
	.ping = irc_ping,
};
