/*
 * remote_opts.h - the command-line side of struct remote_opts (remote.h):
 * the options every remote command shares, for a command's getopt table
 * (src/remote_opts.c).  The engine (remote.h) knows nothing of getopt.
 *
 *     static const struct option options[] = {REMOTE_LONGOPTS, ...};
 *     remote_opts_init(&o);
 *     while ((c = getopt_long(...)) != -1)
 *         if (remote_opt_is(c))
 *             rc = remote_opts_set(&o, c, optarg, err);
 *
 * Ownership: remote_opts_set() borrows arg for --ssh-key,
 * --ssh-key-passphrase-file, --known-hosts, --profile, --region and
 * --endpoint-url (argv outlives o) and copies --header values into
 * o->headers.  Errors: remote_opts_set() fails FY_EUSAGE with one line
 * naming the option (a --header value is never quoted: it may hold a
 * secret).
 */
#ifndef FERRY_REMOTE_OPTS_H
#define FERRY_REMOTE_OPTS_H

#include <getopt.h>
#include <stdbool.h>

#include "ferry/err.h"
#include "ferry/remote.h"

#ifdef __cplusplus
extern "C" {
#endif

/*
 * The options every remote command shares, for a command's option table:
 * --retries N, --stall-timeout SECS, --parallel N, --header H, --ssh-key
 * FILE, --ssh-key-passphrase-file FILE, --known-hosts FILE,
 * --insecure-host, --max-up RATE, --max-down RATE (parse_rate()'s syntax,
 * as fetch's), and for S3 --profile NAME, --region R, --endpoint-url URL.
 * REMOTE_LONGOPTS expands to
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
    REMOTE_OPT_SSH_PASSPHRASE_FILE,
    REMOTE_OPT_PROFILE,
    REMOTE_OPT_REGION,
    REMOTE_OPT_ENDPOINT_URL,
    REMOTE_OPT_MAX_UP,
    REMOTE_OPT_MAX_DOWN,
    REMOTE_OPT_END
};
#define REMOTE_LONGOPTS                                                        \
    {"retries", required_argument, NULL, REMOTE_OPT_RETRIES},                  \
        {"stall-timeout", required_argument, NULL, REMOTE_OPT_STALL},          \
        {"parallel", required_argument, NULL, REMOTE_OPT_PARALLEL},            \
        {"header", required_argument, NULL, REMOTE_OPT_HEADER},                \
        {"ssh-key", required_argument, NULL, REMOTE_OPT_SSH_KEY},              \
        {"known-hosts", required_argument, NULL, REMOTE_OPT_KNOWN_HOSTS},      \
        {"ssh-key-passphrase-file", required_argument, NULL,                   \
         REMOTE_OPT_SSH_PASSPHRASE_FILE},                                      \
        {"insecure-host", no_argument, NULL, REMOTE_OPT_INSECURE_HOST},        \
        {"profile", required_argument, NULL, REMOTE_OPT_PROFILE},              \
        {"region", required_argument, NULL, REMOTE_OPT_REGION},                \
        {"endpoint-url", required_argument, NULL, REMOTE_OPT_ENDPOINT_URL},    \
        {"max-up", required_argument, NULL, REMOTE_OPT_MAX_UP},                \
    {                                                                          \
        "max-down", required_argument, NULL, REMOTE_OPT_MAX_DOWN               \
    }
/* What REMOTE_LONGOPTS take, for completion (include/ferry/cmd_def.h). */
#define REMOTE_VALUES                                                          \
    {"stall-timeout", CLI_DURATION, NULL}, {"ssh-key", CLI_FILE, NULL},        \
        {"known-hosts", CLI_FILE, NULL},                                       \
    {                                                                          \
        "ssh-key-passphrase-file", CLI_FILE, NULL                              \
    }
#define REMOTE_OPTS_HELP                                                       \
    "      --retries N         retry a failed request N times (default 5;\n"   \
    "                          -v shows each retry, the summary counts "       \
    "them)\n"                                                                  \
    "      --stall-timeout SECS  a transfer without data for SECS fails and\n" \
    "                          is retried (default 60; 0 waits forever;\n"     \
    "                          SECS may carry units: 90s, 2m, 1m30s)\n"        \
    "      --parallel N        S3 parts / ranged downloads in flight "         \
    "(default 4)\n"                                                            \
    "      --max-up RATE       upload limit for the whole transfer, all\n"     \
    "                          --parallel requests together, e.g. 10M\n"       \
    "                          (bytes/s, K/M/G = 1024^n; 0 = none)\n"          \
    "      --max-down RATE     download limit, likewise, e.g. 500K\n"          \
    "      --header 'NAME: VALUE'  extra HTTP header (http/https; "            \
    "repeatable);\n"                                                           \
    "                          a redirect to another host is then refused\n"   \
    "      --ssh-key FILE      sftp: log in with this private key (and the\n"  \
    "                          agent) instead of ssh's keys\n"                 \
    "      --ssh-key-passphrase-file FILE  sftp: the key's passphrase is\n"    \
    "                          FILE's first line (FILE private: mode 600,\n"   \
    "                          or a pipe; else FERRY_SSH_KEY_PASSPHRASE)\n"    \
    "      --known-hosts FILE  sftp: the host keys to trust (default\n"        \
    "                          ~/.ssh/known_hosts; without HOME, the home\n"   \
    "                          directory of the passwd entry)\n"               \
    "      --insecure-host     sftp: accept a host not in known_hosts (a\n"    \
    "                          changed key is still refused)\n"                \
    "      --profile NAME      s3: the AWS profile to use (default\n"          \
    "                          AWS_PROFILE, else default); with it,\n"         \
    "                          AWS_ACCESS_KEY_ID and friends are ignored\n"    \
    "      --region R          s3: the region (default AWS_REGION,\n"          \
    "                          AWS_DEFAULT_REGION, the profile's, else\n"      \
    "                          us-east-1)\n"                                   \
    "      --endpoint-url URL  s3: an S3-compatible store, e.g.\n"             \
    "                          http://127.0.0.1:9000 (default\n"               \
    "                          AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL, the\n"   \
    "                          profile's endpoint_url, else AWS itself)\n"

/*
 * Where S3 credentials come from, for the --help of the remote commands
 * (the whole story: doc/STORAGE.md, ferry(1) ENVIRONMENT).
 */
#define REMOTE_S3_HELP                                                         \
    "S3 credentials, the first source that has them wins: AWS_ACCESS_KEY_ID\n" \
    "+ AWS_SECRET_ACCESS_KEY [+ AWS_SESSION_TOKEN]; the profile (--profile,\n" \
    "AWS_PROFILE, else default) in ~/.aws/credentials and ~/.aws/config:\n"    \
    "static keys, credential_process, web_identity_token_file; web identity\n" \
    "(AWS_WEB_IDENTITY_TOKEN_FILE + AWS_ROLE_ARN); container credentials\n"    \
    "(AWS_CONTAINER_CREDENTIALS_RELATIVE_URI or _FULL_URI); EC2 IMDSv2\n"      \
    "(AWS_EC2_METADATA_DISABLED=true skips it).  Temporary credentials are\n"  \
    "refreshed before they expire.  An S3-compatible store (MinIO, R2, B2):\n" \
    "  ferry push ws.tar.zst s3://bkt/ws.tar.zst --profile minio \\\n"         \
    "      --endpoint-url http://127.0.0.1:9000\n"                             \
    "or endpoint_url = http://127.0.0.1:9000 in [profile minio] of\n"          \
    "~/.aws/config.  Addressing: virtual-hosted\n"                             \
    "(BUCKET.s3.REGION.amazonaws.com) on AWS, path-style (ENDPOINT/BUCKET/\n"  \
    "KEY) elsewhere; addressing_style in the profile's s3 section or\n"        \
    "FERRY_S3_ADDRESSING=auto|path|virtual overrides it.  A bucket in\n"       \
    "another region is followed there once (-v says so).  HTTPS with a\n"      \
    "private CA: its bundle in CURL_CA_BUNDLE, AWS_CA_BUNDLE or\n"             \
    "SSL_CERT_FILE.\n"

/* How SFTP logs in, with examples: a paragraph for a command's help. */
#define REMOTE_SFTP_HELP                                                       \
    "SFTP logs in as ssh does: with the agent's keys (SSH_AUTH_SOCK) and\n"    \
    "each of ssh's key files in turn (~/.ssh/id_rsa, id_ecdsa, id_ed25519,\n"  \
    "id_dsa, or IdentityFile of ~/.ssh/config), or --ssh-key FILE and the\n"   \
    "agent.  HOST may be a Host alias of ~/.ssh/config: its HostName, "        \
    "Port,\n"                                                                  \
    "User and IdentityFile come from 'ssh -G HOST' (the URL's user and "       \
    "port\n"                                                                   \
    "win).  An encrypted key's passphrase: FERRY_SSH_KEY_PASSPHRASE, or the\n" \
    "first line of --ssh-key-passphrase-file FILE.  For example:\n"            \
    "  ferry push ws.tar.zst sftp://myvm/~/ws.tar.zst\n"                       \
    "  ferry pull sftp://me@10.0.0.5:2222/srv/ws.tar.zst --ssh-key "           \
    "~/.ssh/vm \\\n"                                                           \
    "      --ssh-key-passphrase-file ~/.ssh/vm.pass\n"

/*
 * Proxies, for the help of every storage command: libcurl reads the usual
 * variables (ferry never turns that off, but for the AWS container and
 * instance metadata endpoints, src/aws_sources.c); libtorrent reads none.
 */
#define REMOTE_PROXY_HELP                                                      \
    "Proxies: storage requests go through libcurl, which honours\n"            \
    "http_proxy, https_proxy (or HTTPS_PROXY), ALL_PROXY and NO_PROXY\n"       \
    "(SFTP through an HTTP proxy's CONNECT, or socks5h:// in ALL_PROXY);\n"    \
    "the AWS container and instance metadata endpoints are always reached\n"   \
    "directly.  BitTorrent (fetch, seed, up's bundles) has no proxy.\n"        \
    "  https_proxy=http://proxy.corp:3128 ferry pull s3://bkt/ws.tar.zst\n"

/*
 * A remote command's --help on stdout: head (its usage and own options),
 * REMOTE_OPTS_HELP, -h, then the REMOTE_S3_HELP, REMOTE_SFTP_HELP and
 * REMOTE_PROXY_HELP paragraphs, then tail (its exit codes).  In pieces, as one
 * literal would pass C's 4095-byte limit.
 */
enum fy_rc remote_help(const char *head, const char *tail);

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
