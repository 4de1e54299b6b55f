"""A permission asked for one at a time gives Django's answer, in fewer queries."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser, Group, Permission

from sessions_app.permissions import can_facilitate, holds

pytestmark = pytest.mark.django_db

CHANGE = "change_meeting"


def permission(codename: str = CHANGE) -> Permission:
    return Permission.objects.get(content_type__app_label="sessions_app", codename=codename)


def user_holding(how: str):
    """A user who holds `change_meeting` in the way named, read afresh (no cache)."""
    User = get_user_model()
    user = User.objects.create_user(how, password="pw", is_superuser="superuser" in how)
    # Permissions of other apps and other codenames, which must not count.
    user.user_permissions.add(
        Permission.objects.get(codename="view_user"), permission("view_meeting")
    )
    if how == "own":
        user.user_permissions.add(permission())
    if how in ("group", "inactive"):
        group = Group.objects.create(name=f"Facilitators {how}")
        group.permissions.add(permission())
        user.groups.add(group)
    if how.startswith("inactive"):
        user.is_active = False
        user.save()
    return User.objects.get(pk=user.pk)


# Each way, with the queries it costs: the user's own permission or their groups', at once.
WAYS = {"own": 1, "group": 1, "none": 1, "superuser": 0, "inactive": 0}


@pytest.mark.parametrize("how", [*WAYS, "inactive superuser"])
def test_holds_answers_as_django_does(how, meeting):
    user = user_holding(how)
    expected = get_user_model().objects.get(pk=user.pk).has_perm(f"sessions_app.{CHANGE}")

    assert holds(user, CHANGE) == expected
    assert can_facilitate(user, meeting) == expected
    assert expected == (how in ("own", "group", "superuser"))


def test_no_one_logged_in_holds_anything(django_assert_num_queries):
    with django_assert_num_queries(0):
        assert not holds(AnonymousUser(), CHANGE)


@pytest.mark.parametrize(("how", "queries"), WAYS.items())
def test_holds_asks_for_the_one_permission(how, queries, django_assert_num_queries):
    user = user_holding(how)

    with django_assert_num_queries(queries):
        holds(user, CHANGE)
    # Asked again of the same user (a page asks more than once), the answer is kept.
    with django_assert_num_queries(0):
        holds(user, CHANGE)


def test_permissions_already_read_are_not_asked_for_again(django_assert_num_queries):
    user = user_holding("group")
    user.get_all_permissions()

    with django_assert_num_queries(0):
        assert holds(user, CHANGE)
        assert not holds(user, "delete_meeting")


class EveryoneMayView:
    """A backend of another kind (a directory's groups, say) that grants viewing."""

    def authenticate(self, request, **credentials):
        return None

    def has_perm(self, user, perm, obj=None):
        return perm == "sessions_app.view_meeting"


def test_another_backend_is_asked_as_django_asks_it(settings):
    settings.AUTHENTICATION_BACKENDS = [
        "django.contrib.auth.backends.ModelBackend",
        f"{__name__}.EveryoneMayView",
    ]
    user = user_holding("none")

    assert holds(user, "view_meeting")
    assert not holds(user, CHANGE)
