"""The client scenario's image steps with the real `openstack` client: sharing an image with another project
(add project, accept, boot from it there), and creating an image through interoperable import."""
import hashlib
import os


def image_steps(check, run, osc_json, openstack, admin, demo, data_dir):
    payload = os.path.join(data_dir, "shared.img")
    with open(payload, "wb") as f:
        f.write(os.urandom(200_000))
    digest = hashlib.md5(open(payload, "rb").read()).hexdigest()
    project = osc_json(["project", "create", "scenario-consumers"], admin) or {}
    osc_json(["user", "create", "--password", "consumer-pw", "scenario-consumer"], admin)
    run(openstack, ["role", "add", "--project", "scenario-consumers", "--user", "scenario-consumer", "member"], admin)
    consumer = dict(demo, OS_USERNAME="scenario-consumer", OS_PASSWORD="consumer-pw",
                    OS_PROJECT_NAME="scenario-consumers")
    shared = osc_json(["image", "create", "--file", payload, "--disk-format", "raw", "--shared", "scenario-shared"],
                      demo) or {}
    check("image create --shared makes a shared image", shared.get("visibility") == "shared", str(shared)[:300])
    hidden = run(openstack, ["image", "show", shared.get("id", "none")], consumer, expect_ok=False)
    check("another project cannot see it before it is shared", hidden.returncode != 0)
    member = osc_json(["image", "add", "project", shared.get("id", "none"), project.get("id", "none")], demo) or {}
    check("image add project shares it (pending)", member.get("status") == "pending", str(member))
    seen = osc_json(["image", "show", shared.get("id", "none")], consumer) or {}
    listed = [i["Name"] for i in osc_json(["image", "list"], consumer) or []]
    check("the project sees it by id, and not yet in its list",
          seen.get("name") == "scenario-shared" and "scenario-shared" not in listed, str(listed))
    run(openstack, ["image", "set", "--accept", shared.get("id", "none")], consumer)
    listed = [i["Name"] for i in osc_json(["image", "list"], consumer) or []]
    check("image set --accept puts it in the project's list", "scenario-shared" in listed, str(listed))
    members = osc_json(["image", "member", "list", shared.get("id", "none")], demo) or []
    check("image member list shows the project's answer",
          [(m["Member ID"], m["Status"]) for m in members] == [(project.get("id"), "accepted")], str(members))
    server = osc_json(["server", "create", "--flavor", "m1.tiny", "--image", "scenario-shared", "--nic", "none",
                       "--wait", "scenario-on-shared"], consumer) or {}
    check("the project boots a server from the shared image", server.get("status") == "ACTIVE", str(server)[:300])
    run(openstack, ["server", "delete", "--wait", "scenario-on-shared"], consumer)

    imported = osc_json(["image", "create", "--import", "--file", payload, "--disk-format", "raw",
                         "scenario-imported"], demo) or {}
    shown = osc_json(["image", "show", imported.get("id", "none")], demo) or {}
    check("image create --import stages and imports it (glance-direct), checksummed",
          shown.get("status") == "active" and shown.get("checksum") == digest, str(shown)[:300])
    tasks = osc_json(["image", "task", "list"], demo)
    check("the import's task is listed", tasks is not None and any(t.get("Type") == "api_image_import" for t in tasks),
          str(tasks)[:300])
    namespaces = [n.get("namespace") for n in osc_json(["image", "metadef", "namespace", "list"], demo) or []]
    check("image metadef namespace list shows the catalog of what this cloud reads",
          "OS::Compute::GuestAgent" in namespaces, str(namespaces))
    properties = osc_json(["image", "metadef", "property", "list", "OS::Compute::GuestDevices"], demo) or []
    check("image metadef property list names hw_disk_bus and hw_vif_model",
          {"hw_disk_bus", "hw_vif_model"} <= {p.get("name") for p in properties}, str(properties)[:300])
    for image in ("scenario-imported", "scenario-shared"):
        run(openstack, ["image", "delete", image], demo)
    run(openstack, ["user", "delete", "scenario-consumer"], admin)
    run(openstack, ["project", "delete", "scenario-consumers"], admin)
