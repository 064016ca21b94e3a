import APISupport
import Foundation
import Hummingbird
import NovaCore

extension ComputeAPI {
    /// A create's `security_groups` (`[{"name": ...}]`): each a group of the project by name or id, as
    /// nova/network/neutron.py resolves them (400 when one is unknown). nil: the `default` group.
    func requestedSecurityGroups(_ value: JSON?, caller: Credentials) async throws -> [String]? {
        guard let value else { return nil }
        guard let list = value.arrayValue else {
            throw NovaError.badRequest("Invalid input for field/attribute security_groups: a list is required")
        }
        var names: [String] = []
        for entry in list {
            guard let fields = entry.objectValue, fields.keys == ["name"],
                let name = try CheckedInput.text(entry["name"], field: "name", length: 1...255)
            else {
                throw NovaError.badRequest("Invalid input for field/attribute security_groups: each is {\"name\": ...}")
            }
            if !names.contains(name) { names.append(name) }
        }
        guard let network, !names.isEmpty else { return names.isEmpty || names == ["default"] ? nil : names }
        let known = try await network.securityGroups(project: caller.projectID)
        var resolved: [String] = []
        for name in names {
            let matches = known.filter { $0.name == name || $0.id == name }
            guard let group = matches.first else {
                throw NovaError.badRequest("Security group \(name) not found for project \(caller.projectID).")
            }
            guard matches.count == 1 || group.id == name else {
                throw NovaError.conflict(
                    "Multiple security groups found matching '\(name)'. Use an ID to be more specific.")
            }
            if !resolved.contains(group.name) { resolved.append(group.name) }
        }
        return resolved == ["default"] ? nil : resolved
    }

    /// addSecurityGroup / removeSecurityGroup: the group is added to (taken from) every port of the server,
    /// as Nova does through the networking service.
    func securityGroupAction(_ name: String, _ argument: JSON, _ instance: Instance, _ context: NovaRequestContext)
        async throws -> Response?
    {
        guard name == "addSecurityGroup" || name == "removeSecurityGroup" else { return nil }
        let adding = name == "addSecurityGroup"
        let caller = try context.caller()
        try PolicyRule.projectMemberOrAdmin.enforce(
            "os_compute_api:os-security-groups:\(adding ? "add" : "remove")", caller,
            targetProject: instance.projectID)
        guard let group = try CheckedInput.text(argument["name"], field: "name", length: 1...255),
            argument.objectValue?.keys == ["name"]
        else { throw NovaError.badRequest("Invalid input for field/attribute \(name): {\"name\": ...} is required") }
        guard let network else { throw NovaError.badRequest("Network driver does not support this function.") }
        guard
            let found = try await network.securityGroups(project: instance.projectID).first(where: {
                $0.name == group || $0.id == group
            })
        else {
            throw NovaError.notFound("Security group \(group) not found for project \(instance.projectID).")
        }
        let ports = try await network.ports(deviceID: instance.uuid)
        guard !ports.isEmpty else {
            throw NovaError.badRequest("Security group \(group) cannot be applied: the server has no ports.")
        }
        let inUse = ports.contains { $0.securityGroups.contains(found.id) }
        if !adding, !inUse {
            throw NovaError.badRequest("Security group \(group) not assigned to the instance \(instance.uuid)")
        }
        for port in ports where port.securityGroups.contains(found.id) != adding {
            let groups = adding ? port.securityGroups + [found.id] : port.securityGroups.filter { $0 != found.id }
            try await network.setSecurityGroups(portID: port.id, groups: groups)
        }
        let groupName = found.name
        try await store.mutateInstance(uuid: instance.uuid, action: actionRecord(name, instance, context)) { current in
            var names = current.securityGroups ?? ["default"]
            if adding, !names.contains(groupName) { names.append(groupName) }
            if !adding { names.removeAll { $0 == groupName } }
            current.securityGroups = names
        }
        return Response.empty(status: 202)
    }
}
