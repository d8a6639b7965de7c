"""Generate the small example series of docs/own-data.md (run: python examples/data/make_examples.py).

Synthetic but shaped like real data, from a fixed seed so every run writes the same files:

* ``monthly.csv``: monthly sales 2013-01 .. 2022-12, trend + yearly season + AR(1) noise,
  with two empty cells and two months missing altogether (gaps); ``monthly_2023.csv`` holds
  the twelve months that follow, to check a forecast against.
* ``weekly.csv``: weekly visits and temperature over four years (yearly cycle of ~52 weeks).
* ``yearly.csv``: a yearly index 1961..2020 with a slow trend and a decade-long cycle.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

HERE = Path(__file__).parent


def _ar1(rng, n, phi, sigma):
    e = np.zeros(n)
    for i in range(1, n):
        e[i] = phi * e[i - 1] + rng.normal(0, sigma)
    return e


def _write(name: str, header: list[str], rows: list[list[str]]) -> None:
    text = ",".join(header) + "\n" + "".join(",".join(r) + "\n" for r in rows)
    tmp = HERE / f".{name}.tmp"
    tmp.write_text(text)
    tmp.replace(HERE / name)


def monthly(rng) -> None:
    n = 132  # 2013-01 .. 2023-12
    t = np.arange(n)
    sales = 200 + 1.1 * t + 30 * np.sin(2 * np.pi * (t - 3) / 12) + 12 * np.cos(4 * np.pi * t / 12)
    sales = sales + _ar1(rng, n, 0.5, 6.0)
    months = [f"{2013 + i // 12}-{i % 12 + 1:02d}-01" for i in range(n)]
    rows = [[m, f"{v:.1f}"] for m, v in zip(months, sales)]
    hist, future = rows[:120], rows[120:]
    hist[40][1] = ""  # empty cells
    hist[77][1] = "NA"
    del hist[95]  # two months missing altogether
    del hist[60]
    _write("monthly.csv", ["date", "sales"], hist)
    _write("monthly_2023.csv", ["date", "sales"], future)


def weekly(rng) -> None:
    n = 208
    t = np.arange(n)
    temp = 11 + 9 * np.sin(2 * np.pi * (t - 14) / 52.18) + _ar1(rng, n, 0.6, 1.2)
    visits = 500 + 0.8 * t - 6 * (temp - 11) + _ar1(rng, n, 0.7, 15)
    start = np.datetime64("2019-01-07")
    rows = [[str(start + 7 * i), f"{v:.0f}", f"{c:.1f}"] for i, (v, c) in enumerate(zip(visits, temp))]
    _write("weekly.csv", ["date", "visits", "temperature"], rows)


def yearly(rng) -> None:
    years = np.arange(1961, 2021)
    t = years - years[0]
    index = 100 + 0.9 * t + 6 * np.sin(2 * np.pi * t / 10.5) + _ar1(rng, len(t), 0.4, 2.0)
    _write("yearly.csv", ["year", "index"], [[str(y), f"{v:.2f}"] for y, v in zip(years, index)])


if __name__ == "__main__":
    rng = np.random.default_rng(20261201)
    monthly(rng)
    weekly(rng)
    yearly(rng)
