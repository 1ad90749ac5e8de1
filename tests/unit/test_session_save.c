/*
 * Unit tests for down's saves and autosave's scan (session_save.c,
 * session_auto.c): save names, the pointer as a hostile server could
 * send it, which save session_pick() chooses in every state a killed
 * down or a hand can leave behind (over file://, in a private temporary
 * directory), retention and pruning, and the workspace digest.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "ferry/fs.h"
#include "ferry/out.h"
#include "ferry/remote.h"
#include "ferry/session.h"
#include "ferry/xalloc.h"

#define N1 "20261127T203000.123Z-1a2b3c4d.tar.zst"
#define N2 "20261127T203100.000Z-00ff00ff.tar.zst"
#define N3 "20261127T203200.999Z-abcdef01.tar.zst"
#define N4 "20261127T203300.500Z-12345678.tar.zst"

static void
test_names(void **state)
{
    (void)state;
    assert_true(session_save_name_ok(N1, "tar.zst"));
    assert_true(
        session_save_name_ok("20261127T203000.123Z-1a2b3c4d.zip", "zip"));
    assert_false(session_save_name_ok(N1, "tar.gz"));
    assert_false(session_save_name_ok(N1 ".part", "tar.zst"));
    assert_false(session_save_name_ok("../" N1, "tar.zst"));
    assert_false(session_save_name_ok("20261127T203000.123Z-1A2B3C4D.tar.zst",
                                      "tar.zst")); /* upper */
    assert_false(session_save_name_ok("20261127X203000.123Z-1a2b3c4d.tar.zst",
                                      "tar.zst"));
    assert_false(session_save_name_ok("2026112/T203000.123Z-1a2b3c4d.tar.zst",
                                      "tar.zst"));
    assert_false(session_save_name_ok("", "tar.zst"));

    char *p = session_pointer_url("s3://b/vm/work.tar.zst");
    assert_string_equal(p, "s3://b/vm/work.tar.zst.current");
    free(p);
    p = session_saves_url("https://h/w.tar.zst?x=1");
    assert_string_equal(p, "https://h/w.tar.zst.saves/?x=1");
    free(p);
}

static bool
parse(const char *text, struct strlist *l)
{
    strlist_release(l);
    return session_pointer_parse(text, strlen(text), "tar.zst", l);
}

static void
test_pointer_parse(void **state)
{
    (void)state;
    struct strlist l = STRLIST_INIT;
    assert_true(parse("ferry-saves 1\n" N3 "\n" N1 "\n", &l));
    assert_int_equal(l.n, 2);
    assert_string_equal(l.v[0], N3);
    assert_string_equal(l.v[1], N1);
    /* a repeated name counts once */
    assert_true(parse("ferry-saves 1\n" N3 "\n" N3 "\n", &l));
    assert_int_equal(l.n, 1);

    assert_false(parse("", &l));
    assert_false(parse("ferry-saves 1\n", &l));         /* no save */
    assert_false(parse("ferry-saves 2\n" N1 "\n", &l)); /* other version */
    assert_false(parse("ferry-saves 1\n" N1, &l));      /* cut short */
    assert_false(parse("ferry-saves 1\r\n" N1 "\n", &l));
    assert_false(parse("ferry-saves 1\n" N1 "\r\n", &l));
    assert_false(parse("ferry-saves 1\n\n", &l));
    assert_false(parse("ferry-saves 1\n../../etc/passwd\n", &l));
    assert_false(parse("ferry-saves 1\ns3://other/x.tar.zst\n", &l));
    assert_false(parse("ferry-saves 1\n" N1 "\n/abs\n", &l));
    assert_int_equal(l.n, 0); /* nothing taken from a refused pointer */

    /* an embedded NUL */
    static const char nul[] = "ferry-saves 1\n" N1 "\0\n";
    assert_false(session_pointer_parse(nul, sizeof nul - 1, "tar.zst", &l));

    /* too many lines, too many bytes */
    struct sbuf sb = SBUF_INIT;
    sbuf_adds(&sb, "ferry-saves 1\n");
    for (int i = 0; i < SESSION_KEEP_MAX + 2; i++)
        sbuf_addf(&sb, "20261127T203000.123Z-%08x.tar.zst\n", i);
    assert_false(session_pointer_parse(sb.buf, sb.len, "tar.zst", &l));
    sbuf_release(&sb);
    char *big = xmalloc(SESSION_POINTER_MAX + 64);
    memset(big, 'a', SESSION_POINTER_MAX + 64);
    memcpy(big, "ferry-saves 1\n", 14);
    assert_false(
        session_pointer_parse(big, SESSION_POINTER_MAX + 64, "tar.zst", &l));
    free(big);
    strlist_release(&l);
}

/* ------------------------------------------------- over file:// */

struct fix {
    char *dir;    /* the private temporary directory */
    char *store;  /* DIR/store */
    char *saves;  /* DIR/store/w.tar.zst.saves */
    char *remote; /* file://DIR/store/w.tar.zst */
    struct session_workspace ws;
    struct remote_opts o;
    struct out out;
};

static int
setup(void **state)
{
    struct fix *f = xcalloc(1, sizeof *f);
    char tmpl[] = "/tmp/ferry-unit-session-XXXXXX";
    assert_non_null(mkdtemp(tmpl));
    f->dir = xstrdup(tmpl);
    f->store = xasprintf("%s/store", f->dir);
    f->saves = xasprintf("%s/store/w.tar.zst.saves", f->dir);
    f->remote = xasprintf("file://%s/store/w.tar.zst", f->dir);
    assert_int_equal(mkdir(f->store, 0755), 0);
    f->ws.present = true;
    f->ws.path = xasprintf("%s/ws", f->dir);
    f->ws.remote = f->remote;
    f->ws.keep = 1;
    assert_int_equal(mkdir(f->ws.path, 0755), 0);
    remote_opts_init(&f->o);
    f->o.retries = 0;
    struct out_opts oo = {-1, false, true, OUT_COLOR_NEVER, NULL};
    out_init(&f->out, &oo);
    *state = f;
    return 0;
}

static int
teardown(void **state)
{
    struct fix *f = *state;
    char *cmd = xasprintf("rm -rf '%s'", f->dir);
    assert_int_equal(system(cmd), 0);
    free(cmd);
    remote_opts_release(&f->o);
    free(f->ws.path);
    free(f->dir);
    free(f->store);
    free(f->saves);
    free(f->remote);
    free(f);
    return 0;
}

static void
put(const char *dir, const char *name, const char *text)
{
    char *p = xasprintf("%s/%s", dir, name);
    char *parent = fs_dirname(p);
    struct fy_err err = FY_ERR_INIT;
    assert_int_equal(fs_mkdir_p(parent, 0755, &err), FY_OK);
    free(parent);
    FILE *fp = fopen(p, "w");
    assert_non_null(fp);
    fputs(text, fp);
    fclose(fp);
    free(p);
}

static bool
there(const char *dir, const char *name)
{
    char *p = xasprintf("%s/%s", dir, name);
    bool yes = access(p, F_OK) == 0;
    free(p);
    return yes;
}

/* session_pick(n): the name of the save it picks, "" for none. */
static char *
pick(struct fix *f, int n, enum fy_rc want)
{
    struct fy_err err = FY_ERR_INIT;
    char *url = NULL;
    enum fy_rc rc = session_pick(&f->ws, n, &f->o, &url, &err);
    if (rc != want)
        fail_msg("session_pick(%d): %d %s", n, rc, err.msg);
    if (url == NULL)
        return xstrdup("");
    const char *slash = strrchr(url, '/');
    char *name = xstrdup(slash + 1);
    free(url);
    return name;
}

#define assert_pick(f, n, name)                                                \
    do {                                                                       \
        char *got_ = pick(f, n, FY_OK);                                        \
        assert_string_equal(got_, name);                                       \
        free(got_);                                                            \
    } while (0)

static void
test_pick_states(void **state)
{
    struct fix *f = *state;
    /* nothing saved yet: none */
    assert_pick(f, 0, "");
    /* an object `ferry save` made at REMOTE itself */
    put(f->store, "w.tar.zst", "x");
    assert_pick(f, 0, "w.tar.zst");

    /* saves without a pointer (killed before its first write): newest */
    put(f->saves, N1, "1");
    put(f->saves, N2, "2");
    put(f->saves, N1 ".part", "p"); /* a killed upload: never picked */
    put(f->saves, "20261127T209999.999Z-zzzzzzzz.tar.zst", "?");
    assert_pick(f, 0, N2);
    assert_pick(f, 1, N1);
    char *none = pick(f, 2, FY_ERUNTIME);
    free(none);

    /* the pointer decides, even against the names' order */
    put(f->store, "w.tar.zst.current", "ferry-saves 1\n" N1 "\n" N2 "\n");
    assert_pick(f, 0, N1);
    assert_pick(f, 1, N2);

    /* its first save gone (by hand): the next one it names */
    put(f->store, "w.tar.zst.current", "ferry-saves 1\n" N4 "\n" N2 "\n");
    assert_pick(f, 0, N2);

    /* every save it names gone: the newest the listing finds */
    put(f->store, "w.tar.zst.current", "ferry-saves 1\n" N4 "\n" N3 "\n");
    assert_pick(f, 0, N2);

    /* a hostile pointer: ignored, the listing decides */
    put(f->store, "w.tar.zst.current", "ferry-saves 1\n../../../etc/x\n");
    assert_pick(f, 0, N2);
    put(f->store, "w.tar.zst.current", "garbage");
    assert_pick(f, 0, N2);

    /* a negative number: usage */
    none = pick(f, -1, FY_EUSAGE);
    free(none);
}

static void
test_pick_bad_remote(void **state)
{
    struct fix *f = *state;
    struct fy_err err = FY_ERR_INIT;
    char *url = NULL;
    static char noext[] = "file:///tmp/ws", gopher[] = "gopher://x/ws.tar.zst";
    f->ws.remote = noext; /* no archive extension */
    assert_int_equal(session_pick(&f->ws, 0, &f->o, &url, &err), FY_EINPUT);
    assert_non_null(strstr(err.msg, "archive extension"));
    assert_null(url);
    fy_err_clear(&err);
    f->ws.remote = gopher;
    assert_int_equal(session_pick(&f->ws, 0, &f->o, &url, &err), FY_EINPUT);
    f->ws.remote = f->remote;
}

static char *
save(struct fix *f)
{
    struct session_saved r;
    struct fy_err err = FY_ERR_INIT;
    enum fy_rc rc = session_save(&f->ws, &f->o, &f->out, &r, &err);
    if (rc != FY_OK)
        fail_msg("session_save: %s", err.msg);
    char *name = xstrdup(r.name);
    session_saved_release(&r);
    return name;
}

static int
count_saves(struct fix *f)
{
    char *cmd = xasprintf("ls '%s' | grep -c 'Z-.*\\.tar\\.zst$'", f->saves);
    FILE *p = popen(cmd, "r");
    int n = -1;
    assert_int_equal(fscanf(p, "%d", &n), 1);
    pclose(p);
    free(cmd);
    return n;
}

static void
test_save_retention(void **state)
{
    struct fix *f = *state;
    put(f->ws.path, "a.txt", "one");
    char *s1 = save(f);
    assert_pick(f, 0, s1);
    char *s2 = save(f);
    assert_pick(f, 0, s2);
    assert_pick(f, 1, s1);
    /* keep = 1: current + 1; the oldest goes */
    char *s3 = save(f);
    assert_int_equal(count_saves(f), 2);
    assert_false(there(f->saves, s1));
    assert_pick(f, 0, s3);
    assert_pick(f, 1, s2);

    /* a save no pointer names (a down killed before its pointer), older
     * than the next save: removed by it; one newer than it (another
     * machine's down, about to write its pointer): left alone */
    put(f->saves, N1, "orphan");
    put(f->saves, "29991231T235959.999Z-ffffffff.tar.zst", "future");
    put(f->saves, N1 ".part", "part");
    char *s4 = save(f);
    assert_false(there(f->saves, N1));
    assert_true(there(f->saves, "29991231T235959.999Z-ffffffff.tar.zst"));
    assert_true(there(f->saves, N1 ".part"));
    assert_true(there(f->saves, s3));
    assert_false(there(f->saves, s2));
    assert_pick(f, 0, s4);

    /* keep = 0: only the current one */
    f->ws.keep = 0;
    char *s5 = save(f);
    assert_false(there(f->saves, s4));
    assert_pick(f, 0, s5);
    char *none = pick(f, 1, FY_ERUNTIME);
    free(none);

    /* a broken pointer is replaced, with a warning, by one naming the
     * new save */
    put(f->store, "w.tar.zst.current", "junk\n");
    char *s6 = save(f);
    assert_pick(f, 0, s6);
    free(s1);
    free(s2);
    free(s3);
    free(s4);
    free(s5);
    free(s6);
}

static void
test_save_failures(void **state)
{
    struct fix *f = *state;
    struct fy_err err = FY_ERR_INIT;
    char *keep = f->ws.path;
    f->ws.path = xasprintf("%s/nowhere", f->dir);
    assert_int_equal(session_save(&f->ws, &f->o, &f->out, NULL, &err),
                     FY_ERUNTIME);
    free(f->ws.path);
    f->ws.path = keep;
    /* a pointer that cannot be read (a directory in its place): the
     * down fails after its save and before the pointer; the save stays
     * unreferenced and the next down removes it */
    put(f->ws.path, "a.txt", "one");
    char *s1 = save(f);
    char *ptr = xasprintf("%s/w.tar.zst.current", f->store);
    char *aside = xasprintf("%s.aside", ptr);
    assert_int_equal(rename(ptr, aside), 0);
    assert_int_equal(mkdir(ptr, 0755), 0);
    fy_err_clear(&err);
    assert_int_not_equal(session_save(&f->ws, &f->o, &f->out, NULL, &err),
                         FY_OK);
    assert_int_equal(count_saves(f), 2);
    assert_int_equal(rmdir(ptr), 0);
    assert_int_equal(rename(aside, ptr), 0);
    assert_pick(f, 0, s1);
    char *s2 = save(f);
    assert_int_equal(count_saves(f), 2); /* s1 and s2: the orphan went */
    assert_pick(f, 0, s2);
    assert_pick(f, 1, s1);
    free(ptr);
    free(aside);
    free(s1);
    free(s2);
}

static void
test_scan(void **state)
{
    struct fix *f = *state;
    struct fy_err err = FY_ERR_INIT;
    struct strlist ex = STRLIST_INIT;
    strlist_add(&ex, "*.tmp");
    uint64_t a, b;
    put(f->ws.path, "a.txt", "one");
    put(f->ws.path, "sub/b.txt", "two");
    assert_int_equal(session_scan(f->ws.path, &ex, &a, &err), FY_OK);
    assert_int_equal(session_scan(f->ws.path, &ex, &b, &err), FY_OK);
    assert_true(a == b);

    /* an excluded file, the fetch state dir: no change */
    put(f->ws.path, "x.tmp", "junk");
    char *state_dir = xasprintf("%s/.ferry", f->ws.path);
    put(state_dir, "resume", "r");
    assert_int_equal(session_scan(f->ws.path, &ex, &b, &err), FY_OK);
    assert_true(a == b);

    /* same size, same mtime (set back): the ctime still tells */
    char *p = xasprintf("%s/a.txt", f->ws.path);
    struct stat sb;
    assert_int_equal(stat(p, &sb), 0);
    usleep(20000);
    put(f->ws.path, "a.txt", "uno");
    struct timespec ts[2] = {sb.st_atim, sb.st_mtim};
    assert_int_equal(utimensat(AT_FDCWD, p, ts, 0), 0);
    assert_int_equal(session_scan(f->ws.path, &ex, &b, &err), FY_OK);
    assert_true(a != b);

    /* a rename, a new empty directory: changes */
    assert_int_equal(session_scan(f->ws.path, &ex, &a, &err), FY_OK);
    char *q = xasprintf("%s/sub/c.txt", f->ws.path);
    char *r = xasprintf("%s/sub/b.txt", f->ws.path);
    assert_int_equal(rename(r, q), 0);
    assert_int_equal(session_scan(f->ws.path, &ex, &b, &err), FY_OK);
    assert_true(a != b);
    char *d = xasprintf("%s/empty", f->ws.path);
    assert_int_equal(mkdir(d, 0755), 0);
    assert_int_equal(session_scan(f->ws.path, &ex, &a, &err), FY_OK);
    assert_true(a != b);

    /* a missing directory: an error */
    assert_int_equal(session_scan(f->saves, &ex, &a, &err), FY_ERUNTIME);
    free(d);
    free(q);
    free(r);
    free(p);
    free(state_dir);
    strlist_release(&ex);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_pointer_parse),
        cmocka_unit_test_setup_teardown(test_pick_states, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pick_bad_remote, setup, teardown),
        cmocka_unit_test_setup_teardown(test_save_retention, setup, teardown),
        cmocka_unit_test_setup_teardown(test_save_failures, setup, teardown),
        cmocka_unit_test_setup_teardown(test_scan, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
