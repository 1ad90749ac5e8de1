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

#ifdef __cplusplus
}
#endif

#endif
