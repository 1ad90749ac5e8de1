/*
 * glob.c - the gitignore-like glob dialect of include/ferry/glob.h: rule
 * parsing, pattern compilation and a matcher that never backtracks.
 *
 * A pattern compiles to a list of tokens: a literal byte, '?', a byte set,
 * '*', "**" + "/" (zero or more whole directories) and a trailing "**"
 * (anything).  Matching keeps the set of tokens the text read so far can
 * have reached (Thompson's construction: each token is one state, the
 * state after the last token accepts) and advances it one text byte at a
 * time.  Work is O(tokens x text) and no input can make it more: a
 * backtracking matcher is exponential in the number of stars
 * ("*a*a*a*a*a*a*a*a*a*a*b" took 13 s against a 40-byte name).
 *
 * Invariant kept by glob_pat_compile(): at most two zero-width tokens
 * ('*', "**") in a row ("**" + "/" + "*"), so tokens <= 3 x (bytes the
 * pattern needs) + 2; a text shorter than what the pattern needs is refused
 * before any work, which bounds one match by O(text length^2) whatever the
 * pattern length.
 */
#include "ferry/glob.h"

#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ferry/xalloc.h"

enum tok_kind {
    TK_BYTE, /* one given byte */
    TK_ANY,  /* '?': one byte but '/' */
    TK_SET,  /* "[...]": one byte of a set ('/' never) */
    TK_STAR, /* '*': any run of bytes but '/' */
    TK_DIRS, /* "**" + "/": zero or more "name/" */
    TK_ALL,  /* trailing "**": any run of bytes */
};

struct tok {
    unsigned char kind;
    unsigned char byte; /* TK_BYTE */
    size_t set;         /* TK_SET: index into sets */
};

struct glob_pat {
    struct tok *tok;
    size_t ntok;
    size_t need; /* bytes the text needs at least: BYTE/ANY/SET tokens */
    uint8_t (*sets)[32];
    size_t nsets;
};

/* ------------------------------------------------------------- compile */

static void
set_add(uint8_t *set, unsigned lo, unsigned hi)
{
    for (unsigned c = lo; c <= hi && c < 256; c++)
        set[c >> 3] |= (uint8_t)(1u << (c & 7));
}

static bool
set_has(const uint8_t *set, unsigned char c)
{
    return (set[c >> 3] >> (c & 7)) & 1;
}

/* Add the POSIX class name[0..len) ("alpha", "digit"...); an unknown name
 * adds nothing. */
static void
set_add_class(uint8_t *set, const char *name, size_t len)
{
    static const struct {
        const char *name;
        int (*is)(int);
    } classes[] = {
        {"alnum", isalnum}, {"alpha", isalpha}, {"blank", isblank},
        {"cntrl", iscntrl}, {"digit", isdigit}, {"graph", isgraph},
        {"lower", islower}, {"print", isprint}, {"punct", ispunct},
        {"space", isspace}, {"upper", isupper}, {"xdigit", isxdigit},
    };
    for (size_t i = 0; i < sizeof classes / sizeof classes[0]; i++) {
        if (strlen(classes[i].name) != len ||
            memcmp(classes[i].name, name, len) != 0)
            continue;
        for (unsigned c = 0; c < 128; c++) /* ASCII only, locale-free */
            if (classes[i].is((int)c))
                set_add(set, c, c);
        return;
    }
}

/*
 * Parse the bracket expression at pat[i] == '[' into set.  Returns the
 * index after its ']', or 0 if it is not terminated (then the '[' is a
 * literal byte).
 */
static size_t
parse_set(const char *pat, size_t len, size_t i, uint8_t *set)
{
    size_t p = i + 1;
    bool neg = false;
    memset(set, 0, 32);
    if (p < len && (pat[p] == '!' || pat[p] == '^')) {
        neg = true;
        p++;
    }
    size_t first = p;
    while (p < len && (pat[p] != ']' || p == first)) {
        if (pat[p] == '[' && p + 1 < len && pat[p + 1] == ':') {
            const char *end = NULL;
            for (size_t q = p + 2; q + 1 < len && end == NULL; q++)
                if (pat[q] == ':' && pat[q + 1] == ']')
                    end = pat + q;
            if (end != NULL) {
                set_add_class(set, pat + p + 2, (size_t)(end - pat) - p - 2);
                p = (size_t)(end - pat) + 2;
                continue;
            }
        }
        if (pat[p] == '\\' && p + 1 < len)
            p++;
        unsigned char lo = (unsigned char)pat[p++], hi = lo;
        if (p + 1 < len && pat[p] == '-' && pat[p + 1] != ']') {
            p++;
            if (pat[p] == '\\' && p + 1 < len)
                p++;
            hi = (unsigned char)pat[p++];
        }
        if (lo <= hi)
            set_add(set, lo, hi);
    }
    if (p >= len)
        return 0;
    if (neg)
        for (size_t k = 0; k < 32; k++)
            set[k] = (uint8_t)~set[k];
    set['/' >> 3] &= (uint8_t) ~(1u << ('/' & 7));
    return p + 1;
}

static bool
zero_width(const struct tok *t)
{
    return t->kind == TK_STAR || t->kind == TK_DIRS || t->kind == TK_ALL;
}

static void
emit(struct glob_pat *g, struct tok t)
{
    struct tok *last = g->ntok > 0 ? &g->tok[g->ntok - 1] : NULL;
    /* "**" + "/" twice is once; "**" + "/" + "**" is "**" (a '*' run is
     * one token already, and "**" needs a '/' before it) */
    if (last != NULL && last->kind == TK_DIRS &&
        (t.kind == TK_DIRS || t.kind == TK_ALL)) {
        *last = t;
        return;
    }
    g->tok[g->ntok++] = t;
    if (!zero_width(&t))
        g->need++;
}

struct glob_pat *
glob_pat_compile(const char *pat, size_t len)
{
    struct glob_pat *g = xcalloc(1, sizeof *g);
    g->tok = xcalloc(len + 1, sizeof *g->tok);
    size_t nbrackets = 0;
    for (size_t i = 0; i < len; i++)
        nbrackets += pat[i] == '[';
    if (nbrackets > 0)
        g->sets = xcalloc(nbrackets, sizeof *g->sets);
    size_t i = 0;
    while (i < len) {
        struct tok t = {TK_BYTE, (unsigned char)pat[i], 0};
        if (pat[i] == '\\' && i + 1 < len) {
            t.byte = (unsigned char)pat[i + 1];
            i += 2;
        } else if (pat[i] == '?') {
            t.kind = TK_ANY;
            i++;
        } else if (pat[i] == '[') {
            size_t end = parse_set(pat, len, i, g->sets[g->nsets]);
            if (end != 0) {
                t.kind = TK_SET;
                t.set = g->nsets++;
                i = end;
            } else {
                i++;
            }
        } else if (pat[i] == '*') {
            size_t j = i;
            while (j < len && pat[j] == '*')
                j++;
            /* "**" is special only as a whole path component */
            const struct tok *last = g->ntok ? &g->tok[g->ntok - 1] : NULL;
            bool before =
                i == 0 || (last != NULL && last->kind == TK_DIRS) ||
                (last != NULL && last->kind == TK_BYTE && last->byte == '/');
            bool after = j == len || pat[j] == '/';
            t.kind = TK_STAR;
            if (j - i >= 2 && before && after) {
                t.kind = j == len ? TK_ALL : TK_DIRS;
                if (j < len)
                    j++; /* the '/' belongs to TK_DIRS */
            }
            i = j;
        } else {
            i++;
        }
        emit(g, t);
    }
    return g;
}

void
glob_pat_free(struct glob_pat *g)
{
    if (g == NULL)
        return;
    free(g->tok);
    free(g->sets);
    free(g);
}

/* --------------------------------------------------------------- match */

/* Follow the zero-width moves out of every live state, in order (moves
 * only go forward).  pos is the text offset reached, text its start. */
static void
closure(const struct glob_pat *g, uint8_t *live, const char *text, size_t pos)
{
    bool dir_start = pos == 0 || text[pos - 1] == '/';
    for (size_t i = 0; i < g->ntok; i++) {
        if (!live[i])
            continue;
        unsigned char k = g->tok[i].kind;
        if (k == TK_STAR || k == TK_ALL || (k == TK_DIRS && dir_start))
            live[i + 1] = 1;
    }
}

bool
glob_pat_match(const struct glob_pat *g, const char *text)
{
    size_t n = strlen(text);
    if (n < g->need)
        return false;
    uint8_t stack[2 * 128];
    size_t m = g->ntok + 1;
    uint8_t *buf = m <= 128 ? stack : xmalloc(2 * m);
    uint8_t *live = buf, *next = buf + m;
    memset(live, 0, m);
    live[0] = 1;
    closure(g, live, text, 0);
    for (size_t pos = 0; pos < n; pos++) {
        unsigned char c = (unsigned char)text[pos];
        bool any = false;
        memset(next, 0, m);
        for (size_t i = 0; i < g->ntok; i++) {
            if (!live[i])
                continue;
            const struct tok *t = &g->tok[i];
            size_t to = i + 1;
            bool ok;
            switch (t->kind) {
            case TK_BYTE:
                ok = c == t->byte;
                break;
            case TK_ANY:
                ok = c != '/';
                break;
            case TK_SET:
                ok = set_has(g->sets[t->set], c);
                break;
            case TK_STAR:
                ok = c != '/';
                to = i;
                break;
            default: /* TK_DIRS, TK_ALL: any byte */
                ok = true;
                to = i;
                break;
            }
            if (ok) {
                next[to] = 1;
                any = true;
            }
        }
        if (!any) {
            live[m - 1] = 0;
            break;
        }
        closure(g, next, text, pos + 1);
        uint8_t *tmp = live;
        live = next;
        next = tmp;
    }
    bool hit = live[m - 1] != 0;
    if (buf != stack)
        free(buf);
    return hit;
}

bool
glob_match(const char *pat, const char *text)
{
    struct glob_pat *g = glob_pat_compile(pat, strlen(pat));
    bool hit = glob_pat_match(g, text);
    glob_pat_free(g);
    return hit;
}

/* --------------------------------------------------------------- rules */

bool
glob_rule_parse(struct glob_rule *r, const char *line)
{
    memset(r, 0, sizeof *r);
    size_t n = strlen(line);
    /* drop a trailing CR and unescaped trailing spaces */
    if (n > 0 && line[n - 1] == '\r')
        n--;
    while (n > 0 && line[n - 1] == ' ' && !(n > 1 && line[n - 2] == '\\'))
        n--;
    if (n == 0 || line[0] == '#')
        return false;
    const char *p = line;
    bool negate = false, dir_only = false, anchored = false;
    if (*p == '!') {
        negate = true;
        p++;
        n--;
    } else if (p[0] == '\\' && (p[1] == '!' || p[1] == '#')) {
        p++;
        n--;
    }
    while (n > 0 && p[n - 1] == '/') {
        dir_only = true;
        n--;
    }
    if (memchr(p, '/', n) != NULL) {
        anchored = true;
        while (n > 0 && *p == '/') {
            p++;
            n--;
        }
    }
    if (n == 0)
        return false;
    r->pat = glob_pat_compile(p, n);
    r->negate = negate;
    r->dir_only = dir_only;
    r->anchored = anchored;
    return true;
}

void
glob_rule_release(struct glob_rule *r)
{
    glob_pat_free(r->pat);
    memset(r, 0, sizeof *r);
}

/* Does rule r match the entry at path (a directory if is_dir)? */
static bool
rule_hits(const struct glob_rule *r,
          const char *path,
          bool is_dir,
          unsigned flags)
{
    if (r->dir_only && !is_dir)
        return false;
    if (!r->anchored) {
        const char *base = strrchr(path, '/');
        return glob_pat_match(r->pat, base ? base + 1 : path);
    }
    if (glob_pat_match(r->pat, path))
        return true;
    const char *inner = strchr(path, '/');
    return (flags & GLOB_TOP_OPTIONAL) && inner != NULL &&
           glob_pat_match(r->pat, inner + 1);
}

const struct glob_rule *
glob_rules_last(const struct glob_rule *v,
                size_t n,
                const char *path,
                bool is_dir,
                unsigned flags)
{
    const struct glob_rule *hit = NULL;
    char *tmp = (flags & GLOB_PARENTS) ? xstrdup(path) : NULL;
    for (size_t i = n; i-- > 0 && hit == NULL;) {
        if (rule_hits(&v[i], path, is_dir, flags)) {
            hit = &v[i];
            break;
        }
        if (tmp == NULL)
            continue;
        /* each parent directory, from the top */
        for (char *s = strchr(tmp, '/'); s != NULL; s = strchr(s + 1, '/')) {
            *s = '\0';
            bool h = rule_hits(&v[i], tmp, true, flags);
            *s = '/';
            if (h) {
                hit = &v[i];
                break;
            }
        }
    }
    free(tmp);
    return hit;
}
