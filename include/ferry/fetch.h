/*
 * fetch.h - the fetch engine: one torrent from a magnet link, a .torrent
 * file or the URL of one, into a directory, resumable and verified.
 * Used by `ferry fetch` and (later) `ferry up`.
 *
 * SPEC promises kept here: resume state in DIR/.ferry/<infohash>.resume
 * (saved every 2 s while data arrives, on SIGINT/SIGTERM and on
 * completion); a magnet's info-hash checked before libtorrent sees it;
 * no file path of the torrent may leave DIR or pass through a symlink
 * inside it, or write into DIR/.ferry (refused with FY_EREFUSED); resume
 * data is trusted only for metadata of the same info-hash and for which
 * pieces are had;
 * exit FY_OK only when every selected file is complete and verified.
 */
#ifndef FERRY_FETCH_H
#define FERRY_FETCH_H

#include <stdbool.h>
#include <stdint.h>

#include "ferry/cli.h"
#include "ferry/xalloc.h"

/* Where fetch keeps its state inside -o DIR; no torrent may write there. */
#define FETCH_STATE_DIR ".ferry"

struct glob_rule;

struct fetch_opts {
    const char *source;      /* magnet, path to .torrent, or URL of one */
    const char *dir;         /* -o, default "." */
    struct strlist select;   /* --select GLOB */
    struct strlist peers;    /* --peer HOST:PORT */
    struct strlist webseeds; /* --webseed URL */
    struct strlist trackers; /* --tracker URL */
    bool list;               /* --list: print files, download nothing */
    double seed_ratio;       /* < 0: not asked for */
    double seed_time;        /* seconds, < 0: not asked for */
    double timeout;          /* seconds in all, 0: none */
    double stall_timeout;    /* seconds without payload, 0: none */
    int64_t max_down, max_up;
    const char *listen;  /* NULL: libtorrent's default */
    bool dht, lsd, upnp; /* upnp also means NAT-PMP */
};

/*
 * The options fetch and seed share, as getopt values for their option
 * tables; fetch_opt_set() applies one (usage errors name the option).
 */
enum {
    FETCH_OPT_BASE = 0x200,
    FETCH_OPT_SELECT = FETCH_OPT_BASE,
    FETCH_OPT_LIST,
    FETCH_OPT_PEER,
    FETCH_OPT_WEBSEED,
    FETCH_OPT_TRACKER,
    FETCH_OPT_SEED_RATIO,
    FETCH_OPT_SEED_TIME,
    FETCH_OPT_TIMEOUT,
    FETCH_OPT_STALL,
    FETCH_OPT_MAX_DOWN,
    FETCH_OPT_MAX_UP,
    FETCH_OPT_LISTEN,
    FETCH_OPT_NO_DHT,
    FETCH_OPT_NO_LSD,
    FETCH_OPT_NO_UPNP,
    FETCH_OPT_END
};

bool fetch_opt_is(int opt);
enum fy_rc fetch_opt_set(struct fetch_opts *o,
                         int opt,
                         const char *arg,
                         struct fy_err *err);

/* Defaults: dir ".", no seeding, no timeout, stall timeout 600 s. */
void fetch_opts_init(struct fetch_opts *o);
void fetch_opts_release(struct fetch_opts *o);

/* Run the fetch; errors are recorded in ctx->err. */
enum fy_rc fetch_run(const struct fetch_opts *o, struct fy_ctx *ctx);

/*
 * Seed o->source (a .torrent file or URL) from o->dir: check every piece,
 * refuse (FY_EREFUSED) if any is missing or wrong, then upload until
 * SIGINT/SIGTERM (FY_OK) or o->seed_time / o->seed_ratio.  Never downloads.
 */
enum fy_rc fetch_seed(const struct fetch_opts *o, struct fy_ctx *ctx);

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

#endif
