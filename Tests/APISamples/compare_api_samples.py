#!/usr/bin/env python3
"""Golden samples: our Compute API's answers held against Nova's own api_samples, per microversion.

Nova documents every view it changes with a microversion in doc/api_samples/<api>/v2.N/*.json. This
downloads the genuine Nova source distribution from PyPI (once, into .build-samples/), starts `nova-server
all` (fake driver, two hosts) on a free loopback port, creates what the samples show (a server with a port,
metadata and tags in a group, a key pair, an aggregate, a cold migration, an interface, a task log...),
then asks each sample's request at that sample's microversion (as admin, or as the project's member where
Nova's sample is a member's view) and compares the two JSON documents' shapes: the same keys at every
level, the same kinds of values (string, number, boolean, object, list) where both have one. Values are not
compared (ids, times and addresses differ); null matches anything, as a field that is null here may hold a
value there. Lists: each of our elements against the sample element it resembles most. Objects keyed by
data (addresses by network, metadata, extra specs) compare their values' shapes only.

Prints one line per sample and `samples: N passed, M failed`; exits 1 when any differs.
Usage: NOVA_SERVER=.build/debug/nova-server python compare_api_samples.py
"""
import glob
import json
import os
import re
import signal
import socket
import subprocess
import sys
import tarfile
import tempfile
import time
import urllib.error
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SERVER = os.environ.get("NOVA_SERVER", os.path.join(ROOT, ".build", "debug", "nova-server"))
NOVA_VERSION = "34.0.0"
CACHE = os.path.join(ROOT, ".build-samples")
# Objects whose keys are data, not schema: only their values' shapes are compared.
OK = range(200, 300)
DATA_KEYED = {"addresses", "metadata", "extra_specs", "properties", "scheduler_hints", "stats", "cpu_info", "log"}
# The same by path: a zone's hosts by name, each with its services by name.
DATA_KEYED_PATHS = {"/availabilityZoneInfo[]/hosts", "/availabilityZoneInfo[]/hosts/*"}
# Keys that carry a device's name (the legacy diagnostics' counters per CPU, NIC and disk): compared
# without it, as the devices are data.
DEVICE_KEY = re.compile(r"^(cpu\d+|vnet\d+|vd[a-z]+)_")


def normalized(document):
    if isinstance(document, dict):
        return {DEVICE_KEY.sub(lambda m: re.sub(r"\d+$|(?<=^vd)[a-z]+$", "#", m.group(1)) + "_", key):
                normalized(value) for key, value in document.items()}
    if isinstance(document, list):
        return [normalized(value) for value in document]
    return document

from samples_table import SAMPLES  # noqa: E402  (the table is long; it lives beside this file)


def nova_samples():
    """doc/api_samples of the genuine Nova release, from its PyPI source distribution."""
    target = os.path.join(CACHE, f"nova-{NOVA_VERSION}", "doc", "api_samples")
    if os.path.isdir(target):
        return target
    os.makedirs(CACHE, exist_ok=True)
    subprocess.run([sys.executable, "-m", "pip", "download", "-q", f"nova=={NOVA_VERSION}", "--no-deps",
                    "--no-binary", ":all:", "-d", CACHE], check=True)
    archive = glob.glob(os.path.join(CACHE, f"nova-{NOVA_VERSION}.tar.gz"))[0]
    with tarfile.open(archive) as tar:
        members = [m for m in tar.getmembers() if "/doc/api_samples/" in m.name]
        tar.extractall(CACHE, members=members, filter="data")
    return target


def kind(value):
    if value is None:
        return None
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    return "object" if isinstance(value, dict) else "list"


def differences(ours, theirs, path="", data_keyed=False):
    """Where our document's shape departs from the sample's, as readable lines."""
    if ours is None or theirs is None:
        return []
    if kind(ours) != kind(theirs):
        return [f"{path or '/'}: {kind(ours)} here, {kind(theirs)} in Nova's sample"]
    if isinstance(ours, dict):
        if data_keyed:
            if not ours or not theirs:
                return []
            inner = path + "/*"
            return differences(next(iter(ours.values())), next(iter(theirs.values())), inner,
                               inner in DATA_KEYED_PATHS)
        found = []
        for key in sorted(set(theirs) - set(ours)):
            found.append(f"{path}/{key}: missing here")
        for key in sorted(set(ours) - set(theirs)):
            found.append(f"{path}/{key}: not in Nova's sample")
        for key in sorted(set(ours) & set(theirs)):
            child = f"{path}/{key}"
            found += differences(ours[key], theirs[key], child, key in DATA_KEYED or child in DATA_KEYED_PATHS)
        return found
    if isinstance(ours, list):
        # A document's own collection must have something to compare: an empty one compares nothing.
        if not ours and theirs and path.count("/") == 1:
            return [f"{path}: empty here, so nothing was compared"]
        if not ours or not theirs:
            return []
        found = []
        for element in ours:
            found += min((differences(element, sample, path + "[]") for sample in theirs), key=len)
        return sorted(set(found))
    return []


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Cloud:
    def __init__(self):
        self.data = tempfile.mkdtemp(prefix="nova-samples-")
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.process = subprocess.Popen(
            [SERVER, "all", "--data-dir", self.data, "--listen", f"127.0.0.1:{self.port}",
             "--admin-password", "samples", "--fake-hosts", "2", "--novncproxy-port", str(free_port()),
             "--rawvncproxy-port", str(free_port())],
            stdout=open(os.path.join(self.data, "server.log"), "w"), stderr=subprocess.STDOUT)

    def stop(self):
        self.process.send_signal(signal.SIGINT)
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()

    def call(self, method, path, token=None, version=None, body=None, expect=None):
        request = urllib.request.Request(self.base + path, method=method,
                                         data=None if body is None else json.dumps(body).encode())
        request.add_header("Content-Type", "application/json")
        request.add_header("Accept", "application/json")
        if token:
            request.add_header("X-Auth-Token", token)
        if version:
            request.add_header("OpenStack-API-Version", f"compute {version}")
            request.add_header("X-OpenStack-Nova-API-Version", version)
        try:
            with urllib.request.urlopen(request, timeout=30) as reply:
                status, headers, text = reply.status, reply.headers, reply.read().decode()
        except urllib.error.HTTPError as error:
            status, headers, text = error.code, error.headers, error.read().decode()
        if expect and status not in expect:
            raise RuntimeError(f"{method} {path}: {status} {text[:300]}")
        return status, headers, (json.loads(text) if text.strip() else None)

    def token(self, user, password, project):
        body = {"auth": {"identity": {"methods": ["password"], "password": {"user": {
            "name": user, "domain": {"id": "default"}, "password": password}}},
            "scope": {"project": {"name": project, "domain": {"id": "default"}}}}}
        _, headers, reply = self.call("POST", "/identity/v3/auth/tokens", body=body, expect=OK)
        return headers["X-Subject-Token"], reply["token"]


def wait(cloud, token, server, status):
    for _ in range(200):
        _, _, reply = cloud.call("GET", f"/compute/v2.1/servers/{server}", token, expect=OK)
        if reply["server"]["status"] == status and reply["server"].get("OS-EXT-STS:task_state") is None:
            return reply["server"]
        time.sleep(0.1)
    raise RuntimeError(f"server {server} did not reach {status}")


def prepare(cloud):
    """What the samples show, made through the API; returns the names the sample requests use."""
    for _ in range(200):
        try:
            admin, admin_info = cloud.token("admin", "samples", "admin")
            break
        except (urllib.error.URLError, ConnectionError, RuntimeError):
            time.sleep(0.1)
    with open(os.path.join(cloud.data, "demo-openrc.sh")) as f:
        demo_password = next(line.split("=", 1)[1].strip().strip("'\"") for line in f
                             if "OS_PASSWORD=" in line)
    member, member_info = cloud.token("demo", demo_password, "demo")
    compute = "/compute/v2.1"
    for _ in range(200):
        _, _, hypervisors = cloud.call("GET", compute + "/os-hypervisors", admin, expect=OK)
        if len(hypervisors["hypervisors"]) >= 2:
            break
        time.sleep(0.1)
    _, _, images = cloud.call("GET", "/image/v2/images?name=tiny-boot-sector", member, expect=OK)
    image = images["images"][0]["id"]
    for name in ("keypair-sample", "keypair-other"):
        cloud.call("POST", compute + "/os-keypairs", member, "2.10", {"keypair": {"name": name, "type": "ssh"}},
                   expect=OK)
    _, _, group = cloud.call("POST", compute + "/os-server-groups", member, "2.64",
                             {"server_group": {"name": "group-sample", "policy": "anti-affinity",
                                               "rules": {"max_server_per_host": 3}}},
                             expect=OK)
    _, _, created = cloud.call(
        "POST", compute + "/servers", member, "2.90",
        {"server": {"name": "new-server-test", "imageRef": image, "flavorRef": "1", "networks": "auto",
                    "metadata": {"My Server Name": "Apache1"}, "key_name": "keypair-sample",
                    "tags": ["tag1"], "description": "sample", "accessIPv4": "1.2.3.4"},
         "os:scheduler_hints": {"group": group["server_group"]["id"]}}, expect=OK)
    server = created["server"]["id"]
    wait(cloud, member, server, "ACTIVE")
    # A second server, so that lists of one item a page have a next page.
    _, _, other = cloud.call("POST", compute + "/servers", member, None,
                             {"server": {"name": "other", "imageRef": image, "flavorRef": "1"}}, expect=OK)
    wait(cloud, member, other["server"]["id"], "ACTIVE")
    # A cold migration, confirmed: a finished migration and instance actions with events.
    cloud.call("POST", f"{compute}/servers/{server}/action", admin, None, {"migrate": None}, expect=OK)
    wait(cloud, admin, server, "VERIFY_RESIZE")
    cloud.call("POST", f"{compute}/servers/{server}/action", admin, None, {"confirmResize": None}, expect=OK)
    wait(cloud, admin, server, "ACTIVE")
    # A volume attached to the server.
    _, _, volume = cloud.call("POST", "/volume/v3/volumes", member, None, {"volume": {"size": 1, "name": "v"}},
                              expect=OK)
    volume_id = volume["volume"]["id"]
    for _ in range(200):
        _, _, shown = cloud.call("GET", f"/volume/v3/volumes/{volume_id}", member, expect=OK)
        if shown["volume"]["status"] == "available":
            break
        time.sleep(0.1)
    cloud.call("POST", f"{compute}/servers/{server}/os-volume_attachments", member, "2.79",
               {"volumeAttachment": {"volumeId": volume_id, "tag": "sample"}}, expect=OK)
    for _ in range(200):
        _, _, shown = cloud.call("GET", f"/volume/v3/volumes/{volume_id}", member, expect=OK)
        if shown["volume"]["status"] == "in-use":
            break
        time.sleep(0.1)
    _, _, aggregate = cloud.call("POST", compute + "/os-aggregates", admin, "2.81",
                                 {"aggregate": {"name": "aggregate-sample", "availability_zone": "nova"}},
                                 expect=OK)
    aggregate_id = aggregate["aggregate"]["id"]
    _, _, hosts = cloud.call("GET", compute + "/os-services?binary=nova-compute", admin, expect=OK)
    host = hosts["services"][0]["host"]
    cloud.call("POST", f"{compute}/os-aggregates/{aggregate_id}/action", admin, None,
               {"add_host": {"host": host}}, expect=OK)
    cloud.call("POST", f"{compute}/os-aggregates/{aggregate_id}/action", admin, None,
               {"set_metadata": {"metadata": {"key": "value"}}}, expect=OK)
    _, _, private = cloud.call("POST", compute + "/flavors", admin, None,
                               {"flavor": {"name": "private-sample", "ram": 64, "vcpus": 1, "disk": 1,
                                           "os-flavor-access:is_public": False}}, expect=OK)
    cloud.call("POST", f"{compute}/flavors/{private['flavor']['id']}/action", admin, None,
               {"addTenantAccess": {"tenant": member_info["project"]["id"]}}, expect=OK)
    _, _, actions = cloud.call("GET", f"{compute}/servers/{server}/os-instance-actions", admin,
                               expect=OK)
    _, _, interfaces = cloud.call("GET", f"{compute}/servers/{server}/os-interface", admin, expect=OK)
    _, _, ips = cloud.call("GET", f"{compute}/servers/{server}/ips", admin, expect=OK)
    _, _, listed = cloud.call("GET", compute + "/os-hypervisors", admin, "2.53", expect=OK)
    _, _, console = cloud.call("POST", f"{compute}/servers/{server}/remote-consoles", member, "2.6",
                               {"remote_console": {"protocol": "vnc", "type": "novnc"}}, expect=OK)
    token = console["remote_console"]["url"].split("%3D")[-1]
    return {
        "admin": admin, "member": member, "server": server, "image": image,
        "project": member_info["project"]["id"], "user": member_info["user"]["id"],
        "group": group["server_group"]["id"], "aggregate": aggregate_id, "host": host,
        "request": actions["instanceActions"][0]["request_id"],
        "port": interfaces["interfaceAttachments"][0]["port_id"], "network": next(iter(ips["addresses"])),
        "hypervisor_uuid": listed["hypervisors"][0]["id"], "hypervisor_name": listed["hypervisors"][0]["hypervisor_hostname"],
        "console_token": token, "volume": volume_id, "private_flavor": private["flavor"]["id"],
    }


def main():
    samples = nova_samples()
    cloud = Cloud()
    passed = failed = 0
    try:
        names = prepare(cloud)
        for sample, method, path, version, who, body in SAMPLES:
            file = os.path.join(samples, sample)
            if not os.path.exists(file):
                failed += 1
                print(f"FAIL {sample}: Nova {NOVA_VERSION} has no such sample")
                continue
            with open(file) as f:
                theirs = json.load(f)
            # A sample of one page of a longer list: our list is asked one item a page too.
            if any(key.endswith("_links") for key in theirs) and "limit=" not in path:
                path += ("&" if "?" in path else "?") + "limit=1"
            if who == "auto":
                who = "admin" if '"OS-EXT-SRV-ATTR:host"' in json.dumps(theirs) else "member"
            token = names["admin"] if who == "admin" else names["member"]
            # An admin's list of servers is of every project's, as Nova's samples were made.
            if who == "admin" and path.startswith("/compute/v2.1/servers") and sample.split("/")[-1].startswith(
                    "servers-"):
                path += ("&" if "?" in path else "?") + "all_tenants=1"
            status, _, ours = cloud.call(method, path.format(**names), token, version,
                                         None if body is None else json.loads(json.dumps(body).replace(
                                             "{image}", names["image"]).replace("{n}", str(passed + failed))))
            if body and "rebuild" in body and status < 300:
                wait(cloud, token, names["server"], "ACTIVE")  # the next rebuild waits for this one
            found = [f"{method} {path.format(**names)} answered {status}"] if status >= 300 else differences(
                normalized(ours), normalized(theirs))
            if found:
                failed += 1
                print(f"FAIL {sample} ({version})")
                for line in found[:12]:
                    print(f"       {line}")
            else:
                passed += 1
                print(f"ok   {sample} ({version})")
    finally:
        cloud.stop()
    print(f"samples: {passed} passed, {failed} failed (Nova {NOVA_VERSION}'s doc/api_samples)")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
