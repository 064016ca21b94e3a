import NovaCore
import Testing

@Suite struct APIVersionTests {
    @Test func noHeaderMeansTheMinimum() throws {
        #expect(try APIVersion.negotiate(standard: nil, legacy: nil) == APIVersion(2, 1))
    }

    @Test func theStandardHeaderWins() throws {
        #expect(try APIVersion.negotiate(standard: "compute 2.47", legacy: "2.10") == APIVersion(2, 47))
        #expect(try APIVersion.negotiate(standard: "placement 1.2, compute 2.60", legacy: nil) == APIVersion(2, 60))
    }

    @Test func theLegacyHeaderIsRead() throws {
        #expect(try APIVersion.negotiate(standard: nil, legacy: "2.26") == APIVersion(2, 26))
        #expect(try APIVersion.negotiate(standard: "placement 1.2", legacy: "2.26") == APIVersion(2, 26))
    }

    @Test func latestIsTheMaximum() throws {
        #expect(try APIVersion.negotiate(standard: "compute latest", legacy: nil) == APIVersion.maximum)
    }

    @Test(arguments: ["compute 3.0", "compute 2.105", "compute 2.0", "compute 1.5"])
    func outOfRangeIs406(header: String) {
        do {
            _ = try APIVersion.negotiate(standard: header, legacy: nil)
            Issue.record("\(header) was accepted")
        } catch {
            #expect(error.code.status == 406)
        }
    }

    @Test(arguments: ["compute 2.x", "compute 2", "compute 2.05", "compute 02.1", "compute .5"])
    func malformedIs400(header: String) {
        do {
            _ = try APIVersion.negotiate(standard: header, legacy: nil)
            Issue.record("\(header) was accepted")
        } catch {
            #expect(error.code.status == 400)
        }
    }

    @Test func versionsOrder() {
        #expect(APIVersion(2, 9) < APIVersion(2, 10))
        #expect(APIVersion(2, 96).description == "2.96")
    }
}
