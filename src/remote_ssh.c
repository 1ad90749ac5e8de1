/*
 * remote_ssh.c - what SFTP needs from outside libcurl: a host's settings
 * from `ssh -G` (OpenSSH's own parser of ~/.ssh/config and
 * /etc/ssh/ssh_config: Host aliases, HostName, Port, User, IdentityFile),
 * IdentityFile names expanded as ssh expands them, and a key's passphrase
 * from FERRY_SSH_KEY_PASSPHRASE or the first line of a file.
 *
 * What it keeps true: ssh runs without a shell, with an argv whose host
 * was checked (remote_ssh_name_ok: never an option, never a token) and
 * sits after "--"; it runs at most REMOTE_SSH_G_TIMEOUT seconds and is
 * read for at most REMOTE_SSH_G_MAX bytes, then killed by its PID; its
 * output is hostile input like any other (values are checked, unknown
 * lines skipped); its environment holds no FERRY_SSH_KEY_PASSPHRASE.  A
 * passphrase is read only from a pipe or a regular file no one else may
 * read, bounded, never copied into a message, and overwritten before it
 * is freed.
 */
#include "ferry/remote_ssh.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "ferry/out.h"

extern char **environ;

void
remote_ssh_host_release(struct remote_ssh_host *h)
{
    free(h->hostname);
    free(h->user);
    strlist_release(&h->identity);
    *h = (struct remote_ssh_host)REMOTE_SSH_HOST_INIT;
}

static bool
is_alnum(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           (c >= '0' && c <= '9');
}

bool
remote_ssh_name_ok(const char *host)
{
    size_t n = host != NULL ? strlen(host) : 0;
    if (n == 0 || n > 253 || !(is_alnum(host[0]) || host[0] == ':'))
        return false;
    for (size_t i = 0; i < n; i++)
        if (!is_alnum(host[i]) && strchr(".-_:", host[i]) == NULL)
            return false;
    return true;
}

/* ------------------------------------------------------ ssh -G output */

static bool
user_ok(const char *u)
{
    size_t n = strlen(u);
    if (n == 0 || n > 255)
        return false;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)u[i] < 0x20 || u[i] == 0x7f)
            return false;
    return true;
}

enum fy_rc
remote_ssh_parse(const char *text,
                 size_t len,
                 struct remote_ssh_host *h,
                 struct fy_err *err)
{
    const char *p = text, *end = text + len;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *le = nl != NULL ? nl : end;
        const char *sp = memchr(p, ' ', (size_t)(le - p));
        if (memchr(p, '\0', (size_t)(le - p)) != NULL)
            return fy_fail(err, FY_EINPUT, "ssh -G: a NUL byte in its output");
        if (sp != NULL) {
            size_t klen = (size_t)(sp - p), vlen = (size_t)(le - sp - 1);
            if (vlen > 0 && sp[vlen] == '\r')
                vlen--;
            char *val = xmalloc(vlen + 1);
            memcpy(val, sp + 1, vlen);
            val[vlen] = '\0';
#define KEY(k) (klen == sizeof k - 1 && strncmp(p, k, klen) == 0)
            if (KEY("hostname")) {
                if (!remote_ssh_name_ok(val)) {
                    free(val);
                    return fy_fail(err, FY_EINPUT,
                                   "ssh -G: hostname: not a plain host name "
                                   "or address");
                }
                free(h->hostname);
                h->hostname = val;
                val = NULL;
            } else if (KEY("port")) {
                char *e;
                errno = 0;
                long v = strtol(val, &e, 10);
                if (errno != 0 || e == val || *e != '\0' || v < 1 ||
                    v > 65535) {
                    free(val);
                    return fy_fail(err, FY_EINPUT,
                                   "ssh -G: port: not a number from 1 to "
                                   "65535");
                }
                h->port = (int)v;
            } else if (KEY("user")) {
                if (!user_ok(val)) {
                    free(val);
                    return fy_fail(err, FY_EINPUT,
                                   "ssh -G: user: not a user name");
                }
                free(h->user);
                h->user = val;
                val = NULL;
            } else if (KEY("identityfile")) {
                if (val[0] != '\0' && h->identity.n < REMOTE_SSH_MAX_IDS)
                    strlist_add(&h->identity, val);
            } else if (KEY("proxyjump") || KEY("proxycommand")) {
                if (strcmp(val, "none") != 0 && val[0] != '\0')
                    h->proxy = true;
            }
#undef KEY
            free(val);
        }
        p = nl != NULL ? nl + 1 : end;
    }
    return FY_OK;
}

/* --------------------------------------------------------- run ssh -G */

static double
now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The first line of ssh's stderr, escaped and cut short, for a message. */
static char *
first_line(const struct sbuf *e)
{
    size_t n = 0;
    while (e->buf != NULL && n < e->len && n < 200 && e->buf[n] != '\n' &&
           e->buf[n] != '\r' && e->buf[n] != '\0')
        n++;
    char *raw = xmalloc(n + 1);
    if (n > 0)
        memcpy(raw, e->buf, n);
    raw[n] = '\0';
    char *shown = out_escape(raw);
    free(raw);
    return shown;
}

/*
 * Read ssh's stdout into out and the start of its stderr into errtxt
 * until both end, the time is up, out is too long or a signal came.
 */
static enum fy_rc
drain(int fo,
      int fe,
      struct sbuf *out,
      struct sbuf *errtxt,
      const char *host,
      struct fy_err *err)
{
    struct pollfd pf[2] = {{fo, POLLIN, 0}, {fe, POLLIN, 0}};
    double deadline = now_s() + REMOTE_SSH_G_TIMEOUT;
    char buf[4096];
    while (pf[0].fd >= 0 || pf[1].fd >= 0) {
        if (fy_interrupted())
            return fy_fail(err, FY_EINTR, "ssh -G %s: interrupted", host);
        double left = deadline - now_s();
        if (left <= 0)
            return fy_fail(err, FY_ERUNTIME, "ssh -G %s: no answer within %d s",
                           host, REMOTE_SSH_G_TIMEOUT);
        int ms = left > 0.2 ? 200 : (int)(left * 1000) + 1;
        int r = poll(pf, 2, ms);
        if (r < 0 && errno != EINTR)
            return fy_fail_errno(err, FY_ERUNTIME, "ssh -G %s: poll", host);
        for (int i = 0; r > 0 && i < 2; i++) {
            if (pf[i].fd < 0 || pf[i].revents == 0)
                continue;
            ssize_t n = read(pf[i].fd, buf, sizeof buf);
            if (n < 0 && (errno == EINTR || errno == EAGAIN))
                continue;
            if (n <= 0) {
                pf[i].fd = -1;
                continue;
            }
            if (i == 0) {
                if (out->len + (size_t)n > REMOTE_SSH_G_MAX)
                    return fy_fail(err, FY_ERUNTIME,
                                   "ssh -G %s: more than %d KiB of output",
                                   host, REMOTE_SSH_G_MAX / 1024);
                sbuf_add(out, buf, (size_t)n);
            } else if (errtxt->len < 4096) {
                sbuf_add(errtxt, buf, (size_t)n);
            }
        }
    }
    return FY_OK;
}

enum fy_rc
remote_ssh_resolve(const char *host,
                   const char *config,
                   struct remote_ssh_host *h,
                   bool *ran,
                   struct fy_err *err)
{
    *ran = false;
    if (!remote_ssh_name_ok(host))
        return fy_fail(err, FY_EINPUT, "ssh -G: not a plain host name");
    const char *argv[8];
    int argc = 0;
    argv[argc++] = "ssh";
    if (config != NULL) {
        argv[argc++] = "-F";
        argv[argc++] = config;
    }
    argv[argc++] = "-G";
    argv[argc++] = "--";
    argv[argc++] = host;
    argv[argc] = NULL;

    int po[2] = {-1, -1}, pe[2] = {-1, -1};
    struct sbuf out = SBUF_INIT, etxt = SBUF_INIT;
    posix_spawn_file_actions_t fa;
    posix_spawnattr_t at;
    sigset_t none, deflt;
    pid_t pid = -1;
    enum fy_rc rc = FY_OK;
    if (pipe2(po, O_CLOEXEC) != 0 || pipe2(pe, O_CLOEXEC) != 0) {
        rc = fy_fail_errno(err, FY_ERUNTIME, "ssh -G %s: pipe", host);
        goto out;
    }
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&fa, po[1], 1);
    posix_spawn_file_actions_adddup2(&fa, pe[1], 2);
    posix_spawnattr_init(&at);
    sigemptyset(&none);
    sigemptyset(&deflt);
    sigaddset(&deflt, SIGPIPE);
    sigaddset(&deflt, SIGINT);
    sigaddset(&deflt, SIGTERM);
    posix_spawnattr_setsigmask(&at, &none);
    posix_spawnattr_setsigdefault(&at, &deflt);
    posix_spawnattr_setflags(&at,
                             POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
    /* ssh and what its config runs (Match exec) get no passphrase */
    size_t nenv = 0;
    while (environ[nenv] != NULL)
        nenv++;
    char **envp = xcalloc(nenv + 1, sizeof *envp);
    for (size_t i = 0, k = 0; i < nenv; i++)
        if (strncmp(environ[i], "FERRY_SSH_KEY_PASSPHRASE=", 25) != 0)
            envp[k++] = environ[i];
    int e = posix_spawnp(&pid, "ssh", &fa, &at, (char *const *)argv, envp);
    free(envp);
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&at);
    close(po[1]);
    close(pe[1]);
    po[1] = pe[1] = -1;
    if (e == ENOENT || e == EACCES || e == ENOTDIR) {
        pid = -1;
        goto out; /* no ssh: the URL is used as given */
    }
    if (e != 0) {
        pid = -1;
        errno = e;
        rc = fy_fail_errno(err, FY_ERUNTIME, "ssh -G %s", host);
        goto out;
    }
    rc = drain(po[0], pe[0], &out, &etxt, host, err);
    if (rc != FY_OK)
        kill(pid, SIGKILL);
    int st = 0;
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
        ;
    pid = -1;
    if (rc != FY_OK)
        goto out;
    *ran = true;
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
        char *why = first_line(&etxt);
        if (WIFEXITED(st))
            rc = fy_fail(err, FY_ERUNTIME, "ssh -G %s: exit %d%s%s", host,
                         WEXITSTATUS(st), why[0] ? ": " : "", why);
        else
            rc = fy_fail(err, FY_ERUNTIME, "ssh -G %s: killed by signal %d",
                         host, WTERMSIG(st));
        free(why);
        goto out;
    }
    rc = remote_ssh_parse(out.buf != NULL ? out.buf : "", out.len, h, err);
out:
    for (int i = 0; i < 2; i++) {
        if (po[i] >= 0)
            close(po[i]);
        if (pe[i] >= 0)
            close(pe[i]);
    }
    sbuf_release(&out);
    sbuf_release(&etxt);
    return rc;
}

/* ------------------------------------------------------ IdentityFile */

char *
remote_ssh_expand(const char *spec, const struct remote_ssh_tokens *tk)
{
    struct sbuf sb = SBUF_INIT;
    const char *s = spec;
    if (s[0] == '~') {
        if (s[1] != '/' || tk->home == NULL)
            return NULL; /* ~user/ is not ferry's to guess */
        sbuf_adds(&sb, tk->home);
        s++;
    }
    for (; *s; s++) {
        if (*s == '$' && s[1] == '{')
            goto fail;
        if (*s != '%') {
            sbuf_add(&sb, s, 1);
            continue;
        }
        const char *v = NULL;
        char num[16];
        switch (*++s) {
        case '%':
            v = "%";
            break;
        case 'd':
            v = tk->home;
            break;
        case 'u':
            v = tk->local_user;
            break;
        case 'h':
            v = tk->host;
            break;
        case 'n':
            v = tk->alias;
            break;
        case 'r':
            v = tk->remote_user;
            break;
        case 'p':
            if (tk->port > 0) {
                snprintf(num, sizeof num, "%d", tk->port);
                v = num;
            }
            break;
        case 'i':
            snprintf(num, sizeof num, "%u", (unsigned)getuid());
            v = num;
            break;
        default:
            break;
        }
        if (v == NULL)
            goto fail;
        sbuf_adds(&sb, v);
    }
    if (sb.buf == NULL)
        sbuf_adds(&sb, "");
    return sbuf_detach(&sb);
fail:
    sbuf_release(&sb);
    return NULL;
}

/* -------------------------------------------------------- passphrase */

void
remote_ssh_secret_free(char *s)
{
    if (s == NULL)
        return;
    explicit_bzero(s, strlen(s));
    free(s);
}

/* The first line of fd (a pipe or a private file) into *out. */
static enum fy_rc
read_first_line(int fd, const char *file, char **out, struct fy_err *err)
{
    char buf[REMOTE_SSH_PASS_MAX + 2];
    size_t len = 0;
    bool eol = false;
    enum fy_rc rc = FY_OK;
    while (!eol && len < sizeof buf) {
        ssize_t n = read(fd, buf + len, sizeof buf - len);
        if (n < 0 && errno == EINTR && !fy_interrupted())
            continue;
        if (n < 0 && errno == EINTR) {
            rc = fy_fail(err, FY_EINTR,
                         "--ssh-key-passphrase-file %s: "
                         "interrupted",
                         file);
            goto out;
        }
        if (n < 0) {
            rc = fy_fail_errno(err, FY_ERUNTIME, "--ssh-key-passphrase-file %s",
                               file);
            goto out;
        }
        if (n == 0)
            break;
        eol = memchr(buf + len, '\n', (size_t)n) != NULL;
        len += (size_t)n;
    }
    char *nl = memchr(buf, '\n', len);
    size_t line = nl != NULL ? (size_t)(nl - buf) : len;
    if (line > 0 && buf[line - 1] == '\r')
        line--;
    if (line > REMOTE_SSH_PASS_MAX)
        rc = fy_fail(err, FY_EINPUT,
                     "--ssh-key-passphrase-file %s: the first line is longer "
                     "than %d bytes",
                     file, REMOTE_SSH_PASS_MAX);
    else if (line == 0)
        rc = fy_fail(err, FY_EINPUT,
                     "--ssh-key-passphrase-file %s: the first line is empty",
                     file);
    else if (memchr(buf, '\0', line) != NULL)
        rc = fy_fail(err, FY_EINPUT,
                     "--ssh-key-passphrase-file %s: a NUL byte in the first "
                     "line",
                     file);
    if (rc == FY_OK) {
        *out = xmalloc(line + 1);
        memcpy(*out, buf, line);
        (*out)[line] = '\0';
    }
out:
    explicit_bzero(buf, sizeof buf);
    return rc;
}

enum fy_rc
remote_ssh_passphrase(const char *file, char **out, struct fy_err *err)
{
    *out = NULL;
    if (file == NULL) {
        const char *v = getenv("FERRY_SSH_KEY_PASSPHRASE");
        if (v != NULL && v[0] != '\0')
            *out = xstrdup(v);
        return FY_OK;
    }
    /* O_NONBLOCK: a FIFO nobody writes to must not hang the open */
    int fd = open(file, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (fd < 0)
        return fy_fail_errno(err, FY_ERUNTIME, "--ssh-key-passphrase-file %s",
                             file);
    struct stat st;
    enum fy_rc rc = FY_OK;
    if (fstat(fd, &st) != 0) {
        rc = fy_fail_errno(err, FY_ERUNTIME, "--ssh-key-passphrase-file %s",
                           file);
    } else if (S_ISREG(st.st_mode) && (st.st_mode & 077) != 0) {
        /* SPEC: secrets stay secret; ssh refuses such a key file too */
        rc = fy_fail(err, FY_EREFUSED,
                     "--ssh-key-passphrase-file %s: permissions %04o are too "
                     "open: others could read the passphrase (chmod 600 %s)",
                     file, (unsigned)(st.st_mode & 07777), file);
    } else if (!S_ISREG(st.st_mode) && !S_ISFIFO(st.st_mode)) {
        rc = fy_fail(err, FY_EINPUT,
                     "--ssh-key-passphrase-file %s: not a regular file or a "
                     "pipe",
                     file);
    } else {
        int fl = fcntl(fd, F_GETFL);
        if (fl >= 0)
            fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
        rc = read_first_line(fd, file, out, err);
    }
    close(fd);
    return rc;
}
