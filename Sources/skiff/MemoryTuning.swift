#if canImport(Glibc)
import Glibc
#endif

/// glibc gives each busy thread its own malloc arena (up to 8 per core); on a 2-core server that is
/// megabytes of mostly empty heap. Two arenas keep contention low here and idle memory small.
enum MemoryTuning {
    static func limitMallocArenas() {
        #if canImport(Glibc)
        // `mallopt` is not in Swift's Glibc module; look it up (RTLD_DEFAULT is a null handle).
        typealias Mallopt = @convention(c) (Int32, Int32) -> Int32
        guard let symbol = dlsym(nil, "mallopt") else { return }
        let mallopt = unsafeBitCast(symbol, to: Mallopt.self)
        _ = mallopt(-8, 2)  // M_ARENA_MAX
        #endif
    }
}
