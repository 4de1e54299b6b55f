"""A phone's write saved once, however often it is sent.

A phone whose answer was lost on the way back (the venue's Wi-Fi dropped it) sends the
same write again, with the key it made when it first sent it (static/js/busy.js). The
key is stored in the write's own transaction: when the first one committed, the second
finds its key and is answered as done, without saving anything. A refused write keeps no
key, so that the corrected one can be sent.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import wraps

from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse

from ..models import Participant, SentWrite

KEY = re.compile(r"[0-9a-f]{32}")

Answer = Callable[[HttpRequest, Participant], HttpResponse]


def sent_key(request: HttpRequest) -> str | None:
    """The write's key, if the phone sent one of the expected form."""
    key = request.POST.get("request_key", "")
    return key if KEY.fullmatch(key) else None


def once_per_key(*, done: Answer):
    """Run the write once per key; a write sent again gets `done`'s answer."""

    def decorate(view):
        @wraps(view)
        def wrapped(request: HttpRequest, participant: Participant, *args, **kwargs):
            key = sent_key(request)
            if key is None:
                return view(request, participant, *args, **kwargs)
            with transaction.atomic():
                try:
                    with transaction.atomic():
                        SentWrite.objects.create(participant=participant, key=key)
                except IntegrityError:
                    return done(request, participant)
                response = view(request, participant, *args, **kwargs)
                if response.status_code >= 400:
                    transaction.set_rollback(True)
                return response

        return wrapped

    return decorate
