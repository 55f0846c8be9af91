/*
 * main.c - ruche-load's command line: options, the users file, the
 * clients of a workload.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>

#include "load.h"
#include "run.h"
#include "sys.h"

#define EXIT_FAILED 1
#define EXIT_USAGE 2
#define EXIT_BOUND 3

static const char usage[] =
"Usage: ruche-load MODE --target 127.0.0.1:PORT --users FILE [options]\n"
"\n"
"The load generator of Ruche's benchmark (bench/README.md).  Every run is\n"
"bounded in time and talks to loopback only.\n"
"\n"
"Modes:\n"
"  login    log every user in (POST /api/login) and write FILE with tokens\n"
"  cohort   open-loop fan-out: every member posts to its hive's channel at\n"
"           a per-member rate, stepped up until a step fails\n"
"  idle     connections that log in, sync and stay silent: server memory\n"
"  writes   pipelined sends from --writers clients: acknowledgements/s\n"
"  history  msg.history pages, then msg.search queries, each at a fixed\n"
"           rate: latency of each (the users file: one line per channel\n"
"           a reader may open)\n"
"\n"
"Options:\n"
"  --kind ruche|node_ws|irc the server's protocol (default ruche)\n"
"  --target HOST:PORT       the server, a 127.0.0.0/8 address; repeated\n"
"                           for the nodes of a cluster (up to 8): client i\n"
"                           goes to the (i mod n)th\n"
"  --users FILE             lines: handle TAB hive TAB channel [TAB token]\n"
"  --hives N                use the users of the first N hives (default all)\n"
"  --out FILE               login: where to write the users with tokens\n"
"  --password TEXT          login: everyone's password\n"
"  --server-pid PID         read the server's CPU and memory in /proc\n"
"  --rates R,R,...          cohort: messages/s per member, per step\n"
"                           (default 0.5,1,2,4,8,16,32,64)\n"
"  --warm S                 unmeasured seconds before each window (2)\n"
"  --measure S              seconds of each measured window (5)\n"
"  --drain S                most seconds to wait for late messages (3)\n"
"  --keep-going             cohort: do not stop at the first failing step\n"
"  --refine N               cohort: after the first failing step, try N\n"
"                           rates between it and the last that passed (0)\n"
"  --retries N              cohort: run a failed step again, up to N times,\n"
"                           when other work took over --noise-max (2)\n"
"  --noise-max PCT          % of the machine that other processes may use\n"
"                           before a window counts as noisy (25)\n"
"  --p99-limit MS           cohort: a step passes at p99 <= MS (50)\n"
"  --delivery-min F         ... and with a share F delivered (0.99)\n"
"  --ramp N                 new connections per second (1000)\n"
"  --max-pending N          connections being set up at once (256)\n"
"  --conns N                idle: connections (default one per user;\n"
"                           users are reused round robin); history:\n"
"                           clients (8), going round the readers\n"
"  --settle S               idle: seconds to wait before measuring (2)\n"
"  --writers N              writes: clients (1)\n"
"  --window N               writes: sends in flight per client (64)\n"
"  --login-concurrency N    login: requests at once (4)\n"
"  --page-rate R            history: pages per second, all clients (200)\n"
"  --search-rate R          history: searches per second, all clients\n"
"                           (20; 0: no search phase)\n"
"  --max-id N               history: half the pages are before a message\n"
"                           drawn in [1, N]; 0: newest pages only\n"
"  --words FILE             history: search words, commonest first\n"
"  --text-bytes N           length of a chat text (100)\n"
"  --fragment-every N       send every Nth message in 3 fragments (0: never)\n"
"  --ping S                 ping every connection every S seconds (0: never)\n"
"  --max-seconds S          bound of the whole run (300)\n"
"  --label TEXT             copied into every result line\n"
"  --seed N                 random seed (default: from the clock)\n"
"\n"
"Results: one JSON object per line on standard output.  Exit status 0,\n"
"1 when the run failed, 2 for a usage error, 3 when the bound passed.\n";

static int parse_target(struct opts *o, const char *s)
{
	struct sockaddr_in *dst;
	char host[64];
	const char *colon = strrchr(s, ':');
	long port;
	char *end;

	if (!colon || (size_t)(colon - s) >= sizeof(host))
		return -1;
	memcpy(host, s, (size_t)(colon - s));
	host[colon - s] = '\0';
	port = strtol(colon + 1, &end, 10);
	if (*end || port < 1 || port > 65535)
		return -1;
	if (o->ntargets == LOAD_MAX_TARGETS)
		return -1;
	dst = &o->dst[o->ntargets];
	memset(dst, 0, sizeof(*dst));
	dst->sin_family = AF_INET;
	dst->sin_port = htons((uint16_t)port);
	if (inet_pton(AF_INET, host, &dst->sin_addr) != 1)
		return -1;
	/* Loopback only: this tool must never load another machine. */
	if ((ntohl(dst->sin_addr.s_addr) >> 24) != 127)
		return -1;
	snprintf(o->hostport[o->ntargets++], sizeof(o->hostport[0]),
		 "%s:%ld", host, port);
	return 0;
}

static int parse_rates(struct opts *o, const char *s)
{
	char *end;

	o->nrates = 0;
	while (*s) {
		double r = strtod(s, &end);

		if (end == s || r <= 0 || r > 1e6 ||
		    o->nrates == (int)(sizeof(o->rates) / sizeof(o->rates[0])))
			return -1;
		o->rates[o->nrates++] = r;
		s = end;
		if (*s == ',')
			s++;
		else if (*s)
			return -1;
	}
	return o->nrates ? 0 : -1;
}

/* Reads the users file; groups are hives in order of first appearance. */
static int load_users(struct gen *g, const char *path, int max_hives)
{
	FILE *f = fopen(path, "r");
	char line[512];
	size_t cap = 0;
	int64_t last_hive = 0;

	if (!f) {
		fprintf(stderr, "ruche-load: %s: %s\n", path, strerror(errno));
		return -1;
	}
	g->ngroups = 0;
	while (fgets(line, sizeof(line), f)) {
		struct user u = { 0 };
		long long hive, chan;
		char tok[64] = "";
		int n;

		if (line[0] == '#' || line[0] == '\n')
			continue;
		n = sscanf(line, "%39s %lld %lld %63s", u.handle, &hive, &chan,
			   tok);
		if (n < 3) {
			fprintf(stderr, "ruche-load: %s: bad line: %s", path,
				line);
			fclose(f);
			return -1;
		}
		if (!g->ngroups || hive != last_hive) {
			if (max_hives && g->ngroups == (uint32_t)max_hives)
				break;
			g->ngroups++;
			last_hive = hive;
		}
		u.hive_id = hive;
		u.channel_id = chan;
		u.group = g->ngroups - 1;
		snprintf(u.token, sizeof(u.token), "%s", tok);
		if (g->nusers == cap) {
			struct user *p;

			cap = cap ? cap * 2 : 1024;
			p = realloc(g->users, cap * sizeof(*p));
			if (!p) {
				fclose(f);
				return -1;
			}
			g->users = p;
		}
		g->users[g->nusers++] = u;
	}
	fclose(f);
	if (!g->nusers) {
		fprintf(stderr, "ruche-load: %s: no users\n", path);
		return -1;
	}
	return 0;
}

/* Users in an order that takes one from each hive before a second. */
static size_t spread_user(struct gen *g, size_t i)
{
	uint32_t grp = (uint32_t)(i % g->ngroups);
	size_t rank = i / g->ngroups, seen = 0;

	for (size_t u = 0; u < g->nusers; u++)
		if (g->users[u].group == grp && seen++ == rank)
			return u;
	return i % g->nusers;
}

static int make_clients(struct gen *g, size_t n, bool login, bool spread)
{
	bool *led = calloc(g->ngroups, sizeof(*led));

	g->cl = calloc(n, sizeof(*g->cl));
	g->heap = calloc(n, sizeof(*g->heap));
	g->retry = calloc(n, sizeof(*g->retry));
	g->group_size = calloc(g->ngroups, sizeof(*g->group_size));
	if (!led || !g->cl || !g->heap || !g->retry || !g->group_size) {
		free(led);
		return -1;
	}
	g->ncl = n;
	for (size_t i = 0; i < n; i++) {
		struct client *c = &g->cl[i];

		c->fd = -1;
		c->idx = (uint32_t)i;
		c->user = (uint32_t)(spread ? spread_user(g, i) :
					      i % g->nusers);
		c->group = g->users[c->user].group;
		c->login = login;
		c->leader = !led[c->group];
		led[c->group] = true;
		g->group_size[c->group]++;
		if (g->kind->acks && !login) {
			c->ring = malloc(CLIENT_RING * sizeof(*c->ring));
			if (!c->ring) {
				free(led);
				return -1;
			}
		}
	}
	free(led);
	return 0;
}

enum {
	O_KIND = 256, O_TARGET, O_USERS, O_HIVES, O_OUT, O_PASSWORD, O_PID,
	O_RATES, O_WARM, O_MEASURE, O_DRAIN, O_KEEP, O_REFINE, O_RETRIES,
	O_NOISE, O_P99, O_DELIVERY,
	O_RAMP, O_PENDING, O_CONNS, O_SETTLE, O_WRITERS, O_WINDOW, O_LOGINC,
	O_TEXT, O_FRAG, O_PING, O_MAXS, O_LABEL, O_SEED, O_HELP,
	O_PAGE_RATE, O_SEARCH_RATE, O_MAX_ID, O_WORDS,
};

static const struct option longopts[] = {
	{ "kind", required_argument, NULL, O_KIND },
	{ "target", required_argument, NULL, O_TARGET },
	{ "users", required_argument, NULL, O_USERS },
	{ "hives", required_argument, NULL, O_HIVES },
	{ "out", required_argument, NULL, O_OUT },
	{ "password", required_argument, NULL, O_PASSWORD },
	{ "server-pid", required_argument, NULL, O_PID },
	{ "rates", required_argument, NULL, O_RATES },
	{ "warm", required_argument, NULL, O_WARM },
	{ "measure", required_argument, NULL, O_MEASURE },
	{ "drain", required_argument, NULL, O_DRAIN },
	{ "keep-going", no_argument, NULL, O_KEEP },
	{ "refine", required_argument, NULL, O_REFINE },
	{ "retries", required_argument, NULL, O_RETRIES },
	{ "noise-max", required_argument, NULL, O_NOISE },
	{ "p99-limit", required_argument, NULL, O_P99 },
	{ "delivery-min", required_argument, NULL, O_DELIVERY },
	{ "ramp", required_argument, NULL, O_RAMP },
	{ "max-pending", required_argument, NULL, O_PENDING },
	{ "conns", required_argument, NULL, O_CONNS },
	{ "settle", required_argument, NULL, O_SETTLE },
	{ "writers", required_argument, NULL, O_WRITERS },
	{ "window", required_argument, NULL, O_WINDOW },
	{ "login-concurrency", required_argument, NULL, O_LOGINC },
	{ "text-bytes", required_argument, NULL, O_TEXT },
	{ "fragment-every", required_argument, NULL, O_FRAG },
	{ "ping", required_argument, NULL, O_PING },
	{ "max-seconds", required_argument, NULL, O_MAXS },
	{ "label", required_argument, NULL, O_LABEL },
	{ "seed", required_argument, NULL, O_SEED },
	{ "help", no_argument, NULL, O_HELP },
	{ "page-rate", required_argument, NULL, O_PAGE_RATE },
	{ "search-rate", required_argument, NULL, O_SEARCH_RATE },
	{ "max-id", required_argument, NULL, O_MAX_ID },
	{ "words", required_argument, NULL, O_WORDS },
	{ NULL, 0, NULL, 0 },
};

static void defaults(struct gen *g)
{
	struct opts *o = &g->o;

	o->kind = "ruche";
	parse_rates(o, "0.5,1,2,4,8,16,32,64");
	o->warm_s = 2;
	o->measure_s = 5;
	o->drain_s = 3;
	o->p99_limit_ms = 50;
	o->delivery_min = 0.99;
	o->retries = 2;
	o->noise_max = 25;
	o->ramp = 1000;
	o->max_pending = 256;
	o->settle_s = 2;
	o->writers = 1;
	o->window = 64;
	o->login_conc = 4;
	o->text_bytes = 100;
	o->max_s = 300;
	o->page_rate = 200;
	o->search_rate = 20;
	o->seed = sys_mono_ns() ^ ((uint64_t)getpid() << 32);
	g->password = "correct horse battery staple";
}

/* A number option in [min, max]; -1 when it is not one. */
static int num_opt(const char *s, double min, double max, double *v)
{
	char *end;

	errno = 0;
	*v = strtod(s, &end);
	return errno || end == s || *end || *v < min || *v > max ? -1 : 0;
}

static int parse_args(struct gen *g, int argc, char **argv)
{
	struct opts *o = &g->o;
	int ch;
	double v;

	while ((ch = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		int bad = 0;

		switch (ch) {
		case O_KIND:
			o->kind = optarg;
			break;
		case O_TARGET:
			bad = parse_target(o, optarg);
			break;
		case O_USERS:
			o->users_path = optarg;
			break;
		case O_HIVES:
			bad = num_opt(optarg, 0, 1e6, &v);
			o->hives = (int)v;
			break;
		case O_OUT:
			o->out_path = optarg;
			break;
		case O_PASSWORD:
			g->password = optarg;
			break;
		case O_PID:
			bad = num_opt(optarg, 1, 1e9, &v);
			o->server_pid = (pid_t)v;
			break;
		case O_RATES:
			bad = parse_rates(o, optarg);
			break;
		case O_WARM:
			bad = num_opt(optarg, 0, 3600, &o->warm_s);
			break;
		case O_MEASURE:
			bad = num_opt(optarg, 0.1, 3600, &o->measure_s);
			break;
		case O_DRAIN:
			bad = num_opt(optarg, 0, 3600, &o->drain_s);
			break;
		case O_KEEP:
			o->keep_going = true;
			break;
		case O_REFINE:
			bad = num_opt(optarg, 0, 16, &v);
			o->refine = (int)v;
			break;
		case O_RETRIES:
			bad = num_opt(optarg, 0, 100, &v);
			o->retries = (int)v;
			break;
		case O_NOISE:
			bad = num_opt(optarg, 0, 100, &o->noise_max);
			break;
		case O_P99:
			bad = num_opt(optarg, 0, 1e6, &o->p99_limit_ms);
			break;
		case O_DELIVERY:
			bad = num_opt(optarg, 0, 1, &o->delivery_min);
			break;
		case O_RAMP:
			bad = num_opt(optarg, 1, 1e6, &o->ramp);
			break;
		case O_PENDING:
			bad = num_opt(optarg, 1, 1e6, &v);
			o->max_pending = (int)v;
			break;
		case O_CONNS:
			bad = num_opt(optarg, 0, 1e7, &v);
			o->conns = (int)v;
			break;
		case O_SETTLE:
			bad = num_opt(optarg, 0, 3600, &o->settle_s);
			break;
		case O_WRITERS:
			bad = num_opt(optarg, 1, 1e6, &v);
			o->writers = (int)v;
			break;
		case O_WINDOW:
			bad = num_opt(optarg, 1, CLIENT_RING, &v);
			o->window = (int)v;
			break;
		case O_LOGINC:
			bad = num_opt(optarg, 1, 1e4, &v);
			o->login_conc = (int)v;
			break;
		case O_TEXT:
			bad = num_opt(optarg, 0, 4000, &v);
			o->text_bytes = (int)v;
			break;
		case O_FRAG:
			bad = num_opt(optarg, 0, 1e9, &v);
			o->fragment_every = (int)v;
			break;
		case O_PING:
			bad = num_opt(optarg, 0, 3600, &o->ping_s);
			break;
		case O_MAXS:
			bad = num_opt(optarg, 1, 86400, &o->max_s);
			break;
		case O_LABEL:
			o->label = optarg;
			break;
		case O_SEED:
			bad = num_opt(optarg, 0, 1e18, &v);
			o->seed = (uint64_t)v;
			break;
		case O_PAGE_RATE:
			bad = num_opt(optarg, 0, 1e6, &o->page_rate);
			break;
		case O_SEARCH_RATE:
			bad = num_opt(optarg, 0, 1e6, &o->search_rate);
			break;
		case O_MAX_ID:
			bad = num_opt(optarg, 0, 9007199254740992.0, &v);
			o->max_id = (int64_t)v;
			break;
		case O_WORDS:
			o->words_path = optarg;
			break;
		case 'h':
		case O_HELP:
			fputs(usage, stdout);
			exit(0);
		default:
			return -1;
		}
		if (bad) {
			fprintf(stderr, "ruche-load: bad value for %s: %s\n",
				argv[optind - 1], optarg);
			return -1;
		}
	}
	if (optind != argc - 1) {
		fprintf(stderr, "ruche-load: one MODE expected\n");
		return -1;
	}
	o->mode = argv[optind];
	if (!o->ntargets || !o->users_path) {
		fprintf(stderr, "ruche-load: --target (on loopback) and "
				"--users are required\n");
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	static struct gen gen;
	struct gen *g = &gen;
	const struct opts *o = &g->o;
	size_t n;
	int rc;

	defaults(g);
	if (parse_args(g, argc, argv)) {
		fputs(usage, stderr);
		return EXIT_USAGE;
	}
	if (strcmp(o->kind, "ruche") == 0)
		g->kind = &kind_ruche;
	else if (strcmp(o->kind, "node_ws") == 0)
		g->kind = &kind_node_ws;
	else if (strcmp(o->kind, "irc") == 0)
		g->kind = &kind_irc;
	else {
		fprintf(stderr, "ruche-load: unknown kind %s\n", o->kind);
		return EXIT_USAGE;
	}
	g->rng = o->seed | 1;
	sys_raise_nofile();
	if (load_users(g, o->users_path, o->hives))
		return EXIT_FAILED;
	g->live = true;
	if (strcmp(o->mode, "login") == 0) {
		if (!o->out_path || !g->kind->needs_login) {
			fprintf(stderr, "ruche-load: login needs --out and a "
					"kind with accounts\n");
			return EXIT_USAGE;
		}
		g->o.max_pending = o->login_conc;
		rc = make_clients(g, g->nusers, true, false);
	} else if (strcmp(o->mode, "cohort") == 0) {
		rc = make_clients(g, g->nusers, false, false);
	} else if (strcmp(o->mode, "idle") == 0) {
		n = o->conns ? (size_t)o->conns : g->nusers;
		rc = make_clients(g, n, false, false);
	} else if (strcmp(o->mode, "writes") == 0) {
		if (!g->kind->acks) {
			fprintf(stderr, "ruche-load: writes needs a kind that "
					"acknowledges\n");
			return EXIT_USAGE;
		}
		g->live = false;
		rc = make_clients(g, (size_t)o->writers, false, true);
	} else if (strcmp(o->mode, "history") == 0) {
		if (!g->kind->acks) {
			fprintf(stderr, "ruche-load: history needs a kind that "
					"answers (ruche)\n");
			return EXIT_USAGE;
		}
		/* Readers only read: no live events. */
		g->live = false;
		n = o->conns ? (size_t)o->conns : 8;
		rc = make_clients(g, n, false, false);
	} else {
		fprintf(stderr, "ruche-load: unknown mode %s\n", o->mode);
		return EXIT_USAGE;
	}
	if (rc || net_init(g)) {
		fprintf(stderr, "ruche-load: out of memory\n");
		return EXIT_FAILED;
	}
	g->start_ns = sys_mono_ns();
	g->deadline_ns = g->start_ns + (uint64_t)(o->max_s * 1e9);
	if (strcmp(o->mode, "login") == 0)
		rc = run_login(g);
	else if (strcmp(o->mode, "cohort") == 0)
		rc = run_cohort(g);
	else if (strcmp(o->mode, "idle") == 0)
		rc = run_idle(g);
	else if (strcmp(o->mode, "history") == 0)
		rc = run_history(g);
	else
		rc = run_writes(g);
	for (size_t i = 0; i < g->ncl; i++)
		net_close(g, &g->cl[i], true);
	if (rc) {
		fprintf(stderr, "ruche-load: %s\n",
			g->why[0] ? g->why : "failed");
		return sys_mono_ns() >= g->deadline_ns ? EXIT_BOUND :
							 EXIT_FAILED;
	}
	return 0;
}
