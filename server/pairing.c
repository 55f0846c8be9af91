/* pairing.c - regular peer pairing of a hive's learners.  See pairing.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ruche/chat.h"
#include "ruche/conn.h"
#include "ruche/err.h"
#include "ruche/frame.h"
#include "ruche/hives.h"
#include "ruche/log.h"
#include "ruche/moderation.h"
#include "ruche/pairing.h"
#include "ruche/proto.h"
#include "ruche/server.h"
#include "ruche/utf8.h"

/* Hives whose round is due, handled per housekeeping pass. */
#define DUE_BATCH 20
/* A meeting in the window costs this, plus how recent it was: fewer
 * repeats always win, then older ones. */
#define REPEAT_COST 1000
/* Candidates the search may look at past its first (greedy) answer:
 * enough to be exact for a hive of a dozen or two learners, and bounded
 * for a very large one. */
#define SEARCH_BUDGET 4000000L
#define HISTORY_DEFAULT 20
#define SCHEDULE_AHEAD_MAX_MS (366LL * PAIRING_DAY_MS)

const char pairing_default_prompt[] =
	"Hello! This week's peer pairing puts you together. Take twenty "
	"minutes in the next few days to talk, here or on a call.\n"
	"To start: what are you working on right now, and what turned out "
	"harder than you expected?\n"
	"Then each share one resource, habit or trick that helped you "
	"lately.\n"
	"Before you part, each say one small step you will take before "
	"next week, and ask each other about it next time.";

static int64_t now_ms(struct server *srv)
{
	return clock_wall_ms(srv->clock);
}

static void say(char *why, const char *text)
{
	if (why)
		snprintf(why, PAIRING_WHY_MAX, "%s", text);
}

/* ---- The algorithm ------------------------------------------------------- */

/* splitmix64: a small, well-mixed generator from a seed, so that equal
 * choices differ from round to round yet are the same in a test. */
static uint64_t next_rand(uint64_t *x)
{
	uint64_t z = (*x += 0x9E3779B97F4A7C15ull);

	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
	return z ^ (z >> 31);
}

struct search {
	size_t n;
	const long *cost;	/* n * n: what putting i with j costs */
	const size_t *order;	/* the shuffled order people are taken in */
	bool *used;
	int *cur, *best;	/* the group of each person */
	size_t *cand;		/* a row of n candidates per depth */
	long best_cost;		/* -1: no answer yet */
	long budget;
	bool odd;
};

static void solve(struct search *s, size_t depth, size_t left, int group,
		  bool trio_done, long cost);

/* Tries u with each candidate, then with each two of them. */
static void branch(struct search *s, size_t depth, size_t left, int group,
		   bool trio_done, long cost, size_t u, const size_t *c,
		   size_t nc)
{
	bool need_trio = s->odd && !trio_done;
	const long *cu = s->cost + u * s->n;

	/* A pair, unless the trio still to make would lack people. */
	if (!need_trio || left >= 5)
		for (size_t i = 0; i < nc; i++) {
			s->used[c[i]] = true;
			s->cur[c[i]] = group;
			solve(s, depth + 1, left - 2, group + 1, trio_done,
			      cost + cu[c[i]]);
			s->used[c[i]] = false;
		}
	if (!need_trio || left < 3)
		return;
	for (size_t i = 0; i < nc; i++)
		for (size_t j = i + 1; j < nc; j++) {
			size_t v = c[i], w = c[j];
			long t = cost + cu[v] + cu[w] + s->cost[v * s->n + w];

			s->budget--;
			if (s->best_cost >= 0 &&
			    (t >= s->best_cost || s->budget <= 0))
				continue;
			s->used[v] = s->used[w] = true;
			s->cur[v] = s->cur[w] = group;
			solve(s, depth + 1, left - 3, group + 1, true, t);
			s->used[v] = s->used[w] = false;
		}
}

/*
 * Branch and bound: the first person not yet placed (in the shuffled
 * order) goes with someone, or two people; a branch that cannot beat the
 * best answer is cut.  Costs are never negative, so an answer of 0 ends
 * the search.
 */
static void solve(struct search *s, size_t depth, size_t left, int group,
		  bool trio_done, long cost)
{
	size_t u = s->n, nc = 0, *c = s->cand + depth * s->n;

	if (s->best_cost >= 0 && (cost >= s->best_cost || s->budget <= 0))
		return;
	if (!left) {
		s->best_cost = cost;
		memcpy(s->best, s->cur, s->n * sizeof(*s->cur));
		return;
	}
	for (size_t k = 0; k < s->n && u == s->n; k++)
		if (!s->used[s->order[k]])
			u = s->order[k];
	s->used[u] = true;
	s->cur[u] = group;
	/* The others, cheapest partner first (stable in the shuffled
	 * order), so that the first answer is the greedy one. */
	for (size_t k = 0; k < s->n; k++) {
		size_t v = s->order[k], j = nc;

		if (s->used[v])
			continue;
		while (j > 0 && s->cost[u * s->n + c[j - 1]] >
				s->cost[u * s->n + v]) {
			c[j] = c[j - 1];
			j--;
		}
		c[j] = v;
		nc++;
	}
	s->budget -= (long)nc;
	branch(s, depth, left, group, trio_done, cost, u, c, nc);
	s->used[u] = false;
}

struct id_index {
	int64_t id;
	size_t i;
};

static int by_id(const void *a, const void *b)
{
	const struct id_index *x = a, *y = b;

	return (x->id > y->id) - (x->id < y->id);
}

static long index_of(const struct id_index *v, size_t n, int64_t id)
{
	struct id_index key = { .id = id };
	const struct id_index *hit = bsearch(&key, v, n, sizeof(*v), by_id);

	return hit ? (long)hit->i : -1;
}

int pairing_make(const int64_t *ids, size_t n,
		 const struct store_pairing_meet *recent, size_t nrecent,
		 uint64_t seed, int *group_of)
{
	struct search s = { .n = n, .best_cost = -1,
			    .budget = SEARCH_BUDGET, .odd = n % 2 == 1 };
	long *cost = NULL;
	size_t *order = NULL;
	struct id_index *index = NULL;
	int rc = RUCHE_ENOMEM;

	if (n < 2)
		return 0;
	cost = calloc(n * n, sizeof(*cost));
	order = calloc(n, sizeof(*order));
	index = calloc(n, sizeof(*index));
	s.used = calloc(n, sizeof(*s.used));
	s.cur = calloc(n, sizeof(*s.cur));
	s.best = calloc(n, sizeof(*s.best));
	s.cand = calloc((n / 2 + 1) * n, sizeof(*s.cand));
	if (!cost || !order || !index || !s.used || !s.cur || !s.best ||
	    !s.cand)
		goto out;
	for (size_t i = 0; i < n; i++)
		index[i] = (struct id_index){ .id = ids[i], .i = i };
	qsort(index, n, sizeof(*index), by_id);
	for (size_t k = 0; k < nrecent; k++) {
		long a = index_of(index, n, recent[k].a);
		long b = index_of(index, n, recent[k].b);
		int age = recent[k].age < 0 ? 0 : recent[k].age;
		long w = REPEAT_COST + (age < PAIRING_RECENT_ROUNDS ?
					PAIRING_RECENT_ROUNDS - age : 0);

		if (a < 0 || b < 0 || a == b)
			continue;
		cost[a * (long)n + b] += w;
		cost[b * (long)n + a] += w;
	}
	/* Fisher-Yates from the seed: who is taken first, and so who is
	 * with whom among equal choices, changes with the seed. */
	seed ^= 0x5851F42D4C957F2Dull;
	for (size_t i = 0; i < n; i++)
		order[i] = i;
	for (size_t i = n - 1; i > 0; i--) {
		size_t j = (size_t)(next_rand(&seed) % (i + 1)), t = order[i];

		order[i] = order[j];
		order[j] = t;
	}
	s.cost = cost;
	s.order = order;
	solve(&s, 0, n, 0, false, 0);
	memcpy(group_of, s.best, n * sizeof(*group_of));
	rc = (int)(n / 2);
out:
	free(cost);
	free(order);
	free(index);
	free(s.used);
	free(s.cur);
	free(s.best);
	free(s.cand);
	return rc;
}

/* ---- Settings ------------------------------------------------------------ */

/* Mentors of the hive and admins; a learner is refused, another is told
 * the hive does not exist. */
static int may_manage(struct server *srv, struct actor who, int64_t hive_id,
		      struct store_hive *h)
{
	enum role role;
	int rc = store_hive_get(srv->store, hive_id, h);

	if (rc)
		return rc;
	role = hives_role(srv, hive_id, who.user_id);
	if (who.admin || role == ROLE_MENTOR)
		return 0;
	return role == ROLE_NONE ? RUCHE_ENOTFOUND : RUCHE_EFORBIDDEN;
}

/* The hive's settings, or those of a hive that never had any. */
static int load(struct server *srv, int64_t hive_id, struct store_pairing *p)
{
	int rc = store_pairing_get(srv->store, hive_id, p);

	if (rc != RUCHE_ENOTFOUND)
		return rc;
	memset(p, 0, sizeof(*p));
	p->hive_id = hive_id;
	p->every_days = 7;
	p->prompt = strdup("");
	return p->prompt ? 0 : RUCHE_ENOMEM;
}

static const char *prompt_of(const struct store_pairing *p)
{
	return p->prompt && p->prompt[0] ? p->prompt : pairing_default_prompt;
}

static json_t *id_or_null(int64_t v)
{
	return v ? json_integer(v) : json_null();
}

static json_t *settings_json(const struct store_pairing *p)
{
	return json_pack("{s:I, s:b, s:i, s:o, s:s, s:b, s:o, s:o}",
			 "hive_id", (json_int_t)p->hive_id,
			 "enabled", p->enabled,
			 "every_days", p->every_days,
			 "next_at", id_or_null(p->next_at),
			 "prompt", prompt_of(p),
			 "custom_prompt", p->prompt && p->prompt[0],
			 "updated_at", id_or_null(p->updated_at),
			 "updated_by", id_or_null(p->updated_by));
}

/* {key: o}, or RUCHE_ENOMEM when o or the pack is NULL. */
static int wrap(const char *key, json_t *o, json_t **out)
{
	*out = o ? json_pack("{s:o}", key, o) : NULL;
	return *out ? 0 : RUCHE_ENOMEM;
}

int pairing_get(struct server *srv, struct actor who, int64_t hive_id,
		json_t **out)
{
	struct store_pairing p;
	struct store_hive h;
	int rc = store_hive_get(srv->store, hive_id, &h);

	if (!rc && !who.admin &&
	    hives_role(srv, hive_id, who.user_id) == ROLE_NONE)
		rc = RUCHE_ENOTFOUND;
	if (!rc)
		rc = load(srv, hive_id, &p);
	if (rc)
		return rc;
	rc = wrap("pairing", settings_json(&p), out);
	store_pairing_release(&p);
	return rc;
}

/* The first Monday 09:00 UTC after now: a calm default for the start of
 * a week, which the mentor changes at will. */
static int64_t next_monday(int64_t now)
{
	time_t t = (time_t)(now / 1000);
	struct tm tm;
	int64_t day;

	gmtime_r(&t, &tm);
	day = now - now % PAIRING_DAY_MS;
	day += (int64_t)((8 - tm.tm_wday) % 7) * PAIRING_DAY_MS +
	       9LL * 3600 * 1000;
	while (day <= now)
		day += 7 * PAIRING_DAY_MS;
	return day;
}

/* Moves t past now by whole periods of the cadence, keeping its
 * weekday and time of day. */
static int64_t roll_forward(int64_t t, int every_days, int64_t now)
{
	int64_t step = (int64_t)every_days * PAIRING_DAY_MS;

	if (t <= now)
		t += ((now - t) / step + 1) * step;
	return t;
}

/* Trims spaces around text into a new string ("" when blank). */
static char *trimmed(const char *text)
{
	const char *end = text + strlen(text);

	while (*text && strchr(" \t\r\n", *text))
		text++;
	while (end > text && strchr(" \t\r\n", end[-1]))
		end--;
	return strndup(text, (size_t)(end - text));
}

int pairing_set(struct server *srv, struct actor who, int64_t hive_id,
		bool enabled, int every_days, int64_t next_at,
		const char *prompt, json_t **out, char why[PAIRING_WHY_MAX])
{
	struct store_pairing p;
	struct store_hive h;
	int64_t now = now_ms(srv);
	char *text = NULL;
	int rc = may_manage(srv, who, hive_id, &h);

	if (!rc && h.archived_at)
		rc = RUCHE_EARCHIVED;
	if (!rc && every_days && every_days != 7 && every_days != 14) {
		say(why, "every_days is 7 (weekly) or 14 (fortnightly)");
		rc = RUCHE_EINVAL;
	}
	if (!rc && next_at &&
	    (next_at <= now || next_at - now > SCHEDULE_AHEAD_MAX_MS)) {
		say(why, "next_at must be in the future, at most a year ahead");
		rc = RUCHE_EINVAL;
	}
	if (!rc && prompt) {
		text = trimmed(prompt);
		if (!text)
			rc = RUCHE_ENOMEM;
		else if (!utf8_valid(text, strlen(text)) ||
			 utf8_count(text, strlen(text)) > PAIRING_PROMPT_MAX) {
			say(why, "prompt is at most 2000 characters");
			rc = RUCHE_ETOOBIG;
		}
	}
	if (!rc)
		rc = load(srv, hive_id, &p);
	if (rc) {
		free(text);
		return rc;
	}
	p.enabled = enabled;
	if (every_days)
		p.every_days = every_days;
	if (next_at)
		p.next_at = next_at;
	else if (enabled && !p.next_at)
		p.next_at = next_monday(now);
	else if (enabled)	/* turned on again after a long pause */
		p.next_at = roll_forward(p.next_at, p.every_days, now);
	if (text) {
		free(p.prompt);
		p.prompt = text;
	}
	p.updated_by = who.user_id;
	p.updated_at = now;
	rc = store_pairing_set(srv->store, &p);
	if (!rc)
		rc = wrap("pairing", settings_json(&p), out);
	if (!rc)
		mod_emit_moderators(srv, hive_id, "pairing.updated",
				    json_pack("{s:I, s:o}", "hive_id",
					      (json_int_t)hive_id, "pairing",
					      settings_json(&p)));
	store_pairing_release(&p);
	return rc;
}

/* ---- Rounds -------------------------------------------------------------- */

static json_t *round_json(struct server *srv,
			  const struct store_pairing_round *r)
{
	struct store_pairing_member *m = NULL;
	size_t n = 0;
	json_t *groups = json_array(), *o;

	if (!store_pairing_members(srv->store, r->id, &m, &n))
		for (size_t i = 0; groups && i < n; i++) {
			json_t *g = json_array_get(groups,
						   (size_t)m[i].group_no);

			if (!g) {
				g = json_pack("{s:[], s:o}", "user_ids",
					      "channel_id",
					      id_or_null(m[i].channel_id));
				json_array_append_new(groups, g);
			}
			json_array_append_new(json_object_get(g, "user_ids"),
					      json_integer(m[i].user_id));
		}
	free(m);
	o = json_pack("{s:I, s:I, s:o, s:I, s:s, s:o, s:o, s:o}",
		      "id", (json_int_t)r->id,
		      "hive_id", (json_int_t)r->hive_id,
		      "due_at", id_or_null(r->due_at),
		      "ran_at", (json_int_t)r->ran_at,
		      "status", r->status,
		      "reason", r->reason[0] ? json_string(r->reason) :
					       json_null(),
		      "run_by", id_or_null(r->run_by),
		      "groups", groups ? groups : json_array());
	return o;
}

/*
 * Who the prompt is posted for: the mentor who last set pairing, while
 * they are still a mentor of the hive (or an admin), else the hive's
 * first mentor; 0 when there is none.
 */
static int64_t prompt_author(struct server *srv, int64_t hive_id,
			     const struct store_pairing *p)
{
	struct store_user u;
	int64_t *ids = NULL, id = 0;
	size_t n = 0;

	if (p->updated_by && !store_user_get(srv->store, p->updated_by, &u) &&
	    !u.deleted && (u.is_admin || hives_role(srv, hive_id, u.id) ==
					 ROLE_MENTOR))
		return u.id;
	if (!store_hive_mentors(srv->store, hive_id, &ids, &n) && n)
		id = ids[0];
	free(ids);
	return id;
}

/*
 * Posts the opening prompt in a group's conversation on behalf of
 * author, who is not one of its members: the message is stored and
 * announced as msg.send would (msg.created to the conversation), without
 * the rules for people posting (the mentor is not in the conversation,
 * and mutes or the guard do not apply to Ruche's own prompt).  The nonce
 * names the round and group, so it is posted once.
 */
static int post_prompt(struct server *srv, int64_t channel_id,
		       int64_t author, const char *text, const char *nonce)
{
	struct store_message m = { 0 };
	int rc;

	if (!store_msg_by_nonce(srv->store, author, nonce, &m)) {
		store_msg_release(&m);
		return 0;
	}
	m.channel_id = channel_id;
	m.author_id = author;
	m.body = (char *)text;
	snprintf(m.nonce, sizeof(m.nonce), "%s", nonce);
	m.created_at = now_ms(srv);
	rc = store_msg_insert(srv->store, &m);
	if (!rc)
		rc = server_emit(srv, 0, channel_id, "msg.created",
				 json_pack("{s:{s:I, s:I, s:I, s:s, s:I, s:b, "
					   "s:i}}", "message",
					   "id", (json_int_t)m.id,
					   "channel_id",
					   (json_int_t)m.channel_id,
					   "author_id", (json_int_t)author,
					   "text", text,
					   "created_at",
					   (json_int_t)m.created_at,
					   "deleted", 0, "reply_count", 0));
	return rc;
}

/* The hive's learners, by id. */
static int learners_of(struct server *srv, int64_t hive_id, int64_t **ids,
		       size_t *n)
{
	struct store_member *m = NULL;
	size_t nm = 0;
	int rc = store_member_list(srv->store, hive_id, &m, &nm);

	*ids = NULL;
	*n = 0;
	if (rc)
		return rc;
	*ids = calloc(nm ? nm : 1, sizeof(**ids));
	if (!*ids) {
		free(m);
		return RUCHE_ENOMEM;
	}
	for (size_t i = 0; i < nm; i++)
		if (m[i].role == ROLE_LEARNER)
			(*ids)[(*n)++] = m[i].user_id;
	free(m);
	return 0;
}

/* Opens the groups' conversations and posts the prompt in each. */
static int open_groups(struct server *srv, const struct store_pairing *p,
		       struct store_pairing_round *r, const int64_t *ids,
		       size_t n, const int *group_of, int ngroups)
{
	int64_t author = prompt_author(srv, r->hive_id, p);
	int rc = 0;

	for (int g = 0; g < ngroups && !rc; g++) {
		int64_t members[3];
		struct store_pairing_member pm = { .group_no = g };
		char nonce[64];
		json_t *out = NULL;
		size_t k = 0;

		for (size_t i = 0; i < n && k < 3; i++)
			if (group_of[i] == g)
				members[k++] = ids[i];
		if (k < 2)
			continue;
		rc = chat_direct_open(srv, (struct actor){
				.user_id = members[0] }, members + 1, k - 1,
				&out);
		if (!rc)
			pm.channel_id = json_integer_value(json_object_get(
				json_object_get(out, "channel"), "id"));
		json_decref(out);
		for (size_t i = 0; i < k && !rc; i++) {
			pm.user_id = members[i];
			rc = store_pairing_member_insert(srv->store, r->id,
							 &pm);
		}
		snprintf(nonce, sizeof(nonce), "pairing-%lld-%d",
			 (long long)r->id, g);
		if (!rc && author && pm.channel_id)
			rc = post_prompt(srv, pm.channel_id, author,
					 prompt_of(p), nonce);
	}
	if (!author)
		log_info("pairing: hive %lld has no mentor to post the prompt",
			 (long long)r->hive_id);
	return rc;
}

/*
 * Runs one round of the hive: paired, or skipped with a reason.  due_at
 * is the scheduled time it is for (0: by hand).  Inside a transaction of
 * its own (a savepoint in the caller's), so that a failed round leaves
 * nothing behind.
 */
static int run_round(struct server *srv, const struct store_pairing *p,
		     int64_t due_at, int64_t run_by,
		     struct store_pairing_round *r)
{
	struct store_pairing_meet *recent = NULL;
	int64_t *ids = NULL;
	size_t n = 0, nrecent = 0;
	int *group_of = NULL, ngroups = 0;
	uint64_t seed;
	int rc;

	memset(r, 0, sizeof(*r));
	r->hive_id = p->hive_id;
	r->due_at = due_at;
	r->ran_at = now_ms(srv);
	r->run_by = run_by;
	rc = learners_of(srv, p->hive_id, &ids, &n);
	if (!rc && n < 2) {
		snprintf(r->status, sizeof(r->status), "skipped");
		snprintf(r->reason, sizeof(r->reason),
			 "fewer than 2 learners in the hive");
	} else if (!rc) {
		snprintf(r->status, sizeof(r->status), "paired");
		rc = store_pairing_recent(srv->store, p->hive_id,
					  PAIRING_RECENT_ROUNDS, &recent,
					  &nrecent);
		group_of = calloc(n, sizeof(*group_of));
		if (!rc && !group_of)
			rc = RUCHE_ENOMEM;
		/* The hive and the time of the round: another round gets
		 * other choices among equal ones. */
		seed = (uint64_t)p->hive_id * 0x9E3779B97F4A7C15ull ^
		       (uint64_t)(due_at ? due_at : r->ran_at);
		if (!rc)
			ngroups = pairing_make(ids, n, recent, nrecent, seed,
					       group_of);
		if (ngroups < 0)
			rc = ngroups;
	}
	if (!rc)
		rc = server_begin(srv);
	if (!rc) {
		rc = store_pairing_round_insert(srv->store, r);
		if (!rc && ngroups > 0)
			rc = open_groups(srv, p, r, ids, n, group_of, ngroups);
		rc = server_end(srv, rc);
	}
	free(group_of);
	free(recent);
	free(ids);
	return rc;
}

/* Tells the mentors a round ran, with the settings as they are now. */
static void announce_round(struct server *srv, const struct store_pairing *p,
			   const struct store_pairing_round *r)
{
	mod_emit_moderators(srv, p->hive_id, "pairing.updated",
			    json_pack("{s:I, s:o, s:o}", "hive_id",
				      (json_int_t)p->hive_id, "pairing",
				      settings_json(p), "round",
				      round_json(srv, r)));
}

int pairing_run(struct server *srv, struct actor who, int64_t hive_id,
		json_t **out)
{
	struct store_pairing p;
	struct store_pairing_round r;
	struct store_hive h;
	int rc = may_manage(srv, who, hive_id, &h);

	if (!rc && h.archived_at)
		rc = RUCHE_EARCHIVED;
	if (!rc)
		rc = load(srv, hive_id, &p);
	if (rc)
		return rc;
	/* Posted on behalf of whoever asked for the round, if they may. */
	if (!p.updated_by)
		p.updated_by = who.user_id;
	rc = run_round(srv, &p, 0, who.user_id, &r);
	if (!rc)
		rc = wrap("round", round_json(srv, &r), out);
	if (!rc)
		announce_round(srv, &p, &r);
	store_pairing_release(&p);
	return rc;
}

int pairing_history(struct server *srv, struct actor who, int64_t hive_id,
		    int limit, json_t **out)
{
	struct store_pairing_round *v = NULL;
	struct store_hive h;
	size_t n = 0;
	json_t *arr;
	int rc = may_manage(srv, who, hive_id, &h);

	if (!rc)
		rc = store_pairing_rounds(srv->store, hive_id,
					  limit > 0 ? limit : HISTORY_DEFAULT,
					  &v, &n);
	if (rc)
		return rc;
	arr = json_array();
	for (size_t i = 0; arr && i < n; i++)
		if (json_array_append_new(arr, round_json(srv, &v[i]))) {
			json_decref(arr);
			arr = NULL;
		}
	free(v);
	return wrap("rounds", arr, out);
}

/*
 * Runs the round a hive is due, then moves next_at past the present in
 * the same transaction.  A round that fails is recorded as skipped with
 * why, so that a hive whose round cannot run is not retried every pass.
 */
static void run_due(struct server *srv, struct store_pairing *p,
		    int64_t now)
{
	struct store_pairing_round r;
	struct store_hive h;
	int rc = store_hive_get(srv->store, p->hive_id, &h);

	if (!rc && h.archived_at) {
		memset(&r, 0, sizeof(r));
		r.hive_id = p->hive_id;
		r.due_at = p->next_at;
		r.ran_at = now;
		snprintf(r.status, sizeof(r.status), "skipped");
		snprintf(r.reason, sizeof(r.reason), "the hive is archived");
		rc = store_pairing_round_insert(srv->store, &r);
	} else if (!rc) {
		rc = run_round(srv, p, p->next_at, 0, &r);
		if (rc && rc != RUCHE_EEXIST) {
			log_error("pairing: hive %lld: %s",
				  (long long)p->hive_id, ruche_strerror(rc));
			memset(&r, 0, sizeof(r));
			r.hive_id = p->hive_id;
			r.due_at = p->next_at;
			r.ran_at = now;
			snprintf(r.status, sizeof(r.status), "skipped");
			snprintf(r.reason, sizeof(r.reason),
				 "the round failed: %s", ruche_strerror(rc));
			rc = store_pairing_round_insert(srv->store, &r);
		}
	}
	/* The round for this time exists (or the hive is gone): move on. */
	p->next_at = roll_forward(p->next_at, p->every_days, now);
	if (store_pairing_set(srv->store, p))
		log_error("pairing: hive %lld: next round not saved",
			  (long long)p->hive_id);
	if (!rc)
		announce_round(srv, p, &r);
}

void pairing_housekeeping(struct server *srv)
{
	struct store_pairing *v = NULL;
	int64_t now;
	size_t n = 0;

	if (!srv->store)
		return;
	now = now_ms(srv);
	/* Read first: most passes have nothing to do and write nothing. */
	if (store_pairing_due(srv->store, now, DUE_BATCH, &v, &n) || !n) {
		store_pairing_list_free(v, n);
		return;
	}
	if (!server_turn_begin(srv)) {
		for (size_t i = 0; i < n; i++)
			run_due(srv, &v[i], now);
		/* Events go out once committed, like a request's. */
		server_flush(srv);
	}
	store_pairing_list_free(v, n);
}
