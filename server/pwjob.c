/* pwjob.c - password checks and hashes on the worker threads. */
#include <string.h>
#include <openssl/crypto.h>

#include "ruche/jobs.h"
#include "ruche/pwjob.h"
#include "ruche/server.h"

static void pwjob_work(void *arg)
{
	struct pwjob *job = arg;

	job->rc = 0;
	job->verified = false;
	if (job->verify)
		job->verified = auth_verify_password(
			job->password, job->stored[0] ? job->stored : NULL);
	if (job->hash && (!job->verify || job->verified))
		job->rc = auth_hash_password(job->new_password, job->new_hash);
	OPENSSL_cleanse(job->password, sizeof(job->password));
	OPENSSL_cleanse(job->new_password, sizeof(job->new_password));
}

static void pwjob_done(void *arg)
{
	struct pwjob *job = arg;

	job->done(job);
}

int pwjob_start(struct pwjob *job)
{
	if (!job->srv->jobs) {
		pwjob_work(job);
		pwjob_done(job);
		return 0;
	}
	return jobs_submit(job->srv->jobs, pwjob_work, pwjob_done, job);
}
