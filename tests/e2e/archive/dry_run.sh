#!/usr/bin/env bash
# pack --dry-run writes nothing (no archive, no .part, nothing new in the
# directories involved), lists exactly the paths a real pack stores, says
# which rule excluded what (--exclude, --exclude-from FILE:LINE,
# .ferryignore:LINE) and what ferry's own rules skip (its state directory,
# a FIFO, the archive itself), with sizes and totals; --json gives one
# "entry" event per path and a "done" event with "dry_run":true.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/helpers.bash"
need mkfifo
T=$WORK/t
small_ws "$T/ws"
mkdir -p "$T/ws/build/deep" "$T/ws/.ferry" "$T/ws/.cache"
head -c 5000 /dev/zero >"$T/ws/build/deep/o.o"
head -c 700 /dev/zero >"$T/ws/build/b.o"
printf 'state\n' >"$T/ws/.ferry/x.state"
printf '1234\n' >"$T/ws/.cache/c"
printf 'tmp\n' >"$T/ws/scratch.tmp"
printf '# comment\n.cache/\n' >"$T/ws/.ferryignore"
printf '\n*.tmp\n' >"$T/rules"
ln "$T/ws/a.txt" "$T/ws/a-again.txt"
mkfifo "$T/ws/pipe"
: >"$T/ws/old.tar.zst"   # an older archive of the output's name

before=$(snapshot "$T")
run_ferry pack "$T/ws" -o "$T/ws/old.tar.zst" --dry-run --exclude build/ --exclude-from "$T/rules"
assert_exit 0
[ "$before" = "$(snapshot "$T")" ] || fail "--dry-run changed something: $(diff <(echo "$before") <(snapshot "$T"))"
out=$WORK/out
grep -qE "^exclude +5\.57 KiB  build/  \(rule 'build/' from --exclude\)$" "$out" || { cat "$out" >&2; fail "build/ not shown excluded by --exclude with its size"; }
grep -qE "^exclude +4 B  scratch\.tmp  \(rule '\*\.tmp' from $T/rules:2\)$" "$out" || { cat "$out" >&2; fail "*.tmp rule not named with FILE:LINE"; }
grep -qE "^exclude +5 B  \.cache/  \(rule '\.cache/' from $T/ws/\.ferryignore:2\)$" "$out" || { cat "$out" >&2; fail ".ferryignore rule not named"; }
grep -qE "^skip +6 B  \.ferry/  \(ferry's state directory\)$" "$out" || fail "state dir not shown skipped"
grep -qE "^skip +- +pipe  \(FIFO\)$" "$out" || fail "FIFO not shown skipped"
grep -qE "^skip +0 B  old\.tar\.zst  \(the archive itself\)$" "$out" || fail "the output not shown skipped"
grep -qE "^pack +- +a\.txt  \(hardlink to a-again\.txt\)$" "$out" || { cat "$out" >&2; fail "hardlink not shown"; }
grep -qE "^pack +6 B  a-again\.txt$" "$out" || fail "a-again.txt not listed with its size"
grep -qE "^would pack 5 files, 3 dirs, 1 symlinks, 1 hardlinks: .*; excluded 3 \(5\.58 KiB\); skipped 3 \(6 B\); nothing written$" "$out" || { tail -1 "$out" >&2; fail "wrong totals"; }
[ ! -s "$WORK/err" ] || { cat "$WORK/err" >&2; fail "--dry-run printed on stderr"; }

# the same paths as a real pack of the same command line stores (the
# manifest aside)
"$FERRY" --json pack "$T/ws" -o "$T/ws/old.tar.zst" -n --exclude build/ --exclude-from "$T/rules" | python3 -c '
import json, sys
for line in sys.stdin:
    e = json.loads(line)
    if e["event"] == "entry" and e["action"] == "pack":
        print(e["path"])' | LC_ALL=C sort >"$WORK/dry.paths"
run_ferry pack "$T/ws" -o "$T/ws/old.tar.zst" --exclude build/ --exclude-from "$T/rules"
assert_exit 0
archive_paths "$T/ws/old.tar.zst" | grep -vx '.ferry/manifest' >"$WORK/real.paths"
diff -u "$WORK/real.paths" "$WORK/dry.paths" >&2 || fail "--dry-run lists other paths than pack stores"
[ "$(wc -l <"$WORK/dry.paths")" -eq 10 ] || fail "expected 10 packed paths"

# --json: one entry event per path, then done; nothing written either
before=$(snapshot "$T")
run_ferry --json pack "$T/ws" --dry-run --exclude build/
assert_exit 0
[ "$before" = "$(snapshot "$T")" ] || fail "--json --dry-run changed something"
python3 - "$WORK/out" <<'PY' || fail "bad --dry-run JSON"
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1])]
kinds = [e["event"] for e in ev]
assert kinds[0] == "start" and kinds[-1] == "done", kinds
assert set(kinds[1:-1]) == {"entry"}, kinds
ent = {e["path"]: e for e in ev if e["event"] == "entry"}
assert ent["build"]["action"] == "exclude" and ent["build"]["size"] == 5700, ent["build"]
assert ent["build"]["why"] == "build/" and ent["build"]["from"] == "--exclude"
assert ent["a.txt"]["type"] == "hardlink" and ent["a.txt"]["target"] == "a-again.txt"
assert ent["pipe"]["action"] == "skip" and ent["pipe"]["type"] == "fifo"
assert ent["sub/numbers.txt"]["size"] > 0 and ent["sub/numbers.txt"]["action"] == "pack"
done = ev[-1]
assert done["dry_run"] is True and done["files"] == 7 and done["hardlinks"] == 1, done
assert done["excluded"] == 2 and done["excluded_bytes"] == 5705, done
for e in ev:
    for k, v in e.items():
        assert v != -1, (k, e)
PY
# a missing DIR fails as pack does
run_ferry pack "$WORK/nope" --dry-run
assert_exit 1
assert_one_error_line "nope"
