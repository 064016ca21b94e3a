/// Nova's vm_state values (nova/compute/vm_states.py).
public enum VMState: String, Sendable, Codable, CaseIterable {
    case active, building, paused, suspended, stopped, rescued, resized
    case softDeleted = "soft-delete"
    case deleted, error, shelved
    case shelvedOffloaded = "shelved_offloaded"
}

/// Nova's task_state values (nova/compute/task_states.py); nil means idle.
public enum TaskState: String, Sendable, Codable, CaseIterable {
    case scheduling, networking, spawning
    case blockDeviceMapping = "block_device_mapping"
    case imageSnapshot = "image_snapshot"
    case imageSnapshotPending = "image_snapshot_pending"
    case imagePendingUpload = "image_pending_upload"
    case imageUploading = "image_uploading"
    case imageBackup = "image_backup"
    case updatingPassword = "updating_password"
    case resizePrep = "resize_prep"
    case resizeMigrating = "resize_migrating"
    case resizeMigrated = "resize_migrated"
    case resizeFinish = "resize_finish"
    case resizeReverting = "resize_reverting"
    case resizeConfirming = "resize_confirming"
    case rebooting
    case rebootPending = "reboot_pending"
    case rebootStarted = "reboot_started"
    case rebootingHard = "rebooting_hard"
    case rebootPendingHard = "reboot_pending_hard"
    case rebootStartedHard = "reboot_started_hard"
    case pausing, unpausing, suspending, resuming
    case poweringOff = "powering-off"
    case poweringOn = "powering-on"
    case rescuing, unrescuing, rebuilding
    case rebuildBlockDeviceMapping = "rebuild_block_device_mapping"
    case rebuildSpawning = "rebuild_spawning"
    case migrating, deleting
    case softDeleting = "soft-deleting"
    case restoring, shelving
    case shelvingImagePendingUpload = "shelving_image_pending_upload"
    case shelvingImageUploading = "shelving_image_uploading"
    case shelvingOffloading = "shelving_offloading"
    case unshelving
}

/// Nova's power_state integers (nova/compute/power_state.py).
public enum PowerState: Int, Sendable, Codable {
    case noState = 0
    case running = 1
    case paused = 3
    case shutdown = 4
    case crashed = 6
    case suspended = 7
}

/// The API `status` of a server, derived from vm_state and task_state (nova/api/openstack/common.py).
public enum ServerStatus {
    public static func of(vmState: VMState, taskState: TaskState?) -> String {
        switch vmState {
        case .active:
            switch taskState {
            case .rebooting, .rebootPending, .rebootStarted: return "REBOOT"
            case .rebootingHard, .rebootPendingHard, .rebootStartedHard: return "HARD_REBOOT"
            case .updatingPassword: return "PASSWORD"
            case .rebuilding, .rebuildBlockDeviceMapping, .rebuildSpawning: return "REBUILD"
            case .migrating: return "MIGRATING"
            case .resizePrep, .resizeMigrating, .resizeMigrated, .resizeFinish: return "RESIZE"
            default: return "ACTIVE"
            }
        case .building: return "BUILD"
        case .stopped:
            switch taskState {
            case .resizePrep, .resizeMigrating, .resizeMigrated, .resizeFinish: return "RESIZE"
            case .rebuilding, .rebuildBlockDeviceMapping, .rebuildSpawning: return "REBUILD"
            default: return "SHUTOFF"
            }
        case .resized: return taskState == .resizeReverting ? "REVERT_RESIZE" : "VERIFY_RESIZE"
        case .paused: return taskState == .migrating ? "MIGRATING" : "PAUSED"
        case .suspended: return "SUSPENDED"
        case .rescued: return "RESCUE"
        case .error:
            switch taskState {
            case .rebuilding, .rebuildBlockDeviceMapping, .rebuildSpawning: return "REBUILD"
            default: return "ERROR"
            }
        case .deleted: return "DELETED"
        case .softDeleted: return "SOFT_DELETED"
        case .shelved: return "SHELVED"
        case .shelvedOffloaded: return "SHELVED_OFFLOADED"
        }
    }

    /// The vm_states a `status` filter value selects (the inverse of the map, as Nova's list filter does).
    public static func vmStates(forStatus status: String) -> [VMState]? {
        let matches = VMState.allCases.filter { state in
            ServerStatus.of(vmState: state, taskState: nil) == status.uppercased()
        }
        return matches.isEmpty ? nil : matches
    }

    /// Statuses for which Nova shows `progress`.
    public static let showsProgress: Set<String> = [
        "ACTIVE", "BUILD", "REBUILD", "RESIZE", "VERIFY_RESIZE", "MIGRATING",
    ]
}
