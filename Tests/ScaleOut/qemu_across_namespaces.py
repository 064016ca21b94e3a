#!/usr/bin/env python3
"""Real guests across two compute hosts in network namespaces of their own (see network_namespaces.py and
scale_out.py), on OVN as ML2/OVN deploys it (see ../DataPlane/ovn_daemons.py):

    control plane   the services, OVN's northbound and southbound databases on TCP, ovn-northd, Nova's metadata API
    compute-1       Open vSwitch, ovn-controller (the gateway chassis: br-ex to the outside world), its guests
    compute-2       Open vSwitch, ovn-controller, its guests, and a probe's veth on br-int
    the underlay    a veth between the hosts' br-phy bridges, where their geneve tunnels run

The scale-out deployment with the QEMU driver boots one guest on each host; they get their addresses from OVN's
DHCP and their metadata through each host's metadata agent, and the first answers SSH at its floating IP from
the outside world (through the gateway chassis) and pings the second across the tunnel from inside. The console
proxy in the control plane's namespace reaches its VNC server; it is live-migrated (block migration: memory and
disk over TCP) to compute-2 while the probe pings it 5 times a second, keeps answering (the test prints the pings
lost), and is reached there by SSH and by the console. Prints one line per check and `N passed, M failed`.

Usage (as root): NOVA_SERVER=.build/debug/nova-server python qemu_across_namespaces.py GUEST_IMAGE
"""
import os
import re
import signal
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "Tests", "ClientScenario"))
sys.path.insert(0, os.path.join(ROOT, "Tests", "DataPlane"))
from client_scenario import OPENSTACK, check, checked_deployment, osc_json, read_openrc, run  # noqa: E402
from console_probes import novnc_greeting, raw_greeting  # noqa: E402
from network_namespaces import NetworkNamespaces, ip  # noqa: E402
from ovn_daemons import (Daemons, OpenVSwitch, OVNCentral, Probe, pings, sh, ssh, start_controller,  # noqa: E402
                         tx_checksums_off, wait_for)
from scale_out import ScaleOutCloud, free_port  # noqa: E402

SERVER = os.environ.get("NOVA_SERVER", os.path.join(ROOT, ".build", "debug", "nova-server"))
SECRET = "scale-out-metadata-secret"


class Fabric:
    """OVN across the namespaces: the central databases in the control plane's, Open vSwitch and a chassis in
    each compute host's, the underlay between them, and the outside world's and the probe's namespaces."""

    def __init__(self, namespaces, folder):
        self.namespaces, self.folder = namespaces, folder
        self.daemons = Daemons(folder)
        self.outside = f"nova-out-{namespaces.tag}"
        self.probe_namespace = f"nova-probe-{namespaces.tag}"
        self.central = OVNCentral(os.path.join(folder, "ovn"), self.daemons, namespaces.control,
                                  namespaces.control_ip)
        self.switches = []
        self.underlay = [f"{namespaces.subnet.replace('10.231.', '10.232.')}.{10 + n}" for n in (1, 2)]
        self.metadata_port = free_port()

    def start(self):
        for name in (self.outside, self.probe_namespace):
            ip("netns", "add", name)
            ip("link", "set", "lo", "up", namespace=name)
        self.central.start()
        host1, host2 = self.namespaces.hosts
        ip("link", "add", "tun0", "netns", host1, "type", "veth", "peer", "name", "tun0", "netns", host2)
        for n, host in enumerate(self.namespaces.hosts):
            switch = OpenVSwitch(os.path.join(self.folder, f"ovs-compute-{n + 1}"), self.daemons, host)
            switch.start()
            self.switches.append(switch)
            # The tunnels' underlay: the userspace datapath sends geneve from the address on br-phy.
            switch.add_bridge("br-phy")
            switch.vsctl("add-port", "br-phy", "tun0")
            ip("link", "set", "tun0", "up", namespace=host)
            ip("addr", "add", f"{self.underlay[n]}/24", "dev", "br-phy", namespace=host)
            ip("link", "set", "br-phy", "up", namespace=host)
            if n == 0:
                switch.add_bridge("br-ex")
                switch.add_veth("br-ex", "ext0", "ext1", self.outside)
                ip("addr", "add", "172.24.4.1/24", "dev", "ext1", namespace=self.outside)
                ip("link", "set", "ext1", "up", namespace=self.outside)
                tx_checksums_off(self.outside, "ext1")
            start_controller(switch, self.central, f"compute-{n + 1}", f"compute-{n + 1}", self.underlay[n],
                             gateway=n == 0, mappings="public:br-ex" if n == 0 else None)
        self.probe = Probe(self.switches[1], self.probe_namespace)

    def cloud_config(self):
        """The compute hosts are namespaces of this machine: `local_attach = false` makes them reach the volumes
        over NBD across the namespaces, as hosts on other machines do."""
        control = self.namespaces.control_ip
        return (f"[file]\nlocal_attach = false\n"
                f"[DEFAULT]\nmetadata_listen = {control}\nmetadata_listen_port = {self.metadata_port}\n"
                f"nova_metadata_host = {control}\n"
                f"[neutron]\nmetadata_proxy_shared_secret = {SECRET}\n[ml2]\nmechanism_drivers = ovn\n"
                f"[ovn]\novn_nb_connection = {self.central.nb_remote}\novn_sb_connection = {self.central.sb_remote}\n")

    def host_config(self):
        return {f"compute-{n + 1}": f"[os_vif_ovs]\novsdb_connection = {switch.db}\n"
                f"[ovn]\nmetadata_namespace_prefix = {self.metadata_prefix(n)}\n"
                for n, switch in enumerate(self.switches)}

    def metadata_prefix(self, n):
        return f"ovnmeta-{self.namespaces.tag}-h{n + 1}-"

    def metadata_namespaces(self):
        return sorted(name for name in os.listdir("/run/netns")
                      if any(name.startswith(self.metadata_prefix(n)) for n in (0, 1)))

    def stop(self, data_dir):
        self.daemons.stop(os.path.join(data_dir, "compute-*", "instances", "*", "qemu.pid"))
        for name in [self.outside, self.probe_namespace] + self.metadata_namespaces():
            subprocess.run(["ip", "netns", "delete", name], capture_output=True)


def main(guest_image):
    data_dir = tempfile.mkdtemp(prefix="nova-qemu-netns-")
    namespaces = NetworkNamespaces(2)
    fabric = Fabric(namespaces, data_dir)
    try:
        fabric.start()
        cloud = ScaleOutCloud(
            SERVER, data_dir, free_port(), None, namespaces=namespaces,
            extra_config=(f"[DEFAULT]\ncompute_driver = qemu\n[qemu]\nguest_image = {os.path.abspath(guest_image)}\n"
                          + fabric.cloud_config()),
            host_config=fabric.host_config(),
            extra_services=[("metadata", ["metadata"])])
        cloud.fabric = fabric
        return checked_deployment(cloud, data_dir, "qemu-admin", scenario)
    except BaseException:
        namespaces.remove()
        raise
    finally:
        fabric.stop(data_dir)


def console_of(name, env):
    return run(OPENSTACK, ["console", "log", "show", name], env, expect_ok=False).stdout


def guest_address(name, env, seconds=180):
    """The address the guest printed on its console once DHCP gave eth0 one."""
    def printed():
        found = re.search(r"^NOVA-GUEST-IP eth0 (\S+)", console_of(name, env), re.M)
        return found.group(1) if found else None
    return wait_for(printed, seconds, step=1)


def scenario(cloud):
    namespaces, fabric = cloud.namespaces, cloud.fabric
    print(f"compute-1 in {namespaces.hosts[0]} at {namespaces.host_ips[0]}, compute-2 in {namespaces.hosts[1]} "
          f"at {namespaces.host_ips[1]}, the control plane in {namespaces.control} at {namespaces.control_ip}")
    admin = dict({k: v for k, v in os.environ.items() if not k.startswith("OS_")},
                 **read_openrc(os.path.join(cloud.data_dir, "admin-openrc.sh")), OS_COMPUTE_API_VERSION="2.79")
    key = os.path.join(cloud.data_dir, "id_ed25519")
    sh("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", key)
    run(OPENSTACK, ["keypair", "create", "--public-key", key + ".pub", "k"], admin)
    for name, host in (("roamer", "compute-1"), ("anchor", "compute-2")):
        run(OPENSTACK, ["server", "create", "--flavor", "m1.tiny", "--image", "nova-guest", "--network", "private",
                        "--key-name", "k", "--availability-zone", f"nova:{host}", name], admin)
    servers = {name: wait_for(lambda: active(admin, name), 240, step=1) for name in ("roamer", "anchor")}
    for (name, host) in (("roamer", "compute-1"), ("anchor", "compute-2")):
        server = servers[name] or {}
        check(f"{name} boots on {host} once its chassis claimed its port, from the image Glance serves across "
              "the namespaces", server.get("OS-EXT-SRV-ATTR:host") == host, str(server.get("status")))
    uuid = (servers["roamer"] or {}).get("id", "none")
    addresses = {name: guest_address(name, admin) for name in servers}
    check("both get their addresses from OVN's DHCP", all(addresses.values()), str(addresses))
    for name in servers:
        check(f"{name} read its metadata through its host's metadata agent",
              wait_for(lambda: f"NOVA-GUEST-METADATA {name}" in console_of(name, admin), 90, step=1),
              console_of(name, admin)[-400:])
    running_in = guest_namespaces(uuid)
    check("roamer's QEMU runs in compute-1's namespace", running_in == [host_namespace(cloud, 0)], str(running_in))
    greetings = console_greetings(cloud, admin)
    check("both console proxies reach its VNC server at compute-1's address (noVNC's over wss)",
          all(g.startswith("RFB 003.") for g in greetings), repr(greetings))

    # The user story across the deployment: a floating IP, port 22 opened, SSH from the outside world.
    for rule in (["--protocol", "icmp"], ["--protocol", "tcp", "--dst-port", "22"]):
        run(OPENSTACK, ["security", "group", "rule", "create"] + rule + ["default"], admin)
    floating = (osc_json(["floating", "ip", "create", "public"], admin) or {}).get("floating_ip_address")
    run(OPENSTACK, ["server", "add", "floating", "ip", "roamer", floating or "none"], admin)
    answer = wait_for(lambda: ssh(floating, key, "hostname", fabric.outside), 90, step=2)
    check(f"ssh root@{floating} hostname prints roamer (through the gateway chassis)", answer == "roamer",
          str(answer))
    reached = ssh(floating, key, f"ping -c 3 -W 2 {addresses['anchor']} >/dev/null && echo reached",
                  fabric.outside)
    check("roamer on compute-1 pings anchor on compute-2 across the geneve tunnel", reached == "reached",
          str(reached))

    volume_steps(admin)
    boot_from_volume_steps(admin)

    # The probe on compute-2 pings roamer 5 times a second through the live migration.
    probe = osc_json(["port", "create", "--network", "private", "probe"], admin) or {}
    subnet = osc_json(["subnet", "show", (probe.get("fixed_ips") or [{}])[0].get("subnet_id", "none")], admin) or {}
    fabric.probe.bind(probe, (subnet.get("cidr") or "/24").split("/")[1])
    check("the probe on compute-2 reaches roamer on compute-1",
          bool(wait_for(lambda: pings(addresses["roamer"], fabric.probe_namespace), 30)))
    pinger = subprocess.Popen(["ip", "netns", "exec", fabric.probe_namespace, "busybox", "ping", "-i", "0.2",
                               "-W", "1", addresses["roamer"] or "none"],
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    result = run(OPENSTACK, ["--os-compute-api-version", "2.30", "server", "migrate", "--live-migration",
                             "--host", "compute-2", "--block-migration", "roamer"], admin)
    moved = result.returncode == 0 and wait_for(lambda: placement_of(admin) == ("compute-2", "ACTIVE"), 240, step=1)
    time.sleep(3)
    pinger.send_signal(signal.SIGINT)
    output = pinger.communicate(timeout=10)[0]
    counts = re.search(r"(\d+) packets transmitted, (\d+) packets received", output)
    sent, received = (int(counts.group(1)), int(counts.group(2))) if counts else (0, 0)
    print(f"     pings lost in the live migration: {sent - received} of {sent} (5 per second)")
    server = osc_json(["server", "show", "roamer"], admin) or {}
    check("a live migration with its disk moves it to compute-2", moved, str(server.get("status")) + result.stderr)
    check("it runs after the move", server.get("OS-EXT-STS:power_state") in ("Running", 1), str(server))
    check("it kept answering the probe's pings through the move",
          sent > 0 and received > 0 and pings(addresses["roamer"], fabric.probe_namespace, count=3), output[-300:])
    check("its QEMU now runs in compute-2's namespace and no longer in compute-1's",
          (running_in := guest_namespaces(uuid)) == [host_namespace(cloud, 1)], str(running_in))
    port = (osc_json(["port", "list", "--server", "roamer", "--long"], admin) or [{}])[0]
    shown = osc_json(["port", "show", port.get("ID", "none")], admin) or {}
    check("its port is bound to compute-2 alone, ACTIVE",
          shown.get("binding_host_id") == "compute-2" and shown.get("status") == "ACTIVE",
          f"{shown.get('binding_host_id')} {shown.get('status')}")
    answer = wait_for(lambda: ssh(floating, key, "hostname", fabric.outside), 30, step=2)
    check("ssh through its floating IP reaches it on compute-2", answer == "roamer", str(answer))
    greetings = console_greetings(cloud, admin)
    check("both console proxies reach it at compute-2's address",
          all(g.startswith("RFB 003.") for g in greetings), repr(greetings))
    migrations = osc_json(["--os-compute-api-version", "2.59", "server", "migration", "list", "--server", "roamer"],
                          admin) or []
    check("the migration record says compute-1 to compute-2, completed",
          [(m.get("Source Compute"), m.get("Dest Compute"), m.get("Status")) for m in migrations]
          == [("compute-1", "compute-2", "completed")], str(migrations))

    run(OPENSTACK, ["server", "remove", "floating", "ip", "roamer", floating or "none"], admin)
    run(OPENSTACK, ["floating", "ip", "delete", floating or "none"], admin)
    run(OPENSTACK, ["port", "delete", "probe"], admin)
    for name in ("roamer", "anchor"):
        result = run(OPENSTACK, ["server", "delete", "--wait", name], admin)
    check("delete stops the guests", result.returncode == 0 and wait_for(lambda: not guest_namespaces(uuid), 30))
    check("their taps and the metadata agents' veths left both hosts' br-int",
          wait_for(lambda: all(not s.bridge_ports() for s in fabric.switches[:1])
                   and fabric.switches[1].bridge_ports() == {"probe0"}, 30),
          str([s.bridge_ports() for s in fabric.switches]))
    check("the metadata agents removed their namespaces", wait_for(lambda: not fabric.metadata_namespaces(), 30),
          str(fabric.metadata_namespaces()))


def volume_status(admin, name, wanted, seconds=60):
    return wait_for(lambda: (osc_json(["volume", "show", name], admin) or {}).get("status") == wanted, seconds)


def volume_steps(admin):
    """A volume's data moves across hosts: roamer on compute-1 writes its marker on a volume the control plane's
    `nova-server volume` exports over NBD; detached and attached to anchor on compute-2, it is read there."""
    volume = osc_json(["volume", "create", "--size", "1", "shared-data"], admin) or {}
    serial = volume.get("id", "none")[:20]
    check("a volume is made by the control plane's volume service", volume_status(admin, "shared-data", "available"),
          str(volume))
    added = run(OPENSTACK, ["server", "add", "volume", "roamer", "shared-data"], admin)
    wrote = wait_for(lambda: re.search(rf"^NOVA-GUEST-VOLUME-WROTE {serial}", console_of("roamer", admin), re.M),
                     90, step=1)
    check("roamer on compute-1 gets it across the namespaces and writes its marker on it",
          added.returncode == 0 and bool(wrote) and volume_status(admin, "shared-data", "in-use"), added.stderr)
    exports = subprocess.run(["pgrep", "-f", "qemu-storage-daemon.*volume-" + volume.get("id", "none")],
                             capture_output=True, text=True).stdout.split()
    check("it is reached over NBD: an export daemon serves it (local_attach = false)", len(exports) == 1, exports)
    removed = run(OPENSTACK, ["server", "remove", "volume", "roamer", "shared-data"], admin)
    check("it is detached from roamer", removed.returncode == 0 and volume_status(admin, "shared-data", "available"),
          removed.stderr)
    added = run(OPENSTACK, ["server", "add", "volume", "anchor", "shared-data"], admin)
    read = wait_for(lambda: re.search(rf"^NOVA-GUEST-VOLUME-READ {serial} \S+ NOVA-MARK from roamer",
                                      console_of("anchor", admin), re.M), 90, step=1)
    check("anchor on compute-2 reads roamer's marker from the same volume", added.returncode == 0 and bool(read),
          added.stderr + console_of("anchor", admin)[-600:])
    run(OPENSTACK, ["server", "remove", "volume", "anchor", "shared-data"], admin)
    volume_status(admin, "shared-data", "available")
    run(OPENSTACK, ["volume", "delete", "shared-data"], admin)


def root_volume_of(admin, name):
    """The id of the server's one volume (its root volume), from `server volume list`."""
    for row in osc_json(["server", "volume", "list", name], admin) or []:
        return row.get("Volume ID") or row.get("volumeId")
    return None


def boot_from_volume_steps(admin):
    """A guest boots from a volume: compute-1's build asks the control plane's volume service for a volume of the
    image (the user's token, carried over the bus, makes it in the user's project), QEMU boots it over NBD; the
    volume outlives its server and boots a second one on compute-2."""
    made = run(OPENSTACK, ["server", "create", "--flavor", "m1.tiny", "--image", "nova-guest", "--boot-from-volume",
                           "1", "--nic", "none", "--availability-zone", "nova:compute-1", "--wait", "bfv1"],
               admin)
    server = osc_json(["server", "show", "bfv1"], admin) or {}
    root = root_volume_of(admin, "bfv1") or "none"
    booted = wait_for(lambda: re.search(rf"^NOVA-GUEST-ROOT-VOLUME {root[:20]}", console_of("bfv1", admin), re.M),
                      120, step=1)
    check("bfv1 boots on compute-1 from a volume its build made of the image (over NBD, no local disk)",
          made.returncode == 0 and server.get("OS-EXT-SRV-ATTR:host") == "compute-1" and "booted from volume" in str(server.get("image"))
          and bool(booted), made.stderr + console_of("bfv1", admin)[-600:])
    run(OPENSTACK, ["server", "delete", "--wait", "bfv1"], admin)
    check("its root volume outlives it (delete_on_termination false)", volume_status(admin, root, "available"))
    made = run(OPENSTACK, ["server", "create", "--flavor", "m1.tiny", "--volume", root, "--nic", "none",
                           "--availability-zone", "nova:compute-2", "--wait", "bfv2"], admin)
    booted = wait_for(lambda: re.search(rf"^NOVA-GUEST-ROOT-VOLUME {root[:20]}", console_of("bfv2", admin), re.M),
                      120, step=1)
    check("bfv2 boots from the same volume on compute-2", made.returncode == 0 and bool(booted),
          made.stderr + console_of("bfv2", admin)[-600:])
    run(OPENSTACK, ["server", "delete", "--wait", "bfv2"], admin)
    volume_status(admin, root, "available")
    run(OPENSTACK, ["volume", "delete", root], admin)


def active(admin, name):
    server = osc_json(["server", "show", name], admin) or {}
    return server if server.get("status") in ("ACTIVE", "ERROR") else None


def placement_of(admin):
    """The server's host and status, from one `server show`."""
    server = osc_json(["server", "show", "roamer"], admin) or {}
    return server.get("OS-EXT-SRV-ATTR:host"), server.get("status")


def host_namespace(cloud, index):
    return NetworkNamespaces.of_process(cloud.processes[cloud.hosts[index]].pid)


def guest_namespaces(uuid):
    """The network namespaces of the QEMU processes that run this instance."""
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                argv = f.read().split(b"\0")
            if argv and b"qemu-system" in argv[0] and any(uuid.encode() in arg for arg in argv):
                found.append(NetworkNamespaces.of_process(pid))
        except OSError:
            continue
    return sorted(found)


def console_greetings(cloud, admin):
    """The RFB greeting through the raw proxy and through the noVNC proxy (a WebSocket over TLS)."""
    raw = (osc_json(["console", "url", "show", "--xvpvnc", "roamer"], admin) or {}).get("url", "")
    novnc = (osc_json(["console", "url", "show", "--novnc", "roamer"], admin) or {}).get("url", "")
    return raw_greeting(raw), novnc_greeting(novnc, cloud.cert)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
