/*
 * Unit tests for the AWS credentials: RFC 3339 times, the JSON of
 * credential_process and of IMDS/container answers (hostile documents
 * included), the shell-like split of a credential_process command, running
 * one (aws_process.c), and the refresh schedule of the cache with a fake
 * clock and a fake source (aws_chain.c).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../../src/aws_int.h"
#include "ferry/aws_creds.h"

#define T2024 1704067200.0 /* 2024-01-01T00:00:00Z */

static void
test_time(void **state)
{
    (void)state;
    double t = 0;
    assert_true(aws_parse_time("2024-01-01T00:00:00Z", &t));
    assert_true(t == T2024);
    assert_true(aws_parse_time("2024-01-01T01:00:00.250Z", &t));
    assert_true(t == T2024 + 3600.25);
    assert_true(aws_parse_time("2024-01-01T02:00:00+02:00", &t));
    assert_true(t == T2024);
    assert_true(aws_parse_time("2023-12-31T23:30:00-00:30", &t));
    assert_true(t == T2024);
    assert_true(aws_parse_time("2024-01-01 00:00:00z", &t));
    static const char *const bad[] = {
        "",
        "2024-01-01",
        "2024-01-01T00:00:00",
        "2024-01-01T00:00:00ZZ",
        "2024-13-01T00:00:00Z",
        "2024-01-01T24:00:00Z",
        "2024-01-01T00:00:00.Z",
        "2024-01-01T00:00:00+0200",
        "1969-12-31T23:59:59Z",
        "20x4-01-01T00:00:00Z",
        "2024-01-01T00:00:00+99:00",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_false(aws_parse_time(bad[i], &t));
}

static bool
from_json(const char *doc, bool process, struct aws_creds *c, char *why)
{
    return aws_creds_from_json(doc, strlen(doc), process, T2024, c, why, 160);
}

static void
test_process_json(void **state)
{
    (void)state;
    struct aws_creds c;
    char why[160];
    assert_true(from_json("{\"Version\": 1, \"AccessKeyId\": \"AKID\", "
                          "\"SecretAccessKey\": \"S/ecret+\", "
                          "\"SessionToken\": \"TOK\", "
                          "\"Expiration\": \"2024-01-01T01:00:00Z\", "
                          "\"Other\": [1, 2]}",
                          true, &c, why));
    assert_string_equal(c.access_key_id, "AKID");
    assert_string_equal(c.secret_key, "S/ecret+");
    assert_string_equal(c.session_token, "TOK");
    assert_true(c.expires == T2024 + 3600);
    aws_creds_release(&c);
    /* no token, no expiry: long-term keys */
    assert_true(from_json("{\"Version\":1,\"AccessKeyId\":\"A\","
                          "\"SecretAccessKey\":\"B\"}",
                          true, &c, why));
    assert_null(c.session_token);
    assert_true(c.expires == 0);
    aws_creds_release(&c);
    static const char *const bad[] = {
        "",
        "not json",
        "[]",
        "{\"AccessKeyId\":\"A\",\"SecretAccessKey\":\"B\"}", /* no Version */
        "{\"Version\":2,\"AccessKeyId\":\"A\",\"SecretAccessKey\":\"B\"}",
        "{\"Version\":\"1\",\"AccessKeyId\":\"A\",\"SecretAccessKey\":\"B\"}",
        "{\"Version\":1,\"AccessKeyId\":\"A\"}",
        "{\"Version\":1,\"AccessKeyId\":1,\"SecretAccessKey\":\"B\"}",
        "{\"Version\":1,\"AccessKeyId\":\"A\",\"SecretAccessKey\":\"\"}",
        "{\"Version\":1,\"AccessKeyId\":\"A B\",\"SecretAccessKey\":\"B\"}",
        "{\"Version\":1,\"AccessKeyId\":\"A\",\"SecretAccessKey\":\"B\","
        "\"SessionToken\":\"x\\r\\nX-Injected: 1\"}",
        "{\"Version\":1,\"AccessKeyId\":\"A\",\"SecretAccessKey\":\"B\","
        "\"Expiration\":\"tomorrow\"}",
        "{\"Version\":1,\"AccessKeyId\":\"A\",\"SecretAccessKey\":\"B\","
        "\"Expiration\":12345}",
        /* expired already */
        "{\"Version\":1,\"AccessKeyId\":\"A\",\"SecretAccessKey\":\"B\","
        "\"Expiration\":\"2023-12-31T23:59:59Z\"}",
        /* duplicate keys are refused */
        "{\"Version\":1,\"AccessKeyId\":\"A\",\"AccessKeyId\":\"C\","
        "\"SecretAccessKey\":\"B\"}",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        why[0] = '\0';
        assert_false(from_json(bad[i], true, &c, why));
        assert_true(why[0] != '\0');
        assert_null(c.access_key_id);
        /* the reason never quotes the document */
        assert_null(strstr(why, "X-Injected"));
    }
}

static void
test_meta_json(void **state)
{
    (void)state;
    struct aws_creds c;
    char why[160];
    const char *imds = "{\"Code\":\"Success\",\"LastUpdated\":\"x\","
                       "\"Type\":\"AWS-HMAC\",\"AccessKeyId\":\"ASIA1\","
                       "\"SecretAccessKey\":\"sec\",\"Token\":\"tok\","
                       "\"Expiration\":\"2024-01-01T06:00:00Z\"}";
    assert_true(from_json(imds, false, &c, why));
    assert_string_equal(c.session_token, "tok");
    assert_true(c.expires == T2024 + 6 * 3600);
    aws_creds_release(&c);
    assert_false(from_json("{\"Code\":\"AssumeRoleUnauthorizedAccess\","
                           "\"AccessKeyId\":\"A\",\"SecretAccessKey\":\"B\"}",
                           false, &c, why));
    assert_non_null(strstr(why, "AssumeRoleUnauthorizedAccess"));
    /* a huge document is just data: bounded by the caller's cap */
    size_t n = 300000;
    char *big = malloc(n + 100);
    snprintf(big, n + 100, "{\"AccessKeyId\":\"");
    size_t k = strlen(big);
    memset(big + k, 'A', n);
    snprintf(big + k + n, 100, "\",\"SecretAccessKey\":\"B\"}");
    assert_false(aws_creds_from_json(big, strlen(big), false, T2024, &c, why,
                                     sizeof why));
    free(big);
}

static void
split_is(const char *cmd, int n, ...)
{
    struct strlist v = STRLIST_INIT;
    char why[100];
    assert_true(aws_shell_split(cmd, &v, why, sizeof why));
    assert_int_equal(v.n, n);
    va_list ap;
    va_start(ap, n);
    for (int i = 0; i < n; i++)
        assert_string_equal(v.v[i], va_arg(ap, const char *));
    va_end(ap);
    strlist_release(&v);
}

static void
test_shell_split(void **state)
{
    (void)state;
    split_is("/bin/tool --a b", 3, "/bin/tool", "--a", "b");
    split_is("  \"/opt/my tool/x\"  'a b'\tc\\ d ", 3, "/opt/my tool/x", "a b",
             "c d");
    split_is("a\"b c\"'d'e", 1, "ab cde");
    split_is("\"q\\\"\\\\\\$\\n\" '\\n'", 2, "q\"\\$\\n", "\\n");
    split_is("sh -c 'echo $HOME | cat'", 3, "sh", "-c", "echo $HOME | cat");
    split_is("''", 1, "");
    struct strlist v = STRLIST_INIT;
    char why[100];
    static const char *const bad[] = {"", "   ", "'open", "\"open", "x\\"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_false(aws_shell_split(bad[i], &v, why, sizeof why));
        strlist_release(&v);
    }
    char many[2000];
    for (int i = 0; i < 300; i++)
        memcpy(many + 2 * i, "a ", 2);
    many[600] = '\0';
    assert_false(aws_shell_split(many, &v, why, sizeof why));
    strlist_release(&v);
}

static void
test_process_run(void **state)
{
    (void)state;
    struct aws_creds c;
    struct fy_err err = FY_ERR_INIT;
    assert_int_equal(
        aws_process_run("printf '%s' '{\"Version\": 1, \"AccessKeyId\": "
                        "\"PK\", \"SecretAccessKey\": \"PS\", "
                        "\"SessionToken\": \"PT\", \"Expiration\": "
                        "\"2999-01-01T00:00:00Z\"}'",
                        "proc", &c, &err),
        FY_OK);
    assert_string_equal(c.access_key_id, "PK");
    assert_string_equal(c.session_token, "PT");
    aws_creds_release(&c);
    /* a failure quotes the first line of stderr, never stdout */
    assert_int_equal(aws_process_run("sh -c 'echo SECRETOUT; echo \"no "
                                     "session\" >&2; echo more >&2; exit 3'",
                                     "proc", &c, &err),
                     FY_ERUNTIME);
    assert_string_equal(err.msg, "proc: exited with status 3: no session");
    fy_err_clear(&err);
    assert_int_equal(
        aws_process_run("sh -c 'echo {not json'", "proc", &c, &err),
        FY_ERUNTIME);
    assert_non_null(strstr(err.msg, "unusable output"));
    assert_null(strstr(err.msg, "not json"));
    fy_err_clear(&err);
    assert_int_equal(
        aws_process_run("head -c 70000 /dev/zero", "proc", &c, &err),
        FY_ERUNTIME);
    assert_non_null(strstr(err.msg, "more than 65536 bytes"));
    fy_err_clear(&err);
    assert_int_equal(aws_process_run("/nonexistent/tool", "proc", &c, &err),
                     FY_ERUNTIME);
    assert_non_null(strstr(err.msg, "cannot run '/nonexistent/tool'"));
    fy_err_clear(&err);
    assert_int_equal(aws_process_run("sh -c 'kill -9 $$'", "proc", &c, &err),
                     FY_ERUNTIME);
    assert_non_null(strstr(err.msg, "killed by signal 9"));
    fy_err_clear(&err);
    assert_int_equal(aws_process_run("'unterminated", "proc", &c, &err),
                     FY_EINPUT);
}

/* ------------------------------------------------------ refresh, cache */

static double fake_now;
static double
fake_clock(void)
{
    return fake_now;
}

struct fake_src {
    int calls;
    double life; /* lifetime of what it hands out */
    bool fail;
};

static enum fy_rc
fake_fetch(void *ctx, struct aws_creds *out, struct fy_err *err)
{
    struct fake_src *f = ctx;
    f->calls++;
    if (f->fail)
        return fy_fail(err, FY_ERUNTIME, "fake: down");
    char id[32];
    snprintf(id, sizeof id, "KEY%d", f->calls);
    out->access_key_id = strdup(id);
    out->secret_key = strdup("secret");
    out->session_token = strdup("token");
    out->expires = fake_now + f->life;
    return FY_OK;
}

static void
test_refresh_at(void **state)
{
    (void)state;
    /* an hour: 5 minutes before the end */
    assert_true(aws_refresh_at(0, 3600) == 3300);
    /* six hours: the same */
    assert_true(aws_refresh_at(100, 100 + 6 * 3600) == 100 + 6 * 3600 - 300);
    /* four minutes (inside the window): half-way */
    assert_true(aws_refresh_at(0, 240) == 120);
    assert_true(aws_refresh_at(10, 12) == 11);
    assert_true(aws_refresh_at(10, 10) == 10);
}

static struct aws_chain *
fake_chain(struct fake_src *f, double life)
{
    f->calls = 0;
    f->life = life;
    f->fail = false;
    struct aws_provider p = {"fake", fake_fetch, NULL, f};
    struct aws_creds first = {0};
    struct fy_err err = FY_ERR_INIT;
    assert_int_equal(fake_fetch(f, &first, &err), FY_OK);
    return aws_chain_new(&p, &first, fake_now, fake_clock);
}

static const char *
get_key(struct aws_chain *c, enum fy_rc want)
{
    static char key[32];
    struct aws_creds cr;
    struct fy_err err = FY_ERR_INIT;
    assert_int_equal(aws_chain_get(c, "x", &cr, &err), want);
    if (want != FY_OK)
        assert_string_equal(err.msg, "x: AWS credentials expired and could "
                                     "not be refreshed: fake: down");
    snprintf(key, sizeof key, "%s", cr.access_key_id ? cr.access_key_id : "");
    aws_creds_release(&cr);
    return key;
}

static void
test_cache(void **state)
{
    (void)state;
    struct fake_src f;
    fake_now = 1000;
    struct aws_chain *c = fake_chain(&f, 3600);
    assert_string_equal(aws_chain_source(c), "fake");
    assert_string_equal(get_key(c, FY_OK), "KEY1");
    fake_now = 1000 + 3299;
    assert_string_equal(get_key(c, FY_OK), "KEY1");
    assert_int_equal(f.calls, 1);
    fake_now = 1000 + 3300; /* 5 minutes before the end */
    assert_string_equal(get_key(c, FY_OK), "KEY2");
    assert_int_equal(aws_chain_fetches(c), 2);
    assert_string_equal(get_key(c, FY_OK), "KEY2");
    assert_int_equal(f.calls, 2);
    /* the source fails while the old ones are valid: keep them, retry
     * after min(30 s, half the rest) */
    fake_now += 3300;
    f.fail = true;
    assert_string_equal(get_key(c, FY_OK), "KEY2");
    assert_int_equal(f.calls, 3);
    fake_now += 29;
    assert_string_equal(get_key(c, FY_OK), "KEY2");
    assert_int_equal(f.calls, 3);
    fake_now += 1;
    assert_string_equal(get_key(c, FY_OK), "KEY2");
    assert_int_equal(f.calls, 4);
    /* expired and the source still fails: an error */
    fake_now += 300;
    assert_string_equal(get_key(c, FY_ERUNTIME), "");
    f.fail = false;
    assert_string_equal(get_key(c, FY_OK), "KEY6");
    aws_chain_free(c);

    /* short-lived credentials: asked again half-way, never in a loop */
    fake_now = 5000;
    c = fake_chain(&f, 240);
    for (int i = 0; i < 100; i++)
        get_key(c, FY_OK);
    assert_int_equal(f.calls, 1);
    fake_now += 120;
    assert_string_equal(get_key(c, FY_OK), "KEY2");
    for (int i = 0; i < 100; i++)
        get_key(c, FY_OK);
    assert_int_equal(f.calls, 2);
    aws_chain_free(c);

    /* credentials that never expire are never fetched again */
    fake_now = 0;
    c = fake_chain(&f, 3600);
    aws_chain_free(c);
    struct aws_creds first = {strdup("A"), strdup("B"), NULL, 0};
    struct aws_provider p = {"static", fake_fetch, NULL, &f};
    f.calls = 0;
    c = aws_chain_new(&p, &first, 0, fake_clock);
    fake_now = 1e12;
    assert_string_equal(get_key(c, FY_OK), "A");
    assert_int_equal(f.calls, 0);
    aws_chain_free(c);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_time),        cmocka_unit_test(test_process_json),
        cmocka_unit_test(test_meta_json),   cmocka_unit_test(test_shell_split),
        cmocka_unit_test(test_process_run), cmocka_unit_test(test_refresh_at),
        cmocka_unit_test(test_cache),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
