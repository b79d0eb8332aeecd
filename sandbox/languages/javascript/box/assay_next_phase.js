// The strength check's run in the same node process, for assay's harness (assay_harness.js), in
// the box. `require`d by the harness before any of the sample's code runs: it reads and removes
// the next phase's files (`.assay_next.<name>`, put beside the sample's by
// sandbox/isolation/steps.py) and takes note of what a run could leave behind; after a clean pass
// `leftBehind()` says what the run left that could reach into the next one, and `enter()` makes
// the process as the next run would find a fresh one: its output going nowhere, the working
// directory and the environment restored, the globals the sample added deleted, the next phase's
// files in place and the work dir's modules forgotten.
"use strict";
const fs = require("fs");
const path = require("path");

module.exports = function nextPhase(workdir, takeFiles) {
  const { readdirSync, readFileSync, writeFileSync, openSync, closeSync, unlinkSync } = fs;
  const { getOwnPropertyDescriptor, getPrototypeOf, ownKeys } = Reflect;
  const activeResources = process.getActiveResourcesInfo.bind(process);
  const chdir = process.chdir.bind(process);
  const is = Object.is;
  const NEXT = ".assay_next.";
  const SCRATCH = [workdir, "/tmp", "/dev/shm"];
  const SYSV_IPC = ["/proc/sysvipc/shm", "/proc/sysvipc/sem", "/proc/sysvipc/msg"];
  const LOOSE = new Set(["prepareStackTrace", "stackTraceLimit"]); // Error's knobs, as the harness

  let files = null; // [[name, bytes]], or null: no next phase here
  for (const name of takeFiles ? readdirSync(workdir) : []) {
    if (!name.startsWith(NEXT)) continue;
    files = files || [];
    files.push([name.slice(NEXT.length), readFileSync(path.join(workdir, name))]);
    unlinkSync(path.join(workdir, name));
  }
  const listing = (dir) => {
    try {
      return readdirSync(dir).sort().join("\n");
    } catch (err) {
      return null;
    }
  };
  const places = SCRATCH.map(listing);
  const environment = { ...process.env };
  const cwd = process.cwd();
  const globalKeys = ownKeys(globalThis);
  const globalDescriptors = globalKeys.map((key) => getOwnPropertyDescriptor(globalThis, key));
  const globalProto = getPrototypeOf(globalThis);

  function same(a, b) {
    if (a === undefined || b === undefined) return a === b;
    return is(a.value, b.value) && a.get === b.get && a.set === b.set && a.writable === b.writable &&
      a.enumerable === b.enumerable && a.configurable === b.configurable;
  }

  // What the run left that could reach into the next one, if anything.
  function leftBehind() {
    const active = activeResources().filter((r) => r !== "PipeWrap" && r !== "TTYWrap");
    if (active.length) return `an active ${active[0]}`;
    if (readdirSync("/proc").some((p) => /^\d+$/.test(p) && +p !== 1 && +p !== process.pid)) return "a process";
    const now = SCRATCH.map(listing);
    for (let i = 0; i < now.length; i++) if (now[i] !== places[i]) return `a file in ${SCRATCH[i]}`;
    for (const file of SYSV_IPC) {
      try {
        if (readFileSync(file, "latin1").trim().split("\n").length > 1) return "a System V IPC object";
      } catch (err) {
        // no such listing here
      }
    }
    if (getPrototypeOf(globalThis) !== globalProto) return "the prototype of globalThis";
    for (let i = 0; i < globalKeys.length; i++) {
      const key = globalKeys[i];
      if (!LOOSE.has(key) && !same(getOwnPropertyDescriptor(globalThis, key), globalDescriptors[i])) {
        return `the global ${String(key)}`;
      }
    }
    for (const key of ownKeys(globalThis)) {
      const added = !globalKeys.includes(key) && getOwnPropertyDescriptor(globalThis, key);
      if (added && !added.configurable) return `the global ${String(key)}`;
    }
    return null;
  }

  // The process as the next run finds a fresh one; `keep`: modules of the work dir that stay.
  function enter(keep) {
    const next = files;
    files = null;
    for (const fd of [1, 2]) { // the lowest free descriptors: 1 and 2 become /dev/null
      closeSync(fd);
      if (openSync("/dev/null", "w") !== fd) throw new Error("descriptor");
    }
    chdir(cwd);
    for (const name of Object.keys(process.env)) if (!(name in environment)) delete process.env[name];
    for (const [name, value] of Object.entries(environment)) process.env[name] = value;
    for (const key of ownKeys(globalThis)) if (!globalKeys.includes(key)) delete globalThis[key];
    for (const [name, data] of next) writeFileSync(path.join(workdir, name), data);
    for (const key of Object.keys(require.cache)) {
      if (key.startsWith(workdir) && !keep.includes(key)) delete require.cache[key];
    }
  }

  return {
    get pending() {
      return files !== null;
    },
    leftBehind,
    enter,
  };
};
