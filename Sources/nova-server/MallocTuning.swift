import Foundation

/// glibc's allocator starts by mapping every block over 128 KiB afresh and returning freed memory above
/// the top of a heap to the kernel, and only raises those thresholds as large blocks come and go. A large
/// answer (allocation candidates at 1,000 providers are half a megabyte, written and then copied once)
/// then pays a page fault per 4 KiB on every call. Start where glibc's own rule ends up (32 MiB, and twice
/// that before trimming) instead. An operator's MALLOC_MMAP_THRESHOLD_ / MALLOC_TRIM_THRESHOLD_ wins.
enum MallocTuning {
    static func apply() {
        #if canImport(Glibc)
            let environment = ProcessInfo.processInfo.environment
            guard environment["MALLOC_MMAP_THRESHOLD_"] == nil, environment["MALLOC_TRIM_THRESHOLD_"] == nil else {
                return
            }
            _ = mallopt(mmapThreshold, 32 << 20)
            _ = mallopt(trimThreshold, 64 << 20)
        #endif
    }

    // <malloc.h> is not in Swift's Glibc module: its two parameters and the call, as glibc declares them.
    static let trimThreshold: Int32 = -1
    static let mmapThreshold: Int32 = -3
}

#if canImport(Glibc)
    @_silgen_name("mallopt")
    private func mallopt(_ parameter: Int32, _ value: Int32) -> Int32
#endif
