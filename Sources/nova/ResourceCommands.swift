import ArgumentParser
import Foundation
import NovaClientKit
import NovaCore

/// A table of `items`, one column per (title, key).
func listTable(_ items: [JSON], _ columns: [(String, String)]) -> Table {
    Table(
        columns: columns.map(\.0),
        rows: items.map { item in columns.map { item[$0.1].map(ServerFormat.text) ?? "-" } })
}

func objectTable(_ object: JSON?) -> Table {
    .properties(
        (object?.objectValue?.entries ?? []).filter { $0.0 != "links" }.sorted { $0.0 < $1.0 }.map {
            ($0.0, ServerFormat.text($0.1))
        })
}

struct ServiceList: CloudCommand {
    static let configuration = CommandConfiguration(commandName: "service-list", abstract: "List services (admin).")
    @OptionGroup var global: GlobalOptions
    @Option var host: String?
    @Option var binary: String?

    func execute(_ session: Session, _ output: Output) async throws {
        var query: [String] = []
        if let host { query.append("host=\(ServerLookup.encode(host))") }
        if let binary { query.append("binary=\(ServerLookup.encode(binary))") }
        let services = try await session.compute(
            .GET, "/os-services" + (query.isEmpty ? "" : "?" + query.joined(separator: "&")))
        output.table(
            listTable(
                services?["services"]?.arrayValue ?? [],
                [
                    ("Id", "id"), ("Binary", "binary"), ("Host", "host"), ("Zone", "zone"), ("Status", "status"),
                    ("State", "state"), ("Updated_at", "updated_at"), ("Disabled Reason", "disabled_reason"),
                    ("Forced down", "forced_down"),
                ]))
    }
}

struct ServiceDisable: CloudCommand {
    static let configuration = CommandConfiguration(
        commandName: "service-disable", abstract: "Disable a service (admin).")
    @OptionGroup var global: GlobalOptions
    @Option(help: "Why it is disabled.") var reason: String?
    @Argument(help: "Service ID (2.53+).") var id: String

    func execute(_ session: Session, _ output: Output) async throws {
        var body: JSONObject = ["status": "disabled"]
        if let reason { body["disabled_reason"] = .string(reason) }
        let service = try await session.compute(.PUT, "/os-services/\(ServerLookup.encode(id))", body: .object(body))
        output.table(
            listTable(
                [service?["service"] ?? .null],
                [("Host", "host"), ("Binary", "binary"), ("Status", "status"), ("Disabled Reason", "disabled_reason")]))
    }
}

struct ServiceEnable: CloudCommand {
    static let configuration = CommandConfiguration(
        commandName: "service-enable", abstract: "Enable a service (admin).")
    @OptionGroup var global: GlobalOptions
    @Argument(help: "Service ID (2.53+).") var id: String

    func execute(_ session: Session, _ output: Output) async throws {
        let service = try await session.compute(
            .PUT, "/os-services/\(ServerLookup.encode(id))", body: ["status": "enabled"])
        output.table(
            listTable([service?["service"] ?? .null], [("Host", "host"), ("Binary", "binary"), ("Status", "status")]))
    }
}

struct HypervisorList: CloudCommand {
    static let configuration = CommandConfiguration(
        commandName: "hypervisor-list", abstract: "List hypervisors (admin).")
    @OptionGroup var global: GlobalOptions

    func execute(_ session: Session, _ output: Output) async throws {
        let list = try await session.compute(.GET, "/os-hypervisors")?["hypervisors"]?.arrayValue ?? []
        output.table(
            listTable(
                list,
                [
                    ("ID", "id"), ("Hypervisor hostname", "hypervisor_hostname"), ("State", "state"),
                    ("Status", "status"),
                ]))
    }
}

struct HypervisorShow: CloudCommand {
    static let configuration = CommandConfiguration(
        commandName: "hypervisor-show", abstract: "Show a hypervisor (admin).")
    @OptionGroup var global: GlobalOptions
    @Argument(help: "ID or host name.") var hypervisor: String

    func execute(_ session: Session, _ output: Output) async throws {
        let list = try await session.compute(.GET, "/os-hypervisors")?["hypervisors"]?.arrayValue ?? []
        guard
            let match = list.first(where: {
                $0["id"].map(ServerFormat.text) == hypervisor || $0["hypervisor_hostname"]?.stringValue == hypervisor
            }),
            let id = match["id"].map(ServerFormat.text)
        else { throw ClientError("No hypervisor matching '\(hypervisor)'.") }
        output.table(objectTable(try await session.compute(.GET, "/os-hypervisors/\(id)")?["hypervisor"]))
    }
}

struct FlavorList: CloudCommand {
    static let configuration = CommandConfiguration(commandName: "flavor-list", abstract: "List flavors.")
    @OptionGroup var global: GlobalOptions

    func execute(_ session: Session, _ output: Output) async throws {
        let flavors = try await session.compute(.GET, "/flavors/detail")?["flavors"]?.arrayValue ?? []
        output.table(
            listTable(
                flavors,
                [
                    ("ID", "id"), ("Name", "name"), ("Memory_MiB", "ram"), ("Disk", "disk"),
                    ("Ephemeral", "OS-FLV-EXT-DATA:ephemeral"), ("Swap", "swap"), ("VCPUs", "vcpus"),
                    ("RXTX_Factor", "rxtx_factor"), ("Is_Public", "os-flavor-access:is_public"),
                ]))
    }
}

struct FlavorShow: CloudCommand {
    static let configuration = CommandConfiguration(commandName: "flavor-show", abstract: "Show a flavor.")
    @OptionGroup var global: GlobalOptions
    @Argument var flavor: String

    func execute(_ session: Session, _ output: Output) async throws {
        let id = try await flavorID(flavor, session)
        output.table(objectTable(try await session.compute(.GET, "/flavors/\(ServerLookup.encode(id))")?["flavor"]))
    }
}

struct FlavorCreate: CloudCommand {
    static let configuration = CommandConfiguration(commandName: "flavor-create", abstract: "Create a flavor (admin).")
    @OptionGroup var global: GlobalOptions
    @Argument var name: String
    @Argument(help: "ID, or 'auto'.") var id: String
    @Argument(help: "Memory in MiB.") var ram: Int
    @Argument(help: "Root disk in GiB.") var disk: Int
    @Argument var vcpus: Int
    @Flag(name: .customLong("is-public"), inversion: .prefixedNo) var isPublic = true

    func execute(_ session: Session, _ output: Output) async throws {
        let body: JSON = [
            "flavor": [
                "name": .string(name), "id": id == "auto" ? .null : .string(id), "ram": .int(ram), "disk": .int(disk),
                "vcpus": .int(vcpus), "os-flavor-access:is_public": .bool(isPublic),
            ]
        ]
        output.table(objectTable(try await session.compute(.POST, "/flavors", body: body)?["flavor"]))
    }
}

struct FlavorDelete: CloudCommand {
    static let configuration = CommandConfiguration(commandName: "flavor-delete", abstract: "Delete a flavor (admin).")
    @OptionGroup var global: GlobalOptions
    @Argument var flavor: String

    func execute(_ session: Session, _ output: Output) async throws {
        try await session.compute(.DELETE, "/flavors/\(ServerLookup.encode(try await flavorID(flavor, session)))")
    }
}

struct ImageList: CloudCommand {
    static let configuration = CommandConfiguration(commandName: "image-list", abstract: "List images.")
    @OptionGroup var global: GlobalOptions

    func execute(_ session: Session, _ output: Output) async throws {
        let images = try await session.image(.GET, "/v2/images")?["images"]?.arrayValue ?? []
        output.table(listTable(images, [("ID", "id"), ("Name", "name"), ("Status", "status"), ("Size", "size")]))
    }
}

struct KeypairList: CloudCommand {
    static let configuration = CommandConfiguration(commandName: "keypair-list", abstract: "List keypairs.")
    @OptionGroup var global: GlobalOptions

    func execute(_ session: Session, _ output: Output) async throws {
        let pairs = (try await session.compute(.GET, "/os-keypairs")?["keypairs"]?.arrayValue ?? []).compactMap {
            $0["keypair"]
        }
        output.table(listTable(pairs, [("Name", "name"), ("Type", "type"), ("Fingerprint", "fingerprint")]))
    }
}

struct KeypairAdd: CloudCommand {
    static let configuration = CommandConfiguration(
        commandName: "keypair-add", abstract: "Create a keypair; without --pub-key the private key is printed.")
    @OptionGroup var global: GlobalOptions
    @Option(name: .customLong("pub-key"), help: "A public key file to import.") var publicKeyFile: String?
    @Argument var name: String

    func execute(_ session: Session, _ output: Output) async throws {
        var keypair: JSONObject = ["name": .string(name)]
        if let publicKeyFile {
            guard let text = try? String(contentsOfFile: publicKeyFile, encoding: .utf8) else {
                throw ClientError("Cannot read the public key file \(publicKeyFile).")
            }
            keypair["public_key"] = .string(text)
        }
        let created = try await session.compute(.POST, "/os-keypairs", body: ["keypair": .object(keypair)])
        if let privateKey = created?["keypair"]?["private_key"]?.stringValue { print(privateKey, terminator: "") }
    }
}

struct KeypairDelete: CloudCommand {
    static let configuration = CommandConfiguration(commandName: "keypair-delete", abstract: "Delete a keypair.")
    @OptionGroup var global: GlobalOptions
    @Argument var name: String

    func execute(_ session: Session, _ output: Output) async throws {
        try await session.compute(.DELETE, "/os-keypairs/\(ServerLookup.encode(name))")
    }
}

struct QuotaShow: CloudCommand {
    static let configuration = CommandConfiguration(commandName: "quota-show", abstract: "Show a project's quotas.")
    @OptionGroup var global: GlobalOptions
    @Option(help: "Project ID (default: yours).") var tenant: String?

    func execute(_ session: Session, _ output: Output) async throws {
        var project = tenant ?? ""
        if tenant == nil { project = try await session.projectID }
        let quota = try await session.compute(.GET, "/os-quota-sets/\(ServerLookup.encode(project))")?["quota_set"]
        output.table(
            Table(
                columns: ["Quota", "Limit"],
                rows: (quota?.objectValue?.entries ?? []).filter { $0.0 != "id" }.map {
                    [$0.0, ServerFormat.text($0.1)]
                }))
    }
}

struct QuotaUpdate: CloudCommand {
    static let configuration = CommandConfiguration(
        commandName: "quota-update", abstract: "Change a project's quotas (admin).")
    @OptionGroup var global: GlobalOptions
    @Argument(help: "Project ID.") var tenant: String
    @Option var instances: Int?
    @Option var cores: Int?
    @Option var ram: Int?
    @Option(name: .customLong("key-pairs")) var keyPairs: Int?
    @Flag(help: "Allow a limit below the current usage.") var force = false

    func execute(_ session: Session, _ output: Output) async throws {
        var set = JSONObject()
        for (key, value) in [("instances", instances), ("cores", cores), ("ram", ram), ("key_pairs", keyPairs)] {
            if let value { set[key] = .int(value) }
        }
        guard !set.entries.isEmpty else {
            throw ClientError("Give at least one of --instances, --cores, --ram, --key-pairs.")
        }
        if force { set["force"] = true }
        try await session.compute(
            .PUT, "/os-quota-sets/\(ServerLookup.encode(tenant))", body: ["quota_set": .object(set)])
    }
}

struct Limits: CloudCommand {
    static let configuration = CommandConfiguration(commandName: "limits", abstract: "Show absolute limits and usage.")
    @OptionGroup var global: GlobalOptions

    func execute(_ session: Session, _ output: Output) async throws {
        let absolute = try await session.compute(.GET, "/limits")?["limits"]?["absolute"]
        output.table(
            Table(
                columns: ["Name", "Value"],
                rows: (absolute?.objectValue?.entries ?? []).map { [$0.0, ServerFormat.text($0.1)] }))
    }
}

struct AvailabilityZoneList: CloudCommand {
    static let configuration = CommandConfiguration(
        commandName: "availability-zone-list", abstract: "List availability zones.")
    @OptionGroup var global: GlobalOptions

    func execute(_ session: Session, _ output: Output) async throws {
        let zones = try await session.compute(.GET, "/os-availability-zone")?["availabilityZoneInfo"]?.arrayValue ?? []
        output.table(
            Table(
                columns: ["Name", "Status"],
                rows: zones.map { zone in
                    [
                        zone["zoneName"]?.stringValue ?? "",
                        zone["zoneState"]?["available"]?.boolValue == true ? "available" : "not available",
                    ]
                }))
    }
}
