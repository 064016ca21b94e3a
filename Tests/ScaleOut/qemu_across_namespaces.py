#!/usr/bin/env python3
"""A real guest across two compute hosts in network namespaces of their own (see network_namespaces.py and
scale_out.py): the scale-out deployment with the QEMU driver boots the guest image on compute-1, reaches its VNC
server through the console proxy in the control plane's namespace, live-migrates it (block migration: memory and
disk over TCP) to compute-2, and reaches its console there. Each step crosses the namespaces' network only:
Glance's image download, the proxy to the host's server_proxyclient_address, QEMU's stream to the destination's
my_ip. Prints one line per check and `N passed, M failed`.

Usage (as root): NOVA_SERVER=.build/debug/nova-server python qemu_across_namespaces.py GUEST_IMAGE
"""
import os
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "Tests", "ClientScenario"))
from client_scenario import OPENSTACK, check, checked_deployment, osc_json, read_openrc, run  # noqa: E402
from console_probes import novnc_greeting, raw_greeting  # noqa: E402
from network_namespaces import NetworkNamespaces  # noqa: E402
from scale_out import ScaleOutCloud, free_port  # noqa: E402

SERVER = os.environ.get("NOVA_SERVER", os.path.join(ROOT, ".build", "debug", "nova-server"))


def main(guest_image):
    data_dir = tempfile.mkdtemp(prefix="nova-qemu-netns-")
    namespaces = NetworkNamespaces(2)
    cloud = ScaleOutCloud(SERVER, data_dir, free_port(), None, namespaces=namespaces, extra_config=(
        f"[DEFAULT]\ncompute_driver = qemu\n[qemu]\nguest_image = {os.path.abspath(guest_image)}\n"))
    return checked_deployment(cloud, data_dir, "qemu-admin", scenario)


def scenario(cloud):
    namespaces = cloud.namespaces
    print(f"compute-1 in {namespaces.hosts[0]} at {namespaces.host_ips[0]}, compute-2 in {namespaces.hosts[1]} "
          f"at {namespaces.host_ips[1]}, the control plane in {namespaces.control} at {namespaces.control_ip}")
    admin = dict({k: v for k, v in os.environ.items() if not k.startswith("OS_")},
                 **read_openrc(os.path.join(cloud.data_dir, "admin-openrc.sh")), OS_COMPUTE_API_VERSION="2.79")
    server = osc_json(["server", "create", "--flavor", "m1.tiny", "--image", "nova-guest", "--nic", "none",
                       "--availability-zone", "nova:compute-1", "--wait", "roamer"], admin) or {}
    uuid = server.get("id", "none")
    check("a guest boots on compute-1 from the image Glance serves across the namespaces",
          server.get("status") == "ACTIVE" and server.get("OS-EXT-SRV-ATTR:host") == "compute-1", str(server))
    booted = wait_until(lambda: "NOVA-GUEST-BOOTED" in run(OPENSTACK, ["console", "log", "show", "roamer"],
                                                            admin).stdout, 180)
    check("its kernel and init ran (console log through compute-1)", booted)
    running_in = guest_namespaces(cloud, uuid)
    check("its QEMU runs in compute-1's namespace", running_in == [host_namespace(cloud, 0)], str(running_in))
    greetings = console_greetings(cloud, admin)
    check("both console proxies reach its VNC server at compute-1's address (noVNC's over wss)",
          all(g.startswith("RFB 003.") for g in greetings), repr(greetings))

    result = run(OPENSTACK, ["--os-compute-api-version", "2.30", "server", "migrate", "--live-migration",
                             "--host", "compute-2", "--block-migration", "roamer"], admin)
    moved = result.returncode == 0 and wait_until(lambda: (
        placement_of(admin) == ("compute-2", "ACTIVE")), 240)
    server = osc_json(["server", "show", "roamer"], admin) or {}
    check("a live migration with its disk moves it to compute-2", moved, str(server.get("status")) + result.stderr)
    check("it runs after the move", server.get("OS-EXT-STS:power_state") in ("Running", 1), str(server))
    check("its QEMU now runs in compute-2's namespace and no longer in compute-1's",
          (running_in := guest_namespaces(cloud, uuid)) == [host_namespace(cloud, 1)], str(running_in))
    greetings = console_greetings(cloud, admin)
    check("both console proxies reach it at compute-2's address",
          all(g.startswith("RFB 003.") for g in greetings), repr(greetings))
    migrations = osc_json(["--os-compute-api-version", "2.59", "server", "migration", "list", "--server", "roamer"],
                          admin) or []
    check("the migration record says compute-1 to compute-2, completed",
          [(m.get("Source Compute"), m.get("Dest Compute"), m.get("Status")) for m in migrations]
          == [("compute-1", "compute-2", "completed")], str(migrations))

    result = run(OPENSTACK, ["server", "delete", "--wait", "roamer"], admin)
    check("delete stops the guest", result.returncode == 0 and wait_until(lambda: not guest_namespaces(cloud, uuid), 30))


def placement_of(admin):
    """The server's host and status, from one `server show`."""
    server = osc_json(["server", "show", "roamer"], admin) or {}
    return server.get("OS-EXT-SRV-ATTR:host"), server.get("status")


def wait_until(condition, timeout):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if condition():
            return True
        time.sleep(1)
    return False


def host_namespace(cloud, index):
    return NetworkNamespaces.of_process(cloud.processes[cloud.hosts[index]].pid)


def guest_namespaces(cloud, uuid):
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
