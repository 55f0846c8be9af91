/* config.c - defaults, environment and flags of `ruche serve`. */
#include <errno.h>
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
"  --db PATH                 SQLite database file, its folder is created\n"
"                            (RUCHE_DB) default ./var/ruche.db\n"
"  --client-dir DIR          folder of the browser client (RUCHE_CLIENT_DIR)\n"
"                            default: the client bundled with this build\n"
"  --log-level LEVEL         error, warn, info or debug (RUCHE_LOG_LEVEL)\n"
"                            default info\n"
"  --allow-origin ORIGIN     another origin allowed to open the WebSocket,\n"
"                            e.g. https://chat.example.org; repeatable\n"
"                            (RUCHE_ALLOW_ORIGIN, comma-separated)\n"
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
"  --fake-clock              for tests only: time stands still from the\n"
"                            start and moves only when an admin calls the\n"
"                            operation clock.advance (RUCHE_FAKE_CLOCK=1)\n"
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

/* Flag names and their environment variables. */
static const struct {
	const char *flag;
	const char *env;
} settings[] = {
	{ "listen", "RUCHE_LISTEN" },
	{ "db", "RUCHE_DB" },
	{ "client-dir", "RUCHE_CLIENT_DIR" },
	{ "log-level", "RUCHE_LOG_LEVEL" },
	{ "allow-origin", "RUCHE_ALLOW_ORIGIN" },
	{ "max-message-bytes", "RUCHE_MAX_MESSAGE_BYTES" },
	{ "session-ttl", "RUCHE_SESSION_TTL" },
	{ "hive-max-capacity", "RUCHE_HIVE_MAX_CAPACITY" },
	{ "mentor-max-learners", "RUCHE_MENTOR_MAX_LEARNERS" },
	{ "public-url", "RUCHE_PUBLIC_URL" },
	{ "sync", "RUCHE_SYNC" },
	{ "event-retention-days", "RUCHE_EVENT_RETENTION_DAYS" },
};

#define NSETTINGS (sizeof(settings) / sizeof(settings[0]))

static bool known(const char *name)
{
	for (unsigned i = 0; i < NSETTINGS; i++)
		if (strcmp(settings[i].flag, name) == 0)
			return true;
	return false;
}

/* Applies one setting by its flag name (without the dashes). */
static int apply(struct config *cfg, const char *name, const char *value)
{
	if (strcmp(name, "listen") == 0)
		return config_parse_listen(value, cfg->listen_host,
					   sizeof(cfg->listen_host),
					   &cfg->listen_port);
	if (strcmp(name, "db") == 0)
		return set_path(cfg->db_path, sizeof(cfg->db_path), value);
	if (strcmp(name, "client-dir") == 0)
		return set_path(cfg->client_dir, sizeof(cfg->client_dir), value);
	if (strcmp(name, "log-level") == 0)
		return log_level_parse(value, &cfg->log_level);
	if (strcmp(name, "allow-origin") == 0)
		return add_origins(cfg, value);
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
	if (strcmp(name, "event-retention-days") == 0)
		return set_int(&cfg->event_retention_days, value, 1, 3650);
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
			snprintf(err, errlen, "bad value '%.64s' for --%s",
				 value, name);
			return RUCHE_EINVAL;
		}
	}
	return 0;
}
