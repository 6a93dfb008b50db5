import Foundation
import SkiffTesting
import Testing

@testable import SkiffKubelet

#if canImport(Glibc)
    import Glibc
#endif

/// A process container's stdin and terminal, with real processes: what `kubectl attach -i` and
/// `kubectl run -it` reach through the kubelet.
struct ProcessRuntimeStdioTests {
    func withRuntime(_ body: (ProcessRuntime, URL) async throws -> Void) async throws {
        try await withProcessRuntime("process-stdio", body)
    }

    func log(_ runtime: ProcessRuntime, _ uid: String) -> String { containerLog(runtime, uid) }

    func write(_ fd: Int32, _ text: String) {
        _ = Array(text.utf8).withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
    }

    @Test func stdinOnceEndsWithTheFirstClientAndOthersGetNone() async throws {
        try await withRuntime { runtime, _ in
            var launch = ContainerLaunch(podUID: "p1", name: "c", restartCount: 0, argv: ["sh", "-c", "cat; echo eof"],
                                         stdin: true)
            launch.stdinOnce = true
            let handle = try runtime.start(launch)
            let first = try #require(runtime.attachStdin(containerID: handle.id))
            write(first, "line one\n")
            close(first)
            runtime.detachStdin(containerID: handle.id)
            #expect(runtime.attachStdin(containerID: handle.id) == nil)
            #expect(await waitUntil(timeout: .seconds(10)) { self.log(runtime, "p1").contains("stdout F eof") })
            #expect(log(runtime, "p1").contains("stdout F line one"))
        }
    }

    @Test func withoutStdinOnceTheStdinOutlivesAClient() async throws {
        try await withRuntime { runtime, _ in
            let handle = try runtime.start(ContainerLaunch(podUID: "p2", name: "c", restartCount: 0, argv: ["cat"], stdin: true))
            for text in ["first\n", "second\n"] {
                let client = try #require(runtime.attachStdin(containerID: handle.id))
                write(client, text)
                close(client)
                runtime.detachStdin(containerID: handle.id)
            }
            #expect(await waitUntil(timeout: .seconds(10)) { self.log(runtime, "p2").contains("stdout F second") })
            runtime.stop(containerID: handle.id, force: true)
        }
    }

    @Test func aTTYContainerRunsOnItsOwnTerminalWithTheClientsSize() async throws {
        try await withRuntime { runtime, _ in
            var launch = ContainerLaunch(podUID: "p3", name: "c", restartCount: 0,
                                         argv: ["sh", "-c", "read x; tty; stty size; echo got $x"], stdin: true, tty: true)
            launch.stdinOnce = true
            let handle = try runtime.start(launch)
            runtime.resizeTerminal(containerID: handle.id, columns: 101, rows: 33)
            let client = try #require(runtime.attachStdin(containerID: handle.id))
            write(client, "hello\n")
            close(client)
            #expect(await waitUntil(timeout: .seconds(10)) { self.log(runtime, "p3").contains("got hello") })
            let text = log(runtime, "p3")
            #expect(text.contains("stdout F /dev/pts/"), "\(text)")
            #expect(text.contains("stdout F 33 101"), "\(text)")
            #expect(!text.contains(" stderr "), "\(text)")
        }
    }
}
