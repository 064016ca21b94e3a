"""The client scenario's identity steps: role CRUD with `openstack role`, EC2 key pairs with `openstack ec2
credentials`, and a request signed by botocore (AWS Signature Version 4, as boto3 and the aws CLI sign)
turned into a token by `POST /v3/ec2tokens`."""
import json
import ssl
import urllib.request

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from catalog_steps import application_credential_steps, catalog_steps


def ec2_token(auth_url, access, secret, cafile=None):
    """A DescribeRegions request signed with the key pair, handed to Keystone's ec2tokens as an EC2 front end
    hands it over; returns (status, token body)."""
    request = AWSRequest(method="GET", url="https://ec2.example.com:8788/?Action=DescribeRegions&Version=2016-11-15")
    SigV4Auth(Credentials(access, secret), "ec2", "RegionOne").add_auth(request)
    authorization = request.headers["Authorization"]
    body = {"credentials": {
        "access": access, "signature": authorization.split("Signature=")[1], "host": "ec2.example.com:8788",
        "verb": "GET", "path": "/", "params": {"Action": "DescribeRegions", "Version": "2016-11-15"},
        "headers": {"Host": "ec2.example.com:8788", "X-Amz-Date": request.headers["X-Amz-Date"],
                    "Authorization": authorization},
        "body_hash": "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"}}
    call = urllib.request.Request(auth_url.rstrip("/") + "/v3/ec2tokens", data=json.dumps(body).encode(),
                                  headers={"Content-Type": "application/json"}, method="POST")
    context = ssl.create_default_context(cafile=cafile) if cafile else None
    try:
        with urllib.request.urlopen(call, timeout=10, context=context) as reply:
            return reply.status, json.loads(reply.read())
    except urllib.error.HTTPError as error:
        return error.code, None


def identity_steps(check, run, osc_json, openstack, admin, demo):
    group_steps(check, run, osc_json, openstack, admin, demo)
    domain_steps(check, run, osc_json, openstack, admin)
    catalog_steps(check, run, osc_json, openstack, admin, demo)
    application_credential_steps(check, run, osc_json, openstack, demo)
    created = osc_json(["role", "create", "scenario-auditor"], admin)
    check("role create makes a role", created and created.get("name") == "scenario-auditor", str(created))
    refused = run(openstack, ["role", "create", "not-mine"], demo, expect_ok=False)
    check("a member cannot create roles", refused.returncode != 0 and "403" in refused.stderr, refused.stderr[-200:])
    run(openstack, ["role", "set", "--name", "scenario-inspector", "scenario-auditor"], admin)
    names = [r["Name"] for r in osc_json(["role", "list"], admin) or []]
    check("role set renames it", "scenario-inspector" in names and "scenario-auditor" not in names, str(names))
    run(openstack, ["role", "delete", "scenario-inspector"], admin)
    check("role delete removes it", "scenario-inspector" not in [r["Name"] for r in osc_json(["role", "list"], admin) or []])

    pair = osc_json(["ec2", "credentials", "create"], demo)
    check("ec2 credentials create gives an access key and a secret", pair and pair.get("access") and pair.get("secret"),
          str(pair))
    if not pair:
        return
    listed = osc_json(["ec2", "credentials", "list"], demo) or []
    check("ec2 credentials list shows it", [c["Access"] for c in listed] == [pair["access"]], str(listed))
    status, token = ec2_token(demo["OS_AUTH_URL"], pair["access"], pair["secret"], demo.get("OS_CACERT"))
    check("a request signed by botocore with the pair gets a token of the demo project (ec2tokens)",
          status == 200 and token["token"]["project"]["name"] == "demo", f"{status} {token}")
    status, _ = ec2_token(demo["OS_AUTH_URL"], pair["access"], "not-the-secret", demo.get("OS_CACERT"))
    check("a request signed with another secret is refused (401)", status == 401, str(status))
    run(openstack, ["ec2", "credentials", "delete", pair["access"]], demo)
    check("ec2 credentials delete removes it", osc_json(["ec2", "credentials", "list"], demo) == [])
    status, _ = ec2_token(demo["OS_AUTH_URL"], pair["access"], pair["secret"], demo.get("OS_CACERT"))
    check("a deleted pair signs nothing any more", status == 401, str(status))


def domain_steps(check, run, osc_json, openstack, admin):
    """A domain made, renamed, refused deletion while enabled, disabled and deleted."""
    domain = osc_json(["domain", "create", "--description", "scenario", "scenario-domain"], admin)
    check("domain create makes a domain", domain and domain.get("enabled") is True, str(domain))
    refused = run(openstack, ["domain", "delete", "scenario-domain"], admin, expect_ok=False)
    check("an enabled domain cannot be deleted", refused.returncode != 0)
    run(openstack, ["domain", "set", "--disable", "--name", "scenario-former", "scenario-domain"], admin)
    shown = osc_json(["domain", "show", "scenario-former"], admin)
    check("domain set renames and disables it", shown and shown.get("enabled") is False, str(shown))
    run(openstack, ["domain", "delete", "scenario-former"], admin)
    names = [d["Name"] for d in osc_json(["domain", "list"], admin) or []]
    check("domain delete removes the disabled domain", "scenario-former" not in names and "Default" in names, str(names))


def group_steps(check, run, osc_json, openstack, admin, demo):
    """A user in a group gets the group's role on a project: its own token for the project works, and the
    effective assignments name it. The user then changes its own password."""
    run(openstack, ["project", "create", "scenario-team"], admin)
    osc_json(["user", "create", "--password", "team-pw-1", "scenario-dev"], admin)
    group = osc_json(["group", "create", "scenario-developers"], admin)
    check("group create makes a group", group and group.get("name") == "scenario-developers", str(group))
    run(openstack, ["group", "add", "user", "scenario-developers", "scenario-dev"], admin)
    contains = run(openstack, ["group", "contains", "user", "scenario-developers", "scenario-dev"], admin)
    check("group contains user says so", "scenario-dev in group scenario-developers" in contains.stdout, contains.stdout)
    run(openstack, ["role", "add", "--group", "scenario-developers", "--project", "scenario-team", "member"], admin)
    effective = osc_json(["role", "assignment", "list", "--effective", "--user", "scenario-dev", "--names"], admin) or []
    check("the group's role, and the role it implies, are the user's effective assignments",
          sorted((a["Role"], a["Project"].split("@")[0]) for a in effective)
          == [("member", "scenario-team"), ("reader", "scenario-team")], str(effective))
    dev = dict(demo, OS_USERNAME="scenario-dev", OS_PASSWORD="team-pw-1", OS_PROJECT_NAME="scenario-team")
    issued = run(openstack, ["token", "issue"], dev)
    check("the group's member gets a token of the project", issued.returncode == 0, issued.stderr[-200:])
    changed = run(openstack, ["user", "password", "set", "--original-password", "team-pw-1", "--password", "team-pw-2"], dev)
    check("user password set changes its own password", changed.returncode == 0, changed.stderr[-200:])
    old = run(openstack, ["token", "issue"], dev, expect_ok=False)
    new = run(openstack, ["token", "issue"], dict(dev, OS_PASSWORD="team-pw-2"))
    check("the old password no longer works, the new one does", old.returncode != 0 and new.returncode == 0)
    run(openstack, ["group", "remove", "user", "scenario-developers", "scenario-dev"], admin)
    gone = run(openstack, ["token", "issue"], dict(dev, OS_PASSWORD="team-pw-2"), expect_ok=False)
    check("out of the group, no token of the project", gone.returncode != 0)
    for command in (["group", "delete", "scenario-developers"], ["user", "delete", "scenario-dev"],
                    ["project", "delete", "scenario-team"]):
        run(openstack, command, admin)
    check("the group, user and project are gone", not any(g["Name"] == "scenario-developers"
                                                          for g in osc_json(["group", "list"], admin) or []))
