"""A parsed API Gateway HTTP API (v2) request: every way client input enters the service is validated here."""

import base64
import re
from collections.abc import Mapping
from functools import cached_property
from typing import Any
from uuid import UUID

import msgspec
from aws_lambda_powertools.utilities.typing import LambdaContext

from messaging.api.models import FieldProblem, PageQuery, handle_of
from messaging.core.config import settings
from messaging.core.errors import InvalidJson, InvalidRequest, PayloadTooLarge, Unauthenticated
from messaging.core.json_input import NotJson, parse_json

MAX_BODY_BYTES = 16 * 1024
_MAX_IDEMPOTENCY_KEY_LENGTH = 128


class HttpRequest:
    def __init__(self, event: Mapping[str, Any], context: LambdaContext) -> None:
        self.event = event
        self.context = context

    @property
    def route_key(self) -> str:
        return str(self.event.get("routeKey", ""))

    @property
    def path(self) -> str:
        return str(self.event.get("rawPath", ""))

    @cached_property
    def headers(self) -> dict[str, str]:
        return {name.lower(): value for name, value in (self.event.get("headers") or {}).items()}

    @cached_property
    def caller_id(self) -> str:
        """The Cognito ``sub`` of the caller, as the HTTP API JWT authorizer verified it.

        Under ``sam local`` nothing verifies it before us, so the token is checked here by the same rules; in AWS
        a request without verified claims is refused, whatever it carries.
        """
        claims = self.event.get("requestContext", {}).get("authorizer", {}).get("jwt", {}).get("claims", {})
        if not claims and settings().sam_local:
            # Imported here: PyJWT and cryptography have no place in the cold start of a function in AWS.
            from messaging.core.tokens import bearer_token, configured_verifier  # noqa: PLC0415

            claims = configured_verifier().claims(bearer_token(self.headers))
        return _access_token_sub(claims)

    def path_uuid(self, name: str) -> UUID:
        value = (self.event.get("pathParameters") or {}).get(name, "")
        try:
            return UUID(value)
        except (ValueError, TypeError, AttributeError):
            raise InvalidRequest(
                f"{name} must be a UUID.", details=[{"field": name, "message": "must be a UUID"}]
            ) from None

    def path_handle(self, name: str) -> str:
        """A handle in the path (``/api/blocks/{handle}``), under the rules of a handle in a body."""
        value = (self.event.get("pathParameters") or {}).get(name, "")
        try:
            return handle_of(value if isinstance(value, str) else "")
        except FieldProblem as problem:
            raise _invalid_field(name, problem.message) from None

    @cached_property
    def page_query(self) -> PageQuery:
        query = self.event.get("queryStringParameters") or {}
        # Query values are text: "limit=20" is the number 20 (lax conversion), which a JSON body would not be;
        # but only digits make a count, not "1e2" or "10.0", which lax conversion would take.
        limit = query.get("limit")
        if isinstance(limit, str) and not (limit.isascii() and limit.isdigit()):
            raise _invalid_field("limit", "must be a whole number")
        return _validated(PageQuery, query, strict=False)

    def json_body[M: msgspec.Struct](self, model: type[M]) -> M:
        return _validated(model, self._json_document())

    @cached_property
    def idempotency_key(self) -> str | None:
        key = self.headers.get("idempotency-key")
        if key is None:
            return None
        if not 0 < len(key) <= _MAX_IDEMPOTENCY_KEY_LENGTH or not key.isascii() or not key.isprintable():
            raise InvalidRequest(
                "Idempotency-Key must be 1 to 128 printable ASCII characters.",
                details=[{"field": "Idempotency-Key", "message": "1 to 128 printable ASCII characters"}],
            )
        return key

    def _json_document(self) -> Any:
        raw = self._body_bytes()
        if len(raw) > MAX_BODY_BYTES:
            raise PayloadTooLarge(f"The request body exceeds {MAX_BODY_BYTES} bytes.")
        if not raw.strip():
            raise InvalidJson("The request body must be a JSON object.")
        try:
            # JSON on the wire is UTF-8 (RFC 8259); a leading byte order mark may be ignored, so it is.
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise InvalidJson("The request body is not UTF-8 text.") from None
        try:
            return parse_json(text)
        except NotJson as error:
            raise InvalidJson(f"The request body is not valid JSON: {error}.") from None

    def _body_bytes(self) -> bytes:
        body = self.event.get("body") or ""
        if self.event.get("isBase64Encoded"):
            try:
                return base64.b64decode(body, validate=True)
            except ValueError:  # binascii.Error, or non-ASCII text
                raise InvalidJson("The request body is not valid base64.") from None
        try:
            return body.encode("utf-8")
        except UnicodeEncodeError:  # lone surrogates: a gateway that passed on undecodable bytes as text
            raise InvalidJson("The request body is not UTF-8 text.") from None


def _access_token_sub(claims: Mapping[str, Any]) -> str:
    """The ``sub`` of verified claims, if they are an access token's.

    The JWT authorizer checks ``aud`` or ``client_id`` against the app client, so a Cognito ID token (``aud`` =
    the client) passes it unless the route asks for a scope; its ``sub`` must still not be taken for a caller.
    Only an access token says ``token_use: access`` and names its ``client_id``.
    """
    sub = claims.get("sub")
    if not isinstance(sub, str) or not sub:
        raise Unauthenticated("The request carries no verified identity.")
    if claims.get("token_use") != "access" or not claims.get("client_id"):
        raise Unauthenticated("Only a Cognito access token is accepted.")
    return sub


def _validated[M: msgspec.Struct](model: type[M], data: Any, *, strict: bool = True) -> M:
    if not isinstance(data, dict):
        raise InvalidRequest("The request body must be a JSON object.")
    try:
        return msgspec.convert(data, model, strict=strict)
    except msgspec.ValidationError as error:
        raise _invalid_field(*_problem(error)) from None


def _invalid_field(field: str, message: str) -> InvalidRequest:
    return InvalidRequest("Some fields are invalid.", details=[{"field": field, "message": message}])


# msgspec reports the first problem as "<what> - at `$.<field>`", or names a missing field in the text.
_LOCATED = re.compile(r"^(?P<message>.*) - at `\$\.?(?P<field>[^`]*)`$", re.DOTALL)
_MISSING = re.compile(r"^Object missing required field `(?P<field>[^`]*)`")


def _problem(error: msgspec.ValidationError) -> tuple[str, str]:
    """The field a validation error is about (``body`` when it is about the whole) and what is wrong with it."""
    if isinstance(error.__cause__, FieldProblem):
        return error.__cause__.field, error.__cause__.message
    if located := _LOCATED.match(str(error)):
        return located["field"] or "body", located["message"]
    if missing := _MISSING.match(str(error)):
        return missing["field"], "is required"
    return "body", str(error)
