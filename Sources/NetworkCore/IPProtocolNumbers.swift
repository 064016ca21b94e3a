/// The protocol names a security group rule may use (Neutron's), with their IP protocol numbers.
public enum IPProtocolNumbers {
    public static let byName: [String: Int] = [
        "icmp": 1, "igmp": 2, "ipip": 4, "tcp": 6, "egp": 8, "udp": 17, "dccp": 33, "ipv6-encap": 41,
        "ipv6-route": 43, "ipv6-frag": 44, "rsvp": 46, "gre": 47, "esp": 50, "ah": 51, "ipv6-icmp": 58,
        "icmpv6": 58, "ipv6-nonxt": 59, "ipv6-opts": 60, "ospf": 89, "encap": 98, "vrrp": 112, "pgm": 113,
        "sctp": 132, "udplite": 136,
    ]

    /// A rule's protocol (a name or a number as text) as a number; nil when it is neither.
    public static func number(_ text: String) -> Int? {
        Int(text) ?? byName[text.lowercased()]  // checked: a rule's protocol was range-checked when stored
    }
}
