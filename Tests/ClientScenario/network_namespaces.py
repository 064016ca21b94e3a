"""Network namespaces a test makes for itself (as root, with iproute2) and removes at the end: one for the control
plane and one per compute host, so that the compute hosts share nothing with the control plane but a network.

    nova-ctl-<tag>   a bridge at <subnet>.1: nats-server, PostgreSQL, Placement, the API and the other services
    nova-hN-<tag>    one compute host each at <subnet>.(10+N), a veth pair to the bridge
    this namespace   a veth pair to the bridge at <subnet>.254, so that the clients here reach <subnet>.1

Every address anything connects to is inside these namespaces: the control plane's, or a compute host's.
"""
import os
import subprocess


def ip(*args, namespace=None):
    command = ["ip"] + (["-n", namespace] if namespace else []) + list(args)
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(command)}: {result.stderr.strip()}")
    return result.stdout


class NetworkNamespaces:
    def __init__(self, host_count=2):
        self.tag = os.getpid() % 100000
        self.control = f"nova-ctl-{self.tag}"
        self.hosts = [f"nova-h{n}-{self.tag}" for n in range(1, host_count + 1)]
        self.uplink = f"nv{self.tag}"
        self.subnet = self.free_subnet()
        self.control_ip = f"{self.subnet}.1"
        self.host_ips = [f"{self.subnet}.{10 + n}" for n in range(1, host_count + 1)]
        self.created = []
        try:
            self.create()
        except Exception:
            self.remove()
            raise

    def free_subnet(self):
        """A 10.231.N.0/24 that no route of this namespace uses yet (several runs may share a machine)."""
        routes = ip("-4", "route", "show")
        for offset in range(250):
            third = (self.tag + offset) % 250 + 1
            if f"10.231.{third}." not in routes:
                return f"10.231.{third}"
        raise RuntimeError("no free 10.231.N.0/24 for the test's namespaces")

    def create(self):
        for namespace in [self.control] + self.hosts:
            ip("netns", "add", namespace)
            self.created.append(namespace)
            ip("link", "set", "lo", "up", namespace=namespace)
        ip("link", "add", "br0", "type", "bridge", namespace=self.control)
        ip("addr", "add", f"{self.control_ip}/24", "dev", "br0", namespace=self.control)
        ip("link", "set", "br0", "up", namespace=self.control)
        for n, (host, address) in enumerate(zip(self.hosts, self.host_ips), start=1):
            ip("link", "add", f"to-h{n}", "netns", self.control, "type", "veth", "peer", "name", "eth0", "netns", host)
            self.attach_to_bridge(f"to-h{n}")
            ip("addr", "add", f"{address}/24", "dev", "eth0", namespace=host)
            ip("link", "set", "eth0", "up", namespace=host)
        ip("link", "add", self.uplink, "type", "veth", "peer", "name", "to-root", "netns", self.control)
        self.attach_to_bridge("to-root")
        ip("addr", "add", f"{self.subnet}.254/24", "dev", self.uplink)
        ip("link", "set", self.uplink, "up")

    def attach_to_bridge(self, link):
        ip("link", "set", link, "master", "br0", namespace=self.control)
        ip("link", "set", link, "up", namespace=self.control)

    def command(self, namespace, argv):
        """argv run inside a namespace: `ip netns exec` enters it and execs argv, so the PID is argv's own."""
        return ["ip", "netns", "exec", namespace] + list(argv)

    @staticmethod
    def of_process(pid):
        """The network namespace a process is in (the inode of /proc/PID/ns/net)."""
        return os.stat(f"/proc/{pid}/ns/net").st_ino

    def remove(self):
        """Deleting a namespace deletes its veth ends, and with them their peers."""
        for namespace in reversed(self.created):
            subprocess.run(["ip", "netns", "del", namespace], capture_output=True)
        self.created = []
