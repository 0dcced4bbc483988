/* brig audit: `brig probe --network` inside a job built from each profile,
 * plus what only the supervisor's side can see (the job's cgroup while it
 * runs; what is left after it), side by side. The probe is this very
 * binary, bound read-only into the job. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <json-c/json.h>
#include <net/if.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "brig/probe/audit.h"
#include "brig/net/firewall.h"
#include "brig/lib/exit.h"
#include "brig/lib/log.h"
#include "brig/probe/probe.h"
#include "brig/lib/util.h"

#define JOB_PROBE "/opt/brig-probe"
#define STATUS_FD 3

struct audit_profile {
	const char *name;
	int status; /* brig run's exit status */
	struct probe_report *r;
	size_t n;
	struct audit_job job;
};

/* ---- outside-in checks: one row per thing that must not outlive a job -- */

static void after_process(const struct audit_job *job, struct probe_report *r)
{
	_cleanup_(closedirp) DIR *d = opendir("/proc");
	struct dirent *e;
	while (d && (e = readdir(d))) {
		char path[300];
		struct stat st;
		if (e->d_name[0] < '0' || e->d_name[0] > '9')
			continue;
		snprintf(path, sizeof path, "/proc/%s/ns/pid", e->d_name);
		if (job->pidns && stat(path, &st) == 0 && st.st_ino == job->pidns) {
			probe_set(r, PROBE_EXPOSED, "pid %s is still in the job's PID namespace", e->d_name);
			return;
		}
	}
	probe_set(r, PROBE_BLOCKED, "no process left in the job's PID namespace");
}

static void after_mount(const struct audit_job *job, struct probe_report *r)
{
	_cleanup_(fclosep) FILE *f = fopen("/proc/self/mountinfo", "re");
	char line[4096];
	while (f && fgets(line, sizeof line, f))
		if (strstr(line, job->id)) {
			line[strcspn(line, "\n")] = 0;
			probe_set(r, PROBE_EXPOSED, "mount left: %.150s", line);
			return;
		}
	probe_set(r, PROBE_BLOCKED, "no mount naming job %s", job->id);
}

static void after_cgroup(const struct audit_job *job, struct probe_report *r)
{
	struct stat st;
	if (!job->cgroup[0])
		probe_set(r, PROBE_BLOCKED, "the job had no cgroup v2 directory of its own");
	else if (stat(job->cgroup, &st) == 0)
		probe_set(r, PROBE_EXPOSED, "%s still exists", job->cgroup);
	else
		probe_set(r, PROBE_BLOCKED, "%s removed", job->cgroup);
}

/* Host-side veth ends are named brig-<start of the job id>. */
static bool link_left(const struct audit_job *job, char *name, size_t len)
{
	_cleanup_(closedirp) DIR *d = opendir("/sys/class/net");
	struct dirent *e;
	while (d && (e = readdir(d))) {
		const char *rest = e->d_name + 5;
		if (strncmp(e->d_name, "brig-", 5) == 0 && strlen(rest) >= 4 && strncmp(job->id, rest, strlen(rest)) == 0) {
			snprintf(name, len, "%s", e->d_name);
			return true;
		}
	}
	return false;
}

/* The kernel dismantles a dead network namespace, and the veth in it,
 * asynchronously: a link still there a moment after the job is not left
 * behind. Two seconds is far more than that takes. */
static void after_link(const struct audit_job *job, struct probe_report *r)
{
	char name[300] = "";
	for (int i = 0; i < 200 && link_left(job, name, sizeof name); i++)
		usleep(10 * 1000);
	if (link_left(job, name, sizeof name))
		probe_set(r, PROBE_EXPOSED, "link %s left", name);
	else
		probe_set(r, PROBE_BLOCKED, "no brig-* link of this job");
}

static void after_firewall(const struct audit_job *job, struct probe_report *r)
{
	char **ids = NULL;
	size_t n = 0;
	int e = firewall_list_jobs(&ids, &n);
	if (e < 0) {
		probe_set(r, PROBE_NA, "cannot read table inet %s: %s", FIREWALL_TABLE, strerror(-e));
		return;
	}
	bool left = false;
	for (size_t i = 0; i < n; i++) {
		left = left || strcmp(ids[i], job->id) == 0;
		free(ids[i]);
	}
	free(ids);
	if (left)
		probe_set(r, PROBE_EXPOSED, "chains or counters of job %s left in table inet %s", job->id, FIREWALL_TABLE);
	else
		probe_set(r, PROBE_BLOCKED, "no state of this job in table inet %s", FIREWALL_TABLE);
}

static void during_limits(const struct audit_job *job, struct probe_report *r)
{
	if (job->limits[0])
		probe_set(r, PROBE_BLOCKED, "%s", job->limits);
	else
		probe_set(r, PROBE_EXPOSED, "no memory or pids limit on the job's cgroup as the host sees it");
}

/* Checks made from the host after the job ended (and one while it ran).
 * A new kind of per-job host state gets its row here. */
const struct audit_outside_check audit_outside_checks[] = {
	{ "outside.cgroup-limits", PROBE_MEDIUM, during_limits },
	{ "outside.no-process-left", PROBE_HIGH, after_process },
	{ "outside.no-mount-left", PROBE_HIGH, after_mount },
	{ "outside.no-cgroup-left", PROBE_HIGH, after_cgroup },
	{ "outside.no-link-left", PROBE_HIGH, after_link },
	{ "outside.no-firewall-rule-left", PROBE_HIGH, after_firewall },
};
const size_t audit_outside_count = ARRAY_SIZE(audit_outside_checks);

static void json_putp(json_object **o)
{
	if (*o)
		json_object_put(*o);
}

/* ---- running one profile ------------------------------------------------ */

static int find_cgroup2(char *out, size_t len)
{
	_cleanup_(fclosep) FILE *f = fopen("/proc/self/mountinfo", "re");
	char line[4096];
	while (f && fgets(line, sizeof line, f)) {
		char mnt[256], fstype[64];
		const char *sep = strstr(line, " - ");
		if (sep && sscanf(line, "%*s %*s %*s %*s %255s", mnt) == 1 && sscanf(sep + 3, "%63s", fstype) == 1 &&
		    strcmp(fstype, "cgroup2") == 0) {
			snprintf(out, len, "%s", mnt);
			return 0;
		}
	}
	return -ENOENT;
}

static void read_value(const char *dir, const char *file, char *out, size_t len)
{
	char path[PATH_MAX + 32];
	snprintf(path, sizeof path, "%s/%s", dir, file);
	out[0] = 0;
	FILE *f = fopen(path, "re");
	if (!f)
		return;
	if (fgets(out, (int)len, f))
		out[strcspn(out, "\n")] = 0;
	fclose(f);
}

/* At the "started" event: where the job is, as the host sees it. */
static void job_started(struct audit_job *job, const char *line)
{
	_cleanup_(json_putp) json_object *o = json_tokener_parse(line);
	json_object *v;
	if (!o || !json_object_object_get_ex(o, "event", &v) || strcmp(json_object_get_string(v), "started") != 0)
		return;
	if (json_object_object_get_ex(o, "id", &v))
		snprintf(job->id, sizeof job->id, "%s", json_object_get_string(v));
	if (json_object_object_get_ex(o, "pid", &v))
		job->pid = json_object_get_int(v);
	job->started = true;
	char path[64];
	struct stat st;
	snprintf(path, sizeof path, "/proc/%d/ns/pid", job->pid);
	if (stat(path, &st) == 0)
		job->pidns = st.st_ino;
	char root[256];
	snprintf(path, sizeof path, "/proc/%d/cgroup", job->pid);
	_cleanup_(fclosep) FILE *f = fopen(path, "re");
	char cg[1024];
	while (f && fgets(cg, sizeof cg, f))
		if (strncmp(cg, "0::", 3) == 0 && find_cgroup2(root, sizeof root) == 0) {
			cg[strcspn(cg, "\n")] = 0;
			if ((size_t)snprintf(job->cgroup, sizeof job->cgroup, "%s%s", root, cg + 3) >= sizeof job->cgroup)
				job->cgroup[0] = 0;
		}
	if (!job->cgroup[0] || !strstr(job->cgroup, job->id)) {
		job->cgroup[0] = 0;
		return;
	}
	char mem[64], pids[64];
	read_value(job->cgroup, "memory.max", mem, sizeof mem);
	read_value(job->cgroup, "pids.max", pids, sizeof pids);
	bool m = mem[0] && strcmp(mem, "max") != 0, p = pids[0] && strcmp(pids, "max") != 0;
	if (m || p)
		snprintf(job->limits, sizeof job->limits, "memory.max %s, pids.max %s", mem[0] ? mem : "-",
			 pids[0] ? pids : "-");
}

static const char *str_field(json_object *o, const char *key)
{
	json_object *v;
	return json_object_object_get_ex(o, key, &v) ? json_object_get_string(v) : "";
}

/* The probe's JSON document plus the outside rows. */
static int collect(struct audit_profile *p, const char *json)
{
	_cleanup_(json_putp) json_object *o = json_tokener_parse(json);
	json_object *checks;
	if (!o || !json_object_object_get_ex(o, "checks", &checks) || !json_object_is_type(checks, json_type_array))
		return -EBADMSG;
	size_t n = json_object_array_length(checks);
	p->r = calloc(n + audit_outside_count, sizeof *p->r);
	if (!p->r)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		json_object *c = json_object_array_get_idx(checks, i);
		struct probe_report *r = &p->r[p->n++];
		r->id = strdup(str_field(c, "id"));
		r->category = strdup(str_field(c, "category"));
		int sev = probe_severity_of(str_field(c, "severity")), res = probe_result_of(str_field(c, "result"));
		r->severity = sev < 0 ? PROBE_LOW : (enum probe_severity)sev;
		probe_set(r, res < 0 ? PROBE_NA : (enum probe_result)res, "%s", str_field(c, "evidence"));
		if (strcmp(str_field(c, "depth"), "filter") == 0)
			r->depth = PROBE_DEPTH_FILTER;
		if (!r->id || !r->category)
			return -ENOMEM;
	}
	for (size_t i = 0; i < audit_outside_count; i++) {
		struct probe_report *r = &p->r[p->n++];
		r->id = strdup(audit_outside_checks[i].id);
		r->category = strdup("outside");
		if (!r->id || !r->category)
			return -ENOMEM;
		r->severity = audit_outside_checks[i].severity;
		if (p->job.started)
			audit_outside_checks[i].fn(&p->job, r);
		else
			probe_set(r, PROBE_NA, "no started event from the job");
	}
	return 0;
}

static void close_pipe(int (*p)[2])
{
	for (int i = 0; i < 2; i++)
		if ((*p)[i] >= 0)
			close((*p)[i]);
}
#define _cleanup_pipe_ _cleanup_(close_pipe)

/* Reads the job's stdout, status and stderr until all three end, looking
 * at the job from the host as soon as it says it started. */
static int drain(struct audit_profile *p, int out, int st, int err, char **obuf, char **ebuf)
{
	char *sbuf = NULL;
	size_t olen = 0, slen = 0, elen = 0;
	_cleanup_(fclosep) FILE *ofile = open_memstream(obuf, &olen);
	_cleanup_(fclosep) FILE *sfile = open_memstream(&sbuf, &slen);
	_cleanup_(fclosep) FILE *efile = open_memstream(ebuf, &elen);
	int r = 0;
	if (!ofile || !sfile || !efile) {
		r = -ENOMEM;
		goto out;
	}
	struct pollfd fds[3] = { { .fd = out, .events = POLLIN },
				 { .fd = st, .events = POLLIN },
				 { .fd = err, .events = POLLIN } };
	FILE *sinks[3] = { ofile, sfile, efile };
	size_t seen = 0; /* status bytes already looked at for whole lines */
	size_t open_fds = 3;
	while (open_fds) {
		if (poll(fds, 3, -1) < 0) {
			if (errno == EINTR)
				continue;
			r = -errno;
			break;
		}
		for (int i = 0; i < 3; i++) {
			if (fds[i].fd < 0 || !fds[i].revents)
				continue;
			char buf[4096];
			ssize_t got = read(fds[i].fd, buf, sizeof buf);
			if (got <= 0) {
				/* The descriptor stays the caller's to close. */
				fds[i].fd = -1;
				open_fds--;
				continue;
			}
			fwrite(buf, 1, (size_t)got, sinks[i]);
		}
		fflush(sfile);
		char *nl;
		while (sbuf && !p->job.started && (nl = memchr(sbuf + seen, '\n', slen - seen))) {
			*nl = 0;
			job_started(&p->job, sbuf + seen);
			*nl = '\n';
			seen = (size_t)(nl - sbuf) + 1;
		}
	}
out:
	/* Closing a memory stream sets its buffer for good. */
	if (ofile)
		fclose(TAKE_PTR(ofile));
	if (efile)
		fclose(TAKE_PTR(efile));
	if (sfile)
		fclose(TAKE_PTR(sfile));
	free(sbuf);
	return r;
}

static int run_profile(const char *self, struct audit_profile *p)
{
	_cleanup_pipe_ int out[2] = { -1, -1 }, st[2] = { -1, -1 }, err[2] = { -1, -1 };
	if (pipe2(out, O_CLOEXEC) < 0 || pipe2(st, O_CLOEXEC) < 0 || pipe2(err, O_CLOEXEC) < 0)
		return -errno;
	_cleanup_free_ char *bind = NULL;
	if (asprintf(&bind, "%s:%s", self, JOB_PROBE) < 0)
		return -ENOMEM;
	char fdnum[8];
	snprintf(fdnum, sizeof fdnum, "%d", STATUS_FD);
	const char *argv[] = { self,	    "run",   "--profile", p->name,	"--status-fd", fdnum,	  "--quiet",
			       "--ro-bind", bind,    "--",	  JOB_PROBE,	"probe",       "--json", "--network",
			       NULL };
	fflush(NULL);
	pid_t pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		/* dup2 clears close-on-exec on the copies. */
		if (dup2(out[1], STDOUT_FILENO) < 0 || dup2(err[1], STDERR_FILENO) < 0 || dup2(st[1], STATUS_FD) < 0)
			_exit(EXIT_BRIG);
		execv(self, (char **)argv);
		_exit(EXIT_BRIG);
	}
	/* Only the job holds the write ends now: their end is the job's end. */
	close(TAKE_FD(out[1]));
	close(TAKE_FD(st[1]));
	close(TAKE_FD(err[1]));
	_cleanup_free_ char *obuf = NULL, *ebuf = NULL;
	int r = drain(p, out[0], st[0], err[0], &obuf, &ebuf);
	int ws = 0;
	while (waitpid(pid, &ws, 0) < 0 && errno == EINTR)
		;
	p->status = exit_code_of(ws);
	if (r == 0)
		r = p->status <= 1 && obuf ? collect(p, obuf) : -ECHILD;
	if (r < 0 && ebuf)
		fputs(ebuf, stderr);
	return r;
}

/* `brig profile check P`, its findings on stderr: every profile is checked
 * before any job starts. */
static int check_profile(const char *self, const char *name)
{
	fflush(NULL);
	pid_t pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		if (dup2(STDERR_FILENO, STDOUT_FILENO) < 0)
			_exit(EXIT_BRIG);
		execl(self, self, "profile", "check", name, (char *)NULL);
		_exit(EXIT_BRIG);
	}
	int ws = 0;
	while (waitpid(pid, &ws, 0) < 0 && errno == EINTR)
		;
	return WIFEXITED(ws) && WEXITSTATUS(ws) == 0 ? 0 : -EINVAL;
}

/* ---- output -------------------------------------------------------------- */

static const struct probe_report *find(const struct audit_profile *p, const char *id)
{
	for (size_t i = 0; i < p->n; i++)
		if (strcmp(p->r[i].id, id) == 0)
			return &p->r[i];
	return NULL;
}

static int width(const struct audit_profile *p)
{
	size_t w = strlen(p->name);
	return w < 14 ? 14 : (int)w;
}

static void print_table(const struct audit_profile *ps, size_t np)
{
	printf("%-37s", "check / severity");
	for (size_t k = 0; k < np; k++)
		printf(" %-*s", width(&ps[k]), ps[k].name);
	printf("\n");
	const char *cat = NULL;
	for (size_t i = 0; i < ps[0].n; i++) {
		const struct probe_report *r0 = &ps[0].r[i];
		if (!cat || strcmp(cat, r0->category) != 0) {
			cat = r0->category;
			printf("%s\n", cat);
		}
		printf("  %-28s %-6s", r0->id, probe_severity_name(r0->severity));
		for (size_t k = 0; k < np; k++) {
			const struct probe_report *r = find(&ps[k], r0->id);
			printf(" %-*s", width(&ps[k]),
			       !r				    ? "-" :
			       r->result != PROBE_EXPOSED	    ? probe_result_name(r->result) :
			       r->depth == PROBE_DEPTH_FILTER ? "EXPOSED filter" :
								    "EXPOSED");
		}
		printf("\n");
	}
	printf("\n%-37s", "high-severity blocked");
	for (size_t k = 0; k < np; k++) {
		struct probe_score s;
		char b[32];
		probe_score(ps[k].r, ps[k].n, &s);
		snprintf(b, sizeof b, "%zu/%zu", s.high_blocked, s.high_total);
		printf(" %-*s", width(&ps[k]), b);
	}
	printf("\n%-37s", "exposure (0 best, 10 worst)");
	for (size_t k = 0; k < np; k++) {
		struct probe_score s;
		probe_score(ps[k].r, ps[k].n, &s);
		printf(" %-*.1f", width(&ps[k]), s.exposure);
	}
	printf("\n");
}

static void print_json(const struct audit_profile *ps, size_t np)
{
	json_object *root = json_object_new_object(), *arr = json_object_new_array();
	for (size_t k = 0; k < np; k++) {
		json_object *po = json_object_new_object(), *checks = json_object_new_array();
		json_object_object_add(po, "profile", json_object_new_string(ps[k].name));
		json_object_object_add(po, "job", json_object_new_string(ps[k].job.id));
		for (size_t i = 0; i < ps[k].n; i++) {
			const struct probe_report *r = &ps[k].r[i];
			json_object *o = json_object_new_object();
			json_object_object_add(o, "id", json_object_new_string(r->id));
			json_object_object_add(o, "category", json_object_new_string(r->category));
			json_object_object_add(o, "severity", json_object_new_string(probe_severity_name(r->severity)));
			json_object_object_add(o, "result", json_object_new_string(probe_result_name(r->result)));
			json_object_object_add(o, "depth", json_object_new_string(probe_depth_name(r->depth)));
			json_object_object_add(o, "evidence", json_object_new_string(r->evidence));
			json_object_array_add(checks, o);
		}
		struct probe_score s;
		probe_score(ps[k].r, ps[k].n, &s);
		json_object *sum = json_object_new_object();
		json_object_object_add(sum, "high_blocked", json_object_new_int64((int64_t)s.high_blocked));
		json_object_object_add(sum, "high_total", json_object_new_int64((int64_t)s.high_total));
		json_object_object_add(sum, "high_exposed", json_object_new_int64((int64_t)s.high_exposed));
		json_object_object_add(sum, "exposed", json_object_new_int64((int64_t)s.exposed));
		json_object_object_add(sum, "exposure", json_object_new_double(((int)(s.exposure * 10 + 0.5)) / 10.0));
		json_object_object_add(po, "checks", checks);
		json_object_object_add(po, "summary", sum);
		json_object_array_add(arr, po);
	}
	json_object_object_add(root, "profiles", arr);
	puts(json_object_to_json_string_ext(root, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(root);
}

static void audit_usage(FILE *f)
{
	fprintf(f, "Usage: brig audit [--profile NAME|PATH]... [--json]\n"
		   "Run `brig probe --network` in a job built from each profile (default: the\n"
		   "default profile), add what the host sees of the job, and compare.\n\n"
		   "  -p, --profile P   a profile to audit; repeat to compare several\n"
		   "  --json            one JSON document instead of the table\n"
		   "  -h, --help        show this help\n\n"
		   "Exit status: 0 when no profile exposes a high-severity check, 1 when one\n"
		   "does, 125 when a job could not be run.\n");
}

int audit_cmd(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "profile", required_argument, NULL, 'p' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	_cleanup_free_ struct audit_profile *ps = calloc((size_t)argc + 1, sizeof *ps);
	size_t np = 0;
	bool json = false;
	if (!ps)
		return EXIT_BRIG;
	optind = 1;
	opterr = 0; /* our own message, prefixed like every other */
	int c;
	while ((c = getopt_long(argc, argv, "+p:h", opts, NULL)) != -1) {
		switch (c) {
		case 'p':
			ps[np++].name = optarg;
			break;
		case 'j':
			json = true;
			break;
		case 'h':
			audit_usage(stdout);
			return 0;
		default:
			log_error("%s: %s: unknown option or missing argument (see brig %s --help)", "audit",
				  argv[optind - 1], "audit");
			return EXIT_BRIG;
		}
	}
	if (optind < argc) {
		log_error("audit: unexpected argument '%s'", argv[optind]);
		return EXIT_BRIG;
	}
	if (!np)
		ps[np++].name = "default";
	char self[PATH_MAX];
	ssize_t len = readlink("/proc/self/exe", self, sizeof self - 1);
	if (len < 0) {
		log_error("audit: cannot find brig's own binary: %s", strerror(errno));
		return EXIT_BRIG;
	}
	self[len] = 0;
	for (size_t k = 0; k < np; k++)
		if (check_profile(self, ps[k].name) < 0)
			return EXIT_BRIG;
	int code = 0;
	for (size_t k = 0; k < np; k++) {
		int r = run_profile(self, &ps[k]);
		if (r < 0) {
			log_error("audit: profile %s: the probe job failed (brig run exit status %d)", ps[k].name,
				  ps[k].status);
			code = EXIT_BRIG;
		}
	}
	if (code == 0) {
		if (json)
			print_json(ps, np);
		else
			print_table(ps, np);
		for (size_t k = 0; k < np; k++) {
			struct probe_score s;
			probe_score(ps[k].r, ps[k].n, &s);
			if (s.high_exposed)
				code = 1;
		}
	}
	for (size_t k = 0; k < np; k++) {
		for (size_t i = 0; i < ps[k].n; i++) {
			free((char *)ps[k].r[i].id);
			free((char *)ps[k].r[i].category);
		}
		free(ps[k].r);
	}
	return code;
}
