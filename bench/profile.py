"""Where a hot path's CPU goes, by library (issue 14): py-spy samples the server while ``wrk`` drives it.

    make bench-tools   # wrk and py-spy
    .venv/bin/python bench/profile.py [--seconds 15] [--only "order detail"] [--functions 30]

For each work of ``bench/compare.py`` (those with a floor route, and the keyed ``{ __typename }``), a fresh
seeded Ordergraph on core 0 is driven by ``wrk`` on core 1 while ``py-spy record --gil`` samples it; each
sample's innermost frame that is not the standard library is charged to its library (tortoise, pypika,
strawberry, graphql, starlette, uvicorn, aiosqlite, ours = app/schema/resolvers/domain/db/worker, ...).
Prints one table per work: share of samples by library; with ``--functions N``, also the N functions holding
most samples, on top of the stack (own) and anywhere in it (inclusive).
"""

from __future__ import annotations

import argparse
import collections
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.compare import BODIES, WORK, Ours, drive, wait_quiet  # noqa: E402
from bench.outbox_bench import pinned, stop  # noqa: E402

OURS = ("app", "schema", "resolvers", "domain", "db", "worker", "integrations")


def library(frame: str) -> str | None:
    """The library a py-spy frame ("function (path:line)", the path relative to its sys.path entry) belongs
    to; None for the standard library."""
    path = frame.rsplit("(", 1)[-1]
    if "site-packages/" in path:
        path = path.split("site-packages/", 1)[1]
    top = path.split("/", 1)[0].split(".", 1)[0].split(":", 1)[0]
    if top in OURS:
        return "ours"
    if top.startswith("<") or top in sys.stdlib_module_names:
        return None
    return top


def summarize(raw: Path) -> collections.Counter[str]:
    """Samples per library, from py-spy's raw (collapsed) output: "frame;frame;... count"."""
    counts: collections.Counter[str] = collections.Counter()
    for line in raw.read_text().splitlines():
        stack, _, n = line.rpartition(" ")
        frames = stack.split(";")
        owner = next((lib for lib in map(library, reversed(frames)) if lib), "python")
        counts[owner] += int(n)
    return counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=int, default=15)
    parser.add_argument("--only", default="")
    parser.add_argument("--functions", type=int, default=0,
                        help="also print the N functions with most samples, own (innermost) and inclusive")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="og-profile-"))
    ours = Ours(tmp)
    for work in WORK:
        if not work.name.startswith(args.only) or not work.key:
            continue
        wait_quiet()
        for stale in ours.dir.glob("og.sqlite3*"):
            stale.unlink()
        (ours.dir / "og.sqlite3").write_bytes(ours.template.read_bytes())
        process, base = ours._serve()
        raw = tmp / "profile.txt"
        try:
            drive(f"{base}/graphql", BODIES / work.ours, 3, ids=ours.dir / "ids", key=ours.key)
            spy = subprocess.Popen(pinned(1, [str(Path(sys.executable).parent / "py-spy"), "record", "--gil",
                                              "--format", "raw", "--rate", "200", "--duration",
                                              str(args.seconds + 1), "--pid", str(process.pid), "-o", str(raw)]),
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            got = drive(f"{base}/graphql", BODIES / work.ours, args.seconds, ids=ours.dir / "ids", key=ours.key)
            spy.wait(60)
        finally:
            stop(process)
        counts = summarize(raw)
        total = sum(counts.values()) or 1
        print(f"\n{work.name}: {got['req/s']:.1f} req/s, {total} samples\n| library | share |\n|---|---|")
        for name, n in counts.most_common(12):
            print(f"| {name} | {100 * n / total:.1f}% |")
        if args.functions:
            functions(raw, args.functions, total)


def functions(raw: Path, top: int, total: int) -> None:
    """The functions holding most samples: on top of the stack (own) and anywhere in it (inclusive)."""
    own: collections.Counter[str] = collections.Counter()
    inclusive: collections.Counter[str] = collections.Counter()
    for line in raw.read_text().splitlines():
        stack, _, n = line.rpartition(" ")
        frames = [frame.rsplit(":", 1)[0] for frame in stack.split(";")]
        own[frames[-1]] += int(n)
        for frame in set(frames):
            inclusive[frame] += int(n)
    for title, counts in (("own", own), ("inclusive", inclusive)):
        print(f"\n| function ({title}) | share |\n|---|---|")
        for name, n in counts.most_common(top):
            print(f"| {name[-110:]} | {100 * n / total:.1f}% |")


if __name__ == "__main__":
    main()
