"""The median of several runs of a benchmark, now beside the baseline, as a Markdown table.

    .venv/bin/python bench/ws_fanout.py --clients 100 --baseline b1517b1 >> runs.jsonl  # 3×
    .venv/bin/python bench/summary.py runs.jsonl

Reads the JSON lines the benchmarks print; runs of the same benchmark with the same
arguments are grouped, and every number they report is given as the median over the
runs (lost updates and failures are summed instead: one is one too many). Also gives the
load average before and after each run, which says how much the machine was shared.
"""

from __future__ import annotations

import json
import statistics
import sys
from collections import defaultdict

ARGUMENTS = {
    "clients",
    "processes",
    "layer",
    "db",
    "rounds",
    "deadline_s",
    "participants",
    "concurrency",
    "duration_s",
}
SUMMED = ("lost_updates", "refused_moves", "sockets_closed_early", "failures", "outcomes")


def numbers(figures: dict, prefix: str = "") -> dict[str, float]:
    """Every number in a nested result, by its dotted path; lists are left out."""
    found = {}
    for key, value in figures.items():
        path = f"{prefix}{key}"
        if isinstance(value, dict):
            found |= numbers(value, f"{path}.")
        elif isinstance(value, int | float) and not isinstance(value, bool) and key != "n":
            found[path] = value
    return found


def combined(runs: list[dict[str, float]], path: str) -> float:
    values = [run.get(path, 0) for run in runs]
    if any(part in path for part in SUMMED):
        return sum(values)
    return round(statistics.median(values), 1)


def table(lines: list[dict]) -> str:
    first = lines[0]
    arguments = ", ".join(f"{key} {first[key]}" for key in sorted(ARGUMENTS & first.keys()))
    sides = [side for side in ("now", "baseline") if side in first]
    runs = {side: [numbers(line[side]) for line in lines if side in line] for side in sides}
    paths = list(dict.fromkeys(path for side in sides for run in runs[side] for path in run))
    revisions = {
        side: sorted({line[side]["revision"] for line in lines if side in line}) for side in sides
    }
    out = [
        f"### {first['benchmark']}: {arguments}",
        "",
        f"{len(lines)} runs, {lines[0]['date']} to {lines[-1]['date']}; load average "
        + "; ".join(f"{line['load_before'][0]} → {line['load_after'][0]}" for line in lines),
        "",
        "| figure | "
        + " | ".join(f"{side} ({', '.join(revisions[side])})" for side in sides)
        + " |",
        "|---|" + "---|" * len(sides),
    ]
    for path in paths:
        cells = [str(combined(runs[side], path)) for side in sides]
        out.append(f"| {path} | " + " | ".join(cells) + " |")
    return "\n".join(out)


def main() -> None:
    groups: dict[tuple, list[dict]] = defaultdict(list)
    for name in sys.argv[1:]:
        with open(name, encoding="utf-8") as lines:
            for line in lines:
                if line.strip():
                    result = json.loads(line)
                    key = (result["benchmark"], *(result.get(a) for a in sorted(ARGUMENTS)))
                    groups[key].append(result)
    print("\n\n".join(table(lines) for lines in groups.values()))


if __name__ == "__main__":
    main()
