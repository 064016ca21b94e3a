import Foundation
import NovaCloud
import NovaCore
import NovaTestSupport
import Testing

/// Flavor extra specs: Nova's body schema always, and from 2.86 the values of the keys Nova knows.
@Suite struct FlavorExtraSpecTests {
    static let compute = "/compute/v2.1"

    @Test func knownKeysAreValidatedFrom286() async throws {
        try await withCloud(fakeHosts: 1) { client, _ in
            let admin = try await client.adminToken()
            let specs = Self.compute + "/flavors/1/os-extra_specs"
            func create(_ specs: JSON, version: String = "2.86") async throws -> Reply {
                try await client.request(
                    .post, Self.compute + "/flavors/1/os-extra_specs", token: admin, version: version,
                    body: ["extra_specs": specs])
            }
            func refusal(_ specs: JSON) async throws -> String {
                let reply = try await create(specs)
                #expect(reply.status == 400, "\(specs.serialized()): \(reply.text)")
                return reply.json?["badRequest"]?["message"]?.stringValue ?? reply.text
            }
            // Valid values of each kind, a parameterized key, a group, and keys outside Nova's namespaces.
            let valid: JSON = [
                "hw:cpu_policy": "dedicated", "hw:numa_nodes": 2, "hw:numa_cpus.0": "0-3,^2", "hw_rng:allowed": "True",
                "resources1:VCPU": "2", "resources:CUSTOM_GPU": "1", "trait_x:HW_CPU_X86_AVX": "required",
                "hw:mem_page_size": "2MB", "hw:pmem": "small,large", "quota:disk_read_bytes_sec": "10240",
                "capabilities:cpu_info:features": "avx", "my_filter:key": "anything", "plain": "1.5",
            ]
            let created = try await create(valid)
            #expect(created.status == 200, "\(created.text)")
            #expect(created.json?["extra_specs"]?["hw:numa_nodes"] == "2")

            #expect(
                try await refusal(["hw:cpu_policy": "bogus"])
                    == "Validation failed; 'bogus' is not one of: dedicated, shared, mixed.")
            #expect(
                try await refusal(["hw:numa_nodes": "0"]) == "Validation failed; '0' is less than the min value of '1'."
            )
            #expect(
                try await refusal(["hw:numa_nodes": "two"]) == "Validation failed; 'two' is not a valid integer value.")
            #expect(
                try await refusal(["hw:redirected_usb_ports": "99999999999999999999999"]).contains(
                    "greater than the max value of '15'"))
            #expect(
                try await refusal(["hw_rng:allowed": "maybe"])
                    == "Validation failed; 'maybe' is not a valid boolean-like value.")
            #expect(
                try await refusal(["hw:mem_page_size": "huge"]).hasPrefix(
                    "Validation failed; 'huge' is not of the format"))
            #expect(
                try await refusal(["hw:bogus": "1"])
                    == "Validation failed; extra spec 'hw:bogus' does not appear to be a valid extra spec.")
            #expect(
                try await refusal(["resources:NOT_A_CLASS": "1"]).contains("does not appear to be a valid extra spec"))
            #expect(try await refusal(["trait:CUSTOM_X": "maybe"]).contains("is not one of: required, forbidden"))
            // Nova's pmem pattern backtracks exponentially on a near miss; ours answers at once.
            #expect(
                try await refusal(["hw:pmem": .string(String(repeating: "a", count: 250) + "!")]).contains(
                    "is not of the format"))
            // The body schema: key characters, value types and lengths, and only `extra_specs`.
            #expect(try await refusal(["bad/key": "1"]).contains("was unexpected"))
            #expect(try await refusal(["k": true]).contains("is not of type 'string', 'number'"))
            #expect(try await refusal(["k": .string(String(repeating: "v", count: 256))]).contains("too long"))
            let extra = try await client.request(
                .post, specs, token: admin, version: "2.86", body: ["extra_specs": ["k": "v"], "x": 1])
            #expect(extra.status == 400)
            // Before 2.86 any value of the right type is kept; a refused request changed nothing.
            #expect(try await create(["hw:cpu_policy": "bogus"], version: "2.85").status == 200)
            let stored = try await client.request(.get, specs, token: admin, version: "2.86")
            #expect(stored.json?["extra_specs"]?["hw:cpu_policy"] == "bogus")
            #expect(stored.json?["extra_specs"]?["hw:bogus"] == nil && stored.json?["extra_specs"]?["k"] == nil)
            // The update of one key is validated the same way.
            let update = try await client.request(
                .put, specs + "/hw:cpu_policy", token: admin, version: "2.86", body: ["hw:cpu_policy": "nope"])
            #expect(update.status == 400, "\(update.text)")
            let two = try await client.request(
                .put, specs + "/hw:cpu_policy", token: admin, version: "2.86",
                body: ["hw:cpu_policy": "shared", "x": "y"])
            #expect(two.status == 400)
        }
    }
}
