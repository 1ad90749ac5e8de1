/*
 * incr.h - incremental saves: a save set at a URL ending in '/' (any
 * backend that lists: s3://, sftp://, file://), made of layers (ferry
 * archives), an index per state and state objects written last
 * (src/incr_*.c; the format is doc/incremental.md).
 *
 *     rc = incr_save("ws", "s3://b/sets/ws/", &pack_opts, &io, &remote_opts,
 *                    out, &res, err);
 *     rc = incr_restore("s3://b/sets/ws/", "ws", &unpack_opts, &io,
 *                       &remote_opts, out, &res, err);
 *     rc = incr_list("s3://b/sets/ws/", &remote_opts, out, cb, arg,
 *                    &is_set, err);
 *
 * Ownership: every argument is borrowed and only read, but res (filled).
 * Errors are recorded in err with the SPEC codes: a missing layer or
 * index, one whose size or SHA-256 is not what its state says, or a state
 * that does not parse (--state N) is FY_EINPUT naming it; a layer of
 * another set FY_EREFUSED; the archive engine's and the remote layer's
 * codes otherwise.  A failed save leaves the previous state restorable; a
 * failed restore leaves DIR as it was.
 *
 * src/incr_index.c: the index (pure; unit-tested), src/incr_state.c: state
 * objects, names, the set's listing and small objects, src/incr_save.c,
 * src/incr_restore.c: the engines.
 */
#ifndef FERRY_INCR_H
#define FERRY_INCR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ferry/arc.h"
#include "ferry/err.h"
#include "ferry/xalloc.h"

#ifdef __cplusplus
extern "C" {
#endif

struct out;
struct remote_opts;

#define INCR_KEEP_DEFAULT    2    /* states kept by a save */
#define INCR_KEEP_MAX        1000 /* --keep */
#define INCR_COMPACT_PERCENT 50   /* deltas above this % of the base: full */
#define INCR_MAX_DELTAS      30   /* at most this many deltas on a base */
#define INCR_RACY_NS         2000000000LL /* timestamp granularity assumed */
#define INCR_STATE_MAX       (1u << 20)   /* a state object's bytes */
#define INCR_INDEX_MAX       (1u << 30)   /* an index, uncompressed */

struct incr_opts {
    int keep;      /* states kept (0: INCR_KEEP_DEFAULT) */
    bool full;     /* save: a full layer whatever the deltas */
    int64_t state; /* restore: --state N, 0: the newest */
    int back;      /* restore, state 0: the back-th newest (up --save) */
};

/* What a save or restore did. */
struct incr_result {
    int64_t seq;         /* the state saved or restored */
    bool unchanged;      /* save: nothing changed, nothing uploaded */
    bool full;           /* save: it wrote a full layer */
    int layers;          /* layers of the state */
    int64_t entries;     /* save: entries in the layer written */
    int64_t deleted;     /* save: deletions recorded */
    int64_t uploaded;    /* bytes uploaded (layer + index + state) */
    int64_t downloaded;  /* bytes downloaded */
    int removed;         /* objects removed by retention */
    struct arc_stats st; /* the pack of the layer, or the unpack */
};

/* Does url name a save set (it ends with '/')? */
bool incr_is_set(const char *url);

/*
 * Save dir into the set: a full layer first, then deltas of what changed
 * (content, mode, mtime, type, link target) and what was deleted since
 * the newest state, a new full layer once the deltas outgrow
 * INCR_COMPACT_PERCENT of the base or INCR_MAX_DELTAS (or io->full); the
 * index, then the state, then retention (io->keep newest states and what
 * they name are kept).  Nothing changed: nothing uploaded (res->unchanged).
 */
enum fy_rc incr_save(const char *dir,
                     const char *set,
                     const struct arc_pack_opts *po,
                     const struct incr_opts *io,
                     const struct remote_opts *o,
                     struct out *out,
                     struct incr_result *res,
                     struct fy_err *err);

/* Restore the newest state (io->state: that one) of the set into dir. */
enum fy_rc incr_restore(const char *set,
                        const char *dir,
                        const struct arc_unpack_opts *uo,
                        const struct incr_opts *io,
                        const struct remote_opts *o,
                        struct out *out,
                        struct incr_result *res,
                        struct fy_err *err);

/* One state as `ferry ls SET/` shows it. */
struct incr_state_info {
    int64_t seq;
    int64_t time; /* Unix seconds */
    int layers;
    int64_t bytes; /* the layers' sizes added up */
    bool full;     /* its newest layer is a full one */
    bool ok;       /* it parses and every layer is there */
};

/* Is name one of a set's objects (state, layer or index)? */
bool incr_name_ours(const char *name);

/*
 * The states of the set at url, oldest first, to cb, from a listing of
 * url already made (n names and their sizes; names not ours are left
 * out); *is_set false (and cb never called) when it holds no state.
 */
enum fy_rc incr_list(const char *url,
                     size_t n,
                     const char *const *names,
                     const int64_t *sizes,
                     const struct remote_opts *o,
                     struct out *out,
                     enum fy_rc (*cb)(void *arg,
                                      const struct incr_state_info *s,
                                      struct fy_err *err),
                     void *arg,
                     bool *is_set,
                     struct fy_err *err);

/* ----------------------------------------------- the index (incr_index.c) */

/*
 * A state's index: every entry of the saved tree with what change
 * detection compares and which layer holds its content.  Text, then one
 * zstd frame:
 *
 *     ferry-index 1 <scanned_ns>
 *     <type> <layer> <mode> <size> <mtime_ns> <ctime_ns> <ino> <hash> <path>
 *       [<target>]    (a hardlink's first name; paths %XX-escaped)
 *     end <entries>
 *
 * type f d l h; layer: the seq of the layer that holds it; mode octal;
 * hash: the manifest's XXH3-128 (a link's: of its target), "-" for 'd'.
 */
struct incr_ent {
    size_t path_off; /* in incr_index.names */
    size_t link_off; /* a hardlink's target, or (size_t)-1 */
    char type;
    bool seen; /* save: found again; restore: its layer listed it */
    bool racy; /* save: its stat cannot be trusted (rehash) */
    unsigned mode;
    int64_t layer;
    int64_t size, mtime_ns, ctime_ns;
    uint64_t ino;
    unsigned char hash[16];
};

struct incr_index {
    int64_t scanned_ns; /* the clock when the stats were complete */
    struct sbuf names;
    struct incr_ent *v;
    size_t n, cap;
    struct arc_map map; /* path -> index in v (name_off) */
};
#define INCR_INDEX_INIT                                                        \
    {                                                                          \
        0, SBUF_INIT, NULL, 0, 0, ARC_MAP_INIT                                 \
    }

/* Add an entry (paths copied); returns it.  A path added twice: the
 * later wins the map. */
struct incr_ent *
incr_index_add(struct incr_index *x, const char *path, const char *link);
/* The entry of path, or NULL. */
struct incr_ent *incr_index_get(const struct incr_index *x, const char *path);
static inline const char *
incr_ent_path(const struct incr_index *x, const struct incr_ent *e)
{
    return x->names.buf + e->path_off;
}
static inline const char *
incr_ent_link(const struct incr_index *x, const struct incr_ent *e)
{
    return e->link_off == (size_t)-1 ? NULL : x->names.buf + e->link_off;
}
/* The text above, appended to out. */
void incr_index_write(const struct incr_index *x, struct sbuf *out);
/* Parse text (FY_EINPUT naming name on any fault: bad line, duplicate
 * path, bad end). */
enum fy_rc incr_index_parse(const char *text,
                            size_t len,
                            const char *name,
                            struct incr_index *x,
                            struct fy_err *err);
void incr_index_release(struct incr_index *x);

#ifdef __cplusplus
}
#endif

#endif
