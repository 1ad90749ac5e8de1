/*
 * torrent_disk_mem.cpp - pooled block buffers for the disk back end (see
 * torrent_disk_mem.hpp).
 */
#include "torrent_disk_mem.hpp"

#include <cstdlib>
#include <cstring>

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

} // namespace ferry
