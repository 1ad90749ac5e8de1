/*
 * out.h - everything ferry shows a person or a program: messages, progress
 * (redrawn line on a TTY, plain lines otherwise, NDJSON with --json), the one
 * error line, and the final close of stdout.
 *
 * Engines never format text for progress: they fill a struct out_progress
 * with numbers and call out_progress(), which rate-limits and renders.
 * JSON events are one compact object per line: "event", "v" (the format
 * version), "command" (the ferry command word of the run, whichever engine
 * emits the event), "bundle" (a part's label, ferry up), then the event's
 * fields.  They go to stdout, or to stderr when stdout carries data
 * (out_data_on_stdout()).  The schema is doc/json.md and
 * doc/ferry-events.schema.json; out_event() keeps three of its rules for
 * every caller: every event names its command, a negative number (ferry's
 * "unknown") goes out as null, and a run (or a part) says "start" once.
 * FERRY_TEST_JSON_LOG=PATH (a test knob) appends a copy of every event
 * line to PATH.
 */
#ifndef FERRY_OUT_H
#define FERRY_OUT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "ferry/err.h"

#ifdef __cplusplus
extern "C" {
#endif

#define OUT_JSON_VERSION 1

enum out_mode { OUT_NONE, OUT_PLAIN, OUT_TTY, OUT_JSON };
enum out_color { OUT_COLOR_AUTO, OUT_COLOR_ALWAYS, OUT_COLOR_NEVER };

struct out_opts {
    int verbosity; /* -1 quiet, 0 normal, 1 verbose */
    bool json;
    bool no_progress;
    enum out_color color;
    const char *command; /* the command word ("fetch"), NULL before it */
};

#define OUT_RATE_SAMPLES 16

struct out {
    enum out_mode mode;
    int verbosity;
    bool json;
    bool color;
    FILE *jsonfp;     /* where events go (stdout or stderr) */
    double last_draw; /* monotonic seconds of the last render */
    double interval;  /* seconds between renders */
    size_t last_len;  /* length of the line drawn on the TTY */
    bool line_open;   /* a TTY line is drawn and not ended */
    double sample_t[OUT_RATE_SAMPLES];
    int64_t sample_v[OUT_RATE_SAMPLES];
    int nsamples, sample_head;
    /* one part of a run with several (ferry up's bundles): label goes in
     * front of its messages and progress lines ("bundle" in JSON events);
     * with a board, its TTY progress is line slot of the board */
    const char *label;
    struct out_board *board;
    size_t slot;
    /* "command" of every event; borrowed (main.c's table) */
    const char *command;
    /* the run (or part) said "start": shared by plain copies of this
     * struct (an engine's quiet copy), own for out_init() and out_part() */
    bool *start_said;
    bool start_own;
};

/*
 * What an engine reports.  Unknown numbers are -1 (JSON: null); peers,
 * seeds, session_down and session_up all -1 mean "not a torrent" (JSON:
 * absent).
 */
struct out_progress {
    const char *phase;    /* "fetch", "check", "metadata", "seed", ... */
    int64_t done;         /* bytes done (verified, for fetch) */
    int64_t total;        /* bytes in all, -1 unknown */
    double rate;          /* bytes/s; < 0 lets out.c compute it from done */
    int peers;            /* connected peers, -1 n/a */
    int seeds;            /* of which seeds, -1 n/a */
    double eta;           /* seconds, < 0 lets out.c compute it */
    int64_t session_down; /* payload bytes received this run, -1 n/a */
    int64_t session_up;   /* payload bytes sent this run, -1 n/a */
    /* seeding: bytes sent / the payload's size, -1 n/a.  With a ratio the
     * line shows what seeding does (done: bytes sent, rate: upload rate,
     * peers, ratio) instead of a percentage, and the JSON event has
     * "ratio" and nulls for what is unknown */
    double ratio;
};

#define OUT_PROGRESS_INIT                                                      \
    {                                                                          \
        NULL, 0, -1, -1, -1, -1, -1, -1, -1, -1                                \
    }

/*
 * Colour (--color): the error line in red, warnings in yellow, a progress
 * line whose part is complete in green; all on stderr, never with --json.
 * always/never as asked; auto colours when out_color_auto() says so for
 * stderr (isatty), $TERM and $NO_COLOR.
 */
void out_init(struct out *o, const struct out_opts *opts);
/* auto: a terminal, TERM set and not "dumb", NO_COLOR unset or empty. */
bool out_color_auto(bool tty, const char *term, const char *no_color);
/*
 * One part of a run with its own events (ferry up's bundles and
 * workspace): part becomes a copy of parent whose events carry "bundle":
 * label and which says its own "start".  label is borrowed.
 */
void out_part(struct out *part, const struct out *parent, const char *label);
/* stdout carries data (pack -o -): JSON events move to stderr. */
void out_data_on_stdout(struct out *o);
/* Monotonic clock in seconds. */
double out_now(void);

/* A chatty line on stderr (suppressed by -q); verbose only with -v. */
void out_info(struct out *o, const char *fmt, ...) FY_PRINTF(2, 3);
void out_verbose(struct out *o, const char *fmt, ...) FY_PRINTF(2, 3);
/* "ferry: warning: <msg>" on stderr plus a "warning" event. */
void out_warn(struct out *o, const char *fmt, ...) FY_PRINTF(2, 3);

/*
 * A JSON event (only with --json).  fields is a json_pack()-style format
 * for an object, e.g. out_event(o, "file", "{sssI}", "path", p, "size", n),
 * or NULL for no fields: "{", pairs of a key "s" and a value s (string),
 * s? (NULL: null), s* (NULL: the pair left out), i (int), I (long long),
 * f (double), b (bool), "}".  "event", "v", "command" and "bundle" are
 * added first (a field must not repeat them).  A negative number is
 * unknown and goes out as null; a string that is not UTF-8 (a hostile
 * archive entry, argv) goes out escaped as out_escape() does.  A second "start"
 * of the same run (or part) is dropped: a command that runs several engines
 * (save, restore, down) says its own "start" before theirs.
 */
void out_event(struct out *o, const char *event, const char *fields, ...);

/* Render progress now if enough time has passed (force: always). */
void out_progress(struct out *o, const struct out_progress *p, bool force);
/* End a redrawn TTY line, so the next message starts on a fresh line. */
void out_progress_end(struct out *o);

/* Print the one error line "ferry: <msg>" (and an "error" event). */
void out_error(struct out *o, const struct fy_err *err);
/*
 * Flush and close stdout; a failure turns rc 0 into 1 with a message, or,
 * when the reader of stdout went away, into FY_EPIPE (141) without one.
 * Returns the code.
 */
int out_finish(struct out *o, int rc);
/*
 * After printing data rows to stdout: FY_OK while stdout takes them;
 * once a write failed, FY_EPIPE if its reader went away (fy_fail_pipe():
 * quiet, and every loop stops) or FY_ERUNTIME "stdout: <why>".  Call it
 * right after the write, so errno still tells why.
 */
enum fy_rc out_stdout_check(struct fy_err *err);

/*
 * Pure formatting helpers (unit-tested).  Each writes a NUL-terminated
 * string into buf and returns buf.
 * out_fmt_size: 1023 B, 1.0 KiB, 12.3 MiB, 1.00 GiB
 * out_fmt_eta:  0:05, 12:34, 1:02:03, "--:--" for < 0, "99+ days" beyond
 */
char *out_fmt_size(char *buf, size_t len, int64_t bytes);
char *out_fmt_eta(char *buf, size_t len, double seconds);
/*
 * A copy of s with control characters, backslash and invalid UTF-8 written
 * as \xNN, so a hostile name cannot move the cursor or forge lines.
 * Caller frees.
 */
char *out_escape(const char *s);

/*
 * Several progress lines at once, one per part of a run, each part
 * drawing from its own thread through its own struct out (o->board,
 * o->slot, o->label set after out_init): on a TTY the n lines are
 * redrawn in place, and a message from any part is printed above them.
 * Other modes draw as usual, with the label in front.  Free the board
 * after the last part has ended: the lines stay on the screen.
 */
struct out_board *out_board_new(size_t n);
void out_board_free(struct out_board *b);

#ifdef __cplusplus
}
#endif

#endif
