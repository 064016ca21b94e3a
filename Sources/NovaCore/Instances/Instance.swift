import Foundation

/// The parts of a create request the scheduler needs that the instance does not otherwise keep.
public struct SchedulingRequest: Sendable, Codable, Equatable {
    /// An admin's `az:host` forced host.
    public var forcedHost: String?
    /// The forced host skips the filters (`az:host`, Nova's force_hosts), where 2.74's `host` goes through them.
    public var skipFilters: Bool?
    /// The image's properties as the create request saw them.
    public var imageProperties: [String: String]

    public init(forcedHost: String?, imageProperties: [String: String]) {
        self.forcedHost = forcedHost
        self.imageProperties = imageProperties
    }
}

/// A server as the database holds it.
public struct Instance: Sendable, Codable, Equatable {
    public var uuid: String
    public var displayName: String
    public var description: String?
    public var projectID: String
    public var userID: String
    public var hostname: String
    public var host: String?
    public var node: String?
    public var flavor: Flavor
    public var imageRef: String
    public var keyName: String?
    public var keyData: String?
    public var vmState: VMState
    public var taskState: TaskState? {
        didSet { if taskState != oldValue { taskAttempts = nil } }
    }
    /// How many times the conductor sent the current task_state's operation again (lost messages).
    public var taskAttempts: Int?
    /// The `InstanceUpdate.updateID` applied last: the same update sent again (its answer was lost) is not
    /// applied twice.
    public var lastUpdateID: String?
    public var powerState: PowerState
    public var availabilityZone: String?
    public var launchedAt: Date?
    public var terminatedAt: Date?
    public var createdAt: Date
    public var updatedAt: Date
    public var deletedAt: Date?
    public var locked: Bool
    public var lockedBy: String?
    public var lockedReason: String?
    public var metadata: [String: String]
    public var tags: [String]
    public var reservationID: String
    public var launchIndex: Int
    public var userData: String?
    public var configDrive: String
    public var accessIPv4: String
    public var accessIPv6: String
    public var progress: Int
    public var fault: InstanceFault?
    /// What `networks` asked for: "auto" (an address on the private network) or "none".
    public var requestedNetworks: String?
    /// The networks and ports the create asked for, resolved by the API ("auto" became a network).
    public var networkRequests: [NetworkRequest]?
    /// The fixed addresses the instance got during its build (Nova's network info cache).
    public var addresses: [FixedAddress]?
    /// The guest's NICs, one per port in the order of `addresses` (Nova's VIFs of the same cache).
    public var vifs: [GuestVIF]?
    /// The volumes attached to the server (Nova's block device mappings of destination `volume`).
    public var blockDevices: [BlockDeviceMapping]?
    /// The root volume of a server booted from a volume (its mapping with boot index 0).
    public var rootVolume: BlockDeviceMapping? { blockDevices?.first { $0.bootIndex == 0 } }
    /// Whether the server boots from a volume (it has no local root disk: nothing of its flavor's root disk is
    /// claimed, and the image is the volume's).
    public var isVolumeBacked: Bool { rootVolume != nil }
    /// The names of the security groups the server's ports are in (nil: `default`).
    public var securityGroups: [String]?
    /// Nova's system_metadata shelved_image_id and shelved_at: the snapshot a shelved server comes back from.
    public var shelvedImageID: String?
    public var shelvedAt: Date?
    /// The image a rescue boots (`rescue_image_ref`); nil: the server's own image.
    public var rescueImageRef: String?
    /// The scheduler hints of the create request (Nova's RequestSpec keeps them): moves, evacuation and
    /// unshelve schedule with them again, so a group's policy holds after the server moves.
    public var schedulerHints: [String: [String]]?
    /// What the build asked of the scheduler beyond the fields above, kept so that a lost build is scheduled
    /// again as it was first asked.
    public var schedulingRequest: SchedulingRequest?
    /// The build's scheduling attempt (nil: the first, 0). A lost build scheduled again takes the next one, and
    /// every update of a build names the attempt it belongs to: a late answer of an earlier attempt (a
    /// scheduler's reply, a compute host's first step) changes nothing. A fencing token.
    public var buildAttempt: Int?
    /// `OS-DCF:diskConfig`: AUTO (true) lets the guest's root partition grow to the disk; nil or false is MANUAL.
    public var autoDiskConfig: Bool?
    /// The password the guest posted to the metadata service, encrypted with its key pair (os-server-password).
    public var encryptedPassword: String?
    /// The zone the server is held to (Nova's RequestSpec.availability_zone, `pinned_availability_zone` from
    /// 2.96): the one its create asked for, or an unshelve or 2.104 update chose. Nil: any zone, on every move.
    /// `availabilityZone` is where it is now.
    public var pinnedAvailabilityZone: String?
    /// The files of the create's (or the last rebuild's) `personality`, for the config drive and the metadata
    /// service (until 2.57).
    public var personality: [InjectedFile]?
    /// The create's (or the last rebuild's) `trusted_image_certificates` (2.63): certificate ids its image's
    /// signature must be verified against at spawn.
    public var trustedImageCertificates: [String]?
    /// The running rebuild's `preserve_ephemeral`: the guest's ephemeral disk is kept as it is.
    public var rebuildPreservesEphemeral: Bool?

    public init(
        uuid: String, displayName: String, description: String? = nil, projectID: String, userID: String,
        flavor: Flavor, imageRef: String, createdAt: Date, reservationID: String, launchIndex: Int = 0
    ) {
        self.uuid = uuid
        self.displayName = displayName
        self.description = description
        self.projectID = projectID
        self.userID = userID
        self.hostname = Instance.sanitizedHostname(displayName)
        self.flavor = flavor
        self.imageRef = imageRef
        self.vmState = .building
        self.taskState = .scheduling
        self.powerState = .noState
        self.createdAt = createdAt
        self.updatedAt = createdAt
        self.locked = false
        self.metadata = [:]
        self.tags = []
        self.reservationID = reservationID
        self.launchIndex = launchIndex
        self.configDrive = ""
        self.accessIPv4 = ""
        self.accessIPv6 = ""
        self.progress = 0
    }

    public var isDeleted: Bool { vmState == .deleted }
    public var status: String { ServerStatus.of(vmState: vmState, taskState: taskState) }

    /// Nova's `instance_name` template `instance-%08x` over the database id; we derive it from the uuid.
    public var instanceName: String { "instance-" + uuid.prefix(8) }

    /// Hostname rules of Nova's `sanitize_hostname`: lower case, [a-z0-9-], at most 63 characters.
    public static func sanitizedHostname(_ name: String) -> String {
        var result = ""
        var lastWasDash = false
        for character in name.lowercased() {
            if character.isASCII, character.isLetter || character.isNumber {
                result.append(character)
                lastWasDash = false
            } else if character == "-" || character == " " || character == "_" || character == "." {
                if !lastWasDash { result.append("-") }
                lastWasDash = true
            }
        }
        let trimmed = result.trimmingCharacters(in: CharacterSet(charactersIn: "-"))
        return trimmed.isEmpty ? "server" : String(trimmed.prefix(63))
    }
}

/// The fault recorded when an instance goes to ERROR.
public struct InstanceFault: Sendable, Codable, Equatable {
    public var code: Int
    public var message: String
    public var details: String
    public var created: Date

    public init(code: Int, message: String, details: String = "", created: Date) {
        self.code = code
        self.message = message
        self.details = details
        self.created = created
    }
}

/// A fixed IPv4 address on one of the cloud's networks.
public struct FixedAddress: Sendable, Codable, Equatable {
    public var network: String
    public var address: String
    public var mac: String
    /// The networking service's port that holds the address (nil for addresses of the bookkeeping table
    /// servers had before the networking service).
    public var portID: String?
    /// Whether the user made the port (it is unbound and kept when the server goes) or Nova did (deleted).
    public var preexisting: Bool?
    /// The floating IPs associated with this fixed address.
    public var floating: [String]?

    public init(network: String, address: String, mac: String, portID: String? = nil, preexisting: Bool? = nil) {
        self.network = network
        self.address = address
        self.mac = mac
        self.portID = portID
        self.preexisting = preexisting
    }
}
