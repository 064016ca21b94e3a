import Foundation
import NovaCore

#if canImport(Glibc)
    import Glibc
#endif

/// A named network namespace as iproute2 keeps them (`/run/netns/NAME`), for the agents of a host: made,
/// given a veth pair whose one end stays outside, addressed, deleted; and a TCP socket listening inside it
/// while the process stays where it is.
public struct NetworkNamespace: Sendable, Equatable {
    public var name: String

    public init(_ name: String) {
        self.name = name
    }

    public static let folder = "/run/netns"

    /// The namespaces whose names start with `prefix`.
    public static func all(prefix: String) -> [NetworkNamespace] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
        return names.filter { $0.hasPrefix(prefix) }.sorted().map(NetworkNamespace.init)
    }

    public var path: String { Self.folder + "/" + name }
    public var exists: Bool { FileManager.default.fileExists(atPath: path) }

    public func create() async throws {
        if !exists { try await ProcessRunner.check("ip", ["netns", "add", name]) }
    }

    /// Deletes the namespace (its devices go with it; a veth's outer end too).
    public func delete() async throws {
        if exists { try await ProcessRunner.check("ip", ["netns", "delete", name]) }
    }

    /// Runs `ip ARGUMENTS` inside the namespace.
    public func ip(_ arguments: [String]) async throws {
        try await ProcessRunner.check("ip", ["-n", name] + arguments)
    }

    /// A veth pair: `outer` in the caller's namespace (up), `inner` in this one with `mac`, `addresses`
    /// (CIDR notation) and up, as is its loopback. An existing `outer` is replaced.
    public func addVeth(outer: String, inner: String, mac: String, addresses: [String]) async throws {
        _ = try? await ProcessRunner.run("ip", ["link", "delete", outer])
        try await ProcessRunner.check(
            "ip", ["link", "add", outer, "type", "veth", "peer", "name", inner, "netns", name])
        try await ProcessRunner.check("ip", ["link", "set", outer, "up"])
        try await ip(["link", "set", inner, "address", mac])
        for address in addresses { try await ip(["addr", "replace", address, "dev", inner]) }
        try await ip(["link", "set", inner, "up"])
        try await ip(["link", "set", "lo", "up"])
    }

    /// A TCP socket bound to `address`:`port` inside the namespace and listening (its descriptor, which the
    /// caller owns). The binding happens on a thread of its own that enters the namespace and leaves it
    /// again: a socket belongs to the namespace it was made in, whatever thread uses it later.
    public func listeningSocket(address: String, port: UInt16) async throws -> Int32 {
        let path = self.path
        let result: Result<Int32, NovaError> = await withCheckedContinuation { continuation in
            Thread.detachNewThread {
                let (result, home) = Self.bind(namespace: path, address: address, port: port)
                continuation.resume(returning: result)
                // A thread that could not go home must not run anything else.
                if !home { pthread_exit(nil) }
            }
        }
        return try result.get()
    }

    /// setns(2) for network namespaces (glibc declares it only for _GNU_SOURCE, which Swift's import of it
    /// does not define).
    static func enterNamespace(_ descriptor: Int32) -> Bool {
        typealias SetNamespace = @convention(c) (Int32, Int32) -> Int32
        guard let symbol = dlsym(nil, "setns") else { return false }
        let cloneNewNet: Int32 = 0x4000_0000
        return unsafeBitCast(symbol, to: SetNamespace.self)(descriptor, cloneNewNet) == 0
    }

    /// Binds inside `namespace` on the calling thread; the second value is whether the thread is back in its
    /// own namespace.
    static func bind(namespace: String, address: String, port: UInt16) -> (Result<Int32, NovaError>, Bool) {
        func failure(_ what: String) -> Result<Int32, NovaError> {
            .failure(NovaError.internalError("\(what) (\(namespace)): \(String(cString: strerror(errno)))"))
        }
        let home = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC)
        guard home >= 0 else { return (failure("cannot open this thread's network namespace"), true) }
        defer { close(home) }
        let target = open(namespace, O_RDONLY | O_CLOEXEC)
        guard target >= 0 else { return (failure("cannot open the namespace"), true) }
        defer { close(target) }
        guard enterNamespace(target) else { return (failure("cannot enter the namespace"), true) }
        let result = listen(address: address, port: port, failure)
        return (result, enterNamespace(home))
    }

    static func listen(
        address: String, port: UInt16, _ failure: (String) -> Result<Int32, NovaError>
    ) -> Result<Int32, NovaError> {
        var socketAddress = sockaddr_in()
        socketAddress.sin_family = sa_family_t(AF_INET)
        socketAddress.sin_port = port.bigEndian
        guard inet_pton(AF_INET, address, &socketAddress.sin_addr) == 1 else {
            return .failure(NovaError.internalError("\(address) is not an IPv4 address"))
        }
        let handle = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard handle >= 0 else { return failure("cannot make a socket") }
        var one: Int32 = 1
        setsockopt(handle, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        let bound = withUnsafePointer(to: &socketAddress) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.bind(handle, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard bound == 0, Glibc.listen(handle, 64) == 0 else {
            let result = failure("cannot listen on \(address):\(port)")
            close(handle)
            return result
        }
        return .success(handle)
    }
}
