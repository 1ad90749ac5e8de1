/*
 * remote_s3.c - S3 and S3-compatible stores: SigV4 through libcurl
 * (CURLOPT_AWS_SIGV4 with our own x-amz-content-sha256 and a pre-sorted,
 * pre-encoded query, since 7.88 canonicalizes neither), credentials,
 * region and endpoint the AWS way (aws_creds.c: the chain, refreshed
 * before expiry), single PUTs for small objects and multipart uploads
 * (several parts in flight, each retried alone, aborted on failure) for
 * large ones and for streams.  XML answers are parsed with expat.
 *
 * What it keeps true: the object appears under its key only through one
 * successful PUT or CompleteMultipartUpload; a multipart upload that
 * fails or is cancelled is aborted (best effort: a dead server cannot be
 * told); a stream holds at most o->parallel parts in flight plus the one
 * being filled.
 */
#include "ferry/remote_s3.h"

#include <errno.h>
#include <expat.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "remote_int.h"

#include "ferry/aws_creds.h"
#include "ferry/fs.h"
#include "ferry/out.h"
#include "ferry/stream.h"
#include "ferry/xalloc.h"

#define MIB (1024 * 1024)

/* ------------------------------------------------------ pure helpers */

char *
s3_query_part(int part, const char *upload_id)
{
    struct sbuf sb = SBUF_INIT;
    sbuf_addf(&sb, "partNumber=%d&uploadId=", part);
    s3_uri_encode(&sb, upload_id, false);
    return sbuf_detach(&sb);
}

char *
s3_query_upload(const char *upload_id)
{
    struct sbuf sb = SBUF_INIT;
    sbuf_adds(&sb, "uploadId=");
    s3_uri_encode(&sb, upload_id, false);
    return sbuf_detach(&sb);
}

void
s3_headers(struct strlist *l, bool has_body, const char *token)
{
    strlist_add(l, has_body ? "x-amz-content-sha256: UNSIGNED-PAYLOAD"
                            : "x-amz-content-sha256: " S3_EMPTY_SHA256);
    if (token != NULL && *token) {
        char *h = xasprintf("x-amz-security-token: %s", token);
        strlist_add(l, h);
        free(h);
    }
}

static void
xml_escape(struct sbuf *sb, const char *s)
{
    for (; *s; s++) {
        if (*s == '&')
            sbuf_adds(sb, "&amp;");
        else if (*s == '<')
            sbuf_adds(sb, "&lt;");
        else if (*s == '>')
            sbuf_adds(sb, "&gt;");
        else
            sbuf_add(sb, s, 1);
    }
}

char *
s3_complete_xml(char *const *etags, size_t n)
{
    struct sbuf sb = SBUF_INIT;
    sbuf_adds(&sb, "<CompleteMultipartUpload xmlns=\"http://s3.amazonaws.com/"
                   "doc/2006-03-01/\">");
    for (size_t i = 0; i < n; i++) {
        sbuf_addf(&sb, "<Part><PartNumber>%zu</PartNumber><ETag>", i + 1);
        xml_escape(&sb, etags[i] ? etags[i] : "");
        sbuf_adds(&sb, "</ETag></Part>");
    }
    sbuf_adds(&sb, "</CompleteMultipartUpload>");
    return sbuf_detach(&sb);
}

struct xml_find {
    const char *want; /* "A/B/C" */
    struct sbuf path; /* current element path */
    struct sbuf text;
    bool in, found;
    char *root;
};

static void XMLCALL
xml_start(void *arg, const XML_Char *name, const XML_Char **atts)
{
    struct xml_find *f = arg;
    (void)atts;
    if (f->root == NULL)
        f->root = xstrdup(name);
    if (f->path.len > 0)
        sbuf_adds(&f->path, "/");
    sbuf_adds(&f->path, name);
    if (!f->found && f->want != NULL && strcmp(f->path.buf, f->want) == 0)
        f->in = true;
}

static void XMLCALL
xml_end(void *arg, const XML_Char *name)
{
    struct xml_find *f = arg;
    (void)name;
    if (f->in) {
        f->in = false;
        f->found = true;
    }
    char *slash = f->path.len ? strrchr(f->path.buf, '/') : NULL;
    f->path.len = slash ? (size_t)(slash - f->path.buf) : 0;
    if (f->path.buf)
        f->path.buf[f->path.len] = '\0';
}

static void XMLCALL
xml_chars(void *arg, const XML_Char *s, int len)
{
    struct xml_find *f = arg;
    if (f->in)
        sbuf_add(&f->text, s, (size_t)len);
}

static bool
xml_parse(struct xml_find *f, const char *xml, size_t len)
{
    XML_Parser p = XML_ParserCreate(NULL);
    if (p == NULL)
        return false;
    XML_SetUserData(p, f);
    XML_SetElementHandler(p, xml_start, xml_end);
    XML_SetCharacterDataHandler(p, xml_chars);
    bool ok = len <= (size_t)INT32_MAX &&
              XML_Parse(p, xml, (int)len, XML_TRUE) == XML_STATUS_OK;
    XML_ParserFree(p);
    return ok;
}

char *
s3_xml_text(const char *xml, size_t len, const char *path)
{
    struct xml_find f = {path, SBUF_INIT, SBUF_INIT, false, false, NULL};
    char *out = NULL;
    if (xml_parse(&f, xml, len) && f.found) {
        sbuf_add(&f.text, "", 0);
        out = sbuf_detach(&f.text);
    }
    sbuf_release(&f.path);
    sbuf_release(&f.text);
    free(f.root);
    return out;
}

char *
s3_xml_root(const char *xml, size_t len)
{
    struct xml_find f = {NULL, SBUF_INIT, SBUF_INIT, false, false, NULL};
    char *out = NULL;
    if (xml_parse(&f, xml, len))
        out = f.root;
    else
        free(f.root);
    sbuf_release(&f.path);
    sbuf_release(&f.text);
    return out;
}

int64_t
s3_part_size(int64_t total, int part_no, int64_t min)
{
    if (total >= 0) {
        int64_t need = (total + S3_MAX_PARTS - 1) / S3_MAX_PARTS;
        if (need <= min)
            return min;
        return (need + MIB - 1) / MIB * MIB;
    }
    if (part_no <= 1000)
        return min;
    if (part_no <= 2000)
        return 2 * min;
    if (part_no <= 3000)
        return 4 * min;
    return 8 * min;
}

/* ----------------------------------------------------------- backend */

/* The chain and settings come from aws_creds.c; b->aws.chain hands out
 * credentials (refreshed when due) to every attempt of every request,
 * from whichever engine thread runs it. */
struct s3_be {
    struct aws_s3 aws; /* credentials, region, endpoint, addressing */
    /* where requests go now: region and endpoint as configured, until a
     * region redirect moves them (remote_s3_addr.c) */
    struct s3_route route;
};

static void
be_free(void *arg)
{
    struct s3_be *b = arg;
    aws_s3_release(&b->aws);
    s3_route_release(&b->route);
    free(b);
}

static enum fy_rc
s3_setup(struct rjob *j, CURL *h, struct fy_err *err)
{
    struct s3_be *b = j->t->be;
    /* every PUT carries Content-MD5: S3 refuses a body damaged on the way
     * (400 BadDigest, retried: s3_transient) instead of storing it */
    if (rjob_md5(j, err) != FY_OK)
        return err->rc;
    struct aws_creds c;
    if (aws_chain_get(b->aws.chain, j->what, &c, err) != FY_OK)
        return err->rc;
    char *url, *sigv4;
    j->route = s3_route_request(&b->route, j->t->u.bucket, j->t->u.key,
                                j->query, &url, &sigv4);
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    /* libcurl copies these strings */
    curl_easy_setopt(h, CURLOPT_AWS_SIGV4, sigv4);
    free(url);
    free(sigv4);
    curl_easy_setopt(h, CURLOPT_USERNAME, c.access_key_id);
    curl_easy_setopt(h, CURLOPT_PASSWORD, c.secret_key);
    struct strlist hl = STRLIST_INIT;
    bool body = (j->method == RM_PUT || j->method == RM_POST) && j->len != 0;
    s3_headers(&hl, body, c.session_token);
    if (j->md5[0] != '\0') {
        char *md5 = xasprintf("Content-MD5: %s", j->md5);
        strlist_add(&hl, md5);
        free(md5);
    }
    for (size_t i = 0; i < hl.n; i++)
        j->hdrs = curl_slist_append(j->hdrs, hl.v[i]);
    strlist_release(&hl);
    aws_creds_release(&c);
    return FY_OK;
}

/*
 * A 400 worth a retry: BadDigest (the body did not match its Content-MD5:
 * damaged on the way; a file that changed while it was read fails again
 * and again, and then for good) and RequestTimeout (S3 waited too long
 * for the body).
 */
static bool
s3_transient(const struct rjob *j, const char **why)
{
    if (j->status != 400)
        return false;
    char *code = s3_xml_text(j->resp.buf, j->resp.len, "Error/Code");
    bool yes = false;
    if (code != NULL && strcmp(code, "BadDigest") == 0) {
        *why = "the body arrived damaged (its Content-MD5 did not match)";
        yes = true;
    } else if (code != NULL && strcmp(code, "RequestTimeout") == 0) {
        *why = "the server timed out waiting for the body";
        yes = true;
    }
    free(code);
    return yes;
}

static void
s3_explain(const struct rjob *j, struct sbuf *why)
{
    char *code = s3_xml_text(j->resp.buf, j->resp.len, "Error/Code");
    if (code != NULL) {
        char *esc = out_escape(code);
        sbuf_addf(why, " %s", esc);
        free(esc);
    }
    free(code);
}

/* A copy of the value of header name in h's last answer, or NULL. */
static char *
answer_header(CURL *h, const char *name)
{
    struct curl_header *hd = NULL;
    if (curl_easy_header(h, name, 0, CURLH_HEADER, -1, &hd) != CURLHE_OK ||
        hd == NULL || hd->value == NULL)
        return NULL;
    return xstrdup(hd->value);
}

/*
 * t->reroute: an answer that says the bucket is in another region (301,
 * 307, 400, see s3_answer_region) moves the target's route there; the
 * engine then sends the request again, once.
 */
static int
s3_reroute(struct rjob *j, CURL *h, long status, struct out *out)
{
    struct s3_be *b = j->t->be;
    if (status != 301 && status != 302 && status != 307 && status != 400)
        return 0;
    char *hdr = answer_header(h, "x-amz-bucket-region");
    char *loc = answer_header(h, "location");
    char *code = s3_xml_text(j->resp.buf, j->resp.len, "Error/Code");
    char *region = s3_xml_text(j->resp.buf, j->resp.len, "Error/Region");
    char *ep = s3_xml_text(j->resp.buf, j->resp.len, "Error/Endpoint");
    struct s3_answer a = {status, hdr, code, region, ep, loc};
    int r = s3_route_follow(&b->route, j->route, &a, j->what, out, &j->local);
    free(hdr);
    free(loc);
    free(code);
    free(region);
    free(ep);
    return r;
}

static enum fy_rc
s3_target_open(struct rtarget *t, struct fy_err *err)
{
    struct s3_be *b = xcalloc(1, sizeof *b);
    t->be = b;
    t->be_free = be_free;
    t->setup = s3_setup;
    t->explain = s3_explain;
    t->reroute = s3_reroute;
    t->transient = s3_transient;
    t->http = true;
    enum fy_rc rc = aws_s3_open(&b->aws, t->o->aws_profile, t->o->aws_region,
                                t->o->s3_endpoint, t->u.show, err);
    if (rc != FY_OK)
        return rc;
    enum s3_addressing addr = b->aws.addressing == AWS_ADDR_PATH ? S3_ADDR_PATH
                              : b->aws.addressing == AWS_ADDR_VIRTUAL
                                  ? S3_ADDR_VIRTUAL
                                  : S3_ADDR_AUTO;
    return s3_route_init(&b->route, b->aws.region, b->aws.endpoint, addr,
                         t->u.show, err);
}

/* --------------------------------------------------------- multipart */

struct mp {
    struct rtarget *t;
    char *upload_id;
    char **etags; /* [S3_MAX_PARTS], index = part number - 1 */
    int nparts;
    struct out *out;         /* -v lines of create's and complete's retries */
    struct remote_stats *st; /* their retries are counted here (or NULL) */
};

static enum fy_rc
create_done(struct rjob *j, struct fy_err *err)
{
    struct mp *mp = j->owner;
    mp->upload_id = s3_xml_text(j->resp.buf, j->resp.len,
                                "InitiateMultipartUploadResult/UploadId");
    if (mp->upload_id == NULL || !*mp->upload_id)
        return fy_fail(err, FY_ERUNTIME,
                       "%s: the server sent no upload id for a multipart "
                       "upload",
                       j->t->u.show);
    return FY_OK;
}

static enum fy_rc
mp_create(struct mp *mp, struct fy_err *err)
{
    struct rjob j;
    rjob_init(&j, mp->t, RM_POST);
    j.what = xstrdup(mp->t->u.show);
    j.query = xstrdup("uploads=");
    j.len = 0;
    j.owner = mp;
    j.done = create_done;
    mp->etags = xcalloc(S3_MAX_PARTS, sizeof *mp->etags);
    enum fy_rc rc = remote_run_one(mp->t, &j, mp->out, -1, mp->st, err);
    rjob_release(&j);
    return rc;
}

static enum fy_rc
part_done(struct rjob *j, struct fy_err *err)
{
    struct mp *mp = j->owner;
    if (j->etag == NULL || !*j->etag)
        return fy_fail(err, FY_ERUNTIME, "%s: no ETag in the answer", j->what);
    free(mp->etags[j->num - 1]);
    mp->etags[j->num - 1] = j->etag;
    j->etag = NULL;
    return FY_OK;
}

static void
part_job(struct mp *mp, struct rjob *j, int num)
{
    rjob_init(j, mp->t, RM_PUT);
    j->what = xasprintf("%s (part %d)", mp->t->u.show, num);
    j->query = s3_query_part(num, mp->upload_id);
    j->num = num;
    j->owner = mp;
    j->done = part_done;
    j->payload = true;
}

static enum fy_rc
complete_done(struct rjob *j, struct fy_err *err)
{
    char *root = s3_xml_root(j->resp.buf, j->resp.len);
    enum fy_rc rc = FY_OK;
    if (root == NULL || strcmp(root, "CompleteMultipartUploadResult") != 0) {
        char *code = s3_xml_text(j->resp.buf, j->resp.len, "Error/Code");
        char *esc = out_escape(code ? code : "unexpected answer");
        rc = fy_fail(err, FY_ERUNTIME,
                     "%s: completing the multipart upload failed: %s",
                     j->t->u.show, esc);
        free(esc);
        free(code);
    }
    free(root);
    return rc;
}

static enum fy_rc
mp_complete(struct mp *mp, struct fy_err *err)
{
    struct rjob j;
    rjob_init(&j, mp->t, RM_POST);
    j.what = xstrdup(mp->t->u.show);
    j.query = s3_query_upload(mp->upload_id);
    j.mem_owned = s3_complete_xml(mp->etags, (size_t)mp->nparts);
    j.mem = j.mem_owned;
    j.len = (int64_t)strlen(j.mem);
    j.done = complete_done;
    enum fy_rc rc = remote_run_one(mp->t, &j, mp->out, -1, mp->st, err);
    rjob_release(&j);
    return rc;
}

/* Best effort: a failure here is not reported over the first error. */
static void
mp_abort(struct mp *mp)
{
    if (mp->upload_id == NULL)
        return;
    struct remote_opts ao = *mp->t->o;
    struct rtarget t2 = *mp->t;
    ao.retries = ao.retries < 2 ? ao.retries : 2;
    ao.phase = NULL;
    t2.o = &ao;
    struct rjob j;
    rjob_init(&j, &t2, RM_DELETE);
    j.what = xstrdup(mp->t->u.show);
    j.query = s3_query_upload(mp->upload_id);
    j.cleanup = true;
    struct fy_err tmp = FY_ERR_INIT;
    remote_run_one(&t2, &j, NULL, -1, NULL, &tmp);
    rjob_release(&j);
}

static void
mp_release(struct mp *mp)
{
    if (mp->etags != NULL)
        for (int i = 0; i < S3_MAX_PARTS; i++)
            free(mp->etags[i]);
    free(mp->etags);
    free(mp->upload_id);
    mp->etags = NULL;
    mp->upload_id = NULL;
}

static enum fy_rc
s3_push_multipart(struct rtarget *t,
                  int fd,
                  int64_t size,
                  struct out *out,
                  struct remote_stats *st,
                  struct fy_err *err)
{
    struct mp mp = {t, NULL, NULL, 0, out, st};
    int64_t ps = s3_part_size(size, 1, remote_chunk_size(t->o));
    int n = (int)((size + ps - 1) / ps);
    struct rjob *jobs = NULL;
    enum fy_rc rc = mp_create(&mp, err);
    if (rc != FY_OK)
        goto done;
    jobs = xcalloc((size_t)n, sizeof *jobs);
    mp.nparts = n;
    struct reng e;
    reng_init(&e, t->o, out, size);
    reng_start(&e);
    for (int i = 0; i < n; i++) {
        part_job(&mp, &jobs[i], i + 1);
        jobs[i].fd = fd;
        jobs[i].off = (int64_t)i * ps;
        jobs[i].len = size - jobs[i].off < ps ? size - jobs[i].off : ps;
        /* the Content-MD5 is computed here, off the engine's thread, at
         * most one part ahead of the parts in flight */
        pthread_mutex_lock(&e.mu);
        while ((int64_t)i - e.st.parts > e.parallel && e.rc == FY_OK)
            pthread_cond_wait(&e.cv, &e.mu);
        bool failed = e.rc != FY_OK;
        pthread_mutex_unlock(&e.mu);
        struct fy_err herr = FY_ERR_INIT;
        if (!failed && rjob_md5(&jobs[i], &herr) != FY_OK)
            reng_cancel(&e, herr.rc, herr.msg);
        if (failed || herr.rc != FY_OK)
            break;
        reng_submit(&e, &jobs[i]);
    }
    reng_close(&e);
    rc = reng_join(&e, err);
    remote_stats_add(st, &e.st);
    reng_release(&e);
    if (rc == FY_OK)
        rc = mp_complete(&mp, err);
done:
    if (rc != FY_OK)
        mp_abort(&mp);
    for (int i = 0; jobs != NULL && i < n; i++)
        rjob_release(&jobs[i]);
    free(jobs);
    mp_release(&mp);
    return rc;
}

/* ------------------------------------------------------ upload stream */

struct s3_up {
    struct rtarget t;
    struct mp mp;
    struct reng e;
    bool started;
    char *cur;
    size_t cur_len, cur_cap;
    int part;           /* number of the part being filled */
    struct rjob **jobs; /* submitted, not yet released */
    size_t njobs;
    struct out *out;
    struct remote_stats *st;
    double t0;
};

/* Free the jobs the engine finished; count those still running. */
static int
sweep(struct s3_up *u)
{
    int busy = 0;
    size_t k = 0;
    for (size_t i = 0; i < u->njobs; i++) {
        struct rjob *j = u->jobs[i];
        if (j->finished) {
            rjob_release(j);
            free(j);
        } else {
            u->jobs[k++] = j;
            busy++;
        }
    }
    u->njobs = k;
    return busy;
}

/* Hand the filled part to the engine once fewer than parallel run. */
static enum fy_rc
submit_part(struct s3_up *u, bool last, struct fy_err *err)
{
    enum fy_rc rc;
    if (!u->started) {
        if ((rc = mp_create(&u->mp, err)) != FY_OK)
            return rc;
        reng_init(&u->e, u->t.o, u->out, -1);
        reng_start(&u->e);
        u->started = true;
    }
    if (u->part > S3_MAX_PARTS)
        return fy_fail(err, FY_ERUNTIME,
                       "%s: too large for one S3 multipart upload (%d parts)",
                       u->t.u.show, S3_MAX_PARTS);
    pthread_mutex_lock(&u->e.mu);
    while (sweep(u) >= u->e.parallel && u->e.rc == FY_OK)
        pthread_cond_wait(&u->e.cv, &u->e.mu);
    rc = u->e.rc;
    pthread_mutex_unlock(&u->e.mu);
    if (rc != FY_OK)
        return fy_fail(err, rc, "%s", u->e.err.msg);
    struct rjob *j = xmalloc(sizeof *j);
    part_job(&u->mp, j, u->part);
    j->mem_owned = u->cur;
    j->mem = u->cur;
    j->len = (int64_t)u->cur_len;
    u->cur = NULL;
    /* hashed in the producer's thread, not the engine's */
    if ((rc = rjob_md5(j, err)) != FY_OK) {
        rjob_release(j);
        free(j);
        return rc;
    }
    u->mp.nparts = u->part;
    u->jobs = xrealloc(u->jobs, (u->njobs + 1) * sizeof *u->jobs);
    u->jobs[u->njobs++] = j;
    reng_submit(&u->e, j);
    u->part++;
    u->cur_len = 0;
    if (!last) {
        u->cur_cap =
            (size_t)s3_part_size(-1, u->part, remote_chunk_size(u->t.o));
        u->cur = xmalloc(u->cur_cap);
    }
    return FY_OK;
}

static enum fy_rc
up_write(void *ctx, const void *buf, size_t n, struct fy_err *err)
{
    struct s3_up *u = ctx;
    const char *p = buf;
    if (fy_interrupted())
        return fy_fail(err, FY_EINTR, "%s: interrupted", u->t.u.show);
    while (n > 0) {
        if (u->cur_len == u->cur_cap) {
            enum fy_rc rc = submit_part(u, false, err);
            if (rc != FY_OK)
                return rc;
        }
        size_t k = u->cur_cap - u->cur_len < n ? u->cur_cap - u->cur_len : n;
        memcpy(u->cur + u->cur_len, p, k);
        u->cur_len += k;
        p += k;
        n -= k;
    }
    return FY_OK;
}

static enum fy_rc
up_close(void *ctx, bool commit, struct fy_err *err)
{
    struct s3_up *u = ctx;
    enum fy_rc rc = FY_OK;
    struct remote_stats local = {0};
    if (commit && !u->started) {
        /* it all fit in one part: one plain PUT */
        struct rjob j;
        rjob_init(&j, &u->t, RM_PUT);
        j.what = xstrdup(u->t.u.show);
        j.mem = u->cur;
        j.len = (int64_t)u->cur_len;
        j.payload = true;
        rc = remote_run_one(&u->t, &j, u->out, j.len, &local, err);
        rjob_release(&j);
    } else if (commit) {
        rc = submit_part(u, true, err);
        reng_close(&u->e);
        enum fy_rc jr = reng_join(&u->e, err);
        if (rc == FY_OK)
            rc = jr;
        if (rc == FY_OK)
            rc = mp_complete(&u->mp, err);
    } else if (u->started) {
        reng_cancel(&u->e, FY_EINTR, "upload cancelled");
        reng_join(&u->e, NULL);
    }
    if (u->started) {
        if (rc != FY_OK || !commit) {
            reng_cancel(&u->e, rc != FY_OK ? rc : FY_EINTR, "cancelled");
            reng_join(&u->e, NULL);
            mp_abort(&u->mp);
        }
        remote_stats_add(&local, &u->e.st);
        sweep(u);
        for (size_t i = 0; i < u->njobs; i++) {
            rjob_release(u->jobs[i]);
            free(u->jobs[i]);
        }
        reng_release(&u->e);
    }
    if (u->st != NULL) {
        remote_stats_add(u->st, &local);
        u->st->seconds = out_now() - u->t0;
    }
    free(u->jobs);
    free(u->cur);
    mp_release(&u->mp);
    rtarget_release(&u->t);
    free(u);
    return rc;
}

static enum fy_rc
s3_upload_open(struct fy_ostream *os,
               struct rtarget *t,
               struct out *out,
               struct remote_stats *st,
               struct fy_err *err)
{
    struct s3_up *u = xcalloc(1, sizeof *u);
    (void)err;
    rtarget_move(&u->t, t);
    u->mp.t = &u->t;
    u->mp.out = out;
    u->mp.st = st;
    u->out = out;
    u->st = st;
    u->t0 = out_now();
    u->part = 1;
    u->cur_cap = (size_t)s3_part_size(-1, 1, remote_chunk_size(u->t.o));
    u->cur = xmalloc(u->cur_cap);
    memset(os, 0, sizeof *os);
    os->write = up_write;
    os->close = up_close;
    os->ctx = u;
    os->name = u->t.u.show;
    os->fd = -1;
    return FY_OK;
}

/*
 * push_file: a file larger than one part goes up as a multipart upload,
 * a smaller one in one PUT.
 */
static enum fy_rc
s3_push_path(struct rtarget *t,
             const char *path,
             struct out *out,
             struct remote_stats *st,
             struct fy_err *err)
{
    int fd;
    int64_t size;
    enum fy_rc rc = rops_push_open(path, &fd, &size, err);
    if (rc != FY_OK)
        return rc;
    if (size > remote_chunk_size(t->o))
        rc = s3_push_multipart(t, fd, size, out, st, err);
    else
        rc = rops_put_fd(t, fd, size, out, st, err);
    close(fd);
    return rc;
}

const struct remote_backend remote_s3_backend = {
    .open = s3_target_open,
    .push_file = s3_push_path,
    .pull_file = rops_pull_file,
    .upload_open = s3_upload_open,
    .download_open = rops_download_open,
};
