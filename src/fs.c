/*
 * fs.c - atomic file writes, a registry of our own temp files, helpers.
 *
 * Invariant: a file under its final name is complete.  Output is written to
 * "<name>.part" (0600, O_EXCL), fsynced, then renamed; the directory is
 * fsynced after.  Every .part this process creates is registered, and an
 * atexit handler unlinks those still registered, so an exit(1) from deep
 * inside (out of memory) leaves nothing half-written behind.
 */
#include "ferry/fs.h"

#include <dirent.h>
#include <errno.h>
#include <pwd.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "ferry/xalloc.h"

#define MAX_TEMPS 64

static char *temps[MAX_TEMPS];
static pid_t temps_owner;
static bool atexit_set;

static void
cleanup_temps(void)
{
    if (temps_owner != getpid())
        return;
    for (size_t i = 0; i < MAX_TEMPS; i++)
        if (temps[i] != NULL)
            unlink(temps[i]);
}

static void
register_temp(char *path)
{
    if (!atexit_set) {
        atexit(cleanup_temps);
        atexit_set = true;
    }
    temps_owner = getpid();
    for (size_t i = 0; i < MAX_TEMPS; i++)
        if (temps[i] == NULL) {
            temps[i] = path;
            return;
        }
}

static void
unregister_temp(const char *path)
{
    for (size_t i = 0; i < MAX_TEMPS; i++)
        if (temps[i] == path)
            temps[i] = NULL;
}

bool
fs_is_special(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && !S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode);
}

const char *
fs_atomic_name(const struct fs_atomic *af)
{
    return af->path;
}

/* SPEC: a device, FIFO or socket is written into, never replaced. */
static enum fy_rc
open_direct(struct fs_atomic *af, const char *path, struct fy_err *err)
{
    do
        af->fd = open(path, O_WRONLY | O_CLOEXEC | O_NOCTTY);
    while (af->fd < 0 && errno == EINTR && !fy_interrupted());
    if (af->fd < 0) {
        if (errno == EINTR)
            return fy_fail(err, FY_EINTR, "%s: interrupted", path);
        return fy_fail_errno(err, FY_ERUNTIME, "%s", path);
    }
    af->path = xstrdup(path);
    af->direct = true;
    return FY_OK;
}

enum fy_rc
fs_atomic_open(struct fs_atomic *af,
               const char *path,
               mode_t mode,
               struct fy_err *err)
{
    struct stat st;
    af->direct = false;
    if (stat(path, &st) == 0) {
        if (S_ISDIR(st.st_mode))
            return fy_fail(err, FY_ERUNTIME, "%s: is a directory", path);
        if (!S_ISREG(st.st_mode))
            return open_direct(af, path, err);
    }
    af->path = xstrdup(path);
    af->tmp = xasprintf("%s.part", path);
    af->mode = mode;
    for (int attempt = 0; attempt < 2; attempt++) {
        af->fd = open(af->tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        if (af->fd >= 0)
            break;
        struct stat pst;
        /* a stale .part from a killed run: remove it only if it is a file */
        if (errno != EEXIST || attempt > 0 || lstat(af->tmp, &pst) != 0 ||
            !S_ISREG(pst.st_mode) || unlink(af->tmp) != 0)
            break;
    }
    if (af->fd < 0) {
        /* name what the user gave (the missing directory, the permission
         * is the same for both names), never our .part */
        enum fy_rc rc = fy_fail_errno(err, FY_ERUNTIME, "%s", path);
        free(af->path);
        free(af->tmp);
        af->path = af->tmp = NULL;
        return rc;
    }
    register_temp(af->tmp);
    return FY_OK;
}

enum fy_rc
fs_atomic_commit(struct fs_atomic *af, struct fy_err *err)
{
    enum fy_rc rc = FY_OK;
    if (af->direct) {
        /* a block device is synced; a pipe or tty cannot be (EINVAL) */
        if (fsync(af->fd) != 0 && errno != EINVAL && errno != EROFS &&
            errno != ENOTSUP)
            rc = fy_fail_errno(err, FY_ERUNTIME, "%s: fsync", af->path);
        if (close(af->fd) != 0 && rc == FY_OK)
            rc = fy_fail_errno(err, FY_ERUNTIME, "%s: close", af->path);
        af->fd = -1;
        free(af->path);
        af->path = NULL;
        af->direct = false;
        return rc;
    }
    if (fsync(af->fd) != 0)
        rc = fy_fail_errno(err, FY_ERUNTIME, "%s: fsync", af->path);
    else if (fchmod(af->fd, af->mode) != 0)
        rc = fy_fail_errno(err, FY_ERUNTIME, "%s: chmod", af->path);
    if (close(af->fd) != 0 && rc == FY_OK)
        rc = fy_fail_errno(err, FY_ERUNTIME, "%s: close", af->path);
    af->fd = -1;
    if (rc == FY_OK && rename(af->tmp, af->path) != 0)
        rc = fy_fail_errno(err, FY_ERUNTIME, "%s", af->path);
    if (rc != FY_OK) {
        fs_atomic_abort(af);
        return rc;
    }
    unregister_temp(af->tmp);
    char *dir = fs_dirname(af->path);
    rc = fs_fsync_dir(dir, err);
    free(dir);
    free(af->tmp);
    free(af->path);
    af->tmp = af->path = NULL;
    return rc;
}

void
fs_atomic_abort(struct fs_atomic *af)
{
    if (af->fd >= 0)
        close(af->fd);
    af->fd = -1;
    if (af->tmp != NULL) {
        unlink(af->tmp);
        unregister_temp(af->tmp);
    }
    free(af->tmp);
    free(af->path);
    af->tmp = af->path = NULL;
    af->direct = false;
}

enum fy_rc
fs_write_all(
    int fd, const void *buf, size_t len, const char *what, struct fy_err *err)
{
    const char *p = buf;
    while (len > 0) {
        ssize_t n = write(fd, p, len);
        if (n < 0) {
            if (errno == EINTR && fy_interrupted())
                return fy_fail(err, FY_EINTR, "%s: interrupted", what);
            if (errno == EINTR)
                continue;
            if (errno == EPIPE) /* the reader went away: quiet, as SIGPIPE */
                return fy_fail_pipe(err, what);
            return fy_fail_errno(err, FY_ERUNTIME, "%s", what);
        }
        p += n;
        len -= (size_t)n;
    }
    return FY_OK;
}

int
fs_pwrite_all(int fd, const void *buf, size_t len, off_t off)
{
    const char *p = buf;
    while (len > 0) {
        ssize_t n = pwrite(fd, p, len, off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            if (n == 0)
                errno = EIO;
            return -1;
        }
        p += n;
        len -= (size_t)n;
        off += n;
    }
    return 0;
}

enum fy_rc
fs_write_file(const char *path,
              const void *data,
              size_t len,
              mode_t mode,
              struct fy_err *err)
{
    struct fs_atomic af = FS_ATOMIC_INIT;
    enum fy_rc rc = fs_atomic_open(&af, path, mode, err);
    if (rc == FY_OK)
        rc = fs_write_all(af.fd, data, len, fs_atomic_name(&af), err);
    if (rc == FY_OK)
        rc = fs_atomic_commit(&af, err);
    fs_atomic_abort(&af);
    return rc;
}

/* Read all of fd (named path) into sb, at most max bytes. */
static enum fy_rc
read_fd(
    int fd, const char *path, size_t max, struct sbuf *sb, struct fy_err *err)
{
    struct stat st;
    if (fstat(fd, &st) == 0 && S_ISDIR(st.st_mode))
        return fy_fail(err, FY_EINPUT, "%s: is a directory", path);
    size_t start = sb->len;
    char buf[65536];
    for (;;) {
        ssize_t n = read(fd, buf, sizeof buf);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return fy_fail_errno(err, FY_ERUNTIME, "%s", path);
        if (n == 0)
            return FY_OK;
        if (sb->len - start + (size_t)n > max)
            return fy_fail(err, FY_EINPUT, "%s: larger than %zu bytes", path,
                           max);
        sbuf_add(sb, buf, (size_t)n);
    }
}

static enum fy_rc
read_file(const char *path,
          int flags,
          size_t max,
          struct sbuf *sb,
          bool *enoent,
          struct fy_err *err)
{
    if (enoent)
        *enoent = false;
    int fd = open(path, O_RDONLY | O_CLOEXEC | flags);
    if (fd < 0) {
        if (enoent && errno == ENOENT)
            *enoent = true;
        if (errno == ELOOP && (flags & O_NOFOLLOW))
            return fy_fail(err, FY_EREFUSED,
                           "%s: is a symlink; ferry does not follow it", path);
        return fy_fail_errno(err, FY_ERUNTIME, "%s", path);
    }
    struct stat st;
    enum fy_rc rc;
    if ((flags & O_NOFOLLOW) && (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)))
        rc = fy_fail(err, FY_EREFUSED, "%s: not a regular file", path);
    else
        rc = read_fd(fd, path, max, sb, err);
    close(fd);
    return rc;
}

enum fy_rc
fs_read_file(const char *path,
             size_t max,
             struct sbuf *sb,
             bool *enoent,
             struct fy_err *err)
{
    return read_file(path, 0, max, sb, enoent, err);
}

enum fy_rc
fs_read_regular(const char *path,
                size_t max,
                struct sbuf *sb,
                bool *enoent,
                struct fy_err *err)
{
    /* O_NONBLOCK: a FIFO planted under the name must not block the open */
    return read_file(path, O_NOFOLLOW | O_NONBLOCK, max, sb, enoent, err);
}

enum fy_rc
fs_mkdir_p(const char *path, mode_t mode, struct fy_err *err)
{
    char *p = xstrdup(path);
    enum fy_rc rc = FY_OK;
    for (char *s = p + 1;; s++) {
        if (*s != '/' && *s != '\0')
            continue;
        char c = *s;
        *s = '\0';
        struct stat st;
        if (mkdir(p, mode) != 0 && errno != EEXIST) {
            rc = fy_fail_errno(err, FY_ERUNTIME, "%s", p);
            break;
        }
        if (stat(p, &st) != 0 || !S_ISDIR(st.st_mode)) {
            errno = ENOTDIR;
            rc = fy_fail_errno(err, FY_ERUNTIME, "%s", p);
            break;
        }
        *s = c;
        if (c == '\0')
            break;
    }
    free(p);
    return rc;
}

/* Open (or with create, make) the directory name under dfd, never a link. */
static int
open_dir_at(int dfd, const char *name, bool create)
{
    int fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0 && errno == ENOENT && create &&
        (mkdirat(dfd, name, 0777) == 0 || errno == EEXIST))
        fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    struct stat st;
    if (fd < 0 && errno == ENOTDIR &&
        fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
        S_ISLNK(st.st_mode))
        errno = ELOOP;
    return fd;
}

/*
 * Walk rel under dirfd one O_NOFOLLOW open at a time.  Every element but
 * the last is a directory (made if create); the last is opened with flags
 * and mode, or, if flags is -1, as a directory too.  Returns the final
 * descriptor or -1 with errno set.
 */
static int
walk(int dirfd, const char *rel, int flags, mode_t mode, bool create)
{
    int dfd = dirfd, fd = -1;
    const char *p = rel;
    errno = EINVAL;
    for (;;) {
        size_t n = strcspn(p, "/");
        bool last = p[n + strspn(p + n, "/")] == '\0';
        char *name = xasprintf("%.*s", (int)n, p);
        int next = -1;
        if (strcmp(name, "..") == 0)
            errno = EXDEV;
        else if (n == 0 || strcmp(name, ".") == 0)
            next = dup(dfd);
        else if (last && flags != -1)
            next = openat(dfd, name, flags | O_NOFOLLOW | O_CLOEXEC, mode);
        else
            next = open_dir_at(dfd, name, create);
        free(name);
        int saved = errno;
        if (dfd != dirfd)
            close(dfd);
        errno = saved;
        if (next < 0 || last) {
            fd = next;
            break;
        }
        dfd = next;
        p += n + 1;
    }
    return fd;
}

int
fs_open_walk(int dirfd, const char *rel, int flags, mode_t mode)
{
    return walk(dirfd, rel, flags, mode, (flags & O_CREAT) != 0);
}

int
fs_mkdir_beneath(int dirfd, const char *rel)
{
    if (rel[0] == '/') {
        errno = EXDEV;
        return -1;
    }
    int fd = walk(dirfd, rel, -1, 0, true);
    if (fd < 0)
        return -1;
    close(fd);
    return 0;
}

/* Whether rel has a ".." element. */
static bool
has_dotdot(const char *rel)
{
    for (const char *p = rel; *p != '\0';) {
        size_t n = strcspn(p, "/");
        if (n == 2 && p[0] == '.' && p[1] == '.')
            return true;
        p += n;
        p += strspn(p, "/");
    }
    return false;
}

int
fs_open_beneath(int dirfd, const char *rel, int flags, mode_t mode)
{
    if (rel[0] == '/' || has_dotdot(rel)) { /* the kernel would allow a
                                             * ".." that stays beneath */
        errno = EXDEV;
        return -1;
    }
#ifdef SYS_openat2
    struct open_how how;
    memset(&how, 0, sizeof how);
    how.flags = (uint64_t)(flags | O_NOFOLLOW | O_CLOEXEC);
    how.mode = (flags & O_CREAT) ? mode : 0;
    how.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS;
    int fd;
    do
        fd = (int)syscall(SYS_openat2, dirfd, rel, &how, sizeof how);
    while (fd < 0 && errno == EAGAIN);
    if (fd >= 0 || (errno != ENOSYS && !(errno == ENOENT && (flags & O_CREAT))))
        return fd;
#endif
    return fs_open_walk(dirfd, rel, flags, mode);
}

mode_t
fs_umask(void)
{
    FILE *f = fopen("/proc/self/status", "re");
    char line[128];
    unsigned v = 0;
    bool found = false;
    while (f != NULL && !found && fgets(line, sizeof line, f) != NULL)
        found = sscanf(line, "Umask: %o", &v) == 1;
    if (f != NULL)
        fclose(f);
    if (found)
        return (mode_t)(v & 0777);
    mode_t m = umask(022); /* no /proc: set it and put it back */
    umask(m);
    return m;
}

int
fs_unlink_beneath(int dirfd, const char *rel)
{
    const char *slash = strrchr(rel, '/');
    const char *base = slash != NULL ? slash + 1 : rel;
    if (rel[0] == '/' || has_dotdot(rel) || *base == '\0' ||
        strcmp(base, ".") == 0) {
        errno = EXDEV;
        return -1;
    }
    int dfd = dirfd;
    if (slash != NULL) {
        char *dir = xasprintf("%.*s", (int)(slash - rel), rel);
        dfd = fs_open_beneath(dirfd, dir, O_PATH | O_DIRECTORY, 0);
        free(dir);
        if (dfd < 0)
            return -1;
    }
    int r = unlinkat(dfd, base, 0);
    int en = errno;
    if (dfd != dirfd)
        close(dfd);
    errno = en;
    return r;
}

enum fy_rc
fs_fsync_dir(const char *dir, struct fy_err *err)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return fy_fail_errno(err, FY_ERUNTIME, "%s", dir);
    int r = fsync(fd);
    close(fd);
    if (r != 0 && errno != EINVAL)
        return fy_fail_errno(err, FY_ERUNTIME, "%s: fsync", dir);
    return FY_OK;
}

char *
fs_dirname(const char *path)
{
    char *copy = xstrdup(path);
    char *d = xstrdup(dirname(copy));
    free(copy);
    return d;
}

char *
fs_basename(const char *path)
{
    char *copy = xstrdup(path);
    char *b = xstrdup(basename(copy));
    free(copy);
    return b;
}

char *
fs_join(const char *a, const char *b)
{
    size_t n = strlen(a);
    if (n > 0 && a[n - 1] == '/')
        return xasprintf("%s%s", a, b);
    return xasprintf("%s/%s", a, b);
}

/* Remove everything inside the open directory fd (then closes it). */
static int
empty_dir(int fd, const char *path, struct fy_err *err, int depth)
{
    DIR *d = fdopendir(fd);
    if (d == NULL) {
        fy_fail_errno(err, FY_ERUNTIME, "%s", path);
        close(fd);
        return -1;
    }
    int rc = 0;
    bool again = true;
    /* deleting while reading may hide entries: repeat until a pass is
     * empty */
    while (rc == 0 && again) {
        again = false;
        rewinddir(d);
        struct dirent *de;
        while (rc == 0 && (de = readdir(d)) != NULL) {
            if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
                continue;
            again = true;
            if (unlinkat(dirfd(d), de->d_name, 0) == 0 || errno == ENOENT)
                continue;
            if (errno != EISDIR && errno != EPERM) {
                char *p = fs_join(path, de->d_name);
                fy_fail_errno(err, FY_ERUNTIME, "%s", p);
                free(p);
                rc = -1;
                break;
            }
            char *sub = fs_join(path, de->d_name);
            if (depth > 4096) {
                errno = ELOOP;
                fy_fail_errno(err, FY_ERUNTIME, "%s", sub);
                rc = -1;
            } else {
                int cfd =
                    openat(dirfd(d), de->d_name,
                           O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                if (cfd < 0 && errno == EACCES &&
                    fchmodat(dirfd(d), de->d_name, S_IRWXU, 0) == 0)
                    cfd =
                        openat(dirfd(d), de->d_name,
                               O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                if (cfd < 0) {
                    fy_fail_errno(err, FY_ERUNTIME, "%s", sub);
                    rc = -1;
                } else {
                    (void)fchmod(cfd, S_IRWXU);
                    rc = empty_dir(cfd, sub, err, depth + 1);
                    if (rc == 0 &&
                        unlinkat(dirfd(d), de->d_name, AT_REMOVEDIR) != 0 &&
                        errno != ENOENT) {
                        fy_fail_errno(err, FY_ERUNTIME, "%s", sub);
                        rc = -1;
                    }
                }
            }
            free(sub);
        }
    }
    closedir(d);
    return rc;
}

enum fy_rc
fs_remove_tree_at(int dirfd, const char *name, struct fy_err *err)
{
    if (unlinkat(dirfd, name, 0) == 0 || errno == ENOENT)
        return FY_OK;
    if (errno != EISDIR && errno != EPERM)
        return fy_fail_errno(err, FY_ERUNTIME, "%s", name);
    int fd =
        openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0 && errno == EACCES && fchmodat(dirfd, name, S_IRWXU, 0) == 0)
        fd = openat(dirfd, name,
                    O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return fy_fail_errno(err, FY_ERUNTIME, "%s", name);
    (void)fchmod(fd, S_IRWXU);
    if (empty_dir(fd, name, err, 0) != 0)
        return err->rc;
    if (unlinkat(dirfd, name, AT_REMOVEDIR) != 0 && errno != ENOENT)
        return fy_fail_errno(err, FY_ERUNTIME, "%s", name);
    return FY_OK;
}

/* path without "." elements, repeated or trailing '/', and with each
 * ".." taking away the element before it (as written: symlinks are not
 * looked at).  Caller frees. */
char *
fs_path_lexical(const char *path)
{
    size_t n = strlen(path);
    char *out = xmalloc(n + 2);
    size_t len = 0;
    bool abs = path[0] == '/';
    if (abs)
        out[len++] = '/';
    for (const char *p = path; *p;) {
        while (*p == '/')
            p++;
        const char *e = p;
        while (*e && *e != '/')
            e++;
        size_t k = (size_t)(e - p);
        if (k == 0 || (k == 1 && p[0] == '.')) {
            /* nothing */
        } else if (k == 2 && p[0] == '.' && p[1] == '.') {
            while (len > (abs ? 1u : 0u) && out[len - 1] != '/')
                len--;
            if (len > (abs ? 1u : 0u))
                len--; /* the '/' before it */
        } else {
            if (len > 0 && out[len - 1] != '/')
                out[len++] = '/';
            memcpy(out + len, p, k);
            len += k;
        }
        p = e;
    }
    out[len] = '\0';
    return out;
}

/* Is a the same directory as b, or inside it, or the other way round? */
bool
fs_paths_overlap(const char *a, const char *b)
{
    char *x = fs_path_lexical(a), *y = fs_path_lexical(b);
    size_t nx = strlen(x), ny = strlen(y), n = nx < ny ? nx : ny;
    bool over =
        strncmp(x, y, n) == 0 &&
        (nx == ny || (nx < ny ? y[n] == '/' || (n > 0 && x[n - 1] == '/')
                              : x[n] == '/' || (n > 0 && y[n - 1] == '/')));
    free(x);
    free(y);
    return over;
}

char *
fs_home_dir(void)
{
    const char *h = getenv("HOME");
    if (h != NULL && *h == '/')
        return xstrdup(h);
    struct passwd pw, *res = NULL;
    char buf[4096];
    if (getpwuid_r(geteuid(), &pw, buf, sizeof buf, &res) == 0 && res != NULL &&
        res->pw_dir != NULL && *res->pw_dir == '/')
        return xstrdup(res->pw_dir);
    return NULL;
}
