"""Run by `manage.py shell` for the e2e tests: a small English wall to use the toolbar on."""

import datetime as dt

from sessions_app.models import Meeting, Participant, Room, Slot, Topic

meeting = Meeting.objects.create(title="Toolbar", phase="agenda", language="en")
slot = Slot.objects.create(meeting=meeting, number=1, starts=dt.time(10), ends=dt.time(11))
for position, code in enumerate("AB"):
    Room.objects.create(meeting=meeting, code=code, position=position)
people = [Participant.objects.create(meeting=meeting, name=name) for name in ("Ann", "Bo", "Cy")]
Topic.objects.create(
    meeting=meeting,
    convener=people[0],
    status="placed",
    slot=slot,
    room=meeting.rooms.get(code="A"),
    title="Freight",
)
Topic.objects.create(meeting=meeting, convener=people[1], status="raised", title="Cargo")
Topic.objects.create(meeting=meeting, convener=people[2], status="raised", title="Gone")
print(meeting.pk)
