/// A compute API microversion such as 2.47.
public struct APIVersion: Sendable, Hashable, Comparable, CustomStringConvertible {
    public let major: Int
    public let minor: Int

    public init(_ major: Int, _ minor: Int) {
        self.major = major
        self.minor = minor
    }

    public static let minimum = APIVersion(2, 1)
    /// The newest microversion this server implements.
    public static let maximum = APIVersion(2, 104)

    /// Placement's range (placement/microversion.py).
    public static let placementMinimum = APIVersion(1, 0)
    public static let placementMaximum = APIVersion(1, 39)

    /// The version `OpenStack-API-Version` asks of `service` ("placement 1.20, compute 2.1"), the last one
    /// named; nil when the header names none.
    static func requested(service: String, in header: String?) -> String? {
        var requested: String?
        for item in (header ?? "").split(separator: ",") {
            let words = item.split(separator: " ", omittingEmptySubsequences: true)
            if words.count == 2, words[0].lowercased() == service { requested = String(words[1]) }
        }
        return requested
    }

    /// Negotiates a Placement microversion from `OpenStack-API-Version: placement X.Y` (or `latest`).
    public static func negotiatePlacement(_ header: String?) throws(NovaError) -> APIVersion {
        guard let requested = requested(service: "placement", in: header) else { return .placementMinimum }
        if requested.lowercased() == "latest" { return .placementMaximum }
        guard let version = APIVersion(parsing: requested) else {
            // A well-formed version below 1.0 (0.5) is out of range, not malformed.
            let parts = requested.split(separator: ".", omittingEmptySubsequences: false)
            if parts.count == 2, parts.allSatisfy({ !$0.isEmpty && $0.allSatisfy { $0.isASCII && $0.isNumber } }) {
                throw NovaError(.notAcceptable, "Unacceptable version header: \(requested)")
            }
            throw .badRequest("invalid version string: \(requested)")
        }
        guard version >= .placementMinimum, version <= .placementMaximum else {
            throw NovaError(.notAcceptable, "Unacceptable version header: \(requested)")
        }
        return version
    }

    /// The block-storage range (Cinder v3's microversions this service implements).
    public static let volumeMinimum = APIVersion(3, 0)
    public static let volumeMaximum = APIVersion(3, 70)

    /// Negotiates a block-storage microversion from `OpenStack-API-Version: volume 3.X` (or `latest`): 3.0
    /// without one, 400 for a malformed one and 406 outside the range, in Cinder's words.
    public static func negotiateVolume(_ header: String?) throws(NovaError) -> APIVersion {
        guard let requested = requested(service: "volume", in: header) else { return .volumeMinimum }
        if requested.lowercased() == "latest" { return .volumeMaximum }
        guard let version = APIVersion(parsing: requested) else {
            throw .badRequest(
                "API Version String \(requested) is of invalid format. Must be of format MajorNum.MinorNum.")
        }
        guard version >= .volumeMinimum, version <= .volumeMaximum else {
            throw NovaError(
                .notAcceptable,
                "Version \(requested) is not supported by the API. Minimum is \(volumeMinimum) and maximum is "
                    + "\(volumeMaximum).")
        }
        return version
    }

    public static func < (lhs: APIVersion, rhs: APIVersion) -> Bool {
        (lhs.major, lhs.minor) < (rhs.major, rhs.minor)
    }

    public var description: String { "\(major).\(minor)" }

    /// Parses "X.Y" (no leading zeros past the first digit, as Nova's regex `^([1-9]\d*)\.([1-9]\d*|0)$`).
    public init?(parsing text: String) {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 2, let major = Int(parts[0]), let minor = Int(parts[1]), major > 0, minor >= 0,
            !parts[0].hasPrefix("0"), parts[1] == "0" || !parts[1].hasPrefix("0"),
            parts.allSatisfy({ $0.allSatisfy(\.isASCII) && $0.allSatisfy(\.isNumber) })
        else { return nil }
        self.init(major, minor)
    }

    /// Negotiates the version from the two request headers Nova reads.
    /// - Parameters:
    ///   - standard: the value of `OpenStack-API-Version` (e.g. "compute 2.47"), if any.
    ///   - legacy: the value of `X-OpenStack-Nova-API-Version`, if any.
    /// - Returns: the version; throws 400 when malformed and 406 when out of range.
    public static func negotiate(standard: String?, legacy: String?) throws(NovaError) -> APIVersion {
        var requested: String?
        if let standard {
            for item in standard.split(separator: ",") {
                let words = item.split(separator: " ", omittingEmptySubsequences: true)
                if words.count == 2, words[0].lowercased() == "compute" {
                    requested = String(words[1])
                }
            }
        }
        if requested == nil, let legacy { requested = legacy.trimmingCharacters(in: " ") }
        guard let requested else { return .minimum }
        if requested.lowercased() == "latest" { return .maximum }
        guard let version = APIVersion(parsing: requested) else {
            throw .badRequest(
                "API Version String \(requested) is of invalid format. Must be of format MajorNum.MinorNum.")
        }
        guard version >= .minimum, version <= .maximum else {
            throw NovaError(
                .notAcceptable,
                "Version \(requested) is not supported by the API. Minimum is \(minimum) and maximum is \(maximum).")
        }
        return version
    }
}

extension String {
    func trimmingCharacters(in character: Character) -> String {
        var text = Substring(self)
        while text.first == character { text.removeFirst() }
        while text.last == character { text.removeLast() }
        return String(text)
    }
}
