/* probe: credentials a CI host tends to have lying around: container
 * engine sockets, Kubernetes tokens, SSH agents, cloud credentials, the
 * host's password hashes, and tokens in the environment. */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "brig/probe/probe.h"
#include "brig/lib/util.h"

extern char **environ;

/* A socket counts when connect(2) succeeds: nothing is sent. */
static int socket_reachable(const char *path)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	if (strlen(path) >= sizeof a.sun_path)
		return -ENAMETOOLONG;
	strcpy(a.sun_path, path);
	_cleanup_close_ int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	return connect(fd, (struct sockaddr *)&a, sizeof a) < 0 ? -errno : 0;
}

/* The first of the glob patterns that matches something usable. */
static void first_match(struct probe_report *r, const char *const *patterns, size_t n, bool sockets,
			const char *none)
{
	char last[256] = "";
	for (size_t i = 0; i < n; i++) {
		glob_t g;
		if (glob(patterns[i], GLOB_NOSORT, NULL, &g) != 0)
			continue;
		for (size_t k = 0; k < g.gl_pathc; k++) {
			const char *p = g.gl_pathv[k];
			int e = sockets ? socket_reachable(p) : probe_try_open(p, O_RDONLY);
			if (e == 0) {
				probe_set(r, PROBE_EXPOSED, "%s %s", p, sockets ? "accepts connections" : "is readable");
				globfree(&g);
				return;
			}
			snprintf(last, sizeof last, "%s: %s", p, probe_errno_name(-e));
		}
		globfree(&g);
	}
	probe_set(r, PROBE_BLOCKED, "%s", last[0] ? last : none);
}

static void check_engines(const struct probe_ctx *ctx, struct probe_report *r)
{
	(void)ctx;
	static const char *const p[] = {
		"/var/run/docker.sock", "/run/docker.sock", "/run/containerd/containerd.sock",
		"/run/podman/podman.sock", "/run/user/*/docker.sock", "/run/user/*/podman/podman.sock",
		"/run/crio/crio.sock", "/run/buildkit/buildkitd.sock",
	};
	first_match(r, p, ARRAY_SIZE(p), true, "no container engine socket");
}

static void check_kube(const struct probe_ctx *ctx, struct probe_report *r)
{
	(void)ctx;
	static const char *const p[] = {
		"/var/run/secrets/kubernetes.io/serviceaccount/token", "/run/secrets/kubernetes.io/serviceaccount/token",
		"/var/lib/kubelet/kubeconfig", "/var/lib/kubelet/pki/*.key", "/etc/kubernetes/admin.conf",
		"/etc/kubernetes/kubelet.conf", "/root/.kube/config", "/home/*/.kube/config",
	};
	first_match(r, p, ARRAY_SIZE(p), false, "no Kubernetes token or kubeconfig");
}

static void check_ssh_agent(const struct probe_ctx *ctx, struct probe_report *r)
{
	(void)ctx;
	const char *sock = getenv("SSH_AUTH_SOCK");
	if (sock && socket_reachable(sock) == 0) {
		probe_set(r, PROBE_EXPOSED, "SSH_AUTH_SOCK %s accepts connections", sock);
		return;
	}
	static const char *const p[] = { "/tmp/ssh-*/agent.*", "/run/user/*/ssh-agent.socket",
					 "/run/user/*/gnupg/S.gpg-agent.ssh", "/run/user/*/keyring/ssh" };
	first_match(r, p, ARRAY_SIZE(p), true, "no SSH agent socket");
}

static void check_cloud(const struct probe_ctx *ctx, struct probe_report *r)
{
	(void)ctx;
	static const char *const p[] = {
		"/root/.aws/credentials", "/home/*/.aws/credentials", "/root/.config/gcloud/*.db",
		"/home/*/.config/gcloud/*.db", "/root/.config/gcloud/application_default_credentials.json",
		"/home/*/.config/gcloud/application_default_credentials.json", "/root/.azure/*.json",
		"/home/*/.azure/*.json", "/root/.docker/config.json", "/home/*/.docker/config.json",
	};
	/* $HOME may be anywhere. */
	const char *home = getenv("HOME");
	char h[3][300];
	const char *hp[3];
	size_t n = 0;
	if (home && home[0] == '/' && strlen(home) < 200) {
		snprintf(h[0], sizeof h[0], "%s/.aws/credentials", home);
		snprintf(h[1], sizeof h[1], "%s/.config/gcloud/*.db", home);
		snprintf(h[2], sizeof h[2], "%s/.azure/*.json", home);
		for (; n < 3; n++)
			hp[n] = h[n];
		first_match(r, hp, n, false, "");
		if (r->result == PROBE_EXPOSED)
			return;
	}
	first_match(r, p, ARRAY_SIZE(p), false, "no cloud credential files");
}

static void check_shadow(const struct probe_ctx *ctx, struct probe_report *r)
{
	(void)ctx;
	_cleanup_(fclosep) FILE *f = fopen("/etc/shadow", "re");
	if (!f) {
		probe_set(r, PROBE_BLOCKED, "/etc/shadow: %s", probe_errno_name(errno));
		return;
	}
	/* A password hash, not just locked accounts, is what matters. */
	char line[1024];
	size_t hashes = 0;
	while (fgets(line, sizeof line, f)) {
		char *c = strchr(line, ':');
		if (c && c[1] == '$')
			hashes++;
	}
	probe_set(r, hashes ? PROBE_EXPOSED : PROBE_BLOCKED, "/etc/shadow readable, %zu password hashes", hashes);
}

/* Variable names that CI systems and clouds use for secrets. */
static bool secret_name(const char *name, size_t len)
{
	static const char *const pats[] = { "*TOKEN*", "*SECRET*", "*PASSWORD*", "*PASSWD*", "*API_KEY*",
					    "*ACCESS_KEY*", "*PRIVATE_KEY*", "*CREDENTIAL*", "*AUTH*" };
	char n[128];
	if (len >= sizeof n)
		len = sizeof n - 1;
	for (size_t i = 0; i < len; i++)
		n[i] = (char)toupper((unsigned char)name[i]);
	n[len] = 0;
	if (strcmp(n, "SSH_AUTH_SOCK") == 0)
		return false;
	for (size_t i = 0; i < ARRAY_SIZE(pats); i++)
		if (fnmatch(pats[i], n, 0) == 0)
			return true;
	return false;
}

static void check_env(const struct probe_ctx *ctx, struct probe_report *r)
{
	(void)ctx;
	size_t n = 0;
	char first[128] = "";
	for (char **e = environ; e && *e; e++) {
		const char *eq = strchr(*e, '=');
		if (!eq || !eq[1] || !secret_name(*e, (size_t)(eq - *e)))
			continue;
		if (!n++)
			snprintf(first, sizeof first, "%.*s", (int)(eq - *e), *e);
	}
	if (n)
		probe_set(r, PROBE_EXPOSED, "%zu variables look like secrets (e.g. %s)", n, first);
	else
		probe_set(r, PROBE_BLOCKED, "no variable looks like a secret");
}

static const struct probe_check checks[] = {
	{ "secrets.engine-sockets", PROBE_HIGH, check_engines },
	{ "secrets.kubernetes", PROBE_HIGH, check_kube },
	{ "secrets.ssh-agent", PROBE_HIGH, check_ssh_agent },
	{ "secrets.cloud-credentials", PROBE_HIGH, check_cloud },
	{ "secrets.shadow", PROBE_HIGH, check_shadow },
	{ "secrets.environment", PROBE_MEDIUM, check_env },
};
const struct probe_category probe_secrets = { "secrets", checks, ARRAY_SIZE(checks), false };
