"""Disclosure control for published figures: a cell-key method, as statistics offices use for flexible tables.

Every signal and case gets a random record key when it is written (`RECORD_KEY_RANGE`), and keeps it. A
cell's key is the sum of its records' keys, modulo the range, as a fraction in [0, 1). The published value
is the true count plus noise looked up by (cell key, true count) in the perturbation table below, so:

- the same cell (the same records) gets the same value in every answer, whichever table it appears in;
- a cell that differs by a single record has an unrelated key, so its noise is a fresh draw: differencing
  two answers gives the difference plus noise, never the difference itself;
- the noise is unbiased (its mean is 0 for every true count), at most `MAX_NOISE` either way, with variance
  `VARIANCE` where the table has room for it, and no published value lies in 1..`NOT_PUBLISHED_UP_TO`:
  a 0 may be a true 1 or 3, a 3 may be a true 1.

Because every possible value within `MAX_NOISE` keeps a positive probability, what an attacker can deduce
from a published value v is only that the true count lies in `possible_counts(v)`; a hidden cell tells
`possible_counts` of anything below its minimum. Sums (for means) are perturbed the same way, by the
largest contribution one record can make. Shares and means are computed from perturbed values only.

The table protects single answers against differencing; a fixed grid of periods and areas (see the
service) keeps the number of distinct answers about one cell small, so that averaging many of them
cannot cancel the noise either.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from fractions import Fraction
from functools import cache

RECORD_KEY_RANGE = 2**32
MAX_NOISE = 3
VARIANCE = Fraction(3, 2)
NOT_PUBLISHED_UP_TO = 2
MIN_RATE_DENOMINATOR = 20
# Signals about these life domains say something about a person's health, addiction, crime or family
# violence; their cells are published only from a higher (perturbed) value on.
SENSITIVE_DOMAINS = frozenset({"mental_health", "physical_health", "substance_use", "justice", "domestic_relations"})
SENSITIVE_MINIMUM = 10
# A second lookup for the sum of a cell uses its key shifted by an irrational fraction, so the noise on a
# cell's sum is not a copy of the noise on its count.
SUM_KEY_SHIFT = 0.6180339887498949


class CellStatus(StrEnum):
    published = "published"
    secret = "secret"  # below the minimum for its kind: published as no value
    suppressed = "suppressed"  # a share or mean over too few (perturbed) records


@dataclass(frozen=True)
class Cell:
    value: int | None
    status: CellStatus

    @property
    def hidden(self) -> bool:
        return self.status is not CellStatus.published


def cell_key(key_sum: int) -> float:
    """The cell's key: the sum of its records' keys modulo the key range, as a fraction of it."""
    return (key_sum % RECORD_KEY_RANGE) / RECORD_KEY_RANGE


def _allowed(true_count: int) -> list[int]:
    low = max(0, true_count - MAX_NOISE)
    return [v for v in range(low, true_count + MAX_NOISE + 1) if v == 0 or v > NOT_PUBLISHED_UP_TO]


def _mean(distribution: dict[int, Fraction]) -> Fraction:
    return sum((v * p for v, p in distribution.items()), Fraction(0))


def _variance(distribution: dict[int, Fraction]) -> Fraction:
    mean = _mean(distribution)
    return sum(((v - mean) ** 2 * p for v, p in distribution.items()), Fraction(0))


@cache
def perturbation(true_count: int) -> tuple[tuple[int, Fraction], ...]:
    """The published values for a true count and their probabilities (exact, in ascending order).

    Start from all allowed values alike; where their mean is off (near 0, where values below cannot be
    published), move mass to the lowest or highest value until the mean is the true count; then mix with
    the true count itself to bring the variance down to `VARIANCE`. Every allowed value keeps a share.
    Counts from `NOT_PUBLISHED_UP_TO + 1 + MAX_NOISE` on all get the same shape, shifted.
    """
    if true_count == 0:
        return ((0, Fraction(1)),)
    shape_from = NOT_PUBLISHED_UP_TO + 1 + MAX_NOISE
    if true_count > shape_from:
        return tuple((v + true_count - shape_from, p) for v, p in perturbation(shape_from))
    values = _allowed(true_count)
    uniform = {v: Fraction(1, len(values)) for v in values}
    mean, target = _mean(uniform), Fraction(true_count)
    edge = values[0] if mean > target else values[-1]
    weight = (target - edge) / (mean - edge) if mean != target else Fraction(1)
    spread = {v: weight * p for v, p in uniform.items()}
    spread[edge] += 1 - weight
    if true_count not in spread:
        return tuple(sorted(spread.items()))
    share = min(Fraction(1), VARIANCE / _variance(spread))
    mixed = {v: share * p for v, p in spread.items()}
    mixed[true_count] += 1 - share
    return tuple(sorted(mixed.items()))


def perturb(true_count: int, key: float) -> int:
    """The published value of a cell: the table's value for its true count at its key."""
    cumulative = Fraction(0)
    table = perturbation(true_count)
    for value, probability in table:
        cumulative += probability
        if key < cumulative:
            return value
    return table[-1][0]


def possible_counts(published: int) -> range:
    """Every true count that can be published as this value: what an attacker may conclude from it."""
    if published == 0:
        return range(0, MAX_NOISE + 1)
    return range(max(1, published - MAX_NOISE), published + MAX_NOISE + 1)


def protect(true_count: int, key_sum: int, minimum: int = 0) -> Cell:
    """The published cell; hidden when its perturbed value lies below the minimum for its kind."""
    value = perturb(true_count, cell_key(key_sum))
    if value < minimum:
        return Cell(None, CellStatus.secret)
    return Cell(value, CellStatus.published)


def protect_sum(amount: float, key_sum: int, largest_contribution: float) -> float:
    """A cell's sum with noise of at most `MAX_NOISE` times what one record can add to it."""
    shifted = (cell_key(key_sum) + SUM_KEY_SHIFT) % 1
    noise = perturb(NOT_PUBLISHED_UP_TO + 1 + MAX_NOISE, shifted) - (NOT_PUBLISHED_UP_TO + 1 + MAX_NOISE)
    return amount + noise * largest_contribution


def rate(numerator: Cell, denominator: Cell) -> float | None:
    """A share in percent from the published counts, or nothing below the minimum denominator."""
    if numerator.value is None or denominator.value is None or denominator.value < MIN_RATE_DENOMINATOR:
        return None
    return round(min(100.0, 100 * numerator.value / denominator.value), 1)


def mean(amount: float, key_sum: int, count: Cell, largest_contribution: float, digits: int) -> float | None:
    """A mean from the perturbed sum and the perturbed count, over enough records only."""
    if count.value is None or count.value < MIN_RATE_DENOMINATOR:
        return None
    return round(protect_sum(amount, key_sum, largest_contribution) / count.value, digits)


def grouped_percentile(bands: Sequence[tuple[int, int, int]], fraction: float) -> float | None:
    """A percentile interpolated within bands of (first, last, published count): never one record's value."""
    total = sum(count for _, _, count in bands)
    if total < MIN_RATE_DENOMINATOR:
        return None
    wanted, seen = fraction * total, 0
    for first, last, count in bands:
        if count and seen + count >= wanted:
            return round(first + (wanted - seen) / count * (last + 1 - first), 0)
        seen += count
    return float(bands[-1][1])
