import APISupport
import Hummingbird
import NovaCore
import NovaDB
import VolumeCore

extension VolumeAPI {
    /// `POST /volumes/{id}/action`: one action per body, by its key.
    func registerVolumeActions(on v3: RouterGroup<NovaRequestContext>) {
        v3.post("volumes/{id}/action") { request, context in
            let caller = try caller(context)
            let volume = try await visibleVolume(context.parameter("id"), caller)
            let json = try await request.jsonBody(context: context)
            guard let object = json.objectValue, object.entries.count == 1,
                let (action, argument) = object.entries.first
            else {
                throw NovaError.badRequest("Malformed request body: one action is expected.")
            }
            let call = VolumeActionCall(
                api: self, volume: volume, argument: argument, caller: caller, version: context.volumeVersion)
            return try await call.perform(action)
        }
    }
}

/// One volume action (cinder/api/contrib/volume_actions.py, admin_actions.py), on a volume the caller sees.
struct VolumeActionCall {
    let api: VolumeAPI
    let volume: Volume
    let argument: JSON
    let caller: Credentials
    let version: APIVersion

    var store: VolumeStore { api.store }

    func perform(_ action: String) async throws -> Response {
        switch action {
        case "os-extend": return try await extend()
        case "os-reset_status": return try await resetStatus()
        case "os-force_delete":
            try requireAdmin(action)
            try await api.beginDelete(volume.id, cascade: false, force: true)
            return Response.empty(status: 202)
        case "os-set_bootable":
            guard let bootable = try api.flag(argument["bootable"], field: "bootable") else {
                throw NovaError.invalidVolumeInput("Must specify bootable in request.")
            }
            try await change { volume, _ in volume.bootable = bootable }
            return Response.empty(status: 200)
        case "os-update_readonly_flag":
            guard let readonly = try api.flag(argument["readonly"], field: "readonly") else {
                throw NovaError.invalidVolumeInput("Must specify readonly in request.")
            }
            try await change { volume, _ in volume.metadata["readonly"] = readonly ? "True" : "False" }
            return Response.empty(status: 202)
        case "os-volume_upload_image": return try await uploadImage()
        default:
            if let response = try await attachmentAction(action) { return response }
            throw NovaError.badRequest("There is no such action: \(action)")
        }
    }

    func requireAdmin(_ action: String) throws {
        guard caller.isAdmin else {
            throw NovaError.forbidden(
                "Policy doesn't allow volume_extension:volume_admin_actions:\(action.dropFirst(3)) to be performed.")
        }
    }

    func change(_ body: @escaping @Sendable (inout Volume, VolumeStore.Related) throws -> Void) async throws {
        let now = api.clock.now
        try await store.updateVolume(id: volume.id) { volume, related in
            try body(&volume, related)
            volume.updatedAt = now
        }
    }

    /// Grows the volume (available, or in-use from 3.42: Nova is told with `volume-extended`).
    func extend() async throws -> Response {
        let size = try CheckedInput.requiredInteger(
            argument["new_size"], field: "new_size", in: 1...CheckedInput.maxDatabaseInteger, allowString: true)
        let inUseAllowed = version >= APIVersion(3, 42)
        let limits = try await store.quotaLimits(project: volume.projectID)
        if let perVolume = limits["per_volume_gigabytes"], perVolume >= 0, size > perVolume {
            throw NovaError.invalidVolumeInput(
                "Requested volume size \(size)G is larger than maximum allowed limit \(perVolume)G.")
        }
        let now = api.clock.now
        try await store.growVolume(id: volume.id, adding: max(0, size - volume.size)) { volume, _ in
            let allowed = [VolumeStatus.available] + (inUseAllowed ? [VolumeStatus.inUse] : [])
            guard allowed.contains(volume.status) else {
                throw NovaError.invalidVolume(
                    inUseAllowed
                        ? "Volume status must be 'available' or 'in-use'." : "Volume status must be 'available'.")
            }
            guard size > volume.size else {
                throw NovaError.invalidVolumeInput(
                    "New size for extend must be greater than current size. (current: \(volume.size), extended: \(size))."
                )
            }
            volume.sizeBeforeExtend = volume.size
            volume.statusBeforeExtend = volume.status
            volume.size = size
            volume.status = VolumeStatus.extending
            volume.updatedAt = now
        }
        api.worker.wake()
        return Response.empty(status: 202)
    }

    /// An admin sets the volume's (and optionally its attach) status as it is.
    func resetStatus() async throws -> Response {
        try requireAdmin("os-reset_status")
        let status = try CheckedInput.text(argument["status"], field: "status", length: 1...255)?.lowercased()
        let attachStatus = try CheckedInput.text(argument["attach_status"], field: "attach_status", length: 1...255)
        if let status, !VolumeStatus.all.contains(status) {
            throw NovaError.invalidVolumeInput("Must specify a valid status")
        }
        if let attachStatus, !["attached", "detached"].contains(attachStatus) {
            throw NovaError.invalidVolumeInput("Must specify a valid attach status")
        }
        guard status != nil || attachStatus != nil else {
            throw NovaError.invalidVolumeInput(
                "Must specify 'status', 'attach_status' or 'migration_status' for update.")
        }
        try await change { volume, _ in
            if let status {
                volume.status = status
                if status != VolumeStatus.error { volume.errorReason = nil }
            }
        }
        if attachStatus == "detached" {
            for attachment in try await store.attachments(volumeIDs: [volume.id]) {
                try await store.deleteAttachment(id: attachment.id) { _, _ in }
            }
        }
        return Response.empty(status: 202)
    }
}
