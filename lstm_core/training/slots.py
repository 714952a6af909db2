"""How many trainings one server runs at once, and a fair queue for the rest.

A classroom shares one machine. Training is CPU-bound: ten trainings at once on four cores make
each ten times slower and can run the machine out of memory, so everyone waits forever. Instead
at most `limit` train at the same time and the others wait their turn, first come first served,
with a position they can see. Every training job of the server (character models and sentiment
classifiers) takes its slot from the one `SLOTS` object.

The limit is LSTM_LAB_MAX_TRAININGS when set, otherwise half the machine's cores (at least one):
TensorFlow already spreads one training over two cores. Training processes also run at a lower
CPU priority than the server (`yield_to_pages`), so pages answer quickly while the cores train.
"""

from __future__ import annotations

import itertools
import os
import threading
from collections import deque

from lstm_core import settings

TRAINING_NICENESS = 10


def default_limit() -> int:
    limit = settings.current().max_trainings
    return max(1, (os.cpu_count() or 2) // 2) if limit is None else limit


_yielded = False


def yield_to_pages() -> None:
    """Lower this (training) process's CPU priority, once: a spare process (spare.py) lowered it before
    its run began, and twice would put that run below every other training. Where the system does not
    allow it, carry on."""
    global _yielded
    if _yielded:
        return
    _yielded = True
    try:
        os.nice(TRAINING_NICENESS)
    except (AttributeError, OSError):
        pass


class TrainingSlots:
    """At most `limit` holders at once; the others queue in arrival order."""

    def __init__(self, limit: int):
        if limit < 1:
            raise ValueError("a server needs at least one training slot")
        self.limit = limit
        self._cond = threading.Condition()
        self._holders: set[int] = set()
        self._queue: deque[int] = deque()
        self._tickets = itertools.count(1)

    def request(self) -> int:
        """A ticket: it holds a slot at once if one is free and nobody waits, else it queues."""
        with self._cond:
            ticket = next(self._tickets)
            self._queue.append(ticket)
            self._promote()
            return ticket

    def position(self, ticket: int) -> int:
        """0 when the ticket holds a slot, k when k-th in the queue, -1 when released."""
        with self._cond:
            if ticket in self._holders:
                return 0
            try:
                return self._queue.index(ticket) + 1
            except ValueError:
                return -1

    def wait(self, ticket: int, timeout: float) -> bool:
        """Wait up to `timeout` seconds for the ticket to hold a slot; True when it does."""
        with self._cond:
            return self._cond.wait_for(lambda: ticket in self._holders or ticket not in self._queue, timeout) \
                and ticket in self._holders

    def release(self, ticket: int) -> None:
        """Give the slot back, or leave the queue; the next in line moves up. Releasing twice is harmless."""
        with self._cond:
            self._holders.discard(ticket)
            try:
                self._queue.remove(ticket)
            except ValueError:
                pass
            self._promote()

    def busy(self) -> tuple[int, int]:
        """(trainings running, trainings waiting)."""
        with self._cond:
            return len(self._holders), len(self._queue)

    def _promote(self) -> None:
        while self._queue and len(self._holders) < self.limit:
            self._holders.add(self._queue.popleft())
        self._cond.notify_all()


SLOTS = TrainingSlots(default_limit())
