/*
 * torrent_disk_mem.hpp - the memory side of ferry's disk back end
 * (torrent_disk.cpp): pooled block buffers, and piece hashes fed as the
 * blocks are written.  Internal to the C++ files.
 */
#ifndef FERRY_TORRENT_DISK_MEM_HPP
#define FERRY_TORRENT_DISK_MEM_HPP

#include <cstddef>
#include <cstdint>
#include <mutex>
#include <unordered_map>
#include <vector>

#include <libtorrent/hasher.hpp>
#include <libtorrent/sha1_hash.hpp>

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

/*
 * SHA-1s of pieces fed with their blocks as they are written, so that a
 * piece need not be read back to be checked.  Not thread-safe: one per
 * worker, whose jobs are all of a piece's jobs.
 *
 * A piece is tracked from a write at its offset 0 on (at most `max`
 * pieces at a time); each later write must start where the fed bytes end
 * and have been written without error, otherwise the piece is spoiled.
 * take() gives the hash only if exactly the piece's `size` bytes were fed
 * and nothing spoiled it: then the hash is that of what the writes left in
 * the file, whatever was written before the tracking began (every byte was
 * written again since).  A piece is forgotten when taken.
 */
class piece_hashes {
  public:
    explicit piece_hashes(std::size_t max) : max_(max) {}

    void feed(std::uint32_t storage,
              int piece,
              int start,
              char const *data,
              int len,
              bool written);
    bool take(std::uint32_t storage,
              int piece,
              int size,
              libtorrent::sha1_hash &out);
    void forget(std::uint32_t storage, int piece);
    void forget_all(std::uint32_t storage);

  private:
    struct entry {
        libtorrent::hasher h;
        int next = 0;         /* bytes fed, from the piece's start */
        bool spoiled = false; /* a write out of order or failed */
    };
    static std::uint64_t
    key(std::uint32_t storage, int piece)
    {
        return (static_cast<std::uint64_t>(storage) << 32) |
               static_cast<std::uint32_t>(piece);
    }
    std::size_t max_;
    std::unordered_map<std::uint64_t, entry> map_;
};

} // namespace ferry

#endif
