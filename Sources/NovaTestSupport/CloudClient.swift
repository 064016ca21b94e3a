import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NovaCloud
import NovaCore
import Testing

/// A response as a test reads it.
public struct Reply: Sendable {
    public let status: Int
    public let headers: HTTPFields
    public let json: JSON?
    public let text: String
    public let bytes: [UInt8]
}

/// Talks to a cloud under test through its HTTP API, as a client would.
public struct CloudClient: Sendable {
    public let client: any TestClientProtocol

    public init(client: any TestClientProtocol) { self.client = client }

    public func request(
        _ method: HTTPRequest.Method, _ path: String, token: String? = nil, version: String? = nil, body: JSON? = nil,
        rawBody: [UInt8]? = nil, headers extra: HTTPFields = [:]
    ) async throws -> Reply {
        var headers = extra
        if let token { headers[HTTPField.Name("X-Auth-Token")!] = token }
        if let version {
            headers[HTTPField.Name("OpenStack-API-Version")!] =
                version.hasPrefix("1.") ? "placement \(version)" : "compute \(version)"
        }
        var buffer: ByteBuffer?
        if let body {
            buffer = ByteBuffer(string: body.serialized())
            headers[.contentType] = "application/json"
        } else if let rawBody {
            buffer = ByteBuffer(bytes: rawBody)
        }
        let response = try await client.execute(uri: path, method: method, headers: headers, body: buffer)
        let bytes = Array(response.body.readableBytesView)
        return Reply(
            status: Int(response.status.code), headers: response.headers, json: JSON.parse(bytes),
            text: String(decoding: bytes, as: UTF8.self), bytes: bytes)
    }

    /// A project-scoped token for a user of the Default domain.
    public func token(user: String, password: String, project: String) async throws -> String {
        let body: JSON = [
            "auth": [
                "identity": [
                    "methods": ["password"],
                    "password": [
                        "user": ["name": .string(user), "domain": ["name": "Default"], "password": .string(password)]
                    ],
                ],
                "scope": ["project": ["name": .string(project), "domain": ["name": "Default"]]],
            ]
        ]
        let reply = try await request(.post, "/identity/v3/auth/tokens", body: body)
        try #require(reply.status == 201, "authentication failed: \(reply.text)")
        return try #require(reply.headers[HTTPField.Name("X-Subject-Token")!])
    }

    /// Creates a server and returns its id.
    public func createServer(
        _ name: String, token: String, flavor: String = "1", image: String, extra: JSONObject = [:],
        version: String? = nil
    ) async throws -> String {
        var server: JSONObject = ["name": .string(name), "flavorRef": .string(flavor), "imageRef": .string(image)]
        for (key, value) in extra.entries { server[key] = value }
        let reply = try await request(
            .post, "/compute/v2.1/servers", token: token, version: version, body: ["server": .object(server)])
        try #require(reply.status == 202, "create failed: \(reply.text)")
        return try #require(reply.json?["server"]?["id"]?.stringValue)
    }

    /// Polls the server until its status is `status` and no task runs (or fails after `seconds`).
    @discardableResult
    public func waitFor(_ id: String, status: String, token: String, seconds: Int = 10) async throws -> JSON {
        var last: JSON?
        for _ in 0..<(seconds * 20) {
            let reply = try await request(.get, "/compute/v2.1/servers/\(id)", token: token)
            last = reply.json?["server"]
            if last?["status"]?.stringValue == status, last?["OS-EXT-STS:task_state"] ?? .null == .null {
                return last!
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        Issue.record("server \(id) did not reach \(status); last: \(last?.serialized() ?? "nothing")")
        return last ?? .null
    }
}

/// A fresh cloud in a temporary directory, run for the duration of `body`; `live` serves it on a free loopback
/// port (`client.client.port`) for clients that need a real socket.
public func withCloud<T: Sendable>(
    dataDirectory: String? = nil, fakeHosts: Int = 2, hostResources: Resources? = nil, live: Bool = false,
    configure: (inout CloudOptions) -> Void = { _ in },
    _ body: @Sendable (CloudClient, AllInOneCloud) async throws -> T
) async throws -> T {
    let directory =
        dataDirectory
        ?? FileManager.default.temporaryDirectory.appendingPathComponent("nova-test-\(UUID().uuidString)").path
    var options = CloudOptions(dataDirectory: directory)
    options.adminPassword = "test-admin"
    options.fakeHostCount = fakeHosts
    options.hostname = "fake"
    if let hostResources { options.fakeHostResources = hostResources }
    if let server = PostgresTestDatabase.serverURL {
        options.databaseURL = try PostgresTestDatabase.url(forDataDirectory: directory, server: server)
    }
    if live { options.listenPort = 0 }
    // Many clouds run at once here: none takes the metadata API's fixed port.
    options.metadata.enabled = false
    configure(&options)
    var logger = Logger(label: "test")
    logger.logLevel = .warning
    let cloud = try await AllInOneCloud.build(options: options, logger: logger)
    defer {
        // The volume service's NBD exports outlive a service by design (a restarted one finds them): a test
        // cloud's end takes them, by the data directory on their command lines.
        TestProcesses.kill(naming: directory + "/volumes/")
        if dataDirectory == nil { try? FileManager.default.removeItem(atPath: directory) }
    }
    let result = try await cloud.makeApplication().test(live ? .live : .router) { client in
        try await body(CloudClient(client: client), cloud)
    }
    await cloud.networkAPI.driver.stop()
    try await cloud.database.close()
    return result
}

extension CloudClient {
    public func adminToken() async throws -> String {
        try await token(user: "admin", password: "test-admin", project: "admin")
    }

    public func demoToken(_ cloud: AllInOneCloud) async throws -> String {
        try await token(user: "demo", password: try #require(cloud.firstStart.demoPassword), project: "demo")
    }

    public func defaultImage(token: String) async throws -> String {
        let reply = try await request(.get, "/image/v2/images?name=tiny-boot-sector", token: token)
        return try #require(reply.json?["images"]?.arrayValue?.first?["id"]?.stringValue)
    }

    /// The first nova-compute service (2.53 view: its id is a UUID), once `hosts` hosts have reported.
    public func firstComputeService(hosts: Int, token: String) async throws -> JSON {
        try await waitForHosts(hosts, token: token)
        let services = try await request(
            .get, "/compute/v2.1/os-services?binary=nova-compute", token: token, version: "2.53")
        return try #require(services.json?["services"]?.arrayValue?.first)
    }

    /// Boots `count` servers and checks that none lands on `host`.
    public func expectServersAvoid(host: JSON?, count: Int, token: String) async throws {
        let image = try await defaultImage(token: token)
        for index in 0..<count {
            let id = try await createServer("vm\(index)", token: token, image: image)
            let server = try await waitFor(id, status: "ACTIVE", token: token)
            #expect(server["OS-EXT-SRV-ATTR:host"] != host)
        }
    }

    /// Waits until every compute host has reported (its service is up, its node known, its provider in Placement).
    public func waitForHosts(_ count: Int, token: String) async throws {
        for _ in 0..<200 {
            let reply = try await request(.get, "/compute/v2.1/os-hypervisors", token: token)
            let providers = try await request(.get, "/placement/resource_providers", token: token)
            if reply.json?["hypervisors"]?.arrayValue?.count == count,
                providers.json?["resource_providers"]?.arrayValue?.count == count
            {
                return
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        Issue.record("compute hosts did not report")
    }
}
