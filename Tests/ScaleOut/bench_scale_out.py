#!/usr/bin/env python3
"""Benchmark: the scale-out deployment (scale_out.py: 2 api, 2 conductor, 1 scheduler, 2 compute hosts,
placement over PostgreSQL and NATS) against the all-in-one with 2 fake hosts, on this machine, through the
same `nova-bench compute` client: boot throughput to ACTIVE and GET /servers/detail latency.

    NOVA_TEST_POSTGRES_URL=postgresql://nova@127.0.0.1:PORT/postgres \\
        python3 Tests/ScaleOut/bench_scale_out.py --bin .build/release --servers 500

Prints both sets of figures side by side. scripts/bench-scale-out.sh starts the PostgreSQL for it.
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "ClientScenario"))
from scale_out import ScaleOutCloud, free_port  # noqa: E402


def bench(binary, output, extra):
    subprocess.run([binary, "compute", "--output", output] + extra, check=True, stdout=subprocess.DEVNULL)
    return {row["name"]: (row["value"], row["unit"]) for row in json.load(open(output))["figures"]}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--bin", default=".build/release", help="folder with nova-server and nova-bench")
    parser.add_argument("--servers", type=int, default=500)
    parser.add_argument("--concurrency", type=int, default=8)
    args = parser.parse_args()
    server, nova_bench = os.path.join(args.bin, "nova-server"), os.path.join(args.bin, "nova-bench")
    common = ["--servers", str(args.servers), "--concurrency", str(args.concurrency)]
    work = tempfile.mkdtemp(prefix="nova-bench-scale-out-")
    try:
        all_in_one = bench(nova_bench, os.path.join(work, "all.json"),
                           common + ["--fake-hosts", "2", "--server-binary", server])
        data_dir = os.path.join(work, "deployment")
        os.makedirs(data_dir)
        cloud = ScaleOutCloud(server, data_dir, free_port(), os.environ["NOVA_TEST_POSTGRES_URL"],
                              extra_config="[DEFAULT]\nreport_interval = 10\n")
        cloud.start(admin_password="bench")
        try:
            scale_out = bench(nova_bench, os.path.join(work, "scale-out.json"),
                              common + ["--url", f"http://{cloud.address}:{cloud.port}", "--admin-password", "bench"])
        finally:
            cloud.close()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(f"{'figure':34} {'all-in-one':>12} {'scale-out':>12}  unit")
    for name, (value, unit) in scale_out.items():
        mine = all_in_one.get(name, (float("nan"), unit))[0]
        print(f"{name:34} {mine:12.2f} {value:12.2f}  {unit}")


if __name__ == "__main__":
    main()
