/*
 * torrent_sources.cpp - a libtorrent plugin that counts the peers a
 * torrent's data came from; see torrent_sources.hpp.
 */
#include "torrent_sources.hpp"

#include <libtorrent/peer_connection_handle.hpp>

namespace lt = libtorrent;

namespace ferry {

namespace {

/* One connection: counted from its first block of data until it closes. */
class source_peer final : public lt::peer_plugin {
  public:
    source_peer(std::shared_ptr<source_count> c, lt::peer_connection_handle pc)
        : count_(std::move(c)), pc_(std::move(pc))
    {
    }
    ~source_peer() override
    {
        release();
    }
    bool
    on_piece(lt::peer_request const &, lt::span<char const>) override
    {
        if (counted_)
            return false;
        counted_ = true;
        seed_ = pc_.is_seed();
        source_count &c = *count_;
        c.now++;
        c.seeds_now += seed_ ? 1 : 0;
        if (c.now > c.max.load(std::memory_order_relaxed))
            c.max.store(c.now, std::memory_order_relaxed);
        if (c.seeds_now > c.seeds_max.load(std::memory_order_relaxed))
            c.seeds_max.store(c.seeds_now, std::memory_order_relaxed);
        return false;
    }
    void
    on_disconnect(lt::error_code const &) override
    {
        release();
    }

  private:
    void
    release()
    {
        if (!counted_)
            return;
        counted_ = false;
        count_->now--;
        count_->seeds_now -= seed_ ? 1 : 0;
    }
    std::shared_ptr<source_count> count_;
    lt::peer_connection_handle pc_;
    bool counted_ = false, seed_ = false;
};

class source_counter final : public lt::torrent_plugin {
  public:
    explicit source_counter(std::shared_ptr<source_count> c)
        : count_(std::move(c))
    {
    }
    std::shared_ptr<lt::peer_plugin>
    new_connection(lt::peer_connection_handle const &pc) override
    {
        return std::make_shared<source_peer>(count_, pc);
    }

  private:
    std::shared_ptr<source_count> count_;
};

} // namespace

std::shared_ptr<lt::torrent_plugin>
source_plugin(std::shared_ptr<source_count> c)
{
    return std::make_shared<source_counter>(std::move(c));
}

} // namespace ferry
