/*
 * fs.h - safe file writes and small file helpers.
 *
 * Atomic write of one file (SPEC: never a truncated file under a final name):
 *
 *     struct fs_atomic af = FS_ATOMIC_INIT;
 *     if (fs_atomic_open(&af, "out.tar.zst", 0644, err) != FY_OK) ...
 *     write(af.fd, ...);                       (or fs_write_all)
 *     if (fs_atomic_commit(&af, err) != FY_OK) ...   (removes .part on error)
 *     fs_atomic_abort(&af);    (always safe; does nothing after commit)
 *
 * open creates "<path>.part" with O_EXCL and mode 0600 (a stale regular
 * .part is removed first); commit fsyncs, closes, chmods, renames and
 * fsyncs the directory.  Every open .part is in a registry: an exit()
 * removes those this process made.  The path "-" is never handled here.
 *
 * SPEC: an output that exists and is not a regular file (a device, FIFO or
 * socket: `-o /dev/null`) is written into directly: open sets af.direct,
 * af.fd is that path opened for writing (not truncated, so seekable only if
 * the node is), af.tmp is NULL, commit only closes it and abort only closes
 * it.  A directory is refused.  Callers that pwrite() at offsets must check
 * af.direct and write in order instead.
 */
#ifndef FERRY_FS_H
#define FERRY_FS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "ferry/err.h"

#ifdef __cplusplus
extern "C" {
#endif

struct sbuf;

struct fs_atomic {
    int fd;
    char *path; /* final name */
    char *tmp;  /* <path>.part; NULL when direct */
    mode_t mode;
    bool direct; /* path is a device/FIFO/socket, written in place */
};
#define FS_ATOMIC_INIT                                                         \
    {                                                                          \
        -1, NULL, NULL, 0, false                                               \
    }

enum fy_rc fs_atomic_open(struct fs_atomic *af,
                          const char *path,
                          mode_t mode,
                          struct fy_err *err);
enum fy_rc fs_atomic_commit(struct fs_atomic *af, struct fy_err *err);
void fs_atomic_abort(struct fs_atomic *af);

/*
 * 1 if path exists and is neither a regular file nor a directory (after
 * following symlinks: /dev/stdout counts), 0 if not, so an output there is
 * written in place.
 */
bool fs_is_special(const char *path);
/*
 * The name to show in a message about what is being written: the final
 * path the user gave, never the internal .part (fs_atomic_open's errors
 * name it too, with the errno of the .part, which shares its directory).
 */
const char *fs_atomic_name(const struct fs_atomic *af);

/*
 * Write all of buf to fd, retrying short writes.  A write interrupted by a
 * signal is retried, unless it was SIGINT/SIGTERM (fy_interrupted()):
 * then FY_EINTR, "what: interrupted", so a write blocked on a full pipe
 * ends on Ctrl-C.  EPIPE (the reader of a pipe went away) is
 * fy_fail_pipe(): FY_EPIPE, quiet.  Any other error is FY_ERUNTIME,
 * "what: strerror".  The one write loop for descriptors written in order.
 */
enum fy_rc fs_write_all(
    int fd, const void *buf, size_t len, const char *what, struct fy_err *err);
/*
 * pwrite(2) all of buf at offset off, retrying short writes and EINTR (a
 * file write is finished even after Ctrl-C: the caller's loop stops after
 * it).  Returns 0, or -1 with errno set (EIO if the kernel wrote nothing
 * without an error).  For threads that have no struct fy_err of their own
 * (libtorrent's disk workers) and record errno their own way.
 */
int fs_pwrite_all(int fd, const void *buf, size_t len, off_t off);
/* Atomically replace path with data. */
enum fy_rc fs_write_file(const char *path,
                         const void *data,
                         size_t len,
                         mode_t mode,
                         struct fy_err *err);
/*
 * Append the whole file to sb.  More than max bytes is an FY_EINPUT error.
 * A missing file is FY_ERUNTIME with errno ENOENT kept in *enoent if given.
 */
enum fy_rc fs_read_file(const char *path,
                        size_t max,
                        struct sbuf *sb,
                        bool *enoent,
                        struct fy_err *err);
/* mkdir -p; existing directories are fine. */
enum fy_rc fs_mkdir_p(const char *path, mode_t mode, struct fy_err *err);
/* fsync a directory (after a rename inside it). */
enum fy_rc fs_fsync_dir(const char *dir, struct fy_err *err);
/* The directory part of path ("." if none). Caller frees. */
char *fs_dirname(const char *path);
/* path without "." elements, repeated or trailing '/', each ".." taking
 * away the element before it: as written, symlinks not looked at.
 * Caller frees. */
char *fs_path_lexical(const char *path);
/* Are a and b (fs_path_lexical) the same directory, or one inside the
 * other? */
bool fs_paths_overlap(const char *a, const char *b);
/* The home directory: $HOME if absolute, else the passwd entry's; NULL
 * if neither.  Caller frees. */
char *fs_home_dir(void);
/* The last element of path, ignoring trailing slashes. Caller frees. */
char *fs_basename(const char *path);
/* Path a joined with b by one '/'. Caller frees. */
char *fs_join(const char *a, const char *b);

/*
 * Open rel beneath the directory dirfd without following any symlink on
 * the way or at the end: openat2() with RESOLVE_BENEATH|RESOLVE_NO_SYMLINKS
 * where the kernel has it, a walk of O_NOFOLLOW opens otherwise.  flags are
 * open(2) flags (O_CLOEXEC and O_NOFOLLOW are added); with O_CREAT, missing
 * directories on the way are created (0777 & ~umask).  rel must be
 * relative; a ".." element is refused.  Returns the descriptor, or -1 with
 * errno set: ELOOP when a symlink is met, EXDEV for an absolute path or a
 * ".." element, else open(2)'s.
 */
int fs_open_beneath(int dirfd, const char *rel, int flags, mode_t mode);
/* Its per-component O_NOFOLLOW walk alone (old kernels; unit tests). */
int fs_open_walk(int dirfd, const char *rel, int flags, mode_t mode);
/* The process's umask, read without changing it (/proc/self/status):
 * umask() can only be read by setting it, which races with any thread
 * that makes a file meanwhile (libtorrent's, unpack's writers). */
mode_t fs_umask(void);
/* Remove the file (not a directory) rel beneath dirfd, the same way: its
 * directory reached without following a symlink.  0, or -1 with errno. */
int fs_unlink_beneath(int dirfd, const char *rel);
/*
 * mkdir -p of rel beneath dirfd, the same way: no symlink followed, no
 * "..".  Returns 0, or -1 with errno set (ELOOP for a link on the way).
 */
int fs_mkdir_beneath(int dirfd, const char *rel);

/*
 * Like fs_read_file(), but a symlink or anything but a regular file at path
 * is refused (FY_EREFUSED), so a planted link cannot make ferry read
 * another file.
 */
enum fy_rc fs_read_regular(const char *path,
                           size_t max,
                           struct sbuf *sb,
                           bool *enoent,
                           struct fy_err *err);

/*
 * Remove name under the directory dirfd (AT_FDCWD for the cwd) and, if it
 * is a directory, everything below it.  Symlinks are removed, never
 * followed; read-only directories are made writable first.  A missing
 * name is fine.  Errors name the path that could not be removed.
 */
enum fy_rc fs_remove_tree_at(int dirfd, const char *name, struct fy_err *err);

#ifdef __cplusplus
}
#endif

#endif
