import APISupport
import Foundation
import Hummingbird
import IdentityService
import ImageService
import Logging
import NovaCore
import NovaDB
import ServiceLifecycle
import VolumeAPI
import VolumeBackends
import VolumeCore

extension CloudParts {
    /// The block-storage API over `database` with the configured backend, and its worker (a service to run).
    static func volumeAPI(
        options: CloudOptions, database: Database, images: any VolumeImageService, nova: (any ServerEventSink)?,
        clock: any WallClock
    ) async throws -> (api: VolumeAPI, worker: any Service) {
        var serviceOptions = options.volume.service
        serviceOptions.host = options.hostname
        let store = VolumeStore(database: database, options: serviceOptions)
        try await store.ensureDefaultType(at: clock.now)
        let directory = options.volume.directory ?? options.dataDirectory + "/volumes"
        let backend = try FileVolumeBackend(
            name: options.volume.backendName, directory: directory,
            exportHost: options.volume.exportHost ?? options.myIP ?? "127.0.0.1", ports: options.volume.exportPorts,
            localAttach: options.volume.localAttach)
        let worker = VolumeWorker(
            store: store, backend: backend, images: images, clock: clock, scratchDirectory: directory + "/scratch",
            nova: nova, logger: Logger(label: "cinder.volume"))
        let api = VolumeAPI(store: store, worker: worker, images: images, clock: clock, nova: nova)
        let service = BackgroundService(name: "volume-worker") {
            await withTaskCancellationHandler {
                await worker.run()
            } onCancel: {
                worker.stop()
            }
        }
        return (api, service)
    }
}
