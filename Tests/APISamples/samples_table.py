"""The samples compare_api_samples.py checks: (Nova's sample file under doc/api_samples, method, our path
with {names} from the prepared cloud, microversion, who asks, request body). "auto" asks as admin when
Nova's sample shows the admin-only server attributes, else as the server's member. Every view that a
microversion changes is here, from the first version to the last that changes it."""

S = "/compute/v2.1/servers/{server}"
C = "/compute/v2.1"


def servers():
    rows = []
    views = {
        "2.1": ("", ["get", "details", "list"]), "2.3": ("v2.3/", ["get", "details", "list"]),
        "2.9": ("v2.9/", ["get", "details", "list"]), "2.16": ("v2.16/", ["get", "details", "list"]),
        "2.19": ("v2.19/", ["get", "details", "list"]), "2.26": ("v2.26/", []),
        "2.47": ("v2.47/", ["get", "details", "list"]), "2.52": ("v2.52/", ["get", "details", "list"]),
        "2.63": ("v2.63/", ["get", "details"]), "2.71": ("v2.71/", ["get"]),
        "2.73": ("v2.73/", ["get", "details"]), "2.90": ("v2.90/", ["get", "details", "list"]),
        "2.94": ("v2.94/", ["get", "details", "list"]), "2.96": ("v2.96/", ["get", "details", "list"]),
        "2.98": ("v2.98/", ["get", "details", "list"]), "2.100": ("v2.100/", ["get", "details", "list"]),
    }
    for version, (folder, kinds) in views.items():
        for kind in kinds:
            if kind == "get":
                rows.append((f"servers/{folder}server-get-resp.json", "GET", S, version, "auto", None))
            elif kind == "details":
                rows.append((f"servers/{folder}servers-details-resp.json", "GET", C + "/servers/detail", version,
                             "auto", None))
            else:
                rows.append((f"servers/{folder}servers-list-resp.json", "GET", C + "/servers", version, "auto",
                             None))
    for version, folder in (("2.1", ""), ("2.19", "v2.19/"), ("2.47", "v2.47/"), ("2.63", "v2.63/"),
                            ("2.100", "v2.100/"), ("2.104", "v2.104/")):
        name = "server-put-resp.json" if version == "2.19" else "server-update-resp.json"
        rows.append((f"servers/{folder}{name}", "PUT", S, version, "member",
                     {"server": {"name": "new-server-test"}}))
    for version, folder in (("2.1", ""), ("2.19", "v2.19/"), ("2.26", "v2.26/"), ("2.47", "v2.47/"),
                            ("2.54", "v2.54/"), ("2.57", "v2.57/"), ("2.63", "v2.63/"), ("2.100", "v2.100/")):
        rows.append((f"servers/{folder}server-action-rebuild-resp.json", "POST", S + "/action", version, "member",
                     {"rebuild": {"imageRef": "{image}", "name": "new-server-test"}}))
    return rows


SAMPLES = servers() + [
    # Flavors and their extras.
    *[(f"flavors/{folder}{name}", "GET", path, version, "member", None)
      for version, folder in (("2.1", ""), ("2.55", "v2.55/"), ("2.61", "v2.61/"), ("2.75", "v2.75/"),
                              ("2.102", "v2.102/"))
      for name, path in (("flavor-get-resp.json", C + "/flavors/1"), ("flavors-list-resp.json", C + "/flavors"),
                         ("flavors-detail-resp.json", C + "/flavors/detail"))],
    ("flavor-extra-specs/flavor-extra-specs-list-resp.json", "GET", C + "/flavors/1/os-extra_specs", "2.1",
     "admin", None),
    ("flavor-access/flavor-access-list-resp.json", "GET", C + "/flavors/{private_flavor}/os-flavor-access", "2.1", "admin",
     None),
    # Key pairs.
    *[(f"os-keypairs/{folder}{name}", "GET", path, version, "member", None)
      for version, folder in (("2.1", ""), ("2.2", "v2.2/"), ("2.10", "v2.10/"))
      for name, path in (("keypairs-get-resp.json", C + "/os-keypairs/keypair-sample"),
                         ("keypairs-list-resp.json", C + "/os-keypairs"))],
    ("os-keypairs/v2.35/keypairs-list-resp.json", "GET", C + "/os-keypairs", "2.35", "member", None),
    # Hypervisors.
    *[(f"os-hypervisors/{folder}{name}", "GET", path, version, "admin", None)
      for version, folder, show in (("2.1", "", "1"), ("2.28", "v2.28/", "1"), ("2.53", "v2.53/", "{hypervisor_uuid}"),
                                    ("2.88", "v2.88/", "{hypervisor_uuid}"))
      for name, path in (("hypervisors-list-resp.json", C + "/os-hypervisors"),
                         ("hypervisors-detail-resp.json", C + "/os-hypervisors/detail"),
                         ("hypervisors-show-resp.json", C + "/os-hypervisors/" + show))],
    ("os-hypervisors/v2.33/hypervisors-list-resp.json", "GET", C + "/os-hypervisors?limit=1", "2.33", "admin",
     None),
    ("os-hypervisors/hypervisors-statistics-resp.json", "GET", C + "/os-hypervisors/statistics", "2.1", "admin",
     None),
    ("os-hypervisors/v2.53/hypervisors-uptime-resp.json", "GET", C + "/os-hypervisors/{hypervisor_uuid}/uptime",
     "2.53", "admin", None),
    ("os-hypervisors/v2.53/hypervisors-with-servers-resp.json", "GET",
     C + "/os-hypervisors?with_servers=true&hypervisor_hostname_pattern={hypervisor_name}", "2.53", "admin", None),
    # Services, zones, aggregates, server groups.
    *[(f"os-services/{folder}services-list-get-resp.json", "GET", C + "/os-services", version, "admin", None)
      for version, folder in (("2.1", ""), ("2.11", "v2.11/"), ("2.53", "v2.53/"))],
    ("os-availability-zone/availability-zone-list-resp.json", "GET", C + "/os-availability-zone", "2.1", "member",
     None),
    ("os-availability-zone/availability-zone-detail-resp.json", "GET", C + "/os-availability-zone/detail", "2.1",
     "admin", None),
    *[(f"os-aggregates/{folder}{name}", "GET", path, version, "admin", None)
      for version, folder in (("2.1", ""), ("2.41", "v2.41/"), ("2.81", "v2.81/"))
      for name, path in (("aggregates-get-resp.json", C + "/os-aggregates/{aggregate}"),
                         ("aggregates-list-get-resp.json", C + "/os-aggregates"))],
    *[(f"os-server-groups/{folder}{name}", "GET", path, version, "member", None)
      for version, folder in (("2.1", ""), ("2.13", "v2.13/"), ("2.64", "v2.64/"))
      for name, path in (("server-groups-get-resp.json", C + "/os-server-groups/{group}"),
                         ("server-groups-list-resp.json", C + "/os-server-groups"))],
    # Instance actions and migrations.
    *[(f"os-instance-actions/{folder}{name}", "GET", path, version, "admin", None)
      for version, folder in (("2.1", ""), ("2.21", "v2.21/"), ("2.51", "v2.51/"), ("2.58", "v2.58/"),
                              ("2.62", "v2.62/"), ("2.66", "v2.66/"), ("2.84", "v2.84/"))
      for name, path in (("instance-action-get-resp.json", S + "/os-instance-actions/{request}"),
                         ("instance-actions-list-resp.json", S + "/os-instance-actions"))],
    ("os-instance-actions/v2.84/instance-action-get-non-admin-resp.json", "GET",
     S + "/os-instance-actions/{request}", "2.84", "member", None),
    *[(f"os-migrations/{folder}migrations-get.json", "GET", C + "/os-migrations", version, "admin", None)
      for version, folder in (("2.1", ""), ("2.23", "v2.23/"), ("2.59", "v2.59/"), ("2.66", "v2.66/"),
                              ("2.80", "v2.80/"))],
    # Quotas and limits.
    *[(f"os-quota-sets/{folder}{name}", "GET", path, version, "admin", None)
      for version, folder in (("2.1", ""), ("2.36", "v2.36/"), ("2.57", "v2.57/"))
      for name, path in (("quotas-show-get-resp.json", C + "/os-quota-sets/{project}"),
                         ("quotas-show-detail-get-resp.json", C + "/os-quota-sets/{project}/detail"),
                         ("quotas-show-defaults-get-resp.json", C + "/os-quota-sets/{project}/defaults"),
                         ("user-quotas-show-get-resp.json", C + "/os-quota-sets/{project}?user_id={user}"))],
    *[(f"os-quota-class-sets/{folder}quota-classes-show-get-resp.json", "GET", C + "/os-quota-class-sets/default",
       version, "admin", None)
      for version, folder in (("2.1", ""), ("2.50", "v2.50/"), ("2.57", "v2.57/"))],
    *[(f"limits/{folder}limit-get-resp.json", "GET", C + "/limits", version, "member", None)
      for version, folder in (("2.1", ""), ("2.36", "v2.36/"), ("2.39", "v2.39/"), ("2.57", "v2.57/"))],
    # Usage.
    ("os-simple-tenant-usage/simple-tenant-usage-get.json", "GET", C + "/os-simple-tenant-usage", "2.1", "admin",
     None),
    ("os-simple-tenant-usage/simple-tenant-usage-get-detail.json", "GET",
     C + "/os-simple-tenant-usage?detailed=1", "2.1", "admin", None),
    ("os-simple-tenant-usage/simple-tenant-usage-get-specific.json", "GET",
     C + "/os-simple-tenant-usage/{project}", "2.1", "admin", None),
    ("os-simple-tenant-usage/v2.40/simple-tenant-usage-get-detail.json", "GET",
     C + "/os-simple-tenant-usage?detailed=1", "2.40", "admin", None),
    ("os-instance-usage-audit-log/inst-usage-audit-log-index-get-resp.json", "GET",
     C + "/os-instance_usage_audit_log", "2.1", "admin", None),
    # A server's parts.
    ("server-ips/server-ips-resp.json", "GET", S + "/ips", "2.1", "member", None),
    ("server-ips/server-ips-network-resp.json", "GET", S + "/ips/{network}", "2.1", "member", None),
    ("server-metadata/server-metadata-all-resp.json", "GET", S + "/metadata", "2.1", "member", None),
    ("os-server-tags/v2.26/server-tags-index-resp.json", "GET", S + "/tags", "2.26", "member", None),
    ("os-attach-interfaces/attach-interfaces-list-resp.json", "GET", S + "/os-interface", "2.1", "member", None),
    ("os-attach-interfaces/attach-interfaces-show-resp.json", "GET", S + "/os-interface/{port}", "2.1", "member",
     None),
    ("os-attach-interfaces/v2.70/attach-interfaces-list-resp.json", "GET", S + "/os-interface", "2.70", "member",
     None),
    ("os-attach-interfaces/v2.70/attach-interfaces-show-resp.json", "GET", S + "/os-interface/{port}", "2.70",
     "member", None),
    ("os-server-diagnostics/server-diagnostics-get-resp.json", "GET", S + "/diagnostics", "2.1", "admin", None),
    ("os-server-diagnostics/v2.48/server-diagnostics-get-resp.json", "GET", S + "/diagnostics", "2.48", "admin",
     None),
    # (os-server-topology: this cloud places no server on NUMA nodes, so its topology is Nova's answer for
    # such a server, no nodes, and Nova's sample of a NUMA server has nothing to compare it with.)
    ("os-server-password/get-password-resp.json", "GET", S + "/os-server-password", "2.1", "member", None),
    *[(f"os-volume_attachments/{folder}{name}", "GET", path, version, "member", None)
      for version, folder in (("2.1", ""), ("2.70", "v2.70/"), ("2.79", "v2.79/"), ("2.89", "v2.89/"),
                              ("2.101", "v2.101/"))
      for name, path in (("list-volume-attachments-resp.json", S + "/os-volume_attachments"),
                         ("volume-attachment-detail-resp.json", S + "/os-volume_attachments/{volume}"))],
    ("os-console-auth-tokens/v2.31/get-console-connect-info-get-resp.json", "GET",
     C + "/os-console-auth-tokens/{console_token}", "2.31", "admin", None),
    ("os-remote-consoles/v2.6/create-vnc-console-resp.json", "POST", S + "/remote-consoles", "2.6", "member",
     {"remote_console": {"protocol": "vnc", "type": "novnc"}}),
    # What creates answer ({n}: a name of its own for each row).
    *[(f"servers/{folder}server-create-resp.json", "POST", C + "/servers", version, "member",
       {"server": {"name": "created-{n}", "imageRef": "{image}", "flavorRef": "1", "networks": "none"}})
      for version, folder in (("2.37", "v2.37/"), ("2.57", "v2.57/"), ("2.63", "v2.63/"), ("2.100", "v2.100/"))],
    *[(f"flavor-manage/{folder}flavor-create-post-resp.json", "POST", C + "/flavors", version, "admin",
       {"flavor": {"name": "flavor-{n}", "ram": 64, "vcpus": 1, "disk": 1}})
      for version, folder in (("2.1", ""), ("2.55", "v2.55/"), ("2.61", "v2.61/"), ("2.75", "v2.75/"),
                              ("2.102", "v2.102/"))],
    *[(f"os-keypairs/{folder}keypairs-post-resp.json", "POST", C + "/os-keypairs", version, "member",
       {"keypair": {"name": "keypair-{n}"}})
      for version, folder in (("2.1", ""), ("2.2", "v2.2/"), ("2.10", "v2.10/"), ("2.35", "v2.35/"))],
    *[(f"os-aggregates/{folder}aggregate-post-resp.json", "POST", C + "/os-aggregates", version, "admin",
       {"aggregate": {"name": "aggregate-{n}", "availability_zone": "nova"}})
      for version, folder in (("2.1", ""), ("2.41", "v2.41/"), ("2.81", "v2.81/"))],
    *[(f"os-server-groups/{folder}server-groups-post-resp.json", "POST", C + "/os-server-groups", version,
       "member", {"server_group": {"name": "group-{n}", **policy}})
      for version, folder, policy in (("2.1", "", {"policies": ["anti-affinity"]}),
                                      ("2.13", "v2.13/", {"policies": ["anti-affinity"]}),
                                      ("2.64", "v2.64/", {"policy": "anti-affinity",
                                                          "rules": {"max_server_per_host": 3}}))],
    # Version documents.
    ("versions/versions-get-resp.json", "GET", "/compute/", None, "member", None),
    ("versions/v21-version-get-resp.json", "GET", "/compute/v2.1/", None, "member", None),
]
