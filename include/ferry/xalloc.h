/*
 * xalloc.h - allocation that cannot fail, and one growable string.
 *
 * On out of memory these print "ferry: out of memory" and exit(1); temp
 * files are still removed by the fs.c registry (atexit).
 *
 * struct sbuf is the one growable string: SBUF_INIT, sbuf_add*(), then
 * sbuf_release() (back to SBUF_INIT) or sbuf_detach() (caller frees).
 * buf is always NUL-terminated once anything was added.
 */
#ifndef FERRY_XALLOC_H
#define FERRY_XALLOC_H

#include <stdbool.h>
#include <stddef.h>

#include "ferry/err.h"

#ifdef __cplusplus
extern "C" {
#endif

void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xasprintf(const char *fmt, ...) FY_PRINTF(1, 2);

struct sbuf {
    char *buf;
    size_t len, cap;
};
#define SBUF_INIT                                                              \
    {                                                                          \
        NULL, 0, 0                                                             \
    }

void sbuf_add(struct sbuf *sb, const void *data, size_t n);
void sbuf_adds(struct sbuf *sb, const char *s);
void sbuf_addf(struct sbuf *sb, const char *fmt, ...) FY_PRINTF(2, 3);
char *sbuf_detach(struct sbuf *sb);
void sbuf_release(struct sbuf *sb);

/* The value of one hex digit, or -1. */
int fy_hexval(char c);

/*
 * %XX-decode the len bytes at s into a new string (*out, caller frees).
 * False (and *out = NULL) on a malformed escape or %00.
 */
bool fy_pct_decode(const char *s, size_t len, char **out);

/* A list of borrowed or owned strings (repeatable options). */
struct strlist {
    char **v;
    size_t n, cap;
};
#define STRLIST_INIT                                                           \
    {                                                                          \
        NULL, 0, 0                                                             \
    }
/* Appends a copy of s. */
void strlist_add(struct strlist *l, const char *s);
void strlist_release(struct strlist *l);

#ifdef __cplusplus
}
#endif

#endif
