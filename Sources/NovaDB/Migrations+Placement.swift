extension Migrations {
    /// Placement's tables (migration 4). The scheduler's earlier claims table becomes consumers and
    /// allocations on the compute nodes' providers (provider uuid = compute node uuid, as Nova has it);
    /// each compute host reports its inventory again when it starts.
    static let placementSchema = [
        """
        CREATE TABLE resource_providers (uuid TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE, generation INTEGER NOT NULL,
          parent_uuid TEXT, root_uuid TEXT NOT NULL, created_at REAL NOT NULL, updated_at REAL NOT NULL)
        """,
        """
        CREATE TABLE inventories (provider_uuid TEXT NOT NULL REFERENCES resource_providers(uuid) ON DELETE CASCADE,
          resource_class TEXT NOT NULL, total INTEGER NOT NULL, reserved INTEGER NOT NULL, min_unit INTEGER NOT NULL,
          max_unit INTEGER NOT NULL, step_size INTEGER NOT NULL, allocation_ratio REAL NOT NULL,
          PRIMARY KEY (provider_uuid, resource_class))
        """,
        """
        CREATE TABLE provider_traits (provider_uuid TEXT NOT NULL REFERENCES resource_providers(uuid) ON DELETE CASCADE,
          trait TEXT NOT NULL, PRIMARY KEY (provider_uuid, trait))
        """,
        """
        CREATE TABLE provider_aggregates (provider_uuid TEXT NOT NULL REFERENCES resource_providers(uuid)
          ON DELETE CASCADE, aggregate_uuid TEXT NOT NULL, PRIMARY KEY (provider_uuid, aggregate_uuid))
        """,
        "CREATE TABLE custom_resource_classes (name TEXT PRIMARY KEY)",
        "CREATE TABLE custom_traits (name TEXT PRIMARY KEY)",
        """
        CREATE TABLE consumers (uuid TEXT PRIMARY KEY, project_id TEXT NOT NULL, user_id TEXT NOT NULL,
          generation INTEGER NOT NULL, consumer_type TEXT NOT NULL, created_at REAL NOT NULL, updated_at REAL NOT NULL)
        """,
        """
        CREATE TABLE placement_allocations (consumer_uuid TEXT NOT NULL REFERENCES consumers(uuid) ON DELETE CASCADE,
          provider_uuid TEXT NOT NULL, resource_class TEXT NOT NULL, used INTEGER NOT NULL,
          PRIMARY KEY (consumer_uuid, provider_uuid, resource_class))
        """,
        """
        INSERT INTO resource_providers (uuid, name, generation, parent_uuid, root_uuid, created_at, updated_at)
        SELECT uuid, hypervisor_hostname, 0, NULL, uuid, updated_at, updated_at FROM compute_nodes
        """,
        """
        INSERT INTO consumers (uuid, project_id, user_id, generation, consumer_type, created_at, updated_at)
        SELECT consumer_uuid, project_id, user_id, 1, 'INSTANCE', 0, 0 FROM allocations
        """,
        """
        INSERT INTO placement_allocations (consumer_uuid, provider_uuid, resource_class, used)
        SELECT a.consumer_uuid, n.uuid, 'VCPU', a.vcpus FROM allocations a JOIN compute_nodes n ON n.id = a.node_id
        WHERE a.vcpus > 0
        """,
        """
        INSERT INTO placement_allocations (consumer_uuid, provider_uuid, resource_class, used)
        SELECT a.consumer_uuid, n.uuid, 'MEMORY_MB', a.memory_mb FROM allocations a
        JOIN compute_nodes n ON n.id = a.node_id WHERE a.memory_mb > 0
        """,
        """
        INSERT INTO placement_allocations (consumer_uuid, provider_uuid, resource_class, used)
        SELECT a.consumer_uuid, n.uuid, 'DISK_GB', a.disk_gb FROM allocations a
        JOIN compute_nodes n ON n.id = a.node_id WHERE a.disk_gb > 0
        """,
        "DROP TABLE allocations",
    ]
}
