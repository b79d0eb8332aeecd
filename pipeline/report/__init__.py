"""`assay report`: what a run did and why samples were rejected.

report = gather(["runs/a", "runs/b"])     # read once (data.py): the one source of truth
report.to_json()                          # the numbers of `--json`
html.write(report, "runs/a/report.html")  # the self-contained page (html.py, plots.py)
terminal.print_report(report, console)    # rich tables (terminal.py)
"""

from pipeline.report.data import Report, ReportError, RunData, RunStats, gather, load_run

__all__ = ["Report", "ReportError", "RunData", "RunStats", "gather", "load_run"]
