import Foundation
import NovaCore
import NovaVirt
import Testing

/// What every virt driver must do, checked the same way for the fake driver and for QEMU.
public enum DriverConformance {
    /// A small instance of `imageRef` for driver-level tests.
    public static func instance(imageRef: String, memoryMB: Int = 256, rootGB: Int = 1) -> Instance {
        var flavor = Flavor.defaults[0]
        flavor.memoryMB = memoryMB
        flavor.vcpus = 1
        flavor.rootGB = rootGB
        return Instance(
            uuid: UUID().uuidString.lowercased(), displayName: "conformance", projectID: "p", userID: "u",
            flavor: flavor, imageRef: imageRef, createdAt: Date(), reservationID: "r-conformance")
    }

    /// Runs one guest through every lifecycle operation and checks the power state after each.
    public static func check(_ driver: any VirtDriver, instance: Instance) async throws {
        #expect(await driver.powerState(of: instance) == nil)
        await #expect(throws: (any Error).self) { try await driver.pause(instance) }

        try await driver.spawn(instance)
        #expect(await driver.powerState(of: instance) == .running)
        #expect(await driver.listInstanceUUIDs().contains(instance.uuid))

        try await driver.pause(instance)
        #expect(await driver.powerState(of: instance) == .paused)
        try await driver.unpause(instance)
        #expect(await driver.powerState(of: instance) == .running)

        try await driver.powerOff(instance)
        #expect(await driver.powerState(of: instance) == .shutdown)
        try await driver.powerOn(instance)
        #expect(await driver.powerState(of: instance) == .running)

        try await driver.reboot(instance, hard: true)
        #expect(await driver.powerState(of: instance) == .running)

        if driver.capabilities.contains(.suspend) {
            try await driver.suspend(instance)
            #expect(await driver.powerState(of: instance) == .suspended)
            try await driver.resume(instance)
            #expect(await driver.powerState(of: instance) == .running)
        }
        if driver.capabilities.contains(.vncConsole) {
            let console = try await driver.vncConsole(instance)
            #expect(console.port > 0)
        }
        _ = try await driver.consoleOutput(instance)
        let diagnostics = try await driver.diagnostics(instance)
        #expect(diagnostics.state == "running", "\(diagnostics)")
        #expect(
            diagnostics.cpus.count == instance.flavor.vcpus && diagnostics.memoryMaximum == instance.flavor.memoryMB)
        #expect(!diagnostics.disks.isEmpty && diagnostics.disks.allSatisfy { $0.readBytes != nil }, "\(diagnostics)")
        #expect(try await driver.serialConsole(instance).port > 0)
        // The image is in the host's cache already: caching it again is a no-op that succeeds.
        try await driver.cacheImage(instance.imageRef)
        try await driver.injectNMI(instance)
        #expect(await driver.powerState(of: instance) == .running, "a guest that got an NMI runs on")

        try await driver.destroy(instance)
        #expect(await driver.powerState(of: instance) == nil)
        #expect(await !driver.listInstanceUUIDs().contains(instance.uuid))
    }

    /// What a guest is waited for in the volume cases.
    public enum GuestMoment: Sendable {
        case started
        case attached(String)
        /// The volume (its id), written on when first attached, is on the guest again.
        case reattached(String)
        /// The volume (its id) grew to this many bytes while attached.
        case grown(String, Int)
    }

    /// A volume mapping as the compute host hands it to a driver.
    public static func volume(_ id: String, device: String, bootIndex: Int? = nil, connection: JSON)
        -> BlockDeviceMapping
    {
        var mapping = BlockDeviceMapping(
            uuid: UUID().uuidString.lowercased(), volumeID: id, attachmentID: UUID().uuidString.lowercased(),
            deviceName: device, bootIndex: bootIndex, createdAt: Date())
        mapping.connectionInfo = connection.serialized()
        return mapping
    }

    /// Volumes: hot-plugged into a running guest and taken out again, attached again while it is stopped and
    /// there when it starts, and a guest that boots from a volume (`root`, boot index 0) with no disk of its own. `ready` waits
    /// until the guest has taken in what just happened (a real one: its kernel is up, it has read the new disk),
    /// as a user would before detaching.
    /// `again` is the same volume attached anew (its own attachment, as the compute host makes one per attach);
    /// the hot-plugged volume is swapped for `swapped` (another volume, as large) before it is taken out.
    public static func checkVolumes(
        _ driver: any VirtDriver, instance: Instance, data: BlockDeviceMapping, again: BlockDeviceMapping,
        swapped: BlockDeviceMapping, root: BlockDeviceMapping,
        grow: (BlockDeviceMapping) async throws -> Int,
        ready: (Instance, GuestMoment) async throws -> Void = { _, _ in }
    ) async throws {
        let connector = await driver.volumeConnector()
        #expect(connector["host"]?.stringValue?.isEmpty == false, "the connector names the host")
        let connection = try #require(data.connectionInfo.flatMap { JSON.parse(Array($0.utf8)) })
        var guest = instance
        try await driver.spawn(guest)
        try await ready(guest, .started)
        guest.blockDevices = [data]
        try await driver.attachVolume(guest, device: data, connection: connection)
        try await ready(guest, .attached(data.volumeID))
        #expect(await driver.volumeIDs(of: guest) == [data.volumeID], "hot-plugged")
        let swapConnection = try #require(swapped.connectionInfo.flatMap { JSON.parse(Array($0.utf8)) })
        try await driver.swapVolume(guest, old: data, new: swapped, connection: swapConnection)
        guest.blockDevices = [swapped]
        #expect(await driver.volumeIDs(of: guest) == [swapped.volumeID], "swapped")
        try await driver.detachVolume(guest, device: swapped)
        #expect(await driver.volumeIDs(of: guest).isEmpty, "unplugged")
        // Attached while stopped, it is there when the guest starts.
        let againConnection = try #require(again.connectionInfo.flatMap { JSON.parse(Array($0.utf8)) })
        try await driver.powerOff(guest)
        guest.blockDevices = [again]
        try await driver.attachVolume(guest, device: again, connection: againConnection)
        try await driver.powerOn(guest)
        #expect(await driver.volumeIDs(of: guest) == [data.volumeID], "a guest starts with its volumes")
        try await ready(guest, .started)
        try await ready(guest, .reattached(again.volumeID))
        // Grown while attached (the volume service grew its data first), the guest's disk takes the new size.
        let bytes = try await grow(again)
        try await driver.extendVolume(guest, device: again, bytes: bytes)
        try await ready(guest, .grown(again.volumeID, bytes))
        try await driver.detachVolume(guest, device: again)
        try await driver.destroy(guest)
        #expect(await driver.powerState(of: guest) == nil)

        var booted = instance
        booted.uuid = UUID().uuidString.lowercased()
        booted.blockDevices = [root]
        try await driver.spawn(booted)
        #expect(await driver.powerState(of: booted) == .running, "a guest boots from its root volume")
        #expect(await driver.listInstanceUUIDs().contains(booted.uuid))
        #expect(await driver.volumeIDs(of: booted) == [root.volumeID])
        try await ready(booted, .started)
        try await driver.destroy(booted)
        #expect(await driver.powerState(of: booted) == nil)
        #expect(await !driver.listInstanceUUIDs().contains(booted.uuid))
    }
}
