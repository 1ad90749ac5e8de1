/*
 * remote_sftp.c - SFTP through libcurl (libssh2): public-key login with
 * --ssh-key or the first of ~/.ssh/id_ed25519, id_ecdsa, id_rsa (else the
 * agent), the host checked against --known-hosts FILE or
 * ~/.ssh/known_hosts, uploads written to PATH.part and renamed to PATH
 * when complete.  "~" is $HOME, else the passwd entry's home directory.
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

#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ferry/out.h"
#include "ferry/xalloc.h"

struct sftp_be {
    char *key, *pub, *known_hosts, *user;
    char *part_url; /* URL of PATH.part */
    char *path;     /* PATH as the server sees it (for rename/rm) */
};

static void
be_free(void *arg)
{
    struct sftp_be *b = arg;
    free(b->key);
    free(b->pub);
    free(b->known_hosts);
    free(b->user);
    free(b->part_url);
    free(b->path);
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

static enum fy_rc
sftp_setup(struct rjob *j, CURL *h, struct fy_err *err)
{
    struct sftp_be *b = j->t->be;
    (void)err;
    curl_easy_setopt(h, CURLOPT_URL,
                     j->method == RM_PUT ? b->part_url : j->t->u.url);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "sftp");
    if (b->user != NULL)
        curl_easy_setopt(h, CURLOPT_USERNAME, b->user);
    if (b->key != NULL) {
        curl_easy_setopt(h, CURLOPT_SSH_AUTH_TYPES,
                         (long)CURLSSH_AUTH_PUBLICKEY);
        curl_easy_setopt(h, CURLOPT_SSH_PRIVATE_KEYFILE, b->key);
        curl_easy_setopt(h, CURLOPT_SSH_PUBLIC_KEYFILE,
                         b->pub != NULL ? b->pub : "");
    } else {
        curl_easy_setopt(h, CURLOPT_SSH_AUTH_TYPES, (long)CURLSSH_AUTH_AGENT);
    }
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

/*
 * The home directory: $HOME, else the passwd entry's (systemd units, cron
 * and cloud-init often run without HOME).  NULL if neither.  Caller frees.
 */
static char *
home_dir(void)
{
    const char *h = getenv("HOME");
    if (h != NULL && *h)
        return xstrdup(h);
    struct passwd pw, *res = NULL;
    char buf[4096];
    if (getpwuid_r(geteuid(), &pw, buf, sizeof buf, &res) == 0 && res != NULL &&
        res->pw_dir != NULL && res->pw_dir[0] == '/')
        return xstrdup(res->pw_dir);
    return NULL;
}

static enum fy_rc
sftp_target_open(struct rtarget *t, struct fy_err *err)
{
    struct sftp_be *b = xcalloc(1, sizeof *b);
    char *home = home_dir();
    struct stat st;
    enum fy_rc rc = FY_OK;
    t->be = b;
    t->be_free = be_free;
    t->setup = sftp_setup_quote;
    t->commit = sftp_commit;
    t->discard = sftp_discard;
    t->http = false;
    b->part_url = xasprintf("%s.part", t->u.url);
    /* the path: everything after the authority, decoded; "/~/x" is x in
     * the login directory */
    const char *auth = strstr(t->u.url, "://") + 3;
    const char *slash = strchr(auth, '/');
    const char *at = memchr(auth, '@', (size_t)(slash - auth));
    struct sbuf p = SBUF_INIT;
    const char *s = slash;
    if (strncmp(s, "/~/", 3) == 0)
        s += 3;
    for (; *s; s++) {
        int a, c;
        if (*s == '%' && (a = hexv(s[1])) >= 0 && (c = hexv(s[2])) >= 0 &&
            (a || c)) {
            char ch = (char)(a * 16 + c);
            sbuf_add(&p, &ch, 1);
            s += 2;
        } else {
            sbuf_add(&p, s, 1);
        }
    }
    b->path = sbuf_detach(&p);
    if (at == NULL) {
        const char *u = getenv("USER");
        struct passwd *pw = u && *u ? NULL : getpwuid(getuid());
        if (u && *u)
            b->user = xstrdup(u);
        else if (pw != NULL)
            b->user = xstrdup(pw->pw_name);
    }
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
    if (t->o->ssh_key != NULL) {
        if (stat(t->o->ssh_key, &st) != 0) {
            rc = fy_fail_errno(err, FY_ERUNTIME, "--ssh-key %s", t->o->ssh_key);
            goto out;
        }
        b->key = xstrdup(t->o->ssh_key);
    } else if (home != NULL) {
        static const char *const names[] = {"id_ed25519", "id_ecdsa", "id_rsa"};
        for (size_t i = 0; i < 3 && b->key == NULL; i++) {
            char *k = xasprintf("%s/.ssh/%s", home, names[i]);
            if (stat(k, &st) == 0)
                b->key = k;
            else
                free(k);
        }
    }
    if (b->key == NULL && getenv("SSH_AUTH_SOCK") == NULL) {
        rc = fy_fail(err, FY_ERUNTIME,
                     "%s: no SSH key (~/.ssh/id_ed25519, id_ecdsa or "
                     "id_rsa; or --ssh-key FILE)",
                     t->u.show);
        goto out;
    }
    if (b->key != NULL) {
        char *pub = xasprintf("%s.pub", b->key);
        if (stat(pub, &st) == 0)
            b->pub = pub;
        else
            free(pub);
    }
out:
    free(home);
    return rc;
}

const struct remote_backend remote_sftp_backend = {
    .open = sftp_target_open,
    .push_file = rops_push_file,
    .pull_file = rops_pull_file,
    .upload_open = rops_upload_open,
    .download_open = rops_download_open,
};
