"""read_csv on real series: dates, missing cells, gaps, irregular times, and errors naming file and line."""

from __future__ import annotations

import numpy as np
import pytest

from dynlearn.data import read_csv, write_csv
from dynlearn.data.diagnose import seasonal_period
from dynlearn.data.timeaxis import Calendar
from dynlearn.errors import FileFormatError, UnknownNameError, ValidationError


def write(tmp_path, text: str, name: str = "d.csv"):
    p = tmp_path / name
    p.write_text(text)
    return p


MONTHLY = "date,sales,temp\n2015-01-01,10,1.5\n2015-02-01,,2.5\n2015-03-01,12,3\n2015-05-01,14,4\n2015-06-01,15,NA\n"


def test_dates_give_whole_steps_and_calendar(tmp_path):
    tr = read_csv(write(tmp_path, "date,x\n2020-01-31,1\n2020-02-29,2\n2020-03-31,3\n2020-04-30,4\n"))
    np.testing.assert_array_equal(tr.times, [0, 1, 2, 3])
    cal = Calendar.from_meta(tr.meta["calendar"])
    assert (cal.unit, cal.count, cal.month_end) == ("M", 1, True)
    assert cal.format(np.array([4, 5])) == ["2020-05-31", "2020-06-30"]
    assert tr.meta["dt"] == 1.0 and tr.meta["time_column"] == "date"


@pytest.mark.parametrize(
    "dates, unit, count",
    [
        (["2019-01-07", "2019-01-14", "2019-01-21"], "D", 7),
        (["2019-01-01", "2019-04-01", "2019-07-01"], "M", 3),
        (["2019-01", "2020-01", "2021-01"], "M", 12),
        (["2019-01-01T00:00", "2019-01-01T01:00", "2019-01-01T02:00"], "s", 3600),
    ],
)
def test_frequency_inferred(tmp_path, dates, unit, count):
    text = "ds,y\n" + "".join(f"{d},{i}\n" for i, d in enumerate(dates))
    tr = read_csv(write(tmp_path, text))  # 'ds' (statsforecast's name) is found as the time column
    cal = Calendar.from_meta(tr.meta["calendar"])
    assert (cal.unit, cal.count) == (unit, count)
    np.testing.assert_array_equal(tr.times, [0, 1, 2])
    back = read_csv(write_csv(tr, tmp_path / "back.csv"))  # written with dates again
    np.testing.assert_array_equal(back.times, tr.times)
    assert (tmp_path / "back.csv").read_text().splitlines()[1].startswith(dates[0][:7])


def test_missing_cells_need_a_fill_and_name_the_line(tmp_path):
    p = write(tmp_path, MONTHLY)
    with pytest.raises(FileFormatError, match=r"d.csv, line 3, column 'sales': cell is empty; pass fill="):
        read_csv(p)
    with pytest.raises(UnknownNameError, match="fill method"):
        read_csv(p, fill="linear")


def test_gap_is_refused_naming_the_line_then_filled(tmp_path):
    p = write(tmp_path, MONTHLY.replace("2015-02-01,,2.5", "2015-02-01,11,2.5").replace("15,NA", "15,5"))
    with pytest.raises(ValidationError, match=r"line 5: time jumps from 2015-03-01 to 2015-05-01, skipping 1 step"):
        read_csv(p)
    tr = read_csv(p, fill="interpolate")
    np.testing.assert_array_equal(tr.times, np.arange(6))
    np.testing.assert_allclose(tr.states[:, 0], [10, 11, 12, 13, 14, 15])
    assert tr.meta["inserted_rows"] == 1


def test_fill_methods(tmp_path):
    p = write(tmp_path, MONTHLY)
    interp = read_csv(p, fill="interpolate")
    np.testing.assert_allclose(interp.states[:, 0], [10, 11, 12, 13, 14, 15])
    np.testing.assert_allclose(interp.states[:, 1], [1.5, 2.5, 3, 3.5, 4, 4])  # edge: nearest observed
    ffill = read_csv(p, fill="ffill")
    np.testing.assert_allclose(ffill.states[:, 0], [10, 10, 12, 12, 14, 15])
    drop = read_csv(p, fill="drop")
    np.testing.assert_array_equal(drop.times, [0, 2, 4])  # the gaps stay: times are honest
    assert drop.meta["gaps"] == 2  # the missing April and the dropped February


def test_leading_missing_cell_takes_first_value(tmp_path):
    tr = read_csv(write(tmp_path, "t,x\n0,\n1,nan\n2,5\n3,6\n"), fill="ffill")
    np.testing.assert_array_equal(tr.states[:, 0], [5, 5, 5, 6])
    with pytest.raises(FileFormatError, match="every cell is missing"):
        read_csv(write(tmp_path, "t,x,y\n0,,1\n1,NA,2\n"), fill="interpolate")


def test_irregular_times_are_kept_or_resampled(tmp_path):
    p = write(tmp_path, "t,x\n0,1\n1,2\n2,3\n3.5,4\n4,5\n")
    kept = read_csv(p)
    np.testing.assert_array_equal(kept.times, [0, 1, 2, 3.5, 4])
    assert kept.dt is None and kept.meta["irregular_line"] == 5
    tr = read_csv(p, resample=0.5)
    np.testing.assert_allclose(tr.times, np.arange(9) * 0.5)
    np.testing.assert_allclose(tr.states[[0, 2, 4, 7, 8], 0], [1, 2, 3, 4, 5])
    assert tr.meta["resampled"] and tr.dt == 0.5
    with pytest.raises(ValidationError, match="times are numbers"):
        read_csv(p, resample="M")


def test_resample_dates(tmp_path):
    tr = read_csv(write(tmp_path, MONTHLY), fill="drop", resample="Q")
    cal = Calendar.from_meta(tr.meta["calendar"])
    assert (cal.unit, cal.count) == ("M", 3)
    np.testing.assert_allclose(tr.states[:, 0], [10, 13])  # Jan and Apr (Apr between Mar 12 and May 14)
    with pytest.raises(ValidationError, match="frequency such as"):
        read_csv(write(tmp_path, MONTHLY), fill="drop", resample="0.5")


@pytest.mark.parametrize(
    "text, match",
    [
        ("time,x\n0,1\n1,2\n0.5,3\n", r"d.csv, line 4, column 'time': time 0.5 does not come after 1 \(line 3\)"),
        ("time,x\n0,1\n0,2\n", r"line 3, column 'time'"),
        (
            "date,x\n2020-01-01,1\n2020-03-01,2\n2020-02-01,3\n",
            r"d.csv, line 4, column 'date': time 2020-02-01 does not come after 2020-03-01 \(line 3\)",
        ),
        ("date,x\n2020-01-01,1\n2020-13-01,2\n", r"line 3, column 'date': '2020-13-01' is not a valid date"),
        ("date,x\n2020-01-01,1\n,2\n", r"line 3, column 'date': the time is missing"),
    ],
)
def test_time_errors_name_file_and_line(tmp_path, text, match):
    with pytest.raises((ValidationError, FileFormatError), match=match):
        read_csv(write(tmp_path, text))


def test_line_numbers_count_blank_lines_and_header(tmp_path):
    with pytest.raises(ValidationError, match="line 5"):
        read_csv(write(tmp_path, "\ntime,x\n0,1\n\n0,2\n"))


def test_columns_select_and_reorder(tmp_path):
    tr = read_csv(write(tmp_path, "date,a,b,note\n2020-01,1,2,x\n2020-02,3,4,y\n"), columns=["b", "a"])
    assert tr.meta["variables"] == ["b", "a"]
    np.testing.assert_array_equal(tr.states, [[2, 1], [4, 3]])


def test_seasonal_period():
    t = np.arange(144)
    rng = np.random.default_rng(0)
    x = 0.5 * t + 10 * np.sin(2 * np.pi * t / 12) + rng.normal(0, 1, len(t))
    assert seasonal_period(x) == 12
    assert seasonal_period(rng.normal(size=200)) is None


def test_a_year_column_is_the_time_axis(tmp_path):
    tr = read_csv(write(tmp_path, "year,index\n2001,1.5\n2002,2.5\n2003,3.0\n"))
    assert tr.meta["variables"] == ["index"] and tr.meta["time_column"] == "year"
    np.testing.assert_array_equal(tr.times, [2001, 2002, 2003])
    assert tr.dt == 1.0 and "calendar" not in tr.meta
