import APISupport
import Foundation
import Hummingbird
import NovaCore
import NovaDB

/// Glance's image members (`openstack image add project`, `image set --accept|--reject|--pending`,
/// `image member list`): the owner shares a `shared` image with a project, which answers; once accepted the
/// image is in the project's lists, and until then the project may still see it by its id.
extension ImageAPI {
    static let memberStatuses: Set<String> = ["pending", "accepted", "rejected"]

    func registerMembers(on v2: RouterGroup<NovaRequestContext>) {
        v2.get("images/{id}/members") { _, context in
            let caller = try context.caller()
            let image = try await visibleImage(context.parameter("id"), context)
            var members = try await store.members(imageID: image.id)
            if !(caller.isAdmin || image.owner == caller.projectID) {
                members = members.filter { $0.memberID == caller.projectID }
            }
            return Response.json(["members": .array(members.map(memberJSON)), "schema": "/v2/schemas/members"])
        }
        v2.post("images/{id}/members") { request, context in
            let image = try await visibleImage(context.parameter("id"), context)
            let caller = try context.caller()
            guard caller.isAdmin || image.owner == caller.projectID else {
                throw NovaError.forbidden("You are not permitted to create image members for the image.")
            }
            guard image.visibility == "shared" else {
                throw NovaError.forbidden("Only shared images have members.")
            }
            let body = try await request.jsonBody(context: context)
            try CheckedInput.onlyFields(["member"], of: body)
            guard let memberID = try CheckedInput.text(body["member"], field: "member", length: 1...255) else {
                throw NovaError.badRequest("Body expected in request: 'member' is a required property.")
            }
            try quotas.checkMembers(count: try await store.members(imageID: image.id).count)
            let member = try await store.addMember(imageID: image.id, memberID: memberID, now: clock.now)
            return Response.json(memberJSON(member))
        }
        v2.get("images/{id}/members/{member}") { _, context in
            Response.json(memberJSON(try await visibleMember(context)))
        }
        v2.put("images/{id}/members/{member}") { request, context in
            let member = try await visibleMember(context)
            let caller = try context.caller()
            guard caller.isAdmin || member.memberID == caller.projectID else {
                throw NovaError.forbidden("You are not permitted to modify 'status' on this image member.")
            }
            // openstacksdk sends the member's other fields back too: only the status is read.
            let body = try await request.jsonBody(context: context)
            guard let status = body["status"]?.stringValue, Self.memberStatuses.contains(status) else {
                throw NovaError.badRequest(
                    "Invalid status value: \(body["status"]?.serialized().prefix(32) ?? "none"); one of pending, accepted, rejected is required."
                )
            }
            try await store.setMemberStatus(
                imageID: member.imageID, memberID: member.memberID, status: status, now: clock.now)
            var updated = member
            updated.status = status
            updated.updatedAt = clock.now
            return Response.json(memberJSON(updated))
        }
        v2.delete("images/{id}/members/{member}") { _, context in
            let member = try await visibleMember(context)
            let caller = try context.caller()
            guard let image = try await store.image(id: member.imageID),
                caller.isAdmin || image.owner == caller.projectID
            else { throw NovaError.forbidden("You are not permitted to delete image members for the image.") }
            try await store.removeMember(imageID: member.imageID, memberID: member.memberID)
            return Response.empty(status: 204)
        }
    }

    /// A member record the caller may see: the image's owner sees all, a member only its own (404 otherwise).
    func visibleMember(_ context: NovaRequestContext) async throws -> ImageMember {
        let image = try await visibleImage(context.parameter("id"), context)
        let caller = try context.caller()
        let memberID = context.parameter("member")
        guard caller.isAdmin || image.owner == caller.projectID || memberID == caller.projectID,
            let member = try await store.member(imageID: image.id, memberID: memberID)
        else { throw NovaError.notFound("\(memberID) not found in the member list of the image \(image.id).") }
        return member
    }

    func memberJSON(_ member: ImageMember) -> JSON {
        [
            "image_id": .string(member.imageID), "member_id": .string(member.memberID),
            "status": .string(member.status), "created_at": .string(Timestamp.iso(member.createdAt)),
            "updated_at": .string(Timestamp.iso(member.updatedAt)), "schema": "/v2/schemas/member",
        ]
    }
}
