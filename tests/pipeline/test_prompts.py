"""Prompts are data: templates render with their slots; a missing slot is a named error. The same
templates serve every language: its name, fence, files and conventions fill the slots."""

from __future__ import annotations

import pytest

from pipeline.languages import prompt_slots
from pipeline.prompts import PromptError, Prompts
from tests.pipeline.languages import SNAKE_CONVENTIONS, python


def test_templates_render_their_slots():
    prompts, slots = Prompts(), prompt_slots("python")
    problem = prompts.render("problem", source="a.py:1-3", snippet="def add(a, b): ...", **slots)
    assert "a.py:1-3" in problem and "def add(a, b): ..." in problem
    assert python().conventions.strip() in problem
    solve = prompts.render("solve", problem="Write add.", **slots)
    assert "Write add." in solve and "two ```python" in solve
    assert python().conventions.strip() in solve and f"`{python().solution_file}`" in solve
    revise = prompts.render(
        "revise", problem="Write add.", solution="SOL", tests="TESTS", feedback="F821 boom", **slots
    )
    for part in ("Write add.", "```python\nSOL\n```", "```python\nTESTS\n```", "F821 boom"):
        assert part in revise


@pytest.mark.parametrize("name", ["problem", "solve", "revise"])
def test_another_language_fills_the_same_templates(name):
    slots = prompt_slots("snake")
    text = Prompts().render(
        name,
        source="s.snk",
        snippet="x",
        problem="P",
        solution="S",
        tests="T",
        feedback="F",
        **slots,
    )
    assert "snake" in text and "Python" not in text and "python" not in text
    if name != "revise":
        assert SNAKE_CONVENTIONS in text
    if name != "problem":
        assert "```snake" in text


def test_missing_slot_is_a_named_error():
    with pytest.raises(PromptError, match="'feedback' is undefined"):
        Prompts().render("revise", problem="p", solution="s", tests="t", **prompt_slots("python"))
    with pytest.raises(PromptError, match="'conventions' is undefined"):
        Prompts().render("solve", problem="p", language="python", fence="python")


def test_templates_from_a_directory(tmp_path):
    for name in ("problem", "solve", "revise"):
        (tmp_path / f"{name}.jinja").write_text(f"{name}: {{{{ problem }}}}")
    prompts = Prompts(str(tmp_path))
    assert prompts.render("solve", problem="X") == "solve: X\n"
    assert prompts.digest != Prompts().digest
    (tmp_path / "solve.jinja").unlink()
    with pytest.raises(PromptError, match="no solve.jinja"):
        Prompts(str(tmp_path))
