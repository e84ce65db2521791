"""render.yaml, Dockerfile and compose.yaml checked against what they must say.

render.yaml is validated against the fields Render documents in its Blueprint reference,
https://render.com/docs/blueprint-spec (root-level fields, service fields per type,
environment variable sources and the properties `fromDatabase`/`fromService` accept),
and https://render.com/docs/disks (a disk belongs to one paid web service, private
service or background worker). The tables below transcribe those pages.
"""

from __future__ import annotations

import re
from typing import Any

import yaml

from core.settings import ROOT

# blueprint-spec, "Root-level fields".
ROOT_FIELDS = {"services", "databases", "envVarGroups", "previews", "projects", "ungrouped", "version"}
# blueprint-spec, "Service fields": the fields any service type may carry...
COMMON_SERVICE = {
    "name", "type", "runtime", "plan", "region", "repo", "branch", "rootDir", "envVars",
    "buildCommand", "startCommand", "preDeployCommand", "dockerCommand", "dockerfilePath",
    "dockerContext", "registryCredential", "image", "autoDeploy", "autoDeployTrigger",
    "buildFilter", "numInstances", "scaling", "disk", "domains", "healthCheckPath",
    "maxShutdownDelaySeconds", "previews", "pullRequestPreviewsEnabled", "schedule",
    "staticPublishPath", "headers", "routes", "ipAllowList", "maxmemoryPolicy",
}  # fmt: skip
# ...and which of them only some types accept.
ONLY_FOR = {
    "healthCheckPath": {"web"},
    "domains": {"web"},
    "schedule": {"cron"},
    "disk": {"web", "pserv", "worker"},  # disks page: not for cron jobs or Key Value
    "ipAllowList": {"keyvalue"},
    "maxmemoryPolicy": {"keyvalue"},
    "preDeployCommand": {"web", "pserv", "worker"},
}
SERVICE_TYPES = {"web", "pserv", "worker", "cron", "keyvalue", "redis"}
RUNTIMES = {"docker", "elixir", "go", "image", "node", "python", "ruby", "rust", "static"}
MAXMEMORY_POLICIES = {
    "allkeys-lfu", "allkeys-lru", "allkeys-random", "noeviction",
    "volatile-lfu", "volatile-lru", "volatile-random", "volatile-ttl",
}  # fmt: skip
# blueprint-spec, "Database fields" and the properties a fromDatabase / fromService may read.
DATABASE_FIELDS = {
    "name", "databaseName", "user", "plan", "region", "postgresMajorVersion", "ipAllowList",
    "previewPlan", "readReplicas", "highAvailability", "diskSizeGB", "diskAutoscalingEnabled",
}  # fmt: skip
DATABASE_PROPERTIES = {"host", "port", "database", "user", "password", "connectionString"}
SERVICE_PROPERTIES = {"host", "port", "hostport", "connectionString"}
ENV_SOURCES = {"value", "generateValue", "sync", "fromDatabase", "fromService", "fromGroup"}


def _load(name: str) -> Any:
    return yaml.safe_load((ROOT / name).read_text(encoding="utf-8"))


def _env(service: dict[str, Any], groups: dict[str, list[dict[str, Any]]]) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for var in service.get("envVars", []):
        if "fromGroup" in var:
            out.update({v["key"]: v for v in groups[var["fromGroup"]]})
        else:
            out[var["key"]] = var
    return out


def _procfile() -> dict[str, str]:
    lines = (ROOT / "Procfile").read_text().splitlines()
    return dict(line.split(": ", 1) for line in lines if ": " in line)


def test_render_blueprint_uses_only_documented_fields() -> None:
    bp = _load("render.yaml")
    assert set(bp) <= ROOT_FIELDS
    services = {s["name"]: s for s in bp["services"]}
    databases = {d["name"]: d for d in bp["databases"]}
    groups = {g["name"]: g["envVars"] for g in bp.get("envVarGroups", [])}
    assert len(services) == len(bp["services"]), "service names must be unique"

    for name, svc in services.items():
        assert svc["type"] in SERVICE_TYPES, name
        assert set(svc) <= COMMON_SERVICE, f"{name}: undocumented fields {set(svc) - COMMON_SERVICE}"
        for field, types in ONLY_FOR.items():
            assert field not in svc or svc["type"] in types, (
                f"{name}: {field} is not allowed on {svc['type']}"
            )
        if svc["type"] in ("web", "pserv", "worker", "cron"):
            assert svc["runtime"] in RUNTIMES, name
        if svc.get("runtime") == "docker":
            # Docker services build from a Dockerfile: build/start commands do not apply.
            assert "buildCommand" not in svc and "startCommand" not in svc, name
            assert (ROOT / svc.get("dockerContext", ".") / svc["dockerfilePath"]).is_file(), name
        if svc["type"] == "cron":
            assert re.fullmatch(r"(\S+\s+){4}\S+", svc["schedule"]), f"{name}: schedule is a cron expression"
        if svc["type"] == "keyvalue":
            assert isinstance(svc["ipAllowList"], list), "a Key Value instance requires ipAllowList"
            assert svc.get("maxmemoryPolicy", "noeviction") in MAXMEMORY_POLICIES
        if "disk" in svc:
            assert set(svc["disk"]) <= {"name", "mountPath", "sizeGB"}
            assert {"name", "mountPath"} <= set(svc["disk"])
            assert isinstance(svc["disk"].get("sizeGB", 1), int)
        for var in svc.get("envVars", []):
            sources = set(var) & ENV_SOURCES
            assert len(sources) == 1, f"{name}: {var} must have exactly one source"
            if "fromGroup" not in var:
                assert "key" in var, f"{name}: {var} needs a key"
            if "fromDatabase" in var:
                assert var["fromDatabase"]["name"] in databases
                assert var["fromDatabase"]["property"] in DATABASE_PROPERTIES
            if "fromService" in var:
                ref = var["fromService"]
                assert ref["name"] in services and services[ref["name"]]["type"] == ref["type"], ref
                assert ref.get("property") in SERVICE_PROPERTIES or "envVarKey" in ref
            if "fromGroup" in var:
                assert var["fromGroup"] in groups
    for db in databases.values():
        assert set(db) <= DATABASE_FIELDS, f"undocumented database fields {set(db) - DATABASE_FIELDS}"
    for group in groups.values():
        for var in group:
            assert set(var) & ENV_SOURCES <= {"value", "generateValue"}, "groups hold plain values"


def test_render_blueprint_runs_the_studio() -> None:
    bp = _load("render.yaml")
    services = {s["type"]: s for s in bp["services"]}
    groups = {g["name"]: g["envVars"] for g in bp.get("envVarGroups", [])}
    assert {"web", "worker", "cron", "keyvalue"} <= set(services)
    web, worker, cron, kv = services["web"], services["worker"], services["cron"], services["keyvalue"]
    assert web["healthCheckPath"] == "/_stcore/health"
    assert "/_stcore/health" in (ROOT / "Dockerfile").read_text()
    # The release step runs before each deploy; the Procfile roles are what run.
    assert web["preDeployCommand"] == _procfile()["release"]
    assert web["dockerCommand"].split()[-1] == "web" and worker["dockerCommand"].split()[-1] == "worker"
    assert "nightly_eval" in cron["dockerCommand"]
    assert kv["maxmemoryPolicy"] == "noeviction"  # RQ's queues must never be evicted
    # Exactly one disk (Render: a disk belongs to one service), mounted at FILES_DIR.
    disks = [s for s in bp["services"] if "disk" in s]
    assert disks == [web]
    for svc in (web, worker, cron):
        env = _env(svc, groups)
        assert env["DATABASE_URL"]["fromDatabase"]["property"] == "connectionString"
        assert env["REDIS_URL"]["fromService"] == {
            "type": "keyvalue",
            "name": kv["name"],
            "property": "connectionString",
        }
        assert env["FILES_DIR"]["value"] == web["disk"]["mountPath"]
        assert "OPENAI_API_KEY" not in env or env["OPENAI_API_KEY"] == {
            "key": "OPENAI_API_KEY",
            "sync": False,
        }
    assert bp["databases"][0]["postgresMajorVersion"] == "15"  # the image's pg_dump is 15


def test_dockerfile_is_multistage_nonroot_with_healthcheck_and_no_secrets() -> None:
    text = (ROOT / "Dockerfile").read_text()
    stages = re.findall(r"^FROM\s+\S+(?:\s+AS\s+(\w+))?", text, re.M)
    assert len(stages) >= 2 and "COPY --from=build" in text
    users = re.findall(r"^USER\s+(\S+)", text, re.M)
    assert users and users[-1] not in ("root", "0")
    assert re.search(r"^HEALTHCHECK .*_stcore/health", text, re.M | re.S)
    for secret in ("OPENAI_API_KEY", "PASSWORD", "SECRET", "TOKEN"):
        assert not re.search(rf"^(ENV|ARG)\s+.*{secret}", text, re.M | re.I), secret
    ignored = (ROOT / ".dockerignore").read_text().split()
    assert {".env", ".venv", ".git", "data"} <= set(ignored)


def test_compose_runs_web_worker_db_redis_with_named_volumes_and_release_first() -> None:
    compose = _load("compose.yaml")
    services = compose["services"]
    assert {"web", "worker", "db", "redis", "release"} <= set(services)
    assert {"db", "files"} <= set(compose["volumes"])
    assert "db:/var/lib/postgresql/data" in services["db"]["volumes"]
    for role in ("web", "worker"):
        svc = services[role]
        assert svc["command"] == [role] and role in _procfile()
        assert svc["depends_on"]["release"]["condition"] == "service_completed_successfully"
        assert "files:/data/files" in svc["volumes"]
        assert svc["environment"]["FILES_DIR"] == "/data/files"
    assert services["release"]["command"] == ["release"]
    assert services["release"]["depends_on"]["db"]["condition"] == "service_healthy"
