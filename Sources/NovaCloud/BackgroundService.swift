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
