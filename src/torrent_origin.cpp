/*
 * torrent_origin.cpp - "send once": a libtorrent plugin for the origin of
 * a fleet (ferry seed --send-once).
 *
 * When many VMs fetch one bundle from one origin, the origin's upload is
 * the bottleneck, and every piece it sends twice is time lost: the VMs
 * can trade what one of them has.  Plain seeding serves every request, so
 * two VMs that pick the same rare piece both get it from the origin (the
 * issue measured 2 payloads sent for 8 VMs).  This plugin answers a
 * request for a piece with REJECT (BEP 6, so only to peers that speak the
 * fast extension) while another peer is getting that piece from the
 * origin or already has it; the requester then takes it from that peer,
 * or asks the origin for another piece.
 *
 * What it keeps true: a peer is never refused for long.  A piece counts as
 * taken only while the peer that got it is connected and either says it
 * has it or got its first block less than FRESH ago; a peer turned away
 * for a piece is served when it asks again GRACE after the first refusal.
 * So a fleet whose peers cannot trade (choked, gone, not speaking the
 * fast extension) falls back to plain seeding, a few seconds later.
 * Libtorrent's own BEP 16 super seeding (--super-seed) also sends every
 * piece about once, but in 2.0.8 a new peer waits 10 s for its first
 * piece, and one that has all it was shown waits 10 s for the next.
 *
 * Threads: libtorrent calls the plugin on its network thread only; the
 * counter the C side reads is atomic.  Memory: a few bytes per piece for
 * the torrent and per peer.
 */
#include "torrent_origin.hpp"

#include <chrono>
#include <cstring>
#include <unordered_map>
#include <vector>

#include <libtorrent/bitfield.hpp>
#include <libtorrent/peer_connection_handle.hpp>
#include <libtorrent/peer_request.hpp>

namespace lt = libtorrent;

namespace ferry {

namespace {

using clock_type = std::chrono::steady_clock;
constexpr auto FRESH = std::chrono::seconds(8); /* a taker may be slow */
constexpr auto GRACE = std::chrono::seconds(8); /* most a peer is refused */
constexpr char MSG_REJECT = 16;                 /* BEP 6 reject request */

/* The torrent's side: who took each piece from the origin, who has it. */
struct origin_state {
    explicit origin_state(int n)
        : taken_by(static_cast<size_t>(n), nullptr),
          taken_at(static_cast<size_t>(n)), held(static_cast<size_t>(n), 0)
    {
    }
    std::vector<const void *> taken_by; /* peer plugin, compared only */
    std::vector<clock_type::time_point> taken_at;
    std::vector<int> held; /* connected peers that say they have it */
};

class origin_peer final : public lt::peer_plugin {
  public:
    origin_peer(std::shared_ptr<origin_state> st,
                std::shared_ptr<origin_count> c,
                lt::peer_connection_handle pc)
        : st_(std::move(st)), count_(std::move(c)), pc_(std::move(pc)),
          has_(st_->held.size(), false)
    {
    }
    ~origin_peer() override
    {
        release();
    }
    bool
    on_handshake(lt::span<char const> reserved) override
    {
        fast_ = reserved.size() >= 8 && (reserved[7] & 0x04) != 0;
        return true;
    }
    bool
    on_bitfield(lt::bitfield const &bf) override
    {
        int n = static_cast<int>(has_.size());
        for (int i = 0; i < n && i < bf.size(); i++)
            if (bf.get_bit(i))
                set(i, true);
        return false;
    }
    bool
    on_have_all() override
    {
        for (size_t i = 0; i < has_.size(); i++)
            set(static_cast<int>(i), true);
        return false;
    }
    bool
    on_have(lt::piece_index_t p) override
    {
        set(static_cast<int>(p), true);
        return false;
    }
    bool
    on_dont_have(lt::piece_index_t p) override
    {
        set(static_cast<int>(p), false);
        return false;
    }
    void
    on_disconnect(lt::error_code const &) override
    {
        release();
    }
    bool
    on_request(lt::peer_request const &r) override
    {
        int p = static_cast<int>(r.piece);
        if (!fast_ || p < 0 || p >= static_cast<int>(has_.size()))
            return false; /* no REJECT to say no with: serve it */
        size_t i = static_cast<size_t>(p);
        origin_state &st = *st_;
        auto now = clock_type::now();
        if (st.taken_by[i] == this)
            return false; /* the next block of a piece it is getting */
        bool taken = st.taken_by[i] != nullptr &&
                     (st.held[i] > 0 || now - st.taken_at[i] < FRESH);
        auto it = refused_.find(p);
        if (taken && (it == refused_.end() || now - it->second < GRACE)) {
            if (it == refused_.end())
                refused_.emplace(p, now);
            reject(r);
            return true;
        }
        st.taken_by[i] = this;
        st.taken_at[i] = now;
        if (it != refused_.end())
            refused_.erase(it);
        return false;
    }

  private:
    void
    set(int p, bool on)
    {
        if (p < 0 || p >= static_cast<int>(has_.size()))
            return;
        size_t i = static_cast<size_t>(p);
        if (has_[i] == on)
            return;
        has_[i] = on;
        st_->held[i] += on ? 1 : -1;
    }
    /* Gone: what it had is no longer in the fleet, what it took is free. */
    void
    release()
    {
        if (released_)
            return;
        released_ = true;
        origin_state &st = *st_;
        for (size_t i = 0; i < has_.size(); i++) {
            if (has_[i])
                st.held[i]--;
            if (st.taken_by[i] == this)
                st.taken_by[i] = nullptr;
        }
    }
    void
    reject(lt::peer_request const &r)
    {
        char msg[17];
        put32(msg, 13);
        msg[4] = MSG_REJECT;
        put32(msg + 5, static_cast<std::uint32_t>(static_cast<int>(r.piece)));
        put32(msg + 9, static_cast<std::uint32_t>(r.start));
        put32(msg + 13, static_cast<std::uint32_t>(r.length));
        pc_.send_buffer(msg, sizeof msg);
        count_->held_back.fetch_add(1, std::memory_order_relaxed);
    }
    static void
    put32(char *p, std::uint32_t v)
    {
        p[0] = static_cast<char>(v >> 24);
        p[1] = static_cast<char>(v >> 16);
        p[2] = static_cast<char>(v >> 8);
        p[3] = static_cast<char>(v);
    }
    std::shared_ptr<origin_state> st_;
    std::shared_ptr<origin_count> count_;
    lt::peer_connection_handle pc_;
    std::vector<bool> has_;
    std::unordered_map<int, clock_type::time_point> refused_;
    bool fast_ = false, released_ = false;
};

class origin_torrent final : public lt::torrent_plugin {
  public:
    origin_torrent(std::shared_ptr<origin_count> c, int n)
        : st_(std::make_shared<origin_state>(n)), count_(std::move(c))
    {
    }
    std::shared_ptr<lt::peer_plugin>
    new_connection(lt::peer_connection_handle const &pc) override
    {
        if (pc.type() != lt::connection_type::bittorrent)
            return nullptr;
        return std::make_shared<origin_peer>(st_, count_, pc);
    }

  private:
    std::shared_ptr<origin_state> st_;
    std::shared_ptr<origin_count> count_;
};

} // namespace

std::shared_ptr<lt::torrent_plugin>
origin_plugin(std::shared_ptr<origin_count> c, int num_pieces)
{
    return std::make_shared<origin_torrent>(std::move(c), num_pieces);
}

} // namespace ferry
