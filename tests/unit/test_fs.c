/* Unit tests for fs.c: opening beneath a directory without following links,
 * atomic outputs (.part, commit, abort, stale .part, and the direct mode
 * for devices and FIFOs), the names in its messages, fs_write_all's and
 * fs_pwrite_all's short writes and errors, and a write to a pipe whose reader
 * is gone. */
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
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ferry/fs.h"
#include "ferry/xalloc.h"

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

/* A '..' element is refused even where it would stay inside, and so is a
 * symlink that points inside: nothing is resolved, only walked. */
static void
check_refusals(struct sandbox *sb, open_fn fn)
{
    int in = openat(sb->fd, "in", O_RDONLY | O_DIRECTORY);
    assert_true(in >= 0);
    assert_int_equal(mkdirat(in, "d", 0755), 0);
    assert_int_equal(symlinkat("d", in, "inner"), 0);
    assert_int_equal(symlinkat("/tmp", in, "abs"), 0);
    struct stat st;
    assert_int_equal(fn(in, "..", O_RDONLY, 0), -1);
    assert_int_equal(errno, EXDEV);
    assert_int_equal(fn(in, "d/../../out/z.bin", O_WRONLY | O_CREAT, 0644), -1);
    assert_int_equal(errno, EXDEV);
    assert_int_equal(fstatat(sb->fd, "out/z.bin", &st, 0), -1);
    /* a ".." that stays beneath is refused too (header: any ".." element) */
    assert_int_equal(fn(in, "d/../y.bin", O_WRONLY | O_CREAT, 0644), -1);
    assert_int_equal(errno, EXDEV);
    assert_int_equal(fstatat(in, "y.bin", &st, 0), -1);
    assert_int_equal(fn(in, "inner/x.bin", O_WRONLY | O_CREAT, 0644), -1);
    assert_int_equal(errno, ELOOP);
    assert_int_equal(fstatat(in, "d/x.bin", &st, 0), -1);
    assert_int_equal(fn(in, "inner", O_RDONLY, 0), -1);
    assert_int_equal(errno, ELOOP);
    assert_int_equal(
        fn(in, "abs/ferry-unit-fs-never", O_WRONLY | O_CREAT, 0644), -1);
    assert_int_equal(errno, ELOOP);
    assert_int_equal(stat("/tmp/ferry-unit-fs-never", &st), -1);
    close(in);
}

static void
test_open_beneath_refuses(void **state)
{
    check_refusals(*state, fs_open_beneath);
}

static void
test_open_walk_refuses(void **state)
{
    check_refusals(*state, fs_open_walk);
}

static void
read_back(const char *path, const char *want)
{
    struct sbuf sb = SBUF_INIT;
    struct fy_err err = FY_ERR_INIT;
    assert_int_equal(fs_read_file(path, 1 << 20, &sb, NULL, &err), FY_OK);
    assert_int_equal(sb.len, strlen(want));
    if (sb.len > 0)
        assert_memory_equal(sb.buf, want, sb.len);
    sbuf_release(&sb);
}

/* open writes <path>.part (0600), commit renames it with the mode given */
static void
test_atomic_commit(void **state)
{
    struct sandbox *sb = *state;
    char path[160], part[170];
    snprintf(path, sizeof path, "%s/out.bin", sb->path);
    snprintf(part, sizeof part, "%s.part", path);
    struct fs_atomic af = FS_ATOMIC_INIT;
    struct fy_err err = FY_ERR_INIT;
    struct stat st;
    assert_int_equal(fs_atomic_open(&af, path, 0640, &err), FY_OK);
    assert_false(af.direct);
    assert_string_equal(af.tmp, part);
    assert_int_equal(lstat(part, &st), 0);
    assert_true(S_ISREG(st.st_mode));
    assert_int_equal(st.st_mode & 07777, 0600);
    assert_int_equal(lstat(path, &st), -1); /* nothing final yet */
    assert_int_equal(fs_write_all(af.fd, "hello\n", 6, path, &err), FY_OK);
    assert_int_equal(fs_atomic_commit(&af, &err), FY_OK);
    assert_int_equal(af.fd, -1);
    assert_null(af.tmp);
    assert_int_equal(lstat(part, &st), -1);
    assert_int_equal(lstat(path, &st), 0);
    assert_int_equal(st.st_mode & 07777, 0640);
    read_back(path, "hello\n");
    fs_atomic_abort(&af); /* after commit: nothing happens */
    assert_int_equal(lstat(path, &st), 0);
    read_back(path, "hello\n");
    /* a second write replaces the file whole */
    assert_int_equal(fs_write_file(path, "bye\n", 4, 0644, &err), FY_OK);
    read_back(path, "bye\n");
    assert_int_equal(lstat(part, &st), -1);
}

/* abort removes the .part and leaves an existing final file alone */
static void
test_atomic_abort(void **state)
{
    struct sandbox *sb = *state;
    char path[160], part[170];
    snprintf(path, sizeof path, "%s/keep.txt", sb->path);
    snprintf(part, sizeof part, "%s.part", path);
    struct fy_err err = FY_ERR_INIT;
    struct stat st;
    assert_int_equal(fs_write_file(path, "old\n", 4, 0644, &err), FY_OK);
    struct fs_atomic af = FS_ATOMIC_INIT;
    assert_int_equal(fs_atomic_open(&af, path, 0644, &err), FY_OK);
    assert_int_equal(fs_write_all(af.fd, "half", 4, path, &err), FY_OK);
    fs_atomic_abort(&af);
    assert_int_equal(af.fd, -1);
    assert_null(af.tmp);
    assert_null(af.path);
    assert_int_equal(lstat(part, &st), -1);
    read_back(path, "old\n");
    fs_atomic_abort(&af); /* twice is harmless */
}

/* a stale regular .part (a killed run) is replaced; anything else there is
 * left alone and the open fails */
static void
test_atomic_stale_part(void **state)
{
    struct sandbox *sb = *state;
    char path[160], part[170];
    snprintf(path, sizeof path, "%s/s.bin", sb->path);
    snprintf(part, sizeof part, "%s.part", path);
    struct fy_err err = FY_ERR_INIT;
    struct fs_atomic af = FS_ATOMIC_INIT;
    struct stat st;
    int fd = open(part, O_WRONLY | O_CREAT | O_EXCL, 0600);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, "stale data", 10), 10);
    close(fd);
    assert_int_equal(fs_atomic_open(&af, path, 0644, &err), FY_OK);
    assert_int_equal(fstat(af.fd, &st), 0);
    assert_int_equal(st.st_size, 0);
    assert_int_equal(fs_atomic_commit(&af, &err), FY_OK);
    read_back(path, "");
    /* a symlink under the .part name is neither followed nor removed */
    char target[170];
    snprintf(target, sizeof target, "%s/out/victim", sb->path);
    assert_int_equal(symlink(target, part), 0);
    assert_int_equal(fs_atomic_open(&af, path, 0644, &err), FY_ERUNTIME);
    assert_int_equal(af.fd, -1);
    assert_int_equal(lstat(part, &st), 0);
    assert_true(S_ISLNK(st.st_mode));
    assert_int_equal(lstat(target, &st), -1);
    char want[200];
    snprintf(want, sizeof want, "%s: File exists", path);
    assert_string_equal(err.msg, want);
}

/* SPEC: a FIFO (or device) given as the output is written into directly:
 * no .part, commit and abort only close it, the node stays */
static void
test_atomic_direct_fifo(void **state)
{
    struct sandbox *sb = *state;
    char fifo[160], part[170];
    snprintf(fifo, sizeof fifo, "%s/pipe", sb->path);
    snprintf(part, sizeof part, "%s.part", fifo);
    assert_int_equal(mkfifo(fifo, 0600), 0);
    int rd = open(fifo, O_RDONLY | O_NONBLOCK);
    assert_true(rd >= 0);
    struct fs_atomic af = FS_ATOMIC_INIT;
    struct fy_err err = FY_ERR_INIT;
    struct stat st;
    assert_int_equal(fs_atomic_open(&af, fifo, 0644, &err), FY_OK);
    assert_true(af.direct);
    assert_null(af.tmp);
    assert_true(af.fd >= 0);
    assert_string_equal(fs_atomic_name(&af), fifo);
    assert_int_equal(lstat(part, &st), -1);
    assert_int_equal(fs_write_all(af.fd, "through", 7, fifo, &err), FY_OK);
    int wfd = af.fd;
    assert_int_equal(fs_atomic_commit(&af, &err), FY_OK);
    assert_int_equal(af.fd, -1);
    assert_false(af.direct);
    assert_int_equal(fcntl(wfd, F_GETFD), -1); /* closed */
    char buf[16];
    assert_int_equal(read(rd, buf, sizeof buf), 7);
    assert_memory_equal(buf, "through", 7);
    assert_int_equal(read(rd, buf, sizeof buf), 0); /* writer closed: EOF */
    assert_int_equal(lstat(fifo, &st), 0);
    assert_true(S_ISFIFO(st.st_mode));
    /* abort of a direct output closes it and removes nothing */
    assert_int_equal(fs_atomic_open(&af, fifo, 0644, &err), FY_OK);
    assert_true(af.direct);
    fs_atomic_abort(&af);
    assert_int_equal(af.fd, -1);
    assert_false(af.direct);
    assert_int_equal(lstat(fifo, &st), 0);
    assert_true(S_ISFIFO(st.st_mode));
    assert_int_equal(lstat(part, &st), -1);
    close(rd);
}

/* fs_write_all carries on after a short write and names the output in its
 * error: RLIMIT_FSIZE makes the kernel write only part, then EFBIG */
static void
test_write_all_short(void **state)
{
    struct sandbox *sb = *state;
    char path[160];
    snprintf(path, sizeof path, "%s/limited", sb->path);
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
    assert_true(fd >= 0);
    struct rlimit old, lim;
    assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
    lim = old;
    lim.rlim_cur = 100;
    signal(SIGXFSZ, SIG_IGN);
    char data[300];
    memset(data, 'x', sizeof data);
    struct fy_err err = FY_ERR_INIT;
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);
    /* 60 bytes fit; of the next 60 the kernel takes 40, then refuses */
    enum fy_rc rc1 = fs_write_all(fd, data, 60, "limited", &err);
    enum fy_rc rc2 = fs_write_all(fd, data, 60, "limited", &err);
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
    assert_int_equal(rc1, FY_OK);
    assert_int_equal(rc2, FY_ERUNTIME);
    assert_string_equal(err.msg, "limited: File too large");
    struct stat st;
    assert_int_equal(fstat(fd, &st), 0);
    assert_int_equal(st.st_size, 100);
    close(fd);
    /* a bad descriptor is an error, not a loop */
    fy_err_clear(&err);
    assert_int_equal(fs_write_all(fd, data, 1, "closed", &err), FY_ERUNTIME);
    assert_string_equal(err.msg, "closed: Bad file descriptor");
    /* nothing to write: fine, even on a bad descriptor */
    assert_int_equal(fs_write_all(-1, data, 0, "none", &err), FY_OK);
}

/* fs_pwrite_all writes at the offset, carries on after a short write, and
 * reports the kernel's refusal in errno */
static void
test_pwrite_all(void **state)
{
    struct sandbox *sb = *state;
    char path[160];
    snprintf(path, sizeof path, "%s/sparse", sb->path);
    int fd = open(path, O_RDWR | O_CREAT | O_EXCL, 0600);
    assert_true(fd >= 0);
    assert_int_equal(fs_pwrite_all(fd, "tail", 4, 10), 0);
    assert_int_equal(fs_pwrite_all(fd, "head", 4, 0), 0);
    assert_int_equal(fs_pwrite_all(fd, "x", 0, 500), 0); /* nothing */
    char buf[32];
    assert_int_equal(pread(fd, buf, sizeof buf, 0), 14);
    assert_memory_equal(buf, "head\0\0\0\0\0\0tail", 14);
    /* 100 bytes allowed: of 60 at offset 80 the kernel takes 20 */
    struct rlimit old, lim;
    assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
    lim = old;
    lim.rlim_cur = 100;
    signal(SIGXFSZ, SIG_IGN);
    char data[60];
    memset(data, 'y', sizeof data);
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);
    int r = fs_pwrite_all(fd, data, sizeof data, 80);
    int e = errno;
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
    assert_int_equal(r, -1);
    assert_int_equal(e, EFBIG);
    struct stat st;
    assert_int_equal(fstat(fd, &st), 0);
    assert_int_equal(st.st_size, 100);
    assert_int_equal(pread(fd, buf, 20, 80), 20);
    assert_memory_equal(buf, data, 20);
    close(fd);
    assert_int_equal(fs_pwrite_all(fd, "z", 1, 0), -1);
    assert_int_equal(errno, EBADF);
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

/* fs_umask reads the umask and leaves it as it was */
static void
test_umask(void **state)
{
    (void)state;
    mode_t old = umask(027);
    assert_int_equal(fs_umask(), 027);
    assert_int_equal(fs_umask(), 027);
    assert_int_equal(umask(0), 027); /* unchanged by the reads */
    umask(old);
}

static void
test_paths_overlap(void **state)
{
    (void)state;
    char *p = fs_path_lexical("/a//b/./c/../d/");
    assert_string_equal(p, "/a/b/d");
    free(p);
    p = fs_path_lexical("../x/..");
    assert_string_equal(p, "");
    free(p);
    p = fs_path_lexical("/../..");
    assert_string_equal(p, "/");
    free(p);
    assert_true(fs_paths_overlap("/w", "/w/"));
    assert_true(fs_paths_overlap("/w", "/w/t"));
    assert_true(fs_paths_overlap("/w/t/..", "/w"));
    assert_true(fs_paths_overlap("/", "/anything"));
    assert_true(fs_paths_overlap("/anything", "/"));
    assert_false(fs_paths_overlap("/w", "/w2"));
    assert_false(fs_paths_overlap("/w2", "/w"));
    assert_false(fs_paths_overlap("/a/b", "/a/c"));
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_paths_overlap),
        cmocka_unit_test_setup_teardown(test_open_beneath, setup, teardown),
        cmocka_unit_test_setup_teardown(test_open_walk, setup, teardown),
        cmocka_unit_test_setup_teardown(test_mkdir_beneath, setup, teardown),
        cmocka_unit_test_setup_teardown(test_atomic_special, setup, teardown),
        cmocka_unit_test_setup_teardown(test_atomic_names, setup, teardown),
        cmocka_unit_test_setup_teardown(test_open_beneath_refuses, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_open_walk_refuses, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_atomic_commit, setup, teardown),
        cmocka_unit_test_setup_teardown(test_atomic_abort, setup, teardown),
        cmocka_unit_test_setup_teardown(test_atomic_stale_part, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_atomic_direct_fifo, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_write_all_short, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pwrite_all, setup, teardown),
        /* last: it raises the process's interrupt flag */
        cmocka_unit_test(test_write_epipe),
        cmocka_unit_test(test_umask),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
