import APISupport
import Foundation
import Hummingbird
import NovaCore
import NovaDB

/// Console output and remote consoles (console_output.py, remote_consoles.py, console_auth_tokens.py).
extension ComputeAPI {
    func registerConsoles(on v21: RouterGroup<NovaRequestContext>) {
        v21.post("servers/{id}/remote-consoles") { request, context in
            guard context.apiVersion >= APIVersion(2, 6) else {
                throw NovaError.notFound("The resource could not be found.")
            }
            let instance = try await visibleInstance(context.parameter("id"), context)
            let body = try await request.jsonBody(context: context)
            guard let spec = body["remote_console"], let proto = spec["protocol"]?.stringValue,
                let type = spec["type"]?.stringValue
            else {
                throw NovaError.badRequest(
                    "Invalid input for field/attribute remote_console: protocol and type are required")
            }
            let types = Self.consoleTypes(context.apiVersion)
            guard types.contains(type) else {
                throw NovaError.badRequest(
                    "Invalid input for field/attribute type. Value: \(type). '\(type)' is not one of \(types.map { "'\($0)'" })"
                )
            }
            let url = try await consoleURL(instance, protocol: proto, type: type, context)
            return Response.json(
                ["remote_console": ["protocol": .string(proto), "type": .string(type), "url": .string(url)]])
        }
        v21.get("os-console-auth-tokens/{token}") { _, context in
            try PolicyRule.admin.enforce("os_compute_api:os-console-auth-tokens", try context.caller())
            let token = context.parameter("token")
            guard let record = try await store.consoleToken(token, now: clock.now) else {
                throw NovaError.notFound("The token '\(token)' is invalid or has expired")
            }
            var console: JSONObject = [
                "instance_uuid": .string(record.instanceUUID), "host": .string(record.host),
                "port": .int(record.port),
                "internal_access_path": record.internalAccessPath.map(JSON.string) ?? .null,
            ]
            // 2.99: a spice-direct console's TLS port too; the guests' SPICE servers have none (no
            // `[spice] require_secure` certificates), as libvirt reports then.
            if context.apiVersion >= APIVersion(2, 99), record.consoleType == "spice-direct" {
                console["tls_port"] = .null
            }
            return Response.json(["console": .object(console)])
        }
    }

    /// Actions that answer with a body: console output, the legacy VNC console action, createImage.
    func answeringAction(
        _ name: String, _ argument: JSON, _ instance: Instance, _ request: Request, _ context: NovaRequestContext
    )
        async throws -> Response?
    {
        switch name {
        case "os-getConsoleOutput":
            try PolicyRule.projectMemberOrAdmin.enforce(
                "os_compute_api:os-console-output", try context.caller(), targetProject: instance.projectID)
            let length = try Self.consoleLength(argument["length"])
            guard let host = instance.host, instance.vmState != .building else {
                throw NovaError.conflict("Instance \(instance.uuid) is not ready")
            }
            let output = try await compute.consoleOutput(
                instance, length: length, host: host, context: context.rpcContext)
            return Response.json(["output": .string(output)])
        case "os-getVNCConsole":
            guard context.apiVersion < APIVersion(2, 6) else {
                throw NovaError.notFound("The action 'os-getVNCConsole' is not available at this microversion.")
            }
            guard let type = argument["type"]?.stringValue else {
                throw NovaError.badRequest("Invalid input for field/attribute type. Value must be novnc or xvpvnc")
            }
            let url = try await consoleURL(instance, protocol: "vnc", type: type, context)
            return Response.json(["console": ["type": .string(type), "url": .string(url)]])
        case "os-getSerialConsole", "os-getSPICEConsole":
            // The other legacy console actions (before remote-consoles): serial and SPICE, each 400 when its
            // console type is not enabled, as in Nova.
            guard context.apiVersion < APIVersion(2, 6) else {
                throw NovaError.notFound("The action '\(name)' is not available at this microversion.")
            }
            let serial = name == "os-getSerialConsole"
            let allowed = serial ? ["serial"] : ["spice-html5"]
            guard let type = argument["type"]?.stringValue, allowed.contains(type) else {
                throw NovaError.badRequest("Invalid input for field/attribute type. Value must be \(allowed[0])")
            }
            let url = try await consoleURL(instance, protocol: serial ? "serial" : "spice", type: type, context)
            return Response.json(["console": ["type": .string(type), "url": .string(url)]])
        case "createImage":
            return try await createImage(argument, instance, request, context)
        default:
            return nil
        }
    }

    /// `length`: an integer (or a string of one); -1 or null for everything.
    static func consoleLength(_ value: JSON?) throws -> Int? {
        let number = try CheckedInput.integer(
            value, field: "length", in: -1...Int.max, allowString: true, nullIsAbsent: true)
        return number == -1 ? nil : number
    }

    /// The console types remote-consoles takes: webmks from 2.8, spice-direct from 2.99.
    static func consoleTypes(_ version: APIVersion) -> [String] {
        var types = ["novnc", "xvpvnc", "spice-html5", "serial", "rdp-html5"]
        if version >= APIVersion(2, 8) { types.append("webmks") }
        if version >= APIVersion(2, 99) { types.append("spice-direct") }
        return types
    }

    /// Asks the instance's host where its console listens and stores a new token for it (only its sha256).
    func consoleURL(_ instance: Instance, protocol proto: String, type: String, _ context: NovaRequestContext)
        async throws -> String
    {
        try PolicyRule.projectMemberOrAdmin.enforce(
            "os_compute_api:os-remote-consoles", try context.caller(), targetProject: instance.projectID)
        let base: String
        switch (proto, type) {
        case ("vnc", "novnc"): base = config.novncProxyBaseURL
        case ("vnc", "xvpvnc"): base = config.rawVNCProxyBaseURL
        case ("serial", "serial") where config.serialConsoleBaseURL != nil: base = config.serialConsoleBaseURL!
        case ("spice", "spice-html5") where config.spiceConsoleBaseURL != nil: base = config.spiceConsoleBaseURL!
        // 2.99: a SPICE client's own proxy (Kerbside) turns the token into the guest's SPICE address.
        case ("spice", "spice-direct") where config.spiceConsoleBaseURL != nil: base = config.spiceDirectBaseURL
        case ("vnc", _), ("spice", _), ("rdp", _), ("serial", _), ("mks", _):
            throw NovaError.badRequest("Unavailable console type \(type).")
        default:
            throw NovaError.badRequest(
                "Invalid input for field/attribute protocol. Value: \(proto). It must be one of vnc, spice, serial, mks"
            )
        }
        if let task = instance.taskState, [.deleting, .migrating].contains(task) {
            throw NovaError.conflict("Instance \(instance.uuid) is in task_state \(task.rawValue)")
        }
        guard let host = instance.host, instance.vmState != .building else {
            throw NovaError.conflict("Instance \(instance.uuid) is not ready")
        }
        let endpoint =
            switch proto {
            case "serial": try await compute.serialConsole(instance, host: host, context: context.rpcContext)
            case "spice": try await compute.spiceConsole(instance, host: host, context: context.rpcContext)
            default: try await compute.vncConsole(instance, host: host, context: context.rpcContext)
            }
        let token = UUID().uuidString.lowercased()
        try await store.createConsoleToken(
            ConsoleAuthToken(
                tokenHash: ConsoleAuthToken.hash(token), consoleType: type, host: endpoint.host, port: endpoint.port,
                internalAccessPath: endpoint.internalAccessPath, instanceUUID: instance.uuid, computeHost: host,
                expires: clock.now.addingTimeInterval(config.consoleTokenTTL), accessURLBase: base))
        return Self.accessURL(base: base, token: token, noVNC: type == "novnc")
    }

    /// noVNC >= 1.0 reads the WebSocket path from `path`: `?path=%3Ftoken%3D<token>`; others take `?token=`.
    static func accessURL(base: String, token: String, noVNC: Bool) -> String {
        let separator = base.contains("?") ? "&" : "?"
        return noVNC ? base + separator + "path=%3Ftoken%3D" + token : base + separator + "token=" + token
    }
}
