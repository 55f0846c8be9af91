/* irc.c - reading IRC lines: see irc.h. */
#include <string.h>

#include "irc.h"

int irc_split(const char *p, size_t n, struct irc_line *l)
{
	const char *end = p + n, *s = p;

	memset(l, 0, sizeof(*l));
	if (s < end && *s == ':') {
		while (s < end && *s != ' ')
			s++;
		while (s < end && *s == ' ')
			s++;
	}
	l->cmd = s;
	while (s < end && *s != ' ')
		s++;
	l->cmd_len = (size_t)(s - l->cmd);
	if (!l->cmd_len)
		return -1;
	/* The trailing parameter starts at the first ':' that begins a
	 * parameter; a ':' inside one (a nick!user@host) does not count. */
	while (s < end) {
		while (s < end && *s == ' ')
			s++;
		if (s < end && *s == ':') {
			l->trailing = s + 1;
			l->trailing_len = (size_t)(end - s - 1);
			break;
		}
		while (s < end && *s != ' ')
			s++;
	}
	return 0;
}

int irc_numeric(const struct irc_line *l)
{
	return l->cmd_len == 3 && l->cmd[0] >= '0' && l->cmd[0] <= '9' &&
	       l->cmd[1] >= '0' && l->cmd[1] <= '9' && l->cmd[2] >= '0' &&
	       l->cmd[2] <= '9';
}
