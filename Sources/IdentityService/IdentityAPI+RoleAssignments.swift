import APISupport
import Foundation
import Hummingbird
import NovaCore
import NovaDB

/// `GET /v3/role_assignments` (`openstack role assignment list`).
extension IdentityAPI {
    /// Keystone's role assignment list: users' and groups' roles on projects and on the system, filtered by
    /// user, group, scope and role; `effective` replaces each group's by one per member and adds the roles
    /// each implies (what tokens get), `include_names` adds the names.
    func roleAssignments(_ query: QueryParameters) async throws -> [JSON] {
        let project = query["scope.project.id"]
        let onlySystem = query["scope.system"] != nil
        let role = query["role.id"]
        // Keystone takes `?effective` without a value as set.
        let effective = query["effective"] != nil && query.flag("effective") != false
        var entries: [AssignmentEntry] = []
        if !onlySystem {
            entries = try await store.assignments(projectID: project).map {
                AssignmentEntry(user: $0.userID, group: nil, project: $0.projectID, role: $0.roleID)
            }
            for assignment in try await store.groupAssignments(projectID: project) {
                entries.append(
                    AssignmentEntry(
                        user: nil, group: assignment.groupID, project: assignment.projectID, role: assignment.roleID))
            }
        }
        if project == nil {
            for assignment in try await store.systemAssignments() {
                let isUser = assignment.actorType == "user"
                entries.append(
                    AssignmentEntry(
                        user: isUser ? assignment.actorID : nil, group: isUser ? nil : assignment.actorID,
                        project: nil, role: assignment.roleID))
            }
        }
        if effective { entries = try await effectiveEntries(entries) }
        if let role { entries.removeAll { $0.role != role } }
        if let user = query["user.id"] { entries.removeAll { $0.user != user } }
        if let group = query["group.id"] { entries.removeAll { $0.group != group } }
        var seen = Set<AssignmentEntry>()
        entries = entries.filter { seen.insert($0).inserted }
        let withNames = query["include_names"] != nil && query.flag("include_names") != false
        var json: [JSON] = []
        for entry in entries { json.append(try await assignmentJSON(entry, withNames: withNames)) }
        return json
    }

    struct AssignmentEntry: Hashable {
        var user: String?
        var group: String?
        /// Nil: on the system.
        var project: String?
        var role: String
    }

    /// Each group's assignments as its members', and each role with the roles it implies.
    func effectiveEntries(_ entries: [AssignmentEntry]) async throws -> [AssignmentEntry] {
        var expanded: [AssignmentEntry] = []
        for entry in entries {
            if let group = entry.group {
                for member in try await store.members(groupID: group) {
                    expanded.append(
                        AssignmentEntry(user: member.id, group: nil, project: entry.project, role: entry.role))
                }
            } else {
                expanded.append(entry)
            }
        }
        let inferences = try await store.roleInferences()
        guard !inferences.isEmpty else { return expanded }
        let roles = try await store.roles()
        var result: [AssignmentEntry] = []
        for entry in expanded {
            let direct = roles.filter { $0.id == entry.role }
            for implied in try await store.withImpliedRoles(direct) {
                result.append(AssignmentEntry(user: entry.user, group: nil, project: entry.project, role: implied.id))
            }
        }
        return result
    }

    func assignmentJSON(_ entry: AssignmentEntry, withNames: Bool) async throws -> JSON {
        let domain: JSON = ["id": "default", "name": "Default"]
        var roleJSON: JSONObject = ["id": .string(entry.role)]
        if withNames { roleJSON["name"] = .optional(try await store.role(id: entry.role)?.name) }
        var assignment: JSONObject = ["role": .object(roleJSON)]
        let scopePath: String
        if let project = entry.project {
            var projectJSON: JSONObject = ["id": .string(project)]
            if withNames {
                projectJSON["name"] = .optional(try await store.project(id: project)?.name)
                projectJSON["domain"] = domain
            }
            assignment["scope"] = ["project": .object(projectJSON)]
            scopePath = "projects/\(project)"
        } else {
            assignment["scope"] = ["system": ["all": true]]
            scopePath = "system"
        }
        let actorPath: String
        if let user = entry.user {
            var userJSON: JSONObject = ["id": .string(user)]
            if withNames {
                userJSON["name"] = .optional(try await store.user(id: user)?.name)
                userJSON["domain"] = domain
            }
            assignment["user"] = .object(userJSON)
            actorPath = "users/\(user)"
        } else {
            let group = entry.group ?? ""
            var groupJSON: JSONObject = ["id": .string(group)]
            if withNames {
                groupJSON["name"] = .optional(try await store.group(id: group)?.name)
                groupJSON["domain"] = domain
            }
            assignment["group"] = .object(groupJSON)
            actorPath = "groups/\(group)"
        }
        assignment["links"] = ["assignment": .string("/identity/v3/\(scopePath)/\(actorPath)/roles/\(entry.role)")]
        return .object(assignment)
    }
}
