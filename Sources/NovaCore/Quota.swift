/// Nova's compute quota resources and their defaults (nova/conf/quota.py).
public enum QuotaResource: String, CaseIterable, Sendable {
    case instances, cores, ram
    case keyPairs = "key_pairs"
    case metadataItems = "metadata_items"
    case injectedFiles = "injected_files"
    case injectedFileContentBytes = "injected_file_content_bytes"
    case injectedFilePathBytes = "injected_file_path_bytes"
    case serverGroups = "server_groups"
    case serverGroupMembers = "server_group_members"

    public var defaultLimit: Int {
        switch self {
        case .instances: return 10
        case .cores: return 20
        case .ram: return 51200
        case .keyPairs: return 100
        case .metadataItems: return 128
        case .injectedFiles: return 5
        case .injectedFileContentBytes: return 10240
        case .injectedFilePathBytes: return 255
        case .serverGroups, .serverGroupMembers: return 10
        }
    }

    /// Resources dropped from quota-sets at 2.36 (network proxies) and 2.57 (personality files).
    public static func visible(at version: APIVersion) -> [QuotaResource] {
        allCases.filter { resource in
            switch resource {
            case .injectedFiles, .injectedFileContentBytes, .injectedFilePathBytes: return version < APIVersion(2, 57)
            default: return true
            }
        }
    }
}

/// The limits in force for one project: a stored override, else the default. -1 is unlimited.
public struct QuotaLimits: Sendable, Equatable {
    /// The quota class whose limits projects without their own have (the only one Nova applies).
    public static let defaultClass = "default"

    public var overrides: [String: Int]

    public init(overrides: [String: Int] = [:]) { self.overrides = overrides }

    public func limit(_ resource: QuotaResource) -> Int { overrides[resource.rawValue] ?? resource.defaultLimit }

    /// Checks that adding `count` servers of `delta` each to `usage` stays within the limits, as Nova's quota
    /// check does before a build. The arithmetic saturates: `count` and the limits come from requests.
    public func check(usage: Resources, instances: Int, adding delta: Resources, count: Int) throws(NovaError) {
        var over: [String] = []
        func exceeds(_ resource: QuotaResource, _ used: Int, _ wanted: Int) -> Bool {
            let limit = limit(resource)
            return limit >= 0 && used.saturatingAdd(wanted) > limit
        }
        if exceeds(.instances, instances, count) { over.append("instances") }
        if exceeds(.cores, usage.vcpus, delta.vcpus.saturatingMultiply(count)) { over.append("cores") }
        if exceeds(.ram, usage.memoryMB, delta.memoryMB.saturatingMultiply(count)) { over.append("ram") }
        if !over.isEmpty {
            throw .forbidden(
                "Quota exceeded for \(over.joined(separator: ", ")): Requested \(count), but already used "
                    + "\(instances) of \(limit(.instances)) instances, \(usage.vcpus) of \(limit(.cores)) cores, "
                    + "\(usage.memoryMB) of \(limit(.ram)) ram")
        }
    }

    /// How many servers of `delta` each fit beside `usage`, at most `wanted` (Nova builds as many of
    /// max_count as the quota allows, down to min_count).
    public func fitting(usage: Resources, instances: Int, adding delta: Resources, wanted: Int) -> Int {
        func room(_ resource: QuotaResource, _ used: Int, _ each: Int) -> Int {
            let limit = limit(resource)
            guard limit >= 0 else { return wanted }
            let left = max(0, limit - min(used, limit))
            return each <= 0 ? wanted : left / each
        }
        return max(
            0,
            min(
                wanted, room(.instances, instances, 1), room(.cores, usage.vcpus, delta.vcpus),
                room(.ram, usage.memoryMB, delta.memoryMB)))
    }
}
