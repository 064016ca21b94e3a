import Foundation
import Logging
import NovaCore
import NovaDB
import VolumeCore

/// Does the backend's part of every change the API stored: it finds the work in the records themselves
/// (volumes `creating`, `deleting`, `extending`, `uploading`; snapshots `creating`, `deleting`), so work a
/// crash interrupted is found and done again at the next start, and a wake only says "look now". Each item
/// runs on its own, so a long image copy does not hold up a blank volume.
public actor VolumeWorker {
    let store: VolumeStore
    public let backend: any VolumeBackend
    let images: any VolumeImageService
    let clock: any WallClock
    let logger: Logger
    /// Where images are downloaded to and volumes copied out for an upload.
    let scratchDirectory: String
    /// Nova, told when an attached volume grew.
    let nova: (any ServerEventSink)?
    nonisolated let wakes: AsyncStream<Void>
    nonisolated let waker: AsyncStream<Void>.Continuation
    var inFlight: Set<String> = []

    public init(
        store: VolumeStore, backend: any VolumeBackend, images: any VolumeImageService, clock: any WallClock,
        scratchDirectory: String, nova: (any ServerEventSink)?, logger: Logger
    ) {
        self.store = store
        self.backend = backend
        self.images = images
        self.clock = clock
        self.scratchDirectory = scratchDirectory
        self.nova = nova
        self.logger = logger
        (wakes, waker) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
    }

    /// The backend host a volume of this service is on (`host@backend#pool`).
    var backendHost: String { "\(store.options.host)@\(backend.name)#\(backend.name)" }

    /// Says that there is new work.
    public nonisolated func wake() { waker.yield() }

    /// Works until cancelled: the exports and attachments a stop interrupted put right, everything pending at
    /// start, then whatever each wake finds.
    public func run() async {
        await recoverAttachments()
        await withDiscardingTaskGroup { group in
            var iterator = wakes.makeAsyncIterator()
            repeat {
                for job in await pendingJobs() where inFlight.insert(job.key).inserted {
                    group.addTask {
                        await self.perform(job)
                        await self.finished(job.key)
                    }
                }
            } while await iterator.next() != nil && !Task.isCancelled
            group.cancelAll()
        }
    }

    /// Ends `run` (the service is stopping).
    public nonisolated func stop() { waker.finish() }

    func finished(_ key: String) {
        inFlight.remove(key)
        wake()
    }

    enum Job: Sendable {
        case volume(Volume)
        case snapshot(VolumeSnapshot)

        var key: String {
            switch self {
            case .volume(let volume): "volume:" + volume.id
            case .snapshot(let snapshot): "snapshot:" + snapshot.id
            }
        }
    }

    func pendingJobs() async -> [Job] {
        do {
            let volumes = try await store.volumes(statuses: [
                VolumeStatus.creating, VolumeStatus.deleting, VolumeStatus.extending, VolumeStatus.uploading,
            ])
            let snapshots = try await store.snapshots(statuses: [SnapshotStatus.creating, SnapshotStatus.deleting])
            return volumes.filter { $0.host == nil || $0.host == backendHost }.map(Job.volume)
                + snapshots.map(Job.snapshot)
        } catch {
            logger.warning("the volume worker cannot read its pending work: \(error)")
            return []
        }
    }

    func perform(_ job: Job) async {
        switch job {
        case .volume(let volume):
            switch volume.status {
            case VolumeStatus.creating: await create(volume)
            case VolumeStatus.deleting: await delete(volume)
            case VolumeStatus.extending: await extend(volume)
            case VolumeStatus.uploading: await upload(volume)
            default: break
            }
        case .snapshot(let snapshot):
            if snapshot.status == SnapshotStatus.creating {
                await createSnapshot(snapshot)
            } else {
                await deleteSnapshot(snapshot)
            }
        }
    }

    /// A failure's reason as the user sees it: the NovaError's message, else the error's description.
    static func reason(_ error: any Error) -> String {
        (error as? NovaError)?.message ?? "\(error)"
    }

    func setVolume(_ id: String, _ body: @escaping @Sendable (inout Volume) -> Void) async {
        let now = clock.now
        do {
            try await store.updateVolume(id: id) { volume, _ in
                body(&volume)
                volume.updatedAt = now
            }
        } catch {
            logger.warning("volume \(id) could not be updated after its backend step: \(error)")
        }
    }
}
