import NovaCore

enum LiveMigrationControl: Sendable {
    case running, aborted, forced
}

/// Moves of the fake driver: guests are entries in each host's table, so a move takes an entry from the
/// source's table and puts one in the destination's; the same host works too (the kept copy is separate).
extension FakeDriver: MovingVirtDriver {
    public func migrateDiskAndPowerOff(_ instance: Instance) async throws -> MoveTransfer {
        try await checkFailure("migrate_disk_and_power_off", instance)
        if let state = guests.removeValue(forKey: instance.uuid) {
            _ = state
            movedAway[instance.uuid] = .shutdown
            volumes[instance.uuid] = nil
        } else if movedAway[instance.uuid] == nil {
            try requireGuest(instance)
        }
        return MoveTransfer(diskPath: nil)
    }

    public func finishMigration(_ instance: Instance, transfer: MoveTransfer, powerOn: Bool) async throws {
        try await checkFailure("finish_migration", instance)
        try takeVolumes(instance)
        guests[instance.uuid] = powerOn ? .running : .shutdown
    }

    public func confirmMigration(_ instance: Instance) async throws {
        try await checkFailure("confirm_migration", instance)
        movedAway[instance.uuid] = nil
    }

    public func revertMigrationAtDestination(_ instance: Instance) async throws {
        try await checkFailure("revert_migration", instance)
        guests[instance.uuid] = nil
        volumes[instance.uuid] = nil
    }

    public func finishRevertMigration(_ instance: Instance, powerOn: Bool) async throws {
        try await checkFailure("finish_revert_migration", instance)
        guard movedAway.removeValue(forKey: instance.uuid) != nil || guests[instance.uuid] != nil else {
            throw NovaError.notFound("Instance \(instance.uuid) has no kept guest on this host to revert to.")
        }
        try takeVolumes(instance)
        guests[instance.uuid] = powerOn ? .running : .shutdown
    }

    public func preLiveMigration(_ instance: Instance, blockMigration: Bool) async throws -> LiveMigrationTarget {
        try await checkFailure("pre_live_migration", instance)
        try takeVolumes(instance)
        return LiveMigrationTarget()
    }

    public func liveMigrate(
        _ instance: Instance, to target: LiveMigrationTarget, blockMigration: Bool,
        progress: @Sendable @escaping (LiveMigrationProgress) async -> Void
    ) async throws {
        try requireGuest(instance)
        try await checkFailure("live_migration", instance)
        outgoing[instance.uuid] = .running
        defer { outgoing[instance.uuid] = nil }
        let total = instance.flavor.memoryMB * 1_048_576
        for round in 1...max(1, liveMigrationSteps) {
            if outgoing[instance.uuid] == .forced { break }
            try? await Task.sleep(for: liveMigrationStepDelay)
            if outgoing[instance.uuid] == .aborted { throw LiveMigrationAborted() }
            let done = total / max(1, liveMigrationSteps) * round
            await progress(
                LiveMigrationProgress(memoryTotal: total, memoryProcessed: done, memoryRemaining: max(0, total - done)))
        }
        if outgoing[instance.uuid] == .aborted { throw LiveMigrationAborted() }
    }

    public func postLiveMigrationAtDestination(_ instance: Instance) async throws {
        try await checkFailure("post_live_migration_at_destination", instance)
        guests[instance.uuid] = .running
    }

    public func cleanupAfterLiveMigration(_ instance: Instance) async throws {
        guests[instance.uuid] = nil
        volumes[instance.uuid] = nil
    }

    public func rollbackLiveMigrationAtDestination(_ instance: Instance) async throws {
        volumes[instance.uuid] = nil
    }

    public func abortLiveMigration(_ instance: Instance) async throws {
        guard outgoing[instance.uuid] != nil else {
            throw NovaError.badRequest("No live migration of \(instance.uuid) is running on this host.")
        }
        outgoing[instance.uuid] = .aborted
    }

    public func forceCompleteLiveMigration(_ instance: Instance) async throws {
        guard outgoing[instance.uuid] != nil else {
            throw NovaError.badRequest("No live migration of \(instance.uuid) is running on this host.")
        }
        outgoing[instance.uuid] = .forced
    }
}
