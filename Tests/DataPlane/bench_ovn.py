#!/usr/bin/env python3
"""Benchmark: real guests on OVN (the deployment of ovn_data_plane.py: Open vSwitch, OVN and the all-in-one with
the QEMU driver, in network namespaces this script makes and deletes). Prints one line per figure:

    bare boot           plain QEMU (TCG, same memory and disk bus), launch to NOVA-GUEST-BOOTED, median of 3
    POST to ping        POST /servers to the guest answering ping from a machine on its network, median of 3
    POST to SSH         POST /servers to `ssh root@<address> hostname` answering, median of 3, and its ratio to
                        the bare boot (target <= 1.3)
    port to ACTIVE      a port bound to the host, its device plugged into br-int, to status ACTIVE: p50 and p90
                        of 20 (target p50 <= 1 s)
    CPU per 100 ports   ovs-vswitchd's and ovn-controller's CPU seconds while 100 bound ports are plugged and
                        claimed, and their CPU share idle with those 100 ports

Pings lost in a live migration are measured by Tests/ScaleOut/qemu_across_namespaces.py (two hosts).

Usage (as root): NOVA_SERVER=.build/release/nova-server python3 bench_ovn.py GUEST_IMAGE
"""
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from ovn_daemons import run_inside_namespaces  # noqa: E402


def api(env, method, path, body=None, token=None, service="compute"):
    """One request to the cloud with the environment's token: (status, JSON)."""
    base = env["OS_AUTH_URL"].rsplit("/identity", 1)[0]
    prefix = {"compute": "/compute/v2.1", "network": "/networking/v2.0"}[service]
    request = urllib.request.Request(base + prefix + path, method=method,
                                     data=json.dumps(body).encode() if body is not None else None,
                                     headers={"X-Auth-Token": token, "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:
            text = answer.read()
            return answer.status, json.loads(text) if text else None
    except urllib.error.HTTPError as error:
        return error.code, None


def token_of(env):
    from client_scenario import osc_json
    return (osc_json(["token", "issue"], env) or {}).get("id")


def bare_boot(image):
    folder = tempfile.mkdtemp(prefix="nova-bench-bare-")
    try:
        subprocess.run(["qemu-img", "create", "-q", "-f", "qcow2", "-F", "qcow2", "-b", os.path.abspath(image),
                        f"{folder}/disk", "1G"], check=True)
        started = time.time()
        qemu = subprocess.Popen(["qemu-system-x86_64", "-machine", "pc,accel=tcg", "-m", "512", "-smp", "1",
                                 "-nodefaults", "-vga", "std", "-display", "none", "-drive",
                                 f"file={folder}/disk,format=qcow2,if=virtio", "-serial", f"file:{folder}/log"],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            while time.time() - started < 120:
                if os.path.exists(f"{folder}/log") and "NOVA-GUEST-BOOTED" in open(f"{folder}/log").read():
                    return time.time() - started
                time.sleep(0.02)
            raise RuntimeError("plain QEMU did not print its marker")
        finally:
            qemu.kill()
            qemu.wait()
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def boot_to_service(dp, demo, token, network, image, flavor, key, name):
    """Seconds from POST /servers to ping, and to SSH answering, from the probe."""
    started = time.time()
    status, body = api(demo, "POST", "/servers", {"server": {
        "name": name, "imageRef": image, "flavorRef": flavor, "key_name": "k", "networks": [{"uuid": network}]}},
        token)
    if status != 202:
        raise RuntimeError(f"POST /servers answered {status}")
    uuid = body["server"]["id"]
    address = None
    while address is None and time.time() - started < 120:
        _, shown = api(demo, "GET", f"/servers/{uuid}", token=token)
        for values in ((shown or {}).get("server", {}).get("addresses") or {}).values():
            address = values[0]["addr"] if values else None
        time.sleep(0.1)
    pinged = None
    while time.time() - started < 240:
        if pinged is None and dp.pings(address, dp.PROBE, wait=1):
            pinged = time.time() - started
        if pinged is not None and dp.ssh(address, key, "hostname", dp.PROBE) == name:
            return uuid, pinged, time.time() - started
        time.sleep(0.1)
    raise RuntimeError(f"{name} did not answer SSH within 240 s")


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def daemon_pids(folder):
    pids = {}
    for name in ("ovs-vswitchd", "ovn-controller"):
        with open(os.path.join(folder, "ovs", f"{name}.pid")) as f:
            pids[name] = int(f.read().strip())
    return pids


def ports_to_active(dp, ovn, admin, token, network, count, prefix):
    """Bound ports plugged as OVS internal devices: the seconds from each plug to ACTIVE."""
    made, latencies = [], []
    for n in range(count):
        status, body = api(admin, "POST", "/ports", {"port": {
            "network_id": network, "name": f"{prefix}{n}", "binding:host_id": dp.HOST,
            "device_owner": "compute:bench", "device_id": f"bench-{prefix}{n}"}}, token, service="network")
        if status != 201:
            raise RuntimeError(f"POST /ports answered {status}")
        port = body["port"]
        device = f"{prefix}{n}"
        plugged = time.time()
        ovn.switch.vsctl("add-port", "br-int", device, "--", "set", "Interface", device, "type=internal",
                         f"external_ids:iface-id={port['id']}", f"external_ids:attached-mac={port['mac_address']}")
        while time.time() - plugged < 30:
            _, shown = api(admin, "GET", f"/ports/{port['id']}", token=token, service="network")
            if (shown or {}).get("port", {}).get("status") == "ACTIVE":
                latencies.append(time.time() - plugged)
                break
            time.sleep(0.01)
        made.append((port["id"], device))
    return made, latencies


def unplug(ovn, admin, token, made):
    for port, device in made:
        ovn.switch.vsctl("del-port", "br-int", device)
        api(admin, "DELETE", f"/ports/{port}", token=token, service="network")


def measure(dp, ovn, admin, demo, guest_image):
    from client_scenario import OPENSTACK, osc_json, run
    figures = []

    def figure(name, value, unit):
        figures.append((name, value, unit))
        print(f"{name} {value:.3f} {unit}", flush=True)

    bare = statistics.median(bare_boot(guest_image) for _ in range(3))
    figure("bare_boot_to_marker_median", bare, "s")

    key = os.path.join(ovn.folder, "id_ed25519")
    dp.sh("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", key)
    run(OPENSTACK, ["keypair", "create", "--public-key", key + ".pub", "k"], demo)
    for rule in (["--protocol", "icmp"], ["--protocol", "tcp", "--dst-port", "22"]):
        run(OPENSTACK, ["security", "group", "rule", "create"] + rule + ["default"], demo)
    network = (osc_json(["network", "show", "private"], demo) or {}).get("id")
    image = (osc_json(["image", "show", "nova-guest"], demo) or {}).get("id")
    flavor = (osc_json(["flavor", "show", "m1.tiny"], demo) or {}).get("id")
    probe = osc_json(["port", "create", "--network", "private", "probe"], demo) or {}
    subnet = osc_json(["subnet", "show", probe["fixed_ips"][0]["subnet_id"]], demo) or {}
    ovn.probe.bind(probe, subnet["cidr"].split("/")[1])
    token = token_of(demo)
    pings, logins = [], []
    for n in range(3):
        uuid, pinged, logged_in = boot_to_service(dp, demo, token, network, image, flavor, key, f"bench{n}")
        pings.append(pinged)
        logins.append(logged_in)
        # The guest's own milestones (seconds since its kernel started), for where the time goes.
        _, console = api(demo, "POST", f"/servers/{uuid}/action", {"os-getConsoleOutput": {}}, token)
        stamps = [line for line in ((console or {}).get("output") or "").splitlines()
                  if line.startswith("NOVA-GUEST-") and " at " in line]
        print(f"# bench{n}: ping {pinged:.2f} s, SSH {logged_in:.2f} s after POST; guest: " + "; ".join(stamps),
              flush=True)
        api(demo, "DELETE", f"/servers/{uuid}", token=token)
    figure("post_to_ping_median", statistics.median(pings), "s")
    figure("post_to_ssh_median", statistics.median(logins), "s")
    figure("post_to_ssh_over_bare_boot", statistics.median(logins) / bare, "x")

    admin_token = token_of(admin)
    made, latencies = ports_to_active(dp, ovn, admin, admin_token, network, 20, "lat")
    unplug(ovn, admin, admin_token, made)
    latencies.sort()
    figure("port_plug_to_active_p50", statistics.median(latencies), "s")
    figure("port_plug_to_active_p90", latencies[int(len(latencies) * 0.9) - 1], "s")

    pids = daemon_pids(ovn.folder)
    before = {name: cpu_seconds(pid) for name, pid in pids.items()}
    made, _ = ports_to_active(dp, ovn, admin, admin_token, network, 100, "cpu")
    for name, pid in pids.items():
        figure(f"{name}_cpu_seconds_per_100_ports_plugged", cpu_seconds(pid) - before[name], "s")
    time.sleep(2)
    before = {name: cpu_seconds(pid) for name, pid in pids.items()}
    time.sleep(10)
    for name, pid in pids.items():
        figure(f"{name}_idle_cpu_share_with_100_ports", (cpu_seconds(pid) - before[name]) / 10 * 100, "%")
    unplug(ovn, admin, admin_token, made)
    run(OPENSTACK, ["port", "delete", "probe"], demo)
    return figures


def inside(guest_image):
    import ovn_data_plane as dp
    folder = tempfile.mkdtemp(prefix="nova-ovn-bench-")
    daemons = dp.Daemons(folder)
    try:
        dp.sh("ip", "link", "set", "lo", "up")
        ovn = dp.OVNHost(folder, daemons)
        ovn.start()
        admin, demo = dp.start_cloud(folder, daemons, ovn, os.path.abspath(guest_image), 19000 + os.getpid() % 1000)
        measure(dp, ovn, admin, demo, guest_image)
        return 0
    finally:
        daemons.stop()
        for name in os.listdir("/run/netns"):
            if name.startswith(dp.METADATA_PREFIX):
                dp.sh("ip", "netns", "delete", name, ok=False)
        shutil.rmtree(folder, ignore_errors=True)


def main():
    if len(sys.argv) > 2 and sys.argv[2] == "--inside":
        return inside(sys.argv[1])
    return run_inside_namespaces(__file__, sys.argv[1], "nova-dpb")


if __name__ == "__main__":
    sys.exit(main())
