import Foundation
import NovaCore
import NovaDB

/// Instances as EC2 describes them: states mapped from Nova's, grouped in reservations, filtered and paged.
extension EC2Call {
    /// The compute microversion the front end reads servers at (2.47: the flavor's name in the server).
    static let serverVersion = "2.47"
    /// How long a terminated instance stays visible (EC2 shows them for about an hour).
    static let terminatedVisibility: TimeInterval = 3600

    /// EC2's state code and name for Nova's vm_state and task_state.
    static func state(vmState: String, taskState: String?) -> (code: Int, name: String) {
        switch (vmState, taskState) {
        case ("deleted", _), ("soft-delete", _): return (48, "terminated")
        case (_, "deleting"): return (32, "shutting-down")
        case ("building", _): return (0, "pending")
        case (_, "powering-off"), (_, "shelving"), (_, "shelving_offloading"): return (64, "stopping")
        case ("active", _), ("rescued", _), ("resized", _): return (16, "running")
        case (_, "powering-on"), (_, "unshelving"), (_, "spawning"), (_, "resuming"), (_, "unpausing"):
            return (0, "pending")
        default: return (80, "stopped")
        }
    }

    /// Every server of the caller's project (`GET /servers/detail`, page by page).
    func listServers(query: String = "") async throws -> [JSON] {
        var servers: [JSON] = []
        var marker: String?
        for _ in 0..<10_000 {
            var path = "/servers/detail?limit=1000" + query
            if let marker { path += "&marker=" + PercentEncoding.encode(marker) }
            let answer = try await expect(.compute, .get, path, version: Self.serverVersion)
            let page = answer["servers"]?.arrayValue ?? []
            servers += page
            // The compute API links a next page only when this one is full and more may follow.
            guard answer["servers_links"] != nil, page.count == 1000, let last = page.last?["id"]?.stringValue else {
                break
            }
            marker = last
        }
        return servers
    }

    /// One instance as EC2 shows it, from the server's JSON (its fields read once: a listing makes a thousand).
    struct InstanceView {
        var id: String
        var uuid: String
        var reservation: EC2Reservation
        var server: JSON
        var imageID: String
        var state: (code: Int, name: String)
        let tags: [(String, String)]
        let fixedAddress: String?
        let floatingAddress: String?
        let instanceType: String
        let zone: String
        let keyName: String?
        let hostname: String
        let launchTime: String

        init(id: String, reservation: EC2Reservation, server: JSON, imageIDs: [String: String]) {
            var fields: [String: JSON] = [:]
            for (key, value) in server.objectValue?.entries ?? [] { fields[key] = value }
            self.id = id
            uuid = reservation.instanceUUID
            self.reservation = reservation
            self.server = server
            imageID = fields["image"]?["id"]?.stringValue.flatMap { imageIDs[$0] } ?? ""
            state = EC2Call.state(
                vmState: fields["OS-EXT-STS:vm_state"]?.stringValue ?? "",
                taskState: fields["OS-EXT-STS:task_state"]?.stringValue)
            tags = (fields["metadata"]?.objectValue?.entries ?? []).map { ($0.0, $0.1.stringValue ?? "") }
            var fixed: String?
            var floating: String?
            for (_, list) in fields["addresses"]?.objectValue?.entries ?? [] {
                for address in list.arrayValue ?? [] where address["version"]?.intValue == 4 {
                    let type = address["OS-EXT-IPS:type"]?.stringValue
                    if type == "floating" { floating = floating ?? address["addr"]?.stringValue }
                    if type != "floating" { fixed = fixed ?? address["addr"]?.stringValue }
                }
            }
            fixedAddress = fixed
            floatingAddress = floating
            instanceType = fields["flavor"]?["original_name"]?.stringValue ?? ""
            zone = fields["OS-EXT-AZ:availability_zone"]?.stringValue ?? ""
            keyName = fields["key_name"]?.stringValue
            hostname = fields["OS-EXT-SRV-ATTR:hostname"]?.stringValue ?? ""
            launchTime =
                fields["OS-SRV-USG:launched_at"]?.stringValue.map { $0 + "Z" } ?? fields["created"]?.stringValue ?? ""
        }

        /// The value a DescribeInstances filter compares (nil: the filter is not one this front end knows).
        func value(of filter: String) -> [String]? {
            if filter.hasPrefix("tag:") {
                let key = String(filter.dropFirst(4))
                return tags.filter { $0.0 == key }.map(\.1)
            }
            switch filter {
            case "instance-id": return [id]
            case "instance-state-name": return [state.name]
            case "instance-state-code": return [String(state.code)]
            case "instance-type": return [instanceType]
            case "image-id": return [imageID]
            case "key-name": return keyName.map { [$0] } ?? []
            case "availability-zone": return [zone]
            case "reservation-id": return [reservation.reservationID]
            case "tag-key": return tags.map(\.0)
            case "private-ip-address": return fixedAddress.map { [$0] } ?? []
            case "ip-address": return floatingAddress.map { [$0] } ?? []
            case "client-token": return reservation.clientToken.map { [$0] } ?? []
            default: return nil
            }
        }

        var nodes: [XMLNode] {
            var nodes: [XMLNode] = [
                .text("instanceId", id), .text("imageId", imageID),
                .element("instanceState", [.text("code", String(state.code)), .text("name", state.name)]),
                .text("privateDnsName", hostname),
                .text("dnsName", ""),
            ]
            nodes += XMLNode.optional("keyName", keyName)
            nodes += [
                .text("amiLaunchIndex", String(reservation.launchIndex)), .text("instanceType", instanceType),
                .text("launchTime", launchTime),
                .element("placement", [.text("availabilityZone", zone), .text("tenancy", "default")]),
                .element("monitoring", [.text("state", "disabled")]),
            ]
            nodes += XMLNode.optional("privateIpAddress", fixedAddress)
            nodes += XMLNode.optional("ipAddress", floatingAddress)
            nodes += [
                .text("architecture", "x86_64"), .text("rootDeviceType", "instance-store"),
                .text("rootDeviceName", "/dev/vda"), .text("virtualizationType", "hvm"), .text("hypervisor", "kvm"),
            ]
            nodes += XMLNode.optional("clientToken", reservation.clientToken)
            if !tags.isEmpty {
                nodes.append(.set("tagSet", tags.map { [.text("key", $0.0), .text("value", $0.1)] }))
            }
            return nodes
        }
    }

    /// The caller's instances (and those terminated within the hour), with their EC2 ids and reservations;
    /// servers first seen here get a reservation of their own.
    func instanceViews(servers: [JSON]) async throws -> [InstanceView] {
        let uuids = servers.compactMap { $0["id"]?.stringValue }
        var reservations = Dictionary(
            try await api.store.reservations(projectID: credentials.projectID, uuids: uuids).map {
                ($0.instanceUUID, $0)
            }, uniquingKeysWith: { first, _ in first })
        let unseen = uuids.filter { reservations[$0] == nil }.map {
            EC2Reservation(
                instanceUUID: $0, reservationID: EC2Store.newID("r"), projectID: credentials.projectID,
                clientToken: nil, launchIndex: 0)
        }
        if !unseen.isEmpty {
            try await api.store.record(unseen)
            for reservation in try await api.store.reservations(
                projectID: credentials.projectID, uuids: unseen.map(\.instanceUUID))
            {
                reservations[reservation.instanceUUID] = reservation
            }
        }
        var rows: [(JSON, EC2Reservation)] = servers.compactMap { server in
            server["id"]?.stringValue.flatMap { reservations[$0] }.map { (server, $0) }
        }
        // Terminated within the hour: their last description, as terminated.
        let now = api.clock.now
        let listed = Set(uuids)
        for reservation in try await api.store.terminated(
            projectID: credentials.projectID, since: now.addingTimeInterval(-Self.terminatedVisibility))
        where !listed.contains(reservation.instanceUUID) {
            guard let text = reservation.lastSeen, var server = JSON.parse(Array(text.utf8))?.objectValue else {
                continue
            }
            server["OS-EXT-STS:vm_state"] = "deleted"
            server["OS-EXT-STS:task_state"] = .null
            rows.append((.object(server), reservation))
        }
        let instanceIDs = try await api.store.ec2IDs(kind: "i", uuids: rows.map(\.1.instanceUUID))
        let imageIDs = try await api.store.ec2IDs(
            kind: "ami", uuids: rows.compactMap { $0.0["image"]?["id"]?.stringValue })
        return rows.compactMap { server, reservation in
            instanceIDs[reservation.instanceUUID].map {
                InstanceView(id: $0, reservation: reservation, server: server, imageIDs: imageIDs)
            }
        }
        .sorted {
            ($0.reservation.reservationID, $0.reservation.launchIndex) < (
                $1.reservation.reservationID, $1.reservation.launchIndex
            )
        }
    }

    /// The views of `InstanceId.N`, or all of them; an id that is none of the caller's is NotFound.
    func selectedInstances(_ views: [InstanceView]) throws(EC2Error) -> [InstanceView] {
        let wanted = params.list("InstanceId")
        guard !wanted.isEmpty else { return views }
        if let malformed = wanted.first(where: { !$0.hasPrefix("i-") }) {
            throw EC2Error("InvalidInstanceID.Malformed", "Invalid id: \"\(malformed)\"")
        }
        let known = Set(views.map(\.id))
        if let missing = wanted.first(where: { !known.contains($0) }) {
            throw EC2Error("InvalidInstanceID.NotFound", "The instance ID '\(missing)' does not exist")
        }
        return views.filter { wanted.contains($0.id) }
    }

    /// `reservationSet`: instances grouped by reservation, in order.
    func reservationSet(_ views: [InstanceView]) -> XMLNode {
        var groups: [(String, [InstanceView])] = []
        for view in views {
            if let last = groups.indices.last, groups[last].0 == view.reservation.reservationID {
                groups[last].1.append(view)
            } else {
                groups.append((view.reservation.reservationID, [view]))
            }
        }
        return .set(
            "reservationSet",
            groups.map { id, members in
                [
                    .text("reservationId", id), .text("ownerId", credentials.projectID), .element("groupSet", []),
                    .set("instancesSet", members.map(\.nodes)),
                ]
            })
    }

    func describeInstances() async throws -> [XMLNode] {
        try dryRun(write: false)
        let maxResults = try params.integer("MaxResults", in: 5...1000)
        if maxResults != nil, !params.list("InstanceId").isEmpty {
            throw EC2Error(
                "InvalidParameterCombination", "The parameter instancesSet cannot be used with the parameter maxResults"
            )
        }
        let filters = try params.filters()
        var views = try selectedInstances(try await instanceViews(servers: try await listServers()))
        for filter in filters {
            guard views.first.map({ $0.value(of: filter.name) != nil }) ?? true else {
                throw EC2Error("InvalidParameterValue", "The filter '\(filter.name)' is invalid")
            }
            views = views.filter { view in
                let values = view.value(of: filter.name) ?? []
                return values.contains { value in filter.values.contains { Self.wildcard($0, matches: value) } }
            }
        }
        var start = 0
        if let token = params["NextToken"] {
            // checked: Int(_:) returns nil past Int's range
            guard let offset = Int(token), (0...views.count).contains(offset) else {
                throw EC2Error("InvalidParameterValue", "The NextToken \(token) is invalid")
            }
            start = offset
        }
        var page = Array(views[start...])
        var nodes: [XMLNode] = []
        if let maxResults, page.count > maxResults {
            page = Array(page.prefix(maxResults))
            nodes.append(.text("nextToken", String(start + maxResults)))
        }
        return [reservationSet(page)] + nodes
    }

    func describeInstanceStatus() async throws -> [XMLNode] {
        try dryRun(write: false)
        let includeAll = try params.flag("IncludeAllInstances")
        let views = try selectedInstances(try await instanceViews(servers: try await listServers()))
        let items: [[XMLNode]] = views.filter { includeAll || $0.state.name == "running" }.map { view in
            let health = view.server["status"]?.stringValue == "ERROR" ? "impaired" : "ok"
            return [
                .text("instanceId", view.id), .text("availabilityZone", view.zone),
                .element(
                    "instanceState", [.text("code", String(view.state.code)), .text("name", view.state.name)]),
                .element("systemStatus", [.text("status", view.state.name == "running" ? health : "not-applicable")]),
                .element(
                    "instanceStatus", [.text("status", view.state.name == "running" ? health : "not-applicable")]),
            ]
        }
        return [.set("instanceStatusSet", items)]
    }
}
