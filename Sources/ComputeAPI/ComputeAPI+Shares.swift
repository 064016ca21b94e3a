import APISupport
import Foundation
import Hummingbird
import NovaCore

/// `/servers/{id}/shares` (2.97): Manila shares attached to a server through virtiofs. No compute host here
/// offers virtiofs (the `COMPUTE_STORAGE_VIRTIO_FS` trait), so a server has no shares: the list is empty, a share
/// is not found, and an attach of a stopped server answers as Nova does for hosts without it.
extension ComputeAPI {
    func registerShares(on v21: RouterGroup<NovaRequestContext>) {
        v21.get("servers/{id}/shares") { _, context in
            _ = try await shareServer(context, action: "index")
            return Response.json(["shares": []])
        }
        v21.get("servers/{id}/shares/{share}") { _, context -> Response in
            _ = try await shareServer(context, action: "show")
            throw NovaError.notFound("Share \(context.parameter("share")) could not be found.")
        }
        v21.post("servers/{id}/shares") { request, context -> Response in
            let instance = try await shareServer(context, action: "create")
            let body = try await request.jsonBody(context: context)
            guard let root = body.objectValue, root.keys == ["share"], let share = root["share"]?.objectValue else {
                throw NovaError.badRequest("Invalid input for field/attribute share. 'share' is a required property")
            }
            if let unknown = share.keys.first(where: { $0 != "share_id" && $0 != "tag" }) {
                throw NovaError.badRequest(
                    "Invalid input for field/attribute share. Additional properties are not allowed ('\(unknown)' was unexpected)"
                )
            }
            guard let shareID = share["share_id"]?.stringValue, UUID(uuidString: shareID) != nil else {
                throw NovaError.badRequest("Invalid input for field/attribute share_id. 'share_id' must be a UUID")
            }
            _ = try CheckedInput.text(share["tag"], field: "tag", length: 1...255)
            try Self.checkShareState("create share", instance, states: [.stopped])
            throw NovaError.conflict(
                "Feature not supported because either compute or instance are not configured correctly.")
        }
        v21.delete("servers/{id}/shares/{share}") { _, context -> Response in
            let instance = try await shareServer(context, action: "delete")
            try Self.checkShareState("delete share", instance, states: [.stopped, .error])
            throw NovaError.notFound("Share \(context.parameter("share")) could not be found.")
        }
    }

    func shareServer(_ context: NovaRequestContext, action: String) async throws -> Instance {
        try requireVersion(context, 2, 97)
        let instance = try await visibleInstance(context.parameter("id"), context)
        try (action == "index" || action == "show" ? PolicyRule.projectReaderOrAdmin : .projectMemberOrAdmin).enforce(
            "os_compute_api:os-server-shares:\(action)", try context.caller(), targetProject: instance.projectID)
        return instance
    }

    static func checkShareState(_ method: String, _ instance: Instance, states: Set<VMState>) throws {
        guard states.contains(instance.vmState) else {
            throw NovaError.conflict(
                "Cannot '\(method)' instance \(instance.uuid) while it is in vm_state \(instance.vmState.rawValue)")
        }
    }
}
