/*
 * fetch_util.c - the pure parts of the fetch engine, shared by fetch.c and
 * up (fetch_many.c): --select matching, torrent path safety, and the check
 * that every --peer host resolves.
 */
#include "ferry/fetch.h"

#include <netdb.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "ferry/glob.h"

bool
fetch_select_match(const struct glob_rule *rules, size_t n, const char *path)
{
    const struct glob_rule *r = glob_rules_last(
        rules, n, path, false, GLOB_PARENTS | GLOB_TOP_OPTIONAL);
    return r != NULL && !r->negate;
}

bool
fetch_path_safe(const char *path)
{
    if (path[0] == '\0' || path[0] == '/')
        return false;
    for (const char *p = path; *p;) {
        size_t n = strcspn(p, "/");
        if ((n == 2 && p[0] == '.' && p[1] == '.') || n == 0)
            return false;
        p += n;
        if (*p == '/')
            p++;
    }
    return true;
}

/*
 * Every --peer host resolves: one that does not is a network failure (1),
 * found before anything is written.  parse_hostport() checked the form
 * ("HOST:PORT" or "[V6]:PORT").
 */
enum fy_rc
fetch_resolve_peers(const struct fetch_opts *o, struct fy_err *err)
{
    for (size_t i = 0; i < o->peers.n; i++) {
        const char *s = o->peers.v[i], *colon = strrchr(s, ':');
        char *host = s[0] == '['
                         ? xasprintf("%.*s", (int)(colon - s - 2), s + 1)
                         : xasprintf("%.*s", (int)(colon - s), s);
        struct addrinfo hints, *res = NULL;
        memset(&hints, 0, sizeof hints);
        hints.ai_socktype = SOCK_STREAM;
        int r = getaddrinfo(host, NULL, &hints, &res);
        free(host);
        if (res != NULL)
            freeaddrinfo(res);
        if (r != 0)
            return fy_fail(err, FY_ERUNTIME,
                           "--peer: %s: cannot resolve the host: %s", s,
                           gai_strerror(r));
    }
    return FY_OK;
}
