/*
 * session.h - ferry up / down: the whole VM session from one manifest,
 * ferry.ini (SPEC item 4).  Three parts, each its own source file:
 *
 *   session_ini.c    session_load(): ferry.ini, parsed with libinih, every
 *                    value checked before anything is fetched or written
 *   session_save.c   down's engine: a save that becomes current only when
 *                    complete, `keep` older ones kept, and which save up
 *                    restores (session_pick)
 *   session_auto.c   autosave: save when the workspace changed, a final
 *                    save on SIGTERM/SIGHUP/SIGINT
 *
 *     struct session s;
 *     rc = session_load(path, &s, err);      exit 3 on any error, with
 *                                            "FILE:LINE: KEY: why"
 *     ... cmd_up / cmd_down use s ...
 *     session_release(&s);
 *
 * Ownership: session_load() fills s with strings of its own (paths with ~
 * and $VAR expanded, a relative one taken from the manifest's directory;
 * $VAR also in remote); session_release() frees them.  An error leaves s
 * released.
 */
#ifndef FERRY_SESSION_H
#define FERRY_SESSION_H

#include <stdbool.h>
#include <stdint.h>

#include "ferry/err.h"
#include "ferry/xalloc.h"

#ifdef __cplusplus
extern "C" {
#endif

/* [workspace] */
struct session_workspace {
    bool present;           /* the section is there */
    char *path;             /* path = (expanded) */
    char *remote;           /* remote = URL */
    struct strlist exclude; /* exclude = GLOB GLOB ... */
    int keep;               /* keep = N: earlier saves kept (default 3) */
    double autosave;        /* autosave = DURATION in seconds, 0: off */
    int line;               /* where the section starts, for messages */
};

/* [bundle "NAME"] */
struct session_bundle {
    char *name;            /* NAME */
    char *source;          /* source = magnet / .torrent / URL */
    char *dest;            /* dest = DIR (expanded) */
    struct strlist select; /* select = GLOB GLOB ... */
    double seed_time;      /* seed-time = DURATION, < 0: none */
    int line;
};

/* [network]: the fetch options; the command line wins over these */
struct session_network {
    char *listen;             /* listen = HOST:PORT, NULL: default */
    int dht, lsd, upnp;       /* dht = yes|no ...; -1: not set */
    int64_t max_down, max_up; /* max-down = RATE; 0: not set */
};

struct session {
    char *file; /* the manifest's path, as found */
    struct session_workspace ws;
    struct session_bundle *bundles;
    size_t nbundles;
    struct session_network net;
};

/* Bounds of the manifest (hostile input). */
#define SESSION_FILE_MAX     (1024 * 1024) /* bytes of the file */
#define SESSION_LINE_MAX     (64 * 1024)   /* bytes of a line or value */
#define SESSION_NAME_MAX     64            /* a bundle's NAME */
#define SESSION_BUNDLES_MAX  256
#define SESSION_KEEP_DEFAULT 3
#define SESSION_KEEP_MAX     1000
#define SESSION_DURATION_MAX (366.0 * 86400) /* autosave, seed-time */

/*
 * The manifest: path if not NULL (-f FILE), else ./ferry.ini, else
 * $XDG_CONFIG_HOME/ferry/ferry.ini (~/.config when unset).  Any error is
 * FY_EINPUT (exit 3) with one line naming file, line and key, e.g.
 * "ferry.ini:7: autosave: bad duration '15q'"; unknown sections and keys
 * are errors.  Bounded: the file at most 1 MiB, a value at most 64 KiB.
 */
enum fy_rc
session_load(const char *path, struct session *s, struct fy_err *err);
void session_release(struct session *s);

/*
 * session_load()'s parser, for text already read (unit tests): len bytes
 * of text; truncated says the file went on past them (an error at the
 * line where it was cut).  file names the manifest in messages, and
 * relative paths in it are taken from its directory.  Same errors.
 */
enum fy_rc session_parse(const char *text,
                         size_t len,
                         bool truncated,
                         const char *file,
                         struct session *s,
                         struct fy_err *err);

/* ====================================================================
 * down's saves and autosave (session_save.c, session_auto.c)
 *
 * Retention (doc/SESSION.md "Retention"): S3 has no rename, so saves are
 * immutable objects with a new name each, and a small pointer object,
 * written last, says which one is current.  For remote = R:
 *
 *   R.saves/20261127T203000.123Z-1a2b3c4d.tar.zst   a save (UTC time of
 *                                the down, 8 random hex digits, R's
 *                                archive extension), uploaded as save does
 *   R.current                    the pointer: "ferry-saves 1\n" then the
 *                                names of the current save and of the
 *                                `keep` earlier ones, newest first
 *
 * session_save(): upload a new save (visible only once complete), read
 * the pointer again, write the new pointer (one PUT on S3, a rename on
 * file:// and SFTP), then remove the saves that fell off the list and,
 * where the scheme lists (S3, SFTP, file://), older saves no pointer
 * names (left by a down killed before its pointer).  A down that fails
 * or is killed anywhere leaves the current save and the pointer as they
 * were, or the new save complete and current.
 *
 * session_pick(): which save up restores: the pointer's n-th save that
 * still exists (n = 0 the current one; a listing tells, or on HTTP a
 * request for each); without a readable pointer, or when none of its
 * saves exists, the n-th newest save a listing finds; with no save at
 * all and n = 0, R itself if it is there (an object made by `ferry
 * save`), else *url = NULL and FY_OK: nothing saved yet, up starts
 * empty.  Errors: FY_EINPUT a bad remote, FY_EUSAGE n < 0, FY_ERUNTIME
 * no save n ("R: no save 4 (2 saves kept)"), the pointer or listing
 * unreadable (network), on HTTP a broken pointer or one whose saves are
 * all missing.  *url is as given (it may hold secrets: show it with
 * remote_url_show()).
 * ==================================================================== */

struct out;
struct remote_opts;
struct remote_stats;
struct arc_stats;

#define SESSION_POINTER_MAX   (64u << 10) /* bytes of a pointer read */
#define SESSION_POINTER_MAGIC "ferry-saves 1"

/* What one session_save() did. */
struct session_saved {
    char *url;       /* the new save's URL (as given: may hold secrets) */
    char *name;      /* its name below R.saves/ */
    int kept;        /* saves the pointer names, the new one included */
    int removed;     /* older saves removed */
    int64_t files;   /* regular files packed */
    int64_t bytes;   /* their bytes */
    int64_t archive; /* archive bytes uploaded */
    int64_t retries; /* requests retried */
};
void session_saved_release(struct session_saved *r);

/*
 * R.current and R.saves/ (a URL prefix for ferry ls) of a remote: the
 * suffix goes before a '?' query.  Caller frees.
 */
char *session_pointer_url(const char *remote);
char *session_saves_url(const char *remote);

/*
 * One down: pack ws->path (ws->exclude, .ferryignore) into a new save,
 * make it current, prune (above).  FY_EINPUT: remote malformed or its
 * name without an archive extension; FY_ERUNTIME: the save or the
 * pointer failed (nothing current changed).  Pruning failures are
 * warnings.  res (optional) is filled; release it.
 */
enum fy_rc session_save(const struct session_workspace *ws,
                        const struct remote_opts *o,
                        struct out *out,
                        struct session_saved *res,
                        struct fy_err *err);

/* The URL of save n (0 newest) into *url (caller frees; NULL: none). */
enum fy_rc session_pick(const struct session_workspace *ws,
                        int n,
                        const struct remote_opts *o,
                        char **url,
                        struct fy_err *err);

/*
 * The names of a pointer's text, newest first, into names (strlist of
 * copies); false if it is not a pointer of saves ending with ext ("tar.zst")
 * (tests).  session_save_name_ok(): is name such a save's name?
 */
bool session_pointer_parse(const char *text,
                           size_t len,
                           const char *ext,
                           struct strlist *names);
bool session_save_name_ok(const char *name, const char *ext);

/*
 * Autosave (session_auto.c): from the state of ws->path now, every
 * ws->autosave seconds (<= 0: SESSION_AUTOSAVE_DEFAULT) check whether
 * the workspace changed (names, types, sizes, modes, mtimes, ctimes and
 * inodes of everything that is not excluded) and if so session_save() it;
 * a save that fails is a warning and is tried again at the next interval.
 * Saves run on this thread, one at a time: an interval that comes while a
 * save runs is not a second save (the change is seen at the next check).
 * SIGTERM, SIGHUP or SIGINT end the loop (a save that runs ends first)
 * with a final save if anything changed since the last save that
 * succeeded; a second signal stops the save then running (FY_EINTR).
 * The loop holds its own handlers of those three signals while it runs
 * and puts the previous ones back.  Returns the final save's result
 * (FY_OK when nothing was left to save).
 */
#define SESSION_AUTOSAVE_DEFAULT 900.0
enum fy_rc session_autosave(const struct session_workspace *ws,
                            const struct remote_opts *o,
                            struct out *out,
                            struct fy_err *err);
/*
 * The same for `ferry down --autosave`: a first save at once (changed or
 * not), then as above.
 */
enum fy_rc session_autosave_down(const struct session_workspace *ws,
                                 const struct remote_opts *o,
                                 struct out *out,
                                 struct fy_err *err);

/*
 * The workspace's state as autosave compares it: a 64-bit digest of every
 * entry's name and metadata, in walk order (excluded paths and a
 * top-level .ferry left out).  FY_ERUNTIME if dir cannot be read.
 */
enum fy_rc session_scan(const char *dir,
                        const struct strlist *exclude,
                        uint64_t *digest,
                        struct fy_err *err);
/* ============================================ end of down and autosave */

#ifdef __cplusplus
}
#endif

#endif
