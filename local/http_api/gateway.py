"""The local API Gateway on SAM CLI's own emulator: routes, v2 events and CORS come from template.yaml.

SAM's emulator ignores JWT authorizers, so the in-process runner plays the HTTP API JWT authorizer itself: no
valid access token carrying one of the route's authorization scopes (the template's), no handler run, and API
Gateway's own ``401 {"message": "Unauthorized"}``.
"""

import functools
import json
import logging
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from local.http_api.payload_gate import PayloadGate
from local.http_api.request_handler import GatewayRequestHandler
from local.runtime.lambdas import LocalFunctions
from messaging.core.errors import Unauthenticated
from messaging.core.tokens import AccessTokenVerifier, bearer_token, require_scope, token_scopes
from tooling.paths import TEMPLATE_PATH
from tooling.template import Template

logger = logging.getLogger(__name__)

_UNDECODABLE = "application/x-undecodable-body"
_UNAUTHORIZED = {
    "statusCode": 401,
    "headers": {"content-type": "application/json", "www-authenticate": "Bearer"},
    "body": json.dumps({"message": "Unauthorized"}),
}


class AuthorizingRunner:
    """What SAM's LocalApigwService calls to run a function: checks the token, then invokes in-process."""

    def __init__(
        self,
        functions: LocalFunctions,
        authorizer: AccessTokenVerifier,
        expose_headers: list[str],
        scopes: Mapping[str, Sequence[str]] | None = None,
    ) -> None:
        self.functions = functions
        self.authorizer = authorizer
        self.expose_headers = ", ".join(expose_headers)
        # function -> the authorization scopes of its route, one of which a token must carry
        self.scopes = dict(scopes or {})

    def is_debugging(self) -> bool:
        return False

    def invoke(self, function_name: str, event: str, stdout: Any, stderr: Any = None, tenant_id: Any = None) -> None:
        stdout.write_str(json.dumps(self.respond(function_name, json.loads(event))))

    def respond(self, function_name: str, event: dict[str, Any]) -> dict[str, Any]:
        try:
            claims = self.authorizer.claims(bearer_token(event.get("headers") or {}))
            require_scope(claims, self.scopes.get(function_name, ()))
        except Unauthenticated as refusal:
            logger.info("401 from the JWT authorizer: %s", refusal)
            return _UNAUTHORIZED
        scopes = sorted(token_scopes(claims)) if self.scopes.get(function_name) else None
        event.setdefault("requestContext", {})["authorizer"] = {
            "jwt": {"claims": {name: _claim_text(value) for name, value in claims.items()}, "scopes": scopes}
        }
        try:
            result = self.functions.invoke(function_name, event)
        except Exception:
            # What API Gateway answers when the integration fails; our handlers should never get here.
            logger.exception("function %s raised", function_name)
            return {"statusCode": 500, "body": json.dumps({"message": "Internal Server Error"})}
        if self.expose_headers and "origin" in {name.lower() for name in event.get("headers") or {}}:
            # SAM's emulator does not model CorsConfiguration.ExposeHeaders; API Gateway adds it.
            result.setdefault("headers", {})["access-control-expose-headers"] = self.expose_headers
        return result


def _claim_text(value: Any) -> str:
    # API Gateway hands claims to the function as strings (lists in its bracketed form).
    if isinstance(value, list):
        return "[" + " ".join(map(str, value)) + "]"
    return str(value)


def create_gateway(
    template: Template,
    functions: LocalFunctions,
    authorizer: AccessTokenVerifier,
    *,
    host: str,
    port: int,
    static_dir: Path | None = None,
    web_config: dict[str, Any] | None = None,
) -> Any:
    """A ready LocalApigwService; call ``run()`` from the main thread (it installs signal handlers)."""
    # SAM CLI is heavy to import and only the gateway needs it.
    from samcli.lib.providers.api_provider import ApiProvider  # noqa: PLC0415
    from samcli.lib.providers.sam_stack_provider import SamLocalStackProvider  # noqa: PLC0415
    from samcli.local.apigw.local_apigw_service import LocalApigwService  # noqa: PLC0415

    stacks, _ = SamLocalStackProvider.get_stacks(str(TEMPLATE_PATH), parameter_overrides=template.parameters)
    api = ApiProvider(stacks).api
    api.binary_media_types_set.add(_UNDECODABLE)
    expose = _expose_headers(template)
    runner = AuthorizingRunner(functions, authorizer, expose, authorization_scopes(template))
    service = LocalApigwService(api, runner, port=port, host=host, static_dir=str(static_dir) if static_dir else None)
    service.create()
    # pinned aws-sam-cli internals from here on (service._app, service._dict_of_routes); the e2e tests guard them.
    # SAM answers unknown routes as a REST API does (403 "Missing Authentication Token"): an HTTP API says 404,
    # for an unknown path (Flask's 404) and for a known path with another method (Flask's 405) alike.
    service._app.register_error_handler(404, _not_found)
    service._app.register_error_handler(405, _not_found)
    service._app.before_request(_only_template_routes(service._dict_of_routes))
    service._app.before_request(_pass_undecodable_bodies_as_binary)
    # Outermost: API Gateway reads (or refuses) the payload before anything else runs, the authorizer included.
    service._app.wsgi_app = PayloadGate(service._app.wsgi_app)
    # SAM's run() calls app.run(threaded=..., host=..., port=...); werkzeug takes the request handler from there.
    service._app.run = functools.partial(service._app.run, request_handler=GatewayRequestHandler)
    if static_dir is not None:
        _serve_web_client(service._app, static_dir, web_config or {})
    return service


def _serve_web_client(app: Any, static_dir: Path, web_config: dict[str, Any]) -> None:
    """The web client at /, and its config.json describing this local stack (SAM serves the other files)."""
    from flask import jsonify, send_from_directory  # noqa: PLC0415 - flask comes with SAM CLI

    app.add_url_rule("/", "web_index", lambda: send_from_directory(static_dir, "index.html"))
    app.add_url_rule("/config.json", "web_config", lambda: jsonify(web_config))


def _only_template_routes(routes: dict[str, Any]) -> Callable[[], Any]:
    """404 for a method the template does not declare on a path it does.

    Flask adds HEAD to every GET rule, but an HTTP API route ``GET /x`` does not match HEAD (routes match their
    method, or ANY); SAM would find no route for it and answer 502.
    """
    from flask import request  # noqa: PLC0415 - flask comes with SAM CLI, loaded with it

    # SAM keys its routes "<flask rule>:<METHOD>" and names each rule's endpoint after the rule.
    api_endpoints = {key.rpartition(":")[0] for key in routes}

    def check() -> Any:
        if request.endpoint in api_endpoints and f"{request.endpoint}:{request.method}" not in routes:
            return _not_found(None)
        return None

    return check


def _pass_undecodable_bodies_as_binary() -> None:
    """A body that is not UTF-8 reaches the function base64-encoded, as API Gateway sends binary payloads.

    SAM's emulator would answer 502 while building the event; our handler answers 400 invalid_json.
    """
    from flask import request  # noqa: PLC0415 - flask comes with SAM CLI, loaded with it

    try:
        request.get_data(cache=True).decode("utf-8")
    except UnicodeDecodeError:
        request.environ["CONTENT_TYPE"] = _UNDECODABLE


def _not_found(_error: Exception | None) -> tuple[str, int, dict[str, str]]:
    return json.dumps({"message": "Not Found"}), 404, {"content-type": "application/json"}


def _expose_headers(template: Template) -> list[str]:
    for api in template.resources_of_type("AWS::Serverless::HttpApi").values():
        cors = api["Properties"].get("CorsConfiguration") or {}
        return [str(h) for h in template.resolve(cors.get("ExposeHeaders", []))]
    return []


def authorization_scopes(template: Template) -> dict[str, list[str]]:
    """Function -> the scopes its HttpApi route asks for: the event's own, else its authorizer's (SAM's rule)."""
    apis = template.resources_of_type("AWS::Serverless::HttpApi")
    scopes: dict[str, list[str]] = {}
    for logical_id, resource in template.resources_of_type("AWS::Serverless::Function").items():
        for event in (resource["Properties"].get("Events") or {}).values():
            if event["Type"] != "HttpApi":
                continue
            route_auth = event["Properties"].get("Auth") or {}
            api = apis.get((event["Properties"].get("ApiId") or {}).get("Ref", ""), {})
            api_auth = (api.get("Properties") or {}).get("Auth") or {}
            authorizer = route_auth.get("Authorizer", api_auth.get("DefaultAuthorizer"))
            default = ((api_auth.get("Authorizers") or {}).get(authorizer) or {}).get("AuthorizationScopes", [])
            scopes[logical_id] = [str(s) for s in template.resolve(route_auth.get("AuthorizationScopes", default))]
    return scopes
