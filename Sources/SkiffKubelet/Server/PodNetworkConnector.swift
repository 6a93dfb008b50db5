import CLinuxExtras
import Foundation
import NIOCore

#if canImport(Glibc)
    import Glibc
#endif

/// Connects to a port inside a pod's network namespace: a short-lived thread enters the namespace (`setns`
/// changes only the calling thread), makes and connects the socket there (a socket stays in the namespace it
/// was made in), and hands the connected descriptor back for NIO to adopt.
enum PodNetworkConnector {
    static let cloneNewNet: Int32 = 0x4000_0000

    static func connect(port: UInt16, namespace: String, eventLoop: any EventLoop) -> EventLoopFuture<NIOBSDSocket.Handle> {
        let promise = eventLoop.makePromise(of: NIOBSDSocket.Handle.self)
        let thread = Thread {
            do {
                promise.succeed(try connectInside(port: port, namespace: namespace))
            } catch {
                promise.fail(error)
            }
        }
        thread.stackSize = 64 * 1024
        thread.name = "skiff-portforward-netns"
        thread.start()
        return promise.futureResult
    }

    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    private static func connectInside(port: UInt16, namespace: String) throws -> Int32 {
        func failure(_ what: String) -> Failure { Failure(description: "\(what): \(String(cString: strerror(errno)))") }
        let nsFD = open(namespace, O_RDONLY | O_CLOEXEC)
        guard nsFD >= 0 else { throw failure("open \(namespace)") }
        defer { close(nsFD) }
        guard setns(nsFD, cloneNewNet) == 0 else { throw failure("setns \(namespace)") }
        let socketFD = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard socketFD >= 0 else { throw failure("socket") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = UInt32(0x7f00_0001).bigEndian
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(socketFD, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard result == 0 else {
            let error = failure("dial tcp4 127.0.0.1:\(port)")
            close(socketFD)
            throw error
        }
        return socketFD
    }
}
