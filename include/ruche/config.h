/*
 * config.h - the settings of `ruche serve`.
 *
 * Each setting has a default, an environment variable and a flag; a flag
 * beats the environment, which beats the default.  Parsing is pure (no
 * side effects but on the struct), so that it is tested without a server.
 */
#ifndef RUCHE_CONFIG_H
#define RUCHE_CONFIG_H

#include <stddef.h>
#include <stdbool.h>

#include "ruche/log.h"

#define CONFIG_MAX_ORIGINS 16
#define CONFIG_MAX_PROXIES 8

struct config {
	char listen_host[256];	/* address to bind, e.g. "127.0.0.1" */
	int listen_port;	/* 0 picks a free port */
	char db_path[1024];	/* SQLite file or postgres:// address */
	char bus_url[512];	/* redis://... of a cluster; "" = alone */
	char client_dir[1024];	/* folder served over HTTP */
	enum log_level log_level;
	/* Extra origins allowed to open the WebSocket, besides our own. */
	char allow_origins[CONFIG_MAX_ORIGINS][256];
	int nallow_origins;
	/* Reverse proxies whose X-Forwarded-For names the client. */
	char trusted_proxies[CONFIG_MAX_PROXIES][64];
	int ntrusted_proxies;
	size_t max_message_bytes; /* largest WebSocket message accepted */
	long long session_ttl_s;	/* sliding session lifetime */
	int hive_max_capacity;		/* most learners any hive may hold */
	int mentor_max_learners;	/* most learners one mentor leads */
	char public_url[512];		/* base of printed links; "" = listen */
	bool sync_normal;		/* --sync normal: faster, less durable */
	int event_retention_days;	/* how long sync can replay */
	bool fake_clock;	/* --fake-clock: a test clock (clock.advance) */
	/* Limits that protect the server (docs/limits.md); 0 turns off
	 * those whose flag says so. */
	int rate_per_conn;		/* requests a second per connection */
	int rate_burst;			/* requests a connection may bunch */
	int max_conns_per_ip;		/* open WebSockets per address */
	int login_fails_account;	/* failed logins per account... */
	int login_fails_address;	/* ...and per address... */
	int login_window_s;		/* ...in this many seconds */
	int idle_timeout_s;		/* silence (no pong) before a close */
	int handshake_timeout_s;	/* to finish the HTTP request/upgrade */
	int auth_timeout_s;		/* to authenticate a WebSocket */
	size_t max_outq_bytes;		/* bytes queued for one slow reader */
	int max_hives;			/* open hives on the instance */
	int max_channels_per_hive;	/* open channels of one hive */
	int max_members_per_hive;	/* learners and mentors of one hive */
	/* The bearer token GET /metrics asks for; "" = no /metrics (404).
	 * A secret: never logged. */
	char metrics_token[256];
	bool log_json;		/* --log-format json: one JSON object a line */
	/* PEM files for HTTPS and WSS; both "" = plain HTTP.  Never one
	 * without the other (config_from_args refuses it). */
	char tls_cert[1024];
	char tls_key[1024];
	bool show_help;		/* --help was given: print usage, do nothing */
};

/* Fills in the defaults. */
void config_defaults(struct config *cfg);

/*
 * Applies the RUCHE_* environment variables, read through getenv_fn (pass
 * getenv; tests pass their own).  On a bad value returns RUCHE_EINVAL and
 * writes a one-line reason into err.
 */
int config_from_env(struct config *cfg, char *(*getenv_fn)(const char *),
		    char *err, size_t errlen);

/*
 * Applies the flags in argv[0..argc-1] (the words after "serve").  Returns
 * 0, or RUCHE_EINVAL with a one-line reason in err for an unknown flag, a
 * missing value or a bad value, or a TLS certificate without its key (or
 * the reverse) once the environment and the flags are both applied.
 */
int config_from_args(struct config *cfg, int argc, char **argv, char *err,
		     size_t errlen);

/* Splits "host:port" or "[v6]:port".  0, or RUCHE_EINVAL. */
int config_parse_listen(const char *s, char *host, size_t hostlen, int *port);

/* The usage text of `ruche serve`. */
extern const char config_serve_usage[];

#endif
