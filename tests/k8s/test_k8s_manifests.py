"""deploy/k8s (kustomize base + production overlay) agrees with the code it deploys.

No cluster and no kubectl: the overlay is rendered with tests/support/kustomize.py (the
operator's secrets/*.env filled from their examples, as docs/operations.md says) and
every object is checked with the rules the compose file is held to: images built from
the services' Dockerfiles, real subcommands, a complete production configuration, no
secret in a ConfigMap, probes, resources, every stateful path a volume; plus what only a
cluster has: autoscalers, disruption budgets, one database role per service, and topics
sized for their consumers.
"""

from __future__ import annotations

import base64
import importlib
import os
import re
import shutil
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path, PurePosixPath
from typing import Any

import pytest
from sqlalchemy.engine import make_url

from tests.compose.test_compose import (
    API_PORTS,
    SERVICES,
    parse_cli,
    service_aliases,
    shared_aliases,
)
from tests.support.deploy_rules import looks_secret, stateful_paths, under_any
from tests.support.kustomize import Manifest, render

pytestmark = pytest.mark.k8s

ROOT = Path(__file__).resolve().parents[2]
K8S = ROOT / "deploy" / "k8s"
OVERLAY = K8S / "overlays" / "production"
WORKLOADS = {"Deployment", "Job"}
VARIABLE = re.compile(r"\$\(([A-Za-z_][A-Za-z0-9_]*)\)")


# --- rendering --------------------------------------------------------------------------


def filled_copy(destination: Path) -> Path:
    """deploy/k8s as an operator has it: every secrets/*.env made from its example."""
    shutil.copytree(K8S, destination / "k8s")
    secrets = destination / "k8s" / "overlays" / "production" / "secrets"
    for example in secrets.glob("*.env.example"):
        lines = []
        for line in example.read_text().splitlines():
            if line and not line.startswith("#") and line.endswith("="):
                name = line[:-1]
                value = (
                    base64.urlsafe_b64encode(os.urandom(32)).decode()
                    if name == "KOERS_CAMPAIGNS_DELIVERY_KEY"
                    else uuid.uuid4().hex
                )
                line = f"{name}={value}"
            lines.append(line)
        example.with_suffix("").write_text("\n".join(lines) + "\n")
    return destination / "k8s" / "overlays" / "production"


@pytest.fixture(scope="module")
def production(tmp_path_factory: pytest.TempPathFactory) -> list[Manifest]:
    return render(filled_copy(tmp_path_factory.mktemp("k8s")))


def by_kind(objects: list[Manifest], kind: str) -> dict[str, Manifest]:
    return {o["metadata"]["name"]: o for o in objects if o["kind"] == kind}


def pod_spec(workload: Manifest) -> dict[str, Any]:
    spec: dict[str, Any] = workload["spec"]["template"]["spec"]
    return spec


def koers_containers(objects: list[Manifest]) -> Iterator[tuple[Manifest, dict[str, Any], str]]:
    """(workload, container, service) for every container running a Koers image."""
    for workload in objects:
        if workload["kind"] not in WORKLOADS:
            continue
        for container in pod_spec(workload)["containers"]:
            image = container["image"].split(":")[0]
            if image.startswith("koers-"):
                yield workload, container, image.removeprefix("koers-")


def container_environment(objects: list[Manifest], container: dict[str, Any]) -> dict[str, str]:
    """What the kubelet would set: envFrom first, then env with $(VAR) expanded."""
    configmaps = by_kind(objects, "ConfigMap")
    secrets = by_kind(objects, "Secret")
    values: dict[str, str] = {}
    for source in container.get("envFrom", []):
        if "configMapRef" in source:
            values.update(configmaps[source["configMapRef"]["name"]].get("data") or {})
        else:
            data = secrets[source["secretRef"]["name"]]["data"]
            values.update({k: base64.b64decode(v).decode() for k, v in data.items()})
    for variable in container.get("env", []):
        if "value" in variable:
            values[variable["name"]] = VARIABLE.sub(
                lambda m: values.get(m[1], m[0]), variable["value"]
            )
            continue
        reference = variable["valueFrom"]
        if "configMapKeyRef" in reference:
            ref = reference["configMapKeyRef"]
            values[variable["name"]] = configmaps[ref["name"]]["data"][ref["key"]]
        else:
            ref = reference["secretKeyRef"]
            raw = secrets[ref["name"]]["data"][ref["key"]]
            values[variable["name"]] = base64.b64decode(raw).decode()
    return values


def secret_sourced(objects: list[Manifest], container: dict[str, Any]) -> set[str]:
    """Names of the variables that come from a Secret."""
    secrets = by_kind(objects, "Secret")
    names: set[str] = set()
    for source in container.get("envFrom", []):
        if "secretRef" in source:
            names |= set(secrets[source["secretRef"]["name"]]["data"])
    for variable in container.get("env", []):
        if "secretKeyRef" in variable.get("valueFrom", {}) or any(
            n in names for n in VARIABLE.findall(variable.get("value", ""))
        ):
            names.add(variable["name"])
    return names


@pytest.fixture
def clean_koers_environ(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for key in list(os.environ):
        if key.startswith("KOERS_"):
            monkeypatch.delenv(key)
    return monkeypatch


def settings_of(service: str, env: dict[str, str]) -> Any:
    with pytest.MonkeyPatch.context() as patch:
        for key, value in env.items():
            patch.setenv(key, value)
        return importlib.import_module(f"{service}.config").Settings()


# --- images and commands ----------------------------------------------------------------


def test_every_koers_image_is_a_service_with_a_dockerfile_and_a_pinned_tag(production):
    seen = set()
    for _workload, container, service in koers_containers(production):
        assert service in SERVICES, container["image"]
        assert (ROOT / "services" / service / "Dockerfile").is_file()
        name, _, tag = container["image"].partition(":")
        assert tag and tag != "latest", f"{name}: production pins a tag"
        seen.add(service)
    assert seen == set(SERVICES)


def test_each_service_runs_api_relay_consumer_deployments_and_a_migrate_job(production):
    roles: set[tuple[str, str, str]] = set()
    for workload, container, service in koers_containers(production):
        argv = container["command"]
        parse_cli(service, argv)  # a real console script and subcommand, valid options
        roles.add((workload["kind"], service, argv[1]))
        component = {"serve": "api", "consume": "consumer"}.get(argv[1], argv[1])
        assert workload["metadata"]["name"] == f"{service}-{component}"
    assert roles == {
        (kind, service, sub)
        for service in SERVICES
        for kind, sub in [
            ("Deployment", "serve"),
            ("Deployment", "relay"),
            ("Deployment", "consume"),
            ("Job", "migrate"),
        ]
    }


def test_apis_listen_on_their_designed_ports_behind_a_service(production):
    services = by_kind(production, "Service")
    for workload, container, service in koers_containers(production):
        if container["command"][1] != "serve":
            continue
        context = parse_cli(service, container["command"])
        port = API_PORTS[service]
        assert context.params["port"] == port and context.params["host"] == "0.0.0.0"
        assert container["ports"] == [{"name": "http", "containerPort": port}]
        front = services[workload["metadata"]["name"]]
        assert front["spec"]["ports"][0]["port"] == port
        assert front["spec"]["ports"][0]["targetPort"] == "http"
        labels = workload["spec"]["template"]["metadata"]["labels"]
        assert front["spec"]["selector"].items() <= labels.items()


# --- configuration --------------------------------------------------------------------------


def test_every_container_gets_a_complete_production_configuration(production, clean_koers_environ):
    shared = shared_aliases()
    for workload, container, service in koers_containers(production):
        name = workload["metadata"]["name"]
        env = container_environment(production, container)
        koers_vars = {k for k in env if k.startswith("KOERS_")}
        unknown = koers_vars - shared - service_aliases(service)
        assert not unknown, f"{name}: {sorted(unknown)} are not settings of {service}"
        assert not [v for v in env.values() if VARIABLE.search(v)], f"{name}: unresolved $(…)"
        settings = settings_of(service, env)
        assert settings.environment == "production", name
        settings.check_production_secrets()  # names any missing secret
        from_secrets = secret_sourced(production, container)
        for secret in settings.secrets():
            assert secret in from_secrets, f"{name}: {secret} must come from a Secret"
        url = make_url(settings.database_url)
        assert url.username == service and url.database == service, (
            f"{name}: each service logs in as its own role to its own database"
        )
        assert url.host == env["DATABASE_HOST"], name
        assert "DATABASE_PASSWORD" in from_secrets, name
        assert settings.topic_retention_hours == 168


def test_no_secret_is_written_into_a_configmap_or_the_manifests():
    for path in K8S.rglob("*.yaml"):
        for line in path.read_text().splitlines():
            key, _, value = line.strip().removeprefix("- ").partition(":")
            literal = value.strip() and not value.strip().startswith("|")
            assert not (looks_secret(key) and literal), (
                f"{path.relative_to(ROOT)}: {key.strip()} has a literal value"
            )
    for example in (OVERLAY / "secrets").glob("*.env.example"):
        for line in example.read_text().splitlines():
            if line and not line.startswith("#"):
                assert line.endswith("="), f"{example.name}: an example holds no value"
    assert (OVERLAY / "secrets" / ".gitignore").read_text().splitlines()[-1] == "*.env"


def test_configmaps_hold_nothing_secret(production):
    for name, configmap in by_kind(production, "ConfigMap").items():
        for key in configmap.get("data") or {}:
            assert not looks_secret(key), f"ConfigMap {name} holds {key}"


def test_every_reference_names_a_rendered_object(production):
    configmaps, secrets = by_kind(production, "ConfigMap"), by_kind(production, "Secret")
    for workload in production:
        if workload["kind"] not in WORKLOADS:
            continue
        spec = pod_spec(workload)
        for container in spec["containers"]:
            for source in container.get("envFrom", []):
                ref = source.get("configMapRef") or source["secretRef"]
                assert ref["name"] in (configmaps if "configMapRef" in source else secrets)
            for variable in container.get("env", []):
                reference = variable.get("valueFrom", {})
                if "configMapKeyRef" in reference:
                    ref = reference["configMapKeyRef"]
                    assert ref["key"] in configmaps[ref["name"]]["data"]
                if "secretKeyRef" in reference:
                    ref = reference["secretKeyRef"]
                    assert ref["key"] in secrets[ref["name"]]["data"]
        for volume in spec.get("volumes", []):
            if "configMap" in volume:
                assert volume["configMap"]["name"] in configmaps


# --- probes, resources, state ---------------------------------------------------------------


def test_apis_are_probed_for_liveness_and_readiness_and_workers_are_not(production):
    from fastapi import FastAPI

    from koers.web import install_web_chassis

    app = FastAPI()
    install_web_chassis(app, service="probe", checks={})
    served = {getattr(route, "path", "") for route in app.routes}
    for workload, container, _service in koers_containers(production):
        probes = {k for k in container if k.endswith("Probe")}
        if container["command"][1] == "serve":
            assert probes == {"startupProbe", "livenessProbe", "readinessProbe"}
            assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
            assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
            for probe in probes:
                assert container[probe]["httpGet"]["path"] in served
                assert container[probe]["httpGet"]["port"] == "http"
        else:
            assert not probes, f"{workload['metadata']['name']} serves no HTTP to probe"


def quantity(value: str | int) -> float:
    text = str(value)
    units = {"m": 1e-3, "Ki": 2**10, "Mi": 2**20, "Gi": 2**30}
    for suffix, factor in units.items():
        if text.endswith(suffix):
            return float(text[: -len(suffix)]) * factor
    return float(text)


def test_every_container_requests_and_is_limited_in_cpu_and_memory(production):
    for workload in production:
        if workload["kind"] not in WORKLOADS:
            continue
        for container in pod_spec(workload)["containers"]:
            resources = container.get("resources", {})
            for resource in ("cpu", "memory"):
                request = quantity(resources["requests"][resource])
                limit = quantity(resources["limits"][resource])
                assert 0 < request <= limit, f"{workload['metadata']['name']} {resource}"


def test_pods_run_without_privileges_and_on_a_read_only_root(production):
    for workload in production:
        if workload["kind"] not in WORKLOADS:
            continue
        spec = pod_spec(workload)
        assert spec["securityContext"]["runAsNonRoot"] is True
        for container in spec["containers"]:
            context = container["securityContext"]
            assert context["allowPrivilegeEscalation"] is False
            assert context["capabilities"]["drop"] == ["ALL"]
    for _workload, container, _service in koers_containers(production):
        assert container["securityContext"]["readOnlyRootFilesystem"] is True


def test_every_stateful_path_is_a_persistent_volume(production, clean_koers_environ):
    """With a read-only root, a path the code writes must be a volume; one it must keep
    must be a PersistentVolumeClaim. The production configuration keeps none (CVs and the
    rate limit are in the database), so every replica is disposable."""
    for workload, container, service in koers_containers(production):
        settings = settings_of(service, container_environment(production, container))
        volumes = {v["name"]: v for v in pod_spec(workload).get("volumes", [])}
        kept = [
            m["mountPath"]
            for m in container.get("volumeMounts", [])
            if "persistentVolumeClaim" in volumes[m["name"]]
        ]
        for path in stateful_paths(settings):
            assert under_any(path, kept), f"{workload['metadata']['name']}: {path} is lost"
        assert stateful_paths(settings) == [], "production replicas keep nothing on disk"
        assert settings.cv_storage == "database" if service == "landing" else True
        assert getattr(settings, "rate_limit_shared", True) is True


def test_stateful_paths_of_the_embedded_default_are_found():
    """The rule above can fail: the development defaults keep state on disk."""
    landing = importlib.import_module("landing.config").Settings()
    assert stateful_paths(landing) == [
        PurePosixPath("/app/var/landing.db"),
        PurePosixPath("/app/var/landing-cvs"),
    ]


# --- scaling and disruption -----------------------------------------------------------------


def test_apis_autoscale_and_every_deployment_has_a_disruption_budget(production):
    deployments = by_kind(production, "Deployment")
    autoscalers = by_kind(production, "HorizontalPodAutoscaler")
    budgets = list(by_kind(production, "PodDisruptionBudget").values())
    for name, deployment in deployments.items():
        labels = deployment["spec"]["template"]["metadata"]["labels"]
        assert deployment["spec"]["selector"]["matchLabels"].items() <= labels.items()
        matching = [
            b for b in budgets if b["spec"]["selector"]["matchLabels"].items() <= labels.items()
        ]
        assert len(matching) == 1, f"{name}: one PodDisruptionBudget"
        budget = matching[0]["spec"]
        replicas = deployment["spec"]["replicas"]
        if "minAvailable" in budget:
            assert budget["minAvailable"] < replicas, f"{name}: a drain could never proceed"
        else:
            assert budget["maxUnavailable"] >= 1
        if name.endswith("-api"):
            autoscaler = autoscalers[name]["spec"]
            assert autoscaler["scaleTargetRef"] == {
                "apiVersion": "apps/v1",
                "kind": "Deployment",
                "name": name,
            }
            assert 2 <= autoscaler["minReplicas"] <= replicas <= autoscaler["maxReplicas"]
        else:
            assert name not in autoscalers, "relays and consumers scale by lease and partitions"
        if name.endswith("-relay"):
            assert replicas == 2, f"{name}: one publishing, one hot standby"


# --- Kafka --------------------------------------------------------------------------------


def job_env(job: Manifest, production: list[Manifest]) -> dict[str, str]:
    return container_environment(production, pod_spec(job)["containers"][0])


def test_topics_are_replicated_and_sized_for_their_consumers(production):
    from analytics.facts.handlers import CONSUMED_TOPICS
    from campaigns.handlers import TOPICS as CAMPAIGNS_TOPICS
    from koers.events import ALL_TOPICS, CAMPAIGN_STATE_TOPIC

    job = by_kind(production, "Job")["kafka-topics"]
    env = job_env(job, production)
    assert env["REPLICATION_FACTOR"] == "3" and env["MIN_INSYNC_REPLICAS"] == "2"
    script = by_kind(production, "ConfigMap")["koers-kafka-topics"]["data"]["create-topics.sh"]
    assert script == (K8S / "base" / "kafka" / "create-topics.sh").read_text()
    assert pod_spec(job)["containers"][0]["command"] == ["/bin/sh", "/opt/koers/create-topics.sh"]
    topics = re.search(r'^TOPICS="([^"]*)"', script, re.M)
    assert topics and sorted(topics[1].split()) == sorted(ALL_TOPICS)
    for flag in ("--replication-factor", "min.insync.replicas", "retention.ms"):
        assert flag in script

    consumed = {
        "campaigns": set(CAMPAIGNS_TOPICS),
        "landing": {CAMPAIGN_STATE_TOPIC},
        "analytics": set(CONSUMED_TOPICS),
    }
    deployments = by_kind(production, "Deployment")
    partitions = int(env["PARTITIONS"])
    for service, topics_read in consumed.items():
        replicas = deployments[f"{service}-consumer"]["spec"]["replicas"]
        assert topics_read and partitions >= replicas, f"{service}: idle consumers"
    shared = by_kind(production, "ConfigMap")["koers-shared"]["data"]
    retention_hours = float(shared["KOERS_TOPIC_RETENTION_HOURS"])
    assert int(env["RETENTION_MS"]) == retention_hours * 3600 * 1000, (
        "relays prune the outbox by the topics' retention: they must agree"
    )


# --- PostgreSQL roles ---------------------------------------------------------------------


def test_the_roles_job_gives_each_service_the_password_its_pods_use(production):
    job = by_kind(production, "Job")["database-roles"]
    container = pod_spec(job)["containers"][0]
    env = job_env(job, production)
    secrets = by_kind(production, "Secret")
    for service in SERVICES:
        expected = base64.b64decode(secrets[f"{service}-secrets"]["data"]["DATABASE_PASSWORD"])
        assert env[f"{service.upper()}_PASSWORD"] == expected.decode()
        assert f"{service}_password=$({service.upper()}_PASSWORD)" in container["command"]
    assert "prefix=" in container["command"]
    assert (
        env["PGHOST"] == by_kind(production, "ConfigMap")["koers-shared"]["data"]["DATABASE_HOST"]
    )
    sql = by_kind(production, "ConfigMap")["koers-database-roles"]["data"]["roles.sql"]
    assert sql == (K8S / "base" / "postgres" / "roles.sql").read_text()


def admin_url() -> str:
    url = os.environ.get("KOERS_TEST_DATABASE_URL", "")
    if not url.startswith("postgresql") or shutil.which("psql") is None:
        pytest.skip("needs PostgreSQL (KOERS_TEST_DATABASE_URL) and psql")
    return url


def test_each_service_role_reaches_its_own_database_only():
    """roles.sql run twice against the test server (under a unique prefix): every role
    migrates its own database, and is refused at the door of the others."""
    from koers.db import make_engine, migrate

    admin = make_url(admin_url())
    prefix = f"k8s_{uuid.uuid4().hex[:8]}_"
    passwords = {service: uuid.uuid4().hex for service in SERVICES}
    command = [
        "psql",
        admin.render_as_string(hide_password=False).replace("+psycopg", ""),
        "--no-psqlrc",
        "-q",
        "-v",
        f"prefix={prefix}",
        *(f"--set={s}_password={p}" for s, p in passwords.items()),
        "-f",
        str(K8S / "base" / "postgres" / "roles.sql"),
    ]
    try:
        for _ in range(2):  # safe to run again
            subprocess.run(command, check=True, capture_output=True, timeout=300)
        for service in SERVICES:
            own = admin.set(
                username=prefix + service, password=passwords[service], database=prefix + service
            )
            package = Path(str(importlib.import_module(service).__file__)).parent
            migrate(own.render_as_string(hide_password=False), package / "migrations")
            for other in SERVICES:
                if other == service:
                    continue
                engine = make_engine(own.set(database=prefix + other).render_as_string(False))
                with pytest.raises(Exception, match="permission denied for database"):
                    engine.connect().close()
                engine.dispose()
    finally:
        cleanup = [
            f"DROP DATABASE IF EXISTS {prefix}{s} WITH (FORCE); DROP ROLE IF EXISTS {prefix}{s};"
            for s in SERVICES
        ]
        for statement in cleanup:
            for part in statement.split("; "):
                # A drop waits for a checkpoint, which a busy shared server can take
                # minutes to finish: cleanup must not fail the test for that.
                subprocess.run(
                    ["psql", admin.render_as_string(hide_password=False), "-qc", part],
                    capture_output=True,
                    timeout=300,
                )
