/*
 * aws_int.h - what src/aws_chain.c, src/aws_sources.c, src/aws_process.c,
 * src/aws_creds.c and src/remote_aws_http.c share and nobody else sees:
 * the credential sources one by one, and the small HTTP client they fetch
 * through.
 *
 * Layers, calls pointing down only: aws_chain.c (the chain, the cache) ->
 * aws_sources.c (env, profile, web identity, container, IMDS) ->
 * aws_process.c (credential_process), remote_aws_http.c (libcurl) ->
 * aws_creds.c (credentials as values, JSON, times), aws_config.c.
 *
 * Each aws_try_* looks at one source.  AWS_TRY_FOUND: *prov can fetch
 * again and *first holds the credentials just fetched.  AWS_TRY_NONE: the
 * source is not configured (or IMDS did not answer); one "name: why"
 * element was appended to tried.  AWS_TRY_FAIL: configured and failed;
 * err says why (FY_EINTR when interrupted).
 */
#ifndef FERRY_AWS_INT_H
#define FERRY_AWS_INT_H

#include <stdbool.h>
#include <stddef.h>

#include "ferry/aws_config.h"
#include "ferry/aws_creds.h"
#include "ferry/err.h"
#include "ferry/xalloc.h"

enum aws_try { AWS_TRY_FOUND, AWS_TRY_NONE, AWS_TRY_FAIL };

/* The wall clock (Unix time, with fractions). */
double aws_wall_now(void);

/* Append "; " (unless first) and the formatted text to tried. */
void aws_tried(struct sbuf *tried, const char *fmt, ...) FY_PRINTF(2, 3);

/* Check credentials fetched at now: printable, sane lengths, not expired
 * (false with why). */
bool aws_creds_ok(const struct aws_creds *c, double now, char *why, size_t n);

enum aws_try aws_try_env(const struct aws_profile *p,
                         struct aws_provider *prov,
                         struct aws_creds *first,
                         struct sbuf *tried,
                         struct fy_err *err);
enum aws_try aws_try_profile(const struct aws_profile *p,
                             const char *region,
                             struct aws_provider *prov,
                             struct aws_creds *first,
                             struct sbuf *tried,
                             struct fy_err *err);
enum aws_try aws_try_web_identity(const struct aws_profile *p,
                                  const char *region,
                                  struct aws_provider *prov,
                                  struct aws_creds *first,
                                  struct sbuf *tried,
                                  struct fy_err *err);
enum aws_try aws_try_container(struct aws_provider *prov,
                               struct aws_creds *first,
                               struct sbuf *tried,
                               struct fy_err *err);
enum aws_try aws_try_imds(struct aws_provider *prov,
                          struct aws_creds *first,
                          struct sbuf *tried,
                          struct fy_err *err);
/* The instance's region from IMDS (caller frees), or NULL. */
char *aws_imds_region(void);

/*
 * aws_process.c: run a credential_process command line (no shell; split
 * by aws_shell_split), at most AWS_PROCESS_TIMEOUT seconds and
 * AWS_PROCESS_OUT_MAX bytes of output, and parse what it prints.  what
 * names it in messages ("credential_process of profile 'x'").
 */
enum fy_rc aws_process_run(const char *cmd,
                           const char *what,
                           struct aws_creds *out,
                           struct fy_err *err);

/* ------------------------------------------- remote_aws_http.c (curl) */

struct aws_http {
    const char *method;         /* "GET", "PUT" or "POST" */
    const char *url;            /* never shown: callers name the source */
    const char *const *headers; /* NULL-terminated, or NULL */
    const char *body;           /* PUT/POST body, or NULL */
    long connect_ms, total_ms;  /* limits of one attempt */
    int retries;   /* more attempts after no answer or a 5xx (max 3) */
    bool no_proxy; /* link-local and loopback services: never a proxy */
    size_t max;    /* bytes of the answer kept; more fails */
};

/*
 * One request (plus retries).  True when the server answered: *status and
 * body (at most r->max bytes) are set.  False with a short reason in why:
 * "timed out after 1 s", "connection refused", "answer larger than N
 * bytes", "interrupted", libcurl's text scrubbed of the URL's secrets.
 */
bool remote_aws_http(const struct aws_http *r,
                     long *status,
                     struct sbuf *body,
                     char *why,
                     size_t whylen);

/*
 * May the container credentials be fetched from url (a FULL_URI)?  https
 * anywhere; http only to a loopback address (127.0.0.0/8, ::1,
 * localhost) or the agents' 169.254.170.2, 169.254.170.23, fd00:ec2::23.
 */
bool remote_aws_container_url_ok(const char *url, char *why, size_t whylen);

#endif
