import Foundation
import NovaCore
import SQLKit

public struct GroupRecord: Sendable, Equatable {
    public var id: String
    public var name: String
    public var domainID: String
    public var description: String

    public init(id: String, name: String, domainID: String, description: String) {
        self.id = id
        self.name = name
        self.domainID = domainID
        self.description = description
    }
}

public struct GroupRoleAssignment: Sendable, Equatable {
    public var groupID: String
    public var projectID: String
    public var roleID: String
}

/// Keystone's groups: users in them get the roles the group has on a project, in their tokens too.
extension IdentityStore {
    public func createGroup(_ group: GroupRecord) async throws {
        try await database.write { sql in
            try await Self.requireUniqueName(group.name, in: "user_groups", domainID: group.domainID, besides: nil, sql)
            try await sql.raw(
                """
                INSERT INTO user_groups (id, name, domain_id, description)
                VALUES (\(bind: group.id), \(bind: group.name), \(bind: group.domainID), \(bind: group.description))
                """
            ).run()
        }
    }

    public func groups(name: String? = nil, domainID: String? = nil, memberID: String? = nil) async throws
        -> [GroupRecord]
    {
        try await database.read { sql in
            var text = SQLQueryString("SELECT * FROM user_groups g WHERE 1 = 1")
            if let name { text += " AND name = \(bind: name)" }
            if let domainID { text += " AND domain_id = \(bind: domainID)" }
            if let memberID {
                text +=
                    " AND EXISTS (SELECT 1 FROM user_group_members m WHERE m.group_id = g.id AND m.user_id = \(bind: memberID))"
            }
            return try await sql.raw(text + " ORDER BY name").all().map(Self.group)
        }
    }

    public func group(id: String) async throws -> GroupRecord? {
        try await database.read { sql in
            try await sql.raw("SELECT * FROM user_groups WHERE id = \(bind: id)").first().map(Self.group)
        }
    }

    public func updateGroup(_ group: GroupRecord) async throws {
        try await database.write { sql in
            try await Self.requireUniqueName(
                group.name, in: "user_groups", domainID: group.domainID, besides: group.id, sql)
            try await sql.raw(
                """
                UPDATE user_groups SET name = \(bind: group.name), description = \(bind: group.description)
                WHERE id = \(bind: group.id)
                """
            ).run()
        }
    }

    /// The group, its memberships and its role assignments.
    public func deleteGroup(id: String) async throws {
        try await database.write { sql in
            try await sql.raw("DELETE FROM user_group_members WHERE group_id = \(bind: id)").run()
            try await sql.raw("DELETE FROM group_role_assignments WHERE group_id = \(bind: id)").run()
            try await sql.raw(
                "DELETE FROM system_role_assignments WHERE actor_type = 'group' AND actor_id = \(bind: id)"
            ).run()
            try await sql.raw("DELETE FROM user_groups WHERE id = \(bind: id)").run()
        }
    }

    public func addMember(groupID: String, userID: String) async throws {
        try await database.write { sql in
            try await sql.raw(
                """
                INSERT INTO user_group_members (group_id, user_id) VALUES (\(bind: groupID), \(bind: userID))
                ON CONFLICT (group_id, user_id) DO NOTHING
                """
            ).run()
        }
    }

    /// False when the user was not a member.
    public func removeMember(groupID: String, userID: String) async throws -> Bool {
        try await database.write { sql in
            let was =
                try await sql.raw(
                    "SELECT 1 AS found FROM user_group_members WHERE group_id = \(bind: groupID) AND user_id = \(bind: userID)"
                ).first() != nil
            try await sql.raw(
                "DELETE FROM user_group_members WHERE group_id = \(bind: groupID) AND user_id = \(bind: userID)"
            ).run()
            return was
        }
    }

    public func members(groupID: String) async throws -> [UserRecord] {
        try await database.read { sql in
            try await sql.raw(
                """
                SELECT u.* FROM users u JOIN user_group_members m ON m.user_id = u.id
                WHERE m.group_id = \(bind: groupID) ORDER BY u.name
                """
            ).all().map(Self.user(from:))
        }
    }

    public func assignRole(groupID: String, projectID: String, roleID: String) async throws {
        try await database.write { sql in
            try await sql.raw(
                """
                INSERT INTO group_role_assignments (group_id, project_id, role_id)
                VALUES (\(bind: groupID), \(bind: projectID), \(bind: roleID))
                ON CONFLICT (group_id, project_id, role_id) DO NOTHING
                """
            ).run()
        }
    }

    public func unassignRole(groupID: String, projectID: String, roleID: String) async throws {
        try await database.write { sql in
            try await sql.raw(
                """
                DELETE FROM group_role_assignments
                WHERE group_id = \(bind: groupID) AND project_id = \(bind: projectID) AND role_id = \(bind: roleID)
                """
            ).run()
        }
    }

    public func groupAssignments(groupID: String? = nil, projectID: String? = nil, roleID: String? = nil)
        async throws -> [GroupRoleAssignment]
    {
        try await database.read { sql in
            var text = SQLQueryString("SELECT * FROM group_role_assignments WHERE 1 = 1")
            if let groupID { text += " AND group_id = \(bind: groupID)" }
            if let projectID { text += " AND project_id = \(bind: projectID)" }
            if let roleID { text += " AND role_id = \(bind: roleID)" }
            return try await sql.raw(text).all().map { row in
                GroupRoleAssignment(
                    groupID: try row.string("group_id"), projectID: try row.string("project_id"),
                    roleID: try row.string("role_id"))
            }
        }
    }

    static func group(_ row: any SQLRow) throws -> GroupRecord {
        GroupRecord(
            id: try row.string("id"), name: try row.string("name"), domainID: try row.string("domain_id"),
            description: try row.string("description"))
    }
}
