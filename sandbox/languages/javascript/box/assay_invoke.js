// Calling a test's or a hook's function as node:test does, for assay_node_test.js, in the box.
// `require`d by the harness before any of the sample's code runs; `P` is what the harness
// captured then.
"use strict";

module.exports = function invoker(P) {
  const { call, then, isPromise, setTimer, clearTimer } = P;

  // Runs a test's or a hook's function; `finish(error or null)` once: when it returned, its
  // promise (or any thenable it returned, as node adopts it) settled or it called `done`, or when it
  // threw, timed out or can never settle. As node awaits the call before it looks at `done`, a
  // `done` called during the call counts once the call returned: a throw after it still fails the
  // function. A second `done` fails it too and throws to its caller, as node's does.
  const pending = []; // the `end` of each function that runs now, innermost last
  function invoke(fn, self, ctx, timeout, finish) {
    let over = false;
    let timer = null;
    const end = (err) => {
      if (over) return;
      over = true;
      const at = pending.lastIndexOf(end);
      if (at >= 0) pending.splice(at, 1);
      if (timer !== null) clearTimer(timer);
      finish(err);
    };
    pending.push(end);
    if (timeout !== Infinity) {
      timer = setTimer(() => end({ message: `the test timed out after ${timeout} ms` }), timeout);
    }
    let calling = true;
    let early; // what `done` said during the call: undefined if it was not called then
    try {
      if (fn.length >= 2) {
        let calls = 0;
        const done = (err) => {
          calls += 1;
          const said = calls > 1 ? { message: "the done callback was called more than once" }
            : err ? { thrown: err } : null;
          if (!calling) end(said);
          else if (early === undefined || (early === null && said !== null)) early = said;
          if (calls > 1) throw new Error("node:test: the done callback was called more than once");
        };
        const out = call(fn, self, ctx, done);
        calling = false;
        if (isPromise(out)) {
          end({ message: "the function takes a done callback and also returned a promise (node:test fails it)" });
        } else if (early !== undefined) end(early);
        return;
      }
      const out = call(fn, self, ctx);
      calling = false;
      let adopt;
      if (!isPromise(out) && out !== null && (typeof out === "object" || typeof out === "function")) {
        adopt = out.then;
      }
      if (isPromise(out)) then(out, () => end(null), (err) => end({ thrown: err }));
      else if (typeof adopt === "function") {
        const settled = new P.Promise((resolve, reject) => call(adopt, out, resolve, reject));
        then(settled, () => end(null), (err) => end({ thrown: err }));
      } else end(null);
    } catch (err) {
      calling = false;
      end({ thrown: err });
    }
  }

  return {
    invoke,
    // Ends the innermost function that runs now with `failure`; false if none runs.
    endInnermost(failure) {
      if (!pending.length) return false;
      pending[pending.length - 1](failure);
      return true;
    },
  };
};
