extension Migrations {
    /// The networking service's tables (migration 10). Each record is kept whole as JSON in `data`; the
    /// columns beside it are what queries filter on and what the database keeps unique: one network per
    /// segment (`segment_key`), one MAC per network, one port per address of a subnet.
    static let networkSchema = [
        """
        CREATE TABLE networks (id TEXT PRIMARY KEY, project_id TEXT NOT NULL, name TEXT NOT NULL,
          shared INTEGER NOT NULL, external INTEGER NOT NULL, segment_key TEXT UNIQUE, created_at REAL NOT NULL,
          data TEXT NOT NULL)
        """,
        "CREATE INDEX networks_project ON networks (project_id)",
        """
        CREATE TABLE subnets (id TEXT PRIMARY KEY, network_id TEXT NOT NULL REFERENCES networks(id),
          project_id TEXT NOT NULL, name TEXT NOT NULL, created_at REAL NOT NULL, data TEXT NOT NULL)
        """,
        "CREATE INDEX subnets_network ON subnets (network_id)",
        """
        CREATE TABLE ports (id TEXT PRIMARY KEY, network_id TEXT NOT NULL REFERENCES networks(id),
          project_id TEXT NOT NULL, name TEXT NOT NULL, device_id TEXT NOT NULL, device_owner TEXT NOT NULL,
          mac_address TEXT NOT NULL, created_at REAL NOT NULL, data TEXT NOT NULL, UNIQUE (network_id, mac_address))
        """,
        "CREATE INDEX ports_device ON ports (device_id)",
        "CREATE INDEX ports_network ON ports (network_id)",
        "CREATE INDEX ports_project ON ports (project_id)",
        """
        CREATE TABLE ip_allocations (subnet_id TEXT NOT NULL REFERENCES subnets(id), ip_address TEXT NOT NULL,
          offset_number INTEGER NOT NULL, port_id TEXT NOT NULL REFERENCES ports(id) ON DELETE CASCADE,
          network_id TEXT NOT NULL, PRIMARY KEY (subnet_id, ip_address))
        """,
        "CREATE INDEX ip_allocations_offset ON ip_allocations (subnet_id, offset_number)",
        "CREATE INDEX ip_allocations_port ON ip_allocations (port_id)",
        """
        CREATE TABLE security_groups (id TEXT PRIMARY KEY, project_id TEXT NOT NULL, name TEXT NOT NULL,
          created_at REAL NOT NULL, data TEXT NOT NULL)
        """,
        "CREATE INDEX security_groups_project ON security_groups (project_id)",
        """
        CREATE TABLE security_group_rules (id TEXT PRIMARY KEY,
          security_group_id TEXT NOT NULL REFERENCES security_groups(id) ON DELETE CASCADE,
          project_id TEXT NOT NULL, created_at REAL NOT NULL, data TEXT NOT NULL)
        """,
        "CREATE INDEX security_group_rules_group ON security_group_rules (security_group_id)",
        """
        CREATE TABLE port_security_groups (port_id TEXT NOT NULL REFERENCES ports(id) ON DELETE CASCADE,
          security_group_id TEXT NOT NULL REFERENCES security_groups(id), PRIMARY KEY (port_id, security_group_id))
        """,
        "CREATE INDEX port_security_groups_group ON port_security_groups (security_group_id)",
        """
        CREATE TABLE network_quotas (project_id TEXT NOT NULL, resource TEXT NOT NULL, hard_limit INTEGER NOT NULL,
          PRIMARY KEY (project_id, resource))
        """,
        // Set once the first start has made the default networks: deleting them later does not bring them back.
        "CREATE TABLE network_bootstrap (singleton INTEGER PRIMARY KEY CHECK (singleton = 1), done_at REAL NOT NULL)",
    ]

    /// Routers and floating IPs (migration 11); a router's ports are ports it is the device of.
    static let routerSchema = [
        """
        CREATE TABLE routers (id TEXT PRIMARY KEY, project_id TEXT NOT NULL, name TEXT NOT NULL,
          created_at REAL NOT NULL, data TEXT NOT NULL)
        """,
        "CREATE INDEX routers_project ON routers (project_id)",
        """
        CREATE TABLE floating_ips (id TEXT PRIMARY KEY, project_id TEXT NOT NULL, floating_network_id TEXT NOT NULL,
          floating_port_id TEXT NOT NULL, fixed_port_id TEXT, fixed_ip_address TEXT, router_id TEXT,
          created_at REAL NOT NULL, data TEXT NOT NULL, UNIQUE (fixed_port_id, fixed_ip_address))
        """,
        "CREATE INDEX floating_ips_project ON floating_ips (project_id)",
        "CREATE INDEX floating_ips_router ON floating_ips (router_id)",
    ]
}
