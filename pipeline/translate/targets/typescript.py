"""TypeScript tests: `node:test` and node's strict assert, the solution a module `solution.ts`
whose functions are exported. As JavaScript, with the declared types in the signature (the tests
type-check under `tsc --strict` only against a solution of those types)."""

from __future__ import annotations

from pipeline.translate.literals import Function
from pipeline.translate.targets.javascript import JavaScript
from pipeline.translate.values import Type, Unsupported


class TypeScript(JavaScript):
    language = "typescript"
    solution_file = "solution.ts"
    tests_file = "solution.test.ts"
    typed = True

    def unknown_type(self, t: Type) -> str:
        raise Unsupported(f"no TypeScript type for {t}")

    def signature(self, function: Function) -> str:
        params = ", ".join(f"{p.name}: {self.type_name(p.type)}" for p in function.params)
        name = self.function_name(function.name)
        return f"export function {name}({params}): {self.type_name(function.returns)}"

    def header(self, names: list[str]) -> list[str]:
        return [
            'import { test } from "node:test";',
            'import { strict as assert } from "node:assert";',
            f'import {{ {", ".join(names)} }} from "./solution";',
        ]


TARGET = TypeScript()
