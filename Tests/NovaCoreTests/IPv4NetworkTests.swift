import NovaCore
import Testing

@Suite struct IPv4NetworkTests {
    @Test func hostNumbersSkipNetworkGatewayAndBroadcast() throws {
        let network = try #require(IPv4Network(parsing: "192.168.10.0/24"))
        #expect(network.hostNumbers == 2...254)
        #expect(network.address(2) == "192.168.10.2")
        #expect(network.address(254) == "192.168.10.254")
    }

    @Test func theBaseIsMasked() throws {
        let network = try #require(IPv4Network(parsing: "10.1.2.3/16"))
        #expect(network.description == "10.1.0.0/16")
        #expect(network.address(258) == "10.1.1.2")
    }

    @Test(arguments: ["10.0.0.0", "10.0.0.0/33", "10.0.0.0/31", "10.0.0/24", "300.0.0.0/24", "x/24"])
    func rejectsWhatIsNotAUsableCIDR(text: String) {
        #expect(IPv4Network(parsing: text) == nil)
    }
}
