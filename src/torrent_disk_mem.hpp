/*
 * torrent_disk_mem.hpp - pooled block buffers for ferry's disk back end
 * (torrent_disk.cpp).  Internal to the C++ files.
 */
#ifndef FERRY_TORRENT_DISK_MEM_HPP
#define FERRY_TORRENT_DISK_MEM_HPP

#include <cstddef>
#include <mutex>
#include <vector>

namespace ferry {

constexpr std::size_t DISK_BLOCK = 16 * 1024; /* libtorrent's block size */

/*
 * Buffers for blocks on their way to the disk or to a peer: get(n) gives
 * n bytes (nullptr when out of memory), put() takes any buffer get() gave
 * back, from any thread.  Each buffer carries its size in a header, so
 * put() needs no length (libtorrent's free_disk_buffer() gives none).
 * Buffers of DISK_BLOCK bytes are kept on a free list (at most `keep` of
 * them) instead of going back to malloc, which, with one arena per thread
 * and buffers freed on another thread than the one that took them, gave
 * pages back to the kernel and faulted them in again all the time.
 */
class block_pool {
  public:
    explicit block_pool(std::size_t keep) : keep_(keep) {}
    block_pool(block_pool const &) = delete;
    block_pool &operator=(block_pool const &) = delete;
    ~block_pool();

    char *get(std::size_t n);
    void put(char *b);

  private:
    static constexpr std::size_t HDR = alignof(std::max_align_t);
    std::size_t keep_;
    std::mutex mu_;
    std::vector<char *> free_;
};

} // namespace ferry

#endif
