import NovaCore

/// Neutron's error types (the `type` of `{"NeutronError": {...}}`) as error codes: the networking API renders
/// a NovaError's code name as the type, so each of these keeps Neutron's exception name and status.
extension NovaError.Code {
    public static let networkNotFound = Self(status: 404, name: "NetworkNotFound")
    public static let subnetNotFound = Self(status: 404, name: "SubnetNotFound")
    public static let portNotFound = Self(status: 404, name: "PortNotFound")
    public static let securityGroupNotFound = Self(status: 404, name: "SecurityGroupNotFound")
    public static let securityGroupRuleNotFound = Self(status: 404, name: "SecurityGroupRuleNotFound")
    public static let ipAddressGenerationFailure = Self(status: 409, name: "IpAddressGenerationFailure")
    public static let ipAddressAlreadyAllocated = Self(status: 409, name: "IpAddressAlreadyAllocated")
    public static let invalidIpForSubnet = Self(status: 400, name: "InvalidIpForSubnet")
    public static let invalidIpForNetwork = Self(status: 400, name: "InvalidIpForNetwork")
    public static let invalidInput = Self(status: 400, name: "InvalidInput")
    public static let overQuota = Self(status: 409, name: "OverQuota")
    public static let networkInUse = Self(status: 409, name: "NetworkInUse")
    public static let subnetInUse = Self(status: 409, name: "SubnetInUse")
    public static let macAddressInUse = Self(status: 409, name: "MacAddressInUse")
    public static let securityGroupInUse = Self(status: 409, name: "SecurityGroupInUse")
    public static let securityGroupRuleExists = Self(status: 409, name: "SecurityGroupRuleExists")
    public static let securityGroupCannotRemoveDefault = Self(status: 409, name: "SecurityGroupCannotRemoveDefault")
    public static let policyNotAuthorized = Self(status: 403, name: "PolicyNotAuthorized")
    public static let routerNotFound = Self(status: 404, name: "RouterNotFound")
    public static let floatingIPNotFound = Self(status: 404, name: "FloatingIPNotFound")
    public static let routerInUse = Self(status: 409, name: "RouterInUse")
    public static let routerInterfaceNotFound = Self(status: 404, name: "RouterInterfaceNotFoundForSubnet")
    public static let routerInterfaceInUseByFloatingIP = Self(status: 409, name: "RouterInterfaceInUseByFloatingIP")
    public static let externalGatewayForFloatingIPNotFound = Self(
        status: 404, name: "ExternalGatewayForFloatingIPNotFound")
    public static let floatingIPPortAlreadyAssociated = Self(status: 409, name: "FloatingIPPortAlreadyAssociated")
    public static let portBindingNotFound = Self(status: 404, name: "PortBindingNotFound")
    public static let portBindingAlreadyExists = Self(status: 409, name: "PortBindingAlreadyExists")
    public static let portBindingAlreadyActive = Self(status: 409, name: "PortBindingAlreadyActive")
    public static let noNetworkAvailable = Self(status: 503, name: "NoNetworkAvailable")
}

extension NovaError {
    /// Neutron's InvalidInput: "Invalid input for operation: <why>."
    public static func invalidInput(_ why: String) -> NovaError {
        NovaError(.invalidInput, "Invalid input for operation: \(why).")
    }

    /// Neutron's policy refusal.
    public static func policy(_ rule: String) -> NovaError {
        NovaError(.policyNotAuthorized, "(\(rule)) is disallowed by policy")
    }
}
