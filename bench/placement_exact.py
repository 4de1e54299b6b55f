"""The exact solvers that docs/placement.md weighed against the annealing: CP-SAT (OR-Tools)
and HiGHS on the same generated meetings, each rule in turn (clashes, then people over
capacity, then slot positions, each bounded by the one before).

Neither solver is a dependency of the project. To repeat the comparison, in a throwaway
virtualenv:  python -m venv /tmp/exact && /tmp/exact/bin/pip install ortools highspy
then from the project root:  /tmp/exact/bin/python bench/placement_exact.py mid --seconds 120
"""

from __future__ import annotations

import argparse
import json
import math
import time

from placement import SIZES, generate

from sessions_app.placement import Instance, suggest_placement


def terms(instance: Instance):
    """What both models need: who wants what, who convenes what, the cost of each cell."""
    wanted_by: dict[int, list[int]] = {}
    convened_by: dict[int, list[int]] = {}
    for i, topic in enumerate(instance.topics):
        for person in topic.wanted:
            wanted_by.setdefault(person, []).append(i)
        for person in topic.conveners:
            convened_by.setdefault(person, []).append(i)
    over = [
        [0 if r.capacity is None else max(0, len(t.wanted) - r.capacity) for r in instance.rooms]
        for t in instance.topics
    ]
    return wanted_by, convened_by, over


def solve_cpsat(
    instance: Instance,
    seconds: float,
    workers: int,
    hint: dict[int, tuple[int, int]] | None,
    rules: int,
) -> dict:
    from ortools.sat.python import cp_model

    n, slots, rooms = len(instance.topics), len(instance.slots), len(instance.rooms)
    wanted_by, convened_by, over = terms(instance)
    model = cp_model.CpModel()
    x = {
        (i, s, r): model.new_bool_var("")
        for i in range(n)
        for s in range(slots)
        for r in range(rooms)
    }
    y = {(i, s): sum(x[i, s, r] for r in range(rooms)) for i in range(n) for s in range(slots)}
    for i in range(n):
        model.add(sum(y[i, s] for s in range(slots)) == 1)
    for s in range(slots):
        for r in range(rooms):
            model.add_at_most_one(x[i, s, r] for i in range(n))
        for topics in convened_by.values():
            if len(topics) > 1:
                model.add(sum(y[i, s] for i in topics) <= 1)
    clashes = []
    for topics in wanted_by.values():
        if len(topics) > 1:
            for s in range(slots):
                extra = model.new_int_var(0, len(topics) - 1, "")
                model.add(extra >= sum(y[i, s] for i in topics) - 1)
                clashes.append(extra)
    stages = {
        "clashes": sum(clashes),
        "over_capacity": sum(over[i][r] * x[i, s, r] for (i, s, r) in x),
        "slot_positions": sum(s * y[i, s] for (i, s) in y),
    }
    if hint is not None:
        slot_at = {slot.id: s for s, slot in enumerate(instance.slots)}
        room_at = {room.id: r for r, room in enumerate(instance.rooms)}
        for i, topic in enumerate(instance.topics):
            cell = hint[topic.id]
            for (j, s, r), var in x.items():
                if j == i:
                    model.add_hint(var, (s, r) == (slot_at[cell[0]], room_at[cell[1]]))
    result = {}
    for name, objective in list(stages.items())[:rules]:
        model.minimize(objective)
        solver = cp_model.CpSolver()
        solver.parameters.max_time_in_seconds = seconds
        solver.parameters.num_workers = workers
        status = solver.solve(model)
        if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            result[name] = {"status": solver.status_name(status)}
            break
        value = round(solver.objective_value)
        result[name] = {
            "value": value,
            "bound": round(solver.best_objective_bound),
            "status": solver.status_name(status),
            "seconds": round(solver.wall_time, 1),
        }
        model.add(objective <= value)
        model.clear_hints()
        for var in x.values():
            model.add_hint(var, solver.value(var))
    return result


def solve_highs(instance: Instance, seconds: float, rules: int) -> dict:
    import highspy

    n, slots, rooms = len(instance.topics), len(instance.slots), len(instance.rooms)
    wanted_by, convened_by, over = terms(instance)
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("time_limit", float(seconds))
    h.setOptionValue("threads", 1)
    x = {(i, s, r): h.addBinary() for i in range(n) for s in range(slots) for r in range(rooms)}
    y = {(i, s): sum(x[i, s, r] for r in range(rooms)) for i in range(n) for s in range(slots)}
    for i in range(n):
        h.addConstr(sum(y[i, s] for s in range(slots)) == 1)
    for s in range(slots):
        for r in range(rooms):
            h.addConstr(sum(x[i, s, r] for i in range(n)) <= 1)
        for topics in convened_by.values():
            if len(topics) > 1:
                h.addConstr(sum(y[i, s] for i in topics) <= 1)
    clashes = []
    for topics in wanted_by.values():
        if len(topics) > 1:
            for s in range(slots):
                extra = h.addVariable(lb=0)
                h.addConstr(extra >= sum(y[i, s] for i in topics) - 1)
                clashes.append(extra)
    stages = {
        "clashes": sum(clashes),
        "over_capacity": sum(over[i][r] * x[i, s, r] for (i, s, r) in x),
        "slot_positions": sum(s * y[i, s] for (i, s) in y),
    }
    result = {}
    for name, objective in list(stages.items())[:rules]:
        started = time.perf_counter()
        h.minimize(objective)
        info = h.getInfo()
        status = h.modelStatusToString(h.getModelStatus())
        if not math.isfinite(info.objective_function_value):
            result[name] = {"status": f"{status}, no placement found"}
            break
        value = round(info.objective_function_value)
        result[name] = {
            "value": value,
            "bound": round(info.mip_dual_bound, 1),
            "status": status,
            "seconds": round(time.perf_counter() - started, 1),
        }
        h.addConstr(objective <= value)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("size", choices=SIZES)
    parser.add_argument("--solver", choices=["cpsat", "highs"], default="cpsat")
    parser.add_argument("--seconds", type=float, default=60, help="time limit of each rule")
    parser.add_argument("--workers", type=int, default=2, help="CP-SAT's search workers")
    parser.add_argument("--seed", type=int, default=None, help="the generator's seed")
    parser.add_argument(
        "--rules", type=int, choices=[1, 2, 3], default=3, help="solve only the first rules"
    )
    parser.add_argument(
        "--hint", action="store_true", help="start CP-SAT from the suggestion: can it do better?"
    )
    args = parser.parse_args()
    size = SIZES[args.size]
    instance = generate(*size) if args.seed is None else generate(*size, seed=args.seed)
    suggestion = suggest_placement(instance)
    solved = (
        solve_cpsat(
            instance,
            args.seconds,
            args.workers,
            suggestion.placement if args.hint else None,
            args.rules,
        )
        if args.solver == "cpsat"
        else solve_highs(instance, args.seconds, args.rules)
    )
    line = {
        "size": args.size,
        "solver": args.solver,
        "seconds_per_rule": args.seconds,
        "hint": args.hint,
        "suggestion": {
            "clashes": suggestion.after.clashes,
            "over_capacity": suggestion.after.over_capacity,
        },
        "exact": solved,
    }
    print(json.dumps(line))


if __name__ == "__main__":
    main()
