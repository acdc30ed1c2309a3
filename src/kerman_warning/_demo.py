"""`python -m kerman_warning._demo`: a few rows of every table, as a first look (`make demo`)."""

from __future__ import annotations

import kerman_warning as kw
from kerman_warning._words import plural

ROWS = 3
WIDTH = 60


def _short(value: object) -> str:
    text = "" if value is None else " ".join(str(value).split())
    return text if len(text) <= WIDTH else text[: WIDTH - 1] + "…"


def main() -> None:
    for name in kw.resource_names():
        table = kw.load(name)
        size = f"{plural(table.num_rows, 'row')} x {plural(table.num_columns, 'column')}"
        print(f"\n== {name}: {size} ==")
        for row in table.slice(0, ROWS).to_pylist():
            print("  -", "; ".join(f"{k}={_short(v)}" for k, v in row.items() if v is not None))
    text = kw.text()
    event = kw.load("events").slice(0, 1).to_pylist()[0]
    print(f"\nEvidence of {event['event_id']}: text[{event['start']}:{event['end']}] =")
    print(f"  {text[event['start'] : event['end']]}")


if __name__ == "__main__":
    main()
