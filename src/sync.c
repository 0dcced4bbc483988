#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "brig/sync.h"

int sync_send(int fd, enum sync_type type, int err, int status, const char *text)
{
	struct sync_msg m = { .type = type, .err = err, .status = status };
	if (text)
		snprintf(m.text, sizeof m.text, "%s", text);
	ssize_t n;
	do
		n = send(fd, &m, sizeof m, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	return n < 0 ? -errno : 0;
}

/* Setup failures in the child: the text is the whole line the supervisor
 * prints, the errno is appended the way perror would. */
int sync_sendf(int fd, int err, const char *fmt, ...)
{
	char buf[sizeof(((struct sync_msg *)0)->text)];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	if (err && n >= 0 && (size_t)n < sizeof buf)
		snprintf(buf + n, sizeof buf - (size_t)n, ": %s", strerror(err));
	return sync_send(fd, SYNC_SETUP_FAILED, err, 0, buf);
}

int sync_recv(int fd, struct sync_msg *msg)
{
	ssize_t n;
	memset(msg, 0, sizeof *msg);
	do
		n = recv(fd, msg, sizeof *msg, 0);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	if (n == 0)
		return 0;
	msg->text[sizeof msg->text - 1] = '\0';
	return n == (ssize_t)sizeof *msg ? 1 : -EPROTO;
}
