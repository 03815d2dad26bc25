"""``make bench``'s runner: the generated block is replaced, nothing else in the file changes."""

from __future__ import annotations

import importlib.util
import sys
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType

import pytest

RUNNER = Path(__file__).resolve().parent.parent / "benchmarks" / "run_all.py"


@pytest.fixture(scope="module")
def run_all() -> ModuleType:
    spec = importlib.util.spec_from_file_location("run_all", RUNNER)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["run_all"] = module
    spec.loader.exec_module(module)
    return module


HAND_WRITTEN = "# Benchmarks\n\nIntro by hand.\n\n## Reports\n\nFigures | by | hand\n"


def test_the_block_is_created_below_the_title_and_then_replaced_in_place(
    run_all: ModuleType,
) -> None:
    first = run_all.rewrite(HAND_WRITTEN, f"{run_all.BEGIN}\none\n{run_all.END}")
    second = run_all.rewrite(first, f"{run_all.BEGIN}\ntwo\n{run_all.END}")

    assert first.startswith(f"# Benchmarks\n\n{run_all.BEGIN}\none\n{run_all.END}\n")
    assert second == first.replace("\none\n", "\ntwo\n")
    assert second.replace(f"\n{run_all.BEGIN}\ntwo\n{run_all.END}\n", "") == HAND_WRITTEN


def test_the_last_json_line_is_the_result(run_all: ModuleType) -> None:
    assert run_all.last_json('progress\n{"a": 1}\n{"ros_per_s": 12000}\n\n') == {"ros_per_s": 12000}
    with pytest.raises(ValueError, match="no output"):
        run_all.last_json("\n")
    with pytest.raises(ValueError, match="Expecting value"):  # json.JSONDecodeError
        run_all.last_json("not json")


def test_a_verdict_names_each_missed_criterion_and_the_size_it_was_measured_at(
    run_all: ModuleType,
) -> None:
    claim = next(b for b in run_all.BENCHMARKS if b.name == "claim")
    good = {"ratio": 0.4, "p99_ms": 80, "duplicates": 0, "claims": 12_000}
    slow = {**good, "p99_ms": 250, "ratio": 0.1}

    assert run_all.verdict(claim, good, "full") == "met"
    assert run_all.verdict(claim, slow, "full") == "missed: ≥ 30 % of bare, p99 ≤ 100 ms"
    assert run_all.verdict(claim, good, "small").endswith("(at a smaller size than the target's)")


def test_the_table_lists_every_benchmark_with_its_command_and_a_failure_as_failed(
    run_all: ModuleType,
) -> None:
    report, demo = (next(b for b in run_all.BENCHMARKS if b.name == n) for n in ("report", "demo"))
    outcomes = [
        run_all.Outcome(report, "python benchmarks/report.py --invitations 20000",
                        {"invitations": 20000, "dealer_quarter_ms": 50, "all_year_ms": 2500}, 1.0),
        run_all.Outcome(demo, "python benchmarks/demo.py", None, 1.0, "exit status 1 (log)"),
    ]  # fmt: skip

    block = run_all.render(
        outcomes,
        size="full",
        load=("1.00", "2.00"),
        pg_server="nobody@127.0.0.1:1",
        when=datetime(2026, 11, 23, tzinfo=UTC),
    )

    assert block.startswith(run_all.BEGIN)
    assert block.endswith(run_all.END)
    assert "| report | 20,000 invitations, PostgreSQL |" in block
    assert "missed: all-year ≤ 2 s" in block
    assert "`python benchmarks/report.py --invitations 20000`" in block
    assert "| demo | - | **failed**: exit status 1 (log)" in block
    assert "load average 1.00 at the start and 2.00 at the end" in block
    assert "PostgreSQL unavailable (" in block
