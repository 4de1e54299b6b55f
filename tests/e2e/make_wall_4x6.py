"""Run by `manage.py shell` for the e2e tests: a 4 × 6 wall of long titles, and a tray."""

import datetime as dt

from sessions_app.models import Meeting, Participant, Room, Slot, Topic

LONG_TITLE = (
    "Hur kan vi tillsammans påverka godsflöden så att de blir mer hållbara i hela "
    "regionen, och hur mäter vi det?"
)

meeting = Meeting.objects.create(title="Fyra pass, sex rum", phase="agenda")
for number in range(1, 5):
    Slot.objects.create(
        meeting=meeting, number=number, starts=dt.time(9 + number), ends=dt.time(9 + number, 45)
    )
for position, code in enumerate("ABCDEF"):
    Room.objects.create(
        meeting=meeting, code=code, name="Stora konferensrummet", capacity=12, position=position
    )
cells = [(slot, room) for slot in meeting.slots.all() for room in meeting.rooms.all()]
for n, (slot, room) in enumerate(cells):
    person = Participant.objects.create(
        meeting=meeting, name=f"Förnamn Efternamnsson {n}", organization="Umeå kommun"
    )
    Topic.objects.create(
        meeting=meeting, convener=person, status="placed", slot=slot, room=room, title=LONG_TITLE
    )
for n in range(6):
    person = Participant.objects.create(meeting=meeting, name=f"Väntande {n}")
    Topic.objects.create(
        meeting=meeting,
        convener=person,
        status="raised",
        title=f"Ett lyft ämne som väntar på sin plats, nummer {n}",
    )
print(meeting.pk)
