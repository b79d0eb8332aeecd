// The node zygote: a warm node that forks each JavaScript run of a worker instead of starting
// node afresh (sandbox/isolation/zygote.py starts and drives it; zygote.py here builds its addon).
//
// `node [the run's flags] --single-threaded zygote.js ADDON FRONT_PID UID GID`
//
// Trusted side: it never runs any of a sample's code itself. It runs as root, outside the pid
// namespace of the worker's front; its children are born in that namespace, where the front's
// kill(-1) ends them as it ends any run's processes. A forked runner, while still trusted, sets
// itself up in the addon (zygote.c: the front's mounts, network and IPC, the run's pipes and
// token, limits, the sample's uid with no capability), then is what `node assay_harness.js ARGS`
// in the work dir would be: the harness is the main module, loaded from the work dir. What it
// shares with the zygote is node itself, booted, the built-in modules a run loads, compiled, and
// the harness's own modules (below). Math.random, seeded once per node, repeats from one run to
// the next.
"use strict";
const fs = require("fs");
const Module = require("module");
const path = require("path");
const v8 = require("v8");
const vm = require("vm");

const HARNESS = "assay_harness.js";
const [addonPath, front, uid, gid] = process.argv.slice(2);
const native = require(addonPath);
// What a run of the harness loads (node's own modules), compiled once.
for (const name of ["assert", "assert/strict", "events", "net", "os", "path", "perf_hooks",
  "stream", "string_decoder", "timers", "tty", "util", "vm"]) require(name);

// The harness's own modules, every file of the box but its main one: factories, with no state
// until called. The zygote loads them once, for the work dir of its first request, compiled whole
// (V8 would compile each function at its first call, in every run); a runner puts them in the
// module cache under the names its harness requires them by, where its copy in the work dir is the
// same text, so the harness finds them loaded, as after loading them itself. Each run then
// compiles ~45 KB less.
const BOX = path.join(__dirname, "box");
const OWN = fs.readdirSync(BOX).filter((name) => name.endsWith(".js") && name !== HARNESS).sort()
  .map((name) => [name, fs.readFileSync(path.join(BOX, name), "utf8")]);
let own = null; // {workdir, modules: [[filename, source, module]]}

function loadOwn(workdir) {
  const modules = [];
  v8.setFlagsFromString("--no-lazy");
  try {
    for (const [name, source] of OWN) {
      const filename = path.join(workdir, name);
      const module = new Module(filename, null);
      module.filename = filename;
      const wrapper = vm.compileFunction(source, ["exports", "require", "module", "__filename", "__dirname"],
        { filename });
      wrapper.call(module.exports, module.exports, Module.createRequire(filename), module, filename, workdir);
      module.loaded = true;
      modules.push([filename, source, module]);
    }
  } finally {
    v8.setFlagsFromString("--lazy");
  }
  return { workdir, modules };
}

function fail(why) {
  fs.writeSync(2, `assay node zygote: ${why}\n`);
  process.exit(70);
}

const entered = native.enter(Number(front));
if (entered !== undefined) fail(`cannot enter the pid namespace of process ${front}: ${entered}`);
if (!(Number(uid) > 0 && Number(gid) > 0)) fail("usage: zygote.js ADDON FRONT_PID UID GID");

let pending = "";
const buffer = Buffer.alloc(65536);
function nextRequest() {
  while (!pending.includes("\n")) {
    const n = fs.readSync(0, buffer, 0, buffer.length, null);
    if (n === 0) return null;
    pending += buffer.toString("utf8", 0, n);
  }
  const at = pending.indexOf("\n");
  const line = pending.slice(0, at);
  pending = pending.slice(at + 1);
  let run = null;
  try {
    run = JSON.parse(line);
  } catch (err) {
    // below
  }
  const valid = run !== null && typeof run === "object" && Array.isArray(run.fds) && run.fds.length === 3 &&
    Array.isArray(run.rlimits) && typeof run.cwd === "string" && Array.isArray(run.args) &&
    /^[0-9a-f]{32}$/.test(run.token);
  if (!valid) fail("a request it cannot read");
  return run;
}

// Serves until its client closes the requests; returns the run in a forked runner.
function serve() {
  fs.writeSync(1, "R\n");
  for (;;) {
    const run = nextRequest();
    if (run === null) return null;
    if (own === null || own.workdir !== run.cwd) own = loadOwn(run.cwd);
    const pid = native.fork();
    if (pid === 0) return run;
    const report = pid < 0 ? '{"status":null,"error":"fork failed"}' : native.wait(pid);
    fs.writeSync(1, `X ${report}\n`);
  }
}

// A runner's own fork, as the harness uses it: the child's process.pid and ppid its own.
const forker = Object.freeze({
  pipe: () => (native.pipe() || "-1 -1").split(" ").map(Number),
  fork(keep) {
    const pid = native.fork(keep);
    if (pid === 0) {
      const [self, parent] = native.pids().split(" ").map(Number);
      Object.defineProperty(process, "pid", { value: self, writable: false, enumerable: true, configurable: true });
      process.ppid = parent;
    }
    return pid;
  },
  wait: (pid) => JSON.parse(native.wait(pid)),
});

// In the runner: set up, then the harness as node would run it, on the next tick (no frame of
// this file on the sample's stacks).
function becomeRunner(run) {
  const limit = (value) => (Number.isSafeInteger(value) && value >= 0 ? value : -1);
  const limits = run.rlimits.map(([which, soft, hard]) => `${which | 0} ${limit(soft)} ${limit(hard)}`);
  const request = [...run.fds.map((fd) => fd | 0), uid, gid, limits.length, ...limits, run.token].join(" ");
  let failed = native.become(request);
  if (failed === undefined) {
    try {
      process.chdir(run.cwd);
    } catch (err) {
      failed = "the work dir";
    }
  }
  if (failed !== undefined) {
    fs.writeSync(2, `assay node zygote: the runner could not set up ${failed}\n`);
    native.exit(71);
  }
  const [pid, ppid] = native.pids().split(" ").map(Number);
  Object.defineProperty(process, "pid", { value: pid, writable: false, enumerable: true, configurable: true });
  process.ppid = ppid;
  process.on("exit", (code) => native.status(code));
  process.reallyExit = (code) => native.exit(Number(code) | 0);
  // For the harness, which takes it before any of the sample's code runs: the sample's run forked
  // apart, so that the strength check's run follows in a process it never touched
  // (box/assay_next_phase.js).
  Object.defineProperty(process, "assayFork", { value: forker, configurable: true });
  process.argv = [process.argv[0], path.join(run.cwd, HARNESS), ...run.args.map(String)];
  for (const [filename, source, module] of own.modules) {
    let same = false;
    try {
      same = fs.readFileSync(filename, "utf8") === source;
    } catch (err) {
      // not there: the harness fails to load it, as it would
    }
    if (same) require.cache[filename] = module;
  }
  for (const file of [__filename, require.resolve(addonPath)]) delete require.cache[file];
  process.nextTick(Module.runMain);
}

const run = serve();
if (run !== null) becomeRunner(run);
