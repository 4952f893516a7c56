"""Wait for a log line, as for any other event."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Iterator

from tests.timing import timeout

__all__ = ["LogLines", "log_lines"]


class LogLines(logging.Handler):
    """Keeps every record it is given; :meth:`wait_for` waits for a matching one."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []
        self._loop = asyncio.get_running_loop()
        self._changed = asyncio.Event()

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)
        self._loop.call_soon_threadsafe(self._changed.set)

    def messages(self, logger: str = "") -> list[str]:
        return [r.getMessage() for r in self.records if r.name.startswith(logger)]

    async def wait_for(
        self, predicate: Callable[[logging.LogRecord], bool], seconds: float = 10
    ) -> logging.LogRecord:
        async def find() -> logging.LogRecord:
            index = 0
            while True:
                for record in self.records[index:]:
                    if predicate(record):
                        return record
                index = len(self.records)
                self._changed.clear()
                await self._changed.wait()

        return await asyncio.wait_for(find(), timeout(seconds))


@contextlib.contextmanager
def log_lines(name: str = "valueroom", level: int = logging.INFO) -> Iterator[LogLines]:
    """Collect what logger ``name`` (and its children) log at ``level`` and above."""
    lines = LogLines()
    logger = logging.getLogger(name)
    old = logger.level
    logger.setLevel(level)
    logger.addHandler(lines)
    try:
        yield lines
    finally:
        logger.removeHandler(lines)
        logger.setLevel(old)
