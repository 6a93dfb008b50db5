import NIOCore
import NIOPosix

/// The pod side of a forwarded port: a TCP connection to the port in the pod's network (127.0.0.1 of the node
/// for pods on the host's network, else from inside the namespace the runtime names), whose bytes and end are
/// handed to callbacks on its event loop.
enum PodPortConnection {
    static func open(port: UInt16, podUID: String, runtime: any ContainerRuntime, eventLoop: any EventLoop,
                     onData: @escaping @Sendable ([UInt8]) -> Void,
                     onClose: @escaping @Sendable () -> Void) -> EventLoopFuture<any Channel> {
        let bootstrap = { @Sendable in
            ClientBootstrap(group: eventLoop).channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(Relay(onData: onData, onClose: onClose))
                }
            }
        }
        guard let namespace = runtime.networkNamespace(podUID: podUID) else {
            return bootstrap().connect(host: "127.0.0.1", port: Int(port))
        }
        return PodNetworkConnector.connect(port: port, namespace: namespace, eventLoop: eventLoop)
            .flatMap { bootstrap().withConnectedSocket($0) }
    }

    private final class Relay: ChannelInboundHandler {
        typealias InboundIn = ByteBuffer
        let onData: @Sendable ([UInt8]) -> Void
        let onClose: @Sendable () -> Void

        init(onData: @escaping @Sendable ([UInt8]) -> Void, onClose: @escaping @Sendable () -> Void) {
            self.onData = onData
            self.onClose = onClose
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            onData(Array(unwrapInboundIn(data).readableBytesView))
        }

        func channelInactive(context: ChannelHandlerContext) {
            onClose()
            context.fireChannelInactive()
        }

        func errorCaught(context: ChannelHandlerContext, error: any Error) {
            context.close(promise: nil)
        }
    }
}
