#!/usr/bin/env bash
# pack's progress follows the archive written, not the bytes read: the
# --json progress events never go back, stay below the total while any
# output is still to come, and reach it only in the last one, drawn after
# the archive's last byte is written (just before "done").  Every status
# update is drawn (FERRY_PROGRESS_INTERVAL=0), so nothing here depends on
# timing.  tar.zst (ferry's zstd writer, whose workers hold input) and
# tar.gz (libarchive's filter).
. "$(dirname "$0")/../lib.sh"
mkdir -p "$WORK/ws/sub"
python3 - "$WORK/ws" <<'PY'
import os, random, sys
random.seed(7)
words = ["".join(random.choice("abcdefghij") for _ in range(random.randint(3, 9))) for _ in range(3000)]
for name, lines in (("big.txt", 90000), ("sub/mid.txt", 30000), ("sub/small.txt", 50)):
    with open(os.path.join(sys.argv[1], name), "w") as f:
        for _ in range(lines):
            f.write(" ".join(random.choice(words) for _ in range(6)) + "\n")
PY
size=$(find "$WORK/ws" -type f -printf '%s\n' | awk '{s += $1} END {print s}')
export FERRY_PROGRESS_INTERVAL=0

check_events() { # FILE: the progress events of a pack, as promised
  python3 - "$1" "$size" <<'PY'
import json, sys
size = int(sys.argv[2])
ev = [json.loads(l) for l in open(sys.argv[1])]
names = [e["event"] for e in ev]
prog = [e for e in ev if e["event"] == "progress"]
assert len(prog) >= 3, names
assert names[-1] == "done" and names[-2] == "progress", names[-3:]
last = 0
for e in prog:
    assert e["phase"] == "pack" and e["total"] == size, e
    assert e["done"] >= last, ("went back", last, e)
    last = e["done"]
for e in prog[:-1]:
    assert e["done"] < e["total"], ("100% before the archive was written", e)
assert prog[-1]["done"] == prog[-1]["total"] == size, prog[-1]
PY
}

run_ferry --json pack "$WORK/ws" -o "$WORK/a.tar.zst" --level 12 --threads 2
assert_exit 0
check_events "$WORK/out" || fail "tar.zst progress events"

run_ferry --json pack "$WORK/ws" -o "$WORK/a.tar.gz"
assert_exit 0
check_events "$WORK/out" || fail "tar.gz progress events"

"$FERRY" --json pack "$WORK/ws" -o - --threads 1 2>"$WORK/stdout.events" >"$WORK/b.tar.zst" || fail "pack -o - failed"
check_events "$WORK/stdout.events" || fail "-o - progress events"
"$FERRY" -q verify "$WORK/b.tar.zst" || fail "archive does not verify"
exit 0
