"""JavaScript: the language (`language.py`, trusted: ESLint, the stub, its runs), its warm ESLint
(`eslint.py`, `eslint_server.js`, `eslint.config.cjs`), and the harness that runs in the sandbox
beside the sample (`box/`). Nothing is imported here."""
