"""Which participant a browser is, per meeting, kept in its Django session.

The session maps meeting ids to participant tokens. Django's session works the same
for HTTP views and for Channels' SessionMiddlewareStack, so a phone's socket knows who it
is without a second mechanism, and the token never reaches the page or its scripts.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from weakref import WeakKeyDictionary

from django.contrib.sessions.backends.base import SessionBase
from django.db import connections, router

from .models import Meeting, Participant

SESSION_KEY = "openspace_participants"
PENDING_SIGN_KEY = "openspace_pending_sign"


def participant_for(session: SessionBase, meeting: Meeting) -> Participant | None:
    """The participant this browser is in the meeting, or None if it has not joined."""
    token = token_in(session, meeting.pk)
    if not token:
        return None
    return Participant.objects.filter(meeting=meeting, token=token).first()


def token_in(session_data: Mapping | SessionBase, meeting_id: int) -> str | None:
    """The participant token a session's data holds for the meeting, if it joined."""
    return session_data.get(SESSION_KEY, {}).get(str(meeting_id))


def participant_in(session: SessionBase, meeting_id: int) -> Participant | None:
    """The participant this browser is in the meeting with this id, read together with the
    meeting in one query; None if it has not joined (or there is no such meeting)."""
    token = token_in(session, meeting_id)
    if not token:
        return None
    alias = router.db_for_read(Participant)
    return _participant_statement(alias).fetch(alias, meeting_id, token)


# Stand-ins for the two values while the statement is composed: the parameters Django
# composes it with tell where each value goes.
_MEETING_ID, _TOKEN = -1, "token"


@dataclass(frozen=True)
class _Statement:
    """A participant and its meeting by the meeting's id and the participant's token,
    as SQL that Django composed once for the database."""

    sql: str
    parameters: tuple
    columns: tuple
    participant_fields: tuple[str, ...]
    meeting_fields: tuple[str, ...]
    # The columns' conversions for each of the database's connections (one per thread):
    # a backend's own conversions belong to the connection that makes them.
    converters: WeakKeyDictionary = field(default_factory=WeakKeyDictionary, compare=False)

    def fetch(self, alias: str, meeting_id: int, token: str) -> Participant | None:
        values = {_MEETING_ID: meeting_id, _TOKEN: token}
        connection = connections[alias]
        with connection.cursor() as cursor:
            cursor.execute(self.sql, [values[held] for held in self.parameters])
            row = cursor.fetchone()
        if row is None:
            return None
        row = list(row)
        for position, converters, column in self.converters_for(connection):
            for converter in converters:
                row[position] = converter(row[position], column, connection)
        split = len(self.participant_fields)
        participant = Participant.from_db(alias, self.participant_fields, row[:split])
        meeting = Meeting.from_db(alias, self.meeting_fields, row[split:])
        Participant.meeting.field.set_cached_value(participant, meeting)
        return participant

    def converters_for(self, connection) -> list[tuple]:
        """What converts each column's value as the ORM would (see SQLCompiler.get_converters)."""
        found = self.converters.get(connection)
        if found is None:
            found = self.converters[connection] = [
                (position, converters, column)
                for position, column in enumerate(self.columns)
                if (
                    converters := connection.ops.get_db_converters(column)
                    + column.get_db_converters(connection)
                )
            ]
        return found


@cache
def _participant_statement(alias: str) -> _Statement:
    """Every phone request reads its participant, and composing the query's SQL cost
    Django more than the database took to run it: compose it once, with stand-ins.
    Tokens are unique, so the row needs no ordering."""
    query = (
        Participant.objects.using(alias)
        .select_related("meeting")
        .filter(meeting_id=_MEETING_ID, token=_TOKEN)
        .order_by()[:1]
        .query
    )
    compiler = query.get_compiler(alias)
    sql, parameters = compiler.as_sql()
    columns = tuple(expression for expression, _sql, _alias in compiler.select)
    # Django selects the participant's fields, then its meeting's (tests/test_identity.py).
    targets = [column.target for column in columns]
    split = len(Participant._meta.concrete_fields)
    return _Statement(
        sql=sql,
        parameters=tuple(parameters),
        columns=columns,
        participant_fields=tuple(target.attname for target in targets[:split]),
        meeting_fields=tuple(target.attname for target in targets[split:]),
    )


def remember(session: SessionBase, participant: Participant) -> None:
    """Remember the browser as this participant of their meeting."""
    known = dict(session.get(SESSION_KEY, {}))
    known[str(participant.meeting_id)] = participant.token
    session[SESSION_KEY] = known


def keep_pending_sign(session: SessionBase, secret: str) -> None:
    """Hold a sign's secret while its phone joins the meeting, out of every URL."""
    session[PENDING_SIGN_KEY] = secret


def pop_pending_sign(session: SessionBase) -> str:
    """The secret of the sign this phone scanned before it had joined, once."""
    return session.pop(PENDING_SIGN_KEY, "")
