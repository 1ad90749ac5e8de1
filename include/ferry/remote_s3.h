/*
 * remote_s3.h - the pure parts of the S3 backend (src/remote_s3.c), so the
 * unit tests can check every request we build against fixed strings:
 * libcurl 7.88 signs what it is given without canonicalizing it, so the
 * URL, the query and the headers must already be in SigV4 canonical form.
 *
 * Request shape (libcurl computes the signature from these):
 *   URL     s3_object_url(): path-style under AWS_ENDPOINT_URL, else
 *           virtual-hosted https://BUCKET.s3.REGION.amazonaws.com/KEY
 *           (path-style on s3.REGION.amazonaws.com for dotted buckets);
 *           the key is URI-encoded per segment ('/' kept), as SigV4's
 *           canonical URI wants it for S3 (no double encoding).
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
 * return where the function says so.
 */
#ifndef FERRY_REMOTE_S3_H
#define FERRY_REMOTE_S3_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

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

/* The object URL; endpoint NULL means AWS.  query may be NULL. */
char *s3_object_url(const char *endpoint,
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
