/* config.c - defaults, environment and flags of `ruche serve`. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ruche/config.h"
#include "ruche/err.h"

const char config_serve_usage[] =
"Usage: ruche serve [options]\n"
"\n"
"Runs the Ruche server: the browser client over HTTP and the chat protocol\n"
"over WebSocket at /ws.  Every option can also be set with the environment\n"
"variable shown; a flag wins over the environment.\n"
"\n"
"Options:\n"
"  --listen HOST:PORT        address to listen on (RUCHE_LISTEN)\n"
"                            default 127.0.0.1:8080; port 0 picks a free one\n"
"  --store WHERE             the database: an SQLite file, its folder is\n"
"                            created (default ./var/ruche.db), or PostgreSQL\n"
"                            at postgres://USER@HOST/DB, shared by every node\n"
"                            of a cluster (RUCHE_STORE; docs/operations.md)\n"
"  --db PATH                 the same setting (RUCHE_DB)\n"
"  --bus URL                 redis://HOST[:PORT]: the bus of a cluster of\n"
"                            nodes sharing one PostgreSQL --store (RUCHE_BUS)\n"
"                            default: none, a node alone\n"
"  --client-dir DIR          folder of the browser client (RUCHE_CLIENT_DIR)\n"
"                            default: the client bundled with this build\n"
"  --log-level LEVEL         error, warn, info or debug (RUCHE_LOG_LEVEL)\n"
"                            default info\n"
"  --allow-origin ORIGIN     another origin allowed to open the WebSocket,\n"
"                            e.g. https://chat.example.org; repeatable\n"
"                            (RUCHE_ALLOW_ORIGIN, comma-separated)\n"
"  --trusted-proxy ADDR      IP address of a reverse proxy in front of\n"
"                            Ruche: for its requests, the client is the last\n"
"                            address of X-Forwarded-For (per-address limits\n"
"                            and logs use it); repeatable, at most 8\n"
"                            (RUCHE_TRUSTED_PROXY, comma-separated)\n"
"  --max-message-bytes N     largest WebSocket message accepted, 1024 to\n"
"                            16777216 (RUCHE_MAX_MESSAGE_BYTES) default 65536\n"
"  --session-ttl DAYS        days a session lasts without use, 1 to 365\n"
"                            (RUCHE_SESSION_TTL) default 30\n"
"  --hive-max-capacity N     most learners an admin may give a hive\n"
"                            (RUCHE_HIVE_MAX_CAPACITY) default 30\n"
"  --mentor-max-learners N   most learners one mentor leads across their\n"
"                            hives (RUCHE_MENTOR_MAX_LEARNERS) default 30\n"
"  --public-url URL          address people use to reach this server, for\n"
"                            printed links (RUCHE_PUBLIC_URL) default: the\n"
"                            listen address\n"
"  --sync full|normal        full: each grouped commit reaches the disk\n"
"                            before anyone sees it, so nothing acknowledged\n"
"                            is lost even on a power cut (the default);\n"
"                            normal: faster, but a power cut may lose the\n"
"                            last commits (a crash of ruche alone loses\n"
"                            nothing) (RUCHE_SYNC)\n"
"  --event-retention-days N  how long a reconnecting client can catch up\n"
"                            event by event, 1 to 3650; past that it\n"
"                            reloads history (RUCHE_EVENT_RETENTION_DAYS)\n"
"                            default 30\n"
"  --tls-cert PEM            serve HTTPS and WSS with this certificate\n"
"                            (chain) file; needs --tls-key (RUCHE_TLS_CERT)\n"
"                            default: plain HTTP.  TLS 1.2 and 1.3 only,\n"
"                            forward-secret AEAD ciphers, HSTS and Secure\n"
"                            cookies; scripts/make-cert.sh makes a pair\n"
"                            for local use\n"
"  --tls-key PEM             the certificate's private key (RUCHE_TLS_KEY)\n"
"  --metrics-token TOKEN     serve GET /metrics (Prometheus text) to\n"
"                            requests with \"Authorization: Bearer TOKEN\",\n"
"                            16 to 255 visible characters; prefer the\n"
"                            variable, which other users cannot read\n"
"                            (RUCHE_METRICS_TOKEN) default: no /metrics\n"
"  --log-format text|json    text: one line per event; json: one JSON\n"
"                            object per line (ts, level, msg)\n"
"                            (RUCHE_LOG_FORMAT) default text\n"
"\n"
"Limits (docs/limits.md); a connection or a request past one gets a clear\n"
"error or close code:\n"
"  --rate-per-conn N         requests a second one WebSocket may make, 0 for\n"
"                            no limit (RUCHE_RATE_PER_CONN) default 20; past\n"
"                            it a request gets rate_limited, and ten times\n"
"                            over it for ten seconds closes with 1008\n"
"  --rate-burst N            requests a WebSocket may send at once before\n"
"                            the rate applies (RUCHE_RATE_BURST) default 40\n"
"  --max-conns-per-ip N      open WebSockets from one address, 0 for no\n"
"                            limit (RUCHE_MAX_CONNS_PER_IP) default 256;\n"
"                            past it a new one is closed with 1013\n"
"  --login-fails-per-account N  failed logins of one account per window\n"
"                            (RUCHE_LOGIN_FAILS_PER_ACCOUNT) default 5\n"
"  --login-fails-per-address N  failed logins from one address per window\n"
"                            (RUCHE_LOGIN_FAILS_PER_ADDRESS) default 30\n"
"  --login-window SECONDS    the window of those counts, 1 to 86400\n"
"                            (RUCHE_LOGIN_WINDOW) default 900\n"
"  --idle-timeout SECONDS    a WebSocket silent this long, not even\n"
"                            answering the ping sent half-way, is closed\n"
"                            with 4002; 0 for never (RUCHE_IDLE_TIMEOUT)\n"
"                            default 120\n"
"  --handshake-timeout SECONDS  time to send a whole HTTP request or\n"
"                            WebSocket upgrade, 1 to 300\n"
"                            (RUCHE_HANDSHAKE_TIMEOUT) default 10\n"
"  --auth-timeout SECONDS    time a WebSocket has to log in, else closed\n"
"                            with 4002; 0 for no limit (RUCHE_AUTH_TIMEOUT)\n"
"                            default 30\n"
"  --max-outq-bytes N        bytes waiting for one client that reads too\n"
"                            slowly, 4096 to 1073741824, before it is closed\n"
"                            with 4008 (RUCHE_MAX_OUTQ_BYTES) default 4194304\n"
"  --max-hives N             open hives on this server\n"
"                            (RUCHE_MAX_HIVES) default 1000\n"
"  --max-channels-per-hive N  open channels of one hive\n"
"                            (RUCHE_MAX_CHANNELS_PER_HIVE) default 50\n"
"  --max-members-per-hive N  learners and mentors of one hive\n"
"                            (RUCHE_MAX_MEMBERS_PER_HIVE) default 100\n"
"\n"
"  --fake-clock              for tests only: time stands still from the\n"
"                            start and moves only when an admin calls the\n"
"                            operation clock.advance, and storage.fault\n"
"                            makes the database act full or read-only\n"
"                            (RUCHE_FAKE_CLOCK=1)\n"
"  -h, --help                show this help\n"
"\n"
"SIGINT or SIGTERM stops the server cleanly: open connections are closed\n"
"with code 1001 and the database is closed.\n";

void config_defaults(struct config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	snprintf(cfg->listen_host, sizeof(cfg->listen_host), "127.0.0.1");
	cfg->listen_port = 8080;
	snprintf(cfg->db_path, sizeof(cfg->db_path), "./var/ruche.db");
	snprintf(cfg->client_dir, sizeof(cfg->client_dir), "%s",
		 RUCHE_CLIENT_DIR);
	cfg->log_level = LOG_INFO;
	cfg->max_message_bytes = 65536;
	cfg->session_ttl_s = 30LL * 86400;
	cfg->hive_max_capacity = 30;
	cfg->mentor_max_learners = 30;
	cfg->event_retention_days = 30;
	cfg->rate_per_conn = 20;
	cfg->rate_burst = 40;
	cfg->max_conns_per_ip = 256;
	cfg->login_fails_account = 5;
	cfg->login_fails_address = 30;
	cfg->login_window_s = 900;
	cfg->idle_timeout_s = 120;
	cfg->handshake_timeout_s = 10;
	cfg->auth_timeout_s = 30;
	cfg->max_outq_bytes = 4u << 20;
	cfg->max_hives = 1000;
	cfg->max_channels_per_hive = 50;
	cfg->max_members_per_hive = 100;
}

int config_parse_listen(const char *s, char *host, size_t hostlen, int *port)
{
	const char *colon, *h = s;
	size_t hlen;
	char *end;
	long p;

	if (s[0] == '[') {
		const char *close = strchr(s, ']');

		if (!close || close[1] != ':')
			return RUCHE_EINVAL;
		h = s + 1;
		hlen = (size_t)(close - h);
		colon = close + 1;
	} else {
		colon = strrchr(s, ':');
		if (!colon)
			return RUCHE_EINVAL;
		hlen = (size_t)(colon - s);
		if (memchr(s, ':', hlen))	/* a bare IPv6 address */
			return RUCHE_EINVAL;
	}
	if (hlen == 0 || hlen >= hostlen)
		return RUCHE_EINVAL;
	errno = 0;
	p = strtol(colon + 1, &end, 10);
	if (errno || end == colon + 1 || *end || p < 0 || p > 65535)
		return RUCHE_EINVAL;
	memcpy(host, h, hlen);
	host[hlen] = '\0';
	*port = (int)p;
	return 0;
}

static int set_path(char *dst, size_t dstlen, const char *value)
{
	if (!*value || strlen(value) >= dstlen)
		return RUCHE_EINVAL;
	snprintf(dst, dstlen, "%s", value);
	return 0;
}

static int add_origins(struct config *cfg, const char *value)
{
	char buf[4096], *save = NULL;

	if (strlen(value) >= sizeof(buf))
		return RUCHE_EINVAL;
	snprintf(buf, sizeof(buf), "%s", value);
	for (char *tok = strtok_r(buf, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		while (*tok == ' ')
			tok++;
		if (!*tok)
			continue;
		if (cfg->nallow_origins == CONFIG_MAX_ORIGINS ||
		    strlen(tok) >= sizeof(cfg->allow_origins[0]) ||
		    (strncmp(tok, "http://", 7) && strncmp(tok, "https://", 8)))
			return RUCHE_EINVAL;
		snprintf(cfg->allow_origins[cfg->nallow_origins++],
			 sizeof(cfg->allow_origins[0]), "%s", tok);
	}
	return 0;
}

/* A textual IPv4 or IPv6 address, as lws_get_peer_simple() gives it. */
static bool is_address(const char *s)
{
	unsigned char buf[sizeof(struct in6_addr)];

	return inet_pton(AF_INET, s, buf) == 1 ||
	       inet_pton(AF_INET6, s, buf) == 1;
}

static int add_proxies(struct config *cfg, const char *value)
{
	char buf[1024], *save = NULL;

	if (strlen(value) >= sizeof(buf))
		return RUCHE_EINVAL;
	snprintf(buf, sizeof(buf), "%s", value);
	for (char *tok = strtok_r(buf, ", ", &save); tok;
	     tok = strtok_r(NULL, ", ", &save)) {
		if (cfg->ntrusted_proxies == CONFIG_MAX_PROXIES ||
		    strlen(tok) >= sizeof(cfg->trusted_proxies[0]) ||
		    !is_address(tok))
			return RUCHE_EINVAL;
		snprintf(cfg->trusted_proxies[cfg->ntrusted_proxies++],
			 sizeof(cfg->trusted_proxies[0]), "%s", tok);
	}
	return 0;
}

static int set_size(size_t *dst, const char *value, long long min,
		    long long max)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(value, &end, 10);
	if (errno || end == value || *end || v < min || v > max)
		return RUCHE_EINVAL;
	*dst = (size_t)v;
	return 0;
}

static int set_int(int *dst, const char *value, long long min, long long max)
{
	size_t v;
	int rc = set_size(&v, value, min, max);

	if (!rc)
		*dst = (int)v;
	return rc;
}

/*
 * A secret that goes into an HTTP header: visible ASCII only, and long
 * enough that guessing it is no way in.
 */
static int set_token(char *dst, size_t dstlen, const char *value)
{
	size_t n = strlen(value);

	if (n < 16 || n >= dstlen)
		return RUCHE_EINVAL;
	for (size_t i = 0; i < n; i++)
		if (value[i] <= ' ' || value[i] > '~')
			return RUCHE_EINVAL;
	snprintf(dst, dstlen, "%s", value);
	return 0;
}

/* Flag names and their environment variables. */
static const struct {
	const char *flag;
	const char *env;
} settings[] = {
	{ "listen", "RUCHE_LISTEN" },
	{ "db", "RUCHE_DB" },
	{ "store", "RUCHE_STORE" },
	{ "bus", "RUCHE_BUS" },
	{ "client-dir", "RUCHE_CLIENT_DIR" },
	{ "log-level", "RUCHE_LOG_LEVEL" },
	{ "allow-origin", "RUCHE_ALLOW_ORIGIN" },
	{ "trusted-proxy", "RUCHE_TRUSTED_PROXY" },
	{ "max-message-bytes", "RUCHE_MAX_MESSAGE_BYTES" },
	{ "session-ttl", "RUCHE_SESSION_TTL" },
	{ "hive-max-capacity", "RUCHE_HIVE_MAX_CAPACITY" },
	{ "mentor-max-learners", "RUCHE_MENTOR_MAX_LEARNERS" },
	{ "public-url", "RUCHE_PUBLIC_URL" },
	{ "sync", "RUCHE_SYNC" },
	{ "event-retention-days", "RUCHE_EVENT_RETENTION_DAYS" },
	{ "rate-per-conn", "RUCHE_RATE_PER_CONN" },
	{ "rate-burst", "RUCHE_RATE_BURST" },
	{ "max-conns-per-ip", "RUCHE_MAX_CONNS_PER_IP" },
	{ "login-fails-per-account", "RUCHE_LOGIN_FAILS_PER_ACCOUNT" },
	{ "login-fails-per-address", "RUCHE_LOGIN_FAILS_PER_ADDRESS" },
	{ "login-window", "RUCHE_LOGIN_WINDOW" },
	{ "idle-timeout", "RUCHE_IDLE_TIMEOUT" },
	{ "handshake-timeout", "RUCHE_HANDSHAKE_TIMEOUT" },
	{ "auth-timeout", "RUCHE_AUTH_TIMEOUT" },
	{ "max-outq-bytes", "RUCHE_MAX_OUTQ_BYTES" },
	{ "max-hives", "RUCHE_MAX_HIVES" },
	{ "max-channels-per-hive", "RUCHE_MAX_CHANNELS_PER_HIVE" },
	{ "max-members-per-hive", "RUCHE_MAX_MEMBERS_PER_HIVE" },
	{ "metrics-token", "RUCHE_METRICS_TOKEN" },
	{ "log-format", "RUCHE_LOG_FORMAT" },
	{ "tls-cert", "RUCHE_TLS_CERT" },
	{ "tls-key", "RUCHE_TLS_KEY" },
};

#define NSETTINGS (sizeof(settings) / sizeof(settings[0]))

static bool known(const char *name)
{
	for (unsigned i = 0; i < NSETTINGS; i++)
		if (strcmp(settings[i].flag, name) == 0)
			return true;
	return false;
}

/* The integer limits: flag name, field, bounds. */
#define LIMIT(flag, field, min, max) \
	{ flag, offsetof(struct config, field), min, max }
static const struct {
	const char *flag;
	size_t offset;		/* of an int in struct config */
	int min, max;
} int_limits[] = {
	LIMIT("rate-per-conn", rate_per_conn, 0, 100000),
	LIMIT("rate-burst", rate_burst, 1, 1000000),
	LIMIT("max-conns-per-ip", max_conns_per_ip, 0, 1000000),
	LIMIT("login-fails-per-account", login_fails_account, 1, 1000),
	LIMIT("login-fails-per-address", login_fails_address, 1, 1000000),
	LIMIT("login-window", login_window_s, 1, 86400),
	LIMIT("idle-timeout", idle_timeout_s, 0, 86400),
	LIMIT("handshake-timeout", handshake_timeout_s, 1, 300),
	LIMIT("auth-timeout", auth_timeout_s, 0, 3600),
	LIMIT("max-hives", max_hives, 1, 1000000),
	LIMIT("max-channels-per-hive", max_channels_per_hive, 1, 10000),
	LIMIT("max-members-per-hive", max_members_per_hive, 1, 100000),
};
#undef LIMIT

/*
 * Applies name if it is one of the limits: true then, with the result in
 * *rc.  The limits are many and alike, hence a table rather than a test
 * each in apply().
 */
static bool apply_limit(struct config *cfg, const char *name,
			const char *value, int *rc)
{
	if (strcmp(name, "max-outq-bytes") == 0) {
		*rc = set_size(&cfg->max_outq_bytes, value, 4096, 1 << 30);
		return true;
	}
	for (size_t i = 0; i < sizeof(int_limits) / sizeof(int_limits[0]);
	     i++) {
		if (strcmp(name, int_limits[i].flag))
			continue;
		*rc = set_int((int *)((char *)cfg + int_limits[i].offset),
			      value, int_limits[i].min, int_limits[i].max);
		return true;
	}
	return false;
}

/* Applies one setting by its flag name (without the dashes). */
static int apply(struct config *cfg, const char *name, const char *value)
{
	int limit_rc;

	if (strcmp(name, "listen") == 0)
		return config_parse_listen(value, cfg->listen_host,
					   sizeof(cfg->listen_host),
					   &cfg->listen_port);
	if (strcmp(name, "db") == 0 || strcmp(name, "store") == 0)
		return set_path(cfg->db_path, sizeof(cfg->db_path), value);
	if (strcmp(name, "bus") == 0)
		return strncmp(value, "redis://", 8) ? RUCHE_EINVAL :
		       set_path(cfg->bus_url, sizeof(cfg->bus_url), value);
	if (strcmp(name, "client-dir") == 0)
		return set_path(cfg->client_dir, sizeof(cfg->client_dir), value);
	if (strcmp(name, "log-level") == 0)
		return log_level_parse(value, &cfg->log_level);
	if (strcmp(name, "allow-origin") == 0)
		return add_origins(cfg, value);
	if (strcmp(name, "trusted-proxy") == 0)
		return add_proxies(cfg, value);
	if (strcmp(name, "max-message-bytes") == 0)
		return set_size(&cfg->max_message_bytes, value, 1024, 16 << 20);
	if (strcmp(name, "session-ttl") == 0) {
		size_t days;
		int rc = set_size(&days, value, 1, 365);

		if (!rc)
			cfg->session_ttl_s = (long long)days * 86400;
		return rc;
	}
	if (strcmp(name, "sync") == 0) {
		if (strcmp(value, "full") && strcmp(value, "normal"))
			return RUCHE_EINVAL;
		cfg->sync_normal = strcmp(value, "normal") == 0;
		return 0;
	}
	if (strcmp(name, "tls-cert") == 0)
		return set_path(cfg->tls_cert, sizeof(cfg->tls_cert), value);
	if (strcmp(name, "tls-key") == 0)
		return set_path(cfg->tls_key, sizeof(cfg->tls_key), value);
	if (strcmp(name, "event-retention-days") == 0)
		return set_int(&cfg->event_retention_days, value, 1, 3650);
	if (strcmp(name, "metrics-token") == 0)
		return set_token(cfg->metrics_token, sizeof(cfg->metrics_token),
				 value);
	if (strcmp(name, "log-format") == 0) {
		if (strcmp(value, "text") && strcmp(value, "json"))
			return RUCHE_EINVAL;
		cfg->log_json = strcmp(value, "json") == 0;
		return 0;
	}
	if (apply_limit(cfg, name, value, &limit_rc))
		return limit_rc;
	if (strcmp(name, "hive-max-capacity") == 0)
		return set_int(&cfg->hive_max_capacity, value, 1, 1000);
	if (strcmp(name, "mentor-max-learners") == 0)
		return set_int(&cfg->mentor_max_learners, value, 1, 10000);
	if (strncmp(value, "http://", 7) && strncmp(value, "https://", 8))
		return RUCHE_EINVAL;
	return set_path(cfg->public_url, sizeof(cfg->public_url), value);
}

int config_from_env(struct config *cfg, char *(*getenv_fn)(const char *),
		    char *err, size_t errlen)
{
	const char *fake = getenv_fn("RUCHE_FAKE_CLOCK");

	/* A switch, not a setting with a value: 1 or 0. */
	if (fake && strcmp(fake, "1") && strcmp(fake, "0") && fake[0]) {
		snprintf(err, errlen, "bad value for RUCHE_FAKE_CLOCK");
		return RUCHE_EINVAL;
	}
	if (fake)
		cfg->fake_clock = strcmp(fake, "1") == 0;
	for (unsigned i = 0; i < NSETTINGS; i++) {
		const char *v = getenv_fn(settings[i].env);

		if (!v)
			continue;
		if (apply(cfg, settings[i].flag, v)) {
			snprintf(err, errlen, "bad value for %s", settings[i].env);
			return RUCHE_EINVAL;
		}
	}
	return 0;
}

int config_from_args(struct config *cfg, int argc, char **argv, char *err,
		     size_t errlen)
{
	for (int i = 0; i < argc; i++) {
		const char *arg = argv[i], *value, *eq;
		char name[64];
		size_t nlen;

		if (strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0) {
			cfg->show_help = true;
			continue;
		}
		if (strcmp(arg, "--fake-clock") == 0) {
			cfg->fake_clock = true;
			continue;
		}
		if (strncmp(arg, "--", 2) != 0) {
			snprintf(err, errlen, "unexpected argument '%.64s'", arg);
			return RUCHE_EINVAL;
		}
		eq = strchr(arg, '=');
		nlen = eq ? (size_t)(eq - arg - 2) : strlen(arg + 2);
		if (nlen >= sizeof(name)) {
			snprintf(err, errlen, "unknown option '%.64s'", arg);
			return RUCHE_EINVAL;
		}
		memcpy(name, arg + 2, nlen);
		name[nlen] = '\0';
		if (!known(name)) {
			snprintf(err, errlen, "unknown option '--%s'", name);
			return RUCHE_EINVAL;
		}
		if (eq) {
			value = eq + 1;
		} else if (i + 1 < argc) {
			value = argv[++i];
		} else {
			snprintf(err, errlen, "option '--%s' needs a value",
				 name);
			return RUCHE_EINVAL;
		}
		if (apply(cfg, name, value)) {
			/* A secret, even a wrong one, is not echoed; nor is
			 * a database address, which may hold a password. */
			if (strcmp(name, "metrics-token") == 0 ||
			    strstr(value, "://"))
				value = "(hidden)";
			snprintf(err, errlen, "bad value '%.64s' for --%s",
				 value, name);
			return RUCHE_EINVAL;
		}
	}
	/* A cluster's nodes share their database: SQLite is one node's. */
	if (cfg->bus_url[0] && strncmp(cfg->db_path, "postgres", 8)) {
		snprintf(err, errlen, "--bus needs a PostgreSQL --store "
			 "(postgres://...): SQLite serves one node");
		return RUCHE_EINVAL;
	}
	/* Half a TLS setup would quietly serve plain HTTP: refuse it. */
	if (!cfg->tls_cert[0] != !cfg->tls_key[0]) {
		snprintf(err, errlen, "--tls-cert and --tls-key go together "
			 "(RUCHE_TLS_CERT, RUCHE_TLS_KEY)");
		return RUCHE_EINVAL;
	}
	return 0;
}
