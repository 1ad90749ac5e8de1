/*
 * cmd_ls.c - `ferry ls URL-PREFIX`: options in, remote_list() out, one line
 * (or one JSON object) per entry on stdout as the entries arrive.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ferry/cmds.h"
#include "ferry/incr.h"
#include "ferry/remote.h"
#include "ferry/remote_list.h"
#include "ferry/remote_opts.h"
#include "ferry/xalloc.h"

static const char usage[] =
    "usage: ferry ls URL-PREFIX [--recursive] [--bytes] [options]\n"
    "\n"
    "List what remote storage holds under URL-PREFIX: one line per object\n"
    "with its modification time (local), size and name.  As in S3, "
    "URL-PREFIX\n"
    "is a prefix: everything whose name starts with it is listed, one level\n"
    "deep, and a directory below is one line 'PRE name/'.  End it with / to\n"
    "list what is inside a directory.  Names are relative to the prefix's\n"
    "directory and escaped (\\xNN) where they hold control characters or\n"
    "invalid UTF-8.  Nothing under the prefix is not an error (exit 0).\n"
    "\n"
    "URL-PREFIX: s3://BUCKET[/PREFIX]           (ListObjectsV2, page by "
    "page)\n"
    "            sftp://[USER@]HOST[:PORT]/DIR/[PREFIX]\n"
    "            file:///DIR/[PREFIX]\n"
    "http(s):// has no listing: exit 2.  SFTP times come from the server's\n"
    "listing: to the minute (to the day when older than six months).\n"
    "\n"
    "  -r, --recursive         every object below, with its path; no PRE "
    "lines\n"
    "      --bytes             sizes in bytes (default: KiB, MiB, "
    "GiB)\n" REMOTE_OPTS_HELP "  -h, --help              this help\n";

/* The rest of the help (one literal would pass C's 4095-byte limit). */
static const char usage_tail[] =
    "\n"
    "A URL-PREFIX ending in '/' that holds a save set (only its state,\n"
    "layer and index objects, see 'ferry save --incremental') is shown as\n"
    "its states instead: number, time, layers, their size, and 'full' or\n"
    "'damaged' (a layer missing).  --recursive lists its objects.\n"
    "\n"
    "Examples:\n"
    "  ferry ls s3://bucket/saves/\n"
    "  ferry ls s3://bucket/sets/work/             (a save set: its states)\n"
    "  ferry ls --recursive --bytes s3://bucket/\n"
    "  ferry ls sftp://me@host/srv/saves/ws        (ws.tar.zst, ws-old/, "
    "...)\n"
    "  ferry --json ls file:///mnt/backup/ | jq -r .url\n"
    "\n"
    "--json: one {\"event\":\"entry\",\"command\":\"ls\",...} per entry "
    "(name, type\n"
    "file|dir|link|other, size and mtime in Unix seconds, or absent when\n"
    "unknown, url), then a \"done\" event with the counts.\n"
    "\n"
    "Proxies: http_proxy, https_proxy, ALL_PROXY and NO_PROXY, as for\n"
    "push (see 'ferry push --help').\n"
    "\n"
    "Exit: 0 listed, 1 failed (no such bucket or directory, network, a\n"
    "listing the server sent malformed), 2 usage (also an http(s) URL), 3\n"
    "bad URL or AWS settings, 4 SSH host refused, 5 stalled\n"
    "(--stall-timeout), 130 interrupted.\n";

enum { OPT_BYTES = 256 };

static const struct option options[] = {
    REMOTE_LONGOPTS,
    {"recursive", no_argument, NULL, 'r'},
    {"bytes", no_argument, NULL, OPT_BYTES},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

/* What the values and arguments are, for `ferry completion`. */
static const struct cmd_value value_kinds[] = {
    REMOTE_VALUES,
    {NULL, CLI_TEXT, NULL},
};
static const struct cmd_value arg_kinds[] = {
    {"URL-PREFIX", CLI_URL, NULL},
    {NULL, CLI_TEXT, NULL},
};
const struct cmd_def cmd_ls_def = {"ls", options, arg_kinds, value_kinds};

/* What the command line asked for. */
struct ls_args {
    bool help, recursive, bytes;
    const char *url;
    struct remote_opts remote;
};

/* What the listing has shown so far. */
struct ls_state {
    struct fy_ctx *ctx;
    bool bytes;
    int64_t objects, dirs, total;
};

static const char *
type_word(enum remote_entry_type t)
{
    switch (t) {
    case REMOTE_ENTRY_FILE:
        return "file";
    case REMOTE_ENTRY_DIR:
        return "dir";
    case REMOTE_ENTRY_LINK:
        return "link";
    default:
        return "other";
    }
}

/* One "entry" event; size and mtime absent when unknown. */
static void
entry_event(struct out *out, const char *name, const struct remote_entry *e)
{
    const char *type = type_word(e->type);
    long long size = (long long)e->size, mtime = (long long)e->mtime;
    if (e->size >= 0 && e->has_mtime)
        out_event(out, "entry", "{sssssIsIss}", "name", name, "type", type,
                  "size", size, "mtime", mtime, "url", e->url);
    else if (e->size >= 0)
        out_event(out, "entry", "{sssssIss}", "name", name, "type", type,
                  "size", size, "url", e->url);
    else if (e->has_mtime)
        out_event(out, "entry", "{sssssIss}", "name", name, "type", type,
                  "mtime", mtime, "url", e->url);
    else
        out_event(out, "entry", "{ssssss}", "name", name, "type", type, "url",
                  e->url);
}

static enum fy_rc
print_entry(void *arg, const struct remote_entry *e, struct fy_err *err)
{
    struct ls_state *s = arg;
    char *name = out_escape(e->name);
    if (e->type == REMOTE_ENTRY_DIR) {
        s->dirs++;
    } else {
        s->objects++;
        s->total += e->size > 0 ? e->size : 0;
    }
    if (s->ctx->out.json) {
        entry_event(&s->ctx->out, name, e);
    } else if (e->type == REMOTE_ENTRY_DIR) {
        printf("%19s %10s %s\n", "", "PRE", name);
    } else {
        char when[32] = "?", size[32];
        struct tm tm;
        time_t t = (time_t)e->mtime;
        if (e->has_mtime && localtime_r(&t, &tm) != NULL)
            strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S", &tm);
        if (s->bytes && e->size >= 0)
            snprintf(size, sizeof size, "%lld", (long long)e->size);
        else
            out_fmt_size(size, sizeof size, e->size);
        printf("%-19s %10s %s\n", when, size, name);
    }
    free(name);
    return out_stdout_check(err); /* a closed pipe stops the listing */
}

static enum fy_rc
parse(int argc, char **argv, struct fy_ctx *ctx, struct ls_args *a)
{
    int c;
    while ((c = cli_getopt(ctx, "ls", argc, argv, "hr", options)) != -1) {
        enum fy_rc rc = FY_OK;
        switch (c) {
        case 'h':
            a->help = true;
            return FY_OK;
        case 'r':
            a->recursive = true;
            break;
        case OPT_BYTES:
            a->bytes = true;
            break;
        default:
            if (!remote_opt_is(c))
                return ctx->err.rc; /* cli_getopt() recorded it */
            rc = remote_opts_set(&a->remote, c, optarg, &ctx->err);
        }
        if (rc != FY_OK)
            return rc;
    }
    static const char *const names[] = {"URL-PREFIX"};
    return cli_args(ctx, "ls", argc, argv, 1, names, &a->url);
}

/* One state of a save set (incr.h). */
static enum fy_rc
print_state(void *arg, const struct incr_state_info *i, struct fy_err *err)
{
    struct ls_state *s = arg;
    char when[32] = "?", size[32];
    struct tm tm;
    time_t t = (time_t)i->time;
    if (i->time > 0 && localtime_r(&t, &tm) != NULL)
        strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S", &tm);
    if (s->bytes)
        snprintf(size, sizeof size, "%lld", (long long)i->bytes);
    else
        out_fmt_size(size, sizeof size, i->bytes);
    const char *note = !i->ok ? "damaged" : i->full ? "full" : "";
    if (s->objects == 0 && !s->ctx->out.json)
        printf("%8s  %-19s  %6s  %10s\n", "STATE", "SAVED", "LAYERS", "SIZE");
    if (s->ctx->out.json)
        out_event(&s->ctx->out, "state", "{sIsIsisIsbsb}", "seq",
                  (long long)i->seq, "time", (long long)i->time, "layers",
                  i->layers, "bytes", (long long)i->bytes, "full", i->full,
                  "ok", i->ok);
    else
        printf("%8lld  %-19s  %6d  %10s  %s\n", (long long)i->seq, when,
               i->layers, size, note);
    s->objects++;
    return out_stdout_check(err);
}

/* An entry held back while the listing may still be a save set's. */
struct held {
    char *name, *url;
    enum remote_entry_type type;
    int64_t size, mtime;
    bool has_mtime;
};

/* What the listing of a URL ending in '/' holds back. */
struct ls_hold {
    struct ls_state *s;
    bool holding; /* every entry so far is a set's object */
    struct held *v;
    size_t n, cap;
};

/* Forget the held entries. */
static void
drop_held(struct ls_hold *h)
{
    for (size_t i = 0; i < h->n; i++) {
        free(h->v[i].name);
        free(h->v[i].url);
    }
    free(h->v);
    h->v = NULL;
    h->n = h->cap = 0;
}

/* Print the held entries, as they came, and hold no more. */
static enum fy_rc
flush_held(struct ls_hold *h, struct fy_err *err)
{
    enum fy_rc rc = FY_OK;
    for (size_t i = 0; i < h->n && rc == FY_OK; i++) {
        struct remote_entry e = {h->v[i].name,  h->v[i].url,
                                 h->v[i].type,  h->v[i].size,
                                 h->v[i].mtime, h->v[i].has_mtime};
        rc = print_entry(h->s, &e, err);
    }
    drop_held(h);
    h->holding = false;
    return rc;
}

/* The listing's callback: a set's objects are held until an entry that
 * is not one comes (then everything is printed as it is). */
static enum fy_rc
hold_entry(void *arg, const struct remote_entry *e, struct fy_err *err)
{
    struct ls_hold *h = arg;
    if (h->holding && e->type == REMOTE_ENTRY_FILE && h->n < 100000 &&
        incr_name_ours(e->name)) {
        if (h->n == h->cap) {
            h->cap = h->cap ? h->cap * 2 : 64;
            h->v = xrealloc(h->v, h->cap * sizeof *h->v);
        }
        struct held *x = &h->v[h->n++];
        x->name = xstrdup(e->name);
        x->url = xstrdup(e->url);
        x->type = e->type;
        x->size = e->size;
        x->mtime = e->mtime;
        x->has_mtime = e->has_mtime;
        return FY_OK;
    }
    enum fy_rc rc = h->holding ? flush_held(h, err) : FY_OK;
    return rc == FY_OK ? print_entry(h->s, e, err) : rc;
}

/* After the listing: what was held is a save set's states (incr.h), or
 * printed as it is. */
static enum fy_rc
show_held(struct fy_ctx *ctx,
          const struct ls_args *a,
          struct ls_hold *h,
          bool *states)
{
    *states = false;
    if (!h->holding || h->n == 0)
        return flush_held(h, &ctx->err);
    const char **names = xcalloc(h->n, sizeof *names);
    int64_t *sizes = xcalloc(h->n, sizeof *sizes);
    for (size_t i = 0; i < h->n; i++) {
        names[i] = h->v[i].name;
        sizes[i] = h->v[i].size;
    }
    struct ls_state st = {ctx, a->bytes, 0, 0, 0};
    enum fy_rc rc = incr_list(a->url, h->n, names, sizes, &a->remote, &ctx->out,
                              print_state, &st, states, &ctx->err);
    free(names);
    free(sizes);
    if (rc == FY_OK && !*states)
        return flush_held(h, &ctx->err);
    h->s->objects = st.objects; /* states shown */
    drop_held(h);
    return rc;
}

static enum fy_rc
run(struct fy_ctx *ctx, const struct ls_args *a)
{
    struct ls_state s = {ctx, a->bytes, 0, 0, 0};
    struct ls_hold h = {&s, false, NULL, 0, 0};
    /* a URL ending in '/' may be a save set: shown as its states */
    h.holding = !a->recursive && incr_is_set(a->url);
    struct remote_stats st = {0};
    char *shown = remote_url_show(a->url);
    out_event(&ctx->out, "start", "{ss}", "url", shown);
    free(shown);
    enum fy_rc rc = remote_list(a->url, &a->remote, a->recursive, hold_entry,
                                &h, &ctx->out, &st, &ctx->err);
    bool states = false;
    if (rc == FY_OK)
        rc = show_held(ctx, a, &h, &states);
    drop_held(&h);
    if (rc != FY_OK)
        return rc;
    char *show = remote_url_show(a->url);
    if (states) {
        out_event(&ctx->out, "done", "{sssI}", "url", show, "states",
                  (long long)s.objects);
        free(show);
        return out_stdout_check(&ctx->err);
    }
    char size[24];
    out_fmt_size(size, sizeof size, s.total);
    if (s.objects == 0 && s.dirs == 0)
        out_info(&ctx->out, "nothing under %s", show);
    else
        out_verbose(&ctx->out,
                    "%lld object%s (%s), %lld director%s, %lld "
                    "retried",
                    (long long)s.objects, s.objects == 1 ? "" : "s", size,
                    (long long)s.dirs, s.dirs == 1 ? "y" : "ies",
                    (long long)st.retries);
    out_event(&ctx->out, "done", "{sssIsIsIsI}", "url", show, "objects",
              (long long)s.objects, "dirs", (long long)s.dirs, "bytes",
              (long long)s.total, "retries", (long long)st.retries);
    free(show);
    return out_stdout_check(&ctx->err);
}

enum fy_rc
cmd_ls(int argc, char **argv, struct fy_ctx *ctx)
{
    struct ls_args a = {false, false, false, NULL, {0}};
    remote_opts_init(&a.remote);
    enum fy_rc rc = parse(argc, argv, ctx, &a);
    if (rc == FY_OK && a.help) {
        (void)cli_help(usage);
        rc = cli_help(usage_tail);
    } else if (rc == FY_OK) {
        rc = run(ctx, &a);
    }
    remote_opts_release(&a.remote);
    return rc;
}
