"""Keys and foreign keys checked batch by batch (`validate.stages.keys`): by sort order, by
hashed sets with an exact re-check, and foreign keys into tables streamed before, after (a
cycle) or into the table itself. Small parser blocks make every few rows a batch of their own."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given
from hypothesis import strategies as st

from kerman_warning.validate import Report, engine, validate
from kerman_warning.validate.stages import keys


@pytest.fixture
def small_batches(monkeypatch: pytest.MonkeyPatch) -> None:
    """A batch every few rows: every check meets batch boundaries."""
    monkeypatch.setattr(engine, "BLOCK", 64)
    monkeypatch.setattr(engine, "WORK", 1)


def package(root: Path, tables: dict[str, tuple[dict[str, Any], list[str]]]) -> Path:
    """A Data Package v2 of CSV tables: name -> (Table Schema, rows as CSV lines, header first)."""
    root.mkdir(parents=True, exist_ok=True)
    resources = []
    for name, (schema, lines) in tables.items():
        (root / f"{name}.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
        resources.append({"name": name, "type": "table", "path": f"{name}.csv", "schema": schema})
    descriptor = {
        "$schema": "https://datapackage.org/profiles/2.0/datapackage.json",
        "name": "keys-test",
        "resources": resources,
    }
    (root / "datapackage.json").write_text(json.dumps(descriptor), encoding="utf-8")
    return root


def problems(report: Report) -> list[tuple[str, str | None, int | None, str]]:
    return [(p.rule, p.resource, p.row, p.message) for p in report.problems]


ITEMS: dict[str, Any] = {
    "fields": [{"name": "id", "type": "string"}, {"name": "n", "type": "integer"}],
    "primaryKey": ["id"],
}


def items(ids: list[str]) -> dict[str, tuple[dict[str, Any], list[str]]]:
    return {"items": (ITEMS, ["id,n", *(f"{v},{i}" for i, v in enumerate(ids))])}


def expected_repeats(ids: list[str]) -> list[tuple[int, int]]:
    """(line, line of the first occurrence) of every repeated id, the obvious way."""
    first: dict[str, int] = {}
    out = []
    for i, v in enumerate(ids):
        if v in first:
            out.append((i + 2, first[v]))
        else:
            first[v] = i + 2
    return out


def repeats(report: Report) -> list[tuple[int, int]]:
    out = []
    for p in report.problems:
        assert p.rule == "primary-key", report.render()
        assert p.row is not None
        out.append((p.row, int(p.message.split("of line ")[1].split(";")[0])))
    return sorted(out)


def test_hashes_are_equal_for_equal_keys_whatever_the_array() -> None:
    values = ["", "a", "ab", "عربی", "", "a" * 300, "ab"]
    whole = keys.hash_rows([pa.array(values)])
    sliced = keys.hash_rows([pa.array(["x", *values]).slice(1)])
    large = keys.hash_rows([pa.array(values, pa.large_string())])
    assert whole.dtype == np.uint64
    assert (whole == sliced).all() and (whole == large).all()
    assert whole[1] == whole[1] and whole[2] == whole[6] and whole[0] == whole[4]
    assert len(set(whole[[0, 1, 2, 3, 5]].tolist())) == 5
    floats = keys.hash_rows([pa.array([0.0, -0.0, 1.5])])
    assert floats[0] == floats[1] != floats[2]
    two = keys.hash_rows([pa.array(["a", "a", "b"]), pa.array([1, 2, 1])])
    assert len(set(two.tolist())) == 3


def test_a_sorted_key_is_proved_by_its_order_and_keeps_no_set(small_batches: None) -> None:
    check = keys.KeyCheck(keys.PRIMARY_KEY, ["id"])
    table: Any = None
    for start in range(0, 40, 10):
        ids = pa.array([f"k{i:03d}" for i in range(start, start + 10)])
        check.feed(table, {"id": ids}, start, lambda t: iter(()))
    assert check.sorted and check.runs == [] and check.suspects == []


def test_a_key_out_of_order_switches_to_hashes_of_every_row_so_far() -> None:
    seen: list[int] = []

    def reread(table: Any) -> Any:
        seen.append(1)
        yield 0, {"id": pa.array(["a", "b", "c"])}, np.array([2, 3, 4])
        yield 3, {"id": pa.array(["e", "d"])}, np.array([5, 6])

    check = keys.KeyCheck(keys.PRIMARY_KEY, ["id"])
    check.feed(None, {"id": pa.array(["a", "b", "c"])}, 0, reread)  # type: ignore[arg-type]
    check.feed(None, {"id": pa.array(["e", "d"])}, 3, reread)  # type: ignore[arg-type]
    assert not check.sorted and seen == [1]
    assert sum(len(r) for r in check.runs) == 5 and check.suspects == []
    check.feed(None, {"id": pa.array(["f", "b"])}, 5, reread)  # type: ignore[arg-type]
    assert len(check.suspects) == 1


@pytest.mark.parametrize("ordered", [True, False])
def test_repeats_across_batches_are_found_with_the_first_line(
    ordered: bool, small_batches: None, tmp_path: Path
) -> None:
    ids = [f"id{i:03d}" for i in range(30)]
    if not ordered:
        random.Random(7).shuffle(ids)
    ids[12] = ids[3]  # a repeat a few batches later
    ids[25] = ids[3]
    ids[27] = ids[26]  # and one right after
    report = validate(package(tmp_path / "p", items(ids)), rules="datapackage")
    assert repeats(report) == expected_repeats(ids), report.render()
    assert "repeats the primary key (id) of line 5; expected each value once" in [
        p.message for p in report.problems
    ]


def test_a_hash_collision_is_never_a_repeat_and_a_true_repeat_is_still_found(
    small_batches: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # every key gets the same hash: only the exact re-check tells repeats from collisions
    monkeypatch.setattr(keys, "hash_rows", lambda cols: np.zeros(len(cols[0]), dtype=np.uint64))
    ids = ["m", "c", "x", "a", "q", "b", "z", "d"]
    clean = validate(package(tmp_path / "clean", items(ids)), rules="datapackage")
    assert clean.problems == [], clean.render()
    ids[6] = "c"
    report = validate(package(tmp_path / "dup", items(ids)), rules="datapackage")
    assert repeats(report) == [(8, 3)], report.render()


def test_random_keys_agree_with_the_obvious_check(small_batches: None, tmp_path: Path) -> None:
    rng = random.Random(11)
    for case in range(3):
        ids = [f"v{rng.randrange(60)}" for _ in range(40)]
        report = validate(package(tmp_path / str(case), items(ids)), rules="datapackage")
        assert repeats(report) == expected_repeats(ids), report.render()


PLACES: dict[str, Any] = {
    "fields": [
        {"name": "place", "type": "string"},
        {"name": "part_of", "type": "string"},
        {"name": "region", "type": "integer"},
    ],
    "primaryKey": ["place"],
    "foreignKeys": [
        {"fields": ["part_of"], "reference": {"fields": ["place"]}},
        {"fields": ["region"], "reference": {"resource": "regions", "fields": ["region"]}},
    ],
}
REGIONS: dict[str, Any] = {
    "fields": [{"name": "region", "type": "integer"}, {"name": "capital", "type": "string"}],
    "primaryKey": ["region"],
    "foreignKeys": [
        {"fields": ["capital"], "reference": {"resource": "places", "fields": ["place"]}}
    ],
}


def cycle(places: list[str], regions: list[str]) -> dict[str, tuple[dict[str, Any], list[str]]]:
    return {
        "places": (PLACES, ["place,part_of,region", *places]),
        "regions": (REGIONS, ["region,capital", *regions]),
    }


PLACE_ROWS = [f"p{i:02d},{'' if i == 0 else f'p{i // 2:02d}'},{i % 3}" for i in range(24)]
PLACE_ROWS[5] = "p05,p23,1"  # a reference to a row further down: valid
REGION_ROWS = ["0,p00", "1,p07", "2,p21"]


@pytest.mark.parametrize("ahead", [True, False], ids=["ahead", "inline"])
@pytest.mark.parametrize("hashed", [False, True])
def test_foreign_keys_into_itself_and_around_a_cycle(
    hashed: bool,
    ahead: bool,
    small_batches: None,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The same answers whether the worker thread looked each batch up ahead (`Keys.ahead`)
    or the batch did it itself."""
    if hashed:  # every key collides: the exact values still decide every foreign key
        monkeypatch.setattr(keys, "hash_rows", lambda cols: np.zeros(len(cols[0]), dtype=np.uint64))
        monkeypatch.setattr(keys, "_increasing", lambda columns, last: False)
    looked: list[int] = []
    original = keys.ForeignKeys.ahead

    def spy(self: keys.ForeignKeys, table: Any, pending: Any) -> keys.Look:
        look = original(self, table, pending)

        def counted(t: Any, columns: Any) -> dict[Any, Any]:
            memo = look(t, columns) if ahead else {}
            looked.append(len(memo))
            return memo

        return counted

    monkeypatch.setattr(keys.ForeignKeys, "ahead", spy)
    root = package(tmp_path / "ok", cycle(PLACE_ROWS, REGION_ROWS))
    assert validate(root, rules="datapackage").problems == []
    places = list(PLACE_ROWS)
    places[9] = "p09,p99,0"  # no place p99 (a self-reference)
    places[17] = "p17,p08,7"  # no region 7 (into the table streamed after: the cycle)
    places[20] = "p20,p99,1"
    regions = ["0,p00", "1,nowhere", "2,p21"]  # no place "nowhere" (streamed before)
    report = validate(package(tmp_path / "bad", cycle(places, regions)), rules="datapackage")
    assert problems(report) == [
        (
            "foreign-key",
            "places",
            11,
            "no row of places has this place; expected an existing places row",
        ),
        (
            "foreign-key",
            "places",
            19,
            "no row of regions has this region; expected an existing regions row",
        ),
        (
            "foreign-key",
            "places",
            22,
            "no row of places has this place; expected an existing places row",
        ),
        (
            "foreign-key",
            "regions",
            3,
            "no row of places has this place; expected an existing places row",
        ),
    ], report.render()
    assert [p.value for p in report.problems] == ["p99", "7", "p99", "nowhere"]
    assert looked and all(n > 0 for n in looked) is ahead


def test_a_target_with_an_empty_key_cell_is_the_one_problem(
    small_batches: None, tmp_path: Path
) -> None:
    regions = ["0,p00", ",p07", "2,p21"]
    report = validate(package(tmp_path / "p", cycle(PLACE_ROWS, regions)), rules="datapackage")
    assert {p.rule for p in report.problems} == {"primary-key"}, report.render()


def test_the_stream_order_puts_referenced_tables_first_then_small_files(tmp_path: Path) -> None:
    tables = cycle(PLACE_ROWS, REGION_ROWS)  # a cycle: the smaller file, regions, goes first
    tables["big"] = (ITEMS, ["id,n", *(f"b{i},{i}" for i in range(50))])
    tables["small"] = (ITEMS, ["id,n", "s,1"])
    child = {
        "fields": [{"name": "id", "type": "string"}, {"name": "n", "type": "integer"}],
        "foreignKeys": [
            {"fields": ["id"], "reference": {"resource": "big", "fields": ["id"]}},
            {"fields": ["n"], "reference": {"resource": "regions", "fields": ["region"]}},
        ],
    }
    tables["child"] = (child, ["id,n", "b1,1"])
    ctx = engine.run(package(tmp_path / "p", tables), rules="datapackage")
    assert ctx.order == ["small", "big", "regions", "child", "places"]
    assert ctx.out.problems == []


@given(
    st.lists(st.text(max_size=4), unique=True, max_size=40),
    st.lists(st.text(max_size=4), unique=True, min_size=1, max_size=12),
    st.sampled_from([0, 8, 10**9]),
)
def test_a_sorted_target_answers_like_a_set(
    target: list[str], queries: list[str], ratio: int
) -> None:
    """By binary search, or by the hashed slice the values span (`RANGE_LOOKUP`): one answer."""
    import pyarrow.compute as pc

    column = pa.array(target, pa.string())
    column = column.take(pc.sort_indices(column))
    found = keys.Target([column], ordered=True)
    original = keys.RANGE_LOOKUP
    try:
        keys.RANGE_LOOKUP = ratio
        got = found.contains([pa.array(queries, pa.string())])
    finally:
        keys.RANGE_LOOKUP = original
    assert got.tolist() == [q in set(target) for q in queries]


@given(
    st.lists(st.integers(-50, 50), unique=True, max_size=30),
    st.lists(st.integers(-60, 60), unique=True, min_size=1, max_size=10),
)
def test_a_sorted_integer_target_answers_like_a_set(target: list[int], queries: list[int]) -> None:
    found = keys.Target([pa.array(sorted(target), pa.int64())], ordered=True)
    got = found.contains([pa.array(queries, pa.int64())])
    assert got.tolist() == [q in set(target) for q in queries]
