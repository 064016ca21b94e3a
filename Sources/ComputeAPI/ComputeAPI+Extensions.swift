import APISupport
import Foundation
import Hummingbird
import NovaCore

/// GET /extensions and /extensions/{alias}: the v2.1 extension list Nova still answers, a fixed list that
/// names the parts of the API by their old extension aliases (clients and Tempest look entries up by alias
/// and name). The descriptions are this project's.
extension ComputeAPI {
    /// (name, alias, what it covers).
    static let extensionCatalog: [(String, String, String)] = [
        ("AccessIPs", "os-access-ips", "accessIPv4 and accessIPv6 on servers."),
        ("AdminActions", "os-admin-actions", "Resetting a server's state and network."),
        ("AdminPassword", "os-admin-password", "Changing a server's administrator password."),
        ("Agents", "os-agents", "Guest agent builds (removed)."),
        ("Aggregates", "os-aggregates", "Host aggregates and their metadata."),
        ("AssistedVolumeSnapshots", "os-assisted-volume-snapshots", "Snapshots of attached volumes."),
        ("AttachInterfaces", "os-attach-interfaces", "Attaching and detaching ports."),
        ("AvailabilityZone", "os-availability-zone", "Availability zones and their hosts."),
        ("BlockDeviceMappingV2Boot", "os-block-device-mapping-v2-boot", "Booting from volumes and images."),
        ("ConfigDrive", "os-config-drive", "Config drives for servers."),
        ("ConsoleAuthTokens", "os-console-auth-tokens", "Console connection details by token."),
        ("ConsoleOutput", "os-console-output", "A server's console log."),
        ("Consoles", "os-consoles", "Per-server consoles (removed)."),
        ("CreateBackup", "os-create-backup", "Rotating backups of a server."),
        ("DeferredDelete", "os-deferred-delete", "Restoring and force-deleting soft-deleted servers."),
        ("DiskConfig", "OS-DCF", "A server's disk partitioning choice."),
        ("Evacuate", "os-evacuate", "Rebuilding a server of a failed host elsewhere."),
        ("ExtendedAvailabilityZone", "OS-EXT-AZ", "A server's availability zone."),
        ("ExtendedServerAttributes", "OS-EXT-SRV-ATTR", "A server's host and hypervisor details."),
        ("ExtendedStatus", "OS-EXT-STS", "A server's vm, task and power states."),
        ("ExtendedVolumes", "os-extended-volumes", "The volumes attached to a server."),
        ("ExtendedIps", "OS-EXT-IPS", "The type of a server's addresses."),
        ("ExtendedIpsMac", "OS-EXT-IPS-MAC", "The MAC address of a server's addresses."),
        ("FlavorAccess", "os-flavor-access", "Private flavors and the projects that may use them."),
        ("FlavorExtraData", "OS-FLV-EXT-DATA", "A flavor's ephemeral disk."),
        ("FlavorExtraSpecs", "os-flavor-extra-specs", "A flavor's extra specs."),
        ("FlavorManage", "os-flavor-manage", "Creating and deleting flavors."),
        ("FlavorRxtx", "os-flavor-rxtx", "A flavor's rxtx factor."),
        ("Flavors", "flavors", "Flavors."),
        ("FloatingIpPools", "os-floating-ip-pools", "Floating IP pools (networking proxy)."),
        ("FloatingIps", "os-floating-ips", "Floating IPs (networking proxy)."),
        ("Hosts", "os-hosts", "Compute hosts and their resources."),
        ("Hypervisors", "os-hypervisors", "Hypervisors and their usage."),
        ("ImageMetadata", "image-metadata", "Image metadata (image proxy)."),
        ("ImageSize", "OS-EXT-IMG-SIZE", "An image's size."),
        ("Images", "images", "Images (image proxy)."),
        ("InstanceActions", "os-instance-actions", "What was done to a server, and its events."),
        ("Ips", "ips", "A server's addresses."),
        ("Keypairs", "os-keypairs", "SSH key pairs."),
        ("Limits", "limits", "A project's limits and usage."),
        ("LockServer", "os-lock-server", "Locking a server."),
        ("MigrateServer", "os-migrate-server", "Cold and live migration."),
        ("Migrations", "os-migrations", "Migrations in progress and done."),
        ("MultipleCreate", "os-multiple-create", "Creating several servers at once."),
        ("Networks", "os-networks", "Networks (networking proxy)."),
        ("PauseServer", "os-pause-server", "Pausing a server."),
        ("QuotaClasses", "os-quota-class-sets", "Default quotas."),
        ("Quotas", "os-quota-sets", "A project's quotas."),
        ("Remote Consoles", "os-remote-consoles", "Remote console URLs."),
        ("Rescue", "os-rescue", "Rescuing a server."),
        ("SchedulerHints", "os-scheduler-hints", "Scheduler hints at boot."),
        ("SecurityGroups", "os-security-groups", "Security groups (networking proxy)."),
        ("ServerDiagnostics", "os-server-diagnostics", "A server's diagnostics."),
        ("ServerExternalEvents", "os-server-external-events", "Events from other services."),
        ("ServerGroups", "os-server-groups", "Server groups and their policies."),
        ("ServerMetadata", "server-metadata", "A server's metadata."),
        ("ServerPassword", "os-server-password", "A server's encrypted password."),
        ("ServerUsage", "OS-SRV-USG", "When a server was launched and terminated."),
        ("Servers", "servers", "Servers."),
        ("Services", "os-services", "Services and their status."),
        ("Shelve", "os-shelve", "Shelving and unshelving servers."),
        ("SimpleTenantUsage", "os-simple-tenant-usage", "Usage per project over a period."),
        ("SuspendServer", "os-suspend-server", "Suspending a server."),
        ("TenantNetworks", "os-tenant-networks", "A project's networks (networking proxy)."),
        ("UsedLimits", "os-used-limits", "A project's usage against its limits."),
        ("UserData", "os-user-data", "User data at boot."),
        ("Versions", "versions", "API versions."),
        ("Volumes", "os-volumes", "Volumes (block-storage proxy) and attachments."),
    ]

    func registerExtensions(on v21: RouterGroup<NovaRequestContext>) {
        v21.get("extensions") { _, context in
            _ = try context.caller()
            return Response.json(["extensions": .array(Self.extensionCatalog.map(Self.extensionJSON))])
        }
        v21.get("extensions/{alias}") { _, context in
            _ = try context.caller()
            let alias = context.parameter("alias")
            guard let entry = Self.extensionCatalog.first(where: { $0.1 == alias }) else {
                throw NovaError.notFound("Unable to find requested extension")
            }
            return Response.json(["extension": Self.extensionJSON(entry)])
        }
    }

    static func extensionJSON(_ entry: (String, String, String)) -> JSON {
        [
            "name": .string(entry.0), "alias": .string(entry.1), "description": .string(entry.2), "links": [],
            "namespace": "http://docs.openstack.org/compute/ext/fake_xml", "updated": "2014-12-03T00:00:00Z",
        ]
    }
}
