/*
 * arc_opts.c - the option values of pack, save, unpack, list and verify
 * that the archive engine takes: pack's format, level, threads and
 * excludes (arc_opts.h), --long's window.
 */
#include "ferry/arc.h"
#include "ferry/arc_opts.h"

#include <stdlib.h>
#include <string.h>

#include "ferry/parse.h"
#include "ferry/out.h"
#include "ferry/xalloc.h"

void
arc_pack_opts_init(struct arc_pack_opts *o)
{
    memset(o, 0, sizeof *o);
    o->format = ARC_FMT_TAR_ZST;
}

void
arc_pack_opts_release(struct arc_pack_opts *o)
{
    strlist_release(&o->excludes);
    strlist_release(&o->exclude_files);
}

enum fy_rc
arc_long_parse(const char *arg, struct arc_read_opts *ro, struct fy_err *err)
{
    int64_t v = ARC_WINDOW_LOG_MAX;
    if (arg != NULL && parse_i64("--long", arg, ARC_WINDOW_LOG_DEFAULT,
                                 ARC_WINDOW_LOG_MAX, &v, err) != FY_OK)
        return err->rc;
    ro->window_log = (int)v;
    return FY_OK;
}

bool
arc_pack_arg_is(int opt)
{
    return opt >= ARC_OPT_BASE && opt < ARC_OPT_END;
}

enum fy_rc
arc_pack_arg_set(struct arc_pack_args *a,
                 const char *cmd,
                 int opt,
                 const char *arg,
                 struct fy_err *err)
{
    int64_t v;
    switch (opt) {
    case ARC_OPT_FORMAT:
        if (!arc_format_parse(arg, &a->o.format))
            return fy_fail(err, FY_EUSAGE,
                           "%s: --format: '%s' is not tar.zst, tar.gz, "
                           "tar.xz, tar or zip (see 'ferry %s --help')",
                           cmd, arg, cmd);
        a->format_given = true;
        break;
    case ARC_OPT_LEVEL:
        a->level = arg;
        break;
    case ARC_OPT_THREADS:
        if (parse_i64("--threads", arg, 0, 256, &v, err) != FY_OK)
            return err->rc;
        a->o.threads = (int)v;
        break;
    case ARC_OPT_EXCLUDE:
        strlist_add(&a->o.excludes, arg);
        break;
    case ARC_OPT_EXCLUDE_FROM:
        strlist_add(&a->o.exclude_files, arg);
        break;
    default:
        break;
    }
    return FY_OK;
}

enum fy_rc
arc_pack_args_settle(struct arc_pack_args *a,
                     const char *cmd,
                     const char *output,
                     struct fy_err *err)
{
    if (output != NULL && !a->format_given && strcmp(output, "-") != 0) {
        /* SPEC: archive formats follow the name; a name that asks for
         * another format (or none: a FIFO, a device) gets no zstd data it
         * did not ask for */
        enum arc_format f = arc_format_from_path(output);
        if (f == ARC_FMT_NONE) {
            char *show = out_escape(output);
            fy_fail(err, FY_EUSAGE,
                    "%s: %s: not .tar.zst, .tar.gz, .tar.xz, .tar or .zip, "
                    "the formats ferry writes: rename it or give --format "
                    "(see 'ferry %s --help')",
                    cmd, show, cmd);
            free(show);
            return err->rc;
        }
        a->o.format = f;
    }
    if (a->level == NULL)
        return FY_OK;
    int min, max;
    int64_t v;
    if (!arc_level_range(a->o.format, &min, &max))
        return fy_fail(err, FY_EUSAGE,
                       "%s: --level: %s is not compressed (see 'ferry %s "
                       "--help')",
                       cmd, arc_format_name(a->o.format), cmd);
    if (parse_i64("--level", a->level, min, max, &v, err) != FY_OK)
        return err->rc;
    if (v == 0 && a->o.format == ARC_FMT_TAR_ZST)
        v = 3; /* zstd: 0 means the default */
    a->o.level = (int)v;
    return FY_OK;
}
