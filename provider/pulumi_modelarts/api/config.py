"""Settings of the ModelArts client and where they come from.

``resolve_settings`` merges, per setting: explicit arguments (``None`` or ``""`` = not given),
then the environment (the first set name of NOTES §7.3: ``HW_*``, then ``OS_*``, then the
official SDKs' ``HUAWEICLOUD_SDK_*``), then the ``clouds.yaml`` entry named by ``OS_CLOUD``,
then defaults derived from the region. It then checks that the result names exactly one
usable way to authenticate, and says in every error which setting is wrong and where it can
be given. Secrets never appear in ``repr`` or in messages.
"""

from __future__ import annotations

import difflib
import math
import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from pulumi_modelarts._version import __version__
from pulumi_modelarts.api.errors import ConfigurationError

USER_AGENT = f"pulumi-modelarts/{__version__}"

AuthMethod = Literal["aksk", "temporary_aksk", "password", "token"]
#: Who gave the explicit values: Pulumi stack config, or the flags of the ``pulumi-modelarts`` CLI.
Origin = Literal["pulumi", "cli"]

OTC_REGIONS = frozenset({"eu-de", "eu-nl"})
OTC_DOMAIN = "otc.t-systems.com"
HUAWEI_DOMAIN = "myhuaweicloud.com"
HUAWEI_EU_DOMAIN = "myhuaweicloud.eu"
HUAWEI_EU_REGION_PREFIX = "eu-west-1"
# Regions whose endpoints are derived (NOTES §7.1, §7.2). Any other region needs an explicit endpoint or cloud.
HUAWEI_REGIONS = frozenset(
    {
        "af-north-1", "af-south-1", "ap-southeast-1", "ap-southeast-2", "ap-southeast-3", "ap-southeast-4",
        "ap-southeast-5", "cn-east-2", "cn-east-3", "cn-east-4", "cn-north-1", "cn-north-2", "cn-north-4",
        "cn-north-9", "cn-north-11", "cn-north-12", "cn-south-1", "cn-south-2", "cn-southwest-2", "cn-southwest-3",
        "eu-west-0", "eu-west-101", "la-north-2", "la-south-2", "me-east-1", "na-mexico-1", "ru-moscow-1",
        "ru-northwest-2", "sa-brazil-1", "tr-west-1",
    }
)  # fmt: skip
KNOWN_REGIONS = OTC_REGIONS | HUAWEI_REGIONS
# Settings sent in an HTTP header (or used as the HMAC key): printable ASCII only.
HEADER_SETTINGS = ("access_key", "secret_key", "security_token", "auth_token", "project_id")
_HEADER_SAFE = re.compile(r"[\x20-\x7e]*")


@dataclass(frozen=True)
class SettingSpec:
    """One setting: its field name, Pulumi config key, environment names and clouds.yaml keys."""

    name: str
    config_key: str
    env: tuple[str, ...]
    clouds: tuple[str, ...]
    description: str
    secret: bool = False

    @property
    def flag(self) -> str:
        """The ``pulumi-modelarts`` CLI flag of this setting."""
        return "--insecure" if self.name == "verify_tls" else "--" + self.name.replace("_", "-")

    def explicit_place(self, origin: Origin = "pulumi") -> str:
        """How the user names this setting explicitly: the CLI flag or the Pulumi config key."""
        return f"the {self.flag} flag" if origin == "cli" else f"Pulumi config {self.config_key}"

    def where(self, origin: Origin = "pulumi") -> str:
        """Where the setting can be given, for error messages."""
        places = [f"pass {self.flag}" if origin == "cli" else f"set {self.config_key} in Pulumi config"]
        if self.env:
            names = list(self.env)
            env = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " or " + names[-1]
            places.append(f"{env} in the environment")
        if self.clouds:
            places.append(" or ".join(self.clouds) + " in clouds.yaml")
        if len(places) == 1:
            return places[0]
        return ", ".join(places[:-1]) + ", or " + places[-1]


def _spec(
    name: str, key: str, env: tuple[str, ...], clouds: tuple[str, ...], text: str, secret: bool = False
) -> SettingSpec:
    return SettingSpec(name, f"modelarts:{key}", env, clouds, text, secret)


# fmt: off
SETTINGS_TABLE: tuple[SettingSpec, ...] = (
    _spec("region", "region", ("HW_REGION_NAME", "OS_REGION_NAME"), ("region_name",),
          "Region, e.g. eu-de (Open Telekom Cloud) or cn-north-4 (Huawei Cloud); derives the endpoints."),
    _spec("project_id", "projectId", ("HW_PROJECT_ID", "OS_PROJECT_ID", "HUAWEICLOUD_SDK_PROJECT_ID"),
          ("auth.project_id",), "IAM project id; looked up from the project name or region when not given."),
    _spec("project_name", "projectName", ("HW_PROJECT_NAME", "OS_PROJECT_NAME"), ("auth.project_name",),
          "IAM project name (defaults to the region), used to scope tokens and to look up the project id."),
    _spec("endpoint", "endpoint", ("MODELARTS_ENDPOINT",), (),
          "ModelArts endpoint URL; derived from the region when not given."),
    _spec("iam_endpoint", "iamEndpoint", ("HW_AUTH_URL", "OS_AUTH_URL"), ("auth.auth_url",),
          "IAM endpoint URL ending in /v3; derived from the region when not given."),
    _spec("access_key", "accessKey", ("HW_ACCESS_KEY", "OS_ACCESS_KEY", "HUAWEICLOUD_SDK_AK"),
          ("ak", "access_key"), "Access key (AK) for AK/SK request signing.", secret=True),
    _spec("secret_key", "secretKey", ("HW_SECRET_KEY", "OS_SECRET_KEY", "HUAWEICLOUD_SDK_SK"),
          ("sk", "secret_key"), "Secret key (SK) for AK/SK request signing.", secret=True),
    _spec("security_token", "securityToken",
          ("HW_SECURITY_TOKEN", "OS_SECURITY_TOKEN", "HUAWEICLOUD_SDK_SECURITY_TOKEN"), ("security_token",),
          "Security token of temporary AK/SK credentials.", secret=True),
    _spec("username", "username", ("HW_USER_NAME", "OS_USERNAME"), ("auth.username",),
          "IAM user name for password authentication."),
    _spec("password", "password", ("HW_USER_PASSWORD", "OS_PASSWORD"), ("auth.password",),
          "IAM user password for password authentication.", secret=True),
    _spec("domain_name", "domainName",
          ("HW_DOMAIN_NAME", "OS_DOMAIN_NAME", "OS_USER_DOMAIN_NAME", "OS_PROJECT_DOMAIN_NAME"),
          ("auth.user_domain_name", "auth.domain_name"), "Account (domain) name of the IAM user."),
    _spec("domain_id", "domainId",
          ("HW_DOMAIN_ID", "OS_DOMAIN_ID", "OS_USER_DOMAIN_ID", "OS_PROJECT_DOMAIN_ID",
           "HUAWEICLOUD_SDK_DOMAIN_ID"),
          ("auth.user_domain_id", "auth.domain_id"), "Account (domain) id of the IAM user."),
    _spec("auth_token", "authToken", ("HW_AUTH_TOKEN", "OS_AUTH_TOKEN"), ("auth.token",),
          "A ready IAM token (X-Auth-Token); it cannot be refreshed.", secret=True),
    _spec("cloud", "cloud", ("HW_CLOUD",), (),
          "Domain suffix of the derived endpoints, e.g. myhuaweicloud.com (default by region)."),
    _spec("connect_timeout", "connectTimeout", ("MODELARTS_CONNECT_TIMEOUT",), (),
          "Seconds to wait for a TCP/TLS connection (default 5)."),
    _spec("read_timeout", "readTimeout", ("MODELARTS_READ_TIMEOUT",), (),
          "Seconds to wait for a response (default 30)."),
    _spec("max_retries", "maxRetries", ("HW_MAX_RETRIES",), (),
          "Retries of a failed call (default 5; 0 disables retries)."),
    _spec("retry_max_seconds", "retryMaxSeconds", ("MODELARTS_RETRY_MAX_SECONDS",), (),
          "Upper bound in seconds on the time one call spends retrying (default 120)."),
    _spec("verify_tls", "insecure", ("HW_INSECURE", "OS_INSECURE"), ("verify",),
          "TLS certificate verification; insecure=true (HW_INSECURE, OS_INSECURE) or verify: false "
          "in clouds.yaml turns it off."),
)
# fmt: on

SPECS: dict[str, SettingSpec] = {spec.name: spec for spec in SETTINGS_TABLE}
SECRET_FIELDS = tuple(spec.name for spec in SETTINGS_TABLE if spec.secret)


@dataclass(frozen=True)
class Settings:
    """Resolved, validated client settings. Build it with ``resolve_settings``."""

    endpoint: str
    region: str | None = None
    project_id: str | None = None
    project_name: str | None = None
    iam_endpoint: str | None = None
    access_key: str | None = field(default=None, repr=False)
    secret_key: str | None = field(default=None, repr=False)
    security_token: str | None = field(default=None, repr=False)
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    domain_name: str | None = None
    domain_id: str | None = None
    auth_token: str | None = field(default=None, repr=False)
    connect_timeout: float = 5.0
    read_timeout: float = 30.0
    max_retries: int = 5
    retry_max_seconds: float = 120.0
    verify_tls: bool = True
    origin: Origin = field(default="pulumi", repr=False, compare=False)
    #: Where each given setting came from ("the --region flag", "HW_REGION_NAME", ...), for messages.
    sources: Mapping[str, str] = field(default_factory=dict, repr=False, compare=False)

    @property
    def auth_method(self) -> AuthMethod:
        """AK/SK wins over a password, which wins over a ready token (checked by resolve_settings)."""
        if self.access_key and self.secret_key:
            return "temporary_aksk" if self.security_token else "aksk"
        if self.username and self.password:
            return "password"
        if self.auth_token:
            return "token"
        raise ConfigurationError(_no_credentials_message(self.origin))

    def where(self, name: str) -> str:
        """Where setting ``name`` can be given, in the words of this run's origin (CLI or Pulumi)."""
        return SPECS[name].where(self.origin)

    def source_of(self, name: str) -> str:
        """Where setting ``name`` came from this run, e.g. ``HW_ACCESS_KEY`` or ``the --access-key flag``."""
        return self.sources.get(name) or SPECS[name].explicit_place(self.origin)

    def describe_credentials(self) -> str:
        """Which credentials are in use, by setting and source (never by value)."""
        names = {
            "aksk": ("access_key", "secret_key"),
            "temporary_aksk": ("access_key", "secret_key", "security_token"),
            "password": ("username", "password", "domain_name" if self.domain_name else "domain_id"),
            "token": ("auth_token",),
        }[self.auth_method]
        return ", ".join(f"{name.replace('_', ' ')} from {self.source_of(name)}" for name in names)

    @property
    def project_scope_name(self) -> str | None:
        """The IAM project name to scope to or look up: the project name, else the region."""
        return self.project_name or self.region

    def secrets(self) -> tuple[str, ...]:
        """The secret values that are set, so that messages can be scrubbed of them."""
        values = (getattr(self, name) for name in SECRET_FIELDS)
        return tuple(value for value in values if value)


def default_endpoints(region: str, cloud: str | None = None) -> tuple[str, str]:
    """ModelArts and IAM endpoints of a region (NOTES §7.1, §7.2)."""
    if cloud:
        domain = cloud
    elif region in OTC_REGIONS:
        domain = OTC_DOMAIN
    elif region.startswith(HUAWEI_EU_REGION_PREFIX):
        domain = HUAWEI_EU_DOMAIN
    else:
        domain = HUAWEI_DOMAIN
    return f"https://modelarts.{region}.{domain}", f"https://iam.{region}.{domain}/v3"


def explicit_from_config(config: Mapping[str, Any]) -> dict[str, Any]:
    """Map Pulumi config (``modelarts:camelCase`` or bare ``camelCase`` keys) to resolve_settings kwargs."""
    by_key = {spec.config_key.split(":", 1)[1]: spec for spec in SETTINGS_TABLE}
    explicit: dict[str, Any] = {}
    for key, value in config.items():
        spec = by_key.get(key.split(":", 1)[-1])
        if spec is None or value is None or value == "":
            continue
        if spec.name == "verify_tls":
            explicit["verify_tls"] = not _parse_bool(spec, value)
        else:
            explicit[spec.name] = value
    return explicit


# Config keys of the package that are no client setting: the owner of the resources' work (README, "Ownership").
OTHER_CONFIG_KEYS = ("namespace",)


def unknown_config_keys(keys: Iterable[str]) -> list[tuple[str, str | None]]:
    """The ``modelarts:`` config keys that are no setting, each with the closest known key (or None)."""
    known = [spec.config_key.removeprefix("modelarts:") for spec in SETTINGS_TABLE] + list(OTHER_CONFIG_KEYS)
    unknown: list[tuple[str, str | None]] = []
    for key in keys:
        bare = key.removeprefix("modelarts:")
        if key.startswith("modelarts:") and bare not in known:
            close = difflib.get_close_matches(bare, known, n=1, cutoff=0.6)
            unknown.append((key, f"modelarts:{close[0]}" if close else None))
    return unknown


def config_key_warnings(keys: Iterable[str]) -> list[str]:
    """One warning per ``modelarts:`` config key that is no setting (a typo is otherwise silently ignored)."""
    return [
        f"warning: Pulumi config key {key} is not a pulumi-modelarts setting"
        + (f"; did you mean {close}?" if close else "; see the README for the settings")
        for key, close in unknown_config_keys(keys)
    ]


def resolve_settings(
    *,
    region: str | None = None,
    project_id: str | None = None,
    project_name: str | None = None,
    endpoint: str | None = None,
    iam_endpoint: str | None = None,
    access_key: str | None = None,
    secret_key: str | None = None,
    security_token: str | None = None,
    username: str | None = None,
    password: str | None = None,
    domain_name: str | None = None,
    domain_id: str | None = None,
    auth_token: str | None = None,
    cloud: str | None = None,
    connect_timeout: float | str | None = None,
    read_timeout: float | str | None = None,
    max_retries: int | str | None = None,
    retry_max_seconds: float | str | None = None,
    verify_tls: bool | str | None = None,
    environ: Mapping[str, str] | None = None,
    origin: Origin = "pulumi",
) -> Settings:
    """Merge explicit arguments, environment, clouds.yaml and defaults; validate; return Settings.

    ``origin`` says who gave the explicit arguments (Pulumi config or CLI flags), so that messages
    name what the user typed. String values are stripped of surrounding whitespace.
    """
    explicit = {name: value for name, value in locals().items() if name in SPECS}
    env = os.environ if environ is None else environ
    clouds = _load_clouds_entry(env)
    sources: dict[str, str] = {}

    def given(value: Any) -> bool:
        return value is not None and not (isinstance(value, str) and not value.strip())

    def pick(name: str) -> Any:
        spec = SPECS[name]
        value = explicit.get(name)
        if given(value):
            sources[name] = spec.explicit_place(origin)
            return value
        for env_name in spec.env:
            if given(env.get(env_name)):
                sources[name] = env_name
                value = env[env_name]
                return not _parse_bool(spec, value, env_name) if name == "verify_tls" else value
        for key in spec.clouds:
            found = _dig(clouds, key)
            if given(found):
                sources[name] = f"{key} in clouds.yaml"
                return found
        return None

    raw = {name: pick(name) for name in SPECS}
    strings = {name: (str(raw[name]).strip() if raw[name] is not None else None) for name in SPECS}
    for name in HEADER_SETTINGS:
        value = strings[name]
        if value is not None and not _HEADER_SAFE.fullmatch(value):
            raise ConfigurationError(
                f"ModelArts setting {name} (from {sources[name]}) contains a line break, a control character "
                "or a non-ASCII character, which cannot be sent in an HTTP header; the value is not shown: "
                "check it (a copied key often carries an extra character)"
            )

    region_value = strings["region"].lower() if strings["region"] else None
    endpoint_value = _normalize_url(strings["endpoint"], SPECS["endpoint"], sources, origin)
    iam_value = _normalize_iam(strings["iam_endpoint"], sources, origin)
    if region_value:
        if region_value not in KNOWN_REGIONS and not (endpoint_value or strings["cloud"]):
            known = ", ".join(sorted(KNOWN_REGIONS))
            raise ConfigurationError(
                f"ModelArts region {region_value!r} (from {sources['region']}) is not a known region "
                f"(known: {known}); fix it, or give the endpoint: {SPECS['endpoint'].where(origin)}"
            )
        default_ma, default_iam = default_endpoints(region_value, strings["cloud"])
        endpoint_value = endpoint_value or default_ma
        iam_value = iam_value or default_iam
    if not endpoint_value:
        raise ConfigurationError(
            "ModelArts region is missing and no endpoint is given: "
            f"{SPECS['region'].where(origin)}; or {SPECS['endpoint'].where(origin)}"
        )

    def number(name: str, default: Any, kind: type, positive: bool = False) -> Any:
        return _number(SPECS[name], raw[name], default, kind, positive, sources.get(name))

    settings = Settings(
        endpoint=endpoint_value,
        region=region_value,
        project_id=strings["project_id"],
        project_name=strings["project_name"],
        iam_endpoint=iam_value,
        access_key=strings["access_key"],
        secret_key=strings["secret_key"],
        security_token=strings["security_token"],
        username=strings["username"],
        password=strings["password"],
        domain_name=strings["domain_name"],
        domain_id=strings["domain_id"],
        auth_token=strings["auth_token"],
        connect_timeout=number("connect_timeout", 5.0, float, positive=True),
        read_timeout=number("read_timeout", 30.0, float, positive=True),
        max_retries=number("max_retries", 5, int),
        retry_max_seconds=number("retry_max_seconds", 120.0, float),
        verify_tls=True
        if raw["verify_tls"] is None
        else _parse_bool(SPECS["verify_tls"], raw["verify_tls"], sources.get("verify_tls")),
        origin=origin,
        sources=sources,
    )
    validate_settings(settings)
    return settings


def validate_settings(settings: Settings) -> None:
    """Reject incomplete or contradictory credentials, naming the setting and where to give it."""

    def missing(name: str, what: str, why: str) -> ConfigurationError:
        return ConfigurationError(f"ModelArts {what} is missing{why}: {settings.where(name)}")

    s = settings
    if s.access_key and not s.secret_key:
        raise missing("secret_key", "secret key", " (an access key is set)")
    if s.secret_key and not s.access_key:
        raise missing("access_key", "access key", " (a secret key is set)")
    if s.security_token and not s.access_key:
        raise ConfigurationError(
            "ModelArts security token is set without the temporary access key and secret key it belongs to: "
            f"{settings.where('access_key')}; and {settings.where('secret_key')}"
        )
    if not s.access_key:  # AK/SK wins; otherwise a half-given password identity is a mistake
        if s.username and not s.password:
            raise missing("password", "password", " (a user name is set)")
        if s.password and not s.username:
            raise missing("username", "user name", " (a password is set)")
    method = s.auth_method  # raises when there are no credentials at all
    if method == "password" and not (s.domain_name or s.domain_id):
        raise missing("domain_name", "domain (account) name", " for password authentication")
    if method == "token" and not s.project_id:
        raise missing("project_id", "project id", " (required with a ready token)")
    if method == "password" or not s.project_id:
        if not s.iam_endpoint:
            raise missing("iam_endpoint", "IAM endpoint", " and cannot be derived without a region")
        if not (s.project_id or s.project_scope_name):
            raise missing("project_name", "project name", " (or project id, or region) to scope the token")


def _no_credentials_message(origin: Origin) -> str:
    def where(name: str) -> str:
        return SPECS[name].where(origin)

    return (
        "ModelArts credentials are missing: give an access key and secret key "
        f"({where('access_key')}; {where('secret_key')}), "
        f"or a user name, password and domain name ({where('username')}; "
        f"{where('password')}; {where('domain_name')}), "
        f"or a token ({where('auth_token')})"
    )


_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"0", "false", "no", "off"})


def _parse_bool(spec: SettingSpec, value: Any, source: str | None = None) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ConfigurationError(f"ModelArts setting {_named(spec, source)} must be true or false, got {value!r}")


def _named(spec: SettingSpec, source: str | None) -> str:
    return f"{spec.name} (from {source})" if source else f"{spec.name} ({spec.where()})"


def _number(
    spec: SettingSpec, value: Any, default: Any, kind: type, positive: bool = False, source: str | None = None
) -> Any:
    try:
        if value is None:
            return default
        if isinstance(value, bool):
            raise ValueError
        number = float(value)
        if not math.isfinite(number) or number < 0 or (positive and number == 0):
            raise ValueError
        if kind is int:
            if not number.is_integer():
                raise ValueError
            return int(number)
        return number
    except (TypeError, ValueError):
        adjective = "positive" if positive else "non-negative"
        noun = "integer" if kind is int else "number"
        raise ConfigurationError(
            f"ModelArts setting {_named(spec, source)} must be a {adjective} {noun}, got {value!r}"
        ) from None


def _normalize_url(url: str | None, spec: SettingSpec, sources: Mapping[str, str], origin: Origin) -> str | None:
    """An endpoint URL without trailing slash; it must say http:// or https://."""
    if not url:
        return None
    url = url.strip().rstrip("/")
    scheme, sep, rest = url.partition("://")
    if not sep or scheme.lower() not in ("http", "https") or not rest:
        raise ConfigurationError(
            f"ModelArts setting {spec.name} (from {sources.get(spec.name) or spec.explicit_place(origin)}) "
            f"must be a URL starting with https:// (or http:// for a local emulator), got {url!r}: "
            f"for example https://{rest or url}"
        )
    return f"{scheme.lower()}://{rest}"


def _normalize_iam(url: str | None, sources: Mapping[str, str], origin: Origin) -> str | None:
    """IAM endpoints are kept with their ``/v3`` suffix (``OS_AUTH_URL`` style)."""
    url = _normalize_url(url, SPECS["iam_endpoint"], sources, origin)
    if url is None:
        return None
    return url if url.endswith("/v3") else url + "/v3"


def _dig(entry: Mapping[str, Any], dotted: str) -> Any:
    value: Any = entry
    for part in dotted.split("."):
        if not isinstance(value, Mapping):
            return None
        value = value.get(part)
    return value


def clouds_yaml_candidates(environ: Mapping[str, str]) -> list[Path]:
    """Where clouds.yaml is looked for, in openstacksdk's order."""
    candidates = []
    if environ.get("OS_CLIENT_CONFIG_FILE"):
        candidates.append(Path(environ["OS_CLIENT_CONFIG_FILE"]).expanduser())
    candidates += [
        Path.cwd() / "clouds.yaml",
        Path.home() / ".config" / "openstack" / "clouds.yaml",
        Path("/etc/openstack/clouds.yaml"),
    ]
    return candidates


def _load_clouds_entry(environ: Mapping[str, str]) -> Mapping[str, Any]:
    """The clouds.yaml entry named by OS_CLOUD (empty when OS_CLOUD is not set)."""
    name = environ.get("OS_CLOUD")
    if not name:
        return {}
    candidates = clouds_yaml_candidates(environ)
    path = next((candidate for candidate in candidates if candidate.is_file()), None)
    if path is None:
        searched = ", ".join(str(candidate) for candidate in candidates)
        raise ConfigurationError(f"OS_CLOUD={name} is set but no clouds.yaml was found (searched {searched})")
    import yaml  # only needed here; keeps the provider's import cheap

    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigurationError(f"cannot read {path}: {type(exc).__name__}") from None
    clouds = document.get("clouds") if isinstance(document, Mapping) else None
    entry = clouds.get(name) if isinstance(clouds, Mapping) else None
    if not isinstance(entry, Mapping):
        raise ConfigurationError(f"OS_CLOUD={name} is set but {path} has no cloud named {name!r} under 'clouds:'")
    return entry
