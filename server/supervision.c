/* supervision.c - the admins' report on hives and mentors. */
#include <stdlib.h>

#include "ruche/err.h"
#include "ruche/server.h"
#include "ruche/store.h"
#include "ruche/supervision.h"

/*
 * json_pack's "o*" leaves a key out when its value could not be made (a
 * store error): a figure must not go missing silently, so the object is
 * dropped unless every key is there.
 */
static json_t *whole(json_t *o, const char *const *keys)
{
	for (; o && *keys; keys++)
		if (!json_object_get(o, *keys)) {
			json_decref(o);
			return NULL;
		}
	return o;
}

int64_t supervision_median(const int64_t *v, size_t n)
{
	if (!n)
		return -1;
	return n % 2 ? v[n / 2] : v[n / 2 - 1] + (v[n / 2] - v[n / 2 - 1]) / 2;
}

/* The median time to resolve, or JSON null when nothing was resolved. */
static json_t *median_json(struct server *srv, int64_t hive_id,
			   int64_t by_id, int64_t from, int64_t to)
{
	int64_t *times, m;
	size_t n;

	if (store_resolve_times(srv->store, hive_id, by_id, from, to, &times,
				&n))
		return NULL;
	m = supervision_median(times, n);
	free(times);
	return m < 0 ? json_null() : json_integer(m);
}

/* Messages per day, one entry for every day of the period. */
static json_t *activity_json(struct server *srv, int64_t hive_id,
			     int64_t from, int64_t to)
{
	struct store_day_count *days;
	size_t n, k = 0;
	json_t *arr;

	if (store_hive_days(srv->store, hive_id, from, to, &days, &n))
		return NULL;
	arr = json_array();
	for (int64_t d = from - from % DAY_MS; arr && d < to; d += DAY_MS) {
		int64_t count = 0;

		if (k < n && days[k].day == d)
			count = days[k++].count;
		json_array_append_new(arr, json_pack("{s:I, s:I}", "day",
						     (json_int_t)d, "messages",
						     (json_int_t)count));
	}
	free(days);
	return arr;
}

/* The share of a over b, or JSON null when b is 0. */
static json_t *ratio(int64_t a, int64_t b)
{
	return b ? json_real((double)a / (double)b) : json_null();
}

/* NPS: promoters (9-10) less detractors (0-6), in % of the answers. */
static json_t *nps_json(const struct store_nps *n)
{
	return n->answers ? json_real(100.0 * (double)(n->promoters -
						       n->detractors) /
				      (double)n->answers) : json_null();
}

/*
 * A mentor's meetups: those they scheduled (the runner speaks in their
 * name, so they led them) that ended in the period, in hive_id or any.
 * Attendance is of the members who said going, the share who came; the
 * no-shows are the others.
 */
static int add_mentor_meetups(struct server *srv, json_t *o, int64_t user_id,
			      int64_t hive_id, int64_t from, int64_t to)
{
	static const char *const keys[] = { "meetups_led",
		"meetup_attendance", "meetup_no_shows", "meetup_no_show_rate",
		"nps", NULL };
	struct store_meetup_stats ms;

	if (store_mentor_meetup_stats(srv->store, user_id, hive_id, from, to,
				      &ms))
		return RUCHE_EIO;
	json_object_set_new(o, "meetups_led", json_integer(ms.held));
	json_object_set_new(o, "meetup_attendance",
			    ratio(ms.attended, ms.going));
	json_object_set_new(o, "meetup_no_shows",
			    json_integer(ms.going - ms.attended));
	json_object_set_new(o, "meetup_no_show_rate",
			    ratio(ms.going - ms.attended, ms.going));
	json_object_set_new(o, "nps", nps_json(&ms.nps));
	for (size_t i = 0; keys[i]; i++)
		if (!json_object_get(o, keys[i]))
			return RUCHE_ENOMEM;
	return 0;
}

static json_t *hive_json(struct server *srv, const struct store_hive *h,
			 int64_t from, int64_t to)
{
	static const char *const keys[] = { "resolve_median_ms", "activity",
					    NULL };
	struct store_hive_stats s;
	struct store_meetup_stats ms;

	if (store_hive_stats(srv->store, h->id, from, to,
			     clock_wall_ms(srv->clock), &s) ||
	    store_meetup_stats(srv->store, h->id, from, to, &ms))
		return NULL;
	/* Attendance: of those who said going, the share who came; the
	 * no-shows are the others. */
	return whole(json_pack("{s:I, s:s, s:b, s:i, s:I, s:I, s:I, s:I, s:I, s:I,"
			 " s:o*, s:I, s:I, s:I, s:o, s:I, s:o, s:o, s:o*}",
			 "hive_id", (json_int_t)h->id, "name", h->name,
			 "archived", h->archived_at != 0,
			 "learners", h->learners,
			 "active_learners", (json_int_t)s.active_learners,
			 "messages", (json_int_t)s.messages,
			 "help_questions", (json_int_t)s.help_questions,
			 "help_unanswered", (json_int_t)s.help_unanswered,
			 "reports_opened", (json_int_t)s.reports_opened,
			 "reports_resolved", (json_int_t)s.reports_resolved,
			 "resolve_median_ms",
			 median_json(srv, h->id, 0, from, to),
			 "mod_actions", (json_int_t)s.mod_actions,
			 "auto_actions", (json_int_t)s.auto_actions,
			 "meetups_held", (json_int_t)ms.held,
			 "meetup_attendance", ratio(ms.attended, ms.going),
			 "meetup_no_shows", (json_int_t)(ms.going -
							  ms.attended),
			 "meetup_no_show_rate",
			 ratio(ms.going - ms.attended, ms.going),
			 "nps", nps_json(&ms.nps),
			 "activity", activity_json(srv, h->id, from, to)),
		     keys);
}

static json_t *mentors_json(struct server *srv, int64_t hive_id,
			    int64_t from, int64_t to)
{
	static const char *const keys[] = { "hive_ids", "resolve_median_ms",
					    NULL };
	struct store_mentor_stats *m;
	json_t *arr;
	size_t n;

	if (store_mentor_stats(srv->store, hive_id, from, to, &m, &n))
		return NULL;
	arr = json_array();
	for (size_t i = 0; arr && i < n; i++) {
		json_t *ids = json_array();

		for (int k = 0; ids && k < m[i].nhives; k++)
			json_array_append_new(ids,
					      json_integer(m[i].hive_ids[k]));
		json_t *o = whole(json_pack(
			"{s:I, s:s, s:o*, s:I, s:I, s:I, s:o*, s:I}",
			"user_id", (json_int_t)m[i].user_id,
			"display_name", m[i].name, "hive_ids", ids,
			"messages", (json_int_t)m[i].messages,
			"help_answers", (json_int_t)m[i].help_answers,
			"reports_resolved", (json_int_t)m[i].reports_resolved,
			"resolve_median_ms",
			median_json(srv, hive_id, m[i].user_id, from, to),
			"mod_actions", (json_int_t)m[i].mod_actions), keys);

		if (o && add_mentor_meetups(srv, o, m[i].user_id, hive_id,
					    from, to)) {
			json_decref(o);
			o = NULL;
		}
		if (!o || json_array_append_new(arr, o)) {
			json_decref(arr);
			arr = NULL;
		}
	}
	free(m);
	return arr;
}

int supervision_report(struct server *srv, struct actor who, int64_t hive_id,
		       int64_t from, int64_t to, json_t **out)
{
	struct store_hive *hives = NULL, one;
	json_t *doc, *arr;
	size_t n = 0;
	int rc;

	if (!who.admin)
		return RUCHE_EFORBIDDEN;
	if (from < 0 || to <= from || to - from > SUPERVISION_MAX_DAYS * DAY_MS)
		return RUCHE_EINVAL;
	if (hive_id) {
		rc = store_hive_get(srv->store, hive_id, &one);
		if (rc)
			return rc;
	} else {
		rc = store_hive_list(srv->store, 0, &hives, &n);
		if (rc)
			return rc;
	}
	arr = json_array();
	for (size_t i = 0; arr && i < (hive_id ? 1 : n); i++) {
		json_t *h = hive_json(srv, hive_id ? &one : &hives[i], from,
				      to);

		if (!h || json_array_append_new(arr, h)) {
			json_decref(arr);
			arr = NULL;
		}
	}
	free(hives);
	doc = json_pack("{s:I, s:I, s:o*, s:o*}", "from", (json_int_t)from,
			"to", (json_int_t)to, "hives", arr,
			"mentors", mentors_json(srv, hive_id, from, to));
	if (!doc || !json_object_get(doc, "hives") ||
	    !json_object_get(doc, "mentors")) {
		json_decref(doc);
		return RUCHE_EIO;
	}
	*out = doc;
	return 0;
}
