/*
 * Unit tests for aws_config.c: the AWS shared files as libinih reads them
 * (profiles in both files, sub-sections, long lines past libinih's
 * 200-byte buffer, CRLF, duplicates, hostile input) and the settings
 * taken from them, the environment and the flags (region, endpoint,
 * addressing style).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ferry/aws_config.h"
#include "ferry/remote_s3.h"

static struct aws_ini *
parse_ok(const char *text)
{
    struct aws_ini *ini = NULL;
    struct fy_err err = FY_ERR_INIT;
    assert_int_equal(aws_ini_parse(text, strlen(text), "f", &ini, &err), FY_OK);
    assert_non_null(ini);
    return ini;
}

/* The message of a parse that must fail (static buffer). */
static const char *
parse_bad(const char *text, size_t len)
{
    static struct fy_err err;
    struct aws_ini *ini = NULL;
    fy_err_clear(&err);
    assert_int_not_equal(aws_ini_parse(text, len, "f", &ini, &err), FY_OK);
    assert_null(ini);
    return err.msg;
}

static const char *
parse_bad_s(const char *text)
{
    return parse_bad(text, strlen(text));
}

static void
test_ini_basic(void **state)
{
    (void)state;
    struct aws_ini *ini = parse_ok("# comment\n"
                                   "[default]\n"
                                   "aws_access_key_id = AKID1\n"
                                   "aws_secret_access_key=SECRET/1+\r\n"
                                   "[work]\n"
                                   "  aws_access_key_id =  AKID2  \n"
                                   "; other\n"
                                   "[profile dev]\n"
                                   "region = eu-central-1 ; inline\n"
                                   "output: json\n"
                                   "[empty]\n"
                                   "[semi ; colon]\n"
                                   "p = sh -c 'a ; b';x\n"
                                   "  ; a comment line\n"
                                   "s3 =\n"
                                   "  u = http://h/a ;b\n");
    assert_string_equal(aws_ini_get(ini, "default", "aws_access_key_id"),
                        "AKID1");
    assert_string_equal(aws_ini_get(ini, "default", "aws_secret_access_key"),
                        "SECRET/1+");
    assert_string_equal(aws_ini_get(ini, "work", "aws_access_key_id"), "AKID2");
    /* no inline comments, as in the AWS CLI */
    assert_string_equal(aws_ini_get(ini, "profile dev", "region"),
                        "eu-central-1 ; inline");
    assert_string_equal(aws_ini_get(ini, "profile dev", "output"), "json");
    assert_null(aws_ini_get(ini, "work", "aws_secret_access_key"));
    assert_null(aws_ini_get(ini, "nope", "region"));
    assert_string_equal(aws_ini_get(ini, "semi ; colon", "p"),
                        "sh -c 'a ; b';x");
    assert_string_equal(aws_ini_get_sub(ini, "semi ; colon", "s3", "u"),
                        "http://h/a ;b");
    assert_true(aws_ini_has_section(ini, "empty"));
    assert_true(aws_ini_has_section(ini, "work"));
    assert_false(aws_ini_has_section(ini, "nope"));
    aws_ini_free(ini);
}

static void
test_ini_subsections(void **state)
{
    (void)state;
    struct aws_ini *ini = parse_ok("[profile p]\n"
                                   "s3 =\n"
                                   "  addressing_style = path\n"
                                   "\tendpoint_url = http://h:1/x\n"
                                   "region = r1\n"
                                   "[services   svc]\n"
                                   "s3 = \r\n"
                                   "    endpoint_url = http://127.0.0.1:9\r\n"
                                   "sts =\n"
                                   "  endpoint_url = http://127.0.0.1:8\n"
                                   "multi = first\n"
                                   "  second\n");
    assert_string_equal(aws_ini_get(ini, "profile p", "s3"), "");
    assert_string_equal(
        aws_ini_get_sub(ini, "profile p", "s3", "addressing_style"), "path");
    assert_string_equal(aws_ini_get_sub(ini, "profile p", "s3", "endpoint_url"),
                        "http://h:1/x");
    assert_string_equal(aws_ini_get(ini, "profile p", "region"), "r1");
    /* "services   svc" is filed as "services svc" */
    assert_string_equal(
        aws_ini_get_sub(ini, "services svc", "s3", "endpoint_url"),
        "http://127.0.0.1:9");
    assert_string_equal(
        aws_ini_get_sub(ini, "services svc", "sts", "endpoint_url"),
        "http://127.0.0.1:8");
    /* a value continued on an indented line is joined, not a sub-section */
    assert_string_equal(aws_ini_get(ini, "services svc", "multi"),
                        "first\nsecond");
    assert_null(aws_ini_get_sub(ini, "services svc", "multi", "second"));
    assert_null(aws_ini_get_sub(ini, "profile p", "region", "x"));
    aws_ini_free(ini);
}

static void
test_ini_duplicates(void **state)
{
    (void)state;
    struct aws_ini *ini = parse_ok("[a]\nk = 1\nk = 2\n[b]\nk = 3\n"
                                   "[a]\nj = 4\n"
                                   "[c]\ns3 =\n  x = 1\n  x = 2\ns3 = flat\n");
    assert_string_equal(aws_ini_get(ini, "a", "k"), "2");
    assert_string_equal(aws_ini_get(ini, "a", "j"), "4");
    assert_string_equal(aws_ini_get(ini, "b", "k"), "3");
    /* a key redefined after its sub-section: the sub-section is gone */
    assert_string_equal(aws_ini_get(ini, "c", "s3"), "flat");
    assert_null(aws_ini_get_sub(ini, "c", "s3", "x"));
    aws_ini_free(ini);
    ini = parse_ok("[c]\ns3 =\n  x = 1\n  x = 2\n");
    assert_string_equal(aws_ini_get_sub(ini, "c", "s3", "x"), "2");
    aws_ini_free(ini);
}

/* Values longer than libinih's 200-byte line come back whole. */
static void
test_ini_long_lines(void **state)
{
    (void)state;
    size_t big = 100000;
    char *tok = malloc(big + 1);
    for (size_t i = 0; i < big; i++)
        tok[i] = (char)('A' + i % 26);
    tok[big] = '\0';
    char *text = malloc(3 * big + 1000);
    snprintf(text, 3 * big + 1000,
             "[default]\r\n"
             "aws_session_token = %s\r\n"
             "commented = %.300s ; and a comment %.300s\n"
             "spaced = %.250s   \n"
             "credential_process = /bin/echo %.400s\n"
             "s3 =\n"
             "  endpoint_url = http://h/%.300s\n"
             "last = ok\n",
             tok, tok, tok, tok, tok, tok);
    struct aws_ini *ini = parse_ok(text);
    assert_string_equal(aws_ini_get(ini, "default", "aws_session_token"), tok);
    const char *c = aws_ini_get(ini, "default", "commented");
    assert_int_equal(strlen(c), 300 + 17 + 300);
    assert_memory_equal(c, tok, 300);
    assert_memory_equal(c + 300, " ; and a comment ", 17);
    assert_int_equal(strlen(aws_ini_get(ini, "default", "spaced")), 250);
    assert_int_equal(strlen(aws_ini_get(ini, "default", "credential_process")),
                     410);
    const char *ep = aws_ini_get_sub(ini, "default", "s3", "endpoint_url");
    assert_non_null(ep);
    assert_int_equal(strlen(ep), 309);
    assert_string_equal(aws_ini_get(ini, "default", "last"), "ok");
    aws_ini_free(ini);
    /* a comment line of any length is a comment */
    snprintf(text, 3 * big + 1000, "# %s\n[a]\n; %s\nk = v\n", tok, tok);
    ini = parse_ok(text);
    assert_string_equal(aws_ini_get(ini, "a", "k"), "v");
    aws_ini_free(ini);
    free(text);
    free(tok);
}

static void
test_ini_hostile(void **state)
{
    (void)state;
    assert_non_null(strstr(parse_bad("[a]\nk = v\x00x\n", 12), "f:2:"));
    assert_non_null(strstr(parse_bad("[a]\nk = \x1b[2J\n", 12), "f:2:"));
    assert_non_null(
        strstr(parse_bad_s("[a]\nk = v\nno equals here\n"), "f:3:"));
    assert_non_null(strstr(parse_bad_s("[a\nk = v\n"), "f:1:"));
    /* a sub-section line without '=' */
    assert_non_null(strstr(parse_bad_s("[a]\ns3 =\n  nothing\n"), "f:3:"));
    /* a name past libinih's line buffer: no '=' within it */
    char longname[400];
    memset(longname, 'k', 300);
    snprintf(longname + 300, 100, " = v\n");
    assert_non_null(strstr(parse_bad_s(longname), "f:1:"));
    /* section names libinih would cut short never match */
    char sec[200];
    snprintf(sec, sizeof sec, "[profile %060d]\nk = v\n", 1);
    struct aws_ini *ini = parse_ok(sec);
    char name[100];
    snprintf(name, sizeof name, "profile %060d", 1);
    assert_null(aws_ini_get(ini, name, "k"));
    name[49] = '\0';
    assert_null(aws_ini_get(ini, name, "k"));
    aws_ini_free(ini);
    /* a file of a million tiny lines stays linear: many sections, many
     * continuation lines, many sub-keys */
    size_t big = 1 << 20;
    char *many = malloc(big + 1);
    for (size_t i = 0; i + 4 <= big; i += 4)
        memcpy(many + i, (i / 4) % 2 ? "[b]\n" : "[a]\n", 4);
    many[big] = '\0';
    ini = parse_ok(many);
    assert_true(aws_ini_has_section(ini, "b"));
    aws_ini_free(ini);
    memcpy(many, "[a]\nk = v\n", 10);
    for (size_t i = 10; i + 3 <= big; i += 3)
        memcpy(many + i, " x\n", 3);
    many[10 + (big - 10) / 3 * 3] = '\0';
    ini = parse_ok(many);
    assert_int_equal(strlen(aws_ini_get(ini, "a", "k")),
                     1 + (big - 10) / 3 * 2);
    aws_ini_free(ini);
    memcpy(many, "[a]\nk =\n", 8);
    for (size_t i = 8; i + 7 <= big; i += 7)
        memcpy(many + i, " x = 1\n", 7);
    many[8 + (big - 8) / 7 * 7] = '\0';
    ini = parse_ok(many);
    assert_string_equal(aws_ini_get_sub(ini, "a", "k", "x"), "1");
    aws_ini_free(ini);
    free(many);
    /* empty input, a BOM, no sections */
    ini = parse_ok("");
    assert_null(aws_ini_get(ini, "default", "k"));
    aws_ini_free(ini);
    ini = parse_ok("\xef\xbb\xbf[default]\nk = v\n");
    assert_string_equal(aws_ini_get(ini, "default", "k"), "v");
    aws_ini_free(ini);
    ini = parse_ok("k = outside\n[a]\n");
    assert_string_equal(aws_ini_get(ini, "", "k"), "outside");
    aws_ini_free(ini);
}

/* ---------------------------------------------------------- profiles */

static const char *creds_file = "[default]\n"
                                "aws_access_key_id = DEFKEY\n"
                                "aws_secret_access_key = DEFSECRET\n"
                                "[work]\n"
                                "aws_access_key_id = WORKKEY\n"
                                "region = eu-west-3\n";
static const char *config_file = "[default]\n"
                                 "region = us-west-2\n"
                                 "[profile work]\n"
                                 "aws_access_key_id = IGNORED\n"
                                 "aws_secret_access_key = WORKSECRET\n"
                                 "region = eu-west-1\n"
                                 "services = local\n"
                                 "endpoint_url = http://profile:1\n"
                                 "s3 =\n"
                                 "  addressing_style = virtual\n"
                                 "[work2]\n"
                                 "region = not-a-profile-in-config\n"
                                 "[profile proc]\n"
                                 "credential_process = /bin/x --a 'b c'\n"
                                 "[profile wi]\n"
                                 "role_arn = arn:aws:iam::1:role/r\n"
                                 "web_identity_token_file = /t\n"
                                 "role_session_name = s1\n"
                                 "[profile bad-style]\n"
                                 "s3 =\n"
                                 "  addressing_style = sideways\n"
                                 "[services local]\n"
                                 "s3 =\n"
                                 "  endpoint_url = http://services:2\n"
                                 "sts =\n"
                                 "  endpoint_url = http://sts:3\n";

static void
test_profiles(void **state)
{
    (void)state;
    struct aws_profile p;
    struct fy_err err = FY_ERR_INIT;
    unsetenv("AWS_PROFILE");
    assert_int_equal(
        aws_profile_from_text(&p, NULL, creds_file, config_file, &err), FY_OK);
    assert_string_equal(p.name, "default");
    assert_false(p.named);
    assert_true(p.found);
    assert_string_equal(p.access_key_id, "DEFKEY");
    assert_string_equal(p.secret_key, "DEFSECRET");
    assert_string_equal(p.region, "us-west-2");
    assert_null(p.endpoint_url);
    assert_int_equal(p.addressing, AWS_ADDR_AUTO);
    aws_profile_release(&p);

    /* [work] in credentials wins over [profile work] in config */
    assert_int_equal(
        aws_profile_from_text(&p, "work", creds_file, config_file, &err),
        FY_OK);
    assert_true(p.named && p.from_flag && p.found);
    assert_string_equal(p.access_key_id, "WORKKEY");
    assert_string_equal(p.secret_key, "WORKSECRET");
    assert_string_equal(p.region, "eu-west-3");
    assert_string_equal(p.endpoint_url, "http://profile:1");
    assert_string_equal(p.services, "local");
    assert_string_equal(p.s3_endpoint, "http://services:2");
    assert_string_equal(p.sts_endpoint, "http://sts:3");
    assert_int_equal(p.addressing, AWS_ADDR_VIRTUAL);
    aws_profile_release(&p);

    assert_int_equal(
        aws_profile_from_text(&p, "proc", creds_file, config_file, &err),
        FY_OK);
    assert_string_equal(p.process, "/bin/x --a 'b c'");
    assert_null(p.access_key_id);
    aws_profile_release(&p);
    assert_int_equal(
        aws_profile_from_text(&p, "wi", creds_file, config_file, &err), FY_OK);
    assert_string_equal(p.role_arn, "arn:aws:iam::1:role/r");
    assert_string_equal(p.token_file, "/t");
    assert_string_equal(p.session_name, "s1");
    aws_profile_release(&p);

    /* [work2] in config is not a profile: "work2" is not found */
    assert_int_equal(
        aws_profile_from_text(&p, "work2", creds_file, config_file, &err),
        FY_ERUNTIME);
    assert_string_equal(err.msg,
                        "AWS profile 'work2': not in credentials or config");
    aws_profile_release(&p);
    fy_err_clear(&err);
    setenv("AWS_PROFILE", "nosuch", 1);
    assert_int_equal(aws_profile_from_text(&p, NULL, NULL, NULL, &err),
                     FY_ERUNTIME);
    assert_non_null(strstr(err.msg, "'nosuch'"));
    aws_profile_release(&p);
    unsetenv("AWS_PROFILE");
    fy_err_clear(&err);
    /* the default profile may be missing */
    assert_int_equal(aws_profile_from_text(&p, NULL, NULL, NULL, &err), FY_OK);
    assert_false(p.found);
    aws_profile_release(&p);

    assert_int_equal(
        aws_profile_from_text(&p, "bad-style", creds_file, config_file, &err),
        FY_EINPUT);
    assert_non_null(strstr(err.msg, "addressing_style"));
    assert_null(strstr(err.msg, "sideways"));
    aws_profile_release(&p);
    fy_err_clear(&err);
    assert_int_equal(
        aws_profile_from_text(&p, "a]b", creds_file, config_file, &err),
        FY_EUSAGE);
    aws_profile_release(&p);
    fy_err_clear(&err);
    /* an empty section is a profile */
    assert_int_equal(
        aws_profile_from_text(&p, "e", "[e]\n", "[profile x]\n", &err), FY_OK);
    assert_true(p.found);
    aws_profile_release(&p);
    /* "[profile default]" is the default profile too */
    assert_int_equal(aws_profile_from_text(&p, NULL, NULL,
                                           "[profile default]\nregion = r9\n",
                                           &err),
                     FY_OK);
    assert_string_equal(p.region, "r9");
    aws_profile_release(&p);
}

/* ---------------------------------------------------------- settings */

static void
clear_env(void)
{
    static const char *const names[] = {
        "AWS_REGION",       "AWS_DEFAULT_REGION",
        "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3",
        "AWS_PROFILE",      "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS",
    };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        unsetenv(names[i]);
}

static void
test_settings(void **state)
{
    (void)state;
    struct aws_profile p;
    struct aws_settings s;
    struct fy_err err = FY_ERR_INIT;
    clear_env();
    assert_int_equal(
        aws_profile_from_text(&p, "work", creds_file, config_file, &err),
        FY_OK);
    /* profile: services s3 endpoint over endpoint_url */
    assert_int_equal(aws_settings_resolve(&p, NULL, NULL, &s, &err), FY_OK);
    assert_string_equal(s.region, "eu-west-3");
    assert_string_equal(s.endpoint, "http://services:2");
    assert_int_equal(s.addressing, AWS_ADDR_VIRTUAL);
    aws_settings_release(&s);
    /* environment over the profile */
    setenv("AWS_DEFAULT_REGION", "ap-south-1", 1);
    setenv("AWS_ENDPOINT_URL", "https://global:3", 1);
    assert_int_equal(aws_settings_resolve(&p, NULL, NULL, &s, &err), FY_OK);
    assert_string_equal(s.region, "ap-south-1");
    assert_string_equal(s.endpoint, "https://global:3");
    aws_settings_release(&s);
    setenv("AWS_REGION", "sa-east-1", 1);
    setenv("AWS_ENDPOINT_URL_S3", "https://s3only:4", 1);
    assert_int_equal(aws_settings_resolve(&p, NULL, NULL, &s, &err), FY_OK);
    assert_string_equal(s.region, "sa-east-1");
    assert_string_equal(s.endpoint, "https://s3only:4");
    assert_string_equal(s.endpoint_from, "AWS_ENDPOINT_URL_S3");
    aws_settings_release(&s);
    /* flags over everything */
    assert_int_equal(
        aws_settings_resolve(&p, "me-1", "http://flag:5", &s, &err), FY_OK);
    assert_string_equal(s.region, "me-1");
    assert_string_equal(s.endpoint, "http://flag:5");
    aws_settings_release(&s);
    /* ignore_configured_endpoint_urls: only the flag counts */
    setenv("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "TRUE", 1);
    assert_int_equal(aws_settings_resolve(&p, NULL, NULL, &s, &err), FY_OK);
    assert_null(s.endpoint);
    aws_settings_release(&s);
    assert_int_equal(aws_settings_resolve(&p, NULL, "http://flag:5", &s, &err),
                     FY_OK);
    assert_string_equal(s.endpoint, "http://flag:5");
    aws_settings_release(&s);
    clear_env();
    /* bad values are refused, naming where they came from */
    setenv("AWS_REGION", "us-east-1.evil.com/", 1);
    assert_int_equal(aws_settings_resolve(&p, NULL, NULL, &s, &err), FY_EINPUT);
    assert_non_null(strstr(err.msg, "AWS_REGION"));
    fy_err_clear(&err);
    clear_env();
    setenv("AWS_ENDPOINT_URL", "ftp://x", 1);
    assert_int_equal(aws_settings_resolve(&p, NULL, NULL, &s, &err), FY_EINPUT);
    fy_err_clear(&err);
    clear_env();
    aws_profile_release(&p);
    /* no region anywhere: unset (the caller picks) */
    assert_int_equal(aws_profile_from_text(&p, NULL, NULL, NULL, &err), FY_OK);
    assert_int_equal(aws_settings_resolve(&p, NULL, NULL, &s, &err), FY_OK);
    assert_null(s.region);
    assert_null(s.endpoint);
    aws_settings_release(&s);
    aws_profile_release(&p);
    /* a region continued on a second line is not a region */
    assert_int_equal(aws_profile_from_text(
                         &p, NULL, NULL, "[default]\nregion = a\n  b\n", &err),
                     FY_OK);
    assert_int_equal(aws_settings_resolve(&p, NULL, NULL, &s, &err), FY_EINPUT);
    aws_profile_release(&p);
}

static void
test_checks(void **state)
{
    (void)state;
    assert_true(s3_region_ok("eu-west-1"));
    assert_false(s3_region_ok(""));
    assert_false(s3_region_ok("a:b"));
    assert_false(s3_region_ok("a.b"));
    assert_true(aws_endpoint_ok("http://127.0.0.1:9000"));
    assert_true(aws_endpoint_ok("HTTPS://s3.example.com/base"));
    assert_false(aws_endpoint_ok("http://"));
    assert_false(aws_endpoint_ok("http:///x"));
    assert_false(aws_endpoint_ok("s3://b"));
    assert_false(aws_endpoint_ok("http://h/ x"));
    assert_false(aws_endpoint_ok("http://h/?q=1"));
    assert_true(aws_profile_name_ok("dev-1_x.y"));
    assert_false(aws_profile_name_ok(""));
    assert_false(aws_profile_name_ok(" x"));
    assert_false(aws_profile_name_ok("a\nb"));
    assert_false(
        aws_profile_name_ok("01234567890123456789012345678901234567890"));
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ini_basic),
        cmocka_unit_test(test_ini_subsections),
        cmocka_unit_test(test_ini_duplicates),
        cmocka_unit_test(test_ini_long_lines),
        cmocka_unit_test(test_ini_hostile),
        cmocka_unit_test(test_profiles),
        cmocka_unit_test(test_settings),
        cmocka_unit_test(test_checks),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
