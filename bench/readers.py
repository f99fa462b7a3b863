"""Seconds to read the demo world's files with ``read_source``.

    python bench/readers.py --customers 20000 [--data DIR] [--repeat 3]

Generates the demo world (or reads ``--data``, a folder written by ``cible generate``), then reads
every source of the demo configuration with :func:`cible.ingest.readers.read_source` and prints,
per file, its rows read, rows malformed and the best seconds of ``--repeat`` runs.
Last lines: one JSON object per measured configuration, {"bench": "readers", ...} (bench/_emit.py).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from _emit import emit  # bench/ is the script folder on sys.path
from cible.config import load_config
from cible.ingest.readers import read_source
from cible.services.demo import write_demo_config
from cible.synth.generate import generate_world


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--customers", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--data", type=Path, default=None)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        data = args.data
        if data is None:
            data = out / "data"
            generate_world(args.customers, args.seed, data)
        cfg_path = write_demo_config(out)
        config = load_config(cfg_path)
        lines: list[dict[str, object]] = []
        for source in config.sources:
            path = data / config.source_path(source).name
            best = float("inf")
            for _ in range(args.repeat):
                t0 = time.perf_counter()
                raw = read_source(path, source)
                best = min(best, time.perf_counter() - t0)
            print(
                f"{source.name:8s} {path.name:18s} read {raw.n_read:>9,}  "
                f"malformed {len(raw.malformed):>5,}  {best:6.2f}s"
            )
            lines.append(
                dict(
                    source=source.name,
                    file=path.name,
                    rows=raw.n_read,
                    malformed=len(raw.malformed),
                    seconds=best,
                )
            )
        for line in lines:  # the machine-readable figures, last
            emit("readers", **line)


if __name__ == "__main__":
    main()
