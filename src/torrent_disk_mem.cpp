/*
 * torrent_disk_mem.cpp - pooled block buffers and write-fed piece hashes
 * for the disk back end (see torrent_disk_mem.hpp).
 */
#include "torrent_disk_mem.hpp"

#include <cstdlib>
#include <cstring>

namespace lt = libtorrent;

namespace ferry {

block_pool::~block_pool()
{
    for (char *raw : free_)
        std::free(raw);
}

char *
block_pool::get(std::size_t n)
{
    char *raw = nullptr;
    if (n == DISK_BLOCK) {
        std::lock_guard<std::mutex> l(mu_);
        if (!free_.empty()) {
            raw = free_.back();
            free_.pop_back();
        }
    }
    if (raw == nullptr) {
        raw = static_cast<char *>(std::malloc(HDR + n));
        if (raw == nullptr)
            return nullptr;
        std::memcpy(raw, &n, sizeof n);
    }
    return raw + HDR;
}

void
block_pool::put(char *b)
{
    if (b == nullptr)
        return;
    char *raw = b - HDR;
    std::size_t n;
    std::memcpy(&n, raw, sizeof n);
    if (n == DISK_BLOCK) {
        std::lock_guard<std::mutex> l(mu_);
        if (free_.size() < keep_) {
            free_.push_back(raw);
            return;
        }
    }
    std::free(raw);
}

void
piece_hashes::feed(std::uint32_t storage,
                   int piece,
                   int start,
                   char const *data,
                   int len,
                   bool written)
{
    auto it = map_.find(key(storage, piece));
    if (it == map_.end()) {
        if (!written || start != 0 || map_.size() >= max_)
            return;
        it = map_.emplace(key(storage, piece), entry()).first;
    }
    entry &e = it->second;
    if (e.spoiled)
        return;
    if (!written || start != e.next || len <= 0) {
        e.spoiled = true;
        return;
    }
    e.h.update(data, len);
    e.next += len;
}

bool
piece_hashes::take(std::uint32_t storage,
                   int piece,
                   int size,
                   lt::sha1_hash &out)
{
    auto it = map_.find(key(storage, piece));
    if (it == map_.end())
        return false;
    bool ok = !it->second.spoiled && it->second.next == size;
    if (ok)
        out = it->second.h.final();
    map_.erase(it);
    return ok;
}

void
piece_hashes::forget(std::uint32_t storage, int piece)
{
    map_.erase(key(storage, piece));
}

void
piece_hashes::forget_all(std::uint32_t storage)
{
    for (auto it = map_.begin(); it != map_.end();)
        if (it->first >> 32 == storage)
            it = map_.erase(it);
        else
            ++it;
}

} // namespace ferry
