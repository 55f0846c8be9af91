/* meetup_runner.c - plays a meetup's script: steps, timer, turns, groups,
 * polls, feedback and the closing summary.  See meetups.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ruche/chat.h"
#include "ruche/err.h"
#include "ruche/hives.h"
#include "ruche/log.h"
#include "ruche/meetups.h"
#include "ruche/server.h"
#include "ruche/store.h"

#define START_BATCH 20

static int64_t now_ms(struct server *srv)
{
	return clock_wall_ms(srv->clock);
}

/* A stored event to the hive's members (named emit so that the protocol
 * checks find the events of this file). */
static int emit(struct server *srv, int64_t hive_id, const char *kind,
		json_t *data)
{
	return server_emit(srv, hive_id, 0, kind, data);
}

static void say(char *why, const char *text)
{
	if (why)
		snprintf(why, MEETUP_WHY_MAX, "%s", text);
}

static bool live(const struct store_meetup *m)
{
	return !strcmp(m->state, "running") || !strcmp(m->state, "paused");
}

static struct meetup_script *script_of(const struct store_meetup *m)
{
	struct meetup_script *s = NULL;
	struct meetup_errors errs;

	meetup_errors_init(&errs);
	meetup_script_parse(m->script, strlen(m->script), &s, &errs);
	meetup_errors_release(&errs);
	return s;
}

static void post(struct server *srv, const struct store_meetup *m,
		 const char *text, const char *what)
{
	char nonce[64];

	snprintf(nonce, sizeof(nonce), "meetup-%lld-%s", (long long)m->id,
		 what);
	meetups_post(srv, m, m->channel_id, text, nonce);
}

static int updated(struct server *srv, const struct store_meetup *m)
{
	return emit(srv, m->hive_id, "meetup.updated",
		    json_pack("{s:o}", "meetup",
			      meetups_meetup_json(m, false)));
}

/* ---- Groups -------------------------------------------------------------- */

/* How many times a and b were grouped together lately. */
static int recent_pair(const int64_t *recent, size_t npairs, int64_t a,
		       int64_t b)
{
	int times = 0;

	for (size_t i = 0; i < npairs; i++)
		if (recent[2 * i] == a && recent[2 * i + 1] == b)
			times++;
	return times;
}

int meetup_groups_make(const int64_t *ids, size_t n, int size,
		       const int64_t *recent, size_t npairs, int *group_of)
{
	int ngroups = size > 0 ? (int)n / size : 0;
	int *cap, *count;

	if (ngroups < 1)
		ngroups = 1;
	cap = calloc((size_t)ngroups, sizeof(*cap));
	count = calloc((size_t)ngroups, sizeof(*count));
	if (!cap || !count) {
		free(cap);
		free(count);
		return RUCHE_ENOMEM;
	}
	/* Groups of size; the ones left over join the first groups. */
	for (size_t i = 0; i < n; i++)
		cap[i % (size_t)ngroups]++;
	for (size_t i = 0; i < n; i++) {
		int best = -1, best_clash = 0;

		for (int g = 0; g < ngroups; g++) {
			int clash = 0;

			if (count[g] >= cap[g])
				continue;
			for (size_t j = 0; j < i; j++)
				if (group_of[j] == g)
					clash += recent_pair(recent, npairs,
							     ids[i], ids[j]);
			if (best < 0 || clash < best_clash ||
			    (clash == best_clash && count[g] < count[best])) {
				best = g;
				best_clash = clash;
			}
		}
		group_of[i] = best;
		count[best]++;
	}
	free(cap);
	free(count);
	return ngroups;
}

/* Opens the groups of a breakout step among those present. */
static int open_groups(struct server *srv, struct store_meetup *m,
		       const struct meetup_step *step, int64_t now)
{
	int64_t *ids = NULL, *recent = NULL;
	size_t n = 0, npairs = 0;
	int *group_of = NULL, ngroups, rc;
	json_t *groups = NULL;

	rc = store_part_present(srv->store, m->id, &ids, &n);
	if (rc || !n)
		goto out;
	if (step->breakout.avoid_recent)
		rc = store_group_recent(srv->store, now - MEETUP_RECENT_MS,
					&recent, &npairs);
	group_of = calloc(n, sizeof(*group_of));
	groups = json_array();
	if (rc || !group_of || !groups) {
		rc = rc ? rc : RUCHE_ENOMEM;
		goto out;
	}
	ngroups = meetup_groups_make(ids, n, step->breakout.group_size,
				     recent, npairs, group_of);
	if (ngroups < 0) {
		rc = ngroups;
		goto out;
	}
	for (int g = 0; g < ngroups && !rc; g++) {
		int64_t members[CHAT_DIRECT_MAX];
		size_t k = 0;
		struct store_group sg = { .group_no = g };
		json_t *out = NULL, *users = json_array();

		for (size_t i = 0; i < n; i++)
			if (group_of[i] == g && k < CHAT_DIRECT_MAX)
				members[k++] = ids[i];
		/* The group talks in its members' direct conversation. */
		if (k > 1 && !chat_direct_open(srv, (struct actor){
				.user_id = members[0] }, members + 1, k - 1,
				&out))
			sg.channel_id = json_integer_value(json_object_get(
				json_object_get(out, "channel"), "id"));
		json_decref(out);
		for (size_t i = 0; i < k && !rc; i++) {
			sg.user_id = members[i];
			rc = store_group_insert(srv->store, m->id, m->step, &sg,
						now);
			json_array_append_new(users, json_integer(members[i]));
		}
		out = json_pack("{s:i, s:o}", "group", g, "user_ids", users);
		if (out && sg.channel_id)
			json_object_set_new(out, "channel_id",
					    json_integer(sg.channel_id));
		json_array_append_new(groups, out);
	}
	if (!rc)
		rc = emit(srv, m->hive_id, "meetup.breakout",
			  json_pack("{s:I, s:I, s:i, s:s, s:O}",
				    "meetup_id", (json_int_t)m->id,
				    "hive_id", (json_int_t)m->hive_id,
				    "step", m->step,
				    "prompt", step->breakout.prompt,
				    "groups", groups));
out:
	json_decref(groups);
	free(group_of);
	free(recent);
	free(ids);
	return rc;
}

/* ---- Rounds -------------------------------------------------------------- */

struct named {
	int64_t id;
	char name[STORE_NAME_BYTES];
};

static int by_name(const void *a, const void *b)
{
	const struct named *x = a, *y = b;
	int c = strcmp(x->name, y->name);

	return c ? c : (x->id > y->id) - (x->id < y->id);
}

/* Fixes the speaking order of a round among those present; *n turns. */
static int order_turns(struct server *srv, const struct store_meetup *m,
		       const struct meetup_step *step, size_t *nturns)
{
	int64_t *ids = NULL;
	struct named *v = NULL;
	size_t n = 0;
	int rc = store_part_present(srv->store, m->id, &ids, &n);

	*nturns = 0;
	if (rc || !n)
		goto out;
	v = calloc(n, sizeof(*v));
	if (!v) {
		rc = RUCHE_ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		struct store_user u;

		v[i].id = ids[i];
		if (!store_user_get(srv->store, ids[i], &u))
			snprintf(v[i].name, sizeof(v[i].name), "%s", u.name);
	}
	if (step->round.order == MEETUP_ORDER_ALPHABETICAL) {
		qsort(v, n, sizeof(*v), by_name);
	} else if (step->round.order == MEETUP_ORDER_RANDOM) {
		/* Seeded by the meetup, the step and the time: the same
		 * people are not always in the same order. */
		uint64_t x = (uint64_t)m->id * 0x9E3779B97F4A7C15ull ^
			     (uint64_t)m->step_started_at ^
			     ((uint64_t)m->step << 32);

		for (size_t i = n - 1; i > 0; i--) {
			struct named t;
			size_t j;

			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			j = (size_t)(x % (i + 1));
			t = v[i];
			v[i] = v[j];
			v[j] = t;
		}
	}
	for (size_t i = 0; i < n && !rc; i++)
		rc = store_turn_insert(srv->store, m->id, m->step, (int)i,
				       v[i].id);
	if (!rc)
		*nturns = n;
out:
	free(v);
	free(ids);
	return rc;
}

static int64_t turn_ms(const struct meetup_step *step)
{
	return (int64_t)step->round.turn_s * 1000;
}

/* Announces the turn that time has reached, once. */
static int update_turn(struct server *srv, const struct store_meetup *m,
		       const struct meetup_script *sc, int64_t now)
{
	const struct meetup_step *step;
	struct store_turn *t = NULL;
	size_t n = 0;
	int64_t idx;
	int rc;

	if (strcmp(m->state, "running") || m->step < 0 ||
	    m->step >= sc->nsteps)
		return 0;
	step = &sc->steps[m->step];
	if (step->kind != MEETUP_ROUND)
		return 0;
	idx = (now - m->step_started_at) / turn_ms(step);
	rc = store_turn_list(srv->store, m->id, m->step, &t, &n);
	if (!rc && idx >= 0 && (size_t)idx < n && !t[idx].done) {
		for (int64_t i = 0; i <= idx && !rc; i++)
			rc = store_turn_done(srv->store, m->id, m->step,
					     t[i].user_id);
		if (!rc)
			rc = emit(srv, m->hive_id, "meetup.turn", json_pack(
				"{s:I, s:I, s:i, s:i, s:I, s:I}",
				"meetup_id", (json_int_t)m->id,
				"hive_id", (json_int_t)m->hive_id,
				"step", m->step, "position", (int)idx,
				"user_id", (json_int_t)t[idx].user_id,
				"ends_at", (json_int_t)(m->step_started_at +
					(idx + 1) * turn_ms(step))));
	}
	free(t);
	return rc;
}

/* ---- Polls and feedback -------------------------------------------------- */

/* The counts of a poll step: {"question", "options", "counts", "answers"}. */
static json_t *poll_results(struct server *srv, const struct store_meetup *m,
			    const struct meetup_step *step, int index)
{
	char (*v)[STORE_CHOICES_BYTES] = NULL;
	int counts[MEETUP_OPTIONS_MAX] = { 0 };
	json_t *opts = json_array(), *cnt = json_array();
	size_t n = 0;

	store_answer_list(srv->store, m->id, index, &v, &n);
	for (size_t i = 0; i < n; i++) {
		json_t *a = json_loads(v[i], 0, NULL), *c;
		size_t k;

		json_array_foreach(a, k, c) {
			json_int_t o = json_integer_value(c);

			if (o >= 0 && o < step->poll.noptions)
				counts[o]++;
		}
		json_decref(a);
	}
	free(v);
	for (int i = 0; i < step->poll.noptions; i++) {
		json_array_append_new(opts, json_string(step->poll.options[i]));
		json_array_append_new(cnt, json_integer(counts[i]));
	}
	return json_pack("{s:I, s:I, s:i, s:s, s:o, s:o, s:I}",
			 "meetup_id", (json_int_t)m->id,
			 "hive_id", (json_int_t)m->hive_id, "step", index,
			 "question", step->poll.question, "options", opts,
			 "counts", cnt, "answers", (json_int_t)n);
}

json_t *meetups_polls_json(struct server *srv, const struct store_meetup *m)
{
	struct meetup_script *sc = script_of(m);
	json_t *arr = sc ? json_array() : NULL;

	for (int i = 0; arr && i < sc->nsteps; i++) {
		json_t *r;

		if (sc->steps[i].kind != MEETUP_POLL)
			continue;
		r = poll_results(srv, m, &sc->steps[i], i);
		if (!r || json_array_append_new(arr, r)) {
			json_decref(arr);
			arr = NULL;
		}
	}
	meetup_script_free(sc);
	return arr;
}

/* Posts and announces a poll's results. */
static int show_results(struct server *srv, const struct store_meetup *m,
			const struct meetup_step *step, int index, bool post_it)
{
	json_t *r = poll_results(srv, m, step, index);
	char text[2048], what[32];
	size_t len;

	if (!r)
		return RUCHE_ENOMEM;
	if (post_it) {
		len = (size_t)snprintf(text, sizeof(text), "Poll results: %s",
				       step->poll.question);
		for (int i = 0; i < step->poll.noptions &&
		     len < sizeof(text); i++)
			len += (size_t)snprintf(text + len, sizeof(text) - len,
				"\n- %s: %lld", step->poll.options[i],
				(long long)json_integer_value(json_array_get(
					json_object_get(r, "counts"),
					(size_t)i)));
		snprintf(what, sizeof(what), "results-%d", index);
		post(srv, m, text, what);
	}
	return emit(srv, m->hive_id, "meetup.poll_results", r);
}

/* ---- Steps --------------------------------------------------------------- */

/*
 * The current step of m as meetup.step announces it (and meetup.get
 * shows it to someone who comes in the middle): its kind, texts and
 * times, the speaking order of a round, the question of a poll or of the
 * feedback.
 */
static json_t *step_json(struct server *srv, const struct store_meetup *m,
			 const struct meetup_script *sc)
{
	const struct meetup_step *step = &sc->steps[m->step];
	json_t *ev = json_pack("{s:I, s:I, s:i, s:s, s:s, s:s, s:I, s:I}",
			       "meetup_id", (json_int_t)m->id,
			       "hive_id", (json_int_t)m->hive_id,
			       "step", m->step,
			       "kind", meetup_step_kind_name(step->kind),
			       "title", step->title, "text", step->text,
			       "started_at", (json_int_t)m->step_started_at,
			       "ends_at", (json_int_t)m->step_ends_at);

	if (ev && step->kind == MEETUP_ROUND) {
		struct store_turn *t = NULL;
		size_t n = 0;
		json_t *order = json_array();

		store_turn_list(srv->store, m->id, m->step, &t, &n);
		for (size_t i = 0; i < n; i++)
			json_array_append_new(order,
					      json_integer(t[i].user_id));
		free(t);
		json_object_set_new(ev, "order", order);
		json_object_set_new(ev, "turn_s",
				    json_integer(step->round.turn_s));
		/* Clients say so and keep the others' composers quiet. */
		json_object_set_new(ev, "speaker_only",
				    json_boolean(step->round.speaker_only));
	}
	if (ev && step->kind == MEETUP_POLL) {
		json_t *opts = json_array();

		for (int i = 0; i < step->poll.noptions; i++)
			json_array_append_new(opts, json_string(
				step->poll.options[i]));
		json_object_set_new(ev, "question",
				    json_string(step->poll.question));
		json_object_set_new(ev, "options", opts);
		json_object_set_new(ev, "multiple",
				    json_boolean(step->poll.multiple));
	}
	if (ev && step->kind == MEETUP_FEEDBACK)
		json_object_set_new(ev, "question",
				    json_string(step->feedback.question));
	if (ev && m->channel_id)
		json_object_set_new(ev, "channel_id",
				    json_integer(m->channel_id));
	return ev;
}

static int enter_step(struct server *srv, struct store_meetup *m,
		      const struct meetup_script *sc, int index, int64_t at);

/* The next occurrence of a recurring meetup. */
static int recur(struct server *srv, const struct store_meetup *m,
		 int64_t now)
{
	struct store_meetup next = *m;
	int64_t every = (!strcmp(m->recurrence, "weekly") ? 7 : 14) *
			86400000LL;
	int rc;

	if (!strcmp(m->recurrence, "none"))
		return 0;
	next.id = 0;
	next.start_at = m->start_at;
	while (next.start_at <= now)
		next.start_at += every;
	snprintf(next.state, sizeof(next.state), "scheduled");
	next.reminded = 0;
	if (next.start_at - now <= MEETUP_REMIND_DAY_MS)
		next.reminded |= 1;
	if (next.start_at - now <= MEETUP_REMIND_SOON_MS)
		next.reminded |= 2;
	next.created_at = now;
	rc = store_meetup_insert(srv->store, &next);
	next.step = -1;
	next.channel_id = next.started_at = next.ended_at = 0;
	next.going = next.maybe = next.no = 0;
	if (!rc)
		rc = emit(srv, m->hive_id, "meetup.scheduled",
			  json_pack("{s:o}", "meetup",
				    meetups_meetup_json(&next, false)));
	return rc;
}

/* Ends a meetup with its summary. */
static int finish(struct server *srv, struct store_meetup *m,
		  const struct meetup_script *sc, int64_t at)
{
	struct store_nps nps = { 0 };
	char text[512];
	int len, rc;

	snprintf(m->state, sizeof(m->state), "ended");
	m->step = sc->nsteps;
	m->step_started_at = m->step_ends_at = m->paused_left_ms = 0;
	m->ended_at = at;
	rc = store_meetup_save_run(srv->store, m);
	if (rc)
		return rc;
	store_feedback_stats(srv->store, m->id, &nps);
	len = snprintf(text, sizeof(text), "The meetup \"%s\" has ended. "
		       "Thank you all!", m->title);
	if (nps.answers && len < (int)sizeof(text))
		snprintf(text + len, sizeof(text) - (size_t)len,
			 " Feedback: %lld answer%s, NPS %+lld.",
			 (long long)nps.answers, nps.answers > 1 ? "s" : "",
			 (long long)((nps.promoters - nps.detractors) * 100 /
				     nps.answers));
	post(srv, m, text, "summary");
	rc = updated(srv, m);
	if (!rc)
		rc = recur(srv, m, at);
	return rc;
}

/* Leaves the current step: what it leaves behind (poll results). */
static int leave_step(struct server *srv, const struct store_meetup *m,
		      const struct meetup_script *sc)
{
	const struct meetup_step *step;

	if (m->step < 0 || m->step >= sc->nsteps)
		return 0;
	step = &sc->steps[m->step];
	if (step->kind == MEETUP_POLL)
		return show_results(srv, m, step, m->step, true);
	return 0;
}

static int enter_step(struct server *srv, struct store_meetup *m,
		      const struct meetup_script *sc, int index, int64_t at)
{
	const struct meetup_step *step;
	char text[MEETUP_TEXT_MAX * 4 + 200], what[32];
	int64_t duration;
	size_t nturns = 0;
	int rc;

	if (index >= sc->nsteps)
		return finish(srv, m, sc, at);
	step = &sc->steps[index];
	m->step = index;
	m->step_started_at = at;
	duration = (int64_t)step->duration_s * 1000;
	rc = 0;
	if (step->kind == MEETUP_ROUND) {
		rc = order_turns(srv, m, step, &nturns);
		/* Everyone has a full turn: the step lasts that long. */
		duration = (int64_t)(nturns ? nturns : 1) * turn_ms(step);
	}
	m->step_ends_at = at + duration;
	if (!rc)
		rc = store_meetup_save_run(srv->store, m);
	if (rc)
		return rc;
	snprintf(text, sizeof(text), "Step %d of %d - %s\n%s", index + 1,
		 sc->nsteps, step->title, step->text);
	snprintf(what, sizeof(what), "step-%d", index);
	post(srv, m, text, what);
	rc = emit(srv, m->hive_id, "meetup.step", step_json(srv, m, sc));
	if (!rc && step->kind == MEETUP_BREAKOUT)
		rc = open_groups(srv, m, step, at);
	if (!rc && step->kind == MEETUP_ROUND)
		rc = update_turn(srv, m, sc, at);
	return rc;
}

/* Steps whose time is over give way to the next, from their stored end
 * times: after a restart the meetup is where it would have been. */
static int advance(struct server *srv, struct store_meetup *m,
		   const struct meetup_script *sc, int64_t now)
{
	int rc = 0;

	while (!rc && !strcmp(m->state, "running") &&
	       m->step_ends_at <= now) {
		rc = leave_step(srv, m, sc);
		if (!rc)
			rc = enter_step(srv, m, sc, m->step + 1,
					m->step_ends_at);
	}
	if (!rc)
		rc = update_turn(srv, m, sc, now);
	return rc;
}

/* Opens the meetup's channel and its first step at `at`. */
static int start(struct server *srv, struct store_meetup *m,
		 const struct meetup_script *sc, int64_t at)
{
	char name[32];
	json_t *out = NULL;
	int rc;

	snprintf(name, sizeof(name), "meetup-%lld", (long long)m->id);
	rc = chat_channel_create(srv, ACTOR_OPERATOR, m->hive_id, name,
				 CHANNEL_CHAT, m->title, &out);
	if (!rc)
		m->channel_id = json_integer_value(json_object_get(
			json_object_get(out, "channel"), "id"));
	json_decref(out);
	if (rc)
		return rc;
	snprintf(m->state, sizeof(m->state), "running");
	m->started_at = at;
	rc = enter_step(srv, m, sc, 0, at);
	if (!rc && !strcmp(m->state, "running"))
		rc = updated(srv, m);
	return rc;
}

/* One meetup's turn of the clock, in a savepoint: all or nothing. */
static void tick_one(struct server *srv, struct store_meetup *m, int64_t now)
{
	struct meetup_script *sc = script_of(m);
	int rc = sc ? server_begin(srv) : RUCHE_EINVAL;

	if (rc)
		goto out;
	if (!strcmp(m->state, "scheduled")) {
		if (now - m->start_at > (int64_t)sc->total_s * 1000) {
			/* The server was down for its whole time. */
			snprintf(m->state, sizeof(m->state), "missed");
			m->ended_at = now;
			rc = store_meetup_save_run(srv->store, m);
			if (!rc)
				rc = updated(srv, m);
			if (!rc)
				rc = recur(srv, m, now);
		} else {
			/* From its start time: a meetup the server saw late
			 * is where it would have been. */
			rc = start(srv, m, sc, m->start_at);
			if (!rc)
				rc = advance(srv, m, sc, now);
		}
	} else {
		rc = advance(srv, m, sc, now);
	}
	rc = server_end(srv, rc);
	/* A meetup that cannot open (its hive archived, its channel's name
	 * taken) would be retried at every tick: it is missed instead.
	 * Storage that refuses writes is retried: it may come back. */
	if (rc && rc != RUCHE_ENOMEM && rc != RUCHE_EIO &&
	    rc != RUCHE_EFULL && rc != RUCHE_EROFS &&
	    !strcmp(m->state, "scheduled") && !server_begin(srv)) {
		snprintf(m->state, sizeof(m->state), "missed");
		m->ended_at = now;
		server_end(srv, store_meetup_save_run(srv->store, m));
	}
out:
	if (rc)
		log_error("meetup %lld: the runner failed: %s",
			  (long long)m->id, ruche_strerror(rc));
	meetup_script_free(sc);
}

void meetups_tick(struct server *srv)
{
	struct store_meetup *v = NULL;
	size_t n = 0;
	int64_t now = now_ms(srv);

	if (!store_meetup_due_start(srv->store, now, START_BATCH, &v, &n))
		for (size_t i = 0; i < n; i++)
			tick_one(srv, &v[i], now);
	store_meetup_list_free(v, n);
	if (!store_meetup_live(srv->store, &v, &n))
		for (size_t i = 0; i < n; i++)
			tick_one(srv, &v[i], now);
	store_meetup_list_free(v, n);
}

/* ---- Requests ------------------------------------------------------------ */

static const struct meetup_step *current(const struct store_meetup *m,
					 const struct meetup_script *sc);

/* Loads a meetup of a hive the actor is in (admins: any). */
static int load(struct server *srv, struct actor who, int64_t id,
		struct store_meetup *m, enum role *role)
{
	int rc = store_meetup_get(srv->store, id, m);

	if (rc)
		return rc;
	*role = hives_role(srv, m->hive_id, who.user_id);
	if (*role == ROLE_NONE && !who.admin) {
		store_meetup_release(m);
		return RUCHE_ENOTFOUND;
	}
	return 0;
}

static json_t *state_json(struct server *srv, const struct store_meetup *m)
{
	json_t *o = meetups_meetup_json(m, true);
	int64_t *ids = NULL;
	size_t n = 0;

	if (o && !store_part_present(srv->store, m->id, &ids, &n)) {
		json_t *a = json_array();

		for (size_t i = 0; i < n; i++)
			json_array_append_new(a, json_integer(ids[i]));
		json_object_set_new(o, "participants", a);
	}
	free(ids);
	return json_pack("{s:o}", "meetup", o);
}

/* The turn of a round under way: the last one announced. */
static json_t *turn_json(struct server *srv, const struct store_meetup *m,
			 const struct meetup_step *step)
{
	struct store_turn *t = NULL;
	size_t n = 0;
	json_t *o = NULL;
	int idx = -1;

	if (store_turn_list(srv->store, m->id, m->step, &t, &n))
		return NULL;
	for (size_t i = 0; i < n; i++)
		if (t[i].done)
			idx = (int)i;
	if (idx >= 0)
		o = json_pack("{s:i, s:I}", "position", idx, "user_id",
			      (json_int_t)t[idx].user_id);
	/* While paused the turn has no end yet: paused_left_ms tells. */
	if (o && !strcmp(m->state, "running"))
		json_object_set_new(o, "ends_at", json_integer(
			m->step_started_at + (idx + 1) * turn_ms(step)));
	free(t);
	return o;
}

/* The breakout group user_id is in at the current step, or NULL. */
static json_t *group_json(struct server *srv, const struct store_meetup *m,
			  int64_t user_id)
{
	struct store_group *g = NULL;
	size_t n = 0;
	int mine = -1;
	int64_t channel_id = 0;
	json_t *o = NULL, *ids;

	if (store_group_list(srv->store, m->id, m->step, &g, &n))
		return NULL;
	for (size_t i = 0; i < n && mine < 0; i++)
		if (g[i].user_id == user_id)
			mine = g[i].group_no;
	ids = mine >= 0 ? json_array() : NULL;
	for (size_t i = 0; ids && i < n; i++)
		if (g[i].group_no == mine) {
			json_array_append_new(ids, json_integer(g[i].user_id));
			if (g[i].channel_id)
				channel_id = g[i].channel_id;
		}
	if (ids)
		o = json_pack("{s:i, s:o}", "group", mine, "user_ids", ids);
	if (o && channel_id)
		json_object_set_new(o, "channel_id", json_integer(channel_id));
	free(g);
	return o;
}

json_t *meetups_live_json(struct server *srv, const struct store_meetup *m,
			  int64_t user_id)
{
	struct meetup_script *sc = script_of(m);
	const struct meetup_step *step = current(m, sc);
	int64_t *ids = NULL;
	size_t n = 0;
	json_t *o = NULL, *a, *x;

	if (!step)
		goto out;
	o = json_pack("{s:o}", "step", step_json(srv, m, sc));
	if (o && step->kind == MEETUP_ROUND && (x = turn_json(srv, m, step)))
		json_object_set_new(o, "turn", x);
	if (o && step->kind == MEETUP_BREAKOUT && user_id &&
	    (x = group_json(srv, m, user_id))) {
		json_object_set_new(x, "prompt",
				    json_string(step->breakout.prompt));
		json_object_set_new(o, "my_group", x);
	}
	if (o && !store_part_present(srv->store, m->id, &ids, &n)) {
		a = json_array();
		for (size_t i = 0; i < n; i++)
			json_array_append_new(a, json_integer(ids[i]));
		json_object_set_new(o, "participants", a);
	}
	free(ids);
out:
	meetup_script_free(sc);
	return o;
}

int meetups_control(struct server *srv, struct actor who, int64_t meetup_id,
		    enum meetup_control ctl, int seconds, char *why,
		    json_t **out)
{
	struct store_meetup m;
	struct meetup_script *sc;
	int64_t now = now_ms(srv);
	enum role r;
	int rc = load(srv, who, meetup_id, &m, &r);

	if (rc)
		return rc;
	sc = script_of(&m);
	if (!who.admin && r != ROLE_MENTOR)
		rc = RUCHE_EFORBIDDEN;
	else if (!sc)
		rc = RUCHE_EINVAL;
	if (rc)
		goto out;
	if (ctl == MEETUP_CTL_START ? strcmp(m.state, "scheduled") != 0 :
	    ctl == MEETUP_CTL_PAUSE ? strcmp(m.state, "running") != 0 :
	    ctl == MEETUP_CTL_RESUME ? strcmp(m.state, "paused") != 0 :
	    !live(&m)) {
		say(why, ctl == MEETUP_CTL_START ?
			 "only a scheduled meetup can be started" :
			 ctl == MEETUP_CTL_PAUSE ? "the meetup is not running" :
			 ctl == MEETUP_CTL_RESUME ? "the meetup is not paused" :
			 "the meetup is not under way");
		rc = RUCHE_EINVAL;
		goto out;
	}
	rc = server_begin(srv);
	if (rc)
		goto out;
	switch (ctl) {
	case MEETUP_CTL_START:
		rc = start(srv, &m, sc, now);
		break;
	case MEETUP_CTL_PAUSE:
		snprintf(m.state, sizeof(m.state), "paused");
		m.paused_left_ms = m.step_ends_at > now ?
				   m.step_ends_at - now : 1;
		rc = store_meetup_save_run(srv->store, &m);
		if (!rc)
			rc = updated(srv, &m);
		break;
	case MEETUP_CTL_RESUME: {
		int64_t shift = now + m.paused_left_ms - m.step_ends_at;

		snprintf(m.state, sizeof(m.state), "running");
		m.step_started_at += shift;
		m.step_ends_at += shift;
		m.paused_left_ms = 0;
		rc = store_meetup_save_run(srv->store, &m);
		if (!rc)
			rc = updated(srv, &m);
		break;
	}
	case MEETUP_CTL_SKIP:
		if (!strcmp(m.state, "paused")) {
			snprintf(m.state, sizeof(m.state), "running");
			m.paused_left_ms = 0;
		}
		m.step_ends_at = now;
		rc = advance(srv, &m, sc, now);
		break;
	case MEETUP_CTL_EXTEND:
		if (!strcmp(m.state, "paused"))
			m.paused_left_ms += (int64_t)seconds * 1000;
		else
			m.step_ends_at += (int64_t)seconds * 1000;
		rc = store_meetup_save_run(srv->store, &m);
		if (!rc)
			rc = updated(srv, &m);
		break;
	case MEETUP_CTL_END:
		rc = leave_step(srv, &m, sc);
		if (!rc)
			rc = finish(srv, &m, sc, now);
		break;
	}
	rc = server_end(srv, rc);
	if (!rc)
		*out = state_json(srv, &m);
	if (!rc && !*out)
		rc = RUCHE_ENOMEM;
out:
	meetup_script_free(sc);
	store_meetup_release(&m);
	return rc;
}

static int participants_event(struct server *srv, const struct store_meetup *m)
{
	int64_t *ids = NULL;
	size_t n = 0;
	json_t *a;
	int rc = store_part_present(srv->store, m->id, &ids, &n);

	if (rc)
		return rc;
	a = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(a, json_integer(ids[i]));
	free(ids);
	return emit(srv, m->hive_id, "meetup.participants",
		    json_pack("{s:I, s:I, s:o}", "meetup_id", (json_int_t)m->id,
			      "hive_id", (json_int_t)m->hive_id,
			      "user_ids", a));
}

/* The current step of a live meetup, or NULL. */
static const struct meetup_step *current(const struct store_meetup *m,
					 const struct meetup_script *sc)
{
	if (!sc || !live(m) || m->step < 0 || m->step >= sc->nsteps)
		return NULL;
	return &sc->steps[m->step];
}

int meetups_join(struct server *srv, struct actor who, int64_t meetup_id,
		 char *why, json_t **out)
{
	struct store_meetup m;
	struct meetup_script *sc = NULL;
	const struct meetup_step *step;
	struct store_turn *t = NULL;
	size_t n = 0;
	enum role r;
	int rc = load(srv, who, meetup_id, &m, &r);

	if (rc)
		return rc;
	if (r == ROLE_NONE) {
		rc = RUCHE_ENOT_MEMBER;
		goto out;
	}
	if (!live(&m)) {
		say(why, "the meetup is not under way");
		rc = RUCHE_EINVAL;
		goto out;
	}
	sc = script_of(&m);
	rc = server_begin(srv);
	if (rc)
		goto out;
	rc = store_part_join(srv->store, m.id, who.user_id, now_ms(srv));
	step = current(&m, sc);
	/* A late joiner in a round speaks last. */
	if (!rc && step && step->kind == MEETUP_ROUND)
		rc = store_turn_list(srv->store, m.id, m.step, &t, &n);
	if (!rc && step && step->kind == MEETUP_ROUND) {
		bool listed = false;
		int last = -1;

		for (size_t i = 0; i < n; i++) {
			listed |= t[i].user_id == who.user_id;
			if (t[i].position > last)
				last = t[i].position;
		}
		if (!listed) {
			rc = store_turn_insert(srv->store, m.id, m.step,
					       last + 1, who.user_id);
			/* With nobody listed the step held one empty turn. */
			if (!rc && n) {
				if (!strcmp(m.state, "paused"))
					m.paused_left_ms += turn_ms(step);
				else
					m.step_ends_at += turn_ms(step);
				rc = store_meetup_save_run(srv->store, &m);
			}
		}
	}
	if (!rc)
		rc = participants_event(srv, &m);
	if (!rc)
		rc = update_turn(srv, &m, sc, now_ms(srv));
	rc = server_end(srv, rc);
	if (!rc)
		*out = state_json(srv, &m);
	if (!rc && !*out)
		rc = RUCHE_ENOMEM;
out:
	free(t);
	meetup_script_free(sc);
	store_meetup_release(&m);
	return rc;
}

int meetups_leave(struct server *srv, struct actor who, int64_t meetup_id,
		  char *why)
{
	struct store_meetup m;
	struct meetup_script *sc = NULL;
	const struct meetup_step *step;
	enum role r;
	int rc = load(srv, who, meetup_id, &m, &r);

	if (rc)
		return rc;
	sc = script_of(&m);
	rc = server_begin(srv);
	if (rc)
		goto out;
	rc = store_part_leave(srv->store, m.id, who.user_id, now_ms(srv));
	if (rc == RUCHE_ENOTFOUND)
		say(why, "you are not in this meetup");
	step = current(&m, sc);
	/* A leaver who has not spoken yet is taken out of the order. */
	if (!rc && step && step->kind == MEETUP_ROUND &&
	    !store_turn_delete(srv->store, m.id, m.step, who.user_id)) {
		if (!strcmp(m.state, "paused"))
			m.paused_left_ms -= turn_ms(step);
		else
			m.step_ends_at -= turn_ms(step);
		rc = store_meetup_save_run(srv->store, &m);
	}
	if (!rc)
		rc = participants_event(srv, &m);
	rc = server_end(srv, rc);
out:
	meetup_script_free(sc);
	store_meetup_release(&m);
	return rc;
}

/* Loads a live meetup whose current step is `kind`, for a participant. */
static int step_for(struct server *srv, struct actor who, int64_t meetup_id,
		    enum meetup_step_kind kind, struct store_meetup *m,
		    struct meetup_script **sc, char *why)
{
	int64_t *ids = NULL;
	size_t n = 0;
	bool present = false;
	const struct meetup_step *step;
	enum role r;
	int rc = load(srv, who, meetup_id, m, &r);

	if (rc)
		return rc;
	*sc = script_of(m);
	step = current(m, *sc);
	if (!step || step->kind != kind) {
		say(why, kind == MEETUP_POLL ? "no poll is open now" :
			 "feedback is not asked now");
		rc = RUCHE_EINVAL;
	}
	if (!rc)
		rc = store_part_present(srv->store, m->id, &ids, &n);
	for (size_t i = 0; !rc && i < n; i++)
		present |= ids[i] == who.user_id;
	free(ids);
	if (!rc && !present) {
		say(why, "join the meetup first");
		rc = RUCHE_EFORBIDDEN;
	}
	if (rc) {
		meetup_script_free(*sc);
		*sc = NULL;
		store_meetup_release(m);
	}
	return rc;
}

int meetups_answer(struct server *srv, struct actor who, int64_t meetup_id,
		   int step, const json_t *choices, char *why)
{
	struct store_meetup m;
	struct meetup_script *sc;
	const struct meetup_step *s;
	bool seen[MEETUP_OPTIONS_MAX] = { false };
	char *text = NULL;
	size_t i;
	json_t *c;
	int rc = step_for(srv, who, meetup_id, MEETUP_POLL, &m, &sc, why);

	if (rc)
		return rc;
	s = &sc->steps[m.step];
	if (step != m.step) {
		say(why, "that poll is closed");
		rc = RUCHE_EINVAL;
	} else if (!s->poll.multiple && json_array_size(choices) != 1) {
		say(why, "this poll takes one choice");
		rc = RUCHE_EINVAL;
	}
	json_array_foreach(choices, i, c) {
		json_int_t o = json_integer_value(c);

		if (!rc && (!json_is_integer(c) || o < 0 ||
			    o >= s->poll.noptions || seen[o])) {
			say(why, "choices are distinct option indexes");
			rc = RUCHE_EINVAL;
		}
		if (!rc)
			seen[o] = true;
	}
	if (!rc) {
		text = json_dumps(choices, JSON_COMPACT);
		rc = text ? server_begin(srv) : RUCHE_ENOMEM;
	}
	if (!rc) {
		rc = store_answer_set(srv->store, m.id, m.step, who.user_id,
				      text, now_ms(srv));
		if (!rc && s->poll.show_results == MEETUP_SHOW_LIVE)
			rc = show_results(srv, &m, s, m.step, false);
		rc = server_end(srv, rc);
	}
	free(text);
	meetup_script_free(sc);
	store_meetup_release(&m);
	return rc;
}

int meetups_feedback(struct server *srv, struct actor who, int64_t meetup_id,
		     int nps, const char *comment, char *why)
{
	struct store_meetup m;
	struct meetup_script *sc;
	int rc = step_for(srv, who, meetup_id, MEETUP_FEEDBACK, &m, &sc, why);

	if (rc)
		return rc;
	if (nps < 0 || nps > 10) {
		say(why, "nps is 0 to 10");
		rc = RUCHE_EINVAL;
	}
	if (!rc)
		rc = store_feedback_set(srv->store, m.id, who.user_id, nps,
					comment, now_ms(srv));
	meetup_script_free(sc);
	store_meetup_release(&m);
	return rc;
}

int meetups_check_post(struct server *srv, struct actor who,
		       const struct store_channel *ch, enum role role)
{
	struct store_meetup m;
	struct meetup_script *sc;
	const struct meetup_step *step;
	struct store_turn *t = NULL;
	size_t n = 0;
	int64_t idx, speaker = 0;
	int rc = 0;

	if (who.admin || role == ROLE_MENTOR ||
	    store_meetup_by_channel(srv->store, ch->id, &m))
		return 0;
	sc = script_of(&m);
	step = current(&m, sc);
	if (step && step->kind == MEETUP_ROUND && step->round.speaker_only &&
	    !strcmp(m.state, "running") &&
	    !store_turn_list(srv->store, m.id, m.step, &t, &n)) {
		idx = (now_ms(srv) - m.step_started_at) / turn_ms(step);
		if (idx >= 0 && (size_t)idx < n)
			speaker = t[idx].user_id;
		if (speaker != who.user_id) {
			rc = RUCHE_EFORBIDDEN;
			json_decref(srv->err_detail);
			srv->err_detail = speaker ? json_pack(
				"{s:I}", "speaker_id", (json_int_t)speaker) :
				NULL;
		}
	}
	free(t);
	meetup_script_free(sc);
	store_meetup_release(&m);
	return rc;
}
