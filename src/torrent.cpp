/*
 * torrent.cpp - libtorrent-rasterbar 2.0 behind the plain C API of
 * include/ferry/torrent.h.  The only C++ in ferry.
 *
 * Invariants: every exported function is noexcept and catches everything;
 * errors are reported through struct fy_err with libtorrent's message.
 * A session holds at most one torrent, unless it is shared
 * (torrent_hub.cpp: one torrent per view).  Alerts are turned into C events
 * in a queue drained by tor_poll(); data an event points at lives until
 * the next tor_poll() call.
 *
 * Tuning (see doc/PERFORMANCE.md): outgoing uTP is off (peers
 * that speak only TCP made every first connection wait for a uTP timeout),
 * many connections per IP are allowed (all peers of a LAN or a loopback
 * swarm share one), 250 requests per peer are kept in flight (4 MiB: as
 * fast on loopback as 500, and peak RSS with 3 seeders 39-47 MiB instead
 * of 45-67), torrents are not auto-managed, and tracker goodbyes are
 * waited for at most 1 s.
 */
#include "ferry/torrent.h"

#include <netdb.h>
#include <sys/socket.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <memory>
#include <deque>
#include <sstream>
#include <string>
#include <vector>

#include <libtorrent/add_torrent_params.hpp>
#include <libtorrent/alert_types.hpp>
#include <libtorrent/bencode.hpp>
#include <libtorrent/create_torrent.hpp>
#include <libtorrent/disabled_disk_io.hpp>
#include <libtorrent/ip_filter.hpp>
#include <libtorrent/load_torrent.hpp>
#include <libtorrent/magnet_uri.hpp>
#include <libtorrent/mmap_disk_io.hpp>
#include <libtorrent/posix_disk_io.hpp>
#include <libtorrent/read_resume_data.hpp>
#include <libtorrent/session.hpp>
#include <libtorrent/session_params.hpp>
#include <libtorrent/torrent_handle.hpp>
#include <libtorrent/torrent_info.hpp>
#include <libtorrent/torrent_status.hpp>
#include <libtorrent/write_resume_data.hpp>

#pragma GCC diagnostic push /* out_progress() is also a struct in C */
#pragma GCC diagnostic ignored "-Wshadow"
#include "ferry/out.h"
#pragma GCC diagnostic pop
#include "ferry/xalloc.h"
#include "torrent_disk.hpp"
#include "torrent_int.hpp"
#include "torrent_sources.hpp"

namespace lt = libtorrent;

namespace {

void
copy_str(char *dst, size_t n, const std::string &s)
{
    std::snprintf(dst, n, "%s", s.c_str());
}

using ferry::copy_esc;

enum fy_rc
fail(struct fy_err *err,
     enum fy_rc rc,
     const char *what,
     const std::string &why)
{
    return fy_fail(err, rc, "%s: %s", what, why.c_str());
}

/*
 * Run body, turning any exception into an error recorded as "what: why"
 * with rc: every export that reports through fy_err goes through here.
 */
template <class F>
enum fy_rc
guarded(struct fy_err *err, enum fy_rc rc, const char *what, F &&body) noexcept
{
    try {
        return body();
    } catch (lt::system_error const &e) {
        return fail(err, rc, what, e.code().message());
    } catch (std::exception const &e) {
        return fail(err, rc, what, e.what());
    } catch (...) {
        return fy_fail(err, rc, "%s: unknown error", what);
    }
}

/*
 * Run body; an exception gives fallback instead: the exports that answer
 * a question (no fy_err to record into) go through here.
 */
template <class T, class F>
T
or_default(T fallback, F &&body) noexcept
{
    try {
        return body();
    } catch (...) {
        return fallback;
    }
}

/*
 * "HOST:PORT" / "[V6]:PORT" -> endpoint; hostnames are resolved.  On false,
 * *why says why (getaddrinfo's reason when the name does not resolve, NULL
 * for a malformed address: cli_parse_hostport() has checked the form).
 */
bool
parse_endpoint(const char *s, lt::tcp::endpoint &ep, const char **why)
{
    *why = nullptr;
    std::string str(s), host, port;
    if (!str.empty() && str[0] == '[') {
        auto close = str.find(']');
        if (close == std::string::npos || close + 1 >= str.size() ||
            str[close + 1] != ':')
            return false;
        host = str.substr(1, close - 1);
        port = str.substr(close + 2);
    } else {
        auto colon = str.rfind(':');
        if (colon == std::string::npos)
            return false;
        host = str.substr(0, colon);
        port = str.substr(colon + 1);
    }
    lt::error_code ec;
    auto addr = lt::make_address(host, ec);
    if (ec) {
        struct addrinfo hints, *res = nullptr;
        std::memset(&hints, 0, sizeof hints);
        hints.ai_socktype = SOCK_STREAM;
        int r = getaddrinfo(host.c_str(), nullptr, &hints, &res);
        if (r != 0 || !res) {
            *why = r != 0 ? gai_strerror(r) : "no address";
            return false;
        }
        char buf[NI_MAXHOST];
        r = getnameinfo(res->ai_addr, res->ai_addrlen, buf, sizeof buf, nullptr,
                        0, NI_NUMERICHOST);
        freeaddrinfo(res);
        if (r != 0)
            return false;
        addr = lt::make_address(buf, ec);
        if (ec)
            return false;
    }
    char *end = nullptr;
    long p = std::strtol(port.c_str(), &end, 10);
    if (port.empty() || *end || p < 1 || p > 65535)
        return false;
    ep = lt::tcp::endpoint(addr, static_cast<unsigned short>(p));
    return true;
}

std::string
hex_of(lt::info_hash_t const &ih)
{
    std::string hex;
    if (ih.has_v1()) {
        std::ostringstream os;
        os << ih.v1;
        hex = os.str();
    } else {
        std::ostringstream os;
        os << ih.v2;
        hex = os.str();
        hex.resize(40);
    }
    return hex;
}

/*
 * FERRY_LT_SETTINGS="name=value,name=value": libtorrent settings for
 * experiments and benchmarks (names as in libtorrent's settings_pack).
 * Unknown names are ignored.
 */
void
apply_env_settings(lt::settings_pack &sp)
{
    const char *env = std::getenv("FERRY_LT_SETTINGS");
    if (env == nullptr)
        return;
    std::string all(env);
    std::size_t pos = 0;
    while (pos < all.size()) {
        std::size_t end = all.find(',', pos);
        if (end == std::string::npos)
            end = all.size();
        std::string item = all.substr(pos, end - pos);
        pos = end + 1;
        std::size_t eq = item.find('=');
        if (eq == std::string::npos)
            continue;
        int name = lt::setting_by_name(item.substr(0, eq));
        std::string val = item.substr(eq + 1);
        if (name < 0)
            continue;
        switch (name & lt::settings_pack::type_mask) {
        case lt::settings_pack::string_type_base:
            sp.set_str(name, val);
            break;
        case lt::settings_pack::int_type_base:
            sp.set_int(name,
                       static_cast<int>(std::strtol(val.c_str(), nullptr, 10)));
            break;
        case lt::settings_pack::bool_type_base:
            sp.set_bool(name, val == "1" || val == "true");
            break;
        default:
            break;
        }
    }
}

/* The metadata: the added torrent's, or the prepared one's. */
std::shared_ptr<const lt::torrent_info>
ti_of(tor_session *s)
{
    if (s->h.is_valid())
        return s->h.torrent_file();
    if (s->pending)
        return s->pending->ti;
    return nullptr;
}

bool
has_ti(tor_session *s)
{
    return ti_of(s) != nullptr;
}

/*
 * What ferry takes from resume data found in DIR/.ferry (a file anyone who
 * could write into DIR may have planted): the metadata when its info-hash
 * is the source's, and which pieces are had and verified.  Never paths
 * (save_path, renamed files), trackers, web seeds, peers, flags or limits.
 */
void
take_resume(lt::add_torrent_params &atp,
            const struct tor_add_params *p,
            lt::add_torrent_params const &r)
{
    if (r.info_hashes != atp.info_hashes)
        return; /* another torrent's (or corrupt): the files are checked */
    if (!atp.ti && r.ti && r.ti->is_valid() &&
        r.ti->info_hashes() == atp.info_hashes)
        atp.ti = r.ti;
    if (p->recheck || !atp.ti)
        return; /* the run that wrote it died: hash the files instead */
    int const n = atp.ti->num_pieces();
    atp.have_pieces = r.have_pieces;
    atp.verified_pieces = r.verified_pieces;
    atp.have_pieces.resize(n);
    if (atp.verified_pieces.size() > n)
        atp.verified_pieces.resize(n);
    for (auto const &up : r.unfinished_pieces)
        if (up.first >= lt::piece_index_t{0} && static_cast<int>(up.first) < n)
            atp.unfinished_pieces.insert(up);
}

/* The files a user sees: pad files are libtorrent's business. */
std::vector<lt::file_index_t>
real_files(lt::file_storage const &fs)
{
    std::vector<lt::file_index_t> v;
    for (lt::file_index_t i : fs.file_range())
        if (!fs.pad_file_at(i))
            v.push_back(i);
    return v;
}

std::vector<lt::download_priority_t>
full_priorities(lt::file_storage const &fs, const uint8_t *prio, size_t n)
{
    std::vector<lt::download_priority_t> out(
        static_cast<size_t>(fs.num_files()), lt::default_priority);
    auto files = real_files(fs);
    for (size_t k = 0; k < files.size() && k < n; k++)
        out[static_cast<size_t>(static_cast<int>(files[k]))] =
            lt::download_priority_t{prio[k]};
    return out;
}

} // namespace

extern "C" {

void
tor_options_init(struct tor_options *o) noexcept
{
    std::memset(o, 0, sizeof *o);
    o->dht = o->lsd = o->upnp = o->natpmp = true;
}

struct tor_session *
tor_session_new(const struct tor_options *o, struct fy_err *err) noexcept
{
    try {
        lt::settings_pack sp;
        sp.set_int(
            lt::settings_pack::alert_mask,
            lt::alert_category::error | lt::alert_category::status |
                lt::alert_category::storage | lt::alert_category::tracker |
                lt::alert_category::port_mapping | lt::alert_category::peer);
        sp.set_bool(lt::settings_pack::enable_dht, o->dht);
        sp.set_bool(lt::settings_pack::enable_lsd, o->lsd);
        sp.set_bool(lt::settings_pack::enable_upnp, o->upnp);
        sp.set_bool(lt::settings_pack::enable_natpmp, o->natpmp);
        if (o->listen)
            sp.set_str(lt::settings_pack::listen_interfaces, o->listen);
        sp.set_str(lt::settings_pack::user_agent, "ferry/" FERRY_VERSION);
        sp.set_str(lt::settings_pack::peer_fingerprint, "-FY0100-");
        sp.set_int(lt::settings_pack::download_rate_limit,
                   static_cast<int>(o->max_down));
        sp.set_int(lt::settings_pack::upload_rate_limit,
                   static_cast<int>(o->max_up));
        /* throughput */
        sp.set_bool(lt::settings_pack::allow_multiple_connections_per_ip, true);
        sp.set_bool(lt::settings_pack::enable_outgoing_utp, false);
        sp.set_int(lt::settings_pack::connections_limit, 500);
        sp.set_int(lt::settings_pack::connection_speed, 200);
        sp.set_int(lt::settings_pack::max_out_request_queue, 250);
        sp.set_int(lt::settings_pack::max_allowed_in_request_queue, 2000);
        sp.set_int(lt::settings_pack::max_queued_disk_bytes, 4 * 1024 * 1024);
        sp.set_int(lt::settings_pack::max_peer_recv_buffer_size,
                   2 * 1024 * 1024);
        sp.set_int(lt::settings_pack::send_buffer_watermark, 3 * 1024 * 1024);
        sp.set_int(lt::settings_pack::send_buffer_low_watermark, 1024 * 1024);
        sp.set_int(lt::settings_pack::request_timeout, 10);
        sp.set_int(lt::settings_pack::peer_timeout, 20);
        sp.set_int(lt::settings_pack::hashing_threads, 2);
        sp.set_int(lt::settings_pack::stop_tracker_timeout, 1);
        sp.set_int(lt::settings_pack::tick_interval, 100);
        sp.set_int(lt::settings_pack::min_reconnect_time, 1);
        sp.set_int(lt::settings_pack::peer_connect_timeout, 7);
        /* a web seed request spans max(1 MiB, a piece) instead of 16 MiB
         * of contiguous pieces: the pieces peers already have stay out of
         * it (torrent_webseed.cpp) */
        sp.set_int(lt::settings_pack::urlseed_max_request_bytes, 1024 * 1024);
        if (o->seeding) {
            sp.set_int(lt::settings_pack::unchoke_slots_limit, 64);
            sp.set_int(lt::settings_pack::choking_algorithm,
                       lt::settings_pack::fixed_slots_choker);
        }
        apply_env_settings(sp);
        lt::session_params params(std::move(sp));
        const char *dio = std::getenv("FERRY_DISK_IO");
        if (o->metadata_only)
            params.disk_io_constructor = lt::disabled_disk_io_constructor;
        else if (dio && std::strcmp(dio, "mmap") == 0)
            params.disk_io_constructor = lt::mmap_disk_io_constructor;
        else if (dio && std::strcmp(dio, "posix") == 0)
            params.disk_io_constructor = lt::posix_disk_io_constructor;
        else
            params.disk_io_constructor = ferry::disk_io_constructor;
        auto *s = new tor_session;
        s->metadata_only = o->metadata_only;
        s->ses = new lt::session(std::move(params));
        if (o->max_down > 0 || o->max_up > 0) {
            /* libtorrent exempts LAN and loopback peers from rate limits;
             * a limit the user asked for applies to every peer */
            lt::ip_filter all;
            std::uint32_t const global = 1u << static_cast<std::uint32_t>(
                                             lt::session::global_peer_class_id);
            all.add_rule(lt::make_address("0.0.0.0"),
                         lt::make_address("255.255.255.255"), global);
            all.add_rule(
                lt::make_address("::"),
                lt::make_address("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"),
                global);
            s->ses->set_peer_class_filter(all);
        }
        return s;
    } catch (std::exception const &e) {
        fy_fail(err, FY_ERUNTIME, "bittorrent session: %s", e.what());
    } catch (...) {
        fy_fail(err, FY_ERUNTIME, "bittorrent session: unknown error");
    }
    return nullptr;
}

void
tor_session_free(struct tor_session *s) noexcept
{
    if (s == nullptr)
        return;
    if (s->hub && !s->hub_owner) { /* a view: its torrent leaves */
        ferry::hub_leave(s);
        delete s;
        return;
    }
    try {
        lt::session_proxy proxy = s->ses->abort();
        delete s->ses;
        s->ses = nullptr;
        /* ~session_proxy waits (stop_tracker_timeout bounds it) */
    } catch (...) {
    }
    delete s;
}

enum fy_rc
tor_torrent_infohash(const void *data,
                     size_t len,
                     char hex[41],
                     struct fy_err *err) noexcept
{
    return guarded(
        err, FY_EINPUT, "torrent", [&]() -> enum fy_rc {
            lt::error_code ec;
            lt::torrent_info ti(
                lt::span<char const>(static_cast<char const *>(data),
                                     static_cast<std::ptrdiff_t>(len)),
                ec, lt::from_span);
            if (ec)
                return fail(err, FY_EINPUT, "torrent", ec.message());
            copy_str(hex, 41, hex_of(ti.info_hashes()));
            return FY_OK;
        });
}

enum fy_rc
tor_prepare(struct tor_session *s,
            const struct tor_add_params *p,
            struct fy_err *err) noexcept
{
    return guarded(
        err, FY_EINPUT, "torrent", [&]() -> enum fy_rc {
            lt::error_code ec;
            lt::add_torrent_params atp;
            if (p->magnet) {
                atp = lt::parse_magnet_uri(p->magnet, ec);
                if (ec)
                    return fail(err, FY_EINPUT, "magnet link", ec.message());
            } else {
                lt::load_torrent_limits lim;
                atp.ti = std::make_shared<lt::torrent_info>(
                    lt::span<char const>(
                        static_cast<char const *>(p->torrent),
                        static_cast<std::ptrdiff_t>(p->torrent_len)),
                    lim, lt::from_span);
                atp.info_hashes = atp.ti->info_hashes();
            }
            if (p->resume && p->resume_len > 0) {
                lt::load_torrent_limits lim;
                lt::add_torrent_params r = lt::read_resume_data(
                    lt::span<char const>(
                        static_cast<char const *>(p->resume),
                        static_cast<std::ptrdiff_t>(p->resume_len)),
                    ec, lim);
                if (!ec)
                    take_resume(atp, p, r);
            }
            atp.save_path = p->save_path;
            for (size_t i = 0; i < p->npeers; i++) {
                lt::tcp::endpoint ep;
                const char *why;
                /* a name that does not resolve is a network failure (1) */
                if (!parse_endpoint(p->peers[i], ep, &why)) {
                    if (why != nullptr)
                        return fy_fail(err, FY_ERUNTIME,
                                       "--peer: %s: cannot resolve the host: "
                                       "%s",
                                       p->peers[i], why);
                    return fy_fail(err, FY_EUSAGE,
                                   "--peer: '%s' is not HOST:PORT",
                                   p->peers[i]);
                }
                atp.peers.push_back(ep);
            }
            for (size_t i = 0; i < p->nwebseeds; i++)
                atp.url_seeds.push_back(p->webseeds[i]);
            for (size_t i = 0; i < p->ntrackers; i++)
                atp.trackers.push_back(p->trackers[i]);
            atp.tracker_tiers.clear();
            atp.flags &= ~lt::torrent_flags::auto_managed;
            atp.flags &= ~lt::torrent_flags::paused;
            atp.flags &= ~lt::torrent_flags::duplicate_is_error;
            atp.flags |= lt::torrent_flags::update_subscribe;
            if (p->super_seed)
                atp.flags |= lt::torrent_flags::super_seeding;
            if (p->send_once)
                s->origin = std::make_shared<ferry::origin_count>();
            if (p->upload_only)
                atp.flags |= lt::torrent_flags::upload_mode;
            else /* metadata from a magnet: nothing is written until fetch has
                  * checked every path and set priorities */
                atp.flags |= lt::torrent_flags::default_dont_download;
            if (s->metadata_only) /* metadata, then nothing: no piece at all */
                atp.flags |= lt::torrent_flags::default_dont_download |
                             lt::torrent_flags::upload_mode;
            s->pending =
                std::make_unique<lt::add_torrent_params>(std::move(atp));
            return FY_OK;
        });
}

enum fy_rc
tor_start(struct tor_session *s,
          const uint8_t *prio,
          size_t n,
          struct fy_err *err) noexcept
{
    return guarded(
        err, FY_EINPUT, "torrent", [&]() -> enum fy_rc {
            if (!s->pending)
                return fy_fail(err, FY_ERUNTIME, "torrent: nothing to start");
            lt::add_torrent_params atp = std::move(*s->pending);
            s->pending.reset();
            if (atp.ti && prio)
                atp.file_priorities = full_priorities(atp.ti->files(), prio, n);
            std::shared_ptr<ferry::source_count> sources = s->sources;
            atp.extensions.push_back(
                [sources](lt::torrent_handle const &, lt::client_data_t) {
                    return ferry::source_plugin(sources);
                });
            /* peers first: a web seed only for what no peer can give
             * (FERRY_WEBSEED=plain turns it off, for benchmarks) */
            const char *ws = std::getenv("FERRY_WEBSEED");
            if (ws == nullptr || std::strcmp(ws, "plain") != 0) {
                std::shared_ptr<ferry::webseed_count> wc = s->webseed;
                int plen = atp.ti ? atp.ti->piece_length() : 0;
                atp.extensions.push_back(
                    [wc, plen](lt::torrent_handle const &, lt::client_data_t) {
                        return ferry::webseed_plugin(wc, plen);
                    });
            }
            if (s->origin && atp.ti) {
                std::shared_ptr<ferry::origin_count> oc = s->origin;
                int npieces = atp.ti->num_pieces();
                atp.extensions.push_back(
                    [oc, npieces](lt::torrent_handle const &,
                                  lt::client_data_t) {
                        return ferry::origin_plugin(oc, npieces);
                    });
            }
            lt::error_code ec;
            s->h = s->hub ? ferry::hub_add(s, std::move(atp), ec)
                          : s->ses->add_torrent(std::move(atp), ec);
            if (ec)
                return fail(err, FY_EINPUT, "torrent", ec.message());
            return FY_OK;
        });
}

bool
tor_started(struct tor_session *s) noexcept
{
    return s->h.is_valid();
}

enum fy_rc
tor_add(struct tor_session *s,
        const struct tor_add_params *p,
        struct fy_err *err) noexcept
{
    enum fy_rc rc = tor_prepare(s, p, err);
    if (rc == FY_OK)
        rc = tor_start(s, p->file_prio, p->nfile_prio, err);
    return rc;
}

bool
tor_has_metadata(struct tor_session *s) noexcept
{
    return or_default(false, [&] { return has_ti(s); });
}

void
tor_infohash(struct tor_session *s, char hex[41]) noexcept
{
    hex[0] = '\0';
    try {
        if (s->h.is_valid())
            copy_str(hex, 41, hex_of(s->h.info_hashes()));
    } catch (...) {
    }
}

char *
tor_name(struct tor_session *s) noexcept
{
    return or_default<char *>(nullptr, [&]() -> char * {
        auto ti = ti_of(s);
        if (!ti)
            return nullptr;
        return xstrdup(ti->name().c_str());
    });
}

int64_t
tor_total_size(struct tor_session *s) noexcept
{
    return or_default<int64_t>(-1, [&]() -> int64_t {
        auto ti = ti_of(s);
        if (!ti)
            return -1;
        int64_t total = 0;
        for (lt::file_index_t i : real_files(ti->files()))
            total += ti->files().file_size(i);
        return total;
    });
}

size_t
tor_file_count(struct tor_session *s) noexcept
{
    return or_default<size_t>(0, [&]() -> size_t {
        auto ti = ti_of(s);
        return ti ? real_files(ti->files()).size() : 0;
    });
}

enum fy_rc
tor_file_at(struct tor_session *s,
            size_t i,
            int64_t *size,
            char **path,
            struct fy_err *err) noexcept
{
    return guarded(
        err, FY_ERUNTIME, "torrent", [&]() -> enum fy_rc {
            auto ti = ti_of(s);
            if (!ti)
                return fy_fail(err, FY_ERUNTIME, "torrent: no metadata yet");
            auto files = real_files(ti->files());
            if (i >= files.size())
                return fy_fail(err, FY_ERUNTIME, "torrent: no file %zu", i);
            *size = ti->files().file_size(files[i]);
            *path = xstrdup(ti->files().file_path(files[i]).c_str());
            return FY_OK;
        });
}

bool
tor_file_executable(struct tor_session *s, size_t i) noexcept
{
    return or_default(false, [&] {
        auto ti = ti_of(s);
        if (!ti)
            return false;
        auto files = real_files(ti->files());
        return i < files.size() && (ti->files().file_flags(files[i]) &
                                    lt::file_storage::flag_executable);
    });
}

enum fy_rc
tor_set_file_priorities(struct tor_session *s,
                        const uint8_t *prio,
                        size_t n,
                        struct fy_err *err) noexcept
{
    return guarded(
        err, FY_ERUNTIME, "torrent", [&]() -> enum fy_rc {
            if (!s->h.is_valid() || !has_ti(s))
                return fy_fail(err, FY_ERUNTIME, "torrent: no metadata yet");
            s->h.prioritize_files(
                full_priorities(s->h.torrent_file()->files(), prio, n));
            return FY_OK;
        });
}

enum fy_rc
tor_metadata(struct tor_session *s,
             struct sbuf *out,
             struct fy_err *err) noexcept
{
    return guarded(
        err, FY_ERUNTIME, "torrent", [&]() -> enum fy_rc {
            auto ti = ti_of(s);
            if (!ti)
                return fy_fail(err, FY_ERUNTIME, "torrent: no metadata yet");
            lt::create_torrent ct(*ti);
            std::vector<char> buf;
            lt::bencode(std::back_inserter(buf), ct.generate());
            sbuf_add(out, buf.data(), buf.size());
            return FY_OK;
        });
}

enum fy_rc
tor_get_status(struct tor_session *s,
               struct tor_status *st,
               struct fy_err *err) noexcept
{
    std::memset(st, 0, sizeof *st);
    return guarded(
        err, FY_ERUNTIME, "torrent", [&]() -> enum fy_rc {
            if (!s->h.is_valid())
                return fy_fail(err, FY_ERUNTIME, "torrent: not added");
            lt::torrent_status ts = s->h.status();
            switch (ts.state) {
            case lt::torrent_status::checking_files:
            case lt::torrent_status::checking_resume_data:
                st->state = TOR_CHECKING;
                break;
            case lt::torrent_status::downloading_metadata:
                st->state = TOR_METADATA;
                break;
            case lt::torrent_status::finished:
                st->state = TOR_FINISHED;
                break;
            case lt::torrent_status::seeding:
                st->state = TOR_SEEDING;
                break;
            default:
                st->state = TOR_DOWNLOADING;
            }
            if (ts.errc) {
                st->state = TOR_ERROR;
                std::string why = ts.errc.message();
                if (ts.error_file >= lt::file_index_t{0} && has_ti(s))
                    why =
                        s->h.torrent_file()->files().file_path(ts.error_file) +
                        ": " + why;
                copy_esc(st->error, sizeof st->error, why);
            }
            st->progress = static_cast<double>(ts.progress);
            st->wanted = ts.total_wanted;
            st->wanted_done = ts.total_wanted_done;
            st->session_down = ts.total_payload_download;
            st->session_up = ts.total_payload_upload;
            st->all_time_up = ts.all_time_upload;
            st->down_rate = ts.download_payload_rate;
            st->up_rate = ts.upload_payload_rate;
            st->peers = ts.num_peers;
            st->seeds = ts.num_seeds;
            st->peers_known = ts.list_peers;
            st->sources_max = s->sources->max.load(std::memory_order_relaxed);
            st->seed_sources_max =
                s->sources->seeds_max.load(std::memory_order_relaxed);
            st->pieces = ts.pieces.size();
            st->pieces_done = ts.num_pieces;
            st->listen_port = s->listen_port;
            st->super_seeding =
                static_cast<bool>(ts.flags & lt::torrent_flags::super_seeding);
            if (s->origin)
                st->held_back = s->origin->held_back.load();
            st->webseed_held = s->webseed->held.load();
            if (st->listen_port == 0)
                st->listen_port = s->ses->listen_port();
            return FY_OK;
        });
}

enum fy_rc
tor_save_resume(struct tor_session *s, bool flush, struct fy_err *err) noexcept
{
    return guarded(
        err, FY_ERUNTIME, "resume data", [&]() -> enum fy_rc {
            lt::resume_data_flags_t f = lt::torrent_handle::save_info_dict;
            if (flush)
                f |= lt::torrent_handle::flush_disk_cache;
            s->h.save_resume_data(f);
            return FY_OK;
        });
}

void
tor_pause(struct tor_session *s) noexcept
{
    try {
        if (s->h.is_valid())
            s->h.pause();
    } catch (...) {
    }
}

enum fy_rc
tor_create(const struct tor_create_params *p,
           struct sbuf *out,
           char **magnet,
           void (*progress)(void *arg, int64_t done, int64_t total),
           void *arg,
           struct fy_err *err) noexcept
{
    return guarded(
        err, FY_ERUNTIME, p->dir, [&]() -> enum fy_rc {
            std::string dir(p->dir);
            while (dir.size() > 1 && dir.back() == '/')
                dir.pop_back();
            lt::file_storage fs;
            std::string top = dir + "/.ferry";
            lt::add_files(fs, dir, [&top](std::string const &path) {
                return path != top && path.rfind(top + "/", 0) != 0;
            });
            if (fs.num_files() == 0)
                return fy_fail(err, FY_EINPUT, "%s: no files to share", p->dir);
            lt::create_torrent ct(fs, p->piece_kib * 1024,
                                  lt::create_torrent::v1_only);
            for (size_t i = 0; i < p->ntrackers; i++)
                ct.add_tracker(p->trackers[i], static_cast<int>(i));
            for (size_t i = 0; i < p->nwebseeds; i++)
                ct.add_url_seed(p->webseeds[i]);
            if (p->creator)
                ct.set_creator(p->creator);
            std::string parent = dir;
            auto slash = parent.rfind('/');
            parent = slash == std::string::npos ? "." : parent.substr(0, slash);
            if (parent.empty())
                parent = "/";
            lt::error_code ec;
            int64_t total = fs.total_size();
            int64_t plen = ct.piece_length();
            struct interrupted {};
            try {
                lt::set_piece_hashes(
                    ct, parent,
                    [&](lt::piece_index_t i) {
                        if (fy_interrupted()) /* SIGINT/SIGTERM: stop */
                            throw interrupted();
                        int64_t done =
                            (static_cast<int64_t>(static_cast<int>(i)) + 1) *
                            plen;
                        if (progress)
                            progress(arg, done < total ? done : total, total);
                    },
                    ec);
            } catch (interrupted const &) {
                return fy_fail(err, FY_EINTR, "%s: interrupted", p->dir);
            }
            if (ec)
                return fail(err, FY_ERUNTIME, p->dir, ec.message());
            std::vector<char> buf;
            lt::bencode(std::back_inserter(buf), ct.generate());
            lt::torrent_info ti(buf, lt::from_span);
            *magnet = xstrdup(lt::make_magnet_uri(ti).c_str());
            sbuf_add(out, buf.data(), buf.size());
            return FY_OK;
        });
}

} /* extern "C" */

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
