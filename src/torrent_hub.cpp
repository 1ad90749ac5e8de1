/*
 * torrent_hub.cpp - libtorrent's alerts turned into C events (tor_poll),
 * for a plain session and for the views of a shared one (ferry up: one
 * libtorrent session, several torrents; tor_session_shared() and
 * tor_session_view() are in torrent.cpp).  See torrent_int.hpp for how
 * the alerts reach the view whose torrent they are about.
 *
 * Invariants: every export is noexcept; the hub's mutex guards the views'
 * queues, the list of views and pop_alerts(); no libtorrent call that
 * waits on the network thread is made under it except add_torrent (so no
 * alert of a new torrent is popped before its view knows its handle).
 */
#include "ferry/torrent.h"

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>

#include <libtorrent/alert_types.hpp>
#include <libtorrent/write_resume_data.hpp>

#include "torrent_int.hpp"

#pragma GCC diagnostic push /* out_progress() is also a struct in C */
#pragma GCC diagnostic ignored "-Wshadow"
#include "ferry/out.h"
#pragma GCC diagnostic pop

namespace lt = libtorrent;
using ferry::copy_esc;

namespace {

constexpr int HUB_SLEEP_MS = 10;

void
push(tor_session *s, tor_event const &ev)
{
    s->queue.push_back(ev);
}

/* The errno behind a libtorrent error, 0 if it is not a system error. */
int
errno_of(lt::error_code const &ec)
{
    if (ec.category() == lt::system_category() ||
        ec.category() == lt::generic_category())
        return ec.value();
    return 0;
}

tor_event
make_event(tor_event_type t)
{
    tor_event ev;
    std::memset(&ev, 0, sizeof ev);
    ev.type = t;
    ev.piece = -1;
    return ev;
}

void
translate(tor_session *s, lt::alert *a)
{
    if (auto *m = lt::alert_cast<lt::metadata_received_alert>(a)) {
        (void)m;
        push(s, make_event(TOR_EV_METADATA));
    } else if (lt::alert_cast<lt::torrent_checked_alert>(a)) {
        push(s, make_event(TOR_EV_CHECKED));
    } else if (lt::alert_cast<lt::torrent_finished_alert>(a)) {
        push(s, make_event(TOR_EV_FINISHED));
    } else if (auto *hf = lt::alert_cast<lt::hash_failed_alert>(a)) {
        tor_event ev = make_event(TOR_EV_HASH_FAILED);
        ev.piece = static_cast<int>(hf->piece_index);
        push(s, ev);
    } else if (auto *pb = lt::alert_cast<lt::peer_ban_alert>(a)) {
        tor_event ev = make_event(TOR_EV_PEER_BANNED);
        copy_esc(ev.where, sizeof ev.where,
                 pb->endpoint.address().to_string() + ":" +
                     std::to_string(pb->endpoint.port()));
        push(s, ev);
    } else if (auto *te = lt::alert_cast<lt::tracker_error_alert>(a)) {
        tor_event ev = make_event(TOR_EV_TRACKER_ERROR);
        copy_esc(ev.where, sizeof ev.where, te->tracker_url());
        std::string why = te->error.message();
        if (te->failure_reason() && *te->failure_reason())
            why = te->failure_reason();
        copy_esc(ev.msg, sizeof ev.msg, why);
        push(s, ev);
    } else if (auto *tr = lt::alert_cast<lt::tracker_reply_alert>(a)) {
        tor_event ev = make_event(TOR_EV_TRACKER_REPLY);
        copy_esc(ev.where, sizeof ev.where, tr->tracker_url());
        ev.count = tr->num_peers;
        push(s, ev);
    } else if (auto *fe = lt::alert_cast<lt::file_error_alert>(a)) {
        tor_event ev = make_event(TOR_EV_FILE_ERROR);
        copy_esc(ev.where, sizeof ev.where, fe->filename());
        copy_esc(ev.msg, sizeof ev.msg, fe->error.message());
        ev.code = errno_of(fe->error);
        push(s, ev);
    } else if (auto *ter = lt::alert_cast<lt::torrent_error_alert>(a)) {
        tor_event ev = make_event(TOR_EV_TORRENT_ERROR);
        copy_esc(ev.where, sizeof ev.where, ter->filename());
        copy_esc(ev.msg, sizeof ev.msg, ter->error.message());
        ev.code = errno_of(ter->error);
        push(s, ev);
    } else if (auto *lf = lt::alert_cast<lt::listen_failed_alert>(a)) {
        tor_event ev = make_event(TOR_EV_LISTEN_FAILED);
        copy_esc(ev.where, sizeof ev.where,
                 lf->address.to_string() + ":" + std::to_string(lf->port));
        copy_esc(ev.msg, sizeof ev.msg, lf->error.message());
        push(s, ev);
    } else if (auto *ls = lt::alert_cast<lt::listen_succeeded_alert>(a)) {
        if (ls->socket_type != lt::socket_type_t::tcp)
            return;
        tor_event ev = make_event(TOR_EV_LISTEN_OK);
        copy_esc(ev.where, sizeof ev.where, ls->address.to_string());
        ev.count = ls->port;
        if (s->listen_port == 0)
            s->listen_port = ls->port;
        push(s, ev);
    } else if (auto *rd = lt::alert_cast<lt::save_resume_data_alert>(a)) {
        tor_event ev = make_event(TOR_EV_RESUME_DATA);
        s->datas.push_back(lt::write_resume_data_buf(rd->params));
        ev.len = s->datas.back().size();
        push(s, ev);
    } else if (auto *rf =
                   lt::alert_cast<lt::save_resume_data_failed_alert>(a)) {
        tor_event ev = make_event(TOR_EV_RESUME_FAILED);
        copy_esc(ev.msg, sizeof ev.msg, rf->error.message());
        push(s, ev);
    } else if (lt::alert_cast<lt::cache_flushed_alert>(a)) {
        push(s, make_event(TOR_EV_FLUSHED));
    } else if (auto *ad = lt::alert_cast<lt::alerts_dropped_alert>(a)) {
        (void)ad;
        push(s, make_event(TOR_EV_ALERTS_DROPPED));
    }
}

void
drain(tor_session *s, int timeout_ms)
{
    if (timeout_ms > 0 &&
        !s->ses->wait_for_alert(std::chrono::milliseconds(timeout_ms)))
        return;
    std::vector<lt::alert *> alerts;
    s->ses->pop_alerts(&alerts);
    for (lt::alert *a : alerts)
        translate(s, a);
}

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
            translate(to, a);
    }
}

} // namespace

/* Text from peers, trackers or the disk: control bytes escaped (out.h). */
void
ferry::copy_esc(char *dst, size_t n, const std::string &s)
{
    char *e = out_escape(s.c_str());
    std::snprintf(dst, n, "%s", e);
    std::free(e);
}

static bool
hub_poll(tor_session *s, int timeout_ms, tor_event *ev)
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

bool
tor_poll(struct tor_session *s, int timeout_ms, struct tor_event *ev) noexcept
{
    if (s->hub)
        return hub_poll(s, timeout_ms, ev);
    try {
        s->held.clear();
        if (s->queue.empty())
            drain(s, 0);
        if (s->queue.empty() && timeout_ms > 0)
            drain(s, timeout_ms);
        if (s->queue.empty())
            return false;
        *ev = s->queue.front();
        s->queue.pop_front();
        if (ev->type == TOR_EV_RESUME_DATA) {
            s->held = std::move(s->datas.front());
            s->datas.pop_front();
            ev->data = s->held.data();
            ev->len = s->held.size();
        }
        return true;
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
