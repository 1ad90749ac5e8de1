/*
 * torrent_disk.hpp - ferry's disk back end for libtorrent (internal to the
 * two C++ files; nothing in C sees it).
 */
#ifndef FERRY_TORRENT_DISK_HPP
#define FERRY_TORRENT_DISK_HPP

#include <memory>

#include <libtorrent/disk_interface.hpp>
#include <libtorrent/io_context.hpp>
#include <libtorrent/performance_counters.hpp>
#include <libtorrent/settings_pack.hpp>

namespace ferry {

/*
 * A disk_interface for session_params::disk_io_constructor.  Wraps
 * libtorrent's posix back end and takes over the hot path: block writes,
 * piece hashing and block reads of pieces that lie wholly in wanted files
 * go to worker threads with cached file descriptors (pwrite/pread), so the
 * network thread never hashes or opens files.  Everything else (partial
 * pieces of skipped files, renamed files, v2 hashes, checking, moving,
 * deleting) is handed to the posix back end after the workers are drained.
 */
std::unique_ptr<libtorrent::disk_interface>
disk_io_constructor(libtorrent::io_context &ioc,
                    libtorrent::settings_interface const &settings,
                    libtorrent::counters &counters);

} // namespace ferry

#endif
