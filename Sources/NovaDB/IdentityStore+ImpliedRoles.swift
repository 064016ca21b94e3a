import Foundation
import NovaCore
import SQLKit

/// Keystone's implied roles (a role that brings others with it, as admin brings manager) and role
/// assignments on the system rather than on a project.
extension IdentityStore {
    public struct RoleInference: Sendable, Equatable {
        public var priorRoleID: String
        public var impliedRoleID: String
    }

    public func roleInferences(priorRoleID: String? = nil) async throws -> [RoleInference] {
        try await database.read { sql in
            var text = SQLQueryString("SELECT * FROM implied_roles WHERE 1 = 1")
            if let priorRoleID { text += " AND prior_role_id = \(bind: priorRoleID)" }
            return try await sql.raw(text + " ORDER BY prior_role_id, implied_role_id").all().map { row in
                RoleInference(
                    priorRoleID: try row.string("prior_role_id"), impliedRoleID: try row.string("implied_role_id"))
            }
        }
    }

    public func addRoleInference(priorRoleID: String, impliedRoleID: String) async throws {
        try await database.write { sql in
            try await sql.raw(
                """
                INSERT INTO implied_roles (prior_role_id, implied_role_id) VALUES (\(bind: priorRoleID), \(bind: impliedRoleID))
                ON CONFLICT (prior_role_id, implied_role_id) DO NOTHING
                """
            ).run()
        }
    }

    /// - Returns: whether there was such an inference.
    public func removeRoleInference(priorRoleID: String, impliedRoleID: String) async throws -> Bool {
        try await database.write { sql in
            let found =
                try await sql.raw(
                    """
                    SELECT prior_role_id FROM implied_roles
                    WHERE prior_role_id = \(bind: priorRoleID) AND implied_role_id = \(bind: impliedRoleID)
                    """
                ).first() != nil
            try await sql.raw(
                """
                DELETE FROM implied_roles WHERE prior_role_id = \(bind: priorRoleID) AND implied_role_id = \(bind: impliedRoleID)
                """
            ).run()
            return found
        }
    }

    /// `roles` and every role they imply, directly or through others (a cycle ends where it started).
    public func withImpliedRoles(_ roles: [RoleRecord]) async throws -> [RoleRecord] {
        guard !roles.isEmpty else { return roles }
        let inferences = try await roleInferences()
        guard !inferences.isEmpty else { return roles }
        let implied = Dictionary(grouping: inferences, by: \.priorRoleID)
        var seen = Set(roles.map(\.id))
        var pending = roles.map(\.id)
        while let next = pending.popLast() {
            for inference in implied[next] ?? [] where seen.insert(inference.impliedRoleID).inserted {
                pending.append(inference.impliedRoleID)
            }
        }
        return try await self.roles().filter { seen.contains($0.id) }
    }

    /// The roles a user has on a project, its own and its groups', with the roles they imply.
    public func effectiveRoles(userID: String, projectID: String) async throws -> [RoleRecord] {
        try await withImpliedRoles(try await roleNames(userID: userID, projectID: projectID))
    }

    // MARK: The system

    public struct SystemAssignment: Sendable, Equatable {
        /// `user` or `group`.
        public var actorType: String
        public var actorID: String
        public var roleID: String
    }

    public func assignSystemRole(actorType: String, actorID: String, roleID: String) async throws {
        try await database.write { sql in
            try await sql.raw(
                """
                INSERT INTO system_role_assignments (actor_type, actor_id, role_id)
                VALUES (\(bind: actorType), \(bind: actorID), \(bind: roleID))
                ON CONFLICT (actor_type, actor_id, role_id) DO NOTHING
                """
            ).run()
        }
    }

    public func unassignSystemRole(actorType: String, actorID: String, roleID: String) async throws {
        try await database.write { sql in
            try await sql.raw(
                """
                DELETE FROM system_role_assignments
                WHERE actor_type = \(bind: actorType) AND actor_id = \(bind: actorID) AND role_id = \(bind: roleID)
                """
            ).run()
        }
    }

    public func systemAssignments(actorType: String? = nil, actorID: String? = nil, roleID: String? = nil)
        async throws -> [SystemAssignment]
    {
        try await database.read { sql in
            var text = SQLQueryString("SELECT * FROM system_role_assignments WHERE 1 = 1")
            if let actorType { text += " AND actor_type = \(bind: actorType)" }
            if let actorID { text += " AND actor_id = \(bind: actorID)" }
            if let roleID { text += " AND role_id = \(bind: roleID)" }
            return try await sql.raw(text + " ORDER BY actor_type, actor_id, role_id").all().map { row in
                SystemAssignment(
                    actorType: try row.string("actor_type"), actorID: try row.string("actor_id"),
                    roleID: try row.string("role_id"))
            }
        }
    }

    /// The roles a user has on the system, its own and its groups', with the roles they imply.
    public func effectiveSystemRoles(userID: String) async throws -> [RoleRecord] {
        let ids = try await database.read { sql in
            try await sql.raw(
                """
                SELECT role_id FROM system_role_assignments WHERE actor_type = 'user' AND actor_id = \(bind: userID)
                UNION SELECT s.role_id FROM system_role_assignments s JOIN user_group_members m ON m.group_id = s.actor_id
                WHERE s.actor_type = 'group' AND m.user_id = \(bind: userID)
                """
            ).all().map { try $0.string("role_id") }
        }
        let direct = try await roles().filter { ids.contains($0.id) }
        return try await withImpliedRoles(direct)
    }
}
