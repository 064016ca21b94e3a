import APISupport
import Foundation
import Hummingbird
import NovaCore
import NovaDB
import VolumeCore

/// The Cinder v3 subset under `/volume/v3/{project_id}` (and, as Cinder allows from 3.67, without the
/// project): volumes and their actions, snapshots, volume types, attachments, quotas, limits and availability
/// zones. A change is stored first; the backend's part (data made, copied, grown, removed) is done by the
/// worker, which the change wakes.
public struct VolumeAPI: Sendable {
    let store: VolumeStore
    let worker: VolumeWorker
    let images: any VolumeImageService
    let clock: any WallClock
    /// Nova, told when an attached volume grew (`volume-extended`); nil: no one is told.
    let nova: (any ServerEventSink)?

    public static let prefix = "volume"

    public init(
        store: VolumeStore, worker: VolumeWorker, images: any VolumeImageService, clock: any WallClock,
        nova: (any ServerEventSink)? = nil
    ) {
        self.store = store
        self.worker = worker
        self.images = images
        self.clock = clock
        self.nova = nova
    }

    var options: VolumeOptions { store.options }

    public func register(on router: Router<NovaRequestContext>) {
        router.get(RouterPath(stringLiteral: Self.prefix)) { request, _ in Response.json(versions(request)) }
        router.get(RouterPath(stringLiteral: Self.prefix + "/v3")) { request, _ in Response.json(versions(request)) }
        for path in [Self.prefix + "/v3/{project_id}", Self.prefix + "/v3"] {
            let v3 = router.group(RouterPath(stringLiteral: path))
            registerVolumes(on: v3)
            registerVolumeActions(on: v3)
            registerSnapshots(on: v3)
            registerTypes(on: v3)
            registerLimits(on: v3)
            registerAttachments(on: v3)
        }
    }

    func versions(_ request: Request) -> JSON {
        let href = request.baseURL(fallback: "") + "/\(Self.prefix)/v3/"
        return [
            "versions": [
                [
                    "id": "v3.0", "status": "CURRENT", "version": .string(APIVersion.volumeMaximum.description),
                    "min_version": .string(APIVersion.volumeMinimum.description), "updated": "2023-08-31T00:00:00Z",
                    "links": [
                        ["rel": "describedby", "type": "text/html", "href": "https://docs.openstack.org/"],
                        ["rel": "self", "href": .string(href)],
                    ],
                    "media-types": [
                        ["base": "application/json", "type": "application/vnd.openstack.volume+json;version=3"]
                    ],
                ]
            ]
        ]
    }

    // MARK: Shared by the handlers

    /// The caller, once the project in the URL (when there is one) is the token's, as Cinder requires.
    func caller(_ context: NovaRequestContext) throws -> Credentials {
        let caller = try context.caller()
        if let project = context.parameters.get("project_id"), project != caller.projectID {
            throw NovaError.badRequest("Malformed request url")
        }
        return caller
    }

    /// The one object of a request body (`{"volume": {...}}`).
    func body(_ request: Request, _ context: NovaRequestContext, resource: String) async throws -> JSONObject {
        let json = try await request.jsonBody(context: context)
        guard let object = json[resource]?.objectValue else {
            throw NovaError.badRequest("Missing required element '\(resource)' in request body.")
        }
        return object
    }

    /// A name or description field: text up to 255 characters, or null.
    func text(_ body: JSONObject, _ key: String) throws -> String? {
        if body[key]?.isNull == true { return nil }
        return try CheckedInput.text(body[key], field: key, length: 0...255)
    }

    /// A metadata object: string keys (1-255) to string values (0-255).
    func metadata(_ value: JSON?, field: String = "metadata") throws -> [String: String]? {
        guard let value, !value.isNull else { return nil }
        guard let object = value.objectValue else {
            throw NovaError.invalidVolumeInput("\(field) must be a dictionary.")
        }
        var result: [String: String] = [:]
        for (key, item) in object.entries {
            guard (1...255).contains(key.count) else {
                throw NovaError.invalidVolumeInput("Metadata property key is blank or greater than 255 characters.")
            }
            guard let text = item.stringValue, text.count <= 255 else {
                throw NovaError.invalidVolumeInput(
                    "Metadata property value of key \(key) must be a string up to 255 characters.")
            }
            result[key] = text
        }
        return result
    }

    /// A boolean as Cinder reads one (`strutils.bool_from_string` with strict checking).
    func flag(_ value: JSON?, field: String) throws -> Bool? {
        guard let value, !value.isNull else { return nil }
        if let flag = value.boolValue { return flag }
        if let text = value.stringValue?.lowercased() {
            if ["true", "t", "yes", "y", "on", "1"].contains(text) { return true }
            if ["false", "f", "no", "n", "off", "0"].contains(text) { return false }
        }
        throw NovaError.invalidVolumeInput("\(field) must be a boolean, not \(value.serialized().prefix(64)).")
    }

    func newID() -> String { UUID().uuidString.lowercased() }
}
