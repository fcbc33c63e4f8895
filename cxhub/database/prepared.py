"""Querysets of a fixed shape whose SQL the ORM builds once per connection; each run binds new values.

Under the load bench a chat message ran about eight ORM queries, and building their SQL (filters, joins,
columns, quoting) took a third of the database helper's time, several times what SQLite took to run them.
The hottest of them only ever differ by their values (a conversation id, a client id), so they are built here
once, with stand-in values, and afterwards run with the real ones, their rows turned into model instances or
tuples exactly as the queryset would (Django's own converters and related-object populators).

Only what the chat message path needs is supported: a queryset of model instances (select_related allowed),
or values_list (flat or not), with no prefetch_related. Every stand-in must reach the SQL as a parameter,
unchanged: a value the ORM inlines or converts is refused when the query is first built. It uses the ORM's
compiler and populators as the queryset's own iterables do; tests/database/test_prepared.py compares its
results with the ORM's, so a Django upgrade that changes them fails there first.
"""

import weakref
from collections.abc import Callable

from django.db import connections
from django.db.models.query import FlatValuesListIterable, ModelIterable, ValuesListIterable, get_related_populators
from django.db.transaction import TransactionManagementError

# Stand-ins no real query holds as a constant: a number near the top of every integer field's range (the ORM
# drops a lookup on a value outside it), a text starting with NUL.
_INT_STAND_IN = 2_147_000_000


def _stand_in(index: int, kind: type):
    if kind is int:
        return _INT_STAND_IN + index
    if kind is str:
        return f"\x00cxhub-prepared-{index}"
    raise TypeError(f"prepared queries take int or str values, not {kind.__name__}")


class _Built:
    """The SQL and what turns its rows into results, for one connection."""

    def __init__(self, queryset, names: list[str], stand_ins: list, connection):
        if queryset._prefetch_related_lookups or queryset._known_related_objects:
            raise TypeError("prepared queries do not prefetch")
        self.iterable = queryset._iterable_class
        if self.iterable not in (ModelIterable, ValuesListIterable, FlatValuesListIterable):
            raise TypeError(f"prepared queries return models or values_list, not {self.iterable.__name__}")
        compiler = queryset.query.get_compiler(connection=connection)
        self.sql, params = compiler.as_sql()
        # For each parameter: the name of the value it takes and the type the ORM gave it (on PostgreSQL, a
        # typed integer such as psycopg's Int4 for some lookups), or None and the constant the ORM put there.
        self.slots = []
        for param in params:
            name = next(
                (n for n, s in zip(names, stand_ins, strict=True) if isinstance(param, type(s)) and param == s), None
            )
            self.slots.append((name, type(param) if name is not None else param))
        missing = set(names) - {name for name, _ in self.slots}
        if missing:
            raise ValueError(f"values {sorted(missing)} did not reach the SQL as parameters")
        self.compiler = compiler
        features = connection.features
        # As the ORM: refused outside a transaction where the database would lock rows (not SQLite).
        self.for_update = (
            queryset.query.select_for_update and features.has_select_for_update and features.supports_transactions
        )
        self.converters = compiler.get_converters([s[0] for s in compiler.select[0 : compiler.col_count]])
        if self.iterable is ModelIterable:
            klass_info = compiler.klass_info
            self.model = klass_info["model"]
            start, end = klass_info["select_fields"][0], klass_info["select_fields"][-1] + 1
            self.model_columns = slice(start, end)
            self.init_list = [f[0].target.attname for f in compiler.select[start:end]]
            self.related_populators = get_related_populators(klass_info, compiler.select, connection.alias)
            self.annotations = dict(compiler.annotation_col_map or {})

    def run(self, connection, values: dict) -> list:
        if self.for_update and connection.get_autocommit():
            raise TransactionManagementError("select_for_update cannot be used outside of a transaction.")
        params = [
            kind_or_constant if name is None else kind_or_constant(values[name])
            for name, kind_or_constant in self.slots
        ]
        with connection.cursor() as cursor:
            cursor.execute(self.sql, params)
            rows = cursor.fetchall()
        if self.converters:
            rows = list(self.compiler.apply_converters(rows, self.converters))
        if self.iterable is FlatValuesListIterable:
            return [row[0] for row in rows]
        if self.iterable is ValuesListIterable:
            return [tuple(row) for row in rows]
        results = []
        for row in rows:
            obj = self.model.from_db(connection.alias, self.init_list, row[self.model_columns])
            for populator in self.related_populators:
                populator.populate(row, obj)
            for name, position in self.annotations.items():
                setattr(obj, name, row[position])
            results.append(obj)
        return results


class PreparedQuery:
    """`build(**values)` returns the queryset; calling the PreparedQuery with the same keyword values returns its
    results as a list. `kinds` names each value's type (int or str).

        lock = PreparedQuery(lambda pk: Conversation.objects.select_for_update().filter(pk=pk), pk=int)
        rows = lock(pk=conversation_id)
    """

    def __init__(self, build: Callable, using: str = "default", **kinds: type):
        self.build, self.using = build, using
        self.names, self.kinds = list(kinds), kinds
        self.stand_ins = [_stand_in(index, kind) for index, kind in enumerate(kinds.values())]
        # One build per connection object, which its converters are bound to: each thread has its own (a forked
        # helper keeps its parent's objects, which open a connection of their own when next used).
        # No lock: a connection object belongs to one thread, so no two threads build for the same one.
        self._built: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()

    def __call__(self, **values) -> list:
        if any(values[name] is None for name in self.names):
            raise TypeError("prepared queries take no None: the ORM would have written IS NULL")
        # Converted as the ORM converts a lookup's value: "12" finds id 12, "x" is a ValueError.
        values = {name: kind(values[name]) for name, kind in self.kinds.items()}
        connection = connections[self.using]
        built = self._built.get(connection)
        if built is None:
            queryset = self.build(**dict(zip(self.names, self.stand_ins, strict=True)))
            built = self._built[connection] = _Built(queryset, self.names, self.stand_ins, connection)
        return built.run(connection, values)
