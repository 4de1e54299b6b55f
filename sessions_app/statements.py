"""Querysets whose SQL Django composes once per database, then runs with each call's values.

The live meeting's hottest reads (a facilitator's meeting, a phone's participant, the
topic a move takes and the slot it goes to, the wall a delivery renders) are small
queries, and composing their SQL cost Django more than the database took to run them: a
facilitator's meeting read took 3.8 ms in a Django shell on PostgreSQL, and 0.9 ms
composed once (docs/benchmarks.md, "The eighth round"). A `Statement` composes its
queryset once for each database, with stand-in values for the parameters, and runs that
SQL with each call's own values. The rows become what the queryset would give, by its
own iterable (objects with their related objects and annotations, or the tuples of
`values_list`), every column converted as the ORM converts it for the connection that
reads it.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from django.core.exceptions import MultipleObjectsReturned
from django.db import connections, router
from django.db.models import QuerySet
from django.db.models.query import BaseIterable
from django.db.models.sql import Query
from django.db.models.sql.compiler import SQLCompiler
from django.db.transaction import TransactionManagementError

# The widest integer a database column holds.
INT_MIN, INT_MAX = -(2**63), 2**63 - 1


@dataclass(frozen=True)
class _Composed:
    """A queryset's SQL as Django composed it for one database, and where each value goes."""

    query: Query
    # How the queryset turns rows into results (objects, tuples), and its named fields.
    iterable: type[BaseIterable]
    fields: tuple[str, ...] | None
    # Its state (the columns, the related objects) read by the iterable; no connection.
    compiler: SQLCompiler
    sql: str
    # For each parameter: the name of the value that goes there and the type it is given
    # as (a backend may wrap a number, as psycopg's Int4), or None and the constant.
    slots: tuple[tuple[str | None, Any], ...]


def _other(stand_in: int | str) -> int | str:
    """A second stand-in for the same value, to tell its parameters from the constants."""
    return stand_in - 1_000_003 if isinstance(stand_in, int) else f"{stand_in}-other"


class Statement:
    """A queryset made by `build` from named values, composed once per database.

    `build` is called with the `stand_ins` (one int or str per name) only to compose the
    SQL: twice, with two sets of stand-ins, so that a parameter that follows the
    stand-in is taken for the value and one that stays is a constant. Each call then
    passes its own values by the same names. Only plain comparisons may take a value: a
    parameter made from one (`icontains`, a date's range, arithmetic) is refused when the
    SQL is composed. Prefetching and a fetch mode of its own are refused too.
    """

    def __init__(self, build: Callable[..., QuerySet], **stand_ins: int | str) -> None:
        if any(type(value) not in (int, str) for value in stand_ins.values()):
            raise TypeError("Each stand-in must be an int or a str.")
        everyone = [*stand_ins.values(), *map(_other, stand_ins.values())]
        if len(set(everyone)) != len(everyone):
            raise ValueError("Each stand-in must be a value of its own.")
        self.build = build
        self.stand_ins = stand_ins
        # By database alias: the SQL is the same for each of its connections.
        self._composed: dict[str, _Composed] = {}

    def all(self, **values: Any) -> list:
        """What the queryset would give for these values: objects, or its values' tuples."""
        if values.keys() != self.stand_ins.keys():
            raise TypeError(f"Give exactly these values: {', '.join(self.stand_ins)}.")
        if any(value is None for value in values.values()):
            raise TypeError("A statement compares with =; None is not a value for it.")
        alias = self._alias()
        composed = self._composed_for(alias)
        parameters = tuple(
            kind(values[name]) if name is not None else kind for name, kind in composed.slots
        )
        if any(isinstance(value, int) and not INT_MIN <= value <= INT_MAX for value in parameters):
            # As Django's own lookups answer a number no column can hold (SQLite refuses it).
            return []
        connection = connections[alias]
        features = connection.features
        model, for_update = self._shape
        if (
            for_update
            and features.has_select_for_update
            and features.supports_transactions
            and connection.get_autocommit()
        ):
            raise TransactionManagementError(
                "select_for_update cannot be used outside of a transaction."
            )
        # This call's compiler: the composed one's state, on this thread's connection,
        # answering with these values.
        compiler = copy.copy(composed.compiler)
        compiler.connection = connection
        compiler.as_sql = lambda *args, **kwargs: (composed.sql, parameters)
        query = copy.copy(composed.query)
        query.get_compiler = lambda *args, **kwargs: compiler
        queryset = QuerySet(model=model, query=query, using=alias)
        # As `values_list()` sets them on its clone.
        queryset._iterable_class, queryset._fields = composed.iterable, composed.fields
        return list(composed.iterable(queryset))

    def one(self, **values: Any) -> Any | None:
        """The one result for these values, or None; more than one is an error, as for
        `QuerySet.get`."""
        found = self.all(**values)
        if len(found) > 1:
            raise MultipleObjectsReturned(f"The statement gave {len(found)} results, not one.")
        return found[0] if found else None

    def _alias(self) -> str:
        model, for_update = self._shape
        return router.db_for_write(model) if for_update else router.db_for_read(model)

    @cached_property
    def _shape(self) -> tuple[type, bool]:
        """The model read, and whether its rows are locked (then read on the database for
        writes): the same for every database."""
        queryset = self.build(**self.stand_ins)
        return queryset.model, bool(queryset.query.select_for_update)

    def _composed_for(self, alias: str) -> _Composed:
        composed = self._composed.get(alias)
        if composed is None:
            composed = self._composed.setdefault(alias, self._compose(alias))
        return composed

    def _compose(self, alias: str) -> _Composed:
        queryset = self.build(**self.stand_ins)
        # (Fetch modes are Django 6.1's.)
        default_mode = getattr(QuerySet(queryset.model), "_fetch_mode", None)
        if (
            queryset._prefetch_related_lookups
            or queryset._known_related_objects
            or getattr(queryset, "_fetch_mode", None) is not default_mode
        ):
            raise ValueError("A statement neither prefetches nor has a fetch mode of its own.")
        compiler = queryset.query.get_compiler(using=alias)
        sql, parameters = compiler.as_sql()
        others = {name: _other(value) for name, value in self.stand_ins.items()}
        other_sql, other_parameters = self.build(**others).query.get_compiler(using=alias).as_sql()
        if other_sql != sql or len(other_parameters) != len(parameters):
            raise ValueError("The query's SQL changes with the values it is given.")
        slots = tuple(
            self._slot(first, second, others)
            for first, second in zip(parameters, other_parameters, strict=True)
        )
        missing = set(self.stand_ins) - {name for name, _kind in slots}
        if missing:
            raise ValueError(f"The composed SQL does not take {', '.join(sorted(missing))}.")
        # Kept without its connection: each call sets its own thread's.
        compiler.connection = None
        return _Composed(
            query=queryset.query,
            iterable=queryset._iterable_class,
            fields=queryset._fields,
            compiler=compiler,
            sql=sql,
            slots=slots,
        )

    def _slot(self, first: Any, second: Any, others: dict) -> tuple[str | None, Any]:
        """Which value a parameter is, and as which type, from its two compositions: one
        that stays is a constant; one that follows a stand-in is that value."""
        if type(first) is type(second) and first == second:
            return None, first
        for name, stand_in in self.stand_ins.items():
            if first == stand_in and second == others[name] and type(first) is not bool:
                return name, type(first)
        raise ValueError("A parameter of the query is made from a value, not the value.")
