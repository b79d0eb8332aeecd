// Describing what a test threw, for assay's harness (assay_harness.js), in the box: the error's
// name and message (with the values an assertion compared), and its stack in the sample's files
// alone (no frame of node's or of assay's files, paths relative to the work dir), each clipped.
// `require`d by the harness before any of the sample's code runs, which is when it takes
// `util.inspect` and `util.types.isNativeError`.
"use strict";
const util = require("util");

module.exports = function describing(workdir, ownFiles) {
  const inspect = util.inspect;
  const isError = util.types.isNativeError;

  function clip(text, limit) {
    return text.length > limit ? `${text.slice(0, limit)}... [${text.length - limit} more characters]` : text;
  }

  function describe(value) {
    try {
      if (isError(value) || (value !== null && typeof value === "object" && typeof value.stack === "string")) {
        let text = `${value.name || "Error"}: ${value.message}`;
        if (value.code === "ERR_ASSERTION" && value.generatedMessage === false && value.operator !== "fail") {
          const actual = inspect(value.actual, { depth: 4 });
          const expected = inspect(value.expected, { depth: 4 });
          // Node 20 adds the values to a message the test gave; node 18 does not.
          if (!`${value.message}`.includes("\n")) text += `\n  actual: ${actual}\n  expected: ${expected}`;
        }
        return clip(text, 2000);
      }
      return clip(`thrown: ${inspect(value, { depth: 4 })}`, 2000);
    } catch (err) {
      return "an error that cannot be shown";
    }
  }

  function frames(value) {
    let stack = "";
    try {
      stack = value !== null && typeof value === "object" ? `${value.stack}` : "";
    } catch (err) {
      return "";
    }
    const kept = [];
    for (const line of stack.split("\n")) {
      if (!/^\s+at /.test(line) || line.includes("node:internal") || ownFiles.some((f) => line.includes(f))) continue;
      kept.push(line.split(workdir).join(""));
    }
    return clip(kept.join("\n"), 4000);
  }

  // A failure record of assay_node_test.js: {thrown}, {message} or {prefix, cause}.
  function failureText(failure) {
    if (failure.prefix !== undefined) return `${failureText(failure.cause)}\n(${failure.prefix})`;
    if (failure.message !== undefined) return failure.message;
    return describe(failure.thrown);
  }

  function failureDetail(failure) {
    if (failure.cause !== undefined) return failureDetail(failure.cause);
    return failure.thrown !== undefined ? frames(failure.thrown) : "";
  }

  return { describe, frames, failureText, failureDetail };
};
