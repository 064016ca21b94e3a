#!/usr/bin/env python3
"""Fault test: 100 concurrent boots through both API processes of a scale-out deployment (see
Tests/ClientScenario/scale_out.py) while a conductor process is killed (SIGKILL) and started again, and then
nats-server; then 100 concurrent boots into the all-in-one while its one process is killed with SIGKILL, and the
cloud started again on the same data directory.

Afterwards every accepted boot must have its server, and every server must be ACTIVE: a build lost with a
process or a message is scheduled again (no ERROR, none left in BUILD or in a task state). Placement must hold
exactly one allocation of the flavor per ACTIVE server and nothing else. Then every server is deleted and
Placement must be empty. Prints the counts (ACTIVE, ERROR, stuck, lost), then `N passed, M failed`.
Needs NOVA_TEST_POSTGRES_URL (a PostgreSQL the test command started) and nats-server.
"""
import json
import os
import signal
import ssl
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "Tests", "ClientScenario"))
from client_scenario import Cloud, check, checked_deployment  # noqa: E402
from scale_out import ScaleOutCloud, free_port  # noqa: E402

SERVER = os.environ.get("NOVA_SERVER", os.path.join(ROOT, ".build", "debug", "nova-server"))
BOOTS = int(os.environ.get("NOVA_FAULT_BOOTS", "100"))
SETTLE_SECONDS = 240


class API:
    """Plain HTTP to one API process (HTTPS with the deployment's certificate)."""

    def __init__(self, base, token, cafile=None):
        self.base, self.token = base, token
        self.context = ssl.create_default_context(cafile=cafile) if cafile else None

    def call(self, method, path, body=None, version="2.79"):
        request = urllib.request.Request(self.base + path, method=method,
                                         data=json.dumps(body).encode() if body is not None else None,
                                         headers={"X-Auth-Token": self.token, "Content-Type": "application/json",
                                                  "OpenStack-API-Version": f"compute {version}",
                                                  "Accept": "application/json"})
        try:
            response = urllib.request.urlopen(request, timeout=60, context=self.context)
            text = response.read()
            return response.status, json.loads(text) if text else None
        except urllib.error.HTTPError as error:
            text = error.read()
            try:
                return error.code, json.loads(text)
            except ValueError:
                return error.code, None
        except Exception as error:  # refused or reset while a process is down
            return 0, str(error)


def main():
    data_dir = tempfile.mkdtemp(prefix="nova-fault-")
    cloud = ScaleOutCloud(SERVER, data_dir, free_port(), os.environ["NOVA_TEST_POSTGRES_URL"],
                          extra_config="[DEFAULT]\nrpc_response_timeout = 15\n[conductor]\nscheduling_timeout = 20\nmove_step_timeout = 20\n")
    status = checked_deployment(cloud, data_dir, "fault-admin", run)
    print("== the all-in-one killed (SIGKILL) during 100 boots and started again on its data directory")
    data_dir = tempfile.mkdtemp(prefix="nova-fault-aio-")
    single = Cloud(data_dir, free_port())
    return max(status, checked_deployment(single, data_dir, "fault-admin", run_all_in_one))


def boot_storm(apis, image, flavor, faults):
    """BOOTS concurrent creates spread over `apis` while `faults()` runs; the answers' status codes."""
    answers = [None] * BOOTS

    def boot(index):
        body = {"server": {"name": f"fault-{index:03d}", "imageRef": image, "flavorRef": flavor["id"],
                           "networks": "auto"}}
        answers[index] = apis[index % len(apis)].call("POST", "/compute/v2.1/servers", body)[0]

    started = time.time()
    threads = [threading.Thread(target=boot, args=(i,)) for i in range(BOOTS)] + [threading.Thread(target=faults)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    accepted = sum(1 for code in answers if code == 202)
    print(f"     {accepted} of {BOOTS} boots accepted (202); others: "
          f"{sorted(code for code in answers if code != 202)} in {time.time() - started:.1f} s")
    return accepted, started


def prepare(admin, project):
    status, _ = admin.call("PUT", f"/compute/v2.1/os-quota-sets/{project}",
                           {"quota_set": {"instances": -1, "cores": -1, "ram": -1}})
    check("admin quota lifted", status == 200, str(status))
    status, images = admin.call("GET", "/image/v2/images?name=tiny-boot-sector")
    image = images["images"][0]["id"]
    status, flavors = admin.call("GET", "/compute/v2.1/flavors/detail")
    return image, next(f for f in flavors["flavors"] if f["name"] == "m1.tiny")


def run(cloud):
    token, project = cloud.admin_auth()
    apis = [API(f"http://{cloud.address}:{cloud.port}", token),
            API(f"https://{cloud.address}:{cloud.api2_port}", token, cafile=cloud.cert)]
    admin = apis[0]
    image, flavor = prepare(admin, project)

    def faults():
        time.sleep(0.5)
        print("     killing conductor-1")
        cloud.kill("conductor-1")
        time.sleep(2)
        cloud.respawn("conductor-1")
        print("     conductor-1 started again; killing nats-server")
        time.sleep(1)
        cloud.kill_nats()
        time.sleep(3)
        cloud.start_nats()
        print("     nats-server started again")

    accepted, started = boot_storm(apis, image, flavor, faults)
    placement = API(f"https://{cloud.address}:{cloud.placement_port}", token, cafile=cloud.cert)
    verify(admin, placement, accepted, started, flavor)
    print(f"     builds lost with a process or a message and scheduled again: {scheduled_again(cloud.data_dir)}")


def run_all_in_one(cloud):
    token, project = admin_auth(cloud)
    admin = API(f"http://127.0.0.1:{cloud.port}", token)
    image, flavor = prepare(admin, project)

    def faults():
        # Mid-build: once the first servers are ACTIVE, with the others still on their way.
        deadline, active = time.time() + 20, 0
        while time.time() < deadline and active < 10:
            status, body = admin.call("GET", "/compute/v2.1/servers?status=ACTIVE&limit=1000")
            active = len(body["servers"]) if status == 200 else active
            time.sleep(0.05)
        print(f"     killing nova-server all (SIGKILL) with {active} servers ACTIVE")
        os.kill(cloud.process.pid, signal.SIGKILL)
        cloud.process.wait()
        cloud.process = None

    accepted, started = boot_storm([admin], image, flavor, faults)
    cloud.start()
    print("     nova-server all started again on the same data directory")
    token, _ = admin_auth(cloud)
    admin = API(f"http://127.0.0.1:{cloud.port}", token)
    verify(admin, API(f"http://127.0.0.1:{cloud.port}/placement", token), accepted, started, flavor)
    print(f"     builds the kill interrupted and the restart scheduled again: {scheduled_again(cloud.data_dir)}")


def scheduled_again(data_dir):
    """How many builds the conductors' logs say were scheduled again (lost builds)."""
    builds = set()
    for name in os.listdir(data_dir):
        if name.endswith(".log"):
            with open(os.path.join(data_dir, name), errors="replace") as log:
                builds |= {line.split("the build of ")[1].split()[0] for line in log
                           if "scheduling it again, attempt" in line and "the build of " in line}
    return len(builds)


def admin_auth(cloud):
    body = {"auth": {"identity": {"methods": ["password"], "password": {"user": {
        "name": "admin", "domain": {"name": "Default"}, "password": "fault-admin"}}},
        "scope": {"project": {"name": "admin", "domain": {"name": "Default"}}}}}
    request = urllib.request.Request(f"http://127.0.0.1:{cloud.port}/identity/v3/auth/tokens",
                                     data=json.dumps(body).encode(), headers={"Content-Type": "application/json"})
    response = urllib.request.urlopen(request, timeout=10)
    return response.headers["X-Subject-Token"], json.loads(response.read())["token"]["project"]["id"]


def verify(admin, placement, accepted, started, flavor):
    """Every accepted boot ends ACTIVE (lost builds scheduled again), Placement agrees, and all deletes clean up."""
    servers = []
    deadline = time.time() + SETTLE_SECONDS
    while time.time() < deadline:
        status, body = admin.call("GET", "/compute/v2.1/servers/detail?all_tenants=1&limit=1000")
        if status == 200:
            servers = body["servers"]
            if all(s["status"] != "BUILD" and not s.get("OS-EXT-STS:task_state") for s in servers):
                break
        time.sleep(1)
    settled = time.time() - started
    counts = {}
    for server in servers:
        counts[server["status"]] = counts.get(server["status"], 0) + 1
    print(f"     after {settled:.0f} s: {len(servers)} servers: "
          + ", ".join(f"{n} {s}" for s, n in sorted(counts.items())))
    print(f"     counts: {counts.get('ACTIVE', 0)} ACTIVE, {counts.get('ERROR', 0)} ERROR, "
          f"{len(servers) - counts.get('ACTIVE', 0) - counts.get('ERROR', 0)} stuck, "
          f"{max(0, accepted - len(servers))} lost")
    check("every accepted boot has a server", len(servers) >= accepted, f"{len(servers)} < {accepted}")
    stuck = [s["id"] for s in servers if s["status"] not in ("ACTIVE", "ERROR") or s.get("OS-EXT-STS:task_state")]
    check("no server is stuck (all ACTIVE or ERROR, no task state)", not stuck, str(stuck[:5]))
    for message in sorted({(s.get("fault") or {}).get("message", "")[:160] for s in servers if s["status"] == "ERROR"}):
        print(f"     fault: {message}")
    check("no server ended in ERROR: builds lost with a process or a message were scheduled again",
          counts.get("ERROR", 0) == 0, str(counts))

    active = {s["id"] for s in servers if s["status"] == "ACTIVE"}
    held = allocations(placement)
    wrong = {c: r for c, r in held.items() if r != {"VCPU": flavor["vcpus"], "MEMORY_MB": flavor["ram"],
                                                     "DISK_GB": flavor["disk"]}}
    check("Placement holds an allocation for every ACTIVE server and for nothing else",
          set(held) == active, f"leaked {sorted(set(held) - active)[:5]}, missing {sorted(active - set(held))[:5]}")
    check("each allocation is the flavor's", not wrong, str(list(wrong.items())[:3]))

    for server in servers:
        admin.call("DELETE", f"/compute/v2.1/servers/{server['id']}")
    deadline = time.time() + 120
    while time.time() < deadline:
        status, body = admin.call("GET", "/compute/v2.1/servers?all_tenants=1&limit=1000")
        if status == 200 and not body["servers"]:
            break
        time.sleep(1)
    check("every server deleted", status == 200 and not body["servers"], str(status))
    check("Placement is empty afterwards", allocations(placement) == {})


def allocations(placement):
    """Consumer -> resources summed over the providers, from Placement's API."""

    def get(path):
        request = urllib.request.Request(placement.base + path, headers={
            "X-Auth-Token": placement.token, "OpenStack-API-Version": "placement 1.39"})
        return json.loads(urllib.request.urlopen(request, timeout=30, context=placement.context).read())

    held = {}
    for provider in get("/resource_providers")["resource_providers"]:
        for consumer, entry in get(f"/resource_providers/{provider['uuid']}/allocations")["allocations"].items():
            for name, amount in entry["resources"].items():
                held.setdefault(consumer, {})
                held[consumer][name] = held[consumer].get(name, 0) + amount
    return held


if __name__ == "__main__":
    sys.exit(main())
