/// Where and as whom to connect: the usual OS_* environment, overridden by --os-* flags.
public struct ClientSettings: Sendable, Equatable {
    public var authURL: String?
    public var username: String?
    public var password: String?
    public var projectName: String?
    public var userDomainName: String
    public var projectDomainName: String
    public var cacert: String?
    public var computeAPIVersion: String
    /// Keep tokens in a cache file between calls (with their expiry).
    public var cacheTokens: Bool

    public init(environment: [String: String]) {
        authURL = environment["OS_AUTH_URL"]
        username = environment["OS_USERNAME"]
        password = environment["OS_PASSWORD"]
        projectName = environment["OS_PROJECT_NAME"] ?? environment["OS_TENANT_NAME"]
        userDomainName = environment["OS_USER_DOMAIN_NAME"] ?? "Default"
        projectDomainName = environment["OS_PROJECT_DOMAIN_NAME"] ?? "Default"
        cacert = environment["OS_CACERT"]
        computeAPIVersion = environment["OS_COMPUTE_API_VERSION"] ?? "2.96"
        cacheTokens = environment["NOVA_TOKEN_CACHE"] != "0"
    }

    /// Checks that enough is known to authenticate, naming what is missing.
    public func validated() throws -> ClientSettings {
        var missing: [String] = []
        if authURL == nil { missing.append("OS_AUTH_URL (--os-auth-url)") }
        if username == nil { missing.append("OS_USERNAME (--os-username)") }
        if password == nil { missing.append("OS_PASSWORD (--os-password)") }
        if projectName == nil { missing.append("OS_PROJECT_NAME (--os-project-name)") }
        guard missing.isEmpty else {
            throw ClientError(
                "You must provide \(missing.joined(separator: ", ")): source an openrc file or pass the flags.")
        }
        let version = computeAPIVersion.lowercased() == "latest" ? "2.96" : computeAPIVersion
        guard version.split(separator: ".").count == 2, version.split(separator: ".").allSatisfy({ Int($0) != nil })
        else {
            throw ClientError("OS_COMPUTE_API_VERSION must look like 2.60 or be 'latest', not '\(computeAPIVersion)'")
        }
        var settings = self
        settings.computeAPIVersion = version
        return settings
    }
}
