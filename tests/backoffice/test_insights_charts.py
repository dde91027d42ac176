"""The insights charts as drawn (backoffice/insights/charts.py): bars in proportion to their
values, nothing drawn for zero, one bucket, labels kept as text, and no style attribute."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import date

import pytest

from shopreviews.backoffice.insights import charts
from shopreviews.backoffice.insights.period import BadPeriod, parse_period
from shopreviews.kit.time_buckets import Granularity, buckets

SVG = "{http://www.w3.org/2000/svg}"


def _parse(markup: str) -> ET.Element:
    assert "style=" not in markup  # the page policy refuses inline styles
    return ET.fromstring(markup)  # well-formed: every label escaped


def _bars(root: ET.Element) -> list[ET.Element]:
    return root.findall(f"{SVG}rect[@class='chart-bar']")


def _texts(root: ET.Element) -> list[str]:
    return [t.text or "" for t in root.iter(f"{SVG}text")]


def test_horizontal_bars_are_proportional_to_their_values() -> None:
    root = _parse(charts.bar_list("c", "Title", "Summary", [("a", 10), ("b", 5), ("c", 2)]))
    widths = [float(bar.get("width", "")) for bar in _bars(root)]
    assert widths[0] / widths[1] == pytest.approx(2, rel=0.01)
    assert widths[0] / widths[2] == pytest.approx(5, rel=0.01)
    assert root.get("role") == "img"
    assert root.get("aria-labelledby") == "c-title c-desc"
    assert root.find(f"{SVG}title").text == "Title"  # type: ignore[union-attr]
    assert root.find(f"{SVG}desc").text == "Summary"  # type: ignore[union-attr]
    assert _texts(root) == ["a", "10", "b", "5", "c", "2"]


def test_columns_are_proportional_and_the_line_breaks_at_empty_buckets() -> None:
    columns = [
        charts.Column("d1", 4, 4.5),
        charts.Column("d2", 0, None),
        charts.Column("d3", 2, 3.0),
        charts.Column("d4", 1, 5.0),
    ]
    root = _parse(charts.columns_with_line("t", "Title", "Summary", columns))
    heights = [float(bar.get("height", "")) for bar in _bars(root)]
    assert len(heights) == 3  # nothing drawn for the empty bucket
    assert heights[0] / heights[1] == pytest.approx(2, rel=0.01)
    assert heights[0] / heights[2] == pytest.approx(4, rel=0.01)
    line = root.find(f"{SVG}path[@class='chart-line']")
    assert line is not None
    assert re.findall("[ML]", line.get("d", "")) == ["M", "M", "L"]  # a gap after d1
    assert len(root.findall(f"{SVG}circle")) == 3
    # the higher average is drawn higher (smaller y)
    ys = [float(c.get("cy", "")) for c in root.findall(f"{SVG}circle")]
    assert ys[2] < ys[0] < ys[1]
    assert {"d1", "d4"} <= set(_texts(root))


def test_zero_data_draws_no_mark() -> None:
    root = _parse(charts.bar_list("z", "T", "S", [("a", 0), ("b", 0)]))
    assert _bars(root) == []
    assert _texts(root) == ["a", "0", "b", "0"]
    root = _parse(charts.columns_with_line("z2", "T", "S", [charts.Column("x", 0, None)]))
    assert _bars(root) == [] and root.find(f"{SVG}path[@class='chart-line']") is None


def test_one_bucket_is_one_bar_and_one_dot() -> None:
    root = _parse(charts.columns_with_line("one", "T", "S", [charts.Column("2026-03-01", 3, 4.0)]))
    assert len(_bars(root)) == 1
    assert len(root.findall(f"{SVG}circle")) == 1
    assert "2026-03-01" in _texts(root)


def test_labels_titles_and_ids_stay_text() -> None:
    evil = "<script>x</script>&'\""  # short enough to be shown whole
    markup = charts.bar_list('x"><script>', evil, evil, [(evil, 1)])
    assert "<script>" not in markup
    root = _parse(markup)
    assert root.find(f"{SVG}title").text == evil  # type: ignore[union-attr]
    assert evil in _texts(root)
    markup = charts.columns_with_line("y", evil, evil, [charts.Column(evil, 1, 1.0)])
    assert "<script>" not in markup and evil in _texts(_parse(markup))


def test_long_labels_are_cut_in_the_picture() -> None:
    root = _parse(charts.bar_list("l", "T", "S", [("E" * 64, 1)]))
    assert _texts(root)[0] == "E" * 23 + "…"


def test_the_axis_top_is_a_round_number() -> None:
    assert [charts.nice_ceiling(n) for n in (0, 1, 3, 7, 11, 120, 2001)] == [
        1,
        1,
        5,
        10,
        20,
        200,
        5000,
    ]


def test_buckets_cover_the_period() -> None:
    assert buckets(date(2026, 1, 30), date(2026, 3, 2), Granularity.MONTH) == [
        date(2026, 1, 1),
        date(2026, 2, 1),
        date(2026, 3, 1),
    ]
    weeks = buckets(date(2026, 1, 1), date(2026, 1, 12), Granularity.WEEK)
    assert weeks == [date(2025, 12, 29), date(2026, 1, 5), date(2026, 1, 12)]


@pytest.mark.parametrize(
    ("choice", "first", "last", "message"),
    [
        ("14", "", "", "Choose one of the periods offered"),
        ("custom", "", "2026-03-01", "enter both"),
        ("custom", "2026-13-01", "2026-03-01", "Enter the first date as YYYY-MM-DD"),
        ("custom", "2026-03-02", "2026-03-01", "must not be after"),
        ("custom", "1999-12-31", "2026-03-01", "between 2000-01-01"),
        ("custom", "2000-01-01", "9999-12-31", "between 2000-01-01"),
        ("custom", "2000-01-01", "2026-03-01", "at most 3660 days"),
    ],
)
def test_a_bad_period_says_what_to_change(choice: str, first: str, last: str, message: str) -> None:
    with pytest.raises(BadPeriod, match=message):
        parse_period(choice, first, last, date(2026, 3, 20))


def test_periods_and_their_bars() -> None:
    today = date(2026, 3, 20)
    assert parse_period(None, None, None, today).first == date(2026, 2, 19)  # 30 days
    assert parse_period("7", "", "", today).granularity is Granularity.DAY
    assert parse_period("90", "", "", today).granularity is Granularity.WEEK
    assert parse_period("365", "", "", today).granularity is Granularity.WEEK
    assert parse_period("custom", "2026-01-01", "2026-03-03", today).granularity is Granularity.DAY
    assert parse_period("custom", "2024-01-01", "2026-03-03", today).granularity is (
        Granularity.MONTH
    )
