// assay's ESLint configuration for TypeScript samples (ESLint 9 flat config with typescript-eslint's
// parser and plugin, no type information; trusted side). A function of the loaded typescript-eslint
// package, since this file does not live where npm installed it.
//
// Rules at "error" reject a sample: bugs the type checker does not catch (duplicate cases,
// unreachable loop directions, NaN comparisons, ...), and comments that switch the type checker
// off (`@ts-ignore`, `@ts-nocheck`: type errors must reject); rules at "warn" are only reported.
// Names, types and reachability are the type checker's business (`tsc --strict`, in the box), so
// ESLint's no-undef and the rules tsc already enforces are off. Inline configuration is off: a
// sample cannot switch a rule off with a comment. `assay/functions` is no lint: it reports where
// each outermost function's body lies in solution.ts, from which ts_server.js makes the stub.
"use strict";

const BUGS = [
  "for-direction", "no-async-promise-executor", "no-compare-neg-zero",
  "no-constant-binary-expression", "no-dupe-else-if", "no-duplicate-case",
  "no-empty-character-class", "no-ex-assign", "no-extend-native", "no-global-assign",
  "no-invalid-regexp", "no-self-assign", "no-shadow-restricted-names", "no-sparse-arrays",
  "no-unexpected-multiline", "no-unsafe-finally", "no-unsafe-optional-chaining",
  "no-useless-backreference", "require-yield", "use-isnan",
  "@typescript-eslint/no-duplicate-enum-values", "@typescript-eslint/no-extra-non-null-assertion",
  "@typescript-eslint/no-misused-new", "@typescript-eslint/no-non-null-asserted-optional-chain",
  "@typescript-eslint/no-unsafe-declaration-merging",
];
const STYLE = [
  "no-case-declarations", "no-cond-assign", "no-constant-condition", "no-control-regex",
  "no-debugger", "no-empty", "no-empty-pattern", "no-empty-static-block", "no-extra-boolean-cast",
  "no-fallthrough", "no-irregular-whitespace", "no-loss-of-precision",
  "no-misleading-character-class", "no-nonoctal-decimal-escape", "no-prototype-builtins",
  "no-regex-spaces", "no-unused-labels", "no-useless-catch", "no-useless-escape", "no-with",
  "prefer-const", "@typescript-eslint/no-unused-vars", "@typescript-eslint/no-explicit-any",
  "@typescript-eslint/no-array-constructor", "@typescript-eslint/no-empty-object-type",
  "@typescript-eslint/no-namespace", "@typescript-eslint/no-this-alias",
  "@typescript-eslint/no-unnecessary-type-constraint", "@typescript-eslint/no-wrapper-object-types",
  "@typescript-eslint/prefer-as-const", "@typescript-eslint/prefer-namespace-keyword",
];

// Where the body of each function that is not inside another function lies (UTF-16 offsets):
// "start end block" or "start end expression" (an arrow's expression body). Overload signatures,
// `declare`d and abstract methods have no body and are not functions here.
const functions = {
  meta: { type: "problem", schema: [] },
  create(context) {
    let depth = 0;
    return {
      ":function"(node) {
        if (depth++ === 0 && node.body) {
          const kind = node.body.type === "BlockStatement" ? "block" : "expression";
          context.report({ node, message: `${node.body.range[0]} ${node.body.range[1]} ${kind}` });
        }
      },
      ":function:exit"() {
        depth--;
      },
    };
  },
};

module.exports = function config(tseslint) {
  const rules = {
    // Type errors reject, so nothing may switch the type checker off; `@ts-expect-error` is
    // itself an error where no error follows, and must say why.
    "@typescript-eslint/ban-ts-comment": ["error", {
      "ts-ignore": true, "ts-nocheck": true, "ts-check": false,
      "ts-expect-error": "allow-with-description",
    }],
    // A triple-slash reference pulls other files into the type check.
    "@typescript-eslint/triple-slash-reference": ["error", { path: "never", types: "never", lib: "never" }],
  };
  for (const rule of BUGS) rules[rule] = "error";
  for (const rule of STYLE) rules[rule] = "warn";
  return [
    {
      files: ["**/*.ts"],
      languageOptions: { parser: tseslint.parser, ecmaVersion: "latest", sourceType: "module" },
      linterOptions: { noInlineConfig: true, reportUnusedDisableDirectives: "off" },
      plugins: { "@typescript-eslint": tseslint.plugin, assay: { rules: { functions } } },
      rules,
    },
    { files: ["**/solution.ts"], rules: { "assay/functions": "warn" } },
  ];
};
