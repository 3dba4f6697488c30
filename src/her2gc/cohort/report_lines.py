"""A cohort's report lines: the JSON of ``her2gc.render.to_json`` (keys sorted, UTF-8), one
compact line each, with the parts that reports share serialised once.

Half of a report's bytes are its ``sources`` (the citation of every source it cites);
patients of one alteration profile share one ``model`` section, and patients with the
same facts share their options, exclusions and the trace of the line's rules: the engine
hands out the same (frozen) objects for them. Each such object is serialised once, the
first time it is met, and spliced into later lines as it is (``orjson.Fragment``); the
bytes are those of serialising the whole report.
"""

from __future__ import annotations

import orjson
from pydantic import BaseModel

from her2gc.report import Report

SHARED_LISTS = ("sources", "recommendations", "excluded", "trace")  # lists of objects reports share
SHARED_PARTS = (*SHARED_LISTS, "model")
KEPT = 16384  # serialised parts remembered, at most (a partition's reports share some hundreds)


class ReportLines:
    """Report JSON lines; the serialised shared parts are kept by object identity (each
    with a reference to its object, so that no other object can take its identity)."""

    def __init__(self) -> None:
        self._parts: dict[int, tuple[BaseModel, orjson.Fragment]] = {}

    def _fragment(self, part: BaseModel) -> orjson.Fragment:
        found = self._parts.get(id(part))
        if found is None:
            if len(self._parts) >= KEPT:
                self._parts.clear()
            text = orjson.dumps(part.model_dump(mode="json", by_alias=True), option=orjson.OPT_SORT_KEYS)
            found = (part, orjson.Fragment(text))
            self._parts[id(part)] = found
        return found[1]

    def line(self, report: Report) -> bytes:
        """The report's JSON, compact, keys sorted (no newline)."""
        data = report.model_dump(mode="json", by_alias=True, exclude=set(SHARED_PARTS))
        for name in SHARED_LISTS:
            data[name] = [self._fragment(part) for part in getattr(report, name)]
        data["model"] = self._fragment(report.model)
        return orjson.dumps(data, option=orjson.OPT_SORT_KEYS)
