#!/usr/bin/env python3
"""Real guests on OVN, in network namespaces the test makes for itself (as root) and deletes at the end: the
compute host's, a probe's (a machine on the guests' network) and the outside world's (on the external network).

In the host's (ovn_daemons.py): Open vSwitch (ovsdb-server, ovs-vswitchd with a userspace-datapath br-int), OVN's
northbound and southbound databases with ovn-northd, ovn-controller as the compute host's chassis, and the
all-in-one cloud with the QEMU driver, `[ml2] mechanism_drivers = ovn` and its metadata agent; every daemon
started by PID with private folders. The real client boots guests on the private network; their builds wait for
ovn-controller to claim their taps (network-vif-plugged), they get their addresses from OVN's DHCP, read their
metadata at 169.254.169.254 through the agent's namespace, and the probe (a veth on br-int bound to a port of the
networking service, as the metadata agent binds its own) pings them through the logical switch and the security
groups' ACLs; the outside world reaches a guest at its floating IP through br-ex and the router, and logs in
there with SSH. Nothing is left behind: the deleted guests' taps, the agent's namespace and the logical ports
are gone. Prints one line per check and `N passed, M failed`.

Usage (as root): NOVA_SERVER=.build/debug/nova-server python3 ovn_data_plane.py GUEST_IMAGE
"""
import hashlib
import hmac
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "Tests", "ClientScenario"))
from client_scenario import NOVA, OPENSTACK, check, osc_json, read_openrc, run  # noqa: E402
from ovn_daemons import (Daemons, OpenVSwitch, OVNCentral, Probe, inside_of, pings, run_inside_namespaces,  # noqa: E402
                         sh, ssh, start_controller, wait_for)

SERVER = os.environ.get("NOVA_SERVER", os.path.join(ROOT, ".build", "debug", "nova-server"))
HOST = "dp-host"
SECRET = "dp-metadata-secret"
# The other namespaces (made by main()).
PROBE = os.environ.get("NOVA_DP_PROBE", "")
OUTSIDE = os.environ.get("NOVA_DP_OUTSIDE", "")
# The metadata agent's namespaces: a prefix of this run's own (namespace names are the machine's).
METADATA_PREFIX = "ovnmeta-" + PROBE.replace("-probe", "") + "-"


class OVNHost:
    """This namespace as one machine: Open vSwitch with br-int and br-ex (the provider bridge of the external
    network, physnet "public"), OVN's databases with ovn-northd, and ovn-controller as the compute host's chassis
    (a gateway chassis too)."""

    def __init__(self, folder, daemons):
        self.folder = folder
        self.switch = OpenVSwitch(os.path.join(folder, "ovs"), daemons)
        self.central = OVNCentral(os.path.join(folder, "ovn"), daemons)

    def start(self):
        self.switch.start()
        # On br-ex, the outside world's veth (its end there has the external subnet's gateway address, as
        # DevStack gives br-ex 172.24.4.1); the probe's veth is on br-int. No address of the guests' networks is
        # in the host's namespace.
        self.switch.add_bridge("br-ex")
        self.switch.add_veth("br-ex", "ext0", "ext1", OUTSIDE)
        self.probe = Probe(self.switch, PROBE)
        inside_of(OUTSIDE, "ip", "link", "set", "lo", "up")
        inside_of(OUTSIDE, "ip", "addr", "add", "172.24.4.1/24", "dev", "ext1")
        inside_of(OUTSIDE, "ip", "link", "set", "ext1", "up")
        self.central.start()
        start_controller(self.switch, self.central, "chassis-1", HOST, "127.0.0.1", gateway=True,
                         mappings="public:br-ex")


def start_cloud(folder, daemons, ovn, guest_image, port):
    config = os.path.join(folder, "nova.conf")
    with open(config, "w") as conf:
        conf.write(f"[DEFAULT]\nhost = {HOST}\ncompute_driver = qemu\nmetadata_listen_port = {port + 3}\n"
                   f"[neutron]\nmetadata_proxy_shared_secret = {SECRET}\n[qemu]\nguest_image = {guest_image}\n"
                   f"[ml2]\nmechanism_drivers = ovn\n[ovn]\novn_nb_connection = {ovn.central.nb}\n"
                   f"ovn_sb_connection = {ovn.central.sb}\nmetadata_namespace_prefix = {METADATA_PREFIX}\n"
                   f"[os_vif_ovs]\novsdb_connection = {ovn.switch.db}\n")
    data = os.path.join(folder, "cloud")
    process = daemons.start("nova-server", [
        SERVER, "all", "--data-dir", data, "--listen", f"127.0.0.1:{port}", "--config", config,
        "--admin-password", "dp-admin", "--log-level", "info", "--novncproxy-port", str(port + 1),
        "--rawvncproxy-port", str(port + 2)])
    clean = {k: v for k, v in os.environ.items() if not k.startswith("OS_")}
    admin = wait_for_cloud(process, port, data)
    return admin, dict(clean, **read_openrc(os.path.join(data, "demo-openrc.sh")))


def wait_for_cloud(process, port, data):
    """Until the cloud answers and its compute host reported its inventory; the admin's environment."""
    def answers():
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/identity/v3", timeout=1)
            return True
        except Exception:
            if process.poll() is not None:
                raise RuntimeError("nova-server exited during start")
            return False
    if not wait_for(answers, 90):
        raise RuntimeError("nova-server did not answer within 90 s")
    clean = {k: v for k, v in os.environ.items() if not k.startswith("OS_")}
    admin = dict(clean, **read_openrc(os.path.join(data, "admin-openrc.sh")))
    if not wait_for(lambda: osc_json(["hypervisor", "list"], admin), 60):
        raise RuntimeError("the compute host did not report itself within 60 s")
    return admin


def guest_address(name, env, nic="eth0", seconds=180):
    """The address the guest printed on its console once DHCP gave `nic` one."""
    def printed():
        log = run(OPENSTACK, ["console", "log", "show", name], env, expect_ok=False).stdout
        for line in log.splitlines():
            if line.startswith(f"NOVA-GUEST-IP {nic} "):
                return line.split()[2]
        return None
    return wait_for(printed, seconds)


def console_line(name, env, prefix, seconds):
    """The first console line of the guest that starts with `prefix`, waited for."""
    def printed():
        log = run(OPENSTACK, ["console", "log", "show", name], env, expect_ok=False).stdout
        return next((line for line in log.splitlines() if line.startswith(prefix)), None)
    return wait_for(printed, seconds)


def volume_status(name, env, wanted, seconds=60):
    return wait_for(lambda: (osc_json(["volume", "show", name], env) or {}).get("status") == wanted, seconds)


def volume_steps(demo):
    """A volume's data moves between guests: vm1 writes its marker on it over NBD, vm2 reads it there."""
    volume = osc_json(["volume", "create", "--size", "1", "dp-volume"], demo) or {}
    check("a volume is made for the guests", volume_status("dp-volume", demo, "available"), str(volume))
    serial = volume.get("id", "none")[:20]
    added = run(OPENSTACK, ["server", "add", "volume", "vm1", "dp-volume"], demo)
    wrote = console_line("vm1", demo, f"NOVA-GUEST-VOLUME-WROTE {serial}", 90)
    check("vm1 gets it hot-plugged (serial = the volume id) and writes its marker on it",
          added.returncode == 0 and bool(wrote) and volume_status("dp-volume", demo, "in-use"),
          added.stderr + "\n" + console_tail("vm1", demo))
    removed = run(OPENSTACK, ["server", "remove", "volume", "vm1", "dp-volume"], demo)
    check("it is detached from vm1 (the guest let the disk go) and available again",
          removed.returncode == 0 and volume_status("dp-volume", demo, "available"), removed.stderr)
    added = run(OPENSTACK, ["server", "add", "volume", "vm2", "dp-volume"], demo)
    read = console_line("vm2", demo, f"NOVA-GUEST-VOLUME-READ {serial}", 90)
    check("vm2 reads vm1's marker from the same volume", added.returncode == 0 and bool(read) and "from vm1" in read,
          f"{read}\n" + console_tail("vm2", demo))
    run(OPENSTACK, ["server", "remove", "volume", "vm2", "dp-volume"], demo)
    volume_status("dp-volume", demo, "available")
    deleted = run(OPENSTACK, ["volume", "delete", "dp-volume"], demo)
    check("the volume is deleted once detached",
          deleted.returncode == 0 and wait_for(lambda: not osc_json(["volume", "list"], demo), 30), deleted.stderr)


def console_tail(name, env, lines=25):
    """The guest's console without its ticks, last lines first seen: what a failed check shows."""
    log = run(OPENSTACK, ["console", "log", "show", name], env, expect_ok=False).stdout
    kept = [line for line in log.splitlines() if line.strip() and "nova-guest tick" not in line]
    return "\n".join(kept[-lines:])


def describe_port(ovn, port_id):
    """What Open vSwitch and OVN hold of one port, for a failed check: its tap's row and counters, its logical
    port, the port groups it is in, its binding, and the flows that answer DHCP."""
    tap = "tap" + port_id[:11]
    nb, sb = f"--db={ovn.central.nb}", f"--db={ovn.central.sb}"
    bridge = f"unix:{ovn.switch.folder}/br-int.mgmt"
    for argv in (["ovs-vsctl", f"--db={ovn.switch.db}", "list", "Interface", tap],
                 ["ovs-ofctl", "dump-ports", bridge, tap],
                 ["ovn-nbctl", nb, "list", "Logical_Switch_Port", port_id],
                 ["ovn-nbctl", nb, "--columns=name,ports", "list", "Port_Group"],
                 ["ovn-sbctl", sb, "find", "Port_Binding", f"logical_port={port_id}"],
                 ["ovs-ofctl", "dump-flows", bridge, "udp,tp_dst=67"]):
        print("     $ " + " ".join(argv))
        print("     " + "\n     ".join(sh(*argv, ok=False).splitlines()))


def fixed_address(name, env):
    server = osc_json(["server", "show", name], env) or {}
    addresses = server.get("addresses") or {}
    for values in addresses.values():
        for value in values:
            return value if isinstance(value, str) else value.get("addr")
    return None


def metadata(port, path, instance, project, secret=SECRET, data=None):
    """A request to Nova's metadata API as the metadata proxy sends it (a POST with `data`): (status, body)."""
    signature = hmac.new(secret.encode(), instance.encode(), hashlib.sha256).hexdigest()
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=data, headers={
        "X-Instance-ID": instance, "X-Tenant-ID": project, "X-Instance-ID-Signature": signature})
    try:
        with urllib.request.urlopen(request, timeout=5) as answer:
            return answer.status, answer.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()
    except Exception as error:
        return None, repr(error)


def metadata_namespaces():
    return sorted(n for n in os.listdir("/run/netns") if n.startswith(METADATA_PREFIX))


def scenario(ovn, admin, demo, restart):
    servers = {}
    user_data = os.path.join(ovn.folder, "user-data.sh")
    with open(user_data, "w") as script:
        script.write("#!/bin/sh\necho NOVA-USER-DATA-RAN on $(hostname)\n")
    key = os.path.join(ovn.folder, "id_ed25519")
    sh("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", key)
    made = run(OPENSTACK, ["keypair", "create", "--public-key", key + ".pub", "k"], demo)
    check("a keypair is made from the user's public key", made.returncode == 0, made.stderr)
    for name in ["vm1", "vm2"]:
        # vm1 with a config drive and user data; vm2 reads its user data from the metadata service.
        extra = ["--config-drive", "true"] if name == "vm1" else []
        server = osc_json(["server", "create", "--flavor", "m1.tiny", "--image", "nova-guest", "--network",
                           "private", "--key-name", "k", "--user-data", user_data, "--wait"] + extra + [name],
                          demo) or {}
        servers[name] = server
        check(f"{name} boots ACTIVE once ovn-controller claimed its port (network-vif-plugged)",
              server.get("status") == "ACTIVE", str(server.get("status")) + str(server.get("fault", "")))
    ports = osc_json(["port", "list", "--long"], admin) or []
    guest_ports = [p for p in ports if p.get("Device Owner", "").startswith("compute:")]
    check("their ports are ACTIVE", len(guest_ports) == 2 and all(p.get("Status") == "ACTIVE" for p in guest_ports),
          str([(p.get("ID"), p.get("Status")) for p in guest_ports]))
    # The metadata agent's veth is there too (tap, 10 characters of its port's id, 0).
    agent_devices = {"tap" + p["ID"][:10] + "0" for p in ports if p.get("Device Owner") == "network:distributed"}
    taps = {p for p in ovn.switch.bridge_ports() if p.startswith("tap")} - agent_devices
    check("each guest's tap is on br-int", len(taps) == 2, str(taps))
    addresses = {}
    for name in servers:
        addresses[name] = fixed_address(name, demo)
        got = guest_address(name, demo)
        check(f"{name} got its port's address {addresses[name]} from OVN's DHCP", got and got == addresses[name],
              f"printed {got}")

    log = run(OPENSTACK, ["console", "log", "show", "vm1"], demo, expect_ok=False).stdout
    check("vm1 read its config drive: its hostname, and its user data ran",
          "NOVA-GUEST-HOSTNAME vm1" in log and "NOVA-USER-DATA-RAN on vm1" in log, log[-600:])
    log = run(OPENSTACK, ["console", "log", "show", "vm2"], demo, expect_ok=False).stdout
    check("vm2, without one, has none", "NOVA-GUEST-CONFIG-DRIVE" not in log)

    # The metadata service at 169.254.169.254: the network's metadata port (a localport), the agent's
    # namespace that plays it on this chassis, and the guests reading their metadata through it.
    metadata_ports = [p for p in osc_json(["port", "list", "--long", "--network", "private"], admin) or []
                      if p.get("Device Owner") == "network:distributed"]
    check("the private network has its metadata port", len(metadata_ports) == 1, str(metadata_ports))
    check("the metadata agent made the network's namespace", bool(wait_for(metadata_namespaces, 30)),
          str(metadata_namespaces()))

    def console_has(name, text):
        return text in run(OPENSTACK, ["console", "log", "show", name], demo, expect_ok=False).stdout
    for name in servers:
        check(f"{name} read its metadata at 169.254.169.254 (its hostname and SSH key)",
              wait_for(lambda: console_has(name, f"NOVA-GUEST-METADATA {name}"), 90)
              and console_has(name, "NOVA-GUEST-SSH-KEY ssh-ed25519"),
              run(OPENSTACK, ["console", "log", "show", name], demo, expect_ok=False).stdout[-600:])
    check("vm2 ran the user data it read there", wait_for(lambda: console_has("vm2", "NOVA-USER-DATA-RAN on vm2"), 30))
    log = run(OPENSTACK, ["console", "log", "show", "vm1"], demo, expect_ok=False).stdout
    check("vm1 ran its user data once (from the config drive)", log.count("NOVA-USER-DATA-RAN") == 1)

    # Nova's metadata API, as the metadata proxy asks it: signed requests get the guest's own tree.
    port = int(demo["OS_AUTH_URL"].split(":")[2].split("/")[0]) + 3
    vm1 = servers["vm1"]
    status, body = metadata(port, "/openstack/latest/meta_data.json", vm1.get("id", ""), vm1.get("project_id", ""))
    check("the metadata API serves vm1's meta_data.json to a signed request",
          status == 200 and json.loads(body).get("hostname") == "vm1", f"{status} {body[:200]}")
    status, body = metadata(port, "/latest/user-data", vm1.get("id", ""), vm1.get("project_id", ""))
    check("and its user data in the EC2 tree", status == 200 and "NOVA-USER-DATA-RAN" in body, f"{status}")
    status, _ = metadata(port, "/openstack/latest/meta_data.json", vm1.get("id", ""), vm1.get("project_id", ""),
                         secret="wrong")
    check("a request signed with another secret is refused", status == 403, str(status))
    # A guest leaves its password, encrypted with its key, as cloudbase-init does; the user reads it with the
    # Compute API (nova get-password without the private key prints what is stored).
    status, _ = metadata(port, "/openstack/latest/password", vm1.get("id", ""), vm1.get("project_id", ""),
                         data=b"ZW5jcnlwdGVkLXBhc3N3b3Jk")
    check("the metadata API takes the password a guest posts", status == 200, str(status))
    status, _ = metadata(port, "/openstack/latest/password", vm1.get("id", ""), vm1.get("project_id", ""),
                         data=b"again")
    check("and only once (409)", status == 409, str(status))
    shown = run(NOVA, ["get-password", "vm1"], demo, expect_ok=False)
    check("nova get-password shows it", "ZW5jcnlwdGVkLXBhc3N3b3Jk" in shown.stdout, shown.stdout + shown.stderr)

    # A probe: an OVS internal port in this namespace bound to a port of the networking service in the
    # default security group (so the guests' remote-group rule lets it in).
    probe = osc_json(["port", "create", "--network", "private", "probe"], demo) or {}
    subnet = osc_json(["subnet", "show", (probe.get("fixed_ips") or [{}])[0].get("subnet_id", "none")], demo) or {}
    ovn.probe.bind(probe, (subnet.get("cidr") or "/24").split("/")[1])
    for name, address in addresses.items():
        check(f"{name} answers ping through the logical switch and its ACLs",
              bool(address) and wait_for(lambda: pings(address, PROBE), 30), address)
    # The probe is a port of no server: the metadata proxy does not answer it.
    metadata_ip = ((metadata_ports or [{}])[0].get("Fixed IP Addresses") or [{}])
    metadata_ip = metadata_ip[0].get("ip_address") if isinstance(metadata_ip, list) and metadata_ip else None
    inside_of(PROBE, "ip", "route", "add", "169.254.169.254/32", "via", metadata_ip or "10.0.0.2", ok=False)
    fetched = subprocess.run(["ip", "netns", "exec", PROBE, "busybox", "wget", "-q", "-O", "-",
                              "http://169.254.169.254/openstack/latest/meta_data.json"],
                             capture_output=True, text=True)
    check("the metadata proxy answers a port of no server with 404", "404" in fetched.stderr,
          fetched.stdout[:200] + fetched.stderr[:200])

    # A second NIC hot-plugged into vm1: the guest finds it and asks DHCP; unplugged, it is gone.
    extra = osc_json(["port", "create", "--network", "private", "extra"], demo) or {}
    extra_ip = (extra.get("fixed_ips") or [{}])[0].get("ip_address")
    attached = run(OPENSTACK, ["server", "add", "port", "vm1", extra.get("id", "none")], demo)
    check("a port is attached to vm1", attached.returncode == 0, attached.stderr)
    got = guest_address("vm1", demo, nic="eth1", seconds=120)
    check(f"vm1's hot-plugged NIC got {extra_ip} from OVN's DHCP", got == extra_ip,
          f"printed {got}; the console's last lines:\n" + console_tail("vm1", demo))
    if got != extra_ip:
        describe_port(ovn, extra.get("id", "none"))
    shown = osc_json(["port", "show", extra.get("id", "none")], demo) or {}
    check("its port is ACTIVE (ovn-controller claimed the hot-plugged tap)", shown.get("status") == "ACTIVE",
          str(shown.get("status")))
    taps = ovn.switch.bridge_ports()
    detached = run(OPENSTACK, ["server", "remove", "port", "vm1", extra.get("id", "none")], demo)
    gone = wait_for(lambda: len(ovn.switch.bridge_ports()) < len(taps), 60)
    check("it is detached: its tap left br-int", detached.returncode == 0 and gone,
          detached.stderr + str(ovn.switch.bridge_ports()))
    run(OPENSTACK, ["port", "delete", "extra"], demo)
    volume_steps(demo)

    # Security groups: vm2 in a group without an ICMP rule cannot be pinged, and can be within a second of the
    # rule's creation.
    run(OPENSTACK, ["security", "group", "create", "quiet"], demo)
    run(OPENSTACK, ["server", "add", "security", "group", "vm2", "quiet"], demo)
    run(OPENSTACK, ["server", "remove", "security", "group", "vm2", "default"], demo)
    blocked = wait_for(lambda: not pings(addresses["vm2"], PROBE), 10)
    check("vm2 without an ICMP rule does not answer", blocked)
    run(OPENSTACK, ["security", "group", "rule", "create", "--protocol", "icmp", "quiet"], demo)
    started = time.time()
    opened = wait_for(lambda: pings(addresses["vm2"], PROBE, wait=1), 10)
    check("vm2 answers within a second of the ICMP rule", opened and time.time() - started <= 2.5,
          f"{time.time() - started:.1f} s")

    # The cloud restarted (its compute host with it): the guests run on, their taps are found again.
    taps = ovn.switch.bridge_ports()
    restart()
    check("a restarted compute host finds its guests' taps again", ovn.switch.bridge_ports() == taps,
          f"{taps} then {ovn.switch.bridge_ports()}")
    check("its guests answer on", wait_for(lambda: pings(addresses["vm2"], PROBE), 30))
    ports = osc_json(["port", "list", "--long", "--device-owner", "compute:nova"], admin) or []
    check("their ports stay ACTIVE", len(ports) == 2 and all(p.get("Status") == "ACTIVE" for p in ports),
          str([(p.get("ID"), p.get("Status")) for p in ports]))

    # North-south: a floating IP of the external network reaches vm1 from outside (br-ex, the localnet port,
    # the router's gateway port on the gateway chassis, its dnat_and_snat).
    run(OPENSTACK, ["security", "group", "rule", "create", "--protocol", "icmp", "default"], demo)
    floating = osc_json(["floating", "ip", "create", "public"], demo) or {}
    address = floating.get("floating_ip_address")
    added = run(OPENSTACK, ["server", "add", "floating", "ip", "vm1", address or "none"], demo)
    reached = added.returncode == 0 and bool(address) and wait_for(lambda: pings(address, OUTSIDE), 30)
    check(f"vm1 answers ping at its floating IP {address} from the external network", reached, added.stderr)
    if not reached:
        ovn.central.describe()
        if os.environ.get("DP_DEBUG"):
            print(f"     DP_DEBUG: waiting 900 s in {ovn.folder}", flush=True)
            time.sleep(900)
    shown = osc_json(["server", "show", "vm1"], demo) or {}
    check("the floating IP is in vm1's addresses", address and address in json.dumps(shown.get("addresses")))
    # The user story: SSH through the floating IP once the default group lets port 22 in.
    check("no SSH answers at the floating IP before the rule", ssh(address, key, "hostname", OUTSIDE) is None)
    run(OPENSTACK, ["security", "group", "rule", "create", "--protocol", "tcp", "--dst-port", "22", "default"], demo)
    answer = wait_for(lambda: ssh(address, key, "hostname", OUTSIDE), 60)
    check(f"ssh root@{address} hostname prints vm1 (the key from the metadata service)", answer == "vm1",
          str(answer))
    run(OPENSTACK, ["server", "remove", "floating", "ip", "vm1", address or "none"], demo)
    check("without it, nothing answers there", wait_for(lambda: not pings(address, OUTSIDE), 10))
    run(OPENSTACK, ["floating", "ip", "delete", address or "none"], demo)

    for name in servers:
        run(OPENSTACK, ["server", "delete", "--wait", name], demo)
    run(OPENSTACK, ["port", "delete", "probe"], demo)
    left = wait_for(lambda: ovn.switch.bridge_ports() == {"probe0"}, 30)
    check("the deleted guests' taps (and the metadata agent's veth) left br-int", left, str(ovn.switch.bridge_ports()))
    check("the metadata agent removed its namespace with the network's last guest here",
          wait_for(lambda: not metadata_namespaces(), 30), str(metadata_namespaces()))
    stale = wait_for(lambda: not {n for n in ovn.central.logical_ports() if not n.startswith("provnet-")}
                     - {p.get("ID") for p in osc_json(["port", "list"], admin) or []}, 30)
    check("no logical port is left that no port owns", stale, str(ovn.central.logical_ports()))


def inside(guest_image):
    folder = tempfile.mkdtemp(prefix="nova-ovn-dp-")
    daemons = Daemons(folder)
    from client_scenario import failed  # noqa: F401 (read after the run)
    try:
        sh("ip", "link", "set", "lo", "up")
        ovn = OVNHost(folder, daemons)
        ovn.start()
        port = 18000 + os.getpid() % 1000
        admin, demo = start_cloud(folder, daemons, ovn, os.path.abspath(guest_image), port)
        scenario(ovn, admin, demo, lambda: wait_for_cloud(daemons.restart("nova-server"), port,
                                                          os.path.join(folder, "cloud")))
    except Exception as error:
        check("the deployment runs", False, repr(error))
    finally:
        daemons.stop()
        for name in metadata_namespaces():
            sh("ip", "netns", "delete", name, ok=False)
    import client_scenario
    print(f"{client_scenario.passed} passed, {client_scenario.failed} failed")
    if client_scenario.failed:
        print(f"     kept {folder} (its logs) for inspection")
    else:
        shutil.rmtree(folder, ignore_errors=True)
    return 0 if client_scenario.failed == 0 else 1


def main():
    if len(sys.argv) > 2 and sys.argv[2] == "--inside":
        return inside(sys.argv[1])
    return run_inside_namespaces(__file__, sys.argv[1], "nova-dp")


if __name__ == "__main__":
    sys.exit(main())
