import Foundation
import HostSystem
import Testing

/// Programs the compute host starts (QEMU above all, which outlives the service) get none of its descriptors.
@Suite struct ProcessRunnerTests {
    @Test func aSpawnedProgramInheritsNoDescriptorBeyondItsStandardOnes() async throws {
        // A descriptor without close-on-exec, as a listening socket of a library may be.
        let open = Glibc.open("/dev/null", O_RDONLY)
        #expect(open > 2)
        defer { close(open) }
        let result = try await ProcessRunner.run(
            "/bin/sh", ["-c", "if [ -e /proc/$$/fd/\(open) ]; then echo inherited; else echo closed; fi"])
        #expect(result.status == 0)
        #expect(result.output.trimmingCharacters(in: .whitespacesAndNewlines) == "closed")
    }
}
