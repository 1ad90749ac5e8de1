/*
 * remote_opts.h - the options every remote command shares (src/remote_opts.c)
 * and what the transfers read from them (struct remote_opts).
 *
 *     struct remote_opts o;
 *     remote_opts_init(&o);                  (5 retries, 4 in flight)
 *     ... for each option c of REMOTE_LONGOPTS: remote_opts_set(&o, c, optarg,
 * err) rc = remote_push(path, url, &o, out, &st, err); remote_opts_release(&o);
 *
 * remote_opts_set() fails FY_EUSAGE, naming the option.  Borrowed strings
 * (ssh_key, known_hosts, phase) must outlive o; headers is o's own.
 */
#ifndef FERRY_REMOTE_OPTS_H
#define FERRY_REMOTE_OPTS_H

#include <getopt.h>
#include <stdbool.h>
#include <stdint.h>

#include "ferry/err.h"
#include "ferry/xalloc.h"

#ifdef __cplusplus
extern "C" {
#endif

#define REMOTE_RETRIES_DEFAULT  5
#define REMOTE_PARALLEL_DEFAULT 4
#define REMOTE_STALL_DEFAULT    60.0

struct remote_opts {
    int retries;             /* retries per request (--retries, default 5) */
    int parallel;            /* S3 parts / ranged GETs in flight (default 4) */
    double stall_timeout;    /* seconds without a byte (0: never) */
    struct strlist headers;  /* --header "Name: value" (http/https only) */
    const char *ssh_key;     /* --ssh-key FILE (borrowed), else ~/.ssh/id_* */
    const char *known_hosts; /* --known-hosts FILE (borrowed), else
                              * ~/.ssh/known_hosts */
    bool insecure_host;      /* --insecure-host: accept unknown SSH hosts */
    const char *phase;       /* progress phase, "push" etc. (borrowed) */
    int64_t part_size;       /* S3 part / GET chunk size; 0 = automatic.
                              * FERRY_S3_PART_SIZE (bytes) overrides it, for
                              * tests. */
};

void remote_opts_init(struct remote_opts *o);
void remote_opts_release(struct remote_opts *o);

/*
 * The options every remote command shares, for a command's option table:
 * --retries N, --stall-timeout SECS, --parallel N, --header H, --ssh-key
 * FILE, --known-hosts FILE, --insecure-host.  REMOTE_LONGOPTS expands to
 * their struct option entries (values REMOTE_OPT_BASE and up);
 * remote_opts_set() takes one.  REMOTE_OPTS_HELP is their help text.
 */
enum {
    REMOTE_OPT_BASE = 0x300,
    REMOTE_OPT_RETRIES = REMOTE_OPT_BASE,
    REMOTE_OPT_STALL,
    REMOTE_OPT_PARALLEL,
    REMOTE_OPT_HEADER,
    REMOTE_OPT_SSH_KEY,
    REMOTE_OPT_KNOWN_HOSTS,
    REMOTE_OPT_INSECURE_HOST,
    REMOTE_OPT_END
};
#define REMOTE_LONGOPTS                                                        \
    {"retries", required_argument, NULL, REMOTE_OPT_RETRIES},                  \
        {"stall-timeout", required_argument, NULL, REMOTE_OPT_STALL},          \
        {"parallel", required_argument, NULL, REMOTE_OPT_PARALLEL},            \
        {"header", required_argument, NULL, REMOTE_OPT_HEADER},                \
        {"ssh-key", required_argument, NULL, REMOTE_OPT_SSH_KEY},              \
        {"known-hosts", required_argument, NULL, REMOTE_OPT_KNOWN_HOSTS},      \
    {                                                                          \
        "insecure-host", no_argument, NULL, REMOTE_OPT_INSECURE_HOST           \
    }
#define REMOTE_OPTS_HELP                                                       \
    "      --retries N         retry a failed request N times (default 5;\n"   \
    "                          -v shows each retry, the summary counts "       \
    "them)\n"                                                                  \
    "      --stall-timeout SECS  a transfer without data for SECS fails and\n" \
    "                          is retried (default 60; 0 waits forever)\n"     \
    "      --parallel N        S3 parts / ranged downloads in flight "         \
    "(default 4)\n"                                                            \
    "      --header 'NAME: VALUE'  extra HTTP header (http/https; "            \
    "repeatable);\n"                                                           \
    "                          a redirect to another host is then refused\n"   \
    "      --ssh-key FILE      SSH private key (sftp; default ~/.ssh/id_*)\n"  \
    "      --known-hosts FILE  sftp: the host keys to trust (default\n"        \
    "                          ~/.ssh/known_hosts; without HOME, the home\n"   \
    "                          directory of the passwd entry)\n"               \
    "      --insecure-host     sftp: accept a host not in known_hosts (a\n"    \
    "                          changed key is still refused)\n"

/* Is opt one of REMOTE_LONGOPTS? */
bool remote_opt_is(int opt);
/* Apply one of REMOTE_LONGOPTS (usage errors name the option). */
enum fy_rc remote_opts_set(struct remote_opts *o,
                           int opt,
                           const char *arg,
                           struct fy_err *err);

#ifdef __cplusplus
}
#endif

#endif
