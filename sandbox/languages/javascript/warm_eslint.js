// How a warm ESLint (eslint_server.js, and TypeScript's ts_server.js) runs: required before ESLint
// itself.
//
// V8's tiering: a verifier's ESLint lints a few hundred files, and at V8's own interrupt budget it
// optimizes much of ESLint that runs only a few times (TurboFan was a third of its CPU over
// HumanEval-X's 164). At four times node 20's budget, optimizing is left to the code that runs
// often: 1.05x the whole `assay verify` of the 164.
//
// The configuration: `Linter.verify` normalizes a plain flat configuration anew for every file,
// but takes a normalized one as it is (1.055x the same run). ESLint does not export the class
// that holds one, so it is looked up where ESLint 9 keeps it; an ESLint without it there gets
// the plain configuration, with the same answers.
"use strict";
const path = require("path");
const v8 = require("v8");

v8.setFlagsFromString("--interrupt-budget=270336");

exports.normalized = function normalized(eslintDir, config) {
  let FlatConfigArray;
  try {
    ({ FlatConfigArray } = require(path.join(eslintDir, "lib", "config", "flat-config-array")));
  } catch (err) {
    return config;
  }
  if (typeof FlatConfigArray !== "function") return config;
  const array = new FlatConfigArray(config, { basePath: process.cwd() });
  array.normalizeSync();
  return array;
};
