import Foundation
import NovaCore

/// DescribeInstanceAttribute and ModifyInstanceAttribute: `instanceType` (a stopped instance is resized, and
/// the resize confirmed once it is done), `disableApiTermination` (the server's lock), `userData` (read only:
/// Nova changes it only by rebuilding).
extension EC2Call {
    func attributeInstance() async throws -> InstanceView {
        let id = try params.required("InstanceId")
        guard id.hasPrefix("i-") else { throw EC2Error("InvalidInstanceID.Malformed", "Invalid id: \"\(id)\"") }
        let views = try await instanceViews(servers: try await listServers())
        guard let view = views.first(where: { $0.id == id }), view.state.name != "terminated" else {
            throw instanceNotFound(id)
        }
        return view
    }

    func describeInstanceAttribute() async throws -> [XMLNode] {
        let attribute = try params.required("Attribute")
        let view = try await attributeInstance()
        try dryRun(write: false)
        var nodes: [XMLNode] = [.text("instanceId", view.id)]
        switch attribute {
        case "instanceType":
            nodes.append(.element("instanceType", [.text("value", view.instanceType)]))
        case "disableApiTermination":
            let locked = view.server["locked"]?.boolValue ?? false
            nodes.append(.element("disableApiTermination", [.text("value", locked ? "true" : "false")]))
        case "instanceInitiatedShutdownBehavior":
            nodes.append(.element("instanceInitiatedShutdownBehavior", [.text("value", "stop")]))
        case "rootDeviceName":
            nodes.append(.element("rootDeviceName", [.text("value", "/dev/vda")]))
        case "userData":
            let userData = try await api.store.userData(instanceUUID: view.uuid)
            nodes.append(.element("userData", XMLNode.optional("value", userData)))
        case "groupSet":
            nodes.append(.element("groupSet", []))
        case "blockDeviceMapping":
            nodes.append(.element("blockDeviceMapping", []))
        default:
            throw EC2Error.invalid("Attribute", attribute, "It is not an instance attribute this API answers.")
        }
        return nodes
    }

    func modifyInstanceAttribute() async throws -> [XMLNode] {
        let view = try await attributeInstance()
        let type = params["InstanceType.Value"] ?? (params["Attribute"] == "instanceType" ? params["Value"] : nil)
        let termination =
            params["DisableApiTermination.Value"]
            ?? (params["Attribute"] == "disableApiTermination" ? params["Value"] : nil)
        if params["UserData.Value"] != nil || params["Attribute"] == "userData" {
            throw EC2Error(
                "UnsupportedOperation",
                "The user data of an instance cannot be changed here (Nova changes it only by rebuilding).")
        }
        guard type != nil || termination != nil else {
            throw EC2Error.missing("InstanceType.Value or DisableApiTermination.Value")
        }
        if let termination, !["true", "false"].contains(termination.lowercased()) {
            throw EC2Error.invalid("DisableApiTermination.Value", termination, "It must be true or false.")
        }
        var flavorID: String?
        if let type {
            guard view.state.name == "stopped" else {
                throw EC2Error(
                    "IncorrectInstanceState", "The instance '\(view.id)' is not 'stopped': its type cannot change.")
            }
            let flavors = try await expect(.compute, .get, "/flavors/detail")["flavors"]?.arrayValue ?? []
            guard let found = flavors.first(where: { $0["name"]?.stringValue == type })?["id"]?.stringValue else {
                throw EC2Error("InvalidParameterValue", "Invalid value '\(type)' for InstanceType.")
            }
            flavorID = found
        }
        try dryRun(write: true)
        if let termination {
            try await expect(
                .compute, .post, "/servers/\(view.uuid)/action",
                body: termination.lowercased() == "true" ? ["lock": .null] : ["unlock": .null],
                notFound: instanceNotFound(view.id))
        }
        if let flavorID, type != view.instanceType {
            try await expect(
                .compute, .post, "/servers/\(view.uuid)/action", body: ["resize": ["flavorRef": .string(flavorID)]],
                notFound: instanceNotFound(view.id),
                conflict: EC2Error("IncorrectInstanceState", "The instance '\(view.id)' cannot be resized now."))
            confirmWhenResized(view.uuid)
        }
        return [.text("return", "true")]
    }

    /// EC2 changes a type in one step: the resize is confirmed as soon as it waits for confirmation (polled
    /// with the caller's token for up to ten minutes; past that, the conductor's resize_confirm_window).
    func confirmWhenResized(_ uuid: String) {
        let api = self.api
        let token = self.token
        Task.detached {
            for _ in 0..<600 {
                try? await Task.sleep(for: .seconds(1))
                guard
                    let reply = try? await api.backend.call(
                        .compute, .get, "/servers/\(uuid)", token: token, body: nil, version: nil, contentType: nil),
                    reply.isSuccess, let status = reply.json?["server"]?["status"]?.stringValue
                else { continue }
                if status == "VERIFY_RESIZE" {
                    _ = try? await api.backend.call(
                        .compute, .post, "/servers/\(uuid)/action", token: token, body: ["confirmResize": .null],
                        version: nil, contentType: nil)
                    return
                }
                if status == "ERROR" { return }
            }
        }
    }
}
