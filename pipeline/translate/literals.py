"""Python tests as data: which functions they call with which literals, and what they expect.

`read_suite(solution, tests)` parses both with `ast` (nothing is executed) and returns a `Suite`:
the solution's functions with their parameter and return types (`values.py`), and the tests as
cases of checks. It accepts tests made of plain assertions over literal inputs and outputs:

    assert f(1, [2, 3]) == "x"         assert f(x) != 0          assert f(s) is True / False / None
    assert f(s)    assert not f(s)     assert f(x) is not None
    assert math.isclose(f(x), 0.5, rel_tol=..., abs_tol=...)    assert abs(f(x) - 0.5) < 1e-6
    assert f(x) == pytest.approx(0.5, rel=..., abs=...)

in `test_*` functions (with `@pytest.mark.parametrize` over literal rows), in helpers called with
the solution's functions (HumanEval's `def check(candidate)` with `check(f)`), with names bound to
literals or to a call (`result = f(2)`; the call is then made where the name is used: the
functions are taken to be pure). Keyword arguments are matched to parameters and literal defaults
filled in, so every call has all its arguments in order.

Anything else (loops, `pytest.raises`, fixtures, methods, comparisons of parts of a result such
as `len(f(x))`, calls whose result is unchecked) makes the whole suite Unsupported: a test is
carried over whole or not at all, so the carried tests hold exactly the source's checks.
"""

from __future__ import annotations

import ast
from typing import Any

from pipeline.translate.assertions import Assertions
from pipeline.translate.counting import count_checks
from pipeline.translate.suite import (
    CLOSE,
    EQUAL,
    FALSE,
    IS_NONE,
    MAX_INLINE_DEPTH,
    NO_DEFAULT,
    NOT_EQUAL,
    NOT_NONE,
    SOLUTION_MODULE,
    TRUE,
    Call,
    Case,
    Check,
    Function,
    FunctionRef,
    Param,
    Suite,
    _qualified,
    _what,
)
from pipeline.translate.values import (
    UNKNOWN,
    Bound,
    Type,
    Unsupported,
    fits,
    from_annotation,
    join,
    literal,
    refine,
    type_of,
)


def solution_functions(solution: str) -> dict[str, ast.FunctionDef]:
    """The solution's top-level functions by name (what its tests may call)."""
    try:
        tree = ast.parse(solution)
    except SyntaxError as exc:
        raise Unsupported(f"the solution does not parse: {exc.msg}") from None
    return {node.name: node for node in tree.body if isinstance(node, ast.FunctionDef)}


def read_suite(solution: str, tests: str) -> Suite:
    """The suite of `tests` against `solution`; Unsupported with the reason when a part of the
    tests is not a plain assertion over literals."""
    defs = solution_functions(solution)
    try:
        tree = ast.parse(tests)
    except SyntaxError as exc:
        raise Unsupported(f"the tests do not parse: {exc.msg}") from None
    reader = _Reader(defs)
    reader.module(tree)
    if not reader.cases:
        raise Unsupported("the tests hold no check")
    return Suite(reader.type_functions(), reader.cases)


class _Reader(Assertions):
    def __init__(self, defs: dict[str, ast.FunctionDef]) -> None:
        self.defs = defs
        self.names: dict[str, str] = {}  # local name -> solution function
        self.modules: set[str] = set()  # `import solution` (as ...)
        self.aliases: dict[
            str, str
        ] = {}  # local name -> qualified ("math.isclose", "pytest.approx")
        self.env: dict[str, Any] = {}
        self.helpers: dict[str, ast.FunctionDef] = {}
        self.cases: list[Case] = []
        self.args_seen: dict[str, list[Type]] = {}
        self.returns_seen: dict[str, Type] = {}

    # --- the module ---------------------------------------------------------------------------
    def module(self, tree: ast.Module) -> None:
        tests = []
        for node in tree.body:
            if isinstance(node, ast.Import):
                for alias in node.names:
                    local = alias.asname or alias.name
                    if alias.name == SOLUTION_MODULE:
                        self.modules.add(local)
                    else:
                        self.aliases[local] = alias.name
            elif isinstance(node, ast.ImportFrom):
                for alias in node.names:
                    local = alias.asname or alias.name
                    if node.module == SOLUTION_MODULE:
                        if alias.name == "*":
                            self.names.update({n: n for n in self.defs if not n.startswith("_")})
                        else:
                            self.names[local] = alias.name
                    else:
                        self.aliases[local] = f"{node.module}.{alias.name}"
            elif isinstance(node, ast.Assign | ast.AnnAssign):
                self._module_assign(node)
            elif isinstance(node, ast.FunctionDef):
                if node.name.startswith("test"):
                    tests.append(node)
                else:
                    self.helpers[node.name] = node
            elif isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant):
                continue  # a docstring
            elif isinstance(node, ast.If) and "__name__" in ast.unparse(node.test):
                continue
            else:
                raise Unsupported(f"line {node.lineno}: {_what(node)} at the top of the tests")
        for node in tests:
            self.test_function(node)

    def _module_assign(self, node: ast.Assign | ast.AnnAssign) -> None:
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        if node.value is None or len(targets) != 1 or not isinstance(targets[0], ast.Name):
            raise Unsupported(f"line {node.lineno}: an assignment at the top of the tests")
        try:
            self.env[targets[0].id] = literal(node.value, self.env)
        except Unsupported:
            self.env.pop(targets[0].id, None)  # unusable, and an error only where it is used

    # --- test functions -----------------------------------------------------------------------
    def test_function(self, node: ast.FunctionDef) -> None:
        rows = [{}]
        for decorator in node.decorator_list:
            rows = [{**a, **b} for a in rows for b in self._parametrize(decorator)]
        params = [a.arg for a in node.args.args]
        bound = set(rows[0])
        if set(params) != bound or node.args.vararg or node.args.kwarg or node.args.kwonlyargs:
            missing = sorted(set(params) - bound)
            raise Unsupported(
                f"line {node.lineno}: test {node.name} takes "
                + (f"fixtures ({', '.join(missing)})" if missing else "arguments")
            )
        for i, row in enumerate(rows):
            name = node.name if len(rows) == 1 else f"{node.name}_{i}"
            case = Case(name)
            self.statements(node.body, {**self.env, **row}, case, 0)
            if case.checks:
                self.cases.append(case)

    def _parametrize(self, decorator: ast.expr) -> list[dict[str, Any]]:
        qualified = _qualified(decorator.func if isinstance(decorator, ast.Call) else decorator)
        qualified = self._resolve(qualified)
        if not (isinstance(decorator, ast.Call) and qualified.endswith("mark.parametrize")):
            raise Unsupported(f"line {decorator.lineno}: decorator @{ast.unparse(decorator)}")
        if len(decorator.args) < 2:
            raise Unsupported(f"line {decorator.lineno}: parametrize without rows")
        names_node, rows_node = decorator.args[:2]
        names = literal(names_node)
        if isinstance(names, str):
            names = [n.strip() for n in names.split(",") if n.strip()]
        if not isinstance(names, list | tuple) or not all(isinstance(n, str) for n in names):
            raise Unsupported(f"line {decorator.lineno}: parametrize names")
        if not isinstance(rows_node, ast.List | ast.Tuple):
            raise Unsupported(f"line {decorator.lineno}: parametrize rows that are not a literal")
        out = []
        for row in rows_node.elts:
            if isinstance(row, ast.Call) and self._resolve(_qualified(row.func)).endswith("param"):
                row = ast.Tuple(elts=list(row.args), ctx=ast.Load())
            value = literal(row, self.env)
            values = list(value) if len(names) > 1 else [value]
            if len(values) != len(names):
                raise Unsupported(f"line {decorator.lineno}: a parametrize row of another length")
            out.append(dict(zip(names, values, strict=True)))
        return out

    def statements(self, body: list[ast.stmt], env: dict[str, Any], case: Case, depth: int) -> None:
        for node in body:
            if isinstance(node, ast.Pass) or (
                isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)
            ):
                continue
            if isinstance(node, ast.Assert):
                check = self.check(node.test, env, node.lineno)
                if check is not None:
                    case.checks.append(check)
            elif isinstance(node, ast.Assign) and len(node.targets) == 1:
                target = node.targets[0]
                if not isinstance(target, ast.Name):
                    raise Unsupported(f"line {node.lineno}: an assignment to {_what(target)}")
                call = self.call(node.value, env, node.lineno, quiet=True)
                env[target.id] = Bound(call) if call is not None else literal(node.value, env)
            elif isinstance(node, ast.Expr) and isinstance(node.value, ast.Call):
                self._inline(node.value, env, case, depth)
            else:
                raise Unsupported(f"line {node.lineno}: {_what(node)} in a test")

    def _inline(self, node: ast.Call, env: dict[str, Any], case: Case, depth: int) -> None:
        """A helper called with the solution's functions (HumanEval's `check(candidate)`)."""
        name = node.func.id if isinstance(node.func, ast.Name) else None
        helper = self.helpers.get(name or "")
        if helper is None or depth >= MAX_INLINE_DEPTH:
            raise Unsupported(
                f"line {node.lineno}: a call whose result is not checked "
                f"(`{ast.unparse(node)}`): the test relies on a side effect"
            )
        params = [a.arg for a in helper.args.args]
        if node.keywords or len(node.args) != len(params) or helper.decorator_list:
            raise Unsupported(f"line {node.lineno}: a call of helper {name} with other arguments")
        bound = dict(self.env)
        for param, arg in zip(params, node.args, strict=True):
            function = self._function_name(arg, env)
            bound[param] = FunctionRef(function) if function else literal(arg, env)
        self.statements(helper.body, bound, case, depth + 1)

    def call(self, node: ast.expr, env: dict[str, Any], line: int, quiet: bool = False) -> Call:
        """The call of a solution function with literal arguments that `node` is."""
        if isinstance(node, ast.Name) and isinstance(env.get(node.id), Bound):
            return env[node.id].what
        function = self._function_name(node.func, env) if isinstance(node, ast.Call) else None
        if function is None:
            if quiet:
                return None  # type: ignore[return-value]
            raise Unsupported(
                f"line {line}: `{ast.unparse(node)}` is not a call of a solution function"
            )
        assert isinstance(node, ast.Call)
        definition = self.defs[function]
        args = self._arguments(definition, node, env, line)
        seen = self.args_seen.setdefault(function, [UNKNOWN] * len(args))
        for i, value in enumerate(args):
            seen[i] = join(seen[i], type_of(value))
        return Call(function, tuple(args))

    def _function_name(self, node: ast.expr, env: dict[str, Any]) -> str | None:
        if isinstance(node, ast.Name):
            bound = env.get(node.id)
            if isinstance(bound, FunctionRef):
                return bound.name
            name = self.names.get(node.id)
            if name is not None and name in self.defs:
                return name
            if name is not None or node.id in self.defs:
                raise Unsupported(f"`{node.id}` is not a plain function of the solution")
        if (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and node.value.id in self.modules
        ):
            if node.attr in self.defs:
                return node.attr
            raise Unsupported(f"`{ast.unparse(node)}` is not a plain function of the solution")
        return None

    def _arguments(
        self, definition: ast.FunctionDef, node: ast.Call, env: dict[str, Any], line: int
    ) -> list[Any]:
        spec = definition.args
        if spec.vararg or spec.kwarg or spec.kwonlyargs or spec.posonlyargs:
            raise Unsupported(f"{definition.name} takes *args, **kwargs or keyword-only arguments")
        names = [a.arg for a in spec.args]
        defaults = [NO_DEFAULT] * (len(names) - len(spec.defaults)) + list(spec.defaults)
        if len(node.args) > len(names) or any(isinstance(a, ast.Starred) for a in node.args):
            raise Unsupported(f"line {line}: a call of {definition.name} with other arguments")
        values: list[Any] = [literal(a, env) for a in node.args]
        given = dict(zip(names, values, strict=False))
        for keyword in node.keywords:
            if keyword.arg is None or keyword.arg not in names or keyword.arg in given:
                raise Unsupported(f"line {line}: keyword arguments of {definition.name}")
            given[keyword.arg] = literal(keyword.value, env)
        out = []
        for name, default in zip(names, defaults, strict=True):
            if name in given:
                out.append(given[name])
            elif default is NO_DEFAULT:
                raise Unsupported(f"line {line}: {definition.name} called without {name}")
            else:
                out.append(literal(default))
        return out

    def _returns(self, function: str, seen: Type, line: int, why: str = "") -> None:
        self.returns_seen[function] = join(self.returns_seen.get(function, UNKNOWN), seen)

    def _resolve(self, qualified: str) -> str:
        head, _, rest = qualified.partition(".")
        base = self.aliases.get(head, head)
        return f"{base}.{rest}" if rest else base

    # --- types --------------------------------------------------------------------------------
    def type_functions(self) -> dict[str, Function]:
        """Every called function typed: annotations first, filled in and checked by literals."""
        calls = [check for case in self.cases for check in case.checks]
        out = {}
        for name, node in self.defs.items():
            if name not in self.args_seen:
                continue
            spec = node.args
            defaults = [NO_DEFAULT] * (len(spec.args) - len(spec.defaults)) + list(spec.defaults)
            params = []
            for arg, seen, default in zip(spec.args, self.args_seen[name], defaults, strict=True):
                declared = from_annotation(arg.annotation)
                params.append(
                    Param(
                        arg.arg,
                        refine(declared, seen),
                        NO_DEFAULT if default is NO_DEFAULT else literal(default),
                    )
                )
            declared = from_annotation(node.returns)
            returns = refine(declared, self.returns_seen.get(name, UNKNOWN))
            out[name] = Function(name, params, returns, annotated=node.returns is not None)
        for check in calls:
            function = out[check.call.function]
            for param, value in zip(function.params, check.call.args, strict=True):
                if not fits(value, param.type):
                    raise Unsupported(
                        f"line {check.line}: {function.name} gets {value!r} for {param.name}, "
                        f"whose type is {param.type}"
                    )
            if check.kind in (EQUAL, NOT_EQUAL) and not fits(check.expected, function.returns):
                raise Unsupported(
                    f"line {check.line}: {function.name} is expected to return "
                    f"{check.expected!r}, not a {function.returns}"
                )
            if check.kind in (TRUE, FALSE) and function.returns.kind not in ("bool", "unknown"):
                raise Unsupported(
                    f"line {check.line}: the truth value of a {function.returns} "
                    f"({function.name}'s result) differs between languages"
                )
            if check.kind == CLOSE and function.returns.kind not in ("float", "int"):
                raise Unsupported(f"line {check.line}: a float comparison of a {function.returns}")
        return out


__all__ = [
    "CLOSE", "EQUAL", "FALSE", "IS_NONE", "NOT_EQUAL", "NOT_NONE", "TRUE", "Call", "Case",
    "Check", "Function", "Param", "Suite", "count_checks", "read_suite", "solution_functions",
]  # fmt: skip
