"""JSON that clients send (request bodies, cursors), read strictly: what RFC 8259 allows and nothing else."""

import json
import math
from typing import Any


class NotJson(ValueError):
    """The text is not JSON this service accepts; the message says why, in words fit for the client."""


def parse_json(text: str) -> Any:
    try:
        return json.loads(text, parse_constant=_refuse_constant, parse_float=_finite_float)
    except NotJson:
        raise
    except RecursionError:
        # json recurses once per nesting level: "[[[[..." exhausts the stack before it could be refused.
        raise NotJson("it is nested too deeply") from None
    except ValueError:  # a syntax error, or an integer of more digits than Python converts (int_max_str_digits)
        raise NotJson("it is not valid JSON") from None


def _refuse_constant(name: str) -> Any:
    # Python's json reads NaN and Infinity, which are not JSON: no other client would read them back.
    raise NotJson(f"{name} is not a JSON number")


def _finite_float(literal: str) -> float:
    value = float(literal)
    if not math.isfinite(value):  # 1e400 overflows to infinity, which JSON cannot carry back either
        raise NotJson(f"the number {literal[:20]} is out of range")
    return value
