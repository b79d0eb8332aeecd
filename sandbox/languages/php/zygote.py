"""The PHP zygote's spec (`sandbox/isolation/zygote.py` starts and drives it; `zygote.php` is
the zygote): a warm PHP with PHPUnit and assay's harness loaded, FFI for the runner's set-up."""

from __future__ import annotations

import os

from sandbox.isolation.zygote import ZygoteSpec

ZYGOTE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "zygote.php")


def command(prefix: list[str], front: int, uid: int, gid: int) -> list[str]:
    return [*prefix, "-d", "extension=ffi", ZYGOTE, str(front), str(uid), str(gid)]


SPEC = ZygoteSpec(name="PHP", harness="assay_phpunit.php", command=command)
