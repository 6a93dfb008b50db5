public import NIOCore
public import NIOHTTP1

/// Writes the response to one request: either a whole response at once, or a head followed by a
/// stream of body chunks (watch). Safe to use from any task; each write completes when flushed,
/// which gives a streaming writer back-pressure from a slow client.
public struct HTTPResponseWriter: Sendable {
    let channel: any Channel
    let keepAlive: Bool
    let version: HTTPVersion
    /// The request was a CONNECT: NIO's encoder sends no body after its head (a 2xx CONNECT switches
    /// protocols), so a refusal is written past the encoder, whole, and the connection closed.
    var isConnect = false
    /// Tells the connection handler this response is finished (written or abandoned).
    let completion: ResponseCompletion

    /// The allocator to build body buffers with.
    public var allocator: ByteBufferAllocator { channel.allocator }

    /// Sends a complete response with `Content-Length`. Returns once it is handed to the connection, not
    /// when flushed: the caller has nothing left to do, and waiting would cost a hop back to this task.
    /// A response already started (a watch that failed mid-stream) cannot be replaced: the connection
    /// is closed instead, which is how the client learns the stream broke.
    /// `appendingNewline` writes a `\n` after the body as a part of its own (a JSON body ends with one, as Go's
    /// encoder writes it), so a large body is not copied to make room for it.
    public func send(status: HTTPResponseStatus, headers: HTTPHeaders = HTTPHeaders(), body: ByteBuffer,
                     appendingNewline: Bool = false) async {
        guard completion.beginIfFirst() else {
            channel.close(promise: nil)
            completion.complete()
            return
        }
        if isConnect {
            var whole = body
            if appendingNewline { whole.writeInteger(UInt8(ascii: "\n")) }
            sendPastEncoder(status: status, headers: headers, body: whole)
            return
        }
        var headers = headers
        headers.replaceOrAdd(name: "Content-Length", value: String(body.readableBytes + (appendingNewline ? 1 : 0)))
        if !keepAlive { headers.replaceOrAdd(name: "Connection", value: "close") }
        let head = HTTPResponseHead(version: version, status: status, headers: headers)
        let channel = self.channel
        let completion = self.completion
        // One trip to the event loop for the whole response (none when the task already runs there).
        let writeAll: @Sendable () -> Void = {
            channel.write(HTTPServerResponsePart.head(head), promise: nil)
            if body.readableBytes > 0 {
                channel.write(HTTPServerResponsePart.body(.byteBuffer(body)), promise: nil)
            }
            if appendingNewline {
                channel.write(HTTPServerResponsePart.body(.byteBuffer(channel.allocator.buffer(integer: UInt8(ascii: "\n")))),
                              promise: nil)
            }
            channel.writeAndFlush(HTTPServerResponsePart.end(nil)).whenComplete { _ in completion.complete() }
        }
        if channel.eventLoop.inEventLoop {
            writeAll()
        } else {
            channel.eventLoop.execute(writeAll)
        }
    }

    /// Writes a whole response as bytes below NIO's HTTP encoder, then closes the connection.
    private func sendPastEncoder(status: HTTPResponseStatus, headers: HTTPHeaders, body: ByteBuffer) {
        var text = "HTTP/\(version.major).\(version.minor) \(status.code) \(status.reasonPhrase)\r\n"
        for (name, value) in headers where name.lowercased() != "content-length" && name.lowercased() != "connection" {
            text += "\(name): \(value)\r\n"
        }
        text += "Content-Length: \(body.readableBytes)\r\nConnection: close\r\n\r\n"
        var buffer = channel.allocator.buffer(string: text)
        buffer.writeImmutableBuffer(body)
        let bytes = buffer
        let channel = self.channel
        let completion = self.completion
        channel.eventLoop.execute {
            guard let encoder = try? channel.pipeline.syncOperations.context(handlerType: HTTPResponseEncoder.self) else {
                channel.close(promise: nil)
                completion.complete()
                return
            }
            encoder.writeAndFlush(NIOAny(bytes)).whenComplete { _ in
                channel.close(promise: nil)
                completion.complete()
            }
        }
    }

    /// Starts a chunked response; write the body with the returned stream and then `end()` it.
    public func startStream(status: HTTPResponseStatus, headers: HTTPHeaders) async throws -> HTTPBodyStream {
        completion.begin()
        var headers = headers
        headers.remove(name: "Content-Length")
        headers.replaceOrAdd(name: "Transfer-Encoding", value: "chunked")
        let head = HTTPResponseHead(version: version, status: status, headers: headers)
        try await channel.writeAndFlush(HTTPServerResponsePart.head(head))
        return HTTPBodyStream(writer: self)
    }

    /// Resolves when the client has gone away (the connection closed).
    public var closed: EventLoopFuture<Void> { channel.closeFuture }

    func finish() { completion.complete() }
}

/// The body of a streaming response. `end()` must be called once; writes after the client left throw.
public struct HTTPBodyStream: Sendable {
    let writer: HTTPResponseWriter

    public var allocator: ByteBufferAllocator { writer.allocator }

    /// Writes and flushes one chunk; waits until the socket took it.
    public func write(_ buffer: ByteBuffer) async throws {
        try await writer.channel.writeAndFlush(HTTPServerResponsePart.body(.byteBuffer(buffer)))
    }

    /// Ends the response (the final empty chunk).
    public func end() async {
        try? await writer.channel.writeAndFlush(HTTPServerResponsePart.end(nil))
        writer.finish()
    }
}
