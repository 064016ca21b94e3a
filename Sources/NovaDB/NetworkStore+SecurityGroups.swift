import Foundation
import NetworkCore
import NovaCore
import SQLKit

extension NetworkStore {
    /// Stores a new group with its first rules.
    public func createSecurityGroup(_ group: SecurityGroup, rules: [SecurityGroupRule]) async throws -> SecurityGroup {
        try await database.write(lockingOnly: ["netproject:" + group.projectID]) { sql in
            try await self.checkQuota(
                "security_group", table: "security_groups", project: group.projectID, in: sql)
            try await Self.insert(group, rules: rules, in: sql)
            return group
        }
    }

    static func insert(_ group: SecurityGroup, rules: [SecurityGroupRule], in sql: any SQLDatabase) async throws {
        try await sql.raw(
            """
            INSERT INTO security_groups (id, project_id, name, created_at, data)
            VALUES (\(bind: group.id), \(bind: group.projectID), \(bind: group.name),
              \(bind: group.standard.createdAt.stored), \(bind: try StoredJSON.encode(group)))
            """
        ).run()
        for rule in rules { try await insert(rule, in: sql) }
    }

    static func insert(_ rule: SecurityGroupRule, in sql: any SQLDatabase) async throws {
        try await sql.raw(
            """
            INSERT INTO security_group_rules (id, security_group_id, project_id, created_at, data)
            VALUES (\(bind: rule.id), \(bind: rule.securityGroupID), \(bind: rule.projectID),
              \(bind: rule.standard.createdAt.stored), \(bind: try StoredJSON.encode(rule)))
            """
        ).run()
    }

    /// The project's `default` group, made with Neutron's default rules the first time it is needed; the
    /// second return value is whether this call made it.
    public func defaultSecurityGroup(project: String, now: Date) async throws -> (SecurityGroup, created: Bool) {
        if let existing = try await defaultGroup(project: project) { return (existing, false) }
        return try await database.write(lockingOnly: ["netproject:" + project]) { sql in
            if let existing = try await Self.rows(
                SecurityGroup.self,
                "SELECT data FROM security_groups WHERE project_id = \(bind: project) AND name = 'default'", in: sql
            ).first {
                return (existing, false)
            }
            var group = SecurityGroup(
                id: UUID().uuidString.lowercased(), projectID: project, name: "default", createdAt: now)
            group.standard.description = "Default security group"
            try await Self.insert(
                group, rules: SecurityGroup.defaultRules(groupID: group.id, projectID: project, createdAt: now),
                in: sql)
            return (group, true)
        }
    }

    func defaultGroup(project: String) async throws -> SecurityGroup? {
        try await database.read { sql in
            try await Self.rows(
                SecurityGroup.self,
                "SELECT data FROM security_groups WHERE project_id = \(bind: project) AND name = 'default'", in: sql
            ).first
        }
    }

    public func securityGroup(id: String) async throws -> SecurityGroup? {
        try await database.read { sql in
            try await Self.rows(SecurityGroup.self, "SELECT data FROM security_groups WHERE id = \(bind: id)", in: sql)
                .first
        }
    }

    public func securityGroups(ids: [String]? = nil, projectID: String? = nil) async throws -> [SecurityGroup] {
        try await database.read { sql in
            var query = SQLQueryString("SELECT data FROM security_groups WHERE 1 = 1")
            if let ids { query += Self.among("id", ids) }
            if let projectID { query += " AND project_id = \(bind: projectID)" }
            query += " ORDER BY created_at, id"
            return try await Self.rows(SecurityGroup.self, query, in: sql)
        }
    }

    public func updateSecurityGroup(id: String, _ body: @Sendable (inout SecurityGroup) throws -> Void) async throws
        -> (old: SecurityGroup, new: SecurityGroup)
    {
        try await database.write { sql in
            guard
                let old = try await Self.rows(
                    SecurityGroup.self, "SELECT data FROM security_groups WHERE id = \(bind: id)", in: sql
                ).first
            else { throw NovaError(.securityGroupNotFound, "Security group \(id) does not exist") }
            var group = old
            try body(&group)
            try await sql.raw(
                """
                UPDATE security_groups SET name = \(bind: group.name), data = \(bind: try StoredJSON.encode(group))
                WHERE id = \(bind: id)
                """
            ).run()
            return (old, group)
        }
    }

    /// Deletes a group and its rules; 409 SecurityGroupInUse while a port names it.
    /// Deletes a group with its rules, and the rules of other groups that name it as their remote group (as
    /// Neutron's foreign key cascades); returns the group and those other rules.
    public func deleteSecurityGroup(id: String) async throws -> (group: SecurityGroup, referencing: [SecurityGroupRule])
    {
        try await database.write { sql in
            guard
                let group = try await Self.rows(
                    SecurityGroup.self, "SELECT data FROM security_groups WHERE id = \(bind: id)", in: sql
                ).first
            else { throw NovaError(.securityGroupNotFound, "Security group \(id) does not exist") }
            if try await sql.raw(
                "SELECT port_id FROM port_security_groups WHERE security_group_id = \(bind: id)"
            ).first() != nil {
                throw NovaError(.securityGroupInUse, "Security Group \(id) in use.")
            }
            try await sql.raw("DELETE FROM security_group_rules WHERE security_group_id = \(bind: id)").run()
            try await sql.raw("DELETE FROM security_groups WHERE id = \(bind: id)").run()
            // The remote group is inside each rule's record: the rows that mention the id, read exactly.
            let mentioning = try await Self.rows(
                SecurityGroupRule.self,
                "SELECT data FROM security_group_rules WHERE data LIKE \(bind: "%" + id + "%")", in: sql)
            let referencing = mentioning.filter { $0.remoteGroupID == id }
            for rule in referencing {
                try await sql.raw("DELETE FROM security_group_rules WHERE id = \(bind: rule.id)").run()
            }
            return (group, referencing)
        }
    }

    // MARK: Rules

    /// Stores a rule; 409 SecurityGroupRuleExists when the group already lets the same traffic through.
    public func createSecurityGroupRule(_ rule: SecurityGroupRule) async throws -> SecurityGroupRule {
        try await database.write(lockingOnly: ["netproject:" + rule.projectID]) { sql in
            try await self.checkQuota(
                "security_group_rule", table: "security_group_rules", project: rule.projectID, in: sql)
            guard
                try await sql.raw("SELECT id FROM security_groups WHERE id = \(bind: rule.securityGroupID)").first()
                    != nil
            else {
                throw NovaError(.securityGroupNotFound, "Security group \(rule.securityGroupID) does not exist")
            }
            let siblings = try await Self.rows(
                SecurityGroupRule.self,
                "SELECT data FROM security_group_rules WHERE security_group_id = \(bind: rule.securityGroupID)",
                in: sql)
            if let same = siblings.first(where: { $0.sameTraffic(as: rule) }) {
                throw NovaError(
                    .securityGroupRuleExists, "Security group rule already exists. Rule id is \(same.id).")
            }
            try await Self.insert(rule, in: sql)
            return rule
        }
    }

    public func securityGroupRule(id: String) async throws -> SecurityGroupRule? {
        try await database.read { sql in
            try await Self.rows(
                SecurityGroupRule.self, "SELECT data FROM security_group_rules WHERE id = \(bind: id)", in: sql
            ).first
        }
    }

    public func securityGroupRules(groupIDs: [String]? = nil, ids: [String]? = nil) async throws
        -> [SecurityGroupRule]
    {
        try await database.read { sql in
            var query = SQLQueryString("SELECT data FROM security_group_rules WHERE 1 = 1")
            if let groupIDs { query += Self.among("security_group_id", groupIDs) }
            if let ids { query += Self.among("id", ids) }
            query += " ORDER BY created_at, id"
            return try await Self.rows(SecurityGroupRule.self, query, in: sql)
        }
    }

    public func deleteSecurityGroupRule(id: String) async throws -> SecurityGroupRule {
        try await database.write { sql in
            guard
                let rule = try await Self.rows(
                    SecurityGroupRule.self, "SELECT data FROM security_group_rules WHERE id = \(bind: id)", in: sql
                ).first
            else { throw NovaError(.securityGroupRuleNotFound, "Security group rule \(id) does not exist") }
            try await sql.raw("DELETE FROM security_group_rules WHERE id = \(bind: id)").run()
            return rule
        }
    }
}
