import NovaCore

/// One entry of a create request's `block_device_mapping_v2` (or legacy `block_device_mapping`), checked as
/// Nova's schema and `BlockDeviceDict.from_api` check it: pure, before any service is asked.
struct BlockDeviceRequest: Equatable {
    var sourceType: String
    var destinationType: String
    /// The image, volume or snapshot id (nil for blank).
    var uuid: String?
    /// nil or negative: not a boot device.
    var bootIndex: Int?
    var volumeSize: Int?
    var deviceName: String?
    var deleteOnTermination: Bool
    var volumeType: String?
    var tag: String?
    var guestFormat: String?

    var isBootable: Bool { (bootIndex ?? -1) >= 0 }
    var isRoot: Bool { bootIndex == 0 }

    static let legacyKeys: Set<String> = [
        "virtual_name", "volume_id", "snapshot_id", "volume_size", "device_name", "delete_on_termination",
        "no_device", "connection_info",
    ]
    static let v2Keys: Set<String> = legacyKeys.union([
        "source_type", "uuid", "image_id", "destination_type", "guest_format", "device_type", "disk_bus", "boot_index",
    ])
    /// nova.objects.fields.DiskBus.ALL.
    static let diskBuses: Set<String> = ["fdc", "ide", "sata", "scsi", "usb", "virtio", "xen", "lxc", "uml"]

    static func invalid(_ details: String) -> NovaError {
        .badRequest("Block Device Mapping is Invalid: \(details)")
    }

    static func field(_ name: String, _ value: JSON) -> NovaError {
        .badRequest(
            "Invalid input for field/attribute \(name). Value: \(value.serialized().prefix(64)). It is not valid here.")
    }

    /// The requested mappings (those with `no_device` dropped), in the order given.
    static func parse(_ spec: JSONObject, version: APIVersion) throws -> [BlockDeviceRequest] {
        let legacy = spec["block_device_mapping"]?.arrayValue ?? []
        let current = spec["block_device_mapping_v2"]?.arrayValue ?? []
        for key in ["block_device_mapping", "block_device_mapping_v2"] {
            if let value = spec[key], value.arrayValue == nil {
                throw NovaError.badRequest(
                    "Invalid input for field/attribute \(key). Value: \(value.serialized().prefix(64)). It is not of type 'array'"
                )
            }
        }
        if !legacy.isEmpty, !current.isEmpty {
            throw NovaError.badRequest(
                "Using different block_device_mapping syntaxes is not allowed in the same request.")
        }
        let imageGiven = !(spec["imageRef"]?.stringValue ?? "").isEmpty
        if !legacy.isEmpty { return try legacy.compactMap { try fromLegacy($0, imageGiven: imageGiven) } }
        var keys = v2Keys
        if version >= APIVersion(2, 42) || version == APIVersion(2, 32) {
            keys.insert("tag")
        }
        if version >= APIVersion(2, 67) { keys.insert("volume_type") }
        return try current.compactMap { try fromAPI($0, keys: keys, imageGiven: imageGiven) }
    }

    /// BlockDeviceDict.from_api.
    static func fromAPI(_ value: JSON, keys: Set<String>, imageGiven: Bool) throws -> BlockDeviceRequest? {
        let item = try object(value, keys: keys, field: "block_device_mapping_v2")
        if isTrue(item["no_device"]) { return nil }
        let sourceType = try enumerated(item["source_type"], "source_type", ["volume", "image", "snapshot", "blank"])
        var destination = try enumerated(item["destination_type"], "destination_type", ["local", "volume"])
        guard let sourceType else { throw invalid("Some required fields are missing") }
        let uuid = try text(item["uuid"], "uuid", length: 1...255, allowed: identifierCharacters)
        if sourceType == "blank", uuid != nil { throw invalid("Invalid device UUID.") }
        if sourceType != "blank", uuid == nil { throw invalid("Missing device UUID.") }
        destination = destination ?? (sourceType == "volume" || sourceType == "snapshot" ? "volume" : "local")
        var request = try common(item, sourceType: sourceType, destination: destination ?? "local", uuid: uuid)
        request.bootIndex = try bootIndex(item["boot_index"])
        if let bus = try text(item["disk_bus"], "disk_bus", length: 0...255), !diskBuses.contains(bus) {
            throw invalid("The provided disk bus \(bus) is not valid.")
        }
        _ = try text(item["device_type"], "device_type", length: 0...255)
        request.guestFormat = try text(item["guest_format"], "guest_format", length: 0...255)
        request.tag = try text(item["tag"], "tag", length: 1...60)
        if let tag = request.tag, tag.contains(",") || tag.contains("/") { throw field("tag", .string(tag)) }
        if let type = item["volume_type"], !type.isNull {
            request.volumeType = try text(type, "volume_type", length: 0...255)
            if request.volumeType?.isEmpty == true { request.volumeType = nil }
        }
        if sourceType == "image", request.destinationType == "local", !(imageGiven && request.bootIndex == 0) {
            throw invalid("Mapping image to local is not supported.")
        }
        if request.destinationType == "local", request.volumeType != nil {
            throw invalid("Specifying a volume_type with destination_type=local is not supported.")
        }
        if sourceType == "volume", request.volumeType != nil {
            throw invalid("Specifying volume type to existing volume is not supported.")
        }
        return request
    }

    /// BlockDeviceDict.from_legacy, with Nova's root device `vda`: a volume or snapshot on `vda` is the root.
    static func fromLegacy(_ value: JSON, imageGiven: Bool) throws -> BlockDeviceRequest? {
        let item = try object(value, keys: legacyKeys, field: "block_device_mapping")
        if isTrue(item["no_device"]) { return nil }
        let virtualName = try text(item["virtual_name"], "virtual_name", length: 0...255)
        let volumeID = try text(item["volume_id"], "volume_id", length: 1...255)
        let snapshotID = try text(item["snapshot_id"], "snapshot_id", length: 1...255)
        let request: BlockDeviceRequest
        if let virtualName, virtualName == "swap" || virtualName.hasPrefix("ephemeral") {
            request = try common(item, sourceType: "blank", destination: "local", uuid: nil)
        } else if let snapshotID {
            request = try common(item, sourceType: "snapshot", destination: "volume", uuid: snapshotID)
        } else if let volumeID {
            request = try common(item, sourceType: "volume", destination: "volume", uuid: volumeID)
        } else {
            throw invalid("Unrecognized legacy format.")
        }
        var mapped = request
        let device = (request.deviceName ?? "").replacingOccurrences(of: "/dev/", with: "")
        mapped.bootIndex = request.sourceType != "blank" && device == "vda" ? 0 : -1
        return mapped
    }

    /// The fields both syntaxes share.
    static func common(_ item: JSONObject, sourceType: String, destination: String, uuid: String?) throws
        -> BlockDeviceRequest
    {
        let size = try CheckedInput.integer(
            item["volume_size"], field: "volume_size", in: 1...CheckedInput.maxDatabaseInteger, allowString: true)
        let device = try text(item["device_name"], "device_name", length: 1...255, allowed: deviceCharacters)
        _ = try text(item["connection_info"], "connection_info", length: 0...16_777_215)
        return BlockDeviceRequest(
            sourceType: sourceType, destinationType: destination, uuid: uuid, bootIndex: nil, volumeSize: size,
            deviceName: device,
            deleteOnTermination: try CheckedInput.boolean(item["delete_on_termination"], field: "delete_on_termination")
                ?? false,
            volumeType: nil, tag: nil, guestFormat: nil)
    }

    static let identifierCharacters = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-")
    static let deviceCharacters = identifierCharacters.union(["/"])

    static func object(_ value: JSON, keys: Set<String>, field: String) throws -> JSONObject {
        guard let item = value.objectValue else {
            throw NovaError.badRequest(
                "Invalid input for field/attribute \(field). Value: \(value.serialized().prefix(64)). It is not of type 'object'"
            )
        }
        if let unknown = item.keys.first(where: { !keys.contains($0) }) {
            throw NovaError.badRequest(
                "Invalid input for field/attribute \(field). Additional properties are not allowed ('\(unknown.prefix(64))' was unexpected)"
            )
        }
        return item
    }

    static func text(_ value: JSON?, _ name: String, length: ClosedRange<Int>, allowed: Set<Character>? = nil)
        throws -> String?
    {
        guard let value, !value.isNull else { return nil }
        guard let text = try CheckedInput.text(value, field: name, length: length) else { return nil }
        if let allowed, !text.allSatisfy(allowed.contains) { throw field(name, value) }
        return text
    }

    static func enumerated(_ value: JSON?, _ name: String, _ allowed: Set<String>) throws -> String? {
        guard let value, !value.isNull else { return nil }
        guard let text = value.stringValue, allowed.contains(text) else {
            throw NovaError.badRequest(
                "Invalid input for field/attribute \(name). Value: \(value.serialized().prefix(64)). It is not one of \(allowed.sorted())"
            )
        }
        return text
    }

    /// `['integer', 'string', 'null']` with the pattern `^-?[0-9]+$`.
    static func bootIndex(_ value: JSON?) throws -> Int? {
        guard let value, !value.isNull else { return nil }
        let range = -CheckedInput.maxDatabaseInteger...CheckedInput.maxDatabaseInteger
        return try CheckedInput.integer(value, field: "boot_index", in: range, allowString: true)
    }

    static func isTrue(_ value: JSON?) -> Bool {
        guard let value, !value.isNull else { return false }
        return value.boolValue ?? (value.stringValue.map { !$0.isEmpty } ?? true)
    }
}
