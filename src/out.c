/*
 * out.c - messages, progress and JSON events.
 *
 * The mode is chosen once in out_init(): OUT_JSON with --json, OUT_NONE with
 * -q or --no-progress, OUT_TTY when stderr is a terminal (or FERRY_TEST_TTY=1),
 * else OUT_PLAIN.  The TTY line is redrawn at most 8 times a second and only
 * while we are in the foreground process group; plain lines come every few
 * seconds.  Rates not given by the engine come from a ring of samples.
 */
#include "ferry/out.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "ferry/xalloc.h"

double
out_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static bool
env_true(const char *name)
{
    const char *v = getenv(name);
    return v != NULL && *v != '\0' && strcmp(v, "0") != 0;
}

bool
out_color_auto(bool tty, const char *term, const char *no_color)
{
    /* no-color.org: NO_COLOR counts when present and not an empty string */
    if (no_color != NULL && *no_color != '\0')
        return false;
    return tty && term != NULL && *term != '\0' && strcmp(term, "dumb") != 0;
}

/* An SGR sequence if o colours, else "". */
static const char *
hue(const struct out *o, const char *sgr)
{
    return o->color ? sgr : "";
}

#define SGR_RED    "\x1b[31m"
#define SGR_YELLOW "\x1b[33m"
#define SGR_GREEN  "\x1b[32m"
#define SGR_RESET  "\x1b[0m"

void
out_init(struct out *o, const struct out_opts *opts)
{
    memset(o, 0, sizeof *o);
    o->command = opts->command;
    o->start_said = &o->start_own;
    o->verbosity = opts->verbosity;
    o->json = opts->json;
    o->jsonfp = stdout;
    bool tty = isatty(STDERR_FILENO) || env_true("FERRY_TEST_TTY");
    if (opts->json)
        o->mode = OUT_JSON;
    else if (opts->verbosity < 0 || opts->no_progress)
        o->mode = OUT_NONE;
    else if (tty)
        o->mode = OUT_TTY;
    else
        o->mode = OUT_PLAIN;
    /* colour goes to stderr: a real terminal's (FERRY_TEST_TTY fakes one
     * for the progress display only), never where JSON goes */
    if (opts->json || opts->color == OUT_COLOR_NEVER)
        o->color = false;
    else if (opts->color == OUT_COLOR_ALWAYS)
        o->color = true;
    else
        o->color = out_color_auto(isatty(STDERR_FILENO), getenv("TERM"),
                                  getenv("NO_COLOR"));
    o->interval = o->mode == OUT_TTY ? 0.125 : o->mode == OUT_JSON ? 1.0 : 3.0;
    const char *iv = getenv("FERRY_PROGRESS_INTERVAL");
    if (iv != NULL && *iv) {
        char *end;
        double d = strtod(iv, &end);
        if (*end == '\0' && d >= 0)
            o->interval = d;
    }
    o->last_draw = -1e9;
}

void
out_part(struct out *part, const struct out *parent, const char *label)
{
    *part = *parent;
    part->label = label;
    part->start_own = false;
    part->start_said = &part->start_own;
}

/*
 * After a write to stdout failed with errno e: is its reader gone?  EPIPE
 * says so; stdio may have failed in an earlier call, so also ask the pipe
 * itself (poll reports POLLERR on a pipe without readers, POLLHUP on a
 * socket whose peer closed).
 */
static bool
stdout_reader_gone(int e)
{
    if (e == EPIPE)
        return true;
    struct pollfd p = {STDOUT_FILENO, POLLOUT, 0};
    return poll(&p, 1, 0) == 1 && (p.revents & (POLLERR | POLLHUP)) != 0;
}

enum fy_rc
out_stdout_check(struct fy_err *err)
{
    int e = errno;
    if (!ferror(stdout))
        return FY_OK;
    if (stdout_reader_gone(e))
        return fy_fail_pipe(err, "stdout");
    errno = e;
    return fy_fail_errno(err, FY_ERUNTIME, "stdout");
}

void
out_data_on_stdout(struct out *o)
{
    o->jsonfp = stderr;
}

static void
vline(struct out *o, const char *prefix, const char *fmt, va_list ap)
    FY_PRINTF(3, 0);

static void board_print(struct out_board *b, const char *text);

static void
vline(struct out *o, const char *prefix, const char *fmt, va_list ap)
{
    out_progress_end(o);
    char msg[FY_ERR_MSG_MAX];
    vsnprintf(msg, sizeof msg, fmt, ap);
    char *line = xasprintf("%s%s%s%s", prefix ? prefix : "",
                           o->label ? o->label : "", o->label ? ": " : "", msg);
    if (o->board != NULL)
        board_print(o->board, line);
    else
        fprintf(stderr, "%s\n", line);
    free(line);
}

void
out_info(struct out *o, const char *fmt, ...)
{
    if (o->verbosity < 0 || o->json)
        return;
    va_list ap;
    va_start(ap, fmt);
    vline(o, NULL, fmt, ap);
    va_end(ap);
}

void
out_verbose(struct out *o, const char *fmt, ...)
{
    if (o->verbosity < 1)
        return;
    va_list ap;
    va_start(ap, fmt);
    vline(o, NULL, fmt, ap);
    va_end(ap);
}

void
out_warn(struct out *o, const char *fmt, ...)
{
    char msg[FY_ERR_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (o->verbosity >= 0) {
        char *line = xasprintf("%sferry: warning: %s%s%s%s", hue(o, SGR_YELLOW),
                               o->label ? o->label : "", o->label ? ": " : "",
                               msg, hue(o, SGR_RESET));
        out_progress_end(o);
        if (o->board != NULL)
            board_print(o->board, line);
        else
            fprintf(stderr, "%s\n", line);
        free(line);
    }
    out_event(o, "warning", "{ss}", "message", msg);
}

/*
 * FERRY_TEST_JSON_LOG=PATH: every event line is appended to PATH too, so
 * a test can check every event it made ferry print against the schema.
 * Opened once (O_APPEND: one write() per line, from any thread, from
 * every ferry a test runs); a path that cannot be opened is ignored.
 */
static pthread_once_t log_once = PTHREAD_ONCE_INIT;
static int log_fd = -1;

static void
log_open(void)
{
    const char *path = getenv("FERRY_TEST_JSON_LOG");
    if (path != NULL && *path != '\0')
        log_fd = open(
            path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
}

static void
log_line(const char *line, size_t len)
{
    pthread_once(&log_once, log_open);
    if (log_fd >= 0 && write(log_fd, line, len) < 0) {
        /* a test knob: a failed copy is the test's to notice */
    }
}

static size_t utf8_len(const unsigned char *p);

/* A JSON string of s: s itself if it is UTF-8, else out_escape()'s copy. */
static json_t *
json_text(const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; *p;) {
        size_t n = utf8_len(p);
        if (n == 0) {
            /* a hostile name (archive entry, argv) is still shown */
            char *esc = out_escape(s);
            json_t *j = json_string(esc);
            free(esc);
            return j;
        }
        p += n;
    }
    return json_string(s);
}

/* SPEC: an unknown value is null, never -1 (ferry's numbers are >= 0). */
static json_t *
json_count(long long v)
{
    return v < 0 ? json_null() : json_integer(v);
}

static json_t *
json_number(double v)
{
    return v < 0 || v != v ? json_null() : json_real(v);
}

/*
 * The fields of an event from a json_pack()-style format: "{", then
 * pairs of "s" (the key) and a value: s (string), s? (string or NULL:
 * null), s* (string or NULL: the pair left out), i (int), I (long long),
 * f (double), b (int as boolean), o (a json_t *, whose reference is
 * taken); then "}".  Unlike json_pack(), a
 * string that is not UTF-8 is escaped, not refused, and a negative
 * number is null.  NULL on a bad format.
 */
static json_t *
pack_fields(const char *fmt, va_list ap)
{
    json_t *obj = json_object();
    const char *f = fmt;
    if (*f++ != '{')
        goto bad;
    while (*f == 's') {
        const char *key = va_arg(ap, const char *);
        json_t *v = NULL;
        f++;
        switch (*f++) {
        case 's': {
            const char *str = va_arg(ap, const char *);
            char mod = *f == '?' || *f == '*' ? *f++ : '\0';
            if (str == NULL && mod == '*')
                continue;
            if (str == NULL && mod == '\0')
                goto bad;
            v = str == NULL ? json_null() : json_text(str);
            break;
        }
        case 'i':
            v = json_count(va_arg(ap, int));
            break;
        case 'I':
            v = json_count(va_arg(ap, long long));
            break;
        case 'f':
            v = json_number(va_arg(ap, double));
            break;
        case 'b':
            v = json_boolean(va_arg(ap, int));
            break;
        case 'o':
            v = va_arg(ap, json_t *);
            break;
        default:
            goto bad;
        }
        if (v == NULL || json_object_set_new(obj, key, v) != 0)
            goto bad;
    }
    if (f[0] == '}' && f[1] == '\0')
        return obj;
bad:
    json_decref(obj);
    return NULL;
}

void
out_event(struct out *o, const char *event, const char *fields, ...)
{
    if (!o->json)
        return;
    if (strcmp(event, "start") == 0) {
        /* one "start" per run (or part): an inner engine's is dropped */
        if (*o->start_said)
            return;
        *o->start_said = true;
    }
    json_t *obj = json_object();
    json_object_set_new(obj, "event", json_string(event));
    json_object_set_new(obj, "v", json_integer(OUT_JSON_VERSION));
    json_object_set_new(obj, "command",
                        o->command != NULL ? json_string(o->command)
                                           : json_null());
    if (o->label != NULL)
        json_object_set_new(obj, "bundle", json_text(o->label));
    if (fields != NULL) {
        va_list ap;
        va_start(ap, fields);
        json_t *extra = pack_fields(fields, ap);
        va_end(ap);
        assert(extra != NULL && "bad out_event() format");
        if (extra != NULL) {
            assert(json_object_get(extra, "command") == NULL &&
                   "out_event() adds \"command\" itself");
            json_object_update(obj, extra);
            json_decref(extra);
        }
    }
    char *s = json_dumps(obj, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(obj);
    if (s != NULL) {
        char *line = xasprintf("%s\n", s);
        size_t len = strlen(line);
        free(s);
        /* one call: the parts of ferry up write events from their threads */
        fputs(line, o->jsonfp);
        log_line(line, len);
        free(line);
        /* events on stdout whose reader went away: stop as SIGPIPE would
         * (a later out_stdout_check() or out_finish() tells the rest) */
        if (fflush(o->jsonfp) != 0 && o->jsonfp == stdout &&
            stdout_reader_gone(errno))
            fy_note_pipe_closed();
    }
}

char *
out_fmt_size(char *buf, size_t len, int64_t bytes)
{
    static const char *const units[] = {"KiB", "MiB", "GiB", "TiB", "PiB"};
    if (bytes < 0) {
        snprintf(buf, len, "?");
        return buf;
    }
    if (bytes < 1024) {
        snprintf(buf, len, "%lld B", (long long)bytes);
        return buf;
    }
    double v = (double)bytes / 1024.0;
    size_t u = 0;
    while (v >= 1024.0 && u + 1 < sizeof units / sizeof units[0]) {
        v /= 1024.0;
        u++;
    }
    if (v >= 100.0)
        snprintf(buf, len, "%.0f %s", v, units[u]);
    else if (v >= 10.0)
        snprintf(buf, len, "%.1f %s", v, units[u]);
    else
        snprintf(buf, len, "%.2f %s", v, units[u]);
    return buf;
}

char *
out_fmt_eta(char *buf, size_t len, double seconds)
{
    if (seconds < 0 || seconds != seconds) {
        snprintf(buf, len, "--:--");
        return buf;
    }
    if (seconds >= 99.0 * 86400) {
        snprintf(buf, len, "99+ days");
        return buf;
    }
    long s = (long)(seconds + 0.5);
    long h = s / 3600, m = (s / 60) % 60, sec = s % 60;
    if (h > 0)
        snprintf(buf, len, "%ld:%02ld:%02ld", h, m, sec);
    else
        snprintf(buf, len, "%ld:%02ld", m, sec);
    return buf;
}

/* Length of a valid UTF-8 sequence at p (1-4), or 0 if invalid. */
static size_t
utf8_len(const unsigned char *p)
{
    size_t n;
    if (p[0] < 0x80)
        return 1;
    if (p[0] >= 0xc2 && p[0] <= 0xdf)
        n = 2;
    else if (p[0] >= 0xe0 && p[0] <= 0xef)
        n = 3;
    else if (p[0] >= 0xf0 && p[0] <= 0xf4)
        n = 4;
    else
        return 0;
    for (size_t i = 1; i < n; i++)
        if ((p[i] & 0xc0) != 0x80)
            return 0;
    return n;
}

char *
out_escape(const char *s)
{
    size_t cap = strlen(s) * 4 + 1;
    char *buf = xmalloc(cap), *w = buf;
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        size_t n = utf8_len(p);
        if (n == 1 && *p >= 0x20 && *p != 0x7f && *p != '\\') {
            *w++ = (char)*p++;
        } else if (n > 1) {
            memcpy(w, p, n);
            w += n;
            p += n;
        } else {
            snprintf(w, 5, "\\x%02x", *p++);
            w += 4;
        }
    }
    *w = '\0';
    return buf;
}

static double
sampled_rate(struct out *o, double now, int64_t done)
{
    int i = o->sample_head;
    o->sample_t[i] = now;
    o->sample_v[i] = done;
    o->sample_head = (i + 1) % OUT_RATE_SAMPLES;
    if (o->nsamples < OUT_RATE_SAMPLES)
        o->nsamples++;
    int oldest =
        (o->sample_head - o->nsamples + OUT_RATE_SAMPLES) % OUT_RATE_SAMPLES;
    double dt = now - o->sample_t[oldest];
    if (dt <= 0)
        return -1;
    return (double)(done - o->sample_v[oldest]) / dt;
}

static bool
foreground(void)
{
    pid_t pg = tcgetpgrp(STDERR_FILENO);
    return pg == -1 || pg == getpgrp();
}

static size_t
term_width(void)
{
    struct winsize ws;
    if (ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 10)
        return ws.ws_col;
    return 80;
}

/* ---------------------------------------------------- several lines */

struct out_board {
    pthread_mutex_t mu;
    size_t n, drawn; /* lines, lines on the screen below the messages */
    char **lines;
};

struct out_board *
out_board_new(size_t n)
{
    struct out_board *b = xcalloc(1, sizeof *b);
    pthread_mutex_init(&b->mu, NULL);
    b->n = n;
    b->lines = xcalloc(n ? n : 1, sizeof *b->lines);
    return b;
}

void
out_board_free(struct out_board *b)
{
    if (b == NULL)
        return;
    for (size_t i = 0; i < b->n; i++)
        free(b->lines[i]);
    free(b->lines);
    pthread_mutex_destroy(&b->mu);
    free(b);
}

/* Go back over the lines drawn and draw them again; mu held. */
static void
board_redraw(struct out_board *b, const char *above)
{
    size_t width = term_width() - 1;
    if (b->drawn > 0)
        fprintf(stderr, "\x1b[%zuA\r\x1b[J", b->drawn);
    if (above != NULL)
        fprintf(stderr, "%s\n", above);
    b->drawn = 0;
    for (size_t i = 0; i < b->n; i++) {
        if (b->lines[i] == NULL)
            continue;
        fprintf(stderr, "%.*s\n", (int)width, b->lines[i]);
        b->drawn++;
    }
    fflush(stderr);
}

static void
board_line(struct out_board *b, size_t slot, const char *line)
{
    pthread_mutex_lock(&b->mu);
    if (slot < b->n) {
        free(b->lines[slot]);
        b->lines[slot] = xstrdup(line);
        board_redraw(b, NULL);
    }
    pthread_mutex_unlock(&b->mu);
}

static void
board_print(struct out_board *b, const char *text)
{
    pthread_mutex_lock(&b->mu);
    board_redraw(b, text);
    pthread_mutex_unlock(&b->mu);
}

/* A count for a JSON event: null when unknown (< 0). */
static json_t *
count_or_null(int64_t v)
{
    return v < 0 ? json_null() : json_integer(v);
}

/* Seeding's progress event: bytes sent, upload rate, peers, ratio. */
static void
upload_event(struct out *o, const struct out_progress *p, double rate)
{
    out_event(o, "progress", "{sssIsosfsosososfsoso}", "phase",
              p->phase ? p->phase : "", "done", (long long)p->done, "total",
              count_or_null(p->total), "rate", rate < 0 ? 0.0 : rate, "peers",
              count_or_null(p->peers), "seeds", count_or_null(p->seeds), "eta",
              json_null(), "share_ratio", p->ratio, "session_down",
              count_or_null(p->session_down), "session_up",
              count_or_null(p->session_up));
}

/* Seeding's progress line: "seed  1.20 MiB sent  300 KiB/s  peers 2
 * ratio 0.40". */
static void
upload_line(const struct out_progress *p, double rate, char *line, size_t len)
{
    char sent[24], rbuf[24];
    out_fmt_size(sent, sizeof sent, p->done);
    out_fmt_size(rbuf, sizeof rbuf, rate < 0 ? 0 : (int64_t)rate);
    int n = snprintf(line, len, "%s  %s sent  %s/s", p->phase ? p->phase : "",
                     sent, rbuf);
    if (p->peers >= 0 && n > 0 && (size_t)n < len)
        n += snprintf(line + n, len - (size_t)n, "  peers %d", p->peers);
    if (n > 0 && (size_t)n < len)
        snprintf(line + n, len - (size_t)n, "  ratio %.2f", p->ratio);
}

void
out_progress(struct out *o, const struct out_progress *p, bool force)
{
    if (o->mode == OUT_NONE)
        return;
    double now = out_now();
    double rate = p->rate >= 0 ? p->rate : sampled_rate(o, now, p->done);
    if (!force && now - o->last_draw < o->interval)
        return;
    o->last_draw = now;
    double eta = p->eta;
    if (eta < 0 && rate > 0 && p->total >= 0)
        eta = (double)(p->total - p->done) / rate;
    if (p->total >= 0 && p->done >= p->total)
        eta = 0;

    if (o->mode == OUT_JSON && p->ratio >= 0) {
        upload_event(o, p, rate);
        return;
    }
    if (o->mode == OUT_JSON) {
        /* unknown numbers (< 0) go out as null; a torrent's fields only
         * for a torrent */
        if (p->peers < 0 && p->seeds < 0 && p->session_down < 0 &&
            p->session_up < 0)
            out_event(o, "progress", "{sssIsIsfsf}", "phase",
                      p->phase ? p->phase : "", "done", (long long)p->done,
                      "total", (long long)p->total, "rate", rate, "eta", eta);
        else
            out_event(o, "progress", "{sssIsIsfsfsisisIsI}", "phase",
                      p->phase ? p->phase : "", "done", (long long)p->done,
                      "total", (long long)p->total, "rate", rate, "eta", eta,
                      "peers", p->peers, "seeds", p->seeds, "session_down",
                      (long long)p->session_down, "session_up",
                      (long long)p->session_up);
        return;
    }

    char line[256], done[24], total[24], rbuf[24], ebuf[24];
    out_fmt_size(done, sizeof done, p->done);
    out_fmt_size(total, sizeof total, p->total);
    out_fmt_size(rbuf, sizeof rbuf, rate < 0 ? 0 : (int64_t)rate);
    out_fmt_eta(ebuf, sizeof ebuf, eta);
    double pct = p->total > 0 ? 100.0 * (double)p->done / (double)p->total
                              : (p->total == 0 ? 100.0 : 0.0);
    int n = snprintf(line, sizeof line, "%s %5.1f%%  %s / %s  %s/s",
                     p->phase ? p->phase : "", pct, done, total, rbuf);
    if (p->peers >= 0 && n > 0 && (size_t)n < sizeof line)
        n +=
            snprintf(line + n, sizeof line - (size_t)n, "  peers %d (%d seeds)",
                     p->peers, p->seeds < 0 ? 0 : p->seeds);
    if (n > 0 && (size_t)n < sizeof line)
        snprintf(line + n, sizeof line - (size_t)n, "  ETA %s", ebuf);
    if (p->ratio >= 0)
        upload_line(p, rate, line, sizeof line);

    /* a finished part in green */
    bool full = p->total > 0 && p->done >= p->total;
    const char *on = full ? hue(o, SGR_GREEN) : "";
    const char *off = full ? hue(o, SGR_RESET) : "";
    if (o->mode == OUT_PLAIN) {
        fprintf(stderr, "%s%s%s%s%s\n", on, o->label ? o->label : "",
                o->label ? ": " : "", line, off);
        return;
    }
    if (!foreground())
        return;
    if (o->board != NULL) {
        char *l = xasprintf("%s%s%s", o->label ? o->label : "",
                            o->label ? ": " : "", line);
        board_line(o->board, o->slot, l);
        free(l);
        return;
    }
    size_t width = term_width() - 1, len = strlen(line);
    if (len > width)
        line[len = width] = '\0';
    fprintf(stderr, "\r%s%s%s", on, line, off);
    for (size_t i = len; i < o->last_len; i++)
        fputc(' ', stderr);
    o->last_len = len;
    o->line_open = true;
    fflush(stderr);
}

void
out_progress_end(struct out *o)
{
    if (o->line_open) {
        fputc('\n', stderr);
        o->line_open = false;
        o->last_len = 0;
    }
}

void
out_error(struct out *o, const struct fy_err *err)
{
    out_progress_end(o);
    fprintf(stderr, "%sferry: %s%s\n", hue(o, SGR_RED),
            err->msg[0] ? err->msg : "failed", hue(o, SGR_RESET));
    out_event(o, "error", "{sssi}", "message", err->msg, "code", (int)err->rc);
}

int
out_finish(struct out *o, int rc)
{
    out_progress_end(o);
    if (fflush(stdout) != 0 || ferror(stdout) || fclose(stdout) != 0) {
        int e = errno;
        /* SPEC: a reader that closed stdout ends ferry quietly */
        if (rc == 0 && stdout_reader_gone(e)) {
            rc = FY_EPIPE;
        } else if (rc == 0) {
            fprintf(stderr, "ferry: stdout: %s\n", strerror(e));
            rc = FY_ERUNTIME;
        }
    }
    return rc;
}
