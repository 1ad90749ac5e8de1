/* Unit tests for session_ini.c: ferry.ini, good and hostile. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ferry/parse.h"
#include "ferry/session.h"

#define MAGNET "magnet:?xt=urn:btih:0123456789abcdef0123456789abcdef01234567"

static enum fy_rc
parse(const char *text, struct session *s, struct fy_err *err)
{
    fy_err_clear(err);
    return session_parse(text, strlen(text), false, "m/ferry.ini", s, err);
}

/* text fails with exactly msg (exit 3). */
static void
fails(const char *text, const char *msg)
{
    struct session s;
    struct fy_err err = FY_ERR_INIT;
    enum fy_rc rc = parse(text, &s, &err);
    if (rc != FY_EINPUT || strcmp(err.msg, msg) != 0)
        fail_msg("rc %d, got '%s', want '%s'", rc, err.msg, msg);
    assert_null(s.bundles); /* released */
}

static void
test_good(void **state)
{
    (void)state;
    setenv("FERRY_T_HOME", "/home/t", 1);
    setenv("HOME", "/home/u", 1);
    const char *text =
        "\xef\xbb\xbf; a manifest\r\n"
        "[workspace]\n"
        "path     = ~/work\n"
        "remote   = s3://my-bucket/${FERRY_T_HOME}/work.tar.zst\n"
        "exclude  = __pycache__/ *.tmp   ; a comment\n"
        "exclude  = build/\n"
        "keep     = 5\n"
        "autosave = 15m\n"
        "\n"
        "  [bundle \"tools\"]  ; indented\n"
        "source = " MAGNET "&dn=" /* a long line: past libinih's 200 */
        "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
        "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
        "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
        "yz ; gone\n"
        "dest   = $FERRY_T_HOME/tools\n"
        "select = bin/* lib/\n"
        "seed-time = 90s\n"
        "[bundle \"data\"]\n"
        "source: https://example.test/d.torrent\n"
        "dest = rel/data\n"
        "[network]\n"
        "listen = 127.0.0.1:0\n"
        "dht = no\n"
        "lsd = off\n"
        "upnp = yes\n"
        "max-down = 4M\n";
    struct session s;
    struct fy_err err = FY_ERR_INIT;
    assert_int_equal(parse(text, &s, &err), FY_OK);
    assert_string_equal(s.file, "m/ferry.ini");
    assert_true(s.ws.present);
    assert_int_equal(s.ws.line, 2);
    assert_string_equal(s.ws.path, "/home/u/work");
    assert_string_equal(s.ws.remote, "s3://my-bucket//home/t/work.tar.zst");
    assert_int_equal(s.ws.exclude.n, 3);
    assert_string_equal(s.ws.exclude.v[0], "__pycache__/");
    assert_string_equal(s.ws.exclude.v[1], "*.tmp");
    assert_string_equal(s.ws.exclude.v[2], "build/");
    assert_int_equal(s.ws.keep, 5);
    assert_true(s.ws.autosave == 900);
    assert_int_equal(s.nbundles, 2);
    assert_string_equal(s.bundles[0].name, "tools");
    assert_int_equal(s.bundles[0].line, 10);
    assert_int_equal(strlen(s.bundles[0].source),
                     strlen(MAGNET "&dn=") + 3 * 68 + 2);
    assert_string_equal(s.bundles[0].source + strlen(s.bundles[0].source) - 3,
                        "xyz");
    assert_string_equal(s.bundles[0].dest, "/home/t/tools");
    assert_int_equal(s.bundles[0].select.n, 2);
    assert_true(s.bundles[0].seed_time == 90);
    assert_string_equal(s.bundles[1].source, "https://example.test/d.torrent");
    assert_string_equal(s.bundles[1].dest, "m/rel/data");
    assert_true(s.bundles[1].seed_time < 0);
    assert_string_equal(s.net.listen, "127.0.0.1:0");
    assert_int_equal(s.net.dht, 0);
    assert_int_equal(s.net.lsd, 0);
    assert_int_equal(s.net.upnp, 1);
    assert_int_equal(s.net.max_down, 4 << 20);
    assert_int_equal(s.net.max_up, 0);
    session_release(&s);
    assert_null(s.file);
    session_release(&s); /* twice is harmless */
}

static void
test_defaults(void **state)
{
    (void)state;
    struct session s;
    struct fy_err err = FY_ERR_INIT;
    assert_int_equal(
        parse("[workspace]\npath=/w\nremote=file:///tmp/w.tar.zst\n", &s, &err),
        FY_OK);
    assert_int_equal(s.ws.keep, 3);
    assert_true(s.ws.autosave == 0);
    assert_int_equal(s.nbundles, 0);
    assert_int_equal(s.net.dht, -1);
    assert_null(s.net.listen);
    session_release(&s);
}

static void
test_overlaps(void **state)
{
    (void)state;
    fails(
        "[workspace]\npath=/w\nremote=s3://b/k\n[bundle \"a\"]\nsource=" MAGNET
        "\ndest=/w/tools\n",
        "m/ferry.ini:4: dest: '/w/tools' overlaps the workspace's path '/w' "
        "(line 1)");
    fails("[workspace]\npath=/w/x/../y/\nremote=s3://b/k\n[bundle \"a\"]\n"
          "source=" MAGNET "\ndest=/w\n",
          "m/ferry.ini:4: dest: '/w' overlaps the workspace's path "
          "'/w/x/../y/' (line 1)");
    fails("[bundle \"a\"]\nsource=" MAGNET "\ndest=/t\n[bundle \"b\"]\n"
          "source=https://h/b.torrent\ndest=/t/./\n",
          "m/ferry.ini:4: dest: '/t/./' overlaps bundle \"a\"'s (line 1)");
    fails("[bundle \"a\"]\nsource=" MAGNET "\ndest=/t\n[bundle \"b\"]\n"
          "source=" MAGNET "\ndest=/u\n",
          "m/ferry.ini:4: source: the same as bundle \"a\"'s (line 1)");
    /* side by side is fine, and so is a name that only starts alike */
    struct session s;
    struct fy_err err = FY_ERR_INIT;
    assert_int_equal(parse("[workspace]\npath=/w\nremote=s3://b/k\n"
                           "[bundle \"a\"]\nsource=" MAGNET "\ndest=/w2\n",
                           &s, &err),
                     FY_OK);
    session_release(&s);
}

static void
test_errors(void **state)
{
    (void)state;
    unsetenv("FERRY_T_UNSET");
    fails("[workspace]\npath=/w\nremote=s3://b/k\nautosave = 15q\n",
          "m/ferry.ini:4: autosave: bad duration '15q' (e.g. 90s, 10m, "
          "1h30m)");
    fails("[workspace]\npath=/w\nremote=s3://b/k\n[wrokspace]\n",
          "m/ferry.ini:4: unknown section [wrokspace] (expected [workspace], "
          "[bundle \"NAME\"] or [network])");
    fails("[workspace]\npath=/w\nremot=s3://b/k\n",
          "m/ferry.ini:3: remot: unknown key in [workspace] (path, remote, "
          "exclude, keep, autosave)");
    fails("\n[workspace]\npath=/w\n",
          "m/ferry.ini:2: remote: missing in [workspace]");
    fails("[bundle \"a\"]\nsource=" MAGNET "\n",
          "m/ferry.ini:1: dest: missing in [bundle \"a\"]");
    fails("[bundle \"a\"]\ndest=/d\n",
          "m/ferry.ini:1: source: missing in [bundle \"a\"]");
    fails("[bundle \"a\"]\nsource=magnet:?xt=urn:btih:123\ndest=/d\n",
          "m/ferry.ini:2: source: magnet link: info-hash '123' is not 40 hex "
          "or 32 base32 characters");
    fails("[bundle \"a\"]\nsource=ftp://h/x.torrent\ndest=/d\n",
          "m/ferry.ini:2: source: a magnet link, a .torrent file, or an "
          "http://, https:// or file:// URL of one");
    fails("[workspace]\npath=/w\nremote=gopher://h/k\n",
          "m/ferry.ini:3: remote: gopher://h/k: unsupported scheme 'gopher' "
          "(use s3, http, https, sftp or file)");
    fails("[workspace]\npath=/w\nthis line is wrong\n",
          "m/ferry.ini:3: expected [section], key = value or a comment");
    fails("[workspace\n", "m/ferry.ini:1: section line without a closing ']'");
    fails("[workspace]\npath=$FERRY_T_UNSET/w\n",
          "m/ferry.ini:2: path: $FERRY_T_UNSET is not set");
    fails("[workspace]\npath=/w/${FERRY_T_UNSET\n",
          "m/ferry.ini:2: path: '$' not followed by a variable name ($VAR or "
          "${VAR}; $$ for a '$')");
    fails("[workspace]\npath=/w\npath=/v\n",
          "m/ferry.ini:3: path: given twice in this section");
    fails("[workspace]\npath=/w\nremote=s3://b/k\n[workspace]\n",
          "m/ferry.ini:4: [workspace] given twice (first on line 1)");
    fails("[bundle \"a\"]\nsource=" MAGNET "\ndest=/d\n[bundle \"a\"]\n",
          "m/ferry.ini:4: [bundle \"a\"] given twice (first on line 1)");
    fails("[bundle a]\n", "m/ferry.ini:1: a bundle section is [bundle "
                          "\"NAME\"], with the name in double quotes");
    fails("[bundle \"a b\"]\n", "m/ferry.ini:1: bundle name: only letters, "
                                "digits, '-', '_' and '.'");
    fails("path=/w\n", "m/ferry.ini:1: path: outside any section ([workspace], "
                       "[bundle \"NAME\"], [network])");
    fails("[network]\ndht=maybe\n", "m/ferry.ini:2: dht: 'maybe' is not yes "
                                    "or no");
    fails("[network]\nlisten=nohost\n",
          "m/ferry.ini:2: listen: 'nohost' is not HOST:PORT");
    fails("[network]\nmax-up=fast\n",
          "m/ferry.ini:2: max-up: 'fast' is not a rate (bytes/s, e.g. 500K, "
          "4M, 0 = unlimited)");
    fails("[network]\nspeed=1\n",
          "m/ferry.ini:2: speed: unknown key in [network] (listen, dht, lsd, "
          "upnp, max-down, max-up)");
    fails("[workspace]\npath=\n", "m/ferry.ini:2: path: empty value");
    fails("[workspace]\npath=/w\nremote=s3://b/k\nkeep=-1\n",
          "m/ferry.ini:4: keep: -1 is out of range (0-1000)");
    fails("[network]\n", "m/ferry.ini:1: nothing to do: no [workspace] and no "
                         "[bundle \"NAME\"] section");
    fails("", "m/ferry.ini:1: nothing to do: no [workspace] and no [bundle "
              "\"NAME\"] section");
}

static void
test_hostile(void **state)
{
    (void)state;
    struct session s;
    struct fy_err err = FY_ERR_INIT;
    /* a NUL byte (text given with its length) */
    static const char nul[] = "[workspace]\npath=/w\0x\nremote=s3://b/k\n";
    assert_int_equal(
        session_parse(nul, sizeof nul - 1, false, "f.ini", &s, &err),
        FY_EINPUT);
    assert_string_equal(err.msg, "f.ini:2: path: NUL byte (not a text file)");
    fails("[workspace]\npath=/w\xff\n",
          "m/ferry.ini:2: path: bytes that are not UTF-8 text");
    fails("[workspace]\npath=/w\xc0\xaf\n", /* overlong '/' */
          "m/ferry.ini:2: path: bytes that are not UTF-8 text");
    fails("[workspace]\npath=/w\x1b[2J\n",
          "m/ferry.ini:2: path: control character 0x1b (not a text file)");
    /* a 1 MB magnet, and a 10 MB line */
    size_t big = 10u << 20;
    char *t = malloc(big + 64);
    assert_non_null(t);
    int h = snprintf(t, 128, "[bundle \"x\"]\ndest=/d\nsource=%s", MAGNET);
    memset(t + h, 'a', (1u << 20) - (size_t)h);
    t[1u << 20] = '\0';
    fails(t, "m/ferry.ini:3: source: line longer than 64 KiB");
    memset(t + h, 'a', big - (size_t)h);
    t[big] = '\0';
    fy_err_clear(&err);
    assert_int_equal(
        session_parse(t, SESSION_FILE_MAX, true, "f.ini", &s, &err), FY_EINPUT);
    assert_string_equal(err.msg, "f.ini:3: source: line longer than 64 KiB");
    /* many short lines past 1 MiB: cut where the file was cut */
    size_t n = 0;
    n += (size_t)snprintf(t, 64, "[workspace]\n");
    while (n < SESSION_FILE_MAX + 100)
        n += (size_t)snprintf(t + n, 64, "; comment line\n");
    fy_err_clear(&err);
    assert_int_equal(
        session_parse(t, SESSION_FILE_MAX, true, "f.ini", &s, &err), FY_EINPUT);
    assert_non_null(strstr(err.msg, ": the manifest is longer than 1024 KiB"));
    assert_true(strncmp(err.msg, "f.ini:", 6) == 0);
    /* 60 KiB value: within bounds, handed to libinih in 200-byte pieces */
    h = snprintf(t, 64, "[workspace]\nremote=s3://b/k\npath=/");
    memset(t + h, 'p', 60 * 1024);
    t[h + 60 * 1024] = '\0';
    fy_err_clear(&err);
    assert_int_equal(parse(t, &s, &err), FY_OK);
    assert_int_equal(strlen(s.ws.path), 60 * 1024 + 1);
    session_release(&s);
    /* a name much longer than libinih's buffer */
    memset(t, 'k', 300);
    snprintf(t + 300, 64, "=1\n");
    fails(t, "m/ferry.ini:1: expected [section], key = value or a comment");
    free(t);
}

static void
test_duration(void **state)
{
    (void)state;
    struct fy_err err = FY_ERR_INIT;
    double v;
    assert_int_equal(parse_duration("d", "90s", 1e9, &v, &err), FY_OK);
    assert_true(v == 90);
    assert_int_equal(parse_duration("d", "15m", 1e9, &v, &err), FY_OK);
    assert_true(v == 900);
    assert_int_equal(parse_duration("d", "1.5h", 1e9, &v, &err), FY_OK);
    assert_true(v == 5400);
    assert_int_equal(parse_duration("d", "2d", 1e9, &v, &err), FY_OK);
    assert_true(v == 172800);
    assert_int_equal(parse_duration("d", "7", 1e9, &v, &err), FY_OK);
    assert_true(v == 7);
    const char *bad[] = {"",    "m",   "15q", "-1m",  "+1m", " 1",
                         "1 m", "inf", "nan", "0x10", "1mm"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        fy_err_clear(&err);
        if (parse_duration("d", bad[i], 1e9, &v, &err) != FY_EUSAGE)
            fail_msg("'%s' taken", bad[i]);
    }
    fy_err_clear(&err);
    assert_int_equal(parse_duration("d", "3h", 3600, &v, &err), FY_EUSAGE);
}

/* ferry.ini's durations take compound units too (issue 15). */
static void
test_compound_durations(void **state)
{
    (void)state;
    struct session s;
    struct fy_err err = FY_ERR_INIT;
    const char *text = "[workspace]\npath=/w\nremote=s3://b/k\n"
                       "autosave = 1h30m\n"
                       "[bundle \"t\"]\nsource = " MAGNET "\ndest = /t\n"
                       "seed-time = 2h15m30s\n";
    assert_int_equal(parse(text, &s, &err), FY_OK);
    assert_true(s.ws.autosave == 5400);
    assert_true(s.bundles[0].seed_time == 8130);
    session_release(&s);
    fails("[workspace]\npath=/w\nremote=s3://b/k\nautosave = 1h30\n",
          "m/ferry.ini:4: autosave: bad duration '1h30' (e.g. 90s, 10m, "
          "1h30m)");
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_good),
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_overlaps),
        cmocka_unit_test(test_hostile),
        cmocka_unit_test(test_duration),
        cmocka_unit_test(test_compound_durations),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
