import APISupport
@testable import ComputeAPI
import NovaCore
import Testing

@Suite struct PagingTests {
    let items = ["a", "b", "c", "d", "e"]

    @Test func limitAndMarker() throws {
        let page = try Page(QueryParameters("limit=2&marker=b"), maxLimit: 1000)
        let (result, full) = try page.apply(items) { $0 }
        #expect(result == ["c", "d"])
        #expect(full)
    }

    @Test func theLastPageIsNotFull() throws {
        let page = try Page(QueryParameters("limit=2&marker=c"), maxLimit: 1000)
        let (result, full) = try page.apply(items) { $0 }
        #expect(result == ["d", "e"])
        #expect(!full)
    }

    @Test func maxLimitCapsTheLimit() throws {
        let page = try Page(QueryParameters("limit=50"), maxLimit: 3)
        #expect(try page.apply(items) { $0 }.items == ["a", "b", "c"])
    }

    @Test func anUnknownMarkerIs400() throws {
        let page = try Page(QueryParameters("marker=zz"), maxLimit: 1000)
        do {
            _ = try page.apply(items) { $0 }
            Issue.record("unknown marker accepted")
        } catch {
            #expect(error.code == .badRequest)
            #expect(error.message == "marker [zz] not found")
        }
    }

    @Test(arguments: ["limit=-1", "limit=x"])
    func aBadLimitIs400(query: String) {
        #expect(throws: NovaError.self) { try Page(QueryParameters(query), maxLimit: 1000) }
    }
}

@Suite struct HelperTests {
    @Test func sha224MatchesTheStandardVector() {
        #expect(SHA224.hex("abc") == "23097d223405d8228642a477bda255b32aadbce4bda0b3f7e36c9da7")
        #expect(SHA224.hex("") == "d14a028c2a3a2bc9476102bb288234c415a2b01f828ea62ac5b3e42f")
    }

    @Test func hostIDIsEmptyWithoutAHost() {
        #expect(ServerViewBuilder.hostID(projectID: "p", host: nil) == "")
        #expect(ServerViewBuilder.hostID(projectID: "p", host: "h").count == 56)
    }

    @Test func generatedKeysHaveTheFingerprintTheirPublicKeyGives() throws {
        let key = SSHKeys.generate()
        #expect(key.privateKey.hasPrefix("-----BEGIN OPENSSH PRIVATE KEY-----\n"))
        #expect(try SSHKeys.fingerprint(publicKey: key.publicKey) == key.fingerprint)
        #expect(key.fingerprint.split(separator: ":").count == 16)
    }

    @Test(arguments: ["ssh-rsa notbase64!", "nonsense", "ssh-ed25519 AAAAC3NzaC1yc2EAAAADAQAB"])
    func badPublicKeysAre400(key: String) {
        #expect(throws: NovaError.self) { try SSHKeys.fingerprint(publicKey: key) }
    }

    @Test func queryParametersDecode() {
        let query = QueryParameters("name=a%2Bb+c&tag=x&tag=y&flag")
        #expect(query["name"] == "a+b c")
        #expect(query.all("tag") == ["x", "y"])
        #expect(query.contains("flag"))
    }
}
