"""Mutation score per module from the results mutmut left in ``mutants/`` (``make mutation``).

Score = killed / (mutants checked - equivalent mutants). Equivalent mutants (a change no test can
observe because the behaviour is the same) are listed, one per line with its reason, in
``docs/mutation-equivalent.txt``; see docs/testing.md. Timeouts count as killed (the mutant made
the code loop), "no tests" and "suspicious" count as survivors. Prints one line per module, then
the survivors that are not declared equivalent, then the total.

    python bench/mutation_score.py [--survivors]
Last lines: one JSON object per measured configuration, {"bench": "mutation", ...} (bench/_emit.py).
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path

from _emit import emit  # bench/ is the script folder on sys.path

ROOT = Path(__file__).resolve().parents[1]
MUTANTS = ROOT / "mutants" / "src"
EQUIVALENT = ROOT / "docs" / "mutation-equivalent.txt"
KILLED = {1, 3, 36, -24, 24, 152, 255, 37}
SURVIVED = {0, 5, 33, 35}


def equivalent_mutants(path: Path = EQUIVALENT) -> set[str]:
    """Names of the declared equivalent mutants: the first word of each non-comment line."""
    if not path.exists():
        return set()
    lines = (line.split("#", 1)[0].strip() for line in path.read_text("utf-8").splitlines())
    return {line.split()[0] for line in lines if line}


def module_results(root: Path = MUTANTS) -> dict[str, dict[str, int | None]]:
    """``{module: {mutant name: exit code}}`` for every mutated module."""
    out: dict[str, dict[str, int | None]] = {}
    for meta in sorted(root.rglob("*.py.meta")):
        module = ".".join(meta.relative_to(root).with_suffix("").with_suffix("").parts)
        out[module] = json.loads(meta.read_text("utf-8"))["exit_code_by_key"]
    return out


def main(argv: list[str]) -> int:
    results = module_results()
    if not results:
        print("no mutation results in mutants/: run `make mutation` first")
        return 1
    equivalent = equivalent_mutants()
    totals: Counter[str] = Counter()
    survivors: list[str] = []
    print(f"{'module':52} {'mutants':>7} {'checked':>7} {'killed':>6} {'equiv':>5} {'score':>6}")
    for module, codes in results.items():
        c: Counter[str] = Counter()
        for name, code in codes.items():
            if code is None:
                continue
            c["checked"] += 1
            if code in KILLED:
                c["killed"] += 1
            elif name in equivalent:
                c["equivalent"] += 1
            else:
                survivors.append(name)
        c["mutants"] = len(codes)
        totals.update(c)
        live = c["checked"] - c["equivalent"]
        score = f"{100 * c['killed'] / live:5.1f}%" if live else "    -"
        print(
            f"{module:52} {c['mutants']:7} {c['checked']:7} {c['killed']:6} "
            f"{c['equivalent']:5} {score:>6}"
        )
    live = totals["checked"] - totals["equivalent"]
    if "--survivors" in argv and survivors:
        print("\nsurvivors (see one with `mutmut show NAME`):")
        for name in survivors:
            print(f"  {name}")
    score = 100 * totals["killed"] / live if live else float("nan")
    print(
        f"\nTOTAL: {totals['killed']} killed of {live} non-equivalent mutants checked "
        f"({totals['equivalent']} equivalent, {totals['mutants'] - totals['checked']} not checked): "
        f"{score:.1f}%"
    )
    emit(
        "mutation",
        mutants=totals["mutants"],
        checked=totals["checked"],
        killed=totals["killed"],
        equivalent=totals["equivalent"],
        score_pct=score,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
