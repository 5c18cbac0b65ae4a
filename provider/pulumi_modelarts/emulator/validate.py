"""Checking request bodies and query strings; every failure names the field and what is allowed."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping, Sequence
from typing import Any

from pulumi_modelarts.emulator import errors
from pulumi_modelarts.emulator.errors import ApiError

NAME_RE = re.compile(r"^[A-Za-z0-9_-]+$")
DESCRIPTION_FORBIDDEN = set("!<>=&\"'")


def describe(value: Any) -> str:
    """A short, safe rendering of a value for error messages."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list)):
        return f"a JSON {'object' if isinstance(value, dict) else 'array'}"
    text = json.dumps(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def _parse_float(text: str) -> float:
    number = float(text)
    if not math.isfinite(number):
        raise ValueError(f"number {text[:20]} is out of range")
    return number


def parse_json_body(body: bytes, *, required: bool = True, code: str = errors.INVALID) -> dict[str, Any]:
    """Parse a JSON object body; an empty body is ``{}`` unless ``required``."""
    if not body.strip():
        if required:
            raise errors.modelarts(400, "ModelArts.4202", "The request body is empty.")
        return {}
    try:
        value = json.loads(body.decode("utf-8"), parse_constant=_reject_constant, parse_float=_parse_float)
    except UnicodeDecodeError:
        raise errors.invalid("", "the body is not UTF-8 text", code) from None
    except (ValueError, RecursionError) as exc:
        raise errors.invalid("", f"the body is not valid JSON ({str(exc)[:100]})", code) from None
    if not isinstance(value, dict):
        raise errors.invalid("", f"expected a JSON object, got {describe(value)}", code)
    return value


class Fields:
    """Typed access to one JSON object, with dotted field paths in error messages."""

    def __init__(self, data: Mapping[str, Any], prefix: str = "", code: str = errors.INVALID) -> None:
        self.data = data
        self.prefix = prefix
        self.code = code

    def path(self, name: str) -> str:
        return f"{self.prefix}.{name}" if self.prefix else name

    def fail(self, name: str, message: str) -> ApiError:
        return errors.invalid(self.path(name), message, self.code)

    def _get(self, name: str, required: bool) -> Any:
        value = self.data.get(name)
        if value is None and required:
            raise self.fail(name, "is required")
        return value

    def string(
        self,
        name: str,
        *,
        required: bool = False,
        choices: Sequence[str] | None = None,
        pattern: re.Pattern[str] | None = None,
        pattern_text: str = "",
        min_len: int = 0,
        max_len: int | None = None,
    ) -> str | None:
        value = self._get(name, required)
        if value is None:
            return None
        if not isinstance(value, str):
            raise self.fail(name, f"expected a string, got {describe(value)}")
        if choices is not None and value not in choices:
            allowed = ", ".join(repr(choice) for choice in choices)
            raise self.fail(name, f"expected one of {allowed}, got {describe(value)}")
        if len(value) < min_len or (max_len is not None and len(value) > max_len):
            bounds = f"{min_len} to {max_len}" if max_len is not None else f"at least {min_len}"
            raise self.fail(name, f"expected {bounds} characters, got {len(value)}")
        if pattern is not None and not pattern.match(value):
            raise self.fail(name, f"expected {pattern_text or pattern.pattern}, got {describe(value)}")
        return value

    def integer(
        self,
        name: str,
        *,
        required: bool = False,
        choices: Sequence[int] | None = None,
        lo: int | None = None,
        hi: int | None = None,
        numeric_string: bool = False,
    ) -> int | None:
        value = self._get(name, required)
        if value is None:
            return None
        number = _as_int(value, numeric_string)
        if number is None:
            raise self.fail(name, f"expected an integer, got {describe(value)}")
        if choices is not None and number not in choices:
            allowed = ", ".join(str(choice) for choice in choices)
            raise self.fail(name, f"expected one of {allowed}, got {number}")
        if (lo is not None and number < lo) or (hi is not None and number > hi):
            raise self.fail(name, f"expected an integer from {lo} to {hi}, got {number}")
        return number

    def number(self, name: str, *, required: bool = False) -> float | None:
        value = self._get(name, required)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise self.fail(name, f"expected a number, got {describe(value)}")
        return float(value)

    def boolean(self, name: str, *, required: bool = False) -> bool | None:
        value = self._get(name, required)
        if value is None:
            return None
        if not isinstance(value, bool):
            raise self.fail(name, f"expected true or false, got {describe(value)}")
        return value

    def obj(self, name: str, *, required: bool = False) -> Fields | None:
        value = self._get(name, required)
        if value is None:
            return None
        if not isinstance(value, dict):
            raise self.fail(name, f"expected a JSON object, got {describe(value)}")
        return Fields(value, self.path(name), self.code)

    def array(self, name: str, *, required: bool = False, items: str = "any") -> list[Any] | None:
        """``items``: "any", "string" or "object"."""
        value = self._get(name, required)
        if value is None:
            return None
        if not isinstance(value, list):
            raise self.fail(name, f"expected a JSON array, got {describe(value)}")
        kinds = {"string": (str, "a string"), "object": (dict, "a JSON object")}
        if items in kinds:
            kind, text = kinds[items]
            for index, item in enumerate(value):
                if not isinstance(item, kind):
                    raise errors.invalid(
                        f"{self.path(name)}[{index}]", f"expected {text}, got {describe(item)}", self.code
                    )
        return value

    def objects(self, name: str, *, required: bool = False) -> list[Fields]:
        items = self.array(name, required=required, items="object") or []
        return [Fields(item, f"{self.path(name)}[{index}]", self.code) for index, item in enumerate(items)]


def _as_int(value: Any, numeric_string: bool) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if numeric_string and isinstance(value, str) and re.fullmatch(r"-?\d{1,9}", value.strip()):
        return int(value)
    return None


def check_name(fields: Fields, name: str, *, max_len: int, required: bool = False) -> str | None:
    return fields.string(
        name,
        required=required,
        pattern=NAME_RE,
        pattern_text=f"1 to {max_len} characters from A-Z a-z 0-9 _ -",
        min_len=1,
        max_len=max_len,
    )


def check_description(fields: Fields, name: str = "description") -> str | None:
    value = fields.string(name, max_len=256)
    if value is not None and DESCRIPTION_FORBIDDEN & set(value):
        raise fields.fail(name, "must not contain any of ! < > = & \" '")
    return value


def check_ratio(fields: Fields, name: str, *, allow_number: bool = False) -> str | None:
    """A ratio given as a string ("0.80"), or also as a number when ``allow_number``."""
    value = fields.data.get(name)
    if value is None:
        return None
    if allow_number and isinstance(value, (int, float)) and not isinstance(value, bool):
        text = str(value)
    elif isinstance(value, str):
        text = value
    else:
        raise fields.fail(name, f'expected a ratio string such as "0.80", got {describe(value)}')
    try:
        number = float(text)
    except ValueError:
        raise fields.fail(name, f"expected a number from 0 to 1 as a string, got {describe(value)}") from None
    if not 0.0 <= number <= 1.0:
        raise fields.fail(name, f"expected a number from 0 to 1, got {describe(value)}")
    return text


class Query:
    """Typed access to query parameters (the first value of each name)."""

    def __init__(self, params: Mapping[str, Sequence[str]]) -> None:
        self.params = params

    def raw(self, name: str) -> str | None:
        values = self.params.get(name)
        return values[0] if values else None

    def integer(self, name: str, default: int | None, lo: int | None = None, hi: int | None = None) -> int | None:
        text = self.raw(name)
        if text is None or text == "":
            return default
        if not re.fullmatch(r"[+-]?\d{1,12}", text.strip()):
            raise errors.invalid(name, f"expected an integer, got {describe(text)}")
        number = int(text)
        if (lo is not None and number < lo) or (hi is not None and number > hi):
            low = "" if lo is None else str(lo)
            high = "" if hi is None else str(hi)
            raise errors.invalid(name, f"expected an integer from {low} to {high}, got {number}")
        return number

    def fraction(self, name: str, default: float, lo: float = 0.0, hi: float = 1.0) -> float:
        """A number from ``lo`` to ``hi`` (a score bound, for example)."""
        text = self.raw(name)
        if text is None or text == "":
            return default
        try:
            number = float(text)
        except ValueError:
            number = float("nan")
        if not lo <= number <= hi:
            raise errors.invalid(name, f"expected a number from {lo:g} to {hi:g}, got {describe(text)}")
        return number

    def boolean(self, name: str, default: bool = False) -> bool:
        text = self.raw(name)
        if text is None or text == "":
            return default
        lowered = text.lower()
        if lowered not in ("true", "false"):
            raise errors.invalid(name, f"expected true or false, got {describe(text)}")
        return lowered == "true"

    def choice(self, name: str, choices: Sequence[str], default: str | None = None) -> str | None:
        text = self.raw(name)
        if text is None or text == "":
            return default
        if text not in choices:
            allowed = ", ".join(choices)
            raise errors.invalid(name, f"expected one of {allowed}, got {describe(text)}")
        return text

    def page(self, default_limit: int, max_limit: int) -> tuple[int, int]:
        """(offset, limit); ``offset`` is a 0-based page index (NOTES §9)."""
        limit = self.integer("limit", default_limit, 1, max_limit)
        offset = self.integer("offset", 0, 0, 10**9)
        assert limit is not None and offset is not None
        return offset, limit


def paginate(items: Sequence[Any], offset: int, limit: int) -> list[Any]:
    start = offset * limit
    return list(items[start : start + limit])
