#!/usr/bin/env python3
"""This cloud with the genuine Keystone and Glance as its identity and image services.

Starts the genuine Keystone and Glance from PyPI (scripts/genuine-keystone-glance.sh: uWSGI on loopback, SQLite,
a file store), registers this cloud's compute, placement, networking and block-storage endpoints in that
Keystone, and starts `nova-server all` with `[keystone_authtoken]` and `[glance] api_servers` pointing at them and
the QEMU driver. Then the real openstackclient, with tokens from the genuine Keystone: a member's network, a
real guest booted from an image in the genuine Glance, its console log and console URL, a snapshot uploaded to
Glance, stop and start, isolation from another project, a revoked token refused once the cache time has passed,
and delete. Everything is stopped by its PID. Prints one line per check and `N passed, M failed` last.

  GENUINE_VENV (a venv with keystone, glance and uwsgi), NOVA_SERVER, GUEST_IMAGE.
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

import boto3
import botocore.exceptions
from scale_out import free_port

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SERVER = os.environ.get("NOVA_SERVER", os.path.join(ROOT, ".build", "debug", "nova-server"))
OPENSTACK = os.path.join(ROOT, ".venv", "bin", "openstack")
GENUINE_VENV = os.environ.get("GENUINE_VENV", os.path.join(ROOT, ".venv-genuine"))
GUEST_IMAGE = os.environ.get("GUEST_IMAGE", os.path.join(ROOT, ".build-guest", "nova-guest.qcow2"))
SCRIPT = os.path.join(ROOT, "scripts", "genuine-keystone-glance.sh")
PASSWORD = "genuine-secret"
CACHE_TIME = 4

passed = 0
failed = 0


def check(name, condition, detail=""):
    global passed, failed
    if condition:
        passed += 1
        print(f"ok   {name}", flush=True)
    else:
        failed += 1
        print(f"FAIL {name} {detail}", flush=True)


def wait_until(condition, timeout=120, interval=1):
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(interval)
    return None


class Genuine:
    def __init__(self, work):
        self.work = work
        self.keystone_port, self.glance_port, self.nova_port = free_port(), free_port(), free_port()
        self.novnc_port, self.raw_port = free_port(), free_port()
        self.keystone = f"http://127.0.0.1:{self.keystone_port}"
        self.glance = f"http://127.0.0.1:{self.glance_port}"
        self.nova = f"http://127.0.0.1:{self.nova_port}"
        self.server = None
        self.services_dir = os.path.join(work, "services")

    def env(self, user="admin", project="admin", password=PASSWORD):
        env = {k: v for k, v in os.environ.items() if not k.startswith("OS_")}
        env.update(OS_AUTH_URL=self.keystone + "/v3", OS_USERNAME=user, OS_PASSWORD=password,
                   OS_PROJECT_NAME=project, OS_USER_DOMAIN_NAME="Default", OS_PROJECT_DOMAIN_NAME="Default",
                   OS_IDENTITY_API_VERSION="3", OS_INTERFACE="public")
        return env

    def osc(self, *args, env=None, check_rc=True, timeout=300):
        result = subprocess.run([OPENSTACK, *args], env=env or self.env(), capture_output=True, text=True,
                                timeout=timeout)
        if check_rc and result.returncode != 0:
            raise RuntimeError(f"openstack {' '.join(args)}: {result.stderr.strip()}")
        return result

    def json(self, *args, env=None):
        return json.loads(self.osc(*args, "-f", "json", env=env).stdout)

    def start_services(self):
        subprocess.run([SCRIPT, "start", GENUINE_VENV, self.services_dir, str(self.keystone_port),
                        str(self.glance_port)], check=True, timeout=180)

    def register_endpoints(self):
        """This cloud's APIs in the genuine catalog, as an operator registers Nova, Placement, Neutron, Cinder."""
        for kind, name, path in [("compute", "nova", "/compute/v2.1"), ("placement", "placement", "/placement"),
                                 ("network", "neutron", "/networking"),
                                 ("block-storage", "cinder", "/volume/v3/$(project_id)s")]:
            service = self.json("service", "create", "--name", name, kind)["id"]
            for interface in ["public", "internal", "admin"]:
                self.osc("endpoint", "create", "--region", "RegionOne", service, interface, self.nova + path)

    def start_nova(self):
        data = os.path.join(self.work, "nova")
        os.makedirs(data)
        self.config = config = os.path.join(self.work, "nova.conf")
        with open(config, "w") as conf:
            conf.write(f"""[keystone_authtoken]
www_authenticate_uri = {self.keystone}
auth_url = {self.keystone}
auth_type = password
username = nova
password = {PASSWORD}
project_name = service
user_domain_name = Default
project_domain_name = Default
token_cache_time = {CACHE_TIME}
[glance]
api_servers = {self.glance}
""")
        self.log = open(os.path.join(self.work, "nova-server.log"), "w")
        self.server = subprocess.Popen(
            [SERVER, "all", "--config", config, "--data-dir", data, "--listen", f"127.0.0.1:{self.nova_port}",
             "--novncproxy-port", str(self.novnc_port), "--rawvncproxy-port", str(self.raw_port),
             "--compute-driver", "qemu", "--log-level", "warning"],
            stdout=self.log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)

        def answers():
            try:
                urllib.request.urlopen(self.nova + "/compute", timeout=2)
                return True
            except urllib.error.HTTPError:
                return True
            except OSError:
                return False
        if not wait_until(answers, timeout=60, interval=0.2):
            raise RuntimeError("nova-server did not start")

    def close(self):
        if self.server:
            self.server.terminate()
            try:
                self.server.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.server.kill()
                self.server.wait()
        if failed:
            for service in ["keystone", "glance"]:
                log = os.path.join(self.services_dir, service, "uwsgi.log")
                if os.path.exists(log):
                    shutil.copy(log, os.path.join(self.work, f"{service}.log"))
        subprocess.run([SCRIPT, "stop", self.services_dir], timeout=60)


def status_code(url, token):
    request = urllib.request.Request(url, headers={"X-Auth-Token": token})
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:
            return answer.status, dict(answer.headers)
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers)


def scenario(cloud):
    # The genuine Keystone: a member of a project of its own, and another project's member.
    admin = cloud.env()
    for project, user in [("demo", "demo"), ("other", "other")]:
        cloud.osc("project", "create", "--domain", "default", project)
        cloud.osc("user", "create", "--domain", "default", "--password", PASSWORD, user)
        cloud.osc("role", "add", "--project", project, "--user", user, "member")
    demo, other = cloud.env("demo", "demo"), cloud.env("other", "other")

    flavors = [f["Name"] for f in cloud.json("flavor", "list", env=demo)]
    check("a token of the genuine Keystone lists this cloud's flavors", "m1.tiny" in flavors, flavors)
    demo_token = cloud.osc("token", "issue", "-f", "value", "-c", "id", env=demo).stdout.strip()
    check("this cloud's own identity API is off", status_code(cloud.nova + "/identity/v3", demo_token)[0] == 404)
    check("and its own image API", status_code(cloud.nova + "/image/v2/images", demo_token)[0] == 404)

    image = cloud.json("image", "create", "--disk-format", "qcow2", "--container-format", "bare", "--file",
                       GUEST_IMAGE, "--public", "guest")
    check("the guest image is in the genuine Glance", image.get("status") == "active", image)

    network = cloud.json("network", "create", "demo-net", env=demo)
    cloud.osc("subnet", "create", "--network", "demo-net", "--subnet-range", "10.20.0.0/24", "demo-subnet",
              env=demo)
    check("the member's network, with a Keystone token", network.get("name") == "demo-net", network)

    server = cloud.json("server", "create", "--image", "guest", "--flavor", "m1.tiny", "--network", "demo-net",
                        "--wait", "vm1", env=demo)
    check("a real guest boots from the Glance image", server.get("status") == "ACTIVE", server)
    booted = wait_until(lambda: "NOVA-GUEST-BOOTED" in cloud.osc("console", "log", "show", "vm1", env=demo).stdout,
                        timeout=120, interval=2)
    check("its console log shows the guest's kernel", booted)
    url = cloud.json("console", "url", "show", "vm1", env=demo).get("url", "")
    check("a console URL on this cloud's noVNC proxy", f":{cloud.novnc_port}/" in url, url)

    others = cloud.json("server", "list", env=other)
    check("another project's member sees none of it", others == [], others)
    shown = cloud.osc("server", "show", "vm1", env=other, check_rc=False)
    check("nor finds it by name", shown.returncode != 0)

    snapshot = cloud.json("server", "image", "create", "--name", "vm1-snap", "--wait", "vm1", env=demo)
    check("the snapshot is active in the genuine Glance", snapshot.get("status") == "active", snapshot)
    in_glance = cloud.json("image", "show", "vm1-snap", env=demo)
    properties = in_glance.get("properties", {})
    check("owned by the member's project, with the server's uuid",
          in_glance.get("owner") == cloud.json("project", "show", "demo")["id"]
          and properties.get("instance_uuid") == server["id"] and in_glance.get("disk_format") == "qcow2",
          in_glance)
    check("with the disk's data", (in_glance.get("size") or 0) > 1 << 20, in_glance.get("size"))
    hidden = cloud.osc("image", "show", "vm1-snap", env=other, check_rc=False)
    check("which the other project cannot see (Glance's own policy)", hidden.returncode != 0)

    cloud.osc("server", "backup", "create", "--type", "daily", "--rotate", "1", "--name", "vm1-daily", "--wait",
              "vm1", env=demo)
    backups = cloud.json("image", "list", "--property", "image_type=backup", env=demo)
    check("a backup into the genuine Glance", [b["Name"] for b in backups] == ["vm1-daily"], backups)

    shelved = cloud.osc("server", "shelve", "--wait", "vm1", env=demo, check_rc=False)
    check("shelve: the disk goes to Glance and the guest off its host",
          shelved.returncode == 0 and cloud.json("server", "show", "vm1", env=demo)["status"] == "SHELVED_OFFLOADED"
          and cloud.json("image", "list", "--name", "vm1-shelved", env=demo) != [], shelved.stderr)
    unshelved = cloud.osc("server", "unshelve", "--wait", "vm1", env=demo, check_rc=False)
    check("unshelve: back from Glance, the shelved image deleted there",
          unshelved.returncode == 0 and cloud.json("server", "show", "vm1", env=demo)["status"] == "ACTIVE"
          and wait_until(lambda: cloud.json("image", "list", "--name", "vm1-shelved", env=demo) == [], timeout=30),
          unshelved.stderr)
    rebooted = wait_until(lambda: cloud.osc("console", "log", "show", "vm1", env=demo).stdout.count(
        "NOVA-GUEST-BOOTED") >= 1, timeout=120, interval=2)
    check("the unshelved guest's console shows its kernel", rebooted)

    volume = cloud.json("volume", "create", "--image", "guest", "--size", "1", "vol1", env=demo)
    available = wait_until(lambda: cloud.json("volume", "show", "vol1", env=demo)["status"] in ["available", "error"])
    check("a volume from the Glance image", available and cloud.json("volume", "show", "vol1", env=demo)["status"]
          == "available", volume)
    cloud.osc("volume", "delete", "vol1", env=demo)

    cloud.osc("server", "stop", "vm1", env=demo)
    stopped = wait_until(lambda: cloud.json("server", "show", "vm1", env=demo)["status"] == "SHUTOFF")
    check("stop", stopped)
    cloud.osc("server", "start", "vm1", env=demo)
    started = wait_until(lambda: cloud.json("server", "show", "vm1", env=demo)["status"] == "ACTIVE")
    check("start", started)

    token = cloud.osc("token", "issue", "-f", "value", "-c", "id", env=demo).stdout.strip()
    first, _ = status_code(cloud.nova + "/compute/v2.1/servers", token)
    check("a token of the genuine Keystone is accepted", first == 200, first)
    cloud.osc("token", "revoke", token, env=demo)
    time.sleep(CACHE_TIME + 1)
    refused, headers = status_code(cloud.nova + "/compute/v2.1/servers", token)
    check("revoked, it is refused once the cache time has passed", refused == 401, refused)
    check("with where to authenticate", headers.get("WWW-Authenticate") == f'Keystone uri="{cloud.keystone}"',
          headers.get("WWW-Authenticate"))

    # The EC2 API with a key pair of the genuine Keystone: its ec2tokens checks the signature.
    pair = cloud.json("ec2", "credentials", "create", env=demo)
    ec2 = boto3.client("ec2", endpoint_url=cloud.nova + "/ec2", region_name="RegionOne",
                       aws_access_key_id=pair["access"], aws_secret_access_key=pair["secret"])
    described = ec2.describe_instances()["Reservations"]
    check("EC2: the genuine Keystone's ec2tokens checks a boto3 signature",
          [i["State"]["Name"] for r in described for i in r["Instances"]] == ["running"], str(described)[:300])
    guest = ec2.describe_images(Filters=[{"Name": "name", "Values": ["guest"]}])["Images"]
    check("EC2: the genuine Glance's images", len(guest) == 1 and guest[0]["State"] == "available", str(guest))
    try:
        boto3.client("ec2", endpoint_url=cloud.nova + "/ec2", region_name="RegionOne",
                     aws_access_key_id=pair["access"], aws_secret_access_key="wrong").describe_regions()
        check("EC2: a wrong secret is refused by the genuine Keystone", False)
    except botocore.exceptions.ClientError as error:
        check("EC2: a wrong secret is refused by the genuine Keystone",
              error.response["Error"]["Code"] in ("AuthFailure", "SignatureDoesNotMatch"), str(error.response))
    cloud.osc("ec2", "credentials", "delete", pair["access"], env=demo)

    cloud.osc("server", "delete", "--wait", "vm1", env=demo)
    check("delete", cloud.json("server", "list", env=demo) == [])
    cloud.osc("image", "delete", "vm1-snap", "vm1-daily", env=demo)

    # A service in its own process reads the same section: Placement alone validates with the genuine Keystone.
    placement_port = free_port()
    log = open(os.path.join(cloud.work, "placement.log"), "w")
    placement = subprocess.Popen(
        [SERVER, "placement", "--config", cloud.config, "--data-dir", os.path.join(cloud.work, "nova"),
         "--listen", f"127.0.0.1:{placement_port}", "--log-level", "warning"],
        stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    try:
        url = f"http://127.0.0.1:{placement_port}/resource_providers"
        admin_token = cloud.osc("token", "issue", "-f", "value", "-c", "id").stdout.strip()
        answered = wait_until(lambda: status_code(url, admin_token)[0] == 200, timeout=30, interval=0.2)
        check("nova-server placement alone takes the genuine Keystone's tokens", answered)
        check("and refuses others", status_code(url, "not-a-token")[0] == 401)
    finally:
        placement.terminate()
        placement.wait(timeout=30)


def main():
    for path in [os.path.join(GENUINE_VENV, "bin", "uwsgi"), GUEST_IMAGE, SERVER]:
        if not os.path.exists(path):
            print(f"missing {path}")
            return 1
    work = tempfile.mkdtemp(prefix="nova-genuine-")
    cloud = Genuine(work)
    try:
        cloud.start_services()
        cloud.register_endpoints()
        cloud.start_nova()
        scenario(cloud)
    except Exception as error:
        check("the scenario runs", False, repr(error))
    finally:
        cloud.close()
        if failed == 0:
            shutil.rmtree(work, ignore_errors=True)
        else:
            print(f"     kept {work} (its logs) for inspection")
    print(f"{passed} passed, {failed} failed")
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
