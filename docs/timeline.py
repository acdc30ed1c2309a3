"""Draw the timeline of the coded events: docs/timeline.svg and docs/timeline.png.

    python docs/timeline.py            # or: make timeline
    python docs/timeline.py --out DIR  # write the two files into DIR instead of docs/

Reads the `events`, `casualties`, `references` and `documents` tables of this repository's
package with `kerman_warning.load`; needs matplotlib (`pip install -e '.[docs]'`). The output is
byte-for-byte reproducible for a given matplotlib version: Agg backend, a fixed SVG hash salt,
no date or software version in the files (tests/test_timeline.py checks it).

How the figure encodes the data:

- one row per event, in date order (latest possible day, then position in the article); the
  y labels are the `event_id`s;
- shape = `date_precision`: a day is a diamond; a month or a year is a bar over its whole
  range; "before" is a dashed line with an arrowhead on the left (no earliest day is known:
  the range is open) ending in a bar at `date_end`, the latest possible day; events with no
  date at all (`unknown`) are the rows of the grey band at the bottom;
- colour = `date_basis`: stated by the article, inferred by the curators, or external;
- two panels on a broken axis: the year of the 2015 nuclear talks (the photo caption) and the
  weeks around the Kerman attack of 3 January 2024;
- the attack row carries the casualty figures of `casualties` as the article gives them, with
  the date of the official toll they match (from the figures' `context_ref_id`).

Labels are English (ids and glosses): matplotlib draws Arabic without contextual shaping or
right-to-left ordering, which would misquote the article.
"""

from __future__ import annotations

import argparse
import datetime as dt
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")

import matplotlib.dates as mdates
import matplotlib.pyplot as plt
from matplotlib.axes import Axes
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

import kerman_warning as kw

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"

# The right-hand panel: the weeks around the attack, up to just after publication.
ZOOM = (dt.date(2023, 12, 13), dt.date(2024, 2, 14))
# Margin around the events of the left-hand panel.
MARGIN = dt.timedelta(days=75)
ONE_DAY = dt.timedelta(days=1)

BASIS_COLOURS = {
    "stated": "#1b7837",  # green: the article states it
    "inferred": "#e08214",  # orange: the curators derived it (text + an outside date)
    "external": "#2166ac",  # blue: taken from an outside source
}
BASIS_LABELS = {
    "stated": "stated by the article",
    "inferred": "inferred (the text + an outside date)",
    "external": "external (an outside source)",
}
UNDATED = "#f0f0f0"
ATTACK = "#b2182b"
GREY = "#555555"
TEXT = "#333333"

OUTCOME_ORDER = {"killed": 0, "injured": 1}
PRECISION_ORDER = {"day": 0, "month": 1, "year": 2, "before": 3, "unknown": 4}


def _day(value: dt.date) -> str:
    return f"{value.day} {value:%b %Y}"


def date_label(event: dict[str, Any]) -> str:
    """How the row's dates read in words, e.g. 'before 3 Jan 2024'."""
    precision, start, end = event["date_precision"], event["date_start"], event["date_end"]
    if precision == "day":
        return _day(start) if start == end else f"{_day(start)} to {_day(end)}"
    if precision == "month":
        return f"{start:%b %Y}"
    if precision == "year":
        return f"{start:%Y}"
    if precision == "before":
        return f"before {_day(end)}" if start is None else f"{_day(start)} to {_day(end)}"
    return "no date"


def casualty_label(
    rows: list[dict[str, Any]], references: dict[str, dict[str, Any]]
) -> tuple[str, str]:
    """('at least 84 killed, 284 injured', a note on which official toll the figures are)."""
    parts = []
    for row in sorted(rows, key=lambda row: OUTCOME_ORDER.get(row["outcome"], 9)):
        if row["qualifier"] == "at_least":
            number = f"at least {row['low']}"
        elif row["qualifier"] == "exact" or row["high"] is None:
            number = f"{row['best']}"
        else:
            number = f"{row['low']}-{row['high']}"
        parts.append(f"{number} {row['outcome']}")
    dates = sorted(
        {
            references[row["context_ref_id"]]["published_date"]
            for row in rows
            if row["context_ref_id"]
        }
        - {None},
    )
    note = ""
    if dates:
        note = (
            "The figures as the article gives them:\n"
            f"the official toll of {', '.join(_day(d) for d in dates)};\n"
            "later reports differ (see references)"
        )
    return ", ".join(parts), note


def ordered_events(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """By latest possible day ('before' rows first on a day), then by place in the article."""

    def key(event: dict[str, Any]) -> tuple[Any, ...]:
        end = event["date_end"] or event["date_start"] or dt.date.max
        open_first = 0 if event["date_start"] is None else 1
        return (end, open_first, PRECISION_ORDER[event["date_precision"]], event["start"])

    return sorted(events, key=key)


def last_day(event: dict[str, Any]) -> dt.date | None:
    return event["date_end"] or event["date_start"]


def check_fits(dated: list[dict[str, Any]]) -> None:
    """Each dated event lies wholly in one panel: a new date outside them must move ZOOM."""
    for event in dated:
        first, last = event["date_start"], last_day(event)
        assert last is not None
        in_zoom = ZOOM[0] <= last <= ZOOM[1] and (first is None or first >= ZOOM[0])
        if not (in_zoom or last < ZOOM[0]):
            raise SystemExit(f"{event['event_id']}: its dates do not fit the panels; edit ZOOM")


def draw_event(ax: Axes, event: dict[str, Any], y: float, left: dt.date) -> None:
    """The event's mark and its label in its panel (`left` = the panel's first day)."""
    colour = BASIS_COLOURS[event["date_basis"]]
    start, end = event["date_start"], event["date_end"]
    if start is None:  # open-ended: dashed line from the panel's left edge, bar at the last day
        ax.annotate(
            "",
            xy=(left, y),
            xytext=(end, y),
            arrowprops={
                "arrowstyle": "-|>,head_width=0.25,head_length=0.6",
                "color": colour,
                "linestyle": (0, (4, 2)),
                "linewidth": 1.6,
                "shrinkA": 0,
                "shrinkB": 0,
            },
        )
        ax.plot([end, end], [y - 0.28, y + 0.28], color=colour, linewidth=2.4)
    elif start == end:
        ax.plot(end, y, marker="D", markersize=7, color=colour)
    else:
        ax.barh(y, (end + ONE_DAY) - start, left=start, height=0.5, color=colour)


def draw(out: Path) -> tuple[Path, Path]:
    """Write timeline.svg and timeline.png into `out`; return their paths."""
    events = ordered_events(kw.load("events", path=ROOT).to_pylist())
    casualties: dict[str, list[dict[str, Any]]] = {}
    for row in kw.load("casualties", path=ROOT).to_pylist():
        casualties.setdefault(row["event_id"], []).append(row)
    references = {row["ref_id"]: row for row in kw.load("references", path=ROOT).to_pylist()}
    published = kw.load("documents", path=ROOT).column("published_date").to_pylist()

    dated = [e for e in events if last_day(e) is not None]
    undated = [e for e in events if last_day(e) is None]
    check_fits(dated)
    early = [e for e in dated if last_day(e) < ZOOM[0]]
    if early:
        left = min(e["date_start"] or e["date_end"] for e in early) - MARGIN
        right = max(last_day(e) for e in early) + MARGIN
    else:  # keep the layout even without early events
        left, right = ZOOM[0] - 4 * MARGIN, ZOOM[0] - 2 * MARGIN

    plt.rcParams.update(
        {
            "svg.hashsalt": "kerman-warning",
            "svg.fonttype": "path",
            "font.family": "DejaVu Sans",
            "font.size": 9,
            "axes.spines.top": False,
            "axes.spines.right": False,
        }
    )
    n = len(events)
    fig, (ax_early, ax_zoom) = plt.subplots(
        1,
        2,
        sharey=True,
        figsize=(13, 0.36 * n + 2.6),
        gridspec_kw={"width_ratios": [1, 5.2], "wspace": 0.04},
    )
    y_of = {e["event_id"]: n - 1 - i for i, e in enumerate(events)}
    ax_early.set_xlim(left, right)
    ax_zoom.set_xlim(*ZOOM)

    # Background: grid, the attack rows, the band of undated events.
    for ax in (ax_early, ax_zoom):
        ax.grid(axis="x", color="#e0e0e0", linewidth=0.6)
        ax.set_axisbelow(True)
        for event_id in casualties:
            y = y_of[event_id]
            ax.axhspan(y - 0.45, y + 0.45, color=ATTACK, alpha=0.07, linewidth=0)
        if undated:
            top = max(y_of[e["event_id"]] for e in undated)
            ax.axhspan(-0.5, top + 0.5, color=UNDATED, linewidth=0, zorder=0)

    # The attack day(s) and the publication day as reference lines.
    tops = n - 0.35
    for event_id in casualties:
        (event,) = (e for e in events if e["event_id"] == event_id)
        day = last_day(event)
        if day is not None and ZOOM[0] <= day <= ZOOM[1]:
            ax_zoom.axvline(day, color=ATTACK, linewidth=0.8, linestyle=":", zorder=1)
            ax_zoom.text(day, tops, f" attack, {_day(day)}", color=ATTACK, fontsize=8)
    for day in published:
        if day is not None and ZOOM[0] <= day <= ZOOM[1]:
            ax_zoom.axvline(day, color=GREY, linewidth=0.8, linestyle=":", zorder=1)
            ax_zoom.text(
                day, tops, f" article published {_day(day)} (external)", color=GREY, fontsize=8
            )

    for event in dated:
        y = y_of[event["event_id"]]
        start, end = event["date_start"], last_day(event)
        in_zoom = end >= ZOOM[0]
        ax = ax_zoom if in_zoom else ax_early
        hit = event["event_id"] in casualties
        draw_event(ax, event, y, ZOOM[0] if in_zoom else left)

        label = f"{date_label(event)} ({event['date_basis']})"
        if event["visibility"] == "private":
            label += ", private"
        if hit:
            figures, note = casualty_label(casualties[event["event_id"]], references)
            label += ": " + figures
            if note:  # in the free space below the attack row, pointing at it
                ax.annotate(
                    note,
                    xy=(end + dt.timedelta(days=14), y - 0.25),
                    xytext=(end + dt.timedelta(days=23), y - 1.5),
                    ha="center",
                    va="center",
                    fontsize=8,
                    color=ATTACK,
                    bbox={
                        "boxstyle": "round,pad=0.4",
                        "facecolor": "white",
                        "edgecolor": ATTACK,
                        "linewidth": 0.8,
                    },
                    arrowprops={"arrowstyle": "-", "color": ATTACK, "linewidth": 0.8},
                )
        colour = ATTACK if hit else TEXT
        if in_zoom:
            ax.text(
                end + ONE_DAY,
                y,
                " " + label,
                va="center",
                fontsize=8,
                color=colour,
                weight="bold" if hit else "normal",
            )
        else:  # the narrow panel: the label above the mark
            middle = (start or end) + (end - (start or end)) / 2
            ax.text(middle, y + 0.32, label, ha="center", va="bottom", fontsize=8, color=colour)

    first_open = next((e for e in dated if e["date_start"] is None), None)
    if first_open is not None:
        in_zoom = last_day(first_open) >= ZOOM[0]
        (ax_zoom if in_zoom else ax_early).text(
            ZOOM[0] if in_zoom else left,
            y_of[first_open["event_id"]] + 0.22,
            " open start: no earliest day is known",
            fontsize=7,
            color="#777777",
            va="bottom",
        )
    if undated:
        middle_y = sum(y_of[e["event_id"]] for e in undated) / len(undated)
        ax_zoom.text(
            0.5,
            middle_y,
            "no date in the article (date_precision = unknown):\n"
            "standing conditions and a long-standing policy",
            transform=ax_zoom.get_yaxis_transform(),
            ha="center",
            va="center",
            fontsize=8.5,
            color=GREY,
            style="italic",
        )

    # Axes: ids on the left, years on the left panel, weeks (days as minor ticks) on the right.
    ax_early.set_yticks(range(n))
    ax_early.set_yticklabels([e["event_id"] for e in reversed(events)], fontsize=8.5)
    ax_early.set_ylim(-0.6, n + 0.2)
    ax_early.xaxis.set_major_locator(mdates.YearLocator())
    ax_early.xaxis.set_major_formatter(mdates.DateFormatter("%Y"))
    ax_early.xaxis.set_minor_locator(mdates.MonthLocator())
    ax_zoom.xaxis.set_major_locator(mdates.WeekdayLocator(byweekday=mdates.MO))
    ax_zoom.xaxis.set_major_formatter(mdates.DateFormatter("%-d %b\n%Y"))
    ax_zoom.xaxis.set_minor_locator(mdates.DayLocator())
    for ax in (ax_early, ax_zoom):
        ax.tick_params(axis="x", which="minor", length=2)
    ax_zoom.spines["left"].set_visible(False)
    ax_zoom.tick_params(axis="y", left=False)

    # The break between the panels.
    mark = {
        "marker": [(-0.6, -1), (0.6, 1)],
        "markersize": 10,
        "linestyle": "none",
        "color": "k",
        "mec": "k",
        "mew": 1,
        "clip_on": False,
    }
    ax_early.plot([1], [0], transform=ax_early.transAxes, **mark)
    ax_zoom.plot([0], [0], transform=ax_zoom.transAxes, **mark)

    handles = [
        Line2D([], [], marker="D", color=GREY, linestyle="none", label="day: one known day"),
        Patch(color=GREY, label="year (or month): its whole range"),
        Line2D(
            [],
            [],
            color=GREY,
            linestyle=(0, (4, 2)),
            marker="|",
            markersize=9,
            label="before: only the latest possible day is known (open to the left)",
        ),
        Patch(facecolor=UNDATED, edgecolor="#bdbdbd", label="no date"),
    ] + [Patch(color=colour, label=BASIS_LABELS[key]) for key, colour in BASIS_COLOURS.items()]
    fig.legend(
        handles=handles,
        loc="lower center",
        ncol=4,
        frameon=False,
        fontsize=8,
        bbox_to_anchor=(0.5, 0.0),
        title="shape = date precision; colour = date basis",
        title_fontsize=8,
    )
    fig.suptitle(
        "kerman-warning: the events coded from the CNN Arabic article (published 26 January 2024)",
        x=0.01,
        ha="left",
        fontsize=11,
        weight="bold",
    )
    fig.text(
        0.01,
        0.945,
        "One row per event of events.csv, in date order. The article gives no year and says "
        "only 'Thursday': every inferred or external date leans on an outside source "
        "(date_ref_id). Generated by docs/timeline.py.",
        ha="left",
        fontsize=8,
        color=GREY,
    )
    fig.subplots_adjust(left=0.2, right=0.99, top=0.9, bottom=0.15)

    out.mkdir(parents=True, exist_ok=True)
    svg, png = out / "timeline.svg", out / "timeline.png"
    fig.savefig(svg, format="svg", metadata={"Date": None, "Creator": None})
    fig.savefig(png, format="png", dpi=110, metadata={"Software": None})
    plt.close(fig)
    return svg, png


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Draw docs/timeline.svg and docs/timeline.png.")
    parser.add_argument("--out", type=Path, default=DOCS, help="folder to write into (docs/)")
    args = parser.parse_args(argv)
    for path in draw(args.out):
        print(path)


if __name__ == "__main__":
    main()
