"""What the protected figures are worth: on a generated city of 100,000 cases (ten years; the last year is
published), every cell a figures client can ask for — per area level and period of the grid — compared with
its true value.

For each level (neighbourhood, district, team, municipality) and period (month, quarter, year) it prints the
number of cells, their mean true value, the share hidden (sensitive life domains below their minimum), the
share published exactly, and the mean absolute error of what is published (beside the same for the
deterministic rounding to 5 with 0 to 7 secret that the cell-key method replaced, before any secondary
suppression), for signals by source, by life
domain and cases closed by reason together. The cells go through `figures.disclosure` exactly as the API's
do. Run: `make bench-disclosure` (pure Python, no database; about a minute).
"""

import argparse
import random
import statistics
from collections import defaultdict
from dataclasses import dataclass

from wijkregistratie.core.codes import ClosureReason, LifeDomain, SignalSource
from wijkregistratie.figures.disclosure import RECORD_KEY_RANGE, SENSITIVE_DOMAINS, SENSITIVE_MINIMUM, protect

DISTRICTS, PER_DISTRICT, TEAMS = 20, 5, 10
YEARS = 10
SOURCES = [s.value for s in SignalSource]
DOMAINS = [d.value for d in LifeDomain]
REASONS = [r.value for r in ClosureReason]


@dataclass
class Tally:
    count: int = 0
    key_sum: int = 0


def generate(cases: int, rng: random.Random) -> dict[tuple[str, str, int, int, int], Tally]:
    """Base cells of the last year: (measure, key, district, neighbourhood, month) -> count and key sum."""
    places = [(d, b) for d in range(DISTRICTS) for b in range(PER_DISTRICT)]
    weights = [rng.lognormvariate(0, 0.8) for _ in places]
    source_weights = [rng.lognormvariate(0, 1) for _ in SOURCES]
    domain_weights = [rng.lognormvariate(0, 1) for _ in DOMAINS]
    cells: dict[tuple[str, str, int, int, int], Tally] = defaultdict(Tally)

    def count(measure: str, key: str, place: tuple[int, int], month: int, record_key: int) -> None:
        tally = cells[measure, key, place[0], place[1], month]
        tally.count += 1
        tally.key_sum += record_key

    for _ in range(cases // YEARS):  # the published year's share of the city's cases
        place = rng.choices(places, weights)[0]
        month = rng.randrange(12)
        case_key = rng.randrange(RECORD_KEY_RANGE)
        for _ in range(1 if rng.random() < 0.8 else 2):
            signal_key = rng.randrange(RECORD_KEY_RANGE)
            count("source", rng.choices(SOURCES, source_weights)[0], place, month, signal_key)
            for domain in set(rng.choices(DOMAINS, domain_weights, k=rng.randrange(1, 4))):
                count("domain", domain, place, month, signal_key)
        if rng.random() < 0.85:
            count("reason", rng.choice(REASONS), place, (month + rng.randrange(0, 6)) % 12, case_key)
    return cells


LEVELS = {
    "neighbourhood": lambda d, b: (d, b),
    "district": lambda d, b: d,
    "team": lambda d, b: d // (DISTRICTS // TEAMS),
    "municipality": lambda d, b: 0,
}
PERIODS = {"month": lambda m: m, "quarter": lambda m: m // 3, "year": lambda m: 0}


Row = tuple[str, str, int, float, float, float, float, float, float]


def measure(cells: dict[tuple[str, str, int, int, int], Tally]) -> list[Row]:
    rows = []
    for level, area_of in LEVELS.items():
        for period, part_of in PERIODS.items():
            grouped: dict[tuple[str, str, object, int], Tally] = defaultdict(Tally)
            for (measure_, key, d, b, month), tally in cells.items():
                target = grouped[measure_, key, area_of(d, b), part_of(month)]
                target.count += tally.count
                target.key_sum += tally.key_sum
            # every cell of the grid, also the empty ones a client can ask for
            areas = {area_of(d, b) for d in range(DISTRICTS) for b in range(PER_DISTRICT)}
            parts = {part_of(m) for m in range(12)}
            keys = (
                [("source", s) for s in SOURCES] + [("domain", d) for d in DOMAINS] + [("reason", r) for r in REASONS]
            )
            truths, errors, hidden, exact = [], [], 0, 0
            rounded_errors, rounded_hidden = [], 0
            for measure_, key in keys:
                minimum = SENSITIVE_MINIMUM if measure_ == "domain" and key in SENSITIVE_DOMAINS else 0
                for area in areas:
                    for part in parts:
                        tally = grouped.get((measure_, key, area, part), Tally())
                        cell = protect(tally.count, tally.key_sum, minimum)
                        truths.append(tally.count)
                        if tally.count < 8:
                            rounded_hidden += 1
                        else:
                            rounded_errors.append(abs((tally.count + 2) // 5 * 5 - tally.count))
                        if cell.value is None:
                            hidden += 1
                            continue
                        errors.append(abs(cell.value - tally.count))
                        exact += cell.value == tally.count
            total = len(truths)
            rows.append(
                (
                    level,
                    period,
                    total,
                    statistics.mean(truths),
                    100 * hidden / total,
                    100 * exact / total,
                    statistics.mean(errors) if errors else 0.0,
                    100 * rounded_hidden / total,
                    statistics.mean(rounded_errors) if rounded_errors else 0.0,
                )
            )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()
    cells = generate(args.cases, random.Random(args.seed))
    print(f"generated city: {args.cases} cases over {YEARS} years; the last year published")
    print(
        f"{'level':<14} {'period':<8} {'cells':>7} {'mean true':>10} {'hidden':>8} {'exact':>7} {'MAE':>6}"
        f"   {'rounded to 5, 0-7 secret: hidden':>34} {'MAE':>6}"
    )
    for level, period, total, mean_true, hidden, exact, mae, old_hidden, old_mae in measure(cells):
        print(
            f"{level:<14} {period:<8} {total:>7} {mean_true:>10.1f} {hidden:>7.1f}% {exact:>6.1f}% {mae:>6.2f}"
            f"   {old_hidden:>33.1f}% {old_mae:>6.2f}"
        )


if __name__ == "__main__":
    main()
