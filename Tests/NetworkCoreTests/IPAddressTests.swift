import NetworkCore
import NovaCore
import Testing

@Suite struct IPAddressTests {
    @Test(arguments: [
        ("10.0.0.5", "10.0.0.5"), ("fd00::1", "fd00::1"), ("FD00:0:0:0:0:0:0:1", "fd00::1"),
        ("2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"), ("::ffff:10.0.0.1", "::ffff:a00:1"), ("::", "::"),
    ])
    func parsesAndPrintsTheCanonicalForm(_ text: String, _ canonical: String) throws {
        #expect(try #require(IPAddress(text)).description == canonical)
    }

    @Test(arguments: [
        "10.0.0", "10.0.0.256", "10.0.0.01.1", "fd00:::1", "1::2::3", "g::1", "", "10.0.0.5 ", "1:2:3:4:5:6:7:8:9",
    ])
    func refusesWhatIsNotAnAddress(_ text: String) {
        #expect(IPAddress(text) == nil)
    }

    @Test func networksContainAndOverlap() throws {
        let a = try #require(IPNetwork(cidr: "10.0.0.0/24"))
        let b = try #require(IPNetwork(cidr: "10.0.0.128/25"))
        let c = try #require(IPNetwork(cidr: "10.0.1.0/24"))
        #expect(a.overlaps(b) && b.overlaps(a) && !a.overlaps(c))
        #expect(a.contains(IPAddress("10.0.0.255")!) && !a.contains(IPAddress("10.0.1.0")!))
        #expect(IPNetwork(cidr: "10.0.0.5/24")?.description == "10.0.0.0/24")
        #expect(IPNetwork(cidr: "fd00::/64")?.last.description == "fd00::ffff:ffff:ffff:ffff")
        #expect(IPNetwork(cidr: "10.0.0.0/33") == nil)
    }

    @Test func defaultPoolsLeaveOutTheNetworkBroadcastAndGateway() throws {
        let network = try #require(IPNetwork(cidr: "192.168.1.0/24"))
        let gateway = AddressAllocator.defaultGateway(network)
        #expect(gateway?.description == "192.168.1.1")
        #expect(
            AddressAllocator.defaultPools(network, gateway: gateway) == [
                IPRange(start: "192.168.1.2", end: "192.168.1.254")
            ])
        #expect(
            AddressAllocator.defaultPools(network, gateway: IPAddress("192.168.1.100")) == [
                IPRange(start: "192.168.1.1", end: "192.168.1.99"),
                IPRange(start: "192.168.1.101", end: "192.168.1.254"),
            ])
    }

    @Test func poolsThatLeaveTheSubnetOrOverlapAreRefused() throws {
        let network = try #require(IPNetwork(cidr: "10.0.0.0/24"))
        #expect(throws: NovaError.self) {
            try AddressAllocator.checkedPools(
                [IPRange(start: "10.0.0.2", end: "10.0.1.5")], network: network, gateway: nil)
        }
        #expect(throws: NovaError.self) {
            try AddressAllocator.checkedPools(
                [IPRange(start: "10.0.0.2", end: "10.0.0.50"), IPRange(start: "10.0.0.40", end: "10.0.0.60")],
                network: network, gateway: nil)
        }
        #expect(throws: NovaError.self) {
            try AddressAllocator.checkedPools(
                [IPRange(start: "10.0.0.1", end: "10.0.0.50")], network: network, gateway: IPAddress("10.0.0.1"))
        }
    }

    @Test func theNextFreeOffsetFollowsTheHighestThenFillsGaps() {
        let pools = [2...5, 10...12]
        #expect(AddressAllocator.offsetAfter(nil, in: pools) == 2)
        #expect(AddressAllocator.offsetAfter(5, in: pools) == 10)
        #expect(AddressAllocator.offsetAfter(12, in: pools) == nil)
        #expect(AddressAllocator.lowestFree(in: pools, used: [2, 3, 5, 10, 11, 12]) == 4)
        #expect(AddressAllocator.lowestFree(in: pools, used: [2, 3, 4, 5, 10, 11, 12]) == nil)
        #expect(AddressAllocator.offsetAfter(Int.max, in: pools) == nil)
    }

    @Test func macAddressesHaveNeutronsBase() {
        let mac = MACAddress.random()
        #expect(mac.hasPrefix("fa:16:3e:") && mac.count == 17)
        #expect(MACAddress.normalized("FA:16:3E:00:00:0A") == "fa:16:3e:00:00:0a")
        #expect(MACAddress.normalized("01:00:5e:00:00:01") == nil)
    }
}
