#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "brig/fs/etc.h"
#include "brig/lib/util.h"

/* Read-only, only when the host has them. Chosen so that the dynamic
 * loader, TLS clients, time zones and interpreters work; shadow, sudoers,
 * ssh host keys, machine-id, the host's users and anything credential-like
 * are deliberately absent. */
const char *const etc_host_entries[] = {
	"ld.so.cache", "ld.so.conf", "ld.so.conf.d",
	"ssl/certs", "ssl/openssl.cnf", "ca-certificates", "ca-certificates.conf",
	"alternatives", "localtime", "timezone", "os-release", "debian_version",
	"mime.types", "protocols", "services", "ethertypes", "rpc", "gai.conf",
	"bash.bashrc", "profile", "inputrc", "perl", "python3", "magic", "magic.mime",
	NULL,
};

/* Package managers' configuration, shown only under an overlay, where
 * package tools run and their changes vanish with the job. */
const char *const etc_package_entries[] = {
	"apt", "dpkg", "debconf.conf", "ucf.conf", "apk", "pacman.conf", "pacman.d", "yum.repos.d", "dnf", "rpm",
	NULL,
};

/* Credentials of private package repositories: hidden inside those. */
const char *const etc_package_secrets[] = { "apt/auth.conf", "apt/auth.conf.d", NULL };

const char *etc_home(const struct brig_config *c)
{
	return c->user ? "/home/job" : "/root";
}

/* snprintf into what is left of buf; -ENOSPC once it no longer fits, and
 * never a byte past len. */
static int append(char *buf, size_t len, size_t *used, const char *fmt, ...)
{
	va_list ap;
	if (*used >= len)
		return -ENOSPC;
	va_start(ap, fmt);
	int n = vsnprintf(buf + *used, len - *used, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= len - *used)
		return -ENOSPC;
	*used += (size_t)n;
	return 0;
}

int etc_format_passwd(char *buf, size_t len, const struct brig_config *c)
{
	size_t used = 0;
	int r = append(buf, len, &used, "root:x:0:0:root:/root:/bin/sh\n");
	if (r >= 0 && c->user)
		r = append(buf, len, &used, "job:x:%u:%u:job:%s:/bin/sh\n", c->user, c->group, etc_home(c));
	if (r >= 0)
		r = append(buf, len, &used, "nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n");
	return r < 0 ? r : (int)used;
}

int etc_format_group(char *buf, size_t len, const struct brig_config *c)
{
	size_t used = 0;
	int r = append(buf, len, &used, "root:x:0:\n");
	if (r >= 0 && c->group)
		r = append(buf, len, &used, "job:x:%u:\n", c->group);
	if (r >= 0)
		r = append(buf, len, &used, "nogroup:x:65534:\n");
	return r < 0 ? r : (int)used;
}

static int put(int dirfd, const char *name, const char *text)
{
	_cleanup_close_ int fd = openat(dirfd, name, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0)
		return -errno;
	ssize_t len = (ssize_t)strlen(text);
	return write(fd, text, (size_t)len) == len ? 0 : -EIO;
}

int etc_write_resolv(int dirfd, const char *text)
{
	return put(dirfd, "resolv.conf", text);
}

int etc_generate(int dirfd, const struct brig_config *c, const char *hostname)
{
	char buf[512];
	int r;

	if ((r = etc_format_passwd(buf, sizeof buf, c)) < 0 || (r = put(dirfd, "passwd", buf)) < 0)
		return r;
	if ((r = etc_format_group(buf, sizeof buf, c)) < 0 || (r = put(dirfd, "group", buf)) < 0)
		return r;
	snprintf(buf, sizeof buf, "%s\n", hostname);
	if ((r = put(dirfd, "hostname", buf)) < 0)
		return r;
	snprintf(buf, sizeof buf,
		 "127.0.0.1\tlocalhost\n127.0.1.1\t%s\n::1\tlocalhost ip6-localhost ip6-loopback\n", hostname);
	if ((r = put(dirfd, "hosts", buf)) < 0)
		return r;
	/* Loopback only (net none): there is no resolver a job could reach. */
	if ((r = put(dirfd, "resolv.conf",
		     c->net.resolv_conf ? c->net.resolv_conf : "# brig: this job has no network (net none)\n")) < 0)
		return r;
	return put(dirfd, "nsswitch.conf",
		   "passwd: files\ngroup: files\nshadow: files\nhosts: files dns\n"
		   "networks: files\nprotocols: files\nservices: files\nethers: files\nrpc: files\n");
}

/* System accounts (ids 1..999) of the tree, or of the host under an
 * overlay: package tools look their names up (dpkg's statoverrides, apt's
 * _apt). People's accounts (1000 and up) never reach a job, nor any name
 * brig's own lines already give. */
int etc_add_system_accounts(int dirfd, const char *name, int src_fd)
{
	static const char *const own[] = { "root", "job", "nobody", "nogroup", NULL };
	_cleanup_(fclosep) FILE *in = fdopen(dup(src_fd), "re");
	if (!in)
		return -errno;
	_cleanup_close_ int fd = openat(dirfd, name, O_WRONLY | O_APPEND | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return -errno;
	char line[1024];
	for (unsigned n = 0; n < 4096 && fgets(line, sizeof line, in); n++) {
		size_t len = strlen(line);
		if (len == 0 || line[len - 1] != '\n')
			continue;
		char *f1 = strchr(line, ':'), *f2 = f1 ? strchr(f1 + 1, ':') : NULL;
		if (!f1 || !f2)
			continue;
		char *end = NULL;
		unsigned long id = strtoul(f2 + 1, &end, 10);
		if (end == f2 + 1 || *end != ':' || id == 0 || id >= 1000)
			continue;
		bool taken = false;
		for (const char *const *o = own; *o && !taken; o++)
			taken = (size_t)(f1 - line) == strlen(*o) && strncmp(line, *o, strlen(*o)) == 0;
		if (!taken && write(fd, line, len) != (ssize_t)len)
			return -EIO;
	}
	return 0;
}
