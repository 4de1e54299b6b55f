"""Querysets composed once: the same objects as Django's own queryset gives, one query a
call, composed once per connection, and refused where a stand-in would be misread."""

from __future__ import annotations

import threading

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import MultipleObjectsReturned
from django.db import connection, transaction
from django.db.models import Q, Value
from django.db.transaction import TransactionManagementError

from sessions_app.models import Facilitator, Meeting, Series, Topic
from sessions_app.permissions import with_facilitation
from sessions_app.statements import Statement
from tests.factories import make_meeting, make_topic

pytestmark = pytest.mark.django_db


def fields(instance) -> dict:
    return {field.attname: getattr(instance, field.attname) for field in instance._meta.fields}


def facilitated(meeting_id, user_id):
    return (
        with_facilitation(Meeting.objects.select_related("series"), user_id)
        .filter(pk=meeting_id)
        .order_by()
    )


class Built:
    """A statement's build, counting its calls."""

    def __init__(self, build) -> None:
        self.build, self.calls = build, 0

    def __call__(self, **values):
        self.calls += 1
        return self.build(**values)


def test_it_gives_the_objects_the_queryset_gives(django_assert_num_queries):
    series = Series.objects.create(title="Lärandeträffar", organizer="Skolförvaltningen")
    meeting = make_meeting()
    Meeting.objects.filter(pk=meeting.pk).update(series=series, purpose=["Lära av varandra"])
    other = make_meeting(title="Another meeting")
    lead = get_user_model().objects.create_user("lead")
    Facilitator.objects.create(meeting=meeting, name="Lead", user=lead)
    statement = Statement(facilitated, meeting_id=-1, user_id=-2)

    with django_assert_num_queries(1):
        found = statement.one(meeting_id=meeting.pk, user_id=lead.pk)
        assert found.series.title == "Lärandeträffar"

    expected = facilitated(meeting.pk, lead.pk).get()
    assert fields(found) == fields(expected)
    assert fields(found.series) == fields(expected.series)
    # The annotations carry this call's values, not the stand-ins.
    assert (found.facilitation_user, found.facilitation_linked) == (lead.pk, True)
    unlinked = statement.one(meeting_id=other.pk, user_id=lead.pk)
    assert (unlinked.pk, unlinked.facilitation_user, unlinked.facilitation_linked) == (
        other.pk,
        lead.pk,
        False,
    )
    assert found.purpose == ["Lära av varandra"]
    assert not found._state.adding
    assert found._state.db == "default"


def test_it_composes_once_and_sees_each_change():
    meeting = make_meeting()
    first, second = make_topic(meeting, title="Första"), make_topic(meeting, title="Andra")
    built = Built(lambda meeting_id: Topic.objects.filter(meeting_id=meeting_id).order_by("pk"))
    statement = Statement(built, meeting_id=-1)

    assert [t.title for t in statement.all(meeting_id=meeting.pk)] == ["Första", "Andra"]
    Topic.objects.filter(pk=first.pk).update(title="Ändrad")
    second.delete()
    assert [t.title for t in statement.all(meeting_id=meeting.pk)] == ["Ändrad"]
    assert statement.all(meeting_id=make_meeting(title="Empty").pk) == []
    # Once for the model it reads, twice for the database's SQL (see `Statement`).
    assert built.calls == 3


def test_a_constant_of_the_query_keeps_its_own_value():
    meeting = make_meeting()
    placed = make_topic(meeting, title="Placed", cell="A1")
    make_topic(meeting, title="Raised", status=Topic.Status.RAISED)
    statement = Statement(
        lambda meeting_id, title: Topic.objects.filter(
            Q(title=title) | Q(status=Topic.Status.RAISED), meeting_id=meeting_id
        ).order_by("title"),
        meeting_id=-1,
        title="title",
    )
    found = statement.all(meeting_id=meeting.pk, title=placed.title)
    assert [t.title for t in found] == ["Placed", "Raised"]


def test_a_number_no_column_holds_matches_nothing(django_assert_num_queries):
    statement = Statement(lambda pk: Meeting.objects.filter(pk=pk), pk=-1)
    with django_assert_num_queries(0):
        assert statement.all(pk=2**63) == []
        assert statement.all(pk=-(10**30)) == []


def test_it_locks_only_inside_a_transaction(django_assert_num_queries):
    meeting = make_meeting()
    topic = make_topic(meeting)
    statement = Statement(
        lambda pk: Topic.objects.select_for_update(of=("self",)).filter(pk=pk).order_by(),
        pk=-1,
    )
    with transaction.atomic(), django_assert_num_queries(1) as queries:
        assert statement.one(pk=topic.pk) == topic
    if connection.features.has_select_for_update:
        assert "FOR UPDATE" in queries.captured_queries[0]["sql"]


@pytest.mark.django_db(transaction=True)
def test_outside_a_transaction_a_lock_is_refused_where_the_database_locks():
    topic = make_topic(make_meeting())
    statement = Statement(
        lambda pk: Topic.objects.select_for_update().filter(pk=pk).order_by(), pk=-1
    )
    if not connection.features.has_select_for_update:  # SQLite: as Django, no lock to ask
        assert statement.all(pk=topic.pk) == [topic]
        return
    with pytest.raises(TransactionManagementError):
        statement.all(pk=topic.pk)


@pytest.mark.django_db(transaction=True)
def test_another_thread_reads_with_its_own_connection():
    meeting = make_meeting()
    built = Built(lambda pk: Meeting.objects.filter(pk=pk))
    statement = Statement(built, pk=-1)
    found = {}

    def read() -> None:
        try:
            found["thread"] = statement.one(pk=meeting.pk)
        finally:
            connection.close()

    found["main"] = statement.one(pk=meeting.pk)
    thread = threading.Thread(target=read)
    thread.start()
    thread.join()
    assert found["main"] == found["thread"] == meeting
    # Composed once for the database: the other thread only reads with its connection.
    assert built.calls == 3


@pytest.mark.parametrize(
    "build",
    [
        # A lookup that changes its value: the SQL takes "%-1%", not the value.
        lambda title: Topic.objects.filter(title__icontains=title),
        # A value computed from it.
        lambda title: Topic.objects.filter(title=title + "!"),
    ],
)
def test_a_parameter_made_from_a_value_is_refused(build):
    statement = Statement(build, title="title")
    with pytest.raises(ValueError, match="made from a value"):
        statement.all(title="Freight")


def test_a_constant_equal_to_a_stand_in_stays_a_constant():
    topic = make_topic(make_meeting())
    statement = Statement(
        lambda pk: Topic.objects.annotate(shift=Value(-1), label=Value("pk")).filter(pk=pk),
        pk=-1,
    )
    found = statement.one(pk=topic.pk)
    assert (found.pk, found.shift, found.label) == (topic.pk, -1, "pk")


def test_none_and_prefetching_are_refused():
    meeting = make_meeting()
    with pytest.raises(TypeError, match="None"):
        Statement(lambda pk: Meeting.objects.filter(pk=pk), pk=-1).all(pk=None)
    prefetching = Statement(
        lambda pk: Meeting.objects.prefetch_related("slots").filter(pk=pk), pk=-1
    )
    with pytest.raises(ValueError, match="prefetches"):
        prefetching.all(pk=meeting.pk)


def test_more_than_one_result_for_one_is_an_error():
    meeting = make_meeting()
    make_topic(meeting, title="Första")
    make_topic(meeting, title="Andra")
    statement = Statement(lambda pk: Topic.objects.filter(meeting_id=pk), pk=-1)
    with pytest.raises(MultipleObjectsReturned):
        statement.one(pk=meeting.pk)


def test_two_names_for_one_stand_in_or_other_values_are_refused():
    with pytest.raises(ValueError, match="of its own"):
        Statement(lambda a, b: Meeting.objects.filter(pk=a, number=b), a=-1, b=-1)
    statement = Statement(lambda pk: Meeting.objects.filter(pk=pk), pk=-1)
    with pytest.raises(TypeError, match="pk"):
        statement.all(id=1)


@pytest.mark.parametrize("flat", [False, True])
def test_values_come_as_the_querysets_values_list_gives_them(flat):
    meeting = make_meeting()
    for title in ("Första", "Andra"):
        make_topic(meeting, title=title)

    def titles(meeting_id):
        read = Topic.objects.filter(meeting_id=meeting_id).order_by("pk")
        return read.values_list("title", flat=True) if flat else read.values_list("pk", "title")

    statement = Statement(titles, meeting_id=-1)
    found = statement.all(meeting_id=meeting.pk)
    assert found == list(titles(meeting.pk))
    assert [row if flat else row[1] for row in found] == ["Första", "Andra"]
