"""Two placements into one cell at once on a SQLite file: run by test_concurrency.py.

Django's own SQLite test database lives in memory, where threads do not wait for one
another's locks as they do on a file, so this runs in a process of its own.
"""

import threading

import django

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connections  # noqa: E402

from sessions_app import agenda  # noqa: E402
from sessions_app.agenda import AgendaError  # noqa: E402
from tests.factories import cell_of, make_meeting, make_topic  # noqa: E402

call_command("migrate", verbosity=0)
meeting = make_meeting()
topics = [make_topic(meeting, title=f"Topic {n}") for n in range(2)]
barrier = threading.Barrier(2)
outcomes = []


def place(topic_id: int) -> None:
    barrier.wait()
    try:
        agenda.place_topic(meeting=meeting, topic_id=topic_id, **cell_of(meeting, "A1"))
        outcomes.append("placed")
    except AgendaError:
        outcomes.append("refused")
    finally:
        connections.close_all()


threads = [threading.Thread(target=place, args=(t.pk,)) for t in topics]
for thread in threads:
    thread.start()
for thread in threads:
    thread.join()
print(" ".join(sorted(outcomes)))
