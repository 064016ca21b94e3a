/// Who is calling: the scope of a validated token.
public struct Credentials: Sendable, Equatable, Codable {
    public var userID: String
    public var userName: String
    public var projectID: String
    public var projectName: String
    public var roles: [String]
    /// `all` for a system-scoped token (nil: scoped to `projectID`).
    public var systemScope: String?
    /// An application credential's access rules: the only calls the token may make (nil: any).
    public var accessRules: [AccessRule]?
    /// The token these credentials were read from, for calls made on the caller's behalf (a genuine Glance
    /// applies its own policy to the user's token, as Nova calls it); set by the middleware, never stored.
    public var token: String?

    public init(
        userID: String, userName: String, projectID: String, projectName: String, roles: [String],
        systemScope: String? = nil, accessRules: [AccessRule]? = nil
    ) {
        self.accessRules = accessRules
        self.userID = userID
        self.userName = userName
        self.projectID = projectID
        self.projectName = projectName
        self.roles = roles
        self.systemScope = systemScope
    }

    public func hasRole(_ role: String) -> Bool { roles.contains { $0.lowercased() == role } }

    /// `context_is_admin` (role:admin).
    public var isAdmin: Bool { hasRole("admin") }
}

extension Credentials {
    /// The caller of a token as Keystone describes it (a validation's or an ec2tokens answer's `token`).
    public init?(keystoneToken token: JSON) {
        guard let user = token["user"], let userID = user["id"]?.stringValue else { return nil }
        let project = token["project"]
        let accessRules = token["application_credential"]?["access_rules"]?.arrayValue?.compactMap { rule in
            rule["service"]?.stringValue.map { service in
                AccessRule(
                    service: service, path: rule["path"]?.stringValue ?? "",
                    method: rule["method"]?.stringValue ?? "")
            }
        }
        self.init(
            userID: userID, userName: user["name"]?.stringValue ?? "",
            projectID: project?["id"]?.stringValue ?? "", projectName: project?["name"]?.stringValue ?? "",
            roles: token["roles"]?.arrayValue?.compactMap { $0["name"]?.stringValue } ?? [],
            systemScope: token["system"]?["all"]?.boolValue == true ? "all" : nil,
            accessRules: (accessRules?.isEmpty ?? true) ? nil : accessRules)
    }
}

/// Nova's default policy rules (nova/policies/base.py), with the role implications Keystone's default
/// roles have (admin implies manager implies member implies reader).
public enum PolicyRule: Sendable {
    case admin
    case projectReaderOrAdmin
    case projectMemberOrAdmin
    case projectManagerOrAdmin
    case serviceOrAdmin
    case anyone

    /// Whether `credentials` may act on a resource owned by `targetProject` (nil: not project-scoped).
    public func allows(_ credentials: Credentials, targetProject: String? = nil) -> Bool {
        if credentials.isAdmin { return true }
        let projectMatches = targetProject == nil || targetProject == credentials.projectID
        switch self {
        case .admin: return false
        case .anyone: return true
        case .serviceOrAdmin: return credentials.hasRole("service")
        case .projectReaderOrAdmin:
            return projectMatches
                && ["reader", "member", "manager"].contains(where: credentials.hasRole)
        case .projectMemberOrAdmin:
            return projectMatches && ["member", "manager"].contains(where: credentials.hasRole)
        case .projectManagerOrAdmin:
            return projectMatches && credentials.hasRole("manager")
        }
    }

    /// Throws Nova's 403 when the rule does not allow the call.
    public func enforce(_ action: String, _ credentials: Credentials, targetProject: String? = nil) throws(NovaError) {
        guard allows(credentials, targetProject: targetProject) else {
            throw .forbidden("Policy doesn't allow \(action) to be performed.")
        }
    }
}
