/*
 * session_ini.c - ferry.ini, the manifest of ferry up / down, parsed with
 * Debian's libinih, every value checked before anything is fetched or
 * written (see ferry/session.h and doc/SESSION.md).
 *
 * libinih as Debian builds it reads lines into a 200-byte buffer on the
 * stack and takes whatever comes back as one line; it also strips inline
 * " ;" comments and takes an indented line for the continuation of the
 * previous value.  So the reader here hands it a cleaned line:
 *
 *   - each line of the file is checked first, in order: no NUL or other
 *     control byte (tab aside), valid UTF-8, at most SESSION_LINE_MAX
 *     bytes, and the file read only up to SESSION_FILE_MAX bytes; the
 *     first bad line ends the parse with "FILE:LINE: [KEY: ]why";
 *   - leading blanks, a trailing CR and an inline comment (';' after a
 *     blank) are removed, so indentation means nothing;
 *   - a section line is parsed here and handed over as a short name
 *     ("w", "n", "b<index>"), so a bundle name may be longer than
 *     libinih's 50-byte section buffer and a repeated section is seen;
 *   - a longer line is cut at 196 bytes with a MARK byte after it, the
 *     rest kept aside; the handler puts the rest back.  MARK is a control
 *     byte, which the line check has refused in the file itself.
 *
 * libinih calls the handler for a line before it asks for the next, so
 * the reader's line number is the handler's, and one "rest" slot is
 * enough.  No value is quoted in a message unless it is short and was
 * checked to be printable UTF-8.
 */
#include "ferry/session.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <ini.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ferry/fs.h"
#include "ferry/magnet.h"
#include "ferry/parse.h"
#include "ferry/remote.h"

#define MARK '\x01'

enum sec { SEC_NONE, SEC_WS, SEC_NET, SEC_BUNDLE };

/* Keys seen in a section, one bit each, to refuse a repeated key. */
enum {
    K_PATH = 1 << 0,
    K_REMOTE = 1 << 1,
    K_EXCLUDE = 1 << 2,
    K_KEEP = 1 << 3,
    K_AUTOSAVE = 1 << 4,
    K_SOURCE = 1 << 5,
    K_DEST = 1 << 6,
    K_SELECT = 1 << 7,
    K_SEED = 1 << 8,
    K_LISTEN = 1 << 9,
    K_DHT = 1 << 10,
    K_LSD = 1 << 11,
    K_UPNP = 1 << 12,
    K_MAXDOWN = 1 << 13,
    K_MAXUP = 1 << 14,
};

struct ini_state {
    struct session *s;
    const char *file; /* as shown in messages */
    const char *dir;  /* the manifest's directory: relative paths */
    const char *p, *end;
    bool truncated; /* the file is longer than what was read */
    int lineno;
    char *rest;
    enum sec sec;
    size_t bundle;
    unsigned ws_keys, net_keys, *bundle_keys;
    int net_line;
    struct fy_err *err;
    bool failed;
    int errline;
};

/* ------------------------------------------------------------ helpers */

static enum fy_rc
fail_at(struct ini_state *st, const char *key, const char *fmt, ...)
    FY_PRINTF(3, 4);

static enum fy_rc
fail_at(struct ini_state *st, const char *key, const char *fmt, ...)
{
    if (st->failed)
        return FY_EINPUT;
    char why[FY_ERR_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, sizeof why, fmt, ap);
    va_end(ap);
    st->failed = true;
    st->errline = st->lineno;
    if (key != NULL)
        return fy_fail(st->err, FY_EINPUT, "%s:%d: %s: %s", st->file,
                       st->lineno, key, why);
    return fy_fail(st->err, FY_EINPUT, "%s:%d: %s", st->file, st->lineno, why);
}

/* Length of the valid UTF-8 sequence at s (at most n bytes), 0 if none. */
static size_t
utf8_len(const unsigned char *s, size_t n)
{
    unsigned c = s[0];
    size_t len;
    unsigned min;
    if (c < 0x80)
        return 1;
    if (c >= 0xc2 && c <= 0xdf) {
        len = 2;
        min = 0x80;
    } else if (c >= 0xe0 && c <= 0xef) {
        len = 3;
        min = 0x800;
    } else if (c >= 0xf0 && c <= 0xf4) {
        len = 4;
        min = 0x10000;
    } else {
        return 0;
    }
    if (len > n)
        return 0;
    unsigned cp = c & (0x3f >> (len - 1));
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        cp = (cp << 6) | (s[i] & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
        return 0;
    return len;
}

/*
 * The key of a raw line, for a message about the line itself: the name
 * before '=' or ':' when it is short and plain; else NULL.  Caller frees.
 */
static char *
raw_key(const char *p, size_t n)
{
    while (n > 0 && (*p == ' ' || *p == '\t')) {
        p++;
        n--;
    }
    size_t k = 0;
    while (k < n && k < 40 &&
           (isalnum((unsigned char)p[k]) || p[k] == '-' || p[k] == '_'))
        k++;
    size_t e = k;
    while (e < n && (p[e] == ' ' || p[e] == '\t'))
        e++;
    if (k == 0 || e >= n || (p[e] != '=' && p[e] != ':'))
        return NULL;
    char *key = xmalloc(k + 1);
    memcpy(key, p, k);
    key[k] = '\0';
    return key;
}

/* Check the bytes of one raw line [p, p + n): FY_OK or an error at it. */
static enum fy_rc
check_line(struct ini_state *st, const char *p, size_t n)
{
    const char *why = NULL;
    char buf[64];
    for (size_t i = 0; i < n && why == NULL;) {
        unsigned char c = (unsigned char)p[i];
        if (c == '\0') {
            why = "NUL byte (not a text file)";
        } else if ((c < 0x20 && c != '\t' && !(c == '\r' && i == n - 1)) ||
                   c == 0x7f) {
            snprintf(buf, sizeof buf,
                     "control character 0x%02x (not a text file)", c);
            why = buf;
        } else {
            size_t l = utf8_len((const unsigned char *)p + i, n - i);
            if (l == 0)
                why = "bytes that are not UTF-8 text";
            i += l ? l : 1;
        }
    }
    if (why == NULL)
        return FY_OK;
    char *key = raw_key(p, n);
    fail_at(st, key, "%s", why);
    free(key);
    return FY_EINPUT;
}

/* ------------------------------------------------------------ reader */

static bool
blank(char c)
{
    return c == ' ' || c == '\t';
}

/* Parse a section line "[...]" (comment already removed). */
static enum fy_rc
section_line(struct ini_state *st, const char *p, size_t n, char *out, int num)
{
    if (n < 2 || p[n - 1] != ']')
        return fail_at(st, NULL, "section line without a closing ']'");
    p++;
    n -= 2;
    while (n > 0 && blank(*p)) {
        p++;
        n--;
    }
    while (n > 0 && blank(p[n - 1]))
        n--;
    struct session *s = st->s;
    if (n == 9 && memcmp(p, "workspace", 9) == 0) {
        if (s->ws.present)
            return fail_at(st, NULL,
                           "[workspace] given twice (first on line %d)",
                           s->ws.line);
        s->ws.present = true;
        s->ws.line = st->lineno;
        st->sec = SEC_WS;
        snprintf(out, (size_t)num, "[w]\n");
        return FY_OK;
    }
    if (n == 7 && memcmp(p, "network", 7) == 0) {
        if (st->net_line != 0)
            return fail_at(st, NULL, "[network] given twice (first on line %d)",
                           st->net_line);
        st->net_line = st->lineno;
        st->sec = SEC_NET;
        snprintf(out, (size_t)num, "[n]\n");
        return FY_OK;
    }
    if (n > 6 && memcmp(p, "bundle", 6) == 0 && blank(p[6])) {
        const char *q = p + 6;
        size_t m = n - 6;
        while (m > 0 && blank(*q)) {
            q++;
            m--;
        }
        if (m < 2 || q[0] != '"' || q[m - 1] != '"')
            return fail_at(st, NULL,
                           "a bundle section is [bundle \"NAME\"], with the "
                           "name in double quotes");
        q++;
        m -= 2;
        if (m == 0 || m > SESSION_NAME_MAX)
            return fail_at(st, NULL, "a bundle name is 1 to %d characters",
                           SESSION_NAME_MAX);
        for (size_t i = 0; i < m; i++)
            if (!isalnum((unsigned char)q[i]) && q[i] != '-' && q[i] != '_' &&
                q[i] != '.')
                return fail_at(st, NULL,
                               "bundle name: only letters, digits, '-', '_' "
                               "and '.'");
        for (size_t i = 0; i < s->nbundles; i++)
            if (strlen(s->bundles[i].name) == m &&
                memcmp(s->bundles[i].name, q, m) == 0)
                return fail_at(st, NULL,
                               "[bundle \"%.*s\"] given twice (first on line "
                               "%d)",
                               (int)m, q, s->bundles[i].line);
        if (s->nbundles >= SESSION_BUNDLES_MAX)
            return fail_at(st, NULL, "more than %d bundles",
                           SESSION_BUNDLES_MAX);
        s->bundles =
            xrealloc(s->bundles, (s->nbundles + 1) * sizeof *s->bundles);
        st->bundle_keys = xrealloc(st->bundle_keys,
                                   (s->nbundles + 1) * sizeof *st->bundle_keys);
        struct session_bundle *b = &s->bundles[s->nbundles];
        memset(b, 0, sizeof *b);
        b->name = xmalloc(m + 1);
        memcpy(b->name, q, m);
        b->name[m] = '\0';
        b->select = (struct strlist)STRLIST_INIT;
        b->seed_time = -1;
        b->line = st->lineno;
        st->bundle_keys[s->nbundles] = 0;
        st->bundle = s->nbundles++;
        st->sec = SEC_BUNDLE;
        snprintf(out, (size_t)num, "[b%zu]\n", st->bundle);
        return FY_OK;
    }
    char shown[48];
    bool plain = n < sizeof shown - 8;
    for (size_t i = 0; i < n && plain; i++)
        plain = isprint((unsigned char)p[i]);
    snprintf(shown, sizeof shown, "%.*s", plain ? (int)n : 0, p);
    return fail_at(st, NULL,
                   "unknown section [%s] (expected [workspace], [bundle "
                   "\"NAME\"] or [network])",
                   plain ? shown : "...");
}

static char *
reader(char *str, int num, void *stream)
{
    struct ini_state *st = stream;
    free(st->rest);
    st->rest = NULL;
    if (st->failed || num < 16)
        return NULL;
    if (st->p >= st->end) {
        if (st->truncated) {
            st->lineno++;
            fail_at(st, NULL, "the manifest is longer than %d KiB",
                    SESSION_FILE_MAX / 1024);
        }
        return NULL;
    }
    st->lineno++;
    size_t avail = (size_t)(st->end - st->p);
    size_t look = avail < SESSION_LINE_MAX + 2 ? avail : SESSION_LINE_MAX + 2;
    const char *nl = memchr(st->p, '\n', look);
    size_t n = nl ? (size_t)(nl - st->p) : look;
    if (n > SESSION_LINE_MAX) {
        char *key = raw_key(st->p, 64);
        fail_at(st, key, "line longer than %d KiB", SESSION_LINE_MAX / 1024);
        free(key);
        return NULL;
    }
    if (nl == NULL && st->truncated) {
        char *key = raw_key(st->p, n < 64 ? n : 64);
        fail_at(st, key, "the manifest is longer than %d KiB",
                SESSION_FILE_MAX / 1024);
        free(key);
        return NULL;
    }
    const char *p = st->p;
    st->p = nl ? nl + 1 : st->end;
    if (check_line(st, p, n) != FY_OK)
        return NULL;
    if (st->lineno == 1 && n >= 3 && memcmp(p, "\xef\xbb\xbf", 3) == 0) {
        p += 3; /* a UTF-8 BOM */
        n -= 3;
    }
    if (n > 0 && p[n - 1] == '\r')
        n--;
    while (n > 0 && blank(*p)) {
        p++;
        n--;
    }
    if (n == 0 || *p == ';' || *p == '#') {
        snprintf(str, (size_t)num, "\n");
        return str;
    }
    for (size_t i = 1; i < n; i++)
        if (p[i] == ';' && blank(p[i - 1])) {
            n = i;
            break;
        }
    while (n > 0 && blank(p[n - 1]))
        n--;
    if (*p == '[')
        return section_line(st, p, n, str, num) == FY_OK ? str : NULL;
    size_t room = (size_t)num - 3; /* text, MARK or \n, \n, NUL */
    if (n <= room) {
        memcpy(str, p, n);
        str[n] = '\n';
        str[n + 1] = '\0';
        return str;
    }
    size_t k = room - 1;
    memcpy(str, p, k);
    str[k] = MARK;
    str[k + 1] = '\n';
    str[k + 2] = '\0';
    st->rest = xmalloc(n - k + 1);
    memcpy(st->rest, p + k, n - k);
    st->rest[n - k] = '\0';
    return str;
}

/* ------------------------------------------------------------ values */

/*
 * v with $VAR, ${VAR} and "$$" expanded, and a leading ~ or ~/ as the home
 * directory if tilde; NULL (error recorded at key) if a variable is unset
 * or malformed, or the result is too long.  Caller frees.
 */
static char *
expand(struct ini_state *st, const char *key, const char *v, bool tilde)
{
    struct sbuf sb = SBUF_INIT;
    if (tilde && v[0] == '~' && (v[1] == '\0' || v[1] == '/')) {
        char *home = fs_home_dir();
        if (home == NULL) {
            fail_at(st, key, "'~': no home directory ($HOME is not set)");
            return NULL;
        }
        sbuf_adds(&sb, home);
        free(home);
        v++;
    } else if (tilde && v[0] == '~') {
        fail_at(st, key, "'~USER' is not supported (write the path)");
        return NULL;
    }
    while (*v) {
        if (*v != '$') {
            sbuf_add(&sb, v, 1);
            v++;
            continue;
        }
        v++;
        if (*v == '$') {
            sbuf_add(&sb, "$", 1);
            v++;
            continue;
        }
        bool brace = *v == '{';
        if (brace)
            v++;
        size_t k = 0;
        if (isalpha((unsigned char)v[0]) || v[0] == '_')
            while (isalnum((unsigned char)v[k]) || v[k] == '_')
                k++;
        if (k == 0 || k > 64 || (brace && v[k] != '}')) {
            sbuf_release(&sb);
            fail_at(st, key,
                    "'$' not followed by a variable name ($VAR or ${VAR}; $$ "
                    "for a '$')");
            return NULL;
        }
        char name[65];
        memcpy(name, v, k);
        name[k] = '\0';
        const char *val = getenv(name);
        if (val == NULL) {
            sbuf_release(&sb);
            fail_at(st, key, "$%s is not set", name);
            return NULL;
        }
        sbuf_adds(&sb, val);
        v += k + (brace ? 1 : 0);
        if (sb.len > SESSION_LINE_MAX) {
            sbuf_release(&sb);
            fail_at(st, key, "longer than %d KiB once expanded",
                    SESSION_LINE_MAX / 1024);
            return NULL;
        }
    }
    sbuf_add(&sb, "", 0);
    return sbuf_detach(&sb);
}

/* A path value: expanded, relative ones below the manifest's directory. */
static char *
path_value(struct ini_state *st, const char *key, const char *v)
{
    char *e = expand(st, key, v, true);
    if (e == NULL)
        return NULL;
    if (*e == '\0') {
        free(e);
        fail_at(st, key, "empty once expanded");
        return NULL;
    }
    if (*e != '/' && strcmp(st->dir, ".") != 0) {
        char *j = xasprintf("%s/%s", st->dir, e);
        free(e);
        e = j;
    }
    return e;
}

/* "GLOB GLOB ..." split on blanks into l. */
static void
split_words(struct strlist *l, const char *v)
{
    while (*v) {
        while (blank(*v))
            v++;
        size_t k = strcspn(v, " \t");
        if (k == 0)
            break;
        char *w = xmalloc(k + 1);
        memcpy(w, v, k);
        w[k] = '\0';
        strlist_add(l, w);
        free(w);
        v += k;
    }
}

/* yes/no, true/false, on/off, 1/0: 1 or 0, -1 if none of them. */
static int
boolean(const char *v)
{
    static const char *const yes[] = {"yes", "true", "on", "1"};
    static const char *const no[] = {"no", "false", "off", "0"};
    for (size_t i = 0; i < 4; i++) {
        if (strcasecmp(v, yes[i]) == 0)
            return 1;
        if (strcasecmp(v, no[i]) == 0)
            return 0;
    }
    return -1;
}

/* A parse.h parser's error, moved to the manifest's line. */
static enum fy_rc
moved(struct ini_state *st, const char *key, struct fy_err *e)
{
    /* e->msg is "KEY: why": drop the "KEY: " the parser put first */
    const char *why = e->msg;
    size_t k = strlen(key);
    if (strncmp(why, key, k) == 0 && strncmp(why + k, ": ", 2) == 0)
        why += k + 2;
    return fail_at(st, key, "%s", why);
}

/* A value that is short and shown in messages (checked UTF-8 already). */
static const char *
shown(const char *v)
{
    return strlen(v) <= 80 ? v : "(a long value)";
}

static enum fy_rc
source_value(struct ini_state *st, struct session_bundle *b, const char *v)
{
    struct fy_err e = FY_ERR_INIT;
    if (magnet_is(v)) {
        char hex[41];
        if (magnet_check(v, hex, &e) != FY_OK)
            return moved(st, "source", &e);
        b->source = xstrdup(v);
        return FY_OK;
    }
    if (strstr(v, "://") != NULL) {
        if (strncasecmp(v, "http://", 7) != 0 &&
            strncasecmp(v, "https://", 8) != 0 &&
            strncasecmp(v, "file://", 7) != 0)
            return fail_at(st, "source",
                           "a magnet link, a .torrent file, or an http://, "
                           "https:// or file:// URL of one");
        struct remote_url u = REMOTE_URL_INIT;
        if (remote_url_parse(v, &u, &e) != FY_OK) {
            remote_url_release(&u);
            return fail_at(st, "source", "%s", e.msg);
        }
        remote_url_release(&u);
        b->source = xstrdup(v);
        return FY_OK;
    }
    b->source = path_value(st, "source", v);
    return b->source ? FY_OK : FY_EINPUT;
}

static enum fy_rc
remote_value(struct ini_state *st, const char *v)
{
    char *e = expand(st, "remote", v, false);
    if (e == NULL)
        return FY_EINPUT;
    struct fy_err fe = FY_ERR_INIT;
    struct remote_url u = REMOTE_URL_INIT;
    /* a save set (ending in '/', incr.h): checked as an object in it */
    size_t n = strlen(e);
    char *probe = n > 0 && e[n - 1] == '/' ? xasprintf("%sx", e) : NULL;
    enum fy_rc rc = remote_url_parse(probe ? probe : e, &u, &fe);
    free(probe);
    remote_url_release(&u);
    if (rc != FY_OK) {
        free(e);
        return fail_at(st, "remote", "%s", fe.msg);
    }
    st->s->ws.remote = e;
    return FY_OK;
}

/* Has key (bit) been given in this section?  Note it if not. */
static bool
again(struct ini_state *st, unsigned *seen, unsigned bit, const char *key)
{
    if (*seen & bit) {
        fail_at(st, key, "given twice in this section");
        return true;
    }
    *seen |= bit;
    return false;
}

static enum fy_rc
ws_key(struct ini_state *st, const char *key, const char *v)
{
    struct session_workspace *ws = &st->s->ws;
    struct fy_err e = FY_ERR_INIT;
    if (strcmp(key, "path") == 0) {
        if (again(st, &st->ws_keys, K_PATH, key))
            return FY_EINPUT;
        ws->path = path_value(st, key, v);
        return ws->path ? FY_OK : FY_EINPUT;
    }
    if (strcmp(key, "remote") == 0) {
        if (again(st, &st->ws_keys, K_REMOTE, key))
            return FY_EINPUT;
        return remote_value(st, v);
    }
    if (strcmp(key, "exclude") == 0) {
        split_words(&ws->exclude, v); /* may be given on several lines */
        st->ws_keys |= K_EXCLUDE;
        return FY_OK;
    }
    if (strcmp(key, "keep") == 0) {
        int64_t n;
        if (again(st, &st->ws_keys, K_KEEP, key))
            return FY_EINPUT;
        if (parse_i64(key, v, 0, SESSION_KEEP_MAX, &n, &e) != FY_OK)
            return moved(st, key, &e);
        ws->keep = (int)n;
        return FY_OK;
    }
    if (strcmp(key, "autosave") == 0) {
        if (again(st, &st->ws_keys, K_AUTOSAVE, key))
            return FY_EINPUT;
        if (boolean(v) == 0) {
            ws->autosave = 0;
            return FY_OK;
        }
        if (parse_duration(key, v, SESSION_DURATION_MAX, &ws->autosave, &e) !=
            FY_OK)
            return moved(st, key, &e);
        if (ws->autosave > 0 && ws->autosave < 1)
            return fail_at(st, key, "'%s' is less than 1s", shown(v));
        return FY_OK;
    }
    return fail_at(st, key,
                   "unknown key in [workspace] (path, remote, exclude, keep, "
                   "autosave)");
}

static enum fy_rc
bundle_key(struct ini_state *st, const char *key, const char *v)
{
    struct session_bundle *b = &st->s->bundles[st->bundle];
    unsigned *seen = &st->bundle_keys[st->bundle];
    struct fy_err e = FY_ERR_INIT;
    if (strcmp(key, "source") == 0) {
        if (again(st, seen, K_SOURCE, key))
            return FY_EINPUT;
        return source_value(st, b, v);
    }
    if (strcmp(key, "dest") == 0) {
        if (again(st, seen, K_DEST, key))
            return FY_EINPUT;
        b->dest = path_value(st, key, v);
        return b->dest ? FY_OK : FY_EINPUT;
    }
    if (strcmp(key, "select") == 0) {
        split_words(&b->select, v);
        *seen |= K_SELECT;
        return FY_OK;
    }
    if (strcmp(key, "seed-time") == 0) {
        if (again(st, seen, K_SEED, key))
            return FY_EINPUT;
        if (parse_duration(key, v, SESSION_DURATION_MAX, &b->seed_time, &e) !=
            FY_OK)
            return moved(st, key, &e);
        return FY_OK;
    }
    return fail_at(st, key,
                   "unknown key in [bundle \"%s\"] (source, dest, select, "
                   "seed-time)",
                   b->name);
}

static enum fy_rc
net_key(struct ini_state *st, const char *key, const char *v)
{
    struct session_network *n = &st->s->net;
    struct fy_err e = FY_ERR_INIT;
    if (strcmp(key, "listen") == 0) {
        if (again(st, &st->net_keys, K_LISTEN, key))
            return FY_EINPUT;
        if (parse_hostport(key, v, true, &e) != FY_OK)
            return moved(st, key, &e);
        n->listen = xstrdup(v);
        return FY_OK;
    }
    static const struct {
        const char *name;
        unsigned bit;
    } flags[] = {{"dht", K_DHT}, {"lsd", K_LSD}, {"upnp", K_UPNP}};
    for (size_t i = 0; i < 3; i++) {
        if (strcmp(key, flags[i].name) != 0)
            continue;
        if (again(st, &st->net_keys, flags[i].bit, key))
            return FY_EINPUT;
        int f = boolean(v);
        if (f < 0)
            return fail_at(st, key, "'%s' is not yes or no", shown(v));
        *(i == 0 ? &n->dht : i == 1 ? &n->lsd : &n->upnp) = f;
        return FY_OK;
    }
    if (strcmp(key, "max-down") == 0 || strcmp(key, "max-up") == 0) {
        bool down = key[4] == 'd';
        if (again(st, &st->net_keys, down ? K_MAXDOWN : K_MAXUP, key))
            return FY_EINPUT;
        if (parse_rate(key, v, down ? &n->max_down : &n->max_up, &e) != FY_OK)
            return moved(st, key, &e);
        return FY_OK;
    }
    return fail_at(st, key,
                   "unknown key in [network] (listen, dht, lsd, upnp, "
                   "max-down, max-up)");
}

static int
handler(void *user, const char *section, const char *name, const char *value)
{
    struct ini_state *st = user;
    if (st->failed)
        return 0;
    char *v;
    size_t n = strlen(value);
    if (st->rest != NULL && n > 0 && value[n - 1] == MARK) {
        struct sbuf sb = SBUF_INIT;
        sbuf_add(&sb, value, n - 1);
        sbuf_adds(&sb, st->rest);
        v = sbuf_detach(&sb);
        size_t k = 0;
        while (blank(v[k]))
            k++;
        memmove(v, v + k, strlen(v + k) + 1);
    } else if (st->rest != NULL) {
        /* the cut fell in the name: libinih saw no '=' there, or a name
         * of about 200 bytes */
        fail_at(st, NULL, "key name too long");
        return 0;
    } else {
        v = xstrdup(value);
    }
    char key[64];
    bool plain = strlen(name) < sizeof key;
    for (const char *c = name; *c && plain; c++)
        plain = isalnum((unsigned char)*c) || *c == '-' || *c == '_';
    snprintf(key, sizeof key, "%s", plain ? name : "?");
    enum fy_rc rc;
    if (!plain)
        rc = fail_at(st, NULL, "'%s' is not a key name", shown(name));
    else if (*v == '\0')
        rc = fail_at(st, key, "empty value");
    else if (*section == '\0')
        rc = fail_at(st, key,
                     "outside any section ([workspace], [bundle \"NAME\"], "
                     "[network])");
    else if (st->sec == SEC_WS)
        rc = ws_key(st, key, v);
    else if (st->sec == SEC_NET)
        rc = net_key(st, key, v);
    else
        rc = bundle_key(st, key, v);
    free(v);
    return rc == FY_OK ? 1 : 0;
}

/* ------------------------------------------------------------ loading */

/* No two parts may write into each other (a restore replaces its tree). */
static enum fy_rc
check_overlaps(struct ini_state *st)
{
    const struct session *s = st->s;
    for (size_t i = 0; i < s->nbundles; i++) {
        const struct session_bundle *b = &s->bundles[i], *o = s->bundles;
        st->lineno = b->line;
        if (s->ws.present && fs_paths_overlap(b->dest, s->ws.path))
            return fail_at(st, "dest",
                           "'%s' overlaps the workspace's path "
                           "'%s' (line %d)",
                           b->dest, s->ws.path, s->ws.line);
        for (; o < b; o++) {
            if (fs_paths_overlap(b->dest, o->dest))
                return fail_at(st, "dest",
                               "'%s' overlaps bundle \"%s\"'s "
                               "(line %d)",
                               b->dest, o->name, o->line);
            if (strcmp(b->source, o->source) == 0)
                return fail_at(st, "source",
                               "the same as bundle \"%s\"'s "
                               "(line %d)",
                               o->name, o->line);
        }
    }
    return FY_OK;
}

/* Required keys and the checks across sections; lineno set per section. */
static enum fy_rc
check_whole(struct ini_state *st)
{
    struct session *s = st->s;
    if (s->ws.present) {
        st->lineno = s->ws.line;
        if (s->ws.path == NULL || s->ws.remote == NULL)
            return fail_at(st, s->ws.path == NULL ? "path" : "remote",
                           "missing in [workspace]");
    }
    for (size_t i = 0; i < s->nbundles; i++) {
        const struct session_bundle *b = &s->bundles[i];
        st->lineno = b->line;
        if (b->source == NULL)
            return fail_at(st, "source", "missing in [bundle \"%s\"]", b->name);
        if (b->dest == NULL)
            return fail_at(st, "dest", "missing in [bundle \"%s\"]", b->name);
    }
    if (!s->ws.present && s->nbundles == 0) {
        st->lineno = 1;
        return fail_at(st, NULL,
                       "nothing to do: no [workspace] and no "
                       "[bundle \"NAME\"] section");
    }
    return check_overlaps(st);
}

/* Which file: -f path, ./ferry.ini, $XDG_CONFIG_HOME/ferry/ferry.ini. */
static enum fy_rc
find_manifest(const char *path, char **out, struct fy_err *err)
{
    if (path != NULL) {
        *out = xstrdup(path);
        return FY_OK;
    }
    if (access("ferry.ini", F_OK) == 0) {
        *out = xstrdup("ferry.ini");
        return FY_OK;
    }
    const char *x = getenv("XDG_CONFIG_HOME");
    char *cand;
    if (x != NULL && *x == '/') {
        cand = xasprintf("%s/ferry/ferry.ini", x);
    } else {
        char *home = fs_home_dir();
        if (home == NULL)
            return fy_fail(err, FY_EINPUT,
                           "ferry.ini: not found (no ./ferry.ini, no home "
                           "directory; give -f FILE)");
        cand = xasprintf("%s/.config/ferry/ferry.ini", home);
        free(home);
    }
    if (access(cand, F_OK) != 0) {
        fy_fail(err, FY_EINPUT,
                "ferry.ini: not found (not in the current directory, nor "
                "%s; give -f FILE)",
                cand);
        free(cand);
        return FY_EINPUT;
    }
    *out = cand;
    return FY_OK;
}

/* Read at most max + 1 bytes of a regular file (no FIFO, no device). */
static enum fy_rc
read_bounded(const char *path, size_t max, struct sbuf *sb, struct fy_err *err)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
    if (fd < 0)
        return fy_fail_errno(err, errno == ENOENT ? FY_EINPUT : FY_ERUNTIME,
                             "%s", path);
    struct stat sst;
    if (fstat(fd, &sst) != 0 || !S_ISREG(sst.st_mode)) {
        close(fd);
        return fy_fail(err, FY_EINPUT, "%s: not a regular file", path);
    }
    char buf[65536];
    while (sb->len <= max) {
        size_t want = max + 1 - sb->len;
        ssize_t r = read(fd, buf, want < sizeof buf ? want : sizeof buf);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            close(fd);
            return fy_fail_errno(err, FY_ERUNTIME, "%s", path);
        }
        if (r == 0)
            break;
        sbuf_add(sb, buf, (size_t)r);
    }
    close(fd);
    return FY_OK;
}

enum fy_rc
session_parse(const char *text,
              size_t len,
              bool truncated,
              const char *file,
              struct session *s,
              struct fy_err *err)
{
    memset(s, 0, sizeof *s);
    s->file = xstrdup(file);
    s->ws.exclude = (struct strlist)STRLIST_INIT;
    s->ws.keep = SESSION_KEEP_DEFAULT;
    s->net.dht = s->net.lsd = s->net.upnp = -1;
    char *dir = xstrdup(file);
    char *slash = strrchr(dir, '/');
    if (slash == NULL)
        snprintf(dir, strlen(dir) + 1, ".");
    else if (slash == dir)
        slash[1] = '\0';
    else
        *slash = '\0';
    struct ini_state st = {0};
    st.s = s;
    st.file = file;
    st.dir = dir;
    st.p = text;
    st.end = text + len;
    st.truncated = truncated;
    st.err = err;
    int bad = ini_parse_stream(reader, &st, handler, &st);
    free(st.rest);
    st.rest = NULL;
    if (bad > 0 && (!st.failed || bad < st.errline)) {
        st.failed = false;
        st.lineno = bad;
        fy_err_clear(err);
        fail_at(&st, NULL, "expected [section], key = value or a comment");
    } else if (bad < 0 && !st.failed) {
        fy_fail(err, FY_ERUNTIME, "%s: cannot parse (out of memory)", file);
        st.failed = true;
    }
    if (!st.failed)
        check_whole(&st);
    free(st.bundle_keys);
    free(dir);
    if (st.failed) {
        enum fy_rc rc = err->rc;
        session_release(s);
        return rc;
    }
    return FY_OK;
}

enum fy_rc
session_load(const char *path, struct session *s, struct fy_err *err)
{
    memset(s, 0, sizeof *s);
    char *file = NULL;
    enum fy_rc rc = find_manifest(path, &file, err);
    if (rc != FY_OK)
        return rc;
    struct sbuf sb = SBUF_INIT;
    rc = read_bounded(file, SESSION_FILE_MAX, &sb, err);
    if (rc == FY_OK) {
        bool truncated = sb.len > SESSION_FILE_MAX;
        rc = session_parse(sb.buf ? sb.buf : "",
                           truncated ? SESSION_FILE_MAX : sb.len, truncated,
                           file, s, err);
    }
    sbuf_release(&sb);
    free(file);
    return rc;
}

void
session_release(struct session *s)
{
    if (s == NULL)
        return;
    free(s->file);
    free(s->ws.path);
    free(s->ws.remote);
    strlist_release(&s->ws.exclude);
    for (size_t i = 0; i < s->nbundles; i++) {
        free(s->bundles[i].name);
        free(s->bundles[i].source);
        free(s->bundles[i].dest);
        strlist_release(&s->bundles[i].select);
    }
    free(s->bundles);
    free(s->net.listen);
    memset(s, 0, sizeof *s);
}
