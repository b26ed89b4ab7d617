"""Disclosure control: an attacker holding a published group never pins down a hidden cell.

The attack is the strongest there is for a group of cells adding up to a total: every published value
is a rounded true value (so within 2 of it), a secret is 0 to 7, a suppressed cell is 8 or more, and
the parts add up to the total. For each hidden cell that gives an interval of possible true values;
Hypothesis searches for data where that interval shrinks to a single value.
"""

from hypothesis import example, given, settings
from hypothesis import strategies as st

from wijkregistratie.figures.disclosure import (
    MIN_RATE_DENOMINATOR,
    Cell,
    CellStatus,
    protect,
    protect_group,
    rate,
    round_count,
)

parts_strategy = st.lists(st.integers(min_value=0, max_value=60), min_size=1, max_size=8)


def _possible_values(total: Cell, cells: list[Cell]) -> list[tuple[int, int]]:
    """The attacker's own arithmetic, written independently of the code under test."""

    def bounds(cell: Cell) -> tuple[int, int]:
        if cell.status is CellStatus.secret:
            return 0, 7
        if cell.value is None:
            return 8, 10**9
        return max(8, int(cell.value) - 2), int(cell.value) + 2

    total_low, total_high = bounds(total) if total.value is not None else (0, 10**9)
    ranges = [bounds(c) for c in cells]
    result = []
    for index, (low, high) in enumerate(ranges):
        others_low = sum(r[0] for i, r in enumerate(ranges) if i != index)
        others_high = sum(r[1] for i, r in enumerate(ranges) if i != index)
        result.append((max(low, total_low - others_high), min(high, total_high - others_low)))
    return result


@settings(max_examples=2000, deadline=None, derandomize=True)
@given(parts_strategy)
@example([0, 13, 13, 13, 13])
@example([7, 8, 8, 8, 8, 8, 8, 8])
def test_no_hidden_cell_can_be_recovered(parts: list[int]) -> None:
    total, cells = protect_group(sum(parts), parts)
    for true_value, cell, (low, high) in zip(parts, cells, _possible_values(total, cells), strict=True):
        if cell.value is None:
            assert low <= true_value <= high  # the attack is sound ...
            assert high > low, (parts, cells)  # ... and never narrows a hidden cell to one value
    if total.value is None:
        assert all(c.value is None for c in cells) or total.status is CellStatus.suppressed


@settings(max_examples=500, deadline=None, derandomize=True)
@given(parts_strategy)
def test_published_values_are_rounded_and_small_values_secret(parts: list[int]) -> None:
    total, cells = protect_group(sum(parts), parts)
    for true_value, cell in zip(parts, cells, strict=True):
        if true_value < 8:
            assert cell.status is CellStatus.secret and cell.value is None
        if cell.value is not None:
            assert cell.value % 5 == 0 and abs(cell.value - true_value) <= 2
    assert (total.value is None) or total.value % 5 == 0


def test_rounding_and_secrets() -> None:
    assert [round_count(v) for v in (8, 12, 13, 17, 18, 102)] == [10, 10, 15, 15, 20, 100]
    assert protect(7) == Cell(None, CellStatus.secret)
    assert protect(0) == Cell(None, CellStatus.secret)
    assert protect(8) == Cell(10, CellStatus.published)


def test_rounding_alone_may_hide_a_lone_secret() -> None:
    total, cells = protect_group(63, [3, 20, 40])
    assert total.value == 65
    assert [c.status for c in cells] == [CellStatus.secret, CellStatus.published, CellStatus.published]


def test_a_lone_secret_gets_company_when_rounding_would_give_it_away() -> None:
    # Published alone, 50 - 4 x 15 with every rounding at its extreme pins the first cell at 0.
    total, cells = protect_group(52, [0, 13, 13, 13, 13])
    assert total.value == 50
    assert [c.status for c in cells][:2] == [CellStatus.secret, CellStatus.suppressed]


def test_rates_come_from_rounded_counts_above_a_minimum() -> None:
    assert rate(protect(12), protect(23)) == 40.0  # 10 of 25, not 12 of 23
    assert rate(protect(12), protect(MIN_RATE_DENOMINATOR - 3)) is None
    assert rate(Cell(None, CellStatus.secret), protect(100)) is None
