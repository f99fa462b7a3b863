"""Cost of the point-in-time copy: time and memory of PointInTimeView on an ingested warehouse.

    cible generate --customers 20000 --out world/ && cible ingest --config cible.yaml --out out/
    python bench/pointintime.py out/warehouse.duckdb --cutoff 2026-04-02 [--as-of 2026-07-01]

Each measurement runs in a fresh child process, which reports its own peak resident set size
(``resource.getrusage(RUSAGE_SELF).ru_maxrss``, interpreter and imports included):

* ``direct``: :func:`build_predict_features` on the warehouse itself (no copy, no protection: the
  floor the view is compared with);
* ``view``: :func:`point_in_time_features` (copy of the feature columns, then the same features);
* ``view, all columns``: the copy alone with every event column.

Prints, per run, the wall time, the peak RSS, the copy time, the rows copied and the memory the
private DuckDB holds (``duckdb_memory()``). Nothing else may have the warehouse file open.
Last lines: one JSON object per measured configuration, {"bench": "pointintime", ...} (bench/_emit.py).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from datetime import date

from _emit import emit  # bench/ is the script folder on sys.path

_CHILD = """
import json, resource, sys, time
from datetime import date
from cible.predict.predict_features import PREDICT_EVENT_COLUMNS, build_predict_features
from cible.predict.pointintime import PointInTimeView
from cible.warehouse.duckdb import DuckDBWarehouse

mode, path, day = sys.argv[1], sys.argv[2], date.fromisoformat(sys.argv[3])
wh = DuckDBWarehouse(path)
out = {}
t0 = time.perf_counter()
if mode == "direct":
    out["customers"] = len(build_predict_features(wh, day))
else:
    columns = None if mode == "copy-all" else PREDICT_EVENT_COLUMNS
    view = PointInTimeView(wh, day, event_columns=columns)
    out["copy_s"] = time.perf_counter() - t0
    out["rows"] = view.rows
    out["engine_mib"] = float(view.scalar(
        "SELECT sum(memory_usage_bytes) FROM duckdb_memory() WHERE tag = 'IN_MEMORY_TABLE'"
    )) / 2**20
    if mode == "view":
        out["customers"] = len(build_predict_features(view, day))
    view.close()
out["wall_s"] = time.perf_counter() - t0
out["peak_rss_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps(out))
"""


def run(mode: str, path: str, day: date) -> dict[str, object]:
    child = subprocess.run(
        [sys.executable, "-c", _CHILD, mode, path, day.isoformat()],
        check=True,
        capture_output=True,
        text=True,
    )
    result: dict[str, object] = json.loads(child.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("warehouse")
    parser.add_argument("--cutoff", type=date.fromisoformat, required=True)
    parser.add_argument("--as-of", type=date.fromisoformat, default=None)
    args = parser.parse_args()
    days = [args.cutoff] + ([args.as_of] if args.as_of else [])
    lines: list[dict[str, object]] = []
    for day in days:
        for mode in ("direct", "view", "copy-all"):
            r = run(mode, args.warehouse, day)
            figures = "  ".join(
                f"{k}={v:.2f}" if isinstance(v, float) else f"{k}={v}" for k, v in r.items()
            )
            print(f"{day.isoformat()}  {mode:9s}  {figures}")
            lines.append({"date": day.isoformat(), "mode": mode, **r})
    for line in lines:  # the machine-readable figures, last
        emit("pointintime", **line)


if __name__ == "__main__":
    main()
