"""Open vSwitch and OVN as an operator runs them without systemd, for the tests with real guests: each daemon
started by PID with private folders (and in a network namespace when one is given), stopped by its PID.

    OpenVSwitch   a compute host's ovsdb-server and ovs-vswitchd (userspace datapath) with br-int
    OVNCentral    the northbound and southbound databases (on Unix sockets, and TCP on an address when given)
                  with ovn-northd between them
    OVNController a chassis: ovn-controller on a host's Open vSwitch
"""
import glob
import os
import signal
import subprocess
import sys
import time


def sh(*argv, env=None, ok=True):
    result = subprocess.run(list(argv), capture_output=True, text=True, env=env, stdin=subprocess.DEVNULL,
                            timeout=60)
    if ok and result.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)}: {result.stderr.strip()}")
    return result.stdout.strip()


def inside_of(namespace, *argv, ok=True):
    return sh("ip", "netns", "exec", namespace, *argv, ok=ok) if namespace else sh(*argv, ok=ok)


def wait_for(condition, seconds, step=0.5):
    deadline = time.time() + seconds
    while time.time() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(step)
    return condition()


class Daemons:
    """The processes a test started, each stopped by its PID (SIGTERM, then SIGKILL)."""

    def __init__(self, folder):
        self.folder = folder
        self.processes = []
        self.commands = {}

    def start(self, name, argv, env=None, namespace=None):
        self.commands[name] = (argv, env, namespace)
        log = open(os.path.join(self.folder, name + ".out"), "a")
        if namespace:
            argv = ["ip", "netns", "exec", namespace] + list(argv)
        process = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                   env=dict(os.environ, **(env or {})))
        self.processes.append((name, process))
        return process

    def restart(self, name):
        """Stops the process `name` (SIGTERM) and starts it again as it was started."""
        for entry in [e for e in self.processes if e[0] == name]:
            entry[1].send_signal(signal.SIGTERM)
            try:
                entry[1].wait(timeout=20)
            except subprocess.TimeoutExpired:
                entry[1].kill()
                entry[1].wait()
            self.processes.remove(entry)
        argv, env, namespace = self.commands[name]
        return self.start(name, argv, env, namespace)

    def stop(self, instances_glob=None):
        # Guests outlive a stopped compute service (by design): a run that failed before deleting its servers
        # ends their QEMU by the pid files in its instances folders.
        for pid_file in glob.glob(instances_glob or os.path.join(self.folder, "cloud", "instances", "*",
                                                                 "qemu.pid")):
            try:
                with open(pid_file) as f:
                    os.kill(int(f.read().strip()), signal.SIGKILL)
            except (OSError, ValueError):
                pass
        for name, process in reversed(self.processes):
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
                try:
                    process.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()
        self.processes = []


def database(daemons, name, schema, folder, socket, namespace=None, tcp=None):
    """An ovsdb-server for one database, on `folder/socket` (and `tcp` = "port:address" when given)."""
    sh("ovsdb-tool", "create", f"{folder}/{name}.db", schema)
    remotes = [f"--remote=punix:{folder}/{socket}"] + ([f"--remote=ptcp:{tcp}"] if tcp else [])
    daemons.start(f"ovsdb-{name}-{os.path.basename(folder)}", [
        "ovsdb-server", f"{folder}/{name}.db", *remotes, f"--pidfile={folder}/{name}.pid",
        f"--unixctl={folder}/{name}.ctl", f"--log-file={folder}/{name}.log"], namespace=namespace)
    wait_for(lambda: os.path.exists(f"{folder}/{socket}"), 10, step=0.1)


class OpenVSwitch:
    """ovsdb-server and ovs-vswitchd with a userspace-datapath br-int, as a compute host runs them."""

    def __init__(self, folder, daemons, namespace=None):
        self.folder, self.daemons, self.namespace = folder, daemons, namespace
        os.makedirs(folder)
        self.env = {"OVS_RUNDIR": folder, "OVS_LOGDIR": folder, "OVS_DBDIR": folder, "OVS_SYSCONFDIR": folder}
        self.db = f"unix:{folder}/db.sock"

    def vsctl(self, *args):
        return sh("ovs-vsctl", f"--db={self.db}", *args)

    def start(self):
        database(self.daemons, "conf", "/usr/share/openvswitch/vswitch.ovsschema", self.folder, "db.sock",
                 self.namespace)
        self.vsctl("--no-wait", "init")
        # Guests offload TCP checksums: the userspace datapath must know (set before ovs-vswitchd starts).
        self.vsctl("--no-wait", "set", "open_vswitch", ".", "other_config:userspace-tso-enable=true")
        self.daemons.start(f"ovs-vswitchd-{os.path.basename(self.folder)}", [
            "ovs-vswitchd", self.db, f"--pidfile={self.folder}/ovs-vswitchd.pid",
            f"--unixctl={self.folder}/ovs-vswitchd.ctl", f"--log-file={self.folder}/ovs-vswitchd.log"],
            self.env, namespace=self.namespace)
        self.vsctl("add-br", "br-int", "--", "set", "bridge", "br-int", "datapath_type=netdev", "fail_mode=secure")

    def add_bridge(self, bridge):
        self.vsctl("add-br", bridge, "--", "set", "bridge", bridge, "datapath_type=netdev")

    def add_veth(self, bridge, link, peer, peer_namespace):
        """A veth pair: `link` on `bridge` here, `peer` in `peer_namespace`."""
        inside_of(self.namespace, "ip", "link", "add", link, "type", "veth", "peer", "name", peer, "netns",
                  peer_namespace)
        inside_of(self.namespace, "ip", "link", "set", link, "up")
        self.vsctl("add-port", bridge, link)

    def bridge_ports(self, bridge="br-int"):
        """The guests' and probes' ports on the bridge (not the patch ports of the bridge mappings, nor the
        tunnels to other chassis)."""
        return {p for p in self.vsctl("list-ports", bridge).split() if not p.startswith(("patch-", "ovn-"))}


# SIOCETHTOOL with ETHTOOL_STXCSUM, as `ethtool -K DEVICE tx off` does it (ethtool itself is not installed).
_TX_CHECKSUM_OFF = """
import ctypes, fcntl, socket, struct, sys
value = ctypes.create_string_buffer(struct.pack("II", 0x17, 0))
request = struct.pack("16sP", sys.argv[1].encode(), ctypes.addressof(value))
fcntl.ioctl(socket.socket(socket.AF_INET, socket.SOCK_DGRAM), 0x8946, request)
"""


def tx_checksums_off(namespace, device):
    """The kernel finishes the checksums of what `device` sends: Open vSwitch's userspace datapath (3.1) drops
    a packet with an unfinished checksum that it would send into a tunnel."""
    inside_of(namespace, "python3", "-c", _TX_CHECKSUM_OFF, device)


class OVNCentral:
    """OVN's northbound and southbound databases and ovn-northd."""

    def __init__(self, folder, daemons, namespace=None, address=None):
        self.folder, self.daemons, self.namespace, self.address = folder, daemons, namespace, address
        os.makedirs(folder)
        self.env = {"OVN_RUNDIR": folder, "OVN_LOGDIR": folder, "OVN_DBDIR": folder}
        self.nb = f"unix:{folder}/nb.sock"
        self.sb = f"unix:{folder}/sb.sock"
        # What other namespaces connect to (the Unix sockets when everything shares one).
        self.nb_remote = f"tcp:{address}:6641" if address else self.nb
        self.sb_remote = f"tcp:{address}:6642" if address else self.sb

    def start(self):
        database(self.daemons, "nb", "/usr/share/ovn/ovn-nb.ovsschema", self.folder, "nb.sock", self.namespace,
                 f"6641:{self.address}" if self.address else None)
        database(self.daemons, "sb", "/usr/share/ovn/ovn-sb.ovsschema", self.folder, "sb.sock", self.namespace,
                 f"6642:{self.address}" if self.address else None)
        sh("ovn-nbctl", f"--db={self.nb}", "--no-wait", "init")
        self.daemons.start("ovn-northd", [
            "ovn-northd", f"--ovnnb-db={self.nb}", f"--ovnsb-db={self.sb}", f"--pidfile={self.folder}/northd.pid",
            f"--unixctl={self.folder}/northd.ctl", f"--log-file={self.folder}/northd.log"], self.env,
            namespace=self.namespace)

    def chassis(self):
        return sh("ovn-sbctl", f"--db={self.sb}", "--bare", "--columns=name", "list", "Chassis").split()

    def describe(self):
        """What OVN holds, for a failed check."""
        for argv in (["ovn-nbctl", f"--db={self.nb}", "show"], ["ovn-sbctl", f"--db={self.sb}", "show"]):
            print("     " + "\n     ".join(sh(*argv, ok=False).splitlines()))

    def logical_ports(self):
        return set(sh("ovn-nbctl", f"--db={self.nb}", "--bare", "--columns=name", "list",
                      "Logical_Switch_Port").split())


def start_controller(ovs, central, chassis, hostname, encap_ip, gateway=False, mappings=None):
    """ovn-controller on `ovs` as the chassis `chassis` of the compute host `hostname` (Nova's [DEFAULT]
    host), its tunnels' address `encap_ip`; a gateway chassis when asked, with its bridge mappings."""
    settings = [f"external_ids:system-id={chassis}", f"external_ids:hostname={hostname}",
                f"external_ids:ovn-remote={central.sb_remote}", "external_ids:ovn-encap-type=geneve",
                f"external_ids:ovn-encap-ip={encap_ip}", "external_ids:ovn-bridge-datapath-type=netdev"]
    if gateway:
        settings.append("external_ids:ovn-cms-options=enable-chassis-as-gw")
    if mappings:
        settings.append(f"external_ids:ovn-bridge-mappings={mappings}")
    ovs.vsctl("set", "open_vswitch", ".", *settings)
    env = dict(ovs.env, OVN_RUNDIR=ovs.folder, OVN_LOGDIR=ovs.folder)
    ovs.daemons.start(f"ovn-controller-{chassis}", [
        "ovn-controller", ovs.db, f"--pidfile={ovs.folder}/ovn-controller.pid",
        f"--log-file={ovs.folder}/ovn-controller.log"], env, namespace=ovs.namespace)
    if not wait_for(lambda: chassis in central.chassis(), 30):
        raise RuntimeError(f"ovn-controller did not register {chassis} within 30 s")


def ssh(address, key, command, namespace):
    """`command`'s output on the guest at `address`, through SSH from `namespace` (None: no login)."""
    result = subprocess.run(
        ["ip", "netns", "exec", namespace, "ssh", "-i", key, "-o", "StrictHostKeyChecking=no", "-o",
         "UserKnownHostsFile=/dev/null", "-o", "BatchMode=yes", "-o", "ConnectTimeout=5", "-o", "LogLevel=ERROR",
         f"root@{address}", command], capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=30)
    return result.stdout.strip() if result.returncode == 0 else None


def pings(address, namespace, count=1, wait=1):
    """Whether `address` answers ping from `namespace`. busybox-static is there for the guest image already;
    its ping needs no other package."""
    return subprocess.run(["ip", "netns", "exec", namespace, "busybox", "ping", "-c", str(count), "-W",
                           str(wait), address], capture_output=True).returncode == 0


class Probe:
    """A machine on a guests' network: a namespace with a veth on a host's br-int bound to a port of the
    networking service (`port`, a dict as the client shows it)."""

    def __init__(self, ovs, namespace, link="probe0", peer="probe1"):
        self.ovs, self.namespace, self.link, self.peer = ovs, namespace, link, peer
        ovs.add_veth("br-int", link, peer, namespace)

    def bind(self, port, prefix):
        address = (port.get("fixed_ips") or [{}])[0].get("ip_address")
        self.ovs.vsctl("set", "Interface", self.link, f"external_ids:iface-id={port.get('id')}",
                       f"external_ids:attached-mac={port.get('mac_address')}")
        inside_of(self.namespace, "ip", "link", "set", "lo", "up")
        inside_of(self.namespace, "ip", "link", "set", self.peer, "address",
                  port.get("mac_address", "fa:16:3e:00:00:01"))
        inside_of(self.namespace, "ip", "addr", "add", f"{address}/{prefix}", "dev", self.peer)
        inside_of(self.namespace, "ip", "link", "set", self.peer, "mtu", "1442", "up")
        return address


def run_inside_namespaces(script, argument, tag):
    """Runs `script ARGUMENT --inside` inside a namespace of its own (the host's: `tag-PID`), with a probe's and
    the outside world's beside it (their names in NOVA_DP_PROBE and NOVA_DP_OUTSIDE); deletes all three after.
    Its exit status."""
    namespace = f"{tag}-{os.getpid()}"
    others = {"NOVA_DP_PROBE": namespace + "-probe", "NOVA_DP_OUTSIDE": namespace + "-out"}
    made = []
    try:
        for name in [namespace] + list(others.values()):
            sh("ip", "netns", "add", name)
            made.append(name)
        return subprocess.run(["ip", "netns", "exec", namespace, sys.executable, os.path.abspath(script), argument,
                               "--inside"], env=dict(os.environ, **others)).returncode
    finally:
        for name in made:
            sh("ip", "netns", "delete", name, ok=False)
