"""Run by `manage.py shell` for the e2e tests: a small English wall, two placed, three waiting."""

import datetime as dt

from sessions_app.models import Meeting, Participant, Room, Slot, Topic

meeting = Meeting.objects.create(title="Board", phase="agenda", language="en")
for number in (1, 2):
    Slot.objects.create(
        meeting=meeting, number=number, starts=dt.time(9 + number), ends=dt.time(9 + number, 45)
    )
for position, code in enumerate("AB"):
    Room.objects.create(meeting=meeting, code=code, position=position)
slot = meeting.slots.get(number=1)
for code, title in (("A", "Freight"), ("B", "Ferries")):
    person = Participant.objects.create(meeting=meeting, name=f"Convener of {title}")
    room = meeting.rooms.get(code=code)
    Topic.objects.create(
        meeting=meeting, convener=person, status="placed", slot=slot, room=room, title=title
    )
for title in ("Cargo", "Bikes", "Trams"):
    person = Participant.objects.create(meeting=meeting, name=f"Convener of {title}")
    Topic.objects.create(meeting=meeting, convener=person, status="raised", title=title)
print(meeting.pk)
