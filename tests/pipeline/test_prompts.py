"""Prompts are data: templates render with their slots; a missing slot is a named error."""

from __future__ import annotations

import pytest

from pipeline.prompts import PromptError, Prompts


def test_templates_render_their_slots():
    prompts = Prompts()
    problem = prompts.render("problem", source="a.py:1-3", snippet="def add(a, b): ...")
    assert "a.py:1-3" in problem and "def add(a, b): ..." in problem
    solve = prompts.render("solve", problem="Write add.")
    assert "Write add." in solve and "`solution`" in solve and "two ```python" in solve
    revise = prompts.render(
        "revise", problem="Write add.", solution="SOL", tests="TESTS", feedback="F821 boom"
    )
    for part in ("Write add.", "SOL", "TESTS", "F821 boom"):
        assert part in revise


def test_missing_slot_is_a_named_error():
    with pytest.raises(PromptError, match="'feedback' is undefined"):
        Prompts().render("revise", problem="p", solution="s", tests="t")


def test_templates_from_a_directory(tmp_path):
    for name in ("problem", "solve", "revise"):
        (tmp_path / f"{name}.jinja").write_text(f"{name}: {{{{ problem }}}}")
    prompts = Prompts(str(tmp_path))
    assert prompts.render("solve", problem="X") == "solve: X\n"
    assert prompts.digest != Prompts().digest
    (tmp_path / "solve.jinja").unlink()
    with pytest.raises(PromptError, match="no solve.jinja"):
        Prompts(str(tmp_path))
