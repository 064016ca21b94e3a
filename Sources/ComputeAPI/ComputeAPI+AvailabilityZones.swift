import APISupport
import Foundation
import Hummingbird
import NovaCore

extension ComputeAPI {
    func registerAvailabilityZones(on v21: RouterGroup<NovaRequestContext>) {
        v21.get("os-availability-zone") { _, context in
            _ = try context.caller()
            let services = try await store.services(binary: "nova-compute")
            let now = clock.now
            var zones: [String: Bool] = [:]
            for service in services where !service.disabled {
                zones[service.zone, default: false] =
                    zones[service.zone, default: false]
                    || service.isUp(now: now, serviceDownTime: config.serviceDownTime)
            }
            let info: [JSON] = zones.keys.sorted().map { zone in
                ["zoneName": .string(zone), "zoneState": ["available": .bool(zones[zone]!)], "hosts": .null]
            }
            return Response.json(["availabilityZoneInfo": .array(info)])
        }
        v21.get("os-availability-zone/detail") { _, context in
            try PolicyRule.admin.enforce("os_compute_api:os-availability-zone:detail", try context.caller())
            let services = try await store.services()
            let now = clock.now
            var byZone: [String: [ServiceRecord]] = [:]
            for service in services {
                let zone = service.binary == "nova-compute" ? service.zone : config.internalAvailabilityZone
                byZone[zone, default: []].append(service)
            }
            let info: [JSON] = byZone.keys.sorted().map { zone in
                var hosts = JSONObject()
                for service in byZone[zone]! {
                    var entries = hosts[service.host]?.objectValue ?? [:]
                    entries[service.binary] = [
                        "available": .bool(service.isUp(now: now, serviceDownTime: config.serviceDownTime)),
                        "active": .bool(!service.disabled),
                        "updated_at": .optional((service.lastSeenUp ?? service.updatedAt).map(Timestamp.naive)),
                    ]
                    hosts[service.host] = .object(entries)
                }
                let available = byZone[zone]!.contains { $0.isUp(now: now, serviceDownTime: config.serviceDownTime) }
                return [
                    "zoneName": .string(zone), "zoneState": ["available": .bool(available)], "hosts": .object(hosts),
                ]
            }
            return Response.json(["availabilityZoneInfo": .array(info)])
        }
    }
}
