import Foundation
import NIOCore
import NIOHTTP1
import NIOWebSocket
import Synchronization

/// The HTTP upgrades of exec, attach and port-forward: WebSocket (kubectl ≥ 1.30) and SPDY/3.1 (older).
/// A request that cannot be upgraded (no client certificate, bad query, unknown pod) is left to
/// `KubeletHTTPHandler`, which answers it with upstream's error.
enum KubeletUpgraders {
    /// What `shouldUpgrade` found, for the pipeline set up after the upgrade response.
    struct Accepted: Sendable {
        var route: KubeletRoute
        var query: [(String, String)]
        var options: RemoteCommandOptions
        var target: ContainerTarget
    }

    static func make(_ endpoints: KubeletEndpoints) -> [any HTTPServerProtocolUpgrader & Sendable] {
        [webSocket(endpoints), SPDYUpgrader(endpoints: endpoints)]
    }

    /// kubectl ≥ 1.31 tunnels port-forward's SPDY in WebSocket binary messages under this subprotocol.
    static let tunnelledPortForward = "SPDY/3.1+portforward.k8s.io"

    /// Puts the SPDY handlers of an upgraded connection at the end of its pipeline.
    static func installSPDY(on channel: any Channel, found: Accepted, version: String, endpoints: KubeletEndpoints) throws {
        let writer = SPDYStreamWriter(channel: channel)
        let delegate: any SPDYStreamDelegate = if case .portForward = found.route {
            SPDYPortForward(target: found.target, endpoints: endpoints, writer: writer)
        } else {
            SPDYRemoteCommand(found: found, version: version, endpoints: endpoints, writer: writer)
        }
        try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(SPDYFrameDecoder()))
        try channel.pipeline.syncOperations.addHandler(try SPDYServerHandler(delegate: delegate))
    }

    /// Checks a streaming request (its connection's client certificate was checked on the event loop) and finds
    /// its container; nil: not to be upgraded.
    static func accept(_ head: HTTPRequestHead, endpoints: KubeletEndpoints) async -> Accepted? {
        let (route, query) = KubeletRoute.parse(uri: head.uri)
        let options: RemoteCommandOptions
        let container: String
        switch route {
        case .exec(_, _, let name):
            guard let parsed = try? RemoteCommandOptions(query: query, exec: true) else { return nil }
            (options, container) = (parsed, name)
        case .attach(_, _, let name):
            guard let parsed = try? RemoteCommandOptions(query: query, exec: false) else { return nil }
            (options, container) = (parsed, name)
        case .portForward:
            (options, container) = (RemoteCommandOptions(), "")
        default:
            return nil
        }
        guard let (namespace, pod) = route.namespaceAndPod else { return nil }
        let target: ContainerTarget
        do throws(ContainerLookupError) {
            if case .portForward = route {
                // Port-forward reaches the pod's network, whatever its containers; an unknown pod is refused.
                target = try await endpoints.locator.locatePod(namespace: namespace, pod: pod)
            } else {
                target = try await endpoints.locator.locate(namespace: namespace, pod: pod, container: container)
            }
        } catch {
            return nil
        }
        return Accepted(route: route, query: query, options: options, target: target)
    }

    static func webSocket(_ endpoints: KubeletEndpoints) -> NIOWebSocketServerUpgrader {
        let accepted = AcceptedBox<(Accepted, RemoteCommandWebSocketProtocol)>()
        return NIOWebSocketServerUpgrader(
            maxFrameSize: 1 << 20, automaticErrorHandling: true,
            shouldUpgrade: { channel, head in
                guard KubeletEndpoints.isAuthenticated(channel) else { return channel.eventLoop.makeSucceededFuture(nil) }
                return channel.eventLoop.makeFutureWithTask { () -> HTTPHeaders? in
                    guard let found = await accept(head, endpoints: endpoints) else { return nil }
                    let offered = head.headers["Sec-WebSocket-Protocol"].flatMap { $0.split(separator: ",") }
                        .map { $0.trimmingCharacters(in: .whitespaces) }
                    let wsProtocol: RemoteCommandWebSocketProtocol
                    if case .portForward = found.route {
                        if offered.contains(tunnelledPortForward) {
                            wsProtocol = .init(name: tunnelledPortForward, base64: false, statusObjects: false, streamClose: false)
                        } else {
                            // Upstream's port-forward channels: `v4.channel.k8s.io`, its base64 form, or none.
                            guard case .success = WebSocketPortForwardHandler.ports(query: found.query),
                                  let negotiated = RemoteCommandWebSocketProtocol.negotiate(
                                      offered, among: WebSocketPortForwardHandler.protocols) else {
                                return nil
                            }
                            wsProtocol = negotiated
                        }
                    } else {
                        guard let negotiated = RemoteCommandWebSocketProtocol.negotiate(offered) else { return nil }
                        wsProtocol = negotiated
                    }
                    accepted.value.withLock { $0 = (found, wsProtocol) }
                    var headers = HTTPHeaders()
                    if !wsProtocol.name.isEmpty { headers.add(name: "Sec-WebSocket-Protocol", value: wsProtocol.name) }
                    return headers
                }
            },
            upgradePipelineHandler: { channel, _ in
                guard let (found, wsProtocol) = accepted.value.withLock({ $0 }) else {
                    return channel.close()
                }
                return channel.eventLoop.makeCompletedFuture {
                    let aggregator = NIOWebSocketFrameAggregator(minNonFinalFragmentSize: 0, maxAccumulatedFrameCount: 1024,
                                                                 maxAccumulatedFrameSize: 1 << 22)
                    if wsProtocol.name == tunnelledPortForward {
                        try channel.pipeline.syncOperations.addHandler(aggregator)
                        try channel.pipeline.syncOperations.addHandler(WebSocketByteStreamHandler())
                        try installSPDY(on: channel, found: found, version: SPDYPortForward.protocolName, endpoints: endpoints)
                        return
                    }
                    if case .portForward = found.route, case .success(let ports) = WebSocketPortForwardHandler.ports(query: found.query) {
                        try channel.pipeline.syncOperations.addHandler(aggregator)
                        try channel.pipeline.syncOperations.addHandler(
                            WebSocketPortForwardHandler(ports: ports, wsProtocol: wsProtocol, target: found.target, endpoints: endpoints))
                        return
                    }
                    let transport = WebSocketRemoteCommandTransport(channel: channel, wsProtocol: wsProtocol)
                    let session = RemoteCommandSession(transport: transport, options: found.options)
                    try channel.pipeline.syncOperations.addHandler(aggregator)
                    try channel.pipeline.syncOperations.addHandler(
                        RemoteCommandWebSocketHandler(session: session, wsProtocol: wsProtocol))
                    // An empty message on the lowest channel we write tells the client the streams are ready.
                    let first = found.options.stdout ? RemoteCommandWebSocketProtocol.stdoutChannel
                        : found.options.stderr ? RemoteCommandWebSocketProtocol.stderrChannel : RemoteCommandWebSocketProtocol.errorChannel
                    channel.writeAndFlush(wsProtocol.frame(channel: first, [], allocator: channel.allocator), promise: nil)
                    start(found, session: session, endpoints: endpoints)
                }
            })
    }

    /// Runs the exec or attach of an upgraded request.
    static func start(_ found: Accepted, session: RemoteCommandSession, endpoints: KubeletEndpoints) {
        let target = found.target
        endpoints.logger.debug("streaming session", metadata: [
            "pod": "\(target.namespace)/\(target.podName)", "container": "\(target.container)",
            "route": "\(found.route)", "command": "\(found.options.command)",
        ])
        guard let id = target.runningID else {
            session.fail("error executing command in container: container \"\(target.container)\" in pod \"\(target.podName)\" is not running")
            return
        }
        switch found.route {
        case .exec:
            do {
                let process = try endpoints.runtime.exec(
                    containerID: id, ExecCommand(argv: found.options.command, stdin: found.options.stdin, tty: found.options.tty))
                session.run(process)
            } catch let error as ContainerRuntimeError {
                session.fail("error executing command in container: \(error.message)")
            } catch {
                session.fail("error executing command in container: \(error)")
            }
        case .attach:
            guard let run = target.currentRun else { return }
            let file = endpoints.runtime.logFile(podUID: target.podUID, container: target.container, restartCount: run)
            let size = ((try? FileManager.default.attributesOfItem(atPath: file.path))?[.size] as? NSNumber)?.intValue ?? 0
            guard let follower = try? ContainerLogFollower(file: file) else {
                session.fail("cannot follow the output of container \"\(target.container)\"")
                return
            }
            let token = endpoints.exits.watch(id) { follower.containerExited() }
            let runtime: any ContainerRuntime = endpoints.runtime
            let stdin: Int32? = found.options.stdin ? runtime.attachStdin(containerID: id) : nil
            var stdinClosed: (@Sendable () -> Void)?
            if stdin != nil { stdinClosed = { runtime.detachStdin(containerID: id) } }
            let resize: @Sendable (UInt16, UInt16) -> Void = { runtime.resizeTerminal(containerID: id, columns: $0, rows: $1) }
            session.attach(follower: follower, offset: size, stdin: stdin, stdinClosed: stdinClosed,
                           resizeTerminal: found.options.tty ? resize : nil, onEnd: { endpoints.exits.unwatch(id, token: token) })
            Task {
                let now = try? await endpoints.locator.locate(namespace: target.namespace, pod: target.podName,
                                                              container: target.container)
                if now?.runningID != id { follower.containerExited() }
            }
        default:
            break
        }
    }
}

/// What one connection's upgrader accepted, from `shouldUpgrade` to the pipeline set-up.
final class AcceptedBox<Value: Sendable>: Sendable {
    let value = Mutex<Value?>(nil)
}
