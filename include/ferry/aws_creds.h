/*
 * aws_creds.h - AWS credentials the way the SDKs find them, and kept
 * fresh while a transfer runs (src/aws_chain.c: the chain and the cache;
 * src/aws_sources.c: the sources; src/aws_process.c: credential_process;
 * src/aws_creds.c: values, JSON, times; the HTTP requests in
 * src/remote_aws_http.c).
 *
 * The chain, first match wins (aws_s3_open):
 *   1. env        AWS_ACCESS_KEY_ID + AWS_SECRET_ACCESS_KEY
 *                 [+ AWS_SESSION_TOKEN]; one of the two without the other
 *                 is an error.  Skipped when --profile is given.
 *   2. profile    --profile, else AWS_PROFILE, else default, in
 *                 ~/.aws/credentials and ~/.aws/config (aws_config.h):
 *                 static keys (aws_access_key_id + aws_secret_access_key
 *                 [+ aws_session_token]), else credential_process, else
 *                 role_arn + web_identity_token_file.  role_arn with
 *                 source_profile/credential_source and SSO profiles are
 *                 refused by name (ferry cannot assume those roles).
 *   3. web identity  AWS_WEB_IDENTITY_TOKEN_FILE + AWS_ROLE_ARN
 *                 [+ AWS_ROLE_SESSION_NAME]: STS AssumeRoleWithWebIdentity
 *                 (an unsigned POST) at AWS_ENDPOINT_URL_STS, else the
 *                 profile's [services] sts endpoint_url, else
 *                 https://sts.REGION.amazonaws.com.  The global endpoint
 *                 settings (AWS_ENDPOINT_URL, endpoint_url) are not used
 *                 for STS: they point at a storage server, which must
 *                 never see the identity token.
 *   4. container  AWS_CONTAINER_CREDENTIALS_RELATIVE_URI (on
 *                 http://169.254.170.2), else AWS_CONTAINER_CREDENTIALS_
 *                 FULL_URI (https://, or http:// to a loopback address or
 *                 the ECS/EKS agent's 169.254.170.2 / 169.254.170.23 /
 *                 fd00:ec2::23), with an Authorization header from
 *                 AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE (read at every
 *                 fetch) or AWS_CONTAINER_AUTHORIZATION_TOKEN.
 *   5. IMDS       EC2 instance metadata, IMDSv2 only: PUT
 *                 /latest/api/token, then GET
 *                 /latest/meta-data/iam/security-credentials/[ROLE] with
 *                 the token; 1 s to connect and to answer, one retry.  A
 *                 token request answered 403/404/405 (an IMDSv1-only
 *                 service) is refused, saying so.  Skipped when
 *                 AWS_EC2_METADATA_DISABLED=true; the service is
 *                 AWS_EC2_METADATA_SERVICE_ENDPOINT, else
 *                 http://[fd00:ec2::254] when AWS_EC2_METADATA_SERVICE_
 *                 ENDPOINT_MODE=IPv6, else http://169.254.169.254.
 * A source that is configured but fails (credential_process exits 1, STS
 * refuses the token, the container endpoint answers 500) ends the chain
 * with its error; a source that is not configured, or an IMDS that does
 * not answer, passes to the next.  With no credentials at all the error
 * lists every source and why it gave none: "no AWS credentials: env:
 * unset; profile 'x': no credentials in ~/.aws/credentials or
 * ~/.aws/config; web identity: unset; container: unset; IMDS: disabled
 * (AWS_EC2_METADATA_DISABLED)".
 *
 * Refresh.  Credentials from credential_process, STS, the container
 * endpoint or IMDS carry an expiry (static keys never expire).
 * aws_chain_get() is the one way to read them; it is thread-safe, and
 * fetches new ones from the same source once the time is past
 *     refresh_at = expires - min(AWS_REFRESH_WINDOW, lifetime / 2)
 * where lifetime = expires - the time they were fetched: 5 minutes before
 * the end for the usual hour-long ones, half-way for short-lived ones, so
 * a source handing out credentials already inside the window is asked at
 * most once per half their remaining lifetime, never in a loop.  One
 * caller fetches while the others wait on the lock.  If the refresh fails
 * and the old credentials have not expired yet, they are still used and
 * the refresh is tried again after min(30 s, half what is left); once
 * they have expired, the failure is the error.
 *
 * Secrets: no key, token, or line of a credential source's output is ever
 * put in a message; server error codes are escaped (out_escape).
 * Errors are FY_ERUNTIME (FY_EINTR if interrupted, FY_EINPUT for
 * malformed configuration).
 */
#ifndef FERRY_AWS_CREDS_H
#define FERRY_AWS_CREDS_H

#include <stdbool.h>
#include <stddef.h>

#include "ferry/aws_config.h"
#include "ferry/err.h"
#include "ferry/xalloc.h"

#ifdef __cplusplus
extern "C" {
#endif

#define AWS_REFRESH_WINDOW  300.0        /* seconds before expiry */
#define AWS_PROCESS_OUT_MAX (64u * 1024) /* credential_process stdout */
#define AWS_PROCESS_TIMEOUT 60.0         /* seconds */

struct aws_creds {
    char *access_key_id, *secret_key, *session_token; /* token may be NULL */
    double expires;                                   /* Unix time; 0: never */
};
void aws_creds_release(struct aws_creds *c);
/* A deep copy. */
void aws_creds_copy(struct aws_creds *dst, const struct aws_creds *src);

/*
 * Where credentials come from, to fetch them again.  fetch fills out
 * (borrowing nothing from ctx) or records why not; free releases ctx.
 */
struct aws_provider {
    const char *name; /* "IMDS", "container", ... (static) */
    enum fy_rc (*fetch)(void *ctx, struct aws_creds *out, struct fy_err *err);
    void (*free)(void *ctx);
    void *ctx;
};

struct aws_chain;

/*
 * A chain that hands out first (moved in: *first is left empty), fetched
 * at Unix time fetched, and refreshes it through prov (taken over) as
 * the top of this file says.  clock: the Unix time (NULL: the real one;
 * tests pass their own).
 */
struct aws_chain *aws_chain_new(const struct aws_provider *prov,
                                struct aws_creds *first,
                                double fetched,
                                double (*clock)(void));
/* The current credentials, refreshed first if due: a copy in *out
 * (caller releases).  Thread-safe.  what names the request in messages
 * ("s3://b/k (part 3): AWS credentials expired and could not be
 * refreshed: IMDS: ..."). */
enum fy_rc aws_chain_get(struct aws_chain *c,
                         const char *what,
                         struct aws_creds *out,
                         struct fy_err *err);
/* The source's name ("env", "profile 'x'", "IMDS", ...). */
const char *aws_chain_source(const struct aws_chain *c);
/* How many times the source was asked (the first time included). */
int aws_chain_fetches(struct aws_chain *c);
void aws_chain_free(struct aws_chain *c);

/* When credentials fetched at fetched and expiring at expires (> 0)
 * are due for a refresh (see the top of this file). */
double aws_refresh_at(double fetched, double expires);

/*
 * Everything the S3 backend needs: region, endpoint, addressing style,
 * and the credential chain.
 */
struct aws_s3 {
    char *region;   /* never NULL after open: us-east-1 when unset */
    char *endpoint; /* NULL: AWS itself */
    enum aws_addressing addressing;
    struct aws_chain *chain;
};

/*
 * Load the profile (flag_profile: --profile or NULL), resolve region and
 * endpoint (--region, --endpoint-url or NULL), walk the chain.  Region,
 * when nothing sets it: the instance's (IMDS) if the credentials came from
 * IMDS, else us-east-1.  what names the object in messages ("s3://b/k:
 * no AWS credentials: ...").
 */
enum fy_rc aws_s3_open(struct aws_s3 *s,
                       const char *flag_profile,
                       const char *flag_region,
                       const char *flag_endpoint,
                       const char *what,
                       struct fy_err *err);
void aws_s3_release(struct aws_s3 *s);

/* ------------------------------------------ pure helpers (unit-tested) */

/*
 * An RFC 3339 time ("2024-05-26T12:34:56Z", fractions and +hh:mm
 * offsets too) as Unix time; false if malformed.
 */
bool aws_parse_time(const char *s, double *t);

/*
 * Credentials from a JSON document (len bytes): the credential_process
 * form (process true: "Version": 1, AccessKeyId, SecretAccessKey,
 * SessionToken, Expiration) or the IMDS/container form (AccessKeyId,
 * SecretAccessKey, Token, Expiration; "Code" other than "Success" fails).
 * Each value must be printable ASCII of a sane length; the expiry, if
 * any, must parse and (now given) be in the future.  False with a short
 * reason in why (never a value from the document).
 */
bool aws_creds_from_json(const char *json,
                         size_t len,
                         bool process,
                         double now,
                         struct aws_creds *out,
                         char *why,
                         size_t whylen);

/*
 * Split a credential_process command line into words as a POSIX shell
 * would, without one: blanks separate words, '...' is literal, "..."
 * keeps blanks and takes \" \\ \$ \` escapes, a backslash outside quotes
 * escapes the next byte.  No variables, globs, pipes or redirections.
 * False (with why) on an unterminated quote, no words, or more than 256.
 */
bool aws_shell_split(const char *cmd,
                     struct strlist *argv,
                     char *why,
                     size_t whylen);

#ifdef __cplusplus
}
#endif

#endif
