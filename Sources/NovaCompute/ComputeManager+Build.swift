import Foundation
import NovaCore

extension ComputeManager {
    static let buildEvent = "compute__do_build_and_run_instance"

    /// _do_build_and_run_instance: networking -> spawning -> ACTIVE. A failed spawn goes back to the conductor
    /// (RescheduledException), which tries the next alternate host or ends in ERROR (MaxRetriesExceeded).
    func buildAndRunInstance(_ instance: Instance, alternates: [HostChoice] = [], context: RPCContext) async {
        buildsInFlight.begin(instance.uuid)
        defer { buildsInFlight.end(instance.uuid) }
        await event(instance, Self.buildEvent, context)
        do {
            // The first step names the build attempt: a build message that arrives after the build was
            // scheduled again (it was taken for lost) stops here.
            var start = InstanceUpdate(expectedTaskStates: [.scheduling], taskState: .networking)
            start.expectedBuildAttempt = instance.buildAttempt ?? 0
            try await update(instance.uuid, start, context)
        } catch {
            // Deleted meanwhile: the delete path cleans up. Lost on the bus: `recoverLostBuilds` ends it.
            logger.warning("the build of \(instance.uuid) stopped before its spawn: \(error)")
            await event(instance, Self.buildEvent, context, result: "Error", traceback: "\(error)")
            return
        }
        var ports: [AttachedPort] = []
        // The instance as the driver spawns it: with its NICs.
        var guest = instance
        do {
            let hasVolumes = !(instance.blockDevices ?? []).isEmpty
            var spawning = InstanceUpdate(
                expectedTaskStates: [.networking], taskState: hasVolumes ? .blockDeviceMapping : .spawning)
            if instance.networkRequests != nil {
                ports = try await allocateNetworks(instance)
                spawning.addresses = try await networkInfo(ports, instance: instance, newPorts: true)
                spawning.vifs = ports.map { GuestVIF($0.port) }
            } else if instance.requestedNetworks != "none" {
                // Accepted before the networking service: an address of the old bookkeeping table.
                try await conductor.allocateNetwork(instance.uuid, context: context)
            }
            guest = try await update(instance.uuid, spawning, context)
        } catch {
            // The networks could not be allocated: the build ends here (Nova's BuildAbortException).
            let message = (error as? NovaError)?.message ?? "\(error)"
            logger.error("the networks of \(instance.uuid) could not be allocated: \(message)")
            await abortBuild(
                instance, "Failed to allocate the network(s): \(message)", expected: [.networking], context)
            return
        }
        if !(guest.blockDevices ?? []).isEmpty {
            do {
                guest = try await prepareBlockDevices(guest, context: context)
                guest = try await update(
                    instance.uuid, InstanceUpdate(expectedTaskStates: [.blockDeviceMapping], taskState: .spawning),
                    context)
            } catch {
                // Nova's BuildAbortException ("Failure prepping block device"): not rescheduled.
                let message = (error as? NovaError)?.message ?? "\(error)"
                logger.error("the volumes of \(instance.uuid) could not be prepared: \(message)")
                await releaseBlockDeviceAttachments(instance, context: context)
                await abortBuild(
                    instance, "Failure prepping block device: \(message)", expected: [.blockDeviceMapping], context)
                return
            }
        }
        if let failure = TrustedImageCertificates.verificationFailure(
            guest.trustedImageCertificates, imageID: guest.imageRef,
            properties: guest.schedulingRequest?.imageProperties ?? [:])
        {
            // Nova's SignatureVerificationError and CertificateValidationFailed end the build (BuildAbortException).
            logger.error("the image of \(instance.uuid) could not be verified: \(failure)")
            await releaseBlockDeviceAttachments(instance, context: context)
            await abortBuild(instance, failure, expected: [.spawning], context)
            return
        }
        do {
            try await plugWaitingForPorts(ports, of: guest) { try await driver.spawn(guest) }
            try await completeBlockDevices(guest)
        } catch let error as NovaError where error.code == .virtualInterfaceCreateFailed {
            // Nova's VirtualInterfaceCreateException: the build is aborted, not rescheduled.
            logger.error("the ports of \(instance.uuid) did not come up: \(error.message)")
            try? await driver.destroy(instance)
            await releaseBlockDeviceAttachments(instance, context: context)
            await abortBuild(instance, error.message, expected: [.spawning], context)
            return
        } catch {
            let message = (error as? NovaError)?.message ?? "\(error)"
            logger.error("spawn of \(instance.uuid) failed: \(message)")
            if !(guest.blockDevices ?? []).isEmpty {
                // Its volumes are connected to this host: the build ends here rather than elsewhere.
                try? await driver.destroy(guest)
                await releaseBlockDeviceAttachments(instance, context: context)
                await abortBuild(instance, message, expected: [.spawning], context)
                return
            }
            if await reschedule(instance, alternates, message, context) { return }
            await abortBuild(instance, message, expected: [.spawning, .scheduling], context)
            return
        }
        do {
            let built = try await update(instance.uuid, spawned(), context)
            await event(instance, Self.buildEvent, context, result: "Success", reached: built)
        } catch {
            logger.warning("the build of \(instance.uuid) could not be recorded as ACTIVE: \(error)")
            await event(instance, Self.buildEvent, context, result: "Error", traceback: "\(error)")
        }
    }

    /// BuildAbortException: the server's ports and allocation are given back and it ends in ERROR with the
    /// reason as its fault.
    func abortBuild(_ instance: Instance, _ reason: String, expected: [TaskState?], _ context: RPCContext) async {
        await deallocateNetworks(instance)
        try? await placement.deleteAllocations(consumer: instance.uuid)
        let fault = InstanceFault(
            code: 500, message: "Build of instance \(instance.uuid) aborted: \(reason)", created: clock.now)
        _ = try? await update(
            instance.uuid,
            InstanceUpdate(expectedTaskStates: expected, vmState: .error, taskState: .some(nil), fault: fault), context)
        await event(instance, Self.buildEvent, context, result: "Error", traceback: reason)
    }

    /// A spawned guest's build is done: ACTIVE, running, launched now.
    func spawned() -> InstanceUpdate {
        InstanceUpdate(
            expectedTaskStates: [.spawning], vmState: .active, taskState: .some(nil), powerState: .running,
            launchedAt: clock.now, progress: 100)
    }

    /// Cleans up this host's part of a failed build and hands it back to the conductor; false if that failed.
    func reschedule(_ instance: Instance, _ alternates: [HostChoice], _ message: String, _ context: RPCContext) async
        -> Bool
    {
        try? await driver.destroy(instance)
        do {
            try await placement.deleteAllocations(consumer: instance.uuid)
            let current = try await update(
                instance.uuid, InstanceUpdate(expectedTaskStates: [.spawning], taskState: .scheduling), context)
            await event(instance, Self.buildEvent, context, result: "Error", traceback: message)
            try await conductor.rescheduleInstance(
                RescheduleRequest(instance: current, alternates: alternates, failedHost: config.host, reason: message),
                context: context)
            return true
        } catch {
            logger.error("could not reschedule \(instance.uuid): \(error)")
            return false
        }
    }
}
