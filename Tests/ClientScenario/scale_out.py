"""A scale-out deployment on one machine for the client scenario: nats-server, a database in the throwaway
PostgreSQL the test command started, and one nova-server process per service (placement, 2 api, network, volume,
2 conductor, 1 scheduler, 2 compute hosts, novncproxy), each stopped by its PID.

It has the all-in-one Cloud's interface (start, stop, address, port, data_dir with admin-openrc.sh and
demo-openrc.sh), so the same scenario runs against it. The second API process, Placement and the noVNC proxy serve HTTPS
from a certificate made here; the services reach Keystone, Glance and Placement over HTTPS, and the demo user's openrc
points at the second API process with OS_CACERT, as `--os-cacert` would.

With NetworkNamespaces (network_namespaces.py), the control plane runs in a namespace of its own with its own
PostgreSQL, and each compute host in another, with its own my_ip, nova.conf overlay and data directory: the
compute hosts reach nats-server, Keystone, Glance and Placement only across the namespaces' network. Without,
every process listens on 127.0.0.1 and the database is made in the PostgreSQL the test command started.
"""
import json
import os
import random
import re
import signal
import socket
import ssl
import subprocess
import tempfile
import time
import urllib.error
import urllib.request

THROWAWAY_POSTGRES = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))),
                                  "scripts", "throwaway-postgres.sh")


HANDED_OUT = set()


def free_port():
    """A port for a listener a test starts, free now and below the kernel's ephemeral range (32768-60999 on
    Linux): a port the kernel picked (bind to 0) is an ephemeral one, which any process's outgoing connection
    (a service's to PostgreSQL) may take before the listener starts, as it once took the second API's."""
    while True:
        port = random.randint(10000, 19999)
        if port in HANDED_OUT:
            continue
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
        HANDED_OUT.add(port)
        return port


def wait_for(url, process, what, cafile=None, timeout=60):
    context = ssl.create_default_context(cafile=cafile) if cafile else None
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            urllib.request.urlopen(url, timeout=1, context=context)
            return
        except urllib.error.HTTPError:
            return
        except Exception:
            if process.poll() is not None:
                raise RuntimeError(f"{what} exited during start")
            time.sleep(0.2)
    raise RuntimeError(f"{what} did not answer within {timeout} s")


class ScaleOutCloud:
    def __init__(self, server, data_dir, port, postgres_url, fake_hosts=2, extra_config="", namespaces=None,
                 host_config=None, extra_services=()):
        """`host_config`: a compute host's own lines, by host name; `extra_services`: (name, arguments) of more
        processes in the control plane (after the networking service)."""
        self.server, self.data_dir, self.port = server, data_dir, port
        self.extra_config = extra_config
        self.extra_host_config = host_config or {}
        self.extra_services = list(extra_services)
        self.namespaces = namespaces
        self.address = namespaces.control_ip if namespaces else "127.0.0.1"
        self.commands = {}
        self.api2_port, self.placement_port, self.nats_port = free_port(), free_port(), free_port()
        self.novnc_port, self.raw_vnc_port, self.network_port = free_port(), free_port(), free_port()
        self.volume_port, self.ec2_port = free_port(), free_port()
        self.hosts = [f"compute-{n}" for n in range(1, fake_hosts + 1)]
        self.processes = {}
        self.nats = None
        self.postgres_dir = None
        self.config = os.path.join(data_dir, "nova.conf")
        self.tls_config = os.path.join(data_dir, "nova-tls.conf")
        self.cert, self.key = os.path.join(data_dir, "cert.pem"), os.path.join(data_dir, "key.pem")
        try:
            self.database_url = self.own_postgres() if namespaces else self.new_database(postgres_url)
            names = sorted({"127.0.0.1", self.address})
            subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                            "-subj", f"/CN={self.address}", "-addext",
                            "subjectAltName=" + ",".join(f"IP:{name}" for name in names),
                            "-keyout", self.key, "-out", self.cert], check=True, capture_output=True)
        except BaseException:
            self.close()  # its PostgreSQL and the namespaces it was given are not left behind
            raise

    @staticmethod
    def new_database(postgres_url):
        database = "nova_scale_out_%d" % os.getpid()
        for statement in (f"DROP DATABASE IF EXISTS {database}", f"CREATE DATABASE {database}"):
            subprocess.run(["psql", "-q", postgres_url, "-c", statement], check=True, capture_output=True)
        return re.sub(r"/[^/]*$", "/" + database, postgres_url)

    def own_postgres(self):
        """A throwaway PostgreSQL inside the control plane's namespace, on its loopback."""
        self.postgres_dir = tempfile.mkdtemp(prefix="nova-pg-ctl-")
        port = free_port()
        subprocess.run(self.namespaces.command(self.namespaces.control, [THROWAWAY_POSTGRES, "start",
                                                                          self.postgres_dir, str(port)]),
                       check=True, capture_output=True)
        return f"postgresql://nova@127.0.0.1:{port}/postgres"

    def host_config(self, host):
        """A compute host's own file over the shared nova.conf: where it is on the network."""
        path = os.path.join(self.data_dir, f"{host}.conf")
        if self.namespaces:
            address = self.namespaces.host_ips[self.hosts.index(host)]
            with open(path, "w") as conf:
                conf.write(f"[DEFAULT]\nmy_ip = {address}\n[vnc]\nserver_listen = {address}\n"
                           f"server_proxyclient_address = {address}\n")
        else:
            with open(path, "w") as conf:
                conf.write("[DEFAULT]\nmy_ip = 127.0.0.1\n")
        with open(path, "a") as conf:
            conf.write(self.extra_host_config.get(host, ""))
        return path

    def namespace_of(self, name):
        if not self.namespaces:
            return None
        if name in self.hosts:
            return self.namespaces.hosts[self.hosts.index(name)]
        return self.namespaces.control

    def write_config(self, admin_password):
        api = f"https://{self.address}:{self.api2_port}"
        text = f"""[DEFAULT]
transport_url = nats://{self.address}:{self.nats_port}
report_interval = 2
[database]
connection = {self.database_url}
[service_user]
auth_url = {api}/identity
username = admin
password = {admin_password}
project_name = admin
cafile = {self.cert}
[placement]
endpoint_override = https://{self.address}:{self.placement_port}
[neutron]
endpoint_override = https://{self.address}:{self.network_port}/networking
[cinder]
endpoint_override = https://{self.address}:{self.volume_port}/volume/v3
[file]
target_ip_address = {self.address}
[fake_driver]
live_migration_seconds = 8
[vnc]
novncproxy_host = {self.address}
novncproxy_port = {self.novnc_port}
novncproxy_base_url = https://{self.address}:{self.novnc_port}/vnc_lite.html
xvpvncproxy_host = {self.address}
xvpvncproxy_port = {self.raw_vnc_port}
""" + self.extra_config
        with open(self.config, "w") as conf:
            conf.write(text)
        with open(self.tls_config, "w") as conf:
            conf.write(text + f"[ssl]\ncert_file = {self.cert}\nkey_file = {self.key}\n")

    def spawn(self, name, args, tls=False):
        """A service process: compute hosts with their own file and data directory, in their namespace if any."""
        log = open(os.path.join(self.data_dir, f"{name}.log"), "a")
        configs = [self.tls_config if tls else self.config]
        data_dir = self.data_dir
        if name in self.hosts:
            configs.append(self.host_config(name))
            data_dir = os.path.join(self.data_dir, name)
            os.makedirs(data_dir, exist_ok=True)
        command = [self.server] + args + ["--data-dir", data_dir, "--log-level", "warning"]
        for config in configs:
            command += ["--config", config]
        namespace = self.namespace_of(name)
        if namespace:
            command = self.namespaces.command(namespace, command)
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        self.processes[name] = process
        self.commands[name] = (args, tls)
        return process

    def kill(self, name):
        """SIGKILL, as a crash: no clean shutdown."""
        process = self.processes[name]
        os.kill(process.pid, signal.SIGKILL)
        process.wait()

    def respawn(self, name):
        args, tls = self.commands[name]
        return self.spawn(name, args, tls=tls)

    def start_nats(self):
        command = ["nats-server", "-a", self.address, "-p", str(self.nats_port)]
        if self.namespaces:
            command = self.namespaces.command(self.namespaces.control, command)
        self.nats = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def kill_nats(self):
        os.kill(self.nats.pid, signal.SIGKILL)
        self.nats.wait()
        self.nats = None

    def start(self, admin_password=None):
        if admin_password:
            self.admin_password = admin_password
        self.write_config(self.admin_password)
        if self.nats is None:
            self.start_nats()
        sync = [self.server, "db", "sync", "--config", self.config, "--data-dir", self.data_dir]
        if self.namespaces:
            sync = self.namespaces.command(self.namespaces.control, sync)
        subprocess.run(sync, check=True, capture_output=True)
        placement = self.spawn("placement", ["placement", "--listen", f"{self.address}:{self.placement_port}"],
                               tls=True)
        api = self.spawn("api-1", ["api", "--listen", f"{self.address}:{self.port}", "--admin-password",
                                   self.admin_password])
        wait_for(f"http://{self.address}:{self.port}/identity/v3", api, "nova-server api")
        wait_for(f"https://{self.address}:{self.placement_port}/", placement, "nova-server placement",
                 self.cert)
        api2 = self.spawn("api-2", ["api", "--listen", f"{self.address}:{self.api2_port}"], tls=True)
        network = self.spawn("network", ["network", "--listen", f"{self.address}:{self.network_port}"], tls=True)
        wait_for(f"https://{self.address}:{self.network_port}/networking", network, "nova-server network", self.cert)
        volume = self.spawn("volume", ["volume", "--listen", f"{self.address}:{self.volume_port}"], tls=True)
        wait_for(f"https://{self.address}:{self.volume_port}/volume", volume, "nova-server volume", self.cert)
        ec2 = self.spawn("ec2", ["ec2", "--listen", f"{self.address}:{self.ec2_port}"], tls=True)
        wait_for(f"https://{self.address}:{self.ec2_port}/ec2", ec2, "nova-server ec2", self.cert)
        for name, args in self.extra_services:
            self.spawn(name, args)
        for n in (1, 2):
            self.spawn(f"conductor-{n}", ["conductor", "--host", f"conductor-{n}"])
        self.spawn("scheduler", ["scheduler", "--host", "scheduler-1"])
        for host in self.hosts:
            self.spawn(host, ["compute", "--host", host])
        self.spawn("novncproxy", ["novncproxy"], tls=True)
        wait_for(f"https://{self.address}:{self.api2_port}/identity/v3", api2, "the second nova-server api", self.cert)
        self.point_demo_at_second_api()
        self.wait_for_compute_hosts()

    @property
    def ec2_endpoint(self):
        """The EC2 API of its own process (`nova-server ec2`), which the scenario's EC2 steps use."""
        return f"https://{self.address}:{self.ec2_port}/ec2"

    def point_demo_at_second_api(self):
        """Both users trust the certificate (Placement is HTTPS for both); demo goes to the second API."""
        for user in ("admin", "demo"):
            path = os.path.join(self.data_dir, f"{user}-openrc.sh")
            text = open(path).read()
            if user == "demo":
                text = text.replace(f"http://{self.address}:{self.port}/", f"https://{self.address}:{self.api2_port}/")
            if "OS_CACERT" not in text:
                text += f"export OS_CACERT={self.cert}\n"
            open(path, "w").write(text)

    def wait_for_compute_hosts(self, timeout=60):
        """Until every compute host has registered its node (through the conductor) and is up."""
        token = self.admin_token()
        deadline = time.time() + timeout
        while time.time() < deadline:
            for name, process in self.processes.items():
                if process.poll() is not None:
                    raise RuntimeError(f"{name} exited during start (see {name}.log)")
            request = urllib.request.Request(f"http://{self.address}:{self.port}/compute/v2.1/os-hypervisors/detail",
                                             headers={"X-Auth-Token": token})
            hypervisors = json.loads(urllib.request.urlopen(request, timeout=5).read())["hypervisors"]
            if sorted(h["hypervisor_hostname"] for h in hypervisors if h["state"] == "up") == self.hosts:
                return
            time.sleep(0.3)
        raise RuntimeError("the compute hosts did not register within %d s" % timeout)

    def admin_token(self):
        return self.admin_auth()[0]

    def admin_auth(self):
        """The admin's token and project id."""
        body = {"auth": {"identity": {"methods": ["password"], "password": {"user": {
            "name": "admin", "domain": {"name": "Default"}, "password": self.admin_password}}},
            "scope": {"project": {"name": "admin", "domain": {"name": "Default"}}}}}
        request = urllib.request.Request(f"http://{self.address}:{self.port}/identity/v3/auth/tokens",
                                         data=json.dumps(body).encode(), headers={"Content-Type": "application/json"})
        response = urllib.request.urlopen(request, timeout=10)
        return response.headers["X-Subject-Token"], json.loads(response.read())["token"]["project"]["id"]

    def stop(self, keep_nats=True):
        for name, process in reversed(list(self.processes.items())):
            if process.poll() is None:
                os.kill(process.pid, signal.SIGTERM)
        for name, process in self.processes.items():
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.kill(process.pid, signal.SIGKILL)
                process.wait()
        self.processes = {}
        if not keep_nats and self.nats:
            os.kill(self.nats.pid, signal.SIGTERM)
            self.nats.wait()
            self.nats = None

    def close(self):
        """Everything this deployment started, then its own PostgreSQL and namespaces if it has them."""
        self.stop(keep_nats=False)
        if self.postgres_dir:
            subprocess.run([THROWAWAY_POSTGRES, "stop", self.postgres_dir], capture_output=True)
            self.postgres_dir = None
        if self.namespaces:
            self.namespaces.remove()
