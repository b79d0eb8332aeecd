"""`assay report`: what a run did and why samples were rejected.

report = gather(["runs/a", "runs/b"])     # read and counted once (data.py, summary.py)
report.to_json()                          # the numbers of `--json`
html.write(report, "runs/a/report.html")  # the self-contained page (html.py, plots.py)
terminal.print_report(report, console)    # rich tables (terminal.py)
"""

from pipeline.report.data import ReportError, RunData, RunStats, load_run
from pipeline.report.summary import Report, gather

__all__ = ["Report", "ReportError", "RunData", "RunStats", "gather", "load_run"]
