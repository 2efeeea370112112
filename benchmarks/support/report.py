"""Output shared by the benchmarks: the machine, Markdown tables, pass/fail lines and a closing JSON object."""

import json
import os
import platform
import sqlite3
import statistics
import subprocess
import sys
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy.engine import Engine


def memory_gib() -> float | None:
    """Return the machine's memory in GiB from /proc/meminfo, or None where there is none."""
    try:
        with open("/proc/meminfo") as meminfo:
            for line in meminfo:
                if line.startswith("MemTotal:"):
                    return round(int(line.split()[1]) / 1024 / 1024, 1)
    except OSError:
        return None
    return None


def source_revision() -> str:
    """Return the project's git commit, with "+changes" when files differ from it, or "unknown" outside git."""
    project = Path(__file__).resolve().parents[2]
    try:
        commit = subprocess.run(
            ["git", "-C", str(project), "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=True
        ).stdout.strip()
        changes = subprocess.run(
            ["git", "-C", str(project), "status", "--porcelain", "--untracked-files=no"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return f"{commit}+changes" if changes else commit


def database_version(engine: Engine) -> str:
    """Return the name and server version of the engine's database, for example "sqlite 3.40.1"."""
    if engine.dialect.name == "sqlite":
        return f"sqlite {sqlite3.sqlite_version}"
    with engine.connect() as connection:
        info = connection.dialect.server_version_info or ()
    return f"{engine.dialect.name} {'.'.join(str(part) for part in info)}"


def machine_facts(engine: Engine | None = None) -> dict:
    """Return the facts a result depends on: date, CPU cores, memory, Python and database versions."""
    facts = {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "cores": os.cpu_count(),
        "memory_gib": memory_gib(),
        "machine": platform.machine(),
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "revision": source_revision(),
        # Other processes slow every timing down: a load at or above the number of cores means they competed for it.
        "load_average_1m": round(os.getloadavg()[0], 2),
    }
    if engine is not None:
        facts["database"] = database_version(engine)
    return facts


def print_machine(facts: dict) -> None:
    print("  ".join(f"{name}: {value}" for name, value in facts.items()))
    print()


def print_table(headers: list[str], rows: list[list[object]]) -> None:
    """Print rows as a Markdown table, so that RESULTS.md can take it as it is."""
    cells = [[str(value) for value in row] for row in rows]
    widths = [max(len(header), *(len(row[column]) for row in cells)) for column, header in enumerate(headers)]
    print("| " + " | ".join(header.ljust(width) for header, width in zip(headers, widths)) + " |")
    print("| " + " | ".join("-" * width for width in widths) + " |")
    for row in cells:
        print("| " + " | ".join(value.rjust(width) for value, width in zip(row, widths)) + " |")
    print()


@dataclass(frozen=True)
class Target:
    """A measured value and the limit it must not exceed (or must equal, with ``equal``)."""

    name: str
    value: float | int
    limit: float | int
    unit: str
    equal: bool = False

    @property
    def passed(self) -> bool:
        return self.value == self.limit if self.equal else self.value <= self.limit

    def line(self) -> str:
        relation = "==" if self.equal else "<="
        verdict = "PASS" if self.passed else "FAIL"
        return f"{verdict}  {self.name}: {self.value:g} {self.unit} (target {relation} {self.limit:g} {self.unit})"

    def as_json(self) -> dict:
        return {"value": self.value, "limit": self.limit, "unit": self.unit, "equal": self.equal, "pass": self.passed}


def finish(benchmark: str, facts: dict, figures: dict, targets: list[Target]) -> int:
    """Print the pass/fail lines and the JSON object; return the exit status (1 when a target failed)."""
    facts = {**facts, "load_average_1m_at_end": round(os.getloadavg()[0], 2)}
    for target in targets:
        print(target.line())
    passed = all(target.passed for target in targets)
    print(json.dumps(
        {
            "benchmark": benchmark,
            "machine": facts,
            "figures": figures,
            "targets": {target.name: target.as_json() for target in targets},
            "pass": passed,
        },
        sort_keys=False,
    ))
    sys.stdout.flush()
    return 0 if passed else 1


def milliseconds(seconds: float) -> float:
    return round(seconds * 1000, 2)


def median(values: list[float]) -> float:
    return statistics.median(values)
