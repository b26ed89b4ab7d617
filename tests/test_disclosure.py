"""Disclosure control attacked as a statistician would attack it.

The perturbation table is checked for what the method promises (unbiased, bounded, no values 1 to k, the
same answer for the same records). Then a generated city is published the way the API publishes it —
every team, area level (neighbourhood, district, municipality), period of the grid (month, quarter, year)
and breakdown with its total — and attacked:

- an integer-programming attacker (HiGHS through SciPy) takes every answer as a constraint (the true count
  lies in `possible_counts` of what was published, cells add up) and, for every hidden month-neighbourhood
  cell with a true value of 1 to 7, solves for its smallest and largest possible value; none may be pinned;
- an averaging attacker combines every difference of answers that isolates the same cell; on the grid that
  is a handful of noisy estimates, where free intervals would give it dozens (shown for contrast);
- a tracker adds records one at a time and reads the cell again: without final months, every reading
  would be a fresh draw of noise; the service never answers a month that has not ended, and an ended
  month's values never change (tests/test_figure_rollups.py and tests/test_figures.py);
- a mean over cases that differ by one case is differenced.
"""

import random
import statistics
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from fractions import Fraction
from itertools import combinations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import Bounds, LinearConstraint, milp
from scipy.sparse import coo_array

from wijkregistratie.figures import disclosure
from wijkregistratie.figures.disclosure import (
    MAX_NOISE,
    MIN_RATE_DENOMINATOR,
    NOT_PUBLISHED_UP_TO,
    RECORD_KEY_RANGE,
    VARIANCE,
    Cell,
    CellStatus,
    cell_key,
    grouped_percentile,
    perturb,
    perturbation,
    possible_counts,
    protect,
    rate,
)

# --- the perturbation table ---------------------------------------------------------------------------


@pytest.mark.parametrize("true_count", range(0, 40))
def test_the_noise_is_unbiased_bounded_and_never_publishes_one_to_k(true_count: int) -> None:
    table = dict(perturbation(true_count))
    assert sum(table.values()) == 1
    assert sum(v * p for v, p in table.items()) == true_count  # exactly unbiased
    assert all(abs(v - true_count) <= MAX_NOISE for v in table)
    assert not any(1 <= v <= NOT_PUBLISHED_UP_TO for v in table)
    if true_count > NOT_PUBLISHED_UP_TO + MAX_NOISE:
        variance = sum((v - true_count) ** 2 * p for v, p in table.items())
        assert variance == VARIANCE
    # every value that may be published for this count is published for some key: the attacker's
    # `possible_counts` is exactly what a published value allows, no narrower
    assert all(true_count in possible_counts(v) for v in table)
    publishable = [v for v in range(true_count + MAX_NOISE + 1) if v == 0 or v > NOT_PUBLISHED_UP_TO]
    assert set(table) == {v for v in publishable if true_count in possible_counts(v)}


@settings(max_examples=300, deadline=None, derandomize=True)
@given(st.lists(st.integers(min_value=0, max_value=RECORD_KEY_RANGE - 1), min_size=1, max_size=30))
def test_the_same_records_get_the_same_value_and_one_more_record_a_fresh_draw(keys: list[int]) -> None:
    cell = protect(len(keys), sum(keys))
    assert cell == protect(len(keys), sum(reversed(keys)))  # the order of the records does not matter
    assert cell.value is not None and len(keys) in possible_counts(cell.value)
    # the key of a cell is the fraction of the sum of keys: adding a record moves it uniformly
    assert cell_key(sum(keys)) == cell_key(sum(keys) + RECORD_KEY_RANGE)


def test_an_empty_cell_is_zero_and_small_cells_are_not_told_apart() -> None:
    assert protect(0, 0) == Cell(0, CellStatus.published)
    for published in (0, NOT_PUBLISHED_UP_TO + 1):
        assert len(possible_counts(published)) >= MAX_NOISE + 1
    assert protect(3, 0, minimum=disclosure.SENSITIVE_MINIMUM) == Cell(None, CellStatus.secret)


def test_shares_and_percentiles_come_from_published_values() -> None:
    assert rate(Cell(10, CellStatus.published), Cell(25, CellStatus.published)) == 40.0
    assert rate(Cell(10, CellStatus.published), Cell(MIN_RATE_DENOMINATOR - 1, CellStatus.published)) is None
    assert rate(Cell(None, CellStatus.secret), Cell(100, CellStatus.published)) is None
    bands = [(0, 30, 10), (31, 90, 10), (91, 180, 0)]
    assert grouped_percentile(bands, 0.5) == 31  # the edge of a band, not a case's value
    assert grouped_percentile([(0, 30, 5)], 0.5) is None  # too few


# --- a generated city, published as the API publishes it ---------------------------------------------

MONTHS = 12
QUARTERS = [range(q * 3, q * 3 + 3) for q in range(4)]
CATEGORIES = ["school", "police", "housing"]


@dataclass
class City:
    """Records (category, district, neighbourhood, month, key) of one year; teams are pairs of districts."""

    districts: int
    per_district: int
    records: list[tuple[int, int, int, int, int]] = field(default_factory=list)

    @property
    def neighbourhoods(self) -> list[tuple[int, int]]:
        return [(d, b) for d in range(self.districts) for b in range(self.per_district)]

    @property
    def teams(self) -> list[tuple[int, ...]]:
        return [(d, d + 1) for d in range(0, self.districts - 1, 2)]


def generate(rng: random.Random, districts: int = 4, per_district: int = 4, records: int = 900) -> City:
    city = City(districts, per_district)
    weights = [rng.random() ** 3 for _ in city.neighbourhoods]  # some neighbourhoods nearly empty
    for _ in range(records):
        district, neighbourhood = rng.choices(city.neighbourhoods, weights)[0]
        category = rng.choices(range(len(CATEGORIES)), [6, 1, 3])[0]
        city.records.append((category, district, neighbourhood, rng.randrange(MONTHS), rng.randrange(RECORD_KEY_RANGE)))
    return city


Base = tuple[int, int, int, int]  # category, district, neighbourhood, month


@dataclass(frozen=True)
class Answer:
    base_cells: frozenset[Base]
    published: int


def _areas(city: City) -> Iterator[tuple[str, frozenset[tuple[int, int]]]]:
    for place in city.neighbourhoods:
        yield "neighbourhood", frozenset([place])
    for d in range(city.districts):
        yield "district", frozenset((d, b) for b in range(city.per_district))
    for team in city.teams:
        yield "team", frozenset((d, b) for d in team for b in range(city.per_district))
    yield "municipality", frozenset(city.neighbourhoods)


def grid_periods() -> list[tuple[str, range]]:
    return (
        [("month", range(m, m + 1)) for m in range(MONTHS)]
        + [("quarter", q) for q in QUARTERS]
        + [("year", range(MONTHS))]
    )


def free_intervals() -> list[tuple[str, range]]:
    return [("interval", range(a, b + 1)) for a, b in combinations(range(MONTHS + 1), 2) if b < MONTHS] + [
        ("month", range(m, m + 1)) for m in range(MONTHS)
    ]


def publish(city: City, periods: list[tuple[str, range]]) -> tuple[list[Answer], dict[Base, int]]:
    """Every answer a figures client can ask for: per category and the total over categories."""
    counts: dict[Base, int] = defaultdict(int)
    keys: dict[Base, int] = defaultdict(int)
    for category, district, neighbourhood, month, key in city.records:
        counts[category, district, neighbourhood, month] += 1
        keys[category, district, neighbourhood, month] += key
    answers = []
    for _, places in _areas(city):
        for _, months in periods:
            for categories in [[c] for c in range(len(CATEGORIES))] + [list(range(len(CATEGORIES)))]:
                cells = frozenset((c, d, b, m) for c in categories for d, b in places for m in months)
                n, key_sum = sum(counts[c] for c in cells), sum(keys[c] for c in cells)
                answers.append(Answer(cells, perturb(n, cell_key(key_sum))))
    return answers, dict(counts)


def _all_base(city: City) -> list[Base]:
    return [(c, d, b, m) for c in range(len(CATEGORIES)) for d, b in city.neighbourhoods for m in range(MONTHS)]


def integer_attack(city: City, answers: list[Answer], targets: list[Base]) -> dict[Base, tuple[int, int]]:
    """For each target cell, its smallest and largest value consistent with every answer (exact IP)."""
    variables = _all_base(city)
    index = {cell: i for i, cell in enumerate(variables)}
    rows, columns = [], []
    low, high = np.zeros(len(answers)), np.zeros(len(answers))
    for row, answer in enumerate(answers):
        for cell in answer.base_cells:
            rows.append(row)
            columns.append(index[cell])
        possible = possible_counts(answer.published)
        low[row], high[row] = possible.start, possible.stop - 1
    matrix = coo_array((np.ones(len(rows)), (rows, columns)), shape=(len(answers), len(variables))).tocsr()
    constraints = LinearConstraint(matrix, low, high)
    integrality = np.ones(len(variables))
    bounds = Bounds(0, np.inf)
    result = {}
    for target in targets:
        objective = np.zeros(len(variables))
        objective[index[target]] = 1
        ends = []
        for sign in (1, -1):
            solved = milp(sign * objective, constraints=constraints, integrality=integrality, bounds=bounds)
            assert solved.success, solved.message
            ends.append(round(solved.x[index[target]]))
        result[target] = (ends[0], ends[1])
    return result


def test_no_small_cell_is_pinned_down_by_an_integer_programming_attacker() -> None:
    city = generate(random.Random(2026), districts=4, per_district=3, records=700)
    answers, truth = publish(city, grid_periods())
    small = [cell for cell in _all_base(city) if 1 <= truth.get(cell, 0) <= 7]
    assert len(small) > 100  # the city has enough small cells for the attack to mean something
    ranges = integer_attack(city, answers, random.Random(1).sample(small, 50))
    for cell, (low, high) in ranges.items():
        assert low <= truth[cell] <= high  # the attack is sound ...
        assert high > low, (cell, truth[cell], low, high)  # ... and never narrows a small cell to one value
    widths = [high - low for low, high in ranges.values()]
    assert statistics.mean(widths) >= 3


def averaging_hit_rate(city: City, periods: list[tuple[str, range]]) -> float:
    """The share of small cells a least-squares attacker gets right: it weighs every linear combination of
    answers that isolates a cell, which is the best any averaging of differences can do."""
    answers, truth = publish(city, periods)
    variables = _all_base(city)
    index = {cell: i for i, cell in enumerate(variables)}
    matrix = np.zeros((len(answers), len(variables)))
    for row, answer in enumerate(answers):
        for cell in answer.base_cells:
            matrix[row, index[cell]] = 1
    published = np.array([a.published for a in answers], dtype=float)
    estimate, *_ = np.linalg.lstsq(matrix, published, rcond=None)
    small = [cell for cell in variables if 1 <= truth.get(cell, 0) <= 7]
    return sum(round(estimate[index[cell]]) == truth[cell] for cell in small) / len(small)


def test_averaging_differences_on_the_grid_does_not_cancel_the_noise() -> None:
    """On the grid a neighbourhood-month is isolated a few ways; free intervals would give dozens."""
    city = generate(random.Random(7), records=1500)
    on_the_grid = averaging_hit_rate(city, grid_periods())
    with_free_intervals = averaging_hit_rate(city, free_intervals())
    print(
        f"least-squares attacker, small cells right: grid {on_the_grid:.2f}, free intervals {with_free_intervals:.2f}"
    )
    assert on_the_grid < 0.8, on_the_grid
    assert with_free_intervals > on_the_grid + 0.1, (on_the_grid, with_free_intervals)


def test_a_tracker_would_average_fresh_draws_away_which_is_why_months_are_final() -> None:
    """Published after every one of its own records, another's single record would show; so ended months
    are final and the current month is never published (the service and the rollups test hold to that)."""
    rng = random.Random(5)
    other = [rng.randrange(RECORD_KEY_RANGE)]  # the one signal about substance use the attacker wants
    own: list[int] = []
    readings = []
    for _ in range(80):
        own.append(rng.randrange(RECORD_KEY_RANGE))
        keys = own + other
        readings.append(perturb(len(keys), cell_key(sum(keys))) - len(own))
    assert round(statistics.mean(readings)) == 1  # averaged fresh draws give the record away
    # once final, the same records give the same value however often it is read
    keys = own + other
    assert len({perturb(len(keys), cell_key(sum(keys))) for _ in range(10)}) == 1


def test_a_mean_over_one_case_more_does_not_give_that_case_away() -> None:
    """Two means over n and n + 1 cases: even knowing n, the difference does not tell the added case's change."""
    rng = random.Random(9)
    exact = 0
    trials = 400
    for _ in range(trials):
        n = rng.randrange(MIN_RATE_DENOMINATOR + 5, 60)
        changes = [rng.randrange(-2, 4) for _ in range(n + 1)]
        keys = [rng.randrange(RECORD_KEY_RANGE) for _ in range(n + 1)]
        before = disclosure.protect_sum(sum(changes[:n]), sum(keys[:n]), 4)
        after = disclosure.protect_sum(sum(changes), sum(keys), 4)
        exact += round(after - before) == changes[-1]
    assert exact / trials < 0.6


def test_the_perturbation_variance_is_what_the_readme_promises() -> None:
    assert Fraction(VARIANCE) == Fraction(3, 2) and MAX_NOISE == 3 and NOT_PUBLISHED_UP_TO == 2
