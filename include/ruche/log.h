/*
 * log.h - Ruche's log lines, on standard error.
 *
 * One line per event: "2026-11-26T13:56:07.123Z info  text".  The level is
 * process-wide (set once by main() before any thread starts), which is the
 * one piece of global state Ruche keeps: a log call must be possible from
 * anywhere without threading a handle through every function.
 *
 * Log lines never carry a secret (password, token, invite code, session
 * cookie) nor the text of a message: callers log ids and sizes.
 */
#ifndef RUCHE_LOG_H
#define RUCHE_LOG_H

enum log_level { LOG_ERROR, LOG_WARN, LOG_INFO, LOG_DEBUG };

/* Parses "error", "warn", "info" or "debug".  0, or RUCHE_EINVAL. */
int log_level_parse(const char *s, enum log_level *out);

void log_set_level(enum log_level level);
enum log_level log_get_level(void);

void log_msg(enum log_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#define log_error(...) log_msg(LOG_ERROR, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_WARN, __VA_ARGS__)
#define log_info(...) log_msg(LOG_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)

#endif
