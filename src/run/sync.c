#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "brig/run/sync.h"

int sync_send(int fd, enum sync_type type, int err, int status, const char *text)
{
	struct sync_msg m = { .type = type, .err = err, .status = status, .fd = -1 };
	if (text)
		snprintf(m.text, sizeof m.text, "%s", text);
	ssize_t n;
	do
		n = send(fd, &m, sizeof m, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	return n < 0 ? -errno : 0;
}

/* Setup failures in the child: the error's line is the whole line the
 * supervisor prints. */
int sync_send_err(int fd, const struct brig_err *e)
{
	return sync_send(fd, SYNC_SETUP_FAILED, -e->code, 0, err_message(e));
}

int sync_send_fd(int fd, enum sync_type type, int passed)
{
	if (passed < 0)
		return sync_send(fd, type, 0, 0, NULL);
	struct sync_msg m = { .type = type, .fd = -1 };
	struct iovec iov = { .iov_base = &m, .iov_len = sizeof m };
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u = { 0 };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf, .msg_controllen = sizeof u.buf };
	struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &passed, sizeof passed);
	ssize_t n;
	do
		n = sendmsg(fd, &mh, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	return n < 0 ? -errno : 0;
}

int sync_recv(int fd, struct sync_msg *msg)
{
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	struct iovec iov = { .iov_base = msg, .iov_len = sizeof *msg };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf, .msg_controllen = sizeof u.buf };
	ssize_t n;
	memset(msg, 0, sizeof *msg);
	do
		n = recvmsg(fd, &mh, MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	msg->fd = -1;
	if (n < 0)
		return -errno;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c))
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS && c->cmsg_len == CMSG_LEN(sizeof(int)))
			memcpy(&msg->fd, CMSG_DATA(c), sizeof(int));
	if (n == 0)
		return 0;
	msg->text[sizeof msg->text - 1] = '\0';
	if (n != (ssize_t)sizeof *msg) {
		if (msg->fd >= 0)
			close(msg->fd);
		msg->fd = -1;
		return -EPROTO;
	}
	return 1;
}
