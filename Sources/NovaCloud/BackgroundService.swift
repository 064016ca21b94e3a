import NovaDB
import ServiceLifecycle

/// A long-running part of the cloud (bus delivery, a compute host's loops, heartbeats) as a Service that
/// stops when the service group shuts down.
struct BackgroundService: Service {
    let name: String
    let body: @Sendable () async throws -> Void

    func run() async throws {
        do {
            try await cancelWhenGracefulShutdown {
                try await body()
            }
        } catch is CancellationError {
            // Stopping is how these services end; it is not a failure.
        }
    }
}

/// Lets the HTTP sessions to a genuine Keystone and Glance go once everything else has stopped.
struct SessionCloser: Service {
    let close: @Sendable () async -> Void

    func run() async throws {
        try? await gracefulShutdown()
        await Task { await close() }.value
    }
}

/// Closes the process's database once everything else has stopped: the first service of a group is the last
/// one a graceful shutdown stops, after the HTTP server has answered its last request.
struct DatabaseCloser: Service {
    let database: Database

    func run() async throws {
        try? await gracefulShutdown()
        // A group cancelled (a service failed) still closes it: the close runs outside the cancelled task.
        try await Task { try await database.close() }.value
    }
}
