import Foundation

/// glibc's allocator starts by mapping every block over 128 KiB afresh and returning freed memory above
/// the top of a heap to the kernel, and only raises those thresholds as large blocks come and go. A large
/// answer (allocation candidates at 1,000 providers are half a megabyte, written and then copied once)
/// then pays a page fault per 4 KiB on every call. Blocks up to glibc's own ceiling (32 MiB) come from the
/// heap instead, and up to 4 MiB freed at a heap's top stay there for the next call (nova-bench compute:
/// 8 MiB or more kept some 15 MiB more resident after 1,000 servers; 4 MiB kept what the default did).
/// An operator's MALLOC_MMAP_THRESHOLD_ / MALLOC_TRIM_THRESHOLD_ wins.
enum MallocTuning {
    static func apply() {
        #if canImport(Glibc)
            let environment = ProcessInfo.processInfo.environment
            guard environment["MALLOC_MMAP_THRESHOLD_"] == nil, environment["MALLOC_TRIM_THRESHOLD_"] == nil else {
                return
            }
            _ = mallopt(mmapThreshold, 32 << 20)
            _ = mallopt(trimThreshold, 4 << 20)
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
