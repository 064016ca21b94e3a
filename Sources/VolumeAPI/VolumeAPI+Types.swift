import APISupport
import Hummingbird
import NovaCore
import NovaDB
import VolumeCore

extension VolumeAPI {
    func registerTypes(on v3: RouterGroup<NovaRequestContext>) {
        v3.get("types") { request, context in
            let caller = try caller(context)
            let views = VolumeViews(caller: caller, version: context.volumeVersion, baseURL: "")
            let wantPublic = try flag(request.query["is_public"].map(JSON.string), field: "is_public")
            let items = try await store.types().filter { entry in
                let visible = entry.type.isPublic || caller.isAdmin || entry.projects.contains(caller.projectID)
                return visible && (wantPublic == nil || entry.type.isPublic == wantPublic)
            }.map { JSON.object(views.type($0.type)) }
            return Response.json(["volume_types": .array(items)])
        }
        v3.get("types/{id}") { _, context in
            let caller = try caller(context)
            let id = context.parameter("id")
            let type = try await volumeType(named: id == "default" ? nil : id, caller: caller)
            let views = VolumeViews(caller: caller, version: context.volumeVersion, baseURL: "")
            return Response.json(["volume_type": .object(views.type(type))])
        }
        v3.post("types") { request, context in
            let caller = try adminCaller(context, "volume_extension:types_manage")
            let body = try await body(request, context, resource: "volume_type")
            guard let name = try CheckedInput.text(body["name"], field: "name", length: 1...255) else {
                throw NovaError.badRequest("Invalid input for field/attribute name. 'name' is a required property")
            }
            var type = VolumeType(id: newID(), name: name, description: try text(body, "description") ?? "")
            type.isPublic = try flag(body["os-volume-type-access:is_public"], field: "is_public") ?? true
            type.extraSpecs = try metadata(body["extra_specs"], field: "extra_specs") ?? [:]
            type = try await store.createType(type, at: clock.now)
            let views = VolumeViews(caller: caller, version: context.volumeVersion, baseURL: "")
            return Response.json(["volume_type": .object(views.type(type))])
        }
        v3.put("types/{id}") { request, context in
            let caller = try adminCaller(context, "volume_extension:types_manage")
            let body = try await body(request, context, resource: "volume_type")
            let name = try CheckedInput.text(body["name"], field: "name", length: 1...255)
            let description = try text(body, "description")
            let isPublic = try flag(body["is_public"], field: "is_public")
            let id = try await volumeType(named: context.parameter("id"), caller: caller).id
            let type = try await store.updateType(id: id) { type in
                if let name {
                    guard type.name != VolumeType.defaultName else {
                        throw NovaError.badRequest("The default volume type cannot be renamed.")
                    }
                    type.name = name
                }
                if let description { type.description = description }
                if let isPublic { type.isPublic = isPublic }
            }
            let views = VolumeViews(caller: caller, version: context.volumeVersion, baseURL: "")
            return Response.json(["volume_type": .object(views.type(type))])
        }
        v3.delete("types/{id}") { _, context in
            let caller = try adminCaller(context, "volume_extension:types_manage")
            let type = try await volumeType(named: context.parameter("id"), caller: caller)
            guard type.name != VolumeType.defaultName else {
                throw NovaError.badRequest("Default volume type can not be deleted.")
            }
            try await store.deleteType(id: type.id)
            return Response.empty(status: 202)
        }
        registerTypeExtraSpecs(on: v3)
    }

    func registerTypeExtraSpecs(on v3: RouterGroup<NovaRequestContext>) {
        v3.get("types/{id}/extra_specs") { _, context in
            let caller = try adminCaller(context, "volume_extension:types_extra_specs:index")
            let type = try await volumeType(named: context.parameter("id"), caller: caller)
            return Response.json(["extra_specs": VolumeViews.strings(type.extraSpecs)])
        }
        v3.post("types/{id}/extra_specs") { request, context in
            let caller = try adminCaller(context, "volume_extension:types_extra_specs:create")
            let json = try await request.jsonBody(context: context)
            guard let specs = try metadata(json["extra_specs"], field: "extra_specs") else {
                throw NovaError.badRequest("Missing required element 'extra_specs' in request body.")
            }
            let id = try await volumeType(named: context.parameter("id"), caller: caller).id
            let type = try await store.updateType(id: id) { $0.extraSpecs.merge(specs) { _, new in new } }
            return Response.json(["extra_specs": VolumeViews.strings(type.extraSpecs.filter { specs[$0.key] != nil })])
        }
        v3.get("types/{id}/extra_specs/{key}") { _, context in
            let caller = try adminCaller(context, "volume_extension:types_extra_specs:show")
            let type = try await volumeType(named: context.parameter("id"), caller: caller)
            let key = context.parameter("key")
            guard let value = type.extraSpecs[key] else {
                throw NovaError.notFound("Volume Type \(type.id) has no extra specs with key \(key).")
            }
            return Response.json([key: .string(value)])
        }
        v3.put("types/{id}/extra_specs/{key}") { request, context in
            let caller = try adminCaller(context, "volume_extension:types_extra_specs:update")
            let key = context.parameter("key")
            let json = try await request.jsonBody(context: context)
            guard let object = json.objectValue, object.entries.count == 1, let value = object[key]?.stringValue else {
                throw NovaError.badRequest("Request body and URI mismatch")
            }
            let id = try await volumeType(named: context.parameter("id"), caller: caller).id
            try await store.updateType(id: id) { $0.extraSpecs[key] = value }
            return Response.json([key: .string(value)])
        }
        v3.delete("types/{id}/extra_specs/{key}") { _, context in
            let caller = try adminCaller(context, "volume_extension:types_extra_specs:delete")
            let key = context.parameter("key")
            let id = try await volumeType(named: context.parameter("id"), caller: caller).id
            try await store.updateType(id: id) { type in
                guard type.extraSpecs.removeValue(forKey: key) != nil else {
                    throw NovaError.notFound("Volume Type \(type.id) has no extra specs with key \(key).")
                }
            }
            return Response.empty(status: 202)
        }
        v3.get("types/{id}/os-volume-type-access") { _, context in
            let caller = try adminCaller(context, "volume_extension:volume_type_access")
            let id = context.parameter("id")
            guard let found = try await store.type(idOrName: id) else { throw NovaError.volumeTypeNotFound(id) }
            guard !found.type.isPublic else {
                throw NovaError.notFound("Access list not available for public volume types.")
            }
            _ = caller
            return Response.json([
                "volume_type_access": .array(
                    found.projects.map { ["volume_type_id": .string(found.type.id), "project_id": .string($0)] })
            ])
        }
        v3.post("types/{id}/action") { request, context in
            let caller = try adminCaller(context, "volume_extension:volume_type_access:addProjectAccess")
            let type = try await volumeType(named: context.parameter("id"), caller: caller)
            let json = try await request.jsonBody(context: context)
            let add = json["addProjectAccess"]
            guard let argument = add ?? json["removeProjectAccess"],
                let project = try CheckedInput.text(argument["project"], field: "project", length: 1...255)
            else { throw NovaError.badRequest("Missing required element 'project' in request body.") }
            guard !type.isPublic else {
                throw NovaError.badRequest(
                    "Invalid volume type: Type access modification is not applicable to public volume type.")
            }
            try await store.setTypeAccess(id: type.id, project: project, allowed: add != nil)
            return Response.empty(status: 202)
        }
    }

    /// The caller when an admin; Cinder's policy refusal otherwise.
    func adminCaller(_ context: NovaRequestContext, _ rule: String) throws -> Credentials {
        let caller = try caller(context)
        guard caller.isAdmin else { throw NovaError.forbidden("Policy doesn't allow \(rule) to be performed.") }
        return caller
    }
}
