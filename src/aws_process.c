/*
 * aws_process.c - credential_process: run the command a profile names and
 * read the credentials it prints (JSON, "Version": 1).
 *
 * The command line is split into words as a POSIX shell would
 * (aws_shell_split), as the AWS CLI does on Unix (shlex), and run without
 * a shell (posix_spawnp: PATH is searched), so nothing in it is expanded;
 * `sh -c '...'` is the way to ask for a shell.  stdin is /dev/null (it
 * runs with no terminal to prompt on), every other descriptor of ferry is
 * closed in the child, stdout is read up to AWS_PROCESS_OUT_MAX bytes,
 * stderr up to 4 KiB, both until they close or AWS_PROCESS_TIMEOUT passes.
 *
 * What it keeps true: the child never outlives the call (killed on a
 * timeout, too much output, or Ctrl-C, and always reaped); its stdout
 * (the secrets) never reaches a message; from its stderr only the first
 * line, escaped and cut to 160 bytes, is quoted when it fails (AWS asks
 * such tools never to print secrets there).
 */
#include "aws_int.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "ferry/out.h"

#define ERR_KEEP  4096
#define MAX_WORDS 256

extern char **environ;

bool
aws_shell_split(const char *cmd, struct strlist *argv, char *why, size_t whylen)
{
    struct sbuf w = SBUF_INIT;
    bool in_word = false;
    const char *p = cmd;
    while (*p) {
        char c = *p;
        if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
            if (in_word) {
                sbuf_add(&w, "", 0);
                strlist_add(argv, w.buf);
                w.len = 0;
                in_word = false;
            }
            p++;
            continue;
        }
        in_word = true;
        if (c == '\'') {
            const char *end = strchr(p + 1, '\'');
            if (end == NULL) {
                snprintf(why, whylen, "unterminated ' quote");
                goto fail;
            }
            sbuf_add(&w, p + 1, (size_t)(end - p - 1));
            p = end + 1;
        } else if (c == '"') {
            p++;
            while (*p && *p != '"') {
                if (*p == '\\' && p[1] != '\0' && strchr("\"\\$`\n", p[1])) {
                    if (p[1] != '\n')
                        sbuf_add(&w, p + 1, 1);
                    p += 2;
                } else {
                    sbuf_add(&w, p, 1);
                    p++;
                }
            }
            if (*p != '"') {
                snprintf(why, whylen, "unterminated \" quote");
                goto fail;
            }
            p++;
        } else if (c == '\\') {
            if (p[1] == '\0') {
                snprintf(why, whylen, "a backslash at the end");
                goto fail;
            }
            if (p[1] != '\n')
                sbuf_add(&w, p + 1, 1);
            p += 2;
        } else {
            sbuf_add(&w, p, 1);
            p++;
        }
        if (argv->n >= MAX_WORDS) {
            snprintf(why, whylen, "more than %d words", MAX_WORDS);
            goto fail;
        }
    }
    if (in_word) {
        sbuf_add(&w, "", 0);
        strlist_add(argv, w.buf);
    }
    sbuf_release(&w);
    if (argv->n == 0) {
        snprintf(why, whylen, "an empty command");
        return false;
    }
    if (argv->n > MAX_WORDS) {
        snprintf(why, whylen, "more than %d words", MAX_WORDS);
        return false;
    }
    return true;
fail:
    sbuf_release(&w);
    return false;
}

/* Read what is there on fd into sb (up to max, then *over); false at EOF. */
static bool
drain(int fd, struct sbuf *sb, size_t max, bool *over)
{
    char buf[4096];
    ssize_t n = read(fd, buf, sizeof buf);
    if (n < 0 && (errno == EINTR || errno == EAGAIN))
        return true;
    if (n <= 0)
        return false;
    if (sb->len + (size_t)n > max) {
        size_t room = max - sb->len;
        sbuf_add(sb, buf, room);
        *over = true;
        return true;
    }
    sbuf_add(sb, buf, (size_t)n);
    return true;
}

/* The first line of the child's stderr, escaped and short (caller frees). */
static char *
first_line(struct sbuf *e)
{
    sbuf_add(e, "", 0);
    char *s = e->buf;
    while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
        s++;
    s[strcspn(s, "\r\n")] = '\0';
    if (strlen(s) > 160)
        s[160] = '\0';
    char *esc = out_escape(s);
    return esc;
}

/*
 * Spawn argv with stdout and stderr on pipes; read both until EOF or the
 * deadline; reap it.  *status is waitpid's.  Errors name what.
 */
static enum fy_rc
run(struct strlist *argv,
    const char *what,
    struct sbuf *out,
    struct sbuf *errs,
    int *status,
    struct fy_err *err)
{
    int po[2] = {-1, -1}, pe[2] = {-1, -1};
    posix_spawn_file_actions_t fa;
    pid_t pid = -1;
    enum fy_rc rc = FY_OK;
    if (pipe2(po, O_CLOEXEC) != 0 || pipe2(pe, O_CLOEXEC) != 0) {
        rc = fy_fail_errno(err, FY_ERUNTIME, "%s: pipe", what);
        goto done;
    }
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&fa, po[1], 1);
    posix_spawn_file_actions_adddup2(&fa, pe[1], 2);
    posix_spawn_file_actions_addclosefrom_np(&fa, 3);
    char **av = xcalloc(argv->n + 1, sizeof *av);
    for (size_t i = 0; i < argv->n; i++)
        av[i] = argv->v[i];
    int e = posix_spawnp(&pid, av[0], &fa, NULL, av, environ);
    free(av);
    posix_spawn_file_actions_destroy(&fa);
    close(po[1]);
    close(pe[1]);
    po[1] = pe[1] = -1;
    if (e != 0) {
        char *esc = out_escape(argv->v[0]);
        errno = e;
        rc = fy_fail_errno(err, FY_ERUNTIME, "%s: cannot run '%s'", what, esc);
        free(esc);
        pid = -1;
        goto done;
    }
    fcntl(po[0], F_SETFL, O_NONBLOCK);
    fcntl(pe[0], F_SETFL, O_NONBLOCK);
    double deadline = out_now() + AWS_PROCESS_TIMEOUT;
    bool open_o = true, open_e = true, over = false, eover = false;
    while ((open_o || open_e) && rc == FY_OK) {
        struct pollfd pf[2] = {{open_o ? po[0] : -1, POLLIN, 0},
                               {open_e ? pe[0] : -1, POLLIN, 0}};
        int n = poll(pf, 2, 200);
        if (fy_interrupted()) {
            rc = fy_fail(err, FY_EINTR, "%s: interrupted", what);
            break;
        }
        if (out_now() > deadline) {
            rc = fy_fail(err, FY_ERUNTIME,
                         "%s: no answer within %.0f s (stopped)", what,
                         AWS_PROCESS_TIMEOUT);
            break;
        }
        if (n <= 0)
            continue;
        if (open_o && pf[0].revents)
            open_o = drain(po[0], out, AWS_PROCESS_OUT_MAX, &over);
        if (open_e && pf[1].revents)
            open_e = drain(pe[0], errs, ERR_KEEP, &eover);
        if (over)
            rc = fy_fail(err, FY_ERUNTIME,
                         "%s: printed more than %u bytes (stopped)", what,
                         AWS_PROCESS_OUT_MAX);
        if (eover) {
            /* keep the first 4 KiB of stderr, throw the rest away */
            eover = false;
            char sink[4096];
            while (read(pe[0], sink, sizeof sink) > 0)
                ;
        }
    }
    if (rc != FY_OK)
        kill(pid, SIGKILL);
    /* reap it; after its pipes closed it is exiting (or killed above) */
    for (;;) {
        pid_t w = waitpid(pid, status, rc == FY_OK ? WNOHANG : 0);
        if (w == pid || (w < 0 && errno != EINTR))
            break;
        if (w == 0) {
            if (out_now() > deadline || fy_interrupted()) {
                kill(pid, SIGKILL);
                waitpid(pid, status, 0);
                if (rc == FY_OK)
                    rc = fy_fail(err, fy_interrupted() ? FY_EINTR : FY_ERUNTIME,
                                 "%s: did not exit within %.0f s (stopped)",
                                 what, AWS_PROCESS_TIMEOUT);
                break;
            }
            struct timespec ts = {0, 20 * 1000 * 1000};
            nanosleep(&ts, NULL);
        }
    }
done:
    for (int i = 0; i < 2; i++) {
        if (po[i] >= 0)
            close(po[i]);
        if (pe[i] >= 0)
            close(pe[i]);
    }
    return rc;
}

enum fy_rc
aws_process_run(const char *cmd,
                const char *what,
                struct aws_creds *out,
                struct fy_err *err)
{
    struct strlist argv = STRLIST_INIT;
    struct sbuf so = SBUF_INIT, se = SBUF_INIT;
    char why[160] = "";
    int status = 0;
    enum fy_rc rc = FY_OK;
    memset(out, 0, sizeof *out);
    if (!aws_shell_split(cmd, &argv, why, sizeof why)) {
        rc = fy_fail(err, FY_EINPUT, "%s: cannot split the command: %s", what,
                     why);
        goto out;
    }
    if ((rc = run(&argv, what, &so, &se, &status, err)) != FY_OK)
        goto out;
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        char *line = first_line(&se);
        if (WIFSIGNALED(status))
            rc = fy_fail(err, FY_ERUNTIME, "%s: killed by signal %d%s%s", what,
                         WTERMSIG(status), *line ? ": " : "", line);
        else
            rc = fy_fail(err, FY_ERUNTIME, "%s: exited with status %d%s%s",
                         what, WEXITSTATUS(status), *line ? ": " : "", line);
        free(line);
        goto out;
    }
    if (!aws_creds_from_json(so.buf ? so.buf : "", so.len, true, aws_wall_now(),
                             out, why, sizeof why))
        rc = fy_fail(err, FY_ERUNTIME, "%s: unusable output: %s", what, why);
out:
    if (so.buf != NULL)
        memset(so.buf, 0, so.len);
    sbuf_release(&so);
    sbuf_release(&se);
    strlist_release(&argv);
    return rc;
}
