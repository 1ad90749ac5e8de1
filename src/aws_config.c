/*
 * aws_config.c - the AWS shared files, parsed by Debian's libinih, and the
 * S3 settings (profile, region, endpoint, addressing style) ferry takes
 * from them, the environment and the flags.  See ferry/aws_config.h for
 * the rules.
 *
 * libinih as Debian builds it (INI_MAX_LINE 200 on the stack, no
 * realloc) hands its reader a 200-byte buffer and takes whatever comes
 * back as one line; the rest of a longer line would come back as the
 * next "lines".  So the reader here hands it every line whole when it
 * fits, and a longer one cut at 197 bytes with a \x01 mark and a newline
 * after it, keeping the rest aside.  libinih then splits the name from the
 * value and strips blanks as usual; when the value it reports ends with
 * the mark, the handler puts the rest back (trailing blanks stripped).
 *
 * libinih also cuts a value at " ;" (an inline comment); the AWS CLI's
 * configparser does not (its values keep " ; x", which matters for a
 * credential_process command).  So in every line that is not a comment
 * line, the reader hands ';' over as \x02, and the handler turns it back.
 *
 * Neither mark byte can come from the file: control bytes fail it.
 * libinih calls the handler for a line before it reads the next, so one
 * "rest" slot suffices.
 *
 * What it keeps true: a file is read only up to AWS_FILE_MAX bytes, and
 * never blocks on a FIFO; no value is ever quoted in a message.
 */
#include "ferry/aws_config.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <ini.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ferry/fs.h"
#include "ferry/out.h"
#include "ferry/remote_s3.h"

#define MARK '\x01' /* a line libinih did not see whole */
#define SEMI '\x02' /* a ';' libinih must not take for a comment */

/* Put back the ';' the reader hid from libinih. */
static void
unsemi(char *s)
{
    for (; *s; s++)
        if (*s == SEMI)
            *s = ';';
}

/* ---------------------------------------------------------- ini store */

struct ini_entry {
    char *section, *key, *sub, *value; /* sub NULL: a top-level key */
};

struct aws_ini {
    struct ini_entry *v;
    size_t n, cap;
    struct strlist sections;
};

/* Parser state: the reader and the handler share it. */
struct ini_parse {
    struct aws_ini *ini;
    const char *p, *end; /* what is left of the text */
    int lineno;
    bool indented; /* the current line starts with a blank */
    char *rest;    /* the part of a long line libinih did not see */
    char *cur_key; /* the key an indented line may continue */
    char *cur_section;
    bool cur_sub;            /* cur_key opened a sub-section ("name =" alone) */
    size_t cur_entry;        /* else: its entry, and its value's length */
    size_t cur_len, cur_cap; /* and room, for indented lines to extend */
    int bad_line;            /* a sub-section line without '=' */
};

static void
ini_add(struct aws_ini *ini,
        const char *section,
        const char *key,
        const char *sub,
        char *value)
{
    if (ini->n == ini->cap) {
        ini->cap = ini->cap ? 2 * ini->cap : 32;
        ini->v = xrealloc(ini->v, ini->cap * sizeof *ini->v);
    }
    struct ini_entry *e = &ini->v[ini->n++];
    e->section = xstrdup(section);
    e->key = xstrdup(key);
    unsemi(e->key);
    e->sub = sub ? xstrdup(sub) : NULL;
    e->value = value;
}

/*
 * The name a section is filed under: blanks trimmed, "profile   x" and
 * "services   x" with one blank (as the AWS CLI reads them).  A name
 * libinih may have cut short (MAX_SECTION - 1 = 49 bytes or more) gets a
 * name no lookup can match.  Caller frees.
 */
static char *
section_name(const char *raw, size_t n)
{
    if (n >= 49)
        return xstrdup("\x01(too long)");
    while (n > 0 && isspace((unsigned char)*raw)) {
        raw++;
        n--;
    }
    while (n > 0 && isspace((unsigned char)raw[n - 1]))
        n--;
    struct sbuf sb = SBUF_INIT;
    static const char *const words[] = {"profile", "services"};
    for (size_t i = 0; i < 2; i++) {
        size_t w = strlen(words[i]);
        if (n > w && strncmp(raw, words[i], w) == 0 &&
            isspace((unsigned char)raw[w])) {
            sbuf_addf(&sb, "%s ", words[i]);
            raw += w;
            n -= w;
            while (n > 0 && isspace((unsigned char)*raw)) {
                raw++;
                n--;
            }
            break;
        }
    }
    sbuf_add(&sb, raw, n);
    sbuf_add(&sb, "", 0);
    unsemi(sb.buf);
    return sbuf_detach(&sb);
}

static void
note_section(struct aws_ini *ini, const char *section)
{
    /* repeats are harmless; looking back further would make a file of
     * many sections quadratic */
    size_t n = ini->sections.n;
    if (n == 0 || strcmp(ini->sections.v[n - 1], section) != 0)
        strlist_add(&ini->sections, section);
}

void
aws_ini_free(struct aws_ini *ini)
{
    if (ini == NULL)
        return;
    for (size_t i = 0; i < ini->n; i++) {
        free(ini->v[i].section);
        free(ini->v[i].key);
        free(ini->v[i].sub);
        free(ini->v[i].value);
    }
    free(ini->v);
    strlist_release(&ini->sections);
    free(ini);
}

bool
aws_ini_has_section(const struct aws_ini *ini, const char *section)
{
    if (ini == NULL)
        return false;
    for (size_t i = 0; i < ini->sections.n; i++)
        if (strcmp(ini->sections.v[i], section) == 0)
            return true;
    return false;
}

static const char *
lookup(const struct aws_ini *ini,
       const char *section,
       const char *key,
       const char *sub)
{
    if (ini == NULL)
        return NULL;
    for (size_t i = ini->n; i > 0; i--) {
        const struct ini_entry *e = &ini->v[i - 1];
        if (strcmp(e->section, section) != 0 || strcmp(e->key, key) != 0)
            continue;
        if (sub == NULL && e->sub == NULL)
            return e->value;
        if (sub == NULL)
            continue; /* a sub-key of key: key itself comes earlier */
        if (e->sub == NULL)
            return NULL; /* key redefined after its sub-section */
        if (strcmp(e->sub, sub) == 0)
            return e->value;
    }
    return NULL;
}

const char *
aws_ini_get(const struct aws_ini *ini, const char *section, const char *key)
{
    return lookup(ini, section, key, NULL);
}

const char *
aws_ini_get_sub(const struct aws_ini *ini,
                const char *section,
                const char *key,
                const char *sub)
{
    const char *top = lookup(ini, section, key, NULL);
    if (top == NULL || *top != '\0')
        return NULL; /* not a sub-section */
    return lookup(ini, section, key, sub);
}

/* -------------------------------------------------------- the parsing */

static char *
reader(char *str, int num, void *stream)
{
    struct ini_parse *ps = stream;
    free(ps->rest);
    ps->rest = NULL;
    if (ps->p >= ps->end || num < 8)
        return NULL;
    const char *nl = memchr(ps->p, '\n', (size_t)(ps->end - ps->p));
    const char *stop = nl ? nl + 1 : ps->end;
    size_t n = (size_t)(stop - ps->p);
    ps->lineno++;
    ps->indented = isspace((unsigned char)ps->p[0]) && ps->p[0] != '\n';
    /* a section line ends what an indented line may continue (libinih
     * forgets its previous name there too) */
    const char *s = ps->p;
    while (s < stop && isspace((unsigned char)*s))
        s++;
    if (s < stop && *s == '[') {
        free(ps->cur_key);
        ps->cur_key = NULL;
        /* noted here, as a section without keys never reaches handler() */
        const char *close = memchr(s, ']', (size_t)(stop - s));
        if (close != NULL) {
            char *name = section_name(s + 1, (size_t)(close - s - 1));
            note_section(ps->ini, name);
            free(name);
        }
    }
    if (n < (size_t)num) {
        memcpy(str, ps->p, n);
        str[n] = '\0';
    } else {
        size_t k = (size_t)num - 3;
        memcpy(str, ps->p, k);
        str[k] = MARK;
        str[k + 1] = '\n';
        str[k + 2] = '\0';
        ps->rest = xmalloc(n - k + 1);
        memcpy(ps->rest, ps->p + k, n - k);
        ps->rest[n - k] = '\0';
    }
    if (s < stop && *s != ';' && *s != '#')
        for (char *c = str; *c; c++)
            if (*c == ';')
                *c = SEMI;
    ps->p = stop;
    return str;
}

static void
rstrip(char *s)
{
    size_t n = strlen(s);
    while (n > 0 && isspace((unsigned char)s[n - 1]))
        s[--n] = '\0';
}

static char *
lskip(char *s)
{
    while (*s && isspace((unsigned char)*s))
        s++;
    return s;
}

/*
 * The value libinih reported, its ';' back and the rest of a long line
 * put back.  Caller frees.
 */
static char *
full_value(struct ini_parse *ps, const char *value)
{
    size_t n = strlen(value);
    char *out;
    if (ps->rest == NULL || n == 0 || value[n - 1] != MARK) {
        out = xstrdup(value);
    } else {
        struct sbuf sb = SBUF_INIT;
        sbuf_add(&sb, value, n - 1);
        sbuf_adds(&sb, ps->rest);
        out = sbuf_detach(&sb);
        rstrip(out);
    }
    unsemi(out);
    return out;
}

static int
handler(void *user, const char *section, const char *name, const char *value)
{
    struct ini_parse *ps = user;
    char *sec = section_name(section, strlen(section));
    bool cont = ps->indented && ps->cur_key != NULL &&
                strcmp(name, ps->cur_key) == 0 &&
                strcmp(section, ps->cur_section) == 0;
    char *v = full_value(ps, value);
    if (!cont) {
        free(ps->cur_key);
        free(ps->cur_section);
        ps->cur_key = xstrdup(name);
        ps->cur_section = xstrdup(section);
        ps->cur_sub = *v == '\0';
        ps->cur_entry = ps->ini->n;
        ps->cur_len = strlen(v);
        ps->cur_cap = ps->cur_len + 1;
        ini_add(ps->ini, sec, name, NULL, v);
        free(sec);
        return 1;
    }
    if (ps->cur_sub) {
        /* "  key = value" inside a sub-section */
        char *eq = strchr(v, '=');
        if (eq == NULL) {
            if (ps->bad_line == 0)
                ps->bad_line = ps->lineno;
            free(v);
            free(sec);
            return 1;
        }
        *eq = '\0';
        rstrip(v);
        char *sv = lskip(eq + 1);
        ini_add(ps->ini, sec, name, lskip(v), xstrdup(sv));
        free(v);
        free(sec);
        return 1;
    }
    /* a value continued on an indented line: joined by a newline, as
     * configparser does (no key ferry reads may span lines); the value
     * grows by doubling, so many such lines stay linear */
    struct ini_entry *e = &ps->ini->v[ps->cur_entry];
    size_t k = strlen(v);
    if (ps->cur_len + 1 + k + 1 > ps->cur_cap) {
        while (ps->cur_len + 1 + k + 1 > ps->cur_cap)
            ps->cur_cap *= 2;
        e->value = xrealloc(e->value, ps->cur_cap);
    }
    e->value[ps->cur_len] = '\n';
    memcpy(e->value + ps->cur_len + 1, v, k + 1);
    ps->cur_len += 1 + k;
    free(v);
    free(sec);
    return 1;
}

enum fy_rc
aws_ini_parse(const char *text,
              size_t len,
              const char *name,
              struct aws_ini **out,
              struct fy_err *err)
{
    *out = NULL;
    int line = 1;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)text[i];
        if (c == '\n')
            line++;
        else if ((c < 0x20 && c != '\t' && c != '\r') || c == 0x7f)
            return fy_fail(err, FY_EINPUT,
                           "%s:%d: control character 0x%02x (not a text file)",
                           name, line, c);
    }
    struct ini_parse ps = {0};
    ps.ini = xcalloc(1, sizeof *ps.ini);
    ps.ini->sections = (struct strlist)STRLIST_INIT;
    ps.p = text;
    ps.end = text + len;
    int bad = ini_parse_stream(reader, &ps, handler, &ps);
    free(ps.rest);
    free(ps.cur_key);
    free(ps.cur_section);
    if (bad == 0 || (ps.bad_line > 0 && ps.bad_line < bad))
        bad = ps.bad_line;
    if (bad != 0) {
        aws_ini_free(ps.ini);
        if (bad < 0)
            return fy_fail(err, FY_ERUNTIME, "%s: cannot parse (out of memory)",
                           name);
        return fy_fail(err, FY_EINPUT,
                       "%s:%d: expected [section], name = value or an "
                       "indented key = value",
                       name, bad);
    }
    *out = ps.ini;
    return FY_OK;
}

/* ------------------------------------------------------------ files */

enum fy_rc
aws_read_file(const char *path,
              const char *what,
              size_t max,
              struct sbuf *sb,
              bool *enoent,
              struct fy_err *err)
{
    if (enoent)
        *enoent = false;
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) {
        if (enoent && errno == ENOENT)
            *enoent = true;
        return fy_fail_errno(err, FY_ERUNTIME, "%s", what);
    }
    struct stat st;
    enum fy_rc rc = FY_OK;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        rc = fy_fail(err, FY_EINPUT, "%s: not a regular file", what);
        goto out;
    }
    char buf[16384];
    for (size_t got = 0;;) {
        ssize_t n = read(fd, buf, sizeof buf);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            rc = fy_fail_errno(err, FY_ERUNTIME, "%s", what);
            break;
        }
        if (n == 0)
            break;
        got += (size_t)n;
        if (got > max) {
            rc =
                fy_fail(err, FY_EINPUT, "%s: larger than %zu bytes", what, max);
            break;
        }
        sbuf_add(sb, buf, (size_t)n);
    }
out:
    close(fd);
    return rc;
}

const char *
aws_env(const char *name)
{
    const char *v = getenv(name);
    return v != NULL && *v ? v : NULL;
}

bool
aws_env_true(const char *name)
{
    const char *v = getenv(name);
    return v != NULL && strcasecmp(v, "true") == 0;
}

/*
 * Read one shared file (the variable's path, or ~/.aws/NAME) into *ini
 * (NULL when missing).  *show is how messages name it.
 */
static enum fy_rc
load_file(const char *var,
          const char *name,
          struct aws_ini **ini,
          char **show,
          struct fy_err *err)
{
    const char *given = aws_env(var);
    char *path = NULL, *home = NULL;
    *ini = NULL;
    if (given != NULL) {
        if (strncmp(given, "~/", 2) == 0 && (home = fs_home_dir()) != NULL)
            path = xasprintf("%s/%s", home, given + 2);
        else
            path = xstrdup(given);
        *show = out_escape(given);
    } else {
        *show = xasprintf("~/.aws/%s", name);
        if ((home = fs_home_dir()) == NULL) {
            free(home);
            return FY_OK; /* no home: no file */
        }
        path = xasprintf("%s/.aws/%s", home, name);
    }
    free(home);
    struct sbuf sb = SBUF_INIT;
    bool enoent = false;
    enum fy_rc rc = aws_read_file(path, *show, AWS_FILE_MAX, &sb, &enoent, err);
    free(path);
    if (rc != FY_OK && enoent) {
        fy_err_clear(err);
        rc = FY_OK;
    } else if (rc == FY_OK) {
        rc = aws_ini_parse(sb.buf ? sb.buf : "", sb.len, *show, ini, err);
    }
    sbuf_release(&sb);
    return rc;
}

/* ---------------------------------------------------------- profiles */

bool
aws_profile_name_ok(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > AWS_NAME_MAX || isspace((unsigned char)s[0]) ||
        isspace((unsigned char)s[n - 1]))
        return false;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if (*p < 0x20 || *p == 0x7f || *p == '[' || *p == ']' || *p == ';' ||
            *p == '#')
            return false;
    return true;
}

void
aws_profile_release(struct aws_profile *p)
{
    char **fields[] = {
        &p->name,           &p->creds_show,  &p->config_show,
        &p->access_key_id,  &p->secret_key,  &p->session_token,
        &p->region,         &p->process,     &p->endpoint_url,
        &p->services,       &p->s3_endpoint, &p->sts_endpoint,
        &p->token_file,     &p->role_arn,    &p->session_name,
        &p->source_profile, &p->sso,         &p->addressing_raw,
    };
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++)
        free(*fields[i]);
    memset(p, 0, sizeof *p);
}

/* A key of the profile: credentials file first, then config. */
static char *
pget(const struct aws_ini *creds,
     const struct aws_ini *config,
     const char *name,
     const char *key)
{
    const char *v = aws_ini_get(creds, name, key);
    char *sec = xasprintf("profile %s", name);
    if (v == NULL && strcmp(name, "default") == 0)
        v = aws_ini_get(config, "default", key);
    if (v == NULL)
        v = aws_ini_get(config, sec, key);
    free(sec);
    return v != NULL && *v ? xstrdup(v) : NULL;
}

/* The profile's sub-key (config only: s3 = / addressing_style). */
static char *
pget_sub(const struct aws_ini *config,
         const char *name,
         const char *key,
         const char *sub)
{
    const char *v = NULL;
    char *sec = xasprintf("profile %s", name);
    if (strcmp(name, "default") == 0)
        v = aws_ini_get_sub(config, "default", key, sub);
    if (v == NULL)
        v = aws_ini_get_sub(config, sec, key, sub);
    free(sec);
    return v != NULL && *v ? xstrdup(v) : NULL;
}

static enum fy_rc
fill_profile(struct aws_profile *p,
             const struct aws_ini *creds,
             const struct aws_ini *config,
             struct fy_err *err)
{
    const char *n = p->name;
    char *sec = xasprintf("profile %s", n);
    p->found =
        aws_ini_has_section(creds, n) || aws_ini_has_section(config, sec) ||
        (strcmp(n, "default") == 0 && aws_ini_has_section(config, "default"));
    free(sec);
    char *esc = out_escape(n);
    enum fy_rc rc = FY_OK;
    if (!p->found && p->named) {
        rc = fy_fail(err, FY_ERUNTIME, "AWS profile '%s': not in %s or %s", esc,
                     p->creds_show, p->config_show);
        goto out;
    }
    p->access_key_id = pget(creds, config, n, "aws_access_key_id");
    p->secret_key = pget(creds, config, n, "aws_secret_access_key");
    p->session_token = pget(creds, config, n, "aws_session_token");
    p->region = pget(creds, config, n, "region");
    p->process = pget(creds, config, n, "credential_process");
    p->endpoint_url = pget(creds, config, n, "endpoint_url");
    p->services = pget(creds, config, n, "services");
    p->token_file = pget(creds, config, n, "web_identity_token_file");
    p->role_arn = pget(creds, config, n, "role_arn");
    p->session_name = pget(creds, config, n, "role_session_name");
    p->source_profile = pget(creds, config, n, "source_profile");
    if (p->source_profile == NULL)
        p->source_profile = pget(creds, config, n, "credential_source");
    p->sso = pget(creds, config, n, "sso_session");
    if (p->sso == NULL)
        p->sso = pget(creds, config, n, "sso_start_url");
    char *ign = pget(creds, config, n, "ignore_configured_endpoint_urls");
    p->ignore_endpoints = ign != NULL && strcasecmp(ign, "true") == 0;
    free(ign);
    p->addressing_raw = pget_sub(config, n, "s3", "addressing_style");
    if (p->addressing_raw == NULL || strcmp(p->addressing_raw, "auto") == 0)
        p->addressing = AWS_ADDR_AUTO;
    else if (strcmp(p->addressing_raw, "path") == 0)
        p->addressing = AWS_ADDR_PATH;
    else if (strcmp(p->addressing_raw, "virtual") == 0)
        p->addressing = AWS_ADDR_VIRTUAL;
    else {
        rc = fy_fail(err, FY_EINPUT,
                     "AWS profile '%s' in %s: s3 addressing_style: expected "
                     "auto, path or virtual",
                     esc, p->config_show);
        goto out;
    }
    if (p->services != NULL) {
        if (!aws_profile_name_ok(p->services)) {
            rc = fy_fail(err, FY_EINPUT,
                         "AWS profile '%s' in %s: services: not a section "
                         "name (at most %d characters)",
                         esc, p->config_show, AWS_NAME_MAX);
            goto out;
        }
        char *ssec = xasprintf("services %s", p->services);
        const char *v = aws_ini_get_sub(config, ssec, "s3", "endpoint_url");
        p->s3_endpoint = v && *v ? xstrdup(v) : NULL;
        v = aws_ini_get_sub(config, ssec, "sts", "endpoint_url");
        p->sts_endpoint = v && *v ? xstrdup(v) : NULL;
        free(ssec);
    }
out:
    free(esc);
    return rc;
}

static enum fy_rc
choose_name(struct aws_profile *p, const char *flag, struct fy_err *err)
{
    const char *env = aws_env("AWS_PROFILE");
    const char *n = flag ? flag : env ? env : "default";
    p->from_flag = flag != NULL;
    p->named = flag != NULL || env != NULL;
    if (!aws_profile_name_ok(n)) {
        char *esc = out_escape(n);
        enum fy_rc rc =
            fy_fail(err, flag ? FY_EUSAGE : FY_EINPUT,
                    "%s '%s': not a profile name (1 to %d characters, no "
                    "brackets, ';', '#' or control characters)",
                    flag ? "--profile" : "AWS_PROFILE", esc, AWS_NAME_MAX);
        free(esc);
        return rc;
    }
    p->name = xstrdup(n);
    return FY_OK;
}

enum fy_rc
aws_profile_load(struct aws_profile *p,
                 const char *flag_profile,
                 struct fy_err *err)
{
    memset(p, 0, sizeof *p);
    struct aws_ini *creds = NULL, *config = NULL;
    enum fy_rc rc = choose_name(p, flag_profile, err);
    if (rc == FY_OK)
        rc = load_file("AWS_SHARED_CREDENTIALS_FILE", "credentials", &creds,
                       &p->creds_show, err);
    if (rc == FY_OK)
        rc = load_file("AWS_CONFIG_FILE", "config", &config, &p->config_show,
                       err);
    if (rc == FY_OK)
        rc = fill_profile(p, creds, config, err);
    aws_ini_free(creds);
    aws_ini_free(config);
    return rc;
}

enum fy_rc
aws_profile_from_text(struct aws_profile *p,
                      const char *name,
                      const char *creds_text,
                      const char *config_text,
                      struct fy_err *err)
{
    memset(p, 0, sizeof *p);
    struct aws_ini *creds = NULL, *config = NULL;
    enum fy_rc rc = choose_name(p, name, err);
    p->creds_show = xstrdup("credentials");
    p->config_show = xstrdup("config");
    if (rc == FY_OK && creds_text != NULL)
        rc = aws_ini_parse(creds_text, strlen(creds_text), "credentials",
                           &creds, err);
    if (rc == FY_OK && config_text != NULL)
        rc = aws_ini_parse(config_text, strlen(config_text), "config", &config,
                           err);
    if (rc == FY_OK)
        rc = fill_profile(p, creds, config, err);
    aws_ini_free(creds);
    aws_ini_free(config);
    return rc;
}

/* ---------------------------------------------------------- settings */

bool
aws_endpoint_ok(const char *s)
{
    if (strncasecmp(s, "http://", 7) != 0 && strncasecmp(s, "https://", 8) != 0)
        return false;
    size_t host = strncasecmp(s, "http://", 7) == 0 ? 7 : 8;
    if (s[host] == '\0' || s[host] == '/')
        return false;
    if (strlen(s) > 2048)
        return false;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if (*p <= 0x20 || *p >= 0x7f || *p == '?' || *p == '#')
            return false;
    return true;
}

void
aws_settings_release(struct aws_settings *s)
{
    free(s->region);
    free(s->endpoint);
    memset(s, 0, sizeof *s);
}

enum fy_rc
aws_settings_resolve(const struct aws_profile *p,
                     const char *flag_region,
                     const char *flag_endpoint,
                     struct aws_settings *s,
                     struct fy_err *err)
{
    memset(s, 0, sizeof *s);
    s->addressing = p->addressing;
    struct {
        const char *v, *from;
    } regions[] = {
        {flag_region, "--region"},
        {aws_env("AWS_REGION"), "AWS_REGION"},
        {aws_env("AWS_DEFAULT_REGION"), "AWS_DEFAULT_REGION"},
        {p->region, "region"},
    };
    enum fy_rc rc = FY_OK;
    for (size_t i = 0; i < sizeof regions / sizeof regions[0]; i++) {
        if (regions[i].v == NULL)
            continue;
        if (!s3_region_ok(regions[i].v)) {
            char *esc = out_escape(p->name);
            if (i == 0)
                rc = fy_fail(err, FY_EUSAGE,
                             "--region: letters, digits and '-' expected");
            else if (i < 3)
                rc = fy_fail(err, FY_EINPUT,
                             "%s: letters, digits and '-' expected",
                             regions[i].from);
            else
                rc = fy_fail(err, FY_EINPUT,
                             "AWS profile '%s': region: letters, digits and "
                             "'-' expected",
                             esc);
            free(esc);
            goto out;
        }
        s->region = xstrdup(regions[i].v);
        s->region_from = regions[i].from;
        break;
    }
    bool ignore = p->ignore_endpoints ||
                  aws_env_true("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS");
    struct {
        const char *v, *from;
    } eps[] = {
        {flag_endpoint, "--endpoint-url"},
        {ignore ? NULL : aws_env("AWS_ENDPOINT_URL_S3"), "AWS_ENDPOINT_URL_S3"},
        {ignore ? NULL : aws_env("AWS_ENDPOINT_URL"), "AWS_ENDPOINT_URL"},
        {ignore ? NULL : p->s3_endpoint, "services s3 endpoint_url"},
        {ignore ? NULL : p->endpoint_url, "endpoint_url"},
    };
    for (size_t i = 0; i < sizeof eps / sizeof eps[0]; i++) {
        if (eps[i].v == NULL)
            continue;
        if (!aws_endpoint_ok(eps[i].v)) {
            char *esc = out_escape(p->name);
            if (i == 0)
                rc = fy_fail(err, FY_EUSAGE,
                             "--endpoint-url: an http:// or https:// URL "
                             "expected");
            else if (i < 3)
                rc = fy_fail(err, FY_EINPUT,
                             "%s: an http:// or https:// URL expected",
                             eps[i].from);
            else
                rc = fy_fail(err, FY_EINPUT,
                             "AWS profile '%s': %s: an http:// or https:// "
                             "URL expected",
                             esc, eps[i].from);
            free(esc);
            goto out;
        }
        s->endpoint = xstrdup(eps[i].v);
        s->endpoint_from = eps[i].from;
        break;
    }
out:
    if (rc != FY_OK)
        aws_settings_release(s);
    return rc;
}
