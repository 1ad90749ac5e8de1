#!/usr/bin/env bash
# Hostile-input fuzz (issue 9, "Done when"): ferry-made archives of every
# format (tar.zst, tar.gz, tar.xz, tar, zip) are mutated deterministically
# (fixed seeds: byte flips, flips in headers, truncation, inserted and
# deleted bytes; tar size fields of 2^62 / 8 GiB / 0xFFFFFFFF with their
# checksums recomputed, sparse maps at 2^55, type flags, link targets,
# names; zip local/central sizes of 0xFFFFFFFF and zip64 2^62, CRC-32,
# methods, offsets; zstd windows above 2^27, block headers, checksums),
# and `ferry verify`, `list` and `unpack -C` run on each mutant in its own
# sandbox.  Each run: exit 3 or 4 (exit 0 only for a harmless mutant: the
# unpacked tree is the workspace, the archive is intact by content; or for
# one whose manifest is gone, e.g. renamed onto another member: then
# another tool's archive, and unpack gives what it holds), one
# non-warning 'ferry:' line, no sanitizer report, nothing changed in the
# sandbox outside the target, no staging left, <= 10 s, <= 256 MiB peak
# RSS (an intact archive costs ~35 MiB under ASan).  The work is in
# fuzz_mutate.py beside this script, which prints every failing mutant
# with a command that replays it.
. "$(dirname "$0")/../lib.sh"
need zstd
python3 "$(dirname "$0")/fuzz_mutate.py" --ferry "$FERRY" --work "$WORK/fuzz" \
  --per-format "${FUZZ_PER_FORMAT:-40}" --jobs 2 \
  || fail "mutated archives were not handled safely (see the FAIL lines above)"
exit 0
