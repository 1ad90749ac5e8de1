/*
 * remote.h - transfers to and from remote storage through libcurl
 * (src/remote*.c; the only place that includes <curl/curl.h>).
 *
 * URL schemes (remote_url_parse):
 *   s3://BUCKET/KEY              S3 or S3-compatible (src/remote_s3.c)
 *   http://..., https://...      PUT / GET (src/remote_http.c)
 *   sftp://[USER@]HOST[:PORT]/PATH  (src/remote_sftp.c; HOST may be a
 *                                 Host alias of ~/.ssh/config)
 *   file:///PATH                 local file system (src/remote_file.c)
 * Anything else is FY_EINPUT (exit 3).
 *
 * Whole files:
 *
 *     struct remote_opts o;
 *     remote_opts_init(&o);                       (5 retries, 4 in flight)
 *     rc = remote_push("ws.tar.zst", "s3://b/ws.tar.zst", &o, out, &st, err);
 *     rc = remote_pull("s3://b/ws.tar.zst", "ws.tar.zst", &o, out, &st, err);
 *     remote_opts_release(&o);
 *
 * Streams (save / restore; no temporary file anywhere):
 *
 *     remote_upload_open(&os, url, &o, out, err);   then arc_pack(.., &os, ..)
 *     remote_download_open(&is, url, &o, out, err); then arc_unpack(&is, ..)
 *
 * Ownership: every string and struct argument is borrowed and read only,
 * except the outputs named (st, err, a stream's os/is).  o and out must
 * outlive a stream opened with them; a stream's close() frees it and is
 * called exactly once (stream.h).  Returned strings (remote_url_show,
 * remote_scrub, remote_url_basename) are the caller's to free; a struct
 * remote_url is released with remote_url_release().
 *
 * Errors: every function that can fail returns an enum fy_rc and records
 * one line in err ("URL: why", the URL as remote_url_show() shows it), the
 * first failure winning; FY_EINPUT for a bad URL, FY_EUSAGE only from
 * remote_opts_set() (remote_opts.h); the rest as below.
 *
 * SPEC: an upload is never visible under its final name until complete
 * (S3: one PUT or a completed multipart upload; HTTP: the PUT of the whole
 * body; SFTP: written to PATH.part, then renamed; file: PATH.part, fsync,
 * rename).  An upload stream's close(commit=false) discards everything
 * (an S3 multipart upload is aborted).  A download into a file goes to
 * FILE.part and is renamed only when every byte arrived.
 *
 * Transient failures (timeouts, connection resets, HTTP 408/429/5xx) are
 * retried with exponential backoff and jitter, honouring Retry-After, at
 * most o->retries times per request (each retry is counted in
 * remote_stats.retries and shown by a -v line: what failed, the wait); each S3
 * part and each ranged GET is retried on its own, and an interrupted GET
 * resumes where it stopped.  A transfer that moves no byte for o->stall_timeout
 * seconds counts as failed (and is retried); once retries are exhausted that is
 * FY_ETIMEOUT. Other failures are FY_ERUNTIME with one line saying why: "access
 * denied (HTTP 403): check credentials and permissions", "no such object (HTTP
 * 404)", DNS, TLS, SSH host key.  SIGINT/SIGTERM: FY_EINTR.
 *
 * Progress goes through out_progress() with the phase given in the
 * options ("push", "pull", "save", "restore"), from whichever thread runs
 * the transfers; nothing else prints while a stream is open.
 *
 * remote_get_mem() fetches a small document (a .torrent) whole into memory:
 * http://, https:// and file:// URLs, redirects followed (at most 5),
 * bounded in size and time (src/remote_curl.c).
 *
 * SPEC: secrets are never printed.  Every URL that reaches a message, a
 * progress line, a -v line or a JSON event goes through remote_url_show();
 * the URL as given only ever reaches libcurl.  libcurl's own error text is
 * passed through remote_scrub() before it is shown.
 *
 * Sizes a server declares (Content-Length, Content-Range, a HEAD answer)
 * are bounded by REMOTE_MAX_OBJECT (S3's largest object, 5 TiB) before any
 * arithmetic on them; pull also refuses an object larger than the free
 * space of the target's file system.  Both are FY_ERUNTIME.
 *
 * --header values are custom headers libcurl would send to any host a
 * redirect points at (it strips only Authorization and Cookie): with
 * --header, a redirect is followed only to the same scheme, host and port;
 * anything else fails "redirected to another host" (FY_EREFUSED).
 */
#ifndef FERRY_REMOTE_H
#define FERRY_REMOTE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ferry/err.h"
#include "ferry/xalloc.h"

#ifdef __cplusplus
extern "C" {
#endif

struct sbuf;
struct out;
struct fy_ostream;
struct fy_istream;

/* Is s a URL ferry can fetch with remote_get_mem()? */
int remote_is_url(const char *s);

/*
 * url as ferry shows it: the password of its userinfo (user:PASSWORD@) and
 * the value of every query or fragment parameter whose name says it holds
 * a secret become "***".  A name holds a secret if, %-decoded and compared
 * without case, it is "sig" or contains signature, credential, token, key,
 * pass, secret, auth or session (X-Amz-Signature, X-Amz-Credential,
 * X-Amz-Security-Token, Signature, passkey, key, token, access_token...).
 * The user name stays.  Control bytes, backslashes and invalid UTF-8 are
 * escaped as out_escape() does.  Any string is fine: when libcurl cannot
 * parse url, everything from the first ':' after "scheme://" to the last
 * '@' is hidden, so a malformed password is hidden too.  Caller frees.
 */
char *remote_url_show(const char *url);

/*
 * A copy of text with every secret of url (as remote_url_show() finds
 * them, both as written and %-decoded) replaced by "***": for text that
 * may quote the URL, such as libcurl's error buffer.  Secrets shorter than
 * REMOTE_SCRUB_MIN bytes are left alone (they would garble the text, and
 * they hide nothing).  Caller frees.
 */
#define REMOTE_SCRUB_MIN 4
char *remote_scrub(const char *text, const char *url);

/*
 * Do URLs a and b name the same scheme, host and port (default ports
 * filled in; scheme and host compared without case)?  False if either
 * does not parse.
 */
bool remote_same_origin(const char *a, const char *b);

/* The largest object ferry moves: S3's limit, 5 TiB. */
#define REMOTE_MAX_OBJECT ((int64_t)5 << 40)

/*
 * Append the body of url to out.  More than max bytes: FY_EINPUT.  No
 * answer within timeout_s seconds in all: FY_ETIMEOUT.  HTTP status >= 400,
 * connection, DNS, TLS errors: FY_ERUNTIME.
 */
enum fy_rc remote_get_mem(const char *url,
                          size_t max,
                          long timeout_s,
                          struct sbuf *out,
                          struct fy_err *err);

/* ------------------------------------------------------------- options */

#define REMOTE_RETRIES_DEFAULT  5
#define REMOTE_PARALLEL_DEFAULT 4
#define REMOTE_STALL_DEFAULT    60.0

struct remote_opts {
    int retries;            /* retries per request (--retries, default 5) */
    int parallel;           /* S3 parts / ranged GETs in flight (default 4) */
    double stall_timeout;   /* seconds without a byte (0: never) */
    struct strlist headers; /* --header "Name: value" (http/https only) */
    const char *ssh_key;    /* --ssh-key FILE (borrowed), else ssh's keys */
    const char *ssh_key_passphrase_file; /* --ssh-key-passphrase-file FILE
                                          * (borrowed), else the env's
                                          * FERRY_SSH_KEY_PASSPHRASE */
    const char *known_hosts;             /* --known-hosts FILE (borrowed), else
                                          * ~/.ssh/known_hosts */
    bool insecure_host;      /* --insecure-host: accept unknown SSH hosts */
    const char *phase;       /* progress phase, "push" etc. (borrowed) */
    int64_t part_size;       /* S3 part / GET chunk size; 0 = automatic.
                              * FERRY_S3_PART_SIZE (bytes) overrides it, for
                              * tests. */
    const char *aws_profile; /* --profile NAME (borrowed), else AWS_PROFILE */
    const char *aws_region;  /* --region R (borrowed), else the AWS chain */
    const char *s3_endpoint; /* --endpoint-url URL (borrowed), else the AWS
                              * settings (aws_config.h) */
    int64_t max_up;          /* --max-up: payload bytes/s sent by the whole
                              * transfer, all requests together (0: no
                              * limit) */
    int64_t max_down;        /* --max-down: likewise, received */
    bool no_resume;          /* --no-resume: start over, keep nothing */
    bool resumable;          /* restore --resumable (save.h) */
    const char *cache;       /* download streams: keep the bytes in
                              * CACHE.part, resumable (restore
                              * --resumable; borrowed), NULL: none */
};

/* The defaults above; no header.  (src/remote_opts.c) */
void remote_opts_init(struct remote_opts *o);
/* Free o->headers; the borrowed strings stay the caller's. */
void remote_opts_release(struct remote_opts *o);

/* --------------------------------------------------------------- URLs */

enum remote_scheme { REMOTE_S3, REMOTE_HTTP, REMOTE_SFTP, REMOTE_FILE };

struct remote_url {
    enum remote_scheme scheme;
    char *url;    /* as given: for libcurl only, never shown */
    char *show;   /* remote_url_show(url): for every message */
    char *bucket; /* s3 */
    char *key;    /* s3: the object key (not encoded) */
    char *path;   /* file: the local path (decoded) */
};
#define REMOTE_URL_INIT                                                        \
    {                                                                          \
        REMOTE_FILE, NULL, NULL, NULL, NULL, NULL                              \
    }

/*
 * Parse a storage URL.  Unsupported scheme, missing bucket, key, host or
 * path, or a URL naming a directory: FY_EINPUT.
 */
enum fy_rc
remote_url_parse(const char *s, struct remote_url *u, struct fy_err *err);
void remote_url_release(struct remote_url *u);
/* The last path element of a URL (for pull's default output), or NULL if
 * none.  Caller frees. */
char *remote_url_basename(const char *url);

/* ---------------------------------------------------------- transfers */

struct remote_stats {
    int64_t bytes;   /* payload bytes moved */
    int64_t parts;   /* requests that carried payload (parts, chunks) */
    int64_t retries; /* requests retried */
    double seconds;
    int64_t resumed; /* pull: bytes already on disk from an earlier run */
    /* a streamed upload (HTTP, SFTP) broke after its first bytes in a way
     * a retry would fix: only starting it again from byte 0 can; why
     * ("HTTP 503", "connection lost: ..."), and the server's Retry-After
     * in seconds (<= 0: none) */
    bool restart;
    char restart_why[160];
    double retry_after;
};

/*
 * Upload the regular file path to url.  path "-" is stdin, read to its end
 * through remote_upload_open() (S3: parts of a multipart upload as they
 * fill, one PUT if it all fits in one; HTTP: one chunked PUT; SFTP and
 * file: PATH.part, then renamed) and committed only at its end: an error
 * or SIGINT/SIGTERM before it leaves nothing under url.  An empty stdin
 * makes an empty object.
 */
enum fy_rc remote_push(const char *path,
                       const char *url,
                       const struct remote_opts *o,
                       struct out *out,
                       struct remote_stats *st,
                       struct fy_err *err);

/*
 * Download url into path (atomically; "-" is stdout).  Resumable across
 * runs (resume.h): path.part and path.part.ferry are kept when a pull is
 * interrupted or fails, and the next pull of the same URL into path asks
 * only for what they lack (o->no_resume: start over, keep nothing).
 */
enum fy_rc remote_pull(const char *url,
                       const char *path,
                       const struct remote_opts *o,
                       struct out *out,
                       struct remote_stats *st,
                       struct fy_err *err);

/*
 * An output stream whose bytes become the object at url.  Memory stays
 * bounded: S3 holds at most o->parallel parts in flight plus the one being
 * filled; HTTP and SFTP stream through a small pipe.  close(commit=true)
 * completes the upload and returns its error; close(false) discards it.
 * o and out must outlive the stream; st (optional) is filled at close.
 */
enum fy_rc remote_upload_open(struct fy_ostream *os,
                              const char *url,
                              const struct remote_opts *o,
                              struct out *out,
                              struct remote_stats *st,
                              struct fy_err *err);

/*
 * An input stream reading the object at url, downloaded in o->parallel
 * ranged requests at once into a bounded window of memory.  A missing
 * object fails here ("no such object").  A read error (after retries) is
 * returned by read(); the stream never returns a short object as EOF.
 * With o->cache (not for file://), the bytes go to o->cache + ".part" as
 * a pull's do, resumable by a later stream with the same cache (see
 * resume.h), and are read back from there; the caller removes the files
 * (resume_remove) when it is done with them.
 */
enum fy_rc remote_download_open(struct fy_istream *is,
                                const char *url,
                                const struct remote_opts *o,
                                struct out *out,
                                struct remote_stats *st,
                                struct fy_err *err);

/* ------------------------------------------- retry policy (unit-tested) */

enum remote_action { REMOTE_DONE, REMOTE_RETRY, REMOTE_FAIL };

struct remote_verdict {
    enum remote_action action;
    enum fy_rc rc;   /* what it is when given up (FY_ERUNTIME, ...) */
    const char *why; /* a few words, static; NULL for DONE */
};

/*
 * The one place that decides what a finished request means.  curl_code is
 * the CURLcode, status the HTTP status (0 when not HTTP), get true for a
 * download (a 404 is then "no such object").
 */
struct remote_verdict remote_classify(int curl_code, long status, bool get);

/*
 * Seconds to wait before retry number attempt (1, 2, ...): 1 s doubling
 * to at most 30 s, times a jitter factor in [0.5, 1.5) from jitter (in
 * [0, 1)); a server's Retry-After (> 0) wins, capped at 120 s.
 */
double remote_backoff(int attempt, double retry_after, double jitter);

/* A jitter factor in [0, 1) for remote_backoff(). */
double remote_jitter(void);

/*
 * Retry-After value: delta seconds ("120") or an HTTP date; now is the
 * current Unix time.  Returns seconds to wait, or -1 if unparsable.
 */
double remote_parse_retry_after(const char *v, double now);

#ifdef __cplusplus
}
#endif

#endif
