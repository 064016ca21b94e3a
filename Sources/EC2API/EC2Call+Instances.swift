import APISupport
import Foundation
import NovaCore
import NovaDB

/// RunInstances, TerminateInstances, StopInstances, StartInstances, RebootInstances and GetConsoleOutput:
/// each one or a few compute API calls as the caller.
extension EC2Call {
    enum PowerChange {
        case stop, start
    }

    func runInstances() async throws -> [XMLNode] {
        let imageID = try params.required("ImageId")
        guard imageID.hasPrefix("ami-") else {
            throw EC2Error("InvalidAMIID.Malformed", "Invalid id: \"\(imageID)\" (expecting \"ami-...\")")
        }
        let minCount = try params.integer("MinCount", in: 1...1000) ?? 1
        let maxCount = try params.integer("MaxCount", in: 1...1000) ?? minCount
        guard minCount <= maxCount else {
            throw EC2Error(
                "InvalidParameterValue", "MinCount (\(minCount)) must be no more than MaxCount (\(maxCount))")
        }
        let clientToken = params["ClientToken"].flatMap { $0.isEmpty ? nil : $0 }
        if let clientToken, clientToken.count > 64 {
            throw EC2Error.invalid("ClientToken", clientToken, "It must be at most 64 characters.")
        }
        // The same client token returns the reservation it made, instead of booting again.
        if let clientToken {
            let earlier = try await api.store.reservations(projectID: credentials.projectID, clientToken: clientToken)
            if let first = earlier.first {
                try dryRun(write: true)
                var servers: [JSON] = []
                for reservation in earlier {
                    let reply = try await api.backend.call(
                        .compute, .get, "/servers/" + reservation.instanceUUID, token: token, body: nil,
                        version: Self.serverVersion, contentType: nil)
                    if reply.isSuccess, let server = reply.json?["server"] { servers.append(server) }
                }
                return try await reservationNodes(first.reservationID, servers: servers)
            }
        }
        let notFound = EC2Error("InvalidAMIID.NotFound", "The image id '[\(imageID)]' does not exist")
        guard let imageUUID = try await api.store.uuids(kind: "ami", ec2IDs: [imageID])[imageID] else {
            throw notFound
        }
        let typeName = params["InstanceType"] ?? "m1.small"
        let flavor = try await flavorID(named: typeName)
        var server: JSONObject = [
            "imageRef": .string(imageUUID), "flavorRef": .string(flavor), "min_count": .int(minCount),
            "max_count": .int(maxCount),
        ]
        // One server's id comes back at once; several are found by their reservation.
        if maxCount > 1 { server["return_reservation_id"] = true }
        if let keyName = params["KeyName"] {
            _ = try await expect(
                .compute, .get, "/os-keypairs/" + PercentEncoding.encode(keyName),
                notFound: EC2Error("InvalidKeyPair.NotFound", "The key pair '\(keyName)' does not exist"))
            server["key_name"] = .string(keyName)
        }
        if let userData = params["UserData"] {
            guard Data(base64Encoded: userData) != nil else {
                throw EC2Error("InvalidUserData.Malformed", "User data must be base64 encoded.")
            }
            server["user_data"] = .string(userData)
        }
        if let zone = params["Placement.AvailabilityZone"], !zone.isEmpty {
            server["availability_zone"] = .string(zone)
        }
        try await requestNetworks(into: &server)
        var tags: [(String, String)] = []
        for number in params.numbered("TagSpecification") {
            let type = params["TagSpecification.\(number).ResourceType"] ?? "instance"
            guard type == "instance" else {
                throw EC2Error.invalid(
                    "TagSpecification.\(number).ResourceType", type, "Only instance is taggable here.")
            }
            tags += params.tags("TagSpecification.\(number).Tag")
        }
        // Instance tags are the server's metadata (key and value), which Nova limits as it limits metadata.
        if !tags.isEmpty { server["metadata"] = .object(JSONObject(tags.map { ($0.0, JSON.string($0.1)) })) }
        server["name"] = .string(tags.first { $0.0 == "Name" }?.1 ?? "ec2-instance")
        try dryRun(write: true)
        // The compute API checks the image as the caller sees it: a 400 that names it is EC2's NotFound.
        let reply = try await api.backend.call(
            .compute, .post, "/servers", token: token, body: ["server": .object(server)], version: nil,
            contentType: nil)
        guard reply.isSuccess else {
            // The compute API's words for a flavor the caller cannot use (gone, or no longer shared).
            if reply.status == 400, reply.message == "Flavor \(flavor) could not be found." {
                api.flavorNames.forget(flavorViewer)
                throw EC2Error("InvalidParameterValue", "Invalid value '\(typeName)' for InstanceType.")
            }
            throw reply.status == 400 && reply.message.contains(imageUUID)
                ? notFound : Self.error(reply, notFound: nil, conflict: nil)
        }
        let created = reply.json ?? .null
        let reservationID = EC2Store.newID("r")
        func reservation(_ uuid: String, index: Int) -> EC2Reservation {
            var reservation = EC2Reservation(
                instanceUUID: uuid, reservationID: reservationID, projectID: credentials.projectID,
                clientToken: clientToken, launchIndex: index)
            reservation.userData = params["UserData"]
            return reservation
        }
        if maxCount == 1 {
            guard let uuid = created["server"]?["id"]?.stringValue else {
                throw EC2Error("Unavailable", "The compute API answered without the server.", status: 503)
            }
            // Its reservation is stored while it is read (the store waits for the writers of the boot).
            async let recorded: Void = api.store.record([reservation(uuid, index: 0)])
            let shown = try await expect(.compute, .get, "/servers/" + uuid, version: Self.serverVersion)
            try await recorded
            return try await reservationNodes(reservationID, servers: shown["server"].map { [$0] } ?? [], isNew: true)
        }
        guard let novaReservation = created["reservation_id"]?.stringValue else {
            throw EC2Error("Unavailable", "The compute API answered without a reservation.", status: 503)
        }
        let servers = try await listServers(query: "&reservation_id=" + PercentEncoding.encode(novaReservation))
        let ordered = servers.sorted {
            ($0["created"]?.stringValue ?? "", $0["name"]?.stringValue ?? "", $0["id"]?.stringValue ?? "")
                < ($1["created"]?.stringValue ?? "", $1["name"]?.stringValue ?? "", $1["id"]?.stringValue ?? "")
        }
        try await api.store.record(
            ordered.enumerated().compactMap { index, server in
                server["id"]?.stringValue.map { reservation($0, index: index) }
            })
        return try await reservationNodes(reservationID, servers: ordered, isNew: true)
    }

    /// Whose flavor list a caller sees: its project's, and an admin's may differ from a member's.
    var flavorViewer: String { credentials.projectID + (credentials.isAdmin ? " admin" : "") }

    /// The id of the flavor named `name` that the caller sees (EC2's InstanceType).
    func flavorID(named name: String) async throws -> String {
        let now = api.clock.now
        if let id = api.flavorNames.id(of: name, for: flavorViewer, now: now) { return id }
        var ids: [String: String] = [:]
        for flavor in try await expect(.compute, .get, "/flavors")["flavors"]?.arrayValue ?? [] {
            if let name = flavor["name"]?.stringValue, let id = flavor["id"]?.stringValue, ids[name] == nil {
                ids[name] = id
            }
        }
        api.flavorNames.remember(ids, for: flavorViewer, now: now)
        guard let id = ids[name] else {
            throw EC2Error("InvalidParameterValue", "Invalid value '\(name)' for InstanceType.")
        }
        return id
    }

    /// `SubnetId` (with `PrivateIpAddress`) as the server's network, `SecurityGroupId.N` and `SecurityGroup.N`
    /// as its security groups.
    func requestNetworks(into server: inout JSONObject) async throws {
        if let subnetID = params["SubnetId"] {
            let subnet = try await uuid(
                of: subnetID, kind: "subnet",
                notFound: EC2Error("InvalidSubnetID.NotFound", "The subnet ID '\(subnetID)' does not exist"))
            let shown = try await expect(
                .network, .get, "/v2.0/subnets/" + subnet,
                notFound: EC2Error("InvalidSubnetID.NotFound", "The subnet ID '\(subnetID)' does not exist"))
            guard let network = shown["subnet"]?["network_id"]?.stringValue else {
                throw EC2Error("InvalidSubnetID.NotFound", "The subnet ID '\(subnetID)' does not exist")
            }
            var requested: JSONObject = ["uuid": .string(network)]
            if let address = params["PrivateIpAddress"] {
                guard IPv4Network.parseAddress(address) != nil else {
                    throw EC2Error.invalid("PrivateIpAddress", address, "It must be an IPv4 address.")
                }
                requested["fixed_ip"] = .string(address)
            }
            server["networks"] = .array([.object(requested)])
        } else if params["PrivateIpAddress"] != nil {
            throw EC2Error("InvalidParameterCombination", "PrivateIpAddress needs SubnetId.")
        }
        var groups: [JSON] = params.list("SecurityGroup").map { ["name": .string($0)] }
        let ids = params.list("SecurityGroupId")
        let known = try await api.store.uuids(kind: "sg", ec2IDs: ids)
        for id in ids {
            guard let uuid = known[id] else { throw securityGroupNotFound(id) }
            groups.append(["name": .string(uuid)])
        }
        if !groups.isEmpty { server["security_groups"] = .array(groups) }
    }

    /// A reservation as RunInstances answers it: its id, owner and instances (`servers`: those of it still
    /// there; the terminated ones come from the records, which a new reservation has none of).
    func reservationNodes(_ reservationID: String, servers: [JSON], isNew: Bool = false) async throws -> [XMLNode] {
        let views = try await instanceViews(servers: servers, withTerminated: !isNew).filter {
            $0.reservation.reservationID == reservationID
        }
        return [
            .text("reservationId", reservationID), .text("ownerId", credentials.projectID),
            .element("groupSet", []), .element("instancesSet", views.map(\.item)),
        ]
    }

    /// The named instances of the caller, as they are now.
    func namedInstances() async throws -> [InstanceView] {
        guard !params.list("InstanceId").isEmpty else { throw EC2Error.missing("InstanceId") }
        return try selectedInstances(try await instanceViews(servers: try await listServers()))
    }

    static func stateNodes(_ name: String, _ state: (code: Int, name: String)) -> XMLNode {
        .element(name, [.text("code", String(state.code)), .text("name", state.name)])
    }

    func terminateInstances() async throws -> [XMLNode] {
        let views = try await namedInstances()
        try dryRun(write: true)
        var items: [[XMLNode]] = []
        for view in views {
            if view.state.name != "terminated" {
                try await expect(
                    .compute, .delete, "/servers/" + view.uuid,
                    conflict: EC2Error(
                        "OperationNotPermitted",
                        "The instance '\(view.id)' may not be terminated: its API termination is disabled (locked)."))
                try await api.store.terminated(
                    instanceUUID: view.uuid, lastSeen: view.server.serialized(), at: api.clock.now)
            }
            let current = view.state.name == "terminated" ? view.state : (32, "shutting-down")
            items.append([
                .text("instanceId", view.id), Self.stateNodes("currentState", current),
                Self.stateNodes("previousState", view.state),
            ])
        }
        return [.set("instancesSet", items)]
    }

    func changeInstances(_ change: PowerChange) async throws -> [XMLNode] {
        let views = try await namedInstances()
        try dryRun(write: true)
        var items: [[XMLNode]] = []
        for view in views {
            let (action, target, next): (String, String, (Int, String)) =
                switch change {
                case .stop: ("os-stop", "stopped", (64, "stopping"))
                case .start: ("os-start", "running", (0, "pending"))
                }
            var current = view.state
            if view.state.name != target {
                try await expect(
                    .compute, .post, "/servers/\(view.uuid)/action", body: [action: .null],
                    conflict: EC2Error(
                        "IncorrectInstanceState",
                        "The instance '\(view.id)' is not in a state from which it can be \(change == .stop ? "stopped" : "started")."
                    ))
                current = next
            }
            items.append([
                .text("instanceId", view.id), Self.stateNodes("currentState", current),
                Self.stateNodes("previousState", view.state),
            ])
        }
        return [.set("instancesSet", items)]
    }

    func rebootInstances() async throws -> [XMLNode] {
        let views = try await namedInstances()
        try dryRun(write: true)
        for view in views {
            try await expect(
                .compute, .post, "/servers/\(view.uuid)/action", body: ["reboot": ["type": "SOFT"]],
                conflict: EC2Error(
                    "IncorrectInstanceState",
                    "The instance '\(view.id)' is not in a state from which it can be rebooted."))
        }
        return [.text("return", "true")]
    }

    func getConsoleOutput() async throws -> [XMLNode] {
        let id = try params.required("InstanceId")
        guard id.hasPrefix("i-") else { throw EC2Error("InvalidInstanceID.Malformed", "Invalid id: \"\(id)\"") }
        let views = try await instanceViews(servers: try await listServers())
        guard let view = views.first(where: { $0.id == id }), view.state.name != "terminated" else {
            throw EC2Error("InvalidInstanceID.NotFound", "The instance ID '\(id)' does not exist")
        }
        try dryRun(write: false)
        let output = try await expect(
            .compute, .post, "/servers/\(view.uuid)/action", body: ["os-getConsoleOutput": [:]],
            conflict: EC2Error("IncorrectInstanceState", "The instance '\(id)' has no console output yet."))
        let text = output["output"]?.stringValue ?? ""
        return [
            .text("instanceId", id), .text("timestamp", Timestamp.iso(api.clock.now)),
            .text("output", Data(text.utf8).base64EncodedString()),
        ]
    }
}
