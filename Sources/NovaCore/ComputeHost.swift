import Foundation

/// A row of os-services.
public struct ServiceRecord: Sendable, Codable, Equatable {
    public var id: Int
    public var uuid: String
    public var host: String
    public var binary: String
    public var topic: String
    public var zone: String
    public var disabled: Bool
    public var disabledReason: String?
    public var forcedDown: Bool
    public var lastSeenUp: Date?
    public var createdAt: Date
    public var updatedAt: Date?

    public init(
        id: Int, uuid: String, host: String, binary: String, topic: String, zone: String, disabled: Bool = false,
        disabledReason: String? = nil, forcedDown: Bool = false, lastSeenUp: Date? = nil, createdAt: Date,
        updatedAt: Date? = nil
    ) {
        self.id = id
        self.uuid = uuid
        self.host = host
        self.binary = binary
        self.topic = topic
        self.zone = zone
        self.disabled = disabled
        self.disabledReason = disabledReason
        self.forcedDown = forcedDown
        self.lastSeenUp = lastSeenUp
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }

    /// Nova's servicegroup DB driver: up when a heartbeat came within `serviceDownTime` and not forced down.
    public func isUp(now: Date, serviceDownTime: TimeInterval) -> Bool {
        guard !forcedDown, let lastSeenUp else { return false }
        return now.timeIntervalSince(lastSeenUp) <= serviceDownTime
    }
}

/// What a compute host's driver reports about itself (a row of os-hypervisors).
public struct ComputeNodeReport: Sendable, Codable, Equatable {
    public var host: String
    public var hypervisorHostname: String
    public var hypervisorType: String
    public var hypervisorVersion: Int
    public var hostIP: String
    public var total: Resources
    public var cpuAllocationRatio: Double
    public var ramAllocationRatio: Double
    public var diskAllocationRatio: Double
    public var reservedHostMemoryMB: Int
    public var reservedHostDiskGB: Int
    public var runningVMs: Int

    public init(
        host: String, hypervisorHostname: String, hypervisorType: String, hypervisorVersion: Int, hostIP: String,
        total: Resources, cpuAllocationRatio: Double = 4.0, ramAllocationRatio: Double = 1.0,
        diskAllocationRatio: Double = 1.0, reservedHostMemoryMB: Int = 512, reservedHostDiskGB: Int = 0,
        runningVMs: Int = 0
    ) {
        self.host = host
        self.hypervisorHostname = hypervisorHostname
        self.hypervisorType = hypervisorType
        self.hypervisorVersion = hypervisorVersion
        self.hostIP = hostIP
        self.total = total
        self.cpuAllocationRatio = cpuAllocationRatio
        self.ramAllocationRatio = ramAllocationRatio
        self.diskAllocationRatio = diskAllocationRatio
        self.reservedHostMemoryMB = reservedHostMemoryMB
        self.reservedHostDiskGB = reservedHostDiskGB
        self.runningVMs = runningVMs
    }

    /// Capacity as Placement computes it: (total - reserved) * allocation_ratio.
    public var capacity: Resources {
        Resources(
            vcpus: Int(Double(total.vcpus) * cpuAllocationRatio),
            memoryMB: Int(Double(total.memoryMB - reservedHostMemoryMB) * ramAllocationRatio),
            diskGB: Int(Double(total.diskGB - reservedHostDiskGB) * diskAllocationRatio))
    }
}

/// A compute node row with its id and what the scheduler has claimed on it.
public struct ComputeNodeRecord: Sendable, Equatable {
    public var id: Int
    public var uuid: String
    public var report: ComputeNodeReport
    public var used: Resources
    public var instanceCount: Int

    public init(id: Int, uuid: String, report: ComputeNodeReport, used: Resources, instanceCount: Int) {
        self.id = id
        self.uuid = uuid
        self.report = report
        self.used = used
        self.instanceCount = instanceCount
    }
}

/// An instance action (`openstack server event list`) and its events.
public struct InstanceActionRecord: Sendable, Equatable {
    public var requestID: String
    public var action: String
    public var instanceUUID: String
    public var userID: String
    public var projectID: String
    public var startTime: Date
    public var updatedAt: Date?
    public var message: String?
    public var events: [InstanceActionEvent]

    public init(
        requestID: String, action: String, instanceUUID: String, userID: String, projectID: String, startTime: Date,
        updatedAt: Date? = nil, message: String? = nil, events: [InstanceActionEvent] = []
    ) {
        self.requestID = requestID
        self.action = action
        self.instanceUUID = instanceUUID
        self.userID = userID
        self.projectID = projectID
        self.startTime = startTime
        self.updatedAt = updatedAt
        self.message = message
        self.events = events
    }
}

public struct InstanceActionEvent: Sendable, Equatable, Codable {
    public var event: String
    public var startTime: Date
    public var finishTime: Date?
    public var result: String?
    public var traceback: String?
    public var host: String?

    public init(
        event: String, startTime: Date, finishTime: Date? = nil, result: String? = nil, traceback: String? = nil,
        host: String? = nil
    ) {
        self.event = event
        self.startTime = startTime
        self.finishTime = finishTime
        self.result = result
        self.traceback = traceback
        self.host = host
    }
}

/// A keypair.
public struct KeyPairRecord: Sendable, Equatable {
    public var id: Int
    public var name: String
    public var userID: String
    public var fingerprint: String
    public var publicKey: String
    public var type: String
    public var createdAt: Date

    public init(
        id: Int, name: String, userID: String, fingerprint: String, publicKey: String, type: String, createdAt: Date
    ) {
        self.id = id
        self.name = name
        self.userID = userID
        self.fingerprint = fingerprint
        self.publicKey = publicKey
        self.type = type
        self.createdAt = createdAt
    }
}
