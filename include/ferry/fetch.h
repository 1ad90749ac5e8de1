/*
 * fetch.h - the fetch engine (src/fetch.c): one torrent from a magnet
 * link, a .torrent file or the URL of one, into a directory, resumable and
 * verified; and seed, the same engine uploading only.  Used by `ferry
 * fetch` and `ferry seed` (and later `ferry up`).
 *
 *     struct fetch_opts o;
 *     fetch_opts_init(&o);                  defaults
 *     o.source = ...; strlist_add(&o.peers, "127.0.0.1:6881"); ...
 *     rc = fetch_run(&o, out, err);         or fetch_list(), fetch_seed()
 *     fetch_opts_release(&o);
 *
 * SPEC promises kept here: resume state in DIR/.ferry/<infohash>.resume
 * (saved every 2 s while data arrives, on SIGINT/SIGTERM and on
 * completion); a magnet's info-hash checked before libtorrent sees it;
 * no file path of the torrent may leave DIR or pass through a symlink
 * inside it, or write into DIR/.ferry (refused with FY_EREFUSED); resume
 * data is trusted only for metadata of the same info-hash and for which
 * pieces are had;
 * exit FY_OK only when every selected file is complete and verified.
 *
 * Ownership: the strings in struct fetch_opts are borrowed (argv) and must
 * outlive the run; the strlists are the struct's own, freed by
 * fetch_opts_release().  Errors: each entry point records one error in
 * err (the first wins) and returns its code; progress, warnings and JSON
 * events go to out, nothing is printed to stdout (fetch_list()'s callback
 * does that).  An option value is never wrong here: the command parsed it.
 */
#ifndef FERRY_FETCH_H
#define FERRY_FETCH_H

#include <stdbool.h>
#include <stdint.h>

#include "ferry/err.h"
#include "ferry/xalloc.h"

/* Where fetch keeps its state inside -o DIR; no torrent may write there. */
#define FETCH_STATE_DIR ".ferry"

struct glob_rule;
struct out;
struct tor_session;

/* What a fetch did, for a caller's summary (ferry up). */
struct fetch_stats {
    int64_t bytes;        /* size of the selected files */
    int64_t session_down; /* payload received by this run: 0 = had it */
    double seconds;       /* until complete (seeding not counted) */
};

struct fetch_opts {
    const char *source;      /* magnet, path to .torrent, or URL of one */
    const char *dir;         /* -o, default "." */
    struct strlist select;   /* --select GLOB */
    struct strlist peers;    /* --peer HOST:PORT */
    struct strlist webseeds; /* --webseed URL */
    struct strlist trackers; /* --tracker URL */
    double seed_ratio;       /* < 0: not asked for */
    double seed_time;        /* seconds, < 0: not asked for */
    double timeout;          /* seconds in all, 0: none */
    double stall_timeout;    /* seconds without payload, 0: none */
    int64_t max_down, max_up;
    const char *listen;  /* NULL: libtorrent's default */
    bool dht, lsd, upnp; /* upnp also means NAT-PMP */
    bool super_seed;     /* seed: BEP 16 super seeding (--super-seed) */
    bool send_once;      /* seed: each piece to one peer (--send-once) */
    /* ferry up: a shared session (tor_session_shared) to add the torrent
     * to, whose options apply (listen, dht... above are then unused);
     * NULL: a session of its own */
    struct tor_session *session;
    struct fetch_stats *stats; /* filled on completion if not NULL */
};

/* Defaults: dir ".", no seeding, no timeout, stall timeout 600 s. */
void fetch_opts_init(struct fetch_opts *o);
void fetch_opts_release(struct fetch_opts *o);

/*
 * Fetch o->source into o->dir until every selected file is complete and
 * verified (FY_OK), then seed if o->seed_ratio or o->seed_time asks for
 * it (a signal while seeding is FY_OK: the fetch is complete).  Errors:
 * FY_ERUNTIME for I/O and the network (a missing .torrent file, a --peer
 * host that does not resolve), FY_EINPUT for a malformed magnet, torrent
 * or URL, or a --select that matches no file, FY_EREFUSED for an unsafe
 * path, FY_ETIMEOUT for --timeout/--stall-timeout, FY_EINTR on a signal
 * (resume data saved).
 */
enum fy_rc
fetch_run(const struct fetch_opts *o, struct out *out, struct fy_err *err);

/* One file of the torrent, as fetch_list() reports it. */
struct fetch_file {
    size_t index;     /* in the torrent's file list */
    int64_t size;     /* bytes */
    const char *path; /* with the top directory, as stored: not escaped */
};

/*
 * fetch --list: get the metadata (from the source, or from peers for a
 * magnet), then call on_file for every file in order, and download
 * nothing; no state is written in o->dir.  f and its path live until
 * on_file returns; on_file returns FY_OK to go on, or an error that ends
 * the listing and is returned.  A path that is not safe (absolute, "..")
 * is refused (FY_EREFUSED) before it is reported; a --select that matches
 * no file is FY_EINPUT after every file was reported.  Other errors as
 * fetch_run().
 */
enum fy_rc fetch_list(const struct fetch_opts *o,
                      enum fy_rc (*on_file)(void *arg,
                                            const struct fetch_file *f,
                                            struct fy_err *err),
                      void *arg,
                      struct out *out,
                      struct fy_err *err);

/*
 * Seed o->source (a .torrent file or URL) from o->dir: check every piece,
 * refuse (FY_EREFUSED) if any is missing or wrong, then upload until
 * SIGINT/SIGTERM (FY_OK) or o->seed_time / o->seed_ratio.  Never
 * downloads.  A magnet link or a DIR that is not a directory is FY_EINPUT,
 * a missing DIR FY_ERUNTIME, a signal while checking FY_EINTR.
 */
enum fy_rc
fetch_seed(const struct fetch_opts *o, struct out *out, struct fy_err *err);

/*
 * Is the file at path inside the torrent (with its top directory, as
 * tor_file_at gives it) selected by the n --select rules (parsed with
 * glob_rule_parse(), include/ferry/glob.h)?  The last rule that matches
 * the file or one of its parent directories decides: selected unless it
 * is a '!' rule; a file no rule matches is not selected.  A rule without
 * '/' matches a name at any depth; one with '/' is anchored and matches
 * the path with or without the top directory ("sub/x" and "bundle/sub/x"
 * both name bundle/sub/x); a trailing '/' matches directories only, so
 * "sub/" selects everything below a directory named sub.
 */
bool
fetch_select_match(const struct glob_rule *rules, size_t n, const char *path);

/* Is the torrent path safe to write below DIR (relative, no "..")? */
bool fetch_path_safe(const char *path);

/*
 * Every --peer host resolves: one that does not is FY_ERUNTIME, found
 * before anything is written (the form was checked by the command).
 */
enum fy_rc fetch_resolve_peers(const struct fetch_opts *o, struct fy_err *err);

#endif
