import NovaCore

/// The move operations of a driver (nova/virt/driver.py: migrate_disk_and_power_off, finish_migration,
/// confirm_migration, finish_revert_migration, live_migration and its pre/post/rollback steps).
/// Each must be safe to repeat: the conductor retries a step whose deadline passed.
public protocol MovingVirtDriver: VirtDriver {
    /// Source of a cold move: stop the guest and make its disk available to the destination. The stopped guest
    /// is kept until the move is confirmed or reverted.
    func migrateDiskAndPowerOff(_ instance: Instance) async throws -> MoveTransfer
    /// Destination of a cold move: create the guest with `instance.flavor` from the transferred disk.
    func finishMigration(_ instance: Instance, transfer: MoveTransfer, powerOn: Bool) async throws
    /// Source, on confirm: remove the guest kept by `migrateDiskAndPowerOff`.
    func confirmMigration(_ instance: Instance) async throws
    /// Destination, on revert: remove the guest `finishMigration` created (not the source's, on one host).
    func revertMigrationAtDestination(_ instance: Instance) async throws
    /// Source, on revert: bring the kept guest back with `instance.flavor`.
    func finishRevertMigration(_ instance: Instance, powerOn: Bool) async throws

    /// Destination of a live migration: get ready to receive the guest.
    func preLiveMigration(_ instance: Instance, blockMigration: Bool) async throws -> LiveMigrationTarget
    /// Source: send the running guest; returns when it runs at the destination. Throws when it failed or was
    /// aborted, leaving the guest running here.
    func liveMigrate(
        _ instance: Instance, to target: LiveMigrationTarget, blockMigration: Bool,
        progress: @Sendable @escaping (LiveMigrationProgress) async -> Void
    ) async throws
    /// Destination: take charge of the guest that arrived.
    func postLiveMigrationAtDestination(_ instance: Instance) async throws
    /// Source: remove what is left of the guest that left.
    func cleanupAfterLiveMigration(_ instance: Instance) async throws
    /// Destination: remove what `preLiveMigration` prepared.
    func rollbackLiveMigrationAtDestination(_ instance: Instance) async throws
    func abortLiveMigration(_ instance: Instance) async throws
    /// Let the migration converge (the guest is paused for the rest of it).
    func forceCompleteLiveMigration(_ instance: Instance) async throws
}

/// Thrown by `liveMigrate` when the migration was aborted.
public struct LiveMigrationAborted: Error, Sendable {
    public init() {}
}
