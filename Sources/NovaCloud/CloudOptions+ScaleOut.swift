import NovaConfig
import ServiceClients

/// What the services of a scale-out deployment need to reach each other over HTTP.
public struct ScaleOutOptions: Sendable {
    /// `[service_user]` (auth_url, username, password, project_name, user_domain_name, project_domain_name,
    /// cafile) with `[placement] endpoint_override` and `[glance] api_servers`: how a service calls Placement
    /// and Glance. nil when not configured.
    public var credentials: ServiceCredentials?
    /// `[placement] endpoint_override`: also the placement URL the identity catalog lists.
    public var placementURL: String?
    /// `[neutron] endpoint_override`: the networking API's URL when it runs in a process of its own (the
    /// identity catalog lists it); nil when the API process serves it.
    public var networkURL: String?
    /// `[cinder] endpoint_override`: the block-storage API's URL (`.../volume/v3`) when `nova-server volume`
    /// runs in a process of its own (the catalog lists it with the project's id appended); nil when the API
    /// process serves it.
    public var volumeURL: String?
}

extension CloudOptions {
    mutating func readScaleOut(_ config: NovaConfig) throws {
        scaleOut.placementURL = config["placement", "endpoint_override"]
        scaleOut.volumeURL = config["cinder", "endpoint_override"].map {
            $0.hasSuffix("/") ? String($0.dropLast()) : $0
        }
        guard let authURL = config["service_user", "auth_url"] else { return }
        var credentials = ServiceCredentials(
            authURL: authURL, username: config.string("service_user", "username", default: "nova"),
            password: config.string("service_user", "password", default: ""),
            projectName: config.string("service_user", "project_name", default: "service"))
        credentials.userDomainName = config.string("service_user", "user_domain_name", default: "Default")
        credentials.projectDomainName = config.string("service_user", "project_domain_name", default: "Default")
        credentials.caFile = config["service_user", "cafile"]
        if let placement = scaleOut.placementURL { credentials.endpointOverrides["placement"] = placement }
        if let network = config["neutron", "endpoint_override"] { credentials.endpointOverrides["network"] = network }
        if let volume = scaleOut.volumeURL { credentials.endpointOverrides["block-storage"] = volume }
        if let glance = config.list("glance", "api_servers", default: []).first {
            credentials.endpointOverrides["image"] = glance
        }
        scaleOut.credentials = credentials
    }

    /// The credentials a split-out service must have, or the configuration error that says what is missing.
    func requiredServiceCredentials(for role: String) throws -> ServiceCredentials {
        guard let credentials = scaleOut.credentials else {
            throw ConfigError(
                message:
                    "nova-server \(role) reaches Placement and Glance over HTTP: set [service_user] auth_url, username, password and project_name"
            )
        }
        return credentials
    }
}
