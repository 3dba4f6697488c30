"""From a request body to a report and back: parsing, validation, content negotiation.

Bad input is answered as the command line would word it, in FastAPI's error shape:
``422 {"detail": [{"loc": ["body", "her2_tests", 0, "ihc", "score"],
"msg": "case.her2_tests[0].ihc.score: '4+' is not one of 0, 1+, 2+, 3+"}]}``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from her2gc.case import Case
from her2gc.engine import EvaluationOptions, evaluate
from her2gc.errors import InputError
from her2gc.kb.base import KnowledgeBase
from her2gc.readers.documents import check_shape, parse_json_document, parse_yaml_document
from her2gc.render import to_html, to_json
from her2gc.report import Report, Warning
from her2gc.runtime import Runtime
from her2gc.service.fhir_bridge import FhirBridge
from her2gc.validation import field_path, validation_message

__all__ = [
    "FHIR_JSON",
    "HTML",
    "JSON",
    "RequestProblem",
    "case_from_document",
    "negotiate",
    "parse_document",
    "problem",
    "render_report",
    "report_json",
    "run_evaluation",
    "to_json",
    "validation_problem",
]

JSON = "application/json"
FHIR_JSON = "application/fhir+json"
HTML = "text/html"
REPORT_MEDIA_TYPES = (JSON, HTML, FHIR_JSON)
YAML_TYPES = ("application/yaml", "application/x-yaml", "text/yaml", "text/x-yaml")


class RequestProblem(Exception):
    """An answer other than 200, with the detail list of the contract's error shape."""

    def __init__(self, status: int, detail: list[dict[str, Any]], headers: dict[str, str] | None = None) -> None:
        super().__init__(detail[0]["msg"] if detail else str(status))
        self.status = status
        self.detail = detail
        self.headers = headers or {}


def problem(status: int, loc: Sequence[str | int], msg: str) -> RequestProblem:
    return RequestProblem(status, [{"loc": list(loc), "msg": msg}])


def _error_detail(error: Any) -> dict[str, Any]:
    location = tuple(part for part in error["loc"] if part not in ("function-after", "function-before"))
    return {
        "loc": ["body", *location],
        "msg": f"{field_path(location)}: {str(error.get('msg', 'invalid')).removeprefix('Value error, ')}",
    }


def validation_problem(exc: ValidationError, root_loc: Sequence[str | int] = ("body",)) -> RequestProblem:
    """Every validation error; the first worded exactly as the command line words it."""
    errors = exc.errors()
    first_location = tuple(part for part in errors[0]["loc"] if part not in ("function-after", "function-before"))
    first = {"loc": [*root_loc, *first_location], "msg": validation_message(exc, "body").removeprefix("body: ")}
    rest = [_error_detail(error) for error in errors[1:]]
    for item in rest:
        item["loc"] = [*root_loc, *item["loc"][1:]]
    return RequestProblem(422, [first, *rest])


def parse_document(body: bytes, content_type: str | None, source: str = "body") -> Any:
    """JSON (or YAML when the content type says so) from the body, read by the case-file
    reader's rules (duplicate keys, aliases, depth and size refused); 422 when malformed."""
    media = (content_type or JSON).split(";", 1)[0].strip().lower()
    try:
        text = body.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError as exc:
        raise problem(422, ["body"], f"{source}: not UTF-8 text (byte {exc.start})") from None
    if not text.strip():
        raise problem(422, ["body"], f"{source}: empty; send a case (JSON or YAML) or a FHIR R4 Bundle")
    where = Path(source)
    try:
        data = parse_yaml_document(where, text) if media in YAML_TYPES else parse_json_document(where, text)
        check_shape(where, data)
    except InputError as exc:
        raise problem(422, ["body"], exc.one_line()) from None
    return data


def case_from_document(
    data: Any, fhir: FhirBridge, kb: KnowledgeBase, source: str = "body"
) -> tuple[Case, list[Warning]]:
    """A her2gc case, or a FHIR R4 Bundle mapped to one (recognised by ``resourceType``), with
    the mapping's warnings (none for a case)."""
    if not isinstance(data, dict):
        raise problem(422, ["body"], f"case: expected a mapping at the top level, got {type(data).__name__}")
    if "resourceType" in data:
        if data.get("resourceType") != "Bundle":
            raise problem(
                422,
                ["body", "resourceType"],
                f"{source}: resourceType: '{str(data.get('resourceType'))[:40]}' is not Bundle; send a FHIR R4 Bundle or a her2gc case",
            )
        try:
            return fhir.case_from_bundle(data, source)
        except LookupError as exc:
            raise problem(415, ["body"], str(exc)) from None
        except InputError as exc:
            raise problem(422, ["body"], exc.one_line()) from None
    try:
        return Case.model_validate(data, context={"vocabulary": kb.vocabulary}), []
    except ValidationError as exc:
        raise validation_problem(exc) from None


def parse_region(region: str | None) -> str | None:
    if region is None or region == "":
        return None
    upper = region.upper()
    if upper not in ("US", "EU", "CN", "JP"):
        raise problem(422, ["query", "region"], f"region: '{region[:20]}' is not one of US, EU, CN, JP")
    return upper


def run_evaluation(
    case: Case,
    kb: KnowledgeBase,
    options: EvaluationOptions,
    runtime: Runtime,
    warnings: list[Warning] | None = None,
) -> Report:
    """The report, the input mapping's warnings first; 422 worded as the command line words it."""
    try:
        return evaluate(case, kb, options, runtime=runtime).with_warnings_first(warnings or [])
    except InputError as exc:
        message = exc.one_line()
        loc = ["query", "region"] if message.startswith(("case.region", "--region")) else ["body"]
        raise problem(
            422, loc, message.replace("--region", "region").replace("or pass region", "or pass ?region=")
        ) from None


@dataclass(frozen=True)
class MediaRange:
    type: str
    quality: float


def _ranges(accept: str) -> list[MediaRange]:
    ranges: list[MediaRange] = []
    for part in accept.split(","):
        pieces = [piece.strip() for piece in part.split(";")]
        if not pieces[0]:
            continue
        quality = 1.0
        for parameter in pieces[1:]:
            name, _, value = parameter.partition("=")
            if name.strip().lower() == "q":
                try:
                    quality = min(max(float(value), 0.0), 1.0)
                except ValueError:
                    quality = 0.0
        ranges.append(MediaRange(pieces[0].lower(), quality))
    return ranges


def negotiate(accept: str | None, offered: Sequence[str] = REPORT_MEDIA_TYPES) -> str | None:
    """The offered media type the Accept header prefers (the first offered for none or ``*/*``)."""
    if accept is None or not accept.strip():
        return offered[0]
    best: tuple[float, int, str] | None = None
    for position, media in enumerate(offered):
        major = media.split("/", 1)[0]
        quality = max(
            (r.quality for r in _ranges(accept) if r.type in (media, f"{major}/*", "*/*")),
            default=0.0,
        )
        exact = max((r.quality for r in _ranges(accept) if r.type == media), default=None)
        quality = exact if exact is not None else quality
        if quality > 0 and (best is None or (quality, -position) > (best[0], -best[1])):
            best = (quality, position, media)
    return best[2] if best else None


def spelled_differently(fast: bytes) -> bool:
    """Whether orjson's output may hold a float that Python's ``json`` spells otherwise.

    Python writes a float in exponent form below 1e-4 and from 1e16 (``1e-05``,
    ``1e+16``); orjson writes those as ``0.00001`` or ``1e-7``, ``1e+16``. So a
    difference shows as ``0.0000`` or as a digit, ``e-``/``e+`` and a digit. Found by
    ``bytes.find`` (C speed); a match inside a text value only costs the slow path.
    """
    if b"0.0000" in fast:
        return True
    for marker in (b"e-", b"e+"):
        at = fast.find(marker)
        while at != -1:
            if at > 0 and fast[at - 1 : at].isdigit() and fast[at + 2 : at + 3].isdigit():
                return True
            at = fast.find(marker, at + 2)
    return False


def report_json(report: Report) -> bytes:
    """The bytes of ``her2gc evaluate --format json``, about twenty times faster.

    ``json.dumps(indent=2)`` runs in pure Python (3 ms for a typical report, more than the
    evaluation); orjson writes the same layout in C. The two differ only in how some floats
    are spelled (:func:`spelled_differently`), so output that may hold one is written by
    ``to_json`` itself: the bytes are always identical.
    """
    try:
        import orjson
    except ImportError:
        return to_json(report).encode()
    try:
        fast = orjson.dumps(report.to_json_dict(), option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS) + b"\n"
    except (TypeError, orjson.JSONEncodeError):
        return to_json(report).encode()
    return to_json(report).encode() if spelled_differently(fast) else fast


def render_report(
    report: Report, case: Case, media_type: str, fhir: FhirBridge, kb: KnowledgeBase, runtime: Runtime | None = None
) -> bytes:
    """The answer's bytes; the HTML report's template and pictures are kept in the worker's runtime."""
    if media_type == HTML:
        return to_html(report, case, kb, runtime=runtime).encode()
    if media_type == FHIR_JSON:
        try:
            return fhir.to_fhir(report, case).encode()
        except LookupError as exc:
            raise problem(406, ["header", "accept"], str(exc)) from None
    return report_json(report)
