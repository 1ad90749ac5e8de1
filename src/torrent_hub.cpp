/*
 * torrent_hub.cpp - one libtorrent session, several torrents (ferry up):
 * tor_session_shared() makes the session, tor_session_view() one torrent
 * of it with the API of a plain session.  See torrent_int.hpp for how the
 * alerts reach the view whose torrent they are about.
 *
 * Invariants: every export is noexcept; the hub's mutex guards the views'
 * queues, the list of views and pop_alerts(); no libtorrent call that
 * waits on the network thread is made under it except add_torrent (so no
 * alert of a new torrent is popped before its view knows its handle).
 */
#include "ferry/torrent.h"

#include <chrono>
#include <thread>

#include <libtorrent/alert_types.hpp>

#include "torrent_int.hpp"

namespace lt = libtorrent;

namespace {

constexpr int HUB_SLEEP_MS = 10;

/* Pop the session's alerts and file each one; the hub's mutex is held. */
void
dispatch(tor_session *self)
{
    ferry::hub &hub = *self->hub;
    std::vector<lt::alert *> alerts;
    self->ses->pop_alerts(&alerts);
    for (lt::alert *a : alerts) {
        tor_session *to = nullptr;
        if (auto *ta = dynamic_cast<lt::torrent_alert *>(a)) {
            for (tor_session *v : hub.views)
                if (v->h.is_valid() && v->h == ta->handle)
                    to = v;
        } else if (!hub.views.empty()) {
            to = hub.views.front(); /* listen events: told once */
        }
        if (to != nullptr)
            ferry::translate_alert(to, a);
    }
}

} // namespace

bool
ferry::hub_poll(tor_session *s, int timeout_ms, tor_event *ev)
{
    try {
        auto until = std::chrono::steady_clock::now() +
                     std::chrono::milliseconds(timeout_ms);
        for (;;) {
            {
                std::lock_guard<std::mutex> g(s->hub->mu);
                s->held.clear();
                if (s->queue.empty())
                    dispatch(s);
                if (!s->queue.empty()) {
                    *ev = s->queue.front();
                    s->queue.pop_front();
                    if (ev->type == TOR_EV_RESUME_DATA) {
                        s->held = std::move(s->datas.front());
                        s->datas.pop_front();
                        ev->data = s->held.data();
                        ev->len = s->held.size();
                    }
                    return true;
                }
            }
            if (std::chrono::steady_clock::now() >= until)
                return false;
            std::this_thread::sleep_for(
                std::chrono::milliseconds(HUB_SLEEP_MS));
        }
    } catch (...) {
        return false;
    }
}

lt::torrent_handle
ferry::hub_add(tor_session *s, lt::add_torrent_params &&atp, lt::error_code &ec)
{
    std::lock_guard<std::mutex> g(s->hub->mu);
    lt::torrent_handle h = s->ses->add_torrent(std::move(atp), ec);
    s->h = h;
    return h;
}

void
ferry::hub_leave(tor_session *s)
{
    try {
        std::lock_guard<std::mutex> g(s->hub->mu);
        auto &v = s->hub->views;
        for (auto it = v.begin(); it != v.end(); ++it)
            if (*it == s) {
                v.erase(it);
                break;
            }
        if (s->h.is_valid())
            s->ses->remove_torrent(s->h);
    } catch (...) {
    }
}

struct tor_session *
tor_session_shared(const struct tor_options *o, struct fy_err *err) noexcept
{
    struct tor_session *s = tor_session_new(o, err);
    if (s == nullptr)
        return nullptr;
    try {
        s->hub = std::make_shared<ferry::hub>();
        s->hub_owner = true;
        return s;
    } catch (...) {
        tor_session_free(s);
        fy_fail(err, FY_ERUNTIME, "bittorrent session: out of memory");
        return nullptr;
    }
}

struct tor_session *
tor_session_view(struct tor_session *owner, struct fy_err *err) noexcept
{
    try {
        if (!owner->hub_owner) {
            fy_fail(err, FY_ERUNTIME, "bittorrent session: not shared");
            return nullptr;
        }
        auto *v = new tor_session;
        v->ses = owner->ses;
        v->hub = owner->hub;
        std::lock_guard<std::mutex> g(owner->hub->mu);
        owner->hub->views.push_back(v);
        return v;
    } catch (...) {
        fy_fail(err, FY_ERUNTIME, "bittorrent session: out of memory");
        return nullptr;
    }
}
