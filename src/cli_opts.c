/*
 * cli_opts.c - the option groups several commands share, applied to the
 * engine's options struct: fetch's and seed's torrent options.
 */
#include "ferry/cli_opts.h"

#include "ferry/fetch.h"
#include "ferry/parse.h"
#include "ferry/xalloc.h"

#define YEAR_SECONDS (86400.0 * 365)

bool
cli_opts_fetch_is(int opt)
{
    return opt >= CLI_OPT_FETCH_BASE && opt < CLI_OPT_FETCH_END;
}

enum fy_rc
cli_opts_fetch_set(struct fetch_opts *o,
                   int opt,
                   const char *arg,
                   struct fy_err *err)
{
    enum fy_rc rc = FY_OK;
    switch (opt) {
    case CLI_OPT_SELECT:
        strlist_add(&o->select, arg);
        break;
    case CLI_OPT_PEER:
        if ((rc = parse_hostport("--peer", arg, false, err)) == FY_OK)
            strlist_add(&o->peers, arg);
        break;
    case CLI_OPT_WEBSEED:
        strlist_add(&o->webseeds, arg);
        break;
    case CLI_OPT_TRACKER:
        strlist_add(&o->trackers, arg);
        break;
    case CLI_OPT_SEED_RATIO:
        rc = parse_double("--seed-ratio", arg, 1e6, &o->seed_ratio, err);
        break;
    case CLI_OPT_SEED_TIME:
        rc = parse_duration("--seed-time", arg, YEAR_SECONDS, &o->seed_time,
                            err);
        break;
    case CLI_OPT_TIMEOUT:
        rc = parse_duration("--timeout", arg, YEAR_SECONDS, &o->timeout, err);
        break;
    case CLI_OPT_STALL:
        rc = parse_duration("--stall-timeout", arg, YEAR_SECONDS,
                            &o->stall_timeout, err);
        break;
    case CLI_OPT_MAX_DOWN:
        rc = parse_rate("--max-down", arg, &o->max_down, err);
        break;
    case CLI_OPT_MAX_UP:
        rc = parse_rate("--max-up", arg, &o->max_up, err);
        break;
    case CLI_OPT_LISTEN:
        rc = parse_hostport("--listen", arg, true, err);
        o->listen = arg;
        break;
    case CLI_OPT_NO_DHT:
        o->dht = false;
        break;
    case CLI_OPT_NO_LSD:
        o->lsd = false;
        break;
    case CLI_OPT_NO_UPNP:
        o->upnp = false;
        break;
    default:
        break;
    }
    return rc;
}
