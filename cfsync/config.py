"""Configuration: one TOML file plus a few environment variables, read once into frozen dataclasses.

Everything is validated here, so the rest of cfsync never meets a wrong type: an unknown key, a wrong type
or a missing value is a ConfigError naming the key (exit code 2). Secrets are read from the environment
variable the file names and never printed.
"""

from __future__ import annotations

import math
import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from .errors import ConfigError

__all__ = [
    "ALL_CONNECTIONS",
    "DEFAULT_CONFIG_PATH",
    "MATON_BASE_URL",
    "MATON_CONTROL_URL",
    "MAX_STATS_DAYS",
    "SCHEMA_POLICIES",
    "AccountConfig",
    "Config",
    "DatabaseConfig",
    "RunConfig",
    "Secret",
    "SyncConfig",
    "WebhookSecretRef",
    "WebhooksConfig",
    "load_config",
    "parse_config",
    "parse_duration",
]

DEFAULT_CONFIG_PATH = Path("cfsync.toml")
MATON_BASE_URL = "https://api.maton.ai/clickfunnels"
# The documentation this project follows lists connections at https://api.maton.ai/connections (Maton's
# newer pages write https://ctrl.maton.ai): `control_url` picks the other.
MATON_CONTROL_URL = "https://api.maton.ai"
ALL_CONNECTIONS = "all"
MAX_STATS_DAYS = 90  # the API's longest statistics window
DEFAULT_KEY_ENV = {"maton": "MATON_API_KEY", "direct": "CLICKFUNNELS_API_TOKEN"}
DEFAULT_SECRETS_FILE = "cfsync-webhook-secrets.json"


@dataclass(frozen=True)
class Secret:
    """A value that never shows in a repr, a log line or an error message."""

    value: str = field(repr=False)

    def __repr__(self) -> str:
        return "Secret('***')"

    __str__ = __repr__


@dataclass(frozen=True)
class AccountConfig:
    """How to reach one ClickFunnels account: the `[api]` table, or one `[[accounts]]` entry over it."""

    name: str
    mode: str
    base_url: str
    api_key_env: str
    api_key: Secret | None
    connection: str  # Maton-Connection id; "" = the oldest active one; "all" = one account per connection
    requests_per_second: float
    max_in_flight: int
    timeout_seconds: float
    max_retries: int
    control_url: str  # the Maton control host that manages connections
    # Seconds between the lines that say the host is still unreachable ($CFSYNC_NOTICE_SECONDS, for tests).
    notice_seconds: float = 15.0

    def require_key(self) -> Secret:
        if self.api_key is None:
            raise ConfigError(
                f"config: environment variable {self.api_key_env} (api_key_env of account {self.name!r}) "
                "is not set or empty"
            )
        return self.api_key


@dataclass(frozen=True)
class DatabaseConfig:
    url: str
    retry_seconds: float = 90.0  # how long a sync retries a database that is unavailable (a restart)
    # SQLite: a file past store.integrity.FULL_BELOW_BYTES is checked whole this often (and by the first run
    # of `cfsync run`); the tables a run wrote are checked every run.
    check_every: timedelta = timedelta(days=1)


@dataclass(frozen=True)
class SyncConfig:
    resources: tuple[str, ...]
    workspaces: tuple[int, ...]
    exclude: tuple[str, ...] = ()
    overlap: timedelta = timedelta(minutes=10)  # the updated_at sweep reaches this far below the watermark
    deletes: str = "soft"  # "soft": set _deleted_at; "hard": delete the row
    full_refresh_every: timedelta | None = None  # scheduled full sweeps (delete detection); None: never
    # Nested lists (prices per product, enrollments per course...) are walked on incremental runs under
    # parents that changed or are new, and under every other parent at least this often; None: every run.
    revisit_every: timedelta | None = timedelta(days=1)
    # Optional fields asked of a list with expand[] (`pages = ["markup"]`), by resource name.
    expand: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    # Funnel statistics: each funnel's last this many UTC days, one request per day (0: none).
    stats_days: int = 30
    # Fields the API starts sending: "evolve" (new columns and child tables) or "freeze" (kept in _raw
    # only), by resource name; "default" for every other one.
    schema: Mapping[str, str] = field(default_factory=lambda: {"default": "evolve"})

    def schema_policy(self, resource: str) -> str:
        """ "evolve" or "freeze" for a resource or table: a child table (contacts__badges) follows its
        parent resource, a name the config does not list follows "default"."""
        name = resource.split("__", 1)[0]
        return self.schema.get(name) or self.schema.get("default") or "evolve"


@dataclass(frozen=True)
class WebhookSecretRef:
    """One signing secret the config names: `scope` "endpoint" or "workspace", its id, and the environment
    variable that holds it (`secret` None when that variable is unset or empty)."""

    scope: str
    id: int
    env: str
    secret: Secret | None


@dataclass(frozen=True)
class WebhooksConfig:
    """`[webhooks]`: the receiver (`cfsync webhooks serve`) and where `register` keeps secrets."""

    host: str = "127.0.0.1"
    port: int = 8787
    secrets_file: Path = Path(DEFAULT_SECRETS_FILE)  # resolved beside the config file
    secrets: tuple[WebhookSecretRef, ...] = ()
    tolerance_seconds: float = 600.0  # a delivery's timestamp may be this far from now, either way
    max_body_bytes: int = 1 << 20
    max_batch: int = 500  # deliveries committed (and events applied) per transaction at most


@dataclass(frozen=True)
class RunConfig:
    """`[run]`: `cfsync run`, the long-running process."""

    interval: timedelta = timedelta(minutes=5)  # from the start of one scheduled sync to the next
    host: str = "127.0.0.1"  # /healthz, /metrics and /status listen here
    port: int = 8788


@dataclass(frozen=True)
class Config:
    accounts: tuple[AccountConfig, ...]
    database: DatabaseConfig
    sync: SyncConfig
    source: str = "<defaults>"
    webhooks: WebhooksConfig = field(default_factory=WebhooksConfig)
    run: RunConfig = field(default_factory=RunConfig)

    @property
    def api(self) -> AccountConfig:
        return self.accounts[0]

    def account(self, name: str) -> AccountConfig:
        """The account called `name`; a ConfigError listing the names there are if none is."""
        for account in self.accounts:
            if account.name == name:
                return account
        known = ", ".join(a.name for a in self.accounts)
        raise ConfigError(f"no account {name!r} in the config (accounts: {known})")


# (type, default) per key; `None` as default means "computed" (see _api_section).
_SPEC: dict[str, dict[str, tuple[type | tuple[type, ...], Any]]] = {
    "api": {
        "mode": (str, "maton"),
        "base_url": (str, None),
        "api_key_env": (str, None),
        "connection": (str, ""),
        "requests_per_second": ((int, float), 10),
        "max_in_flight": (int, 8),
        "timeout_seconds": ((int, float), 60),
        "max_retries": (int, 8),
        "control_url": (str, MATON_CONTROL_URL),
    },
    "database": {
        "url": (str, "sqlite:///cfsync.db"),
        "retry_seconds": ((int, float), 90),
        "check_every": (str, "1d"),
    },
    "sync": {
        "resources": (list, ["all"]),
        "workspaces": (list, []),
        "exclude": (list, []),
        "overlap_minutes": ((int, float), 10),
        "deletes": (str, "soft"),
        "full_refresh_every": (str, ""),
        "revisit_every": (str, "1d"),
        "expand": (dict, {}),
        "stats_days": (int, 30),
        "schema": ((str, dict), "evolve"),
    },
    "run": {"interval": (str, "5m"), "host": (str, "127.0.0.1"), "port": (int, 8788)},
    "webhooks": {
        "host": (str, "127.0.0.1"),
        "port": (int, 8787),
        "secrets_file": (str, ""),
        "tolerance_seconds": ((int, float), 600),
        "max_body_bytes": (int, 1 << 20),
        "max_batch": (int, 500),
        "endpoint_secrets": (dict, {}),
        "workspace_secrets": (dict, {}),
    },
}
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhdw])\s*$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}
_ACCOUNT_NAME = re.compile(r"^[A-Za-z0-9_.-]+$")
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")

_TYPE_NAMES = {
    str: "a string",
    int: "an integer",
    list: "a list",
    (int, float): "a number",
    dict: "a table",
    (str, dict): "a string or a table",
}
SCHEMA_POLICIES = ("evolve", "freeze")


def load_config(path: str | Path | None = None, environ: Mapping[str, str] | None = None) -> Config:
    """The configuration: a TOML file and the environment, checked.

    Args:
        path: the config file; it must exist. Without one: $CFSYNC_CONFIG (which must exist too), else
            ./cfsync.toml if there is one, else every key's default.
        environ: where the keys, secrets and overrides (CFSYNC_DATABASE_URL) are read; default os.environ.

    Returns:
        A frozen Config.

    Raises:
        ConfigError: a missing file, invalid TOML or text that is not UTF-8, an unknown key, a value of the
            wrong type or out of range, naming the key.
    """
    env = dict(os.environ if environ is None else environ)
    explicit = path is not None
    if path is None and env.get("CFSYNC_CONFIG"):
        path, explicit = env["CFSYNC_CONFIG"], True
    path = Path(path) if path is not None else DEFAULT_CONFIG_PATH
    data: dict[str, Any] = {}
    if path.exists():
        try:
            data = tomllib.loads(_read_text(path))
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"config: {path} is not valid TOML: {exc}") from None
        except OSError as exc:
            raise ConfigError(f"config: cannot read {path}: {exc.strerror}") from None
    elif explicit:
        raise ConfigError(f"config: file {path} not found (create one with `cfsync init`)")
    return parse_config(data, env, source=str(path) if path.exists() else "<defaults>")


def _read_text(path: Path) -> str:
    """The file as text: UTF-8, with or without a byte-order mark (as some editors save it)."""
    raw = path.read_bytes()
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise ConfigError(f"config: {path} is UTF-16 text: save it as UTF-8")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ConfigError(f"config: {path} is not UTF-8 text (byte {exc.start}): save it as UTF-8") from None


def parse_config(data: Mapping[str, Any], environ: Mapping[str, str], *, source: str = "<data>") -> Config:
    for section, table in data.items():
        if section == "accounts":
            if not isinstance(table, list) or not all(isinstance(t, dict) for t in table):
                raise ConfigError("config: accounts must be an array of tables ([[accounts]])")
        elif section not in _SPEC:
            raise ConfigError(f"config: unknown section [{section}] in {source}")
        elif not isinstance(table, dict):
            raise ConfigError(f"config: [{section}] must be a table")
    values = {name: _section(name, data.get(name, {})) for name in _SPEC}
    url = environ.get("CFSYNC_DATABASE_URL") or values["database"]["url"]
    if not url.strip():
        raise ConfigError("config: database.url is empty")
    return Config(
        accounts=_accounts(data.get("accounts"), data.get("api", {}), environ),
        database=DatabaseConfig(
            url=url,
            retry_seconds=_non_negative("database", values["database"], "retry_seconds"),
            check_every=_check_every(values["database"]["check_every"]),
        ),
        sync=SyncConfig(
            resources=tuple(_items("sync.resources", values["sync"]["resources"], str)),
            workspaces=tuple(_items("sync.workspaces", values["sync"]["workspaces"], int)),
            exclude=tuple(_items("sync.exclude", values["sync"]["exclude"], str)),
            **_sync_policy(values["sync"]),
        ),
        source=source,
        webhooks=_webhooks(values["webhooks"], environ, source),
        run=_run(values["run"]),
    )


def _check_every(text: str) -> timedelta:
    every = parse_duration(text)
    if every is None:
        raise ConfigError(
            'config: database.check_every must be a duration like "1d", "12h" or "0s" (every run), '
            f"got {text!r}"
        )
    return every


def _run(table: dict[str, Any]) -> RunConfig:
    interval = parse_duration(table["interval"])
    if interval is None or interval.total_seconds() < 1:
        raise ConfigError(
            'config: run.interval must be a duration of a second or more, like "5m", '
            f"got {table['interval']!r}"
        )
    if not 0 <= table["port"] <= 65535:
        raise ConfigError(f"config: run.port must be 0-65535, got {table['port']!r}")
    return RunConfig(interval=interval, host=table["host"], port=table["port"])


def _non_negative(section: str, table: dict[str, Any], key: str) -> float:
    if table[key] < 0:
        raise ConfigError(f"config: {section}.{key} must be 0 or more, got {table[key]!r}")
    return float(table[key])


def _webhooks(table: dict[str, Any], environ: Mapping[str, str], source: str) -> WebhooksConfig:
    for key in ("port", "max_body_bytes", "max_batch", "tolerance_seconds"):
        low = 0 if key == "port" else 1
        if table[key] < low or (key == "port" and table[key] > 65535):
            raise ConfigError(f"config: webhooks.{key} must be {'0-65535' if key == 'port' else '>= 1'}")
    # Relative to the config file, so `register` and `serve` agree wherever they are started from.
    base = Path(source).parent if not source.startswith("<") else Path(".")
    secrets_file = base / (table["secrets_file"].strip() or DEFAULT_SECRETS_FILE)
    refs: list[WebhookSecretRef] = []
    for scope in ("endpoint", "workspace"):
        key = f"{scope}_secrets"
        for id_text, names in table[key].items():
            if not str(id_text).isdigit():
                raise ConfigError(f"config: webhooks.{key} keys must be {scope} ids, got {id_text!r}")
            names = [names] if isinstance(names, str) else names
            if not isinstance(names, list) or not names or not all(isinstance(n, str) for n in names):
                raise ConfigError(
                    f"config: webhooks.{key}.{id_text} must name an environment variable (or a list of "
                    "them, while a secret is rotated)"
                )
            for name in names:
                if not _ENV_NAME.match(name):
                    raise ConfigError(f"config: webhooks.{key}.{id_text}: {name!r} is not a variable name")
                value = environ.get(name, "").strip()
                refs.append(WebhookSecretRef(scope, int(id_text), name, Secret(value) if value else None))
    return WebhooksConfig(
        host=table["host"],
        port=table["port"],
        secrets_file=secrets_file,
        secrets=tuple(refs),
        tolerance_seconds=float(table["tolerance_seconds"]),
        max_body_bytes=table["max_body_bytes"],
        max_batch=table["max_batch"],
    )


def _sync_policy(sync: dict[str, Any]) -> dict[str, Any]:
    if sync["overlap_minutes"] < 0:
        raise ConfigError(f"config: sync.overlap_minutes must be 0 or more, got {sync['overlap_minutes']!r}")
    if sync["deletes"] not in ("soft", "hard"):
        raise ConfigError(f'config: sync.deletes must be "soft" or "hard", got {sync["deletes"]!r}')
    if not 0 <= sync["stats_days"] <= MAX_STATS_DAYS:
        raise ConfigError(
            f"config: sync.stats_days must be 0 (no funnel statistics) to {MAX_STATS_DAYS}, "
            f"got {sync['stats_days']!r}"
        )
    return {
        "overlap": timedelta(minutes=sync["overlap_minutes"]),
        "deletes": sync["deletes"],
        "full_refresh_every": _optional_duration(sync, "full_refresh_every"),
        "revisit_every": _optional_duration(sync, "revisit_every"),
        "expand": _expand(sync["expand"]),
        "stats_days": sync["stats_days"],
        "schema": _schema(sync["schema"]),
    }


def _schema(value: str | dict[str, Any]) -> dict[str, str]:
    """`[sync].schema`: one policy for every resource, or a table of them by resource name (`default`:
    the others)."""
    allowed = " or ".join(f'"{p}"' for p in SCHEMA_POLICIES)
    if isinstance(value, str):
        if value not in SCHEMA_POLICIES:
            raise ConfigError(f"config: sync.schema must be {allowed}, got {value!r}")
        return {"default": value}
    # Names are checked against the catalog when a sync is planned (app.checked_schema): config lies
    # below resources.
    policies = {"default": "evolve"}
    for name, policy in value.items():
        if policy not in SCHEMA_POLICIES:
            raise ConfigError(f"config: sync.schema.{name} must be {allowed}, got {policy!r}")
        policies[name] = policy
    return policies


def _expand(table: dict[str, Any]) -> dict[str, tuple[str, ...]]:
    """`[sync].expand`: resource name -> the optional fields to ask for (checked against the catalog when
    a sync is planned)."""
    expand: dict[str, tuple[str, ...]] = {}
    for name, fields in table.items():
        if not isinstance(fields, list) or not all(isinstance(f, str) and f.strip() for f in fields):
            raise ConfigError(
                f'config: sync.expand.{name} must be a list of field names, like ["markup"], got {fields!r}'
            )
        expand[name] = tuple(f.strip() for f in fields)
    return expand


# What "" means for each optional [sync] duration: "0s" is refused there, as it could be read either way.
_EMPTY_MEANS = {"full_refresh_every": "never", "revisit_every": "every parent, every run"}


def _optional_duration(sync: dict[str, Any], key: str) -> timedelta | None:
    """A [sync] duration key: None when empty, else a duration above 0; a ConfigError when it is neither."""
    if not sync[key].strip():
        return None
    every = parse_duration(sync[key])
    if every is None or every <= timedelta(0):
        raise ConfigError(
            f'config: sync.{key} must be a duration above 0 like "7d", "12h" or "30m" '
            f'("" = {_EMPTY_MEANS[key]}), got {sync[key]!r}'
        )
    return every


def parse_duration(text: str) -> timedelta | None:
    """A duration ("7d", "12h", "30m", "90s", "2w": a number, then a unit) as a timedelta, else None."""
    match = _DURATION.match(text)
    return timedelta(**{_UNITS[match.group(2)]: float(match.group(1))}) if match else None


def _accounts(
    entries: list[dict[str, Any]] | None, api: Mapping[str, Any], environ: Mapping[str, str]
) -> tuple[AccountConfig, ...]:
    """`[api]` alone is the account "default"; each `[[accounts]]` entry overrides `[api]` key by key."""
    if not entries:
        return (_account("default", _section("api", api), environ),)
    accounts: list[AccountConfig] = []
    for number, entry in enumerate(entries, 1):
        name = entry.get("name")
        where = f"accounts[{number}]"
        if not isinstance(name, str) or not _ACCOUNT_NAME.match(name):
            raise ConfigError(f"config: {where}.name must be a name of letters, digits, '_', '-' or '.'")
        if name in {a.name for a in accounts}:
            raise ConfigError(f"config: {where}.name {name!r} is used twice")
        own = {k: v for k, v in entry.items() if k != "name"}
        merged = {**_section("api", api), **_section("api", own, where=where, defaults=False)}
        accounts.append(_account(name, merged, environ, where=where))
    return tuple(accounts)


def _section(
    name: str, table: Mapping[str, Any], *, where: str | None = None, defaults: bool = True
) -> dict[str, Any]:
    spec = _SPEC[name]
    where = where or name
    for key in table:
        if key not in spec:
            raise ConfigError(f"config: unknown key {where}.{key} (known: {', '.join(spec)})")
    out = {}
    for key, (kind, default) in spec.items():
        if key not in table and not defaults:
            continue
        value = table.get(key, default)
        if value is not None and (isinstance(value, bool) or not isinstance(value, kind)):
            raise ConfigError(
                f"config: {where}.{key} must be {_TYPE_NAMES[kind]}, got {type(value).__name__} {value!r}"
            )
        if isinstance(value, float) and not math.isfinite(value):
            raise ConfigError(f"config: {where}.{key} must be a finite number, got {value!r}")
        out[key] = value
    return out


def _items(key: str, values: list[Any], kind: type) -> list[Any]:
    for v in values:
        if isinstance(v, bool) or not isinstance(v, kind):
            raise ConfigError(f"config: {key} must hold only {kind.__name__} values, got {v!r}")
    return values


def _account(
    name: str, api: dict[str, Any], environ: Mapping[str, str], *, where: str = "api"
) -> AccountConfig:
    mode = api["mode"]
    if mode not in DEFAULT_KEY_ENV:
        raise ConfigError(f'config: {where}.mode must be "maton" or "direct", got {mode!r}')
    base_url = api["base_url"]
    if base_url is None:
        if mode == "direct":
            raise ConfigError(
                f"config: {where}.base_url is missing (direct mode needs "
                '"https://{subdomain}.myclickfunnels.com")'
            )
        base_url = MATON_BASE_URL
    for key in ("base_url", "control_url"):
        value = base_url if key == "base_url" else api[key]
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.netloc or parts.query:
            raise ConfigError(f"config: {where}.{key} must be an http(s) URL without a query, got {value!r}")
        if "{" in value or "}" in value:
            raise ConfigError(
                f"config: {where}.{key} still holds a placeholder, {value!r}: put your ClickFunnels "
                "subdomain there (the host you sign in at, e.g. https://acme.myclickfunnels.com)"
            )
    if base_url.rstrip("/").endswith("/api/v2"):
        root = base_url.rstrip("/").removesuffix("/api/v2")
        raise ConfigError(
            f"config: {where}.base_url ends in /api/v2, which cfsync adds to every path: use {root!r}"
        )
    for key in ("requests_per_second", "timeout_seconds", "max_in_flight"):
        if api[key] <= 0:
            raise ConfigError(f"config: {where}.{key} must be greater than 0, got {api[key]!r}")
    if api["max_retries"] < 0:
        raise ConfigError(f"config: {where}.max_retries must be 0 or more, got {api['max_retries']!r}")
    if mode == "direct" and api["connection"]:
        raise ConfigError(f"config: {where}.connection is a Maton setting; direct mode takes none")
    key_env = api["api_key_env"] or DEFAULT_KEY_ENV[mode]
    key = environ.get(key_env, "").strip()
    return AccountConfig(
        name=name,
        mode=mode,
        base_url=base_url.rstrip("/"),
        api_key_env=key_env,
        api_key=Secret(key) if key else None,
        connection=api["connection"],
        requests_per_second=float(api["requests_per_second"]),
        max_in_flight=api["max_in_flight"],
        timeout_seconds=float(api["timeout_seconds"]),
        max_retries=api["max_retries"],
        control_url=api["control_url"].rstrip("/"),
        notice_seconds=_notice_seconds(environ),
    )


def _notice_seconds(environ: Mapping[str, str]) -> float:
    text = environ.get("CFSYNC_NOTICE_SECONDS", "").strip()
    if not text:
        return 15.0
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or value <= 0:
        raise ConfigError(f"CFSYNC_NOTICE_SECONDS must be a number of seconds above 0, got {text!r}")
    return value
