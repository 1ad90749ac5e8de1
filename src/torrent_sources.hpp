/*
 * torrent_sources.hpp - counting the peers a torrent's data came from
 * (internal to the C++ files; src/torrent_sources.cpp).
 *
 * libtorrent drops a seed as soon as the data is complete, so a transfer
 * can begin and end between two status polls.  A small torrent plugin
 * counts, in libtorrent's network thread as connections come and go, the
 * connections that have sent at least one block, and the seeds among
 * them; the torrent's owner reads the highest counts at any time.
 *
 * Ownership: the counts are shared (std::shared_ptr) by the owner and the
 * plugin of each connection.  No errors: the plugin never throws.
 */
#ifndef FERRY_TORRENT_SOURCES_HPP
#define FERRY_TORRENT_SOURCES_HPP

#include <atomic>
#include <memory>

#include <libtorrent/extensions.hpp>

namespace ferry {

struct source_count {
    int now = 0, seeds_now = 0; /* network thread only */
    std::atomic<int> max{0}, seeds_max{0};
};

/* For add_torrent_params::extensions: counts into c. */
std::shared_ptr<libtorrent::torrent_plugin>
source_plugin(std::shared_ptr<source_count> c);

} // namespace ferry

#endif
