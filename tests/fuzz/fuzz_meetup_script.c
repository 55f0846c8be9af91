/*
 * fuzz_meetup_script - the meetup script validator, the one parser in
 * Ruche that reads a whole document written by a mentor (meetup.schedule
 * and script.save take it as text).
 *
 * Beyond the sanitizers, it checks the promises of meetup_script.h:
 *  - a script is either valid (a script, no error) or refused (no script,
 *    at least one error), never both or neither;
 *  - every error has a path and a message, and prints as one line;
 *  - a valid script's normalised JSON parses back to a script whose
 *    normalised JSON is the same text (normalising is idempotent), and
 *    its steps add up to total_s within the limits.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ruche/err.h"
#include "ruche/meetup_script.h"
#include "ruche/utf8.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fail(const char *why, const uint8_t *data, size_t size)
{
	fprintf(stderr, "meetup script: %s\ninput: %.*s\n", why,
		(int)(size > 2000 ? 2000 : size), (const char *)data);
	abort();
}

static void check_errors(const struct meetup_errors *errs,
			 const uint8_t *data, size_t size)
{
	char line[512];

	for (int i = 0; i < errs->n; i++) {
		const char *l = meetup_error_line(errs, i, line, sizeof(line));

		if (!errs->v[i].path || !errs->v[i].msg || !errs->v[i].msg[0])
			fail("an error without a path or a message", data,
			     size);
		if (strchr(l, '\n'))
			fail("an error line with a line break", data, size);
		if (!utf8_valid(l, strlen(l)))
			fail("an error line that is not UTF-8", data, size);
	}
}

static void check_script(const struct meetup_script *s, const uint8_t *data,
			 size_t size)
{
	struct meetup_errors errs;
	struct meetup_script *again = NULL;
	char *text, *text2;
	int total = 0;

	if (s->nsteps < 1 || s->nsteps > MEETUP_STEPS_MAX)
		fail("a valid script with a bad number of steps", data, size);
	for (int i = 0; i < s->nsteps; i++)
		total += s->steps[i].duration_s;
	if (total != s->total_s || total > MEETUP_TOTAL_MAX)
		fail("total_s is not the sum of the steps", data, size);

	text = meetup_script_dumps(s);
	if (!text)
		return;		/* out of memory */
	meetup_errors_init(&errs);
	if (meetup_script_parse(text, strlen(text), &again, &errs)) {
		fprintf(stderr, "normalised: %s\n", text);
		fail("the normalised script is refused", data, size);
	}
	text2 = meetup_script_dumps(again);
	if (text2 && strcmp(text, text2) != 0) {
		fprintf(stderr, "once: %s\ntwice: %s\n", text, text2);
		fail("normalising twice changes the script", data, size);
	}
	free(text2);
	meetup_script_free(again);
	meetup_errors_release(&errs);
	free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct meetup_errors errs;
	struct meetup_script *s = NULL;
	int rc;

	meetup_errors_init(&errs);
	rc = meetup_script_parse((const char *)data, size, &s, &errs);
	if (rc == 0) {
		if (!s || errs.n)
			fail("valid, but no script or some errors", data,
			     size);
		check_script(s, data, size);
	} else if (rc == RUCHE_EINVAL) {
		if (s || (errs.n == 0 && !errs.nomem))
			fail("refused, but a script or no error", data, size);
		check_errors(&errs, data, size);
	} else if (rc != RUCHE_ENOMEM) {
		fail("an unexpected return code", data, size);
	}
	meetup_script_free(s);
	meetup_errors_release(&errs);
	return 0;
}
