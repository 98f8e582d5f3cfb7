"""Timing rows, markdown tables and target checks."""

from __future__ import annotations

import dataclasses
import statistics
from typing import Any

__all__ = ["Row", "Table", "Target", "fmt_targets"]


@dataclasses.dataclass
class Row:
    """One library (or bound, or reference) in one table.

    ``times`` are seconds per run. ``nbytes`` (uncompressed bytes moved per run) gives GB/s;
    ``calls`` (calls per run) gives time per call instead.
    """

    key: str
    label: str
    kind: str = "library"  # library | reference | bound
    times: list[float] = dataclasses.field(default_factory=list)
    nbytes: int | None = None
    calls: int | None = None
    error: str | None = None
    note: str = ""

    @property
    def ok(self) -> bool:
        return self.error is None and bool(self.times)

    @property
    def median(self) -> float:
        return statistics.median(self.times)

    @property
    def min(self) -> float:
        return min(self.times)

    @property
    def max(self) -> float:
        return max(self.times)

    def gbps(self, t: float | None = None) -> float | None:
        if not self.nbytes:
            return None
        return self.nbytes / (self.median if t is None else t) / 1e9

    def per_call_us(self, t: float | None = None) -> float | None:
        if not self.calls:
            return None
        return (self.median if t is None else t) / self.calls * 1e6

    def as_json(self) -> dict[str, Any]:
        d: dict[str, Any] = {
            "key": self.key,
            "label": self.label,
            "kind": self.kind,
            "error": self.error,
            "note": self.note,
            "times_s": self.times,
            "nbytes": self.nbytes,
            "calls": self.calls,
        }
        if self.ok:
            d.update(median_s=self.median, min_s=self.min, max_s=self.max)
            if self.nbytes:
                d["median_GBps"] = self.gbps()
            if self.calls:
                d["median_us_per_call"] = self.per_call_us()
        return d


@dataclasses.dataclass
class Table:
    key: str  # e.g. "a-read"
    title: str
    rows: list[Row] = dataclasses.field(default_factory=list)
    notes: list[str] = dataclasses.field(default_factory=list)

    def row(self, key: str) -> Row | None:
        for r in self.rows:
            if r.key == key and r.ok:
                return r
        return None

    def as_json(self) -> dict[str, Any]:
        ok = [r for r in self.rows if r.ok]
        ratios = {r.key: {o.key: o.median / r.median for o in ok if o is not r} for r in ok}
        return {
            "title": self.title,
            "notes": self.notes,
            "rows": [r.as_json() for r in self.rows],
            "ratios_time_other_over_time_row": ratios,
        }

    def markdown(self) -> str:
        ok = [r for r in self.rows if r.ok]
        percall = any(r.calls for r in ok)
        lines = [f"### {self.key}: {self.title}", ""]
        head = ["#", "library", "kind"]
        if percall:
            head += ["median us/call", "min us/call", "max us/call"]
        else:
            head += ["median s", "min s", "max s", "GB/s (median)"]
        head += [f"x#{i + 1}" for i in range(len(ok))]
        lines.append("| " + " | ".join(head) + " |")
        lines.append("|" + "---|" * len(head))
        for i, r in enumerate(ok):
            cells = [str(i + 1), r.label + (f" ({r.note})" if r.note else ""), r.kind]
            if percall:
                cells += [
                    f"{r.per_call_us(r.median):.1f}",
                    f"{r.per_call_us(r.min):.1f}",
                    f"{r.per_call_us(r.max):.1f}",
                ]
            else:
                g = r.gbps()
                cells += [
                    f"{r.median:.3f}",
                    f"{r.min:.3f}",
                    f"{r.max:.3f}",
                    f"{g:.2f}" if g is not None else "",
                ]
            for o in ok:
                cells.append("—" if o is r else f"{o.median / r.median:.2f}")
            lines.append("| " + " | ".join(cells) + " |")
        lines.append("")
        lines.append(
            "`x#k` = median time of row k / median time of this row (> 1: this row is faster)."
        )
        for r in self.rows:
            if not r.ok:
                lines.append(f"- {r.label}: not measured — {r.error}")
        for n in self.notes:
            lines.append(f"- {n}")
        return "\n".join(lines) + "\n"


@dataclasses.dataclass
class Target:
    case: str
    what: str
    passed: bool | None  # None: could not be evaluated
    detail: str

    def as_json(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def line(self) -> str:
        status = {True: "PASS", False: "MISS", None: "N/A "}[self.passed]
        return f"| {status} | {self.case} | {self.what} | {self.detail} |"


def fmt_targets(targets: list[Target]) -> str:
    lines = ["| status | case | target | measured |", "|---|---|---|---|"]
    lines += [t.line() for t in targets]
    return "\n".join(lines) + "\n"
