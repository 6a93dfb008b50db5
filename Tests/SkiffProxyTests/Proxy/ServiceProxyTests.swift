import Foundation
import Logging
import SkiffAPI
import SkiffClient
@testable import SkiffProxy
import SkiffTesting
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// The proxy as a component against a real API server and the real kernel: Services and EndpointSlices
/// written through the API become rules within moments, and their changes follow.
@Suite(.serialized) struct ServiceProxyTests {
    @Test(.enabled(if: KernelNetwork.available)) func rulesFollowServicesAndEndpointSlices() async throws {
        guard let nft = NFTables.installed() else { return }
        let server = try await TestAPIServer()
        let client = try RESTClient(config: try ClientConfig.fromKubeconfig(path: server.kubeconfig.path))
        let network = ProxyNetwork(table: "skiff-test-\(getpid())-p", serviceCIDR: "10.96.213.0/24", serviceDevice: "sksvc213")
        let proxy = ServiceProxy(client: client, network: network, nftables: nft, fullSyncPeriod: .seconds(1),
                                 logger: Logger(label: "test.proxy"))
        let running = Task { try await proxy.run() }
        do {
            try await exercise(client: client, network: network, nft: nft)
        } catch {
            Issue.record(error)
        }
        // Stopped before its table goes: a sync in flight would write it again.
        running.cancel()
        _ = await running.result
        try? ServiceProxy.cleanup(network, nftables: nft)
        #expect(proxy.isSynced)
        try? await client.shutdown()
        await server.stop()
    }

    func exercise(client: RESTClient, network: ProxyNetwork, nft: NFTables) async throws {
        try await KernelNetwork.with(subnet: 213, answer: "from-slice") { pod in
            _ = try await client.services("default").create(core.v1.Service(
                metadata: meta.v1.ObjectMeta(name: "web"),
                spec: core.v1.ServiceSpec(clusterIP: "10.96.213.10", ports: [.init(name: "http", port: 80, targetPort: .int(8080))],
                                          selector: ["app": "web"])))
            // No slice yet: refused here, not routed anywhere.
            #expect(try await KernelNetwork.eventually("http://10.96.213.10/") { $0.contains("refused") }.contains("refused"))

            let slices = client.api(discovery.v1.EndpointSlice.self, namespace: "default")
            var slice = discovery.v1.EndpointSlice(
                addressType: "IPv4",
                endpoints: [.init(addresses: [pod.podAddress], conditions: .init(ready: true, serving: true, terminating: false))],
                metadata: meta.v1.ObjectMeta(labels: ["kubernetes.io/service-name": "web"], name: "web-abc"),
                ports: [.init(name: "http", port: 8080, protocol: "TCP")])
            slice = try await slices.create(slice)
            #expect(try await KernelNetwork.eventually("http://10.96.213.10/") { $0 == "from-slice" } == "from-slice")

            // The endpoint stops being ready: new connections are refused.
            slice.endpoints[0].conditions = .init(ready: false, serving: false, terminating: true)
            slice = try await slices.update(slice)
            #expect(try await KernelNetwork.eventually("http://10.96.213.10/") { $0.contains("refused") }.contains("refused"))

            slice.endpoints[0].conditions = .init(ready: true, serving: true, terminating: false)
            _ = try await slices.update(slice)
            #expect(try await KernelNetwork.eventually("http://10.96.213.10/") { $0 == "from-slice" } == "from-slice")
            // Someone flushes the table behind the proxy's back: the periodic full sync puts it back.
            try nft.apply("flush table ip \(network.table)\n")
            #expect(try await KernelNetwork.eventually("http://10.96.213.10/") { $0 == "from-slice" } == "from-slice")

            _ = try await client.services("default").delete("web")
            #expect(try await KernelNetwork.eventually("http://10.96.213.10/") { $0.contains("refused") }.contains("refused"))
        }
    }

    /// A connection made through a ClusterIP keeps working while the proxy stops, its table is even removed,
    /// and a new proxy rewrites everything: the kernel's connection tracking carries established flows.
    @Test(.enabled(if: KernelNetwork.available)) func anEstablishedConnectionOutlivesAProxyRestart() async throws {
        guard let nft = NFTables.installed() else { return }
        let server = try await TestAPIServer()
        let client = try RESTClient(config: try ClientConfig.fromKubeconfig(path: server.kubeconfig.path))
        let network = ProxyNetwork(table: "skiff-test-\(getpid())-r", serviceCIDR: "10.96.214.0/24", serviceDevice: "sksvc214")
        try await KernelNetwork.with(subnet: 214) { pod in
            defer { try? ServiceProxy.cleanup(network, nftables: nft) }
            let echo = try TestChild(KernelNetwork.ip, ["netns", "exec", pod.name, KernelNetwork.busybox ?? "busybox",
                                                        "nc", "-l", "-p", "8081", "-e", "cat"])
            defer {
                echo.signal(SIGKILL)
                _ = echo.wait()
            }
            _ = try await client.services("default").create(core.v1.Service(
                metadata: meta.v1.ObjectMeta(name: "echo"),
                spec: core.v1.ServiceSpec(clusterIP: "10.96.214.10", ports: [.init(name: "echo", port: 81, targetPort: .int(8081))])))
            _ = try await client.api(discovery.v1.EndpointSlice.self, namespace: "default").create(discovery.v1.EndpointSlice(
                addressType: "IPv4",
                endpoints: [.init(addresses: [pod.podAddress], conditions: .init(ready: true, serving: true, terminating: false))],
                metadata: meta.v1.ObjectMeta(labels: ["kubernetes.io/service-name": "echo"], name: "echo-abc"),
                ports: [.init(name: "echo", port: 8081, protocol: "TCP")]))
            let first = ServiceProxy(client: client, network: network, nftables: nft, logger: Logger(label: "test.proxy"))
            let running = Task { try await first.run() }
            var connection: EchoConnection?
            for _ in 0..<100 where connection == nil {
                connection = EchoConnection(host: "10.96.214.10", port: 81)
                if connection == nil { try await Task.sleep(for: .milliseconds(100)) }
            }
            guard let connection else {
                Issue.record("no connection through the ClusterIP")
                running.cancel()
                return
            }
            defer { connection.close() }
            #expect(connection.roundTrip("one") == "one")

            running.cancel()
            _ = await running.result
            // The whole table goes (the Service range's route stays, as a stopped proxy leaves it).
            try nft.deleteTable(network.table)
            #expect(connection.roundTrip("two") == "two")

            let second = ServiceProxy(client: client, network: network, nftables: nft, logger: Logger(label: "test.proxy"))
            let again = Task { try await second.run() }
            for _ in 0..<100 where !second.isSynced { try await Task.sleep(for: .milliseconds(50)) }
            #expect(second.isSynced)
            #expect(connection.roundTrip("three") == "three")
            again.cancel()
            _ = await again.result
        }
        try? await client.shutdown()
        await server.stop()
    }
}

/// A blocking TCP connection with a 3-second read timeout, for talking to an echo server.
final class EchoConnection: Sendable {
    let fd: Int32

    init?(host: String, port: UInt16) {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return nil }
        var timeout = timeval(tv_sec: 3, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        inet_pton(AF_INET, host, &address.sin_addr)
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else {
            Glibc.close(fd)
            return nil
        }
        self.fd = fd
    }

    /// Sends `line` and returns the line read back (empty on a timeout or a closed connection).
    func roundTrip(_ line: String) -> String {
        let bytes = Array((line + "\n").utf8)
        guard bytes.withUnsafeBytes({ write(fd, $0.baseAddress, $0.count) }) == bytes.count else { return "" }
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 256)
        while !received.contains(UInt8(ascii: "\n")) {
            let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            guard count > 0 else { break }
            received += buffer[..<count]
        }
        return String(decoding: received, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    func close() { Glibc.close(fd) }
}
