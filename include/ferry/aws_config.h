/*
 * aws_config.h - the AWS shared files (~/.aws/config, ~/.aws/credentials)
 * read as the AWS CLI and SDKs read them, and the S3 settings ferry takes
 * from them, the environment and the command line (src/aws_config.c).
 *
 * Files.  AWS_SHARED_CREDENTIALS_FILE and AWS_CONFIG_FILE name them (a
 * leading "~/" is the home directory), else ~/.aws/credentials and
 * ~/.aws/config; a missing file is an empty one.  Each is at most
 * AWS_FILE_MAX bytes of text (no NUL or other control byte but tab, CR
 * and LF), parsed by Debian's libinih (ini.h):
 *   - "[name]" sections, "name = value" (or "name: value") lines, ';' and
 *     '#' comment lines, CRLF line ends, a UTF-8 BOM; no inline comments:
 *     as for the AWS CLI, "a = b ; c" is "b ; c";
 *   - an indented line continues the value of the line above it (Python's
 *     configparser, which the AWS CLI uses); after a "name =" with no
 *     value, the indented "key = value" lines are a sub-section, the AWS
 *     form of nested settings:
 *         [services my-minio]
 *         s3 =
 *           endpoint_url = http://127.0.0.1:9000
 *   - a later duplicate of a key (or of a section) overrides the earlier;
 *   - a line that is none of these fails the file, naming the line.
 * libinih as Debian builds it reads at most 199 bytes of a line and 49 of
 * a section or key name; longer lines (a session token is ~1 KiB) are fed
 * to it cut short and completed afterwards (aws_config.c explains how),
 * so a value may be as long as the file; profile and services names are
 * limited to AWS_NAME_MAX bytes instead, so a truncated name never
 * matches.
 *
 * Profiles.  In config, profile P is "[profile P]" ("[default]" or
 * "[profile default]" for default); in credentials it is "[P]".  A key in
 * both files takes the credentials file's value.  The profile is
 * --profile, else AWS_PROFILE, else "default"; one named by --profile or
 * AWS_PROFILE must exist in one of the files.
 *
 * Settings (aws_settings_resolve):
 *   region    --region > AWS_REGION > AWS_DEFAULT_REGION > the profile's
 *             region > (unset: the caller decides)
 *   endpoint  --endpoint-url > AWS_ENDPOINT_URL_S3 > AWS_ENDPOINT_URL >
 *             "s3 = / endpoint_url" in the profile's [services NAME] >
 *             the profile's endpoint_url > none (AWS itself).
 *             AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true (or the profile's
 *             ignore_configured_endpoint_urls = true) skips all but the
 *             flag.
 *   addressing the profile's "s3 = / addressing_style" (auto, path,
 *             virtual); auto when absent.
 *
 * Ownership: every string in the structs below is owned by them and freed
 * by their release function; arguments are borrowed.  Errors: one line in
 * err, naming the file (and line) or the variable; FY_EINPUT for a
 * malformed file or value, FY_EUSAGE for a bad flag value, FY_ERUNTIME
 * for a file that cannot be read.  Values are never quoted in messages
 * (they may be secrets); names are escaped (out_escape).
 */
#ifndef FERRY_AWS_CONFIG_H
#define FERRY_AWS_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

#include "ferry/err.h"
#include "ferry/xalloc.h"

#ifdef __cplusplus
extern "C" {
#endif

#define AWS_FILE_MAX (1u << 20) /* bytes of a shared file */
#define AWS_NAME_MAX 40         /* bytes of a profile or services name */

/* ------------------------------------------------------- the ini layer */

struct aws_ini;

/*
 * Parse text (len bytes; name for messages, e.g. "~/.aws/config") into
 * *out (free with aws_ini_free).
 */
enum fy_rc aws_ini_parse(const char *text,
                         size_t len,
                         const char *name,
                         struct aws_ini **out,
                         struct fy_err *err);
void aws_ini_free(struct aws_ini *ini);
/* Is there a [section] (even an empty one)? */
bool aws_ini_has_section(const struct aws_ini *ini, const char *section);
/* The value of key in [section] (the last one), or NULL.  A key that
 * opens a sub-section has the value "". */
const char *
aws_ini_get(const struct aws_ini *ini, const char *section, const char *key);
/* The value of sub in key's sub-section of [section], or NULL. */
const char *aws_ini_get_sub(const struct aws_ini *ini,
                            const char *section,
                            const char *key,
                            const char *sub);

/*
 * Read the small text file path (a regular file, opened without blocking
 * on a FIFO) into sb, at most max bytes.  Missing: FY_ERUNTIME with
 * *enoent set (if given).  what names it in messages.
 */
enum fy_rc aws_read_file(const char *path,
                         const char *what,
                         size_t max,
                         struct sbuf *sb,
                         bool *enoent,
                         struct fy_err *err);

/* ----------------------------------------------------------- profiles */

enum aws_addressing { AWS_ADDR_AUTO, AWS_ADDR_PATH, AWS_ADDR_VIRTUAL };

struct aws_profile {
    char *name;           /* the profile in use */
    bool named;           /* chosen by --profile or AWS_PROFILE */
    bool from_flag;       /* chosen by --profile */
    bool found;           /* a section in either file */
    char *creds_show;     /* the files as messages name them */
    char *config_show;    /* ("~/.aws/config" or the variable's path) */
    char *access_key_id;  /* aws_access_key_id */
    char *secret_key;     /* aws_secret_access_key */
    char *session_token;  /* aws_session_token */
    char *region;         /* region */
    char *process;        /* credential_process */
    char *endpoint_url;   /* endpoint_url */
    char *services;       /* services (the [services NAME] it uses) */
    char *s3_endpoint;    /* [services NAME] s3 = / endpoint_url */
    char *sts_endpoint;   /* [services NAME] sts = / endpoint_url */
    char *token_file;     /* web_identity_token_file */
    char *role_arn;       /* role_arn */
    char *session_name;   /* role_session_name */
    char *source_profile; /* source_profile or credential_source: a role
                           * ferry cannot assume (named in the error) */
    char *sso;            /* sso_session or sso_start_url (unsupported) */
    char *addressing_raw; /* s3 = / addressing_style as written */
    enum aws_addressing addressing;
    bool ignore_endpoints; /* ignore_configured_endpoint_urls = true */
};

/*
 * Load the profile: flag_profile (--profile, or NULL), else AWS_PROFILE,
 * else "default", from the two files.  A profile named by the flag or the
 * variable that is in neither file fails: "AWS profile 'x': not in
 * ~/.aws/credentials or ~/.aws/config" (FY_ERUNTIME).
 */
enum fy_rc aws_profile_load(struct aws_profile *p,
                            const char *flag_profile,
                            struct fy_err *err);
/* The same from texts already read (NULL: no such file); for tests. */
enum fy_rc aws_profile_from_text(struct aws_profile *p,
                                 const char *name,
                                 const char *creds_text,
                                 const char *config_text,
                                 struct fy_err *err);
void aws_profile_release(struct aws_profile *p);

/* --------------------------------------------------------- settings */

struct aws_settings {
    char *region;            /* NULL: none configured */
    const char *region_from; /* "--region", "AWS_REGION", ... (static) */
    char *endpoint;          /* NULL: AWS itself */
    const char *endpoint_from;
    enum aws_addressing addressing;
};

/*
 * Resolve region, endpoint and addressing (see the top of this file).
 * flag_region / flag_endpoint: --region / --endpoint-url or NULL.  A
 * region is letters, digits and '-' (at most 64); an endpoint is an
 * http:// or https:// URL without spaces or control bytes.
 */
enum fy_rc aws_settings_resolve(const struct aws_profile *p,
                                const char *flag_region,
                                const char *flag_endpoint,
                                struct aws_settings *s,
                                struct fy_err *err);
void aws_settings_release(struct aws_settings *s);

/* Checks shared with the option parser (remote_opts.c); a region is
 * checked with s3_region_ok() (remote_s3.h). */
bool aws_endpoint_ok(const char *s);
bool aws_profile_name_ok(const char *s);

/* The environment variable name, if set and not empty; else NULL. */
const char *aws_env(const char *name);
/* Is the variable "true" (any case)? */
bool aws_env_true(const char *name);

#ifdef __cplusplus
}
#endif

#endif
