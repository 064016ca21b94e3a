import Foundation
import Logging
import NovaCore
import NovaTestSupport
import NovaVirt
import NovaVirtQEMU
import QMP
import Testing

@Suite(.enabled(if: QEMUEnvironment.available, "needs qemu-system-x86 and .build-guest/nova-guest.qcow2"), .serialized)
struct QEMUDriverTests {
    func makeDriver(_ directory: String) -> QEMUDriver {
        QEMUDriver(
            config: QEMUDriverConfig(
                instancesPath: directory + "/instances", hypervisorHostname: "qemu-test", virtType: .auto,
                shutdownTimeout: .seconds(20)),
            images: FileImageBackend(directory: directory), logger: Logger(label: "qemu-test"))
    }

    @Test func qemuDriverPassesTheConformanceSuite() async throws {
        let directory = try QEMUEnvironment.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let driver = makeDriver(directory)
        try await driver.initHost(host: "qemu-test")
        let instance = DriverConformance.instance(imageRef: "guest")
        try await DriverConformance.check(driver, instance: instance)
        #expect(QEMUEnvironment.processes(naming: instance.uuid).isEmpty)
    }

    @Test func aRestartedComputeFindsItsGuestsAgain() async throws {
        let directory = try QEMUEnvironment.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let instance = DriverConformance.instance(imageRef: "guest")
        let first = makeDriver(directory)
        try await first.initHost(host: "qemu-test")
        try await first.spawn(instance)
        let pids = QEMUEnvironment.processes(naming: instance.uuid)
        #expect(pids.count == 1)

        // A new driver on the same instances path, as after a compute restart: same process, no duplicate.
        await first.detach()
        let second = makeDriver(directory)
        try await second.initHost(host: "qemu-test")
        #expect(await second.powerState(of: instance) == .running)
        try await second.pause(instance)
        #expect(await second.powerState(of: instance) == .paused)
        #expect(QEMUEnvironment.processes(naming: instance.uuid) == pids)
        try await second.destroy(instance)
        #expect(QEMUEnvironment.processes(naming: instance.uuid).isEmpty)
    }

    @Test func aQEMUThatEndsBecomesShutdownWithAnEvent() async throws {
        let directory = try QEMUEnvironment.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let driver = makeDriver(directory)
        try await driver.initHost(host: "qemu-test")
        let instance = DriverConformance.instance(imageRef: "guest")
        try await driver.spawn(instance)
        try await waitForConsole(driver, instance, containing: "NOVA-GUEST-BOOTED")
        // QEMU ends outside the driver (a signal, as when it crashes or an operator kills it).
        var events = driver.lifecycleEvents.makeAsyncIterator()
        let pid = try #require(QEMUEnvironment.processes(naming: instance.uuid).first)
        kill(pid, SIGTERM)
        #expect(await events.next() == instance.uuid)
        for _ in 0..<100 where await driver.powerState(of: instance) != .shutdown {
            try await Task.sleep(for: .milliseconds(100))
        }
        #expect(await driver.powerState(of: instance) == .shutdown)
        try await driver.destroy(instance)
    }

    func waitForConsole(_ driver: QEMUDriver, _ instance: Instance, containing marker: String) async throws {
        for _ in 0..<600 {
            let output = String(decoding: try await driver.consoleOutput(instance), as: UTF8.self)
            if output.contains(marker) { return }
            try await Task.sleep(for: .milliseconds(100))
        }
        Issue.record("no \(marker) on the console of \(instance.uuid)")
    }
}
