"""Draw the timeline of the coded events: docs/timeline.svg/.png and its Arabic twin
docs/timeline.ar.svg/.png.

    python docs/timeline.py            # or: make timeline
    python docs/timeline.py --out DIR  # write the four files into DIR instead of docs/

Reads the `events`, `casualties`, `references` and `documents` tables of this repository's
package with `kerman_warning.load`; needs matplotlib (`pip install -e '.[docs]'`). The output is
byte-for-byte reproducible for a given matplotlib version: Agg backend, a fixed SVG hash salt,
no date or software version in the files (tests/test_timeline.py checks it).

How the figure encodes the data:

- one row per event, in date order (latest possible day, then position in the article); the
  y labels are readable names (NAMES below): the curators' short English names, and in the
  Arabic twin the article's own words, excerpts of the event's `exact` (a test checks it);
- shape = `date_precision`: a day is a diamond; a month or a year is a bar over its whole
  range; "before" is a dashed line with an arrowhead on the left (no earliest day is known:
  the range is open) ending in a bar at `date_end`, the latest possible day; events with no
  date at all (`unknown`) are the rows of the grey band at the bottom;
- colour = `date_basis`: stated by the article, inferred by the curators, or external;
- two panels on a broken axis: the year of the 2015 nuclear talks (the photo caption) and the
  weeks around the Kerman attack of 3 January 2024;
- the attack row carries the casualty figures of `casualties` as the article gives them, with
  the date of the official toll they match (from the figures' `context_ref_id`).

The Arabic twin says the same in Arabic, its names on the right; matplotlib >= 3.11 shapes
Arabic and orders it right to left (libraqm), with the DejaVu Sans font it ships (which covers
every Arabic letter form of the article), so no system font is needed and the bytes are
reproducible like the English figure's.
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
from matplotlib.ticker import FuncFormatter

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

# Readable names of the events: (English, the article's words). The Arabic name is one or more
# excerpts of the event's evidence `exact`, joined by " … " (tests/test_timeline.py checks it),
# with the article's no-break spaces (U+00A0) where it has them.
# (with its no-break spaces, U+00A0, where the article has them).
NAMES = {
    "evt-negotiation-nuclear-2015": ("Nuclear deal negotiations", "مفاوضات الاتفاق النووي"),
    "evt-warning-us-iran": ("US warns Iran of an ISIS plot", "بلاده\u00a0حذرت إيران سرا"),
    "evt-plot-isis": ("ISIS plans an attack in Iran", '"داعش" يخطط لتنفيذ هجوم إرهابي'),
    "evt-intelligence-us": (
        "US obtains intelligence on ISIS plans",
        "معلومات استخباراتية حصلت عليها الولايات المتحدة",
    ),
    "evt-attack-kerman": (
        "ISIS attack near Soleimani's tomb, Kerman",
        "هجوما بالقرب من قبر … قاسم سليماني في مدينة كرمان",
    ),
    "evt-failure-iran": (
        "Iran fails to stop the attack",
        'لم تتمكن الحكومة الإيرانية … من وقف هجوم "داعش"',
    ),
    "evt-claim-isis": ("ISIS claims the attack", 'أعلن تنظيم "داعش" مسؤوليته عن الهجوم'),
    "evt-statement-us-official": ("A US official's statement", "قال\u00a0مسؤول أمريكي"),
    "evt-report-wsj": ("WSJ first reports the warning", 'أول من أورد عنه صحيفة "وول ستريت جورنال"'),
    "evt-accusation-officials": (
        "Officials: Iran is behind militia attacks",
        "المسؤولين يقولون إن إيران تقف وراء التصاعد",
    ),
    "evt-attacks-militias": (
        "Iran-aligned militias attack US troops",
        "الهجمات التي تشنها الميليشيات … ضد الحنود الأمريكيين",
    ),
    "evt-request-comment-cnn": (
        "CNN asks Iran's UN mission for comment",
        "تواصلت شبكة CNN\u00a0مع البعثة الإيرانية لدى الأمم المتحدة",
    ),
    "evt-condition-us-iran-disputes": ("US-Iran disputes", "الخلافات بين البلدين"),
    "evt-condition-not-ally": (
        "Iran is not a US partner or ally",
        "إيران ليست شريكا أو حليفا للولايات المتحدة",
    ),
    "evt-condition-no-relations": (
        "No US-Iran diplomatic relations",
        "عدم وجود علاقات دبلوماسية رسمية",
    ),
    "evt-policy-duty-to-warn": ("US 'duty to warn' policy", "سياسة (من واجب التحذير)"),
}

# Every other word of the figure, by language. Arabic months as the article writes them (يناير).
WORDS: dict[str, dict[str, Any]] = {
    "en": {
        "months": [f"{dt.date(2024, m, 1):%b}" for m in range(1, 13)],
        "basis": {"stated": "stated", "inferred": "inferred", "external": "external"},
        "before": "before {day}",
        "range": "{first} to {last}",
        "no date": "no date",
        "private": ", private",
        "at least": "at least {n} {outcome}",
        "figure": "{n} {outcome}",
        "outcome": {"killed": "killed", "injured": "injured"},
        "and": ", ",
        "note": (
            "The figures as the article gives them:\n"
            "the official toll of {days};\n"
            "later reports differ (see references)"
        ),
        "attack": " attack, {day}",
        "published": " article published {day} (external)",
        "open": " open start: no earliest day is known",
        "undated": "no date in the article (date_precision = unknown):\n"
        "standing conditions and a long-standing policy",
        "legend": [
            "day: one known day",
            "year (or month): its whole range",
            "before: only the latest possible day is known (open to the left)",
            "no date",
        ],
        "basis labels": BASIS_LABELS,
        "legend title": "shape = date precision; colour = date basis",
        "title": "kerman-warning: the events coded from the CNN Arabic article "
        "(published 26 January 2024)",
        "subtitle": "One row per event of events.csv, in date order. The article gives no year "
        "and says only 'Thursday': every inferred or external date leans on an outside source "
        "(date_ref_id). Generated by docs/timeline.py.",
    },
    "ar": {
        "months": [
            "يناير",
            "فبراير",
            "مارس",
            "أبريل",
            "مايو",
            "يونيو",
            "يوليو",
            "أغسطس",
            "سبتمبر",
            "أكتوبر",
            "نوفمبر",
            "ديسمبر",
        ],
        "basis": {"stated": "مذكور", "inferred": "مستنتج", "external": "خارجي"},
        "before": "قبل {day}",
        "range": "من {first} إلى {last}",
        "no date": "بلا تاريخ",
        "private": "، غير معلن",
        "at least": "{as_written} {n} {outcome}",
        "figure": "{n} {outcome}",
        "outcome": {"killed": "قتيلا", "injured": "مصابا"},
        "and": "، و",
        "note": (
            "الأرقام كما يوردها المقال:\n"
            "الحصيلة الرسمية في {days}؛\n"
            "تختلف تقارير لاحقة (انظر المراجع)"
        ),
        "attack": " الهجوم، {day}",
        "published": " نشر المقال {day} (خارجي)",
        "open": " بداية مفتوحة: لا يُعرف أول يوم ممكن",
        "undated": "لا تاريخ في المقال (date_precision = unknown):\nأوضاع قائمة وسياسة طويلة الأمد",
        "legend": [
            "يوم: يوم واحد معروف",
            "سنة (أو شهر): المدة كلها",
            "قبل: لا يُعرف إلا آخر يوم ممكن (مفتوح إلى اليسار)",
            "بلا تاريخ",
        ],
        "basis labels": {
            "stated": "يذكره المقال",
            "inferred": "مستنتج (النص وتاريخ من خارجه)",
            "external": "خارجي (مصدر من خارج المقال)",
        },
        "legend title": "الشكل = دقة التاريخ؛ اللون = أساس التاريخ",
        # Arabic first: a line's direction is that of its first letter (the bidi algorithm).
        "title": "الأحداث المرمّزة من مقال CNN بالعربية (نُشر في 26 يناير 2024) – kerman-warning",
        "subtitle": "صف لكل حدث من events.csv بترتيب التاريخ، مسمّى بكلمات المقال نفسها. لا يذكر "
        "المقال السنة ويقول «الخميس» فقط: كل تاريخ مستنتج أو خارجي يستند إلى مصدر خارجي "
        "(date_ref_id). أنشأه docs/timeline.py.",
    },
}
LANGUAGES = {"en": "timeline", "ar": "timeline.ar"}  # language: the files' name
PRECISION_ORDER = {"day": 0, "month": 1, "year": 2, "before": 3, "unknown": 4}


def _month(value: dt.date, lang: str) -> str:
    return f"{WORDS[lang]['months'][value.month - 1]} {value.year}"


def _day(value: dt.date, lang: str = "en") -> str:
    return f"{value.day} {_month(value, lang)}"


def _tick(value: float, lang: str) -> str:
    day = mdates.num2date(value)
    return f"{day.day} {WORDS[lang]['months'][day.month - 1]}\n{day.year}"


def name(event: dict[str, Any], lang: str = "en") -> str:
    """The event's readable name (NAMES) in `lang`."""
    if event["event_id"] not in NAMES:
        raise SystemExit(f"{event['event_id']}: no readable name; add it to NAMES")
    return NAMES[event["event_id"]][lang == "ar"]


def date_label(event: dict[str, Any], lang: str = "en") -> str:
    """How the row's dates read in words, e.g. 'before 3 Jan 2024'."""
    words = WORDS[lang]
    precision, start, end = event["date_precision"], event["date_start"], event["date_end"]
    span = (
        None
        if start is None
        else words["range"].format(first=_day(start, lang), last=_day(end, lang))
    )
    if precision == "day":
        return _day(start, lang) if start == end else str(span)
    if precision == "month":
        return _month(start, lang)
    if precision == "year":
        return f"{start:%Y}"
    if precision == "before":
        return words["before"].format(day=_day(end, lang)) if span is None else span
    return str(words["no date"])


def casualty_label(
    rows: list[dict[str, Any]], references: dict[str, dict[str, Any]], lang: str = "en"
) -> tuple[str, str]:
    """('at least 84 killed, 284 injured', a note on which official toll the figures are).

    In Arabic the hedge is the article's own (`qualifier_as_written`, e.g. ما لا يقل عن).
    """
    words = WORDS[lang]
    parts = []
    for row in sorted(rows, key=lambda row: OUTCOME_ORDER.get(row["outcome"], 9)):
        outcome = words["outcome"].get(row["outcome"], row["outcome"])
        if row["qualifier"] == "at_least":
            hedge = row.get("qualifier_as_written") or ""
            number = words["at least"].format(n=row["low"], outcome=outcome, as_written=hedge)
        elif row["qualifier"] == "exact" or row["high"] is None:
            number = words["figure"].format(n=row["best"], outcome=outcome)
        else:
            number = words["figure"].format(n=f"{row['low']}-{row['high']}", outcome=outcome)
        parts.append(number.strip())
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
        note = words["note"].format(days=words["and"].join(_day(d, lang) for d in dates))
    return words["and"].join(parts), note


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


def draw(out: Path, lang: str = "en") -> tuple[Path, Path]:
    """Write the figure in `lang` (timeline.svg and .png, or timeline.ar.*) into `out`."""
    words = WORDS[lang]
    arabic = lang == "ar"
    bold = "normal" if arabic else "bold"  # DejaVu Sans Bold has no Arabic letters either
    if arabic and tuple(int(p) for p in matplotlib.__version__.split(".")[:2]) < (3, 11):
        raise SystemExit("the Arabic figure needs matplotlib >= 3.11, which shapes Arabic")
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
            "font.family": "DejaVu Sans",  # matplotlib's own: the same glyphs everywhere
            "text.language": lang,
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
            ax_zoom.text(
                day, tops, words["attack"].format(day=_day(day, lang)), color=ATTACK, fontsize=8
            )
    for day in published:
        if day is not None and ZOOM[0] <= day <= ZOOM[1]:
            ax_zoom.axvline(day, color=GREY, linewidth=0.8, linestyle=":", zorder=1)
            ax_zoom.text(
                day, tops, words["published"].format(day=_day(day, lang)), color=GREY, fontsize=8
            )

    for event in dated:
        y = y_of[event["event_id"]]
        start, end = event["date_start"], last_day(event)
        in_zoom = end >= ZOOM[0]
        ax = ax_zoom if in_zoom else ax_early
        hit = event["event_id"] in casualties
        draw_event(ax, event, y, ZOOM[0] if in_zoom else left)

        label = f"{date_label(event, lang)} ({words['basis'][event['date_basis']]})"
        if event["visibility"] == "private":
            label += words["private"]
        if hit:
            figures, note = casualty_label(casualties[event["event_id"]], references, lang)
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
                weight=bold if hit else "normal",
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
            words["open"],
            fontsize=7,
            color="#777777",
            va="bottom",
        )
    if undated:
        middle_y = sum(y_of[e["event_id"]] for e in undated) / len(undated)
        ax_zoom.text(
            0.5,
            middle_y,
            words["undated"],
            transform=ax_zoom.get_yaxis_transform(),
            ha="center",
            va="center",
            fontsize=8.5,
            color=GREY,
            style="normal" if arabic else "italic",  # DejaVu Sans Oblique: no Arabic
        )

    # Axes: names on the left (Arabic: on the right), years on the left panel, weeks (days as
    # minor ticks) on the right.
    ax_early.set_yticks(range(n))
    names = [name(e, lang) for e in reversed(events)]
    if arabic:
        ax_early.tick_params(axis="y", left=False, labelleft=False)
        ax_zoom.yaxis.tick_right()
        ax_zoom.tick_params(axis="y", labelright=True)  # shared y: inner labels start hidden
        ax_zoom.spines["right"].set_visible(True)
        ax_zoom.set_yticklabels(names, fontsize=9)
    else:
        ax_early.set_yticklabels(names, fontsize=8.5)
    ax_early.set_ylim(-0.6, n + 0.2)
    ax_early.xaxis.set_major_locator(mdates.YearLocator())
    ax_early.xaxis.set_major_formatter(mdates.DateFormatter("%Y"))
    ax_early.xaxis.set_minor_locator(mdates.MonthLocator())
    ax_zoom.xaxis.set_major_locator(mdates.WeekdayLocator(byweekday=mdates.MO))
    ax_zoom.xaxis.set_major_formatter(FuncFormatter(lambda x, _: _tick(x, lang)))
    ax_zoom.xaxis.set_minor_locator(mdates.DayLocator())
    for ax in (ax_early, ax_zoom):
        ax.tick_params(axis="x", which="minor", length=2)
    ax_zoom.spines["left"].set_visible(False)
    ax_zoom.tick_params(axis="y", left=False)
    if arabic:
        ax_zoom.tick_params(axis="y", right=True)

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

    day_word, range_word, before_word, none_word = words["legend"]
    handles = [
        Line2D([], [], marker="D", color=GREY, linestyle="none", label=day_word),
        Patch(color=GREY, label=range_word),
        Line2D(
            [], [], color=GREY, linestyle=(0, (4, 2)), marker="|", markersize=9, label=before_word
        ),
        Patch(facecolor=UNDATED, edgecolor="#bdbdbd", label=none_word),
    ] + [
        Patch(color=colour, label=words["basis labels"][key])
        for key, colour in BASIS_COLOURS.items()
    ]
    fig.legend(
        handles=handles,
        loc="lower center",
        ncol=4,
        frameon=False,
        fontsize=8,
        bbox_to_anchor=(0.5, 0.0),
        title=words["legend title"],
        title_fontsize=8,
    )
    side, align = (0.99, "right") if arabic else (0.01, "left")  # titles start where one reads
    fig.suptitle(words["title"], x=side, ha=align, fontsize=11, weight=bold)
    fig.text(side, 0.945, words["subtitle"], ha=align, fontsize=8, color=GREY)
    if arabic:
        fig.subplots_adjust(left=0.03, right=0.7, top=0.9, bottom=0.15)
    else:
        fig.subplots_adjust(left=0.21, right=0.99, top=0.9, bottom=0.15)

    out.mkdir(parents=True, exist_ok=True)
    svg, png = out / f"{LANGUAGES[lang]}.svg", out / f"{LANGUAGES[lang]}.png"
    fig.savefig(svg, format="svg", metadata={"Date": None, "Creator": None})
    fig.savefig(png, format="png", dpi=110, metadata={"Software": None})
    plt.close(fig)
    return svg, png


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Draw docs/timeline(.ar).svg and .png.")
    parser.add_argument("--out", type=Path, default=DOCS, help="folder to write into (docs/)")
    args = parser.parse_args(argv)
    for lang in LANGUAGES:
        for path in draw(args.out, lang):
            print(path)


if __name__ == "__main__":
    main()
