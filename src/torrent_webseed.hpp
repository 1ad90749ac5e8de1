/*
 * torrent_webseed.hpp - "peers first": the fetcher's plugin that keeps a
 * web seed (BEP 19) for the pieces no peer can give, see
 * torrent_webseed.cpp.  Internal to the C++ files behind
 * include/ferry/torrent.h.
 */
#ifndef FERRY_TORRENT_WEBSEED_HPP
#define FERRY_TORRENT_WEBSEED_HPP

#include <atomic>
#include <cstdint>
#include <memory>

#include <libtorrent/extensions.hpp>

namespace ferry {

/* What the plugin did, read from another thread. */
struct webseed_count {
    std::atomic<std::int64_t> held{0};    /* web seed requests held back */
    std::atomic<std::int64_t> claimed{0}; /* pieces peers said they fetch */
};

/*
 * A torrent plugin for every fetch (it does nothing without web seeds).
 * piece_length: the torrent's (0 when the metadata is not known yet: then
 * a web seed request is judged by its first piece).
 */
std::shared_ptr<libtorrent::torrent_plugin>
webseed_plugin(std::shared_ptr<webseed_count> c, int piece_length);

} // namespace ferry

#endif
