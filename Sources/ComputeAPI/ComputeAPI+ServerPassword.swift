import APISupport
import Foundation
import Hummingbird
import NovaCore

/// GET and DELETE /servers/{id}/os-server-password: the password the guest left, encrypted with its key
/// pair's public key (empty until it leaves one), and clearing it.
extension ComputeAPI {
    func registerServerPassword(on v21: RouterGroup<NovaRequestContext>) {
        v21.get("servers/{id}/os-server-password") { _, context in
            let instance = try await visibleInstance(context.parameter("id"), context)
            try PolicyRule.projectReaderOrAdmin.enforce(
                "os_compute_api:os-server-password:show", try context.caller(), targetProject: instance.projectID)
            return Response.json(["password": .string(instance.encryptedPassword ?? "")])
        }
        v21.delete("servers/{id}/os-server-password") { _, context in
            let instance = try await visibleInstance(context.parameter("id"), context)
            try PolicyRule.projectMemberOrAdmin.enforce(
                "os_compute_api:os-server-password:clear", try context.caller(), targetProject: instance.projectID)
            try await store.mutateInstance(uuid: instance.uuid) { $0.encryptedPassword = nil }
            return Response.empty(status: 204)
        }
    }
}
