/* log.c - one line per event on standard error. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "ruche/err.h"
#include "ruche/log.h"

static enum log_level current = LOG_INFO;
static bool json_lines;

static const char *const names[] = { "error", "warn", "info", "debug" };

int log_level_parse(const char *s, enum log_level *out)
{
	for (unsigned i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (strcmp(s, names[i]) == 0) {
			*out = (enum log_level)i;
			return 0;
		}
	}
	return RUCHE_EINVAL;
}

void log_set_level(enum log_level level)
{
	current = level;
}

enum log_level log_get_level(void)
{
	return current;
}

void log_set_json(bool json)
{
	json_lines = json;
}

char *log_json_escape(const char *s, char *out, size_t outlen)
{
	static const char hex[] = "0123456789abcdef";
	size_t j = 0;

	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;
		char esc[7];
		size_t n;

		if (ch == '"' || ch == '\\') {
			esc[0] = '\\';
			esc[1] = (char)ch;
			n = 2;
		} else if (ch == '\n' || ch == '\t' || ch == '\r') {
			esc[0] = '\\';
			esc[1] = ch == '\n' ? 'n' : ch == '\t' ? 't' : 'r';
			n = 2;
		} else if (ch < 0x20 || ch == 0x7f) {
			memcpy(esc, "\\u00", 4);
			esc[4] = hex[ch >> 4];
			esc[5] = hex[ch & 15];
			n = 6;
		} else {
			esc[0] = (char)ch;
			n = 1;
		}
		if (j + n >= outlen)
			break;
		memcpy(out + j, esc, n);
		j += n;
	}
	/* A cut must not leave half a UTF-8 character behind. */
	if (*s) {
		size_t lead = j, want;

		while (lead > 0 && ((unsigned char)out[lead - 1] & 0xc0) == 0x80)
			lead--;
		if (lead > 0 && (unsigned char)out[lead - 1] >= 0xc0) {
			unsigned char c = (unsigned char)out[lead - 1];

			want = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : 2;
			if (j - (lead - 1) < want)
				j = lead - 1;
		}
	}
	out[j] = '\0';
	return out;
}

void log_msg(enum log_level level, const char *fmt, ...)
{
	char line[1024], stamp[32];
	struct timespec ts;
	struct tm tm;
	va_list ap;

	if (level > current)
		return;
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm);
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	/* One fprintf per line, so lines from threads never interleave. */
	if (json_lines) {
		char esc[2 * sizeof(line)];

		fprintf(stderr, "{\"ts\":\"%s.%03ldZ\",\"level\":\"%s\","
			"\"msg\":\"%s\"}\n", stamp, ts.tv_nsec / 1000000,
			names[level], log_json_escape(line, esc, sizeof(esc)));
		return;
	}
	fprintf(stderr, "%s.%03ldZ %-5s %s\n", stamp, ts.tv_nsec / 1000000,
		names[level], line);
}
