"""`python -m sandbox.languages`: what the built-in languages need installed, for setup scripts.

python -m sandbox.languages debian   # the Debian packages of every language's toolchain
python -m sandbox.languages npm      # the npm packages
python -m sandbox.languages check [LANGUAGE ...]  # ready, or what is missing and the fix
"""

from __future__ import annotations

import sys

from sandbox.languages import _BUILTIN, LanguageError, lookup


def main(argv: list[str]) -> int:
    what = argv[0] if argv else "check"
    try:
        classes = [lookup(name) for name in (argv[1:] if what == "check" else ()) or _BUILTIN]
    except LanguageError as exc:
        print(f"python -m sandbox.languages: {exc}", file=sys.stderr)
        return 2
    classes = sorted(set(classes), key=lambda cls: cls.name)
    if what in ("debian", "npm"):
        packages = sorted({p for cls in classes for p in getattr(cls.toolchain, what)})
        print(" ".join(packages))
        return 0
    if what == "check":
        from sandbox.options import VerifyOptions

        missing = 0
        for cls in classes:
            why = cls(VerifyOptions()).unavailable()
            print(f"{cls.name}: {why or 'ready'}")
            missing += why is not None
        return 1 if missing else 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
