"""Cost of standardisation and of the data-quality report during ingestion.

    python bench/quality.py --customers 20000

Generates the demo world, then maps every source of the demo configuration three ways, on the
same files, and prints the seconds of each (the best of ``--repeat`` runs, after a warm-up run):
without standardisation (``standardize.auto: false``) and without quality measures, with
standardisation, and with standardisation plus the quality measures. Also prints the
standardisation and quality seconds that ``map_source`` records, per source (best run).
Last lines: one JSON object per measured configuration, {"bench": "quality", ...} (bench/_emit.py).
"""

from __future__ import annotations

import argparse
import datetime as dt
import tempfile
import time
from pathlib import Path

from _emit import emit  # bench/ is the script folder on sys.path
from cible.config import CibleConfig, StandardizeConfig, load_config
from cible.ingest.engine import QualityOptions, SourceResult, map_source
from cible.ingest.readers import RawSource, read_source
from cible.services.demo import write_demo_config
from cible.synth.generate import generate_world


def _map_all(
    config: CibleConfig,
    raws: list[RawSource],
    standardize: StandardizeConfig,
    quality: QualityOptions | None,
) -> tuple[float, list[SourceResult]]:
    t0 = time.perf_counter()
    results = [
        map_source(s, raw, standardize, quality)
        for s, raw in zip(config.sources, raws, strict=True)
    ]
    return time.perf_counter() - t0, results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--customers", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        generate_world(args.customers, args.seed, out / "data")
        config = load_config(write_demo_config(out))
        raws = [read_source(config.source_path(s), s) for s in config.sources]
        rows = sum(r.n_read for r in raws)
        print(f"demo world: {args.customers:,} customers, {rows:,} rows in {len(raws)} sources")
        off = StandardizeConfig(auto=False)
        options = QualityOptions(config.quality, config.as_of or dt.date.today())
        _map_all(config, raws, off, None)  # warm-up: imports, DuckDB, phonenumbers metadata

        def best(
            standardize: StandardizeConfig, quality: QualityOptions | None
        ) -> tuple[float, list[SourceResult]]:
            runs = [_map_all(config, raws, standardize, quality) for _ in range(args.repeat)]
            return min(runs, key=lambda run: run[0])

        base, _ = best(off, None)
        std, _ = best(config.standardize, None)
        full, results = best(config.standardize, options)
        print(f"map, no standardisation, no quality : {base:6.2f} s")
        print(f"map + standardisation                : {std:6.2f} s  (+{std - base:.2f} s)")
        print(f"map + standardisation + quality      : {full:6.2f} s  (+{full - base:.2f} s)")
        for r in results:
            steps = ", ".join(f"{k} {v:.2f} s" for k, v in r.seconds.items())
            print(f"  {r.name:8s} {r.read:>9,} rows: {steps}")
        print("(a shared machine inflates every figure; compare the lines, not the absolutes)")
        for name, seconds in (
            ("map", base),
            ("map+standardize", std),
            ("map+standardize+quality", full),
        ):
            emit(
                "quality", configuration=name, customers=args.customers, rows=rows, seconds=seconds
            )


if __name__ == "__main__":
    main()
