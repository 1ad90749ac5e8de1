/*
 * torrent_origin.hpp - the "send once" plugin of a fleet's origin (ferry
 * seed --send-once), see torrent_origin.cpp.  Internal to the C++ files
 * behind include/ferry/torrent.h.
 */
#ifndef FERRY_TORRENT_ORIGIN_HPP
#define FERRY_TORRENT_ORIGIN_HPP

#include <atomic>
#include <cstdint>
#include <memory>

#include <libtorrent/extensions.hpp>

namespace ferry {

/* What the plugin did, read by tor_get_status() from another thread. */
struct origin_count {
    std::atomic<std::int64_t> held_back{0}; /* requests answered with REJECT */
};

/* A torrent plugin for an origin that holds every piece. */
std::shared_ptr<libtorrent::torrent_plugin>
origin_plugin(std::shared_ptr<origin_count> c, int num_pieces);

} // namespace ferry

#endif
