import NIOCore
import NIOHTTP1

extension HTTPResponseWriter {
    /// Removes the HTTP server handlers (and the connection's request handler) so the connection carries raw
    /// bytes after a protocol switch. The request decoder stays until `detachRequestDecoder()`, so nothing
    /// the client sends is parsed as HTTP meanwhile. Call on the channel's event loop.
    func detachHTTPHandlers() throws {
        let operations = channel.pipeline.syncOperations
        if let handler = try? operations.handler(type: HTTPConnectionHandler.self) { operations.removeHandler(handler, promise: nil) }
        if let handler = try? operations.handler(type: HTTPServerProtocolErrorHandler.self) {
            operations.removeHandler(handler, promise: nil)
        }
        if let handler = try? operations.handler(type: NIOHTTPResponseHeadersValidator.self) {
            operations.removeHandler(handler, promise: nil)
        }
        if let handler = try? operations.handler(type: HTTPServerPipelineHandler.self) {
            operations.removeHandler(handler, promise: nil)
        }
        operations.removeHandler(try operations.handler(type: HTTPResponseEncoder.self), promise: nil)
    }

    /// The last step of a protocol switch: the request decoder goes (clients send nothing before the 101).
    func detachRequestDecoder() throws {
        let operations = channel.pipeline.syncOperations
        operations.removeHandler(try operations.handler(type: ByteToMessageHandler<HTTPRequestDecoder>.self), promise: nil)
    }
}
