"""The execution-feedback loop for one seed, as one plain async function (STYLE 10).

seed -> problem -> solution + tests -> verify -> accepted, or revise with the verifier's feedback,
up to `max_revisions` times (K + 1 attempts in all) -> rejected with the last failure's stage.

The language (a name from sandbox.languages) fills the prompts' language slots and says which
fences the answers are read from; the loop itself is the same for every language.

The loop knows nothing of concurrency, storage or resume: it is handed `ask` (the teacher) and
`judge` (the verifier). The engine makes both remember their results in the run store, so running
this function again on a half-done problem replays the recorded steps without calling anyone.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from pipeline.answers import NO_PROBLEM, Answer, parse_answer, parse_problem
from pipeline.generators import Chat, Completion
from pipeline.languages import DEFAULT, prompt_slots
from pipeline.prompts import Prompts
from pipeline.seeds import Seed
from sandbox import Verdict

# ask(step, chat): step is "problem" or the attempt's round (0 = first solve, 1.. = revisions).
Ask = Callable[[str | int, Chat], Awaitable[Completion]]
# judge(round, completion, answer): the verdict; an answer cut off or without code fails unrun.
Judge = Callable[[int, Completion, Answer], Awaitable[Verdict]]


class Task:
    """What a slot asks of the teacher beyond `assay run`'s default: extra prompt slots, how its
    answers are read, and a check of an answer before the sandbox. `assay translate` gives each
    slot one (pipeline/translate/task.py); the loop and the engine are the same."""

    slots: dict[str, str] = {}

    def read(self, text: str, language: str) -> Answer:
        return parse_answer(text, language)

    def check(self, answer: Answer) -> Verdict | None:
        """A rejection before the sandbox, or None."""
        return None


DEFAULT_TASK = Task()


@dataclass
class Attempt:
    """One answer of the teacher and its verdict."""

    round: int
    chat: Chat
    completion: Completion
    answer: Answer
    verdict: Verdict


@dataclass
class Outcome:
    """How a seed ended: accepted with its passing attempt, or rejected with a reason."""

    seed: Seed
    accepted: bool
    reason: str = ""  # the stage of the last failure when rejected
    problem: str | None = None
    attempts: list[Attempt] = field(default_factory=list)
    language: str = DEFAULT

    @property
    def final(self) -> Attempt | None:
        return self.attempts[-1] if self.attempts else None


def user(content: str) -> dict[str, str]:
    return {"role": "user", "content": content}


def assistant(content: str) -> dict[str, str]:
    return {"role": "assistant", "content": content}


async def solve_seed(
    seed: Seed,
    ask: Ask,
    judge: Judge,
    prompts: Prompts,
    max_revisions: int,
    language: str = DEFAULT,
    task: Task = DEFAULT_TASK,
) -> Outcome:
    slots = {**prompt_slots(language), **task.slots}
    # 1. The teacher turns the snippet into a self-contained problem.
    problem_chat = [user(prompts.render("problem", source=seed.source, snippet=seed.text, **slots))]
    problem = parse_problem(await ask("problem", problem_chat))
    if problem is None:
        return Outcome(seed, accepted=False, reason=NO_PROBLEM, language=language)

    # 2. It answers with a solution and tests; 3. the verifier judges; 4. on failure the teacher
    # sees the verdict's feedback in the same dialog and revises, up to max_revisions times.
    chat = [user(prompts.render("solve", problem=problem, **slots))]
    attempts: list[Attempt] = []
    for round in range(max_revisions + 1):
        completion = await ask(round, chat)
        answer = task.read(completion.text, language)
        verdict = await judge(round, completion, answer)
        attempts.append(Attempt(round, chat, completion, answer, verdict))
        if verdict.passed:
            return Outcome(seed, True, problem=problem, attempts=attempts, language=language)
        revise = prompts.render(
            "revise",
            problem=problem,
            solution=(answer.solution or "(no solution block)").rstrip("\n"),
            tests=(answer.tests or "(no tests block)").rstrip("\n"),
            feedback=verdict.feedback.strip() or verdict.reason,
            **slots,
        )
        chat = [*chat, assistant(completion.text), user(revise)]

    reason = attempts[-1].verdict.stage
    return Outcome(seed, False, reason, problem=problem, attempts=attempts, language=language)
