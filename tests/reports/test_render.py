"""The renderings: every figure where a reader looks for it, and no name from an alert or a
person can add markup (HTML: no script, no handler, no link; Markdown: no link, image,
HTML or emphasis; chat: no link or mention)."""

from __future__ import annotations

from datetime import UTC, datetime
from html.parser import HTMLParser

from markdown_it import MarkdownIt

from app.reports.render import charts, text
from app.reports.render.html import html
from app.reports.render.markdown import markdown, plain
from app.reports.render.message import slack_message
from tests.reports.samples import HOSTILE, report

LINK = "https://firelane.example/api/v1/reports/7?format=html"
MADE = datetime(2026, 3, 30, 7, 0, tzinfo=UTC)


class _Page(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def _page(document: str) -> _Page:
    page = _Page()
    page.feed(document)
    page.close()
    return page


def test_html_is_one_page_with_its_charts_and_their_text() -> None:
    document = html(report(), link=LINK, made_at=MADE, definition_version=1)
    page = _page(document)
    names = [tag for tag, _ in page.tags]
    assert names.count("svg") == 3 + 7  # hours, interruptions, candidates; 7 sparklines
    assert "script" not in names and "link" not in names and "iframe" not in names
    # Every chart names itself and says what it shows.
    for tag, attrs in page.tags:
        if tag == "svg":
            assert attrs["role"] == "img" and attrs["aria-labelledby"]
    words = " ".join(page.text)
    assert "50 % toil line" in words
    assert "Toil (fire and maintenance) is 58.6 %, above the 50 % line." in words
    assert "5 interruptions: 1 in business hours, 1 in off hours, 3 in sleep hours." in words
    assert "1. Rotate certs: 8.79 hours a year, break-even 17.57 hours" in words
    assert "Interruptions, oldest first: 2026-W05 3, 2026-W06 4" in words
    assert "break-even" in words and "still burning" in words
    # The toil line stands at half the bar's length.
    stack = charts.hours_by_kind(report())
    assert stack.line_x == stack.bar / 2
    fire, maintenance = stack.segments[0], stack.segments[1]
    assert fire.width + maintenance.width > stack.line_x  # 58.6 % toil passes the line


def test_html_escapes_every_name() -> None:
    document = html(report(HOSTILE), link=LINK, made_at=MADE, definition_version=1)
    page = _page(document)
    for tag, attrs in page.tags:
        assert tag not in ("script", "img", "a") or (tag == "a" and attrs["href"] == LINK)
        for name, value in attrs.items():
            assert not name.startswith("on"), (tag, name)
            assert "javascript:" not in (value or "")
    assert "<script>" not in document and "onerror=" not in document.replace("onerror=&#34;", "")
    assert "&lt;script&gt;window.pwned=1&lt;/script&gt;" in document
    # The name is there, as text (one line: the newline became a space).
    assert any("window.pwned=1" in chunk for chunk in page.text)


def test_markdown_names_cannot_add_markup() -> None:
    document = markdown(report(HOSTILE), link=LINK, made_at=MADE, definition_version=1)
    parser = MarkdownIt("commonmark").enable(["table", "strikethrough"])
    tokens = parser.parse(document)
    inline = [child for token in tokens for child in (token.children or [])]
    types = {token.type for token in tokens} | {child.type for child in inline}
    assert not types & {"html_inline", "html_block", "image", "s_open", "em_open", "code_inline"}
    links = [child.attrs["href"] for child in inline if child.type == "link_open"]
    assert links == [LINK]
    strong = {child.content for child in inline if child.type == "text"}
    assert any("<script>window.pwned=1</script>" in chunk for chunk in strong)
    rendered = parser.render(document)
    assert "<script" not in rendered and "<img" not in rendered and "<em>" not in rendered
    assert rendered.count("<a ") == 1
    # The name's pipe does not split the table: each row keeps its cells.
    rows = [line for line in document.splitlines() if line.startswith("| 2 |")]
    assert len(rows) == 1 and rows[0].count(" | ") == 6


def test_markdown_reads_as_the_report() -> None:
    document = markdown(report(), link=LINK, made_at=MADE, definition_version=1)
    assert document.startswith("# Weekly automation-debt report 2026-W13, all boards\n")
    assert "Mon 23 Mar to Sun 29 Mar 2026 (Europe/Berlin)" in document
    assert "- **Interruptions:** 5 (1 in business hours, 1 in off hours, 3 in sleep hours)" in (
        document
    )
    assert "**Toil:** 58.6 %, above the 50 % line; unplanned 31.0 %" in document
    assert "| 1 | Rotate certs | schedule | 16.2 | 8.79 | 17.57 | no card |" in document
    assert (
        "| 2 | DiskFull | alert | 28.4 | 3.04 | 6.08 | #6, costs more than it saves |" in document
    )
    assert "| Interruptions | ▅▆▁█▃▇▂▆▇ | 1 → 4 → 5 |" in document
    assert "Made 2026-03-30 07:00 UTC; definitions version 1." in document


def test_plain_text_has_no_markup() -> None:
    document = plain(report(HOSTILE), link=LINK, made_at=None, definition_version=1)
    assert (
        "**" not in document and "\\" not in document and "](" not in document.split(HOSTILE[:8])[0]
    )
    assert f"Online: {LINK}" in document
    assert "Computed on request; definitions version 1." in document
    assert text.one_line(HOSTILE) in document


def test_chat_message_has_the_headline_and_one_link() -> None:
    message = slack_message(report(HOSTILE), link=LINK)
    assert message.splitlines()[0] == (
        f"*Weekly automation-debt report 2026-W13* (all boards): <{LINK}|open the report>"
    )
    assert "• 5 interruptions (3 in sleep hours); acknowledged in 5 min, resolved in 20 min" in (
        message
    )
    assert "toil 58.6 % (above the 50 % line)" in message
    # The top candidate is Rotate certs; a hostile name there is a code span, defused.
    hostile = slack_message(
        report(HOSTILE).model_copy(update={"candidates": report(HOSTILE).candidates[1:]}), link=LINK
    )
    last = hostile.splitlines()[-1]
    assert last.startswith("• Automate first: `") and "<" not in last and ">" not in last
    assert "&lt;!channel&gt;" in last and last.count("`") == 2


def test_durations_and_numbers() -> None:
    assert [text.duration(s) for s in (None, 0, 59, 60, 3599, 3600, 4800, 86400, 97200)] == [
        text.NONE,
        "0 s",
        "59 s",
        "1 min",
        "1 h",
        "1 h",
        "1 h 20 min",
        "1 d",
        "1 d 3 h",
    ]
    assert text.percent(None) == text.NONE and text.percent(0.5) == "50.0 %"
    assert (
        text.number(2.0) == "2"
        and text.number(2.5) == "2.5"
        and text.number(1234.567) == ("1,234.57")
    )
    assert text.spark([None, 0, 5, 10]) == " ▁▅█"
