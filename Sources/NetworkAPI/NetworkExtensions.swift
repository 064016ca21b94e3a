import NovaCore

/// The API extensions this networking service implements, and only those (clients decide what to send by
/// this list).
struct NetworkExtensions {
    let alias: String
    let name: String
    let description: String

    var json: JSON {
        [
            "alias": .string(alias), "name": .string(name), "description": .string(description),
            "updated": "2013-01-01T00:00:00-00:00", "links": [],
        ]
    }

    static let all = [
        NetworkExtensions(
            alias: "external-net", name: "Neutron external network", description: "Adds external network attribute"),
        NetworkExtensions(
            alias: "provider", name: "Provider Network",
            description: "Expose mapping of virtual networks to physical networks"),
        NetworkExtensions(
            alias: "binding", name: "Port Binding", description: "Expose port bindings of a virtual port"),
        NetworkExtensions(
            alias: "port-security", name: "Port Security", description: "Provides port security"),
        NetworkExtensions(
            alias: "allowed-address-pairs", name: "Allowed Address Pairs",
            description: "Provides allowed address pairs"),
        NetworkExtensions(
            alias: "security-group", name: "security-group", description: "The security groups extension."),
        NetworkExtensions(
            alias: "stateful-security-group", name: "Stateful security group",
            description: "Indicates if the security group is stateful or not"),
        NetworkExtensions(
            alias: "quotas", name: "Quota management support",
            description: "Expose functions for quotas management per project"),
        NetworkExtensions(
            alias: "quota_details", name: "Quota details management support",
            description: "Expose functions for quotas usage statistics per project"),
        NetworkExtensions(
            alias: "net-mtu", name: "Network MTU", description: "Provides MTU attribute for a network resource."),
        NetworkExtensions(
            alias: "project-id", name: "project_id field enabled",
            description: "Extension that indicates that project_id field is enabled."),
        NetworkExtensions(
            alias: "standard-attr-description", name: "standard-attr-description",
            description: "Extension to add descriptions to standard attributes"),
        NetworkExtensions(
            alias: "standard-attr-timestamp", name: "Resource timestamps",
            description:
                "Adds created_at and updated_at fields to all Neutron resources that have Neutron standard attributes."),
        NetworkExtensions(
            alias: "standard-attr-revisions", name: "Resource revision numbers",
            description: "This extension will display the revision number of neutron resources."),
        NetworkExtensions(
            alias: "pagination", name: "Pagination support",
            description: "Extension that indicates that pagination is enabled."),
        NetworkExtensions(
            alias: "sorting", name: "Sorting support", description: "Extension that indicates that sorting is enabled."),
        NetworkExtensions(
            alias: "filter-validation", name: "Filter parameters validation",
            description: "Provides validation on filtering parameters."),
        NetworkExtensions(
            alias: "binding-extended", name: "Port Bindings Extended",
            description: "Expose port bindings of a virtual port to external application"),
    ]
}
