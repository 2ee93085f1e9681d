"""The deployment files say what cfsync does: systemd accepts the units, the Kubernetes manifests and the
Dockerfile run commands and flags that exist, on the port the config gives and at paths the ops server
answers, and they agree with each other (user, paths, stop timing, image tag); docs/operations.md shows each
as it is or links it. The cron line and the image are run in tests/integration/test_deploy.py."""

from __future__ import annotations

import re
import shutil
import signal
import subprocess
import tomllib

import aiohttp
import pytest
import yaml

import cfsync
from cfsync import listen
from cfsync.config import RunConfig, parse_config
from cfsync.service import Service, ServiceSettings
from tests.conftest import IN_CI
from tests.deploy_files import (
    DEPLOY,
    FILES,
    ROOT,
    UNITS,
    dockerfile,
    exec_form,
    installed,
    unit,
)
from tests.unit.test_docs import check

OPERATIONS = ROOT / "docs" / "operations.md"
VERSION = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
SIGTERM_EXIT = str(128 + signal.SIGTERM)


def manifests() -> dict[str, dict]:
    """Every object in deploy/kubernetes, by kind/name."""
    found = {}
    for path in sorted((DEPLOY / "kubernetes").glob("*.yaml")):
        for doc in yaml.safe_load_all(path.read_text()):
            found[f"{doc['kind']}/{doc['metadata']['name']}"] = doc
    return found


def pod(obj: dict) -> dict:
    spec = obj["spec"]
    template = spec["jobTemplate"]["spec"]["template"] if obj["kind"] == "CronJob" else spec["template"]
    return template["spec"]


def the_config() -> cfsync.Config:
    [configmap] = [o for o in manifests().values() if o["kind"] == "ConfigMap"]
    return parse_config(tomllib.loads(configmap["data"]["cfsync.toml"]), {"MATON_API_KEY": "k"})


async def statuses(paths: list[str]) -> dict[str, int]:
    """What the ops server of `cfsync run` answers each path, on a free port (the database not opened)."""
    service = Service(parse_config({}, {"MATON_API_KEY": "k"}), ServiceSettings(interval=60, port=0))
    with listen.bound("127.0.0.1", 0) as sockets:
        runner = await service._serve_ops(sockets)
        try:
            async with aiohttp.ClientSession() as session:
                found = {}
                for path in paths:
                    async with session.get(f"{service.url}{path}") as reply:
                        found[path] = reply.status
                return found
        finally:
            await runner.cleanup()


async def test_the_ops_server_answers_every_probe_path_and_not_others():
    probed = {
        probe["httpGet"]["path"]
        for obj in manifests().values()
        if obj["kind"] in ("Deployment", "CronJob")
        for container in pod(obj)["containers"]
        for key in ("startupProbe", "readinessProbe", "livenessProbe")
        if (probe := container.get(key))
    }
    probed.add(_healthcheck_url()[1])
    answers = await statuses([*sorted(probed), "/nothing-here"])
    assert answers.pop("/nothing-here") == 404
    assert probed == {"/healthz"}
    # Not ready: the database is not open. 503 is what a probe sees until it is.
    assert answers == {"/healthz": 503}


# -- systemd ---------------------------------------------------------------------------------------------


def test_systemd_accepts_the_units(tmp_path):
    tool = shutil.which("systemd-analyze")
    if tool is None:
        reason = "systemd-analyze is not installed (Debian package systemd; .ci/run installs it)"
        if IN_CI:
            pytest.fail(f"required under CI=true: {reason}", pytrace=False)
        pytest.skip(reason)
    # verify needs each ExecStart binary to exist: the tests' cfsync stands in for /opt/cfsync's.
    for path in UNITS:
        (tmp_path / path.name).write_text(installed(path.read_text()))
    names = [str(tmp_path / p.name) for p in UNITS]
    done = subprocess.run([tool, "verify", *names], capture_output=True, text=True, timeout=60)
    # A value it cannot parse is only a warning: exit 0, a line on stderr. Both must be clean.
    assert (done.returncode, done.stderr) == (0, "")
    # What the operator ran into: a comment after a value. The same check sees it.
    bad = tmp_path / "bad.service"
    bad.write_text(installed(UNITS[0].read_text()).replace("TimeoutStopSec=30", "TimeoutStopSec=30  # stop"))
    done = subprocess.run([tool, "verify", str(bad)], capture_output=True, text=True, timeout=60)
    assert "Failed to parse" in done.stderr
    # The user the units run as, made by the sysusers file as systemd-sysusers would on the host.
    (tmp_path / "root" / "etc").mkdir(parents=True)
    sysusers = [tool.replace("-analyze", "-sysusers"), f"--root={tmp_path / 'root'}"]
    made = subprocess.run(
        [*sysusers, str(DEPLOY / "systemd" / "cfsync.sysusers")], capture_output=True, text=True, timeout=60
    )
    assert made.returncode == 0, made.stderr
    [entry] = [e for e in (tmp_path / "root/etc/passwd").read_text().splitlines() if e.startswith("cfsync:")]
    assert entry.split(":")[5] == "/var/lib/cfsync"


def test_the_units_run_cfsync_where_it_may_write_and_stop_it_as_it_stops():
    services = [p for p in UNITS if p.suffix == ".service"]
    assert {p.name for p in services} == {"cfsync-sync.service", "cfsync-run.service"}
    users = re.findall(r"^u (\S+)", (DEPLOY / "systemd" / "cfsync.sysusers").read_text(), re.MULTILINE)
    grace = _grace_seconds()
    for path in services:
        s = unit(path)["Service"]
        # ProtectSystem=strict leaves only the state directory writable: the SQLite file (relative to the
        # working directory by default) and its -wal, -shm and .lock files must be there.
        assert s["ProtectSystem"] == ["strict"]
        assert s["WorkingDirectory"] == [f"/var/lib/{s['StateDirectory'][0]}"], path.name
        assert s["User"] == users == ["cfsync"]
        assert s["EnvironmentFile"] == ["/etc/cfsync/env"]
        assert SIGTERM_EXIT in s["SuccessExitStatus"][0].split()
        assert s["TimeoutStopSec"] == [str(grace)]
        binary, *words = s["ExecStart"][0].split()
        assert binary == "/opt/cfsync/bin/cfsync"
        check(words)
    run = unit(DEPLOY / "systemd" / "cfsync-run.service")["Service"]
    sync = unit(DEPLOY / "systemd" / "cfsync-sync.service")["Service"]
    assert run["Restart"] == ["on-failure"]
    assert sync["Type"] == ["oneshot"]
    # Both units are whole (an operator reads one file); what they share stays the same in both.
    own = {"Type", "ExecStart", "Restart", "RestartSec", "RestartPreventExitStatus"}
    assert {k: v for k, v in run.items() if k not in own} == {k: v for k, v in sync.items() if k not in own}
    assert "Timer" in unit(DEPLOY / "systemd" / "cfsync-sync.timer")


def test_the_key_file_is_the_one_the_units_and_the_cron_wrapper_read():
    env = (DEPLOY / "cfsync.env").read_text()
    assert env.startswith("# /etc/cfsync/env:")
    assert "mode 0600" in env
    assert re.search(r"^MATON_API_KEY=$", env, re.MULTILINE), "the example holds no key"
    wrapper = (DEPLOY / "cron" / "cfsync-cron").read_text()
    assert ". /etc/cfsync/env\n" in wrapper
    for line in env.splitlines():
        if not line.startswith("#"):
            assert re.fullmatch(r"[A-Z_]+=[^\s'\"$]*", line), f"systemd and sh read {line!r} alike"


# -- Kubernetes ------------------------------------------------------------------------------------------


def _grace_seconds() -> int:
    """The pods' grace between SIGTERM and SIGKILL: one for all, as systemd's TimeoutStopSec."""
    pods = [pod(o) for o in manifests().values() if o["kind"] in ("CronJob", "Deployment")]
    [grace] = {spec["terminationGracePeriodSeconds"] for spec in pods}
    return int(grace)


def test_the_manifests_run_commands_that_exist_from_the_image_the_dockerfile_builds():
    objects = manifests()
    assert set(objects) == {
        "ConfigMap/cfsync-config",
        "PersistentVolumeClaim/cfsync-data",
        "CronJob/cfsync-sync",
        "Deployment/cfsync-run",
        "Service/cfsync-run",
    }
    uid = _docker("USER").split(":")[0]
    assert f"docker build -t cfsync:{VERSION} ." in (ROOT / "Dockerfile").read_text()
    for name in ("CronJob/cfsync-sync", "Deployment/cfsync-run"):
        spec = pod(objects[name])
        [container] = spec["containers"]
        assert container["image"] == f"cfsync:{VERSION}", "the tag `docker build` makes"
        check(container["args"])
        assert spec["securityContext"]["runAsUser"] == int(uid)
        assert spec["terminationGracePeriodSeconds"] >= 10, "cfsync stops within a few seconds"
        assert container["envFrom"] == [{"secretRef": {"name": "cfsync-keys"}}]
        mounts = {m["name"]: m["mountPath"] for m in container["volumeMounts"]}
        volumes = {v["name"]: v for v in spec["volumes"]}
        assert volumes["config"]["configMap"]["name"] == "cfsync-config"
        assert {"name": "CFSYNC_CONFIG", "value": f"{mounts['config']}/cfsync.toml"} in container["env"]
        assert volumes["data"]["persistentVolumeClaim"]["claimName"] == "cfsync-data"
        assert mounts["data"] == _docker("WORKDIR"), "the database lands in the working directory"
    cron = objects["CronJob/cfsync-sync"]["spec"]
    assert cron["concurrencyPolicy"] == "Forbid"
    assert pod(objects["CronJob/cfsync-sync"])["containers"][0]["args"][0] == "sync"


def test_the_deployment_probes_and_serves_on_the_ports_the_config_gives():
    objects = manifests()
    config = the_config()
    spec = pod(objects["Deployment/cfsync-run"])
    [container] = spec["containers"]
    assert container["args"][0] == "run"
    args = container["args"]
    host = args[args.index("--host") + 1] if "--host" in args else config.run.host
    assert host == "0.0.0.0", "probes come from outside the pod"
    ports = {p["name"]: p["containerPort"] for p in container["ports"]}
    assert ports == {"ops": config.run.port, "webhooks": config.webhooks.port}
    assert config.webhooks.host == "0.0.0.0"
    for key in ("startupProbe", "readinessProbe", "livenessProbe"):
        assert container[key]["httpGet"]["port"] in ports
    for port in objects["Service/cfsync-run"]["spec"]["ports"]:
        assert ports[port["targetPort"]] == port["port"]
    labels = objects["Deployment/cfsync-run"]["spec"]["template"]["metadata"]["labels"]
    assert objects["Service/cfsync-run"]["spec"]["selector"] == labels
    # The SQLite database is held by one process: the old pod must be gone before the new one starts.
    assert objects["Deployment/cfsync-run"]["spec"]["strategy"]["type"] == "Recreate"


# -- the Dockerfile --------------------------------------------------------------------------------------


def _docker(instruction: str) -> str:
    [rest] = [r for i, r in dockerfile() if i == instruction][-1:]
    return rest


def _healthcheck_url() -> tuple[int, str]:
    rest = _docker("HEALTHCHECK")
    command = exec_form(rest.split(" CMD ", 1)[1])
    [url] = re.findall(r"http://127\.0\.0\.1:(\d+)(/\w+)", command[-1])
    return int(url[0]), url[1]


def test_the_dockerfile_runs_cfsync_run_as_a_user_on_the_default_port():
    steps = dockerfile()
    assert [r for i, r in steps if i == "FROM"] == ["python:3.11-slim AS build", "python:3.11-slim"]
    assert exec_form(_docker("ENTRYPOINT")) == ["cfsync"]
    cmd = exec_form(_docker("CMD"))
    check(cmd)
    assert cmd[0] == "run"
    assert cmd[cmd.index("--host") + 1] == "0.0.0.0"
    uid, _, gid = _docker("USER").partition(":")
    assert int(uid) > 0, "numeric, so Kubernetes' runAsNonRoot can check it"
    assert int(gid) > 0
    # No config in the image: [run] has its defaults, and the health check and EXPOSE must use them.
    port, _ = _healthcheck_url()
    assert port == RunConfig().port == int(_docker("EXPOSE"))
    assert exec_form(_docker("VOLUME")) == [_docker("WORKDIR")]
    assert "curl" not in (ROOT / "Dockerfile").read_text()


def test_the_dockerignore_lets_in_what_the_build_copies_and_nothing_else():
    allowed = {
        line[1:].rstrip("/")
        for line in (ROOT / ".dockerignore").read_text().splitlines()
        if line.startswith("!")
    }
    copied = set()
    for instruction, rest in dockerfile():
        if instruction == "COPY" and not rest.startswith("--from"):
            copied |= set(rest.split()[:-1])
    assert copied == allowed
    for name in allowed:
        assert (ROOT / name).exists()
    assert (ROOT / ".dockerignore").read_text().splitlines()[1:2] == ["*"], "all else left out"


# -- the docs --------------------------------------------------------------------------------------------

# A link to a file, a colon, a blank line, then a block: the block is meant to be that file.
TIED = re.compile(r"\]\(\.\./([^)]+)\):\n\n```[a-z]*\n(.*?)```", re.DOTALL)
# What a deployment file looks like, in a block of the docs that is not tied to one.
LOOKS_DEPLOYED = re.compile(
    r"^(\[(Unit|Service|Timer|Install)\]|ExecStart=|EnvironmentFile=|apiVersion:|kind:|FROM python"
    r"|HEALTHCHECK|[*\d/,-]+(\s+[*\d/,-]+){4}\s)",
    re.MULTILINE,
)


def test_the_docs_show_each_deployment_file_as_it_is_or_link_it():
    text = OPERATIONS.read_text()
    for path in FILES:
        assert f"](../{path.relative_to(ROOT)})" in text, f"operations.md neither shows nor links {path}"
    tied = TIED.findall(text)
    assert {name for name, _ in tied} >= {
        "deploy/cfsync.env",
        "deploy/cron/cfsync-cron",
        "deploy/cron/cfsync.crontab",
        "deploy/systemd/cfsync-sync.service",
        "deploy/systemd/cfsync-sync.timer",
        "deploy/systemd/cfsync-run.service",
    }
    for name, block in tied:
        assert block == (ROOT / name).read_text(), f"operations.md's copy of {name} is not the file"


def test_no_page_keeps_a_second_copy_of_a_deployment_file():
    assert LOOKS_DEPLOYED.search("[Service]\nType=simple\n")
    assert LOOKS_DEPLOYED.search("*/10 * * * * cfsync sync\n")
    for page in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]:
        untied = TIED.sub("", page.read_text())
        for block in re.findall(r"```[a-z]*\n(.*?)```", untied, re.DOTALL):
            assert not LOOKS_DEPLOYED.search(block), (
                f"{page.name}: show the file from deploy/ instead\n{block}"
            )
