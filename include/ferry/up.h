/*
 * up.h - the engine of `ferry up` (src/session_up.c): every bundle of a
 * manifest fetched in one libtorrent session, concurrently, while the
 * workspace is restored from its remote; then a summary table.
 *
 *     struct up_opts o;
 *     up_opts_init(&o);                  then the command line's values
 *     rc = up_run(&s, &o, out, err);     s from session_load()
 *     up_opts_release(&o);
 *
 * Each part runs in its own thread with its own struct out (its name in
 * front of its lines; on a TTY one progress line each) and its own error;
 * up_run() waits for all of them and returns the worst code, recording
 * the worst part's error ("bundle NAME: ..." or "workspace: ...").
 *
 * Bundles: fetch_run() (fetch.h) with a view of the shared session, so
 * resume data, verification and path checks are fetch's: a bundle that is
 * complete from an earlier run is verified from its resume data and not
 * downloaded again.  seed-time: the bundle seeds for that long after it
 * is complete while the other parts go on; up returns when every part is
 * done (o->no_seed: no seeding).
 *
 * Workspace: restore_run() (save.h) of the save up_restore_url() picks
 * into ws.path.  No save yet ("no such object") is not an error: ws.path
 * is made empty and up says so.  A ws.path that exists and is not empty
 * is kept as it is (a rerun of up never overwrites work) unless o->force,
 * which replaces it once the restored tree is complete.
 */
#ifndef FERRY_UP_H
#define FERRY_UP_H

#include <stdbool.h>

#include "ferry/err.h"
#include "ferry/fetch.h"
#include "ferry/remote.h"

struct out;
struct session;

struct up_opts {
    bool no_bundles, no_workspace;
    bool no_seed; /* ignore seed-time */
    bool force;   /* replace a non-empty workspace with the save */
    int save;     /* --save N: the Nth earlier save, 0 the newest */
    /* the network, for every bundle: listen, dht, lsd, upnp, limits,
     * peers, trackers, web seeds, timeouts (source, dir, select and
     * seed_time are per bundle) */
    struct fetch_opts net;
    struct remote_opts remote;
};

void up_opts_init(struct up_opts *o);
void up_opts_release(struct up_opts *o);

enum fy_rc up_run(const struct session *s,
                  const struct up_opts *o,
                  struct out *out,
                  struct fy_err *err);

/*
 * The URL of the save to restore: save 0 is the newest, as down's
 * retention keeps them (session_pick, session.h); ws.remote itself when
 * nothing was saved yet.  Caller frees *url.
 */
enum fy_rc up_restore_url(const struct session *s,
                          int n,
                          const struct remote_opts *o,
                          char **url,
                          struct fy_err *err);

#endif
