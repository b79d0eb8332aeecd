"""`assay report` on an `assay rounds` directory: each arm's numbers by round, and their plots.

Read from the files the rounds leave (state.json of each round, each round's run store, the eval
summaries), never written: safe while the rounds still run. Per round: pass@k of the student, the
rows it trained on (the corpus size), and of that round's generation the acceptance rate and the
self-correction rate (accepted after a revision, of accepted). The no-verify arm is labelled as
the run without execution feedback; its "acceptance" is what the verifier would have accepted.
"""

from __future__ import annotations

import os
from typing import Any

from pipeline.report.data import load_run, run_stats
from pipeline.report.rundir import ReportError

CONFIG_FILE, STATE_FILE, BASE_EVAL = "rounds.json", "state.json", "base-eval"


def is_rounds_dir(path: str) -> bool:
    return os.path.isfile(os.path.join(path, CONFIG_FILE))


def _read(path: str) -> Any:
    import json

    try:
        with open(path) as fh:
            return json.load(fh)
    except (OSError, ValueError):
        return None


def round_run_dirs(root: str) -> list[tuple[str, str]]:
    """(name, run dir) of every round that has generated, arm by arm, round by round."""
    out = []
    for arm in sorted(os.listdir(root)):
        arm_dir = os.path.join(root, arm)
        if not os.path.isdir(arm_dir) or arm == BASE_EVAL:
            continue
        rounds = sorted(
            (int(n.split("-")[1]), n) for n in os.listdir(arm_dir) if n.startswith("round-")
        )
        for _, name in rounds:
            run = os.path.join(arm_dir, name, "run")
            if os.path.exists(os.path.join(run, "run.sqlite")):
                out.append((f"{arm}/{name}", run))
    return out


def gather_rounds(root: str) -> dict[str, Any]:
    """The numbers of every arm and round (the `rounds` part of `assay report --json`)."""
    stored = _read(os.path.join(root, CONFIG_FILE))
    if stored is None:
        raise ReportError(f"{root} is not a rounds directory of `assay rounds` (no {CONFIG_FILE})")
    base = _read(os.path.join(root, BASE_EVAL, "summary.json"))
    arms: dict[str, Any] = {}
    for name, run_dir in round_run_dirs(root):
        arm, round_name = name.split("/")
        state = _read(os.path.join(root, arm, round_name, STATE_FILE)) or {}
        steps = state.get("steps", {})
        numbers = run_stats(load_run(run_dir)).to_json()
        train, evaluation, gen = steps.get("train") or {}, steps.get("eval"), steps.get("generate")
        entry = arms.setdefault(
            arm,
            {
                "mode": state.get("mode"),
                "execution_feedback": state.get("execution_feedback", True),
                "note": state.get("note", ""),
                "rounds": [],
            },
        )
        entry["rounds"].append(
            {
                "round": int(round_name.split("-")[1]),
                "steps_done": [s for s in ("generate", "train", "eval") if s in steps],
                "teacher": (gen or {}).get("teacher"),
                "pass_at_k": (evaluation or {}).get("pass_at_k"),
                "prompt_style": (evaluation or {}).get("prompt_style"),
                "training_rows": sum((train.get("rows") or {}).values()) if train else None,
                "trained": bool(train) and not train.get("skipped"),
                "train_loss": train.get("train_loss"),
                "eval_loss": train.get("eval_loss"),
                "accepted": numbers["accepted"],
                "problems": numbers["problems"],
                "acceptance_rate": numbers["acceptance_rate"],
                "self_correction_rate": numbers["self_correction"]["share"],
                "unverified_rows": (gen or {}).get("unverified_rows"),
                "unverified_failing": (gen or {}).get("unverified_failing"),
            }
        )
    return {
        "dir": root,
        "base_model": stored["config"].get("base"),
        "benchmark": stored["config"].get("eval", {}).get("benchmark"),
        "base_pass_at_k": (base or {}).get("pass_at_k"),
        "arms": arms,
    }
