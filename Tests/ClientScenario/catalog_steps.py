"""The client scenario's catalog, implied role, system scope and application credential steps, with the real
`openstack` client: what an operator does to the catalog reaches tokens, and an application credential
authenticates as CI jobs and Terraform use one."""
import json

PROJECT_KEYS = ("OS_USERNAME", "OS_PASSWORD", "OS_PROJECT_NAME", "OS_PROJECT_ID", "OS_PROJECT_DOMAIN_NAME",
                "OS_PROJECT_DOMAIN_ID", "OS_USER_DOMAIN_NAME", "OS_USER_DOMAIN_ID", "OS_TENANT_NAME")


def catalog_steps(check, run, osc_json, openstack, admin, demo):
    endpoints = osc_json(["endpoint", "list"], admin) or []
    types = {e["Service Type"] for e in endpoints}
    check("endpoint list shows the seeded catalog", {"compute", "identity", "image", "placement"} <= types, str(types))
    refused = run(openstack, ["endpoint", "list"], demo, expect_ok=False)
    check("a member cannot list or manage endpoints", refused.returncode != 0 and "403" in refused.stderr,
          refused.stderr[-200:])
    other = run(openstack, ["user", "create", "--password", "x", "scenario-intruder"], demo, expect_ok=False)
    check("a member cannot create other users", other.returncode != 0 and "403" in other.stderr, other.stderr[-200:])
    osc_json(["service", "create", "--name", "scenario-swift", "--description", "objects", "object-store"], admin)
    run(openstack, ["region", "create", "--description", "scenario", "ScenarioRegion"], admin)
    created = osc_json(["endpoint", "create", "--region", "ScenarioRegion", "object-store", "public",
                        "http://192.0.2.10:8080/v1/AUTH_$(project_id)s"], admin)
    check("region create and endpoint create add an endpoint in a new region", created and created.get("region") == "ScenarioRegion",
          str(created))
    shown = run(openstack, ["catalog", "show", "object-store", "-f", "json"], demo)
    check("the member's next token carries the new endpoint, its project substituted",
          shown.returncode == 0 and "192.0.2.10:8080/v1/AUTH_" in shown.stdout and "$(project_id)s" not in shown.stdout,
          shown.stdout[-300:] + shown.stderr[-200:])
    if created:
        run(openstack, ["endpoint", "delete", created["id"]], admin)
    run(openstack, ["service", "delete", "object-store"], admin)
    run(openstack, ["region", "delete", "ScenarioRegion"], admin)
    gone = run(openstack, ["catalog", "show", "object-store", "-f", "json"], demo, expect_ok=False)
    check("deleted, the service leaves the catalog", "192.0.2.10" not in gone.stdout, gone.stdout[-200:])

    osc_json(["role", "create", "scenario-observer"], admin)
    run(openstack, ["implied", "role", "create", "member", "--implied-role", "scenario-observer"], admin)
    inferences = osc_json(["implied", "role", "list"], admin) or []
    check("implied role list shows member implying the new role",
          any(i.get("Prior Role Name") == "member" and i.get("Implied Role Name") == "scenario-observer"
              for i in inferences), str(inferences))
    token = osc_json(["token", "issue"], demo) or {}
    roles = osc_json(["role", "assignment", "list", "--effective", "--names", "--project", "demo"], admin) or []
    check("the implied role is an effective assignment of the members",
          any(r["Role"] == "scenario-observer" for r in roles), str(roles)[:300])
    run(openstack, ["implied", "role", "delete", "member", "--implied-role", "scenario-observer"], admin)
    run(openstack, ["role", "delete", "scenario-observer"], admin)
    check("token issue works for the member throughout", bool(token.get("id")))

    system = {k: v for k, v in admin.items() if k not in PROJECT_KEYS[2:]}
    system.update(OS_SYSTEM_SCOPE="all", OS_USER_DOMAIN_NAME=admin.get("OS_USER_DOMAIN_NAME", "Default"))
    issued = osc_json(["token", "issue"], system)
    check("the admin gets a system-scoped token (--os-system-scope all)",
          issued is not None and not issued.get("project_id"), str(issued))
    listed = run(openstack, ["endpoint", "list"], system)
    check("a system-scoped admin manages the catalog", listed.returncode == 0, listed.stderr[-200:])
    servers = run(openstack, ["server", "list"], system, expect_ok=False)
    check("compute refuses a system-scoped token (its policies are for projects)",
          servers.returncode != 0 and "403" in servers.stderr, servers.stderr[-200:])


def application_credential_steps(check, run, osc_json, openstack, demo):
    created = osc_json(["application", "credential", "create", "--role", "reader", "--description", "CI",
                        "scenario-ci"], demo)
    check("application credential create shows the secret once", created and created.get("Secret"), str(created))
    if not created:
        return
    listed = osc_json(["application", "credential", "list"], demo) or []
    check("application credential list shows it", [c["Name"] for c in listed] == ["scenario-ci"], str(listed))
    ci = {k: v for k, v in demo.items() if k not in PROJECT_KEYS}
    ci.update(OS_AUTH_TYPE="v3applicationcredential", OS_APPLICATION_CREDENTIAL_ID=created["ID"],
              OS_APPLICATION_CREDENTIAL_SECRET=created["Secret"])
    servers = run(openstack, ["server", "list"], ci)
    check("authenticating with the application credential, server list works", servers.returncode == 0,
          servers.stderr[-200:])
    more = run(openstack, ["application", "credential", "create", "scenario-more"], ci, expect_ok=False)
    check("an application credential cannot create another", more.returncode != 0 and "403" in more.stderr,
          more.stderr[-200:])
    rules = json.dumps([{"service": "compute", "method": "GET", "path": "/v2.1/flavors/detail"}])
    limited = osc_json(["application", "credential", "create", "--access-rules", rules, "scenario-flavors"], demo)
    check("an application credential with access rules is created", limited and limited.get("Access Rules"),
          str(limited))
    if limited:
        flavors_only = dict(ci, OS_APPLICATION_CREDENTIAL_ID=limited["ID"],
                            OS_APPLICATION_CREDENTIAL_SECRET=limited["Secret"])
        allowed = run(openstack, ["flavor", "list"], flavors_only)
        denied = run(openstack, ["server", "list"], flavors_only, expect_ok=False)
        check("its access rules allow flavor list and refuse server list",
              allowed.returncode == 0 and denied.returncode != 0, allowed.stderr[-200:] + denied.stderr[-200:])
        run(openstack, ["application", "credential", "delete", "scenario-flavors"], demo)
    run(openstack, ["application", "credential", "delete", "scenario-ci"], demo)
    after = run(openstack, ["server", "list"], ci, expect_ok=False)
    check("a deleted application credential authenticates no more", after.returncode != 0, after.stderr[-200:])
