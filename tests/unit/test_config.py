from pathlib import Path

import pytest

from cfsync.config import MATON_BASE_URL, Secret, load_config, parse_config
from cfsync.errors import ConfigError


def test_defaults_without_a_file(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # no ./cfsync.toml here
    config = load_config(None, {"MATON_API_KEY": "k"})
    assert config.api.mode == "maton"
    assert config.api.base_url == MATON_BASE_URL
    assert config.api.api_key == Secret("k")
    assert config.api.requests_per_second == 10
    assert config.database.url == "sqlite:///cfsync.db"
    assert config.sync.resources == ("all",)
    assert config.sync.workspaces == ()


def test_example_file_loads():
    example = Path(__file__).resolve().parents[2] / "config.example.toml"
    config = load_config(example, {})
    assert config.api.api_key_env == "MATON_API_KEY"
    assert config.api.api_key is None


def test_full_file_and_environment(tmp_path):
    path = tmp_path / "c.toml"
    path.write_text(
        '[api]\nmode = "direct"\nbase_url = "https://acme.myclickfunnels.com/"\napi_key_env = "CF_TOKEN"\n'
        "requests_per_second = 2.5\nmax_in_flight = 3\ntimeout_seconds = 5\n"
        '[database]\nurl = "sqlite:///x.db"\n[sync]\nresources = ["contacts"]\nworkspaces = [7, 8]\n'
    )
    config = load_config(path, {"CF_TOKEN": "secret-token", "CFSYNC_DATABASE_URL": "sqlite:///y.db"})
    assert config.api.base_url == "https://acme.myclickfunnels.com"
    assert config.api.require_key().value == "secret-token"
    assert config.api.requests_per_second == 2.5
    assert config.database.url == "sqlite:///y.db"
    assert config.sync.workspaces == (7, 8)


def test_cfsync_config_variable_names_the_file(tmp_path):
    path = tmp_path / "other.toml"
    path.write_text('[database]\nurl = "sqlite:///other.db"\n')
    assert load_config(None, {"CFSYNC_CONFIG": str(path)}).database.url == "sqlite:///other.db"
    with pytest.raises(ConfigError, match="not found"):
        load_config(None, {"CFSYNC_CONFIG": str(tmp_path / "missing.toml")})


def test_a_file_asked_for_must_exist(tmp_path):
    with pytest.raises(ConfigError, match=r"file .*nope.toml not found"):
        load_config(tmp_path / "nope.toml", {})
    with pytest.raises(ConfigError, match=r"file .*nope.toml not found"):
        load_config(str(tmp_path / "nope.toml"))


def test_the_environment_is_read_unless_one_is_given(tmp_path, monkeypatch):
    path = tmp_path / "c.toml"
    path.write_text('[database]\nurl = "sqlite:///file.db"\n')
    monkeypatch.setenv("CFSYNC_DATABASE_URL", "sqlite:///env.db")
    monkeypatch.setenv("MATON_API_KEY", "from-env")
    config = load_config(path)
    assert config.database.url == "sqlite:///env.db"
    assert config.api.require_key().value == "from-env"
    assert load_config(path, {}).database.url == "sqlite:///file.db"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"api": {"mod": "maton"}}, "unknown key api.mod"),
        ({"apis": {}}, r"unknown section \[apis\]"),
        ({"api": {"requests_per_second": "fast"}}, "api.requests_per_second must be a number, got str"),
        ({"api": {"max_in_flight": 2.5}}, "api.max_in_flight must be an integer"),
        ({"api": {"max_in_flight": True}}, "api.max_in_flight must be an integer"),
        ({"api": {"mode": "proxy"}}, "api.mode must be"),
        ({"api": {"mode": "direct"}}, "api.base_url is missing"),
        ({"api": {"base_url": "ftp://x"}}, "api.base_url must be an http"),
        ({"api": {"requests_per_second": 0}}, "api.requests_per_second must be greater than 0"),
        ({"api": {"requests_per_second": -3}}, "api.requests_per_second must be greater than 0"),
        ({"api": {"requests_per_second": float("nan")}}, "api.requests_per_second must be a finite number"),
        ({"api": {"requests_per_second": float("inf")}}, "api.requests_per_second must be a finite number"),
        ({"api": {"requests_per_second": float("-inf")}}, "api.requests_per_second must be a finite number"),
        ({"api": {"timeout_seconds": float("inf")}}, "api.timeout_seconds must be a finite number"),
        ({"api": {"timeout_seconds": 0}}, "api.timeout_seconds must be greater than 0"),
        ({"api": {"max_in_flight": 0}}, "api.max_in_flight must be greater than 0"),
        ({"database": {"retry_seconds": -1}}, "database.retry_seconds must be 0 or more"),
        ({"sync": {"overlap_minutes": float("nan")}}, "sync.overlap_minutes must be a finite number"),
        ({"webhooks": {"tolerance_seconds": float("inf")}}, "webhooks.tolerance_seconds must be a finite"),
        ({"database": {"url": 5}}, "database.url must be a string"),
        ({"sync": {"workspaces": ["a"]}}, "sync.workspaces must hold only int values"),
        ({"sync": {"resources": "contacts"}}, "sync.resources must be a list"),
        ({"api": "x"}, r"\[api\] must be a table"),
        ({"sync": {"stats_days": 91}}, r"sync.stats_days must be 0 \(no funnel statistics\) to 90, got 91"),
        ({"sync": {"stats_days": -1}}, "sync.stats_days must be 0"),
        ({"sync": {"stats_days": 7.5}}, "sync.stats_days must be an integer"),
    ],
)
def test_bad_values_name_the_key(data, message):
    with pytest.raises(ConfigError, match=message) as info:
        parse_config(data, {})
    assert info.value.exit_code == 2
    assert "\n" not in str(info.value)


def test_invalid_toml(tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text("[api\nmode=")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config(path, {})


def test_missing_key_variable_is_reported_when_needed():
    config = parse_config({"api": {"api_key_env": "MY_KEY"}}, {})
    with pytest.raises(ConfigError, match="environment variable MY_KEY"):
        config.api.require_key()


def test_secret_never_shows():
    config = parse_config({}, {"MATON_API_KEY": "sk-very-secret"})
    assert "sk-very-secret" not in repr(config)
    assert "sk-very-secret" not in str(config.api.api_key)


def test_accounts_inherit_from_api_key_by_key():
    data = {
        "api": {"requests_per_second": 4, "mode": "maton"},
        "accounts": [
            {
                "name": "acme",
                "mode": "direct",
                "base_url": "https://acme.myclickfunnels.com",
                "api_key_env": "A",
            },
            {"name": "agency", "connection": "all", "api_key_env": "M"},
        ],
    }
    config = parse_config(data, {"A": "a-token", "M": "m-key"})
    acme, agency = config.accounts
    assert (acme.name, acme.mode, acme.requests_per_second) == ("acme", "direct", 4)
    assert acme.require_key().value == "a-token"
    assert (agency.mode, agency.connection, agency.base_url) == ("maton", "all", MATON_BASE_URL)
    assert agency.control_url == "https://api.maton.ai"


@pytest.mark.parametrize(
    ("accounts", "message"),
    [
        ([{"mode": "maton"}], r"accounts\[1\].name must be"),
        ([{"name": "a b"}], r"accounts\[1\].name must be"),
        ([{"name": "a"}, {"name": "a"}], r"accounts\[2\].name 'a' is used twice"),
        ([{"name": "a", "colour": 1}], r"unknown key accounts\[1\].colour"),
        ([{"name": "a", "max_in_flight": "x"}], r"accounts\[1\].max_in_flight must be an integer"),
        ([{"name": "a", "mode": "direct"}], r"accounts\[1\].base_url is missing"),
        ([{"name": "a", "mode": "direct", "base_url": "https://x.y", "connection": "c"}], "direct mode"),
        ({"name": "a"}, r"array of tables"),
    ],
)
def test_bad_accounts(accounts, message):
    with pytest.raises(ConfigError, match=message):
        parse_config({"accounts": accounts}, {})


def test_sync_policy():
    from datetime import timedelta

    config = parse_config(
        {"sync": {"overlap_minutes": 2.5, "deletes": "hard", "full_refresh_every": "7d"}}, {}
    )
    assert config.sync.overlap == timedelta(minutes=2.5)
    assert config.sync.deletes == "hard"
    assert config.sync.full_refresh_every == timedelta(days=7)
    defaults = parse_config({}, {}).sync
    assert (defaults.overlap, defaults.deletes, defaults.full_refresh_every) == (
        timedelta(minutes=10),
        "soft",
        None,
    )
    assert parse_config({"sync": {"full_refresh_every": "12h"}}, {}).sync.full_refresh_every == timedelta(
        hours=12
    )


@pytest.mark.parametrize(
    ("sync", "message"),
    [
        ({"deletes": "maybe"}, 'sync.deletes must be "soft" or "hard"'),
        ({"full_refresh_every": "weekly"}, "sync.full_refresh_every must be a duration"),
        ({"overlap_minutes": -1}, "sync.overlap_minutes must be 0 or more"),
    ],
)
def test_bad_sync_policy(sync, message):
    with pytest.raises(ConfigError, match=message):
        parse_config({"sync": sync}, {})


def test_expand_names_optional_fields_per_list():
    from cfsync.app import checked_expand

    config = parse_config({"sync": {"expand": {"pages": ["markup", " head_code"]}}}, {})
    assert config.sync.expand == {"pages": ("markup", "head_code")}
    assert parse_config({}, {}).sync.expand == {}
    assert checked_expand({"contacts": ("anything_new",)}) == {"contacts": ("anything_new",)}


@pytest.mark.parametrize(
    ("expand", "message"),
    [
        ({"pages": "markup"}, r'sync.expand.pages must be a list of field names, like \["markup"\]'),
        ({"pages": [""]}, "sync.expand.pages must be a list of field names"),
        ({"page": ["markup"]}, "sync.expand: unknown resource 'page'"),
        ({"orders": ["visits"]}, "sync.expand.orders: the list takes no expand"),
        ({"conditional_split_steps": ["markup"]}, "conditional_split_steps: 'markup' is not one of filter"),
    ],
)
def test_bad_expand_names_the_key(expand, message):
    from cfsync.app import checked_expand

    with pytest.raises(ConfigError, match=message):
        checked_expand(parse_config({"sync": {"expand": expand}}, {}).sync.expand)


def test_funnel_statistics_default_to_thirty_days_and_zero_turns_them_off():
    assert parse_config({}, {}).sync.stats_days == 30
    assert parse_config({"sync": {"stats_days": 0}}, {}).sync.stats_days == 0
    assert parse_config({"sync": {"stats_days": 90}}, {}).sync.stats_days == 90


def test_schema_evolves_by_default_and_freezes_per_resource():
    assert parse_config({}, {}).sync.schema_policy("contacts") == "evolve"
    frozen = parse_config({"sync": {"schema": "freeze"}}, {}).sync
    assert frozen.schema == {"default": "freeze"}
    assert frozen.schema_policy("orders") == "freeze"
    mixed = parse_config({"sync": {"schema": {"default": "freeze", "contacts": "evolve"}}}, {}).sync
    assert mixed.schema_policy("contacts") == "evolve"
    assert mixed.schema_policy("contacts__badges") == "evolve"  # a child table follows its resource
    assert mixed.schema_policy("orders") == "freeze"
    only_orders = parse_config({"sync": {"schema": {"orders": "freeze"}}}, {}).sync
    assert only_orders.schema_policy("orders__contact_groups") == "freeze"
    assert only_orders.schema_policy("contacts") == "evolve"  # no default given: evolve


@pytest.mark.parametrize(
    ("schema", "message"),
    [
        ("thaw", r'sync.schema must be "evolve" or "freeze", got \'thaw\''),
        ({"orders": "thaw"}, r'sync.schema.orders must be "evolve" or "freeze", got \'thaw\''),
        ({"default": 1}, r'sync.schema.default must be "evolve" or "freeze", got 1'),
        (["freeze"], "sync.schema must be a string or a table"),
    ],
)
def test_bad_schema_policy_names_the_key_and_the_choices(schema, message):
    with pytest.raises(ConfigError, match=message) as info:
        parse_config({"sync": {"schema": schema}}, {})
    assert info.value.exit_code == 2
    assert "\n" not in str(info.value)


def test_schema_policy_names_are_resources_when_a_sync_is_planned():
    from cfsync.app import checked_schema, plan

    config = parse_config({"sync": {"schema": {"order": "freeze"}}}, {})
    with pytest.raises(
        ConfigError, match=r"sync.schema: unknown resource 'order' \(keys: default or a resource"
    ):
        plan(config)
    assert checked_schema({"default": "freeze", "orders": "evolve"}) == {
        "default": "freeze",
        "orders": "evolve",
    }


@pytest.mark.parametrize("key", ["full_refresh_every", "revisit_every"])
@pytest.mark.parametrize("text", ["0s", "0d", "0.0h"])
def test_sync_durations_must_be_above_zero(key, text):
    """An empty value has a meaning for each ("never", "every parent, every run"); "0s" could be either."""
    with pytest.raises(ConfigError, match=f"sync.{key} must be a duration above 0"):
        parse_config({"sync": {key: text}}, {})


def test_zero_keeps_its_documented_meaning_where_it_has_one():
    from datetime import timedelta

    config = parse_config({"database": {"check_every": "0s", "retry_seconds": 0}}, {})
    assert config.database.check_every == timedelta(0)  # every run checks the whole file
    assert config.database.retry_seconds == 0  # an unavailable database stops the run at once
    assert parse_config({"sync": {"overlap_minutes": 0}}, {}).sync.overlap == timedelta(0)
    with pytest.raises(ConfigError, match=r"run\.interval must be a duration of a second or more"):
        parse_config({"run": {"interval": "0s"}}, {})
