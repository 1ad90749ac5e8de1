/*
 * arc_walk.c - the walk of an archive's entries that unpack, list and
 * verify share (arc_walk_run): each entry passes the same checks
 * (arc_gate_entry: arc_entry_check(), data within its declared size, a zip
 * symlink's CRC-32) and is hashed, and ferry's manifest, the last entry, is
 * compared with what was seen at the end.  The work done for an entry is
 * bounded by the bytes the archive holds, never by the sizes or offsets its
 * headers declare (struct arc_span).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <archive.h>
#include <archive_entry.h>

#include "arc_int.h"
#include "ferry/out.h"
#include "ferry/xalloc.h"

#define MANIFEST_MAX (256u << 20) /* a bigger ".ferry/manifest" is not ours */

void
arc_walk_record(struct arc_walk *w,
                const char *path,
                char type,
                int64_t size,
                const unsigned char *hash,
                bool sparse)
{
    struct arc_map_val *v = arc_map_put(&w->seen, path, strlen(path));
    v->type = type;
    v->size = size;
    v->sparse = sparse;
    if (hash != NULL)
        memcpy(v->hash, hash, 16);
    w->recorded++;
}

enum fy_rc
arc_span_check(struct arc_walk *w,
               struct arc_span *sp,
               const char *raw,
               int64_t off,
               size_t len)
{
    char why[160];
    if (off < sp->pos)
        snprintf(why, sizeof why,
                 "corrupt: data at offset %" PRId64
                 " overlaps the data before it",
                 off);
    else if (sp->size >= 0 ? off > sp->size || (int64_t)len > sp->size - off
                           : (int64_t)len > INT64_MAX - off)
        snprintf(why, sizeof why,
                 "corrupt: data beyond the declared size of %" PRId64 " bytes",
                 sp->size);
    else if (off > sp->pos && !sp->sparse)
        snprintf(why, sizeof why,
                 "corrupt: a gap at offset %" PRId64
                 " in a file that is not sparse",
                 sp->pos);
    else {
        sp->pos = off + (int64_t)len;
        return FY_OK;
    }
    return arc_entry_fail(w->err, FY_EINPUT, w->name, raw, why);
}

/* After the last block: a file that is not sparse is whole. */
enum fy_rc
arc_span_end(struct arc_walk *w, const struct arc_span *sp, const char *raw)
{
    if (sp->sparse || sp->size < 0 || sp->pos == sp->size)
        return FY_OK;
    char why[160];
    snprintf(why, sizeof why,
             "corrupt or truncated: %" PRId64
             " bytes of data, the header declares %" PRId64,
             sp->pos, sp->size);
    return arc_entry_fail(w->err, FY_EINPUT, w->name, raw, why);
}

/*
 * A data read that returned neither OK nor EOF.  libarchive reports a zip
 * CRC-32 mismatch or wrong sizes, and tar's unknown sparse formats, as
 * ARCHIVE_WARN: here every one of them is a failure (SPEC: a checksum the
 * format carries that does not match is exit 4, other damage exit 3).
 */
enum fy_rc
arc_data_fail(struct arc_walk *w, int r, const char *raw)
{
    if (w->err->rc != FY_OK)
        return w->err->rc;
    if (r != ARCHIVE_WARN)
        return arc_reader_fail(&w->reader);
    const char *la = archive_error_string(w->reader.a);
    char why[200], msg[256];
    snprintf(why, sizeof why, "%s", la ? la : "damaged entry data");
    for (size_t n = strlen(why); n > 0 && (unsigned char)why[n - 1] <= ' ';)
        why[--n] = '\0'; /* some of libarchive's messages end in "\n" */
    if (strstr(why, "CRC") == NULL)
        return arc_entry_fail(w->err, FY_EINPUT, w->name, raw, why);
    snprintf(msg, sizeof msg, "checksum mismatch (%s)", why);
    return arc_entry_fail(w->err, FY_EREFUSED, w->name, raw, msg);
}

/*
 * libarchive's disk writer failed on entry raw.  The system's reason goes
 * first: libarchive's own message may quote a long name whole.  EFBIG (a
 * file bigger than the filesystem, or the process, allows) is the
 * archive's doing, as in arc_write_fail().
 */
enum fy_rc
arc_disk_fail(struct arc_walk *w,
              struct archive *disk,
              enum arc_side side,
              const char *raw)
{
    if (w->err->rc != FY_OK)
        return w->err->rc;
    int en = archive_errno(disk);
    const char *la = archive_error_string(disk);
    char why[1024];
    enum fy_rc rc = en == EFBIG ? FY_EINPUT : arc_rc_from_errno(en, side);
    if (en > 0 && en != ARCHIVE_ERRNO_FILE_FORMAT &&
        en != ARCHIVE_ERRNO_PROGRAMMER)
        snprintf(why, sizeof why, "%s (%s)", strerror(en),
                 la ? la : "cannot extract");
    else
        snprintf(why, sizeof why, "%s", la ? la : "cannot extract");
    return arc_entry_fail(w->err, rc, w->name, raw, why);
}

/*
 * Read all data of the current entry, checking it against sp, hash it
 * into hash and, with disk, write it there (never a sparse entry: see
 * arc_file_sparse).
 */
enum fy_rc
arc_pump(struct arc_walk *w,
         struct arc_span *sp,
         struct archive *disk,
         const char *raw,
         unsigned char hash[16],
         int64_t *bytes)
{
    XXH3_128bits_reset(w->xx);
    enum fy_rc rc = FY_OK;
    const void *buf;
    size_t len;
    int64_t off;
    int got;
    while ((got = arc_entry_block(w, sp, raw, &buf, &len, &off, &rc)) > 0) {
        XXH3_128bits_update(w->xx, buf, len);
        if (disk != NULL) {
            la_ssize_t wr = archive_write_data_block(disk, buf, len, off);
            if (wr < ARCHIVE_WARN) {
                return arc_disk_fail(w, disk, ARC_SIDE_WRITE, raw);
            }
        }
        if (bytes)
            *bytes += (int64_t)len;
    }
    if (got < 0)
        return rc;
    rc = arc_span_end(w, sp, raw);
    if (rc == FY_OK)
        arc_xx_digest(w->xx, hash);
    return rc;
}

/* A failure of ferry's manifest entry: the archive is corrupt (exit 3). */
static enum fy_rc
manifest_corrupt(struct arc_walk *w, const char *why)
{
    char msg[200];
    snprintf(msg, sizeof msg, "corrupt: ferry's manifest %s", why);
    return arc_entry_fail(w->err, FY_EINPUT, w->name, ARC_MANIFEST_PATH, msg);
}

/*
 * The entry ".ferry/manifest": ferry's manifest, each line checked against
 * what the walk recorded as it is read (entries before it are all
 * recorded: it is the last), its verdict kept for walk_finish.  SPEC: an
 * archive that holds it is checked against it, so it cannot be anything
 * but a regular file of at most MANIFEST_MAX bytes; one that is not is
 * corrupt, never an archive without a manifest.
 */
static enum fy_rc
manifest_take(struct arc_walk *w, struct archive_entry *e)
{
    if (archive_entry_filetype(e) != AE_IFREG ||
        archive_entry_hardlink(e) != NULL || archive_entry_sparse_count(e) > 0)
        return manifest_corrupt(w, "is not a regular file");
    if (archive_entry_size(e) > (la_int64_t)MANIFEST_MAX)
        return manifest_corrupt(w, "is bigger than 256 MiB");
    size_t got = 0;
    for (;;) {
        const void *buf;
        size_t len;
        int64_t off;
        int r = arc_data_next(w->reader.a, &buf, &len, &off);
        if (r == ARCHIVE_EOF)
            break;
        if (r != ARCHIVE_OK)
            return arc_data_fail(w, r, ARC_MANIFEST_PATH);
        if (off != (int64_t)got || len > MANIFEST_MAX - got)
            return manifest_corrupt(w, "has data beyond its declared size");
        got += len;
        if (w->mf_err.rc == FY_OK)
            (void)arc_mf_parser_feed(&w->mf, buf, len, &w->mf_err);
    }
    w->have_manifest = true;
    return FY_OK;
}

static enum fy_rc
manifest_line(void *ctx, const struct arc_mf_line *l, struct fy_err *err)
{
    struct arc_walk *w = ctx;
    char *e = NULL;
    enum fy_rc rc = FY_OK;
    if (l->type == 'u') {
        e = out_escape(l->path);
        out_warn(w->out,
                 "%s: %s changed while it was packed; its copy may be "
                 "inconsistent",
                 w->name, e);
        w->st->unstable++;
        free(e);
        return FY_OK;
    }
    struct arc_map_val *v = arc_map_get(&w->seen, l->path, strlen(l->path));
    if (v != NULL && v->type != 0 && v->sparse) {
        /* ferry never writes sparse entries, and their holes were not
         * hashed: nothing to compare, and not what ferry packed */
        e = out_escape(l->path);
        fy_fail(err, FY_EINPUT,
                "%s: %s: corrupt: a sparse entry in an archive of ferry's, "
                "which never writes them",
                w->name, e);
        free(e);
        return FY_EINPUT;
    }
    const char *why = NULL;
    if (v == NULL || v->type == 0) /* 0: only the guard knows it */
        why = "listed in the manifest but missing";
    else if (v->type != l->type)
        why = "type differs from the manifest";
    else if (l->type == 'f' &&
             (v->size != l->size || memcmp(v->hash, l->hash, 16) != 0))
        why = "checksum mismatch (the archive is damaged or was changed)";
    else if ((l->type == 'l' || l->type == 'h') && l->has_hash &&
             memcmp(v->hash, l->hash, 16) != 0)
        why = "link target differs from the manifest (the archive is "
              "damaged or was changed)";
    if (why != NULL) {
        e = out_escape(l->path);
        rc = fy_fail(err, FY_EREFUSED, "%s: %s: %s", w->name, e, why);
        free(e);
        return rc;
    }
    v->matched = true;
    return w->mf_hook != NULL ? w->mf_hook(w->mf_ctx, l, err) : FY_OK;
}

static enum fy_rc
walk_finish(struct arc_walk *w)
{
    long long frames = atomic_load(&w->reader.ring.stored_frames);
    if (frames > 0 && !w->have_manifest) /* only ferry writes stored frames */
        return fy_fail(w->err, FY_EREFUSED,
                       "%s: %lld of ferry's stored zstd frames but no ferry "
                       "manifest (the archive was cut or changed after "
                       "packing)",
                       w->name, frames);
    if (!w->have_manifest)
        return FY_OK; /* another tool's archive: structure only */
    if (w->mf_err.rc != FY_OK)
        return fy_fail(w->err, w->mf_err.rc, "%s", w->mf_err.msg);
    struct arc_mf_totals tot;
    enum fy_rc rc = arc_mf_parser_finish(&w->mf, &tot, w->err);
    if (rc != FY_OK)
        return rc;
    if (w->recorded != tot.entries)
        return fy_fail(w->err, FY_EREFUSED,
                       "%s: %" PRId64 " entries of the archive are not in "
                       "its manifest (it was changed after packing)",
                       w->name, w->recorded - tot.entries);
    w->st->manifest = true;
    return FY_OK;
}

/*
 * A header read returned ARCHIVE_WARN.  Harmless only when a name cannot
 * be converted to the locale (libarchive then keeps its raw bytes).  Any
 * other warning means the entry cannot be trusted: tar's malformed pax
 * attributes (the size or path may be the wrong one), an unknown sparse
 * format or a negative size; a zip whose local header disagrees with its
 * central directory (sizes, CRC-32).
 */
static bool
header_warn_ok(struct arc_walk *w)
{
    const char *why = archive_error_string(w->reader.a);
    return why != NULL && (strstr(why, "can't be converted") != NULL ||
                           strstr(why, "cannot be converted") != NULL);
}

enum fy_rc
arc_walk_run(struct arc_walk *w)
{
    enum fy_rc rc = FY_OK;
    for (;;) {
        if (fy_interrupted()) {
            rc = fy_fail(w->err, FY_EINTR, "%s: interrupted", w->name);
            break;
        }
        struct archive_entry *e;
        int r = archive_read_next_header(w->reader.a, &e);
        if (r == ARCHIVE_EOF)
            break;
        if (r != ARCHIVE_OK && !(r == ARCHIVE_WARN && header_warn_ok(w))) {
            rc = arc_reader_fail(&w->reader);
            break;
        }
        w->headers++;
        if (w->have_manifest) { /* also a second manifest */
            rc = manifest_corrupt(w, "is not the last entry");
            break;
        }
        char *clean = NULL;
        enum arc_path_rc prc =
            arc_path_clean(archive_entry_pathname(e), &clean);
        if (clean != NULL && strcmp(clean, ARC_MANIFEST_PATH) == 0)
            rc = manifest_take(w, e);
        else
            rc = w->fn(w, e, prc, clean);
        free(clean);
        if (rc != FY_OK)
            break;
    }
    if (rc == FY_OK && w->reader.zip_entries >= 0 &&
        w->headers != w->reader.zip_entries)
        rc = fy_fail(w->err, FY_EINPUT,
                     "%s: corrupt zip: its central directory lists %" PRId64
                     " entries, %" PRId64 " were found",
                     w->name, w->reader.zip_entries, w->headers);
    if (rc == FY_OK)
        rc = arc_reader_drain(&w->reader);
    if (rc == FY_OK && w->drain != NULL)
        rc = w->drain(w);
    if (rc == FY_OK)
        rc = walk_finish(w);
    return rc;
}

enum fy_rc
arc_walk_open(struct arc_walk *w,
              struct fy_istream *is,
              const char *phase,
              const struct arc_read_opts *ro,
              int strip,
              arc_walk_fn fn,
              void *ctx,
              struct arc_stats *st,
              struct out *out,
              struct fy_err *err)
{
    memset(w, 0, sizeof *w);
    /* without --strip-components the guard's paths are the manifest's:
     * one map holds both */
    w->guard = arc_guard_new(strip == 0 ? &w->seen : NULL);
    w->strip = strip;
    w->fn = fn;
    w->ctx = ctx;
    w->st = st;
    w->out = out;
    w->err = err;
    w->name = is->name;
    w->xx = arc_xx_new();
    arc_mf_parser_init(&w->mf, w->name, manifest_line, w);
    return arc_reader_open(&w->reader, is, phase, ro, out, err);
}

void
arc_walk_close(struct arc_walk *w)
{
    w->st->archive_bytes = (int64_t)atomic_load(&w->reader.ring.in_bytes);
    arc_reader_close(&w->reader);
    arc_mf_parser_release(&w->mf);
    arc_map_release(&w->seen);
    arc_guard_free(w->guard);
    if (w->xx != NULL)
        XXH3_freeState(w->xx);
}

/* ------------------------------------------------ the entry safety check */

/* SPEC (issue 9): a path at the top of the target's ".ferry" (fetch's
 * resume state) is never unpacked: a planted resume file would steer a
 * later `ferry fetch -o DIR`. */
static bool
state_path(const char *fin)
{
    size_t n = strlen(ARC_STATE_DIR);
    return strncmp(fin, ARC_STATE_DIR, n) == 0 &&
           (fin[n] == '\0' || fin[n] == '/');
}

/*
 * SPEC unpack safety for entry e, the one check for unpack, verify and
 * list (so verify passes exactly what unpack accepts): absolute paths,
 * ".." components, paths through an earlier symlink, and hardlinks to
 * anything but an earlier file are FY_EREFUSED, naming the entry.  On
 * FY_OK g says what to do with it; arc_gate_pass() then records an entry that
 * was made (or checked) in the guard.  Free g->hl either way.
 */
enum fy_rc
arc_gate_entry(struct arc_walk *w,
               struct archive_entry *e,
               enum arc_path_rc prc,
               const char *clean,
               const struct arc_span *sp,
               struct arc_gate *g)
{
    memset(g, 0, sizeof *g);
    g->raw = archive_entry_pathname(e);
    g->raw = g->raw ? g->raw : "";
    g->type = arc_entry_type(e);
    if (prc == ARC_PATH_ABSOLUTE || prc == ARC_PATH_DOTDOT)
        return arc_entry_fail(w->err, FY_EREFUSED, w->name, g->raw,
                              arc_unsafe_why(prc == ARC_PATH_ABSOLUTE
                                                 ? ARC_UNSAFE_ABSOLUTE
                                                 : ARC_UNSAFE_DOTDOT));
    if (prc == ARC_PATH_EMPTY) {
        g->kind = GATE_ROOT;
        return FY_OK;
    }
    const char *hl_raw = archive_entry_hardlink(e);
    if (hl_raw != NULL) {
        enum arc_path_rc hr = arc_path_clean(hl_raw, &g->hl);
        if (hr != ARC_PATH_OK)
            return arc_entry_fail(w->err, FY_EREFUSED, w->name, g->raw,
                                  arc_unsafe_why(hr == ARC_PATH_ABSOLUTE
                                                     ? ARC_UNSAFE_LINK_ABSOLUTE
                                                 : hr == ARC_PATH_DOTDOT
                                                     ? ARC_UNSAFE_LINK_DOTDOT
                                                     : ARC_UNSAFE_LINK_TARGET));
        arc_link_hash(hl_raw, g->lh);
    } else if (g->type == 'l') {
        const char *target = archive_entry_symlink(e);
        arc_link_hash(target ? target : "", g->lh);
    }
    if (g->type == 'l' && w->reader.zip_entries >= 0) {
        enum fy_rc rc = arc_zip_link_check(&w->reader, e, g->raw);
        if (rc != FY_OK)
            return rc;
    }
    if (g->type == 'l' && (archive_entry_symlink(e) == NULL ||
                           archive_entry_symlink(e)[0] == '\0'))
        return arc_entry_fail(w->err, FY_EINPUT, w->name, g->raw,
                              "corrupt: a symlink without a target");
    g->fin = arc_path_strip(clean, w->strip);
    g->fin_hl = g->hl ? arc_path_strip(g->hl, w->strip) : NULL;
    if (sp->sparse && g->type != 'f')
        return arc_entry_fail(w->err, FY_EINPUT, w->name, g->raw,
                              "corrupt: sparse, but not a regular file");
    g->state = g->fin != NULL && state_path(g->fin);
    if (strchr("fdlh", g->type) == NULL && !g->state) {
        g->kind = GATE_SPECIAL;
        return FY_OK;
    }
    if (g->fin == NULL || (g->hl != NULL && g->fin_hl == NULL) || g->state) {
        g->kind = GATE_SKIP;
        return FY_OK;
    }
    enum arc_unsafe un = arc_entry_check(w->guard, g->fin, g->type, g->fin_hl);
    if (un != ARC_SAFE)
        return arc_entry_fail(w->err, FY_EREFUSED, w->name, g->raw,
                              arc_unsafe_why(un));
    g->kind = GATE_MAKE;
    return FY_OK;
}

/* The entry of g was made (unpack) or read (verify, list): later entries
 * are checked against it. */
void
arc_gate_pass(struct arc_walk *w, const struct arc_gate *g)
{
    if (g->kind != GATE_MAKE)
        return;
    char type = g->type;
    if (type == 'h') /* a hardlink is what it links to */
        type = arc_guard_type(w->guard, g->fin_hl);
    arc_guard_add(w->guard, g->fin, type);
}

/* Record an entry for the manifest check: a file's size and data hash h,
 * a link's target hash, a directory's type. */
void
arc_gate_record(struct arc_walk *w,
                const struct arc_gate *g,
                const char *clean,
                const struct arc_span *sp,
                const unsigned char h[16])
{
    if (g->kind == GATE_ROOT || strchr("fdlh", g->type) == NULL)
        return;
    arc_walk_record(w, clean, g->type, g->type == 'f' ? arc_span_size(sp) : 0,
                    g->type == 'f'   ? h
                    : g->type == 'd' ? NULL
                                     : g->lh,
                    sp->sparse);
}

/* ------------------------------------------------------- verify and list */

/*
 * verify's walk, and list's: every check unpack makes (the entry safety
 * check, the data within its declared size, hashed for the manifest),
 * nothing written.
 */
static enum fy_rc
check_entry(struct arc_walk *w,
            struct archive_entry *e,
            enum arc_path_rc prc,
            const char *clean)
{
    struct arc_gate g;
    struct arc_span sp;
    unsigned char h[16];
    arc_span_init(&sp, e);
    enum fy_rc rc = arc_gate_entry(w, e, prc, clean, &sp, &g);
    if (rc == FY_OK)
        rc = arc_pump(w, &sp, NULL, g.raw, h, NULL);
    if (rc == FY_OK) {
        arc_gate_record(w, &g, clean, &sp, h);
        arc_gate_pass(w, &g);
        if (g.kind != GATE_ROOT)
            arc_stats_count(w->st, g.type, arc_span_size(&sp));
    }
    free(g.hl);
    return rc;
}

enum fy_rc
arc_verify(struct fy_istream *is,
           const struct arc_read_opts *ro,
           struct out *out,
           struct arc_stats *st,
           struct fy_err *err)
{
    struct arc_walk w;
    double t0 = out_now();
    locale_t old, loc = arc_utf8_enter(&old);
    memset(st, 0, sizeof *st);
    enum fy_rc rc =
        arc_walk_open(&w, is, "verify", ro, 0, check_entry, NULL, st, out, err);
    if (rc == FY_OK)
        rc = arc_walk_run(&w);
    arc_walk_close(&w);
    arc_utf8_leave(loc, old);
    st->seconds = out_now() - t0;
    return rc;
}

struct lister {
    enum fy_rc (*cb)(void *ctx,
                     const struct arc_entry_info *e,
                     struct fy_err *err);
    void *ctx;
};

/* list: verify's check of the entry, then its row. */
static enum fy_rc
list_entry(struct arc_walk *w,
           struct archive_entry *e,
           enum arc_path_rc prc,
           const char *clean)
{
    struct lister *l = w->ctx;
    enum fy_rc rc = check_entry(w, e, prc, clean);
    if (rc != FY_OK || prc == ARC_PATH_EMPTY)
        return rc;
    struct arc_entry_info info;
    info.path = clean;
    info.type = arc_entry_type(e);
    info.mode = (unsigned)archive_entry_perm(e);
    info.size = archive_entry_size(e);
    info.mtime = archive_entry_mtime(e);
    info.link = archive_entry_hardlink(e);
    if (info.link == NULL)
        info.link = archive_entry_symlink(e);
    return l->cb(l->ctx, &info, w->err);
}

enum fy_rc
arc_list(struct fy_istream *is,
         const struct arc_read_opts *ro,
         enum fy_rc (*cb)(void *ctx,
                          const struct arc_entry_info *e,
                          struct fy_err *err),
         void *ctx,
         struct out *out,
         struct fy_err *err)
{
    struct arc_walk w;
    struct arc_stats st;
    struct lister l = {cb, ctx};
    locale_t old, loc = arc_utf8_enter(&old);
    memset(&st, 0, sizeof st);
    enum fy_rc rc =
        arc_walk_open(&w, is, NULL, ro, 0, list_entry, &l, &st, out, err);
    if (rc == FY_OK)
        rc = arc_walk_run(&w);
    arc_walk_close(&w);
    arc_utf8_leave(loc, old);
    return rc;
}
