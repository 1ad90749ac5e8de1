/*
 * err.c - error recording and the interrupt flag.
 *
 * fy_fail keeps the first error recorded: the innermost layer knows why an
 * operation failed, and outer layers that add their own fy_fail() on the way
 * up must not overwrite it.  Signal handlers only set a sig_atomic_t; a
 * closed output pipe sets it too, to SIGPIPE (the signal ferry ignores).
 */
#include "ferry/err.h"

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static enum fy_rc vfail(struct fy_err *err,
                        enum fy_rc rc,
                        const char *why,
                        const char *fmt,
                        va_list ap) FY_PRINTF(4, 0);

static enum fy_rc
vfail(struct fy_err *err,
      enum fy_rc rc,
      const char *why,
      const char *fmt,
      va_list ap)
{
    if (err == NULL || err->rc != FY_OK)
        return err ? err->rc : rc;
    int n = vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    if (why != NULL && n >= 0 && (size_t)n < sizeof err->msg)
        snprintf(err->msg + n, sizeof err->msg - (size_t)n, ": %s", why);
    /* one line: never let a newline from a library message through */
    for (char *p = err->msg; *p; p++)
        if (*p == '\n' || *p == '\r')
            *p = ' ';
    err->rc = rc;
    return rc;
}

enum fy_rc
fy_fail(struct fy_err *err, enum fy_rc rc, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vfail(err, rc, NULL, fmt, ap);
    va_end(ap);
    return err ? err->rc : rc;
}

enum fy_rc
fy_fail_errno(struct fy_err *err, enum fy_rc rc, const char *fmt, ...)
{
    int e = errno;
    va_list ap;
    va_start(ap, fmt);
    vfail(err, rc, strerror(e), fmt, ap);
    va_end(ap);
    return err ? err->rc : rc;
}

void
fy_err_clear(struct fy_err *err)
{
    err->rc = FY_OK;
    err->msg[0] = '\0';
}

static volatile sig_atomic_t interrupted;

void
fy_note_pipe_closed(void)
{
    if (interrupted == 0)
        interrupted = SIGPIPE;
}

bool
fy_pipe_closed(void)
{
    return interrupted == SIGPIPE;
}

enum fy_rc
fy_fail_pipe(struct fy_err *err, const char *what)
{
    fy_note_pipe_closed();
    return fy_fail(err, FY_EPIPE, "%s: reader went away", what);
}

static void
on_signal(int sig)
{
    interrupted = sig;
}

void
fy_signals_install(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    /* a file over RLIMIT_FSIZE is an error (EFBIG), not a dead process */
    signal(SIGXFSZ, SIG_IGN);
}

bool
fy_interrupted(void)
{
    return interrupted != 0;
}

static double
monotonic(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void
fy_nap(double secs)
{
    double end = monotonic() + secs;
    while (!fy_interrupted() && monotonic() < end) {
        struct timespec ts = {0, 100 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
}

int
fy_interrupt_signal(void)
{
    return (int)interrupted;
}
