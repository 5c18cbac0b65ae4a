"""Settings: precedence, endpoints by region, validation messages, clouds.yaml, redaction."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from pulumi_modelarts.api import (
    SETTINGS_TABLE,
    ConfigurationError,
    Settings,
    explicit_from_config,
    resolve_settings,
)
from pulumi_modelarts.api.config import SPECS, default_endpoints, unknown_config_keys

AKSK = {"HW_ACCESS_KEY": "ak-hw", "HW_SECRET_KEY": "sk-hw"}


def resolve(environ: dict[str, str] | None = None, **explicit: Any) -> Settings:
    return resolve_settings(environ=environ or {}, **explicit)


def write_clouds(tmp_path: Path, text: str) -> dict[str, str]:
    path = tmp_path / "clouds.yaml"
    path.write_text(text)
    return {"OS_CLOUD": "otc", "OS_CLIENT_CONFIG_FILE": str(path)}


CLOUDS = """
clouds:
  otc:
    profile: otc
    region_name: eu-de
    auth:
      username: cloud-user
      password: cloud-pass
      project_name: eu-de_proj
      user_domain_name: OTC00000000001000000001
      auth_url: https://iam.eu-de.otc.t-systems.com:443/v3
    ak: cloud-ak
    sk: cloud-sk
"""


# --- precedence -----------------------------------------------------------------------------


def test_explicit_beats_hw_beats_os_beats_clouds_yaml(tmp_path: Path) -> None:
    clouds = write_clouds(tmp_path, CLOUDS)
    env = {**clouds, "HW_REGION_NAME": "cn-north-4", "OS_REGION_NAME": "eu-nl"}
    assert resolve(env).region == "cn-north-4"
    assert resolve(env, region="ap-southeast-3").region == "ap-southeast-3"
    del env["HW_REGION_NAME"]
    assert resolve(env).region == "eu-nl"
    del env["OS_REGION_NAME"]
    assert resolve(env).region == "eu-de"


def test_none_and_empty_mean_not_given() -> None:
    env = {**AKSK, "HW_REGION_NAME": "eu-de", "OS_PROJECT_ID": "pid-os"}
    settings = resolve(env, region=None, project_id="", access_key=None)
    assert (settings.region, settings.project_id, settings.access_key) == ("eu-de", "pid-os", "ak-hw")
    assert resolve({**env, "HW_PROJECT_ID": ""}).project_id == "pid-os"


def test_huaweicloud_sdk_names_come_after_hw_and_os() -> None:
    env = {
        "HUAWEICLOUD_SDK_AK": "ak-sdk",
        "HUAWEICLOUD_SDK_SK": "sk-sdk",
        "HUAWEICLOUD_SDK_PROJECT_ID": "pid",
    }
    settings = resolve({**env, "HW_REGION_NAME": "eu-de"})
    assert (settings.access_key, settings.secret_key, settings.project_id) == ("ak-sdk", "sk-sdk", "pid")
    assert resolve({**env, "OS_ACCESS_KEY": "ak-os", "HW_REGION_NAME": "eu-de"}).access_key == "ak-os"


def test_clouds_yaml_entry_supplies_auth_region_and_keys(tmp_path: Path) -> None:
    settings = resolve(write_clouds(tmp_path, CLOUDS))
    assert settings.region == "eu-de"
    assert settings.username == "cloud-user"
    assert settings.project_name == "eu-de_proj"
    assert settings.domain_name == "OTC00000000001000000001"
    assert settings.iam_endpoint == "https://iam.eu-de.otc.t-systems.com:443/v3"
    assert settings.endpoint == "https://modelarts.eu-de.otc.t-systems.com"
    assert settings.auth_method == "aksk"  # ak/sk win over the password


def test_clouds_yaml_in_the_working_directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "clouds.yaml").write_text(CLOUDS.replace("ak: cloud-ak\n    sk: cloud-sk\n", ""))
    monkeypatch.chdir(tmp_path)
    settings = resolve({"OS_CLOUD": "otc"})
    assert settings.auth_method == "password"
    assert settings.password == "cloud-pass"


def test_clouds_yaml_errors_name_the_cloud(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    env = write_clouds(tmp_path, CLOUDS)
    with pytest.raises(ConfigurationError, match="no cloud named 'other'"):
        resolve({**env, "OS_CLOUD": "other"})
    if Path("/etc/openstack/clouds.yaml").exists():
        pytest.skip("this machine has a system-wide clouds.yaml")
    (tmp_path / "empty").mkdir()
    monkeypatch.chdir(tmp_path / "empty")
    monkeypatch.setenv("HOME", str(tmp_path))
    with pytest.raises(ConfigurationError, match=r"OS_CLOUD=otc is set but no clouds\.yaml was found"):
        resolve({"OS_CLOUD": "otc", "OS_CLIENT_CONFIG_FILE": str(tmp_path / "missing.yaml")})


def test_defaults() -> None:
    settings = resolve(AKSK, region="eu-de", project_id="pid")
    assert (settings.connect_timeout, settings.read_timeout) == (5.0, 30.0)
    assert (settings.max_retries, settings.retry_max_seconds, settings.verify_tls) == (5, 120.0, True)


def test_numeric_and_boolean_options_from_env_and_explicit() -> None:
    env = {**AKSK, "HW_REGION_NAME": "eu-de", "HW_MAX_RETRIES": "0", "OS_INSECURE": "true"}
    settings = resolve(env, read_timeout="12.5")
    assert (settings.max_retries, settings.verify_tls, settings.read_timeout) == (0, False, 12.5)
    assert resolve({**env, "HW_INSECURE": "0"}).verify_tls is True
    assert resolve(env, verify_tls=True).verify_tls is True


@pytest.mark.parametrize(
    ("name", "value", "phrase"),
    [
        ("max_retries", "-1", "non-negative integer"),
        ("max_retries", "2.5", "non-negative integer"),
        ("connect_timeout", "0", "positive number"),
        ("read_timeout", "soon", "positive number"),
        ("retry_max_seconds", "nan", "non-negative number"),
        ("verify_tls", "maybe", "true or false"),
    ],
)
def test_bad_numbers_name_the_setting(name: str, value: str, phrase: str) -> None:
    with pytest.raises(ConfigurationError) as caught:
        resolve(AKSK, region="eu-de", **{name: value})
    assert name in str(caught.value) and phrase in str(caught.value)
    assert SPECS[name].config_key in str(caught.value)


# --- endpoints ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("region", "cloud", "modelarts", "iam"),
    [
        (
            "eu-de",
            None,
            "https://modelarts.eu-de.otc.t-systems.com",
            "https://iam.eu-de.otc.t-systems.com/v3",
        ),
        (
            "eu-nl",
            None,
            "https://modelarts.eu-nl.otc.t-systems.com",
            "https://iam.eu-nl.otc.t-systems.com/v3",
        ),
        (
            "cn-north-4",
            None,
            "https://modelarts.cn-north-4.myhuaweicloud.com",
            "https://iam.cn-north-4.myhuaweicloud.com/v3",
        ),
        (
            "ap-southeast-3",
            None,
            "https://modelarts.ap-southeast-3.myhuaweicloud.com",
            "https://iam.ap-southeast-3.myhuaweicloud.com/v3",
        ),
        (
            "eu-west-101",
            None,
            "https://modelarts.eu-west-101.myhuaweicloud.eu",
            "https://iam.eu-west-101.myhuaweicloud.eu/v3",
        ),
        (
            "eu-west-0",
            None,
            "https://modelarts.eu-west-0.myhuaweicloud.com",
            "https://iam.eu-west-0.myhuaweicloud.com/v3",
        ),
        (
            "cn-north-4",
            "example.cloud",
            "https://modelarts.cn-north-4.example.cloud",
            "https://iam.cn-north-4.example.cloud/v3",
        ),
    ],
)
def test_region_endpoint_table(region: str, cloud: str | None, modelarts: str, iam: str) -> None:
    assert default_endpoints(region, cloud) == (modelarts, iam)
    env = {**AKSK, **({"HW_CLOUD": cloud} if cloud else {})}
    settings = resolve(env, region=region)
    assert (settings.endpoint, settings.iam_endpoint) == (modelarts, iam)


def test_explicit_endpoints_override_and_are_normalized() -> None:
    settings = resolve(
        AKSK,
        region="eu-de",
        endpoint=" https://modelarts.local:8443/ ",
        iam_endpoint="https://iam.local",
        project_id="p",
    )
    assert settings.endpoint == "https://modelarts.local:8443"
    assert settings.iam_endpoint == "https://iam.local/v3"
    env = {**AKSK, "MODELARTS_ENDPOINT": "http://127.0.0.1:9000", "OS_AUTH_URL": "http://127.0.0.1:9000/v3/"}
    settings = resolve(env, project_id="p")
    assert (settings.endpoint, settings.iam_endpoint, settings.region) == (
        "http://127.0.0.1:9000",
        "http://127.0.0.1:9000/v3",
        None,
    )


# --- authentication selection and contradictions --------------------------------------------


def test_auth_method_selection() -> None:
    base = {"region": "eu-de", "project_id": "p"}
    password = {"username": "u", "password": "pw", "domain_name": "d"}
    assert resolve(**base, access_key="a", secret_key="s", **password).auth_method == "aksk"
    assert resolve(**base, access_key="a", secret_key="s", security_token="t").auth_method == "temporary_aksk"
    assert resolve(**base, **password, auth_token="tok").auth_method == "password"
    assert resolve(**base, auth_token="tok").auth_method == "token"


@pytest.mark.parametrize(
    ("explicit", "setting", "places"),
    [
        (
            {"access_key": "a"},
            "secret_key",
            ["modelarts:secretKey", "HW_SECRET_KEY", "OS_SECRET_KEY", "sk or secret_key in clouds.yaml"],
        ),
        (
            {"secret_key": "s"},
            "access_key",
            ["modelarts:accessKey", "HW_ACCESS_KEY", "ak or access_key in clouds.yaml"],
        ),
        (
            {"security_token": "t", "username": "u", "password": "p", "domain_name": "d"},
            "access key",
            ["modelarts:accessKey", "modelarts:secretKey"],
        ),
        ({"username": "u"}, "password", ["modelarts:password", "HW_USER_PASSWORD", "OS_PASSWORD"]),
        (
            {"password": "p", "domain_name": "d"},
            "user name",
            ["modelarts:username", "HW_USER_NAME", "OS_USERNAME"],
        ),
        (
            {"username": "u", "password": "p"},
            "domain",
            ["modelarts:domainName", "HW_DOMAIN_NAME", "OS_USER_DOMAIN_NAME"],
        ),
        ({"auth_token": "t", "project_id": None}, "project id", ["modelarts:projectId", "HW_PROJECT_ID"]),
        ({}, "credentials", ["modelarts:accessKey", "modelarts:username", "HW_AUTH_TOKEN"]),
    ],
)
def test_every_configuration_error_names_the_setting_and_where(
    explicit: dict[str, Any], setting: str, places: list[str]
) -> None:
    values = {"region": "eu-de", "project_id": "pid", **explicit}
    with pytest.raises(ConfigurationError) as caught:
        resolve(**values)
    message = str(caught.value)
    assert setting.replace("_", " ") in message
    for place in places:
        assert place in message


def test_neither_region_nor_endpoint() -> None:
    with pytest.raises(ConfigurationError, match="region is missing") as caught:
        resolve(AKSK, project_id="p")
    assert "modelarts:region" in str(caught.value) and "MODELARTS_ENDPOINT" in str(caught.value)


def test_iam_needed_without_region() -> None:
    with pytest.raises(ConfigurationError, match="IAM endpoint is missing") as caught:
        resolve(AKSK, endpoint="https://ma.local")  # no project id: it must be looked up in IAM
    assert "HW_AUTH_URL" in str(caught.value)
    with pytest.raises(ConfigurationError, match="project name is missing"):
        resolve(AKSK, endpoint="https://ma.local", iam_endpoint="https://iam.local/v3")
    password = {"username": "u", "password": "p", "domain_name": "d"}
    with pytest.raises(ConfigurationError, match="IAM endpoint is missing"):
        resolve(endpoint="https://ma.local", project_id="p", **password)


# --- table, Pulumi config, secrets ------------------------------------------------------------


def test_settings_table_covers_every_field_and_names_pulumi_keys() -> None:
    table = {spec.name: spec for spec in SETTINGS_TABLE}
    assert set(Settings.__dataclass_fields__) - {"origin", "sources"} <= set(table)
    assert table["secret_key"].config_key == "modelarts:secretKey"
    assert table["iam_endpoint"].config_key == "modelarts:iamEndpoint"
    assert table["max_retries"].env == ("HW_MAX_RETRIES",)
    assert {spec.name for spec in SETTINGS_TABLE if spec.secret} == {
        "access_key",
        "secret_key",
        "security_token",
        "password",
        "auth_token",
    }
    assert all(spec.description for spec in SETTINGS_TABLE)


def test_explicit_from_pulumi_config() -> None:
    config = {
        "modelarts:region": "eu-de",
        "modelarts:accessKey": "a",
        "modelarts:secretKey": "s",
        "modelarts:projectId": "p",
        "modelarts:maxRetries": "2",
        "modelarts:insecure": "true",
        "modelarts:unrelated": "x",
        "modelarts:password": "",
    }
    explicit = explicit_from_config(config)
    assert explicit == {
        "region": "eu-de",
        "access_key": "a",
        "secret_key": "s",
        "project_id": "p",
        "max_retries": "2",
        "verify_tls": False,
    }
    settings = resolve(**explicit)
    assert (settings.max_retries, settings.verify_tls) == (2, False)


def test_secrets_are_not_in_repr() -> None:
    settings = resolve(
        region="eu-de",
        project_id="p",
        access_key="SENTINEL-AK-1",
        secret_key="SENTINEL-SK-1",
        security_token="SENTINEL-ST-1",
        username="user",
        password="SENTINEL-PW-1",
        domain_name="d",
        auth_token="SENTINEL-TOK-1",
    )
    assert "SENTINEL" not in repr(settings)
    assert "SENTINEL" not in str(settings)
    assert set(settings.secrets()) == {
        "SENTINEL-AK-1",
        "SENTINEL-SK-1",
        "SENTINEL-ST-1",
        "SENTINEL-PW-1",
        "SENTINEL-TOK-1",
    }


def test_bad_values_of_secret_settings_are_never_echoed() -> None:
    with pytest.raises(ConfigurationError) as caught:
        resolve(region="eu-de", project_id="p", access_key="SENTINEL-AK-2")
    assert "SENTINEL" not in str(caught.value) and "SENTINEL" not in repr(caught.value)


# --- normalization and checks of values (issue 10) ------------------------------------------------


@pytest.mark.parametrize(
    ("region", "endpoint", "iam"),
    [
        ("EU-DE", "https://modelarts.eu-de.otc.t-systems.com", "https://iam.eu-de.otc.t-systems.com/v3"),
        ("eu-de ", "https://modelarts.eu-de.otc.t-systems.com", "https://iam.eu-de.otc.t-systems.com/v3"),
        (
            " Cn-North-4\n",
            "https://modelarts.cn-north-4.myhuaweicloud.com",
            "https://iam.cn-north-4.myhuaweicloud.com/v3",
        ),
    ],
)
def test_regions_are_case_insensitive_and_stripped(region: str, endpoint: str, iam: str) -> None:
    settings = resolve(AKSK, region=region)
    assert (settings.region, settings.endpoint, settings.iam_endpoint) == (region.strip().lower(), endpoint, iam)


def test_unknown_region_is_refused_unless_an_endpoint_or_cloud_is_given() -> None:
    with pytest.raises(ConfigurationError) as caught:
        resolve({**AKSK, "HW_REGION_NAME": "eu-dee"})
    message = str(caught.value)
    assert "'eu-dee'" in message and "HW_REGION_NAME" in message and "eu-de" in message
    assert "MODELARTS_ENDPOINT" in message
    assert resolve(AKSK, region="xx-private-1", endpoint="https://ma.example").region == "xx-private-1"
    assert resolve(AKSK, region="xx-private-1", cloud="example.cloud").endpoint == (
        "https://modelarts.xx-private-1.example.cloud"
    )


@pytest.mark.parametrize("value", ["modelarts.local:8443", "ftp://modelarts.local", "https://"])
def test_endpoint_without_http_scheme_is_refused_with_a_hint(value: str) -> None:
    with pytest.raises(ConfigurationError) as caught:
        resolve(AKSK, region="eu-de", endpoint=value)
    message = str(caught.value)
    assert "https://" in message and "modelarts:endpoint" in message
    with pytest.raises(ConfigurationError, match="--endpoint flag"):
        resolve(AKSK, region="eu-de", endpoint=value, origin="cli")
    with pytest.raises(ConfigurationError, match="HW_AUTH_URL"):
        resolve({**AKSK, "HW_AUTH_URL": value}, region="eu-de")


@pytest.mark.parametrize("setting", ["access_key", "secret_key", "security_token", "auth_token", "project_id"])
@pytest.mark.parametrize("bad", ["SENTINEL\nX", "SENTINEL\u00e9", "SENTINEL\x00", "SENTINEL\rX"])
def test_values_that_cannot_go_into_a_header_are_refused_unquoted(setting: str, bad: str) -> None:
    values: dict[str, Any] = {"region": "eu-de", "project_id": "p", "access_key": "a", "secret_key": "s"}
    values[setting] = bad
    for origin, place in (("pulumi", "modelarts:"), ("cli", "--" + setting.replace("_", "-"))):
        with pytest.raises(ConfigurationError) as caught:
            resolve(**values, origin=origin)  # type: ignore[arg-type]
        message = str(caught.value)
        assert setting in message and place in message
        assert "SENTINEL" not in message and "SENTINEL" not in repr(caught.value)
    env = {"HW_ACCESS_KEY": "a", "HW_SECRET_KEY": "s", "HW_SECURITY_TOKEN": "t", "HW_AUTH_TOKEN": "t"}
    name = {"access_key": "HW_ACCESS_KEY", "secret_key": "HW_SECRET_KEY", "security_token": "HW_SECURITY_TOKEN"}
    if setting in name:
        with pytest.raises(ConfigurationError, match=name[setting]):
            resolve({**env, name[setting]: bad}, region="eu-de", project_id="p")


@pytest.mark.parametrize("setting", ["access_key", "secret_key", "security_token", "auth_token", "password"])
def test_surrounding_whitespace_of_credentials_is_stripped(setting: str) -> None:
    values: dict[str, Any] = {"region": "eu-de", "project_id": "p", "access_key": "a", "secret_key": "s"}
    if setting == "password":
        values = {"region": "eu-de", "project_id": "p", "username": "u", "domain_name": "d"}
    values[setting] = "  SENTINEL-1\r\n"
    assert getattr(resolve(**values), setting) == "SENTINEL-1"


def test_messages_name_the_cli_flag_when_the_cli_is_in_use() -> None:
    with pytest.raises(ConfigurationError) as caught:
        resolve(region="eu-de", project_id="p", access_key="a", origin="cli")
    assert "--secret-key" in str(caught.value) and "modelarts:secretKey" not in str(caught.value)
    with pytest.raises(ConfigurationError, match="--max-retries flag"):
        resolve(AKSK, region="eu-de", max_retries="-1", origin="cli")
    with pytest.raises(ConfigurationError, match="MODELARTS_READ_TIMEOUT"):
        resolve({**AKSK, "MODELARTS_READ_TIMEOUT": "0"}, region="eu-de")


def test_describe_credentials_names_settings_and_sources_never_values() -> None:
    settings = resolve({"HW_ACCESS_KEY": "SENTINEL-A", "OS_SECRET_KEY": "SENTINEL-S"}, region="eu-de")
    text = settings.describe_credentials()
    assert "HW_ACCESS_KEY" in text and "OS_SECRET_KEY" in text and "SENTINEL" not in text
    flags = resolve(region="eu-de", access_key="SENTINEL-A", secret_key="SENTINEL-S", origin="cli")
    assert "--access-key" in flags.describe_credentials() and "SENTINEL" not in flags.describe_credentials()


@pytest.mark.parametrize(
    ("keys", "expected"),
    [
        (["modelarts:regoin"], [("modelarts:regoin", "modelarts:region")]),
        (["modelarts:accesKey", "modelarts:region"], [("modelarts:accesKey", "modelarts:accessKey")]),
        (["modelarts:zzz", "aws:region"], [("modelarts:zzz", None)]),
        (["modelarts:secretKey"], []),
    ],
)
def test_unknown_config_keys_with_the_closest_known_key(keys: list[str], expected: list[Any]) -> None:
    assert unknown_config_keys(keys) == expected
