/*
 * arc_rules.c - the pure rules of the archive engine: format names, path
 * cleaning, the unpack entry-safety check, the path hash map, and
 * gitignore-style excludes (their dialect and matcher are glob.c's).  No
 * I/O but arc_excludes_load(); every function here is unit-tested
 * (tests/unit/test_arc.c).
 *
 * Invariant kept by arc_entry_check(): an entry is accepted only if its
 * clean path is relative, has no "..", every proper prefix of it is a
 * directory (or nothing yet) -- never a symlink or file created earlier in
 * the same extraction -- and, unless it is a directory itself, it is not
 * a directory earlier entries made (named or as their parent); a hardlink
 * only if its target passes the same test and names an earlier file or
 * symlink.
 * Extraction starts in an empty directory, so those are all the symlinks
 * there can be.
 */
#include "ferry/arc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#include "ferry/fs.h"
#include "ferry/glob.h"
#include "ferry/xalloc.h"

/* ------------------------------------------------------------- formats */

static const struct {
    const char *ext; /* with the leading dot */
    enum arc_format f;
} exts[] = {
    {".tar.zst", ARC_FMT_TAR_ZST},
    {".tzst", ARC_FMT_TAR_ZST},
    {".tar.zstd", ARC_FMT_TAR_ZST},
    {".tar.gz", ARC_FMT_TAR_GZ},
    {".tgz", ARC_FMT_TAR_GZ},
    {".tar.xz", ARC_FMT_TAR_XZ},
    {".txz", ARC_FMT_TAR_XZ},
    {".tar", ARC_FMT_TAR},
    {".zip", ARC_FMT_ZIP},
    /* read, never written (ARC_FMT_NONE): unpack names its directory
     * after the archive without these too */
    {".tar.bz2", ARC_FMT_NONE},
    {".tbz2", ARC_FMT_NONE},
    {".tbz", ARC_FMT_NONE},
    {".tar.lz4", ARC_FMT_NONE},
};

bool
arc_format_parse(const char *name, enum arc_format *f)
{
    static const struct {
        const char *name;
        enum arc_format f;
    } names[] = {
        {"tar.zst", ARC_FMT_TAR_ZST}, {"tzst", ARC_FMT_TAR_ZST},
        {"zst", ARC_FMT_TAR_ZST},     {"zstd", ARC_FMT_TAR_ZST},
        {"tar.gz", ARC_FMT_TAR_GZ},   {"tgz", ARC_FMT_TAR_GZ},
        {"gz", ARC_FMT_TAR_GZ},       {"tar.xz", ARC_FMT_TAR_XZ},
        {"txz", ARC_FMT_TAR_XZ},      {"xz", ARC_FMT_TAR_XZ},
        {"tar", ARC_FMT_TAR},         {"zip", ARC_FMT_ZIP},
    };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strcmp(name, names[i].name) == 0) {
            *f = names[i].f;
            return true;
        }
    return false;
}

static size_t
ext_len(const char *path, enum arc_format *f)
{
    size_t n = strlen(path);
    for (size_t i = 0; i < sizeof exts / sizeof exts[0]; i++) {
        size_t e = strlen(exts[i].ext);
        if (n > e && strcmp(path + n - e, exts[i].ext) == 0 &&
            path[n - e - 1] != '/') {
            if (f)
                *f = exts[i].f;
            return e;
        }
    }
    return 0;
}

enum arc_format
arc_format_from_path(const char *path)
{
    enum arc_format f = ARC_FMT_NONE;
    ext_len(path, &f);
    return f;
}

const char *
arc_type_word(char t)
{
    switch (t) {
    case 'f':
        return "file";
    case 'd':
        return "dir";
    case 'l':
        return "symlink";
    case 'h':
        return "hardlink";
    case 'c':
        return "chardev";
    case 'b':
        return "blockdev";
    case 'p':
        return "fifo";
    case 's':
        return "socket";
    default:
        return "other";
    }
}

const char *
arc_format_name(enum arc_format f)
{
    switch (f) {
    case ARC_FMT_TAR_ZST:
        return "tar.zst";
    case ARC_FMT_TAR_GZ:
        return "tar.gz";
    case ARC_FMT_TAR_XZ:
        return "tar.xz";
    case ARC_FMT_TAR:
        return "tar";
    case ARC_FMT_ZIP:
        return "zip";
    default:
        return "?";
    }
}

char *
arc_strip_ext(const char *path)
{
    char *base = fs_basename(path);
    size_t e = ext_len(base, NULL);
    base[strlen(base) - e] = '\0';
    if (base[0] == '\0' || strcmp(base, ".") == 0 || strcmp(base, "..") == 0 ||
        strcmp(base, "/") == 0 || strcmp(base, "-") == 0) {
        free(base);
        return NULL;
    }
    return base;
}

bool
arc_level_range(enum arc_format f, int *min, int *max)
{
    switch (f) {
    case ARC_FMT_TAR_ZST:
        *min = -7; /* zstd's fast levels; 1..19 normal, 20..22 ultra */
        *max = 22;
        return true;
    case ARC_FMT_TAR_GZ:
        *min = 1;
        *max = 9;
        return true;
    case ARC_FMT_TAR_XZ:
    case ARC_FMT_ZIP:
        *min = 0;
        *max = 9;
        return true;
    default:
        return false;
    }
}

/* ----------------------------------------------------------------- paths */

enum arc_path_rc
arc_path_clean(const char *in, char **out)
{
    *out = NULL;
    if (in == NULL || in[0] == '\0')
        return ARC_PATH_EMPTY;
    if (in[0] == '/')
        return ARC_PATH_ABSOLUTE;
    struct sbuf sb = SBUF_INIT;
    const char *p = in;
    while (*p) {
        const char *slash = strchr(p, '/');
        size_t len = slash ? (size_t)(slash - p) : strlen(p);
        if (len == 2 && p[0] == '.' && p[1] == '.') {
            sbuf_release(&sb);
            return ARC_PATH_DOTDOT;
        }
        if (len > 0 && !(len == 1 && p[0] == '.')) {
            if (sb.len > 0)
                sbuf_add(&sb, "/", 1);
            sbuf_add(&sb, p, len);
        }
        p += len;
        while (*p == '/')
            p++;
    }
    if (sb.len == 0) {
        sbuf_release(&sb);
        return ARC_PATH_EMPTY;
    }
    *out = sbuf_detach(&sb);
    return ARC_PATH_OK;
}

const char *
arc_path_strip(const char *path, int n)
{
    const char *p = path;
    for (int i = 0; i < n; i++) {
        const char *slash = strchr(p, '/');
        if (slash == NULL)
            return NULL;
        p = slash + 1;
    }
    return *p ? p : NULL;
}

/* ------------------------------------------------------------------- map */

static uint64_t
map_hash(const struct arc_map *m, const void *key, size_t len)
{
    return m->hash ? m->hash(key, len) : XXH3_64bits(key, len);
}

/* The slot holding key (hash h), or the free slot where it would go. */
static size_t
map_find(const struct arc_map *m, uint64_t h, const void *key, size_t len)
{
    size_t mask = m->cap - 1, i = (size_t)h & mask;
    uint32_t tag = (uint32_t)(h >> 32);
    for (;; i = (i + 1) & mask) {
        const struct arc_map_slot *s = &m->slots[i];
        if (s->idx == 0)
            return i;
        /* equal hashes are not proof: the key itself decides */
        const struct arc_map_ent *e = &m->ents[s->idx - 1];
        if (s->tag == tag && e->len == len &&
            memcmp(m->arena.buf + e->off, key, len) == 0)
            return i;
    }
}

struct arc_map_val *
arc_map_get(const struct arc_map *m, const void *key, size_t len)
{
    if (m->cap == 0)
        return NULL;
    size_t i = map_find(m, map_hash(m, key, len), key, len);
    return m->slots[i].idx != 0 ? &m->ents[m->slots[i].idx - 1].v : NULL;
}

/* Twice the slots; every entry's hash is computed again from its key. */
static void
map_grow(struct arc_map *m)
{
    free(m->slots);
    m->cap = m->cap ? m->cap * 2 : 1024;
    m->slots = xcalloc(m->cap, sizeof *m->slots);
    size_t mask = m->cap - 1;
    for (size_t k = 0; k < m->n; k++) {
        const struct arc_map_ent *e = &m->ents[k];
        uint64_t h = map_hash(m, m->arena.buf + e->off, e->len);
        /* keys are unique: the first free slot of the probe is theirs */
        size_t j = (size_t)h & mask;
        while (m->slots[j].idx != 0)
            j = (j + 1) & mask;
        m->slots[j].idx = (uint32_t)(k + 1);
        m->slots[j].tag = (uint32_t)(h >> 32);
    }
}

struct arc_map_val *
arc_map_put(struct arc_map *m, const void *key, size_t len)
{
    if (m->n >= UINT32_MAX - 1) {
        fputs("ferry: out of memory\n", stderr);
        exit(FY_ERUNTIME);
    }
    if ((m->n + 1) * 4 > m->cap * 3) /* at most 3/4 full */
        map_grow(m);
    uint64_t h = map_hash(m, key, len);
    size_t i = map_find(m, h, key, len);
    struct arc_map_slot *s = &m->slots[i];
    if (s->idx == 0) {
        if (m->n == m->ents_cap) {
            m->ents_cap = m->ents_cap ? m->ents_cap * 2 : 256;
            m->ents = xrealloc(m->ents, m->ents_cap * sizeof *m->ents);
        }
        struct arc_map_ent *e = &m->ents[m->n];
        e->off = m->arena.len;
        e->len = len;
        memset(&e->v, 0, sizeof e->v);
        sbuf_add(&m->arena, key, len);
        s->idx = (uint32_t)(++m->n);
        s->tag = (uint32_t)(h >> 32);
    }
    return &m->ents[s->idx - 1].v;
}

void
arc_map_release(struct arc_map *m)
{
    free(m->slots);
    free(m->ents);
    sbuf_release(&m->arena);
    uint64_t (*hash)(const void *, size_t) = m->hash;
    memset(m, 0, sizeof *m);
    m->hash = hash;
}

/* ----------------------------------------------------------------- guard */

struct arc_guard {
    struct arc_map own;
    struct arc_map *map; /* &own, or the shared one */
};

struct arc_guard *
arc_guard_new(struct arc_map *shared)
{
    struct arc_guard *g = xcalloc(1, sizeof(struct arc_guard));
    g->map = shared != NULL ? shared : &g->own;
    return g;
}

void
arc_guard_free(struct arc_guard *g)
{
    if (g == NULL)
        return;
    arc_map_release(&g->own);
    free(g);
}

void
arc_guard_add(struct arc_guard *g, const char *path, char type)
{
    struct arc_map_val *v = arc_map_put(g->map, path, strlen(path));
    v->gtype = type;
    /* its parents, up to the first one known, are directories now: made
     * by the extraction where no entry made them */
    for (size_t i = strlen(path); i-- > 0;) {
        if (path[i] != '/')
            continue;
        v = arc_map_put(g->map, path, i);
        if (v->gtype != 0)
            break;
        v->gtype = 'd';
    }
}

char
arc_guard_type(const struct arc_guard *g, const char *path)
{
    const struct arc_map_val *v = arc_map_get(g->map, path, strlen(path));
    return v ? v->gtype : 0;
}

/*
 * Is every parent of path a directory (or not made yet)?  Only the
 * nearest parent the guard knows needs a look: the entry that made it
 * passed this check, and a directory is never replaced by anything else
 * (ARC_UNSAFE_OVER_DIR), so above a directory there are only directories.
 * ARC_UNSAFE_SYMLINK for a symlink, ARC_UNSAFE_PARENT for a file.
 */
static enum arc_unsafe
parents_check(const struct arc_guard *g, const char *path)
{
    for (size_t i = strlen(path); i-- > 0;) {
        if (path[i] != '/')
            continue;
        const struct arc_map_val *v = arc_map_get(g->map, path, i);
        if (v == NULL || v->gtype == 0)
            continue;
        return v->gtype == 'd'   ? ARC_SAFE
               : v->gtype == 'l' ? ARC_UNSAFE_SYMLINK
                                 : ARC_UNSAFE_PARENT;
    }
    return ARC_SAFE;
}

enum arc_unsafe
arc_entry_check(const struct arc_guard *g,
                const char *path,
                char type,
                const char *hardlink)
{
    if (path[0] == '/')
        return ARC_UNSAFE_ABSOLUTE;
    enum arc_unsafe u = parents_check(g, path);
    if (u != ARC_SAFE)
        return u;
    if (type != 'd' && arc_guard_type(g, path) == 'd')
        return ARC_UNSAFE_OVER_DIR;
    if (hardlink == NULL)
        return ARC_SAFE;
    if (hardlink[0] == '/')
        return ARC_UNSAFE_LINK_ABSOLUTE;
    u = parents_check(g, hardlink);
    if (u == ARC_UNSAFE_SYMLINK)
        return ARC_UNSAFE_LINK_SYMLINK;
    const struct arc_map_val *v =
        arc_map_get(g->map, hardlink, strlen(hardlink));
    if (u != ARC_SAFE || v == NULL || (v->gtype != 'f' && v->gtype != 'l'))
        return ARC_UNSAFE_LINK_TARGET;
    return ARC_SAFE;
}

const char *
arc_unsafe_why(enum arc_unsafe u)
{
    switch (u) {
    case ARC_SAFE:
        return "safe";
    case ARC_UNSAFE_ABSOLUTE:
        return "absolute path";
    case ARC_UNSAFE_DOTDOT:
        return "path contains '..'";
    case ARC_UNSAFE_SYMLINK:
        return "path goes through a symlink";
    case ARC_UNSAFE_LINK_ABSOLUTE:
        return "hardlink to an absolute path";
    case ARC_UNSAFE_LINK_DOTDOT:
        return "hardlink target contains '..'";
    case ARC_UNSAFE_LINK_SYMLINK:
        return "hardlink target goes through a symlink";
    case ARC_UNSAFE_LINK_TARGET:
        return "hardlink target is not an earlier file of the archive";
    case ARC_UNSAFE_OVER_DIR:
        return "would replace a directory of earlier entries";
    case ARC_UNSAFE_PARENT:
        return "path goes through a file of an earlier entry";
    }
    return "unsafe";
}

/* -------------------------------------------------------------- excludes */

void
arc_excludes_add_from(struct arc_excludes *ex,
                      const char *line,
                      const char *from)
{
    struct glob_rule r;
    if (!glob_rule_parse(&r, line))
        return;
    if (ex->n == ex->cap) {
        ex->cap = ex->cap ? ex->cap * 2 : 8;
        ex->v = xrealloc(ex->v, ex->cap * sizeof *ex->v);
        ex->src = xrealloc(ex->src, ex->cap * sizeof *ex->src);
    }
    size_t len = strlen(line);
    if (len > 0 && line[len - 1] == '\r')
        len--;
    ex->src[ex->n].rule = xasprintf("%.*s", (int)len, line);
    ex->src[ex->n].from = from != NULL ? xstrdup(from) : NULL;
    ex->v[ex->n++] = r;
}

void
arc_excludes_add(struct arc_excludes *ex, const char *line)
{
    arc_excludes_add_from(ex, line, NULL);
}

enum fy_rc
arc_excludes_load(struct arc_excludes *ex,
                  const char *path,
                  bool missing_ok,
                  struct fy_err *err)
{
    struct sbuf sb = SBUF_INIT;
    bool enoent = false;
    struct fy_err tmp = FY_ERR_INIT;
    enum fy_rc rc = fs_read_file(path, 16u << 20, &sb, &enoent, &tmp);
    if (rc != FY_OK) {
        sbuf_release(&sb);
        if (enoent && missing_ok)
            return FY_OK;
        return fy_fail(err, rc, "%s", tmp.msg);
    }
    char *p = sb.buf;
    size_t lineno = 0;
    struct sbuf from = SBUF_INIT;
    while (p != NULL && *p) {
        char *nl = strchr(p, '\n');
        if (nl)
            *nl = '\0';
        from.len = 0;
        sbuf_addf(&from, "%s:%zu", path, ++lineno);
        arc_excludes_add_from(ex, p, from.buf);
        p = nl ? nl + 1 : NULL;
    }
    sbuf_release(&from);
    sbuf_release(&sb);
    return FY_OK;
}

bool
arc_excludes_match(const struct arc_excludes *ex, const char *path, bool is_dir)
{
    return arc_excludes_why(ex, path, is_dir, NULL) != NULL;
}

const char *
arc_excludes_why(const struct arc_excludes *ex,
                 const char *path,
                 bool is_dir,
                 const char **from)
{
    const struct glob_rule *r = glob_rules_last(ex->v, ex->n, path, is_dir, 0);
    if (r == NULL || r->negate)
        return NULL;
    const struct arc_exclude_src *src = &ex->src[r - ex->v];
    if (from != NULL)
        *from = src->from;
    return src->rule;
}

void
arc_excludes_release(struct arc_excludes *ex)
{
    for (size_t i = 0; i < ex->n; i++) {
        glob_rule_release(&ex->v[i]);
        free(ex->src[i].rule);
        free(ex->src[i].from);
    }
    free(ex->v);
    free(ex->src);
    ex->v = NULL;
    ex->src = NULL;
    ex->n = ex->cap = 0;
}
