/* Untrusted container settings (see brig/ci/gha_policy.h). Options that
 * would give the job more than its profile (privileges, host namespaces,
 * host paths, devices, another user) are refused, so that the workflow's
 * author learns at once that the runner will not do it; everything else
 * of docker's CLI (resources, labels, names) is ignored with a warning:
 * the profile sets limits, not the workflow. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "brig/ci/gha_policy.h"
#include "brig/lib/log.h"
#include "brig/lib/util.h"

struct refusal {
	const char *option;
	const char *why;
};

static const struct refusal refused[] = {
	{ "--privileged", "privileges beyond the profile" },
	{ "--cap-add", "capabilities beyond the profile" },
	{ "--security-opt", "relaxed confinement" },
	{ "--device", "host devices" },
	{ "--device-cgroup-rule", "host devices" },
	{ "--gpus", "host devices" },
	{ "--network", "a network other than the profile's" },
	{ "--net", "a network other than the profile's" },
	{ "--network-alias", "a network other than the profile's" },
	{ "--pid", "a host namespace" },
	{ "--ipc", "a host namespace" },
	{ "--uts", "a host namespace" },
	{ "--userns", "a host namespace" },
	{ "--cgroupns", "a host namespace" },
	{ "--cgroup-parent", "a host cgroup" },
	{ "--volume", "host paths" },
	{ "-v", "host paths" },
	{ "--volumes-from", "host paths" },
	{ "--mount", "host paths" },
	{ "--user", "another user" },
	{ "-u", "another user" },
	{ "--group-add", "another group" },
	{ "--sysctl", "kernel settings" },
	{ "--runtime", "another runtime" },
	{ "--add-host", "host names the profile does not give" },
	{ "--dns", "resolvers the profile does not give" },
};

const char *gha_option_refusal(const char *token)
{
	for (size_t i = 0; i < ARRAY_SIZE(refused); i++) {
		size_t n = strlen(refused[i].option);
		if (strncmp(token, refused[i].option, n) != 0)
			continue;
		/* "--net" must not refuse "--netfoo", but "--net=host" and the
		 * short forms glued to their value ("-v/:/x", "-u0") count. */
		char next = token[n];
		if (next == '\0' || next == '=' || (refused[i].option[1] != '-'))
			return refused[i].why;
	}
	return NULL;
}

int gha_is_docker_socket(const struct gha_mount *m)
{
	const char *paths[] = { m->source, m->target };
	for (size_t i = 0; i < ARRAY_SIZE(paths); i++) {
		const char *p = paths[i], *base = p ? strrchr(p, '/') : NULL;
		if (p && strcmp(base ? base + 1 : p, "docker.sock") == 0)
			return 1;
	}
	return 0;
}

static int check_options(const char *opts, const char *what, struct brig_err *e)
{
	char **words = NULL;
	size_t n = 0;
	if (!opts || !*opts)
		return 0;
	if (gha_split_words(opts, &words, &n) < 0)
		return err_set(e, -EPERM, "gha: %s: options refused: unbalanced quotes in '%.200s'", what, opts);
	char ignored[512] = "";
	size_t used = 0;
	int r = 0;
	for (size_t i = 0; i < n && r == 0; i++) {
		const char *why = words[i][0] == '-' ? gha_option_refusal(words[i]) : NULL;
		if (why)
			r = err_set(e, -EPERM, "gha: %s: option %.100s refused: it would give the job %s (see docs/github.md)",
				    what, words[i], why);
		else if (words[i][0] == '-' && used < sizeof ignored - 2) {
			used += (size_t)snprintf(ignored + used, sizeof ignored - used, "%s%.60s", used ? " " : "", words[i]);
		}
	}
	if (r == 0 && used)
		log_warn("gha: %s: options ignored (the profile decides the sandbox): %s", what, ignored);
	gha_words_free(words);
	return r;
}

int gha_check_container(const struct gha_container *c, const char *what, struct brig_err *e)
{
	int r = check_options(c->create_options, what, e);
	if (r < 0)
		return r;
	for (size_t i = 0; i < c->n_user; i++) {
		const struct gha_mount *m = &c->user[i];
		if (m->source)
			return err_set(e, -EPERM,
				       "gha: %s: volume %.200s:%.200s refused: brig binds no host path or named volume into a job",
				       what, m->source, m->target);
	}
	if (c->n_ports)
		log_warn("gha: %s: ports %s%s not published: brig publishes no ports", what, c->ports[0],
			 c->n_ports > 1 ? " and others" : "");
	return 0;
}
