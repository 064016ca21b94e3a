import Foundation
import NovaCore
import Testing

@Suite struct AmzDateTests {
    @Test func knownInstants() {
        #expect(AmzDate.parse("19700101T000000Z") == Date(timeIntervalSince1970: 0))
        #expect(AmzDate.parse("20150830T123600Z") == Date(timeIntervalSince1970: 1_440_938_160))
        #expect(AmzDate.parse("20240229T235959Z") == Date(timeIntervalSince1970: 1_709_251_199))
        #expect(AmzDate.format(Date(timeIntervalSince1970: 1_440_938_160)) == "20150830T123600Z")
        #expect(AmzDate.format(Date(timeIntervalSince1970: 1_709_251_199.9)) == "20240229T235959Z")
    }

    @Test func everyDayOfFourCenturiesRoundTrips() {
        for day in stride(from: -146_097, to: 146_097 * 2, by: 1) {
            let date = Date(timeIntervalSince1970: TimeInterval(day * 86_400 + 45_296))
            let text = AmzDate.format(date)
            guard AmzDate.parse(text) == date else {
                Issue.record("\(text) did not read back as \(date)")
                return
            }
        }
    }

    @Test(arguments: [
        "", "20150830T123600", "20150830 123600Z", "2015083OT123600Z", "20151330T123600Z", "20150230T123600Z",
        "20230229T000000Z", "20150830T243600Z", "20150830T126000Z", "-0150830T123600Z", "２0150830T123600Z",
    ])
    func malformedIsNil(_ text: String) {
        #expect(AmzDate.parse(text) == nil)
    }
}
