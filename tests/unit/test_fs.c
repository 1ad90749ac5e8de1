/* Unit tests for fs.c: opening beneath a directory without following links,
 * atomic outputs that are devices or FIFOs, the names in its messages, and
 * a write to a pipe whose reader is gone. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ferry/fs.h"

struct sandbox {
    char path[64];
    int fd;
};

static int
setup(void **state)
{
    struct sandbox *sb = calloc(1, sizeof *sb);
    snprintf(sb->path, sizeof sb->path, "/tmp/ferry-unit-fs.XXXXXX");
    if (sb == NULL || mkdtemp(sb->path) == NULL)
        return -1;
    sb->fd = open(sb->path, O_RDONLY | O_DIRECTORY);
    /* box/in (a dir), box/out (outside the beneath root "in") */
    mkdirat(sb->fd, "in", 0755);
    mkdirat(sb->fd, "out", 0755);
    symlinkat("../out", sb->fd, "in/linkdir");
    symlinkat("../out/file", sb->fd, "in/linkfile");
    *state = sb;
    return 0;
}

static int
teardown(void **state)
{
    struct sandbox *sb = *state;
    struct fy_err err = FY_ERR_INIT;
    fs_remove_tree_at(AT_FDCWD, sb->path, &err);
    close(sb->fd);
    free(sb);
    return 0;
}

typedef int (*open_fn)(int, const char *, int, mode_t);

static void
check_open(struct sandbox *sb, open_fn fn)
{
    int in = openat(sb->fd, "in", O_RDONLY | O_DIRECTORY);
    assert_true(in >= 0);
    /* creates missing directories */
    int fd = fn(in, "a/b/c.bin", O_WRONLY | O_CREAT, 0644);
    assert_true(fd >= 0);
    close(fd);
    struct stat st;
    assert_int_equal(fstatat(in, "a/b/c.bin", &st, 0), 0);
    assert_true(S_ISREG(st.st_mode));
    /* existing file opens; no O_CREAT and missing is ENOENT */
    fd = fn(in, "a/b/c.bin", O_RDONLY, 0);
    assert_true(fd >= 0);
    close(fd);
    assert_int_equal(fn(in, "a/missing", O_RDONLY, 0), -1);
    assert_int_equal(errno, ENOENT);
    /* a symlinked directory on the way, a symlink at the end: ELOOP */
    assert_int_equal(fn(in, "linkdir/x.bin", O_WRONLY | O_CREAT, 0644), -1);
    assert_int_equal(errno, ELOOP);
    assert_int_equal(fn(in, "linkfile", O_WRONLY | O_CREAT, 0644), -1);
    assert_int_equal(errno, ELOOP);
    /* nothing appeared outside */
    assert_int_equal(fstatat(sb->fd, "out/x.bin", &st, 0), -1);
    assert_int_equal(fstatat(sb->fd, "out/file", &st, 0), -1);
    /* escapes */
    assert_int_equal(fn(in, "../out/y.bin", O_WRONLY | O_CREAT, 0644), -1);
    assert_int_equal(errno, EXDEV);
    assert_int_equal(fstatat(sb->fd, "out/y.bin", &st, 0), -1);
    close(in);
}

static void
test_open_beneath(void **state)
{
    check_open(*state, fs_open_beneath);
    /* absolute paths are refused */
    assert_int_equal(fs_open_beneath(AT_FDCWD, "/etc/passwd", O_RDONLY, 0), -1);
    assert_int_equal(errno, EXDEV);
}

static void
test_open_walk(void **state)
{
    check_open(*state, fs_open_walk);
}

static void
test_mkdir_beneath(void **state)
{
    struct sandbox *sb = *state;
    int in = openat(sb->fd, "in", O_RDONLY | O_DIRECTORY);
    struct stat st;
    assert_int_equal(fs_mkdir_beneath(in, "x/y/z"), 0);
    assert_int_equal(fstatat(in, "x/y/z", &st, 0), 0);
    assert_true(S_ISDIR(st.st_mode));
    assert_int_equal(fs_mkdir_beneath(in, "x/y/z/"), 0); /* exists: fine */
    assert_int_equal(fs_mkdir_beneath(in, "linkdir/new"), -1);
    assert_int_equal(errno, ELOOP);
    assert_int_equal(fstatat(sb->fd, "out/new", &st, 0), -1);
    assert_int_equal(fs_mkdir_beneath(in, "x/../../out/new2"), -1);
    assert_int_equal(errno, EXDEV);
    assert_int_equal(fs_mkdir_beneath(in, "/tmp/abs"), -1);
    assert_int_equal(errno, EXDEV);
    close(in);
}

static void
test_atomic_special(void **state)
{
    struct sandbox *sb = *state;
    char fifo[128];
    snprintf(fifo, sizeof fifo, "%s/fifo", sb->path);
    assert_int_equal(mkfifo(fifo, 0600), 0);
    assert_true(fs_is_special(fifo));
    assert_false(fs_is_special(sb->path));
    /* a directory is refused, never renamed over */
    struct fs_atomic af = FS_ATOMIC_INIT;
    struct fy_err err = FY_ERR_INIT;
    assert_int_equal(fs_atomic_open(&af, sb->path, 0644, &err), FY_ERUNTIME);
    assert_non_null(strstr(err.msg, "is a directory"));
}

/* issue 10: messages name the path the user gave, never FILE.part */
static void
test_atomic_names(void **state)
{
    struct sandbox *sb = *state;
    char path[160], want[200];
    struct fs_atomic af = FS_ATOMIC_INIT;
    struct fy_err err = FY_ERR_INIT;
    snprintf(path, sizeof path, "%s/nodir/x.tar.zst", sb->path);
    assert_int_equal(fs_atomic_open(&af, path, 0644, &err), FY_ERUNTIME);
    snprintf(want, sizeof want, "%s: No such file or directory", path);
    assert_string_equal(err.msg, want);
    snprintf(path, sizeof path, "%s/x.tar.zst", sb->path);
    fy_err_clear(&err);
    assert_int_equal(fs_atomic_open(&af, path, 0644, &err), FY_OK);
    assert_string_equal(fs_atomic_name(&af), path);
    fs_atomic_abort(&af);
}

/* issue 10: a pipe whose reader went away is FY_EPIPE, quietly */
static void
test_write_epipe(void **state)
{
    (void)state;
    int p[2];
    struct fy_err err = FY_ERR_INIT;
    signal(SIGPIPE, SIG_IGN);
    assert_int_equal(pipe(p), 0);
    close(p[0]);
    assert_false(fy_pipe_closed());
    assert_int_equal(fs_write_all(p[1], "x", 1, "stdout", &err), FY_EPIPE);
    assert_true(fy_pipe_closed());
    assert_true(fy_interrupted()); /* every loop stops, as on SIGPIPE */
    close(p[1]);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_open_beneath, setup, teardown),
        cmocka_unit_test_setup_teardown(test_open_walk, setup, teardown),
        cmocka_unit_test_setup_teardown(test_mkdir_beneath, setup, teardown),
        cmocka_unit_test_setup_teardown(test_atomic_special, setup, teardown),
        cmocka_unit_test_setup_teardown(test_atomic_names, setup, teardown),
        /* last: it raises the process's interrupt flag */
        cmocka_unit_test(test_write_epipe),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
