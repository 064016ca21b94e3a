import NovaCore

/// Flavor extra specs scoped `capabilities:` must match what the host reports (hypervisor_type, ...).
public struct ComputeCapabilitiesFilter: HostFilter {
    public let name = "ComputeCapabilitiesFilter"
    static let scope = "capabilities:"
    public init() {}
    public func applies(to spec: RequestSpec) -> Bool {
        spec.flavor.extraSpecs.keys.contains { $0.hasPrefix(Self.scope) }
    }

    static func capabilities(_ host: HostState) -> [String: String] {
        [
            "hypervisor_type": host.hypervisorType, "hypervisor_version": String(host.hypervisorVersion),
            "hypervisor_hostname": host.nodename, "host_ip": host.hostIP, "vcpus": String(host.capacity.vcpus),
            "free_ram_mb": String(host.free.memoryMB), "free_disk_mb": String(host.free.diskGB * 1024),
            "cpu_info:arch": "x86_64", "num_instances": String(host.instanceCount),
        ]
    }

    public func passes(_ host: HostState, _ spec: RequestSpec) -> Bool {
        let capabilities = Self.capabilities(host)
        for (key, wanted) in spec.flavor.extraSpecs where key.hasPrefix(Self.scope) {
            guard let value = capabilities[String(key.dropFirst(Self.scope.count))],
                ExtraSpecMatch.matches(value, wanted)
            else { return false }
        }
        return true
    }
}

/// Image properties (architecture, hypervisor type, vm mode) must be what the host supports.
public struct ImagePropertiesFilter: HostFilter {
    public let name = "ImagePropertiesFilter"
    public init() {}
    public func applies(to spec: RequestSpec) -> Bool {
        ["hw_architecture", "architecture", "img_hv_type", "hypervisor_type", "hw_vm_mode", "vm_mode"].contains {
            spec.imageProperties[$0] != nil
        }
    }
    public func passes(_ host: HostState, _ spec: RequestSpec) -> Bool {
        let properties = spec.imageProperties
        if let arch = properties["hw_architecture"] ?? properties["architecture"], arch.lowercased() != "x86_64" {
            return false
        }
        if let type = properties["img_hv_type"] ?? properties["hypervisor_type"],
            type.lowercased() != host.hypervisorType.lowercased(),
            !(type.lowercased() == "kvm" && host.hypervisorType.lowercased() == "qemu")
        {
            return false
        }
        if let mode = properties["hw_vm_mode"] ?? properties["vm_mode"], mode.lowercased() != "hvm" {
            return false
        }
        return true
    }
}

/// `[filter_scheduler] isolated_images` run only on `isolated_hosts` (and, with
/// `restrict_isolated_hosts_to_isolated_images`, those hosts run nothing else).
public struct IsolatedHostsFilter: HostFilter {
    public let name = "IsolatedHostsFilter"
    let images: Set<String>
    let hosts: Set<String>
    let restrict: Bool
    public init(isolatedImages: [String] = [], isolatedHosts: [String] = [], restrict: Bool = true) {
        images = Set(isolatedImages)
        hosts = Set(isolatedHosts)
        self.restrict = restrict
    }
    public func passes(_ host: HostState, _ spec: RequestSpec) -> Bool {
        guard !images.isEmpty || !hosts.isEmpty else { return true }
        let imageIsolated = images.contains(spec.imageRef)
        let hostIsolated = hosts.contains(host.host)
        return restrict ? imageIsolated == hostIsolated : (!imageIsolated || hostIsolated)
    }
}
