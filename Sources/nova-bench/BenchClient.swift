import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import NovaCore

/// The few API calls the benchmark makes, as admin.
struct BenchClient: Sendable {
    let http = HTTPClient(eventLoopGroupProvider: .singleton)
    let baseURL: String
    let token: String

    init(baseURL: String, password: String = "bench") async throws {
        self.baseURL = baseURL
        let body: JSON = [
            "auth": [
                "identity": [
                    "methods": ["password"],
                    "password": [
                        "user": ["name": "admin", "domain": ["name": "Default"], "password": .string(password)]
                    ],
                ],
                "scope": ["project": ["name": "admin", "domain": ["name": "Default"]]],
            ]
        ]
        var request = HTTPClientRequest(url: baseURL + "/identity/v3/auth/tokens")
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.body = .bytes(ByteBuffer(string: body.serialized()))
        let response = try await http.execute(request, timeout: .seconds(30))
        guard response.status.code == 201, let token = response.headers.first(name: "X-Subject-Token") else {
            throw BenchError("authentication failed: \(response.status)")
        }
        self.token = token
        self.projectID = try await Self.project(http, baseURL, token)
    }

    let projectID: String

    static func project(_ http: HTTPClient, _ baseURL: String, _ token: String) async throws -> String {
        var request = HTTPClientRequest(url: baseURL + "/identity/v3/auth/projects")
        request.headers.add(name: "X-Auth-Token", value: token)
        let response = try await http.execute(request, timeout: .seconds(30))
        let json = JSON.parse(Array(try await response.body.collect(upTo: 1 << 20).readableBytesView))
        guard let id = json?["projects"]?.arrayValue?.first(where: { $0["name"] == "admin" })?["id"]?.stringValue else {
            throw BenchError("admin project not found")
        }
        return id
    }

    func shutdown() async {
        try? await http.shutdown()
    }

    @discardableResult
    func send(_ method: HTTPMethod, _ path: String, body: JSON? = nil, headers: [(String, String)] = []) async throws
        -> (Int, JSON?)
    {
        var request = HTTPClientRequest(url: baseURL + path)
        request.method = method
        request.headers.add(name: "X-Auth-Token", value: token)
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        request.headers.add(name: "OpenStack-API-Version", value: "compute 2.96")
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(string: body.serialized()))
        }
        let response = try await http.execute(request, timeout: .seconds(60))
        let bytes = try await response.body.collect(upTo: 64 << 20)
        return (Int(response.status.code), JSON.parse(bytes.readableBytesView))
    }

    /// Reads a response whole without parsing it (what a latency figure should time), returning its size.
    func fetch(_ path: String) async throws -> Int {
        var request = HTTPClientRequest(url: baseURL + path)
        request.headers.add(name: "X-Auth-Token", value: token)
        request.headers.add(name: "OpenStack-API-Version", value: "compute 2.96")
        let response = try await http.execute(request, timeout: .seconds(60))
        let bytes = try await response.body.collect(upTo: 64 << 20)
        guard response.status.code == 200 else { throw BenchError("GET \(path) answered \(response.status)") }
        return bytes.readableBytes
    }

    func get(_ path: String) async throws -> JSON? {
        let (status, json) = try await send(.GET, path)
        guard status == 200 else { throw BenchError("GET \(path) answered \(status)") }
        return json
    }

    /// Waits for the QEMU compute host to report (it has probed QEMU); the id of the image nova-guest.
    func qemuReady() async throws -> String {
        for _ in 0..<300 {
            if let hypervisors = try await get("/compute/v2.1/os-hypervisors")?["hypervisors"]?.arrayValue,
                !hypervisors.isEmpty
            {
                break
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        guard
            let imageID = try await get("/image/v2/images?name=nova-guest")?["images"]?.arrayValue?.first?["id"]?
                .stringValue
        else { throw BenchError("image nova-guest not registered") }
        return imageID
    }

    func unlimitedQuota() async throws {
        let (status, _) = try await send(
            .PUT, "/compute/v2.1/os-quota-sets/\(projectID)",
            body: ["quota_set": ["instances": -1, "cores": -1, "ram": -1]])
        guard status == 200 else { throw BenchError("quota update answered \(status)") }
    }

    func defaultImage() async throws -> String {
        guard
            let id = try await get("/image/v2/images?name=tiny-boot-sector")?["images"]?.arrayValue?.first?["id"]?
                .stringValue
        else { throw BenchError("default image not found") }
        return id
    }

    func createServer(name: String, image: String, networks: JSON = "none") async throws {
        let (status, json) = try await send(
            .POST, "/compute/v2.1/servers",
            body: [
                "server": [
                    "name": JSON.string(name), "flavorRef": "1", "imageRef": JSON.string(image), "networks": networks,
                ]
            ])
        guard status == 202 else { throw BenchError("create answered \(status): \(json?.serialized() ?? "")") }
    }

    func count(status: String) async throws -> Int {
        try await get("/compute/v2.1/servers?status=\(status)")?["servers"]?.arrayValue?.count ?? 0
    }
}
