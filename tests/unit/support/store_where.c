/*
 * store_where.c - where a unit test's store is (store_where.h).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include <libpq-fe.h>

#include "store_where.h"

bool test_store_is_pg(void)
{
	const char *pg = getenv("RUCHE_TEST_PG");

	return pg && *pg;
}

void test_store_where(const char *dir, const char *file, char *out,
		      size_t len)
{
	static unsigned count;
	const char *base = getenv("RUCHE_TEST_PG");
	char schema[64], sql[256];
	PGconn *c;
	PGresult *r;

	if (!test_store_is_pg()) {
		snprintf(out, len, "%s/%s", dir, file);
		return;
	}
	snprintf(schema, sizeof(schema), "t%ld_%u", (long)getpid(), ++count);
	c = PQconnectdb(base);
	if (PQstatus(c) != CONNECTION_OK)
		fail_msg("cannot reach %s: %s", base, PQerrorMessage(c));
	snprintf(sql, sizeof(sql), "SET client_min_messages = warning; "
		 "DROP SCHEMA IF EXISTS %s CASCADE; "
		 "CREATE SCHEMA %s", schema, schema);
	r = PQexec(c, sql);
	if (PQresultStatus(r) != PGRES_COMMAND_OK)
		fail_msg("cannot make schema %s: %s", schema,
			 PQresultErrorMessage(r));
	PQclear(r);
	PQfinish(c);
	/* The store's connection works in that schema only. */
	snprintf(out, len, "%s%coptions=-csearch_path%%3D%s", base,
		 strchr(base, '?') ? '&' : '?', schema);
}

void test_store_pg_drop(const char *app)
{
	const char *params[1] = { app };
	PGconn *c = PQconnectdb(getenv("RUCHE_TEST_PG"));
	PGresult *r;
	int left = 1;

	if (PQstatus(c) != CONNECTION_OK)
		fail_msg("cannot reach PostgreSQL: %s", PQerrorMessage(c));
	r = PQexecParams(c, "SELECT pg_terminate_backend(pid) FROM "
			 "pg_stat_activity WHERE application_name = $1", 1,
			 NULL, params, NULL, NULL, 0);
	if (PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) < 1)
		fail_msg("no session named %s to end", app);
	PQclear(r);
	for (int i = 0; i < 100 && left; i++) {
		r = PQexecParams(c, "SELECT count(*) FROM pg_stat_activity "
				 "WHERE application_name = $1", 1, NULL, params,
				 NULL, NULL, 0);
		left = atoi(PQgetvalue(r, 0, 0));
		PQclear(r);
		if (left)
			usleep(20000);
	}
	PQfinish(c);
	if (left)
		fail_msg("the sessions named %s did not end", app);
}
