"""Disclosure control for published figures, after CBS practice for care figures per neighbourhood.

- Counts are rounded to multiples of 5.
- True values 0 to 7 are secret: published as no value, marked `secret`.
- A rate is computed from the rounded counts, and only above a minimum denominator.
- Secondary suppression: in a group of cells that adds up to a published total, a hidden cell could be
  recovered by subtracting its siblings from the total. After primary suppression the group is audited the
  way an attacker would attack it: from the published (rounded) values, the interval each hidden cell must
  lie in. While a hidden cell's interval holds a single value, the smallest published cell is suppressed
  too; when none is left, the total is. When the total itself is hidden, so is every cell.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

ROUND_TO = 5
SECRET_BELOW = 8
MIN_RATE_DENOMINATOR = 20


class CellStatus(StrEnum):
    published = "published"
    secret = "secret"  # the true value is small (primary suppression)
    suppressed = "suppressed"  # hidden so a secret cell cannot be recovered (secondary suppression)


@dataclass(frozen=True)
class Cell:
    value: int | None
    status: CellStatus

    @property
    def hidden(self) -> bool:
        return self.status is not CellStatus.published


def round_count(true_value: int) -> int:
    """Round half up to a multiple of 5."""
    return ((true_value + ROUND_TO // 2) // ROUND_TO) * ROUND_TO


def protect(true_value: int) -> Cell:
    if true_value < SECRET_BELOW:
        return Cell(None, CellStatus.secret)
    return Cell(round_count(true_value), CellStatus.published)


UNBOUNDED = 10**12
HALF_STEP = ROUND_TO // 2


def known_range(cell: Cell) -> tuple[int, int]:
    """What anyone can tell of a cell's true value from what is published about it."""
    if cell.status is CellStatus.secret:
        return 0, SECRET_BELOW - 1
    if cell.status is CellStatus.suppressed or cell.value is None:
        return SECRET_BELOW, UNBOUNDED
    return max(SECRET_BELOW, cell.value - HALF_STEP), cell.value + HALF_STEP


def attack(total: Cell, cells: Sequence[Cell]) -> list[tuple[int, int]]:
    """For each cell, the interval its true value must lie in, given the others and the total."""
    total_low, total_high = known_range(total) if not total.hidden else (0, UNBOUNDED)
    ranges = [known_range(c) for c in cells]
    low_sum, high_sum = sum(r[0] for r in ranges), sum(r[1] for r in ranges)
    return [(max(low, total_low - (high_sum - high)), min(high, total_high - (low_sum - low))) for low, high in ranges]


def protect_group(total: int, parts: Sequence[int]) -> tuple[Cell, list[Cell]]:
    """Protect a total and the parts that add up to it, so that no hidden part can be pinned down."""
    total_cell = protect(total)
    cells = [protect(p) for p in parts]
    if total_cell.hidden:
        return total_cell, [Cell(None, CellStatus.secret if c.hidden else CellStatus.suppressed) for c in cells]
    while any(c.hidden and high - low < 1 for c, (low, high) in zip(cells, attack(total_cell, cells), strict=True)):
        published = sorted((parts[i], i) for i, c in enumerate(cells) if not c.hidden)
        if not published:
            return Cell(None, CellStatus.suppressed), cells
        cells[published[0][1]] = Cell(None, CellStatus.suppressed)
    return total_cell, cells


def protect_breakdown(parts: Sequence[int]) -> tuple[Cell, list[Cell]]:
    return protect_group(sum(parts), parts)


def rate(numerator: Cell, denominator: Cell) -> float | None:
    """A share in percent from the published (rounded) counts, or nothing below the minimum denominator."""
    if numerator.value is None or denominator.value is None or denominator.value < MIN_RATE_DENOMINATOR:
        return None
    return round(100 * numerator.value / denominator.value, 1)
