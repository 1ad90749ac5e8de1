/*
 * remote_policy.c - the decisions every transfer shares, apart from the
 * transfers themselves: what a finished request means (remote_classify,
 * one flat table), how long to wait before a retry (remote_backoff,
 * remote_jitter, remote_parse_retry_after), how large a part or chunk is
 * (remote_chunk_size) and whether an object fits on the local disk
 * (remote_check_space).
 *
 * What it keeps true: every function is pure or reads only the environment
 * and the file system's free space, so each can be unit-tested alone
 * (tests/unit/test_remote.c); nothing here talks to a server.
 */
#include "ferry/remote.h"

#include <curl/curl.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

#include "remote_int.h"

#include "ferry/out.h"

#define MIB (1024 * 1024)

/* ------------------------------------------------------- retry policy */

static struct remote_verdict
verdict(enum remote_action a, enum fy_rc rc, const char *why)
{
    struct remote_verdict v = {a, rc, why};
    return v;
}

struct remote_verdict
remote_classify(int curl_code, long status, bool get)
{
    switch ((CURLcode)curl_code) {
    case CURLE_OK:
        break;
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
        return verdict(REMOTE_RETRY, FY_ERUNTIME, "cannot resolve the host");
    case CURLE_COULDNT_CONNECT:
        return verdict(REMOTE_RETRY, FY_ERUNTIME, "cannot connect");
    case CURLE_OPERATION_TIMEDOUT:
        return verdict(REMOTE_RETRY, FY_ETIMEOUT, "stalled (no data)");
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
    case CURLE_AGAIN:
    case CURLE_SSH:
    case CURLE_UPLOAD_FAILED:
        return verdict(REMOTE_RETRY, FY_ERUNTIME, "connection lost");
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
        return verdict(REMOTE_FAIL, FY_ERUNTIME,
                       "TLS/SSH host verification failed");
    case CURLE_LOGIN_DENIED:
        return verdict(REMOTE_FAIL, FY_ERUNTIME,
                       "login denied: check the user name and key");
    case CURLE_REMOTE_FILE_NOT_FOUND:
        return verdict(REMOTE_FAIL, FY_ERUNTIME,
                       get ? "no such object" : "no such directory");
    case CURLE_REMOTE_ACCESS_DENIED:
        return verdict(REMOTE_FAIL, FY_ERUNTIME, "permission denied");
    case CURLE_REMOTE_DISK_FULL:
        return verdict(REMOTE_FAIL, FY_ERUNTIME, "remote disk full");
    case CURLE_QUOTE_ERROR:
        return verdict(REMOTE_FAIL, FY_ERUNTIME, "remote command failed");
    case CURLE_UNSUPPORTED_PROTOCOL:
    case CURLE_URL_MALFORMAT:
        return verdict(REMOTE_FAIL, FY_EINPUT, "bad URL");
    case CURLE_ABORTED_BY_CALLBACK:
        return verdict(REMOTE_FAIL, FY_EINTR, "interrupted");
    case CURLE_RANGE_ERROR:
        return verdict(REMOTE_FAIL, FY_ERUNTIME,
                       "the server does not support byte ranges");
    case CURLE_READ_ERROR:
    case CURLE_WRITE_ERROR:
        return verdict(REMOTE_FAIL, FY_ERUNTIME, "local I/O error");
    default:
        return verdict(REMOTE_FAIL, FY_ERUNTIME, "transfer failed");
    }
    if (status == 0 || (status >= 200 && status < 300))
        return verdict(REMOTE_DONE, FY_OK, NULL);
    if (status == 408)
        return verdict(REMOTE_RETRY, FY_ERUNTIME, "request timeout");
    if (status == 429)
        return verdict(REMOTE_RETRY, FY_ERUNTIME, "too many requests");
    if (status == 503)
        return verdict(REMOTE_RETRY, FY_ERUNTIME, "server busy");
    if (status == 501) /* not transient (curl retries 500 and 502-504) */
        return verdict(REMOTE_FAIL, FY_ERUNTIME,
                       "the server does not implement this request");
    if (status >= 500)
        return verdict(REMOTE_RETRY, FY_ERUNTIME, "server error");
    if (status == 401)
        return verdict(REMOTE_FAIL, FY_ERUNTIME,
                       "authentication failed: check credentials");
    if (status == 403)
        return verdict(REMOTE_FAIL, FY_ERUNTIME,
                       "access denied: check credentials and permissions");
    if (status == 404)
        return verdict(REMOTE_FAIL, FY_ERUNTIME,
                       get ? "no such object" : "no such bucket or path");
    if (status == 412) /* If-Match / If-Unmodified-Since failed */
        return verdict(REMOTE_FAIL, FY_ERUNTIME,
                       "the object changed during the download");
    if (status == 416)
        return verdict(REMOTE_FAIL, FY_ERUNTIME, "range not satisfiable");
    if (status == 411) /* a streamed (chunked) PUT: push - or save */
        return verdict(REMOTE_FAIL, FY_ERUNTIME,
                       "the server wants the length first and takes no "
                       "streamed upload (push a file instead)");
    if (status >= 300 && status < 400)
        return verdict(REMOTE_FAIL, FY_ERUNTIME,
                       "redirected elsewhere (wrong region or endpoint?)");
    return verdict(REMOTE_FAIL, FY_ERUNTIME, "refused by the server");
}

double
remote_backoff(int attempt, double retry_after, double jitter)
{
    if (retry_after > 0)
        return retry_after > 120 ? 120 : retry_after;
    double base = attempt < 1 ? 1 : ldexp(1.0, attempt - 1);
    if (base > 30)
        base = 30;
    return base * (0.5 + jitter);
}

double
remote_parse_retry_after(const char *v, double now)
{
    while (*v == ' ')
        v++;
    if (*v >= '0' && *v <= '9') {
        char *end;
        double d = strtod(v, &end);
        while (*end == ' ')
            end++;
        return *end == '\0' ? d : -1;
    }
    struct tm tm;
    memset(&tm, 0, sizeof tm);
    const char *end = strptime(v, "%a, %d %b %Y %H:%M:%S GMT", &tm);
    if (end == NULL || *end != '\0')
        return -1;
    double when = (double)timegm(&tm);
    return when > now ? when - now : 0;
}

double
remote_jitter(void)
{
    static unsigned seed;
    if (seed == 0)
        seed = (unsigned)getpid() ^ (unsigned)time(NULL);
    return (double)(rand_r(&seed) % 10000) / 10000.0;
}

/* ------------------------------------------------------------- sizes */

int64_t
remote_chunk_size(const struct remote_opts *o)
{
    const char *env = getenv("FERRY_S3_PART_SIZE");
    if (env != NULL && *env) {
        char *end;
        long long v = strtoll(env, &end, 10);
        if (*end == '\0' && v >= 1024)
            return v;
    }
    return o->part_size > 0 ? o->part_size : 8 * MIB;
}

enum fy_rc
remote_check_space(int fd, const char *name, int64_t size, struct fy_err *err)
{
    struct statvfs vfs;
    if (size <= 0 || fstatvfs(fd, &vfs) != 0 || vfs.f_frsize == 0)
        return FY_OK; /* unknown: the writes will tell */
    uint64_t avail = (uint64_t)vfs.f_bavail;
    if (avail > UINT64_MAX / vfs.f_frsize)
        return FY_OK;
    avail *= vfs.f_frsize;
    if ((uint64_t)size <= avail)
        return FY_OK;
    char need[24], have[24];
    out_fmt_size(need, sizeof need, size);
    out_fmt_size(have, sizeof have,
                 avail > (uint64_t)INT64_MAX ? INT64_MAX : (int64_t)avail);
    return fy_fail(err, FY_ERUNTIME,
                   "%s: not enough space: the object is %s, %s free", name,
                   need, have);
}
