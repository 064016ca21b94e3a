/// A flavor: the size of a server.
public struct Flavor: Sendable, Codable, Equatable {
    public var id: String
    public var name: String
    public var vcpus: Int
    public var memoryMB: Int
    public var rootGB: Int
    public var ephemeralGB: Int
    public var swapMB: Int
    public var rxtxFactor: Double
    public var isPublic: Bool
    public var disabled: Bool
    public var description: String?
    public var extraSpecs: [String: String]

    public init(
        id: String, name: String, vcpus: Int, memoryMB: Int, rootGB: Int, ephemeralGB: Int = 0, swapMB: Int = 0,
        rxtxFactor: Double = 1.0, isPublic: Bool = true, disabled: Bool = false, description: String? = nil,
        extraSpecs: [String: String] = [:]
    ) {
        self.id = id
        self.name = name
        self.vcpus = vcpus
        self.memoryMB = memoryMB
        self.rootGB = rootGB
        self.ephemeralGB = ephemeralGB
        self.swapMB = swapMB
        self.rxtxFactor = rxtxFactor
        self.isPublic = isPublic
        self.disabled = disabled
        self.description = description
        self.extraSpecs = extraSpecs
    }

    /// Nova's default flavors (nova-manage / devstack sizes).
    public static let defaults: [Flavor] = [
        Flavor(id: "1", name: "m1.tiny", vcpus: 1, memoryMB: 512, rootGB: 1),
        Flavor(id: "2", name: "m1.small", vcpus: 1, memoryMB: 2048, rootGB: 20),
        Flavor(id: "3", name: "m1.medium", vcpus: 2, memoryMB: 4096, rootGB: 40),
        Flavor(id: "4", name: "m1.large", vcpus: 4, memoryMB: 8192, rootGB: 80),
        Flavor(id: "5", name: "m1.xlarge", vcpus: 8, memoryMB: 16384, rootGB: 160),
    ]

    /// The resources a server of this flavor consumes on its host.
    public var resources: Resources {
        Resources(vcpus: vcpus, memoryMB: memoryMB, diskGB: rootGB + ephemeralGB + (swapMB + 1023) / 1024)
    }
}

/// An amount of the three standard compute resources.
public struct Resources: Sendable, Codable, Equatable {
    public var vcpus: Int
    public var memoryMB: Int
    public var diskGB: Int

    public init(vcpus: Int, memoryMB: Int, diskGB: Int) {
        self.vcpus = vcpus
        self.memoryMB = memoryMB
        self.diskGB = diskGB
    }

    public static let zero = Resources(vcpus: 0, memoryMB: 0, diskGB: 0)

    public static func + (lhs: Resources, rhs: Resources) -> Resources {
        Resources(vcpus: lhs.vcpus + rhs.vcpus, memoryMB: lhs.memoryMB + rhs.memoryMB, diskGB: lhs.diskGB + rhs.diskGB)
    }
}
