"""The template's WebSocket API, read as API Gateway reads it: routes, their functions, the authorizer, the stage.

Routes point at integrations (``Target: integrations/${X}``), integrations at functions (``${F.Arn}`` in the
Lambda invocation URI), and a route with ``AuthorizationType: CUSTOM`` at an authorizer (``AuthorizerId: !Ref``).
"""

import re
from dataclasses import dataclass
from typing import Any

from tooling.template import Template

WEBSOCKET_API_TYPE = "AWS::ApiGatewayV2::Api"
_FUNCTION_IN_URI = re.compile(r"\$\{(\w+)\.Arn\}")
_INTEGRATION_IN_TARGET = re.compile(r"integrations/\$\{(\w+)\}")


@dataclass(frozen=True)
class Authorizer:
    function: str  # logical id of the authorizer function
    identity_sources: tuple[str, ...]  # e.g. route.request.querystring.token


@dataclass(frozen=True)
class WebSocketRoute:
    key: str  # $connect, $disconnect, $default or an action
    function: str
    two_way: bool  # has a route response: the function's body goes back to the client
    authorizer: Authorizer | None


@dataclass(frozen=True)
class WebSocketApi:
    logical_id: str
    route_selection_expression: str
    stage: str
    routes: dict[str, WebSocketRoute]


def websocket_api(template: Template) -> WebSocketApi:
    (logical_id,) = [
        name
        for name, resource in template.resources_of_type(WEBSOCKET_API_TYPE).items()
        if resource["Properties"].get("ProtocolType") == "WEBSOCKET"
    ]
    properties = template.resources[logical_id]["Properties"]
    return WebSocketApi(
        logical_id=logical_id,
        route_selection_expression=properties["RouteSelectionExpression"],
        stage=_stage(template, logical_id),
        routes={route.key: route for route in _routes(template, logical_id)},
    )


def _of_api(template: Template, resource_type: str, api_id: str) -> dict[str, dict[str, Any]]:
    return {
        name: resource["Properties"]
        for name, resource in template.resources_of_type(resource_type).items()
        if resource["Properties"].get("ApiId") == {"Ref": api_id}
    }


def _stage(template: Template, api_id: str) -> str:
    (stage,) = _of_api(template, "AWS::ApiGatewayV2::Stage", api_id).values()
    return str(template.resolve(stage["StageName"]))


def _routes(template: Template, api_id: str) -> list[WebSocketRoute]:
    integrations = _of_api(template, "AWS::ApiGatewayV2::Integration", api_id)
    authorizers = _of_api(template, "AWS::ApiGatewayV2::Authorizer", api_id)
    responses = {
        properties["RouteId"]["Ref"]
        for properties in _of_api(template, "AWS::ApiGatewayV2::RouteResponse", api_id).values()
    }
    routes = []
    for name, properties in _of_api(template, "AWS::ApiGatewayV2::Route", api_id).items():
        (integration,) = _INTEGRATION_IN_TARGET.findall(_sub_text(properties["Target"]))
        authorizer = None
        if properties.get("AuthorizationType") == "CUSTOM":
            spec = authorizers[properties["AuthorizerId"]["Ref"]]
            authorizer = Authorizer(_function_of(spec["AuthorizerUri"]), tuple(spec.get("IdentitySource", [])))
        routes.append(
            WebSocketRoute(
                key=properties["RouteKey"],
                function=_function_of(integrations[integration]["IntegrationUri"]),
                two_way=name in responses and bool(properties.get("RouteResponseSelectionExpression")),
                authorizer=authorizer,
            )
        )
    return routes


def _function_of(uri: Any) -> str:
    (function,) = _FUNCTION_IN_URI.findall(_sub_text(uri))
    return function


def _sub_text(value: Any) -> str:
    if isinstance(value, dict) and "Fn::Sub" in value:
        sub = value["Fn::Sub"]
        return sub if isinstance(sub, str) else sub[0]
    return str(value)
