/*
 * aws_chain.c - the AWS credential chain (which source, in the SDKs'
 * order) and the cache every S3 request reads its credentials from,
 * refreshed before they expire.  See ferry/aws_creds.h for the rules; the
 * sources themselves are in aws_sources.c.
 *
 * What it keeps true: one lock guards the cached credentials; a reader
 * gets a private copy, so a refresh never frees what another thread is
 * signing with; a failed refresh never replaces valid credentials; no
 * secret reaches a message.
 */
#include "ferry/aws_creds.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aws_int.h"

/* --------------------------------------------------------------- cache */

struct aws_chain {
    pthread_mutex_t mu;
    struct aws_provider prov;
    struct aws_creds cur;
    double fetched, refresh_at;
    int fetches;
    double (*clock)(void);
    char *source;
};

double
aws_refresh_at(double fetched, double expires)
{
    double life = expires - fetched;
    double early =
        life / 2 < AWS_REFRESH_WINDOW ? life / 2 : AWS_REFRESH_WINDOW;
    if (early < 0)
        early = 0;
    return expires - early;
}

struct aws_chain *
aws_chain_new(const struct aws_provider *prov,
              struct aws_creds *first,
              double fetched,
              double (*clock)(void))
{
    struct aws_chain *c = xcalloc(1, sizeof *c);
    pthread_mutex_init(&c->mu, NULL);
    c->prov = *prov;
    c->cur = *first;
    memset(first, 0, sizeof *first);
    c->clock = clock ? clock : aws_wall_now;
    c->fetched = fetched;
    c->fetches = 1;
    c->refresh_at =
        c->cur.expires > 0 ? aws_refresh_at(fetched, c->cur.expires) : 0;
    c->source = xstrdup(prov->name ? prov->name : "?");
    return c;
}

const char *
aws_chain_source(const struct aws_chain *c)
{
    return c->source;
}

int
aws_chain_fetches(struct aws_chain *c)
{
    pthread_mutex_lock(&c->mu);
    int n = c->fetches;
    pthread_mutex_unlock(&c->mu);
    return n;
}

void
aws_chain_free(struct aws_chain *c)
{
    if (c == NULL)
        return;
    if (c->prov.free != NULL)
        c->prov.free(c->prov.ctx);
    aws_creds_release(&c->cur);
    pthread_mutex_destroy(&c->mu);
    free(c->source);
    free(c);
}

/* Under c->mu: fetch new credentials if due. */
static enum fy_rc
refresh_locked(struct aws_chain *c, const char *what, struct fy_err *err)
{
    double now = c->clock();
    if (c->cur.expires <= 0 || now < c->refresh_at)
        return FY_OK;
    struct aws_creds fresh = {0};
    struct fy_err ferr = FY_ERR_INIT;
    enum fy_rc rc = c->prov.fetch(c->prov.ctx, &fresh, &ferr);
    c->fetches++;
    now = c->clock();
    char why[160] = "";
    if (rc == FY_OK && !aws_creds_ok(&fresh, now, why, sizeof why))
        rc = fy_fail(&ferr, FY_ERUNTIME, "%s: the new credentials: %s",
                     c->source, why);
    if (rc == FY_OK) {
        aws_creds_release(&c->cur);
        c->cur = fresh;
        c->fetched = now;
        c->refresh_at =
            c->cur.expires > 0 ? aws_refresh_at(now, c->cur.expires) : 0;
        return FY_OK;
    }
    aws_creds_release(&fresh);
    if (rc == FY_EINTR)
        return fy_fail(err, rc, "%s: %s", what, ferr.msg);
    if (now < c->cur.expires) {
        /* still valid: keep them, ask again a little later */
        double left = c->cur.expires - now;
        c->refresh_at = now + (left / 2 < 30 ? left / 2 : 30);
        return FY_OK;
    }
    return fy_fail(err, FY_ERUNTIME,
                   "%s: AWS credentials expired and could not be refreshed: "
                   "%s",
                   what, ferr.msg);
}

enum fy_rc
aws_chain_get(struct aws_chain *c,
              const char *what,
              struct aws_creds *out,
              struct fy_err *err)
{
    memset(out, 0, sizeof *out);
    pthread_mutex_lock(&c->mu);
    enum fy_rc rc = refresh_locked(c, what, err);
    if (rc == FY_OK)
        aws_creds_copy(out, &c->cur);
    pthread_mutex_unlock(&c->mu);
    return rc;
}

/* --------------------------------------------------------------- chain */

void
aws_s3_release(struct aws_s3 *s)
{
    free(s->region);
    free(s->endpoint);
    aws_chain_free(s->chain);
    memset(s, 0, sizeof *s);
}

/* Walk the sources in order; the first with credentials wins. */
static enum fy_rc
walk(struct aws_s3 *s,
     const struct aws_profile *p,
     const char *region,
     const char *what,
     struct fy_err *err)
{
    struct sbuf tried = SBUF_INIT;
    struct aws_provider prov = {0};
    struct aws_creds first = {0};
    enum aws_try r = aws_try_env(p, &prov, &first, &tried, err);
    if (r == AWS_TRY_NONE)
        r = aws_try_profile(p, region, &prov, &first, &tried, err);
    if (r == AWS_TRY_NONE)
        r = aws_try_web_identity(p, region, &prov, &first, &tried, err);
    if (r == AWS_TRY_NONE)
        r = aws_try_container(&prov, &first, &tried, err);
    if (r == AWS_TRY_NONE)
        r = aws_try_imds(&prov, &first, &tried, err);
    enum fy_rc rc = FY_OK;
    if (r == AWS_TRY_FOUND) {
        s->chain = aws_chain_new(&prov, &first, aws_wall_now(), NULL);
    } else if (r == AWS_TRY_NONE) {
        rc = fy_fail(err, FY_ERUNTIME, "%s: no AWS credentials: %s", what,
                     tried.buf ? tried.buf : "");
    } else {
        /* the source recorded why; put the object first */
        char msg[FY_ERR_MSG_MAX];
        snprintf(msg, sizeof msg, "%s", err->msg);
        enum fy_rc frc = err->rc;
        fy_err_clear(err);
        rc = fy_fail(err, frc, "%s: %s", what, msg);
    }
    sbuf_release(&tried);
    return rc;
}

enum fy_rc
aws_s3_open(struct aws_s3 *s,
            const char *flag_profile,
            const char *flag_region,
            const char *flag_endpoint,
            const char *what,
            struct fy_err *err)
{
    memset(s, 0, sizeof *s);
    struct aws_profile p;
    struct aws_settings set = {0};
    enum fy_rc rc = aws_profile_load(&p, flag_profile, err);
    if (rc == FY_OK)
        rc = aws_settings_resolve(&p, flag_region, flag_endpoint, &set, err);
    if (rc != FY_OK) {
        char msg[FY_ERR_MSG_MAX];
        snprintf(msg, sizeof msg, "%s", err->msg);
        enum fy_rc frc = err->rc;
        fy_err_clear(err);
        rc = fy_fail(err, frc, "%s: %s", what, msg);
        goto out;
    }
    s->addressing = set.addressing;
    s->endpoint = set.endpoint;
    set.endpoint = NULL;
    rc = walk(s, &p, set.region ? set.region : "us-east-1", what, err);
    if (rc != FY_OK)
        goto out;
    if (set.region != NULL) {
        s->region = set.region;
        set.region = NULL;
    } else if (strcmp(aws_chain_source(s->chain), "IMDS") == 0) {
        s->region = aws_imds_region();
    }
    if (s->region == NULL)
        s->region = xstrdup("us-east-1");
out:
    aws_settings_release(&set);
    aws_profile_release(&p);
    if (rc != FY_OK)
        aws_s3_release(s);
    return rc;
}
