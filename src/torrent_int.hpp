/*
 * torrent_int.hpp - struct tor_session, shared by the C++ files behind
 * include/ferry/torrent.h (torrent.cpp, torrent_hub.cpp).
 *
 * A plain session (tor_session_new) owns its lt::session and holds at
 * most one torrent.  A shared one (tor_session_shared) owns the
 * lt::session and a hub; each view (tor_session_view) holds one torrent
 * of that session, with its own event queue.  Whichever view polls first
 * pops the session's alerts and files each one in the queue of the view
 * whose torrent it is about, under the hub's mutex, so views may be
 * polled from different threads.
 */
#ifndef FERRY_TORRENT_INT_HPP
#define FERRY_TORRENT_INT_HPP

#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <libtorrent/add_torrent_params.hpp>
#include <libtorrent/alert.hpp>
#include <libtorrent/session.hpp>
#include <libtorrent/torrent_handle.hpp>

#include "ferry/torrent.h"
#include "torrent_origin.hpp"
#include "torrent_sources.hpp"
#include "torrent_webseed.hpp"

namespace ferry {
struct hub;
}

struct tor_session {
    libtorrent::session *ses = nullptr;
    std::shared_ptr<ferry::source_count> sources =
        std::make_shared<ferry::source_count>();
    libtorrent::torrent_handle h;
    std::deque<tor_event> queue;
    std::vector<char> held;              /* data of the last event handed out */
    std::deque<std::vector<char>> datas; /* data of queued events */
    int listen_port = 0;
    /* seed --send-once: the origin plugin's counter, null if not asked */
    std::shared_ptr<ferry::origin_count> origin;
    /* fetch: the web seed plugin's counters (torrent_webseed.cpp) */
    std::shared_ptr<ferry::webseed_count> webseed =
        std::make_shared<ferry::webseed_count>();
    bool metadata_only = false;
    /* tor_prepare()d, not yet tor_start()ed */
    std::unique_ptr<libtorrent::add_torrent_params> pending;
    /* shared sessions: the hub, and whether this is its owner */
    std::shared_ptr<ferry::hub> hub;
    bool hub_owner = false;
};

namespace ferry {

struct hub {
    std::mutex mu;
    std::vector<tor_session *> views;
};

/* torrent_hub.cpp: text from peers, trackers or the disk into dst, with
 * control bytes escaped (out_escape). */
void copy_esc(char *dst, size_t n, const std::string &s);

/* torrent_hub.cpp: add_torrent and the end of a view's torrent. */
libtorrent::torrent_handle hub_add(tor_session *s,
                                   libtorrent::add_torrent_params &&atp,
                                   libtorrent::error_code &ec);
void hub_leave(tor_session *s);

} // namespace ferry

#endif
