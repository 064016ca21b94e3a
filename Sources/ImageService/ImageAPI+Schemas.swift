import APISupport
import Foundation
import Hummingbird
import NovaCore

/// Glance's JSON schemas (`/v2/schemas/image`, `images`, `member`, `members`, `task`, `tasks`): what
/// glanceclient reads to validate properties before it sends them. Built from the same lists the API checks.
extension ImageAPI {
    static let uuidPattern =
        "^([0-9a-fA-F]){8}-([0-9a-fA-F]){4}-([0-9a-fA-F]){4}-([0-9a-fA-F]){4}-([0-9a-fA-F]){12}$"

    func registerSchemas(on v2: RouterGroup<NovaRequestContext>) {
        v2.get("schemas/image") { _, _ in Response.json(Self.imageSchema) }
        v2.get("schemas/images") { _, _ in
            Response.json(
                Self.collectionSchema(
                    name: "images", item: Self.imageSchema,
                    extra: ["first": ["type": "string"], "next": ["type": "string"]]))
        }
        v2.get("schemas/member") { _, _ in Response.json(Self.memberSchema) }
        v2.get("schemas/members") { _, _ in
            Response.json(Self.collectionSchema(name: "members", item: Self.memberSchema, extra: [:]))
        }
        v2.get("schemas/task") { _, _ in Response.json(Self.taskSchema) }
        v2.get("schemas/tasks") { _, _ in
            Response.json(
                Self.collectionSchema(
                    name: "tasks", item: Self.taskSchema,
                    extra: ["first": ["type": "string"], "next": ["type": "string"]]))
        }
    }

    static func readOnly(_ type: JSON, _ description: String) -> JSON {
        ["type": type, "readOnly": true, "description": .string(description)]
    }

    static func nullableString(_ description: String, maxLength: Int) -> JSON {
        ["type": ["null", "string"], "maxLength": .int(maxLength), "description": .string(description)]
    }

    static var imageSchema: JSON {
        let properties: JSONObject = [
            "id": ["type": "string", "pattern": .string(uuidPattern), "description": "An identifier for the image"],
            "name": nullableString("Descriptive name for the image", maxLength: 255),
            "status": [
                "type": "string", "readOnly": true, "description": "Status of the image",
                "enum": [
                    "queued", "saving", "active", "killed", "deleted", "uploading", "importing", "pending_delete",
                    "deactivated",
                ],
            ],
            "visibility": [
                "type": "string", "description": "Scope of image accessibility",
                "enum": ["community", "public", "private", "shared"],
            ],
            "protected": ["type": "boolean", "description": "If true, image will not be deletable."],
            "os_hidden": [
                "type": "boolean", "description": "If true, image will not appear in default image list response.",
            ],
            "checksum": readOnly(["null", "string"], "md5 hash of image contents."),
            "os_hash_algo": readOnly(["null", "string"], "Algorithm to calculate the os_hash_value"),
            "os_hash_value": readOnly(["null", "string"], "Hexdigest of the image contents using the algorithm"),
            "owner": nullableString("Owner of the image", maxLength: 255),
            "size": readOnly(["null", "integer"], "Size of image file in bytes"),
            "virtual_size": readOnly(["null", "integer"], "Virtual size of image in bytes"),
            "container_format": [
                "type": ["null", "string"], "description": "Format of the container",
                "enum": .array([.null] + containerFormats.map(JSON.string)),
            ],
            "disk_format": [
                "type": ["null", "string"], "description": "Format of the disk",
                "enum": .array([.null] + diskFormats.map(JSON.string)),
            ],
            "created_at": readOnly("string", "Date and time of image registration"),
            "updated_at": readOnly("string", "Date and time of the last image modification"),
            "tags": [
                "type": "array", "description": "List of strings related to the image",
                "items": ["type": "string", "maxLength": 255],
            ],
            "direct_url": readOnly("string", "URL to access the image file kept in external store"),
            "min_ram": ["type": "integer", "description": "Amount of ram (in MB) required to boot image."],
            "min_disk": ["type": "integer", "description": "Amount of disk space (in GB) required to boot image."],
            "self": readOnly("string", "An image self url"),
            "file": readOnly("string", "An image file url"),
            "stores": readOnly("string", "Store in which image data resides."),
            "schema": readOnly("string", "An image schema url"),
            "locations": [
                "type": "array", "description": "A set of URLs to access the image file kept in external store",
                "items": [
                    "type": "object", "properties": ["url": ["type": "string"], "metadata": ["type": "object"]],
                ],
            ],
            "kernel_id": [
                "type": ["null", "string"], "pattern": .string(uuidPattern),
                "description":
                    "ID of image stored in Glance that should be used as the kernel when booting an AMI-style image.",
            ],
            "ramdisk_id": [
                "type": ["null", "string"], "pattern": .string(uuidPattern),
                "description":
                    "ID of image stored in Glance that should be used as the ramdisk when booting an AMI-style image.",
            ],
            "instance_uuid": [
                "type": "string",
                "description": "Metadata which can be used to record which instance this image is associated with.",
            ],
            "architecture": [
                "type": "string",
                "description":
                    "Operating system architecture as specified in https://docs.openstack.org/python-glanceclient/latest/cli/property-keys.html",
            ],
            "os_distro": ["type": "string", "description": "Common name of operating system distribution"],
            "os_version": [
                "type": "string", "description": "Operating system version as specified by the distributor",
            ],
            "description": ["type": "string", "description": "A human-readable string describing this image."],
        ]
        return [
            "name": "image", "properties": .object(properties), "additionalProperties": ["type": "string"],
            "links": [
                ["rel": "self", "href": "{self}"], ["rel": "enclosure", "href": "{file}"],
                ["rel": "describedby", "href": "{schema}"],
            ],
        ]
    }

    static var memberSchema: JSON {
        [
            "name": "member",
            "properties": [
                "created_at": ["type": "string", "description": "Date and time of image member creation"],
                "image_id": [
                    "type": "string", "pattern": .string(uuidPattern), "description": "An identifier for the image",
                ],
                "member_id": ["type": "string", "description": "An identifier for the image member (tenantId)"],
                "updated_at": ["type": "string", "description": "Date and time of last modification of image member"],
                "status": [
                    "type": "string", "description": "The status of this image member",
                    "enum": ["pending", "accepted", "rejected"],
                ],
                "schema": readOnly("string", "A member schema url"),
            ],
        ]
    }

    static var taskSchema: JSON {
        [
            "name": "task",
            "properties": [
                "id": ["type": "string", "pattern": .string(uuidPattern), "description": "An identifier for the task"],
                "type": [
                    "type": "string", "description": "The type of task represented by this content",
                    "enum": ["import", "api_image_import"],
                ],
                "status": [
                    "type": "string", "description": "The current status of this task",
                    "enum": ["pending", "processing", "success", "failure"],
                ],
                "input": ["type": ["null", "object"], "description": "The parameters required by task, JSON blob"],
                "result": ["type": ["null", "object"], "description": "The result of current task, JSON blob"],
                "owner": ["type": "string", "description": "An identifier for the owner of this task"],
                "message": [
                    "type": "string",
                    "description":
                        "Human-readable informative message only included when appropriate (usually on failure)",
                ],
                "image_id": readOnly("string", "Image associated with the task"),
                "request_id": readOnly("string", "Human-readable informative request-id"),
                "user_id": readOnly("string", "User associated with the task"),
                "expires_at": [
                    "type": ["null", "string"],
                    "description": "Datetime when this resource would be subject to removal",
                ],
                "created_at": ["type": "string", "description": "Datetime when this resource was created"],
                "updated_at": ["type": "string", "description": "Datetime when this resource was updated"],
                "self": readOnly("string", "A task self url"),
                "schema": readOnly("string", "A task schema url"),
            ],
        ]
    }

    static func collectionSchema(name: String, item: JSON, extra: JSONObject) -> JSON {
        var properties = extra
        properties[name] = ["type": "array", "items": item]
        properties["schema"] = ["type": "string"]
        var links: [JSON] = [["rel": "describedby", "href": "{schema}"]]
        if extra["first"] != nil {
            links = [["rel": "first", "href": "{first}"], ["rel": "next", "href": "{next}"]] + links
        }
        return ["name": .string(name), "properties": .object(properties), "links": .array(links)]
    }
}
