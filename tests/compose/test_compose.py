"""docker-compose.yml (the production shape) agrees with the code it deploys.

No Docker engine is needed: the file is parsed and every name in it is checked against
the repository, the console scripts, the settings classes and the event contracts. Each
check below fails when someone renames a command, a setting, a topic or a path on one
side only.
"""

from __future__ import annotations

import ast
import importlib
import importlib.metadata
import json
import os
import re
import shlex
import sys
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import typer.main
import yaml
from packaging.requirements import Requirement
from sqlalchemy.engine import make_url

from tests.support.deploy_rules import stateful_paths, under_any

pytestmark = pytest.mark.compose

ROOT = Path(__file__).resolve().parents[2]
COMPOSE_FILE = ROOT / "docker-compose.yml"
CREATE_TOPICS = ROOT / "deploy" / "k8s" / "base" / "kafka" / "create-topics.sh"
POSTGRES_INIT_DIR = ROOT / "deploy" / "postgres"

SERVICES = ("campaigns", "landing", "analytics")
# DESIGN.md, "Running it": the ports each API answers on.
API_PORTS = {"campaigns": 8000, "landing": 8001, "analytics": 8002}
AIRFLOW_PORT = 8080
SUBCOMMANDS = {"serve", "migrate", "relay", "consume"}

ALIAS_PATTERN = re.compile(r'validation_alias="(KOERS_[A-Z0-9_]+)"')
# ${NAME}, ${NAME:-default}, ${NAME-default}, ${NAME:?message}, ${NAME?message}; $$ escapes.
INTERPOLATION = re.compile(
    r"\$\{(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?:(?P<op>:?[-?])(?P<arg>[^}]*))?\}"
)


# --- reading the files ------------------------------------------------------------


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    document = yaml.safe_load(COMPOSE_FILE.read_text())
    assert isinstance(document, dict) and "services" in document
    assert "version" not in document, "the Compose spec has no `version:` key"
    return document


@pytest.fixture(scope="module")
def services(compose: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return dict(compose["services"])


def built_services(services: dict[str, dict[str, Any]]) -> dict[str, str]:
    """Compose service name -> Koers service (campaigns, ...) for every built container."""
    result = {}
    for name, spec in services.items():
        if "build" in spec:
            dockerfile = Path(spec["build"]["context"], spec["build"]["dockerfile"])
            result[name] = dockerfile.parent.name
    return result


def interpolated_names(text: str) -> set[str]:
    return {match["name"] for match in INTERPOLATION.finditer(text.replace("$$", ""))}


def resolve(value: object) -> str:
    """What Compose would substitute, with every required variable given a test value."""

    def substitute(match: re.Match[str]) -> str:
        op, arg = match["op"], match["arg"]
        if op in (":-", "-"):
            return str(arg)
        if op in (":?", "?"):
            return f"test-{match['name'].lower().replace('_', '-')}"
        return ""

    return INTERPOLATION.sub(substitute, str(value).replace("$$", "\0")).replace("\0", "$")


def is_required(value: object) -> bool:
    """The whole value is one ``${NAME:?message}``: Compose refuses to start without it."""
    match = INTERPOLATION.fullmatch(str(value))
    return match is not None and match["op"] == ":?"


def environment(spec: dict[str, Any]) -> dict[str, str]:
    env = spec.get("environment", {})
    if isinstance(env, list):
        env = dict(item.split("=", 1) for item in env)
    return {str(key): str(value) for key, value in env.items()}


def command_of(spec: dict[str, Any]) -> list[str]:
    command = spec.get("command")
    assert command is not None, "every Koers container names its command explicitly"
    return shlex.split(command) if isinstance(command, str) else [str(part) for part in command]


@dataclass(frozen=True)
class Instruction:
    keyword: str
    arguments: str


def dockerfile_final_stage(path: Path) -> list[Instruction]:
    """The instructions of the last stage (the image that runs), continuations joined."""
    logical: list[str] = []
    pending = ""
    for raw in path.read_text().splitlines():
        line = raw.strip()
        if not pending and (not line or line.startswith("#")):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        logical.append(pending + line)
        pending = ""
    instructions = []
    for line in logical:
        keyword, _, arguments = line.partition(" ")
        instructions.append(Instruction(keyword.upper(), arguments.strip()))
    last_from = max(i for i, ins in enumerate(instructions) if ins.keyword == "FROM")
    return instructions[last_from:]


def one(instructions: list[Instruction], keyword: str) -> str:
    found = [i.arguments for i in instructions if i.keyword == keyword]
    assert len(found) == 1, f"expected one {keyword} in the final stage, found {found}"
    return found[0]


def declared_aliases(paths: list[Path]) -> set[str]:
    aliases: set[str] = set()
    for path in paths:
        aliases |= set(ALIAS_PATTERN.findall(path.read_text()))
    return aliases


def shared_aliases() -> set[str]:
    return declared_aliases(sorted((ROOT / "libs" / "koers" / "koers").rglob("*.py")))


def service_aliases(service: str) -> set[str]:
    package = ROOT / "services" / service / service
    # A feature may declare its own settings class that config.Settings extends.
    return declared_aliases([package / "config.py", *sorted(package.glob("*/settings.py"))])


def console_scripts(service: str) -> dict[str, str]:
    pyproject = tomllib.loads((ROOT / "services" / service / "pyproject.toml").read_text())
    scripts: dict[str, str] = pyproject["project"]["scripts"]
    return scripts


def parse_cli(service: str, argv: list[str]) -> Any:
    """Parse ``argv`` with the service's real CLI, exactly as the console script would.

    Returns the subcommand's parsed context (``.params``); raises a usage error for an
    unknown option or a value of the wrong type. (Typer bundles its own click, so the
    click objects are reached through typer rather than imported.)
    """
    scripts = console_scripts(service)
    assert argv[0] in scripts, f"{argv[0]} is not a console script of {service}: {scripts}"
    module_name, _, attribute = scripts[argv[0]].partition(":")
    app = getattr(importlib.import_module(module_name), attribute)
    group = typer.main.get_command(app)
    assert hasattr(group, "get_command"), f"{argv[0]} should have subcommands"
    assert len(argv) >= 2 and argv[1] in SUBCOMMANDS, f"unexpected subcommand in {argv}"
    parent = group.context_class(group, info_name=argv[0])
    subcommand = group.get_command(parent, argv[1])
    assert subcommand is not None, f"{argv[0]} has no `{argv[1]}` subcommand"
    return subcommand.make_context(argv[1], list(argv[2:]), parent=parent)


def published_ports(spec: dict[str, Any]) -> list[tuple[int, int]]:
    """(host port, container port) for every published port of a service."""
    result = []
    for entry in spec.get("ports", []):
        if isinstance(entry, dict):
            result.append((int(entry["published"]), int(entry["target"])))
        else:
            parts = str(entry).split(":")
            result.append((int(parts[-2]), int(parts[-1].split("/")[0])))
    return result


def bind_mounts(spec: dict[str, Any]) -> Iterator[tuple[str, str]]:
    for entry in spec.get("volumes", []):
        if isinstance(entry, dict):
            yield str(entry["source"]), str(entry["target"])
        else:
            source, target = str(entry).split(":")[:2]
            yield source, target


# --- images and commands -------------------------------------------------------------


def test_every_koers_service_is_built_from_its_own_dockerfile(services):
    built = built_services(services)
    assert set(built.values()) == set(SERVICES)
    for name, spec in services.items():
        if name not in built:
            continue
        context = ROOT / spec["build"]["context"]
        assert context.resolve() == ROOT, f"{name}: the build context must be the repo root"
        dockerfile = context / spec["build"]["dockerfile"]
        assert dockerfile.is_file(), f"{name}: {dockerfile} does not exist"
        assert name.startswith(f"{built[name]}-"), f"{name} runs the {built[name]} image"


@pytest.mark.parametrize("service", SERVICES)
def test_dockerfile_builds_a_non_root_image_that_serves_and_checks_health(service):
    dockerfile = ROOT / "services" / service / "Dockerfile"
    text = dockerfile.read_text()
    stage = dockerfile_final_stage(dockerfile)
    port = API_PORTS[service]

    assert one(stage, "FROM").split()[0] == "python:3.11-slim"
    assert one(stage, "USER") not in {"root", "0", "0:0"}
    assert "COPY libs/koers " in text, "the chassis is installed from the build context"
    assert f"services/{service}" in text
    assert not re.search(r"pip install[^\n]*\s(-e|--editable)\s", text), "no editable installs"
    assert one(stage, "EXPOSE") == str(port)

    healthcheck = one(stage, "HEALTHCHECK")
    assert f"127.0.0.1:{port}/healthz" in healthcheck
    assert "python" in healthcheck, "slim images have no curl: probe with python"

    command = json.loads(one(stage, "CMD"))
    context = parse_cli(service, command)
    assert command[1] == "serve"
    assert context.params["host"] == "0.0.0.0"
    assert context.params["port"] == port


def imported_modules(package: Path) -> set[str]:
    """Top-level names of every module a package's code imports, at module level or in a
    function (``serve`` imports uvicorn only when it runs), except under TYPE_CHECKING."""
    names: set[str] = set()
    for path in package.rglob("*.py"):
        tree = ast.parse(path.read_text(), filename=str(path))
        typing_only = {
            id(node)
            for branch in ast.walk(tree)
            if isinstance(branch, ast.If) and "TYPE_CHECKING" in ast.unparse(branch.test)
            for statement in branch.body
            for node in ast.walk(statement)
        }
        for node in ast.walk(tree):
            if id(node) in typing_only:
                continue
            if isinstance(node, ast.Import):
                names |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                names.add(node.module.split(".")[0])
    return names - set(sys.stdlib_module_names) - {"__future__"}


def declared_requirements(project: Path) -> list[Requirement]:
    """What a pyproject.toml of ours declares (read from the file, not from installed
    metadata, which an editable install leaves stale until it is reinstalled)."""
    pyproject = tomllib.loads((project / "pyproject.toml").read_text())
    return [Requirement(line) for line in pyproject["project"]["dependencies"]]


def requirement_closure(requirements: list[Requirement]) -> set[str]:
    """The distributions pip installs for ``requirements``: each, and what its metadata
    requires, transitively, with the extras asked for."""
    seen: set[tuple[str, frozenset[str]]] = set()
    pending = [(r.name, frozenset(r.extras)) for r in requirements]
    while pending:
        name, extras = pending.pop()
        if (canonical(name), extras) in seen:
            continue
        seen.add((canonical(name), extras))
        for line in importlib.metadata.requires(name) or []:
            requirement = Requirement(line)
            marker = requirement.marker
            if marker is None or any(marker.evaluate({"extra": e}) for e in {"", *extras}):
                pending.append((requirement.name, frozenset(requirement.extras)))
    return {name for name, _extras in seen}


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


@pytest.mark.parametrize("service", SERVICES)
def test_the_image_installs_every_module_its_code_imports(service):
    """The image holds the service's wheel, the chassis's and what their pyproject.toml
    files declare, nothing else (the Dockerfile builds wheels of exactly those): every
    third-party module the service or the chassis imports must come with them, or the
    container crashes when that code first runs."""
    dockerfile = (ROOT / "services" / service / "Dockerfile").read_text()
    assert re.search(rf"pip wheel [^\n]*libs/koers [^\n]*services/{service}\b", dockerfile)
    assert re.search(rf"pip install --no-index [^\n]* koers-{service}\b", dockerfile)
    declared = declared_requirements(ROOT / "services" / service)
    assert "koers" in {r.name for r in declared}, f"koers-{service} must declare the chassis"
    own = [r for r in declared if r.name != "koers"]
    closure = requirement_closure(own + declared_requirements(ROOT / "libs" / "koers"))
    providers = importlib.metadata.packages_distributions()
    ours = {"koers", service}
    missing = {
        module: sorted(providers.get(module, ["(no installed distribution)"]))
        for module in imported_modules(ROOT / "libs" / "koers" / "koers")
        | imported_modules(ROOT / "services" / service / service)
        if module not in ours and not {canonical(d) for d in providers.get(module, [])} & closure
    }
    assert not missing, f"imported by {service}'s image but not declared: {missing}"


def test_every_built_container_runs_a_real_subcommand_of_its_service(services):
    built = built_services(services)
    seen = set()
    for name, service in built.items():
        argv = command_of(services[name])
        parse_cli(service, argv)
        seen.add((service, argv[1]))
    # Every service runs all four processes.
    assert seen == {(service, sub) for service in SERVICES for sub in SUBCOMMANDS}


def test_only_servers_keep_the_images_http_healthcheck(services):
    for name in built_services(services):
        spec = services[name]
        serves = command_of(spec)[1] == "serve"
        disabled = spec.get("healthcheck", {}).get("disable", False) is True
        assert serves != disabled, (
            f"{name}: the image probes /healthz, which only `serve` answers; "
            "other processes must disable the check (and servers keep it)"
        )


def test_apis_publish_the_designed_ports(services):
    built = built_services(services)
    published: dict[int, str] = {}
    for name, spec in services.items():
        for host_port, container_port in published_ports(spec):
            assert host_port == container_port, f"{name}: {host_port} -> {container_port}"
            assert host_port not in published, f"{name} and {published[host_port]} clash"
            published[host_port] = name
            if name in built:
                service = built[name]
                assert host_port == API_PORTS[service], f"{name} must publish {API_PORTS}"
                context = parse_cli(service, command_of(spec))
                assert context.info_name == "serve" and context.params["port"] == host_port
                assert context.params["host"] == "0.0.0.0", "listen beyond the container"
    expected = {port: f"{svc}-api" for svc, port in API_PORTS.items()}
    expected[AIRFLOW_PORT] = "airflow-api-server"
    assert published == expected


# --- configuration -------------------------------------------------------------------


def test_koers_variables_in_compose_are_declared_settings(services):
    shared = shared_aliases()
    assert {"KOERS_ENVIRONMENT", "KOERS_SERVICE_TOKEN"} <= shared
    all_aliases = shared.union(*(service_aliases(s) for s in SERVICES))
    for name, service in built_services(services).items():
        own = shared | service_aliases(service)
        koers_vars = {key for key in environment(services[name]) if key.startswith("KOERS_")}
        assert koers_vars, f"{name} gets no Koers settings"
        unknown = koers_vars - own
        assert not unknown, f"{name}: {sorted(unknown)} are not settings of {service}"
    for name, spec in services.items():
        keys = {key for key in environment(spec) if key.startswith("KOERS_")}
        assert not keys - all_aliases, f"{name}: {sorted(keys - all_aliases)} undeclared"
    referenced = {n for n in interpolated_names(COMPOSE_FILE.read_text()) if "KOERS" in n}
    assert not {n for n in referenced if n not in all_aliases}, "unknown ${KOERS_...}"


@pytest.fixture
def clean_koers_environ(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for key in list(os.environ):
        if key.startswith("KOERS_"):
            monkeypatch.delenv(key)
    return monkeypatch


def test_compose_environment_is_a_complete_production_configuration(services, clean_koers_environ):
    postgres_user = environment(services["postgres"])["POSTGRES_USER"]
    for name, service in built_services(services).items():
        raw = environment(services[name])
        with pytest.MonkeyPatch.context() as patch:
            for key, value in raw.items():
                patch.setenv(key, resolve(value))
            settings_class = importlib.import_module(f"{service}.config").Settings
            settings = settings_class()
            assert settings.environment == "production", name
            settings.check_production_secrets()  # raises naming any missing secret
            secrets = settings.secrets()
        assert "KOERS_SERVICE_TOKEN" in secrets
        for secret in secrets:
            assert is_required(raw.get(secret)), (
                f"{name}: production secret {secret} must be `${{{secret}:?...}}` "
                "so that compose refuses to start without it"
            )
        url = make_url(settings.database_url)
        assert url.host == "postgres" and url.host in services, name
        assert url.username == postgres_user, name
        assert url.database == service, f"{name}: each service owns its database"
        broker_host = settings.kafka_bootstrap_servers.split(":")[0]
        assert broker_host in services, f"{name}: no broker service named {broker_host}"


def test_every_stateful_path_is_a_named_volume(services, clean_koers_environ):
    """What a container writes and must keep survives its re-creation only on a named
    volume. The production shape keeps none (CVs and the rate limit are in PostgreSQL),
    so any replica may be replaced."""
    for name, service in built_services(services).items():
        with pytest.MonkeyPatch.context() as patch:
            for key, value in environment(services[name]).items():
                patch.setenv(key, resolve(value))
            settings = importlib.import_module(f"{service}.config").Settings()
        named = [t for s, t in bind_mounts(services[name]) if not s.startswith((".", "/"))]
        for path in stateful_paths(settings):
            assert under_any(path, named), f"{name}: {path} is lost with the container"
        assert stateful_paths(settings) == [], f"{name} keeps state on its own disk"


def test_secrets_are_never_written_into_the_compose_file():
    text = COMPOSE_FILE.read_text()
    for line in text.splitlines():
        key, _, value = line.strip().partition(":")
        if re.search(r"(SECRET|TOKEN|PASSWORD|FERNET)", key) and value.strip():
            assert "${" in value, f"{key.strip()} has a literal value in docker-compose.yml"


# --- wiring ---------------------------------------------------------------------------


def has_healthcheck(name: str, spec: dict[str, Any], built: dict[str, str]) -> bool:
    check = spec.get("healthcheck", {})
    if check.get("disable"):
        return False
    if "test" in check:
        return True
    return name in built  # the image's own HEALTHCHECK


def runs_once(spec: dict[str, Any]) -> bool:
    return str(spec.get("restart", "no")) == "no"


def test_depends_on_names_real_services_with_matching_conditions(services):
    built = built_services(services)
    edges = 0
    for name, spec in services.items():
        depends = spec.get("depends_on", {})
        if isinstance(depends, list):
            depends = {target: {"condition": "service_started"} for target in depends}
        for target, rule in depends.items():
            edges += 1
            assert target in services, f"{name} depends on missing service {target}"
            assert target != name, f"{name} depends on itself"
            condition = rule["condition"]
            if condition == "service_healthy":
                assert has_healthcheck(target, services[target], built), (
                    f"{name} waits for {target} to be healthy, but it has no healthcheck"
                )
            elif condition == "service_completed_successfully":
                assert runs_once(services[target]), f"{target} never completes"
            else:
                assert condition == "service_started", f"{name}: unknown {condition}"
    assert edges > 0


def test_every_process_starts_after_its_schema_and_topics(services):
    for name, service in built_services(services).items():
        depends = services[name].get("depends_on", {})
        subcommand = command_of(services[name])[1]
        if subcommand == "migrate":
            assert depends["postgres"]["condition"] == "service_healthy"
            continue
        migrate = f"{service}-migrate"
        assert depends[migrate]["condition"] == "service_completed_successfully", name
        if subcommand in {"relay", "consume"}:
            assert depends["kafka-init"]["condition"] == "service_completed_successfully"


def test_mounted_host_paths_exist_and_named_volumes_are_declared(compose, services):
    declared = set(compose.get("volumes") or {})
    used = set()
    for name, spec in services.items():
        for source, _target in bind_mounts(spec):
            if source.startswith((".", "/")):
                assert (ROOT / source).exists(), f"{name} mounts missing {source}"
            else:
                assert source in declared, f"{name} uses undeclared volume {source}"
                used.add(source)
    assert {"postgres-data", "kafka-data"} <= used
    assert declared == used, f"unused volumes: {sorted(declared - used)}"


# --- Kafka ------------------------------------------------------------------------------


def script_topics() -> list[str]:
    match = re.search(r'^TOPICS="(?P<topics>[^"]*)"', CREATE_TOPICS.read_text(), re.M)
    assert match, 'create-topics.sh should list its topics in TOPICS="..."'
    return match["topics"].split()


def test_create_topics_script_creates_exactly_the_contract_topics():
    from koers.events import ALL_TOPICS

    topics = script_topics()
    assert len(topics) == len(set(topics))
    assert sorted(topics) == sorted(ALL_TOPICS)
    assert os.access(CREATE_TOPICS, os.X_OK), "create-topics.sh should be executable"
    text = CREATE_TOPICS.read_text()
    assert "--if-not-exists" in text, "running it twice must not fail"
    assert re.search(r'PARTITIONS="\$\{PARTITIONS:-3\}"', text)


def test_kafka_init_runs_the_script_against_the_kraft_broker(services):
    kafka = services["kafka"]
    assert kafka["image"].startswith("apache/kafka:")
    kafka_env = environment(kafka)
    assert set(kafka_env["KAFKA_PROCESS_ROLES"].split(",")) == {"broker", "controller"}
    assert kafka_env["KAFKA_AUTO_CREATE_TOPICS_ENABLE"] == "false"
    advertised = re.findall(r"//([^,]+)", kafka_env["KAFKA_ADVERTISED_LISTENERS"])

    init = services["kafka-init"]
    init_env = environment(init)
    assert init_env["BOOTSTRAP_SERVERS"] in advertised
    assert init_env["PARTITIONS"] == "3"
    mounted = dict(bind_mounts(init))
    script_target = mounted["./deploy/k8s/base/kafka/create-topics.sh"]
    assert script_target in command_of(init)
    for name in built_services(services):
        bootstrap = environment(services[name])["KOERS_KAFKA_BOOTSTRAP_SERVERS"]
        assert bootstrap in advertised, f"{name} dials {bootstrap}, broker is {advertised}"


# --- PostgreSQL and Airflow -------------------------------------------------------------


def database_urls(services: dict[str, dict[str, Any]]) -> dict[str, str]:
    """``<service>.<VAR>`` -> URL for every PostgreSQL URL in any container's environment."""
    urls = {}
    for name, spec in services.items():
        for key, value in environment(spec).items():
            if re.match(r"postgres(ql)?(\+\w+)?://", value):
                urls[f"{name}.{key}"] = resolve(value)
    return urls


def test_postgres_init_script_creates_every_database_in_use(services):
    postgres = services["postgres"]
    mounts = dict(bind_mounts(postgres))
    init_scripts = [
        ROOT / source
        for source, target in mounts.items()
        if target.startswith("/docker-entrypoint-initdb.d/")
    ]
    assert init_scripts and all(path.parent == POSTGRES_INIT_DIR for path in init_scripts)
    created = set()
    for path in init_scripts:
        created |= set(re.findall(r"CREATE DATABASE\s+\"?(\w+)\"?", path.read_text(), re.I))
    urls = database_urls(services)
    wanted = {make_url(url).database for url in urls.values()}
    assert wanted == {*SERVICES, "airflow"}
    assert wanted <= created, f"init script misses {sorted(wanted - created)}"
    password = resolve(environment(postgres)["POSTGRES_PASSWORD"])
    for where, url in urls.items():
        parsed = make_url(url)
        assert parsed.host == "postgres" and parsed.port == 5432, where
        assert parsed.username == environment(postgres)["POSTGRES_USER"], where
        assert parsed.password == password, where


def airflow_services(services: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {
        n: s for n, s in services.items() if str(s.get("image", "")).startswith("apache/airflow:")
    }


def test_airflow_3_runs_init_api_server_scheduler_and_dag_processor(services):
    airflow = airflow_services(services)
    assert all(spec["image"].startswith("apache/airflow:3.") for spec in airflow.values())
    roles = {name: " ".join(command_of(spec)) for name, spec in airflow.items()}
    assert "db migrate" in roles["airflow-init"]
    assert {roles[n] for n in airflow if n != "airflow-init"} == {
        "api-server",
        "scheduler",
        "dag-processor",
    }
    for name, spec in airflow.items():
        env = environment(spec)
        conn = make_url(resolve(env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"]))
        assert conn.database == "airflow", name
        execution = re.fullmatch(
            r"http://(?P<host>[\w-]+):(?P<port>\d+)/execution/",
            env["AIRFLOW__CORE__EXECUTION_API_SERVER_URL"],
        )
        assert execution, f"{name}: the execution API URL must end in /execution/"
        api_server = services[execution["host"]]
        assert command_of(api_server) == ["api-server"]
        assert int(execution["port"]) == AIRFLOW_PORT
        for shared in ("AIRFLOW__API_AUTH__JWT_SECRET", "AIRFLOW__CORE__FERNET_KEY"):
            assert is_required(env[shared]), f"{name}: {shared} must be set by the operator"
        mounts = dict(bind_mounts(spec))
        assert mounts.get("./deploy/airflow/dags") == "/opt/airflow/dags", name
        if name != "airflow-init":
            assert spec["depends_on"]["airflow-init"]["condition"] == (
                "service_completed_successfully"
            )
    # The DAGs call the services' APIs: the URLs they are given must be real containers.
    for key, value in environment(airflow["airflow-scheduler"]).items():
        if key.startswith("AIRFLOW_VAR_") and key.endswith("_URL"):
            host, port = re.fullmatch(r"http://([\w-]+):(\d+)", value).groups()
            assert host in services and (int(port), int(port)) in published_ports(services[host]), (
                key
            )
