/*
 * torrent_disk.cpp - the disk back end behind ferry's BitTorrent session.
 *
 * Why: libtorrent 2.0.8's posix back end does every disk job on the network
 * thread and opens and closes the file for each 16 KiB block, then reads
 * every piece back block by block to hash it; its mmap back end keeps every
 * touched page of the download mapped (peak RSS = download size).  Here
 * the network thread writes each block with one pwrite on a cached
 * descriptor (no copy, no queue: memory stays flat), and NWORKERS threads
 * read finished pieces back from the page cache and SHA-1 them.  Block
 * reads for peers are served on the network thread when the page cache
 * holds them (preadv2 RWF_NOWAIT: never waits for the disk), into pooled
 * buffers, and by the workers otherwise.
 *
 * Invariants:
 * - Files are opened beneath the save path without following any symlink
 *   (fs_open_beneath: openat2 RESOLVE_BENEATH|RESOLVE_NO_SYMLINKS); a link
 *   met on the way fails the write with ELOOP, which fetch refuses.
 * - A block's write is complete before its handler runs, so a piece's
 *   hash job (issued after all its writes) reads what was written.
 * - Before any job is handed to the posix back end, the workers are
 *   drained: the two never touch a file at the same time.
 * - Handlers always run on the network thread (posted to the io_context).
 */
#include "torrent_disk.hpp"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include <condition_variable>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <libtorrent/add_torrent_params.hpp>
#include <libtorrent/disk_buffer_holder.hpp>
#include <libtorrent/disk_observer.hpp>
#include <libtorrent/error_code.hpp>
#include <libtorrent/file_storage.hpp>
#include <libtorrent/hasher.hpp>
#include <libtorrent/posix_disk_io.hpp>
#include <libtorrent/storage_defs.hpp>

#include "ferry/fs.h"
#include "torrent_disk_mem.hpp"

namespace lt = libtorrent;

namespace ferry {
namespace {

constexpr int NWORKERS = 2;
constexpr std::size_t READ_CHUNK = 256 * 1024;
constexpr std::size_t POOL_KEEP = 512; /* free blocks kept: 8 MiB */

/* One torrent's files as the fast path sees them. */
struct storage {
    lt::file_storage const *files = nullptr;
    std::string save_path;
    lt::aux::vector<lt::download_priority_t, lt::file_index_t> prio;
    bool fast = true; /* false once a file is renamed or moved */
    std::mutex mu;    /* guards fds and root */
    std::vector<int> fds;
    int root = -1; /* save_path, opened once */

    ~storage()
    {
        close_all();
        if (root >= 0)
            ::close(root);
    }

    void
    close_all()
    {
        std::lock_guard<std::mutex> l(mu);
        for (int &fd : fds)
            if (fd >= 0) {
                ::close(fd);
                fd = -1;
            }
    }

    bool
    wanted(lt::file_index_t f) const
    {
        auto i = static_cast<std::size_t>(static_cast<int>(f));
        return i >= prio.size() || prio[f] != lt::dont_download;
    }

    /* The descriptor of file f, opened (and created, with its directories,
     * if create) on first use; -1 with errno set on failure.  Files are
     * opened beneath save_path without following any symlink (ELOOP). */
    int
    fd_of(lt::file_index_t f, bool create)
    {
        std::lock_guard<std::mutex> l(mu);
        auto i = static_cast<std::size_t>(static_cast<int>(f));
        if (fds.size() <= i)
            fds.resize(static_cast<std::size_t>(files->num_files()), -1);
        if (fds[i] >= 0)
            return fds[i];
        if (root < 0)
            root =
                ::open(save_path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (root < 0)
            return -1;
        std::string rel = files->file_path(f);
        int fd = fs_open_beneath(root, rel.c_str(),
                                 O_RDWR | (create ? O_CREAT : 0), 0666);
        if (fd >= 0)
            fds[i] = fd;
        return fd;
    }
};

lt::storage_error
io_error(int err, lt::file_index_t f, lt::operation_t op)
{
    lt::storage_error e;
    e.ec = lt::error_code(err, lt::system_category());
    e.file(f);
    e.operation = op;
    return e;
}

class fast_disk final : public lt::disk_interface,
                        public lt::buffer_allocator_interface {
  public:
    fast_disk(lt::io_context &ioc,
              lt::settings_interface const &sett,
              lt::counters &cnt)
        : ioc_(ioc), inner_(lt::posix_disk_io_constructor(ioc, sett, cnt))
    {
        for (int i = 0; i < NWORKERS; i++)
            threads_.emplace_back([this, i] { run(i); });
    }

    ~fast_disk() override
    {
        stop_workers();
    }

    lt::storage_holder
    new_torrent(lt::storage_params const &p,
                std::shared_ptr<void> const &t) override
    {
        lt::storage_holder h = inner_->new_torrent(p, t);
        lt::storage_index_t idx = h;
        auto i = static_cast<std::size_t>(static_cast<std::uint32_t>(idx));
        if (storages_.size() <= i) {
            storages_.resize(i + 1);
            inner_holders_.resize(i + 1);
        }
        auto st = std::make_shared<storage>();
        st->files = &p.files;
        st->save_path = p.path;
        st->prio = p.priorities;
        st->fast = p.mapped_files == nullptr;
        storages_[i] = st;
        inner_holders_[i] = std::move(h);
        /* the posix back end takes no priorities at construction: tell it,
         * so pieces of unselected files go to its part file, not into
         * those files */
        if (!p.priorities.empty())
            inner_->async_set_file_priority(
                idx, p.priorities,
                [](lt::storage_error const &,
                   lt::aux::vector<lt::download_priority_t, lt::file_index_t>) {
                });
        return lt::storage_holder(idx, *this);
    }

    void
    remove_torrent(lt::storage_index_t idx) override
    {
        drain();
        auto i = index(idx);
        storages_[i].reset();
        inner_holders_[i].reset();
    }

    void
    async_read(lt::storage_index_t idx,
               lt::peer_request const &r,
               std::function<void(lt::disk_buffer_holder,
                                  lt::storage_error const &)> handler,
               lt::disk_job_flags_t flags) override
    {
        auto st = storages_[index(idx)];
        std::vector<lt::file_slice> slices;
        if (!fast_ok(*st, r.piece, r.start, r.length, slices)) {
            drain();
            inner_->async_read(idx, r, std::move(handler), flags);
            return;
        }
        char *buf = pool_.get(static_cast<std::size_t>(r.length));
        if (buf == nullptr) {
            lt::post(ioc_, [this, h = std::move(handler)] {
                lt::storage_error e;
                e.ec = lt::errors::no_memory;
                e.operation = lt::operation_t::alloc_cache_piece;
                h(lt::disk_buffer_holder(*this, nullptr, 0), e);
            });
            return;
        }
        /* in the page cache: here and now, without a hop to a worker and
         * back (writes are done on this thread, so none is pending) */
        if (read_cached(*st, slices, buf)) {
            lt::post(ioc_, [this, buf, len = r.length, h = std::move(handler)] {
                h(lt::disk_buffer_holder(*this, buf, len), lt::storage_error());
            });
            return;
        }
        enqueue(r.piece, [=, h = std::move(handler)]() mutable {
            lt::storage_error e;
            if (!read_slices(*st, slices, buf, nullptr, e)) {
                pool_.put(buf);
                /* let the posix back end give the canonical answer */
                lt::post(ioc_, [=, h2 = std::move(h)]() mutable {
                    if (!alive(idx, st)) {
                        h2(lt::disk_buffer_holder(*this, nullptr, 0),
                           aborted());
                        return;
                    }
                    drain();
                    inner_->async_read(idx, r, std::move(h2), flags);
                });
                return;
            }
            lt::post(ioc_, [this, buf, len = r.length, e,
                            h2 = std::move(h)]() mutable {
                h2(lt::disk_buffer_holder(*this, buf, len), e);
            });
        });
    }

    bool
    async_write(lt::storage_index_t idx,
                lt::peer_request const &r,
                char const *buf,
                std::shared_ptr<lt::disk_observer> o,
                std::function<void(lt::storage_error const &)> handler,
                lt::disk_job_flags_t flags) override
    {
        auto st = storages_[index(idx)];
        std::vector<lt::file_slice> slices;
        if (!fast_ok(*st, r.piece, r.start, r.length, slices)) {
            drain();
            return inner_->async_write(idx, r, buf, std::move(o),
                                       std::move(handler), flags);
        }
        lt::storage_error e;
        write_slices(*st, slices, buf, e);
        lt::post(ioc_, [e, h = std::move(handler)] { h(e); });
        return false;
    }

    void
    async_hash(lt::storage_index_t idx,
               lt::piece_index_t piece,
               lt::span<lt::sha256_hash> v2,
               lt::disk_job_flags_t flags,
               std::function<void(lt::piece_index_t,
                                  lt::sha1_hash const &,
                                  lt::storage_error const &)> handler) override
    {
        auto st = storages_[index(idx)];
        std::vector<lt::file_slice> slices;
        if (!v2.empty() || !(flags & lt::disk_interface::v1_hash) ||
            !fast_ok(*st, piece, 0, st->files->piece_size(piece), slices)) {
            drain();
            inner_->async_hash(idx, piece, v2, flags, std::move(handler));
            return;
        }
        enqueue(piece, [=, h = std::move(handler)]() mutable {
            lt::storage_error e;
            lt::hasher hasher;
            if (!read_slices(*st, slices, nullptr, &hasher, e)) {
                lt::post(ioc_, [=, h2 = std::move(h)]() mutable {
                    if (!alive(idx, st)) {
                        h2(piece, lt::sha1_hash(), aborted());
                        return;
                    }
                    drain();
                    inner_->async_hash(idx, piece, {}, flags, std::move(h2));
                });
                return;
            }
            lt::sha1_hash const sum = hasher.final();
            lt::post(ioc_, [=, h2 = std::move(h)] { h2(piece, sum, e); });
        });
    }

    void
    async_hash2(lt::storage_index_t idx,
                lt::piece_index_t piece,
                int offset,
                lt::disk_job_flags_t flags,
                std::function<void(lt::piece_index_t,
                                   lt::sha256_hash const &,
                                   lt::storage_error const &)> handler) override
    {
        drain();
        inner_->async_hash2(idx, piece, offset, flags, std::move(handler));
    }

    void
    async_move_storage(
        lt::storage_index_t idx,
        std::string p,
        lt::move_flags_t flags,
        std::function<void(lt::status_t,
                           std::string const &,
                           lt::storage_error const &)> handler) override
    {
        auto st = quiesce(idx);
        st->fast = false;
        inner_->async_move_storage(idx, std::move(p), flags,
                                   std::move(handler));
    }

    void
    async_release_files(lt::storage_index_t idx,
                        std::function<void()> handler) override
    {
        quiesce(idx);
        inner_->async_release_files(idx, std::move(handler));
    }

    void
    async_check_files(
        lt::storage_index_t idx,
        lt::add_torrent_params const *resume,
        lt::aux::vector<std::string, lt::file_index_t> links,
        std::function<void(lt::status_t, lt::storage_error const &)> handler)
        override
    {
        auto st = quiesce(idx);
        /* the posix back end creates empty files and the directories of
         * symlink entries through plain paths: make them here first,
         * beneath save_path and never through a link */
        lt::storage_error e;
        if (!make_empty_files(*st, e)) {
            lt::post(ioc_, [e, h = std::move(handler)] {
                h(lt::status_t::fatal_disk_error, e);
            });
            return;
        }
        inner_->async_check_files(idx, resume, std::move(links),
                                  std::move(handler));
    }

    void
    async_stop_torrent(lt::storage_index_t idx,
                       std::function<void()> handler) override
    {
        quiesce(idx);
        inner_->async_stop_torrent(idx, std::move(handler));
    }

    void
    async_rename_file(
        lt::storage_index_t idx,
        lt::file_index_t f,
        std::string name,
        std::function<void(std::string const &,
                           lt::file_index_t,
                           lt::storage_error const &)> handler) override
    {
        auto st = quiesce(idx);
        st->fast = false;
        inner_->async_rename_file(idx, f, std::move(name), std::move(handler));
    }

    void
    async_delete_files(
        lt::storage_index_t idx,
        lt::remove_flags_t options,
        std::function<void(lt::storage_error const &)> handler) override
    {
        quiesce(idx);
        inner_->async_delete_files(idx, options, std::move(handler));
    }

    void
    async_set_file_priority(
        lt::storage_index_t idx,
        lt::aux::vector<lt::download_priority_t, lt::file_index_t> prio,
        std::function<void(lt::storage_error const &,
                           lt::aux::vector<lt::download_priority_t,
                                           lt::file_index_t>)> handler) override
    {
        auto st = quiesce(idx);
        st->prio = prio;
        inner_->async_set_file_priority(idx, std::move(prio),
                                        std::move(handler));
    }

    void
    async_clear_piece(lt::storage_index_t idx,
                      lt::piece_index_t piece,
                      std::function<void(lt::piece_index_t)> handler) override
    {
        drain();
        inner_->async_clear_piece(idx, piece, std::move(handler));
    }

    void
    update_stats_counters(lt::counters &c) const override
    {
        inner_->update_stats_counters(c);
    }

    std::vector<lt::open_file_state>
    get_status(lt::storage_index_t idx) const override
    {
        return inner_->get_status(idx);
    }

    void
    abort(bool wait) override
    {
        drain();
        for (auto &st : storages_)
            if (st)
                st->close_all();
        inner_->abort(wait);
    }

    void
    submit_jobs() override
    {
        inner_->submit_jobs();
    }
    void
    settings_updated() override
    {
        inner_->settings_updated();
    }

    void
    free_disk_buffer(char *b) override
    {
        pool_.put(b);
    }

  private:
    struct worker {
        std::mutex mu;
        std::condition_variable cv;
        std::deque<std::function<void()>> jobs;
        bool busy = false;
    };

    static std::size_t
    index(lt::storage_index_t idx)
    {
        return static_cast<std::size_t>(static_cast<std::uint32_t>(idx));
    }

    /* Is st still the storage at idx (not removed since a job began)? */
    bool
    alive(lt::storage_index_t idx, std::shared_ptr<storage> const &st)
    {
        auto i = index(idx);
        return i < storages_.size() && storages_[i] == st;
    }

    static lt::storage_error
    aborted()
    {
        lt::storage_error e;
        e.ec = boost::asio::error::operation_aborted;
        e.operation = lt::operation_t::file_read;
        return e;
    }

    /* Drain the workers and close our descriptors of this torrent. */
    std::shared_ptr<storage>
    quiesce(lt::storage_index_t idx)
    {
        drain();
        auto st = storages_[index(idx)];
        st->close_all();
        return st;
    }

    bool
    fast_ok(storage &st,
            lt::piece_index_t piece,
            int start,
            int len,
            std::vector<lt::file_slice> &slices)
    {
        if (!st.fast)
            return false;
        slices = st.files->map_block(piece, start, len);
        for (auto const &s : slices)
            if (!st.files->pad_file_at(s.file_index) &&
                !st.wanted(s.file_index))
                return false;
        return !slices.empty();
    }

    /* Create the torrent's missing empty files (and the parent directories
     * of its symlink entries) safely; false with e set on failure. */
    static bool
    make_empty_files(storage &st, lt::storage_error &e)
    {
        lt::file_storage const &fs = *st.files;
        int root =
            ::open(st.save_path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (root < 0) {
            if (errno == ENOENT)
                return true; /* the back end reports it */
            e = io_error(errno, lt::file_index_t{0}, lt::operation_t::mkdir);
            return false;
        }
        bool ok = true;
        for (lt::file_index_t f : fs.file_range()) {
            if (fs.pad_file_at(f) || fs.file_size(f) != 0)
                continue;
            std::string rel = fs.file_path(f);
            int r;
            if (fs.file_flags(f) & lt::file_storage::flag_symlink) {
                auto slash = rel.rfind('/');
                r = slash == std::string::npos
                        ? 0
                        : fs_mkdir_beneath(root, rel.substr(0, slash).c_str());
            } else {
                r = fs_open_beneath(root, rel.c_str(), O_WRONLY | O_CREAT,
                                    0666);
                if (r >= 0)
                    ::close(r);
            }
            if (r < 0) {
                e = io_error(errno, f, lt::operation_t::file_open);
                ok = false;
                break;
            }
        }
        ::close(root);
        return ok;
    }

    void
    write_slices(storage &st,
                 std::vector<lt::file_slice> const &slices,
                 char const *buf,
                 lt::storage_error &e)
    {
        for (auto const &s : slices) {
            if (st.files->pad_file_at(s.file_index)) {
                buf += s.size;
                continue;
            }
            int fd = st.fd_of(s.file_index, true);
            if (fd < 0) {
                e = io_error(errno, s.file_index, lt::operation_t::file_open);
                return;
            }
            if (fs_pwrite_all(fd, buf, static_cast<std::size_t>(s.size),
                              static_cast<off_t>(s.offset)) != 0) {
                e = io_error(errno, s.file_index, lt::operation_t::file_write);
                return;
            }
            buf += s.size;
        }
    }

    /* Read the slices into out if the page cache holds all of them
     * (RWF_NOWAIT: never waits for the disk); false otherwise. */
    static bool
    read_cached(storage &st,
                std::vector<lt::file_slice> const &slices,
                char *out)
    {
        for (auto const &s : slices) {
            auto len = static_cast<std::size_t>(s.size);
            if (st.files->pad_file_at(s.file_index)) {
                std::memset(out, 0, len);
            } else {
                int fd = st.fd_of(s.file_index, false);
                if (fd < 0)
                    return false;
                struct iovec iov = {out, len};
                if (::preadv2(fd, &iov, 1, static_cast<off_t>(s.offset),
                              RWF_NOWAIT) != static_cast<ssize_t>(len))
                    return false;
            }
            out += len;
        }
        return true;
    }

    /* Read the slices into out (if not null) and/or feed them to hasher.
     * Returns false on any error or short read (the caller falls back to
     * the posix back end, which reports it the way libtorrent expects). */
    bool
    read_slices(storage &st,
                std::vector<lt::file_slice> const &slices,
                char *out,
                lt::hasher *hasher,
                lt::storage_error &)
    {
        thread_local std::vector<char> chunk(READ_CHUNK);
        for (auto const &s : slices) {
            std::int64_t done = 0;
            bool pad = st.files->pad_file_at(s.file_index);
            int fd = pad ? -1 : st.fd_of(s.file_index, false);
            if (!pad && fd < 0)
                return false;
            while (done < s.size) {
                std::size_t want = static_cast<std::size_t>(
                    std::min<std::int64_t>(s.size - done, READ_CHUNK));
                char *dst = out ? out + done : chunk.data();
                if (pad) {
                    std::memset(dst, 0, want);
                } else {
                    ssize_t n = ::pread(fd, dst, want,
                                        static_cast<off_t>(s.offset + done));
                    if (n < 0 && errno == EINTR)
                        continue;
                    if (n <= 0)
                        return false;
                    want = static_cast<std::size_t>(n);
                }
                if (hasher)
                    hasher->update(dst, static_cast<int>(want));
                done += static_cast<std::int64_t>(want);
            }
            if (out)
                out += s.size;
        }
        return true;
    }

    worker &
    worker_of(lt::piece_index_t piece)
    {
        return workers_[static_cast<std::size_t>(static_cast<int>(piece) %
                                                 NWORKERS)];
    }

    void
    enqueue(lt::piece_index_t piece, std::function<void()> job)
    {
        auto &w = worker_of(piece);
        {
            std::lock_guard<std::mutex> l(w.mu);
            w.jobs.push_back(std::move(job));
        }
        w.cv.notify_all();
    }

    void
    run(int i)
    {
        auto &w = workers_[static_cast<std::size_t>(i)];
        std::unique_lock<std::mutex> l(w.mu);
        for (;;) {
            w.cv.wait(l, [&] { return stop_ || !w.jobs.empty(); });
            if (w.jobs.empty() && stop_)
                return;
            auto job = std::move(w.jobs.front());
            w.jobs.pop_front();
            w.busy = true;
            l.unlock();
            try {
                job();
            } catch (...) {
            }
            l.lock();
            w.busy = false;
            w.cv.notify_all();
        }
    }

    /* Wait until every queued job has run (network thread only). */
    void
    drain()
    {
        for (auto &w : workers_) {
            std::unique_lock<std::mutex> l(w.mu);
            w.cv.wait(l, [&] { return w.jobs.empty() && !w.busy; });
        }
    }

    void
    stop_workers()
    {
        for (auto &w : workers_) {
            std::lock_guard<std::mutex> l(w.mu);
            stop_ = true;
        }
        for (auto &w : workers_)
            w.cv.notify_all();
        for (auto &t : threads_)
            if (t.joinable())
                t.join();
    }

    lt::io_context &ioc_;
    std::unique_ptr<lt::disk_interface> inner_;
    block_pool pool_{POOL_KEEP};
    std::vector<std::shared_ptr<storage>> storages_;
    std::vector<lt::storage_holder> inner_holders_;
    worker workers_[NWORKERS];
    std::vector<std::thread> threads_;
    bool stop_ = false;
};

} // namespace

std::unique_ptr<lt::disk_interface>
disk_io_constructor(lt::io_context &ioc,
                    lt::settings_interface const &sett,
                    lt::counters &cnt)
{
    return std::make_unique<fast_disk>(ioc, sett, cnt);
}

} // namespace ferry
