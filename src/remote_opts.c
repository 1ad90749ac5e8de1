/*
 * remote_opts.c - the options every remote command shares (--retries,
 * --stall-timeout, --parallel, --header, --ssh-key,
 * --ssh-key-passphrase-file, --known-hosts, --insecure-host, --profile,
 * --region, --endpoint-url, --max-up, --max-down): their defaults and their
 * parsing, for a command's option table (REMOTE_LONGOPTS in
 * ferry/remote_opts.h).
 *
 * What it keeps true: a value out of range is a usage error naming the
 * option; a --header value is never quoted back (it may hold a secret).
 */
#include "ferry/remote_opts.h"

#include <stdio.h>
#include <string.h>

#include "ferry/aws_config.h"
#include "ferry/parse.h"
#include "ferry/remote_s3.h"
#include "ferry/xalloc.h"

void
remote_opts_init(struct remote_opts *o)
{
    memset(o, 0, sizeof *o);
    o->retries = REMOTE_RETRIES_DEFAULT;
    o->parallel = REMOTE_PARALLEL_DEFAULT;
    o->stall_timeout = REMOTE_STALL_DEFAULT;
    o->headers = (struct strlist)STRLIST_INIT;
}

void
remote_opts_release(struct remote_opts *o)
{
    strlist_release(&o->headers);
}

bool
remote_opt_is(int opt)
{
    return opt >= REMOTE_OPT_BASE && opt < REMOTE_OPT_END;
}

enum fy_rc
remote_opts_set(struct remote_opts *o,
                int opt,
                const char *arg,
                struct fy_err *err)
{
    int64_t v;
    switch (opt) {
    case REMOTE_OPT_RETRIES:
        if (parse_i64("--retries", arg, 0, 100, &v, err) != FY_OK)
            return err->rc;
        o->retries = (int)v;
        return FY_OK;
    case REMOTE_OPT_STALL:
        return parse_duration("--stall-timeout", arg, 86400.0 * 365,
                              &o->stall_timeout, err);
    case REMOTE_OPT_PARALLEL:
        if (parse_i64("--parallel", arg, 1, 64, &v, err) != FY_OK)
            return err->rc;
        o->parallel = (int)v;
        return FY_OK;
    case REMOTE_OPT_HEADER:
        if (strchr(arg, ':') == NULL || arg[0] == ':' ||
            strpbrk(arg, "\r\n") != NULL)
            return fy_fail(err, FY_EUSAGE,
                           "--header: expected 'Name: value' (the argument "
                           "is not shown: it may hold a secret)");
        strlist_add(&o->headers, arg);
        return FY_OK;
    case REMOTE_OPT_SSH_KEY:
        if (arg[0] == '\0')
            return fy_fail(err, FY_EUSAGE, "--ssh-key: empty file name");
        o->ssh_key = arg;
        return FY_OK;
    case REMOTE_OPT_SSH_PASSPHRASE_FILE:
        if (arg[0] == '\0')
            return fy_fail(err, FY_EUSAGE,
                           "--ssh-key-passphrase-file: empty file name");
        o->ssh_key_passphrase_file = arg;
        return FY_OK;
    case REMOTE_OPT_KNOWN_HOSTS:
        if (arg[0] == '\0')
            return fy_fail(err, FY_EUSAGE, "--known-hosts: empty file name");
        o->known_hosts = arg;
        return FY_OK;
    case REMOTE_OPT_INSECURE_HOST:
        o->insecure_host = true;
        return FY_OK;
    case REMOTE_OPT_PROFILE:
        if (!aws_profile_name_ok(arg))
            return fy_fail(err, FY_EUSAGE,
                           "--profile: 1 to %d characters, no brackets, "
                           "';', '#' or control characters",
                           AWS_NAME_MAX);
        o->aws_profile = arg;
        return FY_OK;
    case REMOTE_OPT_REGION:
        if (!s3_region_ok(arg))
            return fy_fail(err, FY_EUSAGE,
                           "--region: letters, digits and '-' expected "
                           "(e.g. eu-west-1)");
        o->aws_region = arg;
        return FY_OK;
    case REMOTE_OPT_ENDPOINT_URL:
        if (!aws_endpoint_ok(arg))
            return fy_fail(err, FY_EUSAGE,
                           "--endpoint-url: an http:// or https:// URL "
                           "expected");
        o->s3_endpoint = arg;
        return FY_OK;
    case REMOTE_OPT_MAX_UP:
        return parse_rate("--max-up", arg, &o->max_up, err);
    case REMOTE_OPT_MAX_DOWN:
        return parse_rate("--max-down", arg, &o->max_down, err);
    default:
        return fy_fail(err, FY_EUSAGE, "unknown remote option");
    }
}

enum fy_rc
remote_help(const char *head, const char *tail)
{
    fputs(head, stdout);
    fputs(REMOTE_OPTS_HELP "  -h, --help              this help\n\n", stdout);
    fputs(REMOTE_S3_HELP "\n", stdout);
    fputs(REMOTE_SFTP_HELP "\n", stdout);
    fputs(REMOTE_PROXY_HELP "\n", stdout);
    fputs(tail, stdout);
    return FY_OK;
}
