/*
 * aws_sources.c - the AWS credential sources one by one, in the chain's
 * order: environment, profile (static keys, credential_process, web
 * identity), web identity from the environment (STS
 * AssumeRoleWithWebIdentity), container endpoint, EC2 IMDSv2.  Each
 * aws_try_* says whether its source is configured, fetches the first
 * credentials, and leaves a provider that fetches them again for the
 * refresh (aws_creds.c).  See ferry/aws_creds.h for the rules.
 *
 * What it keeps true: every answer is bounded (size and time) and checked
 * before use (printable keys, a parseable expiry); tokens read from files
 * are read again at every fetch (they rotate) and never shown; the web
 * identity token goes only to STS; IMDS is spoken to only in its v2 form.
 */
#include "aws_int.h"

#include <ctype.h>
#include <expat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ferry/out.h"
#include "ferry/remote_s3.h"

#define ANSWER_MAX     (64u * 1024)
#define TOKEN_FILE_MAX (64u * 1024)

/* ------------------------------------------------------------ helpers */

/* A provider whose credentials never change (env, profile keys). */
static enum fy_rc
static_fetch(void *ctx, struct aws_creds *out, struct fy_err *err)
{
    (void)err;
    aws_creds_copy(out, ctx);
    return FY_OK;
}

static void
static_free(void *ctx)
{
    aws_creds_release(ctx);
    free(ctx);
}

static enum aws_try
found_static(const char *name,
             const char *akid,
             const char *secret,
             const char *token,
             struct aws_provider *prov,
             struct aws_creds *first,
             struct fy_err *err)
{
    struct aws_creds c = {xstrdup(akid), xstrdup(secret),
                          token ? xstrdup(token) : NULL, 0};
    char why[160];
    if (!aws_creds_ok(&c, 0, why, sizeof why)) {
        aws_creds_release(&c);
        fy_fail(err, FY_EINPUT, "AWS credentials from %s: %s", name, why);
        return AWS_TRY_FAIL;
    }
    struct aws_creds *keep = xmalloc(sizeof *keep);
    aws_creds_copy(keep, &c);
    *first = c;
    prov->name = name;
    prov->fetch = static_fetch;
    prov->free = static_free;
    prov->ctx = keep;
    return AWS_TRY_FOUND;
}

/* The first fetch of a provider: FOUND, or FAIL with its error. */
static enum aws_try
first_fetch(struct aws_provider *prov,
            struct aws_creds *first,
            struct fy_err *err)
{
    if (prov->fetch(prov->ctx, first, err) == FY_OK)
        return AWS_TRY_FOUND;
    prov->free(prov->ctx);
    memset(prov, 0, sizeof *prov);
    return AWS_TRY_FAIL;
}

/* A token read from a file: trailing blanks dropped, printable, one
 * line.  Caller frees; NULL with err recorded. */
static char *
read_token(const char *path,
           const char *what,
           size_t maxlen,
           struct fy_err *err)
{
    struct sbuf sb = SBUF_INIT;
    char *show = out_escape(path);
    char *name = xasprintf("%s %s", what, show);
    free(show);
    char *tok = NULL;
    if (aws_read_file(path, name, TOKEN_FILE_MAX, &sb, NULL, err) != FY_OK)
        goto out;
    sbuf_add(&sb, "", 0);
    size_t n = sb.len;
    while (n > 0 && isspace((unsigned char)sb.buf[n - 1]))
        sb.buf[--n] = '\0';
    /* a NUL or a newline inside is below 0x20 too */
    bool ok = n > 0 && n <= maxlen;
    for (size_t i = 0; ok && i < n; i++)
        if ((unsigned char)sb.buf[i] < 0x20 || (unsigned char)sb.buf[i] >= 0x7f)
            ok = false;
    if (!ok) {
        fy_fail(err, FY_ERUNTIME,
                "%s: not a token (empty, more than %zu bytes, or not "
                "printable ASCII on one line)",
                name, maxlen);
        goto out;
    }
    tok = xstrdup(sb.buf);
out:
    free(name);
    sbuf_release(&sb);
    return tok;
}

/* application/x-www-form-urlencoded value */
static void
form_add(struct sbuf *sb, const char *name, const char *v)
{
    static const char hex[] = "0123456789ABCDEF";
    if (sb->len > 0)
        sbuf_adds(sb, "&");
    sbuf_adds(sb, name);
    sbuf_adds(sb, "=");
    for (const unsigned char *p = (const unsigned char *)v; *p; p++) {
        if (isalnum(*p) || *p == '-' || *p == '_' || *p == '.' || *p == '~') {
            sbuf_add(sb, p, 1);
        } else {
            char e[3] = {'%', hex[*p >> 4], hex[*p & 15]};
            sbuf_add(sb, e, 3);
        }
    }
}

/* ---------------------------------------------------------------- env */

enum aws_try
aws_try_env(const struct aws_profile *p,
            struct aws_provider *prov,
            struct aws_creds *first,
            struct sbuf *tried,
            struct fy_err *err)
{
    if (p->from_flag) {
        aws_tried(tried, "env: not used (--profile)");
        return AWS_TRY_NONE;
    }
    const char *akid = aws_env("AWS_ACCESS_KEY_ID");
    const char *secret = aws_env("AWS_SECRET_ACCESS_KEY");
    if (akid == NULL && secret == NULL) {
        aws_tried(tried, "env: unset");
        return AWS_TRY_NONE;
    }
    if (akid == NULL || secret == NULL) {
        fy_fail(err, FY_ERUNTIME,
                "%s is set but %s is not (set both, or neither to use "
                "the other sources)",
                akid ? "AWS_ACCESS_KEY_ID" : "AWS_SECRET_ACCESS_KEY",
                akid ? "AWS_SECRET_ACCESS_KEY" : "AWS_ACCESS_KEY_ID");
        return AWS_TRY_FAIL;
    }
    return found_static("env", akid, secret, aws_env("AWS_SESSION_TOKEN"), prov,
                        first, err);
}

/* ------------------------------------------------- credential_process */

struct process_src {
    char *cmd, *what;
};

static enum fy_rc
process_fetch(void *ctx, struct aws_creds *out, struct fy_err *err)
{
    struct process_src *s = ctx;
    return aws_process_run(s->cmd, s->what, out, err);
}

static void
process_free(void *ctx)
{
    struct process_src *s = ctx;
    free(s->cmd);
    free(s->what);
    free(s);
}

/* ------------------------------------------------------- web identity */

struct wi_src {
    char *token_file, *role_arn, *session_name, *endpoint;
};

static void
wi_free(void *ctx)
{
    struct wi_src *s = ctx;
    free(s->token_file);
    free(s->role_arn);
    free(s->session_name);
    free(s->endpoint);
    free(s);
}

/* The leaf texts of an STS answer that ferry reads. */
struct sts_xml {
    struct sbuf path, text;
    char *akid, *secret, *token, *exp, *code;
};

static void XMLCALL
sts_start(void *arg, const XML_Char *name, const XML_Char **atts)
{
    struct sts_xml *x = arg;
    (void)atts;
    sbuf_adds(&x->path, "/");
    sbuf_adds(&x->path, name);
    x->text.len = 0;
    sbuf_add(&x->text, "", 0);
    x->text.len = 0;
}

static bool
ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), k = strlen(suffix);
    return n >= k && strcmp(s + n - k, suffix) == 0;
}

static void XMLCALL
sts_end(void *arg, const XML_Char *name)
{
    struct sts_xml *x = arg;
    (void)name;
    struct {
        const char *suffix;
        char **dst;
    } want[] = {
        {"/Credentials/AccessKeyId", &x->akid},
        {"/Credentials/SecretAccessKey", &x->secret},
        {"/Credentials/SessionToken", &x->token},
        {"/Credentials/Expiration", &x->exp},
        {"/Error/Code", &x->code},
    };
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
        if (*want[i].dst == NULL && ends_with(x->path.buf, want[i].suffix)) {
            sbuf_add(&x->text, "", 0);
            *want[i].dst = xstrdup(x->text.buf);
        }
    char *slash = strrchr(x->path.buf, '/');
    x->path.len = (size_t)(slash - x->path.buf);
    x->path.buf[x->path.len] = '\0';
    x->text.len = 0;
}

static void XMLCALL
sts_chars(void *arg, const XML_Char *s, int len)
{
    struct sts_xml *x = arg;
    if (x->text.len + (size_t)len <= ANSWER_MAX)
        sbuf_add(&x->text, s, (size_t)len);
}

static bool
sts_parse(struct sts_xml *x, const char *doc, size_t len)
{
    XML_Parser p = XML_ParserCreate(NULL);
    if (p == NULL)
        return false;
    XML_SetUserData(p, x);
    XML_SetElementHandler(p, sts_start, sts_end);
    XML_SetCharacterDataHandler(p, sts_chars);
    bool ok = XML_Parse(p, doc, (int)len, XML_TRUE) == XML_STATUS_OK;
    XML_ParserFree(p);
    return ok;
}

static void
sts_release(struct sts_xml *x)
{
    sbuf_release(&x->path);
    sbuf_release(&x->text);
    free(x->akid);
    free(x->secret);
    free(x->token);
    free(x->exp);
    free(x->code);
}

static enum fy_rc
wi_fetch(void *ctx, struct aws_creds *out, struct fy_err *err)
{
    struct wi_src *s = ctx;
    memset(out, 0, sizeof *out);
    char *tok = read_token(s->token_file, "web identity token file",
                           TOKEN_FILE_MAX, err);
    if (tok == NULL)
        return err->rc;
    struct sbuf form = SBUF_INIT, body = SBUF_INIT;
    form_add(&form, "Action", "AssumeRoleWithWebIdentity");
    form_add(&form, "RoleArn", s->role_arn);
    form_add(&form, "RoleSessionName", s->session_name);
    form_add(&form, "Version", "2011-06-15");
    form_add(&form, "WebIdentityToken", tok);
    sbuf_add(&form, "", 0);
    free(tok);
    static const char *const hdrs[] = {
        "Content-Type: application/x-www-form-urlencoded",
        "Accept: application/xml", NULL};
    struct aws_http r = {"POST", s->endpoint, hdrs,  form.buf,  5000,
                         30000,  2,           false, ANSWER_MAX};
    long status = 0;
    char why[256] = "";
    struct sts_xml x = {SBUF_INIT, SBUF_INIT, NULL, NULL, NULL, NULL, NULL};
    enum fy_rc rc = FY_OK;
    bool answered = remote_aws_http(&r, &status, &body, why, sizeof why);
    /* the token is gone from memory we keep */
    memset(form.buf, 0, form.len);
    sbuf_release(&form);
    if (fy_interrupted()) {
        rc = fy_fail(err, FY_EINTR, "web identity: interrupted");
        goto out;
    }
    if (!answered) {
        rc = fy_fail(err, FY_ERUNTIME, "web identity: STS: %s", why);
        goto out;
    }
    bool parsed = sts_parse(&x, body.buf ? body.buf : "", body.len);
    if (status != 200) {
        char *code = out_escape(parsed && x.code ? x.code : "");
        rc = fy_fail(err, FY_ERUNTIME,
                     "web identity: STS AssumeRoleWithWebIdentity answered "
                     "HTTP %ld%s%.64s",
                     status, *code ? " " : "", code);
        free(code);
        goto out;
    }
    if (!parsed || x.akid == NULL || x.secret == NULL || x.token == NULL ||
        x.exp == NULL) {
        rc = fy_fail(err, FY_ERUNTIME,
                     "web identity: STS sent no credentials in its answer");
        goto out;
    }
    out->access_key_id = x.akid;
    out->secret_key = x.secret;
    out->session_token = x.token;
    x.akid = x.secret = x.token = NULL;
    char cwhy[160];
    if (!aws_parse_time(x.exp, &out->expires)) {
        rc = fy_fail(err, FY_ERUNTIME,
                     "web identity: STS sent a malformed Expiration");
    } else if (!aws_creds_ok(out, aws_wall_now(), cwhy, sizeof cwhy)) {
        rc = fy_fail(err, FY_ERUNTIME, "web identity: STS credentials: %s",
                     cwhy);
    }
out:
    sts_release(&x);
    sbuf_release(&body);
    if (rc != FY_OK)
        aws_creds_release(out);
    return rc;
}

/*
 * A web identity provider for role_arn and token_file (session may be
 * NULL), asking STS at the endpoint the settings give.
 */
static enum aws_try
web_identity(const struct aws_profile *p,
             const char *region,
             const char *token_file,
             const char *role_arn,
             const char *session,
             struct aws_provider *prov,
             struct aws_creds *first,
             struct fy_err *err)
{
    bool ignore = p->ignore_endpoints ||
                  aws_env_true("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS");
    const char *ep = ignore ? NULL : aws_env("AWS_ENDPOINT_URL_STS");
    if (ep == NULL && !ignore)
        ep = p->sts_endpoint;
    if (ep != NULL && !aws_endpoint_ok(ep)) {
        fy_fail(err, FY_EINPUT,
                "web identity: the STS endpoint (AWS_ENDPOINT_URL_STS or "
                "services sts endpoint_url) is not an http:// or https:// "
                "URL");
        return AWS_TRY_FAIL;
    }
    if (strlen(role_arn) > 2048 ||
        (session != NULL && (strlen(session) < 2 || strlen(session) > 64))) {
        fy_fail(err, FY_EINPUT,
                "web identity: the role ARN or the session name (2 to 64 "
                "characters) is malformed");
        return AWS_TRY_FAIL;
    }
    struct wi_src *s = xcalloc(1, sizeof *s);
    s->token_file = xstrdup(token_file);
    s->role_arn = xstrdup(role_arn);
    s->session_name = session
                          ? xstrdup(session)
                          : xasprintf("ferry-%lld", (long long)aws_wall_now());
    if (ep != NULL) {
        size_t n = strlen(ep);
        s->endpoint = xasprintf(
            "%s%s", ep, ep[n - 1] == '/' || strchr(ep + 8, '/') ? "" : "/");
    } else {
        s->endpoint = xasprintf("https://sts.%s.amazonaws.com/", region);
    }
    prov->name = "web identity";
    prov->fetch = wi_fetch;
    prov->free = wi_free;
    prov->ctx = s;
    return first_fetch(prov, first, err);
}

enum aws_try
aws_try_web_identity(const struct aws_profile *p,
                     const char *region,
                     struct aws_provider *prov,
                     struct aws_creds *first,
                     struct sbuf *tried,
                     struct fy_err *err)
{
    const char *tf = aws_env("AWS_WEB_IDENTITY_TOKEN_FILE");
    const char *arn = aws_env("AWS_ROLE_ARN");
    if (tf == NULL && arn == NULL) {
        aws_tried(tried, "web identity: unset");
        return AWS_TRY_NONE;
    }
    if (tf == NULL || arn == NULL) {
        fy_fail(err, FY_ERUNTIME, "web identity: %s is set but %s is not",
                tf ? "AWS_WEB_IDENTITY_TOKEN_FILE" : "AWS_ROLE_ARN",
                tf ? "AWS_ROLE_ARN" : "AWS_WEB_IDENTITY_TOKEN_FILE");
        return AWS_TRY_FAIL;
    }
    return web_identity(p, region, tf, arn, aws_env("AWS_ROLE_SESSION_NAME"),
                        prov, first, err);
}

/* ------------------------------------------------------------ profile */

enum aws_try
aws_try_profile(const struct aws_profile *p,
                const char *region,
                struct aws_provider *prov,
                struct aws_creds *first,
                struct sbuf *tried,
                struct fy_err *err)
{
    char *esc = out_escape(p->name);
    enum aws_try r = AWS_TRY_NONE;
    if (!p->found) {
        aws_tried(tried, "profile '%s': not in %s or %s", esc, p->creds_show,
                  p->config_show);
        goto out;
    }
    if (p->access_key_id != NULL || p->secret_key != NULL) {
        if (p->access_key_id == NULL || p->secret_key == NULL) {
            fy_fail(err, FY_EINPUT,
                    "AWS profile '%s': %s without %s (in %s or %s)", esc,
                    p->access_key_id ? "aws_access_key_id"
                                     : "aws_secret_access_key",
                    p->access_key_id ? "aws_secret_access_key"
                                     : "aws_access_key_id",
                    p->creds_show, p->config_show);
            r = AWS_TRY_FAIL;
            goto out;
        }
        /* the provider's name outlives this call: a static string */
        r = found_static("profile", p->access_key_id, p->secret_key,
                         p->session_token, prov, first, err);
        goto out;
    }
    if (p->process != NULL) {
        struct process_src *s = xcalloc(1, sizeof *s);
        s->cmd = xstrdup(p->process);
        s->what = xasprintf("AWS profile '%s': credential_process", esc);
        prov->name = "credential_process";
        prov->fetch = process_fetch;
        prov->free = process_free;
        prov->ctx = s;
        r = first_fetch(prov, first, err);
        goto out;
    }
    if (p->role_arn != NULL && p->token_file != NULL &&
        p->source_profile == NULL) {
        r = web_identity(p, region, p->token_file, p->role_arn, p->session_name,
                         prov, first, err);
        goto out;
    }
    if (p->role_arn != NULL) {
        fy_fail(err, FY_ERUNTIME,
                "AWS profile '%s': role_arn with %s: ferry cannot assume a "
                "role with other credentials (use credential_process, or "
                "web_identity_token_file)",
                esc,
                p->source_profile ? "source_profile or credential_source"
                                  : "no web_identity_token_file");
        r = AWS_TRY_FAIL;
        goto out;
    }
    if (p->sso != NULL) {
        fy_fail(err, FY_ERUNTIME,
                "AWS profile '%s': SSO is not supported by ferry (use "
                "credential_process = aws configure export-credentials "
                "--profile %s --format process)",
                esc, esc);
        r = AWS_TRY_FAIL;
        goto out;
    }
    aws_tried(tried, "profile '%s': no credentials in %s or %s", esc,
              p->creds_show, p->config_show);
out:
    free(esc);
    return r;
}

/* ---------------------------------------------------------- container */

struct cont_src {
    char *url;
};

static enum fy_rc
cont_fetch(void *ctx, struct aws_creds *out, struct fy_err *err)
{
    struct cont_src *s = ctx;
    memset(out, 0, sizeof *out);
    char *tok = NULL, *hdr = NULL;
    const char *tf = aws_env("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE");
    const char *tv = aws_env("AWS_CONTAINER_AUTHORIZATION_TOKEN");
    if (tf != NULL) {
        if ((tok = read_token(tf, "container: authorization token file", 16384,
                              err)) == NULL)
            return err->rc;
    } else if (tv != NULL) {
        tok = xstrdup(tv);
        for (char *c = tok; *c; c++)
            if ((unsigned char)*c < 0x20 || (unsigned char)*c == 0x7f) {
                free(tok);
                return fy_fail(err, FY_EINPUT,
                               "container: AWS_CONTAINER_AUTHORIZATION_TOKEN "
                               "holds a control character");
            }
    }
    const char *hdrs[2] = {NULL, NULL};
    if (tok != NULL) {
        hdr = xasprintf("Authorization: %s", tok);
        hdrs[0] = hdr;
    }
    struct aws_http r = {"GET", s->url, hdrs, NULL,      2000,
                         5000,  2,      true, ANSWER_MAX};
    struct sbuf body = SBUF_INIT;
    long status = 0;
    char why[256] = "";
    enum fy_rc rc = FY_OK;
    bool answered = remote_aws_http(&r, &status, &body, why, sizeof why);
    if (fy_interrupted())
        rc = fy_fail(err, FY_EINTR, "container: interrupted");
    else if (!answered)
        rc = fy_fail(err, FY_ERUNTIME, "container credentials endpoint: %s",
                     why);
    else if (status != 200)
        rc = fy_fail(err, FY_ERUNTIME,
                     "container credentials endpoint answered HTTP %ld%s",
                     status,
                     status == 401 || status == 403
                         ? " (check AWS_CONTAINER_AUTHORIZATION_TOKEN[_FILE])"
                         : "");
    else if (!aws_creds_from_json(body.buf ? body.buf : "", body.len, false,
                                  aws_wall_now(), out, why, sizeof why))
        rc =
            fy_fail(err, FY_ERUNTIME,
                    "container credentials endpoint: unusable answer: %s", why);
    if (hdr != NULL)
        memset(hdr, 0, strlen(hdr));
    if (tok != NULL)
        memset(tok, 0, strlen(tok));
    free(hdr);
    free(tok);
    sbuf_release(&body);
    return rc;
}

static void
cont_free(void *ctx)
{
    struct cont_src *s = ctx;
    free(s->url);
    free(s);
}

enum aws_try
aws_try_container(struct aws_provider *prov,
                  struct aws_creds *first,
                  struct sbuf *tried,
                  struct fy_err *err)
{
    const char *rel = aws_env("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI");
    const char *full = aws_env("AWS_CONTAINER_CREDENTIALS_FULL_URI");
    char why[200] = "";
    if (rel == NULL && full == NULL) {
        aws_tried(tried, "container: unset");
        return AWS_TRY_NONE;
    }
    char *url;
    if (rel != NULL) {
        bool ok = rel[0] == '/';
        for (const char *c = rel; ok && *c; c++)
            if ((unsigned char)*c <= 0x20 || (unsigned char)*c >= 0x7f)
                ok = false;
        if (!ok) {
            fy_fail(err, FY_EINPUT,
                    "container: AWS_CONTAINER_CREDENTIALS_RELATIVE_URI: a "
                    "path starting with '/' expected");
            return AWS_TRY_FAIL;
        }
        url = xasprintf("http://169.254.170.2%s", rel);
    } else {
        if (!remote_aws_container_url_ok(full, why, sizeof why)) {
            fy_fail(err, FY_EINPUT,
                    "container: AWS_CONTAINER_CREDENTIALS_FULL_URI: %s", why);
            return AWS_TRY_FAIL;
        }
        url = xstrdup(full);
    }
    struct cont_src *s = xcalloc(1, sizeof *s);
    s->url = url;
    prov->name = "container";
    prov->fetch = cont_fetch;
    prov->free = cont_free;
    prov->ctx = s;
    return first_fetch(prov, first, err);
}

/* --------------------------------------------------------------- IMDS */

/* The metadata service's base URL (no trailing '/'), or NULL with why. */
static char *
imds_base(char *why, size_t n)
{
    const char *ep = aws_env("AWS_EC2_METADATA_SERVICE_ENDPOINT");
    const char *mode = aws_env("AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE");
    if (ep == NULL)
        ep = mode && strcasecmp(mode, "IPv6") == 0 ? "http://[fd00:ec2::254]"
                                                   : "http://169.254.169.254";
    if (!aws_endpoint_ok(ep)) {
        snprintf(why, n,
                 "AWS_EC2_METADATA_SERVICE_ENDPOINT is not an http:// URL");
        return NULL;
    }
    size_t len = strlen(ep);
    while (len > 0 && ep[len - 1] == '/')
        len--;
    return xasprintf("%.*s", (int)len, ep);
}

/*
 * A GET or PUT to the metadata service (1 s limits, one retry).  False
 * with why if no answer.
 */
static bool
imds_req(const char *method,
         const char *url,
         const char *hdr,
         long *status,
         struct sbuf *body,
         char *why,
         size_t n)
{
    const char *hdrs[2] = {hdr, NULL};
    struct aws_http r = {method, url, hdrs, NULL,      1000,
                         1000,   1,   true, ANSWER_MAX};
    body->len = 0;
    return remote_aws_http(&r, status, body, why, n);
}

/* An IMDSv2 session token (caller frees), or NULL with why. */
static char *
imds_token(const char *base, char *why, size_t n)
{
    char *url = xasprintf("%s/latest/api/token", base);
    struct sbuf body = SBUF_INIT;
    long status = 0;
    char *tok = NULL;
    char w[200] = "";
    if (!imds_req("PUT", url, "X-aws-ec2-metadata-token-ttl-seconds: 21600",
                  &status, &body, w, sizeof w))
        snprintf(why, n, "no answer (%s)", w);
    else if (status == 403 || status == 404 || status == 405)
        snprintf(why, n,
                 "the token request (IMDSv2) was answered HTTP %ld: the "
                 "service offers only IMDSv1, which ferry does not use",
                 status);
    else if (status != 200)
        snprintf(why, n, "the token request was answered HTTP %ld", status);
    else {
        sbuf_add(&body, "", 0);
        size_t k = strlen(body.buf);
        while (k > 0 && isspace((unsigned char)body.buf[k - 1]))
            body.buf[--k] = '\0';
        bool ok = k > 0 && k <= 4096;
        for (size_t i = 0; ok && i < k; i++)
            if ((unsigned char)body.buf[i] <= 0x20 ||
                (unsigned char)body.buf[i] >= 0x7f)
                ok = false;
        if (ok)
            tok = xstrdup(body.buf);
        else
            snprintf(why, n, "a malformed session token");
    }
    free(url);
    sbuf_release(&body);
    return tok;
}

static bool
role_ok(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > 128)
        return false;
    for (; *s; s++)
        if (!isalnum((unsigned char)*s) && !strchr("+=,.@_-", *s))
            return false;
    return true;
}

/* Fetch the role's credentials; false with why. */
static bool
imds_fetch_why(struct aws_creds *out, char *why, size_t n)
{
    memset(out, 0, sizeof *out);
    char *base = imds_base(why, n);
    if (base == NULL)
        return false;
    char *tok = imds_token(base, why, n);
    char *hdr = NULL, *url = NULL;
    struct sbuf body = SBUF_INIT;
    long status = 0;
    char w[200] = "";
    bool ok = false;
    if (tok == NULL)
        goto out;
    hdr = xasprintf("X-aws-ec2-metadata-token: %s", tok);
    url = xasprintf("%s/latest/meta-data/iam/security-credentials/", base);
    if (!imds_req("GET", url, hdr, &status, &body, w, sizeof w)) {
        snprintf(why, n, "the role request: no answer (%s)", w);
        goto out;
    }
    if (status == 404) {
        snprintf(why, n, "the instance has no IAM role");
        goto out;
    }
    if (status != 200) {
        snprintf(why, n, "the role request was answered HTTP %ld", status);
        goto out;
    }
    sbuf_add(&body, "", 0);
    char *role = body.buf;
    role[strcspn(role, "\r\n")] = '\0';
    if (!role_ok(role)) {
        snprintf(why, n, "a malformed role name");
        goto out;
    }
    free(url);
    url = xasprintf("%s/latest/meta-data/iam/security-credentials/%s", base,
                    role);
    if (!imds_req("GET", url, hdr, &status, &body, w, sizeof w)) {
        snprintf(why, n, "the credentials request: no answer (%s)", w);
        goto out;
    }
    if (status != 200) {
        snprintf(why, n, "the credentials request was answered HTTP %ld",
                 status);
        goto out;
    }
    char jwhy[160];
    if (!aws_creds_from_json(body.buf ? body.buf : "", body.len, false,
                             aws_wall_now(), out, jwhy, sizeof jwhy)) {
        snprintf(why, n, "unusable credentials: %s", jwhy);
        goto out;
    }
    ok = true;
out:
    if (hdr != NULL)
        memset(hdr, 0, strlen(hdr));
    free(hdr);
    free(tok);
    free(url);
    free(base);
    sbuf_release(&body);
    return ok;
}

static enum fy_rc
imds_fetch(void *ctx, struct aws_creds *out, struct fy_err *err)
{
    char why[300] = "";
    (void)ctx;
    if (imds_fetch_why(out, why, sizeof why))
        return FY_OK;
    if (fy_interrupted())
        return fy_fail(err, FY_EINTR, "IMDS: interrupted");
    return fy_fail(err, FY_ERUNTIME, "IMDS: %s", why);
}

static void
imds_free(void *ctx)
{
    (void)ctx;
}

enum aws_try
aws_try_imds(struct aws_provider *prov,
             struct aws_creds *first,
             struct sbuf *tried,
             struct fy_err *err)
{
    if (aws_env_true("AWS_EC2_METADATA_DISABLED")) {
        aws_tried(tried, "IMDS: disabled (AWS_EC2_METADATA_DISABLED)");
        return AWS_TRY_NONE;
    }
    char why[300] = "";
    if (!imds_fetch_why(first, why, sizeof why)) {
        if (fy_interrupted()) {
            fy_fail(err, FY_EINTR, "IMDS: interrupted");
            return AWS_TRY_FAIL;
        }
        aws_tried(tried, "IMDS: %s", why);
        return AWS_TRY_NONE;
    }
    prov->name = "IMDS";
    prov->fetch = imds_fetch;
    prov->free = imds_free;
    prov->ctx = NULL;
    return AWS_TRY_FOUND;
}

char *
aws_imds_region(void)
{
    char why[300];
    char *base = imds_base(why, sizeof why), *tok = NULL, *hdr = NULL;
    char *url = NULL, *region = NULL;
    struct sbuf body = SBUF_INIT;
    long status = 0;
    if (base == NULL || (tok = imds_token(base, why, sizeof why)) == NULL)
        goto out;
    hdr = xasprintf("X-aws-ec2-metadata-token: %s", tok);
    url = xasprintf("%s/latest/meta-data/placement/region", base);
    if (imds_req("GET", url, hdr, &status, &body, why, sizeof why) &&
        status == 200) {
        sbuf_add(&body, "", 0);
        body.buf[strcspn(body.buf, "\r\n")] = '\0';
        if (s3_region_ok(body.buf))
            region = xstrdup(body.buf);
    }
out:
    free(base);
    free(tok);
    free(hdr);
    free(url);
    sbuf_release(&body);
    return region;
}
