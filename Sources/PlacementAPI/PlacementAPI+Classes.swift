import APISupport
import HTTPTypes
import Hummingbird
import NovaCore
import PlacementCore

/// /resource_classes (1.2) and /traits (1.6).
extension PlacementAPI {
    func classJSON(_ name: String, _ context: NovaRequestContext) -> JSON {
        [
            "name": .string(name),
            "links": [["rel": "self", "href": .string("\(context.placementRoot)/resource_classes/\(name)")]],
        ]
    }

    func registerClassesAndTraits(on root: RouterGroup<NovaRequestContext>) {
        root.get("resource_classes") { _, context in
            try context.requirePlacement(2)
            try authorize(context, "resource_classes:list")
            let state = service.snapshot
            let names = ResourceClasses.standard + state.customClasses.sorted()
            return Response.json(["resource_classes": .array(names.map { classJSON($0, context) })])
        }
        root.post("resource_classes") { request, context in
            try context.requirePlacement(2)
            try authorize(context, "resource_classes:create")
            let body = try await body(request, context, PlacementSchemas.resourceClass)
            guard let name = body["name"]?.stringValue else {
                throw NovaError.badRequest("JSON does not validate: 'name' is a required property")
            }
            try await service.write { try $0.createResourceClass(name) }
            return Response.created(nil, location: location(request, context, "/resource_classes/\(name)"))
        }
        root.get("resource_classes/{name}") { _, context in
            try context.requirePlacement(2)
            try authorize(context, "resource_classes:show")
            let name = context.parameter("name")
            guard service.snapshot.isKnownClass(name) else {
                throw NovaError.notFound("No such resource class \(name).")
            }
            return Response.json(classJSON(name, context))
        }
        root.put("resource_classes/{name}") { request, context in
            try context.requirePlacement(2)
            try authorize(context, "resource_classes:update")
            let name = context.parameter("name")
            guard context.placementAtLeast(7) else {
                // Before 1.7 a PUT renames a custom class.
                let body = try await body(request, context, PlacementSchemas.resourceClass)
                let newName = body["name"]?.stringValue ?? name
                try await service.write { try $0.renameResourceClass(name, to: newName) }
                return Response.json(classJSON(newName, context))
            }
            // From 1.7 a PUT makes sure the class exists: the name in the path is checked as a body would be.
            if let violation = PlacementSchemas.resourceClass.violation(of: ["name": .string(name)]) {
                throw NovaError.badRequest("JSON does not validate: \(violation.description)")
            }
            let headers: HTTPFields = [.location: location(request, context, "/resource_classes/\(name)")]
            if service.snapshot.isKnownClass(name) { return Response.empty(status: 204, headers: headers) }
            try await service.write { state in
                if !state.isKnownClass(name) { try state.createResourceClass(name) }
            }
            return Response.empty(status: 201, headers: headers)
        }
        root.delete("resource_classes/{name}") { _, context in
            try context.requirePlacement(2)
            try authorize(context, "resource_classes:delete")
            try await service.write { try $0.deleteResourceClass(context.parameter("name")) }
            return Response.empty(status: 204)
        }
        root.get("traits") { request, context in
            try context.requirePlacement(6)
            try authorize(context, "traits:list")
            try validateQuery(request, PlacementSchemas.traitsQuery)
            let state = service.snapshot
            var names = StandardTraits.allSet.union(state.customTraits)
            if let filter = request.query["name"] {
                if filter.hasPrefix("startswith:") {
                    let prefix = String(filter.dropFirst(11))
                    names = names.filter { $0.hasPrefix(prefix) }
                } else if filter.hasPrefix("in:") {
                    names = names.intersection(filter.dropFirst(3).split(separator: ",").map(String.init))
                } else {
                    throw NovaError.badRequest(
                        "Badly formatted name parameter. Expected name query string parameter in form: ?name=[in|startswith]:[name1,name2|prefix]. Got: \"\(filter)\""
                    )
                }
            }
            if let text = request.query["associated"], !["true", "false"].contains(text.lowercased()) {
                throw NovaError.badRequest("The query parameter \"associated\" only accepts \"true\" or \"false\"")
            }
            if let associated = request.query.flag("associated") {
                let used = state.providers.values.reduce(into: Set<String>()) { $0.formUnion($1.traits) }
                names = associated ? names.intersection(used) : names.subtracting(used)
            }
            return Response.json(["traits": stringArray(names)])
        }
        root.get("traits/{name}") { _, context in
            try context.requirePlacement(6)
            try authorize(context, "traits:show")
            guard service.snapshot.isKnownTrait(context.parameter("name")) else {
                throw NovaError.notFound("No such trait(s): \(context.parameter("name")).")
            }
            return Response.empty(status: 204, headers: Self.cacheHeaders(context))
        }
        root.put("traits/{name}") { request, context in
            try context.requirePlacement(6)
            try authorize(context, "traits:update")
            let name = context.parameter("name")
            // Only a custom trait may be PUT (a standard one is refused as a malformed name).
            guard ResourceClasses.isValidCustom(name) else {
                throw NovaError.badRequest(PlacementState.invalidTraitMessage)
            }
            var headers = Self.cacheHeaders(context)
            headers[.location] = location(request, context, "/traits/\(name)")
            if service.snapshot.isKnownTrait(name) { return Response.empty(status: 204, headers: headers) }
            try await service.write { state in
                if !state.isKnownTrait(name) { try state.createTrait(name) }
            }
            return Response.empty(status: 201, headers: headers)
        }
        root.delete("traits/{name}") { _, context in
            try context.requirePlacement(6)
            try authorize(context, "traits:delete")
            try await service.write { try $0.deleteTrait(context.parameter("name")) }
            return Response.empty(status: 204)
        }
    }

    /// From 1.15 a trait's answers carry the cache headers though they have no body.
    static func cacheHeaders(_ context: NovaRequestContext) -> HTTPFields {
        guard context.placementAtLeast(15) else { return [:] }
        return [.cacheControl: "no-cache", .lastModified: HTTPDate.now()]
    }
}
