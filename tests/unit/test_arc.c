/*
 * Unit tests for the archive engine's rules (arc_rules.c): path cleaning,
 * the unpack entry-safety check, gitignore-style excludes, formats; the
 * manifest format (arc_manifest.c); the libarchive error mapping; and one
 * in-memory pack -> verify -> list round trip through the stream tables.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "ferry/arc.h"
#include "ferry/fs.h"
#include "ferry/out.h"
#include "ferry/stream.h"
#include "ferry/xalloc.h"

static void
test_path_clean(void **state)
{
    (void)state;
    char *out;
    assert_int_equal(arc_path_clean("a/b", &out), ARC_PATH_OK);
    assert_string_equal(out, "a/b");
    free(out);
    assert_int_equal(arc_path_clean("./a//./b/", &out), ARC_PATH_OK);
    assert_string_equal(out, "a/b");
    free(out);
    assert_int_equal(arc_path_clean("a/..b/c..", &out), ARC_PATH_OK);
    assert_string_equal(out, "a/..b/c..");
    free(out);
    assert_int_equal(arc_path_clean("", &out), ARC_PATH_EMPTY);
    assert_null(out);
    assert_int_equal(arc_path_clean("./", &out), ARC_PATH_EMPTY);
    assert_int_equal(arc_path_clean(".//.", &out), ARC_PATH_EMPTY);
    assert_int_equal(arc_path_clean(NULL, &out), ARC_PATH_EMPTY);
    assert_int_equal(arc_path_clean("/etc/passwd", &out), ARC_PATH_ABSOLUTE);
    assert_null(out);
    assert_int_equal(arc_path_clean("//x", &out), ARC_PATH_ABSOLUTE);
    assert_int_equal(arc_path_clean("..", &out), ARC_PATH_DOTDOT);
    assert_int_equal(arc_path_clean("../x", &out), ARC_PATH_DOTDOT);
    assert_int_equal(arc_path_clean("a/../../x", &out), ARC_PATH_DOTDOT);
    assert_int_equal(arc_path_clean("a/b/..", &out), ARC_PATH_DOTDOT);
    assert_int_equal(arc_path_clean("./../x", &out), ARC_PATH_DOTDOT);
    assert_null(out);
}

static void
test_path_strip(void **state)
{
    (void)state;
    assert_string_equal(arc_path_strip("a/b/c", 0), "a/b/c");
    assert_string_equal(arc_path_strip("a/b/c", 1), "b/c");
    assert_string_equal(arc_path_strip("a/b/c", 2), "c");
    assert_null(arc_path_strip("a/b/c", 3));
    assert_null(arc_path_strip("a", 1));
}

static void
test_guard(void **state)
{
    (void)state;
    struct arc_guard *g = arc_guard_new(NULL);
    assert_int_equal(arc_entry_check(g, "a/b", 'f', NULL), ARC_SAFE);
    assert_int_equal(arc_entry_check(g, "/abs", 'f', NULL),
                     ARC_UNSAFE_ABSOLUTE);
    arc_guard_add(g, "dir", 'd');
    arc_guard_add(g, "dir/file", 'f');
    arc_guard_add(g, "dir/link", 'l'); /* e.g. -> /etc */
    assert_int_equal(arc_guard_type(g, "dir/link"), 'l');
    assert_int_equal(arc_guard_type(g, "nope"), 0);
    /* write through a symlink created earlier: refused, at any depth */
    assert_int_equal(arc_entry_check(g, "dir/link/passwd", 'f', NULL),
                     ARC_UNSAFE_SYMLINK);
    assert_int_equal(arc_entry_check(g, "dir/link/x/y", 'f', NULL),
                     ARC_UNSAFE_SYMLINK);
    /* the symlink itself may be replaced (libarchive unlinks it) */
    assert_int_equal(arc_entry_check(g, "dir/link", 'f', NULL), ARC_SAFE);
    assert_int_equal(arc_entry_check(g, "dir/other", 'f', NULL), ARC_SAFE);
    /* hardlinks: only to an earlier file or symlink of the archive */
    assert_int_equal(arc_entry_check(g, "h1", 'h', "dir/file"), ARC_SAFE);
    assert_int_equal(arc_entry_check(g, "h2", 'h', "dir/link"), ARC_SAFE);
    assert_int_equal(arc_entry_check(g, "h3", 'h', "dir"),
                     ARC_UNSAFE_LINK_TARGET);
    assert_int_equal(arc_entry_check(g, "h4", 'h', "later"),
                     ARC_UNSAFE_LINK_TARGET);
    assert_int_equal(arc_entry_check(g, "h5", 'h', "/etc/shadow"),
                     ARC_UNSAFE_LINK_ABSOLUTE);
    assert_int_equal(arc_entry_check(g, "h6", 'h', "dir/link/shadow"),
                     ARC_UNSAFE_LINK_SYMLINK);
    /* a symlink replaced by a directory is a directory again */
    arc_guard_add(g, "dir/link", 'd');
    assert_int_equal(arc_entry_check(g, "dir/link/ok", 'f', NULL), ARC_SAFE);
    /* issue 9: a non-directory where earlier entries made a directory,
     * named (dir) or as a parent (p, p/q of p/q/f): refused; a directory
     * there, or a file beside it, is fine */
    arc_guard_add(g, "p/q/f", 'f');
    assert_int_equal(arc_guard_type(g, "p/q"), 'd');
    assert_int_equal(arc_guard_type(g, "p"), 'd');
    assert_int_equal(arc_entry_check(g, "dir", 'l', NULL), ARC_UNSAFE_OVER_DIR);
    assert_int_equal(arc_entry_check(g, "p", 'f', NULL), ARC_UNSAFE_OVER_DIR);
    assert_int_equal(arc_entry_check(g, "p/q", 'h', "dir/file"),
                     ARC_UNSAFE_OVER_DIR);
    assert_int_equal(arc_entry_check(g, "p/q", 'd', NULL), ARC_SAFE);
    assert_int_equal(arc_entry_check(g, "p/q/f", 'f', NULL), ARC_SAFE);
    assert_int_equal(arc_entry_check(g, "p/q/f", 'l', NULL), ARC_SAFE);
    assert_int_equal(arc_entry_check(g, "h7", 'h', "p"),
                     ARC_UNSAFE_LINK_TARGET);
    /* nor through a file an earlier entry made, at any depth */
    assert_int_equal(arc_entry_check(g, "dir/file/x", 'f', NULL),
                     ARC_UNSAFE_PARENT);
    assert_int_equal(arc_entry_check(g, "dir/file/x/y", 'd', NULL),
                     ARC_UNSAFE_PARENT);
    assert_int_equal(arc_entry_check(g, "h8", 'h', "dir/file/x"),
                     ARC_UNSAFE_LINK_TARGET);
    for (int u = ARC_SAFE; u <= ARC_UNSAFE_PARENT; u++)
        assert_non_null(arc_unsafe_why((enum arc_unsafe)u));
    arc_guard_free(g);
    arc_guard_free(NULL);
}

static struct arc_map_val *
map_get(struct arc_map *m, const char *key)
{
    return arc_map_get(m, key, strlen(key));
}

static struct arc_map_val *
map_put(struct arc_map *m, const char *key)
{
    return arc_map_put(m, key, strlen(key));
}

static void
test_map(void **state)
{
    (void)state;
    struct arc_map m = ARC_MAP_INIT;
    char key[32];
    assert_null(map_get(&m, "p/0"));
    for (int i = 0; i < 5000; i++) {
        snprintf(key, sizeof key, "p/%d", i);
        struct arc_map_val *v = map_put(&m, key);
        v->size = i;
    }
    assert_int_equal(m.n, 5000);
    for (int i = 0; i < 5000; i++) {
        snprintf(key, sizeof key, "p/%d", i);
        struct arc_map_val *v = map_get(&m, key);
        assert_non_null(v);
        assert_int_equal(v->size, i);
    }
    assert_null(map_get(&m, "p/5000"));
    map_put(&m, "p/1");
    assert_int_equal(m.n, 5000); /* existing key: no new entry */
    /* a key is its len bytes: "p/4999" here, then "p/49990" */
    assert_int_equal(arc_map_get(&m, "p/49990", 6)->size, 4999);
    assert_null(arc_map_get(&m, "p/49990", 7));
    arc_map_release(&m);
}

static uint64_t
same_hash(const void *key, size_t len)
{
    (void)key;
    (void)len;
    return 42;
}

/* issue 9: two paths whose hashes collide are still two entries */
static void
test_map_collision(void **state)
{
    (void)state;
    struct arc_map m = ARC_MAP_INIT;
    char key[32];
    m.hash = same_hash;
    map_put(&m, "a")->type = 'l';
    assert_null(map_get(&m, "b"));
    map_put(&m, "b")->type = 'f';
    assert_int_equal(m.n, 2);
    assert_int_equal(map_get(&m, "a")->type, 'l');
    assert_int_equal(map_get(&m, "b")->type, 'f');
    for (int i = 0; i < 600; i++) { /* through a grow, all colliding */
        snprintf(key, sizeof key, "k%d", i);
        map_put(&m, key)->size = i;
    }
    for (int i = 0; i < 600; i++) {
        snprintf(key, sizeof key, "k%d", i);
        assert_int_equal(map_get(&m, key)->size, i);
    }
    assert_int_equal(map_get(&m, "a")->type, 'l');
    arc_map_release(&m);
    assert_true(m.hash == same_hash);

    /* the unpack guard on such a map: a file whose hash equals a
     * symlink's is not that symlink */
    struct arc_guard *g = arc_guard_new(NULL);
    arc_guard_add(g, "link", 'l');
    arc_guard_add(g, "file", 'f');
    assert_int_equal(arc_guard_type(g, "link"), 'l');
    assert_int_equal(arc_guard_type(g, "file"), 'f');
    assert_int_equal(arc_guard_type(g, "other"), 0);
    arc_guard_free(g);
}

static void
test_excludes(void **state)
{
    (void)state;
    struct arc_excludes ex = ARC_EXCLUDES_INIT;
    arc_excludes_add(&ex, "# a comment");
    arc_excludes_add(&ex, "");
    arc_excludes_add(&ex, "   ");
    assert_int_equal(ex.n, 0);
    /* no slash: a name anywhere */
    arc_excludes_add(&ex, "*.pyc");
    assert_true(arc_excludes_match(&ex, "x.pyc", false));
    assert_true(arc_excludes_match(&ex, "src/pkg/x.pyc", false));
    assert_false(arc_excludes_match(&ex, "src/pkg/x.py", false));
    /* a slash inside: anchored at the top */
    arc_excludes_add(&ex, "data/raw");
    assert_true(arc_excludes_match(&ex, "data/raw", true));
    assert_false(arc_excludes_match(&ex, "x/data/raw", true));
    /* leading slash: anchored too */
    arc_excludes_add(&ex, "/top.txt");
    assert_true(arc_excludes_match(&ex, "top.txt", false));
    assert_false(arc_excludes_match(&ex, "sub/top.txt", false));
    /* trailing slash: directories only */
    arc_excludes_add(&ex, "cache/");
    assert_true(arc_excludes_match(&ex, "cache", true));
    assert_true(arc_excludes_match(&ex, "a/cache", true));
    assert_false(arc_excludes_match(&ex, "a/cache", false));
    /* '!' re-includes; the last matching rule wins */
    arc_excludes_add(&ex, "*.log");
    arc_excludes_add(&ex, "!keep.log");
    assert_true(arc_excludes_match(&ex, "logs/a.log", false));
    assert_false(arc_excludes_match(&ex, "logs/keep.log", false));
    arc_excludes_add(&ex, "keep.log");
    assert_true(arc_excludes_match(&ex, "logs/keep.log", false));
    /* escapes: a literal '#' or '!' and a kept trailing space */
    arc_excludes_add(&ex, "\\#hash");
    assert_true(arc_excludes_match(&ex, "#hash", false));
    arc_excludes_add(&ex, "\\!bang");
    assert_true(arc_excludes_match(&ex, "!bang", false));
    arc_excludes_add(&ex, "trail\\ ");
    assert_true(arc_excludes_match(&ex, "trail ", false));
    arc_excludes_add(&ex, "spaces   ");
    assert_true(arc_excludes_match(&ex, "spaces", false));
    /* "**" */
    arc_excludes_add(&ex, "**/tmp/**");
    assert_true(arc_excludes_match(&ex, "a/tmp/x", false));
    assert_true(arc_excludes_match(&ex, "tmp/x/y", false));
    assert_false(arc_excludes_match(&ex, "a/tmpx/y", false));
    arc_excludes_release(&ex);
    assert_int_equal(ex.n, 0);
}

static double
now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A hostile exclude rule (a .ferryignore may come from a shared repo)
 * costs milliseconds: a backtracking matcher took 13 s for the first case
 * and would never finish the second.  1 s cannot flake. */
static void
test_excludes_hostile(void **state)
{
    (void)state;
    struct arc_excludes ex = ARC_EXCLUDES_INIT;
    char *name = xmalloc(4097);
    memset(name, 'a', 4096);
    name[40] = '\0';
    arc_excludes_add(&ex, "*a*a*a*a*a*a*a*a*a*a*b");
    double t0 = now_s();
    assert_false(arc_excludes_match(&ex, name, false));
    assert_true(now_s() - t0 < 1.0);
    arc_excludes_release(&ex);

    struct sbuf rule = SBUF_INIT;
    for (int i = 0; i < 30; i++)
        sbuf_adds(&rule, "*a");
    sbuf_adds(&rule, "*b");
    arc_excludes_add(&ex, rule.buf);
    name[40] = 'a';
    name[4096] = '\0';
    t0 = now_s();
    assert_false(arc_excludes_match(&ex, name, false));
    name[4095] = 'b';
    assert_true(arc_excludes_match(&ex, name, false));
    assert_true(now_s() - t0 < 1.0);
    arc_excludes_release(&ex);
    sbuf_release(&rule);
    free(name);
}

static void
test_excludes_load(void **state)
{
    (void)state;
    char path[] = "/tmp/ferry-test-arc-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    const char text[] = "# generated\n*.tmp\r\n\n!important.tmp\nbuild/\n";
    assert_int_equal(write(fd, text, sizeof text - 1),
                     (ssize_t)sizeof text - 1);
    close(fd);
    struct arc_excludes ex = ARC_EXCLUDES_INIT;
    struct fy_err err = FY_ERR_INIT;
    assert_int_equal(arc_excludes_load(&ex, path, false, &err), FY_OK);
    assert_int_equal(ex.n, 3);
    assert_true(arc_excludes_match(&ex, "a/b.tmp", false));
    assert_false(arc_excludes_match(&ex, "important.tmp", false));
    assert_true(arc_excludes_match(&ex, "x/build", true));
    /* pack --dry-run names the rule and where it comes from */
    arc_excludes_add_from(&ex, "*.log", "--exclude");
    const char *from = NULL;
    assert_string_equal(arc_excludes_why(&ex, "a/b.tmp", false, &from),
                        "*.tmp");
    char *want = xasprintf("%s:2", path);
    assert_string_equal(from, want);
    free(want);
    assert_string_equal(arc_excludes_why(&ex, "x/build", true, &from),
                        "build/");
    assert_string_equal(arc_excludes_why(&ex, "z.log", false, &from), "*.log");
    assert_string_equal(from, "--exclude");
    assert_null(arc_excludes_why(&ex, "important.tmp", false, &from));
    assert_null(arc_excludes_why(&ex, "x/build", false, NULL));
    unlink(path);
    assert_int_equal(arc_excludes_load(&ex, path, true, &err), FY_OK);
    assert_int_equal(arc_excludes_load(&ex, path, false, &err), FY_ERUNTIME);
    assert_non_null(strstr(err.msg, path));
    arc_excludes_release(&ex);
}

static void
test_formats(void **state)
{
    (void)state;
    enum arc_format f;
    assert_true(arc_format_parse("tar.zst", &f));
    assert_int_equal(f, ARC_FMT_TAR_ZST);
    assert_true(arc_format_parse("tgz", &f));
    assert_int_equal(f, ARC_FMT_TAR_GZ);
    assert_true(arc_format_parse("zip", &f));
    assert_int_equal(f, ARC_FMT_ZIP);
    assert_false(arc_format_parse("rar", &f));
    assert_int_equal(arc_format_from_path("x/ws.tar.zst"), ARC_FMT_TAR_ZST);
    assert_int_equal(arc_format_from_path("ws.tzst"), ARC_FMT_TAR_ZST);
    assert_int_equal(arc_format_from_path("ws.tar.gz"), ARC_FMT_TAR_GZ);
    assert_int_equal(arc_format_from_path("ws.tgz"), ARC_FMT_TAR_GZ);
    assert_int_equal(arc_format_from_path("ws.tar.xz"), ARC_FMT_TAR_XZ);
    assert_int_equal(arc_format_from_path("ws.tar"), ARC_FMT_TAR);
    assert_int_equal(arc_format_from_path("ws.zip"), ARC_FMT_ZIP);
    assert_int_equal(arc_format_from_path("ws.bin"), ARC_FMT_NONE);
    assert_int_equal(arc_format_from_path(".tar"), ARC_FMT_NONE);
    assert_int_equal(arc_format_from_path("-"), ARC_FMT_NONE);
    /* read, never written */
    assert_int_equal(arc_format_from_path("ws.tar.bz2"), ARC_FMT_NONE);
    assert_int_equal(arc_format_from_path("ws.tar.lz4"), ARC_FMT_NONE);
    assert_string_equal(arc_format_name(ARC_FMT_TAR_XZ), "tar.xz");
    char *s = arc_strip_ext("/a/b/ws.tar.zst");
    assert_string_equal(s, "ws");
    free(s);
    s = arc_strip_ext("backup.zip");
    assert_string_equal(s, "backup");
    free(s);
    s = arc_strip_ext("ws.tar.bz2");
    assert_string_equal(s, "ws");
    free(s);
    s = arc_strip_ext("ws.tbz2");
    assert_string_equal(s, "ws");
    free(s);
    s = arc_strip_ext("ws.tar.lz4");
    assert_string_equal(s, "ws");
    free(s);
    s = arc_strip_ext("plain");
    assert_string_equal(s, "plain");
    free(s);
    assert_null(arc_strip_ext("-"));
    assert_null(arc_strip_ext("/"));
    int lo, hi;
    assert_true(arc_level_range(ARC_FMT_TAR_ZST, &lo, &hi));
    assert_int_equal(hi, 22);
    assert_true(arc_level_range(ARC_FMT_TAR_GZ, &lo, &hi));
    assert_int_equal(lo, 1);
    assert_false(arc_level_range(ARC_FMT_TAR, &lo, &hi));
}

static void
test_rc_map(void **state)
{
    (void)state;
    assert_int_equal(arc_rc_from_errno(EILSEQ, ARC_SIDE_READ), FY_EINPUT);
    assert_int_equal(arc_rc_from_errno(-1, ARC_SIDE_READ), FY_EINPUT);
    assert_int_equal(arc_rc_from_errno(0, ARC_SIDE_READ), FY_EINPUT);
    assert_int_equal(arc_rc_from_errno(EIO, ARC_SIDE_READ), FY_ERUNTIME);
    assert_int_equal(arc_rc_from_errno(ENOSPC, ARC_SIDE_WRITE), FY_ERUNTIME);
    assert_int_equal(arc_rc_from_errno(-1, ARC_SIDE_WRITE), FY_ERUNTIME);
    assert_int_equal(arc_rc_from_errno(-1, ARC_SIDE_EXTRACT), FY_EREFUSED);
    assert_int_equal(arc_rc_from_errno(EACCES, ARC_SIDE_EXTRACT), FY_ERUNTIME);
    /* issue 10: only libarchive's SECURE refusals (0, -1) are exit 4;
     * "Seek failed" (lseek's EINVAL) is I/O, an unconvertible name (EILSEQ)
     * the archive's */
    assert_int_equal(arc_rc_from_errno(0, ARC_SIDE_EXTRACT), FY_EREFUSED);
    assert_int_equal(arc_rc_from_errno(EINVAL, ARC_SIDE_EXTRACT), FY_ERUNTIME);
    assert_int_equal(arc_rc_from_errno(EILSEQ, ARC_SIDE_EXTRACT), FY_EINPUT);
    /* issue 9: a name too long for the filesystem is the archive's */
    assert_int_equal(arc_rc_from_errno(ENAMETOOLONG, ARC_SIDE_EXTRACT),
                     FY_EINPUT);
    assert_int_equal(arc_rc_from_errno(ENAMETOOLONG, ARC_SIDE_WRITE),
                     FY_ERUNTIME);
}

/* manifest parsing: collect what the callback sees */
struct seen {
    int n;
    char types[16];
    char paths[16][64];
    int64_t sizes[16];
    bool hashed[16];
};

static enum fy_rc
collect(void *ctx, const struct arc_mf_line *l, struct fy_err *err)
{
    struct seen *s = ctx;
    (void)err;
    if (s->n < 16) {
        s->types[s->n] = l->type;
        snprintf(s->paths[s->n], sizeof s->paths[0], "%s", l->path);
        s->sizes[s->n] = l->size;
        s->hashed[s->n] = l->has_hash;
        s->n++;
    }
    return FY_OK;
}

static void
test_manifest_roundtrip(void **state)
{
    (void)state;
    struct sbuf sb = SBUF_INIT;
    unsigned char h[16];
    for (int i = 0; i < 16; i++)
        h[i] = (unsigned char)(i * 17);
    arc_manifest_begin(&sb);
    arc_manifest_add(&sb, 'd', 0, NULL, "dir with space");
    arc_manifest_add(&sb, 'f', 1234, h, "dir with space/100%\nnew\tline");
    arc_manifest_add(&sb, 'l', 0, NULL, "l\xc3\xa9nk"); /* as before issue 9 */
    arc_manifest_add(&sb, 'h', 0, h, "hard");
    arc_manifest_add(&sb, 'u', 0, NULL, "dir with space/100%\nnew\tline");
    struct arc_mf_totals t = {4, 1, 1234}, got;
    arc_manifest_end(&sb, &t);
    assert_non_null(strstr(sb.buf, "f 1234 00112233445566778899aabbccddeeff "
                                   "dir%20with%20space/100%25%0anew%09line\n"));
    assert_non_null(strstr(sb.buf, "l 0 - l\xc3\xa9nk\n"));
    assert_non_null(
        strstr(sb.buf, "h 0 00112233445566778899aabbccddeeff hard\n"));
    assert_non_null(strstr(sb.buf, "end 4 1 1234\n"));
    struct seen s;
    struct fy_err err = FY_ERR_INIT;
    memset(&s, 0, sizeof s);
    assert_int_equal(
        arc_manifest_parse(sb.buf, sb.len, "x", collect, &s, &got, &err),
        FY_OK);
    assert_int_equal(s.n, 5);
    assert_memory_equal(s.types, "dflhu", 5);
    assert_string_equal(s.paths[1], "dir with space/100%\nnew\tline");
    assert_int_equal(s.sizes[1], 1234);
    assert_true(s.hashed[1]);
    assert_false(s.hashed[0]);
    assert_false(s.hashed[2]);
    assert_true(s.hashed[3]);
    assert_int_equal(got.entries, 4);
    assert_int_equal(got.bytes, 1234);
    sbuf_release(&sb);
}

/* issue 12: fed in blocks of any size (a line cut anywhere, the magic
 * too), the parser sees what it sees in one piece; a cut last line is
 * still "truncated" */
static void
test_manifest_blocks(void **state)
{
    (void)state;
    struct sbuf sb = SBUF_INIT;
    unsigned char h[16] = {1, 2, 3};
    arc_manifest_begin(&sb);
    arc_manifest_add(&sb, 'd', 0, NULL, "a dir");
    arc_manifest_add(&sb, 'f', 77, h, "a dir/a file");
    arc_manifest_add(&sb, 'l', 0, h, "link");
    struct arc_mf_totals t = {3, 1, 77}, got;
    arc_manifest_end(&sb, &t);
    for (size_t step = 1; step <= sb.len; step += (step < 40 ? 1 : 97)) {
        for (int cut = 0; cut < 2; cut++) {
            size_t len = cut ? sb.len - 1 : sb.len;
            struct arc_mf_parser p;
            struct seen s;
            struct fy_err err = FY_ERR_INIT;
            memset(&s, 0, sizeof s);
            arc_mf_parser_init(&p, "x", collect, &s);
            enum fy_rc rc = FY_OK;
            for (size_t off = 0; off < len && rc == FY_OK; off += step)
                rc = arc_mf_parser_feed(&p, sb.buf + off,
                                        off + step <= len ? step : len - off,
                                        &err);
            if (rc == FY_OK)
                rc = arc_mf_parser_finish(&p, &got, &err);
            arc_mf_parser_release(&p);
            assert_int_equal(s.n, 3);
            assert_string_equal(s.paths[1], "a dir/a file");
            assert_int_equal(s.sizes[1], 77);
            if (cut) {
                assert_int_equal(rc, FY_EINPUT);
                assert_non_null(strstr(err.msg, "line 5: no newline"));
            } else {
                assert_int_equal(rc, FY_OK);
                assert_int_equal(got.entries, 3);
                assert_int_equal(got.bytes, 77);
            }
        }
    }
    sbuf_release(&sb);
}

static enum fy_rc
parse_text(const char *text, struct fy_err *err)
{
    struct seen s;
    memset(&s, 0, sizeof s);
    fy_err_clear(err);
    return arc_manifest_parse(text, strlen(text), "ws.tar.zst", collect, &s,
                              NULL, err);
}

/* issue 9: a NUL byte is no entry type, and no part of a line */
static void
test_manifest_nul(void **state)
{
    (void)state;
    struct fy_err err = FY_ERR_INIT;
    struct seen s;
    static const char nul_type[] = "ferry-manifest 1\n\0 0 - a\nend 1 0 0\n";
    static const char nul_path[] = "ferry-manifest 1\nd 0 - a\0b\nend 1 0 0\n";
    memset(&s, 0, sizeof s);
    assert_int_equal(arc_manifest_parse(nul_type, sizeof nul_type - 1, "x",
                                        collect, &s, NULL, &err),
                     FY_EINPUT);
    assert_non_null(strstr(err.msg, "line 2"));
    fy_err_clear(&err);
    assert_int_equal(arc_manifest_parse(nul_path, sizeof nul_path - 1, "x",
                                        collect, &s, NULL, &err),
                     FY_EINPUT);
    assert_non_null(strstr(err.msg, "line 2"));
}

static void
test_manifest_bad(void **state)
{
    (void)state;
    struct fy_err err = FY_ERR_INIT;
    const char *hash = "00112233445566778899aabbccddeeff";
    char buf[512];
    assert_int_equal(parse_text("ferry-manifest 2\nend 0 0 0\n", &err),
                     FY_EINPUT);
    assert_non_null(strstr(err.msg, "not a ferry manifest"));
    assert_int_equal(parse_text("ferry-manifest 1\nend 0 0 0\n", &err), FY_OK);
    /* truncated: no end line, or a line cut short */
    assert_int_equal(parse_text("ferry-manifest 1\nd 0 - a\n", &err),
                     FY_EINPUT);
    assert_non_null(strstr(err.msg, "truncated"));
    assert_int_equal(parse_text("ferry-manifest 1\nend 0 0 0", &err),
                     FY_EINPUT);
    /* totals must agree */
    assert_int_equal(parse_text("ferry-manifest 1\nd 0 - a\nend 2 0 0\n", &err),
                     FY_EINPUT);
    assert_non_null(strstr(err.msg, "line 3"));
    snprintf(buf, sizeof buf, "ferry-manifest 1\nf 5 %s a\nend 1 1 6\n", hash);
    assert_int_equal(parse_text(buf, &err), FY_EINPUT);
    snprintf(buf, sizeof buf, "ferry-manifest 1\nf 5 %s a\nend 1 1 5\n", hash);
    assert_int_equal(parse_text(buf, &err), FY_OK);
    /* malformed fields */
    assert_int_equal(
        parse_text("ferry-manifest 1\nf 5 00zz a\nend 1 1 5\n", &err),
        FY_EINPUT);
    assert_int_equal(parse_text("ferry-manifest 1\nf x - a\nend 1 1 0\n", &err),
                     FY_EINPUT);
    assert_int_equal(parse_text("ferry-manifest 1\nf 5 - a\nend 1 1 5\n", &err),
                     FY_EINPUT); /* a file without a hash */
    snprintf(buf, sizeof buf, "ferry-manifest 1\nd 0 %s a\nend 1 0 0\n", hash);
    assert_int_equal(parse_text(buf, &err), FY_EINPUT);
    snprintf(buf, sizeof buf, "ferry-manifest 1\nu 0 %s a\nend 0 0 0\n", hash);
    assert_int_equal(parse_text(buf, &err), FY_EINPUT);
    /* links: the hash of their target, or "-" (archives before issue 9) */
    snprintf(buf, sizeof buf,
             "ferry-manifest 1\nl 0 %s a\nh 0 %s b\nl 0 - c\nh 0 - d\n"
             "end 4 0 0\n",
             hash, hash);
    assert_int_equal(parse_text(buf, &err), FY_OK);
    assert_int_equal(
        parse_text("ferry-manifest 1\nl 0 00zz a\nend 1 0 0\n", &err),
        FY_EINPUT);
    assert_int_equal(
        parse_text("ferry-manifest 1\nd 0 - a%2\nend 1 0 0\n", &err),
        FY_EINPUT);
    assert_int_equal(
        parse_text("ferry-manifest 1\nd 0 - a%00\nend 1 0 0\n", &err),
        FY_EINPUT);
    assert_int_equal(parse_text("ferry-manifest 1\nd 0 -\nend 1 0 0\n", &err),
                     FY_EINPUT);
    /* text after the end line */
    assert_int_equal(parse_text("ferry-manifest 1\nend 0 0 0\nd 0 - a\n", &err),
                     FY_EINPUT);
    /* unknown line types are skipped (a later version's additions) */
    assert_int_equal(
        parse_text("ferry-manifest 1\nx something new\nd 0 - a\nend 1 0 0\n",
                   &err),
        FY_OK);
}

/* issue 9: a link's target is in the manifest as XXH3-128 of its bytes */
static void
test_link_hash(void **state)
{
    (void)state;
    unsigned char h[16], h2[16];
    static const unsigned char empty[16] = {
        0x99, 0xaa, 0x06, 0xd3, 0x01, 0x47, 0x98, 0xd8,
        0x60, 0x01, 0xc3, 0x24, 0x46, 0x8d, 0x49, 0x7f}; /* xxh128sum of "" */
    arc_link_hash("", h);
    assert_memory_equal(h, empty, 16);
    arc_link_hash("../a.txt", h);
    arc_link_hash("../a.txu", h2);
    assert_memory_not_equal(h, h2, 16);
}

static void
test_escape(void **state)
{
    (void)state;
    struct sbuf sb = SBUF_INIT;
    arc_path_escape(&sb, "a b%c\x7f\x01\xc3\xa9");
    assert_string_equal(sb.buf, "a%20b%25c%7f%01\xc3\xa9");
    char *back;
    assert_true(arc_path_unescape(sb.buf, sb.len, &back));
    assert_string_equal(back, "a b%c\x7f\x01\xc3\xa9");
    free(back);
    assert_false(arc_path_unescape("%4", 2, &back));
    assert_false(arc_path_unescape("%g0", 3, &back));
    sbuf_release(&sb);
}

/* ---- an in-memory round trip: pack a small tree, verify, list ---- */

struct tree {
    char dir[64];
};

static void
write_file(const char *dir, const char *name, const char *data, size_t n)
{
    char *p = fs_join(dir, name);
    int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, data, n), (ssize_t)n);
    close(fd);
    free(p);
}

static int
tree_setup(void **state)
{
    struct tree *t = xcalloc(1, sizeof *t);
    snprintf(t->dir, sizeof t->dir, "/tmp/ferry-test-arc-XXXXXX");
    if (mkdtemp(t->dir) == NULL)
        return -1;
    char *sub = fs_join(t->dir, "sub");
    mkdir(sub, 0755);
    free(sub);
    write_file(t->dir, "a.txt", "hello hello hello hello\n", 24);
    static unsigned char rnd[200000];
    uint32_t x = 12345;
    for (size_t i = 0; i < sizeof rnd; i++) {
        x = x * 1103515245u + 12345u;
        rnd[i] = (unsigned char)(x >> 16);
    }
    write_file(t->dir, "sub/random.bin", (const char *)rnd, sizeof rnd);
    char *l = fs_join(t->dir, "sub/link");
    assert_int_equal(symlink("../a.txt", l), 0);
    free(l);
    *state = t;
    return 0;
}

static int
tree_teardown(void **state)
{
    struct tree *t = *state;
    struct fy_err err = FY_ERR_INIT;
    fs_remove_tree_at(AT_FDCWD, t->dir, &err);
    free(t);
    return 0;
}

static enum fy_rc
count_entry(void *ctx, const struct arc_entry_info *e, struct fy_err *err)
{
    (void)err;
    int *n = ctx;
    assert_true(strcmp(e->path, ARC_MANIFEST_PATH) != 0);
    (*n)++;
    return FY_OK;
}

static void
test_pack_verify_memory(void **state)
{
    struct tree *t = *state;
    struct out out;
    struct out_opts oo = {-1, false, true, OUT_COLOR_NEVER, NULL};
    struct arc_pack_opts o;
    struct arc_stats st;
    struct fy_err err = FY_ERR_INIT;
    struct sbuf sb = SBUF_INIT;
    struct fy_ostream os;
    struct fy_istream is;
    out_init(&out, &oo);
    arc_pack_opts_init(&o);
    o.threads = 1;
    stream_out_sbuf(&os, &sb, "mem.tar.zst");
    assert_int_equal(arc_pack(t->dir, &o, &os, &out, &st, &err), FY_OK);
    assert_int_equal(st.files, 2);
    assert_int_equal(st.dirs, 1);
    assert_int_equal(st.symlinks, 1);
    assert_int_equal(st.bytes, 24 + 200000);
    assert_true(sb.len > 200000); /* the random file is stored */
    assert_int_equal(st.archive_bytes, (int64_t)sb.len);

    stream_in_mem(&is, sb.buf, sb.len, "mem.tar.zst");
    assert_int_equal(arc_verify(&is, NULL, &out, &st, &err), FY_OK);
    assert_true(st.manifest);
    assert_int_equal(st.files, 2);

    int n = 0;
    stream_in_mem(&is, sb.buf, sb.len, "mem.tar.zst");
    assert_int_equal(arc_list(&is, NULL, count_entry, &n, &out, &err), FY_OK);
    assert_int_equal(n, 4); /* a.txt sub sub/link sub/random.bin */

    /* a flipped byte in the stored random file: the zstd frame's own
     * checksum catches it (exit 3) */
    size_t mid = sb.len / 2;
    sb.buf[mid] ^= 0x40;
    stream_in_mem(&is, sb.buf, sb.len, "mem.tar.zst");
    assert_int_equal(arc_verify(&is, NULL, &out, &st, &err), FY_EINPUT);
    assert_non_null(strstr(err.msg, "mem.tar.zst"));
    sb.buf[mid] ^= 0x40;

    /* truncated */
    fy_err_clear(&err);
    stream_in_mem(&is, sb.buf, sb.len - 100, "mem.tar.zst");
    assert_int_equal(arc_verify(&is, NULL, &out, &st, &err), FY_EINPUT);
    assert_non_null(strstr(err.msg, "truncated"));

    /* not an archive */
    fy_err_clear(&err);
    stream_in_mem(&is, "hello", 5, "junk");
    assert_int_equal(arc_verify(&is, NULL, &out, &st, &err), FY_EINPUT);
    sbuf_release(&sb);
    arc_pack_opts_release(&o);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_path_clean),
        cmocka_unit_test(test_path_strip),
        cmocka_unit_test(test_guard),
        cmocka_unit_test(test_map),
        cmocka_unit_test(test_map_collision),
        cmocka_unit_test(test_manifest_nul),
        cmocka_unit_test(test_excludes),
        cmocka_unit_test(test_excludes_hostile),
        cmocka_unit_test(test_excludes_load),
        cmocka_unit_test(test_formats),
        cmocka_unit_test(test_rc_map),
        cmocka_unit_test(test_manifest_roundtrip),
        cmocka_unit_test(test_manifest_blocks),
        cmocka_unit_test(test_manifest_bad),
        cmocka_unit_test(test_link_hash),
        cmocka_unit_test(test_escape),
        cmocka_unit_test_setup_teardown(test_pack_verify_memory, tree_setup,
                                        tree_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
