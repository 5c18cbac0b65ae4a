"""The IAM endpoints served next to ModelArts: password tokens, token validation, projects, STS.

Errors use IAM's own body shape ``{"error": {"code", "message", "title"}}``.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from pulumi_modelarts.emulator import errors, ids
from pulumi_modelarts.emulator.auth import TokenInfo
from pulumi_modelarts.emulator.clock import iso_utc
from pulumi_modelarts.emulator.config import EmulatorConfig
from pulumi_modelarts.emulator.context import Request, Response

if TYPE_CHECKING:
    from pulumi_modelarts.emulator.app import Application

Doc = dict[str, Any]

WRONG_PASSWORD = "The username or password is wrong."
MIN_STS_SECONDS, MAX_STS_SECONDS, DEFAULT_STS_SECONDS = 900, 86400, 900


def domain_id(config: EmulatorConfig) -> str:
    return ids.derived_hex32("domain", config.domain_name)


def user_id(config: EmulatorConfig) -> str:
    return ids.derived_hex32("user", config.domain_name, config.username)


def _bad_request(message: str) -> errors.ApiError:
    return errors.iam(400, message, "Bad Request")


def _unauthorized(message: str) -> errors.ApiError:
    return errors.iam(401, message, "Unauthorized")


def _body(req: Request) -> Doc:
    try:
        value = json.loads(req.body.decode("utf-8")) if req.body.strip() else None
    except (ValueError, RecursionError):
        raise _bad_request("The request body is not valid JSON.") from None
    if not isinstance(value, dict):
        raise _bad_request("The request body must be a JSON object.")
    return value


def _obj(value: Any, where: str) -> Doc:
    if not isinstance(value, dict):
        raise _bad_request(f"The request body is invalid: {where} must be an object.")
    return value


def token_body(config: EmulatorConfig, info: TokenInfo, base_url: str, *, catalog: bool) -> Doc:
    domain = {"id": domain_id(config), "name": config.domain_name}
    token: Doc = {
        "expires_at": iso_utc(info.expires_ms),
        "issued_at": iso_utc(info.issued_ms),
        "methods": ["password"],
        "user": {"id": user_id(config), "name": config.username, "domain": domain, "password_expires_at": ""},
        "roles": [
            {"id": ids.derived_hex32("role", "te_admin"), "name": "te_admin"},
            {"id": ids.derived_hex32("role", "modelarts_adm"), "name": "modelarts_adm"},
        ],
    }
    if info.project_id is not None:
        token["project"] = {"id": info.project_id, "name": info.project_name, "domain": domain}
    else:
        token["domain"] = domain
    if catalog:
        region = config.project_name
        token["catalog"] = [
            {
                "type": service,
                "id": ids.derived_hex32("service", service),
                "name": name,
                "endpoints": [
                    {
                        "id": ids.derived_hex32("endpoint", service),
                        "url": url,
                        "region": region,
                        "region_id": region,
                        "interface": "public",
                    }
                ],
            }
            for service, name, url in (
                ("modelarts", "modelarts", base_url),
                ("modelartsv2", "modelartsv2", f"{base_url}/v2/{config.project_id}"),
                ("identity", "iam", f"{base_url}/v3"),
            )
        ]
    return {"token": token}


def create_token(app: Application, req: Request) -> Response:
    config = app.config
    auth = _obj(_body(req).get("auth"), "auth")
    identity = _obj(auth.get("identity"), "auth.identity")
    methods = identity.get("methods")
    if not isinstance(methods, list) or "password" not in methods:
        raise _bad_request('The emulator supports the "password" identity method only.')
    user = _obj(_obj(identity.get("password"), "auth.identity.password").get("user"), "auth.identity.password.user")
    domain: Doc = user["domain"] if isinstance(user.get("domain"), dict) else {}
    domain_ok = domain.get("name") == config.domain_name or domain.get("id") == domain_id(config)
    name_ok = user.get("name") == config.username or user.get("id") == user_id(config)
    if not (domain_ok and name_ok and user.get("password") == config.password):
        raise _unauthorized(WRONG_PASSWORD)
    scope = auth.get("scope")
    project = scope.get("project") if isinstance(scope, dict) else None
    if isinstance(project, dict):
        if project.get("id") not in (None, config.project_id) or project.get("name") not in (
            None,
            config.project_name,
        ):
            raise _unauthorized("The project in the scope does not exist or the user has no access to it.")
        if project.get("id") is None and project.get("name") is None:
            raise _bad_request("The request body is invalid: auth.scope.project needs a name or an id.")
        token, info = app.auth.issue_token(config.project_id, config.project_name)
    else:
        token, info = app.auth.issue_token(None, None)
    catalog = not req.query.raw("nocatalog")
    body = token_body(config, info, req.base_url, catalog=catalog)
    return Response(201, body, headers={"X-Subject-Token": token})


def _caller(app: Application, req: Request) -> None:
    """IAM calls other than issuing a token need a valid token or AK/SK signature."""
    app.auth.authenticate(req.method, req.path, req.query_string, req.headers, req.body)


def validate_token(app: Application, req: Request) -> Response:
    _caller(app, req)
    subject = req.headers.get("x-subject-token", "")
    info = app.auth.lookup_token(subject) if subject else None
    if info is None or app.clock.now_ms() >= info.expires_ms:
        raise errors.iam(404, "Could not find token.", "Not Found")
    catalog = not req.query.raw("nocatalog")
    return Response(200, token_body(app.config, info, req.base_url, catalog=catalog), {"X-Subject-Token": subject})


def list_projects(app: Application, req: Request) -> Response:
    _caller(app, req)
    config = app.config
    projects = [
        {
            "id": config.project_id,
            "name": config.project_name,
            "domain_id": domain_id(config),
            "enabled": True,
            "is_domain": False,
            "parent_id": domain_id(config),
            "description": "",
        }
    ]
    name = req.query.raw("name")
    if name is not None:
        projects = [p for p in projects if p["name"] == name]
    return Response(200, {"projects": projects, "links": {"self": f"{req.base_url}/v3/projects", "next": None}})


def create_security_token(app: Application, req: Request) -> Response:
    """STS with the "token" method: temporary AK/SK plus a security token (NOTES §6.2)."""
    if not req.headers.get("x-auth-token"):
        raise errors.iam_auth_failed("x-auth-token not found")
    _caller(app, req)
    identity = _obj(_obj(_body(req).get("auth"), "auth").get("identity"), "auth.identity")
    methods = identity.get("methods")
    if not isinstance(methods, list) or "token" not in methods:
        raise _bad_request('The emulator supports the "token" method only.')
    token: Doc = identity["token"] if isinstance(identity.get("token"), dict) else {}
    duration = token.get("duration_seconds", DEFAULT_STS_SECONDS)
    if (
        isinstance(duration, bool)
        or not isinstance(duration, int)
        or not MIN_STS_SECONDS <= duration <= MAX_STS_SECONDS
    ):
        raise _bad_request(f"duration_seconds must be an integer from {MIN_STS_SECONDS} to {MAX_STS_SECONDS}.")
    return Response(201, {"credential": app.auth.create_temporary(duration)})
