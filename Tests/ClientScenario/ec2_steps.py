"""The client scenario's EC2 steps: the real aws CLI and boto3, unchanged, against this cloud's `/ec2` with a key
pair from `openstack ec2 credentials create`: regions, images, key pairs, RunInstances with a client token and a
tag, DescribeInstances with filters, stop, start, console output, terminate; refusals as EC2 writes them; the
instance seen by openstackclient as the same server, and by no other project."""
import json
import os
import subprocess
import time

import boto3
import botocore.exceptions


def ec2_steps(check, run, osc_json, openstack, aws, admin, demo, endpoint=None):
    """`endpoint`: the EC2 API's URL when it runs in a process of its own (else `/ec2` beside the identity API)."""
    pair = osc_json(["ec2", "credentials", "create"], demo)
    check("ec2 credentials create for the EC2 API", bool(pair and pair.get("access")), str(pair))
    if not pair:
        return
    endpoint = endpoint or demo["OS_AUTH_URL"].rsplit("/identity", 1)[0] + "/ec2"
    cafile = demo.get("OS_CACERT")
    env = {k: v for k, v in os.environ.items() if not k.startswith("OS_") and not k.startswith("AWS_")}
    env.update(AWS_ACCESS_KEY_ID=pair["access"], AWS_SECRET_ACCESS_KEY=pair["secret"],
               AWS_DEFAULT_REGION="RegionOne", AWS_CONFIG_FILE="/dev/null", AWS_SHARED_CREDENTIALS_FILE="/dev/null")
    if cafile:
        env["AWS_CA_BUNDLE"] = cafile

    def aws_run(args):
        return subprocess.run([aws, "--endpoint-url", endpoint, "ec2"] + args, env=env, capture_output=True,
                              text=True, stdin=subprocess.DEVNULL, timeout=300)

    def aws_json(args):
        result = subprocess.run([aws, "--endpoint-url", endpoint, "--output", "json", "ec2"] + args, env=env,
                                capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=120)
        if result.returncode != 0:
            print(f"     aws ec2 {' '.join(args)}: {result.stderr.strip()}")
            return None
        return json.loads(result.stdout) if result.stdout.strip() else {}

    regions = aws_json(["describe-regions"]) or {}
    check("aws ec2 describe-regions", [r["RegionName"] for r in regions.get("Regions", [])] == ["RegionOne"],
          str(regions))
    images = (aws_json(["describe-images", "--filters", "Name=name,Values=tiny-boot-sector"]) or {}).get("Images", [])
    check("aws ec2 describe-images finds the default image by name",
          len(images) == 1 and images[0]["ImageId"].startswith("ami-") and images[0]["State"] == "available",
          str(images))
    zones = (aws_json(["describe-availability-zones"]) or {}).get("AvailabilityZones", [])
    check("aws ec2 describe-availability-zones", any(z["ZoneName"] == "nova" for z in zones), str(zones))
    key = aws_json(["create-key-pair", "--key-name", "ec2-key"]) or {}
    check("aws ec2 create-key-pair gives the private key",
          "PRIVATE KEY" in key.get("KeyMaterial", ""), str(key)[:200])
    keypairs = [k["Name"] for k in osc_json(["keypair", "list"], demo) or []]
    check("openstack keypair list shows it", "ec2-key" in keypairs, str(keypairs))
    public_key = os.path.join(os.environ.get("TMPDIR", "/tmp"), f"ec2-import-{os.getpid()}.pub")
    with open(public_key, "w") as f:
        f.write("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHJm4xVqN1Ie6SbZNSVu2tkXqyJWUVh4eYSqSVcQoJUw scenario\n")
    imported = aws_json(["import-key-pair", "--key-name", "ec2-imported", "--public-key-material",
                         "fileb://" + public_key]) or {}
    os.unlink(public_key)
    check("aws ec2 import-key-pair", imported.get("KeyName") == "ec2-imported", str(imported))
    if not images:
        return

    launched = aws_json(["run-instances", "--image-id", images[0]["ImageId"], "--instance-type", "m1.tiny",
                         "--count", "1", "--key-name", "ec2-key", "--client-token", "scenario-once",
                         "--tag-specifications", "ResourceType=instance,Tags=[{Key=Name,Value=ec2-vm}]"]) or {}
    instances = launched.get("Instances", [])
    check("aws ec2 run-instances starts one instance, pending", len(instances) == 1
          and instances[0]["State"]["Name"] == "pending" and launched["ReservationId"].startswith("r-"), str(launched))
    if not instances:
        return
    instance = instances[0]["InstanceId"]
    again = aws_json(["run-instances", "--image-id", images[0]["ImageId"], "--instance-type", "m1.tiny",
                      "--count", "1", "--client-token", "scenario-once"]) or {}
    check("the same client token returns the same reservation, booting nothing more",
          again.get("ReservationId") == launched["ReservationId"]
          and [i["InstanceId"] for i in again.get("Instances", [])] == [instance], str(again))

    client = boto3.client("ec2", endpoint_url=endpoint, region_name="RegionOne", aws_access_key_id=pair["access"],
                          aws_secret_access_key=pair["secret"], verify=cafile or True)

    def state():
        found = client.describe_instances(InstanceIds=[instance])["Reservations"]
        return found[0]["Instances"][0]["State"]["Name"] if found else None

    def wait_state(name, timeout=60):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if state() == name:
                return True
            time.sleep(0.5)
        return False

    check("boto3 describe_instances: running", wait_state("running"), str(state()))
    waited = aws_run(["wait", "instance-running", "--instance-ids", instance])
    check("aws ec2 wait instance-running", waited.returncode == 0, waited.stderr)
    filtered = aws_json(["describe-instances", "--filters", "Name=instance-state-name,Values=running",
                         "Name=key-name,Values=ec2-key"]) or {}
    check("aws ec2 describe-instances with filters",
          [i["InstanceId"] for r in filtered.get("Reservations", []) for i in r["Instances"]] == [instance],
          str(filtered)[:300])
    tagged = client.describe_instances(Filters=[{"Name": "tag:Name", "Values": ["ec2-vm"]},
                                                {"Name": "instance-type", "Values": ["m1.tiny"]}])["Reservations"]
    check("boto3 describe_instances filters by tag and instance type",
          [i["InstanceId"] for r in tagged for i in r["Instances"]] == [instance], str(tagged))
    servers = [s["Name"] for s in osc_json(["server", "list"], demo) or []]
    check("openstack server list shows the same instance as a server", "ec2-vm" in servers, str(servers))
    theirs = osc_json(["ec2", "credentials", "create"], admin) or {}
    if theirs:
        other = boto3.client("ec2", endpoint_url=endpoint, region_name="RegionOne",
                             aws_access_key_id=theirs["access"], aws_secret_access_key=theirs["secret"],
                             verify=cafile or True)
        seen = [i["InstanceId"] for r in other.describe_instances()["Reservations"] for i in r["Instances"]]
        check("another project's key pair sees none of it", instance not in seen, str(seen))
        run(openstack, ["ec2", "credentials", "delete", theirs["access"]], admin)

    stopping = aws_json(["stop-instances", "--instance-ids", instance]) or {}
    check("aws ec2 stop-instances: stopping",
          [i["CurrentState"]["Name"] for i in stopping.get("StoppingInstances", [])] == ["stopping"], str(stopping))
    wait_state("stopped")
    waited = aws_run(["wait", "instance-stopped", "--instance-ids", instance])
    check("aws ec2 wait instance-stopped", waited.returncode == 0 and state() == "stopped", waited.stderr)
    started = aws_json(["start-instances", "--instance-ids", instance]) or {}
    check("aws ec2 start-instances: pending",
          [i["CurrentState"]["Name"] for i in started.get("StartingInstances", [])] == ["pending"], str(started))
    check("running again", wait_state("running"), str(state()))
    rebooted = aws_run(["reboot-instances", "--instance-ids", instance])
    check("aws ec2 reboot-instances", rebooted.returncode == 0 and wait_state("running"), rebooted.stderr)
    tagged = aws_run(["create-tags", "--resources", instance, "--tags", "Key=env,Value=scenario"])
    server = osc_json(["server", "show", "ec2-vm"], demo) or {}
    check("aws ec2 create-tags: the server's metadata", tagged.returncode == 0
          and "env" in str(server.get("properties", "")), tagged.stderr + str(server.get("properties")))
    output = aws_json(["get-console-output", "--instance-id", instance]) or {}
    check("aws ec2 get-console-output", bool(output.get("Output")), str(output)[:120])
    image = aws_json(["create-image", "--instance-id", instance, "--name", "ec2-image"]) or {}
    made = image.get("ImageId", "")

    def image_state():
        found = client.describe_images(ImageIds=[made])["Images"] if made else []
        return found[0]["State"] if found else None
    deadline = time.time() + 60
    while image_state() != "available" and time.time() < deadline:
        time.sleep(0.5)
    check("aws ec2 create-image: the server's snapshot becomes available", made.startswith("ami-")
          and image_state() == "available", str(image))
    snapshots = [i["Name"] for i in osc_json(["image", "list"], demo) or []]
    check("openstack image list shows it", "ec2-image" in snapshots, str(snapshots))
    if made:
        client.deregister_image(ImageId=made)
    try:
        client.run_instances(ImageId=images[0]["ImageId"], InstanceType="m1.tiny", MinCount=1, MaxCount=1,
                             DryRun=True)
        check("boto3 run_instances with DryRun: DryRunOperation", False)
    except botocore.exceptions.ClientError as error:
        check("boto3 run_instances with DryRun: DryRunOperation",
              error.response["Error"]["Code"] == "DryRunOperation", str(error.response["Error"]))
    first = client.run_instances(ImageId=images[0]["ImageId"], InstanceType="m1.tiny", MinCount=1, MaxCount=1,
                                 ClientToken="boto3-once")
    second = client.run_instances(ImageId=images[0]["ImageId"], InstanceType="m1.tiny", MinCount=1, MaxCount=1,
                                  ClientToken="boto3-once")
    boto_instances = {i["InstanceId"] for r in (first, second) for i in r["Instances"]}
    check("boto3 run_instances twice with one ClientToken: one instance", len(boto_instances) == 1,
          str(boto_instances))
    client.terminate_instances(InstanceIds=list(boto_instances))

    wrong = boto3.client("ec2", endpoint_url=endpoint, region_name="RegionOne", aws_access_key_id=pair["access"],
                         aws_secret_access_key="not-the-secret", verify=cafile or True)
    try:
        wrong.describe_instances()
        check("a wrong secret is refused with SignatureDoesNotMatch", False)
    except botocore.exceptions.ClientError as error:
        check("a wrong secret is refused with SignatureDoesNotMatch",
              error.response["Error"]["Code"] == "SignatureDoesNotMatch", str(error.response["Error"]))
    try:
        client.describe_instances(InstanceIds=["i-0123456789abcdef0"])
        check("an unknown instance id is InvalidInstanceID.NotFound", False)
    except botocore.exceptions.ClientError as error:
        check("an unknown instance id is InvalidInstanceID.NotFound",
              error.response["Error"]["Code"] == "InvalidInstanceID.NotFound", str(error.response["Error"]))

    terminated = aws_json(["terminate-instances", "--instance-ids", instance]) or {}
    check("aws ec2 terminate-instances: shutting-down",
          [i["CurrentState"]["Name"] for i in terminated.get("TerminatingInstances", [])] == ["shutting-down"],
          str(terminated))
    check("the terminated instance stays visible as terminated", wait_state("terminated"), str(state()))
    waited = aws_run(["wait", "instance-terminated", "--instance-ids", instance])
    check("aws ec2 wait instance-terminated", waited.returncode == 0, waited.stderr)
    aws_json(["delete-key-pair", "--key-name", "ec2-key"])
    aws_json(["delete-key-pair", "--key-name", "ec2-imported"])
    keypairs = [k["Name"] for k in osc_json(["keypair", "list"], demo) or []]
    check("aws ec2 delete-key-pair removes the key pairs", "ec2-key" not in keypairs and "ec2-imported" not in keypairs,
          str(keypairs))
    run(openstack, ["ec2", "credentials", "delete", pair["access"]], demo)
