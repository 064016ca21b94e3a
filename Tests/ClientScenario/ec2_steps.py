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


def ec2_steps(check, run, osc_json, openstack, aws, admin, demo):
    pair = osc_json(["ec2", "credentials", "create"], demo)
    check("ec2 credentials create for the EC2 API", bool(pair and pair.get("access")), str(pair))
    if not pair:
        return
    endpoint = demo["OS_AUTH_URL"].rsplit("/identity", 1)[0] + "/ec2"
    cafile = demo.get("OS_CACERT")
    env = {k: v for k, v in os.environ.items() if not k.startswith("OS_") and not k.startswith("AWS_")}
    env.update(AWS_ACCESS_KEY_ID=pair["access"], AWS_SECRET_ACCESS_KEY=pair["secret"],
               AWS_DEFAULT_REGION="RegionOne", AWS_CONFIG_FILE="/dev/null", AWS_SHARED_CREDENTIALS_FILE="/dev/null")
    if cafile:
        env["AWS_CA_BUNDLE"] = cafile

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

    client.stop_instances(InstanceIds=[instance])
    check("boto3 stop_instances: stopped", wait_state("stopped"), str(state()))
    client.start_instances(InstanceIds=[instance])
    check("boto3 start_instances: running again", wait_state("running"), str(state()))
    output = client.get_console_output(InstanceId=instance).get("Output", "")
    check("boto3 get_console_output", bool(output), output[:80])

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
    aws_json(["delete-key-pair", "--key-name", "ec2-key"])
    keypairs = [k["Name"] for k in osc_json(["keypair", "list"], demo) or []]
    check("aws ec2 delete-key-pair removes the key pair", "ec2-key" not in keypairs, str(keypairs))
    run(openstack, ["ec2", "credentials", "delete", pair["access"]], demo)
