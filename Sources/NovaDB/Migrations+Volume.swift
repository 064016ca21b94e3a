extension Migrations {
    /// The volume service's tables (migration 12). Each record is kept whole as JSON in `data`; the columns
    /// beside it are what queries filter on.
    static let volumeSchema = [
        """
        CREATE TABLE volume_types (id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE, is_public INTEGER NOT NULL,
          created_at REAL NOT NULL, data TEXT NOT NULL)
        """,
        """
        CREATE TABLE volume_type_projects (type_id TEXT NOT NULL REFERENCES volume_types(id) ON DELETE CASCADE,
          project_id TEXT NOT NULL, PRIMARY KEY (type_id, project_id))
        """,
        """
        CREATE TABLE volumes (id TEXT PRIMARY KEY, project_id TEXT NOT NULL, name TEXT NOT NULL,
          status TEXT NOT NULL, type_id TEXT NOT NULL, size INTEGER NOT NULL, created_at REAL NOT NULL,
          data TEXT NOT NULL)
        """,
        "CREATE INDEX volumes_project ON volumes (project_id)",
        "CREATE INDEX volumes_status ON volumes (status)",
        """
        CREATE TABLE volume_snapshots (id TEXT PRIMARY KEY, volume_id TEXT NOT NULL REFERENCES volumes(id),
          project_id TEXT NOT NULL, status TEXT NOT NULL, size INTEGER NOT NULL, created_at REAL NOT NULL,
          data TEXT NOT NULL)
        """,
        "CREATE INDEX volume_snapshots_volume ON volume_snapshots (volume_id)",
        "CREATE INDEX volume_snapshots_project ON volume_snapshots (project_id)",
        """
        CREATE TABLE volume_attachments (id TEXT PRIMARY KEY, volume_id TEXT NOT NULL REFERENCES volumes(id),
          project_id TEXT NOT NULL, instance_uuid TEXT, attach_status TEXT NOT NULL, created_at REAL NOT NULL,
          data TEXT NOT NULL)
        """,
        "CREATE INDEX volume_attachments_volume ON volume_attachments (volume_id)",
        "CREATE INDEX volume_attachments_instance ON volume_attachments (instance_uuid)",
        """
        CREATE TABLE volume_quotas (project_id TEXT NOT NULL, resource TEXT NOT NULL, hard_limit INTEGER NOT NULL,
          PRIMARY KEY (project_id, resource))
        """,
    ]
}
