/*
 * remote_s3list.c - the pure half of S3 listing: the ListObjectsV2 query
 * (sorted and encoded, as libcurl 7.88 signs it as given) and a streaming
 * parser of its answer, fed as the bytes arrive, with expat.
 *
 * What it keeps true: the answer is hostile.  Memory is bounded whatever
 * it holds (no DTD, so no entity can expand; every text kept is at most
 * S3_LIST_MAX_TEXT bytes, a page at most S3_LIST_MAX_ITEMS entries and
 * S3_LIST_MAX_BYTES bytes; elements we do not use are skipped, not
 * kept); a page that says more follow must name a token that moves on;
 * every key starts with the prefix asked for.  Text quoted in a message
 * is escaped.
 */
#include "ferry/remote_list.h"

#include <expat.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ferry/out.h"
#include "ferry/remote_s3.h"
#include "ferry/xalloc.h"

#define MAX_DEPTH 16

/* ------------------------------------------------------------- query */

char *
s3_list_query(const char *prefix, const char *token, bool delimiter, int max)
{
    struct sbuf sb = SBUF_INIT;
    /* SigV4: parameters sorted by name, values encoded ('/' too) */
    if (token != NULL) {
        sbuf_adds(&sb, "continuation-token=");
        s3_uri_encode(&sb, token, false);
        sbuf_adds(&sb, "&");
    }
    if (delimiter)
        sbuf_adds(&sb, "delimiter=%2F&");
    sbuf_addf(&sb, "encoding-type=url&list-type=2&max-keys=%d", max);
    if (prefix != NULL && *prefix) {
        sbuf_adds(&sb, "&prefix=");
        s3_uri_encode(&sb, prefix, false);
    }
    return sbuf_detach(&sb);
}

bool
s3_parse_time(const char *s, int64_t *t)
{
    struct tm tm;
    memset(&tm, 0, sizeof tm);
    const char *p = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
    if (p == NULL)
        return false;
    if (*p == '.') {
        p++;
        if (*p < '0' || *p > '9')
            return false;
        while (*p >= '0' && *p <= '9')
            p++;
    }
    if (*p == 'Z')
        p++;
    if (*p != '\0')
        return false;
    *t = (int64_t)timegm(&tm);
    return true;
}

/* ------------------------------------------------------------ parser */

enum field {
    F_NONE,
    F_KEY,
    F_SIZE,
    F_MTIME,
    F_PREFIX,
    F_TRUNC,
    F_TOKEN,
    F_ENC
};
enum item { I_NONE, I_CONTENTS, I_PREFIXES };

struct s3_list_parser {
    XML_Parser xp;
    int depth;
    enum item item; /* inside Contents or CommonPrefixes (depth 2) */
    enum field field;
    int field_depth;
    struct sbuf text;
    struct s3_list_item cur;
    struct s3_list_item *items;
    size_t n, cap;
    int truncated; /* -1 absent, 0 false, 1 true */
    char *next_token;
    bool url_encoded;
    bool root_seen, final;
    size_t bytes;
    struct fy_err err; /* the first failure */
};

/* Record the first failure and stop expat. */
static void fail(struct s3_list_parser *p, const char *fmt, ...)
    FY_PRINTF(2, 3);

static void
fail(struct s3_list_parser *p, const char *fmt, ...)
{
    if (p->err.rc == FY_OK) {
        char msg[512];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(msg, sizeof msg, fmt, ap);
        va_end(ap);
        fy_fail(&p->err, FY_ERUNTIME, "%s", msg);
    }
    if (p->xp != NULL)
        XML_StopParser(p->xp, XML_FALSE);
}

/* "s3:Key" -> "Key": names are compared without a namespace prefix. */
static const char *
local_name(const char *name)
{
    const char *colon = strrchr(name, ':');
    return colon != NULL ? colon + 1 : name;
}

/* An element name as a message may quote it: escaped, at most 64 bytes. */
static char *
quote_name(const char *name)
{
    char *cut = xasprintf("%.64s", name);
    char *esc = out_escape(cut);
    free(cut);
    return esc;
}

static void
collect(struct s3_list_parser *p, enum field f)
{
    p->field = f;
    p->field_depth = p->depth;
    p->text.len = 0;
    sbuf_add(&p->text, "", 0);
}

static void XMLCALL
on_start(void *arg, const XML_Char *name, const XML_Char **atts)
{
    struct s3_list_parser *p = arg;
    const char *n = local_name(name);
    (void)atts;
    p->depth++;
    if (p->err.rc != FY_OK)
        return;
    if (p->depth > MAX_DEPTH) {
        fail(p, "elements nested more than %d deep", MAX_DEPTH);
        return;
    }
    if (p->depth == 1) {
        p->root_seen = true;
        if (strcmp(n, "ListBucketResult") != 0) {
            char *q = quote_name(name);
            fail(p, "the answer is <%s>, not a ListBucketResult", q);
            free(q);
        }
        return;
    }
    if (p->depth == 2) {
        if (strcmp(n, "Contents") == 0 || strcmp(n, "CommonPrefixes") == 0) {
            p->item = strcmp(n, "Contents") == 0 ? I_CONTENTS : I_PREFIXES;
            memset(&p->cur, 0, sizeof p->cur);
            p->cur.size = -1;
            p->cur.prefix = p->item == I_PREFIXES;
        } else if (strcmp(n, "IsTruncated") == 0) {
            collect(p, F_TRUNC);
        } else if (strcmp(n, "NextContinuationToken") == 0) {
            collect(p, F_TOKEN);
        } else if (strcmp(n, "EncodingType") == 0) {
            collect(p, F_ENC);
        }
        return;
    }
    if (p->depth == 3 && p->field == F_NONE) {
        if (p->item == I_CONTENTS && strcmp(n, "Key") == 0)
            collect(p, F_KEY);
        else if (p->item == I_CONTENTS && strcmp(n, "Size") == 0)
            collect(p, F_SIZE);
        else if (p->item == I_CONTENTS && strcmp(n, "LastModified") == 0)
            collect(p, F_MTIME);
        else if (p->item == I_PREFIXES && strcmp(n, "Prefix") == 0)
            collect(p, F_PREFIX);
    }
}

/* A size as S3 writes it: decimal digits; -1 if it is not one. */
static int64_t
parse_size(const char *s)
{
    int64_t v = 0;
    if (*s == '\0')
        return -1;
    for (; *s; s++) {
        if (*s < '0' || *s > '9' || v > (INT64_MAX - 9) / 10)
            return -1;
        v = v * 10 + (*s - '0');
    }
    return v;
}

/* The text of the field that just ended goes where it belongs. */
static void
store(struct s3_list_parser *p)
{
    const char *t = p->text.buf;
    switch (p->field) {
    case F_KEY:
    case F_PREFIX:
        free(p->cur.key);
        p->cur.key = xstrdup(t);
        break;
    case F_SIZE:
        p->cur.size = parse_size(t);
        break;
    case F_MTIME:
        p->cur.has_mtime = s3_parse_time(t, &p->cur.mtime);
        break;
    case F_TRUNC:
        if (strcmp(t, "true") == 0 || strcmp(t, "false") == 0) {
            p->truncated = t[0] == 't';
        } else {
            char *q = quote_name(t);
            fail(p, "IsTruncated is '%s', not true or false", q);
            free(q);
        }
        break;
    case F_TOKEN:
        free(p->next_token);
        p->next_token = xstrdup(t);
        break;
    case F_ENC:
        p->url_encoded = strcmp(t, "url") == 0;
        break;
    case F_NONE:
        break;
    }
    p->field = F_NONE;
}

/* The Contents or CommonPrefixes that just ended joins the page. */
static void
push_item(struct s3_list_parser *p)
{
    if (p->cur.key == NULL) {
        fail(p, "%s without a %s",
             p->item == I_CONTENTS ? "an object (Contents)"
                                   : "a CommonPrefixes",
             p->item == I_CONTENTS ? "Key" : "Prefix");
        return;
    }
    if (p->n == S3_LIST_MAX_ITEMS) {
        free(p->cur.key);
        p->cur.key = NULL;
        fail(p, "more than %d entries in one page", S3_LIST_MAX_ITEMS);
        return;
    }
    if (p->n == p->cap) {
        p->cap = p->cap ? 2 * p->cap : 64;
        p->items = xrealloc(p->items, p->cap * sizeof *p->items);
    }
    p->items[p->n++] = p->cur;
    p->cur.key = NULL;
}

static void XMLCALL
on_end(void *arg, const XML_Char *name)
{
    struct s3_list_parser *p = arg;
    (void)name;
    if (p->err.rc == FY_OK) {
        if (p->field != F_NONE && p->depth == p->field_depth)
            store(p);
        if (p->depth == 2 && p->item != I_NONE && p->err.rc == FY_OK) {
            push_item(p);
            p->item = I_NONE;
        }
    }
    p->depth--;
}

static void XMLCALL
on_chars(void *arg, const XML_Char *s, int len)
{
    struct s3_list_parser *p = arg;
    if (p->field == F_NONE || p->err.rc != FY_OK || len <= 0)
        return;
    if (p->text.len + (size_t)len > S3_LIST_MAX_TEXT) {
        fail(p, "a key, prefix or token longer than %d bytes",
             S3_LIST_MAX_TEXT);
        return;
    }
    sbuf_add(&p->text, s, (size_t)len);
}

static void XMLCALL
on_doctype(void *arg,
           const XML_Char *name,
           const XML_Char *sysid,
           const XML_Char *pubid,
           int has_internal)
{
    (void)name;
    (void)sysid;
    (void)pubid;
    (void)has_internal;
    /* S3 never sends one; a DTD is how entities would expand */
    fail(arg, "the answer has a DTD (refused)");
}

struct s3_list_parser *
s3_list_parser_new(void)
{
    struct s3_list_parser *p = xcalloc(1, sizeof *p);
    p->text = (struct sbuf)SBUF_INIT;
    p->err = (struct fy_err)FY_ERR_INIT;
    p->truncated = -1;
    p->xp = XML_ParserCreate(NULL);
    if (p->xp == NULL) {
        fail(p, "out of memory (expat)");
        return p;
    }
    XML_SetUserData(p->xp, p);
    XML_SetElementHandler(p->xp, on_start, on_end);
    XML_SetCharacterDataHandler(p->xp, on_chars);
    XML_SetStartDoctypeDeclHandler(p->xp, on_doctype);
    return p;
}

enum fy_rc
s3_list_parser_feed(struct s3_list_parser *p,
                    const char *buf,
                    size_t len,
                    bool final,
                    struct fy_err *err)
{
    if (p->err.rc == FY_OK && p->final)
        fail(p, "data after the end of the answer");
    if (p->err.rc == FY_OK && len > S3_LIST_MAX_BYTES - p->bytes)
        fail(p, "a page larger than %u MiB", S3_LIST_MAX_BYTES >> 20);
    if (p->err.rc == FY_OK) {
        p->bytes += len;
        p->final = final;
        if (XML_Parse(p->xp, buf, (int)len, final) != XML_STATUS_OK &&
            p->err.rc == FY_OK)
            fail(p, "not well-formed XML: %s (line %lu)",
                 XML_ErrorString(XML_GetErrorCode(p->xp)),
                 (unsigned long)XML_GetCurrentLineNumber(p->xp));
    }
    if (p->err.rc != FY_OK)
        return fy_fail(err, p->err.rc, "%s", p->err.msg);
    return FY_OK;
}

/* S3's url encoding of a key: '+' is a space, %XX a byte. */
static bool
url_decode(char **key)
{
    for (char *c = *key; *c; c++)
        if (*c == '+')
            *c = ' ';
    char *dec = NULL;
    if (!fy_pct_decode(*key, strlen(*key), &dec))
        return false;
    free(*key);
    *key = dec;
    return true;
}

enum fy_rc
s3_list_parser_finish(struct s3_list_parser *p,
                      const char *prefix,
                      const char *sent_token,
                      struct s3_list_page *page,
                      struct fy_err *err)
{
    size_t plen = prefix != NULL ? strlen(prefix) : 0;
    memset(page, 0, sizeof *page);
    if (p->err.rc == FY_OK && (!p->final || !p->root_seen))
        fail(p, "the answer ended early");
    for (size_t i = 0; i < p->n && p->err.rc == FY_OK; i++) {
        struct s3_list_item *it = &p->items[i];
        if (p->url_encoded && !url_decode(&it->key)) {
            char *q = quote_name(it->key);
            fail(p, "a badly %%-encoded key: %s", q);
            free(q);
        } else if (it->key[0] == '\0') {
            fail(p, "an empty key");
        } else if (strncmp(it->key, prefix ? prefix : "", plen) != 0) {
            char *q = out_escape(it->key);
            fail(p, "a key outside the prefix asked for: %.200s", q);
            free(q);
        }
    }
    if (p->err.rc == FY_OK && p->truncated == 1) {
        if (p->next_token == NULL || p->next_token[0] == '\0')
            fail(p, "the listing is truncated but names no continuation "
                    "token");
        else if (sent_token != NULL && strcmp(p->next_token, sent_token) == 0)
            fail(p, "the continuation token does not move on (the same "
                    "page again)");
    }
    if (p->err.rc != FY_OK)
        return fy_fail(err, p->err.rc, "%s", p->err.msg);
    page->items = p->items;
    page->n = p->n;
    page->truncated = p->truncated == 1;
    page->next_token = page->truncated ? p->next_token : NULL;
    if (!page->truncated)
        free(p->next_token);
    p->items = NULL;
    p->n = p->cap = 0;
    p->next_token = NULL;
    return FY_OK;
}

void
s3_list_parser_free(struct s3_list_parser *p)
{
    if (p == NULL)
        return;
    if (p->xp != NULL)
        XML_ParserFree(p->xp);
    for (size_t i = 0; i < p->n; i++)
        free(p->items[i].key);
    free(p->items);
    free(p->cur.key);
    free(p->next_token);
    sbuf_release(&p->text);
    free(p);
}

void
s3_list_page_release(struct s3_list_page *page)
{
    for (size_t i = 0; i < page->n; i++)
        free(page->items[i].key);
    free(page->items);
    free(page->next_token);
    memset(page, 0, sizeof *page);
}
