/*
 * arc.h - the archive engine: pack a directory into an archive, unpack one
 * safely and atomically, list and verify.  Used by `ferry pack`, `unpack`,
 * `list`, `verify`, and (later) `save`/`restore`, which hand in an upload
 * or download stream instead of a file.
 *
 * The engine is src/arc*.c (src/arc.c lists its files, src/arc_int.h
 * what they share); only they include <archive.h>, and only
 * src/arc_zstd.c <zstd.h>.  src/arc_rules.c holds the pure rules (paths,
 * entry safety, excludes, formats) and src/arc_manifest.c the manifest,
 * all declared here so the unit tests reach them.  The options the
 * commands parse for the engine are in ferry/arc_opts.h.
 *
 * Calling sequence (pack):
 *
 *     struct arc_pack_opts o;
 *     arc_pack_opts_init(&o);               (tar.zst, level 3, every core)
 *     strlist_add(&o.excludes, "*.tmp");
 *     stream_out_open(&os, "ws.tar.zst", err);
 *     rc = arc_pack("ws", &o, &os, out, &stats, err);   (closes os)
 *     arc_pack_opts_release(&o);
 *
 * arc_pack and arc_unpack consume their stream: they always close it, and
 * commit an output only when everything succeeded.  Errors are recorded in
 * err (the first one wins) with the SPEC exit codes: FY_EINPUT for a
 * corrupt, truncated or unknown archive, FY_EREFUSED for an unsafe entry,
 * a checksum mismatch or an existing target without --force, FY_ERUNTIME
 * for I/O, FY_EINTR after SIGINT/SIGTERM.  Warnings (a file changed while
 * it was read, a device skipped) go through out_warn(); progress through
 * out_progress() with phase "scan", "pack", "unpack" or "verify".
 *
 * Threads: pack runs libzstd's worker threads; unpack, list and verify read
 * and decompress in one helper thread.  unpack creates every file, link and
 * directory on the calling thread (libarchive 3.6.2 flips the umask in
 * archive_write_disk_header, CVE-2023-30571, so no other thread of the
 * process may create files while arc_unpack runs); the data of files of
 * 16 KiB and more is then written and hashed by writer threads (one per
 * core but one, at least 1, at most 8; FERRY_UNPACK_WRITERS=N overrides, 0
 * writes inline) that only pwrite() into files already created.
 * arc_unpack changes the working directory while it extracts and restores
 * it before returning.
 */
#ifndef FERRY_ARC_H
#define FERRY_ARC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "ferry/err.h"
#include "ferry/stream.h"
#include "ferry/xalloc.h"

#ifdef __cplusplus
extern "C" {
#endif

struct out;
struct glob_rule;

/* ---------------------------------------------------------------- formats */

enum arc_format {
    ARC_FMT_NONE = 0, /* unknown / not given */
    ARC_FMT_TAR_ZST,  /* default */
    ARC_FMT_TAR_GZ,
    ARC_FMT_TAR_XZ,
    ARC_FMT_TAR,
    ARC_FMT_ZIP
};

/* "tar.zst" (also "tzst", "zst"), "tar.gz"/"tgz", "tar.xz"/"txz", "tar",
 * "zip" -> *f; false for anything else. */
bool arc_format_parse(const char *name, enum arc_format *f);
/* The format a file name asks for by its extension, or ARC_FMT_NONE. */
enum arc_format arc_format_from_path(const char *path);
/* "tar.zst", "tar.gz", ... (the canonical extension, without a dot). */
const char *arc_format_name(enum arc_format f);
/* The word for an entry type ('f' 'd' 'l' 'h' 'c' 'b' 'p' 's') in list's
 * and pack --dry-run's output and events: file, dir, symlink, hardlink,
 * chardev, blockdev, fifo, socket; "other" for anything else. */
const char *arc_type_word(char t);
/* The base name of path without a known archive extension
 * ("/x/ws.tar.zst" -> "ws"); NULL if nothing would be left.  Caller frees. */
char *arc_strip_ext(const char *path);
/* Allowed --level range for a format; false if it takes no level. */
bool arc_level_range(enum arc_format f, int *min, int *max);

/* ----------------------------------------------------------- pack / unpack */

struct arc_pack_hooks;

struct arc_pack_opts {
    enum arc_format format;       /* ARC_FMT_TAR_ZST by default */
    int level;                    /* 0: the format's default */
    int threads;                  /* compression threads, 0: every core */
    struct strlist excludes;      /* --exclude GLOB, in order */
    struct strlist exclude_files; /* --exclude-from FILE, in order */
    struct arc_pack_hooks *hooks; /* incremental saves (incr.h), or NULL */
};

/*
 * What an incremental save (incr.h) hands arc_pack: a plan made after the
 * scan, before anything is written, that picks the entries to pack, and
 * members to write first under ".ferry/" (listed in the manifest like
 * any file; unpack leaves them out as fetch's state directory).
 */
struct arc_pack_entry {
    const char *path; /* relative to the packed directory */
    mode_t mode;      /* the scan's lstat: type and permissions */
};
#define ARC_PACK_EXTRA_MAX 2
struct arc_pack_extra {
    const char *name; /* ".ferry/NAME" */
    const void *data; /* borrowed until arc_pack returns */
    size_t len;
};
struct arc_pack_hooks {
    /*
     * The n entries the scan found, in archive order, under the directory
     * open as rootfd (borrowed): set keep[i] (all false on entry) for each
     * entry to pack; *none: pack nothing (os is discarded, arc_pack
     * returns FY_OK with st->archive_bytes 0).  May fill extra/n_extra.
     * Called again when a save starts over.
     */
    enum fy_rc (*plan)(void *ctx,
                       int rootfd,
                       size_t n,
                       const struct arc_pack_entry *ents,
                       bool *keep,
                       bool *none,
                       struct fy_err *err);
    /* Entry i was packed as the manifest says (hash NULL for 'd';
     * link: a hardlink's target, else NULL). */
    void (*packed)(void *ctx,
                   size_t i,
                   char type,
                   int64_t size,
                   const unsigned char *hash,
                   const char *link);
    void *ctx;
    struct arc_pack_extra extra[ARC_PACK_EXTRA_MAX];
    size_t n_extra;
};

void arc_pack_opts_init(struct arc_pack_opts *o);
void arc_pack_opts_release(struct arc_pack_opts *o);

/* What a run did; all counts exclude ferry's own manifest entry. */
struct arc_stats {
    int64_t files; /* regular files (hardlinks not counted) */
    int64_t dirs;
    int64_t symlinks;
    int64_t hardlinks;
    int64_t skipped;       /* devices, FIFOs, sockets, vanished files */
    int64_t unstable;      /* files that changed while read (pack) */
    int64_t bytes;         /* file data */
    int64_t archive_bytes; /* archive size written or read */
    bool manifest;         /* unpack/verify: checked against a manifest */
    double seconds;
    /* pack: the SHA-256 of the archive's bytes as written (64 hex digits,
     * what sha256sum prints of the file), "" if none */
    char sha256[65];
};

/*
 * Pack the tree under dir into os (consumed: closed, committed only on
 * success).  Regular files, directories (also empty), symlinks as links,
 * hardlinks as links (tar formats), modes and mtimes (with nanoseconds);
 * sockets, devices and FIFOs are skipped with a warning.  Paths are stored
 * relative to dir, without a leading "./", sorted per directory.  The last
 * entry is ".ferry/manifest" (see arc_manifest_* below).  A top-level
 * dir/.ferry (fetch's resume state, ARC_STATE_DIR) is left out.
 */
enum fy_rc arc_pack(const char *dir,
                    const struct arc_pack_opts *o,
                    struct fy_ostream *os,
                    struct out *out,
                    struct arc_stats *st,
                    struct fy_err *err);

/*
 * pack --dry-run (src/arc_dryrun.c): the same pre-scan as arc_pack (same
 * excludes, .ferryignore, state directory, output and special-file rules:
 * it cannot drift), each path handed to cb in archive order with what a
 * pack would do with it, and nothing written anywhere.  output (may be
 * NULL or "-") is the archive a pack would write: if it exists inside dir
 * it is reported as skipped, as pack leaves it out.  An excluded
 * directory is not descended into by pack; its size here is the bytes of
 * the regular files below it (measured without following a symlink).
 */
enum arc_dry_action {
    ARC_DRY_PACK,    /* packed */
    ARC_DRY_EXCLUDE, /* an exclude rule left it out */
    ARC_DRY_SKIP     /* left out by a rule of ferry's (state, special file) */
};
struct arc_dry_entry {
    const char *path; /* relative to dir, as the archive would store it */
    char type; /* 'f' 'd' 'l', 'h' (a later name of a file), 's' 'p' 'c' 'b' */
    int64_t size;               /* a file's bytes, an excluded tree's; else 0 */
    enum arc_dry_action action; /* what pack does with it */
    const char *why;  /* EXCLUDE: the rule; SKIP: the reason; else NULL */
    const char *from; /* EXCLUDE: "--exclude", "FILE:LINE"; else NULL */
    const char *link; /* 'h': the first name of the file; else NULL */
};
struct arc_dry_totals {
    int64_t files, dirs, symlinks, hardlinks, bytes; /* packed */
    int64_t excluded, excluded_bytes;                /* by exclude rules */
    int64_t skipped, skipped_bytes;                  /* by ferry's rules */
};
enum fy_rc arc_pack_dry_run(const char *dir,
                            const struct arc_pack_opts *o,
                            const char *output,
                            enum fy_rc (*cb)(void *ctx,
                                             const struct arc_dry_entry *e,
                                             struct fy_err *err),
                            void *ctx,
                            struct out *out,
                            struct arc_dry_totals *t,
                            struct fy_err *err);

/*
 * What unpack, list and verify accept beyond the defaults.  zstd frames
 * whose window (the memory the decoder must hold), and xz streams whose
 * dictionary, is above 2^window_log are refused (FY_EINPUT, naming the
 * size and the --long that would accept it); ferry's own archives need
 * 2^27 at most (zstd --level 22).
 */
#define ARC_WINDOW_LOG_DEFAULT 27 /* 128 MiB, zstd's own default */
#define ARC_WINDOW_LOG_MAX     31 /* 2 GiB, the most zstd -d accepts */
struct arc_read_opts {
    int window_log; /* 0: ARC_WINDOW_LOG_DEFAULT */
};

struct arc_unpack_opts {
    bool force;      /* replace a non-empty target */
    int strip;       /* --strip-components N */
    bool same_owner; /* restore owners (only as root) */
    struct arc_read_opts read;
};

/*
 * Unpack is (consumed) into dir, which must not be a symlink (FY_EREFUSED).
 * SPEC: every entry is checked by
 * arc_entry_check() first (refusal: FY_EREFUSED naming the entry), then
 * extracted by libarchive with SECURE_NODOTDOT|SECURE_SYMLINKS|
 * SECURE_NOABSOLUTEPATHS into "<dir>.ferry-XXXXXX" beside dir; every file
 * is hashed while it is written, and every file and link target compared
 * with the manifest at the end;
 * the staging tree is synced to disk and renamed into place.  A failure at
 * any point removes the staging tree and leaves dir as it was.  Staging
 * directories of this target left by a killed run are removed first.
 * Entries under a top-level ".ferry" (after --strip-components) are not
 * unpacked (one warning says how many).  Data outside an entry's declared
 * size, and a file (not sparse) shorter than declared, are FY_EINPUT;
 * a zip CRC-32 mismatch FY_EREFUSED.  unpack, arc_verify and arc_list walk
 * the archive the same way (one code path), so they check the same.
 */
enum fy_rc arc_unpack(struct fy_istream *is,
                      const char *dir,
                      const struct arc_unpack_opts *o,
                      struct out *out,
                      struct arc_stats *st,
                      struct fy_err *err);

/*
 * Layered unpack (incremental restores, incr.h): n archives, applied in
 * order into one staging directory beside dir, as arc_unpack does for one
 * (the same checks, the same atomic swap; nothing of dir touched on any
 * error).  Each archive is walked and checked against its own manifest;
 * want() says which entries are created from it (the others are read,
 * checked and left out), so a path is written once.  Entries under the
 * top-level ".ferry/" of at most 1 MiB go to member() (path NULL: the
 * archive's first entry is not one: member() decides); every manifest
 * line that matched its archive goes to line().  Directory modes and
 * times are set after the last archive.
 */
struct arc_mf_line;
struct arc_layer_hooks {
    size_t n;
    enum fy_rc (*open)(void *ctx,
                       size_t i,
                       struct fy_istream *is,
                       struct fy_err *err);
    /* *make: create path (type 'f' 'd' 'l' 'h'; link: a hardlink's
     * target) from archive i */
    enum fy_rc (*want)(void *ctx,
                       size_t i,
                       const char *path,
                       char type,
                       const char *link,
                       bool *make,
                       struct fy_err *err);
    enum fy_rc (*member)(void *ctx,
                         size_t i,
                         const char *path,
                         const void *data,
                         size_t len,
                         struct fy_err *err);
    enum fy_rc (*line)(void *ctx,
                       size_t i,
                       const struct arc_mf_line *l,
                       struct fy_err *err);
    /* after the last archive, before the swap: the last word */
    enum fy_rc (*finish)(void *ctx, struct fy_err *err);
    void *ctx;
};
enum fy_rc arc_unpack_layers(const struct arc_layer_hooks *h,
                             const char *dir,
                             const struct arc_unpack_opts *o,
                             struct out *out,
                             struct arc_stats *st,
                             struct fy_err *err);

/*
 * A small document (an incremental set's index) as one zstd frame,
 * appended to out; and back, refusing more than max bytes of output or a
 * corrupt or truncated frame (FY_EINPUT, naming name).
 */
void arc_blob_compress(const void *buf, size_t len, struct sbuf *out);
enum fy_rc arc_blob_decompress(const void *buf,
                               size_t len,
                               size_t max,
                               const char *name,
                               struct sbuf *out,
                               struct fy_err *err);

/* One entry as list shows it. */
struct arc_entry_info {
    const char *path; /* as stored (cleaned of "./"), never NULL */
    char type;        /* 'f' 'd' 'l' 'h' 'c' 'b' 'p' 's' */
    unsigned mode;    /* permission bits incl. setuid etc. */
    int64_t size;
    int64_t mtime;    /* seconds since the epoch */
    const char *link; /* symlink or hardlink target, or NULL */
};

/*
 * arc_verify's walk, calling cb for every entry but ferry's manifest once
 * the entry passed its checks.  cb returns FY_OK to go on.  The strings
 * live until cb returns.  ro may be NULL (the defaults), as for
 * arc_verify.  What only the whole archive shows (the manifest, the
 * stream's last checksums) fails after cb saw the entries before it: the
 * result is arc_verify's.
 */
enum fy_rc arc_list(struct fy_istream *is,
                    const struct arc_read_opts *ro,
                    enum fy_rc (*cb)(void *ctx,
                                     const struct arc_entry_info *e,
                                     struct fy_err *err),
                    void *ctx,
                    struct out *out,
                    struct fy_err *err);

/*
 * Read is (consumed) whole and check what arc_unpack checks, writing
 * nothing: the compressed stream's checksums (zstd frame checksums, gzip/xz
 * CRCs, zip CRC-32s), the archive structure, every entry's safety
 * (arc_entry_check), and every file and link target against the manifest.
 * FY_OK, FY_EINPUT (corrupt/truncated, a damaged manifest) or FY_EREFUSED
 * (an unsafe entry; a checksum mismatch: the manifest's, a zip's CRC-32).
 * Without a manifest entry the structure and safety are checked
 * (st->manifest false).
 */
enum fy_rc arc_verify(struct fy_istream *is,
                      const struct arc_read_opts *ro,
                      struct out *out,
                      struct arc_stats *st,
                      struct fy_err *err);

/*
 * How a libarchive error number maps to an exit code: format and internal
 * errors (ARCHIVE_ERRNO_FILE_FORMAT, ARCHIVE_ERRNO_MISC, EINVAL) are
 * FY_EINPUT when reading; an errno from the system (ENOSPC, EACCES, EIO..)
 * is FY_ERUNTIME.  While extracting, only libarchive's own refusals (its
 * SECURE checks: errno 0 or ARCHIVE_ERRNO_MISC) are FY_EREFUSED; EINVAL
 * (a system call's too, as in "Seek failed") is FY_ERUNTIME, EILSEQ and
 * ENAMETOOLONG (a name longer than the filesystem holds) FY_EINPUT.
 */
enum arc_side { ARC_SIDE_READ, ARC_SIDE_WRITE, ARC_SIDE_EXTRACT };
enum fy_rc arc_rc_from_errno(int archive_errno, enum arc_side side);

/* ------------------------------------------------------ paths and safety */

enum arc_path_rc {
    ARC_PATH_OK,
    ARC_PATH_EMPTY,    /* "", ".", "./" : the root itself */
    ARC_PATH_ABSOLUTE, /* starts with '/' */
    ARC_PATH_DOTDOT    /* has a ".." component */
};

/*
 * Normalise an archive path: drop "." and empty components and a trailing
 * '/'.  On ARC_PATH_OK *out is the clean path (caller frees); otherwise
 * *out is NULL.
 */
enum arc_path_rc arc_path_clean(const char *in, char **out);

/* path without its first n components, or NULL if none remain (borrowed). */
const char *arc_path_strip(const char *path, int n);

/*
 * What earlier entries of this extraction created, by path: the entry
 * safety check needs to know the symlinks (no later entry may pass through
 * one) and the files (a hardlink may only point at one of those).
 */
struct arc_guard;
struct arc_map;
/* A guard of its own map, or (shared not NULL) one that keeps what it
 * knows in shared, in the gtype of each value: the walk's manifest map,
 * when both are keyed by the same paths. */
struct arc_guard *arc_guard_new(struct arc_map *shared);
void arc_guard_free(struct arc_guard *g);
/* Record that path now holds an entry of this type ('f' 'd' 'l'), and
 * that its parents are directories. */
void arc_guard_add(struct arc_guard *g, const char *path, char type);
/* The type recorded for path, or 0 if none. */
char arc_guard_type(const struct arc_guard *g, const char *path);

enum arc_unsafe {
    ARC_SAFE = 0,
    ARC_UNSAFE_ABSOLUTE,      /* absolute path */
    ARC_UNSAFE_DOTDOT,        /* ".." component */
    ARC_UNSAFE_SYMLINK,       /* path passes through a symlink entry */
    ARC_UNSAFE_LINK_ABSOLUTE, /* hardlink target absolute */
    ARC_UNSAFE_LINK_DOTDOT,   /* hardlink target with ".." */
    ARC_UNSAFE_LINK_SYMLINK,  /* hardlink target passes through a symlink */
    ARC_UNSAFE_LINK_TARGET,   /* hardlink target not an earlier file */
    ARC_UNSAFE_OVER_DIR,      /* not a directory, where one was made */
    ARC_UNSAFE_PARENT         /* path passes through a file entry */
};

/*
 * SPEC unpack safety for one entry, given its clean path (after
 * --strip-components), its type ('f' 'd' 'l' 'h') and, for a hardlink,
 * its clean target (NULL otherwise).  Raw paths go through
 * arc_path_clean() first, whose ABSOLUTE/DOTDOT verdicts map to
 * ARC_UNSAFE_*.  Besides the ways out of the target, an entry that is not
 * a directory where earlier entries made one (a symlink "a" after "a/b"),
 * or whose parent an earlier entry made a file ("a/b" after a file "a"),
 * is refused: extracting it would mean deleting what they made.
 */
enum arc_unsafe arc_entry_check(const struct arc_guard *g,
                                const char *path,
                                char type,
                                const char *hardlink);
/* Why, in a few words ("path goes through a symlink"). */
const char *arc_unsafe_why(enum arc_unsafe u);

/*
 * A small hash map from a key (a path, or any bytes) to what the engine
 * knows about it.  Used by the guard above, by the manifest check and by
 * pack's hardlink table.  The map keeps a copy of every key: two keys are
 * the same entry only if their bytes are equal, never because their hashes
 * (XXH3-64) are.  It is kept small, as it holds every path of an archive:
 * a slot is 8 bytes (the entry's index and 32 bits of its hash), entries
 * lie in one array in the order they were added, keys in one arena.
 * A value's address holds until the next arc_map_put().
 */
struct arc_map_val {
    char type;    /* 'f' 'd' 'l' 'h' (the manifest check's) */
    char gtype;   /* the guard's: what unpack made at this path */
    bool matched; /* seen on the other side (manifest check) */
    bool sparse;  /* a sparse entry (its holes are not in hash) */
    union {
        int64_t size;    /* the data's size ('f'), for the manifest check */
        size_t name_off; /* pack's hardlinks: the first name's offset */
        uint32_t crc;    /* a zip symlink's CRC-32 (its central directory) */
    };
    unsigned char hash[16]; /* canonical XXH128 of the data ('f') */
};
struct arc_map_slot {
    uint32_t idx; /* the entry's index + 1; 0: a free slot */
    uint32_t tag; /* the high half of the key's hash */
};
struct arc_map_ent {
    size_t off, len; /* the key, in arena */
    struct arc_map_val v;
};
struct arc_map {
    struct arc_map_slot *slots;
    struct arc_map_ent *ents;
    struct sbuf arena; /* the keys */
    size_t cap, n, ents_cap;
    /* NULL: XXH3-64; the unit tests set a weak one to force collisions */
    uint64_t (*hash)(const void *key, size_t len);
};
#define ARC_MAP_INIT                                                           \
    {                                                                          \
        NULL, NULL, SBUF_INIT, 0, 0, 0, NULL                                   \
    }
/* The value for key (len bytes), or NULL. */
struct arc_map_val *
arc_map_get(const struct arc_map *m, const void *key, size_t len);
/* The value for key, added (zeroed) if it was not there. */
struct arc_map_val *arc_map_put(struct arc_map *m, const void *key, size_t len);
/* Free everything (the hash function stays). */
void arc_map_release(struct arc_map *m);

/* ----------------------------------------------------------------- excludes */

/*
 * Exclude rules, in the glob dialect of include/ferry/glob.h (gitignore's),
 * matched against paths relative to the packed directory; the last rule
 * that matches decides, and a '!' rule re-includes.  An excluded directory
 * is not descended into, so nothing below it can be re-included (as in
 * git).
 */
struct arc_exclude_src {
    char *rule; /* the line as given */
    char *from; /* where: "FILE:LINE", "--exclude", or NULL */
};
struct arc_excludes {
    struct glob_rule *v;
    struct arc_exclude_src *src; /* v[i]'s text and origin */
    size_t n, cap;
};
#define ARC_EXCLUDES_INIT                                                      \
    {                                                                          \
        NULL, NULL, 0, 0                                                       \
    }

/* Add one rule (one line of a .ferryignore); blank/comment lines no-op.
 * from (copied; may be NULL) says where the rule comes from, for
 * pack --dry-run; arc_excludes_load() gives "FILE:LINE". */
void arc_excludes_add(struct arc_excludes *ex, const char *line);
void arc_excludes_add_from(struct arc_excludes *ex,
                           const char *line,
                           const char *from);
/* Add every line of a file.  A missing file is an error unless
 * missing_ok (used for .ferryignore). */
enum fy_rc arc_excludes_load(struct arc_excludes *ex,
                             const char *path,
                             bool missing_ok,
                             struct fy_err *err);
/* Is the entry at path (relative, no leading "./") excluded? */
bool arc_excludes_match(const struct arc_excludes *ex,
                        const char *path,
                        bool is_dir);
/* The rule that excludes path (as given; borrowed from ex), and where it
 * comes from in *from (may be NULL), or NULL if path is not excluded. */
const char *arc_excludes_why(const struct arc_excludes *ex,
                             const char *path,
                             bool is_dir,
                             const char **from);
void arc_excludes_release(struct arc_excludes *ex);

/* ---------------------------------------------------------------- manifest */

/*
 * The manifest ".ferry/manifest" is the last entry of every archive ferry
 * writes.  Text, one entry per line, fields separated by one space:
 *
 *     ferry-manifest 1
 *     f <size> <xxh3-128 hex> <path>      regular file with data
 *     d 0 - <path>                        directory
 *     l 0 <xxh3-128 hex> <path>           symlink (hash of its target)
 *     h 0 <xxh3-128 hex> <path>           hardlink (hash of its target)
 *     u 0 - <path>                        that file changed while read
 *     end <entries> <files> <bytes>       totals (f+d+l+h lines, f lines,
 *                                         sum of f sizes); nothing after
 *
 * The hash is XXH3-128 of the bytes stored (a link's: of its target as
 * the archive stores it, arc_link_hash), in canonical (big-endian) hex,
 * the same as `xxh128sum` prints.  Earlier versions wrote "-" on 'l' and
 * 'h' lines: their targets go unchecked.  Paths are stored as in the
 * archive, with bytes <= 0x20, 0x7f and '%' written as %XX.  Readers skip
 * lines of other types (room for later additions).
 *
 * An entry named ".ferry/manifest" is ferry's manifest: it must be a
 * regular file, the last entry, and parse whole; anything else is a
 * corrupt archive (FY_EINPUT).  An archive without one (another tool's)
 * gets the structural checks only.
 */
#define ARC_STATE_DIR      ".ferry" /* fetch's state; never packed/unpacked */
#define ARC_MANIFEST_PATH  ".ferry/manifest"
#define ARC_MANIFEST_MAGIC "ferry-manifest 1\n"

struct arc_mf_line {
    char type; /* 'f' 'd' 'l' 'h' 'u' */
    int64_t size;
    bool has_hash;
    unsigned char hash[16]; /* canonical XXH128 */
    const char *path;       /* unescaped; valid during the callback */
};

struct arc_mf_totals {
    int64_t entries, files, bytes;
};

/* Start a manifest in sb (writes the magic line). */
void arc_manifest_begin(struct sbuf *sb);
/* Append one line (hash may be NULL: written as "-"; 'f' lines need
 * one, 'l' and 'h' lines get arc_link_hash of their target). */
void arc_manifest_add(struct sbuf *sb,
                      char type,
                      int64_t size,
                      const unsigned char *hash,
                      const char *path);
/* Append the end line with the totals. */
void arc_manifest_end(struct sbuf *sb, const struct arc_mf_totals *t);
/*
 * The same parser fed block by block, so that a manifest is never held
 * whole: init, feed the bytes as they come (cb is called for each whole
 * line), finish (the end line, the totals), release.  Errors as
 * arc_manifest_parse's; after one, stop feeding.
 */
struct arc_mf_parser {
    const char *name;
    enum fy_rc (*cb)(void *ctx,
                     const struct arc_mf_line *l,
                     struct fy_err *err);
    void *ctx;
    struct sbuf part; /* a line not ended yet */
    size_t lineno;    /* of the next line */
    bool ended;
    struct arc_mf_totals seen;
};
void arc_mf_parser_init(struct arc_mf_parser *p,
                        const char *name,
                        enum fy_rc (*cb)(void *ctx,
                                         const struct arc_mf_line *l,
                                         struct fy_err *err),
                        void *ctx);
enum fy_rc arc_mf_parser_feed(struct arc_mf_parser *p,
                              const char *buf,
                              size_t len,
                              struct fy_err *err);
enum fy_rc arc_mf_parser_finish(struct arc_mf_parser *p,
                                struct arc_mf_totals *tot,
                                struct fy_err *err);
void arc_mf_parser_release(struct arc_mf_parser *p);
/*
 * Parse a whole manifest, calling cb for each entry line (including 'u').
 * A bad magic, malformed line, or missing/inconsistent end line is
 * FY_EINPUT ("<name>: manifest line N: ...").
 */
enum fy_rc arc_manifest_parse(const char *buf,
                              size_t len,
                              const char *name,
                              enum fy_rc (*cb)(void *ctx,
                                               const struct arc_mf_line *l,
                                               struct fy_err *err),
                              void *ctx,
                              struct arc_mf_totals *tot,
                              struct fy_err *err);
/* The hash the manifest keeps for a symlink's or hardlink's target (the
 * string as the archive stores it): canonical XXH3-128 of its bytes. */
void arc_link_hash(const char *target, unsigned char out[16]);
/* %XX-escape a path as the manifest stores it (appends to sb). */
void arc_path_escape(struct sbuf *sb, const char *path);
/* Undo arc_path_escape; false on a malformed %XX or %00. Caller frees. */
bool arc_path_unescape(const char *s, size_t len, char **out);

#ifdef __cplusplus
}
#endif

#endif
