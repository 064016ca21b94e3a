#!/usr/bin/env python3
"""Placement's own gabbi suite against `nova-server placement`, as a real client would run it.

The YAML files and the fixtures that describe each file's starting state come from the openstack-placement
package installed from PyPI at test time (nothing of it is in this repository). The genuine fixtures build that
state in Placement's database directly; here the same fixture code runs with its database helpers
(`test_base`: providers, inventories, traits, aggregates, consumers, allocations, resource classes) turned into
calls to the Placement API, against a fresh `nova-server placement` per YAML file. What the fixtures configure
(`[oslo_policy] enforce_new_defaults`, the policy rules OpenPolicyFixture sets, `[cors]`) becomes that server's
configuration file.

Each file's tests are counted under the policy mode its fixtures set: `legacy` (the deprecated rules, the
suite's default), `secure-rbac` (new defaults and scope) and `open-policy` (every rule `@`). Prints passed and
failed per mode and per file, and every failure with its first lines; exits 1 when a mode is below --target.
Tests listed in gabbi_skips.txt (`file: test name -- reason`) are skipped and counted apart.
"""
import argparse
import collections
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.error
import urllib.request
import uuid

import fixtures as test_fixtures
import gabbi.fixture
import yaml
from gabbi import handlers, suitemaker
from oslo_utils.fixture import uuidsentinel
from placement.tests.functional.db import test_base
from placement.tests.functional.fixtures import gabbits as genuine_fixtures
from placement.tests.unit import policy_fixture

HERE = os.path.dirname(os.path.abspath(__file__))
SKIPS_FILE = os.path.join(HERE, "gabbi_skips.txt")


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class PlacementServer:
    """One `nova-server placement` on a loopback port with a throwaway data directory, stopped by its PID."""

    def __init__(self, binary, port, prefix):
        self.binary, self.port, self.prefix = binary, port, prefix
        self.process = None
        self.directory = None

    def start(self, config_text, policy_rules):
        self.directory = tempfile.mkdtemp(prefix="nova-gabbi-")
        if policy_rules is not None:
            policy_path = os.path.join(self.directory, "policy.yaml")
            with open(policy_path, "w") as policy:
                yaml.safe_dump(policy_rules, policy)
            config_text += "[oslo_policy]\npolicy_file = %s\n" % policy_path
        config = os.path.join(self.directory, "nova.conf")
        with open(config, "w") as file:
            file.write(config_text)
        self.log = open(os.path.join(self.directory, "server.log"), "w")
        self.process = subprocess.Popen(
            [self.binary, "placement", "--config", config, "--data-dir", self.directory,
             "--listen", "127.0.0.1:%d" % self.port, "--log-level", "error"],
            stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.time() + 20
        while time.time() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError("nova-server placement exited: %s" % self.tail())
            try:
                urllib.request.urlopen("http://127.0.0.1:%d%s/" % (self.port, self.prefix), timeout=1)
                return
            except (urllib.error.URLError, ConnectionError, OSError):
                time.sleep(0.02)
        raise RuntimeError("nova-server placement did not answer in 20 s")

    def tail(self):
        with open(os.path.join(self.directory, "server.log")) as log:
            return log.read()[:3000]

    def stop(self):
        if self.process and self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.kill(self.process.pid, signal.SIGKILL)
                self.process.wait()
        crashed = self.process is not None and self.process.returncode not in (0, -signal.SIGTERM)
        if crashed:
            print("CRASH rc=%s %s" % (self.process.returncode, self.tail()))
        if self.directory:
            self.log.close()
            shutil.rmtree(self.directory, ignore_errors=True)
        self.process = None
        return crashed


class PlacementCalls:
    """The admin's calls to the server under test, queued until it is started (a fixture's configuration is
    only complete once its whole start has run)."""

    def __init__(self):
        self.server = None
        self.queued = []

    def request(self, method, path, body=None, version="1.39"):
        url = "http://127.0.0.1:%d%s%s" % (self.server.port, self.server.prefix, path)
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(url, data=data, method=method, headers={
            "X-Auth-Token": "admin", "OpenStack-API-Version": "placement %s" % version,
            "Content-Type": "application/json", "Accept": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                text = response.read()
                return json.loads(text) if text else None
        except urllib.error.HTTPError as error:
            raise RuntimeError("%s %s: %s %s" % (method, path, error.code, error.read()[:500]))

    def later(self, call):
        self.queued.append(call)

    def run_queued(self):
        calls, self.queued = self.queued, []
        for call in calls:
            call()

    def generation(self, provider_uuid):
        return self.request("GET", "/resource_providers/%s" % provider_uuid)["generation"]


CALLS = PlacementCalls()


class Provider:
    """What the fixtures keep of a provider they made: its uuid and name, and set_aggregates."""

    def __init__(self, name, uuid, parent):
        self.name, self.uuid, self.parent_provider_uuid = name, uuid, parent

    def set_aggregates(self, aggregates):
        aggregates = list(aggregates)
        CALLS.later(lambda: CALLS.request("PUT", "/resource_providers/%s/aggregates" % self.uuid, {
            "aggregates": aggregates, "resource_provider_generation": CALLS.generation(self.uuid)}))


class Consumer:
    def __init__(self, uuid, user, project):
        self.uuid, self.user, self.project = uuid, user, project


class ExternalID:
    """User and Project as the fixtures make them; Placement makes its own when an allocation names them."""

    def __init__(self, context=None, external_id=None):
        self.external_id = external_id

    def create(self):
        pass


class ResourceClass:
    def __init__(self, context=None, name=None):
        self.name = name

    def create(self):
        CALLS.later(lambda: CALLS.request("PUT", "/resource_classes/%s" % self.name))


def create_provider(context, name, *aggregates, **kwargs):
    provider = Provider(name, kwargs.get("uuid", getattr(uuidsentinel, name)), kwargs.get("parent"))
    body = {"name": name, "uuid": provider.uuid}
    if provider.parent_provider_uuid:
        body["parent_provider_uuid"] = provider.parent_provider_uuid
    CALLS.later(lambda: CALLS.request("POST", "/resource_providers", body))
    if aggregates:
        provider.set_aggregates(aggregates)
    return provider


def add_inventory(provider, resource_class, total, **kwargs):
    kwargs.setdefault("max_unit", total)

    def add():
        if resource_class.startswith("CUSTOM_"):
            CALLS.request("PUT", "/resource_classes/%s" % resource_class)
        body = dict(kwargs, resource_class=resource_class, total=total,
                    resource_provider_generation=CALLS.generation(provider.uuid))
        CALLS.request("POST", "/resource_providers/%s/inventories" % provider.uuid, body)
    CALLS.later(add)


def set_traits(provider, *traits):
    def put():
        for trait in traits:
            if trait.startswith("CUSTOM_"):
                CALLS.request("PUT", "/traits/%s" % trait)
        CALLS.request("PUT", "/resource_providers/%s/traits" % provider.uuid, {
            "traits": list(traits), "resource_provider_generation": CALLS.generation(provider.uuid)})
    CALLS.later(put)


def ensure_consumer(context, user, project, consumer_id=None):
    return Consumer(consumer_id or str(uuid.uuid4()), user, project)


def set_allocation(context, provider, consumer, used_by_class):
    CALLS.later(lambda: CALLS.request("PUT", "/allocations/%s" % consumer.uuid, {
        "allocations": {provider.uuid: {"resources": dict(used_by_class)}},
        "project_id": consumer.project.external_id, "user_id": consumer.user.external_id}, version="1.12"))


def create_user_and_project(context, prefix="fake"):
    return ExternalID(external_id="%s-user" % prefix), ExternalID(external_id="%s-project" % prefix)


# The fixtures' database helpers, as API calls.
for helper in (create_provider, add_inventory, set_traits, ensure_consumer, set_allocation, create_user_and_project):
    setattr(genuine_fixtures.tb, helper.__name__, helper)
genuine_fixtures.user_obj = type("user_obj", (), {"User": ExternalID})
genuine_fixtures.project_obj = type("project_obj", (), {"Project": ExternalID})
genuine_fixtures.rc_obj = type("rc_obj", (), {"ResourceClass": ResourceClass})
assert genuine_fixtures.tb is test_base
# The genuine fixtures capture the output and logs of an in-process Placement; here there is none to capture.
genuine_fixtures.capture = type("capture", (), {
    "Logging": test_fixtures.Fixture, "WarningsFixture": genuine_fixtures.capture.WarningsFixture})
genuine_fixtures.output = type("output", (), {"CaptureOutput": test_fixtures.Fixture})


class NoDatabase(test_fixtures.Fixture):
    """The genuine fixtures' database: the server under test has its own."""

    def __init__(self, conf_fixture, set_config=False):
        super().__init__()
        self.conf_fixture = conf_fixture

    def _setUp(self):
        # The option is required by the genuine configuration; nothing opens it.
        self.conf_fixture.config(group="placement_database", connection="sqlite://")


genuine_fixtures.fixtures = type("fixtures", (), {"Database": NoDatabase})

POLICY_RULES = {}


def record_rules(rules, overwrite=True):
    POLICY_RULES["rules"] = dict(rules)


policy_fixture.PolicyFixture.set_rules = staticmethod(record_rules)


def policy_mode(fixture_names):
    if "SecureRBACPolicyFixture" in fixture_names:
        return "secure-rbac"
    if "OpenPolicyFixture" in fixture_names:
        return "open-policy"
    return "legacy"


def fixture_module(server, crashes):
    """The suite's fixtures by name, each starting `server` configured as the genuine fixture configures
    Placement once the genuine start has run."""
    module = type(sys)("placement_gabbi_fixtures")
    for name in dir(genuine_fixtures):
        genuine = getattr(genuine_fixtures, name)
        if not (isinstance(genuine, type) and issubclass(genuine, gabbi.fixture.GabbiFixture)):
            continue

        def start_fixture(self, genuine=genuine):
            POLICY_RULES.clear()
            CALLS.queued = []
            genuine.start_fixture(self)
            conf = self.conf_fixture.conf
            text = "[api]\nauth_strategy = noauth2\n"
            text += "[oslo_policy]\nenforce_new_defaults = %s\n" % conf.oslo_policy.enforce_new_defaults
            if conf.cors.allowed_origin:
                text += "[cors]\nallowed_origin = %s\n" % ",".join(conf.cors.allowed_origin)
                text += "allow_headers = %s\n" % ",".join(conf.cors.allow_headers)
            server.start(text, POLICY_RULES.get("rules"))
            CALLS.server = server
            try:
                CALLS.run_queued()
            except Exception:
                # gabbi stops no fixture whose start failed
                if server.stop():
                    crashes.append(type(self).__name__)
                raise

        def stop_fixture(self, genuine=genuine):
            if server.stop():
                crashes.append(type(self).__name__)
            genuine.stop_fixture(self)

        setattr(module, name, type(name, (genuine,), {"start_fixture": start_fixture, "stop_fixture": stop_fixture}))
    return module


def load_skips():
    skips = {}
    if os.path.exists(SKIPS_FILE):
        for line in open(SKIPS_FILE):
            line = line.strip()
            if line and not line.startswith("#"):
                where, _, reason = line.partition(" -- ")
                file_name, _, test_name = where.partition(": ")
                skips[(file_name.strip(), test_name.strip())] = reason.strip()
    return skips


class Outcomes(unittest.TestResult):
    def __init__(self):
        super().__init__()
        self.passed = []

    def addSuccess(self, test):
        self.passed.append(test)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--server", default=os.environ.get("NOVA_SERVER", "nova-server"))
    parser.add_argument("--prefix", default="", help="where the API is served, '' for the root")
    parser.add_argument("--only", nargs="*", default=[], help="YAML file names (without .yaml) to run")
    parser.add_argument("--target", type=float, default=0.0, help="least pass rate per mode, in percent")
    parser.add_argument("--show", type=int, default=40, help="failures printed at most")
    args = parser.parse_args()

    gabbits = os.path.join(os.path.dirname(genuine_fixtures.__file__), "..", "gabbits")
    server = PlacementServer(args.server, free_port(), args.prefix)
    crashes = []
    fixtures = fixture_module(server, crashes)
    skips = load_skips()
    handler_objects = [handler() for handler in handlers.RESPONSE_HANDLERS]
    loader = unittest.TestLoader()
    totals = collections.defaultdict(lambda: [0, 0, 0])
    failures = []
    started = time.time()
    for path in sorted(os.listdir(gabbits)):
        name = path[:-len(".yaml")]
        if not path.endswith(".yaml") or (args.only and name not in args.only):
            continue
        with open(os.path.join(gabbits, path)) as file:
            suite_dict = yaml.safe_load(file)
        mode = policy_mode(suite_dict.get("fixtures", []))
        for test in suite_dict["tests"]:
            reason = skips.get((name, test["name"]))
            if reason:
                test["skip"] = reason
        file_suite = suitemaker.test_suite_from_dict(
            loader, name, suite_dict, gabbits, "127.0.0.1", server.port, fixtures, None, prefix=args.prefix,
            test_loader_name="placement_gabbi", handlers=handler_objects)
        outcome = Outcomes()
        file_suite.run(outcome)
        failed = outcome.failures + outcome.errors + [(t, "unexpected success") for t in outcome.unexpectedSuccesses]
        counts = totals[mode]
        counts[0] += len(outcome.passed) + len(outcome.expectedFailures)
        counts[1] += len(failed)
        counts[2] += len(outcome.skipped)
        print("%-40s %-12s %3d passed %3d failed %3d skipped" % (
            name, mode, len(outcome.passed) + len(outcome.expectedFailures), len(failed), len(outcome.skipped)))
        failures += [(name, test, text) for test, text in failed]
    print()
    for test_file, test, text in failures[:args.show]:
        lines = [line for line in str(text).splitlines() if line.strip()]
        first = max([i for i, line in enumerate(lines) if "Error" in line] or [0])
        print("FAIL %s: %s\n    %s" % (test_file, test.id().split("_", 3)[-1], "\n    ".join(lines[first:first + 8])))
    print()
    below = []
    for mode, (passed, failed, skipped) in sorted(totals.items()):
        rate = 100.0 * passed / max(1, passed + failed)
        print("placement gabbi %-12s %4d passed, %4d failed, %3d skipped: %.1f%%" % (mode, passed, failed, skipped,
                                                                                    rate))
        if rate < args.target:
            below.append(mode)
    print("placement gabbi: %.0f s; server crashes: %s" % (time.time() - started, ", ".join(crashes) or "none"))
    if below or crashes:
        sys.exit(1)


if __name__ == "__main__":
    main()
