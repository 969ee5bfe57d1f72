"""What requests tell the room about the people behind them, gathered until the next tick.

Three records, each kept here so that requests only ever *add* to them and the tick alone
reads them out:

* liveness marks: the places whose holders polled since the last tick. They go to the store
  once a tick, as one batch, in the current *epoch* (half the abandon grace long): the store
  keeps the last :data:`LIVENESS_EPOCHS`, so a place unseen for 1x-1.5x the grace is gone.
* active holders: pass holders who sent a request lately, in two generations of half the
  activity window each, so a holder counts for 0.5-1 window after their last request. The
  inlet learns from them how much load one holder brings.
* pending: people let in on recent ticks who have not come back for their pass yet. Without
  it, one tick would let in again those the previous tick already let in::

      pending = max(0, admitted in the window - passes claimed in the window)
      window = 3 * min_refresh_seconds + 2 * tick_seconds

  (a person let in finds out at their next poll, at most a refresh later, jittered, and the
  room sees the claim on the tick after).
"""

from __future__ import annotations

from collections import deque

from .config import WaitingRoomSettings

LIVENESS_EPOCHS = 3  # the current epoch and two before it: unseen for 1x-1.5x grace = gone


class Activity:
    """Marks left by requests, read out and aged by the tick. Times come from the room's clock,
    passed in by the caller: this class keeps no clock of its own."""

    def __init__(self, settings: WaitingRoomSettings, now: float) -> None:
        self.epoch_seconds = settings.abandon_grace_seconds / 2
        self._active_window = settings.active_window_seconds
        self.pending_window = 3 * settings.min_refresh_seconds + 2 * settings.tick_seconds
        self.touches: set[int] = set()
        self._active_now: set[int] = set()
        self._active_before: set[int] = set()
        self._active_rotated_at = now
        self._admitted_recently: deque[tuple[float, int]] = deque()
        self._claimed_recently: deque[float] = deque()

    # epochs --------------------------------------------------------------------------------

    @property
    def ghost_seconds(self) -> float:
        """How long, on average, a place whose holder left still counts live: it is gone once
        unseen for the last ``LIVENESS_EPOCHS`` epochs, 1x-1.5x the grace after the last poll."""
        return (LIVENESS_EPOCHS - 0.5) * self.epoch_seconds

    def epoch(self, now: float) -> int:
        return int(now // self.epoch_seconds)

    def epochs(self, now: float) -> list[int]:
        """The epochs whose marks still count, newest first."""
        current = self.epoch(now)
        return [current - back for back in range(LIVENESS_EPOCHS)]

    # what requests record ----------------------------------------------------------------

    def seen_waiting(self, position: int) -> None:
        """The holder of ``position`` polled: their place is alive."""
        self.touches.add(position)

    def seen_active(self, position: int) -> None:
        """The pass holder let in at ``position`` sent a request."""
        self._active_now.add(position)

    def recently_active(self, position: int) -> bool:
        """Whether the holder of ``position`` claimed their pass or sent a request lately (in
        the last 0.5-1 activity window)."""
        return position in self._active_now or position in self._active_before

    def claimed(self, position: int, now: float) -> None:
        """Someone let in came back for their pass: active from now on, no longer pending."""
        self._active_now.add(position)
        self._claimed_recently.append(now)

    # what the tick reads out -------------------------------------------------------------

    def take_touches(self) -> set[int]:
        batch, self.touches = self.touches, set()
        return batch

    def give_back(self, batch: set[int]) -> None:
        """Marks the store did not take: they go with the next batch, or people who polled
        faithfully through a store blip would lose their places."""
        self.touches |= batch

    def admitted(self, count: int, now: float) -> None:
        self._admitted_recently.append((now, count))

    def claims_per_second(self, now: float) -> float:
        """Passes this instance handed out a second, lately (free flow included)."""
        self.pending(now)  # drops claims older than the window
        return len(self._claimed_recently) / self.pending_window

    def pending(self, now: float) -> int:
        window = self.pending_window
        while self._admitted_recently and now - self._admitted_recently[0][0] > window:
            self._admitted_recently.popleft()
        while self._claimed_recently and now - self._claimed_recently[0] > window:
            self._claimed_recently.popleft()
        admitted = sum(count for _, count in self._admitted_recently)
        return max(0, admitted - len(self._claimed_recently))

    def rotate(self, now: float) -> None:
        """Two generations of half a window each: a holder counts for 0.5-1 window after."""
        elapsed = now - self._active_rotated_at
        window = self._active_window
        if elapsed >= window:
            self._active_before, self._active_now = set(), set()
        elif elapsed >= window / 2:
            self._active_before, self._active_now = self._active_now, set()
        else:
            return
        self._active_rotated_at = now

    @property
    def active_holders(self) -> int:
        return len(self._active_now | self._active_before)
