import Foundation

/// Nova's versioned notifications (nova/notifications/objects): an oslo.messaging envelope around a
/// `nova_object` payload, published on `versioned_notifications.info` (`.error` for failures).
public enum VersionedNotification {
    public static let infoTopic = "versioned_notifications.info"
    public static let errorTopic = "versioned_notifications.error"

    /// The notification action of a compute event name (`compute_stop_instance` -> `power_off`).
    public static func action(ofEvent event: String) -> String? {
        let actions: [String: String] = [
            "compute__do_build_and_run_instance": "create", "compute_start_instance": "power_on",
            "compute_stop_instance": "power_off", "compute_reboot_instance": "reboot",
            "compute_pause_instance": "pause", "compute_unpause_instance": "unpause",
            "compute_suspend_instance": "suspend", "compute_resume_instance": "resume",
            "compute_terminate_instance": "delete", "compute_soft_delete_instance": "soft_delete",
            "compute_restore_instance": "restore", "compute_rescue_instance": "rescue",
            "compute_unrescue_instance": "unrescue", "compute_rebuild_instance": "rebuild",
            "compute_shelve_instance": "shelve", "compute_shelve_offload_instance": "shelve_offload",
            "compute_unshelve_instance": "unshelve", "compute_snapshot_instance": "snapshot",
            "compute_prep_resize": "resize_prep", "compute_resize_instance": "resize",
            "compute_finish_resize": "resize_finish", "compute_confirm_resize": "resize_confirm",
            "compute_revert_resize": "resize_revert", "compute_rebuild_evacuated_instance": "evacuate",
            "compute_trigger_crash_dump": "trigger_crash_dump",
        ]
        return actions[event]
    }

    /// The oslo.messaging envelope: priority, event_type, publisher, ids, timestamp and the payload.
    public static func envelope(
        eventType: String, priority: String, publisherID: String, payload: JSON, at date: Date,
        messageID: String = UUID().uuidString.lowercased()
    ) -> JSON {
        [
            "priority": .string(priority), "event_type": .string(eventType), "publisher_id": .string(publisherID),
            "message_id": .string(messageID), "timestamp": .string(timestamp(date)), "payload": payload,
        ]
    }

    /// InstanceActionPayload 1.8 (with its FlavorPayload and, on failure, ExceptionPayload).
    public static func instanceAction(_ instance: Instance, fault: InstanceFault?, requestID: String) -> JSON {
        var data: JSONObject = [
            "uuid": .string(instance.uuid), "display_name": .string(instance.displayName),
            "display_description": .optional(instance.description), "host_name": .string(instance.hostname),
            "host": .optional(instance.host), "node": .optional(instance.node),
            "state": .string(instance.vmState.rawValue), "task_state": .optional(instance.taskState?.rawValue),
            "power_state": .string(powerState(instance.powerState)), "tenant_id": .string(instance.projectID),
            "user_id": .string(instance.userID), "image_uuid": .string(instance.imageRef),
            "flavor": flavor(instance.flavor), "availability_zone": .optional(instance.availabilityZone),
            "key_name": .optional(instance.keyName), "reservation_id": .string(instance.reservationID),
            "created_at": .string(timestamp(instance.createdAt)),
            "updated_at": .string(timestamp(instance.updatedAt)),
            "launched_at": .optional(instance.launchedAt.map(timestamp)),
            "terminated_at": .optional(instance.terminatedAt.map(timestamp)),
            "deleted_at": .optional(instance.deletedAt.map(timestamp)), "locked": .bool(instance.locked),
            "auto_disk_config": "MANUAL", "request_id": .string(requestID),
            "metadata": .object(
                JSONObject(instance.metadata.sorted { $0.key < $1.key }.map { ($0.key, .string($0.value)) })),
            "ip_addresses": .array(
                (instance.addresses ?? []).map { address in
                    object(
                        "IpPayload", "1.0",
                        [
                            "address": .string(address.address), "mac": .string(address.mac), "version": 4,
                            "label": .string(address.network), "port_uuid": .null, "meta": [:],
                            "device_name": .null,
                        ])
                }),
            "fault": fault.map { fault in
                object(
                    "ExceptionPayload", "1.1",
                    [
                        "exception": "NovaException", "exception_message": .string(fault.message),
                        "function_name": .null, "module_name": .null, "traceback": .string(fault.details),
                    ])
            } ?? .null,
        ]
        data.append("action_initiator_user", .string(instance.userID))
        data.append("action_initiator_project", .string(instance.projectID))
        return object("InstanceActionPayload", "1.8", data)
    }

    /// InstanceExistsPayload: the action payload's fields with the audit period (no bandwidth counters kept).
    public static func instanceExists(_ instance: Instance, periodBeginning: Date, periodEnding: Date) -> JSON {
        var data = instanceAction(instance, fault: nil, requestID: "")["nova_object.data"]?.objectValue ?? [:]
        data["fault"] = nil
        data["request_id"] = nil
        data["action_initiator_user"] = nil
        data["action_initiator_project"] = nil
        data.append(
            "audit_period",
            object(
                "AuditPeriodPayload", "1.0",
                [
                    "audit_period_beginning": .string(timestamp(periodBeginning)),
                    "audit_period_ending": .string(timestamp(periodEnding)),
                ]))
        data.append("bandwidth", [])
        return object("InstanceExistsPayload", "2.0", data)
    }

    static func flavor(_ flavor: Flavor) -> JSON {
        object(
            "FlavorPayload", "1.4",
            [
                "flavorid": .string(flavor.id), "name": .string(flavor.name), "memory_mb": .int(flavor.memoryMB),
                "vcpus": .int(flavor.vcpus), "root_gb": .int(flavor.rootGB), "ephemeral_gb": .int(flavor.ephemeralGB),
                "swap": .int(flavor.swapMB), "rxtx_factor": .double(flavor.rxtxFactor),
                "is_public": .bool(flavor.isPublic), "disabled": .bool(flavor.disabled),
                "description": .optional(flavor.description),
                "extra_specs": .object(
                    JSONObject(flavor.extraSpecs.sorted { $0.key < $1.key }.map { ($0.key, .string($0.value)) })),
            ])
    }

    static func object(_ name: String, _ version: String, _ data: JSONObject) -> JSON {
        [
            "nova_object.name": .string(name), "nova_object.namespace": "nova",
            "nova_object.version": .string(version), "nova_object.data": .object(data),
        ]
    }

    /// Nova's power_state names in notifications.
    static func powerState(_ state: PowerState) -> String {
        switch state {
        case .noState: return "pending"
        case .running: return "running"
        case .paused: return "paused"
        case .shutdown: return "shutdown"
        case .crashed: return "crashed"
        case .suspended: return "suspended"
        }
    }

    /// oslo's form: 2026-11-30 12:00:00.123456
    public static func timestamp(_ date: Date) -> String {
        let whole = date.formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: false)).dropLast()
        let micro = Int((date.timeIntervalSince1970.truncatingRemainder(dividingBy: 1)) * 1_000_000)
        let padded = String(repeating: "0", count: max(0, 6 - String(micro).count)) + String(micro)
        return whole.replacingOccurrences(of: "T", with: " ") + "." + padded
    }
}
