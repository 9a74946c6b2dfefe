"""The weekly report read by people: HTML (charts as inline SVG), Markdown, plain text, and
the chat message of ``report.published``. Every name that comes from a user or an alert is
escaped for the format it goes into."""
