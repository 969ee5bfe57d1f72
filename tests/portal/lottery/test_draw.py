"""The draw on its own: the commitment, the order, rounds, verification and uniformity."""

from __future__ import annotations

import hashlib
import hmac

import pytest
from hypothesis import given
from hypothesis import strategies as st

from northbound.portal.lottery import draw

NUMBERS = [f"PG-{i:03d}-000-0000" for i in range(40)]
SEED = bytes(range(32))


def published(seed: bytes, eligible: list[str], rounds: list[int]) -> draw.Published:
    """What an honest draw publishes, with rounds of the given sizes."""
    ranked = draw.order(seed, eligible)
    invited: list[str] = []
    drawn: list[tuple[str, ...]] = []
    for size in rounds:
        chosen = draw.next_round(ranked, invited, size)
        drawn.append(tuple(chosen))
        invited.extend(chosen)
    return draw.Published(
        draw.commitment(seed),
        seed.hex(),
        tuple(sorted(eligible)),
        tuple(drawn),
        draw.list_digest(eligible),
    )


def test_commitment_is_sha256_of_the_seed_and_order_is_hmac_sorted() -> None:
    assert draw.commitment(SEED) == hashlib.sha256(SEED).hexdigest()
    expected = sorted(NUMBERS, key=lambda c: hmac.new(SEED, c.encode(), "sha256").digest())
    assert draw.order(SEED, NUMBERS) == expected


def test_order_does_not_depend_on_the_list_order() -> None:
    assert draw.order(SEED, NUMBERS) == draw.order(SEED, list(reversed(NUMBERS)))


def test_changing_the_seed_changes_the_order() -> None:
    other = bytes([1]) + SEED[1:]
    assert draw.order(SEED, NUMBERS) != draw.order(other, NUMBERS)


def test_changing_one_entry_changes_the_order() -> None:
    changed = [*NUMBERS[:-1], "PG-999-999-9999"]
    assert draw.order(SEED, NUMBERS) != draw.order(SEED, changed)


def test_a_repeated_number_is_refused() -> None:
    with pytest.raises(ValueError):
        draw.order(SEED, [NUMBERS[0], NUMBERS[0]])


def test_later_rounds_skip_those_invited() -> None:
    ranked = draw.order(SEED, NUMBERS)
    first = draw.next_round(ranked, [], 10)
    second = draw.next_round(ranked, first, 10)
    assert first == ranked[:10] and second == ranked[10:20]
    # someone invited outside the order (e.g. an earlier year) is skipped as well
    assert draw.next_round(ranked, [ranked[0]], 3) == ranked[1:4]
    assert draw.next_round(ranked, ranked, 5) == []


def test_an_honest_draw_verifies() -> None:
    result = draw.verify(published(SEED, NUMBERS, [10, 5]))
    assert result.ok, result.problems
    assert list(result.order) == draw.order(SEED, NUMBERS)


def test_verify_fails_on_a_tampered_invitation_list() -> None:
    honest = published(SEED, NUMBERS, [10, 5])
    ranked = draw.order(SEED, NUMBERS)
    swapped = (tuple([*honest.rounds[0][:-1], ranked[-1]]), honest.rounds[1])
    result = draw.verify(
        draw.Published(honest.commitment, honest.seed_hex, honest.eligible, swapped)
    )
    assert not result.ok and "Round 1" in result.problems[0]
    reordered = (honest.rounds[1], honest.rounds[0])
    assert not draw.verify(
        draw.Published(honest.commitment, honest.seed_hex, honest.eligible, reordered)
    ).ok


def test_verify_fails_on_a_tampered_seed() -> None:
    honest = published(SEED, NUMBERS, [10])
    other = bytes(32).hex()
    result = draw.verify(draw.Published(honest.commitment, other, honest.eligible, honest.rounds))
    assert not result.ok
    assert any("commitment" in p for p in result.problems)
    # a seed that matches a new commitment still fails: the invitations follow the old one
    assert not draw.verify(
        draw.Published(draw.commitment(bytes(32)), other, honest.eligible, honest.rounds)
    ).ok


def test_verify_fails_on_a_tampered_entry_list() -> None:
    honest = published(SEED, NUMBERS, [10])
    invited = set(honest.rounds[0])
    # swapping someone who was not invited for a newcomer leaves the invitations alone,
    # but not the list's SHA-256 recorded when it was published
    dropped = next(c for c in draw.order(SEED, NUMBERS) if c not in invited)
    swapped = tuple(sorted([*(c for c in honest.eligible if c != dropped), "PG-777-777-7777"]))
    result = draw.verify(
        draw.Published(
            honest.commitment, honest.seed_hex, swapped, honest.rounds, honest.list_digest
        )
    )
    assert not result.ok and any("SHA-256" in p for p in result.problems)
    # without the digest, removing an invited number is still caught by the order...
    removed = tuple(c for c in honest.eligible if c != honest.rounds[0][0])
    assert not draw.verify(
        draw.Published(honest.commitment, honest.seed_hex, removed, honest.rounds)
    ).ok
    # ...and so is an added number that ranks above the invited ones
    ranked = draw.order(SEED, NUMBERS)
    intruder = next(
        f"PG-{i:03d}-123-4567"
        for i in range(1000)
        if draw.rank(SEED, f"PG-{i:03d}-123-4567") < draw.rank(SEED, ranked[0])
    )
    added = tuple(sorted([*honest.eligible, intruder]))
    assert not draw.verify(
        draw.Published(honest.commitment, honest.seed_hex, added, honest.rounds)
    ).ok


def test_verify_needs_the_seed() -> None:
    honest = published(SEED, NUMBERS, [])
    waiting = draw.Published(honest.commitment, None, honest.eligible, ())
    assert not draw.verify(waiting).ok
    assert not draw.verify(draw.Published(honest.commitment, "zz", honest.eligible, ())).ok


@given(
    st.binary(min_size=32, max_size=32),
    st.lists(
        st.from_regex(r"PG-[0-9]{3}-[0-9]{3}-[0-9]{4}", fullmatch=True),
        min_size=1,
        max_size=30,
        unique=True,
    ),
    st.lists(st.integers(min_value=0, max_value=12), max_size=4),
)
def test_any_honest_draw_verifies(seed: bytes, eligible: list[str], rounds: list[int]) -> None:
    result = draw.verify(published(seed, eligible, rounds))
    assert result.ok, result.problems
    assert sorted(result.order) == sorted(eligible)


def chi_square(counts: list[list[int]], expected: float) -> float:
    return sum((c - expected) ** 2 / expected for row in counts for c in row)


def position_counts(order_of: object, entries: list[str], trials: int) -> list[list[int]]:
    counts = [[0] * len(entries) for _ in entries]
    index = {c: i for i, c in enumerate(entries)}
    for trial in range(trials):
        seed = hashlib.sha256(f"trial {trial}".encode()).digest()
        for position, confirmation in enumerate(order_of(seed, entries)):  # type: ignore[operator]
            counts[index[confirmation]][position] += 1
    return counts


# Chi-square critical value for 16 degrees of freedom ((5-1) x (5-1)) at p = 0.001.
CRITICAL_16_DOF = 39.25


def test_every_entry_is_equally_likely_at_every_position() -> None:
    entries = NUMBERS[:5]
    trials = 5000
    counts = position_counts(draw.order, entries, trials)
    statistic = chi_square(counts, trials / len(entries))
    assert statistic < CRITICAL_16_DOF, (statistic, counts)


def test_the_uniformity_check_catches_a_biased_order() -> None:
    """The test above can fail: an order that favours the first entry a little is caught."""

    def biased(seed: bytes, entries: list[str]) -> list[str]:
        ranked = draw.order(seed, entries)
        if seed[0] < 40 and ranked[0] != entries[0]:  # ~16% of draws move entry 0 to the top
            ranked.remove(entries[0])
            ranked.insert(0, entries[0])
        return ranked

    entries = NUMBERS[:5]
    trials = 5000
    statistic = chi_square(position_counts(biased, entries, trials), trials / len(entries))
    assert statistic > CRITICAL_16_DOF
