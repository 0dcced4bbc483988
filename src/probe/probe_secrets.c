/* probe: credentials a CI host tends to have lying around: container
 * engine sockets, Kubernetes tokens, SSH agents, the credential files of
 * package managers and cloud tools, the host's password hashes, and tokens
 * in the environment. */
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

#include "brig/lib/util.h"
#include "brig/probe/checks.h"
#include "brig/probe/verdict.h"

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

void probe_secrets_engines(struct probe_report *r)
{
	static const char *const p[] = {
		"/var/run/docker.sock", "/run/docker.sock", "/run/containerd/containerd.sock",
		"/run/podman/podman.sock", "/run/user/*/docker.sock", "/run/user/*/podman/podman.sock",
		"/run/crio/crio.sock", "/run/buildkit/buildkitd.sock",
	};
	first_match(r, p, ARRAY_SIZE(p), true, "no container engine socket");
}

void probe_secrets_kube(struct probe_report *r)
{
	static const char *const p[] = {
		"/var/run/secrets/kubernetes.io/serviceaccount/token", "/run/secrets/kubernetes.io/serviceaccount/token",
		"/var/lib/kubelet/kubeconfig", "/var/lib/kubelet/pki/*.key", "/etc/kubernetes/admin.conf",
		"/etc/kubernetes/kubelet.conf", "/root/.kube/config", "/home/*/.kube/config",
	};
	first_match(r, p, ARRAY_SIZE(p), false, "no Kubernetes token or kubeconfig");
}

void probe_secrets_ssh_agent(struct probe_report *r)
{
	const char *sock = getenv("SSH_AUTH_SOCK");
	if (sock && socket_reachable(sock) == 0) {
		probe_set(r, PROBE_EXPOSED, "SSH_AUTH_SOCK %s accepts connections", sock);
		return;
	}
	static const char *const p[] = { "/tmp/ssh-*/agent.*", "/run/user/*/ssh-agent.socket",
					 "/run/user/*/gnupg/S.gpg-agent.ssh", "/run/user/*/keyring/ssh" };
	first_match(r, p, ARRAY_SIZE(p), true, "no SSH agent socket");
}

/* Credential files of package managers, version control and cloud command
 * line tools, relative to a home directory. A new tool is one row. */
static const struct {
	const char *tool, *path;
} credential_files[] = {
	{ "npm", ".npmrc" },
	{ "yarn", ".yarnrc.yml" },
	{ "pypi", ".pypirc" },
	{ "pip", ".config/pip/pip.conf" },
	{ "docker", ".docker/config.json" },
	{ "podman", ".config/containers/auth.json" },
	{ "cargo", ".cargo/credentials.toml" },
	{ "cargo", ".cargo/credentials" },
	{ "gem", ".gem/credentials" },
	{ "maven", ".m2/settings.xml" },
	{ "maven", ".m2/settings-security.xml" },
	{ "gradle", ".gradle/gradle.properties" },
	{ "nuget", ".nuget/NuGet/NuGet.Config" },
	{ "composer", ".config/composer/auth.json" },
	{ "netrc", ".netrc" },
	{ "git", ".git-credentials" },
	{ "git", ".config/git/credentials" },
	{ "gh", ".config/gh/hosts.yml" },
	{ "ssh", ".ssh/id_*" },
	{ "aws", ".aws/credentials" },
	{ "aws", ".aws/config" },
	{ "gcloud", ".config/gcloud/credentials.db" },
	{ "gcloud", ".config/gcloud/access_tokens.db" },
	{ "gcloud", ".config/gcloud/application_default_credentials.json" },
	{ "azure", ".azure/msal_token_cache.json" },
	{ "azure", ".azure/accessTokens.json" },
	{ "oci", ".oci/config" },
	{ "doctl", ".config/doctl/config.yaml" },
	{ "terraform", ".terraform.d/credentials.tfrc.json" },
	{ "vault", ".vault-token" },
};

/* Where home directories are: this process's, root's, users', and CI
 * agents' under /var/lib. */
static const char *const homes[] = { "$HOME", "/root", "/home/*", "/var/lib/*" };

/* A readable regular file (not /dev/null over it) is exposed, whatever it
 * holds: a sandbox that shows it would show a real one. */
void probe_secrets_credential_files(struct probe_report *r)
{
	const char *home = getenv("HOME");
	size_t tried = 0;
	for (size_t h = 0; h < ARRAY_SIZE(homes); h++) {
		const char *base = homes[h];
		if (strcmp(base, "$HOME") == 0) {
			if (!home || home[0] != '/' || strlen(home) > 200)
				continue;
			base = home;
		}
		for (size_t i = 0; i < ARRAY_SIZE(credential_files); i++) {
			char pattern[320];
			snprintf(pattern, sizeof pattern, "%s/%s", base, credential_files[i].path);
			glob_t g;
			if (glob(pattern, GLOB_NOSORT, NULL, &g) != 0)
				continue;
			for (size_t k = 0; k < g.gl_pathc; k++) {
				const char *p = g.gl_pathv[k];
				struct stat st;
				size_t len = strlen(p);
				/* An SSH public key is no secret. */
				if (len > 4 && strcmp(p + len - 4, ".pub") == 0)
					continue;
				tried++;
				int fd = open(p, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
				if (fd < 0)
					continue;
				bool regular = fstat(fd, &st) == 0 && S_ISREG(st.st_mode);
				close(fd);
				if (regular) {
					probe_set(r, PROBE_EXPOSED, "%s is readable (%s credentials)", p,
						  credential_files[i].tool);
					globfree(&g);
					return;
				}
			}
			globfree(&g);
		}
	}
	probe_set(r, PROBE_BLOCKED, "%zu credential files of %zu tools looked for, none readable%s", tried,
		  ARRAY_SIZE(credential_files), tried ? "" : " (none present)");
}

/* Readable is exposed whatever the file holds: locked accounts on this
 * host say nothing of the next one. */
void probe_secrets_shadow(struct probe_report *r)
{
	int fd = open("/etc/shadow", O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		probe_rule_readable(r, "/etc/shadow", -errno, false);
		return;
	}
	struct stat st;
	bool masked = fstat(fd, &st) == 0 && S_ISCHR(st.st_mode);
	_cleanup_(fclosep) FILE *f = fdopen(fd, "re");
	if (!f) {
		close(fd);
		probe_rule_readable(r, "/etc/shadow", 0, masked);
		return;
	}
	size_t hashes = 0;
	char line[1024];
	while (!masked && fgets(line, sizeof line, f)) {
		char *c = strchr(line, ':');
		if (c && c[1] == '$')
			hashes++;
	}
	probe_rule_readable(r, "/etc/shadow", 0, masked);
	if (r->result == PROBE_EXPOSED)
		probe_set(r, PROBE_EXPOSED, "/etc/shadow is readable (%zu password hashes in it now)", hashes);
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

void probe_secrets_environment(struct probe_report *r)
{
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
