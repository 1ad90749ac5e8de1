/*
 * arc.c - the archive engine behind pack, unpack, list and verify: what
 * every part of it shares (errors, CPUs, locale, counts).  The parts, one
 * concern each, each public entry point with its engine:
 *
 *   arc_scan.c    pack's pre-scan: the tree walked, excludes applied
 *   arc_pack.c    pack: entries written through libarchive (arc_pack)
 *   arc_prefetch.c  pack's opener: files opened and read ahead on a
 *                 helper thread
 *   arc_zstd.c    the only user of <zstd.h>: the threaded zstd writer and
 *                 the reader of zstd streams with ferry's stored frames
 *   arc_decode.c  the reader's other decoders: xz, gzip, bzip2, lz4
 *   arc_read.c    the read ring (a helper thread decoding into blocks)
 *                 and libarchive's reader on top of it, zip's directory
 *   arc_walk.c    the one walk of entries shared by list, verify and
 *                 unpack: data spans, the entry gate, the manifest check;
 *                 list and verify (arc_list, arc_verify)
 *   arc_unpack.c  unpack: staging, entries created (arc_unpack)
 *   arc_pwrite.c  unpack's files written with pwrite: sparse ones, and
 *                 all others by the writer pool (threads that make them)
 *   arc_opts.c    pack's and unpack's option values (arc_opts.h)
 *   arc_rules.c   paths, the entry safety rules, excludes, the map
 *   arc_manifest.c  the manifest's text
 * src/arc_int.h declares what these files share; calls go one way:
 * pack -> scan, prefetch, zstd;
 * unpack -> pwrite -> walk -> read -> zstd, decode;
 * all of them -> arc.c, arc_rules.c, arc_manifest.c.
 *
 * pack: a pre-scan walks the tree (sorted per directory, excludes applied,
 * the output file skipped) and gives the totals for progress; then every
 * entry is written as a pax tar entry (or zip).  File data is read in
 * ARC_BLOCK pieces, hashed with XXH3-128 and handed to libarchive, whose
 * uncompressed tar stream goes to our write callback: for tar.zst that is
 * the zstd writer (arc_zstd.c: libzstd frames for compressible bytes,
 * stored frames for random-looking file data), for the other formats the
 * stream already filtered by libarchive.  The manifest is the last entry.
 * Output goes to a struct fy_ostream, committed only if all went well.
 *
 * unpack/list/verify: a helper thread reads the input stream and, for
 * zstd, xz, gzip, bzip2 and lz4 (told by their magic bytes),
 * decompresses it into a ring of RING_SLOTS blocks
 * (with memory limits, every checksum of the stream checked, to the end of
 * the input); libarchive reads the blocks in place (no copy) on the
 * calling thread and parses only tar and zip.  ferry's own stored
 * frames (ARC_ZSTD_STORED_HEAD) are decoded by that thread itself: their raw
 * blocks are read straight into the ring and their XXH64 computed as they pass.
 * unpack, list and verify walk the entries the same way (arc_walk_run): each
 * entry passes the same checks (arc_gate_entry: arc_entry_check(), data within
 * its declared size, a zip symlink's CRC-32) and is hashed, and the
 * manifest is compared line by line as it is read (the last entry); list
 * prints what passed, and unpack creates it: regular files by the writer
 * pool (arc_pwrite.c: openat2 beneath the stage, no symlink followed), the
 * rest by libarchive's archive_write_disk (with the SECURE_* flags).
 * Extraction happens in a locked staging directory beside the target,
 * which is synced (syncfs) and renamed into place only when every check
 * passed.
 *
 * Invariants: nothing is written outside the staging directory; the target
 * is touched only by the final rename (or RENAME_EXCHANGE with --force);
 * every error path removes the staging tree and restores the cwd; the work
 * done for an entry is bounded by the bytes the archive holds, never by
 * the sizes or offsets its headers declare (struct arc_span); every loop polls
 * fy_interrupted().
 */
#include "ferry/arc.h"

#include <errno.h>
#include <locale.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>

#include "arc_int.h"
#include "ferry/out.h"
#include "ferry/xalloc.h"

/* ---------------------------------------------------------------- common */

enum fy_rc
arc_rc_from_errno(int e, enum arc_side side)
{
    bool lib = e == 0 || e == ARCHIVE_ERRNO_FILE_FORMAT ||
               e == ARCHIVE_ERRNO_MISC || e == ARCHIVE_ERRNO_PROGRAMMER;
    if (e == ENAMETOOLONG && side == ARC_SIDE_EXTRACT)
        return FY_EINPUT; /* a name no filesystem holds: the archive's */
    if (!lib)
        return FY_ERUNTIME;
    switch (side) {
    case ARC_SIDE_READ:
        return FY_EINPUT;
    case ARC_SIDE_EXTRACT:
        /*
         * Only libarchive's own refusals (its SECURE checks: errno 0 or
         * ARCHIVE_ERRNO_MISC) are refusals for safety.  EINVAL is also a
         * system call's ("Seek failed", from lseek) and EILSEQ a name it
         * cannot convert: I/O (1) and the archive's doing (3).
         */
        if (e == ARCHIVE_ERRNO_FILE_FORMAT)
            return FY_EINPUT;
        if (e == ARCHIVE_ERRNO_PROGRAMMER)
            return FY_ERUNTIME;
        return FY_EREFUSED;
    default:
        return FY_ERUNTIME;
    }
}

int
arc_ncpus(void)
{
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) == 0 && CPU_COUNT(&set) > 0)
        return CPU_COUNT(&set);
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (int)n : 1;
}

void
arc_thread_signals(void)
{
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
}

/*
 * Archive names are UTF-8 in pax headers.  libarchive converts from the
 * thread's locale, which is "C" unless main() set one, and then stores
 * every non-ASCII name as raw bytes with hdrcharset=BINARY (GNU tar warns
 * about that keyword).  Run the engine in C.UTF-8: valid UTF-8 names are
 * stored as such, only invalid ones fall back to BINARY.
 */
locale_t
arc_utf8_enter(locale_t *old)
{
    locale_t loc = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0);
    *old = loc != (locale_t)0 ? uselocale(loc) : (locale_t)0;
    return loc;
}

void
arc_utf8_leave(locale_t loc, locale_t old)
{
    if (loc != (locale_t)0) {
        uselocale(old);
        freelocale(loc);
    }
}

/* "<archive>: entry '<path>': <why>", both escaped (libarchive's whys
 * quote names raw), the path cut short if it would crowd out the why. */
enum fy_rc
arc_entry_fail(struct fy_err *err,
               enum fy_rc rc,
               const char *arc,
               const char *path,
               const char *why)
{
    char *e = out_escape(path), *y = out_escape(why);
    size_t n = strlen(e), max = 300;
    if (n > max) {
        while (max > 0 && ((unsigned char)e[max] & 0xc0) == 0x80)
            max--; /* not inside a UTF-8 sequence */
        memcpy(e + max, "...", 4);
    }
    fy_fail(err, rc, "%s: entry '%s': %s", arc, e, y);
    free(e);
    free(y);
    return err->rc;
}

char
arc_entry_type(struct archive_entry *e)
{
    if (archive_entry_hardlink(e) != NULL)
        return 'h';
    switch (archive_entry_filetype(e)) {
    case AE_IFREG:
        return 'f';
    case AE_IFDIR:
        return 'd';
    case AE_IFLNK:
        return 'l';
    case AE_IFCHR:
        return 'c';
    case AE_IFBLK:
        return 'b';
    case AE_IFIFO:
        return 'p';
    case AE_IFSOCK:
        return 's';
    default:
        return 'f'; /* old tar: a type 0 entry is a file */
    }
}

/* "2 GiB" for powers of two, else out_fmt_size's "1.50 GiB". */
void
arc_fmt_window(char *buf, size_t len, unsigned long long w)
{
    static const char *const units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
    size_t u = 0;
    unsigned long long v = w;
    if (w == 0 || (w & (w - 1)) != 0) {
        out_fmt_size(buf, len, w > INT64_MAX ? INT64_MAX : (int64_t)w);
        return;
    }
    while (v >= 1024 && u + 1 < sizeof units / sizeof units[0]) {
        v /= 1024;
        u++;
    }
    snprintf(buf, len, "%llu %s", v, units[u]);
}

void
arc_stats_count(struct arc_stats *st, char type, int64_t size)
{
    switch (type) {
    case 'f':
        st->files++;
        st->bytes += size;
        break;
    case 'd':
        st->dirs++;
        break;
    case 'l':
        st->symlinks++;
        break;
    case 'h':
        st->hardlinks++;
        break;
    default:
        break;
    }
}
