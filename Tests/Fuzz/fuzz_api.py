#!/usr/bin/env python3
"""Fuzz test: malformed and extreme requests to every write endpoint of every service of the all-in-one cloud.

Starts `nova-server all` (fake driver) on a free loopback port with a throwaway data directory, makes a few
resources to aim at (a server, a keypair, a server group, an image, a flavor, an aggregate, a resource provider),
then sends a bounded, seeded series of requests built from each endpoint's valid body with one to three parts made
hostile: numbers of 2^63 and beyond, 1e308, negative counts, NUL and control characters, long and empty strings,
path ids such as `..` and `a/b`, wrong types, bodies that are not JSON or over 1 MiB, odd microversions, stolen and
garbage tokens. Each goes out as the demo member or as the admin.

After every request it checks that the process still runs, that the answer is not 5xx, and that a refused request
(4xx) changed nothing stored: a digest of the database's tables (less the ones that move by themselves: heartbeats,
tokens) is the same before and after. Prints the request count, the status histogram and every violation, then
`N passed, M failed` (a request passes when all three hold). FUZZ_SEED, FUZZ_REQUESTS and FUZZ_SECONDS bound it.
"""
import collections
import copy
import hashlib
import hmac
import http.client
import json
import os
import random
import shutil
import sqlite3
import sys
import tempfile
import time
import urllib.parse

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "ClientScenario"))
from client_scenario import Cloud  # noqa: E402
from scale_out import free_port  # noqa: E402

SEED = int(os.environ.get("FUZZ_SEED", "17"))
REQUESTS = int(os.environ.get("FUZZ_REQUESTS", "4000"))
SECONDS = float(os.environ.get("FUZZ_SECONDS", "150"))
ADMIN_PASSWORD = "fuzz-admin"

# Tables whose rows change with no request: service heartbeats, tokens (issued and pruned as clients log in),
# the scheduler's host-state counter, console tokens that expire, and the compute hosts' own reports.
VOLATILE_TABLES = {"services", "tokens", "host_state", "schema_migrations", "console_auth_tokens", "compute_nodes"}


class Raw:
    """A JSON number written as given (1e308, 18446744073709551616), which Python's json would not write."""

    def __init__(self, text):
        self.text = text


EXTREME_VALUES = [
    Raw("1e308"), Raw("-1e308"), Raw("18446744073709551616"), Raw("9223372036854775807"), Raw("9223372036854775808"),
    Raw("-9223372036854775809"), Raw("1e19"), Raw("2147483648"), Raw("4611686018427387904"), Raw("1e999999"),
    Raw("-0.0"), Raw("0.5"), -1, 0, 1, 2 ** 31 - 1, -(2 ** 31),
    "", " ", "\u0000", "x\u0000y", "a\nb", "..", ".", "../../../tmp/x", "a/b", "%00", "\u202e\u0000", "\ud83d\udca5" * 300,
    "a" * 256, "a" * 5000, "1e308", "-1", "9223372036854775808", "null",
    None, True, False, [], {}, [None], {"": None}, [[[[[]]]]],
]

QUERY_VALUES = ["-1", "0", "1", "1e308", "99999999999999999999", "-99999999999999999999", "abc", "", "%00", "..",
                "a" * 3000, "1.5", " 1", "9223372036854775807", "2147483648", "true", "%2e%2e%2f"]

PATH_IDS = ["..", ".", "%2e%2e", "a%2Fb", "..%2F..%2Ftmp", "%00", "x%00y", "a" * 300, "-1", "9223372036854775808",
            "00000000-0000-0000-0000-000000000000", "%20", "null", "1e308"]

BAD_BODIES = [b"", b"not json", b"{", b"[]", b"null", b"1e308", b'"x"', b'{"a":' * 300 + b"1" + b"}" * 300,
              b"[" * 5000 + b"]" * 5000, b'{"name": "\xff\xfe"}', b"\x00", b'{"server": ' + b"9" * 400 + b"}",
              b'{"a": 1, "a": 2}', b"{" + b'"k": 1,' * 20000 + b'"k": 2}']

VERSIONS = ["compute 2.1", "compute 2.999", "compute latest", "compute 99999999999999999999.1", "compute -1.5",
            "compute 2.", "compute 2.79", "compute 2.64", "placement 1.39", "placement 1.99999999999999999999",
            "placement 1.0", "garbage", "compute 2.1e308", "", "volume 3.0", "volume 3.70", "volume 3.99999999999999999999",
            "volume latest", "volume 4.0"]


def encode(value):
    """JSON text of value, with Raw numbers as given."""
    raws = []

    def default(obj):
        if isinstance(obj, Raw):
            raws.append(obj.text)
            return f"__RAW_{len(raws) - 1}__"
        raise TypeError(type(obj))

    text = json.dumps(value, default=default)
    for index, raw in enumerate(raws):
        text = text.replace(f'"__RAW_{index}__"', raw)
    return text.encode("utf-8", "surrogatepass")


def leaf_paths(value, prefix=()):
    """Every path (a tuple of keys and indexes) into value, the root included."""
    yield prefix
    if isinstance(value, dict):
        for key, item in value.items():
            yield from leaf_paths(item, prefix + (key,))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from leaf_paths(item, prefix + (index,))


def mutate(body, rng):
    """A copy of body with one to three parts made hostile: a value replaced, a key removed, an unknown key added.
    The hostile values are copied in: a later step may change inside one, which must not reach the list or loop."""
    body = json.loads(json.dumps(body))
    for _ in range(rng.randint(1, 3)):
        paths = [path for path in leaf_paths(body) if path]
        if not paths:
            return copy.deepcopy(rng.choice(EXTREME_VALUES))
        path = rng.choice(paths)
        parent = body
        for key in path[:-1]:
            parent = parent[key]
        action = rng.random()
        if action < 0.75:
            parent[path[-1]] = copy.deepcopy(rng.choice(EXTREME_VALUES))
        elif action < 0.88 and isinstance(parent, dict):
            del parent[path[-1]]
        elif isinstance(parent, dict):
            parent[rng.choice(["x\u0000", "unexpected", "id", "", "a" * 300])] = copy.deepcopy(rng.choice(EXTREME_VALUES))
    return body


class Client:
    def __init__(self, port):
        self.port = port
        self.connection = None

    def send(self, method, path, body=None, headers=None):
        for attempt in range(2):
            try:
                if self.connection is None:
                    self.connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
                self.connection.request(method, path, body=body, headers=headers or {})
                response = self.connection.getresponse()
                data = response.read()
                if response.getheader("Connection", "").lower() == "close":
                    self.connection.close()
                    self.connection = None
                return response.status, data, response.headers
            except (ConnectionError, http.client.HTTPException, OSError):
                if self.connection:
                    self.connection.close()
                self.connection = None
                if attempt:
                    raise

    def json(self, method, path, token=None, body=None, version=None):
        headers = {"Content-Type": "application/json"}
        if token:
            headers["X-Auth-Token"] = token
        if version:
            headers["OpenStack-API-Version"] = version
        status, data, response_headers = self.send(method, path, encode(body) if body is not None else None, headers)
        try:
            parsed = json.loads(data) if data else None
        except ValueError:
            parsed = None
        return status, parsed, response_headers


def login(client, user, password, project):
    body = {"auth": {"identity": {"methods": ["password"], "password": {"user": {
        "name": user, "domain": {"id": "default"}, "password": password}}},
        "scope": {"project": {"name": project, "domain": {"id": "default"}}}}}
    status, reply, headers = client.json("POST", "/identity/v3/auth/tokens", body=body)
    if status != 201:
        raise RuntimeError(f"{user} could not log in: {status} {reply}")
    return headers["X-Subject-Token"], reply["token"]


class Database:
    """A read-only view of the cloud's SQLite file and a digest of its stable tables."""

    def __init__(self, path):
        self.path = path

    def digest(self):
        connection = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True, timeout=10)
        try:
            tables = [row[0] for row in connection.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")]
            digests = {}
            for table in tables:
                if table in VOLATILE_TABLES:
                    continue
                rows = sorted(repr(row) for row in connection.execute(f'SELECT * FROM "{table}"'))
                hasher = hashlib.sha256()
                for row in rows:
                    hasher.update(row.encode())
                digests[table] = hasher.hexdigest()
            return digests
        finally:
            connection.close()

    def busy(self):
        """Whether the volume service's worker has work in hand (its records say so, in their statuses)."""
        connection = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True, timeout=10)
        try:
            pending = connection.execute(
                "SELECT (SELECT COUNT(*) FROM volumes WHERE status IN "
                "('creating', 'deleting', 'extending', 'uploading')) + (SELECT COUNT(*) FROM volume_snapshots "
                "WHERE status IN ('creating', 'deleting'))").fetchone()[0]
            return pending > 0
        finally:
            connection.close()

    def quiet_digest(self, limit=30.0):
        """The digest once two reads 0.15 s apart agree and no volume work is in hand (background work of an
        accepted request has settled)."""
        deadline = time.time() + limit
        last = self.digest()
        while time.time() < deadline:
            time.sleep(0.15)
            current = self.digest()
            if current == last and not self.busy():
                return current
            last = current
        return last


def stop_volume_exports(data_dir):
    """The NBD export daemons the cloud's attachments left (they outlive the service by design), by their PIDs."""
    folder = os.path.join(data_dir, "volumes", "exports")
    for name in os.listdir(folder) if os.path.isdir(folder) else []:
        if name.endswith(".json"):
            try:
                with open(os.path.join(folder, name)) as record:
                    os.kill(int(json.load(record)["pid"]), 15)
            except (OSError, ValueError, KeyError):
                pass


def wait_active(client, token, server, seconds=30):
    deadline = time.time() + seconds
    while time.time() < deadline:
        status, reply, _ = client.json("GET", f"/compute/v2.1/servers/{server}", token=token)
        if status == 200 and reply["server"]["status"] == "ACTIVE":
            return
        time.sleep(0.2)
    raise RuntimeError(f"server {server} did not become ACTIVE")


def fixtures(client, admin, member):
    """The resources the endpoints aim at, made with valid requests."""
    ids = {}
    status, reply, _ = client.json("GET", "/image/v2/images?name=tiny-boot-sector", token=member)
    ids["boot_image"] = reply["images"][0]["id"]
    status, reply, _ = client.json("POST", "/compute/v2.1/servers", token=member, body={"server": {
        "name": "fuzz-target", "flavorRef": "1", "imageRef": ids["boot_image"], "metadata": {"k": "v"}}})
    ids["server"] = reply["server"]["id"]
    status, reply, _ = client.json("POST", "/compute/v2.1/servers", token=admin, body={"server": {
        "name": "admin-target", "flavorRef": "1", "imageRef": ids["boot_image"]}})
    ids["admin_server"] = reply["server"]["id"]
    client.json("POST", "/compute/v2.1/os-keypairs", token=member, body={"keypair": {"name": "fuzz-key"}})
    ids["keypair"] = "fuzz-key"
    status, reply, _ = client.json("POST", "/compute/v2.1/os-server-groups", token=member,
                                   body={"server_group": {"name": "fuzz-group", "policies": ["anti-affinity"]}})
    ids["group"] = reply["server_group"]["id"]
    status, reply, _ = client.json("POST", "/image/v2/images", token=member,
                                   body={"name": "fuzz-image", "disk_format": "raw", "container_format": "bare"})
    ids["image"] = reply["id"]
    status, reply, _ = client.json("POST", "/compute/v2.1/flavors", token=admin,
                                   body={"flavor": {"name": "fuzz-flavor", "ram": 256, "vcpus": 1, "disk": 1}})
    ids["flavor"] = reply["flavor"]["id"]
    status, reply, _ = client.json("POST", "/compute/v2.1/os-aggregates", token=admin,
                                   body={"aggregate": {"name": "fuzz-aggregate"}})
    ids["aggregate"] = str(reply["aggregate"]["id"])
    status, reply, _ = client.json("POST", "/placement/resource_providers", token=admin, version="placement 1.20",
                                   body={"name": "fuzz-provider"})
    ids["rp"] = reply["uuid"]
    client.json("PUT", f"/placement/resource_providers/{ids['rp']}/inventories", token=admin,
                body={"resource_provider_generation": 0, "inventories": {"VCPU": {"total": 8}}})
    ids["consumer"] = "11111111-2222-3333-4444-555555555555"
    net = "/networking/v2.0"
    status, reply, _ = client.json("POST", f"{net}/networks", token=member, body={"network": {"name": "fuzz-net"}})
    ids["network"] = reply["network"]["id"]
    status, reply, _ = client.json("POST", f"{net}/subnets", token=member, body={"subnet": {
        "network_id": ids["network"], "cidr": "10.77.0.0/24", "ip_version": 4}})
    ids["subnet"] = reply["subnet"]["id"]
    status, reply, _ = client.json("POST", f"{net}/ports", token=member, body={"port": {"network_id": ids["network"]}})
    ids["port"] = reply["port"]["id"]
    status, reply, _ = client.json("POST", f"{net}/security-groups", token=member,
                                   body={"security_group": {"name": "fuzz-sg"}})
    ids["security_group"] = reply["security_group"]["id"]
    status, reply, _ = client.json("POST", f"{net}/routers", token=member, body={"router": {"name": "fuzz-router"}})
    ids["router"] = reply["router"]["id"]
    status, reply, _ = client.json("GET", f"{net}/networks?name=public", token=member)
    ids["public"] = reply["networks"][0]["id"]
    client.json("GET", f"{net}/security-groups", token=admin)
    vol = "/volume/v3"
    status, reply, _ = client.json("POST", f"{vol}/volumes", token=member, body={"volume": {"size": 1, "name": "fv"}})
    ids["volume"] = reply["volume"]["id"]
    for _ in range(100):
        status, reply, _ = client.json("GET", f"{vol}/volumes/{ids['volume']}", token=member)
        if reply["volume"]["status"] == "available":
            break
        time.sleep(0.1)
    status, reply, _ = client.json("POST", f"{vol}/snapshots", token=member,
                                   body={"snapshot": {"volume_id": ids["volume"], "name": "fs"}})
    ids["snapshot"] = reply["snapshot"]["id"]
    status, reply, _ = client.json("GET", f"{vol}/types", token=admin)
    ids["volume_type"] = reply["volume_types"][0]["id"]
    wait_active(client, member, ids["server"])
    wait_active(client, admin, ids["admin_server"])
    return ids


def endpoints(ids, member_token_info):
    """(method, path, body, natural caller, version) for every write endpoint and a few listings with queries."""
    project = member_token_info["project"]["id"]
    user = member_token_info["user"]["id"]
    s, f, g, i, a, rp, c = (ids[k] for k in ("server", "flavor", "group", "image", "aggregate", "rp", "consumer"))
    boot = ids["boot_image"]
    net, sg = "/networking/v2.0", ids["security_group"]
    allocation = {"allocations": {rp: {"resources": {"VCPU": 1}}}, "project_id": project, "user_id": user,
                  "consumer_generation": None}
    actions = [
        {"os-getConsoleOutput": {"length": 10}}, {"createBackup": {"name": "b", "backup_type": "daily", "rotation": 1}},
        {"createImage": {"name": "snap", "metadata": {"k": "v"}}}, {"reboot": {"type": "SOFT"}},
        {"resize": {"flavorRef": "2"}}, {"rebuild": {"imageRef": boot, "name": "again"}}, {"os-stop": None},
        {"os-start": None}, {"lock": {"locked_reason": "r"}}, {"unlock": None}, {"shelve": None}, {"unshelve": None},
        {"migrate": {"host": "fake-1"}}, {"os-migrateLive": {"host": None, "block_migration": "auto"}},
        {"evacuate": {"host": "fake-2"}}, {"rescue": {"adminPass": "p"}}, {"os-resetState": {"state": "active"}},
        {"os-getVNCConsole": {"type": "novnc"}}, {"pause": None}, {"suspend": None}, {"confirmResize": None},
        {"restore": None}, {"forceDelete": None}, {"addSecurityGroup": {"name": "default"}},
        {"removeSecurityGroup": {"name": "default"}}, {"injectNetworkInfo": None},
    ]
    table = [
        ("POST", "/identity/v3/auth/tokens", {"auth": {"identity": {"methods": ["password"], "password": {"user": {
            "name": "demo", "domain": {"id": "default"}, "password": "wrong"}}}}}, "none", None),
        ("POST", "/identity/v3/auth/tokens", {"auth": {"identity": {"methods": ["token"], "token": {"id": "TOKEN"}},
                                                       "scope": {"project": {"id": project}}}}, "member", None),
        ("POST", "/identity/v3/users", {"user": {"name": "fuzz-user", "password": "p", "default_project_id": project}},
         "admin", None),
        ("POST", "/identity/v3/projects", {"project": {"name": "fuzz-project", "domain_id": "default"}}, "admin", None),
        ("PUT", f"/identity/v3/projects/{project}/users/{user}/roles/ROLE", None, "admin", None),
        ("POST", "/identity/v3/roles", {"role": {"name": "fuzz-role", "description": "d"}}, "admin", None),
        ("PATCH", f"/identity/v3/users/{user}", {"user": {"email": "e@example.com", "enabled": True}}, "admin", None),
        ("PATCH", f"/identity/v3/projects/{project}", {"project": {"description": "d"}}, "admin", None),
        ("POST", "/identity/v3/groups", {"group": {"name": "fuzz-group", "description": "d"}}, "admin", None),
        ("POST", "/identity/v3/domains", {"domain": {"name": "fuzz-domain", "enabled": True}}, "admin", None),
        ("POST", f"/identity/v3/users/{user}/credentials/OS-EC2", {"tenant_id": project}, "member", None),
        ("POST", "/identity/v3/credentials", {"credential": {"blob": "{\"access\": \"a\", \"secret\": \"s\"}",
                                                             "type": "ec2", "user_id": user, "project_id": project}},
         "member", None),
        ("POST", "/identity/v3/ec2tokens", {"credentials": {
            "access": "a", "signature": "s", "host": "h", "verb": "GET", "path": "/",
            "params": {"Action": "DescribeRegions", "SignatureVersion": "2", "Timestamp": "2026-01-01T00:00:00Z"},
            "headers": {}, "body_hash": ""}}, "none", None),
        ("POST", "/identity/v3/auth/tokens", {"auth": {"identity": {"methods": ["application_credential"],
                                                                    "application_credential": {"id": "x", "secret": "s"}}}},
         "none", None),
        ("POST", "/identity/v3/auth/tokens", {"auth": {"identity": {"methods": ["token"], "token": {"id": "TOKEN"}},
                                                       "scope": {"system": {"all": True}}}}, "admin", None),
        ("POST", f"/identity/v3/users/{user}/application_credentials", {"application_credential": {
            "name": "fuzz-ac", "description": "d", "roles": [{"name": "member"}], "unrestricted": False,
            "expires_at": "2099-01-01T00:00:00Z",
            "access_rules": [{"service": "compute", "method": "GET", "path": "/v2.1/servers"}]}}, "member", None),
        ("POST", "/identity/v3/services", {"service": {"type": "fuzz", "name": "f", "enabled": True}}, "admin", None),
        ("POST", "/identity/v3/endpoints", {"endpoint": {"service_id": "SERVICE", "interface": "public",
                                                         "url": "http://192.0.2.1/", "region_id": "RegionOne"}},
         "admin", None),
        ("PATCH", "/identity/v3/endpoints/ENDPOINT", {"endpoint": {"enabled": False}}, "admin", None),
        ("POST", "/identity/v3/regions", {"region": {"id": "fuzz-region", "parent_region_id": "RegionOne"}}, "admin",
         None),
        ("PATCH", "/identity/v3/regions/RegionOne", {"region": {"description": "d"}}, "admin", None),
        ("PUT", "/identity/v3/roles/ROLE/implies/ROLE", None, "admin", None),
        ("PUT", f"/identity/v3/system/users/{user}/roles/ROLE", None, "admin", None),
        ("POST", "/image/v2/images", {"name": "n", "disk_format": "raw", "container_format": "bare", "min_disk": 1,
                                      "min_ram": 1, "tags": ["t"], "visibility": "private"}, "member", None),
        ("PATCH", f"/image/v2/images/{i}", [{"op": "replace", "path": "/name", "value": "m"},
                                             {"op": "add", "path": "/min_ram", "value": 2}], "member", None),
        ("POST", "/image/v2/metadefs/namespaces", {"namespace": "Fuzz::NS", "visibility": "public",
                                                   "protected": False, "display_name": "d"}, "admin", None),
        ("POST", "/image/v2/metadefs/namespaces/Fuzz::NS/properties", {"name": "p", "type": "string",
                                                                        "title": "t"}, "admin", None),
        ("PUT", "/image/v2/metadefs/namespaces/OS::Compute::GuestAgent", {"description": "d"}, "admin", None),
        ("POST", f"/image/v2/images/{i}/members", {"member": project}, "member", None),
        ("PUT", f"/image/v2/images/{i}/members/{project}", {"status": "accepted"}, "member", None),
        ("PUT", f"/image/v2/images/{i}/stage", None, "member", None),
        ("POST", f"/image/v2/images/{i}/import", {"method": {"name": "glance-direct"}, "all_stores": False},
         "member", None),
        ("POST", "/compute/v2.1/servers", {"server": {"name": "fz", "flavorRef": "1", "imageRef": boot,
                                                      "min_count": 1, "max_count": 1, "metadata": {"a": "b"},
                                                      "networks": "auto", "user_data": "aGVsbG8="}},
         "member", "compute 2.37"),
        ("POST", "/compute/v2.1/servers", {"server": {"name": "fzv", "flavorRef": "1", "networks": "none",
                                                      "block_device_mapping_v2": [
            {"uuid": boot, "source_type": "image", "destination_type": "volume", "boot_index": 0, "volume_size": 1,
             "delete_on_termination": True},
            {"source_type": "blank", "destination_type": "volume", "volume_size": "1", "boot_index": -1,
             "volume_type": "__DEFAULT__", "device_name": "/dev/vdb", "tag": "t", "disk_bus": "virtio"}]}},
         "member", "compute 2.67"),
        ("PUT", f"/compute/v2.1/servers/{s}", {"server": {"name": "renamed", "description": "d"}}, "member",
         "compute 2.19"),
        ("POST", f"/compute/v2.1/servers/{s}/metadata", {"metadata": {"k2": "v2"}}, "member", None),
        ("PUT", f"/compute/v2.1/servers/{s}/metadata", {"metadata": {"k": "v"}}, "member", None),
        ("PUT", f"/compute/v2.1/servers/{s}/metadata/k", {"meta": {"k": "v"}}, "member", None),
        ("PUT", f"/compute/v2.1/servers/{s}/tags", {"tags": ["a", "b"]}, "member", "compute 2.26"),
        ("POST", f"/compute/v2.1/servers/{s}/remote-consoles", {"remote_console": {"protocol": "vnc",
                                                                                  "type": "novnc"}},
         "member", "compute 2.6"),
        ("POST", "/compute/v2.1/os-keypairs", {"keypair": {"name": "k", "type": "ssh"}}, "member", "compute 2.2"),
        ("POST", "/compute/v2.1/os-server-groups", {"server_group": {"name": "g", "policy": "anti-affinity",
                                                                     "rules": {"max_server_per_host": 2}}},
         "member", "compute 2.64"),
        ("POST", "/compute/v2.1/flavors", {"flavor": {"name": "f", "ram": 512, "vcpus": 1, "disk": 1, "swap": 0,
                                                      "OS-FLV-EXT-DATA:ephemeral": 0, "rxtx_factor": 1.0,
                                                      "id": "fz-id", "os-flavor-access:is_public": True}},
         "admin", None),
        ("PUT", f"/compute/v2.1/flavors/{f}", {"flavor": {"description": "d"}}, "admin", "compute 2.55"),
        ("POST", f"/compute/v2.1/flavors/{f}/os-extra_specs", {"extra_specs": {"hw:cpu_policy": "shared"}}, "admin",
         None),
        ("POST", f"/compute/v2.1/flavors/{f}/action", {"addTenantAccess": {"tenant": project}}, "admin", None),
        ("PUT", f"/compute/v2.1/os-quota-sets/{project}?user_id={user}", {"quota_set": {"instances": 5}}, "admin",
         None),
        ("POST", f"/compute/v2.1/flavors/{f}/os-extra_specs", {"extra_specs": {"hw:numa_nodes": "2",
                                                                              "resources1:VCPU": "1"}}, "admin", "compute 2.86"),
        ("POST", "/compute/v2.1/servers", {"server": {"name": "t", "imageRef": boot, "flavorRef": "1",
                                                      "networks": "none", "trusted_image_certificates": ["c"]}},
         "member", "compute 2.63"),
        ("PUT", f"/compute/v2.1/os-quota-sets/{project}", {"quota_set": {"instances": 10, "cores": 20, "ram": 51200,
                                                                         "key_pairs": 100}}, "admin", None),
        ("POST", "/compute/v2.1/os-aggregates", {"aggregate": {"name": "ag", "availability_zone": "z"}}, "admin",
         None),
        ("PUT", f"/compute/v2.1/os-aggregates/{a}", {"aggregate": {"name": "ag2"}}, "admin", None),
        ("PUT", "/compute/v2.1/os-quota-class-sets/default", {"quota_class_set": {"cores": 40, "instances": 20}},
         "admin", None),
        ("PUT", "/compute/v2.1/os-hosts/fake-1", {"status": "enable"}, "admin", "compute 2.42"),
        ("POST", f"/compute/v2.1/images/{i}/metadata", {"metadata": {"k": "v"}}, "member", None),
        ("PUT", f"/compute/v2.1/images/{i}/metadata", {"metadata": {"k": "v", "k2": "v2"}}, "member", None),
        ("PUT", f"/compute/v2.1/images/{i}/metadata/k", {"meta": {"k": "w"}}, "member", None),
        ("PUT", f"/compute/v2.1/servers/{s}", {"server": {"accessIPv4": "10.0.0.9", "accessIPv6": "::1",
                                                          "OS-DCF:diskConfig": "AUTO"}}, "member", None),
        ("DELETE", f"/compute/v2.1/servers/{s}/os-server-password", None, "member", None),
        ("PUT", f"/compute/v2.1/servers/{s}", {"server": {"pinned_availability_zone": None}}, "member",
         "compute 2.104"),
        ("POST", f"/compute/v2.1/servers/{s}/shares", {"share": {"share_id": "8c1f4ab8-5f5a-4f50-a2c9-6f3d1c1b2a3e",
                                                                  "tag": "t"}}, "member", "compute 2.97"),
        ("POST", f"/compute/v2.1/servers/{s}/action", {"trigger_crash_dump": None}, "member", "compute 2.17"),
        ("POST", f"/compute/v2.1/servers/{s}/action", {"rebuild": {"imageRef": boot, "key_name": None,
                                                                   "hostname": "h"}}, "member", "compute 2.90"),
        ("POST", f"/compute/v2.1/os-aggregates/{a}/action", {"set_metadata": {"metadata": {"k": "v"}}}, "admin",
         None),
        ("POST", "/compute/v2.1/os-scheduler-explain", {"server": {"flavorRef": "1", "imageRef": boot}}, "admin",
         None),
        ("POST", "/placement/resource_providers", {"name": "p", "uuid": "22222222-3333-4444-5555-666666666666"},
         "admin", "placement 1.20"),
        ("PUT", f"/placement/resource_providers/{rp}", {"name": "renamed"}, "admin", "placement 1.14"),
        ("PUT", f"/placement/resource_providers/{rp}/inventories", {"resource_provider_generation": 1, "inventories": {
            "VCPU": {"total": 8, "reserved": 0, "min_unit": 1, "max_unit": 8, "step_size": 1,
                     "allocation_ratio": 1.0}}}, "admin", None),
        ("PUT", f"/placement/resource_providers/{rp}/inventories/VCPU", {"resource_provider_generation": 1,
                                                                       "total": 8, "allocation_ratio": 2.0},
         "admin", None),
        ("POST", f"/placement/resource_providers/{rp}/inventories", {"resource_class": "MEMORY_MB", "total": 64,
                                                                   "resource_provider_generation": 1}, "admin", None),
        ("PUT", f"/placement/resource_providers/{rp}/traits", {"resource_provider_generation": 1,
                                                             "traits": ["HW_CPU_X86_AVX"]}, "admin", "placement 1.6"),
        ("PUT", f"/placement/resource_providers/{rp}/aggregates", {"resource_provider_generation": 1,
                                                                 "aggregates": [c]}, "admin", "placement 1.19"),
        ("PUT", f"/placement/allocations/{c}", allocation, "admin", "placement 1.28"),
        ("POST", "/placement/allocations", {c: allocation}, "admin", "placement 1.28"),
        ("POST", "/placement/resource_classes", {"name": "CUSTOM_FUZZ"}, "admin", "placement 1.2"),
        ("PUT", "/placement/traits/CUSTOM_FUZZ", None, "admin", "placement 1.6"),
        ("POST", "/placement/reshaper", {"inventories": {}, "allocations": {}}, "admin", "placement 1.30"),
        ("POST", f"{net}/networks", {"network": {"name": "n", "mtu": 1400, "admin_state_up": True}}, "member", None),
        ("POST", f"{net}/networks", {"network": {"name": "v", "provider:network_type": "vlan",
                                                 "provider:physical_network": "physnet1",
                                                 "provider:segmentation_id": 1500}}, "admin", None),
        ("PUT", f"{net}/networks/{ids['network']}", {"network": {"name": "m", "mtu": 1300}}, "member", None),
        ("POST", f"{net}/subnets", {"subnet": {"network_id": ids["network"], "cidr": "10.78.0.0/24", "ip_version": 4,
                                               "allocation_pools": [{"start": "10.78.0.10", "end": "10.78.0.20"}],
                                               "dns_nameservers": ["8.8.8.8"], "gateway_ip": "10.78.0.1"}},
         "member", None),
        ("PUT", f"{net}/subnets/{ids['subnet']}", {"subnet": {"name": "s", "enable_dhcp": False}}, "member", None),
        ("POST", f"{net}/ports", {"port": {"network_id": ids["network"], "name": "p",
                                           "fixed_ips": [{"subnet_id": ids["subnet"], "ip_address": "10.77.0.99"}],
                                           "security_groups": [sg]}}, "member", None),
        ("PUT", f"{net}/ports/{ids['port']}", {"port": {"name": "q", "allowed_address_pairs": [
            {"ip_address": "10.77.0.200"}]}}, "member", None),
        ("PUT", f"{net}/ports/{ids['port']}", {"port": {"binding:host_id": "fake-1", "device_id": "d"}}, "admin", None),
        ("POST", f"{net}/security-groups", {"security_group": {"name": "g", "description": "d"}}, "member", None),
        ("PUT", f"{net}/security-groups/{sg}", {"security_group": {"name": "h"}}, "member", None),
        ("POST", f"{net}/security-group-rules", {"security_group_rule": {
            "security_group_id": sg, "direction": "ingress", "protocol": "tcp", "port_range_min": 80,
            "port_range_max": 81, "remote_ip_prefix": "10.0.0.0/8"}}, "member", None),
        ("PUT", f"{net}/quotas/{project}", {"quota": {"port": 100, "network": 10}}, "admin", None),
        ("POST", f"{net}/routers", {"router": {"name": "r", "external_gateway_info": {
            "network_id": ids["public"], "enable_snat": True}}}, "member", None),
        ("PUT", f"{net}/routers/{ids['router']}", {"router": {"name": "s", "external_gateway_info": {
            "network_id": ids["public"]}}}, "member", None),
        ("PUT", f"{net}/routers/{ids['router']}/add_router_interface", {"subnet_id": ids["subnet"]}, "member", None),
        ("PUT", f"{net}/routers/{ids['router']}/remove_router_interface", {"subnet_id": ids["subnet"]}, "member",
         None),
        ("POST", f"{net}/floatingips", {"floatingip": {"floating_network_id": ids["public"],
                                                       "port_id": ids["port"]}}, "member", None),
        ("POST", f"{net}/ports/{ids['port']}/bindings", {"binding": {"host": "fake-2"}}, "admin", None),
        ("PUT", f"{net}/ports/{ids['port']}/bindings/fake-2/activate", None, "admin", None),
        ("POST", f"/compute/v2.1/servers/{s}/os-interface", {"interfaceAttachment": {
            "net_id": ids["network"], "fixed_ips": [{"ip_address": "10.77.0.150"}]}}, "member", "compute 2.49"),
        ("POST", "/compute/v2.1/os-server-external-events", {"events": [
            {"name": "network-changed", "server_uuid": s, "tag": ids["port"], "status": "completed"}]}, "admin",
         "compute 2.76"),
        ("POST", "/compute/v2.1/os-floating-ips", {"pool": "public"}, "member", None),
        ("POST", "/compute/v2.1/os-security-groups", {"security_group": {"name": "l", "description": "d"}}, "member",
         None),
        ("POST", "/compute/v2.1/os-security-group-rules", {"security_group_rule": {
            "parent_group_id": sg, "ip_protocol": "tcp", "from_port": 22, "to_port": 22, "cidr": "10.0.0.0/8"}},
         "member", None),
    ]
    vol, v = "/volume/v3", ids["volume"]
    table += [
        ("POST", f"{vol}/volumes", {"volume": {"size": 1, "name": "n", "description": "d", "metadata": {"k": "v"},
                                               "availability_zone": "nova", "volume_type": "__DEFAULT__"}},
         "member", "volume 3.60"),
        ("POST", f"{vol}/volumes", {"volume": {"size": 2, "snapshot_id": ids["snapshot"]}}, "member", None),
        ("POST", f"{vol}/volumes", {"volume": {"size": 1, "imageRef": boot}}, "member", None),
        ("PUT", f"{vol}/volumes/{v}", {"volume": {"name": "m", "description": "e"}}, "member", None),
        ("POST", f"{vol}/volumes/{v}/metadata", {"metadata": {"a": "b"}}, "member", None),
        ("PUT", f"{vol}/volumes/{v}/metadata/a", {"meta": {"a": "c"}}, "member", None),
        ("POST", f"{vol}/snapshots", {"snapshot": {"volume_id": v, "name": "s", "force": True}}, "member", None),
        ("PUT", f"{vol}/snapshots/{ids['snapshot']}", {"snapshot": {"name": "t"}}, "member", None),
        ("PUT", f"{vol}/os-quota-sets/{project}", {"quota_set": {"volumes": 20, "gigabytes": 100}}, "admin", None),
        ("POST", f"{vol}/types", {"volume_type": {"name": "gold", "extra_specs": {"k": "v"},
                                                  "os-volume-type-access:is_public": False}}, "admin", None),
        ("POST", f"{vol}/types/{ids['volume_type']}/extra_specs", {"extra_specs": {"k": "v"}}, "admin", None),
        ("POST", f"{vol}/snapshots/{ids['snapshot']}/action", {"os-reset_status": {"status": "available"}}, "admin",
         None),
    ]
    table += [("POST", f"{vol}/volumes/{v}/action", body, "member", "volume 3.42") for body in [
        {"os-extend": {"new_size": 2}}, {"os-set_bootable": {"bootable": True}},
        {"os-update_readonly_flag": {"readonly": False}},
        {"os-volume_upload_image": {"image_name": "up", "disk_format": "raw", "container_format": "bare"}},
    ]]
    table += [("POST", f"{vol}/volumes/{v}/action", {"os-reset_status": {"status": "available"}}, "admin", None)]
    table += [
        ("POST", f"/compute/v2.1/servers/{s}/os-volume_attachments", {"volumeAttachment": {
            "volumeId": v, "device": "/dev/vdc", "tag": "t", "delete_on_termination": False}}, "member", "compute 2.79"),
        ("PUT", f"/compute/v2.1/servers/{s}/os-volume_attachments/{v}", {"volumeAttachment": {
            "volumeId": v, "delete_on_termination": True}}, "admin", "compute 2.85"),
        ("POST", f"{vol}/attachments", {"attachment": {"volume_uuid": v, "instance_uuid": s, "mode": "rw",
                                                       "connector": {"host": "h", "ip": "127.0.0.1",
                                                                     "machine_id": "0123abcd"}}},
         "member", "volume 3.54"),
        # The project-in-URL form of the Compute API, and a removed API (410).
        ("POST", f"/compute/v2.1/{project}/os-keypairs", {"keypair": {"name": "kp-in-url"}}, "member", None),
        ("POST", "/compute/v2.1/os-agents", {"agent": {"hypervisor": "kvm", "os": "linux"}}, "member", None),
        ("POST", f"{vol}/volumes/{v}/action", {"os-initialize_connection": {"connector": {"host": "h"}}}, "member",
         None),
    ]
    table += [("POST", f"/compute/v2.1/servers/{s}/action", body, "member", "compute 2.79") for body in actions]
    deletes = [
        "/compute/v2.1/servers/ID", "/compute/v2.1/flavors/ID", "/compute/v2.1/os-keypairs/ID",
        "/compute/v2.1/os-server-groups/ID", "/compute/v2.1/os-aggregates/ID", f"/compute/v2.1/servers/{s}/tags/ID",
        f"/compute/v2.1/servers/{s}/metadata/ID", "/image/v2/images/ID", "/placement/resource_providers/ID",
        "/placement/allocations/ID", "/placement/resource_classes/ID", "/placement/traits/ID",
        "/identity/v3/users/ID", "/identity/v3/projects/ID", "/compute/v2.1/os-quota-sets/ID",
        "/identity/v3/services/ID", "/identity/v3/endpoints/ID", "/identity/v3/regions/ID",
        f"/image/v2/images/{i}/members/ID", "/image/v2/metadefs/namespaces/ID", "/image/v2/metadefs/namespaces/Fuzz::NS/properties/ID",
        f"/identity/v3/users/{user}/application_credentials/ID", f"/identity/v3/users/{user}/access_rules/ID",
        "/identity/v3/roles/ID/implies/ID", f"/identity/v3/system/users/{user}/roles/ID",
        f"/compute/v2.1/servers/{s}/migrations/ID", f"/compute/v2.1/flavors/{f}/os-extra_specs/ID",
        f"{net}/networks/ID", f"{net}/subnets/ID", f"{net}/ports/ID", f"{net}/security-groups/ID",
        f"{net}/security-group-rules/ID", f"{net}/quotas/ID", f"{net}/routers/ID", f"{net}/floatingips/ID",
        f"{net}/ports/{ids['port']}/bindings/ID", f"/compute/v2.1/servers/{s}/os-interface/ID",
        "/compute/v2.1/os-floating-ips/ID", "/compute/v2.1/os-security-groups/ID",
        "/compute/v2.1/os-security-group-rules/ID", "/volume/v3/volumes/ID", "/volume/v3/snapshots/ID",
        "/volume/v3/types/ID", f"/volume/v3/volumes/{ids['volume']}/metadata/ID", "/volume/v3/os-quota-sets/ID",
        "/volume/v3/attachments/ID", f"/compute/v2.1/servers/{ids['server']}/os-volume_attachments/ID",
        f"/compute/v2.1/{project}/servers/ID", "/compute/v2.1/versions/ID",
        f"/compute/v2.1/servers/{s}/shares/ID", "/compute/v2.1/os-instance_usage_audit_log/ID",
    ]
    queries = [
        ("/compute/v2.1/servers/detail", ["limit", "marker", "changes-since", "sort_key", "name", "all_tenants"]),
        ("/compute/v2.1/servers/detail", ["sort_key", "sort_dir", "vm_state", "power_state", "hostname", "ip6",
                                          "launched_at", "user_id", "node", "progress", "task_state"]),
        ("/compute/v2.1/flavors", ["minRam", "minDisk", "limit", "marker", "is_public", "sort_key", "sort_dir"]),
        ("/compute/v2.1/os-server-groups", ["offset", "limit", "all_projects"]),
        ("/compute/v2.1/os-keypairs", ["limit", "marker", "user_id"]),
        ("/compute/v2.1/os-migrations", ["limit", "marker", "changes-since"]),
        ("/compute/v2.1/os-simple-tenant-usage", ["start", "end", "detailed"]),
        ("/compute/v2.1/images/detail", ["limit", "marker", "minRam", "minDisk", "server", "changes-since", "status"]),
        ("/compute/v2.1/os-hosts", ["zone"]),
        ("/image/v2/images", ["limit", "marker", "id", "name", "visibility"]),
        ("/image/v2/images", ["sort_key", "sort_dir", "sort", "size_min", "size_max", "protected", "hw_disk_bus"]),
        ("/placement/allocation_candidates", ["resources", "limit", "required", "member_of", "group_policy"]),
        ("/placement/resource_providers", ["name", "uuid", "resources", "member_of", "in_tree"]),
        (f"/compute/v2.1/servers/{s}/os-instance-actions", ["limit", "marker", "changes-since"]),
        (f"{net}/ports", ["limit", "marker", "fields", "sort_key", "sort_dir", "device_id", "fixed_ips",
                          "page_reverse"]),
        (f"{net}/networks", ["limit", "marker", "name", "shared", "router:external", "sort_key"]),
    ]
    return table, deletes, queries


class Fuzzer:
    def __init__(self, cloud, client, database, rng):
        self.cloud, self.client, self.database, self.rng = cloud, client, database, rng
        self.histogram = collections.Counter()
        self.violations = []
        self.passed = 0
        self.sent = 0
        self.baseline = None

    def log_in(self):
        self.admin, _ = login(self.client, "admin", ADMIN_PASSWORD, "admin")
        self.member, self.member_info = login(self.client, "demo", self.demo_password, "demo")

    def violation(self, text):
        self.violations.append(text)
        print(f"FAIL {text}")

    def send(self, method, path, body, caller, version, description):
        """Sends one request and checks the three rules; returns the status."""
        if self.baseline is None:
            self.baseline = self.database.quiet_digest()
        headers = {"Content-Type": self.rng.choice(["application/json"] * 8 + ["text/plain", "", "application/x"])}
        token = {"admin": self.admin, "member": self.member, "none": None}[caller]
        roll = self.rng.random()
        if roll < 0.04:
            token = self.rng.choice(["garbage", "", "a" * 5000, self.admin[:-1] + "x"])
        elif roll < 0.06:
            token = None
        if token is not None:
            headers["X-Auth-Token"] = token
        if version is not None:
            headers["OpenStack-API-Version"] = version
        if self.rng.random() < 0.1:
            headers["OpenStack-API-Version"] = self.rng.choice(VERSIONS)
        if path == "/identity/v3/auth/tokens" and method in ("GET", "DELETE", "HEAD"):
            headers["X-Subject-Token"] = self.rng.choice([self.admin, self.member, "garbage", ""])
        try:
            status, data, _ = self.client.send(method, path, body, headers)
        except Exception as error:  # noqa: BLE001 (any failure to get an answer is the finding)
            status, data = 0, str(error).encode()
        self.sent += 1
        self.histogram[status] += 1
        alive = self.cloud.process is not None and self.cloud.process.poll() is None
        ok = True
        if not alive:
            self.violation(f"the process died on {description}")
            return status
        if status == 0 or status >= 500:
            ok = False
            self.violation(f"{status} for {description}: {data[:300]!r}")
        if 400 <= status < 500 and method != "GET":
            after = self.database.digest()
            if after != self.baseline:
                settled = self.database.quiet_digest()
                changed = sorted(t for t in set(settled) | set(self.baseline)
                                 if settled.get(t) != self.baseline.get(t))
                if changed:
                    ok = False
                    self.violation(f"{status} for {description} but tables changed: {', '.join(changed)}")
                self.baseline = settled
        elif status < 400 and method != "GET":
            self.baseline = None
        if status == 401 and token in (self.admin, self.member):
            self.log_in()  # a request of the series revoked one of our tokens: carry on with new ones
        if ok:
            self.passed += 1
        return status

    def run(self, table, deletes, queries):
        started = time.time()
        while self.sent < REQUESTS and time.time() - started < SECONDS:
            kind = self.rng.random()
            if kind < 0.62:
                method, path, body, caller, version = self.rng.choice(table)
                path = path.replace("ROLE", "member")
                if body is not None:
                    body = json.loads(json.dumps(body).replace('"TOKEN"', json.dumps(self.member)))
                shape = self.rng.random()
                if shape < 0.08:
                    raw = self.rng.choice(BAD_BODIES)
                elif shape < 0.1:
                    raw = b'{"x": "' + b"a" * (2 << 20) + b'"}'
                elif body is None:
                    raw = None if shape < 0.6 else encode(self.rng.choice(EXTREME_VALUES))
                else:
                    raw = encode(mutate(body, self.rng))
                if self.rng.random() < 0.12:
                    parts = path.split("/")
                    ids = [index for index, part in enumerate(parts) if len(part) >= 20 or part.isdigit()]
                    if ids:
                        parts[self.rng.choice(ids)] = self.rng.choice(PATH_IDS)
                        path = "/".join(parts)
                if self.rng.random() < 0.25:
                    caller = "member" if caller == "admin" else "admin"
                self.send(method, path, raw, caller, version, f"{method} {path} {(raw or b'')[:160]!r}")
            elif kind < 0.8:
                path = self.rng.choice(deletes).replace("ID", self.rng.choice(PATH_IDS))
                caller = self.rng.choice(["admin", "member"])
                self.send("DELETE", path, None, caller, None, f"DELETE {path} as {caller}")
            elif kind < 0.97:
                base, names = self.rng.choice(queries)
                query = "&".join(f"{self.rng.choice(names)}={urllib.parse.quote(self.rng.choice(QUERY_VALUES))}"
                                 for _ in range(self.rng.randint(1, 3)))
                caller = self.rng.choice(["admin", "member"])
                self.send("GET", f"{base}?{query}", None, caller, None, f"GET {base}?{query[:200]} as {caller}")
            else:
                method = self.rng.choice(["GET", "HEAD", "DELETE"])
                self.send(method, "/identity/v3/auth/tokens", None, self.rng.choice(["admin", "member"]), None,
                          f"{method} /identity/v3/auth/tokens")
            if self.violations and "the process died" in self.violations[-1]:
                break
        return time.time() - started


METADATA_SECRET = "fuzz-metadata-secret"
METADATA_REQUESTS = int(os.environ.get("FUZZ_METADATA_REQUESTS", "300"))


def fuzz_metadata(fuzzer, port, instance, project):
    """Nova's metadata API as a hostile metadata proxy (or a guest going around it) would call it: odd paths,
    missing, forged and oversized headers, signatures for other instances. No answer may be 5xx and the
    process must live; a signed request for the real server's meta_data.json must answer."""
    client = Client(port)
    rng = fuzzer.rng
    paths = ["/", "/openstack", "/openstack/latest", "/openstack/latest/meta_data.json",
             "/openstack/2012-08-10/user_data", "/latest/meta-data/", "/latest/meta-data/public-keys/0/openssh-key",
             "/2009-04-04/user-data", "/latest/meta-data/placement/availability-zone", "/ec2/../../etc/passwd",
             "/openstack/latest/../../../nova.sqlite", "/%00", "/latest/meta-data/" + "a/" * 200, "//", "/openstack//"]
    instances = [instance, "", "x" * 5000, "00000000-0000-0000-0000-000000000000", instance.upper(), "\u00e9"]

    def sign(text, secret=METADATA_SECRET):
        return hmac.new(secret.encode(), text.encode("utf-8", "replace"), hashlib.sha256).hexdigest()
    status, data, _ = client.send("GET", "/openstack/latest/meta_data.json", headers={
        "X-Instance-ID": instance, "X-Tenant-ID": project, "X-Instance-ID-Signature": sign(instance)})
    if status != 200 or json.loads(data or b"{}").get("uuid") != instance:
        fuzzer.violation(f"a signed metadata request answered {status}: {data[:200]!r}")
    statuses = collections.Counter()
    for _ in range(METADATA_REQUESTS):
        path = rng.choice(paths)
        target = rng.choice(instances)
        headers = {}
        if rng.random() < 0.9:
            headers["X-Instance-ID"] = target
        if rng.random() < 0.9:
            headers["X-Tenant-ID"] = rng.choice([project, "other", "", "y" * 3000])
        roll = rng.random()
        if roll < 0.5:
            headers["X-Instance-ID-Signature"] = sign(target)
        elif roll < 0.7:
            headers["X-Instance-ID-Signature"] = sign(target, "wrong")
        elif roll < 0.85:
            headers["X-Instance-ID-Signature"] = rng.choice(["", "zz", "0" * 64, "f" * 10000])
        try:
            status, data, _ = client.send(rng.choice(["GET", "GET", "GET", "POST", "HEAD"]), path, headers=headers)
        except Exception as error:  # noqa: BLE001
            status, data = 0, str(error).encode()
        fuzzer.sent += 1
        fuzzer.histogram[status] += 1
        statuses[status] += 1
        if fuzzer.cloud.process is None or fuzzer.cloud.process.poll() is not None:
            fuzzer.violation(f"the process died on metadata {path} {headers}")
            return
        if status == 0 or status >= 500:
            fuzzer.violation(f"metadata {status} for {path}: {data[:200]!r}")
        else:
            fuzzer.passed += 1
    print(f"fuzz: metadata API, {sum(statuses.values())} requests; statuses "
          + ", ".join(f"{code}: {count}" for code, count in sorted(statuses.items())))


EC2_REQUESTS = int(os.environ.get("FUZZ_EC2_REQUESTS", "400"))
EC2_ACTIONS = ["DescribeRegions", "DescribeAvailabilityZones", "DescribeInstanceTypes", "DescribeAccountAttributes",
               "CreateKeyPair", "ImportKeyPair", "DescribeKeyPairs", "DeleteKeyPair", "DescribeImages", "RunInstances",
               "DescribeInstances", "DescribeInstanceStatus", "TerminateInstances", "StopInstances", "StartInstances",
               "RebootInstances", "GetConsoleOutput", "DescribeInstanceAttribute", "ModifyInstanceAttribute",
               "CreateImage", "DeregisterImage", "DescribeImageAttribute", "CreateTags", "DeleteTags", "DescribeTags",
               "CreateVolume", "DescribeVolumes", "AttachVolume", "DetachVolume", "DeleteVolume", "CreateSnapshot",
               "DescribeSnapshots", "DeleteSnapshot", "DescribeVpcs", "DescribeSubnets", "AllocateAddress",
               "AssociateAddress", "DisassociateAddress", "ReleaseAddress", "DescribeAddresses",
               "CreateSecurityGroup", "DeleteSecurityGroup", "DescribeSecurityGroups",
               "AuthorizeSecurityGroupIngress", "AuthorizeSecurityGroupEgress", "RevokeSecurityGroupIngress",
               "RevokeSecurityGroupEgress", "LaunchRockets", ""]
EC2_WRITES = {"CreateKeyPair", "ImportKeyPair", "DeleteKeyPair", "RunInstances", "TerminateInstances",
              "StopInstances", "StartInstances", "RebootInstances", "ModifyInstanceAttribute", "CreateImage",
              "DeregisterImage", "CreateTags", "DeleteTags", "CreateVolume", "AttachVolume", "DetachVolume",
              "DeleteVolume", "CreateSnapshot", "DeleteSnapshot", "AllocateAddress", "AssociateAddress",
              "DisassociateAddress", "ReleaseAddress", "CreateSecurityGroup", "DeleteSecurityGroup",
              "AuthorizeSecurityGroupIngress", "AuthorizeSecurityGroupEgress", "RevokeSecurityGroupIngress",
              "RevokeSecurityGroupEgress"}


def ec2_signature(access, secret, body, host, stamp):
    """AWS Signature Version 4 of a form POST to /ec2, as botocore makes it."""
    content_type = "application/x-www-form-urlencoded; charset=utf-8"
    canonical = "\n".join(["POST", "/ec2", "", f"content-type:{content_type}", f"host:{host}", f"x-amz-date:{stamp}",
                           "", "content-type;host;x-amz-date", hashlib.sha256(body).hexdigest()])
    scope = f"{stamp[:8]}/RegionOne/ec2/aws4_request"
    to_sign = "\n".join(["AWS4-HMAC-SHA256", stamp, scope, hashlib.sha256(canonical.encode()).hexdigest()])
    key = ("AWS4" + secret).encode()
    for part in [stamp[:8], "RegionOne", "ec2", "aws4_request"]:
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    signature = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
    return {"Content-Type": content_type, "X-Amz-Date": stamp,
            "Authorization": f"AWS4-HMAC-SHA256 Credential={access}/{scope}, SignedHeaders=content-type;host;x-amz-date, "
                             f"Signature={signature}"}


def fuzz_ec2(fuzzer, port):
    """The EC2 API with signed requests of hostile parameters (counts past 2^63, odd ids, filters, tokens, user
    data, tags), some with another secret, a stale date or no signature. No answer may be 5xx, the process must
    live, and a refused write must change no table but the EC2 front end's own names."""
    client = Client(port)
    rng = fuzzer.rng
    status, reply, _ = client.json("POST", f"/identity/v3/users/{fuzzer.member_info['user']['id']}/credentials/OS-EC2",
                                   token=fuzzer.member, body={"tenant_id": fuzzer.member_info["project"]["id"]})
    if status != 201:
        fuzzer.violation(f"no EC2 key pair for the EC2 fuzz: {status} {reply}")
        return
    access, secret = reply["credential"]["access"], reply["credential"]["secret"]
    host = f"127.0.0.1:{port}"
    def text(value):
        return getattr(value, "text", None) or str(value)

    def encodable(value):
        try:
            value.encode("utf-8")
            return True
        except UnicodeEncodeError:
            return False
    values = [text(v) for v in EXTREME_VALUES if not isinstance(v, (dict, list)) and encodable(text(v))] + [
        "i-0123456789abcdef0", "i-", "ami-", "ami-zz", "m1.tiny", "x" * 5000, "\u00e9\u0000", "*", "?", "\\",
        "true", "false", "-1", "0", "1", "2", "1001", "9223372036854775808", "tag:Name", "instance-state-name",
        "bm90IGJhc2U2NA==", "%%%", "r-1", "key-1", "vol-0123456789abcdef0", "snap-1", "sg-1", "subnet-1",
        "eipalloc-1", "eipassoc-1", "tcp", "icmp", "-1", "0.0.0.0/0", "10.0.0.0/33", "/dev/vdb", "nova",
        "instanceType", "userData", "disableApiTermination", "description", "launchPermission", "65536", "22"]

    def parameters(action):
        params = {"Action": action, "Version": rng.choice(["2016-11-15"] * 6 + ["2099-01-01", "x", ""])}
        names = ["ImageId", "InstanceType", "MinCount", "MaxCount", "KeyName", "UserData", "ClientToken", "DryRun",
                 "InstanceId", "InstanceId.1", "InstanceId.2", "Filter.1.Name", "Filter.1.Value.1",
                 "Filter.2.Name", "Filter.99999999999999999999.Name", "MaxResults", "NextToken", "PublicKeyMaterial",
                 "Placement.AvailabilityZone", "TagSpecification.1.ResourceType", "TagSpecification.1.Tag.1.Key",
                 "TagSpecification.1.Tag.1.Value", "KeyName.1", "ImageId.1", "Owner.1", "RegionName.1",
                 "IncludeAllInstances", "AttributeName.1", "Attribute", "InstanceType.Value",
                 "DisableApiTermination.Value", "UserData.Value", "Name", "Description", "ResourceId.1",
                 "Tag.1.Key", "Tag.1.Value", "Size", "AvailabilityZone", "SnapshotId", "VolumeId", "VolumeType",
                 "Device", "VpcId.1", "SubnetId", "SubnetId.1", "PrivateIpAddress", "SecurityGroupId.1",
                 "AllocationId", "PublicIp", "AssociationId", "Domain", "GroupId", "GroupName", "GroupDescription",
                 "IpPermissions.1.IpProtocol", "IpPermissions.1.FromPort", "IpPermissions.1.ToPort",
                 "IpPermissions.1.IpRanges.1.CidrIp", "IpPermissions.1.Groups.1.GroupId"]
        for _ in range(rng.randint(0, 6)):
            params[rng.choice(names)] = rng.choice(values)
        return params

    statuses = collections.Counter()
    for _ in range(EC2_REQUESTS):
        action = rng.choice(EC2_ACTIONS)
        body = urllib.parse.urlencode(parameters(action)).encode()
        stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(time.time() - (900 if rng.random() < 0.05 else 0)))
        headers = ec2_signature(access, secret if rng.random() > 0.08 else "wrong", body, host, stamp)
        if rng.random() < 0.04:
            headers.pop("Authorization")
        if rng.random() < 0.03:
            headers["Authorization"] = rng.choice(["AWS4-HMAC-SHA256", "AWS4-HMAC-SHA256 Credential=", "x" * 9000])
        before = fuzzer.database.quiet_digest() if action in EC2_WRITES else None
        try:
            status, data, _ = client.send("POST", "/ec2", body, headers)
        except Exception as error:  # noqa: BLE001
            status, data = 0, str(error).encode()
        fuzzer.sent += 1
        fuzzer.histogram[status] += 1
        statuses[status] += 1
        if fuzzer.cloud.process is None or fuzzer.cloud.process.poll() is not None:
            fuzzer.violation(f"the process died on EC2 {body[:200]!r}")
            return
        if status == 0 or status >= 500:
            fuzzer.violation(f"EC2 {status} for {body[:200]!r}: {data[:300]!r}")
            continue
        if before is not None and 400 <= status < 500:
            after = fuzzer.database.quiet_digest()
            changed = sorted(t for t in set(after) | set(before)
                             if after.get(t) != before.get(t) and not t.startswith("ec2_"))
            if changed:
                fuzzer.violation(f"EC2 {status} for {body[:200]!r} but tables changed: {', '.join(changed)}")
                continue
        fuzzer.passed += 1
    print(f"fuzz: EC2 API, {sum(statuses.values())} signed requests; statuses "
          + ", ".join(f"{code}: {count}" for code, count in sorted(statuses.items())))


def main():
    port = free_port()
    data_dir = tempfile.mkdtemp(prefix="nova-fuzz-")
    cloud = Cloud(data_dir, port)
    metadata_port = free_port()
    cloud.extra_config = (f"[DEFAULT]\nmetadata_listen_port = {metadata_port}\n"
                          f"[neutron]\nmetadata_proxy_shared_secret = {METADATA_SECRET}\n")
    rng = random.Random(SEED)
    fuzzer = None
    try:
        cloud.start(admin_password=ADMIN_PASSWORD)
        client = Client(port)
        with open(os.path.join(data_dir, "demo-openrc.sh")) as openrc:
            demo_password = next(line.split("=", 1)[1].strip().strip("'") for line in openrc
                                 if line.startswith("export OS_PASSWORD="))
        database = Database(os.path.join(data_dir, "nova.sqlite"))
        fuzzer = Fuzzer(cloud, client, database, rng)
        fuzzer.demo_password = demo_password
        fuzzer.log_in()
        ids = fixtures(client, fuzzer.admin, fuzzer.member)
        table, deletes, queries = endpoints(ids, fuzzer.member_info)
        print(f"fuzz: seed {SEED}, at most {REQUESTS} requests or {SECONDS:.0f} s, {len(table)} write endpoints, "
              f"{len(deletes)} delete routes, {len(queries)} listings with queries")
        # The metadata API first, while the fixtures' server exists (the series deletes it).
        fuzz_metadata(fuzzer, metadata_port, ids["server"], fuzzer.member_info["project"]["id"])
        elapsed = fuzzer.run(table, deletes, queries)
        if cloud.process is not None and cloud.process.poll() is None:
            fuzz_ec2(fuzzer, port)
        if cloud.process is not None and cloud.process.poll() is None:
            status, _, _ = client.json("GET", "/compute/v2.1/servers", token=fuzzer.admin)
            if status != 200:
                fuzzer.violation(f"after the series, GET /servers answered {status}")
        histogram = ", ".join(f"{status}: {count}" for status, count in sorted(fuzzer.histogram.items()))
        print(f"fuzz: {fuzzer.sent} requests in {elapsed:.0f} s; statuses {histogram}")
        print(f"fuzz: {len(fuzzer.violations)} violations (process deaths, 5xx, refused requests that changed data)")
    finally:
        cloud.stop()
        stop_volume_exports(data_dir)
        if fuzzer is not None and not fuzzer.violations:
            shutil.rmtree(data_dir, ignore_errors=True)
        else:
            print(f"     kept {data_dir} (server.log) for inspection")
    failed = len(fuzzer.violations) if fuzzer else 1
    print(f"{fuzzer.passed if fuzzer else 0} passed, {failed} failed")
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
