/*
 * err.h - exit codes and error recording.
 *
 * Every function that can fail returns an enum fy_rc and, on failure, records
 * one message in a struct fy_err passed down by its caller.  The deepest layer
 * that knows *why* records it; the first error recorded wins, so outer layers
 * may call fy_fail() again without hiding the real cause.  Nothing below
 * main.c prints an error: main prints "ferry: <msg>" once and returns rc.
 *
 * The message has the form "<what>: <why>": lower case, no "ferry:" prefix,
 * no trailing newline or full stop.
 *
 *     struct fy_err err = FY_ERR_INIT;      (a command uses ctx->err)
 *     if (fs_mkdir_p(dir, 0755, &err) != FY_OK)
 *         return err.rc;                    (or add context: fy_fail() again)
 *
 * Ownership: the caller owns the struct fy_err; nothing here allocates.
 * The message is formatted into err->msg when it is recorded (arguments
 * may be freed right after), cut at FY_ERR_MSG_MAX - 1 bytes, and any
 * newline in it becomes a space.  A struct fy_err has no lock: a worker
 * thread records into its own, or into a shared one under its owner's
 * mutex.  The interrupt flag below is one per process, set by a signal
 * handler or by any thread (a closed pipe).
 */
#ifndef FERRY_ERR_H
#define FERRY_ERR_H

#include <stdbool.h>
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__)
#define FY_PRINTF(fmt, args) __attribute__((format(printf, fmt, args)))
#else
#define FY_PRINTF(fmt, args)
#endif

/* SPEC: exit codes.  The numeric value is the process exit status. */
enum fy_rc {
    FY_OK = 0,
    FY_ERUNTIME = 1, /* I/O, network, remote refused */
    FY_EUSAGE = 2,   /* unknown flag, missing argument */
    FY_EINPUT = 3,   /* malformed magnet, torrent, archive, URL, manifest */
    FY_EREFUSED = 4, /* hash mismatch, unsafe entry, target exists */
    FY_ETIMEOUT = 5, /* --timeout / --stall-timeout reached */
    FY_EINTR = 130,  /* SIGINT / SIGTERM; state saved */
    FY_EPIPE = 141   /* the reader of our output pipe went away: quiet */
};

#define FY_ERR_MSG_MAX 1024

struct fy_err {
    enum fy_rc rc;
    char msg[FY_ERR_MSG_MAX];
};

#define FY_ERR_INIT                                                            \
    {                                                                          \
        FY_OK,                                                                 \
        {                                                                      \
            0                                                                  \
        }                                                                      \
    }

/*
 * Record an error (if none is recorded yet) and return the recorded code:
 * rc, or the earlier error's when one was there first (the first wins).
 * Callers write `return fy_fail(err, FY_EINPUT, "%s: bad magnet", s);`.
 * err may be NULL (nothing recorded, rc returned).
 */
enum fy_rc fy_fail(struct fy_err *err, enum fy_rc rc, const char *fmt, ...)
    FY_PRINTF(3, 4);

/* As fy_fail(), appending ": strerror(errno)" (errno read on entry). */
enum fy_rc
fy_fail_errno(struct fy_err *err, enum fy_rc rc, const char *fmt, ...)
    FY_PRINTF(3, 4);

/* Forget any recorded error. */
void fy_err_clear(struct fy_err *err);

/*
 * SPEC: a reader that closes ferry's stdout ends ferry quietly, as for any
 * Unix filter.  ferry ignores SIGPIPE, so a write to a pipe (stdout, or a
 * FIFO given as an output) whose reader is gone fails with EPIPE instead;
 * the writer then calls fy_fail_pipe(), which records FY_EPIPE ("what:
 * reader went away", never printed) and raises the interrupt flag as if
 * SIGPIPE had arrived, so every loop stops and cleans up as on Ctrl-C.
 * main then exits FY_EPIPE (141 = 128 + SIGPIPE, what a shell shows for a
 * filter SIGPIPE ended) without a message.  fy_pipe_closed() says whether
 * that happened.
 */
enum fy_rc fy_fail_pipe(struct fy_err *err, const char *what);
void fy_note_pipe_closed(void);
bool fy_pipe_closed(void);

/*
 * Signals.  fy_signals_install() makes SIGINT/SIGTERM set a flag (and ignores
 * SIGPIPE and SIGXFSZ: a write error is then EPIPE or EFBIG); long loops
 * poll fy_interrupted() and return FY_EINTR.  A closed output pipe sets the
 * same flag (fy_fail_pipe()).
 */
void fy_signals_install(void);
bool fy_interrupted(void);
/* Which signal arrived (0 if none). */
int fy_interrupt_signal(void);
/* Sleep secs (in steps of 0.1 s), waking early on SIGINT/SIGTERM. */
void fy_nap(double secs);

#ifdef __cplusplus
}
#endif

#endif
