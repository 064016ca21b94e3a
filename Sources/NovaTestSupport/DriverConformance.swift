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

        try await driver.destroy(instance)
        #expect(await driver.powerState(of: instance) == nil)
        #expect(await !driver.listInstanceUUIDs().contains(instance.uuid))
    }
}
