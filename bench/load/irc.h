/*
 * irc.h - reading IRC lines (RFC 1459 section 2.3.1), for the generator's
 * IRC kind (kind_irc.c), kept apart so that the self-test can check it.
 *
 * A line is [":" prefix " "] command [" " params] [" :" trailing], without
 * its CR LF.  Nothing is copied: the fields point into the line.
 */
#ifndef LOAD_IRC_H
#define LOAD_IRC_H

#include <stddef.h>

struct irc_line {
	const char *cmd;	/* "PRIVMSG", "001", "PING"... */
	size_t cmd_len;
	const char *trailing;	/* after " :" (or the first param's ":");
				   NULL when the line has none */
	size_t trailing_len;
};

/* Splits p[0..n).  0, or -1 when the line has no command. */
int irc_split(const char *p, size_t n, struct irc_line *l);

/* Whether the command is a three-digit numeric reply. */
int irc_numeric(const struct irc_line *l);

#endif
