import Foundation
import SQLKit

/// Numbered schema migrations, applied in order at start and by `nova-server db sync`.
/// Types are kept to TEXT, INTEGER and REAL so the same statements serve PostgreSQL.
enum Migrations {
    static let all: [(version: Int, statements: [String])] = [
        (
            1,
            [
                """
                CREATE TABLE domains (id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE, description TEXT NOT NULL,
                  enabled INTEGER NOT NULL)
                """,
                """
                CREATE TABLE projects (id TEXT PRIMARY KEY, name TEXT NOT NULL, domain_id TEXT NOT NULL REFERENCES domains(id),
                  description TEXT NOT NULL, enabled INTEGER NOT NULL, UNIQUE (domain_id, name))
                """,
                """
                CREATE TABLE users (id TEXT PRIMARY KEY, name TEXT NOT NULL, domain_id TEXT NOT NULL REFERENCES domains(id),
                  password_hash TEXT, enabled INTEGER NOT NULL, default_project_id TEXT, email TEXT,
                  created_at REAL NOT NULL, UNIQUE (domain_id, name))
                """,
                "CREATE TABLE roles (id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE)",
                """
                CREATE TABLE role_assignments (user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
                  project_id TEXT NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
                  role_id TEXT NOT NULL REFERENCES roles(id) ON DELETE CASCADE, PRIMARY KEY (user_id, project_id, role_id))
                """,
                """
                CREATE TABLE tokens (token_hash TEXT PRIMARY KEY, user_id TEXT NOT NULL, project_id TEXT NOT NULL,
                  issued_at REAL NOT NULL, expires_at REAL NOT NULL, audit_id TEXT NOT NULL, revoked INTEGER NOT NULL)
                """,
                "CREATE INDEX tokens_expires ON tokens (expires_at)",
                """
                CREATE TABLE images (id TEXT PRIMARY KEY, name TEXT, status TEXT NOT NULL, visibility TEXT NOT NULL,
                  owner TEXT, disk_format TEXT, container_format TEXT, size INTEGER, virtual_size INTEGER,
                  checksum TEXT, os_hash_algo TEXT, os_hash_value TEXT, min_disk INTEGER NOT NULL,
                  min_ram INTEGER NOT NULL, protected INTEGER NOT NULL, properties TEXT NOT NULL, tags TEXT NOT NULL,
                  created_at REAL NOT NULL, updated_at REAL NOT NULL)
                """,
                """
                CREATE TABLE flavors (id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE, data TEXT NOT NULL,
                  is_public INTEGER NOT NULL, created_at REAL NOT NULL)
                """,
                """
                CREATE TABLE flavor_projects (flavor_id TEXT NOT NULL REFERENCES flavors(id) ON DELETE CASCADE,
                  project_id TEXT NOT NULL, PRIMARY KEY (flavor_id, project_id))
                """,
                """
                CREATE TABLE key_pairs (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL, user_id TEXT NOT NULL,
                  fingerprint TEXT NOT NULL, public_key TEXT NOT NULL, type TEXT NOT NULL, created_at REAL NOT NULL,
                  UNIQUE (user_id, name))
                """,
                """
                CREATE TABLE instances (uuid TEXT PRIMARY KEY, project_id TEXT NOT NULL, user_id TEXT NOT NULL,
                  host TEXT, display_name TEXT NOT NULL, vm_state TEXT NOT NULL, task_state TEXT,
                  vcpus INTEGER NOT NULL, memory_mb INTEGER NOT NULL, created_at REAL NOT NULL, updated_at REAL NOT NULL,
                  deleted INTEGER NOT NULL, data TEXT NOT NULL)
                """,
                "CREATE INDEX instances_project ON instances (project_id, deleted, created_at)",
                "CREATE INDEX instances_host ON instances (host, deleted)",
                "CREATE INDEX instances_updated ON instances (updated_at)",
                """
                CREATE TABLE instance_actions (id INTEGER PRIMARY KEY AUTOINCREMENT, request_id TEXT NOT NULL,
                  instance_uuid TEXT NOT NULL, action TEXT NOT NULL, user_id TEXT NOT NULL, project_id TEXT NOT NULL,
                  start_time REAL NOT NULL, updated_at REAL, message TEXT)
                """,
                "CREATE INDEX instance_actions_instance ON instance_actions (instance_uuid, request_id)",
                """
                CREATE TABLE instance_action_events (id INTEGER PRIMARY KEY AUTOINCREMENT,
                  action_id INTEGER NOT NULL REFERENCES instance_actions(id) ON DELETE CASCADE, event TEXT NOT NULL,
                  start_time REAL NOT NULL, finish_time REAL, result TEXT, traceback TEXT, host TEXT)
                """,
                "CREATE INDEX instance_action_events_action ON instance_action_events (action_id)",
                """
                CREATE TABLE services (id INTEGER PRIMARY KEY AUTOINCREMENT, uuid TEXT NOT NULL UNIQUE, host TEXT NOT NULL,
                  binary_name TEXT NOT NULL, topic TEXT NOT NULL, zone TEXT NOT NULL, disabled INTEGER NOT NULL,
                  disabled_reason TEXT, forced_down INTEGER NOT NULL, last_seen_up REAL, report_count INTEGER NOT NULL,
                  created_at REAL NOT NULL, updated_at REAL, UNIQUE (host, binary_name))
                """,
                """
                CREATE TABLE compute_nodes (id INTEGER PRIMARY KEY AUTOINCREMENT, uuid TEXT NOT NULL UNIQUE,
                  host TEXT NOT NULL, hypervisor_hostname TEXT NOT NULL UNIQUE, data TEXT NOT NULL,
                  updated_at REAL NOT NULL)
                """,
                """
                CREATE TABLE allocations (consumer_uuid TEXT PRIMARY KEY, node_id INTEGER NOT NULL REFERENCES compute_nodes(id),
                  project_id TEXT NOT NULL, user_id TEXT NOT NULL, vcpus INTEGER NOT NULL, memory_mb INTEGER NOT NULL,
                  disk_gb INTEGER NOT NULL)
                """,
                "CREATE INDEX allocations_node ON allocations (node_id)",
                """
                CREATE TABLE quotas (project_id TEXT NOT NULL, resource TEXT NOT NULL, hard_limit INTEGER NOT NULL,
                  PRIMARY KEY (project_id, resource))
                """,
            ]
        ),
        (
            2,
            [
                """
                CREATE TABLE aggregates (id INTEGER PRIMARY KEY AUTOINCREMENT, uuid TEXT NOT NULL UNIQUE,
                  name TEXT NOT NULL UNIQUE, availability_zone TEXT, metadata TEXT NOT NULL, hosts TEXT NOT NULL,
                  created_at REAL NOT NULL, updated_at REAL)
                """
            ]
        ),
        (
            3,
            [
                """
                CREATE TABLE fixed_ips (network TEXT NOT NULL, host_number INTEGER NOT NULL, address TEXT NOT NULL,
                  instance_uuid TEXT NOT NULL UNIQUE, mac TEXT NOT NULL, PRIMARY KEY (network, host_number))
                """
            ]
        ),
        (4, placementSchema),
        (
            5,
            [
                """
                CREATE TABLE server_groups (id INTEGER PRIMARY KEY AUTOINCREMENT, uuid TEXT NOT NULL UNIQUE,
                  name TEXT NOT NULL, project_id TEXT NOT NULL, user_id TEXT NOT NULL, policy TEXT NOT NULL,
                  max_server_per_host INTEGER, created_at REAL NOT NULL)
                """,
                """
                CREATE TABLE server_group_members (group_id INTEGER NOT NULL REFERENCES server_groups(id) ON DELETE CASCADE,
                  instance_uuid TEXT NOT NULL, PRIMARY KEY (group_id, instance_uuid))
                """,
                "CREATE INDEX server_group_members_instance ON server_group_members (instance_uuid)",
            ]
        ),
        (6, consoleTokenSchema),
        (7, moveSchema),
        (
            8,
            [
                // One counter every process moves when what the scheduler caches about hosts changes.
                "CREATE TABLE host_state (singleton INTEGER PRIMARY KEY CHECK (singleton = 1), version INTEGER NOT NULL)",
                "INSERT INTO host_state (singleton, version) VALUES (1, 0)",
            ]
        ),
        // A token made by token authentication keeps its parent's expiry and audit chain.
        (9, ["ALTER TABLE tokens ADD COLUMN audit_chain_id TEXT"]),
        (10, networkSchema),
        (11, routerSchema),
        (12, volumeSchema),
        // Quota classes (os-quota-class-sets): the `default` class is what a project without its own limit has.
        (
            13,
            [
                """
                CREATE TABLE quota_classes (class_name TEXT NOT NULL, resource TEXT NOT NULL,
                  hard_limit INTEGER NOT NULL, PRIMARY KEY (class_name, resource))
                """
            ]
        ),
        // Task logs (os-instance_usage_audit_log): each compute host's usage audit of each period.
        (
            14,
            [
                """
                CREATE TABLE task_logs (id INTEGER PRIMARY KEY, task_name TEXT NOT NULL, state TEXT NOT NULL,
                  host TEXT NOT NULL, period_beginning REAL NOT NULL, period_ending REAL NOT NULL,
                  message TEXT NOT NULL, task_items INTEGER NOT NULL, errors INTEGER NOT NULL,
                  UNIQUE (task_name, host, period_beginning, period_ending))
                """
            ]
        ),
        // Per-user quotas (Nova's project_user_quotas): a user's own limits within a project.
        (
            15,
            [
                """
                CREATE TABLE user_quotas (project_id TEXT NOT NULL, user_id TEXT NOT NULL, resource TEXT NOT NULL,
                  hard_limit INTEGER NOT NULL, PRIMARY KEY (project_id, user_id, resource))
                """
            ]
        ),
        // Keystone's credentials (EC2 access/secret pairs, sealed), roles' descriptions, and groups: their
        // members and their role assignments on projects.
        (
            16,
            [
                """
                CREATE TABLE credentials (id TEXT PRIMARY KEY, user_id TEXT NOT NULL, project_id TEXT,
                  type TEXT NOT NULL, blob TEXT NOT NULL, created_at REAL NOT NULL)
                """,
                "CREATE INDEX credentials_user ON credentials (user_id)",
                "ALTER TABLE roles ADD COLUMN description TEXT",
                """
                CREATE TABLE user_groups (id TEXT PRIMARY KEY, name TEXT NOT NULL, domain_id TEXT NOT NULL,
                  description TEXT NOT NULL, UNIQUE (domain_id, name))
                """,
                """
                CREATE TABLE user_group_members (group_id TEXT NOT NULL, user_id TEXT NOT NULL,
                  PRIMARY KEY (group_id, user_id))
                """,
                """
                CREATE TABLE group_role_assignments (group_id TEXT NOT NULL, project_id TEXT NOT NULL,
                  role_id TEXT NOT NULL, PRIMARY KEY (group_id, project_id, role_id))
                """,
            ]
        ),
        // Keystone's catalog (regions, services, endpoints), implied roles, role assignments on the system,
        // application credentials with their access rules, and the scope and application credential a token
        // carries.
        (
            17,
            [
                """
                CREATE TABLE regions (id TEXT PRIMARY KEY, description TEXT NOT NULL, parent_region_id TEXT)
                """,
                """
                CREATE TABLE catalog_services (id TEXT PRIMARY KEY, type TEXT NOT NULL, name TEXT NOT NULL,
                  description TEXT NOT NULL, enabled INTEGER NOT NULL)
                """,
                """
                CREATE TABLE catalog_endpoints (id TEXT PRIMARY KEY, service_id TEXT NOT NULL, interface TEXT NOT NULL,
                  region_id TEXT, url TEXT NOT NULL, enabled INTEGER NOT NULL)
                """,
                """
                CREATE TABLE implied_roles (prior_role_id TEXT NOT NULL, implied_role_id TEXT NOT NULL,
                  PRIMARY KEY (prior_role_id, implied_role_id))
                """,
                """
                CREATE TABLE system_role_assignments (actor_type TEXT NOT NULL, actor_id TEXT NOT NULL,
                  role_id TEXT NOT NULL, PRIMARY KEY (actor_type, actor_id, role_id))
                """,
                """
                CREATE TABLE application_credentials (id TEXT PRIMARY KEY, name TEXT NOT NULL, user_id TEXT NOT NULL,
                  project_id TEXT NOT NULL, description TEXT, secret_hash TEXT NOT NULL, expires_at REAL,
                  unrestricted INTEGER NOT NULL, role_ids TEXT NOT NULL, created_at REAL NOT NULL,
                  UNIQUE (user_id, name))
                """,
                """
                CREATE TABLE access_rules (id TEXT PRIMARY KEY, user_id TEXT NOT NULL, service TEXT NOT NULL,
                  path TEXT NOT NULL, method TEXT NOT NULL, UNIQUE (user_id, service, path, method))
                """,
                """
                CREATE TABLE application_credential_access_rules (application_credential_id TEXT NOT NULL,
                  access_rule_id TEXT NOT NULL, PRIMARY KEY (application_credential_id, access_rule_id))
                """,
                "ALTER TABLE tokens ADD COLUMN system_scope TEXT",
                "ALTER TABLE tokens ADD COLUMN application_credential_id TEXT",
            ]
        ),
        // Glance's image members (sharing), hidden images, and the tasks of interoperable import.
        (
            18,
            [
                "ALTER TABLE images ADD COLUMN os_hidden INTEGER NOT NULL DEFAULT 0",
                """
                CREATE TABLE image_members (image_id TEXT NOT NULL, member_id TEXT NOT NULL, status TEXT NOT NULL,
                  created_at REAL NOT NULL, updated_at REAL NOT NULL, PRIMARY KEY (image_id, member_id))
                """,
                "CREATE INDEX image_members_member ON image_members (member_id)",
                """
                CREATE TABLE image_tasks (id TEXT PRIMARY KEY, type TEXT NOT NULL, status TEXT NOT NULL,
                  owner TEXT NOT NULL, user_id TEXT NOT NULL, image_id TEXT, input TEXT NOT NULL, result TEXT,
                  message TEXT NOT NULL, request_id TEXT NOT NULL, created_at REAL NOT NULL, updated_at REAL NOT NULL,
                  expires_at REAL)
                """,
            ]
        ),
        (19, metadefSchema),
        // The EC2 front end's ids: stable EC2 ids for OpenStack's UUIDs, never reused, and the reservations its
        // RunInstances made (with their client tokens) or gave the servers it first saw.
        (
            20,
            [
                """
                CREATE TABLE ec2_ids (ec2_id TEXT PRIMARY KEY, kind TEXT NOT NULL, uuid TEXT NOT NULL,
                  created_at REAL NOT NULL)
                """,
                "CREATE UNIQUE INDEX ec2_ids_uuid ON ec2_ids (kind, uuid)",
                """
                CREATE TABLE ec2_reservations (instance_uuid TEXT PRIMARY KEY, reservation_id TEXT NOT NULL,
                  project_id TEXT NOT NULL, client_token TEXT, launch_index INTEGER NOT NULL,
                  terminated_at REAL, last_seen TEXT, user_data TEXT, created_at REAL NOT NULL)
                """,
                "CREATE INDEX ec2_reservations_token ON ec2_reservations (project_id, client_token)",
                "CREATE INDEX ec2_reservations_id ON ec2_reservations (reservation_id)",
            ] + ec2CatalogEntry
        ),
        // A server's reservation as a column: `reservation_id` filters in SQL, so a page of the filtered
        // list is the right page (it was filtered after LIMIT) and one reservation is read without the rest.
        (
            21,
            [
                "ALTER TABLE instances ADD COLUMN reservation_id TEXT",
                "UPDATE instances SET reservation_id = json_extract(data, '$.reservationID')",
                "CREATE INDEX instances_reservation ON instances (reservation_id)",
            ]
        ),
    ]

    /// The same schema in PostgreSQL's types: 64-bit integers, double-precision times, identity keys.
    static func postgreSQL(_ statement: String) -> String {
        // SQLite's `id INTEGER PRIMARY KEY` numbers rows by itself, with or without AUTOINCREMENT.
        statement
            .replacingOccurrences(of: "id INTEGER PRIMARY KEY AUTOINCREMENT", with: "id INTEGER PRIMARY KEY")
            .replacingOccurrences(
                of: "id INTEGER PRIMARY KEY", with: "id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY"
            )
            .replacingOccurrences(of: " INTEGER", with: " BIGINT")
            .replacingOccurrences(of: " REAL", with: " DOUBLE PRECISION")
            .replacingOccurrences(of: "json_extract(data, '$.", with: "(data::json ->> '")
    }

    static func apply(to database: Database) async throws {
        let dialect = database.dialect
        func statement(_ text: String) -> SQLQueryString {
            SQLQueryString(dialect == .postgresql ? postgreSQL(text) : text)
        }
        try await database.write { sql in
            try await sql.raw(
                statement(
                    "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at REAL NOT NULL)"
                )
            ).run()
            let applied = Set(
                try await sql.raw("SELECT version FROM schema_migrations").all().map { try $0.int("version") })
            for migration in all where !applied.contains(migration.version) {
                for text in migration.statements {
                    try await sql.raw(statement(text)).run()
                }
                try await sql.raw(
                    "INSERT INTO schema_migrations (version, applied_at) VALUES (\(bind: migration.version), \(bind: Date().stored))"
                ).run()
                database.logger.info("applied schema migration \(migration.version)")
            }
        }
    }
}
