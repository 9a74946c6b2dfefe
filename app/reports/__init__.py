"""The weekly automation-debt report: where the hours went, what keeps burning, what to
automate first, and whether the automation paid off (see docs/report.md)."""
