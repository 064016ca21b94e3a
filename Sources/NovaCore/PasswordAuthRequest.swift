/// Keystone's `POST /v3/auth/tokens` with a password, scoped to a project: the URL from an auth URL and the
/// body, as the `nova` client and the services both send it.
public struct PasswordAuthRequest: Sendable {
    public var authURL: String
    public var username: String
    public var password: String
    public var projectName: String
    public var userDomainName: String
    public var projectDomainName: String

    public init(
        authURL: String, username: String, password: String, projectName: String, userDomainName: String,
        projectDomainName: String
    ) {
        self.authURL = authURL
        self.username = username
        self.password = password
        self.projectName = projectName
        self.userDomainName = userDomainName
        self.projectDomainName = projectDomainName
    }

    /// `.../v3/auth/tokens` whether the auth URL ends in `/v3`, a slash or neither.
    public var tokensURL: String { Self.tokensURL(authURL) }

    public static func tokensURL(_ authURL: String) -> String {
        var base = authURL
        while base.hasSuffix("/") { base.removeLast() }
        return base.hasSuffix("/v3") ? base + "/auth/tokens" : base + "/v3/auth/tokens"
    }

    public var body: JSON {
        [
            "auth": [
                "identity": [
                    "methods": ["password"],
                    "password": [
                        "user": [
                            "name": .string(username), "domain": ["name": .string(userDomainName)],
                            "password": .string(password),
                        ]
                    ],
                ],
                "scope": [
                    "project": ["name": .string(projectName), "domain": ["name": .string(projectDomainName)]]
                ],
            ]
        ]
    }
}
