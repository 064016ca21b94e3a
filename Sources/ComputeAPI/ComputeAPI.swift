import APISupport
import Foundation
import Hummingbird
import ImageService
import NovaCore
import NovaDB
import PlacementCore

/// Options of the compute API (`[api]` and friends in nova.conf).
public struct ComputeAPIConfig: Sendable {
    /// `[api] max_limit`: the most items one list call returns.
    public var maxLimit: Int
    /// `[DEFAULT] service_down_time`.
    public var serviceDownTime: TimeInterval
    /// `[DEFAULT] default_availability_zone`.
    public var defaultAvailabilityZone: String
    /// `[DEFAULT] default_schedule_zone`: the zone a create without one is held to (nil: any zone).
    public var defaultScheduleZone: String?
    /// `[DEFAULT] internal_service_availability_zone`.
    public var internalAvailabilityZone: String
    /// `[api] enable_instance_password`.
    public var enableInstancePassword: Bool
    /// `[vnc] novncproxy_base_url`: the noVNC page a console URL points at.
    public var novncProxyBaseURL = "http://127.0.0.1:6080/vnc_lite.html"
    /// `[serial_console] base_url` when serial consoles are enabled (nil: they are not, 400 as in Nova).
    public var serialConsoleBaseURL: String?
    /// `[spice] html5proxy_base_url` when SPICE consoles are enabled (nil: 400 "Unavailable", as in Nova).
    public var spiceConsoleBaseURL: String?
    /// `[spice] spice_direct_proxy_base_url`: where spice-direct console URLs point (2.99).
    public var spiceDirectBaseURL = "http://127.0.0.1:13002/nova"
    /// `[vnc] xvpvncproxy_base_url`: the raw VNC proxy (desktop VNC clients).
    public var rawVNCProxyBaseURL = "http://127.0.0.1:6081/console"
    /// `[consoleauth] token_ttl`: seconds a console token lasts.
    public var consoleTokenTTL: TimeInterval = 600
    /// `[DEFAULT] reclaim_instance_interval`: when > 0, DELETE soft-deletes and the conductor reclaims later.
    public var reclaimInstanceInterval: TimeInterval = 0
    /// `[DEFAULT] instance_usage_audit_period`: the periods os-instance_usage_audit_log reports on.
    public var instanceUsageAuditPeriod = AuditPeriod.monthly
    /// Seconds before the conductor's sweep starts a move whose start message was lost.
    public var moveStartTimeout: TimeInterval = 60

    public init(
        maxLimit: Int = 1000, serviceDownTime: TimeInterval = 60, defaultAvailabilityZone: String = "nova",
        internalAvailabilityZone: String = "internal", enableInstancePassword: Bool = true
    ) {
        self.maxLimit = maxLimit
        self.serviceDownTime = serviceDownTime
        self.defaultAvailabilityZone = defaultAvailabilityZone
        self.internalAvailabilityZone = internalAvailabilityZone
        self.enableInstancePassword = enableInstancePassword
    }
}

/// The Compute API v2.1 under `/compute`.
public struct ComputeAPI: Sendable {
    let store: ComputeStore
    let images: any ImageCatalog
    let conductor: ConductorRPCAPI
    let compute: ComputeRPCAPI
    let scheduler: SchedulerRPCAPI?
    let placement: any PlacementClient
    /// The networking service (nil: servers get addresses of the old bookkeeping table).
    let network: (any NetworkClient)?
    /// The block-storage service (nil: servers get no volumes).
    let volumes: (any VolumeClient)?
    let clock: any WallClock
    let config: ComputeAPIConfig
    /// The image service's own routes, for the image proxies' writes (nil: they answer 404).
    let imageRoutes: InProcessRoutes?

    public init(
        store: ComputeStore, images: any ImageCatalog, conductor: ConductorRPCAPI, compute: ComputeRPCAPI,
        placement: any PlacementClient, network: (any NetworkClient)? = nil, volumes: (any VolumeClient)? = nil,
        scheduler: SchedulerRPCAPI? = nil, clock: any WallClock, config: ComputeAPIConfig = ComputeAPIConfig(),
        imageService: ImageAPI? = nil
    ) {
        imageRoutes = imageService.map { api in InProcessRoutes(base: "/image/v2") { api.register(on: $0) } }
        self.volumes = volumes
        self.network = network
        self.store = store
        self.scheduler = scheduler
        self.placement = placement
        self.images = images
        self.conductor = conductor
        self.compute = compute
        self.clock = clock
        self.config = config
    }

    public func register(on router: Router<NovaRequestContext>) {
        registerVersions(on: router)
        let v21 = router.group("compute/v2.1").add(middleware: ComputeRouteMiddleware())
        registerFlavors(on: v21)
        registerKeyPairs(on: v21)
        registerServers(on: v21)
        registerImageProxies(on: v21)
        registerServerActions(on: v21)
        registerConsoles(on: v21)
        registerServerMetadata(on: v21)
        registerVolumeAttachments(on: v21)
        registerServerGroups(on: v21)
        registerSchedulerExplain(on: v21)
        registerInstanceActions(on: v21)
        registerMigrations(on: v21)
        registerServices(on: v21)
        registerHypervisors(on: v21)
        registerHosts(on: v21)
        registerExtensions(on: v21)
        registerTenantUsage(on: v21)
        registerUsageAuditLog(on: v21)
        registerQuotaClasses(on: v21)
        registerDiagnostics(on: v21)
        registerServerPassword(on: v21)
        registerShares(on: v21)
        registerHostImages(on: v21)
        registerLimitsAndQuotas(on: v21)
        registerAvailabilityZones(on: v21)
        registerAggregates(on: v21)
        registerInterfaces(on: v21)
        registerExternalEvents(on: v21)
        registerNetworkProxies(on: v21)
        registerVolumeProxies(on: v21)
        registerSecurityGroupProxies(on: v21)
        registerRemovedAPIs(on: v21)
    }

    func registerVersions(on router: Router<NovaRequestContext>) {
        router.get("compute") { request, _ in
            Response.json(["versions": [Self.version20(request), Self.version21(request, listed: true)]])
        }
        router.get("compute/v2.1") { request, _ in Response.json(["version": Self.version21(request)]) }
        router.get("compute/v2") { request, _ in Response.json(["version": Self.version20(request)]) }
        // One version's document by id, behind the token as the rest of /v2.1/ (Nova's versions show).
        router.get("compute/v2.1/versions/{id}") { request, context in
            _ = try context.caller()
            switch context.parameter("id") {
            case "v2.1": return Response.json(["version": Self.version21(request)])
            case "v2.0": return Response.json(["version": Self.version20(request)])
            default: throw NovaError.notFound("The resource could not be found.")
            }
        }
    }

    /// The v2.1 document; in the root's list (`listed`) Nova gives only its self link and no media types.
    static func version21(_ request: Request, listed: Bool = false) -> JSON {
        let this: JSON = ["rel": "self", "href": .string(request.baseURL(fallback: "") + "/compute/v2.1/")]
        var document: JSONObject = [
            "id": "v2.1", "status": "CURRENT", "version": .string(APIVersion.maximum.description),
            "min_version": .string(APIVersion.minimum.description), "updated": "2013-07-23T11:33:21Z",
            "links": [this],
        ]
        if !listed {
            document["links"] = [
                this, ["rel": "describedby", "type": "text/html", "href": "http://docs.openstack.org/"],
            ]
            document["media-types"] = [
                ["base": "application/json", "type": "application/vnd.openstack.compute+json;version=2.1"]
            ]
        }
        return .object(document)
    }

    static func version20(_ request: Request) -> JSON {
        [
            "id": "v2.0", "status": "DEPRECATED", "version": "", "min_version": "", "updated": "2025-07-04T12:00:00Z",
            "links": [["rel": "self", "href": .string(request.baseURL(fallback: "") + "/compute/v2/")]],
        ]
    }

    /// `http://host/compute` for links.
    func base(_ request: Request) -> String { request.baseURL(fallback: "") + "/compute" }

    func links(_ request: Request, _ collection: String, _ id: String) -> JSON {
        let root = base(request)
        return [
            ["rel": "self", "href": .string("\(root)/v2.1/\(collection)/\(id)")],
            ["rel": "bookmark", "href": .string("\(root)/\(collection)/\(id)")],
        ]
    }
}

/// `limit` and `marker` paging as Nova does it (common.py): limit capped at `[api] max_limit`,
/// a `*_links` next entry when the page is full.
struct Page {
    var limit: Int
    var marker: String?

    init(_ query: QueryParameters, maxLimit: Int) throws(NovaError) {
        limit = min(try CheckedInput.integer(query["limit"], field: "limit", in: 0...Int.max) ?? maxLimit, maxLimit)
        marker = query["marker"]
    }

    /// The items after the marker, at most `limit`; 400 when the marker is unknown.
    func apply<T>(_ items: [T], id: (T) -> String) throws(NovaError) -> (items: [T], full: Bool) {
        var slice = items[...]
        if let marker {
            guard let index = items.firstIndex(where: { id($0) == marker }) else {
                throw .badRequest("marker [\(marker)] not found")
            }
            slice = items[(index + 1)...]
        }
        let page = Array(slice.prefix(limit))
        return (page, page.count == limit && slice.count > limit)
    }

    /// The `next` link: the same query with the marker moved to the last item.
    static func nextLink(_ request: Request, base: String, lastID: String, limit: Int) -> JSON {
        var parts = QueryParameters(request.uri.query).pairs.filter { $0.0 != "marker" && $0.0 != "limit" }
        parts.append(("limit", String(limit)))
        parts.append(("marker", lastID))
        let query = parts.map { "\(QueryParameters.encode($0.0))=\(QueryParameters.encode($0.1))" }.joined(
            separator: "&")
        return [
            [
                "rel": "next",
                "href": .string(
                    base + request.uri.path.replacingOccurrences(of: "/compute", with: "", options: .anchored) + "?"
                        + query),
            ]
        ]
    }
}
