#!/usr/bin/env python3
"""Peer for scripts/bench-extract: trafilatura over a folder of pages (KEY.html.gz), timed as
drillwatch-bench extract is (bytes in memory -> article text; reading and decompressing not
timed). Prints one JSON line (pages_per_s, peak_rss_mb); --out writes the bodies in the
format of ../shared/extraction/score_extraction.py.

usage: extract_trafilatura.py DIR [--repeat N] [--out PREDICTIONS.json]"""
import argparse, gzip, json, os, resource, time

import trafilatura


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("folder")
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--out")
    options = parser.parse_args()
    pages = []
    for name in sorted(os.listdir(options.folder)):
        path = os.path.join(options.folder, name)
        if name.endswith(".html.gz"):
            pages.append((name[:-8], gzip.open(path).read()))
        elif name.endswith(".html"):
            pages.append((name[:-5], open(path, "rb").read()))
    times, bodies = [], {}
    for _ in range(options.repeat):
        started = time.perf_counter()
        for key, data in pages:
            bodies[key] = trafilatura.extract(data) or ""
        times.append(time.perf_counter() - started)
    median = sorted(times)[len(times) // 2]
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"peer": "trafilatura", "version": trafilatura.__version__, "stage": "extract", "pages": len(pages),
                      "seconds": round(median, 3), "pages_per_s": round(len(pages) / median, 1), "peak_rss_mb": round(peak, 1)}))
    if options.out:
        with open(options.out, "w", encoding="utf-8") as f:
            json.dump({key: {"articleBody": body} for key, body in bodies.items()}, f, ensure_ascii=False)


if __name__ == "__main__":
    main()
