import Foundation
import NIOCore
import NIOPosix
import SkiffTesting
import Testing

@testable import SkiffKubelet

#if canImport(Glibc)
    import Glibc
#endif

/// Port-forward into a pod's own network namespace: the connection is made from inside it, where the pod's
/// 127.0.0.1 is not the node's.
@Suite struct PodNetworkConnectorTests {
    @Test func connectsInsideANetworkNamespace() async throws {
        guard getuid() == 0, FileManager.default.isExecutableFile(atPath: "/usr/bin/unshare") else { return }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("netns-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        // A listener alone in a new network namespace, on the port this test's namespace has nothing on.
        let port: UInt16 = 40_000 + UInt16.random(in: 0..<20_000)
        let server = try TestChild("/usr/bin/unshare", ["-n", "sh", "-c", "ip link set lo up && echo inside > \(directory.path)/index.html && "
                                                        + "exec busybox httpd -f -p 127.0.0.1:\(port) -h \(directory.path)"])
        defer {
            server.signal(SIGKILL)
            _ = server.wait()
        }
        let namespace = "/proc/\(server.pid)/ns/net"
        let loop = MultiThreadedEventLoopGroup.singleton.next()
        var fd: Int32 = -1
        for _ in 0..<50 {
            if let connected = try? await PodNetworkConnector.connect(port: port, namespace: namespace, eventLoop: loop).get() {
                fd = connected
                break
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        #expect(fd >= 0, "no connection inside the namespace")
        guard fd >= 0 else { return }
        defer { close(fd) }
        let request = Array("GET / HTTP/1.0\r\n\r\n".utf8)
        _ = request.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        var response: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            guard count > 0 else { break }
            response += buffer[..<count]
        }
        #expect(String(decoding: response, as: UTF8.self).hasSuffix("inside\n"))
        // The node's own 127.0.0.1 has no such listener.
        await #expect(throws: (any Error).self) {
            try await ClientBootstrap(group: loop).connect(host: "127.0.0.1", port: Int(port)).get().close()
        }
        let missing = PodNetworkConnector.connect(port: port, namespace: "/proc/self/ns/nope", eventLoop: loop)
        await #expect(throws: (any Error).self) { try await missing.get() }
    }
}
