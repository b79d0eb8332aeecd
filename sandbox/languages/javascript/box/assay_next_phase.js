// The strength check's run without a fresh node start, for assay's harness (assay_harness.js), in
// the box. `require`d by the harness before any of the sample's code runs: it reads and removes the
// next phase's files (`.assay_next.<name>`, put beside the sample's by sandbox/isolation/steps.py).
// Where the run was forked from the node zygote (its `fork`, sandbox/languages/javascript/
// zygote.js), the sample's tests run in a child of this process; after a clean pass that left
// nothing behind (another process, a new or removed file in the work dir, /tmp or /dev/shm, a
// System V IPC object), the harness reports `next`, puts the files in place and runs the tests
// itself, outcomes only: this process never ran any of the sample's code, so nothing the first run
// did (a global, a property of a built-in module, the environment, a module's state) can tell the
// second it is the stub's. Else it ends as the child did, and the sandbox runs the next phase in a
// fresh process, as it always does where there is no fork (a fresh node, Docker, weak isolation).
"use strict";
const fs = require("fs");
const path = require("path");

module.exports = function nextPhase(workdir, takeFiles, forker) {
  const { readdirSync, readFileSync, readSync, writeFileSync, openSync, closeSync, unlinkSync, writeSync } = fs;
  const NEXT = ".assay_next.";
  const SCRATCH = [workdir, "/tmp", "/dev/shm"];
  const SYSV_IPC = ["/proc/sysvipc/shm", "/proc/sysvipc/sem", "/proc/sysvipc/msg"];

  let files = null; // [[name, bytes]], or null: no next phase here
  for (const name of takeFiles ? readdirSync(workdir) : []) {
    if (!name.startsWith(NEXT)) continue;
    files = files || [];
    files.push([name.slice(NEXT.length), readFileSync(path.join(workdir, name))]);
    unlinkSync(path.join(workdir, name));
  }
  let handoff = -1; // in the child: the write end of the pipe its parent reads how its run ended

  const listing = (dir) => {
    try {
      return readdirSync(dir).sort().join("\n");
    } catch (err) {
      return null;
    }
  };

  // What the child's run left that could reach into the next one, if anything.
  function leftBehind(places) {
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
    return null;
  }

  // The sample's run (`run`) in a child, then this process as the next phase's, if the child's
  // ended in a clean pass that left nothing behind: true then, with the sequence number the
  // channel goes on from (`onNext(seq)`, which reports `next`), the next phase's files in place
  // and this process's output going nowhere. Without a fork, `run` here, and false.
  function fork(run, onNext) {
    const alone = () => { // no fork: the sample's run here, and the next phase afresh
      files = null;
      run();
      return false;
    };
    const [read, write] = files !== null && forker !== undefined ? forker.pipe() : [-1, -1];
    if (read < 0) return alone();
    const places = SCRATCH.map(listing);
    const pid = forker.fork(write);
    if (pid === 0) { // the child: the sample's run (its copy of the read end closed by the fork)
      handoff = write;
      run();
      return false;
    }
    closeSync(write);
    if (pid < 0) {
      closeSync(read);
      return alone();
    }
    const waited = forker.wait(pid);
    const said = Buffer.alloc(64);
    let length = 0;
    try {
      length = readSync(read, said, 0, said.length, null);
    } catch (err) {
      // nothing said (EAGAIN): the child did not end in the harness's own way
    }
    closeSync(read);
    const status = waited.status;
    if (status === null) process.reallyExit(70);
    if ((status & 0x7f) !== 0) { // ended by a signal: so does this process, for the verdict
      const signal = status & 0x7f;
      process.kill(process.pid, signal);
      process.reallyExit(128 + signal);
    }
    const code = (status >> 8) & 0xff;
    const clean = /^(\d+) clean$/.exec(said.toString("latin1", 0, length));
    if (code !== 0 || clean === null || leftBehind(places) !== null) process.reallyExit(code);
    onNext(Number(clean[1]));
    for (const fd of [1, 2]) { // the lowest free descriptors: 1 and 2 become /dev/null
      closeSync(fd);
      if (openSync("/dev/null", "w") !== fd) process.reallyExit(0);
    }
    for (const [name, data] of files) writeFileSync(path.join(workdir, name), data);
    files = null;
    return true;
  }

  // In the child, as its run ends: how, for this process (`seq`: the channel's next number).
  function ended(seq, clean) {
    if (handoff < 0) return;
    try {
      writeSync(handoff, `${seq} ${clean ? "clean" : "not"}`);
    } catch (err) {
      // the child ends unclean: the next phase runs afresh
    }
  }

  return { fork, ended };
};
