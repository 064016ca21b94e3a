import NovaCore

/// A weigher: a raw weight per host; the scheduler normalises weights to 0...1 and multiplies.
public protocol HostWeigher: Sendable {
    var multiplier: Double { get }
    func weight(_ host: HostState, _ spec: RequestSpec) -> Double
    /// Whether the weigher can tell hosts apart for this request; when not, it is skipped.
    func applies(to spec: RequestSpec) -> Bool
}

extension HostWeigher {
    public func applies(to spec: RequestSpec) -> Bool { true }
}

/// Spreads instances by free RAM (multiplier 1.0, Nova's default).
public struct RAMWeigher: HostWeigher {
    public let multiplier: Double
    public init(multiplier: Double = 1.0) { self.multiplier = multiplier }
    public func weight(_ host: HostState, _ spec: RequestSpec) -> Double { Double(host.free.memoryMB) }
}

/// Spreads instances by free vCPUs.
public struct CPUWeigher: HostWeigher {
    public let multiplier: Double
    public init(multiplier: Double = 1.0) { self.multiplier = multiplier }
    public func weight(_ host: HostState, _ spec: RequestSpec) -> Double { Double(host.free.vcpus) }
}
