import NovaCore
import NovaTestSupport
import NovaVirt
import Testing

@Suite struct FakeDriverConformanceTests {
    @Test func fakeDriverPassesTheConformanceSuite() async throws {
        try await DriverConformance.check(
            FakeDriver(hostname: "fake"), instance: DriverConformance.instance(imageRef: "any"))
    }

    @Test func fakeDriverPassesTheVolumeCases() async throws {
        let connection: JSON = ["driver_volume_type": "nbd", "data": ["host": "127.0.0.1", "port": "10810"]]
        let driver = FakeDriver(hostname: "fake")
        try await DriverConformance.checkVolumes(
            driver, instance: DriverConformance.instance(imageRef: "any"),
            data: DriverConformance.volume("data-volume", device: "/dev/vdb", connection: connection),
            again: DriverConformance.volume("data-volume", device: "/dev/vdb", connection: connection),
            swapped: DriverConformance.volume("other-volume", device: "/dev/vdb", connection: connection),
            root: DriverConformance.volume("root-volume", device: "/dev/vda", bootIndex: 0, connection: connection),
            grow: { _ in 2 << 30 }
        ) { _, moment in
            if case .grown(let volume, let bytes) = moment { #expect(await driver.volumeSize(volume) == bytes) }
        }
    }

    @Test func consoleOutputTailTakesLinesFromTheEnd() {
        let output = Array("one\r\ntwo\r\nthree\r\n".utf8)
        #expect(ConsoleLimits.tail(output, lines: 2) == "two\r\nthree\r")
        #expect(ConsoleLimits.tail(output, lines: 0) == "")
        #expect(ConsoleLimits.tail(output, lines: nil) == "one\r\ntwo\r\nthree\r\n")
    }

    @Test func aGuestThatPowersItselfOffIsReported() async throws {
        let driver = FakeDriver(hostname: "fake")
        let instance = DriverConformance.instance(imageRef: "any")
        try await driver.spawn(instance)
        var events = driver.lifecycleEvents.makeAsyncIterator()
        await driver.guestPoweredOff(instance.uuid)
        #expect(await events.next() == instance.uuid)
        #expect(await driver.powerState(of: instance) == .shutdown)
    }
}
