/// The user-facing operations on an instance and the state guards Nova's compute API applies to them
/// (`check_instance_state` in nova/compute/api.py). A violation is a 409.
public enum InstanceOperation: String, Sendable, Codable, CaseIterable {
    case start, stop, rebootSoft, rebootHard, pause, unpause, suspend, resume, delete, lock, unlock
    case rescue, unrescue, rebuild, softDelete, restore
    case shelve, shelveOffload, unshelve

    /// The vm_states the operation is allowed in; nil = any.
    public var allowedVMStates: Set<VMState>? {
        switch self {
        case .start: return [.stopped]
        case .stop: return [.active, .error]
        case .rebootSoft: return [.active]
        case .rebootHard: return [.active, .stopped, .paused, .suspended, .error]
        case .pause: return [.active]
        case .unpause: return [.paused]
        case .suspend: return [.active]
        case .resume: return [.suspended]
        case .rescue, .rebuild: return [.active, .stopped, .error]
        case .unrescue: return [.rescued]
        case .restore: return [.softDeleted]
        case .shelve: return [.active, .stopped, .paused, .suspended]
        case .shelveOffload: return [.shelved]
        case .unshelve: return [.shelved, .shelvedOffloaded]
        case .delete, .lock, .unlock, .softDelete: return nil
        }
    }

    /// The task_states the operation may start from; nil = any. `[nil]` means idle only.
    public var allowedTaskStates: Set<TaskState?>? {
        switch self {
        case .delete, .lock, .unlock, .softDelete: return nil
        case .rebootHard:
            return [
                nil, .rebooting, .rebootPending, .rebootStarted, .resuming, .rebootingHard, .unpausing, .pausing,
                .suspending,
            ]
        default: return [nil]
        }
    }

    /// Whether the instance must have been launched once (Nova's `must_have_launched`).
    public var mustHaveLaunched: Bool {
        switch self {
        case .delete, .lock, .unlock, .softDelete, .restore: return false
        default: return true
        }
    }

    /// The task_state set when the API accepts the operation.
    public var taskState: TaskState? {
        switch self {
        case .start: return .poweringOn
        case .stop: return .poweringOff
        case .rebootSoft: return .rebooting
        case .rebootHard: return .rebootingHard
        case .pause: return .pausing
        case .unpause: return .unpausing
        case .suspend: return .suspending
        case .resume: return .resuming
        case .delete: return .deleting
        case .rescue: return .rescuing
        case .unrescue: return .unrescuing
        case .rebuild: return .rebuilding
        case .softDelete: return .softDeleting
        case .restore: return .restoring
        case .shelve: return .shelving
        case .shelveOffload: return .shelvingOffloading
        case .unshelve: return .unshelving
        case .lock, .unlock: return nil
        }
    }

    /// The vm_state and power_state the compute host reaches when the operation succeeds.
    public var outcome: (vmState: VMState, powerState: PowerState)? {
        switch self {
        case .start, .rebootSoft, .rebootHard, .unpause, .resume: return (.active, .running)
        case .stop: return (.stopped, .shutdown)
        case .pause: return (.paused, .paused)
        case .suspend: return (.suspended, .suspended)
        case .delete: return (.deleted, .noState)
        case .rescue: return (.rescued, .running)
        case .unrescue, .restore: return (.active, .running)
        case .softDelete: return (.softDeleted, .shutdown)
        case .shelve: return (.shelved, .shutdown)
        case .shelveOffload: return (.shelvedOffloaded, .shutdown)
        case .unshelve: return (.active, .running)
        // A rebuilt server keeps its power intent: stopped stays stopped.
        case .rebuild, .lock, .unlock: return nil
        }
    }

    /// Nova's instance action name recorded for the operation (`openstack server event list`).
    public var actionName: String {
        switch self {
        case .start: return "start"
        case .stop: return "stop"
        case .rebootSoft, .rebootHard: return "reboot"
        case .pause: return "pause"
        case .unpause: return "unpause"
        case .suspend: return "suspend"
        case .resume: return "resume"
        case .delete: return "delete"
        case .lock: return "lock"
        case .unlock: return "unlock"
        case .rescue: return "rescue"
        case .unrescue: return "unrescue"
        case .rebuild: return "rebuild"
        case .softDelete: return "delete"
        case .restore: return "restore"
        case .shelve: return "shelve"
        case .shelveOffload: return "shelveOffload"
        case .unshelve: return "unshelve"
        }
    }

    /// The compute manager method that carries the operation out (its event name in instance actions).
    public var computeMethod: String {
        switch self {
        case .start: return "start_instance"
        case .stop: return "stop_instance"
        case .rebootSoft, .rebootHard: return "reboot_instance"
        case .pause: return "pause_instance"
        case .unpause: return "unpause_instance"
        case .suspend: return "suspend_instance"
        case .resume: return "resume_instance"
        case .delete: return "terminate_instance"
        case .rescue: return "rescue_instance"
        case .unrescue: return "unrescue_instance"
        case .rebuild: return "rebuild_instance"
        case .softDelete: return "soft_delete_instance"
        case .restore: return "restore_instance"
        case .shelve: return "shelve_instance"
        case .shelveOffload: return "shelve_offload_instance"
        case .unshelve: return "unshelve_instance"
        case .lock, .unlock: return ""
        }
    }

    /// Checks the guard; the error is Nova's InstanceInvalidState message.
    public func check(vmState: VMState, taskState: TaskState?, launched: Bool, instanceID: String) throws(NovaError) {
        if let allowed = allowedVMStates, !allowed.contains(vmState) {
            throw .conflict(
                "Cannot '\(apiName)' instance \(instanceID) while it is in vm_state \(vmState.rawValue)")
        }
        if let allowed = allowedTaskStates, !allowed.contains(taskState) {
            throw .conflict(
                "Cannot '\(apiName)' instance \(instanceID) while it is in task_state \(taskState?.rawValue ?? "None")")
        }
        if mustHaveLaunched, !launched {
            throw .conflict("Instance \(instanceID) is not ready to '\(apiName)': it has not been launched yet")
        }
    }

    var apiName: String {
        switch self {
        case .rebootSoft, .rebootHard: return "reboot"
        default: return actionName
        }
    }
}
