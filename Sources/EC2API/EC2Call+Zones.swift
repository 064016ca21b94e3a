import Foundation
import NovaCore

/// DescribeRegions, DescribeAvailabilityZones, DescribeInstanceTypes (the flavors) and DescribeAccountAttributes.
extension EC2Call {
    func describeRegions() async throws -> [XMLNode] {
        try dryRun(write: false)
        let names = params.list("RegionName")
        if let unknown = names.first(where: { $0 != api.regionName }) {
            throw EC2Error("InvalidParameterValue", "Invalid region: \(unknown)")
        }
        return [
            .set(
                "regionInfo",
                [
                    [
                        .text("regionName", api.regionName), .text("regionEndpoint", endpoint),
                        .text("optInStatus", "opt-in-not-required"),
                    ]
                ])
        ]
    }

    func describeAvailabilityZones() async throws -> [XMLNode] {
        try dryRun(write: false)
        let zones = try await expect(.compute, .get, "/os-availability-zone")["availabilityZoneInfo"]?.arrayValue ?? []
        let wanted = Set(params.list("ZoneName"))
        let filters = try params.filters()
        let items: [[XMLNode]] = zones.compactMap { zone in
            guard let name = zone["zoneName"]?.stringValue else { return nil }
            let state = zone["zoneState"]?["available"]?.boolValue == true ? "available" : "unavailable"
            if !wanted.isEmpty, !wanted.contains(name) { return nil }
            for filter in filters {
                let value: String? =
                    switch filter.name {
                    case "zone-name": name
                    case "state": state
                    case "region-name": api.regionName
                    default: nil
                    }
                guard let value, filter.values.contains(value) else { return nil }
            }
            return [
                .text("zoneName", name), .text("zoneState", state), .text("regionName", api.regionName),
                .text("zoneType", "availability-zone"), .element("messageSet", []),
            ]
        }
        return [.set("availabilityZoneInfo", items)]
    }

    func describeInstanceTypes() async throws -> [XMLNode] {
        try dryRun(write: false)
        let flavors = try await expect(.compute, .get, "/flavors/detail")["flavors"]?.arrayValue ?? []
        let wanted = Set(params.list("InstanceType"))
        let items: [[XMLNode]] = flavors.compactMap { flavor in
            guard let name = flavor["name"]?.stringValue, wanted.isEmpty || wanted.contains(name) else { return nil }
            let disk = (flavor["disk"]?.intValue ?? 0) + (flavor["OS-FLV-EXT-DATA:ephemeral"]?.intValue ?? 0)
            return [
                .text("instanceType", name), .text("currentGeneration", "true"),
                .element("vCpuInfo", [.text("defaultVCpus", String(flavor["vcpus"]?.intValue ?? 0))]),
                .element("memoryInfo", [.text("sizeInMiB", String(flavor["ram"]?.intValue ?? 0))]),
                .text("instanceStorageSupported", disk > 0 ? "true" : "false"),
                .element("instanceStorageInfo", [.text("totalSizeInGB", String(disk))]),
                .element("supportedRootDeviceTypes", [.text("item", "instance-store")]),
                .text("hypervisor", "kvm"),
            ]
        }
        return [.set("instanceTypeSet", items)]
    }

    func describeAccountAttributes() async throws -> [XMLNode] {
        try dryRun(write: false)
        let limits = try await expect(.compute, .get, "/limits")["limits"]?["absolute"]
        let attributes: [(String, String)] = [
            ("supported-platforms", "EC2"), ("default-vpc", "none"),
            ("max-instances", String(limits?["maxTotalInstances"]?.intValue ?? -1)),
        ]
        let wanted = Set(params.list("AttributeName"))
        return [
            .set(
                "accountAttributeSet",
                attributes.filter { wanted.isEmpty || wanted.contains($0.0) }.map { name, value in
                    [.text("attributeName", name), .set("attributeValueSet", [[.text("attributeValue", value)]])]
                })
        ]
    }
}
