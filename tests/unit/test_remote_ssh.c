/*
 * Unit tests for remote_ssh.c: which hosts may reach ssh -G, what is read
 * from its output (and what is refused), IdentityFile expansion, running
 * ssh (a fake one on PATH, so no real config is read), and the passphrase
 * from the environment, a file or a pipe (never in a message); the
 * --ssh-key-passphrase-file option.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "ferry/remote.h"
#include "ferry/remote_opts.h"
#include "ferry/remote_ssh.h"
#include "ferry/xalloc.h"

static void
test_name_ok(void **state)
{
    (void)state;
    assert_true(remote_ssh_name_ok("myvm"));
    assert_true(remote_ssh_name_ok("vm-1.example.com"));
    assert_true(remote_ssh_name_ok("127.0.0.1"));
    assert_true(remote_ssh_name_ok("::1"));
    assert_true(remote_ssh_name_ok("my_vm"));
    /* options, tokens, shell and config syntax never reach ssh */
    assert_false(remote_ssh_name_ok("-oProxyCommand=touch x"));
    assert_false(remote_ssh_name_ok("-F"));
    assert_false(remote_ssh_name_ok(".hidden"));
    assert_false(remote_ssh_name_ok("a%hb"));
    assert_false(remote_ssh_name_ok("a b"));
    assert_false(remote_ssh_name_ok("a;b"));
    assert_false(remote_ssh_name_ok("a\nb"));
    assert_false(remote_ssh_name_ok("[::1]"));
    assert_false(remote_ssh_name_ok("user@host"));
    assert_false(remote_ssh_name_ok(""));
    assert_false(remote_ssh_name_ok(NULL));
    char long_name[300];
    memset(long_name, 'a', sizeof long_name - 1);
    long_name[sizeof long_name - 1] = '\0';
    assert_false(remote_ssh_name_ok(long_name));
}

static void
test_parse(void **state)
{
    (void)state;
    struct remote_ssh_host h = REMOTE_SSH_HOST_INIT;
    struct fy_err err = FY_ERR_INIT;
    static const char out[] = "host myvm\n"
                              "user bob\n"
                              "hostname 10.1.2.3\r\n"
                              "port 2222\n"
                              "identityfile ~/.ssh/vm key\n"
                              "identityfile %d/.ssh/id_rsa\n"
                              "proxyjump none\n"
                              "sendenv LANG\n"
                              "noise\n"
                              "\n";
    assert_int_equal(remote_ssh_parse(out, sizeof out - 1, &h, &err), FY_OK);
    assert_string_equal(h.hostname, "10.1.2.3");
    assert_string_equal(h.user, "bob");
    assert_int_equal(h.port, 2222);
    assert_int_equal(h.identity.n, 2);
    assert_string_equal(h.identity.v[0], "~/.ssh/vm key");
    assert_string_equal(h.identity.v[1], "%d/.ssh/id_rsa");
    assert_false(h.proxy);
    remote_ssh_host_release(&h);
    assert_null(h.hostname);

    static const char jump[] = "proxycommand ssh -W %h:%p bastion\n";
    assert_int_equal(remote_ssh_parse(jump, sizeof jump - 1, &h, &err), FY_OK);
    assert_true(h.proxy);
    remote_ssh_host_release(&h);

    /* hostile values are refused, and not quoted back */
    static const char *const bad[] = {
        "hostname -oProxyCommand=x\n",
        "hostname a b\n",
        "port 0\n",
        "port 65536\n",
        "port 22x\n",
        "user \x1b[2J\n",
        "user \n",
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        fy_err_clear(&err);
        assert_int_equal(remote_ssh_parse(bad[i], strlen(bad[i]), &h, &err),
                         FY_EINPUT);
        assert_null(strstr(err.msg, "ProxyCommand"));
        assert_null(strstr(err.msg, "\x1b"));
        remote_ssh_host_release(&h);
    }
    static const char nul[] = "hostname a\0b\n";
    fy_err_clear(&err);
    assert_int_equal(remote_ssh_parse(nul, sizeof nul - 1, &h, &err),
                     FY_EINPUT);
    remote_ssh_host_release(&h);

    /* at most REMOTE_SSH_MAX_IDS identity files are kept */
    struct sbuf sb = SBUF_INIT;
    for (int i = 0; i < REMOTE_SSH_MAX_IDS + 10; i++)
        sbuf_addf(&sb, "identityfile ~/.ssh/k%d\n", i);
    fy_err_clear(&err);
    assert_int_equal(remote_ssh_parse(sb.buf, sb.len, &h, &err), FY_OK);
    assert_int_equal(h.identity.n, REMOTE_SSH_MAX_IDS);
    remote_ssh_host_release(&h);
    sbuf_release(&sb);
}

static void
test_expand(void **state)
{
    (void)state;
    struct remote_ssh_tokens tk = {"/home/me", "me",  "10.0.0.5",
                                   "myvm",     "bob", 2222};
    char *s;
    s = remote_ssh_expand("~/.ssh/id_rsa", &tk);
    assert_string_equal(s, "/home/me/.ssh/id_rsa");
    free(s);
    s = remote_ssh_expand("%d/k-%u-%h-%n-%r-%p-%%", &tk);
    assert_string_equal(s, "/home/me/k-me-10.0.0.5-myvm-bob-2222-%");
    free(s);
    s = remote_ssh_expand("/etc/keys/%i", &tk);
    char want[64];
    snprintf(want, sizeof want, "/etc/keys/%u", (unsigned)getuid());
    assert_string_equal(s, want);
    free(s);
    s = remote_ssh_expand("relative/key", &tk);
    assert_string_equal(s, "relative/key");
    free(s);
    /* what ferry does not expand is skipped, not guessed */
    assert_null(remote_ssh_expand("~other/.ssh/k", &tk));
    assert_null(remote_ssh_expand("%C/k", &tk));
    assert_null(remote_ssh_expand("${HOME}/k", &tk));
    assert_null(remote_ssh_expand("k%", &tk));
    tk.home = NULL;
    assert_null(remote_ssh_expand("~/.ssh/k", &tk));
    assert_null(remote_ssh_expand("%d/k", &tk));
}

/* A directory holding a fake `ssh` (a shell script), first on PATH. */
static char *
fake_ssh(const char *body, char **old_path)
{
    char tmpl[] = "/tmp/ferry-unit-ssh.XXXXXX";
    assert_non_null(mkdtemp(tmpl));
    char *dir = xstrdup(tmpl);
    char *prog = xasprintf("%s/ssh", dir);
    FILE *f = fopen(prog, "w");
    assert_non_null(f);
    fprintf(f, "#!/bin/sh\n%s\n", body);
    assert_int_equal(fclose(f), 0);
    assert_int_equal(chmod(prog, 0755), 0);
    free(prog);
    const char *p = getenv("PATH");
    *old_path = xstrdup(p != NULL ? p : "/usr/bin:/bin");
    char *np = xasprintf("%s:%s", dir, *old_path);
    setenv("PATH", np, 1);
    free(np);
    return dir;
}

static void
fake_ssh_done(char *dir, char *old_path)
{
    setenv("PATH", old_path, 1);
    free(old_path);
    char *cmd = xasprintf("rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
    free(cmd);
    free(dir);
}

static void
test_resolve(void **state)
{
    (void)state;
    struct remote_ssh_host h = REMOTE_SSH_HOST_INIT;
    struct fy_err err = FY_ERR_INIT;
    char *old;
    bool ran = true;
    /* the argv ssh sees: options first, then "--" and the host */
    char *dir = fake_ssh("printf '%s\\n' \"$@\" >\"$(dirname \"$0\")/argv\"\n"
                         "env >\"$(dirname \"$0\")/env\"\n"
                         "printf 'user bob\\nhostname 10.9.8.7\\nport 2200\\n"
                         "identityfile ~/.ssh/vm\\n'",
                         &old);
    setenv("FERRY_SSH_KEY_PASSPHRASE", "Env Secret", 1);
    setenv("FERRY_UNIT_MARK", "seen", 1);
    assert_int_equal(remote_ssh_resolve("myvm", NULL, &h, &ran, &err), FY_OK);
    unsetenv("FERRY_SSH_KEY_PASSPHRASE");
    unsetenv("FERRY_UNIT_MARK");
    assert_true(ran);
    assert_string_equal(h.hostname, "10.9.8.7");
    /* ssh gets the environment, but not the passphrase */
    char *env_file = xasprintf("%s/env", dir);
    char env[65536];
    FILE *ef = fopen(env_file, "r");
    assert_non_null(ef);
    size_t en = fread(env, 1, sizeof env - 1, ef);
    env[en] = '\0';
    fclose(ef);
    free(env_file);
    assert_non_null(strstr(env, "FERRY_UNIT_MARK=seen"));
    assert_null(strstr(env, "Env Secret"));
    assert_string_equal(h.user, "bob");
    assert_int_equal(h.port, 2200);
    assert_int_equal(h.identity.n, 1);
    remote_ssh_host_release(&h);
    char *argv_file = xasprintf("%s/argv", dir);
    char buf[256] = "";
    FILE *f = fopen(argv_file, "r");
    assert_non_null(f);
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    buf[n] = '\0';
    fclose(f);
    assert_string_equal(buf, "-G\n--\nmyvm\n");
    assert_int_equal(
        remote_ssh_resolve("myvm", "/h/.ssh/config", &h, &ran, &err), FY_OK);
    f = fopen(argv_file, "r");
    assert_non_null(f);
    n = fread(buf, 1, sizeof buf - 1, f);
    buf[n] = '\0';
    fclose(f);
    assert_string_equal(buf, "-F\n/h/.ssh/config\n-G\n--\nmyvm\n");
    remote_ssh_host_release(&h);
    /* a host that could pass for an option never runs ssh */
    unlink(argv_file);
    assert_int_equal(
        remote_ssh_resolve("-oProxyCommand=x", NULL, &h, &ran, &err),
        FY_EINPUT);
    assert_false(ran);
    assert_int_equal(access(argv_file, F_OK), -1);
    free(argv_file);
    fake_ssh_done(dir, old);

    /* ssh fails: its first line on stderr, escaped */
    fy_err_clear(&err);
    dir = fake_ssh("printf 'line 3: Bad option\\033[2J\\r\\nmore\\n' >&2; "
                   "exit 255",
                   &old);
    assert_int_equal(remote_ssh_resolve("myvm", NULL, &h, &ran, &err),
                     FY_ERUNTIME);
    assert_true(ran);
    assert_non_null(strstr(err.msg, "ssh -G myvm: exit 255: line 3: Bad"));
    assert_null(strchr(err.msg, '\x1b'));
    assert_null(strstr(err.msg, "more"));
    fake_ssh_done(dir, old);

    /* too much output: ssh is stopped */
    fy_err_clear(&err);
    dir = fake_ssh("head -c 400000 /dev/zero | tr '\\0' x", &old);
    assert_int_equal(remote_ssh_resolve("myvm", NULL, &h, &ran, &err),
                     FY_ERUNTIME);
    assert_non_null(strstr(err.msg, "more than 256 KiB"));
    remote_ssh_host_release(&h);
    fake_ssh_done(dir, old);

    /* no ssh at all: not an error, nothing learnt */
    fy_err_clear(&err);
    old = xstrdup(getenv("PATH") != NULL ? getenv("PATH") : "/usr/bin:/bin");
    setenv("PATH", "/nonexistent", 1);
    ran = true;
    assert_int_equal(remote_ssh_resolve("myvm", NULL, &h, &ran, &err), FY_OK);
    assert_false(ran);
    assert_null(h.hostname);
    setenv("PATH", old, 1);
    free(old);
}

static char *
write_file(const char *dir, const char *name, const char *text, int mode)
{
    char *p = xasprintf("%s/%s", dir, name);
    FILE *f = fopen(p, "w");
    assert_non_null(f);
    fputs(text, f);
    assert_int_equal(fclose(f), 0);
    assert_int_equal(chmod(p, (mode_t)mode), 0);
    return p;
}

static void
test_passphrase(void **state)
{
    (void)state;
    struct fy_err err = FY_ERR_INIT;
    char *pw = NULL;
    char tmpl[] = "/tmp/ferry-unit-pass.XXXXXX";
    assert_non_null(mkdtemp(tmpl));

    unsetenv("FERRY_SSH_KEY_PASSPHRASE");
    assert_int_equal(remote_ssh_passphrase(NULL, &pw, &err), FY_OK);
    assert_null(pw);
    setenv("FERRY_SSH_KEY_PASSPHRASE", "from env", 1);
    assert_int_equal(remote_ssh_passphrase(NULL, &pw, &err), FY_OK);
    assert_string_equal(pw, "from env");
    remote_ssh_secret_free(pw);
    setenv("FERRY_SSH_KEY_PASSPHRASE", "", 1);
    assert_int_equal(remote_ssh_passphrase(NULL, &pw, &err), FY_OK);
    assert_null(pw);
    unsetenv("FERRY_SSH_KEY_PASSPHRASE");

    /* the first line, without \n or \r\n; the file wins */
    setenv("FERRY_SSH_KEY_PASSPHRASE", "from env", 1);
    char *f = write_file(tmpl, "p1", "Top Secret 1\r\nline two\n", 0600);
    assert_int_equal(remote_ssh_passphrase(f, &pw, &err), FY_OK);
    assert_string_equal(pw, "Top Secret 1");
    remote_ssh_secret_free(pw);
    unsetenv("FERRY_SSH_KEY_PASSPHRASE");
    free(f);
    f = write_file(tmpl, "p2", "no newline", 0400);
    assert_int_equal(remote_ssh_passphrase(f, &pw, &err), FY_OK);
    assert_string_equal(pw, "no newline");
    remote_ssh_secret_free(pw);
    free(f);

    /* others may read it: refused, the content never shown */
    f = write_file(tmpl, "p3", "Leaky Secret\n", 0644);
    assert_int_equal(remote_ssh_passphrase(f, &pw, &err), FY_EREFUSED);
    assert_null(pw);
    assert_non_null(strstr(err.msg, "permissions 0644 are too open"));
    assert_null(strstr(err.msg, "Leaky"));
    free(f);
    fy_err_clear(&err);
    f = write_file(tmpl, "p4", "Group Secret\n", 0640);
    assert_int_equal(remote_ssh_passphrase(f, &pw, &err), FY_EREFUSED);
    free(f);
    fy_err_clear(&err);

    /* empty, too long, a NUL byte, missing, a directory */
    f = write_file(tmpl, "p5", "\nsecond\n", 0600);
    assert_int_equal(remote_ssh_passphrase(f, &pw, &err), FY_EINPUT);
    assert_non_null(strstr(err.msg, "the first line is empty"));
    free(f);
    fy_err_clear(&err);
    char big[REMOTE_SSH_PASS_MAX + 40];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    f = write_file(tmpl, "p6", big, 0600);
    assert_int_equal(remote_ssh_passphrase(f, &pw, &err), FY_EINPUT);
    assert_non_null(strstr(err.msg, "longer than"));
    assert_null(strstr(err.msg, "xxxx"));
    free(f);
    fy_err_clear(&err);
    big[REMOTE_SSH_PASS_MAX] = '\n';
    f = write_file(tmpl, "p7", big, 0600);
    assert_int_equal(remote_ssh_passphrase(f, &pw, &err), FY_OK);
    assert_int_equal(strlen(pw), REMOTE_SSH_PASS_MAX);
    remote_ssh_secret_free(pw);
    free(f);
    char *nulf = xasprintf("%s/p8", tmpl);
    FILE *fp = fopen(nulf, "w");
    assert_non_null(fp);
    fwrite("ab\0cd\n", 1, 6, fp);
    fclose(fp);
    chmod(nulf, 0600);
    assert_int_equal(remote_ssh_passphrase(nulf, &pw, &err), FY_EINPUT);
    free(nulf);
    fy_err_clear(&err);
    f = xasprintf("%s/none", tmpl);
    assert_int_equal(remote_ssh_passphrase(f, &pw, &err), FY_ERUNTIME);
    free(f);
    fy_err_clear(&err);
    assert_int_equal(remote_ssh_passphrase(tmpl, &pw, &err), FY_EINPUT);
    fy_err_clear(&err);

    /* a pipe: read up to the first line end */
    int p[2];
    assert_int_equal(pipe(p), 0);
    assert_int_equal(write(p[1], "Piped Secret\nrest", 17), 17);
    close(p[1]);
    char *dev = xasprintf("/dev/fd/%d", p[0]);
    assert_int_equal(remote_ssh_passphrase(dev, &pw, &err), FY_OK);
    assert_string_equal(pw, "Piped Secret");
    remote_ssh_secret_free(pw);
    close(p[0]);
    free(dev);

    char *cmd = xasprintf("rm -rf '%s'", tmpl);
    assert_int_equal(system(cmd), 0);
    free(cmd);
}

static void
test_option(void **state)
{
    (void)state;
    struct remote_opts o;
    struct fy_err err = FY_ERR_INIT;
    static const struct option longopts[] = {REMOTE_LONGOPTS};
    remote_opts_init(&o);
    assert_null(o.ssh_key_passphrase_file);
    bool listed = false;
    for (size_t i = 0; i < sizeof longopts / sizeof *longopts; i++)
        if (strcmp(longopts[i].name, "ssh-key-passphrase-file") == 0) {
            listed = longopts[i].has_arg == required_argument &&
                     remote_opt_is(longopts[i].val);
            assert_int_equal(
                remote_opts_set(&o, longopts[i].val, "/run/pass", &err), FY_OK);
            assert_int_equal(remote_opts_set(&o, longopts[i].val, "", &err),
                             FY_EUSAGE);
        }
    assert_true(listed);
    assert_string_equal(o.ssh_key_passphrase_file, "/run/pass");
    remote_opts_release(&o);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_name_ok),    cmocka_unit_test(test_parse),
        cmocka_unit_test(test_expand),     cmocka_unit_test(test_resolve),
        cmocka_unit_test(test_passphrase), cmocka_unit_test(test_option),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
