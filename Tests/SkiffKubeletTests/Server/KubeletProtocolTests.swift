import NIOCore
import Testing

@testable import SkiffKubelet

/// The pieces of the streaming protocols that need no connection: paths and queries, SPDY header blocks and
/// their compression, WebSocket subprotocol negotiation.
@Suite struct KubeletProtocolTests {
    @Test func routesAndQueriesReadAsUpstreamWritesThem() {
        let (route, query) = KubeletRoute.parse(uri: "/exec/ns/web/c?command=sh&command=-c&command=echo+a%20b&stdin=1")
        #expect(route == .exec(namespace: "ns", pod: "web", container: "c"))
        #expect(query.filter { $0.0 == "command" }.map(\.1) == ["sh", "-c", "echo a b"])
        #expect(KubeletRoute.parse(uri: "/exec/ns/web/uid-1/c").0 == .exec(namespace: "ns", pod: "web", container: "c"))
        #expect(KubeletRoute.parse(uri: "/portForward/ns/web").0 == .portForward(namespace: "ns", pod: "web"))
        #expect(KubeletRoute.parse(uri: "/containerLogs/ns/web/c?follow=true").0
            == .containerLogs(namespace: "ns", pod: "web", container: "c"))
        #expect(KubeletRoute.parse(uri: "/pods").0 == .notFound)
    }

    @Test func remoteCommandOptions() throws {
        let options = try RemoteCommandOptions(query: [("command", "ls"), ("stdout", "1"), ("stderr", "true"), ("tty", "1")],
                                               exec: true)
        #expect(options.stdout && options.tty && !options.stderr, "a terminal has no separate stderr")
        #expect(throws: RemoteCommandError.self) { try RemoteCommandOptions(query: [("stdout", "1")], exec: true) }
        #expect(throws: RemoteCommandError.self) { try RemoteCommandOptions(query: [("command", "ls")], exec: true) }
        #expect(try RemoteCommandOptions(query: [("stdout", "1")], exec: false).command.isEmpty)
    }

    @Test func webSocketNegotiationHonoursTheClientsOrder() {
        #expect(RemoteCommandWebSocketProtocol.negotiate(["v5.channel.k8s.io, v4.channel.k8s.io"])?.name == "v5.channel.k8s.io")
        #expect(RemoteCommandWebSocketProtocol.negotiate(["base64.channel.k8s.io"])?.base64 == true)
        #expect(RemoteCommandWebSocketProtocol.negotiate([])?.name == "")
        #expect(RemoteCommandWebSocketProtocol.negotiate(["v9.channel.k8s.io"]) == nil)
    }

    @Test func spdyHeaderBlocksRoundTripThroughOneCompressionStream() throws {
        let dictionary = SPDYDictionary.bytes
        #expect(dictionary.count == 1423, "the SPDY/3 dictionary's length")
        // One side's deflate is the other side's inflate: two codecs stand for the two ends.
        let client = try SPDYHeaderCompression()
        let server = try SPDYHeaderCompression()
        for headers in [[("streamtype", "error")], [("streamtype", "stdout"), ("port", "8080"), ("requestid", "0")], []] {
            let wire = client.compress(SPDYHeaderBlock.encode(headers))
            let block = try server.decompress(wire)
            #expect(SPDYHeaderBlock.decode(block) == Dictionary(uniqueKeysWithValues: headers))
        }
        #expect(throws: (any Error).self) { try SPDYHeaderCompression().decompress([1, 2, 3, 4, 5]) }
    }

    @Test func spdyDataFramesCarryTheirStream() {
        let frame = SPDYFrame.encodeData(streamID: 5, flags: SPDYFrame.flagFin, payload: [1, 2, 3],
                                         allocator: ByteBufferAllocator())
        #expect(Array(frame.readableBytesView) == [0, 0, 0, 5, 1, 0, 0, 3, 1, 2, 3])
        let control = SPDYFrame.encodeControl(type: SPDYFrame.ping, payload: [0, 0, 0, 1], allocator: ByteBufferAllocator())
        #expect(Array(control.readableBytesView) == [0x80, 3, 0, 6, 0, 0, 0, 4, 0, 0, 0, 1])
    }
}
