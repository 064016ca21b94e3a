#!/usr/bin/env python3
"""Tempest's compute API tests (tempest.api.compute, Tempest from PyPI, unchanged) against the all-in-one.

Starts `nova-server all` with two fake compute hosts on a free loopback port, writes a tempest.conf for it
(dynamic credentials made with the cloud's admin, the cloud's own image and flavors, the features this
cloud has), runs the tests with two workers, prints passed/failed/skipped and the failures, and exits 1
when the pass rate of what ran is below --target or the server did not exit cleanly.

Tests/Tempest/tempest_skips.txt lists the tests not run, one regular expression per line, each with the
reason after a `#`.

    NOVA_SERVER=.build/debug/nova-server .venv-tempest/bin/python Tests/Tempest/run_tempest.py --target 95
"""
import argparse
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def read_openrc(path):
    env = {}
    with open(path) as f:
        for line in f:
            m = re.match(r"export (\w+)=(.*)", line.strip())
            if m:
                env[m.group(1)] = m.group(2).strip("'")
    return env


class Cloud:
    """The all-in-one, started and stopped by its PID."""

    def __init__(self, server, data_dir):
        self.server, self.data_dir = server, data_dir
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.process = None

    def start(self):
        config = os.path.join(self.data_dir, "nova.conf")
        with open(config, "w") as conf:
            # Resizes may land on the same host when the other is full or disabled, as Tempest expects of a
            # small cloud; fake live migrations end at once.
            conf.write("[DEFAULT]\nallow_resize_to_same_host = true\ninstance_usage_audit = true\n")
        args = [self.server, "all", "--data-dir", self.data_dir, "--listen", f"127.0.0.1:{self.port}",
                "--fake-hosts", "2", "--log-level", "warning", "--config", config,
                "--novncproxy-port", str(free_port()), "--rawvncproxy-port", str(free_port())]
        self.log = open(os.path.join(self.data_dir, "server.log"), "a")
        self.process = subprocess.Popen(args, stdout=self.log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                urllib.request.urlopen(self.base + "/identity/v3", timeout=1)
                return
            except Exception:
                if self.process.poll() is not None:
                    raise RuntimeError("nova-server exited during start")
                time.sleep(0.2)
        raise RuntimeError("nova-server did not answer within 60 s")

    def stop(self):
        """Stops the server; True when it exited cleanly."""
        if not self.process or self.process.poll() is not None:
            return self.process is not None and self.process.returncode == 0
        os.kill(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.kill(self.process.pid, signal.SIGKILL)
            self.process.wait()
            return False
        return self.process.returncode == 0


class Admin:
    """The cloud's admin over the REST APIs, to read what tempest.conf names."""

    def __init__(self, cloud, password):
        self.cloud = cloud
        body = {"auth": {
            "identity": {"methods": ["password"], "password": {"user": {
                "name": "admin", "domain": {"name": "Default"}, "password": password}}},
            "scope": {"project": {"name": "admin", "domain": {"name": "Default"}}}}}
        request = urllib.request.Request(cloud.base + "/identity/v3/auth/tokens", json.dumps(body).encode(),
                                         {"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=10) as answer:
            self.token = answer.headers["X-Subject-Token"]

    def get(self, path):
        request = urllib.request.Request(self.cloud.base + path, headers={"X-Auth-Token": self.token})
        with urllib.request.urlopen(request, timeout=10) as answer:
            return json.load(answer)


def tempest_conf(cloud, password, admin):
    images = [i for i in admin.get("/image/v2/images")["images"] if i.get("visibility") == "public"]
    flavors = sorted(admin.get("/compute/v2.1/flavors/detail")["flavors"], key=lambda f: (f["ram"], f["id"]))
    networks = admin.get("/networking/v2.0/networks")["networks"]
    public = [n for n in networks if n.get("router:external")]
    image, image_alt = images[0]["id"], images[-1]["id"]
    flavor, flavor_alt = flavors[0]["id"], flavors[1]["id"]
    identity = cloud.base + "/identity/v3"
    return f"""[DEFAULT]
log_file = tempest.log

[auth]
use_dynamic_credentials = true
admin_username = admin
admin_password = {password}
admin_project_name = admin
admin_domain_name = Default
default_credentials_domain_name = Default
create_isolated_networks = true

[identity]
uri_v3 = {identity}
auth_version = v3
region = RegionOne
disable_ssl_certificate_validation = true

[identity-feature-enabled]
api_v2 = false

[compute]
image_ref = {image}
image_ref_alt = {image_alt}
flavor_ref = {flavor}
flavor_ref_alt = {flavor_alt}
min_compute_nodes = 2
min_microversion = 2.1
max_microversion = latest
build_timeout = 60
endpoint_type = publicURL

[compute-feature-enabled]
resize = true
cold_migration = true
live_migration = true
block_migration_for_live_migration = true
console_output = true
vnc_console = true
spice_console = false
serial_console = false
rescue = true
shelve = true
shelve_migrate = false
snapshot = true
suspend = true
pause = true
change_password = true
personality = true
interface_attach = true
attach_encrypted_volume = false
config_drive = true
metadata_service = true
stable_rescue = false
hostname_fqdn_sanitization = true

[network]
public_network_id = {public[0]["id"] if public else ""}
floating_network_name = {public[0]["name"] if public else ""}
project_network_cidr = 10.100.0.0/16
project_network_mask_bits = 28

[network-feature-enabled]
ipv6 = false

[validation]
run_validation = false

[volume]
build_timeout = 60

[service_available]
nova = true
glance = true
neutron = true
cinder = true
swift = false
"""


TOTALS = re.compile(r"^ - (Passed|Skipped|Failed|Expected Fail|Unexpected Success): (\d+)", re.M)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--server", default=os.environ.get("NOVA_SERVER", "nova-server"))
    parser.add_argument("--target", type=float, default=0.0, help="least pass rate of what ran, in percent")
    parser.add_argument("--regex", default=r"^tempest\.api\.compute\.")
    parser.add_argument("--concurrency", type=int, default=2)
    parser.add_argument("--skips", default=os.path.join(HERE, "tempest_skips.txt"))
    parser.add_argument("--show", type=int, default=60, help="failures printed at most")
    parser.add_argument("--keep", action="store_true", help="keep the cloud's and Tempest's directories")
    args = parser.parse_args()
    tempest = os.path.join(os.path.dirname(sys.executable), "tempest")
    stestr = os.path.join(os.path.dirname(sys.executable), "stestr")

    work = tempfile.mkdtemp(prefix="nova-tempest-")
    cloud = Cloud(os.path.abspath(args.server), os.path.join(work, "cloud"))
    os.makedirs(cloud.data_dir)
    started = time.time()
    cloud.start()
    clean = False
    try:
        password = read_openrc(os.path.join(cloud.data_dir, "admin-openrc.sh"))["OS_PASSWORD"]
        workspace = os.path.join(work, "tempest")
        # A registry of our own: Tempest's default (~/.tempest) refuses a second workspace of the same name.
        registry = os.path.join(work, "workspaces.yaml")
        subprocess.run([tempest, "init", "--workspace-path", registry, "--name", os.path.basename(work), workspace],
                       check=True, capture_output=True)
        with open(os.path.join(workspace, "etc", "tempest.conf"), "w") as f:
            f.write(tempest_conf(cloud, password, Admin(cloud, password)))
        # Tempest's exclude list takes one regular expression per line; the reasons stay in our file.
        exclude = os.path.join(workspace, "exclude.txt")
        with open(args.skips) as source, open(exclude, "w") as out:
            for line in source:
                pattern = line.split("#", 1)[0].strip()
                if pattern:
                    out.write(pattern + "\n")
        run = subprocess.run(
            [tempest, "run", "--regex", args.regex, "--exclude-list", exclude, "--concurrency",
             str(args.concurrency)], cwd=workspace, capture_output=True, text=True, stdin=subprocess.DEVNULL)
        totals = {name: int(count) for name, count in TOTALS.findall(run.stdout)}
        failing = subprocess.run([stestr, "failing", "--list"], cwd=workspace, capture_output=True, text=True)
        failed_tests = sorted(set(re.findall(r"^(tempest\.\S+?)(?:\[.*\])?$", failing.stdout, re.M)))
        for test in failed_tests[:args.show]:
            print(f"FAIL {test}")
        if run.returncode not in (0, 1) or not totals:
            print(run.stdout[-4000:], run.stderr[-4000:])
    finally:
        clean = cloud.stop()
    passed, failed, skipped = totals.get("Passed", 0), totals.get("Failed", 0), totals.get("Skipped", 0)
    ran = passed + failed
    rate = 100.0 * passed / ran if ran else 0.0
    print(f"tempest compute API: {passed} passed, {failed} failed, {skipped} skipped: {rate:.1f}% "
          f"of what ran ({time.time() - started:.0f} s); server exited cleanly: {'yes' if clean else 'NO'}")
    ok = ran > 0 and rate >= args.target and clean
    if args.keep or not ok:
        print(f"kept {work} (tempest.log, the cloud's server.log)")
    else:
        shutil.rmtree(work, ignore_errors=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
