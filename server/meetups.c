/* meetups.c - scheduling meetups, RSVPs, the scripts library, reminders. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "ruche/chat.h"
#include "ruche/err.h"
#include "ruche/hives.h"
#include "ruche/log.h"
#include "ruche/meetups.h"
#include "ruche/proto.h"
#include "ruche/schedule.h"
#include "ruche/server.h"
#include "ruche/store.h"

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

/* ---- Who may do what ----------------------------------------------------- */

/* Members read a hive's meetups, admins every hive's; to others the hive
 * does not exist.  *role receives the actor's role. */
static int may_read(struct server *srv, struct actor who, int64_t hive_id,
		    struct store_hive *h, enum role *role)
{
	int rc = store_hive_get(srv->store, hive_id, h);

	if (rc)
		return rc;
	*role = hives_role(srv, hive_id, who.user_id);
	if (*role == ROLE_NONE && !who.admin)
		return RUCHE_ENOTFOUND;
	return 0;
}

/* Mentors of the hive and admins manage its meetups and scripts. */
static int may_manage(struct server *srv, struct actor who, int64_t hive_id,
		      bool change)
{
	struct store_hive h;
	enum role r;
	int rc = may_read(srv, who, hive_id, &h, &r);

	if (!rc && !who.admin && r != ROLE_MENTOR)
		rc = RUCHE_EFORBIDDEN;
	if (!rc && change && h.archived_at)
		rc = RUCHE_EARCHIVED;
	return rc;
}

/* ---- JSON ---------------------------------------------------------------- */

static int script_total_s(const char *text)
{
	json_t *root = json_loads(text, 0, NULL);
	int total = 0;
	size_t i;
	json_t *step;

	json_array_foreach(json_object_get(root, "steps"), i, step)
		total += (int)json_integer_value(json_object_get(step,
								 "duration_s"));
	json_decref(root);
	return total;
}

json_t *meetups_meetup_json(const struct store_meetup *m, bool full)
{
	json_t *o = json_pack("{s:I, s:I, s:s, s:I, s:s, s:i, s:s, s:i, s:i,"
			      " s:{s:I, s:I, s:I}, s:I}",
			      "id", (json_int_t)m->id,
			      "hive_id", (json_int_t)m->hive_id,
			      "title", m->title,
			      "start_at", (json_int_t)m->start_at,
			      "recurrence", m->recurrence,
			      "cap", m->cap,
			      "state", m->state,
			      "step", m->step,
			      "duration_s", script_total_s(m->script),
			      "rsvps", "going", (json_int_t)m->going,
			      "maybe", (json_int_t)m->maybe,
			      "no", (json_int_t)m->no,
			      "created_at", (json_int_t)m->created_at);

	if (o && m->created_by)
		json_object_set_new(o, "created_by",
				    json_integer(m->created_by));
	if (o && m->channel_id)
		json_object_set_new(o, "channel_id",
				    json_integer(m->channel_id));
	/* The step's timer, so that every copy of the meetup (its events
	 * too) counts down right after a pause, a resume or more time. */
	if (o && m->step_ends_at && !strcmp(m->state, "running"))
		json_object_set_new(o, "step_ends_at",
				    json_integer(m->step_ends_at));
	if (o && m->paused_left_ms && !strcmp(m->state, "paused"))
		json_object_set_new(o, "paused_left_ms",
				    json_integer(m->paused_left_ms));
	if (o && full)
		json_object_set_new(o, "script", json_loads(m->script, 0,
							    NULL));
	return o;
}

static json_t *script_json(const struct store_script *s)
{
	json_t *o = json_pack("{s:I, s:I, s:s, s:o, s:I, s:I}",
			      "id", (json_int_t)s->id,
			      "hive_id", (json_int_t)s->hive_id,
			      "title", s->title,
			      "script", json_loads(s->script, 0, NULL),
			      "created_at", (json_int_t)s->created_at,
			      "updated_at", (json_int_t)s->updated_at);

	if (o && s->created_by)
		json_object_set_new(o, "created_by",
				    json_integer(s->created_by));
	return o;
}

/* Adds the caller's answer to a meetup's JSON, when they gave one. */
static void add_my_rsvp(struct server *srv, json_t *o, int64_t meetup_id,
			int64_t user_id)
{
	char answer[16];

	if (user_id && !store_rsvp_get(srv->store, meetup_id, user_id, answer,
				       sizeof(answer)))
		json_object_set_new(o, "my_rsvp", json_string(answer));
}

/* ---- Scripts ------------------------------------------------------------- */

/* Parses text into its normalised JSON text (*norm, free()) and title. */
static int normalise(const char *text, struct meetup_errors *errs,
		     char **norm, char *title, size_t tsize)
{
	struct meetup_script *s = NULL;
	int rc = meetup_script_parse(text, strlen(text), &s, errs);

	if (rc)
		return rc;
	*norm = meetup_script_dumps(s);
	snprintf(title, tsize, "%s", s->title);
	meetup_script_free(s);
	return *norm ? 0 : RUCHE_ENOMEM;
}

/* The script a meetup is scheduled from, normalised. */
static int source_script(struct server *srv, int64_t hive_id,
			 const struct meetup_source *src,
			 struct meetup_errors *errs, char *why, char **norm,
			 char *title, size_t tsize)
{
	int given = !!src->text + !!src->template_id + !!src->script_id;
	const struct meetup_template *t;
	struct store_script s;
	int rc;

	if (given != 1) {
		say(why, "give exactly one of script, template_id and "
			 "script_id");
		return RUCHE_EINVAL;
	}
	if (src->text)
		return normalise(src->text, errs, norm, title, tsize);
	if (src->template_id) {
		t = meetup_template_find(src->template_id);
		if (!t) {
			say(why, "no template has that template_id");
			return RUCHE_ENOTFOUND;
		}
		return normalise(t->json, errs, norm, title, tsize);
	}
	rc = store_script_get(srv->store, src->script_id, &s);
	if (!rc && s.hive_id != hive_id)
		rc = RUCHE_ENOTFOUND;	/* another hive's library */
	if (!rc)
		rc = normalise(s.script, errs, norm, title, tsize);
	store_script_release(&s);
	return rc;
}

int meetups_scripts(struct server *srv, struct actor who, int64_t hive_id,
		    json_t **out)
{
	struct store_script *v = NULL;
	size_t n = 0;
	json_t *arr;
	int rc = may_manage(srv, who, hive_id, false);

	if (!rc)
		rc = store_script_list(srv->store, hive_id, &v, &n);
	if (rc)
		return rc;
	arr = json_array();
	for (size_t i = 0; arr && i < n; i++)
		if (json_array_append_new(arr, script_json(&v[i]))) {
			json_decref(arr);
			arr = NULL;
		}
	for (size_t i = 0; i < n; i++)
		store_script_release(&v[i]);
	free(v);
	*out = arr ? json_pack("{s:o}", "scripts", arr) : NULL;
	return *out ? 0 : RUCHE_ENOMEM;
}

int meetups_script_save(struct server *srv, struct actor who, int64_t hive_id,
			int64_t script_id, const char *text,
			struct meetup_errors *errs, char *why, json_t **out)
{
	struct store_script s = { 0 }, old;
	struct store_script *v = NULL;
	size_t n = 0;
	int rc = may_manage(srv, who, hive_id, true);

	if (rc)
		return rc;
	if (script_id) {
		rc = store_script_get(srv->store, script_id, &old);
		if (!rc && old.hive_id != hive_id)
			rc = RUCHE_ENOTFOUND;
		store_script_release(&old);
	} else {
		rc = store_script_list(srv->store, hive_id, &v, &n);
		for (size_t i = 0; i < n; i++)
			store_script_release(&v[i]);
		free(v);
		if (!rc && n >= MEETUP_SCRIPTS_MAX) {
			say(why, "the hive's library is full (200 scripts)");
			rc = RUCHE_EINVAL;
		}
	}
	if (!rc)
		rc = normalise(text, errs, &s.script, s.title,
			       sizeof(s.title));
	if (rc) {
		free(s.script);
		return rc;
	}
	s.id = script_id;
	s.hive_id = hive_id;
	s.created_by = who.user_id;
	s.created_at = s.updated_at = now_ms(srv);
	rc = script_id ? store_script_update(srv->store, &s) :
			 store_script_insert(srv->store, &s);
	free(s.script);
	if (!rc)
		rc = store_script_get(srv->store, s.id, &old);
	if (rc)
		return rc;
	*out = json_pack("{s:o}", "script", script_json(&old));
	store_script_release(&old);
	return *out ? 0 : RUCHE_ENOMEM;
}

int meetups_script_delete(struct server *srv, struct actor who,
			  int64_t hive_id, int64_t script_id)
{
	struct store_script s;
	int rc = may_manage(srv, who, hive_id, true);

	if (!rc)
		rc = store_script_get(srv->store, script_id, &s);
	if (rc)
		return rc;
	if (s.hive_id != hive_id)
		rc = RUCHE_ENOTFOUND;
	store_script_release(&s);
	return rc ? rc : store_script_delete(srv->store, script_id);
}

json_t *meetups_templates(void)
{
	size_t n;
	const struct meetup_template *t = meetup_templates(&n);
	json_t *arr = json_array();

	for (size_t i = 0; arr && i < n; i++) {
		json_t *script = json_loads(t[i].json, 0, NULL);

		if (json_array_append_new(arr, json_pack(
			"{s:s, s:s, s:o}", "id", t[i].id, "title", t[i].title,
			"script", script ? script : json_null()))) {
			json_decref(arr);
			return NULL;
		}
	}
	return arr ? json_pack("{s:o}", "templates", arr) : NULL;
}

/* ---- Meetups ------------------------------------------------------------- */

static bool valid_recurrence(const char *r)
{
	return !strcmp(r, "none") || !strcmp(r, "weekly") ||
	       !strcmp(r, "fortnightly");
}

int meetups_schedule(struct server *srv, struct actor who, int64_t hive_id,
		     const struct meetup_source *src, int64_t start_at,
		     const char *recurrence, int cap,
		     struct meetup_errors *errs, char *why, json_t **out)
{
	struct store_meetup m = { 0 };
	int64_t now = now_ms(srv);
	int rc = may_manage(srv, who, hive_id, true);

	if (rc)
		return rc;
	if (!recurrence)
		recurrence = "none";
	if (!valid_recurrence(recurrence)) {
		say(why, "recurrence is none, weekly or fortnightly");
		return RUCHE_EINVAL;
	}
	if (start_at <= now || start_at - now > MEETUP_AHEAD_MAX_MS) {
		say(why, "start_at must be in the future, at most a year "
			 "ahead");
		return RUCHE_EINVAL;
	}
	if (cap < 0 || cap > MEETUP_CAP_MAX) {
		say(why, "cap is 0 (none) to 1000");
		return RUCHE_EINVAL;
	}
	rc = source_script(srv, hive_id, src, errs, why, &m.script, m.title,
			   sizeof(m.title));
	if (rc) {
		free(m.script);
		return rc;
	}
	m.hive_id = hive_id;
	m.start_at = start_at;
	snprintf(m.recurrence, sizeof(m.recurrence), "%s", recurrence);
	m.cap = cap;
	snprintf(m.state, sizeof(m.state), "scheduled");
	m.step = -1;
	/* A reminder whose time has already come is not sent: the meetup
	 * has just been announced by meetup.scheduled. */
	if (start_at - now <= MEETUP_REMIND_DAY_MS)
		m.reminded |= 1;
	if (start_at - now <= MEETUP_REMIND_SOON_MS)
		m.reminded |= 2;
	m.created_by = who.user_id;
	m.created_at = now;
	rc = server_begin(srv);
	if (!rc) {
		rc = store_meetup_insert(srv->store, &m);
		if (!rc)
			rc = emit(srv, hive_id, "meetup.scheduled",
				  json_pack("{s:o}", "meetup",
					    meetups_meetup_json(&m, false)));
		rc = server_end(srv, rc);
	}
	if (!rc)
		*out = json_pack("{s:o}", "meetup",
				 meetups_meetup_json(&m, true));
	store_meetup_release(&m);
	if (!rc && !*out)
		rc = RUCHE_ENOMEM;
	return rc;
}

int meetups_list(struct server *srv, struct actor who, int64_t hive_id,
		 bool past, int64_t before, int limit, json_t **out)
{
	struct store_meetup *v = NULL;
	struct store_hive h;
	enum role r;
	size_t n = 0;
	bool more = false;
	json_t *arr;
	int rc = may_read(srv, who, hive_id, &h, &r);

	if (limit <= 0 || limit > MEETUP_PAST_MAX)
		limit = MEETUP_PAST_DEFAULT;
	if (!before)
		before = INT64_MAX;
	/* One more than asked tells whether there is more. */
	if (!rc)
		rc = past ? store_meetup_past(srv->store, hive_id, before,
					      limit + 1, &v, &n) :
			    store_meetup_upcoming(srv->store, hive_id, &v, &n);
	if (rc)
		return rc;
	if (past && n > (size_t)limit) {
		store_meetup_release(&v[--n]);
		more = true;
	}
	arr = json_array();
	for (size_t i = 0; arr && i < n; i++) {
		json_t *o = meetups_meetup_json(&v[i], false);

		if (o)
			add_my_rsvp(srv, o, v[i].id, who.user_id);
		if (json_array_append_new(arr, o)) {
			json_decref(arr);
			arr = NULL;
		}
	}
	store_meetup_list_free(v, n);
	*out = arr ? json_pack("{s:o}", "meetups", arr) : NULL;
	if (*out && past)
		json_object_set_new(*out, "more", json_boolean(more));
	return *out ? 0 : RUCHE_ENOMEM;
}

/* Loads a meetup the actor may see, their role in its hive, and whether
 * the hive is archived (read only). */
static int meetup_for(struct server *srv, struct actor who, int64_t id,
		      struct store_meetup *m, enum role *role, bool *archived)
{
	struct store_hive h;
	int rc = store_meetup_get(srv->store, id, m);

	if (rc)
		return rc;
	rc = may_read(srv, who, m->hive_id, &h, role);
	if (rc)
		store_meetup_release(m);
	else if (archived)
		*archived = h.archived_at != 0;
	return rc;
}

int meetups_get(struct server *srv, struct actor who, int64_t meetup_id,
		json_t **out)
{
	struct store_meetup m;
	enum role r;
	json_t *o;
	int rc = meetup_for(srv, who, meetup_id, &m, &r, NULL);

	if (rc)
		return rc;
	o = meetups_meetup_json(&m, true);
	if (o)
		add_my_rsvp(srv, o, m.id, who.user_id);
	/* Someone who comes in the middle sees where the meetup is. */
	if (o && (!strcmp(m.state, "running") || !strcmp(m.state, "paused")))
		json_object_set_new(o, "live", meetups_live_json(srv, &m,
							       who.user_id));
	store_meetup_release(&m);
	*out = o ? json_pack("{s:o}", "meetup", o) : NULL;
	return *out ? 0 : RUCHE_ENOMEM;
}

/* ---- Results ------------------------------------------------------------- */

/* Who said going, who came, and who said going but never came. */
static json_t *attendance_json(struct server *srv,
			       const struct store_meetup *m)
{
	struct store_part *p = NULL;
	int64_t *going = NULL;
	size_t np = 0, ng = 0, came_going = 0;
	json_t *parts = NULL, *noshow = NULL, *o = NULL;
	/* Until the meetup is over, someone may still come. */
	bool over = !strcmp(m->state, "ended");

	if (store_part_list(srv->store, m->id, &p, &np) ||
	    store_rsvp_users(srv->store, m->id, "going", &going, &ng))
		goto out;
	parts = json_array();
	noshow = json_array();
	for (size_t i = 0; parts && i < np; i++) {
		char answer[16];
		json_t *x = json_pack("{s:I, s:I}", "user_id",
				      (json_int_t)p[i].user_id, "joined_at",
				      (json_int_t)p[i].joined_at);

		if (x && !store_rsvp_get(srv->store, m->id, p[i].user_id,
					 answer, sizeof(answer)))
			json_object_set_new(x, "rsvp", json_string(answer));
		if (x && p[i].left_at)
			json_object_set_new(x, "left_at",
					    json_integer(p[i].left_at));
		json_array_append_new(parts, x);
	}
	for (size_t i = 0; noshow && i < ng; i++) {
		bool came = false;

		for (size_t k = 0; k < np && !came; k++)
			came = p[k].user_id == going[i];
		if (came)
			came_going++;
		else if (over)
			json_array_append_new(noshow, json_integer(going[i]));
	}
	o = json_pack("{s:I, s:I, s:I, s:I, s:o, s:o}",
		      "going", (json_int_t)ng,
		      "came", (json_int_t)np,
		      "came_going", (json_int_t)came_going,
		      "no_shows", (json_int_t)json_array_size(noshow),
		      "participants", parts, "no_show_ids", noshow);
	parts = noshow = NULL;
	if (o)
		json_object_set_new(o, "rate", ng ? json_real(
			(double)came_going / (double)ng) : json_null());
out:
	json_decref(parts);
	json_decref(noshow);
	free(p);
	free(going);
	return o;
}

/* NPS and the spread of scores; comments without their authors, so that
 * learners can say what they think. */
static json_t *feedback_json(struct server *srv, const struct store_meetup *m)
{
	struct store_feedback *f = NULL;
	int64_t scores[11] = { 0 }, sum = 0, pro = 0, det = 0;
	size_t n = 0;
	json_t *o, *spread = json_array(), *comments = json_array();

	if (!spread || !comments ||
	    store_feedback_list(srv->store, m->id, &f, &n)) {
		json_decref(spread);
		json_decref(comments);
		return NULL;
	}
	for (size_t i = 0; i < n; i++) {
		scores[f[i].nps]++;
		sum += f[i].nps;
		pro += f[i].nps >= 9;
		det += f[i].nps <= 6;
		if (f[i].comment[0])
			json_array_append_new(comments,
					      json_string(f[i].comment));
	}
	for (int i = 0; i <= 10; i++)
		json_array_append_new(spread, json_integer(scores[i]));
	o = json_pack("{s:I, s:I, s:I, s:I, s:o, s:o}",
		      "answers", (json_int_t)n, "promoters", (json_int_t)pro,
		      "passives", (json_int_t)(n - pro - det),
		      "detractors", (json_int_t)det,
		      "scores", spread, "comments", comments);
	if (o) {
		json_object_set_new(o, "nps", n ? json_real(
			100.0 * (double)(pro - det) / (double)n) :
			json_null());
		json_object_set_new(o, "average", n ? json_real(
			(double)sum / (double)n) : json_null());
	}
	store_feedback_list_free(f, n);
	return o;
}

int meetups_results(struct server *srv, struct actor who, int64_t meetup_id,
		    json_t **out)
{
	struct store_meetup m;
	enum role r;
	int rc = meetup_for(srv, who, meetup_id, &m, &r, NULL);

	if (rc)
		return rc;
	if (!who.admin && r != ROLE_MENTOR)
		rc = RUCHE_EFORBIDDEN;
	if (!rc) {
		*out = json_pack("{s:o*, s:o*, s:o*, s:o*}",
				 "meetup", meetups_meetup_json(&m, false),
				 "attendance", attendance_json(srv, &m),
				 "polls", meetups_polls_json(srv, &m),
				 "feedback", feedback_json(srv, &m));
		/* A figure must not go missing silently. */
		if (*out && json_object_size(*out) != 4) {
			json_decref(*out);
			*out = NULL;
		}
		rc = *out ? 0 : RUCHE_ENOMEM;
	}
	store_meetup_release(&m);
	return rc;
}

int meetups_cancel(struct server *srv, struct actor who, int64_t meetup_id,
		   char *why)
{
	struct store_meetup m;
	enum role r;
	int rc = meetup_for(srv, who, meetup_id, &m, &r, NULL);

	if (rc)
		return rc;
	rc = may_manage(srv, who, m.hive_id, true);
	if (!rc && strcmp(m.state, "scheduled") != 0) {
		say(why, "only a meetup that has not started can be "
			 "cancelled");
		rc = RUCHE_EINVAL;
	}
	if (!rc)
		rc = server_begin(srv);
	if (!rc) {
		rc = store_meetup_set_state(srv->store, m.id, "cancelled",
					    now_ms(srv));
		snprintf(m.state, sizeof(m.state), "cancelled");
		if (!rc)
			rc = emit(srv, m.hive_id, "meetup.updated",
				  json_pack("{s:o}", "meetup",
					    meetups_meetup_json(&m, false)));
		rc = server_end(srv, rc);
	}
	store_meetup_release(&m);
	return rc;
}

int meetups_rsvp(struct server *srv, struct actor who, int64_t meetup_id,
		 const char *answer, char *why, json_t **out)
{
	struct store_meetup m;
	char before[16] = "";
	bool archived = false;
	enum role r;
	int rc;

	if (strcmp(answer, "going") && strcmp(answer, "maybe") &&
	    strcmp(answer, "no")) {
		say(why, "answer is going, maybe or no");
		return RUCHE_EINVAL;
	}
	rc = meetup_for(srv, who, meetup_id, &m, &r, &archived);
	if (rc)
		return rc;
	if (archived) {
		rc = RUCHE_EARCHIVED;
	} else if (r == ROLE_NONE) {
		rc = RUCHE_ENOT_MEMBER;	/* an admin outside the hive */
	} else if (strcmp(m.state, "scheduled") &&
		   strcmp(m.state, "running") && strcmp(m.state, "paused")) {
		say(why, "this meetup is over");
		rc = RUCHE_EINVAL;
	}
	store_rsvp_get(srv->store, m.id, who.user_id, before, sizeof(before));
	if (!rc && m.cap && !strcmp(answer, "going") &&
	    strcmp(before, "going") && m.going >= m.cap) {
		say(why, "the meetup is full: as many people as its cap "
			 "said going");
		rc = RUCHE_EFORBIDDEN;
	}
	if (!rc)
		rc = server_begin(srv);
	if (!rc) {
		rc = store_rsvp_set(srv->store, m.id, who.user_id, answer,
				    now_ms(srv));
		store_meetup_release(&m);
		if (!rc)
			rc = store_meetup_get(srv->store, meetup_id, &m);
		if (!rc)
			rc = emit(srv, m.hive_id, "meetup.rsvp",
				  json_pack("{s:I, s:I, s:{s:I, s:I, s:I}}",
					    "meetup_id", (json_int_t)m.id,
					    "hive_id", (json_int_t)m.hive_id,
					    "rsvps",
					    "going", (json_int_t)m.going,
					    "maybe", (json_int_t)m.maybe,
					    "no", (json_int_t)m.no));
		rc = server_end(srv, rc);
	}
	if (!rc) {
		*out = json_pack("{s:I, s:s, s:{s:I, s:I, s:I}}",
				 "meetup_id", (json_int_t)m.id,
				 "answer", answer, "rsvps",
				 "going", (json_int_t)m.going,
				 "maybe", (json_int_t)m.maybe,
				 "no", (json_int_t)m.no);
		if (!*out)
			rc = RUCHE_ENOMEM;
	}
	store_meetup_release(&m);
	return rc;
}

/* ---- Reminders ----------------------------------------------------------- */

/* The hive's meetups channel (the announcement channel that
 * chat_create_defaults() makes), or 0. */
static int64_t meetups_channel(struct server *srv, int64_t hive_id)
{
	struct store_channel *v = NULL;
	size_t n = 0;
	int64_t id = 0;

	if (store_channel_list(srv->store, hive_id, &v, &n))
		return 0;
	for (size_t i = 0; i < n && !id; i++)
		if (!strcasecmp(v[i].name, "meetups") && !v[i].archived_at)
			id = v[i].id;
	free(v);
	return id;
}

int meetups_post(struct server *srv, const struct store_meetup *m,
		 int64_t channel_id, const char *text, const char *nonce)
{
	struct store_user u;
	struct actor who;
	json_t *out = NULL;
	int rc;

	if (!channel_id || !m->created_by ||
	    store_user_get(srv->store, m->created_by, &u) || u.deleted)
		return RUCHE_ENOTFOUND;
	who = (struct actor){ .user_id = u.id, .admin = u.is_admin };
	rc = chat_send(srv, who, channel_id, text, 0, 0, nonce, &out);
	json_decref(out);
	if (rc)
		log_info("meetup %lld: message not posted: %s",
			 (long long)m->id, ruche_strerror(rc));
	return rc;
}

/* Posts the reminder in the hive's meetups channel. */
static void remind_post(struct server *srv, const struct store_meetup *m,
			int bit)
{
	char text[600], when[32], nonce[48];
	time_t t = (time_t)(m->start_at / 1000);
	struct tm tm;
	int64_t ch = meetups_channel(srv, m->hive_id);

	gmtime_r(&t, &tm);
	strftime(when, sizeof(when), "%Y-%m-%d %H:%M UTC", &tm);
	snprintf(text, sizeof(text), "Reminder: the meetup \"%s\" starts in "
		 "%s (%s).", m->title,
		 bit == 1 ? "24 hours" : "15 minutes", when);
	/* The nonce makes the post happen once, whatever happens after. */
	snprintf(nonce, sizeof(nonce), "meetup-%lld-reminder-%d",
		 (long long)m->id, bit);
	meetups_post(srv, m, ch, text, nonce);
}

/* Sends one reminder (bit 1: a day before, 2: 15 minutes before). */
static void remind(struct server *srv, const struct store_meetup *m, int bit)
{
	int64_t *going = NULL;
	size_t n = 0;

	remind_post(srv, m, bit);
	/* Stored for each of them: someone offline now gets it when they
	 * resume. */
	if (!store_rsvp_users(srv->store, m->id, "going", &going, &n))
		for (size_t i = 0; i < n; i++)
			schedule_emit_user(srv, going[i], "meetup.reminder",
				json_pack("{s:I, s:I, s:s, s:I, s:i}",
					  "meetup_id", (json_int_t)m->id,
					  "hive_id", (json_int_t)m->hive_id,
					  "title", m->title,
					  "start_at", (json_int_t)m->start_at,
					  "minutes_before",
					  bit == 1 ? 24 * 60 : 15));
	free(going);
	/* The 15-minute reminder makes the day's pointless if still due. */
	store_meetup_set_reminded(srv->store, m->id,
				  m->reminded | bit | (bit == 2 ? 1 : 0));
}

#define REMIND_BATCH 50

void meetups_housekeeping(struct server *srv)
{
	struct store_meetup *soon = NULL, *day = NULL;
	size_t nsoon = 0, nday = 0;
	int64_t now;

	if (!srv->store)
		return;
	now = now_ms(srv);
	/* Read first: most passes have nothing to do and write nothing. */
	store_meetup_remind_due(srv->store, now, MEETUP_REMIND_SOON_MS, 2,
				REMIND_BATCH, &soon, &nsoon);
	store_meetup_remind_due(srv->store, now, MEETUP_REMIND_DAY_MS, 1,
				REMIND_BATCH, &day, &nday);
	if (server_turn_begin(srv))
		goto out;
	if (nsoon || nday) {
		for (size_t i = 0; i < nsoon; i++)
			remind(srv, &soon[i], 2);
		for (size_t i = 0; i < nday; i++) {
			bool done = false;

			for (size_t j = 0; j < nsoon && !done; j++)
				done = soon[j].id == day[i].id;
			if (!done)
				remind(srv, &day[i], 1);
		}
	}
	meetups_tick(srv);
	/* Events go out once committed, like a request's. */
	server_flush(srv);
out:
	store_meetup_list_free(soon, nsoon);
	store_meetup_list_free(day, nday);
}
