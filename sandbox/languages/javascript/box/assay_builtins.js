// The built-ins a sample must leave alone, for assay's harness (assay_harness.js), in the box.
//
// `require`d by the harness before any of the sample's code runs: it takes note of the built-ins
// (Object, Array, JSON, Promise, ... and their prototypes); `tampered()` names the first one that
// changed since. A mock of a built-in that the tests file makes with node:test's mock API (the
// harness serves node's own MockTracker) is not a change while it lasts: `guardMocks` wraps that
// API so that each mock of a built-in asks who made it. The answer is the call's stack, read with
// what was captured here at start (Error, its captureStackTrace and prepareStackTrace slot, the
// CallSite methods): a mock counts as the tests' only when every frame is the tests file's, the
// harness's, node's own (`node:`) or V8's built-ins; a frame of the solution (a callback of it, a
// getter, a proxy), of eval or of any other script makes it the sample's, which the check reports.
// Where V8 tells a script's hash (node 20 and later) a frame named after the tests file or the
// harness must also have that file's hash; everywhere, `guardNames` keeps node's ways of compiling
// code under a chosen file name (vm, Module.prototype._compile) from taking those names.
//
// But: the stack tells who called, not whose idea it was. A test that calls back into the solution
// from a timer or an event (node's frames, not the solution's) is the tests' call; a callback the
// solution calls is the solution's, so a mock made there is rejected. Code that takes over the
// process itself (the inspector, a native addon) is beyond this, as it is beyond the run's token.
"use strict";

module.exports = function builtins(testsFile, ownFiles) {
  const { apply, construct, defineProperty, deleteProperty, getOwnPropertyDescriptor, getPrototypeOf,
    setPrototypeOf, ownKeys } = Reflect;
  const { freeze, is } = Object;
  const isArray = Array.isArray;
  const symbolName = Symbol.prototype.toString;
  const NativeError = Error;
  const captureStackTrace = Error.captureStackTrace;

  // Safe once the sample's code ran: plain loops and comparisons, no method of a built-in.
  const own = (object, key) => {
    const found = getOwnPropertyDescriptor(object, key);
    if (found !== undefined) setPrototypeOf(found, null);
    return found;
  };
  const keyName = (key) => (typeof key === "symbol" ? apply(symbolName, key, []) : key);
  const isLoose = (key) => key === "prepareStackTrace" || key === "stackTraceLimit"; // Error's knobs
  function indexOf(list, value) {
    for (let i = 0; i < list.length; i++) if (list[i] === value) return i;
    return -1;
  }
  function same(a, b) {
    if (a === undefined || b === undefined) return a === b;
    return is(a.value, b.value) && a.get === b.get && a.set === b.set && a.writable === b.writable &&
      a.enumerable === b.enumerable && a.configurable === b.configurable;
  }
  function sameStrictly(a, b) { // a and b: descriptors only this module holds
    if (a !== undefined) setPrototypeOf(a, null);
    if (b !== undefined) setPrototypeOf(b, null);
    return same(a, b);
  }

  // The built-ins and how they were --------------------------------------------------------------
  const GLOBALS = ("Object Function Array String Number Boolean Symbol BigInt Math JSON Reflect Promise " +
    "RegExp Date Map Set WeakMap WeakSet Error TypeError RangeError SyntaxError ReferenceError EvalError " +
    "URIError AggregateError ArrayBuffer DataView Int8Array Uint8Array Uint8ClampedArray Int16Array " +
    "Uint16Array Int32Array Uint32Array Float32Array Float64Array BigInt64Array BigUint64Array Proxy " +
    "parseInt parseFloat isNaN isFinite encodeURIComponent decodeURIComponent encodeURI decodeURI " +
    "undefined NaN Infinity").split(" ");
  const watched = [["globalThis", globalThis, GLOBALS]];
  function watch(label, object) {
    if (object !== null && (typeof object === "object" || typeof object === "function")) {
      watched.push([label, object, null]);
    }
  }
  for (const name of GLOBALS) {
    const value = globalThis[name];
    if (typeof value === "function" || (typeof value === "object" && value !== null)) {
      watch(name, value);
      if (typeof value === "function" && value.prototype) watch(`${name}.prototype`, value.prototype);
    }
  }
  const typedArray = getPrototypeOf(Int8Array);
  watch("TypedArray", typedArray);
  watch("TypedArray.prototype", typedArray.prototype);
  watch("ArrayIterator", getPrototypeOf([][Symbol.iterator]()));
  watch("Iterator.prototype", getPrototypeOf(getPrototypeOf([][Symbol.iterator]())));
  watch("StringIterator", getPrototypeOf(""[Symbol.iterator]()));
  watch("MapIterator", getPrototypeOf(new Map()[Symbol.iterator]()));
  watch("SetIterator", getPrototypeOf(new Set()[Symbol.iterator]()));
  watch("RegExpStringIterator", getPrototypeOf(/a/g[Symbol.matchAll]("")));
  watch("Generator.prototype", getPrototypeOf(function* () {}).prototype);
  watch("AsyncFunction.prototype", getPrototypeOf(async () => {}));

  const snapshots = watched.map(([label, object, names]) => {
    const keys = names || ownKeys(object);
    const descriptors = [];
    for (let i = 0; i < keys.length; i++) descriptors.push(getOwnPropertyDescriptor(object, keys[i]));
    return { label, object, names, keys, descriptors, proto: getPrototypeOf(object) };
  });

  // Where a property is watched: its label and how it was (undefined: it was not there), or null.
  function watchedAt(object, key) {
    for (let n = 0; n < snapshots.length; n++) {
      const s = snapshots[n];
      if (s.object !== object) continue;
      const i = indexOf(s.keys, key);
      if (s.names !== null && i < 0) return null;
      const label = s.names !== null ? keyName(key) : `${s.label}.${keyName(key)}`;
      return { label, was: i < 0 ? undefined : s.descriptors[i] };
    }
    return null;
  }

  // Mocks of built-ins the tests made: what each property may be while its mock lasts ------------
  const allowed = []; // { object, key, descriptor, owner, tracker, active, label }
  let flagged = null; // a built-in the sample mocked, or whose mock of the tests' it reprogrammed
  function allowedNow(object, key, current) {
    for (let i = 0; i < allowed.length; i++) {
      const a = allowed[i];
      if (a.active && a.object === object && a.key === key && sameStrictly(current, a.descriptor)) return true;
    }
    return false;
  }
  // A restore of `owner`'s mocks: each ends, unless it is still in place (node restores mocks in the
  // order they were made, so a mock of a property mocked twice comes back).
  function end(field, owner) {
    for (let i = 0; i < allowed.length; i++) {
      const a = allowed[i];
      if (a[field] === owner && a.active) a.active = sameStrictly(own(a.object, a.key), a.descriptor);
    }
  }
  // How the property is now is how it was, or a mock the tests made.
  const untouched = (object, key, was) => {
    const now = own(object, key);
    return sameStrictly(now, was) || (now !== undefined && allowedNow(object, key, now));
  };

  // The descriptor `object` inherits for `key` from a watched prototype that is as it was, if any.
  function inheritedAt(object, key) {
    for (let holder = getPrototypeOf(object); holder !== null; holder = getPrototypeOf(holder)) {
      const found = own(holder, key);
      if (found === undefined) continue;
      const where = watchedAt(holder, key);
      return where !== null && sameStrictly(found, where.was) ? found : undefined;
    }
    return undefined;
  }

  // The first built-in the sample changed, as "Array.prototype.includes"; null if none. The mocks
  // the tests made and have not restored are no change.
  function scan() {
    for (let s = 0; s < snapshots.length; s++) {
      const { label, object, names, keys, descriptors, proto } = snapshots[s];
      if (getPrototypeOf(object) !== proto) return `the prototype of ${label}`;
      for (let i = 0; i < keys.length; i++) {
        if (isLoose(keys[i])) continue;
        const now = getOwnPropertyDescriptor(object, keys[i]);
        if (!same(now, descriptors[i]) && !(now !== undefined && allowedNow(object, keys[i], now))) {
          return names ? keys[i] : `${label}.${keyName(keys[i])}`;
        }
      }
      if (names !== null) continue;
      const current = ownKeys(object);
      if (current.length === keys.length) continue; // a deleted key was caught above
      for (let i = 0; i < current.length; i++) {
        const key = current[i];
        if (indexOf(keys, key) >= 0) continue;
        if (!allowedNow(object, key, getOwnPropertyDescriptor(object, key))) {
          return `${label}.${keyName(key)}`;
        }
      }
    }
    return null;
  }
  function tampered() {
    if (flagged !== null) {
      const what = flagged;
      flagged = null;
      return what;
    }
    return scan();
  }

  // Who is calling: the frames of the stack, read with what was captured at start ----------------
  const keepSites = (error, sites) => sites;
  function restoreSlot(key, was) {
    if (was === undefined) deleteProperty(NativeError, key);
    else defineProperty(NativeError, key, was);
  }
  function callSites() {
    const slot = own(globalThis, "Error"); // node asks globalThis.Error for prepareStackTrace
    if (slot === undefined || slot.value !== NativeError) return null;
    const prepare = own(NativeError, "prepareStackTrace");
    const limit = own(NativeError, "stackTraceLimit");
    let sites = null;
    if (defineProperty(NativeError, "prepareStackTrace",
      { __proto__: null, value: keepSites, writable: true, enumerable: false, configurable: true }) &&
      defineProperty(NativeError, "stackTraceLimit",
        { __proto__: null, value: Infinity, writable: true, enumerable: true, configurable: true })) {
      const holder = { __proto__: null };
      apply(captureStackTrace, NativeError, [holder, callSites]);
      sites = holder.stack;
    }
    restoreSlot("prepareStackTrace", prepare);
    restoreSlot("stackTraceLimit", limit);
    return isArray(sites) ? sites : null;
  }
  // The CallSite methods, frozen: node 18 asks a stack's first frame its getFunctionName() before it
  // asks Error.prepareStackTrace.
  const site = freeze(getPrototypeOf(callSites()[0]));
  const { getFileName, isEval, getScriptHash } = site;

  const isNodes = (file) => file.length > 5 && file[0] === "n" && file[1] === "o" && file[2] === "d" &&
    file[3] === "e" && file[4] === ":";
  const trusted = [testsFile, ...ownFiles]; // their scripts' hashes, where V8 tells them: `guardMocks`
  const hashes = [];
  // A file name only node's own code may give the code it compiles.
  const isProtectedName = (name) => typeof name === "string" && (isNodes(name) || indexOf(trusted, name) >= 0);

  // True when every frame of the stack that called here is the tests file's (or the harness's,
  // node's or V8's): no frame of the solution, of eval, or of any other script.
  function fromTheTests() {
    const sites = callSites();
    if (sites === null) return false;
    for (let i = 0; i < sites.length; i++) {
      if (apply(isEval, sites[i], [])) return false;
      const file = apply(getFileName, sites[i], []);
      if (file === undefined || file === null) continue; // V8's built-ins have no script
      if (typeof file !== "string") return false;
      if (isNodes(file)) continue;
      const at = indexOf(trusted, file);
      if (at < 0) return false;
      if (getScriptHash !== undefined && apply(getScriptHash, sites[i], []) !== hashes[at]) return false;
    }
    return true;
  }

  // node:test's mock API, wrapped before any of the sample's code runs ----------------------------
  function wrap(proto, name, make) {
    const original = proto[name];
    defineProperty(proto, name, { value: freeze(make(original)), writable: false, configurable: false });
  }

  // `MockTracker`: node's own (node:test's `mock`); `sources`: [file, text] of the tests and the harness.
  function guardMocks(MockTracker, sources) {
    if (getScriptHash !== undefined) {
      const crypto = require("crypto");
      for (const [file, text] of sources) {
        hashes[indexOf(trusted, file)] = crypto.createHash("sha256").update(text).digest("hex");
      }
    }
    const tracker = new MockTracker();
    const contexts = getPrototypeOf(tracker.fn().mock);

    wrap(MockTracker.prototype, "method", (method) => function method_(object, key) {
      const where = watchedAt(object, key);
      if (where === null) return apply(method, this, arguments);
      const mine = fromTheTests() && untouched(object, key, where.was);
      const inherited = mine && where.was === undefined ? inheritedAt(object, key) : undefined;
      const spy = apply(method, this, arguments);
      // Not the tests': a change even if a reset undoes it before the check (t.mock, restoreAll()).
      if (!mine && flagged === null) flagged = where.label;
      if (mine) {
        allowed.push({ __proto__: null, object, key, descriptor: own(object, key), owner: spy.mock,
          tracker: this, active: true, label: where.label });
      }
      // Node restores a mock of an inherited method as an own copy of it: the same method.
      if (inherited !== undefined) {
        allowed.push({ __proto__: null, object, key, descriptor: inherited, owner: null, tracker: null,
          active: true, label: where.label });
      }
      return spy;
    });
    wrap(MockTracker.prototype, "restoreAll", (restoreAll) => function restoreAll_() {
      const out = apply(restoreAll, this, arguments);
      end("tracker", this);
      return out;
    });
    wrap(contexts, "restore", (restore) => function restore_() {
      const out = apply(restore, this, arguments);
      end("owner", this);
      return out;
    });
    // A mock the tests made, reprogrammed by the sample's code: a change of that built-in.
    const reprogram = (original) => function mockImplementation_() {
      for (let i = 0; i < allowed.length; i++) {
        if (allowed[i].active && allowed[i].owner === this && flagged === null && !fromTheTests()) {
          flagged = allowed[i].label;
        }
      }
      return apply(original, this, arguments);
    };
    wrap(contexts, "mockImplementation", reprogram);
    wrap(contexts, "mockImplementationOnce", reprogram);
    // MockTimers (mock.timers) can replace Date; its class is reached only through this getter.
    const timers = own(MockTracker.prototype, "timers");
    if (timers !== undefined && typeof timers.get === "function") {
      let guarded = false;
      defineProperty(MockTracker.prototype, "timers", { get: freeze(function timers_() {
        const out = apply(timers.get, this, []);
        if (!guarded) {
          guarded = true;
          guardTimers(getPrototypeOf(out));
        }
        return out;
      }), configurable: false });
    }
    freeze(MockTracker.prototype);
    freeze(contexts);
  }

  function guardTimers(proto) {
    const where = watchedAt(globalThis, "Date");
    wrap(proto, "enable", (enable) => function enable_() {
      const before = own(globalThis, "Date");
      const mine = fromTheTests() && untouched(globalThis, "Date", where.was);
      const out = apply(enable, this, arguments);
      const after = own(globalThis, "Date");
      if (!mine && flagged === null && !sameStrictly(after, before)) flagged = where.label;
      if (mine && !sameStrictly(after, before)) {
        allowed.push({ __proto__: null, object: globalThis, key: "Date", descriptor: after, owner: this,
          tracker: null, active: true, label: where.label });
      }
      return out;
    });
    wrap(proto, "reset", (reset) => function reset_() {
      const out = apply(reset, this, arguments);
      end("owner", this);
      return out;
    });
    freeze(proto);
  }

  // Node's ways of compiling code under a chosen file name may not take the tests' or the
  // harness's name, nor one of node's own.
  function refuseName(name) {
    if (isProtectedName(name)) throw new TypeError(`code may not be compiled as ${name} in assay's sandbox`);
  }
  function named(options) { // the options, their own properties read once
    if (typeof options === "string") refuseName(options);
    if (options === null || typeof options !== "object") return options;
    const copy = { __proto__: null, ...options };
    refuseName(copy.filename);
    return copy;
  }
  function guardNames(vm, lock) {
    const Original = vm.Script;
    const Guarded = function Script(code, options) {
      return construct(Original, [code, named(options)], new.target || Original);
    };
    Guarded.prototype = Original.prototype;
    lock(Original.prototype, "constructor", Guarded);
    const base = getPrototypeOf(Original);
    if (base !== null && base.prototype) lock(base.prototype, "constructor", Guarded);
    lock(vm, "Script", Guarded);
    for (const [name, at] of [["createScript", 1], ["runInThisContext", 1], ["runInContext", 2],
      ["runInNewContext", 2], ["compileFunction", 2]]) {
      const original = vm[name];
      if (typeof original !== "function") continue;
      lock(vm, name, function (a, b, c) {
        return at === 1 ? apply(original, this, [a, named(b)]) : apply(original, this, [a, b, named(c)]);
      });
    }
  }

  return {
    tampered,
    isProtectedName,
    guardMocks,
    guardNames,
  };
};
