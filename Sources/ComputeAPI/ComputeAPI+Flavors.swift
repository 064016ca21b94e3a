import APISupport
import Foundation
import Hummingbird
import NovaCore

extension ComputeAPI {
    func registerFlavors(on v21: RouterGroup<NovaRequestContext>) {
        v21.get("flavors") { request, context in try await listFlavors(request, context, detail: false) }
        v21.get("flavors/detail") { request, context in try await listFlavors(request, context, detail: true) }
        v21.get("flavors/{id}") { request, context in
            let flavor = try await visibleFlavor(context.parameter("id"), context)
            return Response.json(["flavor": flavorView(flavor, request, context)])
        }
        v21.post("flavors") { request, context in try await createFlavor(request, context) }
        v21.put("flavors/{id}") { request, context in
            try PolicyRule.admin.enforce("os_compute_api:os-flavor-manage:update", try context.caller())
            guard context.apiVersion >= APIVersion(2, 55) else {
                throw NovaError(.badMethod, "Method not allowed before 2.55")
            }
            let body = try await request.jsonBody(context: context)
            guard let flavorBody = body["flavor"], flavorBody["description"] != nil else {
                throw NovaError.badRequest(
                    "Invalid input for field/attribute flavor. 'description' is a required property")
            }
            let description = flavorBody["description"]?.stringValue
            let flavor = try await store.updateFlavor(id: context.parameter("id")) { $0.description = description }
            return Response.json(["flavor": flavorView(flavor, request, context)])
        }
        v21.delete("flavors/{id}") { _, context in
            try PolicyRule.admin.enforce("os_compute_api:os-flavor-manage:delete", try context.caller())
            try await store.deleteFlavor(id: context.parameter("id"))
            return Response.empty(status: 202)
        }
        registerFlavorExtras(on: v21)
    }

    /// A flavor the caller may use: public, or private with access for the caller's project (admins see all).
    func visibleFlavor(_ id: String, _ context: NovaRequestContext) async throws -> Flavor {
        let caller = try context.caller()
        guard let flavor = try await store.flavor(id: id) else {
            throw NovaError.notFound("Flavor \(id) could not be found.")
        }
        if !flavor.isPublic, !caller.isAdmin,
            !(try await store.flavorProjects(id: id)).contains(caller.projectID)
        {
            throw NovaError.notFound("Flavor \(id) could not be found.")
        }
        return flavor
    }

    func listFlavors(_ request: Request, _ context: NovaRequestContext, detail: Bool) async throws -> Response {
        let caller = try context.caller()
        let query = request.query
        var isPublic: Bool? = true
        var project: String? = caller.projectID
        if caller.isAdmin {
            project = nil
            if let text = query["is_public"] {
                isPublic = text.lowercased() == "none" ? nil : QueryParameters("x=\(text)").flag("x")
            }
        } else {
            isPublic = nil
        }
        var flavors = try await store.flavors(isPublic: isPublic, projectID: project)
        if !caller.isAdmin { flavors.removeAll(where: \.disabled) }
        if context.apiVersion >= APIVersion(2, 102), let pattern = query["name"] {
            // Nova matches the name as a regular expression (REGEXP), anywhere in it.
            let regex = try Self.regex(pattern, field: "name")
            flavors = flavors.filter { regex.matches($0.name) }
        }
        flavors = try Self.sortedFlavors(flavors, query, version: context.apiVersion)
        if let minRAM = query["minRam"] {
            let value = try CheckedInput.integer(minRAM, field: "minRam", in: Int.min...Int.max) ?? 0
            flavors = flavors.filter { $0.memoryMB >= value }
        }
        if let minDisk = query["minDisk"] {
            let value = try CheckedInput.integer(minDisk, field: "minDisk", in: Int.min...Int.max) ?? 0
            flavors = flavors.filter { $0.rootGB >= value }
        }
        let page = try Page(query, maxLimit: config.maxLimit)
        let (items, full) = try page.apply(flavors, id: \.id)
        var body: JSONObject = [
            "flavors": .array(
                items.map { detail ? flavorView($0, request, context) : flavorSummary($0, request, context) })
        ]
        if full, let last = items.last {
            body["flavors_links"] = Page.nextLink(request, base: base(request), lastID: last.id, limit: page.limit)
        }
        return Response.json(.object(body))
    }

    /// `sort_key` (Nova's column names; `rxtx_factor` until 2.102) and `sort_dir`; by flavor id when not asked.
    static func sortedFlavors(_ flavors: [Flavor], _ query: QueryParameters, version: APIVersion) throws -> [Flavor] {
        guard query["sort_key"] != nil || query["sort_dir"] != nil else { return flavors }
        let key = query["sort_key"] ?? "flavorid"
        let direction = query["sort_dir"] ?? "asc"
        guard direction == "asc" || direction == "desc" else {
            throw NovaError.badRequest(
                "Invalid input for query parameters sort_dir. Value: \(direction). '\(direction)' is not one of ['asc', 'desc']"
            )
        }
        let numbers: [String: (Flavor) -> Double] = [
            "memory_mb": { Double($0.memoryMB) }, "vcpus": { Double($0.vcpus) }, "root_gb": { Double($0.rootGB) },
            "ephemeral_gb": { Double($0.ephemeralGB) }, "swap": { Double($0.swapMB) },
            "is_public": { $0.isPublic ? 1 : 0 }, "disabled": { $0.disabled ? 1 : 0 }, "vcpu_weight": { _ in 0 },
            "rxtx_factor": { $0.rxtxFactor },
        ]
        let texts: [String: (Flavor) -> String] = [
            "flavorid": \.id, "id": \.id, "name": \.name, "description": { $0.description ?? "" },
            "created_at": \.id, "updated_at": \.id,
        ]
        var ascending: (Flavor, Flavor) -> Bool
        if let number = numbers[key], key != "rxtx_factor" || version < APIVersion(2, 102) {
            ascending = { (number($0), $0.id) < (number($1), $1.id) }
        } else if let text = texts[key] {
            ascending = { (text($0), $0.id) < (text($1), $1.id) }
        } else {
            throw NovaError.badRequest(
                "Invalid input for query parameters sort_key. Value: \(key). '\(key)' is not one of the sort keys")
        }
        if direction == "desc" {
            let forward = ascending
            ascending = { forward($1, $0) }
        }
        return flavors.sorted(by: ascending)
    }

    func flavorSummary(_ flavor: Flavor, _ request: Request, _ context: NovaRequestContext) -> JSON {
        var json: JSONObject = [
            "id": .string(flavor.id), "links": links(request, "flavors", flavor.id), "name": .string(flavor.name),
        ]
        if context.apiVersion >= APIVersion(2, 55) { json["description"] = .optional(flavor.description) }
        return .object(json)
    }

    func flavorView(_ flavor: Flavor, _ request: Request, _ context: NovaRequestContext) -> JSON {
        let version = context.apiVersion
        var json = JSONObject()
        json.append("id", .string(flavor.id))
        json.append("name", .string(flavor.name))
        json.append("ram", .int(flavor.memoryMB))
        json.append("disk", .int(flavor.rootGB))
        json.append("vcpus", .int(flavor.vcpus))
        json.append(
            "swap", version >= APIVersion(2, 75) ? .int(flavor.swapMB) : (flavor.swapMB == 0 ? "" : .int(flavor.swapMB))
        )
        json.append("OS-FLV-EXT-DATA:ephemeral", .int(flavor.ephemeralGB))
        // 2.102 removed the disabled flag and rxtx_factor.
        if version < APIVersion(2, 102) { json.append("OS-FLV-DISABLED:disabled", .bool(flavor.disabled)) }
        json.append("os-flavor-access:is_public", .bool(flavor.isPublic))
        if version < APIVersion(2, 102) { json.append("rxtx_factor", .double(flavor.rxtxFactor)) }
        json.append("links", links(request, "flavors", flavor.id))
        if version >= APIVersion(2, 55) { json.append("description", .optional(flavor.description)) }
        if version >= APIVersion(2, 61) { json.append("extra_specs", Self.specsJSON(flavor.extraSpecs)) }
        return .object(json)
    }

    static func specsJSON(_ specs: [String: String]) -> JSON {
        var object = JSONObject()
        for (key, value) in specs.sorted(by: { $0.key < $1.key }) { object.append(key, .string(value)) }
        return .object(object)
    }

    /// Nova's flavor id pattern: `^(?! )[a-zA-Z0-9. _-]+(?<! )$`.
    static let flavorIDCharacters = Set(
        "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789. _-".unicodeScalars)

    static func isFlavorID(_ text: String) -> Bool {
        !text.hasPrefix(" ") && !text.hasSuffix(" ") && text.unicodeScalars.allSatisfy(flavorIDCharacters.contains)
    }

    func createFlavor(_ request: Request, _ context: NovaRequestContext) async throws -> Response {
        try PolicyRule.admin.enforce("os_compute_api:os-flavor-manage:create", try context.caller())
        let body = try await request.jsonBody(context: context)
        guard let spec = body["flavor"]?.objectValue else {
            throw NovaError.badRequest("Invalid input for field/attribute flavor. 'flavor' is a required property")
        }
        var allowed: Set<String> = [
            "name", "id", "ram", "vcpus", "disk", "OS-FLV-EXT-DATA:ephemeral", "swap", "os-flavor-access:is_public",
        ]
        if context.apiVersion < APIVersion(2, 102) { allowed.insert("rxtx_factor") }
        if context.apiVersion >= APIVersion(2, 55) { allowed.insert("description") }
        if let unknown = spec.keys.first(where: { !allowed.contains($0) }) {
            throw NovaError.badRequest(
                "Invalid input for field/attribute flavor. Additional properties are not allowed ('\(unknown)' was unexpected)"
            )
        }
        func integer(_ key: String, minimum: Int, required: Bool) throws -> Int {
            guard let value = spec[key] else {
                if required {
                    throw NovaError.badRequest(
                        "Invalid input for field/attribute flavor. '\(key)' is a required property")
                }
                return 0
            }
            return try CheckedInput.requiredInteger(
                value, field: key, in: minimum...CheckedInput.maxDatabaseInteger, allowString: true)
        }
        guard let name = try CheckedInput.text(spec["name"], field: "name", length: 1...255),
            !name.trimmingCharacters(in: .whitespaces).isEmpty
        else {
            throw NovaError.badRequest(
                "Invalid input for field/attribute name. A flavor needs a name of 1 to 255 characters.")
        }
        var id = UUID().uuidString.lowercased()
        if let given = spec["id"], !given.isNull {
            // checked: a whole number becomes the id text (intValue never traps)
            guard let text = given.stringValue ?? given.intValue.map(String.init), (1...255).contains(text.count),
                Self.isFlavorID(text)
            else {
                throw NovaError.badRequest(
                    "Invalid input for field/attribute id. Value: \(given.serialized().prefix(64)). "
                        + "A flavor id is 1 to 255 letters, digits, '.', '_', '-' or inner spaces")
            }
            if text != "auto" { id = text }
        }
        let flavor = Flavor(
            id: id, name: name, vcpus: try integer("vcpus", minimum: 1, required: true),
            memoryMB: try integer("ram", minimum: 1, required: true),
            rootGB: try integer("disk", minimum: 0, required: true),
            ephemeralGB: try integer("OS-FLV-EXT-DATA:ephemeral", minimum: 0, required: false),
            swapMB: try integer("swap", minimum: 0, required: false),
            rxtxFactor: try CheckedInput.number(spec["rxtx_factor"], field: "rxtx_factor", in: 1e-300...3.40282e38)
                ?? 1.0,
            isPublic: try CheckedInput.boolean(spec["os-flavor-access:is_public"], field: "os-flavor-access:is_public")
                ?? true,
            description: context.apiVersion >= APIVersion(2, 55) ? spec["description"]?.stringValue : nil)
        try await store.createFlavor(flavor)
        return Response.json(["flavor": flavorView(flavor, request, context)])
    }
}
