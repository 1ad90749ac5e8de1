/*
 * torrent_version.cpp - the version of the libtorrent library ferry runs
 * with, for `ferry --version`, behind the C API of include/ferry/torrent.h.
 */
#include "ferry/torrent.h"

#include <libtorrent/version.hpp>

extern "C" const char *
tor_lib_version(void) noexcept
{
    try {
        const char *v = lt::version(); /* the library's, not the header's */
        return v != nullptr ? v : lt::version_str;
    } catch (...) {
        return lt::version_str;
    }
}
