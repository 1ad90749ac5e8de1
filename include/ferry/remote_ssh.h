/*
 * remote_ssh.h - what the SFTP backend (src/remote_sftp.c) learns from
 * outside libcurl, in src/remote_ssh.c: a host's settings from OpenSSH's
 * own parser (`ssh -G`), IdentityFile names expanded as ssh expands them,
 * and a key's passphrase (FERRY_SSH_KEY_PASSPHRASE or a file).  No
 * libcurl here; the pure parts are unit-tested (tests/unit/test_remote.c).
 *
 *     struct remote_ssh_host h = REMOTE_SSH_HOST_INIT;
 *     bool ran;
 *     if (remote_ssh_name_ok(host))
 *         rc = remote_ssh_resolve(host, NULL, &h, &ran, err);
 *     ... h.hostname, h.port, h.user, h.identity ...
 *     remote_ssh_host_release(&h);
 *
 * Ownership: every string argument is borrowed; a struct remote_ssh_host
 * owns its strings (remote_ssh_host_release frees them and leaves it as
 * REMOTE_SSH_HOST_INIT); returned strings are the caller's to free, a
 * passphrase with remote_ssh_secret_free().
 * Errors: one line in err, the first failure winning; nothing here prints,
 * and no passphrase ever reaches a message.
 */
#ifndef FERRY_REMOTE_SSH_H
#define FERRY_REMOTE_SSH_H

#include <stdbool.h>
#include <stddef.h>

#include "ferry/err.h"
#include "ferry/xalloc.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ssh -G's run is bounded: this long, this much output. */
#define REMOTE_SSH_G_TIMEOUT 10
#define REMOTE_SSH_G_MAX     (256 * 1024)
/* At most this many IdentityFile entries are kept (ssh allows 100). */
#define REMOTE_SSH_MAX_IDS 32
/* A passphrase is the first line of its file, at most this long. */
#define REMOTE_SSH_PASS_MAX 1024

/* What ssh -G says of a host: only the settings ferry uses. */
struct remote_ssh_host {
    char *hostname;          /* HostName (the alias resolved) */
    int port;                /* Port; 0 if not said */
    char *user;              /* User (ssh's default: the local user) */
    struct strlist identity; /* IdentityFile, in order, as printed
                              * (~ and %-tokens not yet expanded) */
    bool proxy;              /* ProxyJump or ProxyCommand is set */
};
#define REMOTE_SSH_HOST_INIT                                                   \
    {                                                                          \
        NULL, 0, NULL, STRLIST_INIT, false                                     \
    }
void remote_ssh_host_release(struct remote_ssh_host *h);

/*
 * May host (a URL's host: hostile input) be handed to ssh -G?  Only a
 * plain name or address: 1-253 bytes of letters, digits, '.', '-', '_'
 * and ':' (IPv6), starting with a letter, a digit or ':' (so never an
 * option), no '%' token, no space.
 */
bool remote_ssh_name_ok(const char *host);

/*
 * Parse len bytes of `ssh -G` output ("keyword value" lines) into h:
 * hostname, port, user, identityfile, proxyjump, proxycommand; every
 * other line is skipped.  A hostname that fails remote_ssh_name_ok, a
 * port outside 1-65535, a user that is empty, longer than 255 bytes or
 * holds a control byte: FY_EINPUT naming the keyword (the value is not
 * shown).
 */
enum fy_rc remote_ssh_parse(const char *text,
                            size_t len,
                            struct remote_ssh_host *h,
                            struct fy_err *err);

/*
 * Run `ssh [-F config] -G -- host` (no shell; stdin /dev/null; at most
 * REMOTE_SSH_G_TIMEOUT seconds and REMOTE_SSH_G_MAX bytes of output) and
 * parse what it prints into h.  config NULL lets ssh read its own files.
 * host must pass remote_ssh_name_ok (else FY_EINPUT).  *ran is false
 * (and h untouched, FY_OK) when ssh is not installed.  ssh failing, timed
 * out or too talkative: FY_ERUNTIME "ssh -G HOST: why" (why: ssh's first
 * line on stderr, escaped).  SIGINT/SIGTERM: FY_EINTR (ssh is killed).
 */
enum fy_rc remote_ssh_resolve(const char *host,
                              const char *config,
                              struct remote_ssh_host *h,
                              bool *ran,
                              struct fy_err *err);

/* The values ssh's IdentityFile tokens stand for. */
struct remote_ssh_tokens {
    const char *home;        /* ~ and %d */
    const char *local_user;  /* %u */
    const char *host;        /* %h: the host name connected to */
    const char *alias;       /* %n: the host as the URL names it */
    const char *remote_user; /* %r */
    int port;                /* %p */
};

/*
 * An IdentityFile value with a leading "~/" and the tokens %d %u %h %n
 * %r %p %i %% expanded as ssh expands them; NULL for what ssh would
 * expand otherwise ("~user/", other %-tokens, ${VAR}) or a NULL value
 * it needs.  Caller frees.
 */
char *remote_ssh_expand(const char *spec, const struct remote_ssh_tokens *tk);

/*
 * An SSH key's passphrase: the first line of file (without its line
 * end) when file is not NULL, else $FERRY_SSH_KEY_PASSPHRASE; *out NULL
 * when neither.  file may be a pipe (--ssh-key-passphrase-file
 * <(pass show vm)); a regular file that its owner's group or others may
 * read or write is refused (FY_EREFUSED), as ssh refuses such a key.  A
 * file that cannot be read: FY_ERUNTIME; an empty first line, one longer
 * than REMOTE_SSH_PASS_MAX or one holding a NUL byte: FY_EINPUT.
 * Messages name file, never its content.  Free *out with
 * remote_ssh_secret_free().
 */
enum fy_rc
remote_ssh_passphrase(const char *file, char **out, struct fy_err *err);

/* Overwrite a secret string, then free it (NULL: nothing). */
void remote_ssh_secret_free(char *s);

#ifdef __cplusplus
}
#endif

#endif
