import Foundation

/// Publishes versioned notifications on the bus: into a JetStream stream with an acknowledgement when the
/// NATS transport has one, else a cast (nobody listening is not an error). A notification that cannot be
/// published is logged by the bus and does not fail the operation it reports.
public struct Notifier: Sendable {
    let bus: any MessageBus
    public let publisherID: String

    public init(bus: any MessageBus, publisherID: String) {
        self.bus = bus
        self.publisherID = publisherID
    }

    /// `instance.exists`: the instance ran in the audit period (the usage audit); false when it could not be
    /// published.
    public func instanceExists(_ instance: Instance, periodBeginning: Date, periodEnding: Date, at date: Date) async
        -> Bool
    {
        let envelope = VersionedNotification.envelope(
            eventType: "instance.exists", priority: "INFO", publisherID: publisherID,
            payload: VersionedNotification.instanceExists(
                instance, periodBeginning: periodBeginning, periodEnding: periodEnding),
            at: date)
        do {
            try await bus.publishNotification(
                topic: VersionedNotification.infoTopic, payload: Array(envelope.serialized().utf8))
            return true
        } catch {
            return false
        }
    }

    /// `instance.<action>.<phase>` with the instance as it is now; phase is start, end or error.
    public func instanceAction(
        _ action: String, phase: String, instance: Instance, fault: InstanceFault?, requestID: String, at date: Date
    ) async {
        let error = phase == "error"
        let envelope = VersionedNotification.envelope(
            eventType: "instance.\(action).\(phase)", priority: error ? "ERROR" : "INFO", publisherID: publisherID,
            payload: VersionedNotification.instanceAction(instance, fault: fault, requestID: requestID), at: date)
        try? await bus.publishNotification(
            topic: error ? VersionedNotification.errorTopic : VersionedNotification.infoTopic,
            payload: Array(envelope.serialized().utf8))
    }
}
