"""The report's plots: matplotlib (Agg) figures rendered to SVG, embedded as data URIs so the page
needs nothing but itself. Each function takes the `--json` numbers of the runs, nothing else.
"""

from __future__ import annotations

import base64
import io
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.ticker import MaxNLocator  # noqa: E402

PALETTE = ["#2563eb", "#f59e0b", "#10b981", "#ef4444", "#8b5cf6", "#06b6d4", "#64748b"]
ACCEPT, REVISED, REJECT, DUP, OPEN, FIRST = (
    "#16a34a",
    "#84cc16",
    "#dc2626",
    "#a855f7",
    "#94a3b8",
    "#2563eb",
)

Runs = list[tuple[str, dict[str, Any]]]


def _style() -> dict[str, Any]:
    return {
        "font.family": "DejaVu Sans",
        "font.size": 9,
        "axes.spines.top": False,
        "axes.spines.right": False,
        "axes.edgecolor": "#94a3b8",
        "axes.titleweight": "bold",
        "axes.titlesize": 11,
        "axes.titlelocation": "left",
        "svg.fonttype": "none",  # text stays text: smaller and sharp
        "svg.hashsalt": "assay",  # the same numbers give the same bytes
    }


def _uri(fig: Any) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="svg", bbox_inches="tight", metadata={"Date": None})
    plt.close(fig)
    return "data:image/svg+xml;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def _empty(ax: Any, text: str = "no data yet") -> None:
    ax.text(0.5, 0.5, text, ha="center", va="center", color="#64748b", transform=ax.transAxes)
    ax.set_xticks([])
    ax.set_yticks([])


def funnel(runs: Runs) -> str:
    """Problems down to accepted: one group of bars per funnel step, one bar per run."""
    steps = [
        ("problems", lambda j: j["problems"]),
        ("first attempts", lambda j: j["first_attempts"]),
        ("passed first try", lambda j: j["passed_first_try"]),
        ("revisions", lambda j: j["revisions"]),
        ("accepted", lambda j: j["accepted"]),
        ("rejected", lambda j: j["rejected"]),
        ("duplicates", lambda j: j["duplicates"]),
        ("in progress", lambda j: j["in_progress"]),
    ]
    colors = [FIRST, FIRST, ACCEPT, REVISED, ACCEPT, REJECT, DUP, OPEN]
    with plt.rc_context(_style()):
        fig, ax = plt.subplots(figsize=(6.4, 0.42 * len(steps) * max(1, len(runs) ** 0.5) + 0.8))
        height = 0.8 / len(runs)
        for k, (name, data) in enumerate(runs):
            values = [get(data) for _, get in steps]
            ys = [i + (k - (len(runs) - 1) / 2) * height for i in range(len(steps))]
            bars = ax.barh(
                ys,
                values,
                height=height * 0.92,
                color=colors if len(runs) == 1 else PALETTE[k % len(PALETTE)],
                label=name,
            )
            ax.bar_label(bars, padding=3, fontsize=8, color="#334155")
        ax.set_yticks(range(len(steps)), [s for s, _ in steps])
        ax.invert_yaxis()
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_title("Funnel")
        ax.margins(x=0.12)
        if len(runs) > 1:
            ax.legend(frameon=False, loc="lower right")
        if not any(d["problems"] for _, d in runs):
            _empty(ax)
        return _uri(fig)


def stages(data: dict[str, Any]) -> str:
    """Why attempts fail: the stage of failed first attempts next to the final rejections."""
    first = data["rejections_by_stage"]["first_attempt"]
    final = data["rejections_by_stage"]["final"]
    names = sorted(set(first) | set(final), key=lambda s: -(first.get(s, 0) + final.get(s, 0)))
    with plt.rc_context(_style()):
        fig, ax = plt.subplots(figsize=(6.4, 0.38 * max(len(names), 3) + 1.0))
        if not names:
            _empty(ax, "no rejections")
        else:
            ys = range(len(names))
            a = ax.barh(
                [y - 0.2 for y in ys],
                [first.get(n, 0) for n in names],
                0.38,
                color=FIRST,
                label="first attempts that failed",
            )
            b = ax.barh(
                [y + 0.2 for y in ys],
                [final.get(n, 0) for n in names],
                0.38,
                color=REJECT,
                label="final rejections",
            )
            ax.bar_label(a, padding=3, fontsize=8)
            ax.bar_label(b, padding=3, fontsize=8)
            ax.set_yticks(list(ys), names)
            ax.invert_yaxis()
            ax.margins(x=0.12)
            ax.legend(frameon=False, loc="lower right")
            ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_title("Rejections by stage")
        return _uri(fig)


def self_correction(runs: Runs) -> str:
    """Accepted samples by the round that passed (0 = first try), and the cumulative acceptance."""
    rounds = sorted({int(r) for _, d in runs for r in d["accepted_by_round"]} | {0})
    with plt.rc_context(_style()):
        fig, ax = plt.subplots(figsize=(6.4, 3.2))
        width = 0.8 / len(runs)
        twin = ax.twinx()
        twin.spines["right"].set_visible(True)
        for k, (name, data) in enumerate(runs):
            xs = [r + (k - (len(runs) - 1) / 2) * width for r in rounds]
            counts = [data["accepted_by_round"].get(str(r), 0) for r in rounds]
            color = PALETTE[k % len(PALETTE)] if len(runs) > 1 else None
            bars = ax.bar(
                xs,
                counts,
                width * 0.92,
                color=color or [ACCEPT if r == 0 else REVISED for r in rounds],
                label=name,
            )
            ax.bar_label(bars, padding=2, fontsize=8)
            cumulative = data["self_correction"]["cumulative_acceptance_by_round"]
            if cumulative:
                cr = sorted(int(r) for r in cumulative)
                twin.plot(
                    cr,
                    [100 * (cumulative[str(r)] or 0) for r in cr],
                    marker="o",
                    color=color or "#0f172a",
                    linewidth=1.5,
                )
        ax.set_xticks(rounds, ["first try" if r == 0 else f"round {r}" for r in rounds])
        ax.set_ylabel("accepted samples")
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))
        twin.set_ylabel("accepted so far, % of finished")
        twin.set_ylim(0, 105)
        ax.set_title("Self-correction by revision round")
        ax.margins(y=0.15)
        if len(runs) > 1:
            ax.legend(frameon=False, loc="upper right")
        if not any(d["accepted"] for _, d in runs):
            _empty(ax, "nothing accepted yet")
        return _uri(fig)


def fix_rates(data: dict[str, Any]) -> str:
    """Which failures revision fixes: per failing stage, the share fixed by the next round."""
    by_stage = {s: v for s, v in data["self_correction"]["by_stage"].items() if v["revised"] > 0}
    names = sorted(by_stage, key=lambda s: -(by_stage[s]["next_round_fix_rate"] or 0))
    with plt.rc_context(_style()):
        fig, ax = plt.subplots(figsize=(6.4, 0.38 * max(len(names), 3) + 1.0))
        if not names:
            _empty(ax, "no revisions yet")
        else:
            rates = [100 * (by_stage[n]["next_round_fix_rate"] or 0) for n in names]
            bars = ax.barh(range(len(names)), rates, color=REVISED)
            ax.bar_label(
                bars,
                labels=[
                    f"{by_stage[n]['fixed_next_round']}/{by_stage[n]['revised']}" for n in names
                ],
                padding=3,
                fontsize=8,
            )
            ax.set_yticks(range(len(names)), names)
            ax.invert_yaxis()
            ax.set_xlim(0, 115)
            ax.set_xlabel("% of failed attempts fixed by the next revision")
        ax.set_title("What revision fixes")
        return _uri(fig)


def seed_sources(data: dict[str, Any], top: int = 12) -> str:
    """Outcome per seed source (the most used ones)."""
    sources = list(data["by_seed_source"].items())[:top]
    with plt.rc_context(_style()):
        fig, ax = plt.subplots(figsize=(6.4, 0.34 * max(len(sources), 3) + 1.0))
        if not sources:
            _empty(ax)
        else:
            names = [_short(s) for s, _ in sources]
            left = [0] * len(sources)
            for key, color, label in (
                ("accepted_first_try", ACCEPT, "accepted first try"),
                ("accepted_after_revision", REVISED, "accepted after revision"),
                ("rejected", REJECT, "rejected"),
                ("duplicates", DUP, "duplicate"),
                ("in_progress", OPEN, "in progress"),
            ):
                values = [v[key] for _, v in sources]
                ax.barh(range(len(sources)), values, left=left, color=color, label=label)
                left = [a + b for a, b in zip(left, values, strict=True)]
            ax.set_yticks(range(len(sources)), names)
            ax.invert_yaxis()
            ax.legend(frameon=False, fontsize=7, loc="lower right")
            ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_title("By seed source")
        return _uri(fig)


def _short(text: str, limit: int = 42) -> str:
    return text if len(text) <= limit else "…" + text[-(limit - 1) :]


def all_plots(runs: Runs, total: dict[str, Any]) -> dict[str, str]:
    return {
        "funnel": funnel(runs),
        "stages": stages(total),
        "self_correction": self_correction(runs),
        "fix_rates": fix_rates(total),
        "seed_sources": seed_sources(total),
    }


# --- `assay rounds`: one line per arm, by round ------------------------------------------------


def _arm_label(name: str, arm: dict[str, Any]) -> str:
    return name if arm["execution_feedback"] else f"{name} (without execution feedback)"


def _by_round(data: dict[str, Any], title: str, ylabel: str, value, percent: bool = False) -> str:
    with plt.rc_context(_style()):
        fig, ax = plt.subplots(figsize=(6.4, 3.2))
        drawn = False
        for k, (name, arm) in enumerate(sorted(data["arms"].items())):
            points = [(r["round"], value(r)) for r in arm["rounds"]]
            points = [(x, 100 * y if percent else y) for x, y in points if y is not None]
            if not points:
                continue
            drawn = True
            ax.plot(
                [x for x, _ in points],
                [y for _, y in points],
                marker="o",
                linestyle="-" if arm["execution_feedback"] else "--",
                color=PALETTE[k % len(PALETTE)],
                label=_arm_label(name, arm),
            )
        ax.set_title(title)
        ax.set_xlabel("round")
        ax.set_ylabel(ylabel)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        if percent:
            ax.set_ylim(-2, 102)
        else:
            ax.yaxis.set_major_locator(MaxNLocator(integer=True))
        if drawn:
            ax.legend(frameon=False, fontsize=7)
        else:
            _empty(ax)
        return _uri(fig)


def pass_at_k_by_round(data: dict[str, Any]) -> str:
    """pass@k of each arm's student by round; the base model as a dotted line."""
    ks = sorted(
        {k for arm in data["arms"].values() for r in arm["rounds"] for k in (r["pass_at_k"] or {})},
        key=lambda k: int(k.split("@")[1]),
    )
    with plt.rc_context(_style()):
        fig, ax = plt.subplots(figsize=(6.4, 3.4))
        for k, (name, arm) in enumerate(sorted(data["arms"].items())):
            for j, metric in enumerate(ks):
                points = [
                    (r["round"], 100 * r["pass_at_k"][metric])
                    for r in arm["rounds"]
                    if r["pass_at_k"] and r["pass_at_k"].get(metric) is not None
                ]
                if points:
                    ax.plot(
                        [x for x, _ in points],
                        [y for _, y in points],
                        marker="os^v"[j % 4],
                        linestyle="-" if arm["execution_feedback"] else "--",
                        color=PALETTE[k % len(PALETTE)],
                        label=f"{_arm_label(name, arm)}: {metric}",
                    )
        for metric, value in sorted((data.get("base_pass_at_k") or {}).items()):
            if value is not None:
                ax.axhline(100 * value, color="#64748b", linestyle=":", linewidth=1)
                ax.annotate(f"base {metric}", (0, 100 * value), fontsize=7, color="#64748b")
        ax.set_title(f"pass@k on {data.get('benchmark') or 'the benchmark'} by round")
        ax.set_xlabel("round")
        ax.set_ylabel("% of problems")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_ylim(-2, 102)
        if ks:
            ax.legend(frameon=False, fontsize=7)
        else:
            _empty(ax, "no evaluation yet")
        return _uri(fig)


def rounds_plots(data: dict[str, Any]) -> dict[str, str]:
    return {
        "pass_at_k": pass_at_k_by_round(data),
        "corpus": _by_round(
            data, "Training corpus by round", "rows the student trained on",
            lambda r: r["training_rows"],
        ),
        "acceptance": _by_round(
            data, "Acceptance rate of each round's generation", "% of finished problems",
            lambda r: r["acceptance_rate"], percent=True,
        ),
        "self_correction": _by_round(
            data, "Self-correction rate by round", "% of accepted, after revision",
            lambda r: r["self_correction_rate"], percent=True,
        ),
    }  # fmt: skip
