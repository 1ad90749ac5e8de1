/*
 * torrent_webseed.cpp - "peers first": a libtorrent plugin on the fetcher
 * that asks a web seed (BEP 19 url-list, BEP 17 http seed) only for the
 * pieces no peer can give.
 *
 * When a fleet of VMs fetches one bundle whose only origin is an HTTP
 * server (a bucket), libtorrent treats the web seed as one more peer that
 * has everything: each VM asks it for runs of pieces, and nothing tells a
 * VM that another one already has, or is already getting, those pieces.
 * The server then sends the bundle about twice for 8 or 16 VMs.  This
 * plugin sits on every connection of the torrent:
 *
 * - Before a request goes to a web seed (peer_plugin::write_request) it
 *   looks at the pieces the request spans.  When every one of them is
 *   covered - a connected peer has it (choking us or not: it or the
 *   peers it unchokes pass it on), or a ferry peer said it is getting it
 *   from the web seed (below) - the request is held: not sent, and the
 *   web seed connection is closed once what it asked before has arrived
 *   (at most DRAIN_MAX later), which gives the held blocks back to the
 *   piece picker (the bittorrent peers take them).  libtorrent connects
 *   the web seed again about a second later and picks again.
 * - A request that does go out is announced to the connected ferry peers
 *   in a small extension message (BEP 10, "ferry_webseed": claim FIRST
 *   COUNT); they count those pieces as covered for CLAIM_TTL, so two VMs
 *   seldom ask the server for the same piece at the same time.  Closing
 *   the web seed connection releases what it claimed.
 *
 * What it keeps true: every piece still comes with its hash checked, from
 * whichever source; a fetcher with no peer (or whose peers have nothing
 * it lacks) uses the web seed at full speed, as before; a hold needs the
 * peers to be delivering: once holding has gone on for GRACE while the
 * peers sent less than MIN_PEER_BYTES in the last WINDOW seconds, the web
 * seed is asked again.  Claims from a peer vanish with its connection and
 * after CLAIM_TTL.  The one session setting this relies on is set in
 * torrent.cpp: urlseed_max_request_bytes, so that a web seed request
 * spans max(1 MiB, a piece), not libtorrent's 16 MiB of pieces.
 *
 * Threads: libtorrent calls the plugin on its network thread only; the
 * counters the C side reads are atomic.  Memory: a vector of the peers,
 * and per peer at most MAX_CLAIMS claims.
 */
#include "torrent_webseed.hpp"

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <unordered_map>
#include <vector>

#include <libtorrent/bdecode.hpp>
#include <libtorrent/entry.hpp>
#include <libtorrent/error_code.hpp>
#include <libtorrent/operations.hpp>
#include <libtorrent/peer_connection_handle.hpp>
#include <libtorrent/peer_connection_interface.hpp>
#include <libtorrent/peer_request.hpp>

namespace lt = libtorrent;

namespace ferry {

namespace {

using clock_type = std::chrono::steady_clock;
constexpr auto CLAIM_TTL = std::chrono::seconds(10); /* a claim's life */
constexpr auto GRACE = std::chrono::seconds(5);      /* hold on trust */
constexpr auto DRAIN_MAX = std::chrono::seconds(5);  /* most a close waits */
constexpr int WINDOW = 5;                            /* seconds of bytes */
constexpr std::int64_t MIN_PEER_BYTES = 1 << 20;     /* in WINDOW s */
constexpr int EXT_ID = 42; /* our id for the message */
constexpr char EXT_NAME[] = "ferry_webseed";
constexpr int MAX_SPAN = 4096;              /* pieces one claim may name */
constexpr std::size_t MAX_CLAIMS = 1 << 16; /* per peer */
constexpr char MSG_EXTENDED = 20;
constexpr char OP_CLAIM = 0, OP_RELEASE = 1;

class ws_peer;

/* The torrent's side, shared by the plugins of its connections. */
struct ws_state {
    ws_state(std::shared_ptr<webseed_count> c, int plen)
        : count(std::move(c)), piece_length(plen)
    {
    }
    std::shared_ptr<webseed_count> count;
    int piece_length;                /* 0: unknown */
    bool close_at_once = false;      /* experiment: no drain before a close */
    std::vector<ws_peer *> peers;    /* bittorrent connections */
    std::int64_t bytes[WINDOW] = {}; /* payload from peers, per second */
    int slot = 0;
    bool holding = false;
    clock_type::time_point hold_since;
    /* what our web seed connections claimed: first piece, count, when */
    struct span {
        int first, n;
        clock_type::time_point at;
    };
    std::deque<span> mine;

    std::int64_t
    recent_bytes() const
    {
        std::int64_t s = 0;
        for (std::int64_t b : bytes)
            s += b;
        return s;
    }
};

void
put32(char *p, std::uint32_t v)
{
    p[0] = static_cast<char>(v >> 24);
    p[1] = static_cast<char>(v >> 16);
    p[2] = static_cast<char>(v >> 8);
    p[3] = static_cast<char>(v);
}

std::uint32_t
get32(const char *p)
{
    return static_cast<std::uint32_t>(static_cast<unsigned char>(p[0])) << 24 |
           static_cast<std::uint32_t>(static_cast<unsigned char>(p[1])) << 16 |
           static_cast<std::uint32_t>(static_cast<unsigned char>(p[2])) << 8 |
           static_cast<std::uint32_t>(static_cast<unsigned char>(p[3]));
}

/* A bittorrent connection: what the peer has, claims, the message. */
class ws_peer final : public lt::peer_plugin {
  public:
    ws_peer(std::shared_ptr<ws_state> st, lt::peer_connection_handle pc)
        : st_(std::move(st)), pc_(std::move(pc))
    {
        st_->peers.push_back(this);
    }
    ~ws_peer() override
    {
        release();
    }
    void
    add_handshake(lt::entry &e) override
    {
        e["m"][EXT_NAME] = EXT_ID;
    }
    bool
    on_extension_handshake(lt::bdecode_node const &h) override
    {
        lt::bdecode_node m = h.dict_find_dict("m");
        if (m) {
            std::int64_t id = m.dict_find_int_value(EXT_NAME, 0);
            remote_id_ = id > 0 && id < 256 ? static_cast<int>(id) : 0;
        }
        return true;
    }
    bool
    on_extended(int length, int msg, lt::span<char const> body) override
    {
        if (msg != EXT_ID)
            return false;
        if (length != 9 || body.size() < 9)
            return true; /* not ours to judge; wait for the whole message */
        char op = body[0];
        std::uint32_t first = get32(body.data() + 1);
        std::uint32_t n = get32(body.data() + 5);
        if (n == 0 || n > MAX_SPAN || first > 0x7fffffffu - n)
            return true;
        auto now = clock_type::now();
        for (std::uint32_t i = 0; i < n; i++) {
            int p = static_cast<int>(first + i);
            if (op == OP_CLAIM) {
                if (claims_.size() >= MAX_CLAIMS)
                    expire(now);
                if (claims_.size() >= MAX_CLAIMS)
                    break;
                claims_[p] = now;
            } else if (op == OP_RELEASE) {
                claims_.erase(p);
            }
        }
        if (op == OP_CLAIM)
            st_->count->claimed.fetch_add(n, std::memory_order_relaxed);
        return true;
    }
    bool
    on_piece(lt::peer_request const &r, lt::span<char const>) override
    {
        st_->bytes[st_->slot] += r.length;
        return false;
    }
    void
    on_disconnect(lt::error_code const &) override
    {
        release();
    }
    void
    tick() override
    {
        expire(clock_type::now());
    }
    /* Has this peer piece p, or is it getting it from the web seed? */
    bool
    covers(int p, clock_type::time_point now) const
    {
        if (released_ || pc_.is_connecting() || pc_.in_handshake())
            return false;
        if (pc_.has_piece(lt::piece_index_t{p}))
            return true;
        auto it = claims_.find(p);
        return it != claims_.end() && now - it->second < CLAIM_TTL;
    }
    void
    send(char op, int first, int n)
    {
        if (remote_id_ == 0 || released_ || pc_.is_disconnecting())
            return;
        char msg[15];
        put32(msg, 11);
        msg[4] = MSG_EXTENDED;
        msg[5] = static_cast<char>(remote_id_);
        msg[6] = op;
        put32(msg + 7, static_cast<std::uint32_t>(first));
        put32(msg + 11, static_cast<std::uint32_t>(n));
        pc_.send_buffer(msg, sizeof msg);
    }

  private:
    void
    expire(clock_type::time_point now)
    {
        for (auto it = claims_.begin(); it != claims_.end();)
            it = now - it->second >= CLAIM_TTL ? claims_.erase(it) : ++it;
    }
    void
    release()
    {
        if (released_)
            return;
        released_ = true;
        claims_.clear();
        auto &v = st_->peers;
        v.erase(std::remove(v.begin(), v.end(), this), v.end());
    }
    std::shared_ptr<ws_state> st_;
    lt::peer_connection_handle pc_;
    std::unordered_map<int, clock_type::time_point> claims_;
    int remote_id_ = 0;
    bool released_ = false;
};

/* A web seed connection: holds the requests peers can serve. */
class ws_web final : public lt::peer_plugin {
  public:
    ws_web(std::shared_ptr<ws_state> st, lt::peer_connection_handle pc)
        : st_(std::move(st)), pc_(std::move(pc))
    {
    }
    bool
    write_request(lt::peer_request const &r) override
    {
        ws_state &st = *st_;
        int first = static_cast<int>(r.piece);
        int last = first;
        if (st.piece_length > 0 && r.start >= 0 && r.length > 0)
            last = first + (r.start + r.length - 1) / st.piece_length;
        auto now = clock_type::now();
        if (closing_)
            return true; /* draining: nothing more goes out */
        if (hold(first, last, now)) {
            st.count->held.fetch_add(1, std::memory_order_relaxed);
            if (outstanding_ <= 0 || st.close_at_once) {
                close();
                return true;
            }
            /* what was asked before is on its way: closing now would
             * throw away what the server already sent; take it, then
             * close (tick) */
            closing_ = true;
            closing_since_ = now;
            return true;
        }
        outstanding_ += r.length;
        int n = std::min(last - first + 1, MAX_SPAN);
        for (ws_peer *p : st.peers)
            p->send(OP_CLAIM, first, n);
        st.mine.push_back({first, n, now});
        while (!st.mine.empty() && now - st.mine.front().at >= CLAIM_TTL)
            st.mine.pop_front();
        return false;
    }
    bool
    on_piece(lt::peer_request const &r, lt::span<char const>) override
    {
        outstanding_ -= r.length;
        return false;
    }
    void
    tick() override
    {
        if (closing_ && !pc_.is_disconnecting() &&
            (outstanding_ <= 0 ||
             clock_type::now() - closing_since_ >= DRAIN_MAX))
            close();
    }
    void
    on_disconnect(lt::error_code const &) override
    {
        release_claims(clock_type::now());
    }

  private:
    /* Close the connection: the held blocks go back to the picker. */
    void
    close()
    {
        release_claims(clock_type::now());
        pc_.disconnect(boost::asio::error::operation_aborted,
                       lt::operation_t::bittorrent,
                       lt::peer_connection_interface::normal);
    }
    /* Every piece of the request covered by a peer, and peers delivering? */
    bool
    hold(int first, int last, clock_type::time_point now)
    {
        ws_state &st = *st_;
        if (st.peers.empty())
            return false;
        for (int p = first; p <= last; p++) {
            bool any = false;
            for (ws_peer const *peer : st.peers)
                if (peer->covers(p, now)) {
                    any = true;
                    break;
                }
            if (!any)
                return false;
        }
        if (!st.holding) {
            st.holding = true;
            st.hold_since = now;
        }
        if (now - st.hold_since < GRACE || st.recent_bytes() >= MIN_PEER_BYTES)
            return true;
        return false; /* the peers are not delivering: use the web seed */
    }
    /* Tell the peers that what this side claimed is free again. */
    void
    release_claims(clock_type::time_point now)
    {
        ws_state &st = *st_;
        for (auto const &s : st.mine)
            if (now - s.at < CLAIM_TTL)
                for (ws_peer *p : st.peers)
                    p->send(OP_RELEASE, s.first, s.n);
        st.mine.clear();
    }
    std::shared_ptr<ws_state> st_;
    lt::peer_connection_handle pc_;
    std::int64_t outstanding_ = 0; /* bytes asked, not yet received */
    bool closing_ = false;
    clock_type::time_point closing_since_;
};

class ws_torrent final : public lt::torrent_plugin {
  public:
    ws_torrent(std::shared_ptr<webseed_count> c, int plen)
        : st_(std::make_shared<ws_state>(std::move(c), plen))
    {
        /* FERRY_WEBSEED=close: close at a hold without taking what is on
         * its way first (for benchmarks, bench/fleet.md) */
        const char *e = std::getenv("FERRY_WEBSEED");
        st_->close_at_once = e != nullptr && std::strcmp(e, "close") == 0;
    }
    std::shared_ptr<lt::peer_plugin>
    new_connection(lt::peer_connection_handle const &pc) override
    {
        switch (pc.type()) {
        case lt::connection_type::bittorrent:
            return std::make_shared<ws_peer>(st_, pc);
        case lt::connection_type::url_seed:
        case lt::connection_type::http_seed:
            return std::make_shared<ws_web>(st_, pc);
        }
        return nullptr;
    }
    void
    tick() override
    {
        ws_state &st = *st_;
        st.slot = (st.slot + 1) % WINDOW;
        st.bytes[st.slot] = 0;
        if (st.holding && clock_type::now() - st.hold_since >= 2 * GRACE &&
            st.recent_bytes() < MIN_PEER_BYTES)
            st.holding = false; /* a later hold starts a new grace */
    }

  private:
    std::shared_ptr<ws_state> st_;
};

} // namespace

std::shared_ptr<lt::torrent_plugin>
webseed_plugin(std::shared_ptr<webseed_count> c, int piece_length)
{
    return std::make_shared<ws_torrent>(std::move(c), piece_length);
}

} // namespace ferry
