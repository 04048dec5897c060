"""Print the developer-corpus figures at the end of any run that computed them."""

from __future__ import annotations

import sys


def pytest_terminal_summary(terminalreporter) -> None:
    accuracy = sys.modules.get("test_bounce_accuracy")
    if accuracy is None or not accuracy.corpus_score.cache_info().currsize:
        return
    terminalreporter.section("buzon.bounces accuracy (developer corpus)")
    terminalreporter.write_line(accuracy.corpus_score().report())
