// ESLint's flat configuration, normalized once, for a warm ESLint (eslint_server.js, and
// TypeScript's ts_server.js): `Linter.verify` normalizes a plain configuration anew on every call
// (~15% of a warm ESLint's CPU), but takes a normalized one as it is. ESLint does not export the
// class that holds one, so it is looked up where ESLint 9 keeps it; an ESLint without it there gets
// the plain configuration, with the same answers.
"use strict";
const path = require("path");

module.exports = function normalized(eslintDir, config) {
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
