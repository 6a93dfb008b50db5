import Foundation

/// Runs a blocking runtime call (`runc create`, CNI plugins: tens of milliseconds of waiting on other
/// processes) on a thread of its own, so neither the pod workers' actor nor the two-thread cooperative pool
/// waits with it, and pods created together start side by side.
enum BlockingCall {
    static func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            let thread = Thread { continuation.resume(with: Result { try body() }) }
            thread.stackSize = 512 * 1024
            thread.name = "skiff-runtime-call"
            thread.start()
        }
    }
}
