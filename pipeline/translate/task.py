"""One translation: a source sample into one target language, as a `loop.Task`.

The route is decided once per slot, from the source sample alone (so a rerun decides the same):

- `mechanical`: the source tests are Python assertions over literals (literals.py) and the target
  has a test writer (targets/): assay writes the target's tests, shows them to the teacher as
  fixed, and reads only the solution from its answers. The teacher cannot weaken them.
- `teacher`: the teacher translates the tests too (the reason the mechanical route was refused is
  recorded). Before the sandbox, its tests must hold at least as many checks as the source's
  (`fewer_checks` otherwise); in the sandbox, the strength check makes them kill the stub.

Each slot's provenance (source sample, language and run; route; refusal reason; checks) is a row
of the `translations` table beside the run store's own tables, written when the slot starts.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

from pipeline.answers import Answer, parse_answer
from pipeline.languages import fence, files
from pipeline.loop import Task
from pipeline.prompts import Prompts
from pipeline.translate import literals, targets
from pipeline.translate.sources import SourceSample
from pipeline.translate.values import Unsupported
from sandbox import Verdict

MECHANICAL, TEACHER = "mechanical", "teacher"
FEWER_CHECKS = "fewer_checks"
# The templates of a translate run: the loop's three roles, and the parts each route adds.
NAMES = (
    "translate_problem",
    "translate",
    "translate_revise",
    "translate_fixed",
    "translate_fixed_revise",
    "translate_teacher",
    "translate_teacher_revise",
)
ROLES = {"problem": "translate_problem", "solve": "translate", "revise": "translate_revise"}

_TABLE = """
CREATE TABLE IF NOT EXISTS translations (
    problem_id INTEGER PRIMARY KEY REFERENCES problems(id),
    source_id TEXT,
    source_language TEXT,
    source_run TEXT,
    source_index INTEGER,
    target TEXT,
    route TEXT,
    reason TEXT,
    checks INTEGER
)
"""


def prompts(directory: str | None = None) -> Prompts:
    return Prompts(directory, names=NAMES, roles=ROLES)


@dataclass(frozen=True)
class Route:
    route: str
    reason: str  # why not mechanical ("" when it is)
    checks: int  # the source tests' checks
    carried: targets.Carried | None = None
    names: dict[str, str] | None = None


def decide(source: SourceSample, target: str) -> Route:
    """How `source` goes into `target`: mechanical when its tests can be carried over."""
    if source.language != "python":
        counter = _counter(source.language)
        checks = counter(source.tests) if counter else 0
        return Route(TEACHER, f"only Python tests are carried over ({source.language})", checks)
    checks = literals.count_checks(source.tests)
    names = _names(source.solution, target)
    try:
        suite = literals.read_suite(source.solution, source.tests)
        carried = targets.carry(suite, target)
    except Unsupported as exc:
        return Route(TEACHER, str(exc), checks, names=names)
    return Route(MECHANICAL, "", carried.checks, carried, {**(names or {}), **carried.names})


def _names(solution: str, target: str) -> dict[str, str] | None:
    try:
        functions = [n for n in literals.solution_functions(solution) if not n.startswith("_")]
        return targets.target(target).names(functions)
    except Unsupported:
        return None


def _counter(language: str):
    try:
        return targets.target(language).count_checks
    except Unsupported:
        return None


class TranslateTask(Task):
    """The prompts' slots, the answer reader and the checks count of one slot."""

    def __init__(self, source: SourceSample, target: str, route: Route, prompts: Prompts) -> None:
        self.source, self.target, self.route = source, target, route
        solution_file, tests_file = files(target)
        names = route.names or {}
        slots = {
            "source_language": source.language,
            "source_fence": fence(source.language),
            "source_problem": source.problem.strip(),
            "source_solution": source.solution.rstrip(),
            "source_tests": source.tests.rstrip(),
            "names": "\n".join(f"- `{a}` -> `{b}`" for a, b in names.items())
            or "(as in the source)",
            "checks": str(route.checks),
            "fence": fence(target),
            "language": target,
            "solution_file": solution_file,
            "tests_file": tests_file,
        }
        if route.carried is not None:
            part = {"signatures": route.carried.signatures, "tests": route.carried.tests.rstrip()}
            slots["route_part"] = prompts.render("translate_fixed", **slots, **part).strip()
            slots["revise_part"] = prompts.render("translate_fixed_revise", **slots).strip()
        else:
            slots["route_part"] = prompts.render("translate_teacher", **slots).strip()
            slots["revise_part"] = prompts.render("translate_teacher_revise", **slots).strip()
        self.slots = slots
        self._count = _counter(target)

    def read(self, text: str, language: str) -> Answer:
        answer = parse_answer(text, language)
        carried = self.route.carried
        if carried is None:
            return answer
        # The tests are ours: whatever tests the answer holds are left out.
        return Answer(answer.solution, carried.tests, answer.blocks, language)

    def check(self, answer: Answer) -> Verdict | None:
        """The teacher route's tests hold at least the source's number of checks."""
        if self.route.carried is not None or self._count is None or answer.tests is None:
            return None
        found, needed = self._count(answer.tests), self.route.checks
        if found >= needed:
            return None
        return Verdict(
            passed=False,
            stage=FEWER_CHECKS,
            reason=f"the tests hold {found} checks, fewer than the source's {needed}",
            feedback=(
                f"Your tests hold {found} checks (assertions), but the {self.source.language} "
                f"tests hold {needed}. Translate every check of the source tests, one assertion "
                "per check, each on concrete values (no loops over tables), and answer again "
                "with both code blocks."
            ),
        )


# --- provenance ----------------------------------------------------------------------------------


def ensure_table(db: sqlite3.Connection) -> None:
    db.execute(_TABLE)


def record_route(
    db: sqlite3.Connection, slot: int, source: SourceSample, target: str, route: Route
) -> None:
    db.execute(
        "INSERT OR IGNORE INTO translations(problem_id, source_id, source_language, source_run,"
        " source_index, target, route, reason, checks) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (slot, source.id, source.language, source.run, source.index, target, route.route,
         route.reason or None, route.checks),
    )  # fmt: skip


def read_routes(db: sqlite3.Connection) -> dict[int, dict[str, object]]:
    """slot -> its provenance row; empty for a store without the table (an `assay run`)."""
    try:
        rows = db.execute("SELECT * FROM translations").fetchall()
        names = [d[0] for d in db.execute("SELECT * FROM translations LIMIT 0").description]
    except sqlite3.OperationalError:
        return {}
    return {row[0]: dict(zip(names, row, strict=True)) for row in rows}
