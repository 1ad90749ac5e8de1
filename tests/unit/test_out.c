/* Unit tests for out.c's pure formatting and escaping, and its modes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "ferry/out.h"

static void
test_size(void **state)
{
    (void)state;
    char b[24];
    assert_string_equal(out_fmt_size(b, sizeof b, 0), "0 B");
    assert_string_equal(out_fmt_size(b, sizeof b, 1023), "1023 B");
    assert_string_equal(out_fmt_size(b, sizeof b, 1024), "1.00 KiB");
    assert_string_equal(out_fmt_size(b, sizeof b, 12 * 1024 * 1024 + 300000),
                        "12.3 MiB");
    assert_string_equal(out_fmt_size(b, sizeof b, 1LL << 30), "1.00 GiB");
    assert_string_equal(out_fmt_size(b, sizeof b, 500LL << 30), "500 GiB");
    assert_string_equal(out_fmt_size(b, sizeof b, -1), "?");
}

static void
test_eta(void **state)
{
    (void)state;
    char b[24];
    assert_string_equal(out_fmt_eta(b, sizeof b, 5), "0:05");
    assert_string_equal(out_fmt_eta(b, sizeof b, 754), "12:34");
    assert_string_equal(out_fmt_eta(b, sizeof b, 3723), "1:02:03");
    assert_string_equal(out_fmt_eta(b, sizeof b, -1), "--:--");
    assert_string_equal(out_fmt_eta(b, sizeof b, 1e9), "99+ days");
}

static void
test_escape(void **state)
{
    (void)state;
    char *s = out_escape("a\x1b[2Jb\n\\ é");
    assert_string_equal(s, "a\\x1b[2Jb\\x0a\\x5c é");
    free(s);
    s = out_escape("bad\xff\xfe");
    assert_string_equal(s, "bad\\xff\\xfe");
    free(s);
}

/* --color=auto: a terminal, TERM not dumb, NO_COLOR unset or empty. */
static void
test_no_color(void **state)
{
    (void)state;
    assert_true(out_color_auto(true, "xterm", NULL));
    assert_false(out_color_auto(true, "xterm", "1"));
    assert_false(out_color_auto(true, "xterm", "0")); /* any value... */
    /* ...but the empty one (no-color.org: "when present and not an empty
     * string") */
    assert_true(out_color_auto(true, "xterm", ""));
    assert_false(out_color_auto(false, "xterm", NULL)); /* not a terminal */
    assert_false(out_color_auto(true, "dumb", NULL));
    assert_false(out_color_auto(true, NULL, NULL));
    assert_false(out_color_auto(true, "", NULL));
}

/* Color of out_init(): always and never win over auto; never with --json. */
static void
test_color_modes(void **state)
{
    (void)state;
    struct out o;
    struct out_opts oo = {0, false, false, OUT_COLOR_ALWAYS, NULL};
    setenv("NO_COLOR", "1", 1);
    out_init(&o, &oo);
    assert_true(o.color); /* an explicit --color wins over NO_COLOR */
    unsetenv("NO_COLOR");
    oo.json = true;
    out_init(&o, &oo);
    assert_false(o.color);
    oo = (struct out_opts){0, false, false, OUT_COLOR_NEVER, NULL};
    out_init(&o, &oo);
    assert_false(o.color);
    /* FERRY_TEST_TTY fakes a terminal for progress, not for colour */
    setenv("FERRY_TEST_TTY", "1", 1);
    setenv("TERM", "xterm", 1);
    oo.color = OUT_COLOR_AUTO;
    out_init(&o, &oo);
    unsetenv("FERRY_TEST_TTY");
    assert_int_equal(o.mode, OUT_TTY);
    assert_int_equal(o.color, isatty(2) != 0);
}

/* The events out_event() wrote to o (a temporary file), one per line. */
static char *
events(struct out *o)
{
    static char buf[4096];
    fflush(o->jsonfp);
    rewind(o->jsonfp);
    size_t n = fread(buf, 1, sizeof buf - 1, o->jsonfp);
    buf[n] = '\0';
    fclose(o->jsonfp);
    return buf;
}

/* SPEC: every event names its command; unknown is null, never -1. */
static void
test_event_rules(void **state)
{
    (void)state;
    struct out o, part;
    struct out_opts oo = {0, true, false, OUT_COLOR_NEVER, "save"};
    out_init(&o, &oo);
    o.jsonfp = tmpfile();
    assert_non_null(o.jsonfp);
    out_event(&o, "start", "{sssI}", "dir", "ws", "size", -1LL);
    struct out quiet = o; /* an engine's copy: its start is dropped */
    out_event(&quiet, "start", "{ss}", "url", "s3://b/k");
    out_event(&o, "entry", "{ssss*ss?sisf}", "path", "a\xff\x01", "target",
              NULL, "url", NULL, "code", -1, "rate", -2.5);
    out_event(&o, "done", "{sb}", "verified", 1);
    assert_string_equal(
        events(&o),
        "{\"event\":\"start\",\"v\":1,\"command\":\"save\",\"dir\":\"ws\","
        "\"size\":null}\n"
        "{\"event\":\"entry\",\"v\":1,\"command\":\"save\","
        "\"path\":\"a\\\\xff\\\\x01\",\"url\":null,\"code\":null,"
        "\"rate\":null}\n"
        "{\"event\":\"done\",\"v\":1,\"command\":\"save\",\"verified\":true}"
        "\n");

    /* a part of ferry up says its own start, with its label */
    oo.command = "up";
    out_init(&o, &oo);
    out_part(&part, &o, "tools");
    o.jsonfp = part.jsonfp = tmpfile();
    assert_non_null(o.jsonfp);
    out_event(&o, "start", NULL);
    out_event(&part, "start", "{si}", "port", 7);
    out_event(&part, "start", NULL);
    assert_string_equal(events(&o),
                        "{\"event\":\"start\",\"v\":1,\"command\":\"up\"}\n"
                        "{\"event\":\"start\",\"v\":1,\"command\":\"up\","
                        "\"bundle\":\"tools\",\"port\":7}\n");
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_size),        cmocka_unit_test(test_eta),
        cmocka_unit_test(test_escape),      cmocka_unit_test(test_no_color),
        cmocka_unit_test(test_color_modes), cmocka_unit_test(test_event_rules),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
