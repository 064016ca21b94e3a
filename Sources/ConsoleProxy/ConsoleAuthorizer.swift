import Foundation
import NovaCore
import NovaDB

/// Where a console connection goes once its token checks out.
public struct ConsoleTarget: Sendable, Equatable {
    public var host: String
    public var port: Int
    public var instanceUUID: String
}

public struct InvalidConsoleToken: Error, CustomStringConvertible {
    public var description: String { "The token is invalid or has expired" }
}

/// Checks a console token as Nova's proxies do: the sha256 is looked up among unexpired tokens of the right
/// console type, then the instance's compute host confirms that the guest still listens on that port.
public struct ConsoleAuthorizer: Sendable {
    let store: ComputeStore
    let compute: ComputeRPCAPI
    let clock: any WallClock

    public init(store: ComputeStore, compute: ComputeRPCAPI, clock: any WallClock) {
        self.store = store
        self.compute = compute
        self.clock = clock
    }

    public func target(token: String, consoleType: String) async throws -> ConsoleTarget {
        guard let record = try await store.consoleToken(token, now: clock.now),
            record.consoleType == consoleType,
            let instance = try await store.instance(uuid: record.instanceUUID), !instance.isDeleted,
            try await compute.validateConsolePort(
                instance, port: record.port, consoleType: consoleType,
                host: record.computeHost, context: .service("nova-\(consoleType)proxy"))
        else { throw InvalidConsoleToken() }
        return ConsoleTarget(host: record.host, port: record.port, instanceUUID: record.instanceUUID)
    }
}
