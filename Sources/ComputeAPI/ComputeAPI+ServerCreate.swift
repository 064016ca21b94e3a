import APISupport
import Foundation
import Hummingbird
import NovaCore
import NovaDB

extension ComputeAPI {
    /// A guard of this cloud's, beside the quota (which may be unlimited): the servers one request may create.
    static let maxServersPerRequest = 1000

    static let createKeys: Set<String> = [
        "name", "imageRef", "flavorRef", "min_count", "max_count", "networks", "block_device_mapping_v2",
        "block_device_mapping", "key_name", "availability_zone", "metadata", "user_data", "security_groups",
        "config_drive", "accessIPv4", "accessIPv6", "OS-DCF:diskConfig", "adminPass", "return_reservation_id",
        "description", "tags", "hostname", "host", "hypervisor_hostname", "trusted_image_certificates",
        "personality",
    ]

    /// POST /servers: validates the request as Nova's schema does, checks quota, stores the instances in
    /// BUILD/scheduling with their `create` action in one transaction, then hands them to the conductor.
    func createServers(_ request: Request, _ context: NovaRequestContext) async throws -> Response {
        let caller = try context.caller()
        try PolicyRule.projectMemberOrAdmin.enforce("os_compute_api:servers:create", caller)
        let version = context.apiVersion
        let body = try await request.jsonBody(context: context)
        guard let spec = body["server"]?.objectValue else {
            throw NovaError.badRequest("Invalid input for field/attribute server. 'server' is a required property")
        }
        if let unknown = spec.keys.first(where: { !Self.createKeys.contains($0) }) {
            throw NovaError.badRequest(
                "Invalid input for field/attribute server. Additional properties are not allowed ('\(unknown)' was unexpected)"
            )
        }
        guard let nameValue = spec["name"] else {
            throw NovaError.badRequest("Invalid input for field/attribute server. 'name' is a required property")
        }
        let name = try Self.validName(nameValue)
        let accessIPv4 = try Self.accessIP(spec, "accessIPv4", version: 4)
        let accessIPv6 = try Self.accessIP(spec, "accessIPv6", version: 6)
        let requestedDiskConfig = try Self.diskConfig(spec)
        let description = version >= APIVersion(2, 19) ? (try Self.validDescription(spec["description"]) ?? nil) : nil
        let flavor = try await requestedFlavor(spec["flavorRef"], context)
        let (minCount, maxCount) = try Self.counts(spec)
        let plan = try await bootPlan(spec, flavor: flavor, caller: caller, version: version, maxCount: maxCount)
        let imageRef = plan.imageRef
        // Not asked: the image's auto_disk_config property decides, as Nova inherits it.
        let autoDiskConfig =
            requestedDiskConfig
            ?? plan.imageProperties["auto_disk_config"].flatMap { try? CheckedInput.boolean(.string($0), field: "") }
        let keypair = try await requestedKeyPair(spec["key_name"], caller)
        let (zone, forcedHost, skipFilters) = try await requestedZone(spec, version: version, caller: caller)
        let metadata = try Self.metadata(spec["metadata"])
        let hints = try Self.schedulerHints(body)
        var group: ServerGroup?
        if let uuid = hints["group"]?.first {
            group = try await store.serverGroup(uuid: uuid)
            guard let found = group, caller.isAdmin || found.projectID == caller.projectID else {
                throw NovaError.badRequest("Invalid server group \(uuid): it could not be found.")
            }
        }
        let limits = try await store.quotaLimits(projectID: caller.projectID)
        // The user's own limits (per-user quotas), checked beside the project's when any are set.
        let userLimits =
            try await store.userQuotas(projectID: caller.projectID, userID: caller.userID).isEmpty
            ? nil : try await store.quotaLimits(projectID: caller.projectID, userID: caller.userID)
        // personality went with 2.57.
        if spec["personality"] != nil, version >= APIVersion(2, 57) {
            throw NovaError.badRequest(
                "Invalid input for field/attribute server. Additional properties are not allowed ('personality' was unexpected)"
            )
        }
        let personality = try InjectedFile.parse(spec["personality"], limits: limits)
        let trustedCertificates = try Self.trustedCertificates(spec["trusted_image_certificates"], version, "server")
        if trustedCertificates??.isEmpty == false, plan.volumeBacked {
            throw NovaError.badRequest("Image certificate validation is not supported when booting from volume")
        }
        if limits.limit(.metadataItems) >= 0, metadata.count > limits.limit(.metadataItems) {
            throw NovaError.forbidden("Quota exceeded for metadata_items: the limit is \(limits.limit(.metadataItems))")
        }
        var tags: [String] = []
        if let tagsValue = spec["tags"] {
            guard version >= APIVersion(2, 52), let list = tagsValue.arrayValue?.compactMap(\.stringValue),
                list.count <= 50,
                list.allSatisfy({ (1...60).contains($0.count) && !$0.contains(",") && !$0.contains("/") })
            else { throw NovaError.badRequest("Invalid input for field/attribute tags.") }
            tags = list
        }
        if let userData = spec["user_data"], !userData.isNull {
            guard let text = userData.stringValue, text.count <= 65535, Data(base64Encoded: text) != nil else {
                throw NovaError.badRequest("User data needs to be valid base 64.")
            }
        }

        // Quota: all of max_count if it fits, else as many as fit down to min_count (Nova's behaviour).
        let usage = try await store.quotaUsage(projectID: caller.projectID)
        var fitting = limits.fitting(
            usage: usage.resources, instances: usage.instances, adding: flavor.resources, wanted: maxCount)
        let userUsage =
            userLimits == nil ? nil : try await store.quotaUsage(projectID: caller.projectID, userID: caller.userID)
        if let userLimits, let userUsage {
            fitting = min(
                fitting,
                userLimits.fitting(
                    usage: userUsage.resources, instances: userUsage.instances, adding: flavor.resources,
                    wanted: maxCount))
        }
        let count = max(minCount, fitting)
        try limits.check(usage: usage.resources, instances: usage.instances, adding: flavor.resources, count: count)
        if let userLimits, let userUsage {
            try userLimits.check(
                usage: userUsage.resources, instances: userUsage.instances, adding: flavor.resources, count: count)
        }
        guard count <= Self.maxServersPerRequest else {
            throw NovaError.forbidden(
                "Requested \(count) servers in one request; this cloud builds at most \(Self.maxServersPerRequest) per request."
            )
        }

        let networkRequests = try await requestedNetworks(
            spec["networks"], version: version, caller: caller, count: count)
        let securityGroups = try await requestedSecurityGroups(spec["security_groups"], caller: caller)
        var schedulingRequest = SchedulingRequest(forcedHost: forcedHost, imageProperties: plan.imageProperties)
        schedulingRequest.skipFilters = skipFilters ? true : nil
        let now = clock.now
        let reservationID = "r-" + String(UUID().uuidString.lowercased().prefix(8))
        var instances: [Instance] = []
        for index in 0..<count {
            var instance = Instance(
                uuid: UUID().uuidString.lowercased(), displayName: count > 1 ? "\(name)-\(index + 1)" : name,
                description: description, projectID: caller.projectID, userID: caller.userID, flavor: flavor,
                imageRef: imageRef, createdAt: now, reservationID: reservationID, launchIndex: index)
            instance.keyName = keypair?.name
            instance.keyData = keypair?.publicKey
            instance.availabilityZone = zone ?? config.defaultAvailabilityZone
            instance.pinnedAvailabilityZone = zone
            instance.schedulerHints = hints.isEmpty ? nil : hints
            instance.metadata = metadata
            instance.tags = tags
            instance.userData = spec["user_data"]?.stringValue
            instance.configDrive = spec["config_drive"]?.boolValue == true ? "True" : ""
            instance.accessIPv4 = accessIPv4 ?? ""
            instance.accessIPv6 = accessIPv6 ?? ""
            instance.autoDiskConfig = autoDiskConfig
            instance.personality = personality
            instance.trustedImageCertificates = trustedCertificates ?? nil
            instance.requestedNetworks = spec["networks"]?.stringValue == "none" ? "none" : "auto"
            instance.networkRequests = networkRequests
            instance.securityGroups = securityGroups
            instance.schedulingRequest = schedulingRequest
            if let hostname = spec["hostname"]?.stringValue, version >= APIVersion(2, 90) {
                instance.hostname = Instance.sanitizedHostname(hostname)
            }
            if !plan.volumes.isEmpty {
                do {
                    instance.blockDevices = try await blockDevices(plan, for: instance.uuid, at: now)
                } catch {
                    for made in instances { await releaseReservations(made.blockDevices ?? []) }
                    throw error
                }
            }
            instances.append(instance)
        }
        let actions = instances.map { instance in
            InstanceActionRecord(
                requestID: context.requestID, action: "create", instanceUUID: instance.uuid, userID: caller.userID,
                projectID: caller.projectID, startTime: now)
        }
        let flavorResources = flavor.resources
        let creating = count
        var userQuotaCheck: (@Sendable (Int, Resources) throws -> Void)?
        if let userLimits {
            userQuotaCheck = { usedInstances, usedResources in
                try userLimits.check(
                    usage: usedResources, instances: usedInstances, adding: flavorResources, count: creating)
            }
        }
        do {
            try await store.createInstances(
                instances, actions: actions,
                quotaCheck: { usedInstances, usedResources in
                    try limits.check(
                        usage: usedResources, instances: usedInstances, adding: flavorResources, count: creating)
                },
                userQuotaCheck: userQuotaCheck, serverGroup: group.map { ($0.uuid, limits.limit(.serverGroupMembers)) })
        } catch {
            for made in instances { await releaseReservations(made.blockDevices ?? []) }
            throw error
        }
        var requestSpec = RequestSpec(
            instanceUUIDs: instances.map(\.uuid), projectID: caller.projectID, userID: caller.userID, flavor: flavor,
            imageRef: imageRef, availabilityZone: zone, forcedHost: forcedHost, schedulerHints: hints,
            imageProperties: schedulingRequest.imageProperties)
        requestSpec.volumeBacked = plan.volumeBacked
        requestSpec.bypass = skipFilters ? .hostFilters : nil
        do {
            try await conductor.buildInstances(requestSpec, context: context.rpcContext)
        } catch {
            // The request is stored: a conductor's sweep schedules builds that no conductor took up.
            context.logger.warning("the conductor did not take the build of \(instances.count) server(s) yet: \(error)")
            for instance in instances where !RPCClient.isLostMessage(error) {
                let fault = InstanceFault(
                    code: 500, message: "The conductor could not be reached: \(error)", created: clock.now)
                _ = try? await store.updateInstance(
                    uuid: instance.uuid, InstanceUpdate(vmState: .error, taskState: .some(nil), fault: fault))
            }
        }

        if spec["return_reservation_id"]?.boolValue == true {
            return Response.json(["reservation_id": .string(reservationID)], status: 202)
        }
        let first = instances[0]
        var server: JSONObject = [
            "id": .string(first.uuid),
            "links": ServerViewBuilder(
                version: version, isAdmin: caller.isAdmin, base: base(request), hostStatus: [:]
            ).links(first.uuid), "OS-DCF:diskConfig": "MANUAL",
            "security_groups": ServerViewBuilder.securityGroups(first),
        ]
        if config.enableInstancePassword {
            server["adminPass"] = .string(spec["adminPass"]?.stringValue ?? Self.generatePassword())
        }
        return Response.json(
            ["server": .object(server)], status: 202,
            headers: [.location: "\(base(request))/v2.1/servers/\(first.uuid)"])
    }

    /// The image's properties, with its disk format for the image-type pre-filter.
    func schedulingProperties(_ imageRef: String) async throws -> [String: String] {
        guard let image = try await images.image(id: imageRef) else { return [:] }
        return Self.schedulingProperties(of: image)
    }

    static func schedulingProperties(of image: ImageRecord) -> [String: String] {
        var properties = image.properties
        if let format = image.diskFormat { properties["disk_format"] = format }
        return properties
    }

    static func generatePassword() -> String {
        let alphabet = Array("abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789")
        return String((0..<12).map { _ in alphabet.randomElement()! })
    }

    func requestedFlavor(_ value: JSON?, _ context: NovaRequestContext) async throws -> Flavor {
        // checked: a whole number becomes the flavor id text
        guard let value, let ref = value.stringValue ?? value.intValue.map(String.init), !ref.isEmpty else {
            throw NovaError.badRequest("Invalid input for field/attribute server. 'flavorRef' is a required property")
        }
        let id = ref.split(separator: "/").last.map(String.init) ?? ref
        do {
            return try await visibleFlavor(id, context)
        } catch {
            throw NovaError.badRequest("Flavor \(id) could not be found.")
        }
    }

    /// The image of `imageRef` (a rebuild's or a rescue's).
    func requestedImage(_ spec: JSONObject, flavor: Flavor, caller: Credentials) async throws -> String {
        let ref = spec["imageRef"]?.stringValue ?? ""
        return try await requestedImage(
            ref.split(separator: "/").last.map(String.init) ?? ref, flavor: flavor, caller: caller)
    }

    /// An image to boot from: visible to the caller, active, and fitting the flavor.
    func requestedImage(_ id: String, flavor: Flavor, caller: Credentials) async throws -> String {
        try await checkedImage(id, flavor: flavor, caller: caller).id
    }

    /// The same, with the image's record (`known`: already read for this request).
    func checkedImage(_ id: String, flavor: Flavor, caller: Credentials, known: ImageRecord? = nil) async throws
        -> ImageRecord
    {
        guard !id.isEmpty else {
            throw NovaError.badRequest(
                "Block Device Mapping is Invalid: You specified more than one local swap device, or no image to boot from."
            )
        }
        // A known image was found through `visibleImage`, for this caller.
        let found = known?.id == id ? known : try await images.image(id: id, as: caller)
        guard let image = found else { throw NovaError.badRequest("Image \(id) could not be found.") }
        guard image.status == "active" else { throw NovaError.badRequest("Image \(id) is not active.") }
        if image.minRAM > flavor.memoryMB {
            throw NovaError.badRequest("Flavor's memory is too small for requested image.")
        }
        if image.minDisk > flavor.rootGB, flavor.rootGB > 0 {
            throw NovaError.badRequest(
                "Flavor's disk is too small for requested image. Flavor disk is \(flavor.rootGB) GB, minimum disk is \(image.minDisk) GB."
            )
        }
        return image
    }

    static func counts(_ spec: JSONObject) throws -> (Int, Int) {
        func parse(_ key: String) throws -> Int? {
            try CheckedInput.integer(
                spec[key], field: key, in: 1...CheckedInput.maxDatabaseInteger, allowString: true)
        }
        let minimum = try parse("min_count") ?? 1
        let maximum = try parse("max_count") ?? minimum
        guard minimum <= maximum else { throw NovaError.badRequest("min_count must be <= max_count") }
        return (minimum, maximum)
    }

    static func validateNetworks(_ value: JSON?, version: APIVersion, networking: Bool) throws {
        guard let value else {
            if version >= APIVersion(2, 37) {
                throw NovaError.badRequest(
                    "Invalid input for field/attribute server. 'networks' is a required property")
            }
            return
        }
        if let text = value.stringValue {
            guard version >= APIVersion(2, 37), text == "auto" || text == "none" else {
                throw NovaError.badRequest(
                    "Invalid input for field/attribute networks. Value: \(text). It must be 'auto', 'none' or a list")
            }
            return
        }
        guard let list = value.arrayValue else {
            throw NovaError.badRequest("Invalid input for field/attribute networks.")
        }
        if !networking, let first = list.first {
            let id = first["uuid"]?.stringValue ?? first["port"]?.stringValue ?? "?"
            throw NovaError.badRequest(
                "Network \(id) could not be found. This cloud has no networking service; use networks 'auto' or 'none'."
            )
        }
    }

    func requestedKeyPair(_ value: JSON?, _ caller: Credentials) async throws -> KeyPairRecord? {
        guard let value, !value.isNull else { return nil }
        guard let name = value.stringValue, let keypair = try await store.keyPair(name: name, userID: caller.userID)
        else {
            throw NovaError.badRequest("Invalid key_name provided.")
        }
        return keypair
    }

    /// `availability_zone` as "az", "az:host" or "az:host:node"; a forced host needs admin. The zone is nil when
    /// none was asked: the server may go to any zone. A host forced through the zone skips the filters (Nova's
    /// force_hosts); 2.74's `host` is a requested destination, filtered like any other.
    func requestedZone(_ spec: JSONObject, version: APIVersion, caller: Credentials) async throws -> (
        zone: String?, host: String?, skipFilters: Bool
    ) {
        // Nova's default_schedule_zone stands for a zone the request does not name.
        var zone = spec["availability_zone"]?.stringValue ?? config.defaultScheduleZone
        var forcedHost: String?
        if let text = zone, text.contains(":") {
            let parts = text.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
            zone = parts[0].isEmpty ? nil : parts[0]
            forcedHost = parts.count > 1 && !parts[1].isEmpty ? parts[1] : nil
            try PolicyRule.admin.enforce("os_compute_api:servers:create:forced_host", caller)
        }
        if let host = spec["host"]?.stringValue, version >= APIVersion(2, 74) {
            try PolicyRule.admin.enforce("compute:servers:create:requested_destination", caller)
            forcedHost = host
            return (try await checkedZone(zone), forcedHost, false)
        }
        return (try await checkedZone(zone), forcedHost, forcedHost != nil)
    }

    func checkedZone(_ zone: String?) async throws -> String? {
        if let zone {
            let zones = Set(try await store.services(binary: "nova-compute").map(\.zone))
            guard zones.contains(zone) else {
                throw NovaError.badRequest("The requested availability zone is not available")
            }
        }
        return zone
    }

    static func metadata(_ value: JSON?) throws -> [String: String] {
        guard let value else { return [:] }
        guard let object = value.objectValue else {
            throw NovaError.badRequest("Invalid input for field/attribute metadata. It must be an object")
        }
        var result: [String: String] = [:]
        for (key, item) in object.entries {
            guard (1...255).contains(key.count), let text = item.stringValue, text.count <= 255 else {
                throw NovaError.badRequest(
                    "Invalid input for field/attribute metadata. Keys and values must be strings of 1 to 255 characters"
                )
            }
            result[key] = text
        }
        return result
    }
}
