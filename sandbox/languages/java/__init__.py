"""Java: `Solution.java` (class `Solution`) and JUnit 5 tests (`SolutionTest.java`).

The Language class is in `language.py`; the harness that runs in the box is `box/` (Java sources,
compiled once per machine by `build.py`); the batch compile's trusted side is `compiler.py`, the
strength check's stub `stub.py`.
"""
