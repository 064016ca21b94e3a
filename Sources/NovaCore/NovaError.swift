/// An error a user can act on. The API adapters map `code` to an HTTP status and body in one place.
public struct NovaError: Error, Sendable, Equatable, CustomStringConvertible {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        public let status: Int
        /// Nova's fault name (the body's top-level key).
        public let name: String

        public init(status: Int, name: String) {
            self.status = status
            self.name = name
        }

        public static let badRequest = Code(status: 400, name: "badRequest")
        public static let unauthorized = Code(status: 401, name: "unauthorized")
        public static let forbidden = Code(status: 403, name: "forbidden")
        public static let notFound = Code(status: 404, name: "itemNotFound")
        public static let badMethod = Code(status: 405, name: "badMethod")
        public static let notAcceptable = Code(status: 406, name: "notAcceptable")
        public static let conflict = Code(status: 409, name: "conflictingRequest")
        public static let gone = Code(status: 410, name: "gone")
        public static let overLimit = Code(status: 413, name: "overLimit")
        public static let unsupportedMediaType = Code(status: 415, name: "badMediaType")
        public static let internalError = Code(status: 500, name: "computeFault")
        public static let notImplemented = Code(status: 501, name: "notImplemented")
        public static let serviceUnavailable = Code(status: 503, name: "serviceUnavailable")
        public static let timeout = Code(status: 504, name: "computeFault")
        /// The scheduler found no host; shown to users as a 500 fault on the instance.
        public static let noValidHost = Code(status: 500, name: "NoValidHost")

        public var description: String { name }
    }

    public let code: Code
    public let message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public static func badRequest(_ message: String) -> NovaError { NovaError(.badRequest, message) }
    public static func notFound(_ message: String) -> NovaError { NovaError(.notFound, message) }
    public static func forbidden(_ message: String) -> NovaError { NovaError(.forbidden, message) }
    public static func conflict(_ message: String) -> NovaError { NovaError(.conflict, message) }
    public static func unauthorized(_ message: String) -> NovaError { NovaError(.unauthorized, message) }
    public static func internalError(_ message: String) -> NovaError { NovaError(.internalError, message) }
    public static func serviceUnavailable(_ message: String) -> NovaError { NovaError(.serviceUnavailable, message) }

    public var description: String { "\(code.name) (\(code.status)): \(message)" }
}
