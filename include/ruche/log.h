/*
 * log.h - Ruche's log lines, on standard error.
 *
 * One line per event: "2026-11-26T13:56:07.123Z info  text", or with
 * log_set_json(true) one JSON object per line for log collectors:
 * {"ts":"2026-11-26T13:56:07.123Z","level":"info","msg":"text"}.  The
 * level and the format are process-wide (set once by main() before any
 * thread starts), which is the one piece of global state Ruche keeps: a
 * log call must be possible from anywhere without threading a handle
 * through every function.
 *
 * Log lines never carry a secret (password, token, invite code, session
 * cookie) nor the text of a message: callers log ids and sizes.
 */
#ifndef RUCHE_LOG_H
#define RUCHE_LOG_H

#include <stdbool.h>
#include <stddef.h>

enum log_level { LOG_ERROR, LOG_WARN, LOG_INFO, LOG_DEBUG };

/* Parses "error", "warn", "info" or "debug".  0, or RUCHE_EINVAL. */
int log_level_parse(const char *s, enum log_level *out);

void log_set_level(enum log_level level);
enum log_level log_get_level(void);

/* Switches every later line to JSON (true) or text (false). */
void log_set_json(bool json);

/*
 * Escapes s as the inside of a JSON string into out (outlen bytes, always
 * NUL-terminated, cut at a whole character or escape).  Returns out.
 */
char *log_json_escape(const char *s, char *out, size_t outlen);

void log_msg(enum log_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#define log_error(...) log_msg(LOG_ERROR, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_WARN, __VA_ARGS__)
#define log_info(...) log_msg(LOG_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)

#endif
