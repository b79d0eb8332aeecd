"""Python: the language (`language.py`, trusted: its checks and its runs), the order of a
sample's runs in its fork server (`phases.py`), and the code that runs in the sandbox beside the
sample (`box/`). Nothing is imported here: a fork server that imports `box` stays small."""
