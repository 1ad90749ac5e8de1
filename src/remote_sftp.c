/*
 * remote_sftp.c - SFTP through libcurl (libssh2): login as ssh logs in,
 * the host checked against --known-hosts FILE or ~/.ssh/known_hosts,
 * uploads written to PATH.part and renamed to PATH when complete.  "~" is
 * $HOME, else the passwd entry's home directory.
 *
 * Where: the URL's host goes through `ssh -G` (remote_ssh.c) when ssh is
 * installed, so a Host alias of ~/.ssh/config works with its HostName,
 * Port, User and IdentityFile; the URL's own user and port win.  When
 * HOME is not the passwd entry's home (ssh reads only the latter), ssh
 * is pointed at $HOME/.ssh/config with -F.
 *
 * Login: the keys are --ssh-key FILE alone, else ssh's IdentityFile list
 * (its defaults: ~/.ssh/id_rsa, id_ecdsa, id_ed25519, id_dsa), those that
 * exist; plus the agent when SSH_AUTH_SOCK is set.  libcurl takes one key
 * file per connection and tries it before the agent's keys, so the first
 * connection offers the first key and the agent, each later one the next
 * key: when the server denies the login, the engine calls auth_next and
 * runs the request again with the next key (never more connections than
 * keys).  A key's passphrase comes from --ssh-key-passphrase-file or
 * FERRY_SSH_KEY_PASSPHRASE.  A login denied with every key names what was
 * tried and why each failed (from libcurl's verbose text), never the
 * passphrase.
 *
 * What it keeps true: the host key is always checked (libcurl checks
 * nothing unless it is given a known_hosts file, so one is always given;
 * with no home directory at all the transfer is refused before it
 * connects); an unknown or changed host key is refused (exit 4) unless
 * --insecure-host, which accepts an unknown key (never a changed one);
 * PATH only ever holds a complete upload.  SFTP servers refuse to
 * rename over an existing file, so replacing one removes the old PATH
 * just before the rename.
 */
#include "remote_int.h"

#include <pthread.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ferry/out.h"
#include "ferry/remote_ssh.h"
#include "ferry/xalloc.h"

/* One connection's credentials: a key file, the agent, or both. */
struct sftp_try {
    char *key;     /* private key file; NULL: the agent alone */
    char *pub;     /* KEY.pub, if there is one */
    bool agent;    /* the agent's keys too (libcurl: after the key) */
    char why[120]; /* why the key failed (libcurl's verbose text) */
    char agent_why[64];
};

struct sftp_be {
    char *url;      /* for libcurl: the URL, host and port as ssh -G says */
    char *part_url; /* url of PATH.part */
    char *path;     /* PATH as the server sees it (for rename/rm) */
    char *known_hosts, *user;
    char *login; /* the user name logged in as, for messages */
    char *pass;  /* the keys' passphrase (secret), or NULL */
    struct sftp_try *tries;
    int ntries;
    int cur;    /* tries[cur] is in use; under mu */
    char *note; /* a warning to show once (ssh -G failed, ProxyJump) */
    char *info; /* a -v line to show once (what ssh -G said) */
    bool noted;
    pthread_mutex_t mu;
};

static void
be_free(void *arg)
{
    struct sftp_be *b = arg;
    free(b->url);
    free(b->part_url);
    free(b->path);
    free(b->known_hosts);
    free(b->user);
    free(b->login);
    remote_ssh_secret_free(b->pass);
    for (int i = 0; i < b->ntries; i++) {
        free(b->tries[i].key);
        free(b->tries[i].pub);
    }
    free(b->tries);
    free(b->note);
    free(b->info);
    pthread_mutex_destroy(&b->mu);
    free(b);
}

static int
on_hostkey(CURL *h,
           const struct curl_khkey *known,
           const struct curl_khkey *found,
           enum curl_khmatch match,
           void *arg)
{
    struct rjob *j = arg;
    struct sftp_be *b = j->t->be;
    (void)h;
    (void)known;
    (void)found;
    if (match == CURLKHMATCH_OK)
        return CURLKHSTAT_FINE;
    if (match == CURLKHMATCH_MISSING && j->t->o->insecure_host)
        return CURLKHSTAT_FINE;
    if (match == CURLKHMATCH_MISMATCH)
        fy_fail(&j->local, FY_EREFUSED,
                "%s: the host key does not match %s (refused: the host "
                "changed, or someone is in between)",
                j->t->u.show, b->known_hosts);
    else
        fy_fail(&j->local, FY_EREFUSED,
                "%s: unknown host: its key is not in %s (add it with "
                "ssh-keyscan, or pass --insecure-host)",
                j->t->u.show, b->known_hosts);
    return CURLKHSTAT_REJECT;
}

static bool
starts(const char *s, size_t n, const char *p)
{
    size_t pl = strlen(p);
    return n >= pl && memcmp(s, p, pl) == 0;
}

/*
 * libcurl's verbose text, for why a login failed: libssh2's reason for a
 * key, the agent's outcome.  Everything else is dropped.
 */
static int
on_debug(CURL *h, curl_infotype type, char *data, size_t size, void *arg)
{
    static const char pk[] = "SSH public key authentication failed: ";
    struct rjob *j = arg;
    struct sftp_be *b = j->t->be;
    (void)h;
    if (type != CURLINFO_TEXT || j->cred < 0 || j->cred >= b->ntries)
        return 0;
    struct sftp_try *tr = &b->tries[j->cred];
    const char *agent = NULL;
    pthread_mutex_lock(&b->mu);
    if (starts(data, size, pk) && tr->why[0] == '\0') {
        size_t n = size - (sizeof pk - 1);
        while (n > 0 && (data[sizeof pk - 1 + n - 1] == '\n' ||
                         data[sizeof pk - 1 + n - 1] == '\r'))
            n--;
        if (n >= sizeof tr->why)
            n = sizeof tr->why - 1;
        memcpy(tr->why, data + sizeof pk - 1, n);
        tr->why[n] = '\0';
    } else if (starts(data, size, "Failure connecting to agent")) {
        agent = "cannot connect to it (SSH_AUTH_SOCK)";
    } else if (starts(data, size, "Failure requesting identities")) {
        agent = "cannot list its keys";
    } else if (starts(data, size, "No identity would match")) {
        agent = "none of its keys accepted";
    }
    if (agent != NULL && tr->agent_why[0] == '\0')
        snprintf(tr->agent_why, sizeof tr->agent_why, "%s", agent);
    pthread_mutex_unlock(&b->mu);
    return 0;
}

static enum fy_rc
sftp_setup(struct rjob *j, CURL *h, struct fy_err *err)
{
    struct sftp_be *b = j->t->be;
    (void)err;
    curl_easy_setopt(h, CURLOPT_URL,
                     j->method == RM_PUT ? b->part_url : b->url);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "sftp");
    if (b->user != NULL)
        curl_easy_setopt(h, CURLOPT_USERNAME, b->user);
    pthread_mutex_lock(&b->mu);
    j->cred = b->cur;
    bool first = !b->noted && j->eng != NULL && j->eng->out != NULL;
    b->noted = b->noted || first;
    pthread_mutex_unlock(&b->mu);
    if (first && b->info != NULL)
        out_verbose(j->eng->out, "%s", b->info);
    if (first && b->note != NULL)
        out_warn(j->eng->out, "%s", b->note);
    const struct sftp_try *tr = &b->tries[j->cred];
    long types = (tr->key != NULL ? CURLSSH_AUTH_PUBLICKEY : 0) |
                 (tr->agent ? CURLSSH_AUTH_AGENT : 0);
    /* never 0: libcurl would then try its own ~/.ssh/id_rsa and ./id_rsa */
    curl_easy_setopt(h, CURLOPT_SSH_AUTH_TYPES, types);
    if (tr->key != NULL) {
        curl_easy_setopt(h, CURLOPT_SSH_PRIVATE_KEYFILE, tr->key);
        /* "": libssh2 reads the public key out of the private one */
        curl_easy_setopt(h, CURLOPT_SSH_PUBLIC_KEYFILE,
                         tr->pub != NULL ? tr->pub : "");
        if (b->pass != NULL)
            curl_easy_setopt(h, CURLOPT_KEYPASSWD, b->pass);
    }
    /* the verbose text is read for why a login failed, never printed */
    curl_easy_setopt(h, CURLOPT_DEBUGFUNCTION, on_debug);
    curl_easy_setopt(h, CURLOPT_DEBUGDATA, j);
    curl_easy_setopt(h, CURLOPT_VERBOSE, 1L);
    /* libcurl checks the host key only when a known_hosts file is set: it
     * always is, but with --insecure-host and no file at all */
    if (b->known_hosts != NULL) {
        curl_easy_setopt(h, CURLOPT_SSH_KNOWNHOSTS, b->known_hosts);
        curl_easy_setopt(h, CURLOPT_SSH_KEYFUNCTION, on_hostkey);
        curl_easy_setopt(h, CURLOPT_SSH_KEYDATA, j);
    }
    if (j->method == RM_PUT) {
        curl_easy_setopt(h, CURLOPT_FTP_CREATE_MISSING_DIRS,
                         (long)CURLFTP_CREATE_DIR_RETRY);
        curl_easy_setopt(h, CURLOPT_NEW_FILE_PERMS, 0644L);
    }
    return FY_OK;
}

/* Why a key failed, in words (libssh2's text, read in on_debug). */
static void
key_why(const struct sftp_be *b, const struct sftp_try *tr, struct sbuf *sb)
{
    if (tr->why[0] == '\0' || strstr(tr->why, "combination invalid") != NULL) {
        sbuf_adds(sb, "not accepted");
    } else if (strstr(tr->why, "Callback returned error") != NULL ||
               strstr(tr->why, "passphrase") != NULL) {
        /* libssh2 could not open the private key: the server had
         * accepted its public half (Callback), or it was encrypted */
        sbuf_adds(sb, b->pass != NULL
                          ? "cannot be opened with the passphrase given "
                            "(wrong passphrase?)"
                          : "cannot be opened (encrypted? give its "
                            "passphrase in FERRY_SSH_KEY_PASSPHRASE or "
                            "--ssh-key-passphrase-file)");
    } else {
        char *e = out_escape(tr->why);
        sbuf_adds(sb, e);
        free(e);
    }
}

/* "the agent: ...; KEY: ...; ..." for tries[from..to). */
static void
tried(const struct sftp_be *b, int from, int to, struct sbuf *sb)
{
    for (int i = from; i < to; i++) {
        const struct sftp_try *tr = &b->tries[i];
        if (tr->agent) {
            sbuf_addf(sb, "%sthe agent: %s", sb->len ? "; " : "",
                      tr->agent_why[0] ? tr->agent_why
                                       : "none of its keys accepted");
        }
        if (tr->key != NULL) {
            char *k = out_escape(tr->key);
            sbuf_addf(sb, "%s%s: ", sb->len ? "; " : "", k);
            free(k);
            key_why(b, tr, sb);
        }
    }
}

/*
 * The login with tries[j->cred] was denied: go on with the next one (true),
 * or record in j->local what every one did and why it failed (false).
 */
static bool
sftp_auth_next(struct rjob *j)
{
    struct sftp_be *b = j->t->be;
    pthread_mutex_lock(&b->mu);
    if (b->cur == j->cred && b->cur + 1 < b->ntries)
        b->cur++;
    int cur = b->cur;
    bool again = cur > j->cred;
    struct sbuf sb = SBUF_INIT;
    if (again)
        tried(b, j->cred, j->cred + 1, &sb);
    else
        tried(b, 0, b->ntries, &sb);
    pthread_mutex_unlock(&b->mu);
    if (again && j->eng != NULL && j->eng->out != NULL &&
        b->tries[cur].key != NULL) {
        char *k = out_escape(b->tries[cur].key);
        out_verbose(j->eng->out, "%s: login denied (%s); trying %s", j->what,
                    sb.buf, k);
        free(k);
    } else if (!again) {
        char *u = out_escape(b->login != NULL ? b->login : "?");
        fy_fail(&j->local, FY_ERUNTIME, "%s: login denied for user '%s': %s",
                j->what, u, sb.buf);
        free(u);
    }
    sbuf_release(&sb);
    return again;
}

/* A path as one argument of a quote command. */
static char *
quoted(const char *path, const char *suffix)
{
    struct sbuf sb = SBUF_INIT;
    sbuf_adds(&sb, "\"");
    for (const char *p = path; *p; p++) {
        if (*p == '"' || *p == '\\')
            sbuf_adds(&sb, "\\");
        sbuf_add(&sb, p, 1);
    }
    sbuf_addf(&sb, "%s\"", suffix);
    return sbuf_detach(&sb);
}

/* Run quote commands (then a stat of the final URL). */
static enum fy_rc
run_quote(struct rtarget *t,
          struct curl_slist *cmds,
          bool cleanup,
          struct out *out,
          struct remote_stats *st,
          struct fy_err *err)
{
    struct rjob j;
    rjob_init(&j, t, RM_HEAD);
    j.cleanup = cleanup;
    j.what = xstrdup(t->u.show);
    j.owner = cmds;
    enum fy_rc rc = remote_run_one(t, &j, out, -1, st, err);
    rjob_release(&j);
    return rc;
}

static enum fy_rc
sftp_setup_quote(struct rjob *j, CURL *h, struct fy_err *err)
{
    enum fy_rc rc = sftp_setup(j, h, err);
    if (j->owner != NULL)
        curl_easy_setopt(h, CURLOPT_QUOTE, (struct curl_slist *)j->owner);
    return rc;
}

static enum fy_rc
sftp_commit(struct rtarget *t,
            struct out *out,
            struct remote_stats *st,
            struct fy_err *err)
{
    struct sftp_be *b = t->be;
    char *from = quoted(b->path, ".part"), *to = quoted(b->path, "");
    char *mv = xasprintf("rename %s %s", from, to);
    char *rm = xasprintf("rm %s", to);
    struct curl_slist *one = curl_slist_append(NULL, mv);
    struct fy_err tmp = FY_ERR_INIT;
    enum fy_rc rc = run_quote(t, one, false, out, st, &tmp);
    if (rc != FY_OK) {
        /* the server will not rename over an existing file */
        struct curl_slist *two = curl_slist_append(NULL, rm);
        two = curl_slist_append(two, mv);
        rc = run_quote(t, two, false, out, st, err);
        curl_slist_free_all(two);
    }
    curl_slist_free_all(one);
    free(from);
    free(to);
    free(mv);
    free(rm);
    return rc;
}

static void
sftp_discard(struct rtarget *t)
{
    struct sftp_be *b = t->be;
    char *part = quoted(b->path, ".part");
    char *rm = xasprintf("*rm %s", part);
    struct curl_slist *cmds = curl_slist_append(NULL, rm);
    struct remote_opts ao = *t->o;
    struct rtarget t2 = *t;
    struct fy_err tmp = FY_ERR_INIT;
    ao.retries = 0;
    t2.o = &ao;
    run_quote(&t2, cmds, true, NULL, NULL, &tmp);
    curl_slist_free_all(cmds);
    free(part);
    free(rm);
}

static int
hexv(int c)
{
    return c >= '0' && c <= '9'   ? c - '0'
           : c >= 'a' && c <= 'f' ? c - 'a' + 10
           : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                  : -1;
}

/* The passwd entry's home directory and name (NULL when none).  Caller
 * frees both. */
static void
passwd_home(char **home, char **name)
{
    struct passwd pw, *res = NULL;
    char buf[4096];
    *home = *name = NULL;
    if (getpwuid_r(geteuid(), &pw, buf, sizeof buf, &res) != 0 || res == NULL)
        return;
    if (res->pw_dir != NULL && res->pw_dir[0] == '/')
        *home = xstrdup(res->pw_dir);
    if (res->pw_name != NULL && res->pw_name[0] != '\0')
        *name = xstrdup(res->pw_name);
}

/* The same directory, give or take trailing slashes? */
static bool
same_dir(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    while (la > 1 && a[la - 1] == '/')
        la--;
    while (lb > 1 && b[lb - 1] == '/')
        lb--;
    return la == lb && memcmp(a, b, la) == 0;
}

/* The parts of the URL's authority, [USERINFO@]HOST[:PORT]. */
struct authority {
    const char *userinfo; /* up to '@', or NULL */
    size_t userinfo_len;
    char *host;       /* without [] (owned) */
    int port;         /* 0 if not given */
    const char *rest; /* the path and what follows */
};

static void
split_authority(const char *url, struct authority *a)
{
    const char *auth = strstr(url, "://") + 3;
    const char *slash = strchr(auth, '/');
    const char *at = NULL;
    for (const char *p = auth; p < slash; p++)
        if (*p == '@')
            at = p;
    memset(a, 0, sizeof *a);
    a->rest = slash;
    const char *h = auth;
    if (at != NULL) {
        a->userinfo = auth;
        a->userinfo_len = (size_t)(at - auth);
        h = at + 1;
    }
    const char *hend, *colon;
    if (*h == '[') {
        const char *rb = memchr(h, ']', (size_t)(slash - h));
        hend = rb != NULL ? rb : slash;
        colon = rb != NULL && rb + 1 < slash && rb[1] == ':' ? rb + 1 : NULL;
        h++;
    } else {
        colon = memchr(h, ':', (size_t)(slash - h));
        hend = colon != NULL ? colon : slash;
    }
    a->host = xmalloc((size_t)(hend - h) + 1);
    memcpy(a->host, h, (size_t)(hend - h));
    a->host[hend - h] = '\0';
    if (colon != NULL) {
        long v = 0;
        const char *p = colon + 1;
        for (; p < slash && *p >= '0' && *p <= '9' && v <= 65535; p++)
            v = v * 10 + (*p - '0');
        if (p == slash && v >= 1 && v <= 65535)
            a->port = (int)v;
    }
}

/*
 * What ssh -G needs to read ferry's ~/.ssh/config: *config NULL (ssh's own
 * files: HOME is the passwd home), $HOME/.ssh/config, or false when ssh
 * would read another home's config and HOME has none, or there is no
 * passwd entry (ssh then fails anyway).
 */
static bool
ssh_config_for(const char *home, const char *pw_home, char **config)
{
    struct stat st;
    *config = NULL;
    if (pw_home == NULL || home == NULL)
        return false;
    if (same_dir(home, pw_home))
        return true;
    char *c = xasprintf("%s/.ssh/config", home);
    if (stat(c, &st) != 0) {
        free(c);
        return false;
    }
    *config = c;
    return true;
}

/* Is this key file one libssh2 1.10 cannot use (security keys, XMSS)? */
static bool
unusable_default(const char *path)
{
    const char *base = strrchr(path, '/');
    base = base != NULL ? base + 1 : path;
    return strcmp(base, "id_ecdsa_sk") == 0 ||
           strcmp(base, "id_ed25519_sk") == 0 || strcmp(base, "id_xmss") == 0;
}

static void
add_key(struct sftp_be *b, char *key)
{
    for (int i = 0; i < b->ntries; i++)
        if (strcmp(b->tries[i].key, key) == 0) {
            free(key);
            return; /* listed twice */
        }
    b->tries = xrealloc(b->tries, (size_t)(b->ntries + 1) * sizeof *b->tries);
    struct sftp_try *tr = &b->tries[b->ntries++];
    memset(tr, 0, sizeof *tr);
    tr->key = key;
    char *pub = xasprintf("%s.pub", key);
    struct stat st;
    if (stat(pub, &st) == 0 && S_ISREG(st.st_mode))
        tr->pub = pub;
    else
        free(pub);
}

/*
 * The URL's host through ssh -G into r (*ran: it did); a failure becomes
 * a warning in b->note and the URL is used as given.
 */
static enum fy_rc
resolve(struct rtarget *t,
        struct sftp_be *b,
        const char *host,
        const char *home,
        const char *pw_home,
        struct remote_ssh_host *r,
        bool *ran,
        struct fy_err *err)
{
    char *config = NULL;
    struct fy_err e = FY_ERR_INIT;
    enum fy_rc rc = FY_OK;
    *ran = false;
    if (!remote_ssh_name_ok(host) || !ssh_config_for(home, pw_home, &config))
        return FY_OK;
    rc = remote_ssh_resolve(host, config, r, ran, &e);
    free(config);
    if (rc == FY_EINTR)
        return fy_fail(err, rc, "%s", e.msg);
    if (rc != FY_OK) {
        remote_ssh_host_release(r);
        *ran = false;
        b->note = xasprintf("%s: %s; using the URL as given", t->u.show, e.msg);
        return FY_OK;
    }
    if (*ran && r->proxy)
        b->note =
            xasprintf("%s: the ssh config sets ProxyJump or "
                      "ProxyCommand, which ferry cannot follow: "
                      "connecting straight to %s",
                      t->u.show, r->hostname != NULL ? r->hostname : host);
    return FY_OK;
}

static enum fy_rc
sftp_target_open(struct rtarget *t, struct fy_err *err)
{
    struct sftp_be *b = xcalloc(1, sizeof *b);
    const char *henv = getenv("HOME");
    char *pw_home, *pw_name;
    struct remote_ssh_host r = REMOTE_SSH_HOST_INIT;
    struct authority a;
    struct stat st;
    bool ran = false;
    enum fy_rc rc = FY_OK;
    pthread_mutex_init(&b->mu, NULL);
    t->be = b;
    t->be_free = be_free;
    t->setup = sftp_setup_quote;
    t->commit = sftp_commit;
    t->discard = sftp_discard;
    t->auth_next = sftp_auth_next;
    t->http = false;
    passwd_home(&pw_home, &pw_name);
    /* ~ is $HOME, else the passwd entry's home (systemd units, cron and
     * cloud-init often run without HOME) */
    char *home = henv != NULL && henv[0] ? xstrdup(henv)
                 : pw_home != NULL       ? xstrdup(pw_home)
                                         : NULL;
    split_authority(t->u.url, &a);
    /* the path: everything after the authority, decoded; "/~/x" is x in
     * the login directory */
    struct sbuf p = SBUF_INIT;
    const char *s = a.rest;
    if (strncmp(s, "/~/", 3) == 0)
        s += 3;
    for (; *s; s++) {
        int hi, lo;
        if (*s == '%' && (hi = hexv(s[1])) >= 0 && (lo = hexv(s[2])) >= 0 &&
            (hi || lo)) {
            char ch = (char)(hi * 16 + lo);
            sbuf_add(&p, &ch, 1);
            s += 2;
        } else {
            sbuf_add(&p, s, 1);
        }
    }
    b->path = sbuf_detach(&p);
    /* SPEC: the host key is always checked; a missing known_hosts file
     * knows no host, so every host is unknown */
    if (t->o->known_hosts != NULL) {
        if (stat(t->o->known_hosts, &st) != 0) {
            rc = fy_fail_errno(err, FY_ERUNTIME, "--known-hosts %s",
                               t->o->known_hosts);
            goto out;
        }
        b->known_hosts = xstrdup(t->o->known_hosts);
    } else if (home != NULL) {
        b->known_hosts = xasprintf("%s/.ssh/known_hosts", home);
    } else if (!t->o->insecure_host) {
        rc = fy_fail(err, FY_EREFUSED,
                     "%s: cannot check the host key: no known_hosts file (no "
                     "HOME and no home directory for this user; pass "
                     "--known-hosts FILE, or --insecure-host)",
                     t->u.show);
        goto out;
    }
    rc = resolve(t, b, a.host, home, pw_home, &r, &ran, err);
    if (rc != FY_OK)
        goto out;
    /* the user: the URL's, else the ssh config's, else the local one */
    const char *local = getenv("USER");
    if (local == NULL || local[0] == '\0')
        local = pw_name;
    if (a.userinfo == NULL) {
        const char *u = ran && r.user != NULL ? r.user : local;
        b->user = u != NULL ? xstrdup(u) : NULL;
        b->login = u != NULL ? xstrdup(u) : NULL;
    } else {
        const char *c = memchr(a.userinfo, ':', a.userinfo_len);
        size_t n = c != NULL ? (size_t)(c - a.userinfo) : a.userinfo_len;
        if (!fy_pct_decode(a.userinfo, n, &b->login))
            b->login = NULL;
    }
    /* where: the URL's port wins over the config's; the host is the
     * config's HostName */
    const char *host = ran && r.hostname != NULL ? r.hostname : a.host;
    int port = a.port > 0 ? a.port : ran ? r.port : 0;
    if (ran) {
        bool v6 = strchr(host, ':') != NULL;
        char *h = out_escape(host), *u = out_escape(b->login ? b->login : "");
        b->info = xasprintf("%s: ssh -G %s: host %s, port %d, user %s",
                            t->u.show, a.host, h, port > 0 ? port : 22, u);
        free(h);
        free(u);
        b->url = xasprintf("sftp://%.*s%s%s%s%s:%d%s", (int)a.userinfo_len,
                           a.userinfo != NULL ? a.userinfo : "",
                           a.userinfo != NULL ? "@" : "", v6 ? "[" : "", host,
                           v6 ? "]" : "", port > 0 ? port : 22, a.rest);
    } else {
        b->url = xstrdup(t->u.url);
    }
    b->part_url = xasprintf("%s.part", b->url);
    rc = remote_ssh_passphrase(t->o->ssh_key_passphrase_file, &b->pass, err);
    if (rc != FY_OK)
        goto out;
    /* the keys: --ssh-key alone, else ssh's list (its defaults without
     * ssh), those that exist */
    if (t->o->ssh_key != NULL) {
        if (stat(t->o->ssh_key, &st) != 0) {
            rc = fy_fail_errno(err, FY_ERUNTIME, "--ssh-key %s", t->o->ssh_key);
            goto out;
        }
        add_key(b, xstrdup(t->o->ssh_key));
    } else {
        static const char *const defaults[] = {
            "~/.ssh/id_rsa", "~/.ssh/id_ecdsa", "~/.ssh/id_ed25519",
            "~/.ssh/id_dsa"};
        struct remote_ssh_tokens tk = {home,   local,    host,
                                       a.host, b->login, port > 0 ? port : 22};
        size_t n = ran ? r.identity.n : sizeof defaults / sizeof *defaults;
        for (size_t i = 0; i < n; i++) {
            const char *spec = ran ? r.identity.v[i] : defaults[i];
            char *k = remote_ssh_expand(spec, &tk);
            if (k != NULL && !unusable_default(k) && stat(k, &st) == 0 &&
                S_ISREG(st.st_mode))
                add_key(b, k);
            else
                free(k);
        }
    }
    const char *sock = getenv("SSH_AUTH_SOCK");
    bool agent = sock != NULL && sock[0] != '\0';
    if (b->ntries == 0 && !agent) {
        rc = fy_fail(err, FY_ERUNTIME,
                     "%s: no SSH key: none of ~/.ssh/id_rsa, id_ecdsa, "
                     "id_ed25519, id_dsa (or the ssh config's IdentityFile) "
                     "exists, and no agent (SSH_AUTH_SOCK); pass --ssh-key "
                     "FILE",
                     t->u.show);
        goto out;
    }
    if (b->ntries == 0) {
        b->tries = xcalloc(1, sizeof *b->tries);
        b->ntries = 1;
    }
    b->tries[0].agent = agent;
out:
    remote_ssh_host_release(&r);
    free(a.host);
    free(home);
    free(pw_home);
    free(pw_name);
    return rc;
}

const struct remote_backend remote_sftp_backend = {
    .open = sftp_target_open,
    .push_file = rops_push_file,
    .pull_file = rops_pull_file,
    .upload_open = rops_upload_open,
    .download_open = rops_download_open,
};
