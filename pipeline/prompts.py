"""The three prompts of the loop, rendered from prompts/*.jinja (data, no logic: STYLE 8).

A variable the template needs but the caller did not give is a `PromptError` naming it, never an
empty slot in a prompt sent to the teacher.
"""

from __future__ import annotations

import hashlib
from importlib import resources

import jinja2

NAMES = ("problem", "solve", "revise")


class PromptError(ValueError):
    """A template is missing or needs a variable that was not given."""


class Prompts:
    """The templates of one run, loaded once."""

    def __init__(
        self,
        directory: str | None = None,
        names: tuple[str, ...] = NAMES,
        roles: dict[str, str] | None = None,
    ) -> None:
        # `roles` maps the loop's prompts (problem, solve, revise) to other templates: `assay
        # translate` answers "solve" with translate.jinja.
        self.roles = roles or {}
        if directory is None:
            root = resources.files("prompts")
            sources = {name: (root / f"{name}.jinja").read_text("utf-8") for name in names}
        else:
            sources = {}
            for name in names:
                try:
                    with open(f"{directory}/{name}.jinja", encoding="utf-8") as fh:
                        sources[name] = fh.read()
                except FileNotFoundError:
                    raise PromptError(f"no {name}.jinja in {directory}") from None
        self.env = jinja2.Environment(
            undefined=jinja2.StrictUndefined, keep_trailing_newline=False, autoescape=False
        )
        self.templates = {name: self.env.from_string(text) for name, text in sources.items()}
        self.digest = hashlib.sha256(
            "\0".join(sources[name] for name in names).encode("utf-8")
        ).hexdigest()[:16]

    def render(self, name: str, **slots: object) -> str:
        name = self.roles.get(name, name)
        try:
            return self.templates[name].render(**slots).strip() + "\n"
        except jinja2.UndefinedError as exc:
            raise PromptError(f"prompt {name}.jinja: {exc.message}; pass it to render()") from None
