"""Forms: a meeting's setup (details, facilitators, links, slots, rooms) and the board's actions."""

from __future__ import annotations

from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.core.validators import MaxLengthValidator, URLValidator
from django.db.models import Q, QuerySet
from django.forms import BaseInlineFormSet, inlineformset_factory
from django.utils.translation import gettext_lazy as _

from .closing import SUMMARY_MAX
from .models import MAX_SLOTS, Facilitator, Initiative, Link, Meeting, Room, Series
from .text import NoHiddenCharacters

# The longest text of a meeting's setup that has no limit of its own in the database.
SETUP_TEXT_MAX = 10_000


def _unix_line_ends(value: object) -> object:
    if isinstance(value, str):
        return value.replace("\r\n", "\n").replace("\r", "\n")
    return value


class TypedTextForm(forms.BaseForm):
    """A form whose every text field refuses control characters, as text.py does."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        multiline_keys = []
        for name, field in self.fields.items():
            if isinstance(field, forms.CharField):
                multiline = isinstance(field.widget, forms.Textarea)
                field.validators.append(NoHiddenCharacters(multiline=multiline))
                if multiline:
                    multiline_keys.append(self.add_prefix(name))
        if self.is_bound and multiline_keys:
            # Browsers send a textarea's line ends as CR LF; the CR would be refused as a
            # control character. Kept as text.paragraphs keeps them: "\n".
            data = self.data.copy()
            for key in multiline_keys:
                if hasattr(data, "setlist"):
                    data.setlist(key, [_unix_line_ends(v) for v in data.getlist(key)])
                elif key in data:
                    data[key] = _unix_line_ends(data[key])
            self.data = data


class LinesField(forms.CharField):
    """A list of strings edited as a textarea, one item per line, with at most so many lines
    of so many characters."""

    widget = forms.Textarea(attrs={"rows": 3})

    def __init__(self, *, most: int, longest: int, **kwargs) -> None:
        self.most, self.longest = most, longest
        super().__init__(**kwargs)

    def prepare_value(self, value):
        if isinstance(value, list):
            return "\n".join(value)
        return value

    def to_python(self, value) -> list[str]:
        text = super().to_python(value)
        return [line.strip() for line in text.splitlines() if line.strip()]

    def validate(self, value: list[str]) -> None:
        super().validate(value)
        if len(value) > self.most or any(len(line) > self.longest for line in value):
            raise forms.ValidationError(
                _("This is at most %(count)s lines of %(max)s characters.")
                % {"count": self.most, "max": self.longest},
                code="too_long",
            )


def series_run_by(user: AbstractBaseUser | AnonymousUser) -> QuerySet[Series]:
    """The series whose earlier meetings this user may build on: those they run a meeting of."""
    if user.has_perm("sessions_app.change_meeting"):
        return Series.objects.all()
    return Series.objects.filter(meetings__facilitators__user=user.pk).distinct()


class MeetingForm(TypedTextForm, forms.ModelForm):
    purpose = LinesField(
        label=_("Purpose"),
        required=False,
        help_text=_("One bullet per line."),
        most=20,
        longest=1000,
    )
    lookback = LinesField(
        label=_("Look-back themes"),
        required=False,
        help_text=_("Themes of earlier meetings, one per line."),
        most=50,
        longest=1000,
    )
    new_series_title = forms.CharField(label=_("…or a new series"), required=False, max_length=200)
    new_series_organizer = forms.CharField(
        label=_("Organiser of the new series"), required=False, max_length=200
    )

    class Meta:
        model = Meeting
        fields = [
            "series",
            "number",
            "title",
            "theme",
            "date",
            "location",
            "language",
            "purpose",
            "participants",
            "method",
            "lookback",
            "agenda_intro",
            "summary",
            "dots_per_person",
        ]
        widgets = {
            "date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "participants": forms.Textarea(attrs={"rows": 2}),
            "method": forms.Textarea(attrs={"rows": 4}),
            "agenda_intro": forms.Textarea(attrs={"rows": 3}),
            "summary": forms.Textarea(attrs={"rows": 3}),
        }

    field_order = ["series", "new_series_title", "new_series_organizer", "number", "title"]

    def __init__(self, *args, user: AbstractBaseUser | AnonymousUser, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["date"].required = True
        # The database keeps texts of any length; a page, the projector and the PDF do not.
        limits = {"participants": SETUP_TEXT_MAX, "method": SETUP_TEXT_MAX}
        limits |= {"agenda_intro": SETUP_TEXT_MAX, "summary": SUMMARY_MAX}
        for name, limit in limits.items():
            field = self.fields[name]
            field.max_length = limit
            field.validators.append(MaxLengthValidator(limit))
            field.widget.attrs["maxlength"] = str(limit)
        # A series joins this meeting to its earlier meetings' open initiatives: only one
        # the user already runs a meeting of may be chosen (or the meeting's own).
        runs = series_run_by(user)
        self.series_allowed = Series.objects.filter(
            Q(pk__in=runs.values("pk")) | Q(pk=self.instance.series_id)
        )
        self.fields["series"].queryset = self.series_allowed.order_by("title")

    def clean(self) -> dict:
        data = super().clean()
        series, number = data.get("series"), data.get("number")
        if self.new_series and series:
            self.add_error("new_series_title", _("Choose a series or name a new one, not both."))
        elif self.new_series:
            # The series is created on save, once every form of the page is valid.
            title, organizer = self.new_series
            series = Series.objects.filter(title=title, organizer=organizer).first()
            if series and not self.series_allowed.filter(pk=series.pk).exists():
                self.add_error(
                    "new_series_title",
                    _(
                        "A series of this name and organiser exists already, and you run no "
                        "meeting of it. Ask one of its facilitators to add you to a meeting "
                        "of it, or give the new series another name."
                    ),
                )
                series = None
        if series and number:
            clash = Meeting.objects.filter(series=series, number=number).exclude(
                pk=self.instance.pk
            )
            if clash.exists():
                self.add_error(
                    "number",
                    _("%(series)s already has a meeting number %(number)s.")
                    % {"series": series, "number": number},
                )
        return data

    @property
    def new_series(self) -> tuple[str, str] | None:
        """The title and organiser of a series to start, if one was named."""
        title = self.cleaned_data.get("new_series_title", "").strip()
        if not title:
            return None
        return title, self.cleaned_data.get("new_series_organizer", "").strip()

    def save(self, commit: bool = True) -> Meeting:
        if self.new_series:
            title, organizer = self.new_series
            self.instance.series, _created = Series.objects.get_or_create(
                title=title, organizer=organizer
            )
        return super().save(commit)


class FacilitatorForm(TypedTextForm, forms.ModelForm):
    """A facilitator of the meeting; their account is named by its username, never listed."""

    user = forms.ModelChoiceField(
        label=_("Account"),
        queryset=get_user_model().objects.filter(is_active=True),
        to_field_name=get_user_model().USERNAME_FIELD,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
        help_text=_("The username they log in with, so that they can run the meeting."),
        error_messages={"invalid_choice": _("No active account has this username.")},
    )

    class Meta:
        model = Facilitator
        fields = ["name", "role", "user"]

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.user_id is not None and not self.is_bound:
            self.initial["user"] = self.instance.user.get_username()


class LinkForm(TypedTextForm, forms.ModelForm):
    url = forms.URLField(
        label=_("Address"),
        assume_scheme="https",
        validators=[URLValidator(schemes=["http", "https"])],
        max_length=1000,
    )

    class Meta:
        model = Link
        fields = ["title", "url"]


class PositionedFormSet(BaseInlineFormSet):
    """Keep the rows in the order they stand in the form."""

    def save(self, commit: bool = True):
        for index, form in enumerate(f for f in self.forms if f.has_changed() or f.instance.pk):
            form.instance.position = index
        return super().save(commit)


FacilitatorFormSet = inlineformset_factory(
    Meeting,
    Facilitator,
    form=FacilitatorForm,
    formset=PositionedFormSet,
    extra=2,
    can_delete=True,
)
LinkFormSet = inlineformset_factory(
    Meeting, Link, form=LinkForm, formset=PositionedFormSet, extra=2, can_delete=True
)


class RoomFormSetBase(PositionedFormSet):
    def clean(self) -> None:
        super().clean()
        for form in self.deleted_forms:
            held = form.instance.pk and form.instance.topics.first()
            # A deleted form's own errors are ignored, so refuse on the whole formset.
            if held:
                raise forms.ValidationError(
                    _("Room %(code)s still holds “%(title)s”; move it before removing it.")
                    % {"code": form.instance.code, "title": held.title}
                )


class RoomForm(TypedTextForm, forms.ModelForm):
    class Meta:
        model = Room
        fields = ["code", "name", "capacity"]


RoomFormSet = inlineformset_factory(
    Meeting,
    Room,
    form=RoomForm,
    formset=RoomFormSetBase,
    fields=["code", "name", "capacity"],
    extra=1,
    can_delete=True,
)


class SlotGeneratorForm(forms.Form):
    first_starts = forms.TimeField(
        label=_("First slot starts"),
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
    )
    length = forms.IntegerField(label=_("Length (minutes)"), min_value=5, max_value=600)
    gap = forms.IntegerField(label=_("Gap between slots (minutes)"), min_value=0, max_value=600)
    count = forms.IntegerField(label=_("Number of slots"), min_value=1, max_value=MAX_SLOTS)


class BoardActionForm(forms.Form):
    """One action on the wall, posted by the projector's board."""

    action = forms.ChoiceField(
        choices=[
            (a, a)
            for a in ("place", "move", "swap", "unplace", "merge", "withdraw", "pin", "unpin")
        ]
    )
    topic = forms.IntegerField(min_value=1)
    slot = forms.IntegerField(min_value=1, required=False)
    room = forms.IntegerField(min_value=1, required=False)
    other = forms.IntegerField(min_value=1, required=False)

    def clean(self) -> dict:
        data = super().clean()
        action = data.get("action")
        if action in ("place", "move") and not (data.get("slot") and data.get("room")):
            raise forms.ValidationError(_("Choose a cell."))
        if action in ("swap", "merge") and not data.get("other"):
            raise forms.ValidationError(_("Choose the other topic."))
        return data


class PlanActionForm(forms.Form):
    """One facilitator's change to the action plan; the service checks the rest.

    Its text is cleaned by the action plan's own rules (text.one_line), as a phone's is: a
    tab or line break pasted from a spreadsheet becomes a space, and control characters
    are refused there with the same message.
    """

    REQUIRED = {
        "edit": ("what",),
        "add_member": ("name",),
        "remove_member": ("member",),
        "merge": ("into",),
        "remove": (),
        "status": ("status",),
    }

    action = forms.ChoiceField(choices=[(a, a) for a in REQUIRED])
    initiative = forms.IntegerField(min_value=1)
    who = forms.CharField(label=_("Who"), required=False, strip=False)
    what = forms.CharField(label=_("What"), required=False, strip=False)
    levels = forms.MultipleChoiceField(choices=Initiative.Level.choices, required=False)
    when = forms.CharField(label=_("When"), required=False, strip=False)
    name = forms.CharField(label=_("Name"), required=False, strip=False)
    member = forms.IntegerField(label=_("Who joins"), min_value=1, required=False)
    into = forms.IntegerField(label=_("Merge into"), min_value=1, required=False)
    status = forms.ChoiceField(label=_("Status"), choices=Initiative.Status.choices, required=False)

    def clean(self) -> dict:
        data = super().clean()
        for name in self.REQUIRED.get(data.get("action"), ()):
            if not data.get(name):
                raise forms.ValidationError(
                    _("Fill in: %(field)s.") % {"field": self.fields[name].label}
                )
        return data


class PublishForm(forms.Form):
    """Whether anyone with the link may download a closed meeting's documents."""

    public = forms.BooleanField(required=False)
