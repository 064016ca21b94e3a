import Foundation
import Logging
import NovaCore
import Testing

@testable import APISupport

/// A 5xx answer tells the client what kind of failure it was and the request id, never the server's insides.
@Suite struct ErrorBodyTests {
    static let logger = Logger(label: "test")

    @Test func aServerErrorIsGenericAndNamesTheRequest() {
        let inside = CocoaError(.fileWriteNoPermission, userInfo: [NSFilePathErrorKey: "/var/lib/nova/images/x"])
        for error in [inside as any Error, NovaError.internalError("cannot write /var/lib/nova/images/x")] {
            let shown = OpenStackMiddleware.clientError(error, requestID: "req-1", logger: Self.logger)
            #expect(shown.code.status == 500)
            #expect(!shown.message.contains("/var/lib/nova"), "\(shown.message)")
            #expect(!shown.message.contains("CocoaError"), "\(shown.message)")
            #expect(shown.message.contains("req-1"), "\(shown.message)")
        }
        let timeout = OpenStackMiddleware.clientError(
            NovaError(.timeout, "Timed out waiting for a reply from conductor at 10.0.0.5"), requestID: "req-3",
            logger: Self.logger)
        #expect(timeout.code.status == 504 && !timeout.message.contains("10.0.0.5"))
    }

    @Test func notImplementedKeepsItsMessage() {
        let shown = OpenStackMiddleware.clientError(
            NovaError(.notImplemented, "The action 'x' is not available in this release."), requestID: "req-2",
            logger: Self.logger)
        #expect(shown.code.status == 501)
        #expect(shown.message.contains("not available in this release"))
    }
}
