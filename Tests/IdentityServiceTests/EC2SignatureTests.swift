import Foundation
import IdentityService
import Testing

/// AWS signatures as botocore makes them (the vectors below are botocore's for these requests and key), and
/// the refusals: another secret, a stale timestamp, a date outside the credential's scope, Version 0.
@Suite struct EC2SignatureTests {
    static let secret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
    static let signedAt = ISO8601DateFormatter().date(from: "2026-12-05T07:57:15Z")!

    static func authorization(_ scope: String, _ headers: String, _ signature: String) -> String {
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261205/\(scope)/ec2/aws4_request, SignedHeaders=\(headers), "
            + "Signature=\(signature)"
    }

    static let headerSigned = EC2SignedRequest(
        access: "AKIDEXAMPLE", signature: "323adb35f128254d291455e5dd30bde8340e1ce80f23cd74e1ca9e238220f589",
        host: "ec2.example.com", verb: "GET", path: "/",
        params: ["Action": "DescribeInstances", "Version": "2016-11-15", "Filter.1.Name": "instance-state-name"],
        headers: [
            "Host": "ec2.example.com", "X-Amz-Date": "20261205T075715Z",
            "Authorization": authorization(
                "us-east-1", "host;x-amz-date", "323adb35f128254d291455e5dd30bde8340e1ce80f23cd74e1ca9e238220f589"),
        ],
        bodyHash: "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")

    /// AWS's published Signature Version 4 test suite (aws-sig-v4-test-suite: `get-vanilla`,
    /// `get-vanilla-query-order-key-case`, `post-x-www-form-urlencoded`), written from the suite's values:
    /// key AKIDEXAMPLE, the secret above, 20150830T123600Z, us-east-1, service `service`.
    @Test func awsPublishedVectors() throws {
        func vector(
            _ verb: String, params: [String: String], extra: [String: String], signedHeaders: String, body: String
        )
            -> EC2SignedRequest
        {
            var headers = ["Host": "example.amazonaws.com", "X-Amz-Date": "20150830T123600Z"]
            headers.merge(extra) { _, new in new }
            headers["Authorization"] =
                "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
                + "SignedHeaders=\(signedHeaders), Signature=x"
            return EC2SignedRequest(
                access: "AKIDEXAMPLE", signature: "", host: "example.amazonaws.com", verb: verb, path: "/",
                params: params, headers: headers, bodyHash: body)
        }
        let empty = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        let vanilla = vector("GET", params: [:], extra: [:], signedHeaders: "host;x-amz-date", body: empty)
        #expect(
            try EC2Signature.signature(of: vanilla, secret: Self.secret)
                == "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31")
        let query = vector(
            "GET", params: ["Param2": "value2", "Param1": "value1"], extra: [:], signedHeaders: "host;x-amz-date",
            body: empty)
        #expect(
            try EC2Signature.signature(of: query, secret: Self.secret)
                == "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500")
        // The SHA-256 of the body `Param1=value1`.
        let form = vector(
            "POST", params: [:], extra: ["Content-Type": "application/x-www-form-urlencoded"],
            signedHeaders: "content-type;host;x-amz-date",
            body: "9095672bbd1f56dfc5b65f3e153adc8731a4a654192329106275f4c7b24d0b6e")
        #expect(
            try EC2Signature.signature(of: form, secret: Self.secret)
                == "ff11897932ad3f4e8b18135d722051e5ac45fc38421b1da7b9d196a0fe09473a")
    }

    @Test func version4InTheAuthorizationHeader() throws {
        #expect(try EC2Signature.verify(Self.headerSigned, secret: Self.secret, now: Self.signedAt, window: 300))
        #expect(try !EC2Signature.verify(Self.headerSigned, secret: "another", now: Self.signedAt, window: 300))
        var tampered = Self.headerSigned
        tampered.params["Action"] = "TerminateInstances"
        #expect(try !EC2Signature.verify(tampered, secret: Self.secret, now: Self.signedAt, window: 300))
        #expect(throws: EC2Signature.Failure.expired) {
            try EC2Signature.verify(
                Self.headerSigned, secret: Self.secret, now: Self.signedAt.addingTimeInterval(301), window: 300)
        }
    }

    @Test func version4OfAPostWithItsBodyHash() throws {
        let signature = "02d251985f11a37af326ecb36054fe444be6e960d78d11abff6822cbfa8454b2"
        let request = EC2SignedRequest(
            access: "AKIDEXAMPLE", signature: signature, host: "ec2.example.com:8788", verb: "POST", path: "/ec2",
            params: ["Action": "DescribeInstances", "Version": "2016-11-15"],
            headers: [
                "Host": "ec2.example.com:8788", "X-Amz-Date": "20261205T075715Z",
                "Content-Type": "application/x-www-form-urlencoded; charset=utf-8",
                "Authorization": Self.authorization("RegionOne", "content-type;host;x-amz-date", signature),
            ],
            bodyHash: "6171eb09865e32b0602af0f7957e26573a51f53caaedff02ff88883cb0275885")
        #expect(try EC2Signature.verify(request, secret: Self.secret, now: Self.signedAt, window: 300))
    }

    @Test func version4InTheQueryString() throws {
        let request = EC2SignedRequest(
            access: "AKIDEXAMPLE", signature: "e650ba40b9c81c4ebedc431b77cf25c91d1112a0a91563a9a180ef7e2f85325d",
            host: "ec2.example.com", verb: "GET", path: "/",
            params: [
                "Action": "DescribeRegions", "Version": "2016-11-15", "X-Amz-Algorithm": "AWS4-HMAC-SHA256",
                "X-Amz-Credential": "AKIDEXAMPLE/20261205/us-east-1/ec2/aws4_request",
                "X-Amz-Date": "20261205T075715Z", "X-Amz-Expires": "300", "X-Amz-SignedHeaders": "host",
                "X-Amz-Signature": "e650ba40b9c81c4ebedc431b77cf25c91d1112a0a91563a9a180ef7e2f85325d",
            ],
            headers: ["Host": "ec2.example.com"],
            bodyHash: "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(try EC2Signature.verify(request, secret: Self.secret, now: Self.signedAt, window: 300))
    }

    @Test func version2AndTheRefusedVersions() throws {
        var request = EC2SignedRequest(
            access: "AKIDEXAMPLE", signature: "UVb8sJQXTiCh2WHUQzwN31CY2fsQ5x924X9exOdWcyk=",
            host: "ec2.example.com:8788", verb: "POST", path: "/ec2",
            params: [
                "Action": "DescribeRegions", "Version": "2016-11-15", "Timestamp": "2026-12-05T07:57:18Z",
                "AWSAccessKeyId": "AKIDEXAMPLE", "SignatureVersion": "2", "SignatureMethod": "HmacSHA256",
            ],
            headers: [:], bodyHash: "")
        #expect(try EC2Signature.verify(request, secret: Self.secret, now: Self.signedAt, window: 300))
        request.params["SignatureVersion"] = "0"
        #expect(throws: EC2Signature.Failure.unsupported) {
            try EC2Signature.verify(request, secret: Self.secret, now: Self.signedAt, window: 300)
        }
    }

    @Test func aDateOutsideTheCredentialScopeIsRefused() {
        var request = Self.headerSigned
        request.headers["X-Amz-Date"] = "20261206T075715Z"
        #expect(throws: EC2Signature.Failure.dateMismatch) {
            try EC2Signature.verify(request, secret: Self.secret, now: Self.signedAt, window: 300)
        }
    }
}
