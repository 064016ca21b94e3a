import Hummingbird
import NovaCore

extension OpenStackMiddleware.Service {
    /// The catalog types of the service (block storage has three names) and the prefix its endpoint has here.
    var catalog: (types: [String], prefix: String)? {
        switch self {
        case .compute: (["compute"], "/compute")
        case .identity: (["identity"], "/identity")
        case .image: (["image"], "/image")
        case .placement: (["placement"], "/placement")
        case .network: (["network"], "/networking")
        case .volume: (["block-storage", "volumev3", "volume"], "/volume")
        case .other: nil
        }
    }

    /// Whether an application credential's access rules let its token make this request, as keystonemiddleware
    /// decides: a rule of the service's type, the request's method, and a path pattern matching the path
    /// under the service's endpoint (`/v2.1/servers` for `/compute/v2.1/servers`) or the whole path.
    func allows(_ request: Request, under rules: [AccessRule]) -> Bool {
        guard let (types, prefix) = catalog else { return false }
        let path = request.uri.path
        let relative = path.hasPrefix(prefix) ? String(path.dropFirst(prefix.count)) : path
        return rules.contains { rule in
            types.contains { type in
                rule.allows(service: type, method: request.method.rawValue, path: relative)
                    || rule.allows(service: type, method: request.method.rawValue, path: path)
            }
        }
    }
}
