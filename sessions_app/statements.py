"""Querysets whose SQL Django composes once per database connection, then runs with new values.

The live meeting's hottest reads (a facilitator's meeting, a phone's participant, the
topic a move takes and the slot it goes to, the wall a delivery renders) are small
queries, and composing their SQL cost Django more than the database took to run them: a
facilitator's meeting read took 3.8 ms in a Django shell on PostgreSQL, and 0.9 ms
composed once (docs/benchmarks.md, "The eighth round"). A `Statement` composes its
queryset once for each connection, with stand-in values for the parameters, and runs
that SQL with each call's own values. The rows become what the queryset would give, by
its own iterable (objects with their related objects and annotations, or the tuples of
`values_list`), every column converted as the ORM converts it.
"""

from __future__ import annotations

import copy
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar
from weakref import WeakKeyDictionary

from django.db import connections, router
from django.db.models import Model, QuerySet
from django.db.models.query import BaseIterable
from django.db.models.sql import Query
from django.db.models.sql.compiler import SQLCompiler
from django.db.transaction import TransactionManagementError

M = TypeVar("M", bound=Model)
# The widest integer a database column holds.
INT_MIN, INT_MAX = -(2**63), 2**63 - 1


@dataclass(frozen=True)
class _Composed:
    """A queryset's SQL as one connection's compiler composed it, and where each value goes."""

    query: Query
    # How the queryset turns rows into results (objects, tuples), and its named fields.
    iterable: type[BaseIterable]
    fields: tuple[str, ...] | None
    compiler: SQLCompiler
    sql: str
    # For each parameter: the name of the value that goes there and the type it is given
    # as (a backend may wrap a number, as psycopg's Int4), or None and the constant.
    slots: tuple[tuple[str | None, Any], ...]


class Statement(Generic[M]):  # noqa: UP046 (the house's import check reads Python 3.11)
    """A queryset made by `build` from named values, composed once per connection.

    `build` is called with the `stand_ins` (one distinct int or str per name, which no
    constant of the query may equal) only to compose the SQL; each call then passes its
    own values by the same names. Only plain comparisons may take a value: one whose
    lookup changes it (`icontains`, a date's range) is refused when the SQL is composed.
    """

    def __init__(self, build: Callable[..., QuerySet[M]], **stand_ins: int | str) -> None:
        if len(set(stand_ins.values())) != len(stand_ins):
            raise ValueError("Each stand-in must be a value of its own.")
        self.build = build
        self.stand_ins = stand_ins
        self._shape: tuple[type[M], bool] | None = None
        self._composed: WeakKeyDictionary[Any, _Composed] = WeakKeyDictionary()
        self._lock = threading.Lock()

    def all(self, **values: Any) -> list:
        """What the queryset would give for these values: objects, or its values' tuples."""
        if values.keys() != self.stand_ins.keys():
            raise TypeError(f"Give exactly these values: {', '.join(self.stand_ins)}.")
        if any(
            isinstance(value, int) and not INT_MIN <= value <= INT_MAX for value in values.values()
        ):
            # As Django's own lookups answer a number no column can hold (SQLite refuses it).
            return []
        model, for_update = self.shape()
        alias = router.db_for_write(model) if for_update else router.db_for_read(model)
        connection = connections[alias]
        if for_update and connection.get_autocommit():
            raise TransactionManagementError(
                "select_for_update cannot be used outside of a transaction."
            )
        composed = self._composed.get(connection) or self._compose(connection, alias)
        parameters = tuple(
            kind(values[name]) if name is not None else kind for name, kind in composed.slots
        )
        # This call's compiler: the composed one's state, answering with these values.
        compiler = copy.copy(composed.compiler)
        compiler.as_sql = lambda *args, **kwargs: (composed.sql, parameters)
        query = copy.copy(composed.query)
        query.get_compiler = lambda *args, **kwargs: compiler
        queryset = QuerySet(model=model, query=query, using=alias)
        # As `values_list()` sets them on its clone.
        queryset._iterable_class, queryset._fields = composed.iterable, composed.fields
        return list(composed.iterable(queryset))

    def first(self, **values: Any) -> M | None:
        """The first object for these values, or None; give the query its own order and
        limit, since none is added here."""
        found = self.all(**values)
        return found[0] if found else None

    def shape(self) -> tuple[type[M], bool]:
        """The model read, and whether rows are locked (read on the database for writes)."""
        if self._shape is None:
            queryset = self.build(**self.stand_ins)
            self._shape = (queryset.model, bool(queryset.query.select_for_update))
        return self._shape

    def _slot(self, parameter: Any) -> tuple[str | None, Any]:
        """Which value a parameter of the composed SQL is, and as which type; a constant
        equal to a stand-in would be taken for it, and is refused."""
        for name, stand_in in self.stand_ins.items():
            if type(parameter) is not bool and parameter == stand_in:
                if not isinstance(parameter, type(stand_in)):
                    raise ValueError(f"A constant of the query equals the stand-in for {name}.")
                return name, type(parameter)
        return None, parameter

    def _compose(self, connection, alias: str) -> _Composed:
        queryset = self.build(**self.stand_ins)
        query = queryset.query
        compiler = query.get_compiler(using=alias, connection=connection)
        sql, parameters = compiler.as_sql()
        slots = tuple(self._slot(value) for value in parameters)
        missing = set(self.stand_ins) - {name for name, _kind in slots}
        if missing:
            raise ValueError(f"The composed SQL does not take {', '.join(sorted(missing))}.")
        composed = _Composed(
            query=query,
            iterable=queryset._iterable_class,
            fields=queryset._fields,
            compiler=compiler,
            sql=sql,
            slots=slots,
        )
        with self._lock:
            self._composed[connection] = composed
        return composed
