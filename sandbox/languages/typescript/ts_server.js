// A warm ESLint for assay's TypeScript checks (trusted side; it parses and lints text, never runs
// it): `node ts_server.js <eslint package dir> <directory holding typescript-eslint>` reads one
// request a line on stdin, a JSON array of [file name, text], and answers each with one line on
// stdout, a JSON array with, per file, {messages} (as `eslint --format json` gives them) and, for a
// `solution.ts` that parses, {stub}: the strength check's stub, each outermost function's body
// replaced by one that returns `undefined as any`. {error} where ESLint failed on a file. The
// JavaScript of each file is emitted by TypeScript's native compiler, a chunk at a time (emit.py).
"use strict";
const { normalized } = require("../javascript/warm_eslint.js");
const path = require("path");
const readline = require("readline");

const [eslintDir, modulesDir] = process.argv.slice(2);
const { Linter } = require(eslintDir);
const tseslint = require(require.resolve("typescript-eslint", { paths: [modulesDir] }));
const config = normalized(eslintDir, require(path.join(__dirname, "eslint.config.cjs"))(tseslint));
const linter = new Linter({ configType: "flat" });
const FUNCTIONS = "assay/functions";

function stub(text, bodies) {
  let out = text;
  for (const [start, end, kind] of bodies.sort((a, b) => b[0] - a[0])) {
    const body = kind === "block" ? "{ return undefined as any; }" : "(undefined as any)";
    out = out.slice(0, start) + body + out.slice(end);
  }
  return out;
}

function check(name, text) {
  const all = linter.verify(text, config, { filename: name });
  const messages = all.filter((m) => m.ruleId !== FUNCTIONS);
  const answer = { messages };
  if (all.some((m) => m.fatal)) return answer;
  if (path.basename(name) === "solution.ts") {
    const bodies = all.filter((m) => m.ruleId === FUNCTIONS).map((m) => {
      const [start, end, kind] = m.message.split(" ");
      return [Number(start), Number(end), kind];
    });
    if (bodies.length) {
      // ESLint reads the text without a byte order mark; its offsets count from after it.
      const bom = text.charCodeAt(0) === 0xfeff ? 1 : 0;
      answer.stub = text.slice(0, bom) + stub(text.slice(bom), bodies);
    }
  }
  return answer;
}

readline.createInterface({ input: process.stdin, crlfDelay: Infinity }).on("line", (line) => {
  const answers = JSON.parse(line).map(([name, text]) => {
    try {
      return check(name, text);
    } catch (err) {
      return { error: String((err && err.stack) || err).slice(0, 2000) };
    }
  });
  process.stdout.write(`${JSON.stringify(answers)}\n`);
});
