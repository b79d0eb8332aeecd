// assay's test harness for JavaScript: `node assay_harness.js solution.test.js` in the box.
//
// Untrusted side: it runs in the sample's process, but before any of the sample's code. It reads
// the run's token from descriptor 4 and closes it, captures what it needs of the built-ins, locks
// the ways a sample could swap `node:test` for something else, then loads the tests (which load
// the solution) with `node:test` served by assay_node_test.js, runs them one at a time and writes
// each event as `<token> <json>` on descriptor 3 (sandbox/isolation/channel.py). `end` is written
// only after the last test ran; an early exit (`process.exit(0)` anywhere), a crash or a test
// that never ends leaves the report without it, which the verifier rejects. Before `end`, the event
// loop runs on until it is empty (at most DRAIN_MS): what a callback, timer or promise the tests
// did not wait for throws then fails the last test, whose report waits for it. After the file loaded
// and after each test, the built-ins (Object, Array, JSON, Promise, ... and their prototypes) are
// compared with how they were before the sample ran: a change fails that test, unless it is a mock
// the tests file made with node:test's mock API (assay_builtins.js says how it tells).
//
// When the sandbox put the next phase's files (the strength check's stub) beside the sample's, as
// `.assay_next.<name>`, the harness reads and removes them before any of the sample's code runs
// (assay_next_phase.js). Where the run was forked from the node zygote, the sample's tests then run
// in a child of this process; after every test passed, and if the child left nothing behind that
// could reach into another run (another process, a file in the work dir, /tmp or /dev/shm, a
// System V IPC object), this process, which never ran any of the sample's code, reports `next`,
// sends its output nowhere, puts those files in place and runs the tests, outcomes only. Else it
// ends as the child did, and the sandbox runs the next phase in a fresh process
// (sandbox/isolation/steps.py), as it does wherever node was not forked.
"use strict";
const fs = require("fs");

let token = "";
try {
  token = fs.readFileSync(4, "latin1").trim();
  fs.closeSync(4);
} catch (err) {
  fs.writeSync(2, `assay harness: cannot read the run's token: ${err}\n`);
  process.reallyExit(70);
}
if (!/^[0-9a-f]{32}$/.test(token)) {
  fs.writeSync(2, "assay harness: the run's token is malformed\n");
  process.reallyExit(70);
}
// The zygote's fork, where the run was forked from it (zygote.js): taken before any of the sample's
// code runs.
const forker = process.assayFork;
delete process.assayFork;

// Output to a pipe is written at once, not queued: node queues what the pipe cannot take, and
// the run ends with reallyExit, which would drop the queue, so a flood would never reach the
// sandbox's output limit (a file or /dev/null is written at once already).
for (const stream of [process.stdout, process.stderr]) {
  if (stream._handle && typeof stream._handle.setBlocking === "function") stream._handle.setBlocking(true);
}

const Module = require("module");
const path = require("path");
const util = require("util");
const assert = require("assert");
const timers = require("timers");
const { performance } = require("perf_hooks");

// What the harness calls once the sample's code ran: captured now.
const { apply, defineProperty, getOwnPropertyDescriptor } = Reflect;
const promiseThen = Promise.prototype.then;
const NativePromise = Promise;
const P = {
  Promise: NativePromise,
  call: (fn, self, ...args) => apply(fn, self, args),
  then: (promise, onFulfilled, onRejected) => apply(promiseThen, promise, [onFulfilled, onRejected]),
  isPromise: util.types.isPromise,
  later: timers.setImmediate,
  setTimer: timers.setTimeout,
  clearTimer: timers.clearTimeout,
  resolved: () => new NativePromise((resolve) => resolve()),
};
const { writeSync } = fs;
const bufferFrom = Buffer.from;
const stringify = JSON.stringify;
const now = performance.now.bind(performance);
const reallyExit = process.reallyExit.bind(process);
const activeResources = process.getActiveResourcesInfo.bind(process);
const unrefTimer = (() => {
  const probe = timers.setTimeout(() => {}, 1);
  timers.clearTimeout(probe);
  return probe.unref;
})();
const originalLoad = Module._load;
const compileJs = Module._extensions[".js"];
const nativeRequire = Module.prototype.require;

const argv = process.argv.slice(2);
let outcomesOnly = argv.includes("--outcomes-only");
const testsFile = path.resolve(argv.find((a) => !a.startsWith("--")) || "solution.test.js");
const testsName = path.basename(testsFile);
const workdir = path.dirname(testsFile) + path.sep;
const ownFiles = [__filename, ...["assay_node_test.js", "assay_invoke.js", "assay_next_phase.js",
  "assay_builtins.js", "assay_describe.js"].map((f) => path.join(__dirname, f))];
// One of the harness's own modules, loaded, then forgotten by the module cache.
function own(name) {
  const exported = require(`./${name}`);
  delete require.cache[path.join(__dirname, name)];
  return exported;
}

// The next phase's files, read and removed now, before any of the sample's code runs.
const nextPhase = own("assay_next_phase.js")(workdir, !outcomesOnly, forker);
let reportedCases = 0;
let passedCases = 0;

// The report channel -----------------------------------------------------------------------------
let seq = 0;
function send(fields) {
  const data = bufferFrom(`${token} {"seq":${seq},${fields}}\n`, "utf8");
  seq += 1;
  let done = 0;
  while (done < data.length) done += writeSync(3, data, done, data.length - done);
}
const str = (value) => stringify(`${value}`);
function strings(list) {
  let out = "";
  for (let i = 0; i < list.length; i++) out += (i ? "," : "") + str(list[i]);
  return `[${out}]`;
}

// The built-ins a sample must leave alone ---------------------------------------------------------
// Noted now, before any of the sample's code runs. When the tests use node:test's mock API, node's
// own node:test is loaded now too, and its MockTracker guarded: a mock of a built-in the tests file
// makes is then no change while it lasts.
let testsSource = "";
try {
  testsSource = fs.readFileSync(testsFile, "utf8");
} catch (err) {
  // no tests file: the collection error below says so
}
let MockTracker = null;
const mockTracker = () => MockTracker ||
  (MockTracker = apply(originalLoad, Module, ["node:test", null, false]).mock.constructor);
const mocking = testsSource.includes("mock");
if (mocking) mockTracker();
const checker = own("assay_builtins.js")(testsFile, ownFiles);
if (mocking) {
  const sources = ownFiles.map((file) => [file, fs.readFileSync(file, "utf8")]);
  checker.guardMocks(MockTracker, [[testsFile, testsSource], ...sources]);
}
const tamperedMessage = (what) =>
  `the code modified the built-in ${what}: code under test must leave built-in objects alone`;

// Locks: what a sample could otherwise swap ------------------------------------------------------
Object.freeze(assert);
Object.freeze(assert.strict);
let depth = 0; // modules being loaded: 1 while the tests' own top-level code runs
const globalErrors = [];
let state = "loading"; // then "collecting", "running", "done"
let runner = null;

function load(request, parent, isMain) {
  if (request === "node:test") return runner.api;
  depth += 1;
  try {
    return apply(originalLoad, this, [request, parent, isMain]);
  } finally {
    depth -= 1;
  }
}
function lock(object, key, value) {
  // As enumerable as it was: node tries the extensions of `require("./solution")` by listing them.
  const was = getOwnPropertyDescriptor(object, key);
  const enumerable = was !== undefined && was.enumerable;
  defineProperty(object, key, { value, writable: false, configurable: false, enumerable });
}
lock(Module, "_load", load);
lock(Module.prototype, "require", nativeRequire);
lock(Module._extensions, ".js", function (module, filename) {
  lock(module, "require", nativeRequire);
  return apply(compileJs, this, [module, filename]);
});
const refuse = (what) => () => {
  throw new Error(`${what} is not available in assay's sandbox`);
};
lock(process, "binding", refuse("process.binding"));
lock(process, "_linkedBinding", refuse("process._linkedBinding"));

const createRunner = own("assay_node_test.js");
const invoker = own("assay_invoke.js");
const { describe, frames, failureText, failureDetail } = own("assay_describe.js")(workdir, ownFiles);
// Node's ways of compiling code under a file name of one's choice may not take the tests' or the
// harness's own names (the stack tells who made a mock by them): Module.prototype._compile only for
// the tests file as the harness loads it, vm never, and no module loader hooks.
let testsCompiled = false;
const compile = Module.prototype._compile;
lock(Module.prototype, "_compile", function (content, filename) {
  if (checker.isProtectedName(filename)) {
    const mayLoadTests = filename === testsFile && depth === 1 && state === "loading" && !testsCompiled;
    if (!mayLoadTests) throw new Error(`${filename} may not be compiled again in assay's sandbox`);
    testsCompiled = true;
  }
  return apply(compile, this, arguments);
});
checker.guardNames(require("vm"), lock);
if (typeof Module.register === "function") lock(Module, "register", refuse("module.register"));

// The mock trackers served (node:test's `mock` and each test's `t.mock`), frozen.
const newTracker = () => Object.freeze(new (mockTracker())());
function newRunner() {
  let shared = null;
  runner = createRunner(P, {
    mayDefine: () => depth === 1 && state === "loading",
    depth: () => depth,
    defineError: (message) => globalErrors.push(message),
    suiteError: (name, failure) => globalErrors.push(`${name ? `describe("${name}"): ` : ""}${failureText(failure)}`),
    describe,
    assert,
    sharedMock: () => shared || (shared = newTracker()),
    newMock: newTracker,
    beforeReset: (t) => {
      const changed = checker.tampered();
      if (changed !== null && t.error === null) t.error = { message: tamperedMessage(changed) };
    },
    // A failure found once `t` (a reported test) may have been reported: its own if not yet.
    lateFailure: (t, failure) => {
      if (!t.reported) {
        if (t.error === null) t.error = failure;
      } else globalErrors.push(failureText(failure));
    },
  }, invoker(P));
  Object.freeze(runner.api);
  Object.freeze(runner.api.describe);
}
newRunner();

// Errors no test caught: a failure of the test that runs, or that just ended (an unhandled
// rejection surfaces a turn after its test returned), or, once the last test ended, of that test
// (its report held back until the run drained), else of the run.
let settling = null;
let held = null; // the last test, reported once the run drained: {t, id, duration}
const AFTER_END = "thrown after the tests ended, by a callback, timer or promise a test did not wait for";
process.setUncaughtExceptionCaptureCallback((err) => {
  if (state === "running" && runner.running !== null) runner.uncaught({ thrown: err });
  else if (state === "running" && settling !== null && settling.error === null) settling.error = { thrown: err };
  else if (held !== null && held.t.error === null) {
    held.t.error = { prefix: AFTER_END, cause: { thrown: err } };
  } else globalErrors.push(`uncaught ${describe(err)}\n${frames(err)}`.trim());
});
process.on("beforeExit", () => {
  if (state === "running") runner.neverSettled();
  else if (state === "draining") drainedMaybe();
  else if (state === "collecting") {
    globalErrors.push("a describe() body's promise never settled");
    collected();
  }
});

// After the last test, the event loop runs until it is empty (at once for most runs), as node runs
// a tests file until its process would exit: a callback, timer or promise a test did not wait for
// still runs, and what it throws fails the last test. Bounded: a timer that never ends (or a server
// left open) cannot keep the run alive longer than DRAIN_MS, and whatever is still pending then
// never runs.
const DRAIN_MS = 2000;
let drained = null; // while the run drains: what ends the drain
function drain(done) {
  state = "draining";
  const timer = P.setTimer(() => end(), DRAIN_MS);
  apply(unrefTimer, timer, []); // the bound alone does not keep the loop alive
  const end = () => {
    if (drained !== end) return;
    drained = null;
    P.clearTimer(timer);
    state = "running";
    done();
  };
  drained = end;
}
// `beforeExit`: the loop ran dry, unless the sample emitted the event itself (something is
// still active then); if so, or if node counts something that does not keep the loop alive, a
// short timer makes the loop look again.
function drainedMaybe() {
  if (drained === null) return;
  if (activeResources().every((r) => r === "PipeWrap" || r === "TTYWrap")) drained();
  else P.setTimer(() => {}, 5);
}

// The run ------------------------------------------------------------------------------------------
function start() {
  send('"t":"start"');
  try {
    require(testsFile);
    const changed = checker.tampered();
    if (changed !== null) globalErrors.push(tamperedMessage(changed));
  } catch (err) {
    globalErrors.push(`${frames(err)}\n${describe(err)}`.trim());
  }
  state = "collecting";
  runner.collect(collected);
}
// The sample's run; then, where it ran in a forked child and passed cleanly, the strength check's
// here, outcomes only.
if (nextPhase.fork(start, (next) => { seq = next; send('"t":"next"'); })) {
  outcomesOnly = true;
  start();
}

function collected() {
  if (state !== "collecting") return;
  const ids = runner.reported.map((t) => `${testsName}::${t.id}`);
  if (globalErrors.length) {
    send(`"t":"collected","ids":${strings(ids)},"errors":${strings(globalErrors)}`);
    for (const error of globalErrors) writeSync(2, `${error}\n`);
    return finish(2);
  }
  send(`"t":"collected","ids":${strings(ids)},"errors":[]`);
  state = "running";
  let failed = 0;
  let count = 0;
  const total = runner.reported.length;
  const flush = (entry) => {
    report(entry.t, entry.id, entry.duration);
    if (entry.t.error !== null) failed += 1;
  };
  runner.run((t, run, next) => {
    const id = `${testsName}::${t.id}`;
    send(`"t":"begin","id":${str(id)}`);
    const started = now();
    count += 1;
    const last = count === total;
    run(t, () => {
      settling = t;
      P.later(() => {
        settling = null;
        const entry = { t, id, duration: now() - started };
        if (last) held = entry;
        else flush(entry);
        next();
      });
    });
  }, () => drain(() => {
    if (held !== null) {
      const entry = held;
      held = null;
      flush(entry);
    }
    for (const error of globalErrors) writeSync(2, `${error}\n`);
    finish(failed || globalErrors.length ? 1 : 0);
  }));
}

function report(t, id, ms) {
  const changed = checker.tampered();
  if (changed !== null && t.error === null) t.error = { message: tamperedMessage(changed) };
  t.reported = true;
  const duration = (ms / 1000).toFixed(4);
  let outcome = "passed";
  let message = "";
  let detail = "";
  if (t.error !== null) {
    outcome = / hook$/.test(`${t.error.prefix}`) ? "error" : "failed";
    if (!outcomesOnly) {
      message = failureText(t.error).split(workdir).join("");
      detail = failureDetail(t.error);
    }
  } else if (t.skipped) outcome = "skipped";
  reportedCases += 1;
  if (outcome === "passed") passedCases += 1;
  send(`"t":"case","id":${str(id)},"outcome":"${outcome}","message":${str(message)},"detail":${str(detail)},"duration":${duration}`);
}

function finish(status) {
  state = "done";
  send(`"t":"end","exitstatus":${status}`);
  // A forked run's child tells this process's parent whether the strength check's run may follow
  // there: after a clean pass only (tests ran, and every one passed).
  nextPhase.ended(seq, status === 0 && reportedCases > 0 && reportedCases === passedCases);
  reallyExit(status === 0 ? 0 : 1);
}
