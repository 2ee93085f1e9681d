"""A local stand-in for the ClickFunnels v2 API (and the Maton gateway in front of it), built from the facts.

`Sandbox` holds the data (generated on demand from a seed, plus an overlay of changes), the request log
and the fault switches; `SandboxServer` / `serve_in_thread` / `serve_forever` put it on a socket, together
with a control API under `/_sandbox/` (`control.py`, opened by `Sandbox.control_token`) that drives the same
switches over HTTP.
"""

from cfsync.sandbox.config import (
    DEFAULT_COUNTS,
    FAULT_KINDS,
    Burst,
    Fault,
    Latency,
    SandboxConfig,
    parse_bursts,
    parse_fault_rates,
    parse_latency,
)
from cfsync.sandbox.extras import EXTRA_KINDS, parse_extra_field
from cfsync.sandbox.faults import Faults
from cfsync.sandbox.query import PAGE_SIZE
from cfsync.sandbox.sandbox import RequestRecord, Sandbox
from cfsync.sandbox.server import SandboxServer, serve_forever, serve_in_thread
from cfsync.sandbox.state import SandboxError

__all__ = [
    "DEFAULT_COUNTS",
    "EXTRA_KINDS",
    "FAULT_KINDS",
    "PAGE_SIZE",
    "Burst",
    "Fault",
    "Faults",
    "Latency",
    "RequestRecord",
    "Sandbox",
    "SandboxConfig",
    "SandboxError",
    "SandboxServer",
    "parse_bursts",
    "parse_extra_field",
    "parse_fault_rates",
    "parse_latency",
    "serve_forever",
    "serve_in_thread",
]
