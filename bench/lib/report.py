#!/usr/bin/env python3
"""report.py - summarize bench/fetch runs.

usage: report.py --runs-csv FILE --outdir DIR [--title TEXT]

Reads the per-run CSV written by run.py and writes, into DIR:
  summary.csv   one row per (tool, scenario): medians and verification counts
  summary.md    the same as a markdown table plus the ferry/aria2c ratios
and prints a plain-text table, the ratios, and the markdown.

Medians are taken over the runs that succeeded (verified, or exit 0 for the
metadata-only runs); when none did, over all runs, and the row says so.
Throughput ratio = aria2c seconds / ferry seconds (> 1: ferry is faster).
With --origin ferry rows ("ferry-origin", "sha1-pass"): wall / SHA-1 pass =
median fetch seconds / median seconds of the SHA-1 passes of the same run
(and the median of the per-run ratios, each fetch against the pass timed
right before it).
"""
import argparse
import csv
import os
import statistics

ORDER = ["sha1-pass", "ferry-origin", "ferry-torrent", "aria2c-torrent", "ferry-magnet", "aria2c-magnet",
         "transmission", "ferry-list", "ferry-list-direct", "aria2c-metadata"]
LABEL = {
    "sha1-pass": "one SHA-1 pass (hashlib, in memory)",
    "ferry-origin": "ferry (.torrent) <- ferry origin",
    "ferry-torrent": "ferry (.torrent)",
    "aria2c-torrent": "aria2c (.torrent)",
    "ferry-magnet": "ferry (magnet)",
    "aria2c-magnet": "aria2c (magnet)",
    "transmission": "transmission-cli (.torrent)",
    "ferry-list": "ferry --list (metadata only)",
    "ferry-list-direct": "ferry --list from a ferry seeder (x.pe only)",
    "aria2c-metadata": "aria2c --bt-metadata-only",
}
# (ferry row, aria2c row, what)
PAIRS = [("ferry-torrent", "aria2c-torrent", ".torrent download"),
         ("ferry-magnet", "aria2c-magnet", "magnet download"),
         ("ferry-list", "aria2c-metadata", "metadata only")]


def base(tool):
    return tool.split("@", 1)[0]


def label(tool):
    b, _, v = tool.partition("@")
    return LABEL.get(b, b) + (" [%s]" % v if v else "")


def order(tool):
    b, _, v = tool.partition("@")
    return (ORDER.index(b) if b in ORDER else 99, v)


def fnum(x):
    try:
        return float(x)
    except (TypeError, ValueError):
        return None


def med(vals):
    vals = [v for v in vals if v is not None]
    return statistics.median(vals) if vals else None


def fmt(v, nd=2):
    return "-" if v is None else ("%.*f" % (nd, v))


def scen_key(s):
    try:
        return int(s.split("seed")[0].rstrip("-_ "))
    except ValueError:
        return 999


def summarize(rows):
    groups = {}
    for r in rows:
        groups.setdefault((r["tool"], r["scenario"]), []).append(r)
    out = []
    for (tool, scen), rs in groups.items():
        meta_only = all(r["verified"] in ("n/a",) or r["mib_s"] == "" for r in rs)
        good = [r for r in rs if r["verified"] in ("yes", "n/a") and r["rc"] == "0"]
        use = good or rs
        secs = med([fnum(r["seconds"]) for r in use])
        s = {
            "tool": tool, "scenario": scen, "runs": len(rs), "ok": len(good),
            "seconds": secs,
            "seconds_min": min(fnum(r["seconds"]) for r in use),
            "seconds_max": max(fnum(r["seconds"]) for r in use),
            "mib_s": med([fnum(r["mib_s"]) for r in use]) if not meta_only else None,
            "rss_mib": med([fnum(r["rss_mib"]) for r in use]),
            "rss_max": max(fnum(r["rss_mib"]) or 0 for r in use),
            "cpu_s": med([fnum(r.get("cpu_s")) for r in use]),
            "verified": ("%d/%d" % (len(good), len(rs))) if not meta_only else "n/a (%d/%d ok)" % (len(good), len(rs)),
            "net": "ok" if all(r["net"] == "ok" for r in rs) else "VIOLATION",
            "first_data": med([fnum(r["first_data"]) for r in use]),
            "last_data": med([fnum(r["last_data"]) for r in use]),
            "ev_meta": med([fnum(r.get("ev_meta")) for r in use]),
            "ev_first": med([fnum(r.get("ev_first")) for r in use]),
            "ev_complete": med([fnum(r.get("ev_complete")) for r in use]),
            "ev_done": med([fnum(r.get("ev_done")) for r in use]),
            # per-run splits of the wall time (socket sampler): start -> first
            # data, first -> last data, last data -> exit
            "split_wait": med([fnum(r["first_data"]) for r in use]),
            "split_xfer": med([fnum(r["last_data"]) - fnum(r["first_data"]) for r in use
                               if fnum(r["first_data"]) is not None and fnum(r["last_data"]) is not None]),
            "split_tail": med([fnum(r["seconds"]) - fnum(r["last_data"]) for r in use
                               if fnum(r["last_data"]) is not None]),
            "all_failed": not good,
            "notes": sorted({r["note"] for r in rs if r["note"]}),
            "meta_only": meta_only,
        }
        out.append(s)
    out.sort(key=lambda s: (scen_key(s["scenario"]), order(s["tool"]), s["tool"]))
    return out


def ratios(summ):
    by = {(s["tool"], s["scenario"]): s for s in summ}
    out = []
    for scen in sorted({s["scenario"] for s in summ}, key=scen_key):
        for f, a, what in PAIRS:
            sf, sa = by.get((f, scen)), by.get((a, scen))
            if not sf or not sa or not sf["seconds"] or not sa["seconds"]:
                continue
            out.append({
                "scenario": scen, "what": what, "ferry_s": sf["seconds"], "aria2c_s": sa["seconds"],
                "speed": sa["seconds"] / sf["seconds"],
                "rss": (sf["rss_mib"] / sa["rss_mib"]) if sf["rss_mib"] and sa["rss_mib"] else None,
                "valid": not sf["all_failed"] and not sa["all_failed"],
            })
    return out


def sha1_ratios(rows, summ):
    """wall / SHA-1 pass for every ferry-origin row (and variant)."""
    by = {(s["tool"], s["scenario"]): s for s in summ}
    out = []
    for s in summ:
        if base(s["tool"]) != "ferry-origin" or not s["seconds"]:
            continue
        h = by.get(("sha1-pass", s["scenario"]))
        if not h or not h["seconds"]:
            continue
        passes = {r["run"]: fnum(r["seconds"]) for r in rows
                  if r["tool"] == "sha1-pass" and r["scenario"] == s["scenario"]}
        per_run = [fnum(r["seconds"]) / passes[r["run"]] for r in rows
                   if r["tool"] == s["tool"] and r["scenario"] == s["scenario"]
                   and r["verified"] == "yes" and r["rc"] == "0"
                   and passes.get(r["run"]) and fnum(r["seconds"])]
        out.append({"tool": s["tool"], "scenario": s["scenario"], "fetch_s": s["seconds"],
                    "sha1_s": h["seconds"], "ratio": s["seconds"] / h["seconds"],
                    "per_run": med(per_run), "valid": not s["all_failed"]})
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs-csv", required=True)
    ap.add_argument("--outdir", required=True)
    ap.add_argument("--title", default="")
    a = ap.parse_args()
    with open(a.runs_csv, newline="") as f:
        rows = list(csv.DictReader(f))
    if not rows:
        print("report: no runs recorded")
        return 1
    summ = summarize(rows)
    rat = ratios(summ)
    srat = sha1_ratios(rows, summ)
    has_ev = any(s["ev_first"] is not None for s in summ)

    # ---- plain table
    hdr = "%-30s %-9s %4s %8s %7s %7s %6s %11s %-12s %7s %8s" % (
        "tool", "scenario", "runs", "median_s", "MiB/s", "RSS_MiB", "CPU_s", "range_s", "verified", "1st_dat", "last_dat")
    lines = [hdr, "-" * len(hdr)]
    for s in summ:
        lines.append("%-30s %-9s %4d %8s %7s %7s %6s %11s %-12s %7s %8s%s" % (
            label(s["tool"]), s["scenario"], s["runs"], fmt(s["seconds"]),
            fmt(s["mib_s"], 1), fmt(s["rss_mib"], 1), fmt(s["cpu_s"]),
            "%s-%s" % (fmt(s["seconds_min"], 1), fmt(s["seconds_max"], 1)),
            s["verified"], fmt(s["first_data"], 1), fmt(s["last_data"], 1),
            "  ALL RUNS FAILED" if s["all_failed"] else ("" if s["net"] == "ok" else "  NET VIOLATION")))
    if rat:
        lines.append("")
        lines.append("ferry vs aria2c (throughput ratio = aria2c_s / ferry_s; >1 means ferry is faster):")
    for r in rat:
        lines.append("  %-9s %-18s ferry %6.2f s  aria2c %6.2f s  speed x%.2f  RSS ferry/aria2c %s%s" % (
            r["scenario"], r["what"], r["ferry_s"], r["aria2c_s"], r["speed"],
            fmt(r["rss"]), "" if r["valid"] else "  (failed runs involved)"))
    if srat:
        lines.append("")
        lines.append("one ferry origin -> one ferry fetch, against one SHA-1 pass over the payload (1.0 = the floor):")
        for r in srat:
            lines.append("  %-36s fetch %6.2f s  SHA-1 pass %6.2f s  wall/pass x%.2f  (median of per-run ratios x%s)%s" % (
                label(r["tool"]), r["fetch_s"], r["sha1_s"], r["ratio"], fmt(r["per_run"]),
                "" if r["valid"] else "  (all runs failed)"))
    splits = [s for s in summ if s["split_xfer"] is not None]
    if splits:
        lines.append("")
        lines.append("where the wall time goes (medians of per-run values, from the socket sampler, +-0.1 s):")
        lines.append("  %-30s %-9s %10s %10s %10s %10s" % ("tool", "scenario", "to 1st data", "transfer", "after data", "wall"))
        for s in splits:
            lines.append("  %-30s %-9s %10s %10s %10s %10s" % (
                label(s["tool"]), s["scenario"], fmt(s["split_wait"]), fmt(s["split_xfer"]),
                fmt(s["split_tail"]), fmt(s["seconds"])))
    if has_ev:
        lines.append("")
        lines.append("ferry --json progress events (median seconds after start; FERRY_PROGRESS_INTERVAL=0.1):")
        for s in summ:
            if s["ev_first"] is None and s["ev_done"] is None:
                continue
            lines.append("  %-28s %-9s metadata %s  first byte %s  complete %s  done-event %s  exit %s" % (
                label(s["tool"]), s["scenario"], fmt(s["ev_meta"]), fmt(s["ev_first"]),
                fmt(s["ev_complete"]), fmt(s["ev_done"]), fmt(s["seconds"])))
    notes = [(s, n) for s in summ for n in s["notes"]]
    if notes:
        lines.append("")
        lines.append("notes from failed or odd runs:")
        for s, n in notes:
            lines.append("  %s %s: %s" % (s["tool"], s["scenario"], n[:300]))
    var = [s for s in summ if "@" in s["tool"]]
    if var:
        by = {(s["tool"], s["scenario"]): s for s in summ}
        lines.append("")
        lines.append("ferry variants vs plain ferry (speed = plain_s / variant_s; >1 means the variant is faster):")
        for v in var:
            b = by.get((base(v["tool"]), v["scenario"]))
            if b and b["seconds"] and v["seconds"]:
                lines.append("  %-9s %-32s %6.2f s vs %6.2f s  speed x%.2f  RSS %s vs %s MiB" % (
                    v["scenario"], label(v["tool"]), v["seconds"], b["seconds"], b["seconds"] / v["seconds"],
                    fmt(v["rss_mib"], 1), fmt(b["rss_mib"], 1)))
    text = "\n".join(lines)

    # ---- markdown
    md = []
    if a.title:
        md.append(a.title)
        md.append("")
    md.append("| tool | scenario | median s | MiB/s | peak RSS MiB | CPU s | verified | first data s | last data s |")
    md.append("|---|---|---:|---:|---:|---:|---|---:|---:|")
    for s in summ:
        md.append("| %s | %s | %s | %s | %s | %s | %s | %s | %s |" % (
            label(s["tool"]), s["scenario"], fmt(s["seconds"]),
            fmt(s["mib_s"], 1), fmt(s["rss_mib"], 1), fmt(s["cpu_s"]),
            s["verified"] + (" (all failed)" if s["all_failed"] else ""),
            fmt(s["first_data"], 1), fmt(s["last_data"], 1)))
    if rat:
        md.append("")
        md.append("| scenario | comparison | ferry s | aria2c s | throughput ferry/aria2c | peak RSS ferry/aria2c |")
        md.append("|---|---|---:|---:|---:|---:|")
        for r in rat:
            md.append("| %s | %s | %.2f | %.2f | %.2fx | %s |" % (
                r["scenario"], r["what"], r["ferry_s"], r["aria2c_s"], r["speed"],
                (fmt(r["rss"]) + "x") if r["rss"] else "-"))
    if srat:
        md.append("")
        md.append("| fetch | median wall s | median SHA-1 pass s | wall / SHA-1 pass | median of per-run ratios |")
        md.append("|---|---:|---:|---:|---:|")
        for r in srat:
            md.append("| %s | %.2f | %.2f | %.2fx | %sx |" % (
                label(r["tool"]), r["fetch_s"], r["sha1_s"], r["ratio"], fmt(r["per_run"])))
    if splits:
        md.append("")
        md.append("| tool | scenario | start to first data s | transfer s | last data to exit s | wall s |")
        md.append("|---|---|---:|---:|---:|---:|")
        for s in splits:
            md.append("| %s | %s | %s | %s | %s | %s |" % (
                label(s["tool"]), s["scenario"], fmt(s["split_wait"], 1), fmt(s["split_xfer"], 1),
                fmt(s["split_tail"], 1), fmt(s["seconds"])))
    mdtext = "\n".join(md)

    os.makedirs(a.outdir, exist_ok=True)
    with open(os.path.join(a.outdir, "summary.csv"), "w", newline="") as f:
        cols = ["tool", "scenario", "runs", "ok", "seconds", "seconds_min", "seconds_max", "mib_s",
                "rss_mib", "rss_max", "cpu_s", "verified", "net", "first_data", "last_data",
                "ev_meta", "ev_first", "ev_complete", "ev_done"]
        w = csv.writer(f)
        w.writerow(cols)
        for s in summ:
            w.writerow([("%.3f" % s[c]) if isinstance(s[c], float) else s[c] for c in cols])
    with open(os.path.join(a.outdir, "summary.md"), "w") as f:
        f.write(mdtext + "\n")
    with open(os.path.join(a.outdir, "summary.txt"), "w") as f:
        f.write(text + "\n")
    print(text)
    print("")
    print("markdown (also in %s/summary.md):" % a.outdir)
    print("")
    print(mdtext)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
