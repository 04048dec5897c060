"""Print the corpus figures at the end of any run that computed them."""

from __future__ import annotations

import sys


def pytest_terminal_summary(terminalreporter) -> None:
    accuracy = sys.modules.get("test_bounce_accuracy")
    if accuracy is not None and accuracy.corpus_score.cache_info().currsize:
        terminalreporter.section("buzon_bounces accuracy (developer corpus)")
        terminalreporter.write_line(
            f"expectations: labels with {len(accuracy.departures())} departures applied"
        )
        terminalreporter.write_line(accuracy.corpus_score().report())
        terminalreporter.write_line("against the labels as given:")
        terminalreporter.write_line(accuracy.label_score().report())

    replies = sys.modules.get("test_bounce_replies")
    if replies is not None and replies.figures.cache_info().currsize:
        terminalreporter.section("buzon_bounces blame (published reply texts)")
        terminalreporter.write_line(replies.figures().report())
