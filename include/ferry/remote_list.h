/*
 * remote_list.h - what remote storage holds, and removing it: the engines
 * of `ferry ls` and `ferry rm` (src/remote_list.c, src/remote_s3list.c,
 * src/remote_rm.c), plus the pure parsers they use, for the unit tests.
 *
 * Listing:
 *
 *     rc = remote_list("s3://bkt/backups/", &o, false, print, arg, out,
 *                      &st, err);
 *
 * A URL-PREFIX is a prefix, as in S3: everything whose name starts with
 * it is listed.  The part up to its last '/' names a directory (S3: a
 * prefix that ends with '/'); names are given relative to it.  Without
 * recursive, one level: a "directory" below is one entry of type
 * REMOTE_ENTRY_DIR whose name ends with '/' (S3: a CommonPrefix).  With
 * recursive, everything below, directories not shown (as S3 has none),
 * names holding '/'.  Order: byte order of the names within a page (S3)
 * or a directory (SFTP, file://, sorted here); S3 gives the directories
 * of a page first.
 *
 *   s3://BUCKET[/PREFIX]   ListObjectsV2 (list-type=2, delimiter=/ unless
 *                          recursive, encoding-type=url), page by page:
 *                          one page of at most 1,000 keys is held at a
 *                          time, whatever the bucket holds.
 *   sftp://.../DIR/[NAME]  libcurl's directory listing (OpenSSH's `ls -l`
 *                          lines): type and size exact, the time to the
 *                          minute (to the day for entries older than six
 *                          months), read in ferry's time zone.
 *   file:///DIR/[NAME]     readdir + fstatat, never following a symlink.
 *   http(s)://             FY_EUSAGE: there is no listing in HTTP.
 *
 * Hostile answers: the XML is parsed with expat as it arrives (no DTD,
 * every text bounded by S3_LIST_MAX_TEXT, a page by S3_LIST_MAX_BYTES and
 * S3_LIST_MAX_ITEMS); a page that is truncated but names no continuation
 * token, a token that repeats, a key outside the prefix, more than
 * REMOTE_LIST_MAX_PAGES pages: FY_ERUNTIME.  A directory listing is bounded
 * by REMOTE_LIST_MAX_ENTRIES entries and REMOTE_LIST_MAX_DIR_BYTES bytes;
 * recursion by REMOTE_LIST_MAX_DEPTH levels.
 *
 * Removing: remote_remove() removes one object (S3: HEAD, since S3
 * answers a delete of a missing key with 204, then DeleteObject; HTTP:
 * DELETE; SFTP: "rm PATH"; file://: unlink, never a directory).  A
 * missing object fails "URL: no such object" with *missing set, so a
 * caller (rm --force) may accept it.
 *
 * Ownership: every argument is borrowed.  The strings of a struct
 * remote_entry live until the callback returns.  Parser results are
 * released with the functions named below.
 * Errors: one line in err naming the URL as remote_url_show() shows it;
 * FY_EINPUT for a malformed URL or a file:// path that is not a directory
 * (ls) or is one (rm); FY_EUSAGE for http(s) to ls; FY_ERUNTIME for the
 * rest (FY_EREFUSED SSH host key, FY_ETIMEOUT stalled, FY_EINTR
 * SIGINT/SIGTERM).  A callback's failure (a closed stdout) stops the
 * listing and is returned as it is.
 */
#ifndef FERRY_REMOTE_LIST_H
#define FERRY_REMOTE_LIST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "ferry/err.h"

#ifdef __cplusplus
extern "C" {
#endif

struct out;
struct remote_opts;
struct remote_stats;

#define REMOTE_LIST_MAX_PAGES     100000      /* S3 pages of one listing */
#define REMOTE_LIST_MAX_ENTRIES   1000000     /* entries of one directory */
#define REMOTE_LIST_MAX_DIR_BYTES (64u << 20) /* listing text of one dir */
#define REMOTE_LIST_MAX_DEPTH     64          /* directory levels (recursive) */

enum remote_entry_type {
    REMOTE_ENTRY_FILE,
    REMOTE_ENTRY_DIR, /* name ends with '/' */
    REMOTE_ENTRY_LINK,
    REMOTE_ENTRY_OTHER /* FIFO, socket, device */
};

struct remote_entry {
    const char *name; /* relative to the listed directory, raw bytes: escape
                       * (out_escape) before showing */
    const char *url;  /* the entry's URL as ferry shows it: secrets hidden,
                       * already escaped */
    enum remote_entry_type type;
    int64_t size;  /* bytes, -1 unknown (directories) */
    int64_t mtime; /* Unix seconds, valid if has_mtime */
    bool has_mtime;
};

/* Called once per entry, in order; a failure stops the listing. */
typedef enum fy_rc (*remote_list_cb)(void *arg,
                                     const struct remote_entry *e,
                                     struct fy_err *err);

/* List url (a URL-PREFIX, above).  st (optional) counts the retries. */
enum fy_rc remote_list(const char *url,
                       const struct remote_opts *o,
                       bool recursive,
                       remote_list_cb cb,
                       void *arg,
                       struct out *out,
                       struct remote_stats *st,
                       struct fy_err *err);

/*
 * Remove the object at url.  *missing is set when it was not there (the
 * error then reads "URL: no such object").
 */
enum fy_rc remote_remove(const char *url,
                         const struct remote_opts *o,
                         struct out *out,
                         bool *missing,
                         struct remote_stats *st,
                         struct fy_err *err);

/* ------------------------------------ ListObjectsV2 (remote_s3list.c) */

#define S3_LIST_MAX_KEYS  1000        /* max-keys asked for (S3's own limit) */
#define S3_LIST_MAX_TEXT  8192        /* bytes of one key, prefix or token */
#define S3_LIST_MAX_ITEMS 10000       /* keys and prefixes in one page */
#define S3_LIST_MAX_BYTES (16u << 20) /* bytes of one page */

/*
 * The query of one ListObjectsV2 request, sorted and encoded for SigV4:
 * "continuation-token=T&delimiter=%2F&encoding-type=url&list-type=2&
 * max-keys=N&prefix=P" (token only when not NULL, delimiter only if
 * delimiter, prefix only when not empty).  Caller frees.
 */
char *s3_list_query(const char *prefix,
                    const char *token,
                    bool delimiter,
                    int max_keys);

struct s3_list_item {
    char *key;    /* the object key, or the CommonPrefix (ends with '/') */
    bool prefix;  /* a CommonPrefix */
    int64_t size; /* -1 unknown (and for a prefix) */
    int64_t mtime;
    bool has_mtime;
};

struct s3_list_page {
    struct s3_list_item *items; /* keys and prefixes, as the server sent */
    size_t n;
    bool truncated;   /* IsTruncated: more pages follow */
    char *next_token; /* NextContinuationToken (NULL if none) */
};

/*
 * A streaming parser of one ListBucketResult: feed the body as it
 * arrives (final = the end of it), then finish.  new/free pair; free(NULL)
 * is a no-op.  Errors (FY_ERUNTIME, the message says why without a URL):
 * not well-formed, a DTD, another root element, a text longer than
 * S3_LIST_MAX_TEXT, more than S3_LIST_MAX_ITEMS entries or
 * S3_LIST_MAX_BYTES bytes, an entry without a key, IsTruncated neither
 * "true" nor "false".  After a failure every call fails again.
 */
struct s3_list_parser;
struct s3_list_parser *s3_list_parser_new(void);
enum fy_rc s3_list_parser_feed(struct s3_list_parser *p,
                               const char *buf,
                               size_t len,
                               bool final,
                               struct fy_err *err);
/*
 * Check the whole page and hand it over (page is then the caller's, to
 * release with s3_list_page_release): keys %-decoded when the server says
 * EncodingType url; every key must start with prefix; a page that says
 * it is truncated must name a next token that differs from sent_token
 * (the token of this request, NULL for the first).  A missing IsTruncated
 * counts as false (the listing ends).
 */
enum fy_rc s3_list_parser_finish(struct s3_list_parser *p,
                                 const char *prefix,
                                 const char *sent_token,
                                 struct s3_list_page *page,
                                 struct fy_err *err);
void s3_list_parser_free(struct s3_list_parser *p);
void s3_list_page_release(struct s3_list_page *page);

/*
 * An ISO 8601 time as S3 writes it ("2026-11-27T12:34:56.000Z", the
 * fraction and the Z optional): Unix seconds in *t.  False if malformed.
 */
bool s3_parse_time(const char *s, int64_t *t);

/* ------------------------------- SFTP listing lines (remote_list.c) */

/*
 * One line of libcurl's SFTP directory listing, OpenSSH's `ls -l` form:
 * "MODE NLINK USER GROUP SIZE MON DAY HH:MM|YEAR NAME[ -> TARGET]".
 * On success *name is the name (caller frees; a symlink's " -> TARGET"
 * cut off), *type its type (from MODE's first letter), *size, *mtime in
 * Unix seconds: the time is read as local time, and a HH:MM date is in
 * the year that puts it at most a day after now (as ls writes it: within
 * the last six months).  False if the line does not have that form, or
 * the name is empty, ".", ".." or holds a '/'.
 */
bool remote_ls_line(const char *line,
                    time_t now,
                    char **name,
                    enum remote_entry_type *type,
                    int64_t *size,
                    int64_t *mtime);

#ifdef __cplusplus
}
#endif

#endif
