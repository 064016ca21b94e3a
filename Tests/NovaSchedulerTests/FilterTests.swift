import Foundation
import NovaCore
import NovaScheduler
import Testing

func state(
    _ name: String = "host1", instances: Int = 0, ioOps: Int = 0, aggregates: [[String: String]] = [],
    ip: String = "192.168.1.10", type: String = "fake"
) -> HostState {
    var host = HostState(
        nodeUUID: name, host: name, nodename: name, zone: "nova",
        capacity: Resources(vcpus: 8, memoryMB: 8192, diskGB: 100), used: .zero, instanceCount: instances,
        serviceDisabled: false, serviceUp: true)
    host.ioOps = ioOps
    host.aggregates = aggregates
    host.hostIP = ip
    host.hypervisorType = type
    return host
}

func request(
    extraSpecs: [String: String] = [:], project: String = "p", image: [String: String] = [:],
    resolve: (inout SchedulingHints) -> Void = { _ in }
) -> RequestSpec {
    var flavor = Flavor.defaults[0]
    flavor.extraSpecs = extraSpecs
    var spec = RequestSpec(
        instanceUUIDs: ["a"], projectID: project, userID: "u", flavor: flavor, imageRef: "img", imageProperties: image)
    resolve(&spec.resolved)
    return spec
}

@Suite struct FilterTests {
    @Test(arguments: [(members: 0, limit: nil as Int?, passes: true), (1, nil, false), (1, 2, true), (2, 2, false)])
    func antiAffinityHonoursMaxServerPerHost(members: Int, limit: Int?, passes: Bool) {
        let spec = request {
            $0.groupPolicy = "anti-affinity"
            $0.maxServerPerHost = limit
            if members > 0 { $0.groupHosts = ["host1": members] }
        }
        #expect(ServerGroupAntiAffinityFilter().passes(state(), spec) == passes)
    }

    @Test(arguments: [([:], true), (["host1": 1], true), (["host2": 1], false)])
    func affinityKeepsMembersTogether(groupHosts: [String: Int], passes: Bool) {
        let spec = request {
            $0.groupPolicy = "affinity"
            $0.groupHosts = groupHosts
        }
        #expect(ServerGroupAffinityFilter().passes(state(), spec) == passes)
    }

    @Test func hostHints() {
        #expect(!DifferentHostFilter().passes(state(), request { $0.differentHosts = ["host1"] }))
        #expect(DifferentHostFilter().passes(state(), request { $0.differentHosts = ["host2"] }))
        #expect(SameHostFilter().passes(state(), request { $0.sameHosts = ["host1"] }))
        #expect(!SameHostFilter().passes(state(), request { $0.sameHosts = ["host2"] }))
        #expect(SimpleCIDRAffinityFilter().passes(state(), request { $0.nearNetwork = "192.168.1.1/24" }))
        #expect(!SimpleCIDRAffinityFilter().passes(state(), request { $0.nearNetwork = "192.168.2.1/24" }))
    }

    @Test(arguments: [(49, true), (50, false)])
    func numInstances(count: Int, passes: Bool) {
        #expect(NumInstancesFilter(maxInstancesPerHost: 50).passes(state(instances: count), request()) == passes)
    }

    @Test(arguments: [(7, true), (8, false)])
    func ioOps(count: Int, passes: Bool) {
        #expect(IoOpsFilter(maxIOOpsPerHost: 8).passes(state(ioOps: count), request()) == passes)
    }

    @Test(arguments: [
        ([:], [[:]], true), (["ssd": "true"], [["ssd": "true"]], true), (["ssd": "true"], [[:]], false),
        (["aggregate_instance_extra_specs:ssd": "true"], [["ssd": "false,true"]], true),
        (["hw:cpu_policy": "dedicated"], [[:]], true), (["tier": "<or> gold <or> silver"], [["tier": "silver"]], true),
    ])
    func aggregateExtraSpecs(specs: [String: String], metadata: [[String: String]], passes: Bool) {
        #expect(
            AggregateInstanceExtraSpecsFilter().passes(state(aggregates: metadata), request(extraSpecs: specs))
                == passes)
    }

    @Test func tenantIsolationAndTypeAffinity() {
        let isolated = state(aggregates: [["filter_tenant_id": "p1,p2"]])
        #expect(AggregateMultiTenancyIsolation().passes(isolated, request(project: "p2")))
        #expect(!AggregateMultiTenancyIsolation().passes(isolated, request(project: "p3")))
        #expect(AggregateMultiTenancyIsolation().passes(state(), request(project: "p3")))
        #expect(AggregateTypeAffinityFilter().passes(state(aggregates: [["instance_type": "m1.tiny"]]), request()))
        #expect(!AggregateTypeAffinityFilter().passes(state(aggregates: [["instance_type": "m1.large"]]), request()))
    }

    @Test(arguments: [
        ("capabilities:hypervisor_type", "fake", true), ("capabilities:hypervisor_type", "s== qemu", false),
        ("capabilities:vcpus", ">= 4", true), ("capabilities:vcpus", ">= 16", false),
        ("capabilities:cpu_info:arch", "<in> x86", true),
    ])
    func computeCapabilities(key: String, value: String, passes: Bool) {
        #expect(ComputeCapabilitiesFilter().passes(state(), request(extraSpecs: [key: value])) == passes)
    }

    @Test func imageProperties() {
        #expect(ImagePropertiesFilter().passes(state(), request(image: ["hw_architecture": "x86_64"])))
        #expect(!ImagePropertiesFilter().passes(state(), request(image: ["hw_architecture": "aarch64"])))
        #expect(!ImagePropertiesFilter().passes(state(), request(image: ["img_hv_type": "qemu"])))
        #expect(ImagePropertiesFilter().passes(state(type: "qemu"), request(image: ["img_hv_type": "kvm"])))
    }

    @Test(arguments: [
        (true, "img", "host1", true), (true, "img", "host2", false), (true, "other", "host1", false),
        (false, "other", "host1", true),
    ])
    func isolatedHosts(restrict: Bool, image: String, host: String, passes: Bool) {
        let filter = IsolatedHostsFilter(isolatedImages: ["img"], isolatedHosts: ["host1"], restrict: restrict)
        var spec = request()
        spec.imageRef = image
        #expect(filter.passes(state(host), spec) == passes)
    }

    @Test(arguments: [
        (#"[">=", "$free_ram_mb", 1024]"#, true), (#"["<", "$free_ram_mb", 1024]"#, false),
        (#"["and", [">=", "$vcpus_total", 8], ["=", "$host", "host1"]]"#, true),
        (#"["not", ["in", "$host", "host1", "host2"]]"#, false), (#"["or", false, ["=", "$num_instances", 0]]"#, true),
    ])
    func jsonQuery(query: String, passes: Bool) {
        #expect(JsonFilter().passes(state(), request { $0.query = query }) == passes)
    }

    /// Each weigher prefers the host it should, given two hosts that differ in what it measures.
    @Test(arguments: [
        ("DiskWeigher", true), ("NumInstancesWeigher", false), ("IoOpsWeigher", true), ("BuildFailureWeigher", true),
        ("HypervisorVersionWeigher", false), ("ServerGroupSoftAffinityWeigher", false),
        ("ServerGroupSoftAntiAffinityWeigher", true),
    ])
    func weighersPreferTheRightHost(name: String, prefersQuietHost: Bool) {
        var quiet = state("quiet")
        var busy = state("busy", instances: 5, ioOps: 3)
        busy.used = Resources(vcpus: 2, memoryMB: 1024, diskGB: 50)
        busy.failedBuilds = 2
        busy.hypervisorVersion = 2000
        quiet.hypervisorVersion = 1000
        let weighers: [String: any HostWeigher] = [
            "DiskWeigher": DiskWeigher(), "NumInstancesWeigher": NumInstancesWeigher(multiplier: 1),
            "IoOpsWeigher": IoOpsWeigher(), "BuildFailureWeigher": BuildFailureWeigher(),
            "HypervisorVersionWeigher": HypervisorVersionWeigher(),
            "ServerGroupSoftAffinityWeigher": ServerGroupSoftAffinityWeigher(),
            "ServerGroupSoftAntiAffinityWeigher": ServerGroupSoftAntiAffinityWeigher(),
        ]
        let weigher = weighers[name]!
        let spec = request {
            $0.groupPolicy = name.contains("Anti") ? "soft-anti-affinity" : "soft-affinity"
            $0.groupHosts = ["busy": 1]
        }
        let quietWins =
            weigher.weight(quiet, spec) * weigher.multiplier > weigher.weight(busy, spec) * weigher.multiplier
        #expect(quietWins == prefersQuietHost)
    }
}
