import AsyncHTTPClient
import HostSystem
import Logging
import NIOCore
import NIOHTTP1
import NovaCore
import NovaMetadata
import OVSDB

/// The metadata agent's settings (Neutron's `metadata_agent.ini`, in the one configuration file).
public struct MetadataAgentOptions: Sendable, Equatable {
    /// `[ovn] ovn_sb_connection`.
    public var southbound: String
    /// `[os_vif_ovs] ovsdb_connection`: this host's Open vSwitch (its chassis name, the bridge).
    public var ovsdb: String
    /// `[neutron] metadata_proxy_shared_secret`.
    public var sharedSecret: String
    /// `[DEFAULT] nova_metadata_host` and `nova_metadata_port`, as a URL.
    public var novaMetadataURL: String
    public var bridge = "br-int"
    /// The namespaces' name prefix (`ovnmeta-` as ovn-metadata-agent's; a host sharing the machine with
    /// another takes its own).
    public var namespacePrefix = "ovnmeta-"

    public init(southbound: String, ovsdb: String, sharedSecret: String, novaMetadataURL: String) {
        self.southbound = southbound
        self.ovsdb = ovsdb
        self.sharedSecret = sharedSecret
        self.novaMetadataURL = novaMetadataURL
    }
}

/// ovn-metadata-agent, on each compute host: for every network with a port bound to this chassis, a network
/// namespace plays the network's metadata port (a veth on the integration bridge with the port's MAC and
/// addresses, and 169.254.169.254), and a proxy listening there hands each guest's request to Nova's
/// metadata API with the guest's server id, project and the shared secret's signature. Namespaces follow the
/// southbound database: made when the first port of a network is bound here, gone with the last.
public actor OVNMetadataAgent {
    public static let metadataAddress = "169.254.169.254"

    let options: MetadataAgentOptions
    let logger = Logger(label: "neutron.ovn_metadata_agent")
    let southbound = OVSDBReplica()
    let http = HTTPClient(eventLoopGroupProvider: .singleton)
    private var sb: OVSDBClient?
    private var chassis: String?
    private var served: [String: ServedNetwork] = [:]
    private var background: Task<Void, Never>?
    private var sweptStale = false
    /// The bindings of the replica's version `bindingsVersion` (read again only when the replica changed).
    private var cachedBindings: MetadataBindings?
    private var bindingsVersion = -1

    struct ServedNetwork {
        var network: MetadataNetwork
        var namespace: NetworkNamespace
        var outerDevice: String
        var server: MetadataProxyServer?
    }

    public init(options: MetadataAgentOptions) {
        self.options = options
    }

    public func start() {
        background = Task { await self.run() }
    }

    public func stop() async {
        background?.cancel()
        _ = await background?.value
        for entry in served.values { await entry.server?.close() }
        await sb?.close()
        try? await http.shutdown()
    }

    /// Connects (and reconnects), and follows the southbound database: a pass whenever it changed, and one
    /// every 30 s that also retries what failed.
    private func run() async {
        var seen = -1
        var lastPass = ContinuousClock.now
        while !Task.isCancelled {
            if await sb?.isClosed ?? true {
                do {
                    try await connect()
                    seen = -1
                } catch {
                    logger.warning("OVN southbound \(options.southbound) not reached: \(error); retrying")
                    try? await Task.sleep(for: .seconds(2))
                    continue
                }
            }
            let count = southbound.updateCount
            if count != seen || ContinuousClock.now - lastPass >= .seconds(30) {
                seen = count
                lastPass = .now
                await reconcile()
            }
            try? await Task.sleep(for: .milliseconds(250))
        }
    }

    private func connect() async throws {
        let name = try await chassisName()
        let client = try await OVSDBClient.connect(to: options.southbound)
        southbound.reset()
        try await client.monitor(
            "OVN_Southbound", id: "metadata-agent", tables: MetadataBindings.tables, into: southbound)
        chassis = name
        sb = client
    }

    /// This host's chassis: the `system-id` ovn-controller registers it by.
    private func chassisName() async throws -> String {
        let client = try await OVSDBClient.connect(to: options.ovsdb)
        defer { Task { await client.close() } }
        let result = try await client.transact(
            "Open_vSwitch", [.select("Open_vSwitch", columns: ["external_ids"])])
        let row = result.first?["rows"]?.arrayValue?.first
        guard let name = row?["external_ids"]?.stringMap["system-id"], !name.isEmpty else {
            throw NovaError.internalError("Open vSwitch has no external_ids:system-id (ovn-controller's chassis)")
        }
        return name
    }

    /// What the southbound database says now: the replica is read again only after it changed, not per
    /// guest request.
    private func bindings() -> MetadataBindings? {
        guard let chassis else { return nil }
        let version = southbound.updateCount
        if let cachedBindings, version == bindingsVersion { return cachedBindings }
        let fresh = MetadataBindings(southbound.snapshot(), chassis: chassis)
        cachedBindings = fresh
        bindingsVersion = version
        return fresh
    }

    // MARK: Namespaces

    /// Makes the namespaces the bindings want and removes the others.
    func reconcile() async {
        guard let wanted = bindings()?.networks() else { return }
        let wantedByID = Dictionary(wanted.map { ($0.networkID, $0) }, uniquingKeysWith: { first, _ in first })
        for (id, entry) in served where wantedByID[id] != entry.network {
            await teardown(entry)
            served[id] = nil
        }
        if !sweptStale {
            // Namespaces a previous run left for networks no longer here.
            for namespace in NetworkNamespace.all(prefix: options.namespacePrefix)
            where wantedByID[String(namespace.name.dropFirst(options.namespacePrefix.count))] == nil {
                logger.info("removing stale \(namespace.name)")
                try? await namespace.delete()
            }
            sweptStale = true
        }
        for network in wanted where served[network.networkID] == nil {
            do {
                served[network.networkID] = try await provision(network)
                logger.info("serving metadata on network \(network.networkID)")
            } catch {
                logger.error("metadata for network \(network.networkID) not provisioned: \(error)")
            }
        }
    }

    private func provision(_ network: MetadataNetwork) async throws -> ServedNetwork {
        let device = "tap" + String(network.portID.prefix(10))
        var entry = ServedNetwork(
            network: network, namespace: NetworkNamespace(options.namespacePrefix + network.networkID),
            outerDevice: device + "0")
        do {
            try await entry.namespace.create()
            try await entry.namespace.addVeth(
                outer: entry.outerDevice, inner: device + "1", mac: network.mac,
                addresses: network.addresses + [Self.metadataAddress + "/32"])
            try await OVSPorts(connection: options.ovsdb).plug(
                entry.outerDevice, bridge: options.bridge, externalIDs: ["iface-id": network.portID])
            let socket = try await entry.namespace.listeningSocket(address: Self.metadataAddress, port: 80)
            let networkID = network.networkID
            entry.server = try await MetadataProxyServer.serve(descriptor: socket) { [weak self] request in
                guard let self else { return ProxiedAnswer(status: 404, body: []) }
                return await self.forward(request, network: networkID)
            }
            return entry
        } catch {
            await teardown(entry)
            throw error
        }
    }

    private func teardown(_ entry: ServedNetwork) async {
        await entry.server?.close()
        try? await OVSPorts(connection: options.ovsdb).unplug(entry.outerDevice)
        do {
            try await entry.namespace.delete()
        } catch {
            logger.warning("\(entry.namespace.name) not deleted: \(error)")
        }
    }

    // MARK: The proxy

    /// A guest's request, sent on to Nova's metadata API as the server of the port with the guest's address
    /// (404 for an address no port of the network has).
    func forward(_ request: ProxiedRequest, network: String) async -> ProxiedAnswer {
        guard request.uri.hasPrefix("/"), ["GET", "HEAD", "POST"].contains(request.method) else {
            return ProxiedAnswer(status: 400, body: Array("Bad request".utf8))
        }
        guard let requester = bindings()?.requester(network: network, address: request.source)
        else { return ProxiedAnswer(status: 404, body: Array("Not Found".utf8)) }
        var outgoing = HTTPClientRequest(url: options.novaMetadataURL + request.uri)
        outgoing.method = HTTPMethod(rawValue: request.method)
        outgoing.headers.add(name: "X-Forwarded-For", value: request.source)
        outgoing.headers.add(name: "X-Instance-ID", value: requester.instanceID)
        outgoing.headers.add(name: "X-Tenant-ID", value: requester.projectID)
        outgoing.headers.add(
            name: "X-Instance-ID-Signature",
            value: MetadataHandler.signature(requester.instanceID, secret: options.sharedSecret))
        if let type = request.contentType { outgoing.headers.add(name: "Content-Type", value: type) }
        if request.method == "POST" { outgoing.body = .bytes(request.body) }
        do {
            let response = try await http.execute(outgoing, timeout: .seconds(10))
            let body = try await response.body.collect(upTo: 1 << 20)
            return ProxiedAnswer(
                status: Int(response.status.code),
                contentType: response.headers.first(name: "content-type") ?? "text/plain; charset=UTF-8",
                body: Array(body.readableBytesView))
        } catch {
            logger.warning("Nova's metadata API did not answer: \(error)")
            return ProxiedAnswer(
                status: 500, body: Array("An unknown error has occurred. Please try your request again.".utf8))
        }
    }
}
