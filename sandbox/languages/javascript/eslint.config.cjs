// assay's ESLint configuration for JavaScript samples (ESLint 9, flat config; trusted side).
//
// Rules at "error" reject a sample (they find bugs: undefined names, unreachable code, assignments
// to constants, ...); rules at "warn" are only reported (style, dead code). Inline configuration is
// off: a sample cannot switch a rule off or declare globals with a comment. The `assay/functions`
// rule is no lint: it reports where each outermost function's body lies in solution.js, from which
// the strength check's stub is made (sandbox/languages/javascript/checks.py). `assay/no-undef` is
// ESLint's no-undef, except that a name assigned in sloppy code without a declaration is an
// implicit global there (reported by `assay/implicit-global`), as it works at run time.
"use strict";

// The globals of the node that runs the samples (the same binary under the process backend), and
// the names CommonJS gives a module.
const globals = Object.fromEntries(Object.getOwnPropertyNames(globalThis).map((n) => [n, "readonly"]));
for (const name of ["require", "module", "exports", "__filename", "__dirname"]) {
  globals[name] = "readonly";
}

const BUGS = [
  "constructor-super", "for-direction", "getter-return", "no-async-promise-executor",
  "no-class-assign", "no-compare-neg-zero", "no-const-assign", "no-constant-binary-expression",
  "no-dupe-args", "no-dupe-class-members", "no-dupe-else-if", "no-dupe-keys", "no-duplicate-case",
  "no-empty-character-class", "no-ex-assign", "no-extend-native", "no-func-assign",
  "no-global-assign", "no-import-assign", "no-invalid-regexp",
  "no-new-native-nonconstructor", "no-obj-calls", "no-self-assign", "no-setter-return",
  "no-shadow-restricted-names", "no-sparse-arrays", "no-this-before-super",
  "no-unexpected-multiline", "no-unreachable", "no-unsafe-finally", "no-unsafe-negation",
  "no-unsafe-optional-chaining", "no-useless-backreference", "require-yield", "use-isnan",
  "valid-typeof",
];
const STYLE = [
  "no-case-declarations", "no-cond-assign", "no-constant-condition", "no-control-regex",
  "no-debugger", "no-delete-var", "no-empty", "no-empty-pattern", "no-empty-static-block",
  "no-extra-boolean-cast", "no-fallthrough", "no-irregular-whitespace", "no-loss-of-precision",
  "no-misleading-character-class", "no-nonoctal-decimal-escape", "no-octal",
  "no-prototype-builtins", "no-redeclare", "no-regex-spaces", "no-unused-labels",
  "no-unused-private-class-members", "no-unused-vars", "no-useless-catch", "no-useless-escape",
  "no-with",
];

// Where the body of each function that is not inside another function lies (UTF-16 offsets):
// "start end block" or "start end expression" (an arrow's expression body).
const functions = {
  meta: { type: "problem", schema: [] },
  create(context) {
    let depth = 0;
    return {
      ":function"(node) {
        if (depth++ === 0) {
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

// Names used but never declared (ESLint's no-undef), told apart: read only, or assigned in strict
// code, is a ReferenceError at run time; assigned in sloppy code, an implicit global.
function undeclared(report) {
  return {
    meta: { type: "problem", schema: [] },
    create(context) {
      return {
        "Program:exit"(program) {
          const byName = new Map();
          for (const ref of context.sourceCode.getScope(program).through) {
            const list = byName.get(ref.identifier.name) || [];
            list.push(ref);
            byName.set(ref.identifier.name, list);
          }
          for (const [name, refs] of byName) {
            const implicit = refs.some((r) => r.isWrite() && !r.from.isStrict);
            for (const ref of refs) {
              const inTypeof = ref.identifier.parent && ref.identifier.parent.type === "UnaryExpression" &&
                ref.identifier.parent.operator === "typeof";
              if (inTypeof) continue;
              if (report === "implicit" && implicit && ref.isWrite()) {
                context.report({ node: ref.identifier, message: `'${name}' is assigned without a declaration (an implicit global): declare it with let or const.` });
              } else if (report === "undefined" && !implicit) {
                context.report({ node: ref.identifier, message: `'${name}' is not defined.` });
              }
            }
          }
        },
      };
    },
  };
}

const rules = { "assay/no-undef": "error", "assay/implicit-global": "warn" };
for (const rule of BUGS) rules[rule] = "error";
for (const rule of STYLE) rules[rule] = "warn";

module.exports = [
  {
    files: ["**/*.js"],
    languageOptions: { ecmaVersion: "latest", sourceType: "commonjs", globals },
    linterOptions: { noInlineConfig: true, reportUnusedDisableDirectives: "off" },
    plugins: {
      assay: {
        rules: { functions, "no-undef": undeclared("undefined"), "implicit-global": undeclared("implicit") },
      },
    },
    rules,
  },
  { files: ["**/solution.js"], rules: { "assay/functions": "warn" } },
];
