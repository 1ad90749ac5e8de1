/*
 * torrent.h - a small C API over libtorrent-rasterbar 2.0 (src/torrent.cpp).
 *
 * One struct tor_session runs one libtorrent session with at most one
 * torrent, which is all fetch and seed need; up runs several torrents in
 * one session through views of a shared session (below).  Calling sequence:
 *
 *     struct tor_options o;  tor_options_init(&o);  ...set fields...
 *     struct tor_session *s = tor_session_new(&o, err);
 *     tor_add(s, &params, err);
 *     while (...) {
 *         struct tor_event ev;
 *         while (tor_poll(s, 200, &ev)) ...handle ev...;
 *         tor_status(s, &st);
 *     }
 *     tor_session_free(s);     (quick: bounded wait for tracker goodbyes)
 *
 * No C++ exception crosses this boundary: every function catches and
 * reports through struct fy_err.  Strings handed out are copies the caller
 * frees, unless the comment says they are borrowed.
 */
#ifndef FERRY_TORRENT_H
#define FERRY_TORRENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ferry/err.h"

#ifdef __cplusplus
extern "C" {
#define TOR_NOEXCEPT noexcept
#else
#define TOR_NOEXCEPT
#endif

struct sbuf;
struct tor_session;

struct tor_options {
    const char *listen; /* "ADDR:PORT[,ADDR:PORT]"; NULL: libtorrent default */
    bool dht, lsd, upnp, natpmp;
    int64_t max_down, max_up; /* bytes/s, 0 = unlimited */
    bool metadata_only;       /* no disk I/O at all (fetch --list) */
    bool seeding;             /* tune for upload (ferry seed) */
};

/* Defaults: everything on (DHT, LSD, UPnP, NAT-PMP), no limits. */
void tor_options_init(struct tor_options *o) TOR_NOEXCEPT;
/*
 * The version of the libtorrent-rasterbar library loaded ("2.0.8.0"),
 * borrowed, for ferry --version (src/torrent_version.cpp).
 */
const char *tor_lib_version(void) TOR_NOEXCEPT;

struct tor_session *tor_session_new(const struct tor_options *o,
                                    struct fy_err *err) TOR_NOEXCEPT;
/*
 * Shut down; the wait for trackers' "stopped" replies is at most ~1 s.
 * A view (below) only takes its torrent out of the shared session.
 */
void tor_session_free(struct tor_session *s) TOR_NOEXCEPT;

/*
 * Several torrents in one session (ferry up): tor_session_shared() makes
 * the session (it holds no torrent itself), tor_session_view() a handle
 * on it that takes one torrent and is used like a session of its own
 * (tor_prepare ... tor_poll, tor_get_status, tor_session_free), each
 * from its own thread if need be: every event reaches the view whose
 * torrent it is about (listen events the first view).  Free every view
 * before the shared session.  The options (limits, listen, discovery)
 * are the session's, for all of its torrents.
 */
struct tor_session *tor_session_shared(const struct tor_options *o,
                                       struct fy_err *err) TOR_NOEXCEPT;
struct tor_session *tor_session_view(struct tor_session *shared,
                                     struct fy_err *err) TOR_NOEXCEPT;

struct tor_add_params {
    const char *magnet;  /* either a magnet link... */
    const void *torrent; /* ...or the bytes of a .torrent */
    size_t torrent_len;
    const char *save_path;
    const void *resume; /* optional resume data from TOR_EV_RESUME_DATA */
    size_t resume_len;
    const char *const *peers; /* "HOST:PORT" to connect to */
    size_t npeers;
    const char *const *webseeds;
    size_t nwebseeds;
    const char *const *trackers;
    size_t ntrackers;
    const uint8_t *file_prio; /* per file: 0 skip, 4 normal; NULL = all */
    size_t nfile_prio;
    bool upload_only; /* never download (ferry seed) */
    bool super_seed;  /* BEP 16 super seeding (seed --super-seed): reveal
                       * one piece at a time to each peer, so the origin's
                       * upload goes to pieces nobody has yet; libtorrent
                       * applies it only while the torrent is a seed */
    bool send_once;   /* seed --send-once: turn away (BEP 6 REJECT) a
                       * request for a piece another connected peer is
                       * getting from us or has, for a few seconds at most
                       * (src/torrent_origin.cpp) */
    bool recheck;     /* use resume data for metadata only: check files */
};

/*
 * Add the torrent in two steps, so the caller can check every file path
 * before anything touches the disk:
 *
 *     tor_prepare(s, &p, err);       parse the source and resume data
 *     if (tor_has_metadata(s)) ...   tor_file_at() etc. work from here
 *     tor_start(s, prio, n, err);    add it: prio per file (0 skip,
 *                                    4 normal) or NULL = all
 *
 * Unless p->upload_only, a torrent whose metadata comes later (a magnet)
 * starts with every file at priority 0: nothing is written until
 * tor_set_file_priorities().  Resume data is trusted only for the metadata
 * (when its info-hash is the source's) and, unless p->recheck, for which
 * pieces are had; paths, trackers, peers and flags in it are ignored.
 * FY_EINPUT for a malformed magnet or .torrent.  tor_add() is both steps,
 * with p->file_prio.
 */
enum fy_rc tor_prepare(struct tor_session *s,
                       const struct tor_add_params *p,
                       struct fy_err *err) TOR_NOEXCEPT;
enum fy_rc tor_start(struct tor_session *s,
                     const uint8_t *prio,
                     size_t n,
                     struct fy_err *err) TOR_NOEXCEPT;
/* Has tor_start() added the torrent? */
bool tor_started(struct tor_session *s) TOR_NOEXCEPT;
enum fy_rc tor_add(struct tor_session *s,
                   const struct tor_add_params *p,
                   struct fy_err *err) TOR_NOEXCEPT;

/*
 * Parse a .torrent without a session: its v1 info-hash (hex; v2-only
 * torrents give the truncated v2 hash) into hex, FY_EINPUT if malformed.
 */
enum fy_rc tor_torrent_infohash(const void *data,
                                size_t len,
                                char hex[41],
                                struct fy_err *err) TOR_NOEXCEPT;

/* The torrent's metadata (after TOR_EV_METADATA or from a .torrent). */
bool tor_has_metadata(struct tor_session *s) TOR_NOEXCEPT;
/* Torrent name (caller frees) or NULL without metadata. */
char *tor_name(struct tor_session *s) TOR_NOEXCEPT;
int64_t tor_total_size(struct tor_session *s) TOR_NOEXCEPT;
/* Number of files, not counting pad files; 0 without metadata. */
size_t tor_file_count(struct tor_session *s) TOR_NOEXCEPT;
/*
 * File i: its size and its path inside the torrent, including the torrent's
 * top directory for multi-file torrents (caller frees *path).
 */
enum fy_rc tor_file_at(struct tor_session *s,
                       size_t i,
                       int64_t *size,
                       char **path,
                       struct fy_err *err) TOR_NOEXCEPT;
/* Does file i carry the executable attribute? */
bool tor_file_executable(struct tor_session *s, size_t i) TOR_NOEXCEPT;
/* Apply priorities (0 skip, 4 normal), one per file as tor_file_at counts. */
enum fy_rc tor_set_file_priorities(struct tor_session *s,
                                   const uint8_t *prio,
                                   size_t n,
                                   struct fy_err *err) TOR_NOEXCEPT;
/* The metadata as a bencoded .torrent, appended to out. */
enum fy_rc tor_metadata(struct tor_session *s,
                        struct sbuf *out,
                        struct fy_err *err) TOR_NOEXCEPT;
/* Lower-case hex info-hash of the added torrent. */
void tor_infohash(struct tor_session *s, char hex[41]) TOR_NOEXCEPT;

enum tor_state {
    TOR_CHECKING,
    TOR_METADATA,
    TOR_DOWNLOADING,
    TOR_FINISHED, /* every wanted piece verified */
    TOR_SEEDING,  /* every piece verified */
    TOR_ERROR
};

struct tor_status {
    enum tor_state state;
    double progress;             /* 0..1 of wanted bytes (or of checking) */
    int64_t wanted, wanted_done; /* bytes selected / verified on disk */
    int64_t session_down;        /* payload bytes received by this process */
    int64_t session_up;
    int64_t all_time_up;       /* payload sent, kept in resume data */
    double down_rate, up_rate; /* payload bytes/s */
    int peers, seeds;          /* connected */
    int peers_known;           /* peers in the list, connected or not */
    /* most peers that sent data at once, and seeds among them: counted
     * as connections come and go, not sampled like peers/seeds */
    int sources_max, seed_sources_max;
    int pieces, pieces_done;
    int listen_port;      /* first listen port, 0 if none */
    bool super_seeding;   /* libtorrent reports BEP 16 super seeding on */
    int64_t held_back;    /* --send-once: requests turned away so far */
    int64_t webseed_held; /* web seed requests held for peers to serve */
    char error[256];      /* torrent error text, "" if none */
};

enum fy_rc tor_get_status(struct tor_session *s,
                          struct tor_status *st,
                          struct fy_err *err) TOR_NOEXCEPT;

enum tor_event_type {
    TOR_EV_METADATA,      /* metadata received (magnet) */
    TOR_EV_CHECKED,       /* files checked (on add or after recheck) */
    TOR_EV_FINISHED,      /* every wanted piece downloaded and verified */
    TOR_EV_HASH_FAILED,   /* piece: a piece failed its hash check */
    TOR_EV_PEER_BANNED,   /* where: a peer banned for bad data */
    TOR_EV_TRACKER_ERROR, /* where: tracker URL, msg: why */
    TOR_EV_TRACKER_REPLY, /* where: tracker URL, count: peers returned */
    TOR_EV_FILE_ERROR,    /* where: file, msg: why, code: errno or 0 */
    TOR_EV_TORRENT_ERROR, /* msg, code: errno or 0 */
    TOR_EV_LISTEN_FAILED, /* where: address, msg */
    TOR_EV_LISTEN_OK,     /* where: address, count: port */
    TOR_EV_RESUME_DATA,   /* data/len: resume data to store */
    TOR_EV_RESUME_FAILED, /* msg */
    TOR_EV_FLUSHED,       /* the disk cache is written out */
    TOR_EV_ALERTS_DROPPED /* the alert queue overflowed */
};

struct tor_event {
    enum tor_event_type type;
    int piece;
    int code; /* errno behind a file or torrent error, 0 if none */
    int64_t count;
    char where[512];
    char msg[512];
    void *data; /* owned by the session; valid until the next tor_poll */
    size_t len;
};

/*
 * Next event, waiting at most timeout_ms for one.  Returns true and fills
 * *ev, or false if none came.
 */
bool tor_poll(struct tor_session *s,
              int timeout_ms,
              struct tor_event *ev) TOR_NOEXCEPT;

/* Ask for resume data (answered by TOR_EV_RESUME_DATA or _FAILED). */
enum fy_rc tor_save_resume(struct tor_session *s,
                           bool flush,
                           struct fy_err *err) TOR_NOEXCEPT;
/* Stop downloading and uploading now (disconnects every peer). */
void tor_pause(struct tor_session *s) TOR_NOEXCEPT;

struct tor_create_params {
    const char *dir;
    const char *const *trackers;
    size_t ntrackers;
    const char *const *webseeds;
    size_t nwebseeds;
    int piece_kib; /* 0: libtorrent chooses */
    const char *creator;
};

/*
 * Hash dir into a v1 .torrent (appended to out) and return its magnet link
 * (caller frees) in *magnet.  A top-level ".ferry" directory is left out.
 * progress, if not NULL, is called with (bytes hashed, bytes in all).
 */
enum fy_rc tor_create(const struct tor_create_params *p,
                      struct sbuf *out,
                      char **magnet,
                      void (*progress)(void *arg, int64_t done, int64_t total),
                      void *arg,
                      struct fy_err *err) TOR_NOEXCEPT;

#ifdef __cplusplus
}
#endif

#endif
