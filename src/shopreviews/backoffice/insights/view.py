"""What the insights template shows: the charts drawn from the numbers, each with the sentence
that summarises it and the rows of its table (the same numbers, for reading without sight)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from markupsafe import Markup

from shopreviews.backoffice.insights import charts
from shopreviews.backoffice.insights.period import Period
from shopreviews.backoffice.insights.service import Insights, Rating
from shopreviews.kit.time_buckets import Granularity

STAR_NAMES = ("1 star", "2 stars", "3 stars", "4 stars", "5 stars")


@dataclass(frozen=True)
class Chart:
    svg: Markup  # empty when there is nothing to draw; the template says so instead
    rows: Sequence[tuple[str, ...]]  # the table: one tuple of cells per row


@dataclass(frozen=True)
class View:
    insights: Insights
    unit: str  # "day", "week" or "month": what one bar of the timeline covers
    timeline: Chart
    stars_now: Chart
    stars_period: Chart
    funnel: Chart
    events: Chart


def bucket_label(day: date, granularity: Granularity) -> str:
    if granularity is Granularity.MONTH:
        return day.strftime("%B %Y")
    if granularity is Granularity.WEEK:
        return f"Week of {day.isoformat()}"
    return day.isoformat()


def _share(part: int, whole: int) -> str:
    return f"{round(100 * part / whole)}%" if whole else "–"


def _in_words(pairs: list[tuple[str, int]]) -> str:
    return "; ".join(f"{label}: {value:,}" for label, value in pairs) + "."


def _timeline(found: Insights) -> Chart:
    period = found.period
    columns = [
        charts.Column(
            bucket_label(b.first_day, period.granularity),
            b.rating.count,
            float(b.rating.average) if b.rating.count else None,
        )
        for b in found.buckets
    ]
    rows = [
        (c.label, f"{c.count:,}", b.rating.average or "–")
        for c, b in zip(columns, found.buckets, strict=True)
    ]
    if not found.in_period.count:
        return Chart(Markup(""), rows)
    busiest = max(columns, key=lambda c: c.count)
    summary = (
        f"{found.in_period.count:,} published reviews from {period.first} to {period.last}, "
        f"average rating {found.in_period.average} of 5. Bars count the reviews of each "
        f"{period.granularity.value}, the line is their average; the most were "
        f"{busiest.count:,}, in {busiest.label}."
    )
    svg = charts.columns_with_line(
        "timeline", "Published reviews and average rating over time", summary, columns
    )
    return Chart(svg, rows)


def _stars(chart_id: str, title: str, rating: Rating) -> Chart:
    pairs = [(STAR_NAMES[i], rating.stars[i]) for i in reversed(range(5))]
    rows = [(label, f"{n:,}", _share(n, rating.count)) for label, n in pairs]
    if not rating.count:
        return Chart(Markup(""), rows)
    summary = f"{rating.count:,} reviews, average {rating.average} of 5. " + _in_words(pairs)
    return Chart(charts.bar_list(chart_id, title, summary, pairs), rows)


def _funnel(found: Insights) -> Chart:
    f = found.funnel
    pairs = [
        ("Sent", f.sent),
        ("Opened", f.opened),
        ("Clicked", f.clicked),
        ("Reviewed", f.reviewed),
    ]
    rows = [(label, f"{n:,}", _share(n, f.sent)) for label, n in pairs]
    rows.append(("Unsubscribed", f"{f.unsubscribed:,}", "–"))
    pairs.append(("Unsubscribed", f.unsubscribed))
    if not f.sent and not f.unsubscribed:
        return Chart(Markup(""), rows)
    summary = "Review requests sent in the period and what became of them. " + _in_words(pairs)
    return Chart(charts.bar_list("funnel", "Review-request funnel", summary, pairs), rows)


def _events(found: Insights) -> Chart:
    rows = [(name, f"{n:,}") for name, n in found.events]
    if not found.events:
        return Chart(Markup(""), rows)
    summary = "Storefront events in the period by type. " + _in_words(found.events)
    svg = charts.bar_list("events", "Storefront events by type", summary, found.events)
    return Chart(svg, rows)


def view(found: Insights) -> View:
    return View(
        insights=found,
        unit=found.period.granularity.value,
        timeline=_timeline(found),
        stars_now=_stars("stars-now", "Star ratings of every published review", found.current),
        stars_period=_stars("stars-period", "Star ratings in this period", found.in_period),
        funnel=_funnel(found),
        events=_events(found),
    )


def form_values(period: Period | None, asked: dict[str, str]) -> dict[str, str]:
    """What the period form shows: the period in force, or what was asked when it failed."""
    if period is None:
        return asked
    first, last = period.first.isoformat(), period.last.isoformat()
    return {"period": period.choice, "from": first, "to": last}
