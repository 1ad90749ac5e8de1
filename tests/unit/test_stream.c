/* Unit tests for stream.c (include/ferry/stream.h): file and FIFO streams
 * both ways (round trip, the .part until commit, short reads, end of
 * input, the errors and the names they carry), memory streams, a reader
 * that went away, and a blocked read or write ended by SIGINT. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "ferry/fs.h"
#include "ferry/stream.h"
#include "ferry/xalloc.h"

struct box {
    char path[64];
    char buf[100]; /* path + "/" + a short name; fits every path[] below */
};

static int
setup(void **state)
{
    struct box *b = calloc(1, sizeof *b);
    if (b == NULL)
        return -1;
    snprintf(b->path, sizeof b->path, "/tmp/ferry-unit-stream.XXXXXX");
    if (mkdtemp(b->path) == NULL)
        return -1;
    *state = b;
    return 0;
}

static int
teardown(void **state)
{
    struct box *b = *state;
    struct fy_err err = FY_ERR_INIT;
    fs_remove_tree_at(AT_FDCWD, b->path, &err);
    free(b);
    return 0;
}

/* b->buf holds "<dir>/<name>" */
static const char *
in_box(struct box *b, const char *name)
{
    snprintf(b->buf, sizeof b->buf, "%s/%s", b->path, name);
    return b->buf;
}

static unsigned char *
pattern(size_t n)
{
    unsigned char *p = malloc(n);
    assert_non_null(p);
    uint32_t x = 2463534242u;
    for (size_t i = 0; i < n; i++) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        p[i] = (unsigned char)x;
    }
    return p;
}

/* Read is to its end in reads of at most cap bytes; the bytes in *out. */
static size_t
drain(struct fy_istream *is, size_t cap, unsigned char **out)
{
    struct sbuf sb = SBUF_INIT;
    struct fy_err err = FY_ERR_INIT;
    unsigned char *buf = malloc(cap);
    assert_non_null(buf);
    for (;;) {
        size_t got = 99;
        assert_int_equal(is->read(is->ctx, buf, cap, &got, &err), FY_OK);
        assert_true(got <= cap);
        if (got == 0)
            break;
        sbuf_add(&sb, buf, got);
    }
    free(buf);
    size_t n = sb.len;
    *out = (unsigned char *)sbuf_detach(&sb);
    return n;
}

/* A file written in uneven pieces (past the 8 MiB writeback kick) reads
 * back the same; until commit only ARCHIVE.part exists */
static void
test_file_round_trip(void **state)
{
    struct box *b = *state;
    char path[128], part[140];
    snprintf(path, sizeof path, "%s", in_box(b, "a.bin"));
    snprintf(part, sizeof part, "%s.part", path);
    const size_t total = (20u << 20) + 12345;
    unsigned char *data = pattern(total);
    struct fy_ostream os;
    struct fy_err err = FY_ERR_INIT;
    struct stat st;
    assert_int_equal(stream_out_open(&os, path, &err), FY_OK);
    assert_true(os.is_file);
    assert_true(os.fd >= 0);
    assert_string_equal(os.name, path);
    size_t off = 0, step = 1;
    while (off < total) {
        size_t n = total - off < step ? total - off : step;
        assert_int_equal(os.write(os.ctx, data + off, n, &err), FY_OK);
        off += n;
        step = step * 3 + 7; /* 1, 10, 37, ... up to MiBs */
    }
    assert_int_equal(lstat(path, &st), -1);
    assert_int_equal(lstat(part, &st), 0);
    assert_int_equal(st.st_size, (off_t)total);
    assert_int_equal(os.close(os.ctx, true, &err), FY_OK);
    assert_int_equal(lstat(part, &st), -1);
    assert_int_equal(lstat(path, &st), 0);
    assert_int_equal(st.st_mode & 07777, 0644);

    struct fy_istream is;
    assert_int_equal(stream_in_open(&is, path, &err), FY_OK);
    assert_int_equal(is.size, (int64_t)total);
    assert_true(is.fd >= 0);
    assert_string_equal(is.name, path);
    unsigned char *back;
    assert_int_equal(drain(&is, 65536, &back), total);
    assert_memory_equal(back, data, total);
    /* at the end it stays at the end */
    size_t got = 1;
    char c;
    assert_int_equal(is.read(is.ctx, &c, 1, &got, &err), FY_OK);
    assert_int_equal(got, 0);
    is.close(is.ctx);
    free(back);
    free(data);
}

/* close without commit removes the .part and never fails */
static void
test_file_discard(void **state)
{
    struct box *b = *state;
    char path[128], part[140];
    snprintf(path, sizeof path, "%s", in_box(b, "gone.bin"));
    snprintf(part, sizeof part, "%s.part", path);
    struct fy_ostream os;
    struct fy_err err = FY_ERR_INIT;
    struct stat st;
    assert_int_equal(stream_out_open(&os, path, &err), FY_OK);
    assert_int_equal(os.write(os.ctx, "partial", 7, &err), FY_OK);
    assert_int_equal(lstat(part, &st), 0);
    assert_int_equal(os.close(os.ctx, false, &err), FY_OK);
    assert_int_equal(lstat(part, &st), -1);
    assert_int_equal(lstat(path, &st), -1);
    assert_int_equal(err.rc, FY_OK);
}

/* short reads: a read asks for more than there is and gets what there is,
 * without waiting for more; EOF once every writer of the FIFO closed */
static void
test_fifo_short_reads(void **state)
{
    struct box *b = *state;
    char fifo[128];
    snprintf(fifo, sizeof fifo, "%s", in_box(b, "in.fifo"));
    assert_int_equal(mkfifo(fifo, 0600), 0);
    int w = open(fifo, O_RDWR); /* a writer, so the open below returns */
    assert_true(w >= 0);
    struct fy_istream is;
    struct fy_err err = FY_ERR_INIT;
    assert_int_equal(stream_in_open(&is, fifo, &err), FY_OK);
    assert_int_equal(is.size, -1); /* unknown for a pipe */
    assert_true(is.fd >= 0);
    char buf[100];
    size_t got = 0;
    assert_int_equal(write(w, "0123456789", 10), 10);
    assert_int_equal(is.read(is.ctx, buf, sizeof buf, &got, &err), FY_OK);
    assert_int_equal(got, 10);
    assert_memory_equal(buf, "0123456789", 10);
    assert_int_equal(write(w, "abcdef", 6), 6);
    assert_int_equal(is.read(is.ctx, buf, 4, &got, &err), FY_OK);
    assert_int_equal(got, 4);
    assert_memory_equal(buf, "abcd", 4);
    close(w);
    assert_int_equal(is.read(is.ctx, buf, sizeof buf, &got, &err), FY_OK);
    assert_int_equal(got, 2);
    assert_memory_equal(buf, "ef", 2);
    got = 1;
    assert_int_equal(is.read(is.ctx, buf, sizeof buf, &got, &err), FY_OK);
    assert_int_equal(got, 0);
    is.close(is.ctx);
}

/* a FIFO given as the output is written into, never replaced */
static void
test_fifo_output(void **state)
{
    struct box *b = *state;
    char fifo[128];
    snprintf(fifo, sizeof fifo, "%s", in_box(b, "out.fifo"));
    assert_int_equal(mkfifo(fifo, 0600), 0);
    int r = open(fifo, O_RDONLY | O_NONBLOCK);
    assert_true(r >= 0);
    struct fy_ostream os;
    struct fy_err err = FY_ERR_INIT;
    struct stat st;
    assert_int_equal(stream_out_open(&os, fifo, &err), FY_OK);
    assert_int_equal(os.write(os.ctx, "piped", 5, &err), FY_OK);
    assert_int_equal(os.close(os.ctx, true, &err), FY_OK);
    char buf[16];
    assert_int_equal(read(r, buf, sizeof buf), 5);
    assert_memory_equal(buf, "piped", 5);
    assert_int_equal(read(r, buf, sizeof buf), 0);
    close(r);
    assert_int_equal(lstat(fifo, &st), 0);
    assert_true(S_ISFIFO(st.st_mode));
}

static void
test_open_errors(void **state)
{
    struct box *b = *state;
    struct fy_istream is;
    struct fy_ostream os;
    struct fy_err err = FY_ERR_INIT;
    char want[200];
    const char *p = in_box(b, "missing");
    assert_int_equal(stream_in_open(&is, p, &err), FY_ERUNTIME);
    snprintf(want, sizeof want, "%s: No such file or directory", p);
    assert_string_equal(err.msg, want);
    fy_err_clear(&err);
    assert_int_equal(stream_in_open(&is, b->path, &err), FY_EINPUT);
    snprintf(want, sizeof want, "%s: is a directory", b->path);
    assert_string_equal(err.msg, want);
    fy_err_clear(&err);
    p = in_box(b, "nodir/out.tar.zst");
    assert_int_equal(stream_out_open(&os, p, &err), FY_ERUNTIME);
    snprintf(want, sizeof want, "%s: No such file or directory", p);
    assert_string_equal(err.msg, want);
    fy_err_clear(&err);
    assert_int_equal(stream_out_open(&os, b->path, &err), FY_ERUNTIME);
    snprintf(want, sizeof want, "%s: is a directory", b->path);
    assert_string_equal(err.msg, want);
}

/* a read that fails names the input: /proc/self/mem at offset 0 is EIO */
static void
test_read_error(void **state)
{
    (void)state;
    struct fy_istream is;
    struct fy_err err = FY_ERR_INIT;
    char buf[16];
    size_t got = 7;
    if (stream_in_open(&is, "/proc/self/mem", &err) != FY_OK)
        skip();
    assert_int_equal(is.read(is.ctx, buf, sizeof buf, &got, &err), FY_ERUNTIME);
    assert_string_equal(err.msg, "/proc/self/mem: Input/output error");
    is.close(is.ctx);
}

/* a write that fails names the final path, never ARCHIVE.part */
static void
test_write_error(void **state)
{
    struct box *b = *state;
    char path[128];
    snprintf(path, sizeof path, "%s", in_box(b, "big.tar.zst"));
    struct fy_ostream os;
    struct fy_err err = FY_ERR_INIT;
    struct rlimit old, lim;
    char data[300];
    memset(data, 'x', sizeof data);
    signal(SIGXFSZ, SIG_IGN);
    assert_int_equal(stream_out_open(&os, path, &err), FY_OK);
    assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
    lim = old;
    lim.rlim_cur = 100;
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);
    enum fy_rc rc = os.write(os.ctx, data, sizeof data, &err);
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
    assert_int_equal(rc, FY_ERUNTIME);
    char want[200];
    snprintf(want, sizeof want, "%s: File too large", path);
    assert_string_equal(err.msg, want);
    assert_int_equal(os.close(os.ctx, false, &err), FY_OK);
    struct stat st;
    char part[140];
    snprintf(part, sizeof part, "%s.part", path);
    assert_int_equal(lstat(part, &st), -1);
    assert_int_equal(lstat(path, &st), -1);
}

static void
test_mem_streams(void **state)
{
    (void)state;
    struct fy_istream is;
    struct fy_err err = FY_ERR_INIT;
    stream_in_mem(&is, "hello world", 11, "mem");
    assert_int_equal(is.size, 11);
    assert_int_equal(is.fd, -1);
    assert_string_equal(is.name, "mem");
    unsigned char *back;
    assert_int_equal(drain(&is, 3, &back), 11);
    assert_memory_equal(back, "hello world", 11);
    free(back);
    is.close(is.ctx);

    struct sbuf sb = SBUF_INIT;
    struct fy_ostream os;
    stream_out_sbuf(&os, &sb, "sink");
    assert_false(os.is_file);
    assert_int_equal(os.fd, -1);
    assert_int_equal(os.write(os.ctx, "ab", 2, &err), FY_OK);
    assert_int_equal(os.write(os.ctx, "cde", 3, &err), FY_OK);
    assert_int_equal(os.close(os.ctx, true, &err), FY_OK);
    assert_int_equal(sb.len, 5);
    assert_memory_equal(sb.buf, "abcde", 5);
    sbuf_release(&sb);
}

/*
 * Interruption: a thread sends SIGINT to the test thread (blocked in a
 * read of an empty FIFO or a write to a full one) every 10 ms until the
 * call returns; after 5 s it gives up and unblocks the call another way,
 * so a stream that ignores the signal fails the test instead of hanging.
 */
struct kicker {
    pthread_t target;
    int unblock_fd; /* written to, or closed, to end the wait */
    bool unblock_by_close;
    volatile int done;
    bool closed;
    pthread_t thread;
};

static void *
kick(void *arg)
{
    struct kicker *k = arg;
    struct timespec ts = {0, 10 * 1000 * 1000};
    for (int i = 0; i < 500 && !k->done; i++) {
        pthread_kill(k->target, SIGINT);
        nanosleep(&ts, NULL);
    }
    if (!k->done) {
        if (k->unblock_by_close) { /* the writer then fails with EPIPE */
            close(k->unblock_fd);
            k->closed = true;
        } else {
            (void)!write(k->unblock_fd, "x", 1);
        }
    }
    return NULL;
}

static void
kicker_start(struct kicker *k, int fd, bool by_close)
{
    k->target = pthread_self();
    k->unblock_fd = fd;
    k->unblock_by_close = by_close;
    k->done = 0;
    k->closed = false;
    assert_int_equal(pthread_create(&k->thread, NULL, kick, k), 0);
}

static void
kicker_stop(struct kicker *k)
{
    k->done = 1;
    pthread_join(k->thread, NULL);
}

static void
test_read_interrupted(void **state)
{
    struct box *b = *state;
    char fifo[128];
    snprintf(fifo, sizeof fifo, "%s", in_box(b, "wait.fifo"));
    assert_int_equal(mkfifo(fifo, 0600), 0);
    int w = open(fifo, O_RDWR);
    assert_true(w >= 0);
    struct fy_istream is;
    struct fy_err err = FY_ERR_INIT;
    assert_int_equal(stream_in_open(&is, fifo, &err), FY_OK);
    fy_signals_install();
    struct kicker k;
    char buf[16];
    size_t got = 0;
    kicker_start(&k, w, false);
    enum fy_rc rc = is.read(is.ctx, buf, sizeof buf, &got, &err);
    kicker_stop(&k);
    assert_int_equal(rc, FY_EINTR);
    char want[200];
    snprintf(want, sizeof want, "%s: interrupted", fifo);
    assert_string_equal(err.msg, want);
    assert_true(fy_interrupted());
    is.close(is.ctx);
    close(w);
}

static void
test_write_interrupted(void **state)
{
    struct box *b = *state;
    char fifo[128];
    snprintf(fifo, sizeof fifo, "%s", in_box(b, "full.fifo"));
    assert_int_equal(mkfifo(fifo, 0600), 0);
    int r = open(fifo, O_RDONLY | O_NONBLOCK); /* a reader that never reads */
    assert_true(r >= 0);
    struct fy_ostream os;
    struct fy_err err = FY_ERR_INIT;
    assert_int_equal(stream_out_open(&os, fifo, &err), FY_OK);
    fy_signals_install();
    size_t n = 4u << 20; /* far more than a pipe holds */
    unsigned char *data = pattern(n);
    struct kicker k;
    kicker_start(&k, r, true);
    enum fy_rc rc = os.write(os.ctx, data, n, &err);
    kicker_stop(&k);
    assert_int_equal(rc, FY_EINTR);
    char want[200];
    snprintf(want, sizeof want, "%s: interrupted", fifo);
    assert_string_equal(err.msg, want);
    assert_int_equal(os.close(os.ctx, false, &err), FY_OK);
    free(data);
    if (!k.closed)
        close(r);
}

/* the reader of a FIFO output went away: FY_EPIPE, quietly */
static void
test_write_reader_gone(void **state)
{
    struct box *b = *state;
    char fifo[128];
    snprintf(fifo, sizeof fifo, "%s", in_box(b, "gone.fifo"));
    assert_int_equal(mkfifo(fifo, 0600), 0);
    int r = open(fifo, O_RDONLY | O_NONBLOCK);
    assert_true(r >= 0);
    struct fy_ostream os;
    struct fy_err err = FY_ERR_INIT;
    signal(SIGPIPE, SIG_IGN);
    assert_int_equal(stream_out_open(&os, fifo, &err), FY_OK);
    close(r);
    assert_int_equal(os.write(os.ctx, "x", 1, &err), FY_EPIPE);
    char want[200];
    snprintf(want, sizeof want, "%s: reader went away", fifo);
    assert_string_equal(err.msg, want);
    assert_true(fy_pipe_closed());
    assert_true(fy_interrupted()); /* every loop stops, as on SIGPIPE */
    os.close(os.ctx, false, &err);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_file_round_trip, setup, teardown),
        cmocka_unit_test_setup_teardown(test_file_discard, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fifo_short_reads, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fifo_output, setup, teardown),
        cmocka_unit_test_setup_teardown(test_open_errors, setup, teardown),
        cmocka_unit_test(test_read_error),
        cmocka_unit_test_setup_teardown(test_write_error, setup, teardown),
        cmocka_unit_test(test_mem_streams),
        /* last: these raise the process's interrupt flag for good */
        cmocka_unit_test_setup_teardown(test_write_reader_gone, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_read_interrupted, setup, teardown),
        cmocka_unit_test_setup_teardown(test_write_interrupted, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
