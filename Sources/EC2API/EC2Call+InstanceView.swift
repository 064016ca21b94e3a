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
    /// A class: listings sort, filter and group a thousand of them, and copying one was a copy of each field.
    final class InstanceView: Sendable {
        let id: String
        let uuid: String
        let reservation: EC2Reservation
        let server: JSON
        let imageID: String
        let state: (code: Int, name: String)
        let tags: [(String, String)]
        let fixedAddress: String?
        let floatingAddress: String?
        let instanceType: String
        let zone: String
        let keyName: String?
        let hostname: String
        let launchTime: String

        /// The server fields a view reads, in the order `init` takes them.
        static let fieldNames = [
            "id", "image", "OS-EXT-STS:vm_state", "OS-EXT-STS:task_state", "metadata", "addresses", "flavor",
            "OS-EXT-AZ:availability_zone", "key_name", "OS-EXT-SRV-ATTR:hostname", "OS-SRV-USG:launched_at",
            "created",
        ]

        /// `fields`: the server's values of `fieldNames` (a listing reads a thousand servers' with one reader).
        init(id: String, reservation: EC2Reservation, server: JSON, fields: [JSON?], imageIDs: [String: String]) {
            let image = fields[1]?["id"]?.stringValue
            let vmState = fields[2]?.stringValue ?? ""
            let taskState = fields[3]?.stringValue
            let metadata = fields[4]?.objectValue?.entries ?? []
            let addresses = fields[5]?.objectValue?.entries ?? []
            let flavorName = fields[6]?["original_name"]?.stringValue ?? ""
            let zone = fields[7]?.stringValue ?? ""
            let keyName = fields[8]?.stringValue
            let hostname = fields[9]?.stringValue ?? ""
            let launchedAt = fields[10]?.stringValue
            let created = fields[11]?.stringValue ?? ""
            self.id = id
            uuid = reservation.instanceUUID
            self.reservation = reservation
            self.server = server
            imageID = image.flatMap { imageIDs[$0] } ?? ""
            state = EC2Call.state(vmState: vmState, taskState: taskState)
            tags = metadata.map { ($0.0, $0.1.stringValue ?? "") }
            var fixed: String?
            var floating: String?
            for (_, list) in addresses {
                for address in list.arrayValue ?? [] where address["version"]?.intValue == 4 {
                    let type = address["OS-EXT-IPS:type"]?.stringValue
                    if type == "floating" { floating = floating ?? address["addr"]?.stringValue }
                    if type != "floating" { fixed = fixed ?? address["addr"]?.stringValue }
                }
            }
            fixedAddress = fixed
            floatingAddress = floating
            instanceType = flavorName
            self.zone = zone
            self.keyName = keyName
            self.hostname = hostname
            launchTime = launchedAt.map { $0 + "Z" } ?? created
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

        /// The instance as an `item` of an `instancesSet`, written straight to text (a listing writes a thousand).
        var item: XMLNode {
            var out: [UInt8] = []
            out.reserveCapacity(1024)
            writeItem(into: &out)
            return .rendered(out)
        }

        /// Writes the instance's `item` at the end of `out`.
        func writeItem(into out: inout [UInt8]) {
            func text(_ name: String, _ value: String) { XMLNode.text(name, value, into: &out) }
            func optional(_ name: String, _ value: String?) { if let value { text(name, value) } }
            XMLNode.open("item", into: &out)
            text("instanceId", id)
            text("imageId", imageID)
            XMLNode.open("instanceState", into: &out)
            text("code", String(state.code))
            text("name", state.name)
            XMLNode.close("instanceState", into: &out)
            text("privateDnsName", hostname)
            text("dnsName", "")
            optional("keyName", keyName)
            text("amiLaunchIndex", String(reservation.launchIndex))
            text("instanceType", instanceType)
            text("launchTime", launchTime)
            XMLNode.open("placement", into: &out)
            text("availabilityZone", zone)
            text("tenancy", "default")
            XMLNode.close("placement", into: &out)
            XMLNode.open("monitoring", into: &out)
            text("state", "disabled")
            XMLNode.close("monitoring", into: &out)
            optional("privateIpAddress", fixedAddress)
            optional("ipAddress", floatingAddress)
            text("architecture", "x86_64")
            text("rootDeviceType", "instance-store")
            text("rootDeviceName", "/dev/vda")
            text("virtualizationType", "hvm")
            text("hypervisor", "kvm")
            optional("clientToken", reservation.clientToken)
            if !tags.isEmpty {
                XMLNode.set("tagSet", tags.map { [.text("key", $0.0), .text("value", $0.1)] }).write(into: &out)
            }
            XMLNode.close("item", into: &out)
        }
    }

    /// The caller's instances (and those terminated within the hour), with their EC2 ids and reservations;
    /// servers first seen here get a reservation of their own.
    func instanceViews(servers: [JSON], withTerminated: Bool = true) async throws -> [InstanceView] {
        var reader = JSONFieldReader(InstanceView.fieldNames)
        var fields = servers.map { reader.values(in: $0.objectValue ?? JSONObject()) }
        let uuids = fields.compactMap { $0[0]?.stringValue }
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
        var rows: [(server: JSON, fields: [JSON?], reservation: EC2Reservation)] = zip(servers, fields).compactMap {
            server, values in values[0]?.stringValue.flatMap { reservations[$0] }.map { (server, values, $0) }
        }
        fields = []
        // Terminated within the hour: their last description, as terminated.
        let now = api.clock.now
        let listed = Set(uuids)
        let terminated =
            withTerminated
            ? try await api.store.terminated(
                projectID: credentials.projectID, since: now.addingTimeInterval(-Self.terminatedVisibility)) : []
        for reservation in terminated where !listed.contains(reservation.instanceUUID) {
            guard let text = reservation.lastSeen, var server = JSON.parse(Array(text.utf8))?.objectValue else {
                continue
            }
            server["OS-EXT-STS:vm_state"] = "deleted"
            server["OS-EXT-STS:task_state"] = .null
            rows.append((.object(server), reader.values(in: server), reservation))
        }
        let instanceIDs = try await api.store.ec2IDs(kind: "i", uuids: rows.map(\.reservation.instanceUUID))
        let imageIDs = try await api.store.ec2IDs(
            kind: "ami", uuids: rows.compactMap { $0.fields[1]?["id"]?.stringValue })
        return rows.compactMap { row in
            instanceIDs[row.reservation.instanceUUID].map {
                InstanceView(
                    id: $0, reservation: row.reservation, server: row.server, fields: row.fields, imageIDs: imageIDs)
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
        guard !groups.isEmpty else { return .set("reservationSet", []) }
        // Written straight to one buffer: a listing writes a thousand reservations.
        var out: [UInt8] = []
        out.reserveCapacity(views.count * 1280)
        XMLNode.open("reservationSet", into: &out)
        for (id, members) in groups {
            XMLNode.open("item", into: &out)
            XMLNode.text("reservationId", id, into: &out)
            XMLNode.text("ownerId", credentials.projectID, into: &out)
            XMLNode.element("groupSet", []).write(into: &out)
            XMLNode.open("instancesSet", into: &out)
            for view in members { view.writeItem(into: &out) }
            XMLNode.close("instancesSet", into: &out)
            XMLNode.close("item", into: &out)
        }
        XMLNode.close("reservationSet", into: &out)
        return .rendered(out)
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
