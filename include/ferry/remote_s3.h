/*
 * remote_s3.h - the pure parts of the S3 backend (src/remote_s3.c, and
 * src/remote_s3_addr.c for addressing and regions), so the
 * unit tests can check every request we build against fixed strings:
 * libcurl 7.88 signs what it is given without canonicalizing it, so the
 * URL, the query and the headers must already be in SigV4 canonical form.
 *
 * Request shape (libcurl computes the signature from these):
 *   URL     s3_object_url() (src/remote_s3_addr.c): virtual-hosted
 *           https://BUCKET.s3.REGION.amazonaws.com/KEY or path-style
 *           ENDPOINT/BUCKET/KEY, as s3_addressing_pick() decides; the key
 *           is URI-encoded per segment ('/' kept), as SigV4's canonical URI
 *           wants it for S3 (no double encoding).  libcurl signs the Host
 *           header it sends, so the bucket in the host name is signed too.
 *   query   already sorted and encoded: "uploads=", "partNumber=N&
 *           uploadId=ID", "uploadId=ID".
 *   headers s3_headers(): x-amz-content-sha256 (UNSIGNED-PAYLOAD with a
 *           body, the SHA-256 of "" without), x-amz-security-token.
 *   signing CURLOPT_AWS_SIGV4 = s3_sigv4_param() "aws:amz:REGION:s3".
 *
 * Ownership: every returned string is the caller's to free; the
 * arguments are borrowed and only read; sbuf and strlist arguments are
 * appended to.
 * Errors: nothing here fails or records an fy_err (memory exhaustion
 * aborts, as xalloc.h does); "not found" and "not well-formed" are a NULL
 * return where the function says so.  The exceptions are struct
 * s3_route's init and follow, which say so.
 */
#ifndef FERRY_REMOTE_S3_H
#define FERRY_REMOTE_S3_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ferry/err.h"
#include "ferry/xalloc.h"

#ifdef __cplusplus
extern "C" {
#endif

#define S3_EMPTY_SHA256                                                        \
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
#define S3_MAX_PARTS 10000

/* SigV4 URI encoding: A-Z a-z 0-9 - _ . ~ kept, '/' kept if keep_slash,
 * every other byte %XX (upper case).  Appends to sb. */
void s3_uri_encode(struct sbuf *sb, const char *s, bool keep_slash);

/* ---------------------------------------------------------- addressing
 *
 * Where a request goes, chosen as the AWS CLI chooses it (its s3
 * addressing_style setting):
 *   auto     virtual-hosted on AWS (no endpoint, or an endpoint that is an
 *            amazonaws.com S3 host, s3_endpoint_is_aws), path-style on any
 *            other endpoint (MinIO, Ceph, R2, s3rver...);
 *   virtual  virtual-hosted on every endpoint but an IP address;
 *   path     always path-style.
 * A bucket name that is not a DNS label list (s3_bucket_dns_ok: upper
 * case, '_', too short or long, an IP address; dots under https, where the
 * *.s3.REGION.amazonaws.com certificate would not match) is always
 * path-style.  Virtual-hosted with an endpoint puts the bucket in front of
 * its host: http://HOST:PORT/PREFIX -> http://BUCKET.HOST:PORT/PREFIX/KEY.
 */
enum s3_addressing {
    S3_ADDR_INVALID = -1,
    S3_ADDR_AUTO = 0,
    S3_ADDR_PATH,
    S3_ADDR_VIRTUAL
};

/* "auto", "path", "virtual" (any case); NULL or "" is auto; anything else
 * S3_ADDR_INVALID.  For FERRY_S3_ADDRESSING and a profile's s3
 * addressing_style. */
enum s3_addressing s3_addressing_parse(const char *s);
/* "auto", "path", "virtual" ("invalid"). */
const char *s3_addressing_name(enum s3_addressing a);

/* May bucket be the first labels of a host name?  3-63 bytes of labels
 * [a-z0-9] and inner '-', separated by single dots only if dots is true,
 * not an IPv4 address. */
bool s3_bucket_dns_ok(const char *bucket, bool dots);
/* Is endpoint (a URL) an AWS S3 host: *.amazonaws.com or *.amazonaws.com.cn
 * whose first label is "s3" or starts with "s3-"? */
bool s3_endpoint_is_aws(const char *endpoint);
/* What a request for bucket is sent as: S3_ADDR_PATH or S3_ADDR_VIRTUAL
 * (see above); a is what is configured, endpoint NULL means AWS. */
enum s3_addressing s3_addressing_pick(enum s3_addressing a,
                                      const char *endpoint,
                                      const char *bucket);

/* The object URL: endpoint NULL means AWS (https://..amazonaws.com, or
 * .amazonaws.com.cn for a cn-* region); query may be NULL. */
char *s3_object_url(enum s3_addressing a,
                    const char *endpoint,
                    const char *region,
                    const char *bucket,
                    const char *key,
                    const char *query);

/* "partNumber=N&uploadId=ENC" and "uploadId=ENC". */
char *s3_query_part(int part, const char *upload_id);
char *s3_query_upload(const char *upload_id);

/* "aws:amz:REGION:s3" */
char *s3_sigv4_param(const char *region);

/* The extra headers of a request (appended to l, in this order). */
void s3_headers(struct strlist *l, bool has_body, const char *token);

/* The CompleteMultipartUpload body for etags[0..n-1] (parts 1..n). */
char *s3_complete_xml(char *const *etags, size_t n);

/*
 * The text of the first element at path ("Error/Code",
 * "InitiateMultipartUploadResult/UploadId") of an XML document, parsed
 * with expat.  NULL if absent or the document is not well-formed.
 */
char *s3_xml_text(const char *xml, size_t len, const char *path);
/* The name of the root element, or NULL. */
char *s3_xml_root(const char *xml, size_t len);

/*
 * A value from an AWS ini file (credentials, config): key in [section];
 * NULL if absent.  Spaces around '=' and values are trimmed; '#' and ';'
 * start comments.
 */
char *s3_ini_get(const char *text, const char *section, const char *key);

/* ------------------------------------------------------------- regions */

/* A region name ferry puts in a host name and a signature: 1-32 bytes of
 * letters, digits and '-', not starting with '-'.  Anything a server
 * sends is checked with this before it is used. */
bool s3_region_ok(const char *region);

/*
 * The region an AWS S3 host name (or a URL of one) names:
 * "bkt.s3.eu-west-1.amazonaws.com", "bkt.s3-eu-west-1.amazonaws.com",
 * "s3.dualstack.eu-west-1.amazonaws.com" -> "eu-west-1".  NULL if host is
 * not an amazonaws.com S3 host or names no region shaped like AWS's
 * (letters-...-digits: "bkt.s3.amazonaws.com", "s3-external-1...").
 */
char *s3_region_from_host(const char *host);

/*
 * endpoint with its region label from replaced by to, if it is an AWS S3
 * host (s3_endpoint_is_aws) that has one: "https://s3.us-east-1.amazonaws.
 * com" -> "https://s3.eu-west-1.amazonaws.com".  NULL if nothing changes.
 */
char *
s3_endpoint_with_region(const char *endpoint, const char *from, const char *to);

/* What an error answer says about where the bucket is.  Every string may
 * be NULL; none needs to be trusted. */
struct s3_answer {
    long status;            /* HTTP status */
    const char *hdr_region; /* x-amz-bucket-region */
    const char *code;       /* Error/Code of the XML body */
    const char *xml_region; /* Error/Region */
    const char *endpoint;   /* Error/Endpoint (a host name) */
    const char *location;   /* Location */
};

/*
 * The region a wrong-region answer sends us to, checked (s3_region_ok), or
 * NULL if the answer is not one or names no usable region:
 *   301 PermanentRedirect (or no body: a HEAD)  x-amz-bucket-region, else
 *       the Endpoint host's region;
 *   302/307 TemporaryRedirect (or no body)  the same, else the Location
 *       host's region;
 *   400 AuthorizationHeaderMalformed  Error/Region, else the header;
 *   400 IllegalLocationConstraintException or no body (a HEAD)  the header.
 * Caller frees.
 */
char *s3_answer_region(const struct s3_answer *a);

/*
 * The region, endpoint and addressing requests of one S3 target are sent
 * with, shared by every transfer thread of the target.  A region redirect
 * switches it (under mu) at most S3_ROUTE_MAX_SWITCHES times; gen counts
 * the switches, so an answer to a request sent before a switch is told
 * from one to a request sent after it.
 *
 *     s3_route_init(&r, region, endpoint, addressing, show, err);
 *     gen = s3_route_request(&r, bucket, key, query, &url, &sigv4);
 *     ... an error answer a to that request:
 *     switch (s3_route_follow(&r, gen, &a, what, out, err)) ...
 *     s3_route_release(&r);
 */
#define S3_ROUTE_MAX_SWITCHES 1

struct s3_route {
    pthread_mutex_t mu;
    enum s3_addressing addressing; /* as configured: auto, path, virtual */
    char *region, *endpoint;       /* now; endpoint NULL: AWS */
    char *sigv4;                   /* s3_sigv4_param(region) */
    unsigned gen;
    int switches;
};

/*
 * Fill r.  addressing is the configured style (a profile's s3
 * addressing_style; S3_ADDR_AUTO if none); FERRY_S3_ADDRESSING, when set
 * and not empty, overrides it.  An invalid style or a region that fails
 * s3_region_ok is FY_EUSAGE ("show: FERRY_S3_ADDRESSING: ..."); r is then
 * left released.  show names the target in the message.
 */
enum fy_rc s3_route_init(struct s3_route *r,
                         const char *region,
                         const char *endpoint,
                         enum s3_addressing addressing,
                         const char *show,
                         struct fy_err *err);
void s3_route_release(struct s3_route *r);

/* The URL and CURLOPT_AWS_SIGV4 value of a request now (caller frees
 * both); returns the generation to give s3_route_follow with its answer. */
unsigned s3_route_request(struct s3_route *r,
                          const char *bucket,
                          const char *key,
                          const char *query,
                          char **url,
                          char **sigv4);

struct out;

/*
 * The answer a to a request made at generation gen (for the message,
 * what: the URL as shown).  0: not a wrong-region answer (none that names
 * a usable region, or it names the region the request went to).  1: send
 * the request again: r now points where the answer says (a -v line on
 * out, if not NULL, says so), or another thread already switched it.
 * -1: a region answer not followed, since more than S3_ROUTE_MAX_SWITCHES
 * switches would be needed; err says why (FY_ERUNTIME).
 */
int s3_route_follow(struct s3_route *r,
                    unsigned gen,
                    const struct s3_answer *a,
                    const char *what,
                    struct out *out,
                    struct fy_err *err);

/*
 * The size of part part_no (1-based).  total >= 0 (a file): the same for
 * every part, at least min and large enough for 10,000 parts to cover
 * total (rounded up to MiB).  total < 0 (a stream): min for parts 1-1000,
 * then 2x, 4x, and 8x from part 3001 on (8 MiB -> 64 MiB), so 10,000
 * parts hold about 490 GiB.
 */
int64_t s3_part_size(int64_t total, int part_no, int64_t min);

#ifdef __cplusplus
}
#endif

#endif
