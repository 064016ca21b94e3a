import APISupport
import Foundation
import IdentityService
import NovaConfig
import NovaCore
import NovaDB
import ServiceClients

/// A genuine Keystone and Glance in place of the embedded identity and image services.
public struct ExternalServices: Sendable {
    /// `[keystone_authtoken]` (set when it has `auth_url`): tokens are validated by that Keystone, and the
    /// embedded identity service is off.
    public var keystone: KeystoneAuthTokenOptions?
    /// `[glance] api_servers` (its first): images come from and go to that Glance, and the embedded image
    /// service is off.
    public var glanceURL: String?
}

extension CloudOptions {
    /// Whether this cloud's own identity service answers (no `[keystone_authtoken]`).
    public var embeddedIdentity: Bool { external.keystone == nil }
    /// Whether this cloud's own image service answers (no `[glance] api_servers`).
    public var embeddedImages: Bool { external.glanceURL == nil }

    mutating func readExternalServices(_ config: NovaConfig) throws {
        let section = "keystone_authtoken"
        if let authURL = config[section, "auth_url"] {
            if let type = config[section, "auth_type"], !["password", "v3password"].contains(type) {
                throw ConfigError(message: "[keystone_authtoken] auth_type = \(type): only password is supported")
            }
            guard let username = config[section, "username"], let password = config[section, "password"] else {
                throw ConfigError(message: "[keystone_authtoken] needs username and password beside auth_url")
            }
            var credentials = ServiceCredentials(
                authURL: authURL, username: username, password: password,
                projectName: config.string(section, "project_name", default: "service"))
            credentials.userDomainName = config.string(section, "user_domain_name", default: "Default")
            credentials.projectDomainName = config.string(section, "project_domain_name", default: "Default")
            credentials.caFile = config[section, "cafile"]
            var keystone = KeystoneAuthTokenOptions(
                credentials: credentials,
                wwwAuthenticateURI: config[section, "www_authenticate_uri"] ?? authURL)
            keystone.serviceTokenRoles = config.list(section, "service_token_roles", default: ["service"])
            keystone.serviceTokenRolesRequired = try config.bool(
                section, "service_token_roles_required", default: false)
            // keystonemiddleware's -1 turns the cache off.
            let cacheTime = try config.int(section, "token_cache_time", default: 300)
            guard cacheTime >= -1 else {
                throw ConfigError(message: "[keystone_authtoken] token_cache_time = \(cacheTime): -1 or more")
            }
            keystone.cacheTime = TimeInterval(max(cacheTime, 0))
            external.keystone = keystone
        }
        external.glanceURL = config.list("glance", "api_servers", default: []).first.map {
            $0.hasSuffix("/") ? String($0.dropLast()) : $0
        }
        if external.glanceURL != nil, external.keystone == nil, scaleOut.credentials == nil {
            throw ConfigError(
                message:
                    "[glance] api_servers needs credentials to call Glance with: set [keystone_authtoken] or [service_user]"
            )
        }
    }

    /// How this process calls a genuine Keystone or Glance: `[service_user]`, else `[keystone_authtoken]`'s
    /// user, with Glance at `[glance] api_servers`. nil when both services are embedded.
    func externalSession() -> ServiceSession? {
        guard var credentials = scaleOut.credentials ?? external.keystone?.credentials else { return nil }
        guard !embeddedIdentity || !embeddedImages else { return nil }
        if let glance = external.glanceURL { credentials.endpointOverrides["image"] = glance }
        return ServiceSession(credentials: credentials)
    }

    /// What validates the tokens of this process's APIs: the genuine Keystone of `[keystone_authtoken]` (over
    /// its own session), else `tokens`, the identity tables' (the embedded identity API's own, so that its
    /// revocations reach this process's cache at once).
    func tokenValidator(embedded tokens: TokenService) -> any TokenValidator {
        if let keystone = external.keystone {
            return KeystoneTokenValidator(options: keystone, session: ServiceSession(credentials: keystone.credentials))
        }
        return tokens
    }
}
