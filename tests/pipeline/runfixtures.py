"""Run directories for the report, export and rejudge tests, written through the store's own API.

Each `Plan` is one problem slot: a seed, a problem statement and the teacher's answers in order.
`build_run` replays the revision loop over them with the real verifier (first pass wins; K + 1
failures reject), writes every row the engine would, and appends accepted samples to the corpus.
Tokens and timings are fixed per answer so tests can add them up by hand.
"""

from __future__ import annotations

import functools
import json
import os
from dataclasses import dataclass, field

from pipeline.corpus import final_answer
from pipeline.jsonl import AppendLog
from pipeline.store import ACCEPTED, DUPLICATE, REJECTED, RunStore
from sandbox import VERIFIER_VERSION, Limits, Sample, Verdict, Verifier, VerifyOptions

TEACHER = "openai:scripted-teacher"
SAMPLING = {"temperature": 0.7, "top_p": 0.95, "max_tokens": 1024, "seed": 0}
OPTIONS = VerifyOptions(jobs=2, limits=Limits(timeout_s=2.0, memory_mb=512))

# Fixed costs, so the expected sums are plain arithmetic.
PROBLEM_TOKENS = (120, 80)  # in, out
PROBLEM_TEACHER_S = 0.25
ATTEMPT_TEACHER_S = 0.5
VERIFY_OVERHEAD_S = 0.01


def attempt_tokens(round: int) -> tuple[int, int]:
    return 300 + 200 * round, 150


@dataclass
class Answer:
    solution: str | None
    tests: str | None
    finish_reason: str = "stop"
    prose: str = "Here is a solution with its tests."

    @property
    def raw(self) -> str:
        parts = [self.prose]
        for code in (self.solution, self.tests):
            if code is not None:
                parts.append(f"```python\n{code}```")
        return "\n\n".join(parts)

    def loop_verdict(self) -> Verdict | None:
        """The loop's own rejection of an answer that cannot be verified (pipeline/answers.py)."""
        if self.finish_reason == "length":
            return Verdict(
                False,
                "truncated",
                "the answer was cut off at the token limit",
                feedback="Your answer was cut off at the token limit.",
            )
        if self.solution is None:
            return Verdict(
                False,
                "no_code",
                "the answer has no code",
                feedback="Your answer contained no ```python code block.",
            )
        if self.tests is None:
            return Verdict(
                False, "no_tests", "no tests block", feedback="Your answer has no tests."
            )
        return None


@dataclass
class Plan:
    seed_source: str
    problem: str | None  # None: the teacher gave no problem statement
    answers: list[Answer] = field(default_factory=list)
    finish: bool = True  # False: the run stops before this slot is decided
    verify_last: bool = True  # False: the last answer is stored but not yet verified
    # The test language `snake` is Python under another name: its code is verified as Python here.
    language: str = "python"


# --- code the teacher "wrote" -------------------------------------------------------------------

RUNNING_SUM = '''def running_sum(xs: list[int]) -> list[int]:
    """Prefix sums of xs."""
    out, total = [], 0
    for x in xs:
        total += x
        out.append(total)
    return out
'''
RUNNING_SUM_TESTS = """from solution import running_sum


def test_basic():
    assert running_sum([1, 2, 3]) == [1, 3, 6]


def test_empty():
    assert running_sum([]) == []
"""
VOWELS_UNDEFINED = """def count_vowels(text: str) -> int:
    return sum(1 for ch in text.lower() if ch in VOWELS)
"""
VOWELS = '''VOWELS = set("aeiou")


def count_vowels(text: str) -> int:
    """Number of vowels in text."""
    return sum(1 for ch in text.lower() if ch in VOWELS)
'''
VOWELS_TESTS = """from solution import count_vowels


def test_count():
    assert count_vowels("Banana") == 3
    assert count_vowels("xyz") == 0
"""
CLAMP_WRONG = """def clamp(x: float, lo: float, hi: float) -> float:
    return max(lo, x)
"""
CLAMP_LOOP = """def clamp(x: float, lo: float, hi: float) -> float:
    while x > hi:
        pass
    return max(lo, x)
"""
CLAMP = '''def clamp(x: float, lo: float, hi: float) -> float:
    """x limited to [lo, hi]."""
    return min(hi, max(lo, x))
'''
CLAMP_TESTS = """from solution import clamp


def test_clamp():
    assert clamp(5, 0, 10) == 5
    assert clamp(-1, 0, 10) == 0
    assert clamp(11, 0, 10) == 10
"""
FIB_WRONG = """def fib(n: int) -> int:
    a, b = 0, 1
    for _ in range(n):
        a, b = b, a + b
    return b
"""
FIB_TESTS = """from solution import fib


def test_fib():
    assert fib(0) == 0
    assert fib(1) == 1
    assert fib(10) == 55
"""
SLUG = '''import re


def slugify(text: str) -> str:
    """Lowercase words joined by dashes."""
    return "-".join(re.findall(r"[a-z0-9]+", text.lower()))
'''
SLUG_WEAK_TESTS = """from solution import slugify


def test_runs():
    slugify("Hello World")
"""
SLUG_BROKEN = """def slugify(text: str) -> str
    return text
"""
SLUG_TESTS = """from solution import slugify


def test_slug():
    assert slugify("Hello, World!") == "hello-world"
"""
UNUSED_IMPORT = '''import os


def double(x: int) -> int:
    """Twice x."""
    return 2 * x
'''
DOUBLE_TESTS = """from solution import double


def test_double():
    assert double(21) == 42
"""
IS_EVEN = '''def is_even(n: int) -> bool:
    """True for even n."""
    return n % 2 == 0
'''
IS_EVEN_TESTS = """from solution import is_even


def test_even():
    assert is_even(4) is True
    assert is_even(7) is False
"""


def standard_plans() -> list[Plan]:
    """Every kind of outcome the loop produces, with K = 2 (three attempts at most)."""
    return [
        # 0: accepted first try
        Plan(
            "pipeline/a.py:1-60",
            "Write running_sum(xs) returning the prefix sums of xs.",
            [Answer(RUNNING_SUM, RUNNING_SUM_TESTS)],
        ),
        # 1: lint (F821) fixed in round 1
        Plan(
            "pipeline/a.py:61-120",
            "Write count_vowels(text) counting vowels.",
            [Answer(VOWELS_UNDEFINED, VOWELS_TESTS), Answer(VOWELS, VOWELS_TESTS)],
        ),
        # 2: tests, then timeout, then accepted in round 2
        Plan(
            "pipeline/b.py:1-60",
            "Write clamp(x, lo, hi) limiting x to [lo, hi].",
            [
                Answer(CLAMP_WRONG, CLAMP_TESTS),
                Answer(CLAMP_LOOP, CLAMP_TESTS),
                Answer(CLAMP, CLAMP_TESTS),
            ],
        ),
        # 3: never fixed: rejected at tests after K + 1 attempts
        Plan(
            "seeds.jsonl:3",
            "Write fib(n), the n-th Fibonacci number.",
            [Answer(FIB_WRONG, FIB_TESTS)] * 3,
        ),
        # 4: a refusal without code, then accepted in round 1
        Plan(
            "seeds.jsonl:7",
            "Write is_even(n).",
            [Answer(None, None, prose="I cannot help with that."), Answer(IS_EVEN, IS_EVEN_TESTS)],
        ),
        # 5: weak tests, cut off at the token limit, then a syntax error: rejected at syntax
        Plan(
            "hf:org/snippets:train:content#5",
            "Write slugify(text).",
            [
                Answer(SLUG, SLUG_WEAK_TESTS),
                Answer(SLUG, None, finish_reason="length"),
                Answer(SLUG_BROKEN, SLUG_TESTS),
            ],
        ),
        # 6: passes, but the same problem and solution as 0 are in the corpus: a duplicate
        Plan(
            "pipeline/a.py:1-60",
            "Write running_sum(xs) returning the prefix sums of xs.",
            [Answer(RUNNING_SUM, RUNNING_SUM_TESTS)],
        ),
        # 7: the teacher gave no problem statement
        Plan("pipeline/c.py:1-60", None),
        # 8: accepted first try, with an unused import (F401: a warning by default)
        Plan(
            "hf:org/snippets:train:content#9",
            "Write double(x).",
            [Answer(UNUSED_IMPORT, DOUBLE_TESTS)],
        ),
    ]


def in_progress_plans() -> list[Plan]:
    """Slots of a run that is still going: undecided, unanswered, unverified."""
    return [
        # 9: failed once, the revision is not back yet
        Plan(
            "pipeline/b.py:61-120",
            "Write fib(n) again.",
            [Answer(FIB_WRONG, FIB_TESTS)],
            finish=False,
        ),
        # 10: answered, not verified yet
        Plan(
            "pipeline/b.py:121-180",
            "Write clamp(x, lo, hi).",
            [Answer(CLAMP, CLAMP_TESTS)],
            finish=False,
            verify_last=False,
        ),
        # 11: no problem statement yet (pending)
        Plan("pipeline/c.py:61-120", "", finish=False),
    ]


def _norm(text: str) -> str:
    return " ".join(text.split())


def verdicts_for(plans: list[Plan], options: VerifyOptions = OPTIONS) -> dict[tuple, Verdict]:
    """The verdict of every answer of every plan, from one pass of the real verifier."""
    keyed: dict[tuple, Verdict] = {}
    todo: list[tuple[tuple, Sample]] = []
    for i, plan in enumerate(plans):
        for r, answer in enumerate(plan.answers):
            own = answer.loop_verdict()
            if own is not None:
                keyed[(i, r)] = own
            else:
                sample = Sample(
                    solution=answer.solution, tests=answer.tests, problem=plan.problem or ""
                )
                todo.append(((i, r), sample))
    with Verifier(options) as verifier:
        for (key, _), verdict in zip(todo, verifier.verify(s for _, s in todo), strict=True):
            keyed[key] = verdict
    return keyed


def build_run(
    run_dir: str,
    plans: list[Plan],
    max_revisions: int = 2,
    verdicts: dict[tuple, Verdict] | None = None,
    torn_tail: bool = False,
) -> dict[int, str]:
    """Write `plans` into RUN_DIR as the engine would; returns each slot's final status."""
    verdicts = verdicts if verdicts is not None else verdicts_for(plans)
    os.makedirs(os.path.join(run_dir, "corpus"), exist_ok=True)
    with open(os.path.join(run_dir, "config.toml"), "w") as fh:
        fh.write(
            f'run_dir = "{run_dir}"\nproblems = {len(plans)}\nmax_revisions = {max_revisions}\n'
            "seed = 0\n\n[verifier]\njobs = 2\ntimeout = 2.0\nmemory = 512\n"
        )
    outcome: dict[int, str] = {}
    seen: set[str] = set()
    store = RunStore(run_dir)
    store.set_meta("verifier_version", VERIFIER_VERSION)
    corpus = AppendLog(os.path.join(run_dir, "corpus", "part-00000.jsonl"))
    try:
        for i, plan in enumerate(plans):
            store.ensure_problem(
                i, plan.seed_source, f"# seed {i}\n", TEACHER, SAMPLING, language=plan.language
            )
            if plan.problem == "":
                outcome[i] = "pending"
                continue
            store.record_problem(
                i,
                prompt=f"Write a problem inspired by seed {i}.",
                raw=plan.problem or "",
                problem=plan.problem,
                finish_reason="stop",
                tokens_in=PROBLEM_TOKENS[0],
                tokens_out=PROBLEM_TOKENS[1],
                teacher_s=PROBLEM_TEACHER_S,
            )
            if plan.problem is None:
                store.finish_problem(i, REJECTED, "no_problem")
                outcome[i] = REJECTED
                continue
            outcome[i] = "solving"
            messages: list[dict[str, str]] = []
            for r, answer in enumerate(plan.answers):
                prompt = f"Solve: {plan.problem}" if r == 0 else f"Revise round {r}"
                messages = [*messages, {"role": "user", "content": prompt}]
                tin, tout = attempt_tokens(r)
                store.record_answer(
                    i,
                    r,
                    prompt=prompt,
                    messages=messages,
                    raw=answer.raw,
                    finish_reason=answer.finish_reason,
                    solution=answer.solution,
                    tests=answer.tests,
                    teacher=TEACHER,
                    sampling=SAMPLING,
                    tokens_in=tin,
                    tokens_out=tout,
                    teacher_s=ATTEMPT_TEACHER_S,
                )
                messages = [*messages, {"role": "assistant", "content": answer.raw}]
                last = r == len(plan.answers) - 1
                if last and not plan.verify_last:
                    break
                verdict = verdicts[(i, r)]
                store.record_verdict(
                    i, r, verdict.to_dict(), verdict.duration_s + VERIFY_OVERHEAD_S
                )
                if verdict.passed:
                    key = _norm(plan.problem)
                    if key in seen:
                        store.finish_problem(i, DUPLICATE, "duplicate_problem", sample_id=key)
                        outcome[i] = DUPLICATE
                        break
                    seen.add(key)
                    sample = Sample(
                        solution=answer.solution, tests=answer.tests, problem=plan.problem
                    )
                    trail = [trail_step(k, plan.answers[k], verdicts[(i, k)]) for k in range(r + 1)]
                    corpus.write(corpus_record(sample, plan, trail))
                    store.finish_problem(i, ACCEPTED, sample_id=sample.id)
                    outcome[i] = ACCEPTED
                    break
                if plan.finish and r == max_revisions:
                    store.finish_problem(i, REJECTED, verdict.stage)
                    outcome[i] = REJECTED
    finally:
        corpus.close()
        store.close()
    if torn_tail:
        with open(os.path.join(run_dir, "corpus", "part-00000.jsonl"), "a") as fh:
            fh.write('{"id": "cut-off-by-kill-9", "problem": "Write')
    return outcome


def trail_step(round: int, answer: Answer, verdict: Verdict) -> dict:
    """One entry of a corpus record's meta.trail, as pipeline/corpus.py writes it."""
    tokens_in, tokens_out = attempt_tokens(round)
    return {
        "round": round,
        "answer": answer.raw,
        "finish_reason": answer.finish_reason,
        "solution": answer.solution,
        "tests": answer.tests,
        "stage": verdict.stage,
        "reason": verdict.reason,
        "feedback": verdict.feedback,
        "tokens_in": tokens_in,
        "tokens_out": tokens_out,
    }


def corpus_record(sample: Sample, plan: Plan, trail: list[dict]) -> dict:
    return {
        "id": sample.id,
        "language": plan.language,
        "problem": sample.problem,
        "solution": sample.solution,
        "tests": sample.tests,
        "messages": [
            {"role": "user", "content": sample.problem},
            {
                "role": "assistant",
                "content": final_answer(sample.solution, sample.tests, plan.language),
            },
        ],
        "meta": {
            "source": plan.seed_source,
            "teacher": TEACHER,
            "sampling": SAMPLING,
            "attempts": len(trail),
            "revisions": len(trail) - 1,
            "trail": trail,
            "verifier_version": VERIFIER_VERSION,
        },
    }


def write_jsonl(path: str, rows: list[dict]) -> str:
    with open(path, "w") as fh:
        for row in rows:
            fh.write(json.dumps(row) + "\n")
    return path


@functools.cache
def standard_verdicts() -> dict[tuple, Verdict]:
    """Verdicts of standard_plans() + in_progress_plans(), computed once per test process."""
    return verdicts_for(standard_plans() + in_progress_plans())


def build_standard_run(run_dir: str, torn_tail: bool = True) -> dict[int, str]:
    """The standard run: every outcome, three slots still in progress, a torn corpus line."""
    return build_run(
        run_dir, standard_plans() + in_progress_plans(), verdicts=standard_verdicts(),
        torn_tail=torn_tail,
    )  # fmt: skip
