import NovaCore

/// A transport the cloud runs: `run()` delivers until `shutdown()`.
public protocol ServiceBus: MessageBus {
    func run() async
    func shutdown()
}

extension InProcessBus: ServiceBus {}
