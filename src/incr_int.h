/*
 * incr_int.h - what the files of the incremental sets (src/incr_*.c)
 * share: the state object, the set's listing, small objects and SHA-256.
 * Nothing outside them includes it (but the unit tests).
 */
#ifndef FERRY_INCR_INT_H
#define FERRY_INCR_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ferry/err.h"
#include "ferry/incr.h"
#include "ferry/stream.h"

struct out;
struct remote_opts;

#define INCR_LIST_MAX 100000 /* objects of a set considered */

/* A layer or index object named by a state. */
struct incr_obj {
    char *name;   /* "layer-00000003-1a2b3c4d.tar.zst", relative to the set */
    int64_t seq;  /* the state that wrote it */
    bool full;    /* a full layer */
    int64_t size; /* bytes */
    char sha256[65];
};

/* A parsed state object (doc/incremental.md). */
struct incr_state {
    char set[33]; /* the set's id, 32 hex digits */
    int64_t seq, time;
    struct incr_obj *layers; /* oldest first; the first is full */
    size_t n;
    struct incr_obj index;
    int64_t files, bytes; /* what the tree holds */
};

void incr_state_release(struct incr_state *s);
/* JSON text of s (caller frees). */
char *incr_state_json(const struct incr_state *s);
/* Parse a state object; FY_EINPUT naming name when it is not one. */
enum fy_rc incr_state_parse(const char *text,
                            size_t len,
                            const char *name,
                            struct incr_state *s,
                            struct fy_err *err);
/* Is name one of ours: "state-N.json", "layer-N-X.tar.zst",
 * "index-N-X.zst"?  *kind 's' 'l' 'i', *seq N. */
bool incr_name_parse(const char *name, char *kind, int64_t *seq);

/* What the set's directory holds of ours. */
struct incr_listing {
    struct incr_obj *v; /* name, seq, size; kind in full: unused */
    char *kind;         /* 's' 'l' 'i' per object */
    size_t n, cap;
};
void incr_listing_release(struct incr_listing *l);
/* List set (a URL ending in '/'). */
enum fy_rc incr_listing_get(const char *set,
                            const struct remote_opts *o,
                            struct out *out,
                            struct incr_listing *l,
                            struct fy_err *err);
/* The size of object name in l, or -1. */
int64_t incr_listing_size(const struct incr_listing *l, const char *name);

/* set + name (caller frees). */
char *incr_url(const char *set, const char *name);
/* The object at url whole into out (at most max bytes, else FY_EINPUT);
 * *missing when there is none. */
enum fy_rc incr_get(const char *url,
                    size_t max,
                    const struct remote_opts *o,
                    struct out *out,
                    struct sbuf *buf,
                    bool *missing,
                    struct fy_err *err);
/* buf as the object at url, made visible in one step. */
enum fy_rc incr_put(const char *url,
                    const void *buf,
                    size_t len,
                    const struct remote_opts *o,
                    struct out *out,
                    struct fy_err *err);
/* Read the state object name of set and parse it. */
enum fy_rc incr_state_get(const char *set,
                          const char *name,
                          const struct remote_opts *o,
                          struct out *out,
                          struct incr_state *s,
                          struct fy_err *err);

/* The SHA-256 of len bytes at buf, as hex (an index, a state). */
void incr_sha_hex(const void *buf, size_t len, char hex[65]);

/* 32 random hex digits (the set id) or 8 (a name's suffix). */
void incr_random_hex(char *out, size_t digits);

#endif
