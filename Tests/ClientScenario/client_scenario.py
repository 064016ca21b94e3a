#!/usr/bin/env python3
"""Client scenario: the real python-openstackclient and python-novaclient against a fresh all-in-one cloud.

Starts `nova-server all` on a free loopback port with a throwaway data directory, runs the commands of the
foundation issue as admin and as the demo member, checks what a user would see, restarts the cloud to check
that nothing is lost, and stops it by its PID. Prints one line per check and `N passed, M failed` last.
"""
import json
import os
import re
import shutil
import signal
import ssl
import subprocess
import sys
import tempfile
import time
import urllib.request
import urllib.error

from console_probes import websocket_open
from ec2_steps import ec2_steps
from identity_steps import identity_steps
from image_steps import image_steps
from scale_out import free_port

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SERVER = os.environ.get("NOVA_SERVER", os.path.join(ROOT, ".build", "debug", "nova-server"))
VENV_BIN = os.environ.get("CLIENT_BIN", os.path.join(ROOT, ".venv", "bin"))
OPENSTACK = os.path.join(VENV_BIN, "openstack")
NOVA_SWIFT = os.environ.get("NOVA_SWIFT_CLIENT", os.path.join(os.path.dirname(SERVER), "nova"))
NOVA = os.path.join(VENV_BIN, "nova")

passed = 0
failed = 0


def check(name, condition, detail=""):
    global passed, failed
    if condition:
        passed += 1
        print(f"ok   {name}")
    else:
        failed += 1
        print(f"FAIL {name} {detail}")


def checked_deployment(cloud, data_dir, admin_password, body):
    """Starts `cloud`, runs body(cloud), then closes it, keeping its data directory and logs if a check failed.
    Prints the counts; returns the exit status."""
    try:
        cloud.start(admin_password=admin_password)
        body(cloud)
    except Exception:
        check("the deployment runs", False)
        raise
    finally:
        cloud.close()
        if failed == 0:
            shutil.rmtree(data_dir, ignore_errors=True)
        else:
            print(f"     kept {data_dir} (its logs) for inspection")
    print(f"{passed} passed, {failed} failed")
    return 0 if failed == 0 else 1


def read_openrc(path):
    env = {}
    with open(path) as f:
        for line in f:
            m = re.match(r"export (\w+)=(.*)", line.strip())
            if m:
                env[m.group(1)] = m.group(2).strip("'")
    return env


class Cloud:
    def __init__(self, data_dir, port, fake_hosts=2):
        self.data_dir, self.port, self.fake_hosts = data_dir, port, fake_hosts
        self.address = "127.0.0.1"
        self.process = None
        # nova.conf lines a test adds (the fuzz test's metadata API).
        self.extra_config = ""

    def start(self, admin_password=None):
        args = [SERVER, "all", "--data-dir", self.data_dir, "--listen", f"127.0.0.1:{self.port}",
                "--fake-hosts", str(self.fake_hosts), "--log-level", "warning",
                "--novncproxy-port", str(free_port()), "--rawvncproxy-port", str(free_port())]
        # Fake live migrations take 8 s, long enough to watch, abort and force one through the clients.
        config = os.path.join(self.data_dir, "nova.conf")
        with open(config, "w") as conf:
            conf.write("[fake_driver]\nlive_migration_seconds = 8\n" + self.extra_config)
        args += ["--config", config]
        if admin_password:
            args += ["--admin-password", admin_password]
        self.log = open(os.path.join(self.data_dir, "server.log"), "a")
        self.process = subprocess.Popen(args, stdout=self.log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{self.port}/identity/v3", timeout=1)
                return
            except Exception:
                if self.process.poll() is not None:
                    raise RuntimeError("nova-server exited during start")
                time.sleep(0.2)
        raise RuntimeError("nova-server did not answer within 60 s")

    def close(self):
        self.stop()

    def stop(self):
        if self.process and self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.kill(self.process.pid, signal.SIGKILL)
                self.process.wait()
        self.process = None


def run(tool, args, env, expect_ok=True):
    result = subprocess.run([tool] + args, env=env, capture_output=True, text=True, stdin=subprocess.DEVNULL,
                            timeout=120)
    if expect_ok and result.returncode != 0:
        print(f"     command failed: {os.path.basename(tool)} {' '.join(args)}\n{result.stdout}{result.stderr}")
    return result


def osc_json(args, env):
    result = run(OPENSTACK, args + ["-f", "json"], env)
    return json.loads(result.stdout) if result.returncode == 0 and result.stdout.strip() else None


def wait_status(name, status, env, timeout=30):
    deadline = time.time() + timeout
    current = None
    while time.time() < deadline:
        server = osc_json(["server", "show", name], env)
        current = server and server.get("status")
        if current == status:
            return True
        time.sleep(0.3)
    print(f"     {name} is {current}, wanted {status}")
    return False


def main():
    port = free_port()
    data_dir = tempfile.mkdtemp(prefix="nova-scenario-")
    if os.environ.get("NOVA_SCENARIO_DEPLOYMENT") == "scale-out":
        # One process per service over PostgreSQL and NATS (see scale_out.py), the compute hosts in network
        # namespaces of their own unless NOVA_SCENARIO_NAMESPACES=0 (making them needs root).
        from scale_out import ScaleOutCloud  # noqa: E402 (the all-in-one run needs none of it)
        from network_namespaces import NetworkNamespaces  # noqa: E402
        namespaces = None if os.environ.get("NOVA_SCENARIO_NAMESPACES") == "0" else NetworkNamespaces(2)
        cloud = ScaleOutCloud(SERVER, data_dir, port, os.environ.get("NOVA_TEST_POSTGRES_URL"), namespaces=namespaces)
        print("deployment: 2 api, network, volume, ec2, 2 conductor, 1 scheduler, 2 compute, placement, novncproxy; "
              "PostgreSQL, NATS"
              + (f"; compute hosts in namespaces {', '.join(namespaces.hosts)}, the rest in {namespaces.control}"
                 if namespaces else "; all on loopback"))
    else:
        cloud = Cloud(data_dir, port)
    return checked_deployment(cloud, data_dir, "scenario-admin", lambda started: scenario(started, port, data_dir))


def scenario(cloud, port, data_dir):
    base_env = {k: v for k, v in os.environ.items() if not k.startswith("OS_")}
    admin = dict(base_env, **read_openrc(os.path.join(data_dir, "admin-openrc.sh")))
    demo = dict(base_env, **read_openrc(os.path.join(data_dir, "demo-openrc.sh")))
    check("admin openrc has the given password", admin.get("OS_PASSWORD") == "scenario-admin")
    check("demo openrc names the demo project", demo.get("OS_PROJECT_NAME") == "demo")
    if demo.get("OS_CACERT"):
        check("the demo member uses the second API over HTTPS, trusting OS_CACERT",
              demo["OS_AUTH_URL"].startswith("https://") and demo["OS_AUTH_URL"] != admin["OS_AUTH_URL"])

    # Without a token only version discovery answers.
    try:
        urllib.request.urlopen(f"http://{cloud.address}:{port}/compute/v2.1/servers", timeout=5)
        check("no token is refused", False)
    except urllib.error.HTTPError as error:
        body = json.loads(error.read())
        check("no token is refused with 401 in Nova's format", error.code == 401 and "unauthorized" in body)

    flavors = osc_json(["flavor", "list"], admin) or []
    sizes = {f["Name"]: (f["RAM"], f["Disk"], f["VCPUs"]) for f in flavors}
    check("flavor list has Nova's defaults", sizes.get("m1.tiny") == (512, 1, 1) and sizes.get("m1.xlarge") == (16384, 160, 8), str(sizes))

    images = osc_json(["image", "list"], admin) or []
    check("image list has the default image", any(i["Name"] == "tiny-boot-sector" and i["Status"] == "active" for i in images))

    payload = os.path.join(data_dir, "upload.img")
    with open(payload, "wb") as f:
        f.write(os.urandom(300_000))
    import hashlib
    digest = hashlib.md5(open(payload, "rb").read()).hexdigest()
    image = osc_json(["image", "create", "--file", payload, "--disk-format", "raw", "--public", "uploaded"], admin)
    check("image create --file uploads and checksums", image and image["status"] == "active" and image["checksum"] == digest and image["size"] == 300_000, str(image))

    identity_steps(check, run, osc_json, OPENSTACK, admin, demo)
    image_steps(check, run, osc_json, OPENSTACK, admin, demo, data_dir)
    ec2_steps(check, run, osc_json, OPENSTACK, os.path.join(VENV_BIN, "aws"), admin, demo,
              endpoint=getattr(cloud, "ec2_endpoint", None))

    result = run(OPENSTACK, ["keypair", "create", "k1"], demo)
    check("keypair create returns a private key", result.stdout.startswith("-----BEGIN OPENSSH PRIVATE KEY-----"))
    keypairs = osc_json(["keypair", "list"], demo) or []
    check("keypair list shows it", [k["Name"] for k in keypairs] == ["k1"])

    # Server lifecycle as the demo member.
    server = osc_json(["server", "create", "--flavor", "m1.tiny", "--image", "tiny-boot-sector", "--key-name", "k1",
                       "--wait", "vm1"], demo)
    check("server create --wait reaches ACTIVE", server and server["status"] == "ACTIVE", str(server and server.get("status")))
    vm1 = server["id"] if server else "vm1"  # admin looks names up in its own project only, as with Nova
    events = osc_json(["server", "event", "list", "vm1"], demo) or []
    check("the create action is recorded", [e["Action"] for e in events] == ["create"])
    if events:
        detail = osc_json(["server", "event", "show", vm1, events[0]["Request ID"]], admin) or {}
        names = [e.get("event") for e in detail.get("events", [])]
        check("create went through conductor and compute",
              names == ["conductor_schedule_and_build_instances", "compute__do_build_and_run_instance"], str(names))
    shown = osc_json(["server", "show", "vm1"], demo) or {}
    check("server show has Nova's fields", shown.get("key_name") == "k1" and shown.get("flavor", {}).get("name") == "m1.tiny" if isinstance(shown.get("flavor"), dict) else shown.get("key_name") == "k1")

    steps = [("stop", [], "SHUTOFF"), ("start", [], "ACTIVE"), ("reboot", [], "ACTIVE"), ("reboot", ["--hard"], "ACTIVE"),
             ("pause", [], "PAUSED"), ("unpause", [], "ACTIVE"), ("suspend", [], "SUSPENDED"), ("resume", [], "ACTIVE")]
    for action, extra, status in steps:
        result = run(OPENSTACK, ["server", action] + extra + ["vm1"], demo)
        check(f"server {action} {' '.join(extra)}-> {status}", result.returncode == 0 and wait_status("vm1", status, demo))
    power = (osc_json(["server", "show", "vm1"], demo) or {}).get("OS-EXT-STS:power_state")
    check("power state follows (Running)", power in (1, "Running"), str(power))

    result = run(OPENSTACK, ["server", "start", "vm1"], demo, expect_ok=False)
    check("start of an ACTIVE server is refused (409)", result.returncode != 0 and "409" in result.stderr and "vm_state active" in result.stderr, result.stderr)

    run(OPENSTACK, ["server", "lock", "vm1"], demo)
    check("lock sets locked", (osc_json(["server", "show", "vm1"], demo) or {}).get("locked") is True)
    result = run(OPENSTACK, ["server", "stop", "vm1"], demo, expect_ok=False)
    check("a locked server refuses stop (409)", result.returncode != 0 and "locked" in result.stderr, result.stderr)
    run(OPENSTACK, ["server", "unlock", "vm1"], demo)
    check("unlock clears locked", (osc_json(["server", "show", "vm1"], demo) or {}).get("locked") is False)

    result = run(OPENSTACK, ["server", "set", "--state", "error", "--auto-approve", vm1], admin)
    check("admin reset-state to error", result.returncode == 0 and wait_status(vm1, "ERROR", admin))
    result = run(NOVA, ["reset-state", "--active", vm1], admin)
    check("nova reset-state --active", result.returncode == 0 and wait_status(vm1, "ACTIVE", admin))
    result = run(OPENSTACK, ["server", "set", "--state", "error", "--auto-approve", "vm1"], demo, expect_ok=False)
    check("member may not reset state (403)", result.returncode != 0 and "403" in result.stderr, result.stderr)

    actions = [e["Action"] for e in osc_json(["server", "event", "list", "vm1"], demo) or []]
    check("event list records every action", {"create", "stop", "start", "reboot", "pause", "unpause", "suspend", "resume", "lock", "unlock"} <= set(actions), str(actions))

    # A second server, as admin, on the other host.
    osc_json(["server", "create", "--flavor", "m1.small", "--image", "uploaded", "--wait", "vm-admin"], admin)
    networks = [s.get("Networks") for s in osc_json(["server", "list"], demo) or []]
    check("servers get an address on the private network", networks and "10.0.0." in json.dumps(networks), str(networks))
    demo_list = [s["Name"] for s in osc_json(["server", "list"], demo) or []]
    check("demo sees only demo's servers", demo_list == ["vm1"], str(demo_list))
    all_list = sorted(s["Name"] for s in osc_json(["server", "list", "--all-projects"], admin) or [])
    check("admin --all-projects sees both", all_list == ["vm-admin", "vm1"], str(all_list))
    result = run(OPENSTACK, ["server", "list", "--all-projects"], demo, expect_ok=False)
    check("member may not list all projects (403)", result.returncode != 0 and "403" in result.stderr, result.stderr)

    hosts = osc_json(["compute", "service", "list", "--service", "nova-compute"], admin) or []
    check("two fake compute hosts are up", len(hosts) == 2 and all(h["State"] == "up" for h in hosts), str(hosts))
    host_of = (osc_json(["server", "show", vm1], admin) or {}).get("OS-EXT-SRV-ATTR:host") or "?"
    nova_list = run(NOVA, ["list", "--all-tenants", "--host", host_of or "?"], admin).stdout
    check("nova list --all-tenants --host filters by host", "vm1" in nova_list, nova_list)
    nova_list = run(NOVA, ["list", "--all-tenants", "--name", "^vm-a"], admin).stdout
    check("nova list --name filters by regex", "vm-admin" in nova_list and " vm1 " not in nova_list, nova_list)
    nova_show = run(NOVA, ["show", vm1], admin).stdout
    check("nova show", "ACTIVE" in nova_show and "m1.tiny" in nova_show, nova_show)

    for args in (["compute", "service", "list"], ["hypervisor", "list"], ["quota", "set", "--cores", "99", "demo"],
                 ["flavor", "create", "--ram", "64", "--disk", "1", "--vcpus", "1", "nope"]):
        result = run(OPENSTACK, args, demo, expect_ok=False)
        check(f"member is refused: {' '.join(args[:2])} (403)", result.returncode != 0 and "403" in result.stderr, result.stderr)

    result = run(OPENSTACK, ["compute", "service", "set", "--disable", "--disable-reason", "maintenance", host_of, "nova-compute"], admin)
    state = [s for s in osc_json(["compute", "service", "list", "--service", "nova-compute"], admin) or [] if s["Host"] == host_of]
    check("compute service set --disable", result.returncode == 0 and state and state[0]["Status"] == "disabled", str(state))
    other = osc_json(["server", "create", "--flavor", "m1.tiny", "--image", "tiny-boot-sector", "--wait", "vm2"], demo)
    check("the scheduler avoids the disabled host", other and other.get("status") == "ACTIVE"
          and (osc_json(["server", "show", other["id"]], admin) or {}).get("OS-EXT-SRV-ATTR:host") != host_of)
    services = run(NOVA, ["service-list", "--binary", "nova-compute"], admin).stdout
    service_id = next((line.split("|")[1].strip() for line in services.splitlines() if host_of in line), None)
    result = run(NOVA, ["service-enable", service_id or "?"], admin)
    check("nova service-enable", result.returncode == 0 and "enabled" in result.stdout, result.stdout)
    result = run(NOVA, ["service-disable", service_id or "?"], admin)
    check("nova service-disable", result.returncode == 0 and "disabled" in result.stdout, result.stdout)
    run(NOVA, ["service-enable", service_id or "?"], admin)

    hypervisors = osc_json(["hypervisor", "list"], admin) or []
    check("hypervisor list shows both hosts", len(hypervisors) == 2, str(hypervisors))
    hv = osc_json(["hypervisor", "show", host_of or "?"], admin) or {}
    check("hypervisor show", hv.get("hypervisor_hostname") == host_of and hv.get("state") == "up", str(hv))
    if getattr(cloud, "namespaces", None):
        namespace_steps(cloud, admin)

    limits = {l["Name"]: l["Value"] for l in osc_json(["limits", "show", "--absolute"], demo) or []}
    check("limits show --absolute counts demo's servers", limits.get("total_instances_used") == 2 and limits.get("max_total_instances") == 10, str(limits))
    run(OPENSTACK, ["quota", "set", "--instances", "2", "demo"], admin)
    quota = {q["Resource"]: q["Limit"] for q in osc_json(["quota", "show", "demo"], admin) or []}
    check("quota set / show", quota.get("instances") == 2, str(quota))
    result = run(OPENSTACK, ["server", "create", "--flavor", "m1.tiny", "--image", "tiny-boot-sector", "vm3"], demo, expect_ok=False)
    check("quota is enforced on create (403)", result.returncode != 0 and "403" in result.stderr and "Quota exceeded" in result.stderr, result.stderr)

    # Identity administration, as Tempest's dynamic credentials do it.
    run(OPENSTACK, ["project", "create", "p2"], admin)
    run(OPENSTACK, ["user", "create", "--project", "p2", "--password", "pw2", "u2"], admin)
    result = run(OPENSTACK, ["role", "add", "--project", "p2", "--user", "u2", "member"], admin)
    assignments = osc_json(["role", "assignment", "list", "--project", "p2", "--names"], admin) or []
    check("project, user and role assignment", result.returncode == 0 and [a["Role"] for a in assignments] == ["member"], str(assignments))
    u2 = dict(demo, OS_USERNAME="u2", OS_PASSWORD="pw2", OS_PROJECT_NAME="p2")
    check("the new member can use compute", run(OPENSTACK, ["server", "list"], u2).returncode == 0)
    run(OPENSTACK, ["user", "delete", "u2"], admin)
    run(OPENSTACK, ["project", "delete", "p2"], admin)
    result = run(OPENSTACK, ["server", "list"], u2, expect_ok=False)
    check("a deleted user can no longer authenticate", result.returncode != 0 and "401" in result.stderr, result.stderr)

    # openstacksdk, used directly as a program would.
    sdk = (
        "import openstack, json\n"
        "conn = openstack.connect()\n"
        "servers = sorted(s.name for s in conn.compute.servers())\n"
        "flavor = conn.compute.find_flavor('m1.small')\n"
        "image = conn.image.find_image('tiny-boot-sector')\n"
        "server = conn.compute.create_server(name='sdk-vm', flavor_id=flavor.id, image_id=image.id, networks='none')\n"
        "server = conn.compute.wait_for_server(server, status='ACTIVE', wait=60)\n"
        "conn.compute.delete_server(server)\n"
        "conn.compute.wait_for_delete(server, wait=60)\n"
        "print(json.dumps({'servers': servers, 'status': server.status}))\n"
    )
    result = subprocess.run([os.path.join(VENV_BIN, "python"), "-c", sdk], env=admin, capture_output=True, text=True,
                            timeout=180)
    outcome = json.loads(result.stdout) if result.returncode == 0 else {}
    check("openstacksdk lists, creates, waits for and deletes a server",
          outcome.get("servers") == ["vm-admin"] and outcome.get("status") == "ACTIVE", result.stderr[-2000:])

    zones = osc_json(["availability", "zone", "list"], demo) or []
    check("availability zone list", any(z["Zone Name"] == "nova" and z["Zone Status"] == "available" for z in zones), str(zones))

    result = run(OPENSTACK, ["server", "delete", "--wait", "vm2"], demo)
    check("server delete --wait", result.returncode == 0 and [s["Name"] for s in osc_json(["server", "list"], demo) or []] == ["vm1"])

    # The same steps with our own `nova` (Swift), checked through openstack.
    ours = dict(admin, XDG_CACHE_HOME=os.path.join(data_dir, "cache"))
    result = run(NOVA_SWIFT, ["boot", "--flavor", "m1.tiny", "--image", "tiny-boot-sector", "--poll", "swift-vm"], ours)
    swift_vm = (osc_json(["server", "show", "swift-vm"], admin) or {})
    check("nova-swift boot --poll reaches ACTIVE", result.returncode == 0 and swift_vm.get("status") == "ACTIVE", result.stderr)
    result = run(NOVA_SWIFT, ["stop", "swift-vm"], ours)
    check("nova-swift stop -> SHUTOFF (seen by openstack)", result.returncode == 0 and wait_status("swift-vm", "SHUTOFF", admin))
    check("nova-swift stop says the request was accepted, as novaclient does",
          result.stdout.strip() == "Request to stop server swift-vm has been accepted.", result.stdout)
    listed = json.loads(run(NOVA_SWIFT, ["list", "--format", "json"], ours).stdout or "[]")
    check("nova-swift list --format json", [s["Status"] for s in listed if s["Name"] == "swift-vm"] == ["SHUTOFF"], str(listed))
    services = run(NOVA_SWIFT, ["service-list", "--binary", "nova-compute"], ours).stdout
    check("nova-swift service-list", services.count("nova-compute") == 2, services)
    check("nova-swift keeps the token in a private cache file",
          any(name.startswith("token-") for name in os.listdir(os.path.join(data_dir, "cache", "nova-swift"))))
    result = run(NOVA_SWIFT, ["show", "no-such-server"], ours, expect_ok=False)
    check("nova-swift errors are one line with exit code 1",
          result.returncode == 1 and result.stderr.strip() == "ERROR: No server with a name or ID of 'no-such-server' exists.", result.stderr)
    result = run(NOVA_SWIFT, ["delete", "--poll", "swift-vm"], ours)
    check("nova-swift delete --poll", result.returncode == 0 and run(OPENSTACK, ["server", "show", "swift-vm"], admin, expect_ok=False).returncode != 0)

    # Aggregates with our nova, checked through openstack: a host's zone comes from its aggregate.
    run(NOVA_SWIFT, ["aggregate-create", "agg1", "az1"], ours)
    run(NOVA_SWIFT, ["aggregate-add-host", "agg1", host_of], ours)
    run(NOVA_SWIFT, ["aggregate-set-metadata", "agg1", "ssd=true"], ours)
    aggregate = osc_json(["aggregate", "show", "agg1"], admin) or {}
    check("nova-swift aggregate create/add-host/set-metadata", aggregate.get("hosts") == [host_of]
          and "ssd" in json.dumps(aggregate.get("properties")), str(aggregate))
    zoned = osc_json(["server", "create", "--flavor", "m1.tiny", "--image", "tiny-boot-sector",
                      "--availability-zone", "az1", "--wait", "in-az1"], admin) or {}
    check("a server asked for az1 lands on the aggregate's host",
          zoned.get("OS-EXT-SRV-ATTR:host") == host_of and zoned.get("OS-EXT-AZ:availability_zone") == "az1", str(zoned.get("OS-EXT-SRV-ATTR:host")))
    run(OPENSTACK, ["server", "delete", "--wait", "in-az1"], admin)
    run(NOVA_SWIFT, ["aggregate-remove-host", "agg1", host_of], ours)
    result = run(NOVA_SWIFT, ["aggregate-delete", "agg1"], ours)
    check("nova-swift aggregate remove-host/delete", result.returncode == 0 and osc_json(["aggregate", "list"], admin) == [])

    placement_steps(admin)
    network_steps(admin, demo)
    volume_steps(admin, demo)
    server_group_steps(admin, ours)
    console_and_snapshot_steps(demo)
    move_steps(admin, ours)

    # A restart keeps everything.
    cloud.stop()
    cloud.start()
    names = sorted(s["Name"] for s in osc_json(["server", "list", "--all-projects"], admin) or [])
    check("after a restart the servers are still there", names == ["vm-admin", "vm1"], str(names))
    result = run(OPENSTACK, ["server", "stop", "vm1"], demo)
    check("after a restart the servers still work", result.returncode == 0 and wait_status("vm1", "SHUTOFF", demo))
    check("after a restart the keypair is still there", [k["Name"] for k in osc_json(["keypair", "list"], demo) or []] == ["k1"])
    server = (osc_json(["server", "show", "vm-admin"], admin) or {}).get("id") or "none"
    held = osc_json(["--os-placement-api-version", "1.12", "resource", "provider", "allocation", "show", server], admin) or []
    check("after a restart the server's allocation is still in Placement",
          any(a.get("resources", {}).get("MEMORY_MB") == 2048 for a in held), str(held))


def host_of_server(name, env):
    return (osc_json(["server", "show", name], env) or {}).get("OS-EXT-SRV-ATTR:host")


def wait_migration(server, status, env, timeout=30):
    """The server's newest migration once it reaches `status` (openstack server migration list)."""
    deadline = time.time() + timeout
    newest = {}
    while time.time() < deadline:
        listed = osc_json(["--os-compute-api-version", "2.80", "server", "migration", "list", "--server", server], env) or []
        newest = max(listed, key=lambda m: m["Id"]) if listed else {}
        if newest.get("Status") == status:
            return newest
        time.sleep(0.3)
    print(f"     newest migration of {server}: {newest}")
    return None


def move_steps(admin, ours):
    """Resize, cold and live migration between the two fake hosts through openstack, python-novaclient and our
    nova; then the migration records each client shows must agree, and Placement holds one allocation."""
    v = ["--os-compute-api-version", "2.80"]
    server = osc_json(["server", "create", "--flavor", "m1.tiny", "--image", "tiny-boot-sector", "--nic", "none",
                       "--wait", "mover"], admin) or {}
    first = server.get("OS-EXT-SRV-ATTR:host")
    run(OPENSTACK, ["server", "resize", "--flavor", "m1.small", "--wait", "mover"], admin)
    shown = osc_json(["server", "show", "mover"], admin) or {}
    second = shown.get("OS-EXT-SRV-ATTR:host")
    check("openstack server resize --flavor --wait -> VERIFY_RESIZE on the other host",
          shown.get("status") == "VERIFY_RESIZE" and second not in (None, first), str(shown.get("status")))
    run(OPENSTACK, ["server", "resize", "confirm", "mover"], admin)
    check("openstack server resize confirm -> ACTIVE with the new flavor",
          wait_status("mover", "ACTIVE", admin) and "m1.small" in json.dumps((osc_json(["server", "show", "mover"], admin) or {}).get("flavor")))
    run(OPENSTACK, ["server", "resize", "--flavor", "m1.medium", "--wait", "mover"], admin)
    check("a second resize waits for its confirmation", wait_status("mover", "VERIFY_RESIZE", admin))
    run(OPENSTACK, ["server", "resize", "revert", "mover"], admin)
    check("openstack server resize revert -> ACTIVE on its host with the old flavor",
          wait_status("mover", "ACTIVE", admin) and host_of_server("mover", admin) == second
          and "m1.small" in json.dumps((osc_json(["server", "show", "mover"], admin) or {}).get("flavor")))
    run(OPENSTACK, ["server", "migrate", "--wait", "mover"], admin)
    check("openstack server migrate --wait -> VERIFY_RESIZE on the other host",
          wait_status("mover", "VERIFY_RESIZE", admin) and host_of_server("mover", admin) == first)
    run(OPENSTACK, ["server", "migration", "confirm", "mover"], admin)
    check("openstack server migration confirm -> ACTIVE", wait_status("mover", "ACTIVE", admin))
    run(OPENSTACK, v + ["server", "migrate", "--live-migration", "--host", second, "--wait", "mover"], admin)
    check("openstack server migrate --live-migration --host --wait",
          wait_status("mover", "ACTIVE", admin) and host_of_server("mover", admin) == second
          and wait_migration("mover", "completed", admin) is not None)

    run(OPENSTACK, v + ["server", "migrate", "--live-migration", "mover"], admin)
    running = wait_migration("mover", "running", admin) or {}
    # openstack 10.5's `server migration show` passes server and migration to openstacksdk 4.22 the wrong way
    # round (it asks for /servers/<migration>/migrations/<server>), so novaclient shows it.
    detail = run(NOVA, ["server-migration-show", "mover", str(running.get("Id"))], admin).stdout
    check("nova server-migration-show: the running live migration with its progress",
          "| status                 | running" in detail and "memory_total_bytes" in detail, detail)
    run(OPENSTACK, v + ["server", "migration", "abort", "mover", str(running.get("Id"))], admin)
    check("openstack server migration abort -> cancelled, the server stays where it was",
          wait_migration("mover", "cancelled", admin) is not None and wait_status("mover", "ACTIVE", admin)
          and host_of_server("mover", admin) == second)
    run(OPENSTACK, v + ["server", "migrate", "--live-migration", "mover"], admin)
    running = wait_migration("mover", "running", admin) or {}
    run(OPENSTACK, v + ["server", "migration", "force", "complete", "mover", str(running.get("Id"))], admin)
    check("openstack server migration force complete -> completed on the other host",
          wait_migration("mover", "completed", admin) is not None and wait_status("mover", "ACTIVE", admin)
          and host_of_server("mover", admin) == first)

    result = run(NOVA, ["live-migration", "mover"], admin)
    check("nova live-migration (python-novaclient)", result.returncode == 0 and wait_status("mover", "ACTIVE", admin)
          and host_of_server("mover", admin) == second)
    listed = run(NOVA, ["migration-list"], admin).stdout
    check("nova migration-list (python-novaclient)", listed.count("live-migration") >= 4, listed)

    result = run(NOVA_SWIFT, ["migrate", "--poll", "mover"], ours)
    check("nova-swift migrate --poll -> VERIFY_RESIZE", result.returncode == 0 and wait_status("mover", "VERIFY_RESIZE", admin))
    run(NOVA_SWIFT, ["resize-confirm", "mover"], ours)
    check("nova-swift resize-confirm -> ACTIVE", wait_status("mover", "ACTIVE", admin) and host_of_server("mover", admin) == first)
    result = run(NOVA_SWIFT, ["resize", "--poll", "mover", "m1.medium"], ours)
    check("nova-swift resize --poll -> VERIFY_RESIZE", result.returncode == 0 and wait_status("mover", "VERIFY_RESIZE", admin))
    run(NOVA_SWIFT, ["resize-revert", "mover"], ours)
    check("nova-swift resize-revert -> ACTIVE on its host", wait_status("mover", "ACTIVE", admin) and host_of_server("mover", admin) == first)
    result = run(NOVA_SWIFT, ["live-migration", "--poll", "mover", second], ours)
    check("nova-swift live-migration --poll SERVER HOST", result.returncode == 0 and wait_status("mover", "ACTIVE", admin)
          and host_of_server("mover", admin) == second and wait_migration("mover", "completed", admin) is not None)
    server_id = (osc_json(["server", "show", "mover"], admin) or {}).get("id")
    theirs = osc_json(v + ["server", "migration", "list", "--server", "mover"], admin) or []
    mine = json.loads(run(NOVA_SWIFT, ["migration-list", "--instance-uuid", server_id, "--format", "json"], ours).stdout or "[]")
    check("nova-swift migration-list agrees with openstack server migration list",
          sorted((str(m["Id"]), m["Status"]) for m in theirs) == sorted((str(m["Id"]), m["Status"]) for m in mine)
          and len(mine) == 10, f"{theirs} / {mine}")
    log = run(NOVA_SWIFT, ["console-log", "--length", "1", "mover"], ours)
    check("nova-swift console-log --length 1", log.stdout.strip() == "LAST LINE", log.stdout)
    console = run(NOVA_SWIFT, ["get-vnc-console", "mover", "novnc"], ours)
    check("nova-swift get-vnc-console novnc", "vnc_lite.html?path=%3Ftoken%3D" in console.stdout, console.stdout)
    rebuilt = run(OPENSTACK, ["server", "rebuild", "--image", "tiny-boot-sector", "--name", "mover", "--wait", "mover"], admin)
    check("openstack server rebuild --image --wait keeps the server on its host", rebuilt.returncode == 0
          and wait_status("mover", "ACTIVE", admin) and host_of_server("mover", admin) == second, rebuilt.stderr)
    run(OPENSTACK, ["server", "rescue", "mover"], admin)
    check("openstack server rescue -> RESCUE", wait_status("mover", "RESCUE", admin))
    run(OPENSTACK, ["server", "unrescue", "mover"], admin)
    check("openstack server unrescue -> ACTIVE", wait_status("mover", "ACTIVE", admin))
    shelved = run(OPENSTACK, ["server", "shelve", "--wait", "mover"], admin)
    check("openstack server shelve --wait -> SHELVED_OFFLOADED, off its host and out of Placement",
          shelved.returncode == 0 and wait_status("mover", "SHELVED_OFFLOADED", admin)
          and not host_of_server("mover", admin)
          and not osc_json(["--os-placement-api-version", "1.12", "resource", "provider", "allocation", "show",
                            server_id], admin), shelved.stderr)
    unshelved = run(OPENSTACK, ["server", "unshelve", "--wait", "mover"], admin)
    # The host deletes the snapshot just after it reports the server ACTIVE.
    deadline = time.time() + 15
    while time.time() < deadline and osc_json(["image", "list", "--name", "mover-shelved"], admin):
        time.sleep(0.3)
    check("openstack server unshelve --wait -> ACTIVE on a host, the shelved image deleted",
          unshelved.returncode == 0 and wait_status("mover", "ACTIVE", admin) and bool(host_of_server("mover", admin))
          and not osc_json(["image", "list", "--name", "mover-shelved"], admin), unshelved.stderr)
    backup = run(OPENSTACK, ["server", "backup", "create", "--name", "mover-daily", "--type", "daily", "--rotate", "1",
                             "--wait", "mover"], admin)
    run(NOVA, ["backup", "mover", "mover-daily", "daily", "1"], admin)
    deadline = time.time() + 30
    while time.time() < deadline and (osc_json(["server", "show", "mover"], admin) or {}).get("OS-EXT-STS:task_state"):
        time.sleep(0.3)
    backups = osc_json(["image", "list", "--name", "mover-daily"], admin) or []
    check("openstack server backup create, then nova backup with rotation 1: one daily backup is kept",
          backup.returncode == 0 and len(backups) == 1, backup.stderr + str(backups))
    for image in backups:
        run(OPENSTACK, ["image", "delete", image["ID"]], admin)
    dead = host_of_server("mover", admin)
    run(OPENSTACK, ["--os-compute-api-version", "2.11", "compute", "service", "set", "--down", dead, "nova-compute"], admin)
    # openstack 10.5's `server evacuate --wait` compares 'ACTIVE' with a lower-cased status and never ends.
    result = run(OPENSTACK, ["--os-compute-api-version", "2.29", "server", "evacuate", "mover"], admin)
    check("openstack server evacuate rebuilds the server on the other host while its own is down",
          result.returncode == 0 and wait_status("mover", "ACTIVE", admin) and host_of_server("mover", admin) not in (None, dead))
    run(OPENSTACK, ["--os-compute-api-version", "2.11", "compute", "service", "set", "--up", dead, "nova-compute"], admin)
    held = osc_json(["--os-placement-api-version", "1.12", "resource", "provider", "allocation", "show", server_id], admin) or []
    check("after every move the server holds one allocation, on its host, of its flavor",
          len(held) == 1 and held[0].get("resources", {}).get("MEMORY_MB") == 2048, str(held))
    run(OPENSTACK, ["server", "delete", "--wait", "mover"], admin)


def console_and_snapshot_steps(demo):
    """Console output, a noVNC console URL and a snapshot through the unchanged clients (fake driver)."""
    log = run(OPENSTACK, ["console", "log", "show", "--lines", "1", "vm1"], demo)
    check("openstack console log show --lines 1", log.stdout.strip() == "LAST LINE", log.stdout)
    nova_log = run(NOVA, ["console-log", "vm1"], demo)
    check("nova console-log (python-novaclient)", "FAKE CONSOLE OUTPUT" in nova_log.stdout, nova_log.stdout)
    url = osc_json(["console", "url", "show", "--novnc", "vm1"], demo) or {}
    check("openstack console url show --novnc gives a proxy URL with a token",
          "vnc_lite.html?path=%3Ftoken%3D" in url.get("url", ""), str(url))
    if url.get("url", "").startswith("https://"):
        context = ssl.create_default_context(cafile=demo.get("OS_CACERT"))
        page = urllib.request.urlopen(url["url"], timeout=10, context=context)
        check("the noVNC proxy serves its page over HTTPS", page.status == 200 and b"noVNC" in page.read())
        connection, status = websocket_open(url["url"], demo.get("OS_CACERT"))
        connection.close()
        check("the noVNC proxy upgrades a WebSocket with the token over TLS (wss)", " 101 " in status + " ", status)
    image = osc_json(["server", "image", "create", "--name", "vm1-snap", "--wait", "vm1"], demo) or {}
    check("openstack server image create --wait gives an active snapshot",
          image.get("status") == "active" and image.get("name") == "vm1-snap", str(image))
    run(OPENSTACK, ["image", "delete", "vm1-snap"], demo)


def server_group_steps(admin, ours):
    """An anti-affinity group through openstack: members spread over the two hosts, a third one ends in a
    NoValidHost that says which filter removed the hosts."""
    group = osc_json(["server", "group", "create", "--policy", "anti-affinity", "spread"], admin) or {}
    check("server group create --policy anti-affinity", group.get("policy") == "anti-affinity" or
          group.get("policies") == "anti-affinity", str(group))
    hosts = set()
    for name in ("spread-1", "spread-2"):
        osc_json(["server", "create", "--flavor", "m1.tiny", "--image", "tiny-boot-sector", "--hint",
                  f"group={group.get('id')}", "--wait", name], admin)
        hosts.add((osc_json(["server", "show", name], admin) or {}).get("OS-EXT-SRV-ATTR:host"))
    check("members of an anti-affinity group land on different hosts", len(hosts) == 2, str(hosts))
    run(OPENSTACK, ["server", "create", "--flavor", "m1.tiny", "--image", "tiny-boot-sector", "--hint",
                    f"group={group.get('id')}", "spread-3"], admin)
    wait_status("spread-3", "ERROR", admin)
    fault = (osc_json(["server", "show", "spread-3"], admin) or {}).get("fault") or {}
    check("a third member ends in NoValidHost that names the filter",
          "ServerGroupAntiAffinityFilter removed 2" in json.dumps(fault), str(fault))
    listed = run(NOVA, ["server-group-list"], admin).stdout
    check("nova server-group-list", "spread" in listed and "anti-affinity" in listed, listed)
    run(OPENSTACK, ["server", "delete", "--wait", "spread-1", "spread-2", "spread-3"], admin)
    result = run(OPENSTACK, ["server", "group", "delete", "spread"], admin)
    check("server group delete", result.returncode == 0 and osc_json(["server", "group", "list"], admin) == [])

    created = run(NOVA_SWIFT, ["server-group-create", "pairs", "anti-affinity", "--rule", "max_server_per_host=2"], ours)
    shown = osc_json(["--os-compute-api-version", "2.64", "server", "group", "show", "pairs"], admin) or {}
    check("nova-swift server-group-create with a rule (seen by openstack)", created.returncode == 0
          and shown.get("policy") == "anti-affinity" and "max_server_per_host" in json.dumps(shown.get("rules")), str(shown))
    listed = run(NOVA_SWIFT, ["server-group-list", "--format", "json"], ours)
    rows = json.loads(listed.stdout) if listed.returncode == 0 else []
    check("nova-swift server-group-list", [r["Name"] for r in rows] == ["pairs"], listed.stdout + listed.stderr)
    result = run(NOVA_SWIFT, ["server-group-delete", "pairs"], ours)
    check("nova-swift server-group-delete", result.returncode == 0 and osc_json(["server", "group", "list"], admin) == [])


def namespace_steps(cloud, admin):
    """Each compute host runs in a network namespace of its own, apart from the control plane's and this one's,
    and reports its address there (its my_ip) as the hypervisor's host_ip."""
    namespaces = cloud.namespaces
    own = {name: namespaces.of_process(cloud.processes[name].pid) for name in cloud.hosts + ["conductor-1"]}
    here = namespaces.of_process(os.getpid())
    check("the compute hosts run in network namespaces of their own",
          len({own[name] for name in cloud.hosts} | {own["conductor-1"], here}) == len(cloud.hosts) + 2, str(own))
    addresses = {}
    for host in cloud.hosts:
        addresses[host] = (osc_json(["hypervisor", "show", host], admin) or {}).get("host_ip")
    check("each hypervisor's host_ip is its host's address in its namespace",
          addresses == dict(zip(cloud.hosts, namespaces.host_ips)), str(addresses))


def network_steps(admin, demo):
    """openstackclient's network commands against the networking API (issue 18's first slice: the records;
    servers do not get ports yet)."""
    networks = {n["Name"] for n in osc_json(["network", "list"], demo) or []}
    check("network list: the first start made public and private", {"public", "private"} <= networks, str(networks))
    network = osc_json(["network", "create", "scenario-net"], demo) or {}
    check("network create: a geneve network with an MTU under the overlay's", network.get("mtu") == 1442, str(network))
    subnet = osc_json(["subnet", "create", "--network", "scenario-net", "--subnet-range", "10.50.0.0/24",
                       "--allocation-pool", "start=10.50.0.10,end=10.50.0.20", "--dns-nameserver", "10.50.0.2",
                       "scenario-subnet"], demo) or {}
    check("subnet create with a pool and a DNS server",
          subnet.get("allocation_pools") == [{"start": "10.50.0.10", "end": "10.50.0.20"}]
          and subnet.get("gateway_ip") == "10.50.0.1", str(subnet))
    port = osc_json(["port", "create", "--network", "scenario-net", "--fixed-ip",
                     "subnet=scenario-subnet,ip-address=10.50.0.15", "scenario-port"], demo) or {}
    check("port create --fixed-ip takes that address and a fa:16:3e MAC",
          [f["ip_address"] for f in port.get("fixed_ips", [])] == ["10.50.0.15"]
          and port.get("mac_address", "").startswith("fa:16:3e:"), str(port))
    again = run(OPENSTACK, ["port", "create", "--network", "scenario-net", "--fixed-ip",
                            "subnet=scenario-subnet,ip-address=10.50.0.15", "twice"], demo, expect_ok=False)
    check("the same address twice is refused with 409", again.returncode != 0 and "409" in again.stderr, again.stderr)
    group = osc_json(["security", "group", "create", "scenario-sg"], demo) or {}
    rule = osc_json(["security", "group", "rule", "create", "--protocol", "tcp", "--dst-port", "22",
                     "--remote-ip", "0.0.0.0/0", "scenario-sg"], demo) or {}
    check("security group and rule create", group.get("name") == "scenario-sg"
          and rule.get("port_range_min") == 22 and rule.get("protocol") == "tcp", str(rule))
    groups = {g["Name"] for g in osc_json(["security", "group", "list"], demo) or []}
    check("the project's default security group exists", {"default", "scenario-sg"} <= groups, str(groups))
    run(OPENSTACK, ["port", "set", "--security-group", "scenario-sg", "scenario-port"], demo)
    shown = osc_json(["port", "show", "scenario-port"], demo) or {}
    check("port set --security-group adds the group", group.get("id") in shown.get("security_group_ids", []),
          str(shown))
    every = osc_json(["network", "list"], admin) or []
    check("the admin sees every project's networks", any(n["Name"] == "scenario-net" for n in every), str(every))
    quota = {q["Resource"]: q["Limit"] for q in osc_json(["quota", "show", "--network", "demo"], admin) or []}
    check("quota show --network shows Neutron's defaults", quota.get("ports") == 500 and quota.get("networks") == 100,
          str(quota))
    routers = {r["Name"] for r in osc_json(["router", "list"], demo) or []}
    check("the first start made router1 for the demo project", "router1" in routers, str(routers))
    run(OPENSTACK, ["router", "create", "scenario-router"], demo)
    added = run(OPENSTACK, ["router", "add", "subnet", "scenario-router", "scenario-subnet"], demo)
    gateway = run(OPENSTACK, ["router", "set", "--external-gateway", "public", "scenario-router"], demo)
    router = osc_json(["router", "show", "scenario-router"], demo) or {}
    check("router add subnet takes the subnet's gateway address; router set --external-gateway public",
          added.returncode == 0 and gateway.returncode == 0
          and [i.get("ip_address") for i in router.get("interfaces_info", [])] == ["10.50.0.1"]
          and (router.get("external_gateway_info") or {}).get("external_fixed_ips"), str(router))
    floating = osc_json(["floating", "ip", "create", "--port", "scenario-port", "public"], demo) or {}
    check("floating ip create public --port maps an address of public to the port's fixed IP",
          floating.get("fixed_ip_address") == "10.50.0.15"
          and floating.get("floating_ip_address", "").startswith("172.24.4.")
          and floating.get("router_id") == router.get("id"), str(floating))
    refused = run(OPENSTACK, ["router", "remove", "subnet", "scenario-router", "scenario-subnet"], demo,
                  expect_ok=False)
    check("a subnet a floating IP reaches through the router stays attached (409)",
          refused.returncode != 0 and "409" in refused.stderr, refused.stderr)
    server_port_steps(demo)
    run(OPENSTACK, ["floating", "ip", "delete", floating.get("id", "none")], demo)
    removed = run(OPENSTACK, ["router", "remove", "subnet", "scenario-router", "scenario-subnet"], demo)
    deleted = run(OPENSTACK, ["router", "delete", "scenario-router"], demo)
    check("floating ip delete, router remove subnet, router delete", removed.returncode == 0
          and deleted.returncode == 0)
    run(OPENSTACK, ["port", "delete", "scenario-port"], demo)
    run(OPENSTACK, ["security", "group", "delete", "scenario-sg"], demo)
    run(OPENSTACK, ["subnet", "delete", "scenario-subnet"], demo)
    result = run(OPENSTACK, ["network", "delete", "scenario-net"], demo)
    check("port, security group, subnet and network delete", result.returncode == 0
          and not any(n["Name"] == "scenario-net" for n in osc_json(["network", "list"], demo) or []))


def volume_status(name, env, wanted, seconds=30):
    """Waits for a volume (or, with snapshot=True, a snapshot) to reach `wanted`; its last status."""
    status = None
    deadline = time.time() + seconds
    while time.time() < deadline:
        status = (osc_json(["volume", "show", name], env) or {}).get("status")
        if status == wanted:
            break
        time.sleep(0.2)
    return status


def volume_steps(admin, demo):
    """The block-storage service as openstackclient (through openstacksdk) drives it."""
    created = osc_json(["volume", "create", "--size", "1", "vol1"], demo) or {}
    check("volume create --size 1", created.get("size") == 1 and created.get("status") in ("creating", "available"),
          str(created))
    check("the volume becomes available", volume_status("vol1", demo, "available") == "available")
    listed = osc_json(["volume", "list"], demo) or []
    check("volume list shows it", [(v["Name"], v["Size"]) for v in listed] == [("vol1", 1)], str(listed))
    image = (osc_json(["image", "show", "tiny-boot-sector"], demo) or {}).get("id", "none")
    from_image = osc_json(["volume", "create", "--image", image, "--size", "1", "vol-image"], demo) or {}
    check("volume create --image", from_image.get("id") is not None, str(from_image))
    shown = osc_json(["volume", "show", "vol-image"], demo) or {}
    check("a volume from an image is bootable with the image's metadata",
          volume_status("vol-image", demo, "available") == "available"
          and (osc_json(["volume", "show", "vol-image"], demo) or {}).get("bootable") in (True, "true")
          and image in json.dumps((osc_json(["volume", "show", "vol-image"], demo) or {}).get("volume_image_metadata")),
          str(shown))
    snap = osc_json(["volume", "snapshot", "create", "--volume", "vol1", "snap1"], demo) or {}
    check("volume snapshot create", snap.get("volume_id") == created.get("id"), str(snap))
    deadline = time.time() + 30
    while time.time() < deadline and (osc_json(["volume", "snapshot", "show", "snap1"], demo) or {}).get("status") != "available":
        time.sleep(0.2)
    result = run(OPENSTACK, ["volume", "delete", "vol1"], demo, expect_ok=False)
    check("a volume with snapshots is not deleted (400)", result.returncode != 0 and "400" in result.stderr, result.stderr)
    osc_json(["volume", "create", "--snapshot", "snap1", "--size", "2", "vol-copy"], demo)
    check("volume create --snapshot", volume_status("vol-copy", demo, "available") == "available")
    result = run(OPENSTACK, ["volume", "set", "--size", "3", "vol-copy"], demo)
    check("volume set --size extends it", result.returncode == 0 and volume_status("vol-copy", demo, "available") == "available"
          and (osc_json(["volume", "show", "vol-copy"], demo) or {}).get("size") == 3, result.stderr)
    result = run(OPENSTACK, ["image", "create", "--volume", "vol-image", "from-volume"], demo)
    deadline = time.time() + 30
    uploaded = {}
    while time.time() < deadline and uploaded.get("status") != "active":
        uploaded = osc_json(["image", "show", "from-volume"], demo) or {}
        time.sleep(0.3)
    check("image create --volume uploads the volume", result.returncode == 0 and uploaded.get("status") == "active"
          and uploaded.get("size") == 1 << 30, str(uploaded.get("status")) + result.stderr)
    all_volumes = osc_json(["volume", "list", "--all-projects"], admin) or []
    check("admin volume list --all-projects sees demo's", len(all_volumes) == 3, str(all_volumes))
    own = osc_json(["volume", "list", "--all-projects"], demo) or []
    check("a member's --all-projects shows only its own", {v["Name"] for v in own} == {"vol1", "vol-image", "vol-copy"},
          str(own))
    quota = osc_json(["quota", "show", "--usage", "demo"], admin) or []
    check("quota show --usage counts volumes and gigabytes", "volumes" in json.dumps(quota), str(quota)[:300])
    attach_steps(admin, demo)
    run(OPENSTACK, ["volume", "snapshot", "delete", "snap1"], demo)
    deadline = time.time() + 30
    while time.time() < deadline and osc_json(["volume", "snapshot", "list"], demo):
        time.sleep(0.2)
    result = run(OPENSTACK, ["volume", "delete", "vol1", "vol-image", "vol-copy"], demo)
    deadline = time.time() + 30
    while time.time() < deadline and osc_json(["volume", "list"], demo):
        time.sleep(0.2)
    check("volume snapshot delete and volume delete", result.returncode == 0 and osc_json(["volume", "list"], demo) == [],
          result.stderr)
    run(OPENSTACK, ["image", "delete", "from-volume"], demo)


def attach_steps(admin, demo):
    """Volumes on a server: openstackclient's server add/remove volume, novaclient's volume-attach and (an
    admin's) volume-update, which swaps the server's volume for another."""
    server = osc_json(["server", "create", "--flavor", "m1.tiny", "--image", "tiny-boot-sector", "--wait", "vol-vm"],
                      demo) or {}
    result = run(OPENSTACK, ["server", "add", "volume", "--device", "/dev/vdc", "vol-vm", "vol1"], demo)
    check("server add volume", result.returncode == 0 and volume_status("vol1", demo, "in-use") == "in-use",
          result.stderr)
    shown = osc_json(["volume", "show", "vol1"], demo) or {}
    attachments = shown.get("attachments") or [{}]
    check("volume show lists the server and device", attachments[0].get("server_id") == server.get("id")
          and attachments[0].get("device") == "/dev/vdc", str(attachments))
    listed = run(OPENSTACK, ["server", "volume", "list", "vol-vm"], demo)
    check("server volume list", result.returncode == 0 and shown.get("id", "none") in listed.stdout, listed.stderr)
    result = run(OPENSTACK, ["server", "remove", "volume", "vol-vm", "vol1"], demo)
    check("server remove volume", result.returncode == 0 and volume_status("vol1", demo, "available") == "available",
          result.stderr)
    result = run(NOVA, ["volume-attach", "vol-vm", shown.get("id", "none")], demo)
    check("nova volume-attach", result.returncode == 0 and volume_status("vol1", demo, "in-use") == "in-use"
          and "/dev/vdb" in result.stdout, result.stdout + result.stderr)
    spare = osc_json(["volume", "create", "--size", "1", "vol-spare"], demo) or {}
    volume_status("vol-spare", demo, "available")
    result = run(NOVA, ["volume-update", server.get("id", "none"), shown.get("id", "none"), spare.get("id", "none")],
                 admin)
    check("nova volume-update swaps the server's volume for another (admin)", result.returncode == 0
          and volume_status("vol-spare", demo, "in-use") == "in-use"
          and volume_status("vol1", demo, "available") == "available", result.stdout + result.stderr)
    result = run(OPENSTACK, ["server", "delete", "--wait", "vol-vm"], demo)
    check("deleting the server detaches its volume", result.returncode == 0
          and volume_status("vol-spare", demo, "available") == "available", result.stderr)
    run(OPENSTACK, ["volume", "delete", "vol-spare"], demo)
    boot_from_volume_steps(demo)


def boot_from_volume_steps(demo):
    """Servers booted from volumes: openstackclient's --boot-from-volume (the build makes the root volume of the
    image) and --volume (an existing one), and novaclient's --block-device for a blank volume that goes with its
    server. One server at a time (the demo project's instance quota)."""
    server = osc_json(["server", "create", "--flavor", "m1.tiny", "--image", "tiny-boot-sector",
                       "--boot-from-volume", "1", "--wait", "bfv-vm"], demo) or {}
    roots = [v for v in osc_json(["volume", "list", "--long"], demo) or [] if v.get("Status") == "in-use"
             and v.get("Name") not in ("vol1",)]
    check("server create --boot-from-volume 1: ACTIVE on a root volume made of the image",
          server.get("status") == "ACTIVE" and "booted from volume" in str(server.get("image"))
          and len(roots) == 1 and str(roots[0].get("Bootable")).lower() == "true", f"{server.get('status')} {roots}")
    root = (roots or [{}])[0].get("ID", "none")
    imaged = osc_json(["server", "image", "create", "--name", "bfv-snap", "--wait", "bfv-vm"], demo) or {}
    snapshots = [snapshot for snapshot in osc_json(["volume", "snapshot", "list"], demo) or []
                 if snapshot.get("Name") == "snapshot for bfv-snap"]
    check("server image create of it: an image naming a snapshot of its root volume",
          imaged.get("status") == "active" and len(snapshots) == 1, f"{imaged} {snapshots}")
    result = run(OPENSTACK, ["server", "delete", "--wait", "bfv-vm"], demo)
    check("its root volume outlives it", result.returncode == 0
          and volume_status(root, demo, "available") == "available", result.stderr)
    server = osc_json(["server", "create", "--flavor", "m1.tiny", "--volume", root, "--wait", "bfv-vm2"], demo) or {}
    check("server create --volume boots from the existing volume", server.get("status") == "ACTIVE"
          and volume_status(root, demo, "in-use") == "in-use", str(server.get("status")))
    first = host_of_server("bfv-vm2", demo)
    result = run(OPENSTACK, ["server", "resize", "--flavor", "m1.small", "--wait", "bfv-vm2"], demo)
    run(OPENSTACK, ["server", "resize", "confirm", "bfv-vm2"], demo)
    check("a volume-backed server resizes (to the other host) with its root volume",
          result.returncode == 0 and wait_status("bfv-vm2", "ACTIVE", demo)
          and volume_status(root, demo, "in-use") == "in-use", result.stderr)
    result = run(OPENSTACK, ["server", "shelve", "bfv-vm2"], demo)
    check("server shelve of it offloads it at once, its volume kept reserved",
          result.returncode == 0 and wait_status("bfv-vm2", "SHELVED_OFFLOADED", demo)
          and volume_status(root, demo, "reserved") == "reserved", result.stderr)
    result = run(OPENSTACK, ["server", "unshelve", "--wait", "bfv-vm2"], demo)
    check("server unshelve boots it again from its volume", result.returncode == 0
          and wait_status("bfv-vm2", "ACTIVE", demo) and volume_status(root, demo, "in-use") == "in-use",
          f"{first} {result.stderr}")
    run(OPENSTACK, ["server", "delete", "--wait", "bfv-vm2"], demo)
    volume_status(root, demo, "available")
    result = run(NOVA, ["boot", "--flavor", "m1.tiny", "--image", "tiny-boot-sector", "--block-device",
                        "source=blank,dest=volume,size=1,shutdown=remove", "--poll", "nova-bfv"], demo)
    blanks = [v for v in osc_json(["volume", "list"], demo) or [] if v.get("Name", "").endswith("-blank-vol")]
    check("nova boot --block-device source=blank,dest=volume: the build makes the blank volume",
          result.returncode == 0 and len(blanks) == 1 and blanks[0].get("Status") == "in-use",
          result.stdout[-300:] + result.stderr + str(blanks))
    run(OPENSTACK, ["server", "delete", "--wait", "nova-bfv"], demo)
    gone = wait_until(lambda: not [v for v in osc_json(["volume", "list"], demo) or []
                                   if v.get("Name", "").endswith("-blank-vol")])
    check("its delete deletes the blank volume (shutdown=remove)", gone)
    before = {volume.get("ID") for volume in osc_json(["volume", "list"], demo) or []}
    clone = osc_json(["server", "create", "--flavor", "m1.tiny", "--image", "bfv-snap", "--wait", "bfv-clone"],
                     demo) or {}
    attached = clone.get("volumes_attached") or []
    check("server create --image <that image> boots from a volume made of the snapshot",
          clone.get("status") == "ACTIVE" and len(attached) == 1, f"{clone.get('status')} {attached}")
    run(OPENSTACK, ["server", "delete", "--wait", "bfv-clone"], demo)
    for volume in osc_json(["volume", "list"], demo) or []:
        if volume.get("ID") not in before:
            volume_status(volume.get("ID"), demo, "available")
            run(OPENSTACK, ["volume", "delete", volume.get("ID")], demo)
    for snapshot in snapshots:
        run(OPENSTACK, ["volume", "snapshot", "delete", snapshot.get("ID")], demo)
    wait_until(lambda: not [snapshot for snapshot in osc_json(["volume", "snapshot", "list"], demo) or []
                            if snapshot.get("Name") == "snapshot for bfv-snap"], 30)
    run(OPENSTACK, ["image", "delete", "bfv-snap"], demo)
    run(OPENSTACK, ["volume", "delete", root], demo)


def server_port_steps(demo):
    """Servers get their ports from the networking service: --nic net-id and --nic port-id, port list --server,
    a floating IP on the server, and Nova's ports going with the server while the user's port stays. One
    server at a time: the demo project's instance quota is 2 by now, and vm1 is one."""
    created = osc_json(["server", "create", "--flavor", "m1.tiny", "--image", "tiny-boot-sector", "--nic",
                        "net-id=scenario-net,v4-fixed-ip=10.50.0.17", "--wait", "vm-net"], demo) or {}
    check("server create --nic net-id=...,v4-fixed-ip=... boots with that address",
          "10.50.0.17" in json.dumps(created.get("addresses")), str(created.get("addresses")))
    ports = osc_json(["port", "list", "--server", "vm-net"], demo) or []
    check("port list --server shows the server's port, ACTIVE",
          len(ports) == 1 and ports[0]["Status"] == "ACTIVE", str(ports))
    address = osc_json(["floating", "ip", "create", "public"], demo) or {}
    result = run(OPENSTACK, ["server", "add", "floating", "ip", "vm-net", address.get("floating_ip_address", "")], demo)
    mapped = osc_json(["floating", "ip", "show", address.get("id", "none")], demo) or {}
    check("server add floating ip maps it to the server's fixed IP",
          result.returncode == 0 and mapped.get("fixed_ip_address") == "10.50.0.17", str(mapped))
    fip = address.get("floating_ip_address", "none")
    shown = wait_until(lambda: fip in json.dumps((osc_json(["server", "show", "vm-net"], demo) or {}).get("addresses")))
    check("server show lists the floating IP in the server's addresses (network-changed)", shown, fip)
    interface_steps(demo)
    run(OPENSTACK, ["floating", "ip", "delete", address.get("id", "none")], demo)
    run(OPENSTACK, ["server", "delete", "--wait", "vm-net"], demo)
    left = osc_json(["port", "list", "--network", "scenario-net", "--device-owner", "compute:nova"], demo)
    check("server delete deletes the port Nova made", left == [], str(left))
    run(OPENSTACK, ["port", "create", "--network", "scenario-net", "scenario-nic"], demo)
    with_port = osc_json(["server", "create", "--flavor", "m1.tiny", "--image", "tiny-boot-sector", "--nic",
                          "port-id=scenario-nic", "--wait", "vm-port"], demo) or {}
    nic = osc_json(["port", "show", "scenario-nic"], demo) or {}
    check("server create --nic port-id=... binds the user's port to the server",
          nic.get("device_id") == with_port.get("id") and nic.get("status") == "ACTIVE", str(nic))
    run(OPENSTACK, ["server", "delete", "--wait", "vm-port"], demo)
    nic = osc_json(["port", "show", "scenario-nic"], demo) or {}
    check("server delete keeps the user's port, unbound", nic.get("device_id") == "" and nic.get("status") == "DOWN",
          str(nic))
    run(OPENSTACK, ["port", "delete", "scenario-nic"], demo)


def wait_until(condition, seconds=10):
    """Polls `condition` until it holds or `seconds` pass (what Nova learns from the networking service's events
    arrives shortly after the call that caused it)."""
    deadline = time.time() + seconds
    while time.time() < deadline:
        if condition():
            return True
        time.sleep(0.3)
    return False


def interface_steps(demo):
    """vm-net gets a second NIC and loses it again (server add/remove port, nova interface-list), and a security
    group is added and removed."""
    run(OPENSTACK, ["port", "create", "--network", "scenario-net", "scenario-extra"], demo)
    added = run(OPENSTACK, ["server", "add", "port", "vm-net", "scenario-extra"], demo)
    listed = run(NOVA, ["interface-list", "vm-net"], demo)
    extra = osc_json(["port", "show", "scenario-extra"], demo) or {}
    check("server add port attaches the user's port (nova interface-list shows both)",
          added.returncode == 0 and extra.get("id", "none") in listed.stdout and listed.stdout.count("ACTIVE") == 2,
          listed.stdout + listed.stderr)
    removed = run(OPENSTACK, ["server", "remove", "port", "vm-net", "scenario-extra"], demo)
    kept = wait_until(lambda: (osc_json(["port", "show", "scenario-extra"], demo) or {}).get("device_id") == "")
    check("server remove port detaches it and keeps the user's port", removed.returncode == 0 and kept)
    run(OPENSTACK, ["port", "delete", "scenario-extra"], demo)
    run(OPENSTACK, ["security", "group", "create", "scenario-web"], demo)
    run(OPENSTACK, ["server", "add", "security", "group", "vm-net", "scenario-web"], demo)
    groups = json.dumps((osc_json(["server", "show", "vm-net"], demo) or {}).get("security_groups"))
    check("server add security group puts the server's port in the group", "scenario-web" in groups, str(groups))
    run(OPENSTACK, ["server", "remove", "security", "group", "vm-net", "scenario-web"], demo)
    groups = json.dumps((osc_json(["server", "show", "vm-net"], demo) or {}).get("security_groups"))
    check("server remove security group takes it away again", "scenario-web" not in groups, str(groups))
    run(OPENSTACK, ["security", "group", "delete", "scenario-web"], demo)


def placement_steps(admin):
    """osc-placement from PyPI against our Placement: providers the compute hosts reported, their inventory,
    candidates, and a server's allocation."""
    providers = osc_json(["resource", "provider", "list"], admin) or []
    hosts = sorted(h["Hypervisor Hostname"] for h in osc_json(["hypervisor", "list"], admin) or [])
    check("resource provider list shows a provider per compute node",
          sorted(p["name"] for p in providers) == hosts and all(p["generation"] >= 1 for p in providers), str(providers))
    uuid = providers[0]["uuid"] if providers else "none"
    inventory = {i["resource_class"]: i for i in osc_json(["resource", "provider", "inventory", "list", uuid], admin) or []}
    check("resource provider inventory list has VCPU, MEMORY_MB and DISK_GB with Nova's ratios",
          set(inventory) == {"VCPU", "MEMORY_MB", "DISK_GB"} and inventory["VCPU"]["allocation_ratio"] == 4.0
          and inventory["MEMORY_MB"]["reserved"] == 512, str(inventory))
    traits = osc_json(["--os-placement-api-version", "1.6", "resource", "provider", "trait", "list", uuid], admin) or []
    check("the compute node's provider has COMPUTE_* traits", any(t["name"] == "COMPUTE_NODE" for t in traits), str(traits))
    candidates = osc_json(["--os-placement-api-version", "1.10", "allocation", "candidate", "list", "--resource", "VCPU=1"], admin) or []
    check("allocation candidate list --resource VCPU=1", len({c["resource provider"] for c in candidates}) == len(hosts), str(candidates))
    too_big = osc_json(["--os-placement-api-version", "1.10", "allocation", "candidate", "list", "--resource", "MEMORY_MB=99999999"], admin)
    check("no candidate for more memory than any host has", too_big == [], str(too_big))
    server = (osc_json(["server", "show", "vm-admin"], admin) or {}).get("id") or "none"
    held = osc_json(["--os-placement-api-version", "1.12", "resource", "provider", "allocation", "show", server], admin) or []
    check("a server's allocation is held in Placement on its host's provider",
          len(held) == 1 and held[0]["resources"] == {"VCPU": 1, "MEMORY_MB": 2048, "DISK_GB": 20}, str(held))


if __name__ == "__main__":
    sys.exit(main())
