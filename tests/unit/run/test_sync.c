#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "brig/run/sync.h"

static int sv[2] = { -1, -1 };

static void setup(void)
{
	cr_assert_eq(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
}

static void teardown(void)
{
	for (int i = 0; i < 2; i++)
		if (sv[i] >= 0)
			close(sv[i]);
}

TestSuite(sync, .init = setup, .fini = teardown);

static void close_end(int i)
{
	close(sv[i]);
	sv[i] = -1;
}

#define TEXT_MAX (sizeof(((struct sync_msg *)0)->text) - 1)

Test(sync, message_arrives_whole)
{
	struct sync_msg m;
	cr_assert_eq(sync_send(sv[0], SYNC_EXEC_FAILED, ENOENT, 7, "exec /bin/nope"), 0);
	cr_assert_eq(sync_recv(sv[1], &m), 1);
	cr_assert_eq(m.type, SYNC_EXEC_FAILED);
	cr_assert_eq(m.err, ENOENT);
	cr_assert_eq(m.status, 7);
	cr_assert_str_eq(m.text, "exec /bin/nope");
}

Test(sync, works_in_both_directions)
{
	struct sync_msg m;
	cr_assert_eq(sync_send(sv[1], SYNC_GO, 0, 0, NULL), 0);
	cr_assert_eq(sync_recv(sv[0], &m), 1);
	cr_assert_eq(m.type, SYNC_GO);
}

Test(sync, null_text_arrives_empty)
{
	struct sync_msg m;
	cr_assert_eq(sync_send(sv[0], SYNC_FINAL, 0, 0x100, NULL), 0);
	cr_assert_eq(sync_recv(sv[1], &m), 1);
	cr_assert_eq(m.type, SYNC_FINAL);
	cr_assert_eq(m.status, 0x100);
	cr_assert_str_eq(m.text, "");
}

Test(sync, messages_keep_their_boundaries_and_order)
{
	struct sync_msg m;
	cr_assert_eq(sync_send(sv[0], SYNC_GO, 0, 0, "one"), 0);
	cr_assert_eq(sync_send(sv[0], SYNC_FINAL, 0, 9, "two"), 0);
	cr_assert_eq(sync_recv(sv[1], &m), 1);
	cr_assert_eq(m.type, SYNC_GO);
	cr_assert_str_eq(m.text, "one");
	cr_assert_eq(sync_recv(sv[1], &m), 1);
	cr_assert_eq(m.type, SYNC_FINAL);
	cr_assert_eq(m.status, 9);
	cr_assert_str_eq(m.text, "two");
}

Test(sync, recv_after_the_peer_closed_is_eof)
{
	struct sync_msg m;
	close_end(0);
	cr_assert_eq(sync_recv(sv[1], &m), 0);
}

Test(sync, pending_message_is_read_before_eof)
{
	struct sync_msg m;
	cr_assert_eq(sync_send(sv[0], SYNC_SETUP_FAILED, EPERM, 0, "last words"), 0);
	close_end(0);
	cr_assert_eq(sync_recv(sv[1], &m), 1);
	cr_assert_str_eq(m.text, "last words");
	cr_assert_eq(sync_recv(sv[1], &m), 0);
}

Test(sync, eof_leaves_a_zeroed_message)
{
	struct sync_msg m;
	memset(&m, 0x5a, sizeof m);
	close_end(0);
	cr_assert_eq(sync_recv(sv[1], &m), 0);
	cr_assert_eq(m.type, 0);
	cr_assert_eq(m.err, 0);
	cr_assert_str_eq(m.text, "");
}

Test(sync, eof_once_every_copy_of_the_peer_is_closed)
{
	struct sync_msg m;
	int copy = dup(sv[0]);
	cr_assert_geq(copy, 0);
	close_end(0);
	cr_assert_eq(sync_send(copy, SYNC_GO, 0, 0, "from the copy"), 0);
	cr_assert_eq(sync_recv(sv[1], &m), 1);
	close(copy);
	cr_assert_eq(sync_recv(sv[1], &m), 0);
}

Test(sync, long_text_is_truncated_and_terminated)
{
	char text[1000];
	memset(text, 'a', sizeof text - 1);
	text[sizeof text - 1] = '\0';
	struct sync_msg m;
	cr_assert_eq(sync_send(sv[0], SYNC_SETUP_FAILED, 0, 0, text), 0);
	cr_assert_eq(sync_recv(sv[1], &m), 1);
	cr_assert_eq(strlen(m.text), TEXT_MAX);
	cr_assert(strspn(m.text, "a") == TEXT_MAX);
}

Test(sync, text_of_the_maximum_length_arrives_intact)
{
	char text[TEXT_MAX + 1];
	memset(text, 'b', TEXT_MAX);
	text[TEXT_MAX] = '\0';
	struct sync_msg m;
	cr_assert_eq(sync_send(sv[0], SYNC_SETUP_FAILED, 0, 0, text), 0);
	cr_assert_eq(sync_recv(sv[1], &m), 1);
	cr_assert_str_eq(m.text, text);
}

/* The peer is the less trusted side: what it sends is not NUL-terminated
 * just because our sender would have done so. */
Test(sync, recv_terminates_an_unterminated_text)
{
	struct sync_msg raw;
	memset(&raw, 'z', sizeof raw);
	raw.type = SYNC_SETUP_FAILED;
	cr_assert_eq(send(sv[0], &raw, sizeof raw, 0), (ssize_t)sizeof raw);
	struct sync_msg m;
	cr_assert_eq(sync_recv(sv[1], &m), 1);
	cr_assert_eq(strlen(m.text), TEXT_MAX);
}

Test(sync, short_message_is_eproto)
{
	int x = SYNC_GO;
	cr_assert_eq(send(sv[0], &x, sizeof x, 0), (ssize_t)sizeof x);
	struct sync_msg m;
	cr_assert_eq(sync_recv(sv[1], &m), -EPROTO);
}

Test(sync, send_to_a_closed_peer_is_epipe_not_sigpipe)
{
	close_end(1);
	cr_assert_eq(sync_send(sv[0], SYNC_GO, 0, 0, NULL), -EPIPE);
}

Test(sync, send_on_a_bad_fd_is_ebadf)
{
	int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	cr_assert_geq(fd, 0);
	close(fd);
	cr_assert_eq(sync_send(fd, SYNC_GO, 0, 0, NULL), -EBADF);
}

Test(sync, recv_on_a_bad_fd_is_ebadf)
{
	int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	cr_assert_geq(fd, 0);
	close(fd);
	struct sync_msg m;
	cr_assert_eq(sync_recv(fd, &m), -EBADF);
}

Test(sync, recv_on_a_non_socket_is_an_error)
{
	int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	cr_assert_geq(fd, 0);
	struct sync_msg m;
	cr_assert_eq(sync_recv(fd, &m), -ENOTSOCK);
	close(fd);
}

/* sync_send_err */

Test(sync_send_err, sends_a_setup_failure_with_the_errors_line, .init = setup, .fini = teardown)
{
	struct sync_msg m;
	struct brig_err e = BRIG_ERR_INIT;
	err_at(&e, -ENOENT, "--bind /nope", NULL);
	cr_assert_eq(sync_send_err(sv[0], &e), 0);
	cr_assert_eq(sync_recv(sv[1], &m), 1);
	cr_assert_eq(m.type, SYNC_SETUP_FAILED);
	cr_assert_eq(m.err, ENOENT);
	cr_assert_str_eq(m.text, "--bind /nope: No such file or directory");
}

Test(sync_send_err, a_bare_code_sends_strerror, .init = setup, .fini = teardown)
{
	struct sync_msg m;
	struct brig_err e = { .code = -EPERM };
	cr_assert_eq(sync_send_err(sv[0], &e), 0);
	cr_assert_eq(sync_recv(sv[1], &m), 1);
	cr_assert_eq(m.err, EPERM);
	cr_assert_str_eq(m.text, strerror(EPERM));
}

Test(sync_send_err, long_text_is_truncated, .init = setup, .fini = teardown)
{
	char text[600];
	memset(text, 'c', sizeof text - 1);
	text[sizeof text - 1] = '\0';
	struct sync_msg m;
	struct brig_err e = BRIG_ERR_INIT;
	err_set(&e, -EPERM, "%s", text);
	cr_assert_eq(sync_send_err(sv[0], &e), 0);
	cr_assert_eq(sync_recv(sv[1], &m), 1);
	cr_assert_eq(m.err, EPERM);
	cr_assert_eq(strlen(m.text), TEXT_MAX);
	cr_assert(strspn(m.text, "c") == TEXT_MAX);
}

Test(sync_send_err, send_failure_is_returned, .init = setup, .fini = teardown)
{
	struct brig_err e = { .code = -EIO };
	close_end(1);
	cr_assert_eq(sync_send_err(sv[0], &e), -EPIPE);
}
