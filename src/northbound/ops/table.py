"""Plain-text tables for operator commands (tables for people; every command has ``--json``)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence


def render_table(header: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    """A boxed table; numbers are right-aligned so columns of figures line up."""
    body = [[_text(cell) for cell in row] for row in rows]
    widths = [len(name) for name in header]
    for row in body:
        widths = [max(width, len(cell)) for width, cell in zip(widths, row, strict=True)]
    numeric = [all(_numeric(row[i]) for row in body) and bool(body) for i in range(len(header))]
    rule = "+" + "+".join("-" * (width + 2) for width in widths) + "+"

    def line(cells: Sequence[str], align: bool) -> str:
        parts = [
            cell.rjust(width) if align and numeric[i] else cell.ljust(width)
            for i, (cell, width) in enumerate(zip(cells, widths, strict=True))
        ]
        return "| " + " | ".join(parts) + " |"

    lines = [rule, line(list(header), False), rule]
    lines += [line(row, True) for row in body]
    lines.append(rule)
    return "\n".join(lines)


def _text(value: object) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:,.0f}" if value.is_integer() else f"{value:,.2f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def _numeric(cell: str) -> bool:
    return cell.replace(",", "").replace(".", "", 1).lstrip("-").isdigit() or cell == "-"
