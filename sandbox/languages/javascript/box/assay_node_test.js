// The `node:test` API as samples use it, for assay's harness (assay_harness.js), in the box:
// test/it, describe/suite, before/after/beforeEach/afterEach, skip/todo, subtests (t.test or a
// test() inside a running test), a test's own hooks (t.before/t.after/t.beforeEach/t.afterEach),
// the done callback, per-test timeouts and node:test's `mock`. Tests run one at a time in the
// order they were defined, as node:test runs a file's tests. Each test defined at the top level or
// in a describe block is one reported test; a subtest counts towards its parent. Hooks follow node
// 20: a running test's `before` runs at once and its subtests wait for it; its `after` runs when
// the test and its subtests ended, after the afterEach hooks, pass or fail; a test's `beforeEach`
// and `afterEach` run for its subtests; afterEach hooks run innermost first, each level in the order
// defined. A hook that fails fails its test (a failure the test already had stands). Not supported:
// run(), snapshots, t.plan(); `only` runs every test, as node:test does without --test-only.
//
// This runs in the sample's process. Where it decides an outcome it calls what the harness
// captured before any of the sample's code ran (`P`), and the harness checks the built-ins after
// every test: a sample that tampers with them fails.
"use strict";

module.exports = function create(P, host, calls) {
  const { call, then, isPromise, later, resolved } = P;
  const { invoke, endInnermost } = calls; // assay_invoke.js's, for this runner
  const ROOT = suiteNode(null, "", {}, null);
  const reported = []; // the reported tests, in the order they were defined
  const seen = new Map(); // full name -> how many tests have it, for unique ids
  const building = []; // describe blocks whose bodies run now
  const builds = []; // promises of async describe bodies
  const unsettled = []; // their suites, while their bodies run
  let running = null; // the test whose function (or subtests) runs now
  let collected = false;

  function suiteNode(parent, name, options, fn) {
    return {
      kind: "suite", parent, name, fn, children: [], skip: !!(options.skip || options.todo),
      hooks: { before: [], after: [], beforeEach: [], afterEach: [] },
    };
  }

  function testNode(parent, name, options, fn) {
    return {
      kind: "test", parent, name, fn, skip: !!(options.skip || options.todo),
      timeout: typeof options.timeout === "number" ? options.timeout : Infinity,
      hooks: { before: [], after: [], beforeEach: [], afterEach: [] },
      id: null, error: null, skipped: false, queue: [], subRunning: false, finishing: null,
      ctx: null, over: false, beforeRunning: 0, beforeError: null, reported: false,
    };
  }

  function fullName(n) {
    let name = n.name;
    for (let p = n.parent; p !== null && p !== ROOT; p = p.parent) name = `${p.name} > ${name}`;
    return name;
  }

  // (name?, options?, fn?) in any of the orders node:test takes.
  function parse(a, b, c) {
    let name = a;
    let options = b;
    let fn = c;
    if (typeof a === "function") {
      name = undefined;
      options = {};
      fn = a;
    } else if (a !== null && typeof a === "object") {
      name = undefined;
      options = a;
      fn = b;
    }
    if (typeof options === "function") {
      fn = options;
      options = {};
    }
    if (options === null || typeof options !== "object") options = {};
    if (typeof fn !== "function") fn = () => {};
    if (name === undefined) name = fn.name || "<anonymous>";
    return { name: `${name}`, options, fn };
  }

  // Where a test or hook defined now belongs: the describe body that runs, the running test (a
  // subtest), the top level while the tests load, or the async describe body that awaits.
  function where() {
    if (building.length) return building[building.length - 1];
    if (running !== null) return running;
    if (collected) return null;
    if (host.mayDefine()) return ROOT;
    return unsettled.length && host.depth() === 0 ? unsettled[unsettled.length - 1] : null;
  }

  function define(kind, a, b, c, extra) {
    const { name, options, fn } = parse(a, b, c);
    if (extra) options[extra] = true;
    const parent = where();
    if (parent === null) {
      host.defineError(`the test "${name}" was defined outside the top level of the tests`);
      return resolved();
    }
    if (kind === "suite") {
      if (parent.kind !== "suite") {
        host.defineError(`describe("${name}") was called inside a running test`);
        return resolved();
      }
      const suite = suiteNode(parent, name, options, fn);
      parent.children.push(suite);
      build(suite);
      return resolved();
    }
    const t = testNode(parent, name, options, fn);
    if (parent.kind === "suite") {
      parent.children.push(t);
      const full = fullName(t);
      const count = (seen.get(full) || 0) + 1;
      seen.set(full, count);
      t.id = count === 1 ? full : `${full} (${count})`;
      reported.push(t);
      return resolved();
    }
    return new P.Promise((resolve) => {
      t.settle = resolve;
      parent.queue.push(t);
      later(() => pump(parent));
    });
  }

  function build(suite) {
    if (suite.skip) return; // its body never runs: nothing in it is a test
    building.push(suite);
    try {
      const out = call(suite.fn, undefined, { name: suite.name, fullName: fullName(suite) });
      if (isPromise(out)) {
        unsettled.push(suite);
        const settled = () => unsettled.splice(unsettled.indexOf(suite), 1);
        builds.push(new P.Promise((resolve) => {
          then(out, () => { settled(); resolve(); }, (err) => {
            settled();
            host.defineError(`describe("${suite.name}") failed: ${host.describe(err)}`);
            resolve();
          });
        }));
      }
    } catch (err) {
      host.defineError(`describe("${suite.name}") failed: ${host.describe(err)}`);
    } finally {
      building.pop();
    }
  }

  function hook(kind, owner) {
    return (fn, options) => {
      const target = owner || where();
      if (target === null || typeof fn !== "function") return;
      const timeout = options && typeof options.timeout === "number" ? options.timeout : Infinity;
      if (target.kind === "test" && target.over) return; // node never runs it either
      if (target.kind === "test" && kind === "before") return runBefore(target, { kind, fn, timeout });
      target.hooks[kind].push({ kind, fn, timeout });
    };
  }

  // A running test's `before` hook runs at once; its subtests and its end wait for every one, and
  // a failure fails the test and each subtest that starts after it.
  function runBefore(t, entry) {
    t.beforeRunning += 1;
    invoke(entry.fn, undefined, t.ctx, entry.timeout, (err) => {
      if (err !== null) {
        const failure = { prefix: "in the before hook", cause: err };
        if (t.beforeError === null) t.beforeError = failure;
        if (t.error === null) t.error = failure;
      }
      t.beforeRunning -= 1;
      if (t.beforeRunning === 0) later(() => pump(t));
    });
  }

  // The test a subtest counts towards: its top-level (reported) ancestor.
  function reportedTest(t) {
    let top = t;
    while (top.parent !== null && top.parent.kind === "test") top = top.parent;
    return top;
  }

  function context(t) {
    let controller = null;
    let mock = null;
    const ctx = {
      name: t.name,
      fullName: fullName(t),
      test: (a, b, c) => {
        if (!t.over) return under(t, () => define("test", a, b, c));
        // Node fails a subtest that starts after its parent finished; here its reported test.
        const { name } = parse(a, b, c);
        host.lateFailure(reportedTest(t), {
          message: `the subtest "${name}" was started after its parent test "${t.name}" had ended ` +
            "(node:test fails it: its parent finished)",
        });
        return resolved();
      },
      skip: () => { t.skipped = true; },
      todo: () => { t.skipped = true; },
      diagnostic: () => {},
      before: hook("before", t),
      after: hook("after", t),
      beforeEach: hook("beforeEach", t),
      afterEach: hook("afterEach", t),
      runOnly: () => {},
      plan: () => { throw new Error("t.plan() is not supported: assert in the test instead"); },
      assert: host.assert,
      get signal() {
        controller = controller || new AbortController();
        return controller.signal;
      },
      get mock() {
        mock = mock || host.newMock();
        return mock;
      },
    };
    t.release = () => {
      if (mock !== null) {
        host.beforeReset(t); // what the test's mocks changed, before the reset undoes it
        mock.reset();
      }
      if (controller !== null) controller.abort();
    };
    return ctx;
  }

  function under(t, action) {
    const saved = running;
    running = t;
    try {
      return action();
    } finally {
      running = saved;
    }
  }

  function pump(t) {
    if (t.subRunning || t.beforeRunning > 0) return;
    if (!t.queue.length) {
      if (t.finishing !== null) {
        const finish = t.finishing;
        t.finishing = null;
        finish();
      }
      return;
    }
    t.subRunning = true;
    const sub = t.queue.shift();
    runTest(sub, t.beforeError, () => {
      if (sub.error !== null && t.error === null) {
        t.error = { prefix: `in subtest "${sub.name}"`, cause: sub.error };
      }
      t.subRunning = false;
      sub.settle();
      pump(t);
    });
  }

  // The beforeEach hooks of a test's suites and parent tests, outermost first; its afterEach hooks,
  // innermost first; each level's in the order they were defined.
  function eachHooks(t, kind) {
    const levels = [];
    for (let p = t.parent; p !== null; p = p.parent) levels.push(p.hooks[kind]);
    if (kind === "beforeEach") levels.reverse();
    return [].concat(...levels);
  }

  function runHooks(list, ctx, done, i = 0) {
    if (i >= list.length) return done(null);
    invoke(list[i].fn, undefined, ctx, list[i].timeout, (err) => {
      if (err !== null) return done({ prefix: `in the ${list[i].kind} hook`, cause: err });
      runHooks(list, ctx, done, i + 1);
    });
  }

  // A test: its beforeEach hooks, its function, its subtests, its afterEach hooks, its own after
  // hooks.
  function runTest(t, inherited, done) {
    if (t.skip) {
      t.skipped = true;
      return done();
    }
    if (inherited !== null) {
      t.error = inherited;
      return done();
    }
    const saved = running;
    running = t;
    const ctx = context(t);
    t.ctx = ctx;
    const finish = () => {
      const afterEach = t.skipped ? [] : eachHooks(t, "afterEach");
      runHooks(afterEach, ctx, (err) => {
        if (err !== null && t.error === null) t.error = err;
        runHooks(t.hooks.after, ctx, (late) => {
          if (late !== null && t.error === null) t.error = late;
          t.over = true;
          t.release();
          running = saved;
          done();
        });
      });
    };
    runHooks(eachHooks(t, "beforeEach"), ctx, (err) => {
      if (err !== null) {
        t.error = err;
        return finish();
      }
      invoke(t.fn, ctx, ctx, t.timeout, (failure) => {
        if (failure !== null && t.error === null) t.error = failure;
        t.finishing = finish;
        pump(t);
      });
    });
  }

  // A suite: its before hooks, its children in order, its after hooks.
  function runSuite(suite, inherited, onTest, done) {
    const ctx = { name: suite.name, fullName: fullName(suite) };
    const children = suite.children;
    const next = (i, failed) => {
      if (i >= children.length) {
        if (suite.skip || failed !== null) return done();
        return runHooks(suite.hooks.after, ctx, (err) => {
          if (err !== null) host.suiteError(fullName(suite), err);
          done();
        });
      }
      const child = children[i];
      const go = () => later(() => next(i + 1, failed));
      if (child.kind === "suite") {
        if (suite.skip) child.skip = true;
        return runSuite(child, failed, onTest, go);
      }
      if (suite.skip) child.skip = true;
      onTest(child, (t, report) => runTest(t, failed, report), go);
    };
    if (suite.skip || suite.hooks.before.length === 0 || inherited !== null) {
      return next(0, inherited);
    }
    runHooks(suite.hooks.before, ctx, (err) => next(0, err));
  }

  const test = (a, b, c) => define("test", a, b, c);
  const describe = (a, b, c) => define("suite", a, b, c);
  for (const [api, kind] of [[test, "test"], [describe, "suite"]]) {
    api.skip = (a, b, c) => define(kind, a, b, c, "skip");
    api.todo = (a, b, c) => define(kind, a, b, c, "todo");
    api.only = (a, b, c) => define(kind, a, b, c);
  }
  test.test = test;
  test.it = test;
  test.describe = describe;
  test.suite = describe;
  test.before = hook("before");
  test.after = hook("after");
  test.beforeEach = hook("beforeEach");
  test.afterEach = hook("afterEach");
  Object.defineProperty(test, "mock", { get: host.sharedMock, enumerable: true });
  test.run = () => {
    throw new Error("node:test's run() is not supported here: define tests with test()");
  };

  return {
    api: test,
    reported,
    get running() {
      return running;
    },
    // The event loop ran dry while a test waited: what it waits for can never come.
    neverSettled() {
      endInnermost({ message: "the test's promise never settled (nothing was left to run)" });
    },
    // An error nothing caught, while `running` ran: it fails the function that runs now.
    uncaught(failure) {
      if (!endInnermost(failure) && running !== null && running.error === null) running.error = failure;
    },
    // After the test file loaded: once every async describe body settled, `done()`.
    collect(done) {
      const wait = (i) => {
        if (i >= builds.length) {
          collected = true;
          return done();
        }
        then(builds[i], () => wait(i + 1), () => wait(i + 1));
      };
      wait(0);
    },
    // Every reported test, in order: `onTest(t, run, next)`, where `run(t, report)` runs it.
    run(onTest, done) {
      runSuite(ROOT, null, onTest, done);
    },
  };
};
