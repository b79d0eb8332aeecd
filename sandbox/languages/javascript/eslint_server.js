// A warm ESLint for assay's JavaScript checks (trusted side; it parses and lints text, never runs
// it): `node eslint_server.js <eslint package dir>` reads one request a line on stdin, a JSON
// array of [file name, text], and answers each with one line on stdout, a JSON array of each
// file's messages (as `eslint --format json` gives them) or {"error": ...} where ESLint failed.
"use strict";
const { normalized } = require("./warm_eslint.js");
const path = require("path");
const readline = require("readline");

const { Linter } = require(process.argv[2]);
const config = normalized(process.argv[2], require(path.join(__dirname, "eslint.config.cjs")));
const linter = new Linter({ configType: "flat" });

readline.createInterface({ input: process.stdin, crlfDelay: Infinity }).on("line", (line) => {
  const answers = JSON.parse(line).map(([name, text]) => {
    try {
      return linter.verify(text, config, { filename: name });
    } catch (err) {
      return { error: String((err && err.stack) || err).slice(0, 2000) };
    }
  });
  process.stdout.write(`${JSON.stringify(answers)}\n`);
});
