"""The terminal summary: rich tables of the same numbers `--json` prints, runs side by side."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.table import Table

from pipeline.report.summary import Report


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{100 * value:.1f}%"


def _n(value: Any, digits: int = 2) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:,.{digits}f}"
    return f"{value:,}"


def _columns(report: Report) -> list[tuple[str, dict[str, Any]]]:
    runs = [(r["name"], r) for r in map(report.run_json, range(len(report.runs)))]
    if len(runs) > 1:
        runs.append(("total", report.to_json()["total"]))
    return runs


def _table(title: str, columns: list[tuple[str, dict[str, Any]]]) -> Table:
    table = Table(title=title, title_justify="left", title_style="bold")
    table.add_column("")
    for name, _ in columns:
        table.add_column(name, justify="right")
    return table


def print_report(report: Report, console: Console) -> None:
    columns = _columns(report)
    data = [d for _, d in columns]
    funnel = _table("Funnel", columns)
    for label, get in (
        ("status", lambda d: d.get("status") or ""),
        ("problems", lambda d: _n(d["problems"])),
        ("first attempts", lambda d: _n(d["first_attempts"])),
        ("passed first try", lambda d: _n(d["passed_first_try"])),
        ("revisions", lambda d: _n(d["revisions"])),
        ("attempts", lambda d: _n(d["attempts"])),
        ("accepted", lambda d: f"[green]{_n(d['accepted'])}[/green]"),
        ("  first try", lambda d: _n(d["accepted_first_try"])),
        ("  after revision", lambda d: _n(d["accepted_after_revision"])),
        ("rejected", lambda d: f"[red]{_n(d['rejected'])}[/red]"),
        ("duplicates", lambda d: _n(d["duplicates"])),
        ("in progress", lambda d: _n(d["in_progress"])),
        ("acceptance rate", lambda d: _pct(d["acceptance_rate"])),
        ("self-corrected share", lambda d: _pct(d["self_correction"]["share"])),
    ):
        funnel.add_row(label, *(get(d) for d in data))
    console.print(funnel)

    total = data[-1]
    stages = Table(title="Rejections by stage", title_justify="left", title_style="bold")
    for col in ("stage", "first attempts", "final"):
        stages.add_column(col, justify="left" if col == "stage" else "right")
    first, final = (total["rejections_by_stage"][k] for k in ("first_attempt", "final"))
    for stage in dict.fromkeys([*first, *final]):
        stages.add_row(stage, _n(first.get(stage, 0)), _n(final.get(stage, 0)))
    causes = Table(title="Top causes", title_justify="left", title_style="bold")
    for col in ("cause", "first attempts", "final"):
        causes.add_column(col, justify="left" if col == "cause" else "right")
    first, final = (total["rejections_by_cause"][k] for k in ("first_attempt", "final"))
    for name in list(dict.fromkeys([*first, *final]))[:12]:
        causes.add_row(name, _n(first.get(name, 0)), _n(final.get(name, 0)))
    if total["rejections_by_stage"]["first_attempt"] or total["rejections_by_stage"]["final"]:
        console.print(stages)
        console.print(causes)

    rounds = total["accepted_by_round"]
    if rounds:
        sc = Table(title="Self-correction by round", title_justify="left", title_style="bold")
        for col in ("round", "accepted", "share of accepted", "accepted so far"):
            sc.add_column(col, justify="left" if col == "round" else "right")
        cumulative = total["self_correction"]["cumulative_acceptance_by_round"]
        for r, n in rounds.items():
            sc.add_row(
                "first try" if r == "0" else f"revision {r}",
                _n(n),
                _pct(n / total["accepted"] if total["accepted"] else None),
                _pct(cumulative.get(r)),
            )
        console.print(sc)

    cost = _table("Cost", columns)
    for label, get in (
        ("tokens (in + out)", lambda d: _n(d["tokens"]["total"])),
        ("tokens / accepted", lambda d: _n(d["tokens"]["per_accepted"], 0)),
        ("teacher s", lambda d: _n(d["timings"]["teacher_s"], 1)),
        ("teacher s / accepted", lambda d: _n(d["timings"]["teacher_s_per_accepted"])),
        ("wall s / accepted", lambda d: _n(d["timings"]["wall_s_per_accepted"])),
        ("verify s / attempt", lambda d: _n(d["timings"]["verify_s_per_attempt"], 3)),
        ("corpus records", lambda d: _n(d["corpus"]["records"])),
    ):
        cost.add_row(label, *(get(d) for d in data))
    console.print(cost)

    languages = total["by_language"]
    if languages:
        table = Table(title="By language", title_justify="left", title_style="bold")
        for col in ("language", "problems", "accepted", "rejected", "rate", "rejected at"):
            table.add_column(col, justify="left" if col in ("language", "rejected at") else "right")
        for name, v in languages.items():
            final = v["rejections_by_stage"]["final"]
            table.add_row(
                name,
                _n(v["problems"]),
                _n(v["accepted"]),
                _n(v["rejected"]),
                _pct(v["acceptance_rate"]),
                ", ".join(f"{stage} {n}" for stage, n in final.items()) or "–",
            )
        console.print(table)

    if total.get("translation"):
        print_translation(total["translation"], languages, console)

    seeds = total["by_seed_source"]
    if len(seeds) > 1 or (seeds and "(unknown)" not in seeds):
        table = Table(title="By seed source", title_justify="left", title_style="bold")
        for col in ("source", "problems", "accepted", "rejected", "rate"):
            table.add_column(col, justify="left" if col == "source" else "right")
        for source, v in list(seeds.items())[:10]:
            table.add_row(
                source,
                _n(v["problems"]),
                _n(v["accepted"]),
                _n(v["rejected"]),
                _pct(v["acceptance_rate"]),
            )
        if len(seeds) > 10:
            table.caption = f"and {len(seeds) - 10} more sources (see --json)"
        console.print(table)


def print_translation(
    translation: dict[str, Any], languages: dict[str, Any], console: Console
) -> None:
    """`assay translate`'s funnel per target language: pairs by route, accepted by round."""
    table = Table(title="Translation by target language", title_justify="left", title_style="bold")
    columns = ("target", "pairs", "mechanical", "teacher tests", "accepted", "rate",
               "accepted by round", "rejected at")  # fmt: skip
    for col in columns:
        table.add_column(
            col,
            justify="left" if col in ("target", "accepted by round", "rejected at") else "right",
        )
    for name, t in translation["by_target"].items():
        routes = t["routes"]
        lang = languages.get(name, {})
        rounds = lang.get("accepted_by_round", {})
        final = lang.get("rejections_by_stage", {}).get("final", {})
        table.add_row(
            name,
            _n(t["pairs"]),
            _route(routes, "mechanical"),
            _route(routes, "teacher"),
            _n(t["accepted"]),
            _pct(t["acceptance_rate"]),
            ", ".join(
                ("first try" if r == "0" else f"rev {r}") + f" {n}" for r, n in rounds.items()
            )
            or "–",
            ", ".join(f"{stage} {n}" for stage, n in final.items()) or "–",
        )
    console.print(table)
    skipped = {**translation["skipped"], **translation["skipped_pairs"]}
    console.print(
        f"sources: {_n(translation['read'])} records read, {_n(translation['samples'])} verified "
        "samples"
        + (f"; skipped: {', '.join(f'{k} {v}' for k, v in skipped.items())}" if skipped else ""),
        highlight=False,
    )


def _route(routes: dict[str, Any], route: str) -> str:
    return f"{routes[route]['accepted']}/{routes[route]['pairs']}" if route in routes else "–"
