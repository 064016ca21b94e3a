import APISupport
import Foundation
import HTTPTypes
import Hummingbird
import NovaCore
import PlacementCore

/// The Placement API 1.0 ... 1.39 under `/placement` (placement/handler.py), over the in-memory service.
public struct PlacementAPI: Sendable {
    let service: PlacementService
    let policy: PolicyEnforcer

    public init(service: PlacementService, policy: PolicyEnforcer) {
        self.service = service
        self.policy = policy
    }

    public func register(on router: Router<NovaRequestContext>) {
        let root = router.group("placement").add(middleware: PlacementMediaTypes())
        root.get { _, _ in versionDocument() }
        registerProviders(on: root)
        registerProviderParts(on: root)
        registerClassesAndTraits(on: root)
        registerAllocations(on: root)
        registerCandidates(on: root)
        registerMethodsNotAllowed(on: root)
    }

    func versionDocument() -> Response {
        Response.json([
            "versions": [
                [
                    "id": "v1.0", "max_version": .string("\(APIVersion.placementMaximum)"),
                    "min_version": .string("\(APIVersion.placementMinimum)"), "status": "CURRENT",
                    "links": [["rel": "self", "href": ""]],
                ]
            ]
        ])
    }
}

/// Request helpers shared by the handlers.
extension NovaRequestContext {
    /// Routes added in a later microversion are not there below it.
    func requirePlacement(_ minor: Int) throws {
        guard placementVersion >= APIVersion(1, minor) else {
            throw NovaError.notFound("The resource could not be found.")
        }
    }

    func placementAtLeast(_ minor: Int) -> Bool { placementVersion >= APIVersion(1, minor) }
}

extension JSON {
    /// A required integer field of a body, or Placement's 400.
    func requiredInt(_ key: String, in range: ClosedRange<Int> = 0...Int.max) throws -> Int {
        guard let value = self[key] else {
            throw NovaError.badRequest("JSON does not validate: '\(key)' is a required integer property")
        }
        return try PlacementAPI.integer(key, value, in: range)
    }

    func requiredObject(_ key: String) throws -> JSONObject {
        guard let value = self[key]?.objectValue else {
            throw NovaError.badRequest("JSON does not validate: '\(key)' is a required object property")
        }
        return value
    }

    /// `{"VCPU": 1, ...}` as a class -> amount map.
    func resourceAmounts() throws -> [String: Int] {
        guard let object = objectValue else { throw NovaError.badRequest("JSON does not validate: resources") }
        var amounts: [String: Int] = [:]
        for (name, value) in object.entries {
            amounts[name] = try PlacementAPI.integer(name, value, in: 1...CheckedInput.maxDatabaseInteger)
        }
        return amounts
    }
}

func resourcesJSON(_ amounts: [String: Int]) -> JSON {
    .object(JSONObject(amounts.sorted { $0.key < $1.key }.map { ($0.key, .int($0.value)) }))
}

func stringArray(_ values: some Sequence<String>) -> JSON { .array(values.sorted().map(JSON.string)) }

extension Response {
    static func created(_ body: JSON?, location: String) -> Response {
        var headers: HTTPFields = [.location: location]
        guard let body else { return .empty(status: 201, headers: headers) }
        headers[.contentType] = "application/json"
        return .json(body, status: 201, headers: headers)
    }
}
