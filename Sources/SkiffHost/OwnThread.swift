import Foundation

/// Runs blocking work (another program, a long system call) on a thread of its own and awaits it, so the
/// cooperative pool — two threads on a two-core machine — never waits on it.
public enum OwnThread {
    public static func run<T: Sendable>(_ name: String, _ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            let thread = Thread { continuation.resume(with: Result { try body() }) }
            thread.stackSize = 512 * 1024
            thread.name = name
            thread.start()
        }
    }
}
