import Foundation
import NovaCore

extension Migrations {
    /// The EC2 front end in a catalog seeded before it existed (migration 20): the `ec2` service with its
    /// listener-relative endpoints, as a new cloud's seed makes them. A new cloud's empty catalog is left to
    /// the seed.
    static var ec2CatalogEntry: [String] {
        let service = StableHash.catalogID("ec2")
        return [
            """
            INSERT INTO catalog_services (id, type, name, description, enabled)
            SELECT '\(service)', 'ec2', 'ec2', '', 1 WHERE EXISTS (SELECT 1 FROM catalog_services)
              AND NOT EXISTS (SELECT 1 FROM catalog_services WHERE type = 'ec2')
            """
        ]
            + ["public", "internal", "admin"].map { interface in
                """
                INSERT INTO catalog_endpoints (id, service_id, interface, region_id, url, enabled)
                SELECT '\(StableHash.catalogID("ec2" + interface))', '\(service)', '\(interface)', 'RegionOne', '/ec2', 1
                WHERE EXISTS (SELECT 1 FROM catalog_services WHERE id = '\(service)')
                  AND NOT EXISTS (SELECT 1 FROM catalog_endpoints WHERE service_id = '\(service)' AND interface = '\(interface)')
                """
            }
    }

    /// Glance's metadata definitions (migration 19): the table, and the catalog this cloud starts with, which
    /// describes the image and flavor properties it acts on. Seeded once, here, so what an admin deletes
    /// stays deleted.
    static var metadefSchema: [String] {
        [
            """
            CREATE TABLE metadef_namespaces (namespace TEXT PRIMARY KEY, display_name TEXT, description TEXT,
              visibility TEXT NOT NULL, protected INTEGER NOT NULL, owner TEXT, document TEXT NOT NULL,
              created_at REAL NOT NULL, updated_at REAL NOT NULL)
            """
        ]
            + MetadefSeed.namespaces.map { namespace in
                func quoted(_ text: String?) -> String {
                    text.map { "'" + $0.replacingOccurrences(of: "'", with: "''") + "'" } ?? "NULL"
                }
                return """
                    INSERT INTO metadef_namespaces (namespace, display_name, description, visibility, protected, owner,
                      document, created_at, updated_at)
                    VALUES (\(quoted(namespace.namespace)), \(quoted(namespace.displayName)), \(quoted(namespace.description)),
                      'public', 1, NULL, \(quoted(namespace.document.serialized())), 1767225600, 1767225600)
                    """
            }
    }
}

/// The metadata definitions a new cloud has: what its compute hosts and scheduler read from images and flavors.
enum MetadefSeed {
    static let image: JSON = ["name": "OS::Glance::Image"]

    static var namespaces: [MetadefNamespace] {
        [
            namespace(
                "OS::Compute::GuestAgent", "QEMU Guest Agent",
                "A guest that runs QEMU's guest agent gets the agent's virtio-serial port; changePassword then sets the password of os_admin_user through it.",
                properties: [
                    "hw_qemu_guest_agent": [
                        "title": "QEMU Guest Agent", "type": "string", "enum": ["yes", "no"], "default": "no",
                        "description": "yes: the guest runs qemu-guest-agent.",
                    ],
                    "os_admin_user": [
                        "title": "Admin User", "type": "string", "default": "root",
                        "description": "The guest user whose password changePassword sets.",
                    ],
                ], types: [image]),
            namespace(
                "OS::Compute::GuestDevices", "Guest Devices",
                "The devices this cloud's QEMU guests have: their disks and network interfaces are virtio devices.",
                properties: [
                    "hw_disk_bus": [
                        "title": "Disk Bus", "type": "string", "enum": ["virtio"],
                        "description": "The bus of the guest's disks (virtio-blk).",
                    ],
                    "hw_vif_model": [
                        "title": "Virtual Network Interface", "type": "string", "enum": ["virtio"],
                        "description": "The model of the guest's network interfaces (virtio-net).",
                    ],
                ], types: [image]),
            namespace(
                "OS::Compute::Hypervisor", "Hypervisor Selection",
                "The scheduler's ImagePropertiesFilter sends a server only to hosts whose hypervisor, mode and architecture match these.",
                properties: [
                    "img_hv_type": [
                        "title": "Hypervisor Type", "type": "string", "enum": ["qemu", "kvm", "fake"],
                        "description": "The hypervisor the image needs.",
                    ],
                    "hw_vm_mode": [
                        "title": "VM Mode", "type": "string", "enum": ["hvm"],
                        "description": "The virtual machine mode (the guest ABI) the image needs.",
                    ],
                    "hw_architecture": [
                        "title": "Architecture", "type": "string",
                        "enum": ["x86_64", "i686", "aarch64", "ppc64le", "s390x"],
                        "description": "The CPU architecture the image needs.",
                    ],
                ], types: [image]),
            namespace(
                "OS::Glance::Signatures", "Image Signature Verification",
                "With trusted_image_certificates, a compute host verifies the image's signature with these before it boots it.",
                properties: [
                    "img_signature": ["title": "Signature", "type": "string", "description": "The signature, base64."],
                    "img_signature_hash_method": [
                        "title": "Hash Method", "type": "string", "enum": ["SHA-224", "SHA-256", "SHA-384", "SHA-512"],
                    ],
                    "img_signature_key_type": [
                        "title": "Key Type", "type": "string",
                        "enum": [
                            "RSA-PSS", "DSA", "ECC_SECT571K1", "ECC_SECT409K1", "ECC_SECT571R1", "ECC_SECT409R1",
                            "ECC_SECP521R1", "ECC_SECP384R1",
                        ],
                    ],
                    "img_signature_certificate_uuid": [
                        "title": "Certificate", "type": "string",
                        "description": "The key manager's id of the signing certificate.",
                    ],
                ], types: [image]),
            namespace(
                "OS::Compute::FlavorResources", "Flavor Resources",
                "resources:<class> in a flavor's extra specs replaces or adds that resource class in the scheduler's Placement request (0 drops it).",
                properties: [
                    "VCPU": ["title": "vCPUs", "type": "integer", "minimum": 0],
                    "MEMORY_MB": ["title": "Memory (MiB)", "type": "integer", "minimum": 0],
                    "DISK_GB": ["title": "Disk (GiB)", "type": "integer", "minimum": 0],
                ],
                types: [["name": "OS::Nova::Flavor", "prefix": "resources:"]]),
        ]
    }

    static func namespace(
        _ name: String, _ display: String, _ description: String, properties: JSONObject, types: [JSON]
    ) -> MetadefNamespace {
        MetadefNamespace(
            namespace: name, displayName: display, description: description, visibility: "public", protected: true,
            owner: nil, properties: properties, objects: [], resourceTypeAssociations: types,
            now: Date(timeIntervalSince1970: 1_767_225_600))
    }
}
