import Foundation
import NovaCore

/// How the conductor runs move tasks.
public struct MoveOptions: Sendable {
    /// Seconds a compute step may take before the sweep retries or rolls it back (ours: `[conductor] move_step_timeout`).
    public var stepTimeout: TimeInterval
    /// Seconds a live migration may take (`[libvirt] live_migration_completion_timeout`).
    public var liveMigrationTimeout: TimeInterval
    /// How often a step whose deadline passed is sent again before the task is rolled back.
    public var maxRetries: Int
    /// `[DEFAULT] allow_resize_to_same_host`: a resize or cold migration may pick the instance's own host.
    public var allowResizeToSameHost: Bool
    /// `[DEFAULT] resize_confirm_window`: seconds after which a finished resize is confirmed; 0 never.
    public var resizeConfirmWindow: TimeInterval
    /// Ours, `[compute] auto_evacuate`: evacuate the instances of a compute service down longer than
    /// `serviceDownTime`.
    public var autoEvacuate = false
    /// `[DEFAULT] reclaim_instance_interval`: seconds after which a soft-deleted server is deleted; 0 never.
    public var reclaimInstanceInterval: TimeInterval = 0
    /// `[DEFAULT] service_down_time`.
    public var serviceDownTime: TimeInterval = 60
    /// Ours, `[conductor] scheduling_timeout`: seconds a new build may wait in scheduling before a
    /// conductor takes it for lost (its conductor died, a message was lost) and schedules it again.
    public var schedulingTimeout: TimeInterval = 300
    /// Ours, `[conductor] lost_build_attempts`: how many times a lost build is scheduled again before it
    /// ends in ERROR with a fault.
    public var lostBuildAttempts = 3

    public init(
        stepTimeout: TimeInterval = 300, liveMigrationTimeout: TimeInterval = 900, maxRetries: Int = 1,
        allowResizeToSameHost: Bool = false, resizeConfirmWindow: TimeInterval = 0
    ) {
        self.stepTimeout = stepTimeout
        self.liveMigrationTimeout = liveMigrationTimeout
        self.maxRetries = maxRetries
        self.allowResizeToSameHost = allowResizeToSameHost
        self.resizeConfirmWindow = resizeConfirmWindow
    }

    func timeout(for step: MoveStep) -> TimeInterval {
        step == .liveMigration ? liveMigrationTimeout : stepTimeout
    }
}
