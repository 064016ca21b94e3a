import APISupport
import HTTPTypes
import Hummingbird
import Testing

@Suite struct CORSTests {
    let cors = CORSOptions(allowedOrigins: ["http://ok.example"], allowHeaders: ["OpenStack-API-Version"])

    func request(_ method: HTTPRequest.Method, _ headers: HTTPFields) -> Request {
        Request(
            head: HTTPRequest(method: method, scheme: "http", authority: "x", path: "/", headerFields: headers),
            body: .init(buffer: .init()))
    }

    @Test func aPreflightFromAnAllowedOriginIsAnswered() throws {
        let answer = try #require(
            cors.preflight(
                request(
                    .options,
                    [
                        .origin: "http://ok.example", .accessControlRequestMethod: "GET",
                        .accessControlRequestHeaders: "openstack-api-version",
                    ])))
        #expect(answer.status == .ok)
        #expect(answer.headers[.accessControlAllowOrigin] == "http://ok.example")
        #expect(answer.headers[.accessControlAllowHeaders] == "openstack-api-version")
    }

    @Test func otherOriginsHeadersAndPlainRequestsGetNoGrant() throws {
        let other = try #require(
            cors.preflight(request(.options, [.origin: "http://evil.example", .accessControlRequestMethod: "GET"])))
        #expect(other.headers[.accessControlAllowOrigin] == nil)
        let header = try #require(
            cors.preflight(
                request(
                    .options,
                    [
                        .origin: "http://ok.example", .accessControlRequestMethod: "GET",
                        .accessControlRequestHeaders: "x-secret",
                    ])))
        #expect(header.headers[.accessControlAllowOrigin] == nil)
        #expect(cors.preflight(request(.options, [.origin: "http://ok.example"])) == nil)
        var response = Response(status: .ok)
        cors.decorate(&response, for: request(.get, [.origin: "http://ok.example"]))
        #expect(response.headers[.accessControlAllowOrigin] == "http://ok.example")
        #expect(response.headers[.vary] == "Origin")
    }
}
