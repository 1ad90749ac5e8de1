/*
 * remote_int.h - what the src/remote*.c modules share and nobody else sees
 * (it includes <curl/curl.h>): the request engine of remote_xfer.c, the
 * object handle ("target") each backend fills in, and the backends' entry
 * points.
 *
 * Engine.  A struct rjob is one request (a PUT of a part, a ranged GET,
 * a HEAD...).  reng_submit() queues it; the engine runs up to
 * o->parallel requests at once on one curl multi handle, retries each on
 * its own (remote_classify/remote_backoff), resumes a ranged GET where it
 * stopped, and marks it finished.  It runs either in the caller's thread
 * (reng_run, after every job is submitted and reng_close) or in a thread
 * of its own (reng_start/reng_join) while a producer submits jobs and a
 * consumer waits for them on e->cv under e->mu.  The first failure stops
 * everything and is kept in e->err; waiters see e->rc != FY_OK.
 *
 * A job belongs to its owner, who frees it (rjob_release) after the engine
 * is done with it: once it is finished, or after reng_join/reng_run.
 *
 * Layers, calls pointing down only: remote.c (URL -> backend) -> the
 * backends remote_{s3,http,sftp,file}.c through struct remote_backend ->
 * remote_pull.c, remote_file_pull.c (resumable pulls, resume.h) ->
 * remote_ops.c (the transfers the curl backends share) -> remote_xfer.c
 * (the engine) -> remote_policy.c, remote_curl.c, remote_url.c.
 *
 * Ownership: a struct rtarget is filled by rtarget_open (remote.c) and
 * freed by rtarget_release; rtarget_move hands it to a stream.  A target
 * and its options must outlive every job on it.  Errors: functions that
 * can fail return an enum fy_rc and record one line in their err; the
 * engine's first failure is kept in e->err, a callback's in j->local.
 */
#ifndef FERRY_REMOTE_INT_H
#define FERRY_REMOTE_INT_H

#include <curl/curl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "ferry/err.h"
#include "ferry/remote.h"
#include "ferry/remote_digest.h"
#include "ferry/remote_rate.h"
#include "ferry/xalloc.h"

struct fy_istream;
struct fy_ostream;
struct out;
struct remote_backend;
struct rjob;
struct reng;
struct rpipe;

enum rmethod { RM_GET, RM_HEAD, RM_PUT, RM_POST, RM_DELETE };

/*
 * An object named by a URL, ready for requests.  setup() configures a
 * handle for one attempt of a job on it: URL (plus j->query), auth,
 * headers (into j->hdrs).  The engine has already set the method, body,
 * range and callbacks.  commit/discard (optional) run after a whole
 * upload succeeded/failed (SFTP: rename PATH.part / remove it); commit
 * counts its retries in st (may be NULL) and shows them on out.
 *
 * reroute (optional) looks at an answer of status >= 300 before the
 * engine judges it, with the handle h still open (its headers readable)
 * and the body in j->resp; out may be NULL.  1: the backend now sends the
 * request elsewhere (S3: the bucket's region), so the engine sends it
 * again at once, not counted as a retry, at most once per job; -1: fail
 * with j->local (set by the hook); 0: judge the answer as usual.
 */
struct rtarget {
    struct remote_url u;
    const struct remote_opts *o;
    const struct remote_backend *backend; /* the hooks of u's scheme */
    void *be;
    void (*be_free)(void *be);
    enum fy_rc (*setup)(struct rjob *j, CURL *h, struct fy_err *err);
    void (*explain)(const struct rjob *j, struct sbuf *why);
    enum fy_rc (*commit)(struct rtarget *t,
                         struct out *out,
                         struct remote_stats *st,
                         struct fy_err *err);
    void (*discard)(struct rtarget *t);
    int (*reroute)(struct rjob *j, CURL *h, long status, struct out *out);
    /*
     * Optional: j's login was denied (CURLE_LOGIN_DENIED).  True: setup()
     * now uses other credentials (SFTP: the next key), so the job runs
     * again at once, without counting a retry; the hook itself makes
     * sure this ends (a backend has finitely many).  False: give up; the
     * hook may record why in j->local (what was tried), else the engine
     * says "login denied".
     */
    bool (*auth_next)(struct rjob *j);
    /* optional: is this failed answer worth a retry after all (S3: a 400
     * BadDigest, the body was damaged on the way)?  Sets *why. */
    bool (*transient)(const struct rjob *j, const char **why);
    bool http; /* status codes are HTTP's */
};

#define RESP_MAX (1u << 20)

struct rjob {
    /* --- set by the owner (rjob_init gives safe defaults) --- */
    struct rtarget *t;
    enum fy_rc (*setup)(struct rjob *j, CURL *h, struct fy_err *err);
    enum fy_rc (*done)(struct rjob *j, struct fy_err *err); /* optional */
    /* optional: looks at each 2xx answer (its headers: etag, lastmod)
     * before its first body byte is stored; false fails the job (j->local
     * says why, set by accept) and no byte of that answer is kept */
    bool (*accept)(struct rjob *j);
    void *owner;
    char *what;  /* for messages (owned) */
    char *query; /* pre-sorted, pre-encoded query string (owned) */
    int64_t num; /* part number / chunk index */
    int cred;    /* the credentials setup() used (backend's, for auth_next) */
    enum rmethod method;
    bool payload; /* counts as a part/chunk in the stats */
    bool cleanup; /* runs even after SIGINT (abort, remove .part) */
    /* request body (PUT/POST): mem (borrowed, or mem_owned) or fd at off */
    const char *mem;
    char *mem_owned;
    int fd;
    struct rpipe *pipe; /* streamed body: not replayable once started */
    int64_t off, len;   /* body or wanted range; len -1: unknown/to end */
    /* download target: dst (len bytes) or dst_fd at off, or sink (a
     * pipe to a reader: not replayable once a byte went in); else resp */
    char *dst;
    int dst_fd;
    struct rpipe *sink;
    bool ranged; /* ask for bytes off+got .. off+len-1 */
    /* a GET of byte 0 to learn the size: an answer of 200 (the server
     * ignores ranges) is stopped after its headers and sets whole */
    bool size_probe;
    bool whole;
    /* the backend's routing generation when the attempt was set up (S3:
     * which region it went to); whether t->reroute sent it again */
    unsigned route;
    bool rerouted;
    /* Content-MD5 of the body (base64), sent if not empty (S3) */
    char md5[REMOTE_MD5_B64];
    /* --- results --- */
    int64_t got; /* body bytes moved; kept across retries of a GET */
    long status;
    char *etag;
    char *lastmod;    /* Last-Modified as sent, or NULL */
    int64_t filetime; /* HEAD: the modification time (Unix s), -1 */
    int64_t total;    /* Content-Range total or Content-Length, -1;
                       * INT64_MAX if the server's number does not fit */
    int64_t clen;     /* Content-Length as sent (parse_size), -1 */
    struct sbuf resp; /* small response bodies (XML, errors) */
    struct curl_slist *hdrs;
    bool finished; /* set under e->mu once it succeeded */
    int result;    /* the CURLcode of the last attempt */
    /* --- engine private --- */
    int attempts;
    bool paused;   /* by the rate limit (remote_rate.c resumes it) */
    bool accepted; /* accept() said yes to this answer */
    double not_before, retry_after;
    CURL *h;
    struct reng *eng;
    struct rjob *next;
    struct fy_err local; /* a callback's own failure (not retried) */
    char ebuf[CURL_ERROR_SIZE];
};

void rjob_init(struct rjob *j, struct rtarget *t, enum rmethod m);
void rjob_release(struct rjob *j);

struct reng {
    const struct remote_opts *o;
    struct out *out;
    int64_t total; /* for progress, -1 unknown */
    int64_t base;  /* bytes already done before this engine (progress) */
    int parallel;
    CURLM *m;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    struct rjob *queue; /* not started (or waiting to retry) */
    int active;
    struct rjob **act; /* running (engine thread only) */
    size_t nact, capact;
    bool closed, exited, threaded;
    bool cleanup; /* ignore SIGINT: running cleanup requests */
    char *name;   /* for messages: the first job's what */
    enum fy_rc rc;
    struct fy_err err;
    int64_t bytes; /* payload bytes moved (engine thread only) */
    /* --max-up / --max-down, shared by every request (engine thread) */
    struct rrate up, down;
    size_t turn; /* which paused request resumes first */
    struct remote_stats st;
    /* optional: called in the engine's thread after each turn of its loop
     * (e->act holds the running jobs); it may call reng_cancel */
    void (*tick)(struct reng *e, void *arg);
    void *tick_arg;
    pthread_t th;
};

void reng_init(struct reng *e,
               const struct remote_opts *o,
               struct out *out,
               int64_t total);
/* Queue a job (any thread). */
void reng_submit(struct reng *e, struct rjob *j);
/* No more jobs: the engine ends once the queue is empty. */
void reng_close(struct reng *e);
/* Stop now with this error (any thread; the first error wins). */
void reng_cancel(struct reng *e, enum fy_rc rc, const char *msg);
/* Run in this thread until closed and idle, or failed. */
enum fy_rc reng_run(struct reng *e, struct fy_err *err);
/* Run in a thread of its own; reng_join waits and reports. */
void reng_start(struct reng *e);
enum fy_rc reng_join(struct reng *e, struct fy_err *err);
void reng_release(struct reng *e);
/* Wake the engine (after changing something it polls). */
void reng_wakeup(struct reng *e);

/*
 * remote_rate.c: resume the requests of e the rate limit paused, in turn,
 * while their bucket has tokens; lower *next to when the others could go.
 * A request that fails as it resumes (its callback's error in j->local) is
 * returned, for the engine to fail with; else NULL.  Engine thread only.
 */
struct rjob *rrate_resume(struct reng *e, double now, double *next);

/*
 * remote_digest.c: fill j->md5 with the Content-MD5 of a PUT's body (from
 * j->mem, or len bytes of j->fd from off), unless it is set already or the
 * body is streamed (j->pipe).  Errors as remote_md5_fd().
 */
enum fy_rc rjob_md5(struct rjob *j, struct fy_err *err);

/* One request with retries, in this thread (progress shown if total>=0). */
enum fy_rc remote_run_one(struct rtarget *t,
                          struct rjob *j,
                          struct out *out,
                          int64_t total,
                          struct remote_stats *st,
                          struct fy_err *err);

/*
 * A bounded byte pipe between the engine and another thread.  Feeding a
 * streamed PUT: the producer writes (blocks while full), the engine's read
 * callback reads (blocks while empty).  Fed by a streamed GET (j->sink):
 * the write callback writes, the consumer reads; the job's done callback
 * calls rpipe_finish.  Guarded by the engine's mutex; a failed or
 * cancelled engine wakes both.  rpipe_read returns up to n bytes, 0 at the
 * end, -1 once the engine failed or SIGINT/SIGTERM arrived.
 */
struct rpipe *rpipe_new(struct reng *e, size_t cap);
enum fy_rc
rpipe_write(struct rpipe *p, const void *buf, size_t n, struct fy_err *err);
ssize_t rpipe_read(struct rpipe *p, char *buf, size_t n);
void rpipe_finish(struct rpipe *p);
void rpipe_free(struct rpipe *p);

/*
 * Room for size more bytes in the file system of fd (named name)?  Else
 * FY_ERUNTIME "not enough space".  Unknown (size < 0, no statvfs): FY_OK.
 */
enum fy_rc
remote_check_space(int fd, const char *name, int64_t size, struct fy_err *err);

/* Add st to total. */
void remote_stats_add(struct remote_stats *total,
                      const struct remote_stats *st);

/* ------------------------------------------------------------ backends */

/*
 * A backend: what remote.c calls for the scheme of a URL.  t was opened
 * by remote.c (URL parsed, open hook run) and is released by remote.c
 * after the hook returns; a stream that keeps t takes it over with
 * rtarget_move(), leaving t empty.  Every hook records its failure in err
 * (one line naming the URL or the path) and returns its code; st counts
 * every request, retries included (upload/download streams: at close).
 *
 * open           fill t's setup/commit/discard/be (NULL: nothing to fill)
 * push_file      upload the local regular file path to t
 * pull_file      download t into the local file path (atomically)
 * upload_open    an output stream whose bytes become t (the "start"
 *                event is already shown)
 * download_open  an input stream of t's bytes
 */
struct remote_backend {
    enum fy_rc (*open)(struct rtarget *t, struct fy_err *err);
    enum fy_rc (*push_file)(struct rtarget *t,
                            const char *path,
                            struct out *out,
                            struct remote_stats *st,
                            struct fy_err *err);
    enum fy_rc (*pull_file)(struct rtarget *t,
                            const char *path,
                            struct out *out,
                            struct remote_stats *st,
                            struct fy_err *err);
    enum fy_rc (*upload_open)(struct fy_ostream *os,
                              struct rtarget *t,
                              struct out *out,
                              struct remote_stats *st,
                              struct fy_err *err);
    enum fy_rc (*download_open)(struct fy_istream *is,
                                struct rtarget *t,
                                struct out *out,
                                struct remote_stats *st,
                                struct fy_err *err);
};

extern const struct remote_backend remote_s3_backend;   /* remote_s3.c */
extern const struct remote_backend remote_http_backend; /* remote_http.c */
extern const struct remote_backend remote_sftp_backend; /* remote_sftp.c */
extern const struct remote_backend remote_file_backend; /* remote_file.c */

/* A progress line of a file:// transfer (o->phase; none without it;
 * src/remote_file_pull.c). */
void rfile_progress(const struct remote_opts *o,
                    struct out *out,
                    int64_t done,
                    int64_t total,
                    bool force);

/* file://'s pull_file: a copy into path.part by its missing ranges,
 * resumable across runs (src/remote_file_pull.c). */
enum fy_rc rfile_pull(struct rtarget *t,
                      const char *path,
                      struct out *out,
                      struct remote_stats *st,
                      struct fy_err *err);

/* remote_curl.c: curl_global_init() once (any thread); its result. */
CURLcode remote_curl_global(void);
/*
 * What every libcurl handle of ferry gets: no signals, ferry's User-Agent,
 * and the CA bundle to verify TLS servers with, from the environment as
 * other tools read it: CURL_CA_BUNDLE, AWS_CA_BUNDLE, then SSL_CERT_FILE
 * (the first one set and non-empty; none: libcurl's default, the system's).
 */
void remote_curl_defaults(CURL *curl);

/* remote_policy.c: the part / chunk size in use (FERRY_S3_PART_SIZE,
 * o->part_size, else 8 MiB). */
int64_t remote_chunk_size(const struct remote_opts *o);

/* ---------------------------------------- remote_ops.c: shared transfers */

/*
 * remote.c: parse url and fill t by its backend's open hook; or take a URL
 * parsed elsewhere (u is moved into t and left empty: ls builds the
 * URL of a prefix or a directory, which remote_url_parse refuses).  On
 * failure t is empty.
 */
enum fy_rc rtarget_open(struct rtarget *t,
                        const char *url,
                        const struct remote_opts *o,
                        struct fy_err *err);
enum fy_rc rtarget_open_url(struct rtarget *t,
                            struct remote_url *u,
                            const struct remote_opts *o,
                            struct fy_err *err);

/* Free what t holds (its backend state, its URL); t is then empty. */
void rtarget_release(struct rtarget *t);
/* Move src into dst; src is left empty (rtarget_release does nothing). */
void rtarget_move(struct rtarget *dst, struct rtarget *src);

/*
 * Open the local file path to push it: a regular file (else FY_EINPUT)
 * of at most REMOTE_MAX_OBJECT bytes (else FY_ERUNTIME).  *fd is the
 * caller's to close.
 */
enum fy_rc
rops_push_open(const char *path, int *fd, int64_t *size, struct fy_err *err);
/* One PUT of size bytes of fd, then t's commit (or, failed, discard). */
enum fy_rc rops_put_fd(struct rtarget *t,
                       int fd,
                       int64_t size,
                       struct out *out,
                       struct remote_stats *st,
                       struct fy_err *err);

/*
 * What pull and restore learn before the first byte (rops_probe): the size
 * of the object (-1 if the server does not say), whether it honours byte
 * ranges, and its validators as the server sent them (NULL if none): the
 * ETag, and Last-Modified (HTTP) or the modification time in decimal Unix
 * seconds (SFTP).  Free with rprobe_release().
 */
struct rprobe {
    int64_t total;
    bool ranges;
    char *etag;
    char *modified;
};
#define RPROBE_INIT                                                            \
    {                                                                          \
        -1, false, NULL, NULL                                                  \
    }
void rprobe_release(struct rprobe *p);
/*
 * Probe t: a HEAD, or, if HEAD is refused (HTTP 403, 405, 501), a GET of
 * byte 0.  A missing object fails "no such object".  A size beyond
 * REMOTE_MAX_OBJECT fails before anything is computed from it.  Retries
 * are counted in st and shown with -v.  p is released first.
 */
enum fy_rc rops_probe(struct rtarget *t,
                      struct out *out,
                      struct remote_stats *st,
                      struct rprobe *p,
                      struct fy_err *err);

/* The hooks of the libcurl backends (see struct remote_backend). */
enum fy_rc rops_push_file(struct rtarget *t,
                          const char *path,
                          struct out *out,
                          struct remote_stats *st,
                          struct fy_err *err);
/*
 * rops_probe, then parallel ranged GETs of what path.part lacks, resumable
 * across runs (resume.h; src/remote_pull.c).
 */
enum fy_rc rops_pull_file(struct rtarget *t,
                          const char *path,
                          struct out *out,
                          struct remote_stats *st,
                          struct fy_err *err);
/*
 * A download stream like rops_download_open's that keeps the bytes in
 * cache.part (resume.h) as they arrive and reads them back in order: a
 * rerun after an interruption fetches only what cache.part lacks.  The
 * files stay after close, the caller removes them (resume_remove) once it
 * has what it wanted.  Without byte ranges, a size or a validator (or with
 * o->no_resume): the plain stream, and any old cache is removed.
 */
enum fy_rc rops_download_cached_open(struct fy_istream *is,
                                     struct rtarget *t,
                                     const char *cache,
                                     struct out *out,
                                     struct remote_stats *st,
                                     struct fy_err *err);
/* One streamed PUT fed through a pipe (HTTP, SFTP). */
enum fy_rc rops_upload_open(struct fy_ostream *os,
                            struct rtarget *t,
                            struct out *out,
                            struct remote_stats *st,
                            struct fy_err *err);
/* A window of o->parallel + 1 ranged GETs (one plain GET without ranges). */
enum fy_rc rops_download_open(struct fy_istream *is,
                              struct rtarget *t,
                              struct out *out,
                              struct remote_stats *st,
                              struct fy_err *err);

/*
 * Write all of is into path in byte order ("-": stdout; a file through
 * path.part, committed at the end), then close is (always).
 */
enum fy_rc
rops_write_stream(struct fy_istream *is, const char *path, struct fy_err *err);

#endif
