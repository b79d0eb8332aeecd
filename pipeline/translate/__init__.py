"""`assay translate`: verified translation of a verified corpus into other languages.

sources.py   the verified samples of run dirs, exports and JSONL files (skips counted)
values.py    literal values and their types; suite.py the records of a suite of checks
literals.py  Python tests read as literal checks (assertions.py: one assert; counting.py)
targets/     a suite written as another language's tests, one module per language
task.py      one translation: its route (mechanical or teacher tests), prompts, checks
run.py       the run: the engine of `assay run` with translations for problems
"""
