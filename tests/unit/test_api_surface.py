"""`import cfsync` is the library's one surface: what it exports, and that each export says how to use it."""

from __future__ import annotations

import inspect
import subprocess
import sys

import cfsync
from cfsync import errors

SURFACE = {
    "__version__",
    # configuration, the sync, writes, bulk upserts, webhooks
    "load_config",
    "Config",
    "sync",
    "RunSummary",
    "write",
    "WriteSession",
    "Written",
    "WriteOperation",
    "OPERATIONS",
    "push_contacts",
    "PushSummary",
    "PushCounts",
    "register_webhook",
    "Registered",
    "Receiver",
    # staying current: what `cfsync run` runs
    "Service",
    "ServiceSettings",
    # the stand-in for tests and demos
    "Sandbox",
    "SandboxConfig",
    "SandboxServer",
}
FUNCTIONS = ("load_config", "sync", "write", "push_contacts", "register_webhook")


def test_the_export_list_is_the_surface_and_every_error():
    assert set(cfsync.__all__) == SURFACE | set(errors.__all__)
    assert sorted(cfsync.__all__) == sorted(set(cfsync.__all__)), "no name twice"
    for name in cfsync.__all__:
        assert hasattr(cfsync, name), name


def test_every_function_documents_its_arguments_returns_and_errors():
    for name in FUNCTIONS:
        doc = inspect.getdoc(getattr(cfsync, name)) or ""
        for part in ("Args:", "Returns:", "Raises:"):
            assert part in doc, f"cfsync.{name} lacks {part}"
        params = inspect.signature(getattr(cfsync, name)).parameters
        for param in params:
            assert param in doc, f"cfsync.{name} does not say what {param} is"


def test_every_class_and_error_has_a_docstring():
    for name in cfsync.__all__:
        value = getattr(cfsync, name)
        if inspect.isclass(value):
            assert (value.__doc__ or "").strip(), f"cfsync.{name} has no docstring"
    for name in errors.__all__:
        error = getattr(errors, name)
        assert issubclass(error, cfsync.CfsyncError)
        assert isinstance(error.exit_code, int)


def test_the_library_does_not_load_the_command_line():
    code = "import sys, cfsync; print('cfsync.cli' in sys.modules, 'click' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["False", "False"]
