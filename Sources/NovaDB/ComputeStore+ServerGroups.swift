import Foundation
import NovaCore
import SQLKit

/// Server groups and their members. A member counts while its instance is not deleted.
extension ComputeStore {
    static func serverGroup(from row: any SQLRow, members: [String]) throws -> ServerGroup {
        ServerGroup(
            id: try row.int("id"), uuid: try row.string("uuid"), name: try row.string("name"),
            projectID: try row.string("project_id"), userID: try row.string("user_id"),
            policy: try row.string("policy"), maxServerPerHost: try row.optionalInt("max_server_per_host"),
            members: members, createdAt: try row.date("created_at"))
    }

    static func loadServerGroups(_ filter: SQLQueryString, in sql: any SQLDatabase) async throws -> [ServerGroup] {
        var text = SQLQueryString("SELECT * FROM server_groups WHERE ")
        text += filter
        text += " ORDER BY id"
        let rows = try await sql.raw(text).all()
        var members: [Int: [String]] = [:]
        if !rows.isEmpty {
            let memberRows = try await sql.raw(
                """
                SELECT m.group_id, m.instance_uuid FROM server_group_members m
                JOIN instances i ON i.uuid = m.instance_uuid AND i.deleted = 0 ORDER BY i.created_at, m.instance_uuid
                """
            ).all()
            for row in memberRows {
                members[try row.int("group_id"), default: []].append(try row.string("instance_uuid"))
            }
        }
        return try rows.map { try serverGroup(from: $0, members: members[try $0.int("id")] ?? []) }
    }

    /// Creates a group if the project is under its `server_groups` quota (`limit` < 0: unlimited).
    public func createServerGroup(
        name: String, projectID: String, userID: String, policy: String, maxServerPerHost: Int?, limit: Int
    ) async throws -> ServerGroup {
        try await database.write { sql in
            if limit >= 0 {
                let used =
                    try await sql.raw(
                        "SELECT COUNT(*) AS n FROM server_groups WHERE project_id = \(bind: projectID)"
                    ).first()?.int("n") ?? 0
                if used >= limit {
                    throw NovaError.forbidden("Quota exceeded, too many server groups.")
                }
            }
            let uuid = UUID().uuidString.lowercased()
            try await sql.raw(
                """
                INSERT INTO server_groups (uuid, name, project_id, user_id, policy, max_server_per_host, created_at)
                VALUES (\(bind: uuid), \(bind: name), \(bind: projectID), \(bind: userID), \(bind: policy),
                  \(bind: maxServerPerHost), \(bind: Date().stored))
                """
            ).run()
            guard let group = try await Self.loadServerGroups("uuid = \(bind: uuid)", in: sql).first else {
                throw NovaError.internalError("server group \(uuid) was not stored")
            }
            return group
        }
    }

    /// Groups of a project, or of every project.
    public func serverGroups(projectID: String?) async throws -> [ServerGroup] {
        try await database.read { sql in
            if let projectID {
                return try await Self.loadServerGroups("project_id = \(bind: projectID)", in: sql)
            }
            return try await Self.loadServerGroups("1 = 1", in: sql)
        }
    }

    public func serverGroup(uuid: String) async throws -> ServerGroup? {
        try await database.read { sql in try await Self.loadServerGroups("uuid = \(bind: uuid)", in: sql).first }
    }

    public func deleteServerGroup(uuid: String) async throws {
        try await database.write { sql in
            try await sql.raw(
                """
                DELETE FROM server_group_members WHERE group_id IN (SELECT id FROM server_groups WHERE uuid = \(bind: uuid))
                """
            ).run()
            try await sql.raw("DELETE FROM server_groups WHERE uuid = \(bind: uuid)").run()
        }
    }

    /// The groups an instance belongs to (2.71 server show).
    public func serverGroupUUIDs(instance uuid: String) async throws -> [String] {
        try await database.read { sql in
            try await sql.raw(
                """
                SELECT g.uuid FROM server_groups g JOIN server_group_members m ON m.group_id = g.id
                WHERE m.instance_uuid = \(bind: uuid) ORDER BY g.id
                """
            ).all().map { try $0.string("uuid") }
        }
    }

    static func addMembers(_ uuids: [String], toGroup groupUUID: String, limit: Int, in sql: any SQLDatabase)
        async throws
    {
        guard let group = try await loadServerGroups("uuid = \(bind: groupUUID)", in: sql).first else {
            throw NovaError.badRequest("Invalid server group \(groupUUID): it does not exist.")
        }
        if limit >= 0, group.members.count + uuids.count > limit {
            throw NovaError.forbidden("Quota exceeded, too many servers in group")
        }
        for uuid in uuids {
            try await sql.raw(
                "INSERT INTO server_group_members (group_id, instance_uuid) VALUES (\(bind: group.id), \(bind: uuid))"
            ).run()
        }
    }

    /// Where instances run: uuid -> host, for those placed and not deleted.
    public func instanceHosts(_ uuids: [String]) async throws -> [String: String] {
        guard !uuids.isEmpty else { return [:] }
        return try await database.read { sql in
            var text = SQLQueryString(
                "SELECT uuid, host FROM instances WHERE deleted = 0 AND host IS NOT NULL AND uuid IN (")
            for (index, uuid) in uuids.enumerated() {
                if index > 0 { text += ", " }
                text += "\(bind: uuid)"
            }
            text += ")"
            var hosts: [String: String] = [:]
            for row in try await sql.raw(text).all() { hosts[try row.string("uuid")] = try row.string("host") }
            return hosts
        }
    }
}
