"""TypeScript: the language (`language.py`, trusted: the warm ESLint + emitter server, the stub,
its runs), its checks (`checks.py`, `ts_server.js`, `eslint.config.cjs`) and its toolchain
(`toolchain.py`: the native type checker and Node's types in the box cache). The tests run on
JavaScript's harness (sandbox/languages/javascript/box). Nothing is imported here."""
