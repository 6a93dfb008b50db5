import AsyncHTTPClient
import NIOCore
public import SkiffAPI

/// One event of a watch: ADDED, MODIFIED, DELETED, BOOKMARK or ERROR, and its object — kept as the bytes the
/// server sent when it came over the network, so a typed informer decodes them once, straight into its model.
public struct WatchEvent: Sendable {
    public var type: String
    enum Payload: Sendable {
        case value(JSONValue)
        case bytes([UInt8])
        /// Decoded ahead by the task reading the stream (`predecode`), so the reflector does not have to.
        case decoded(any Sendable, bytes: [UInt8])
    }
    var payload: Payload

    public init(type: String, object: JSONValue) {
        self.type = type
        payload = .value(object)
    }

    /// An event whose object is still JSON text.
    public init(type: String, objectBytes: [UInt8]) {
        self.type = type
        payload = .bytes(objectBytes)
    }

    /// The object as a `JSONValue` (parsed on each use when the event holds bytes; `null` if they are not JSON).
    public var object: JSONValue {
        switch payload {
        case .value(let value): value
        case .bytes(let bytes), .decoded(_, let bytes): (try? JSONValue(parsing: bytes)) ?? .null
        }
    }

    /// Decodes the object now, as `decode` would later: the watch's own task does it, so decoding runs
    /// beside the informer's processing instead of in front of it.
    public mutating func predecode<Object: InformerObject>(_ type: Object.Type, transform: InformerTransform?) throws {
        guard case .bytes(let bytes) = payload, self.type != "BOOKMARK", self.type != "ERROR" else { return }
        payload = .decoded(try Object(informerBytes: bytes, transform: transform), bytes: bytes)
    }

    /// The object decoded as an informer holds it, through `transform`.
    public func decode<Object: InformerObject>(_ type: Object.Type, transform: InformerTransform?) throws -> Object {
        switch payload {
        case .value(let value): try Object(informerJSON: transform?(value) ?? value)
        case .bytes(let bytes): try Object(informerBytes: bytes, transform: transform)
        case .decoded(let value, let bytes):
            if let object = value as? Object { object } else { try Object(informerBytes: bytes, transform: transform) }
        }
    }
}

extension RESTClient {
    /// Watches a collection path: events as the server streams them. The stream ends when the server
    /// closes the watch; a non-2xx answer throws its `APIError` (410 Gone: re-list). `prepare` runs on each
    /// event in the task reading the response (an informer decodes its objects there).
    public func watch(_ path: String, query: [(String, String)] = [], accept: String = "application/json",
                      prepare: (@Sendable (inout WatchEvent) throws -> Void)? = nil) -> AsyncThrowingStream<WatchEvent, any Error> {
        let request = makeRequest(.GET, path, query: query + [("watch", "true")], body: nil, contentType: "",
                                  accept: accept)
        let http = self.http
        return AsyncThrowingStream { continuation in
            let task = Task {
                do {
                    let response = try await http.execute(request, timeout: .hours(2))
                    guard (200..<300).contains(response.status.code) else {
                        let body = try await response.body.collect(upTo: 1 << 20)
                        throw RESTClient.failure(status: response.status, body: Array(body.readableBytesView))
                    }
                    var splitter = JSONStreamSplitter()
                    for try await chunk in response.body {
                        for document in splitter.feed(chunk.readableBytesView) {
                            var event = try WatchEvent(envelope: document)
                            try prepare?(&event)
                            continuation.yield(event)
                        }
                    }
                    continuation.finish()
                } catch {
                    continuation.finish(throwing: error)
                }
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }
}

extension WatchEvent {
    /// Reads `{"type":…,"object":…}`, keeping the object's bytes as they are.
    init(envelope: [UInt8]) throws {
        var type = ""
        var object: [UInt8] = Array("null".utf8)
        try JSONReader.read(envelope) { reader in
            try reader.beginObject()
            while let key = try reader.nextKey() {
                if key == "type", try reader.peek() == .string {
                    type = try reader.readString()
                } else if key == "object" {
                    object = try reader.readRawValue()
                } else {
                    try reader.skipValue()
                }
            }
        }
        self.init(type: type, objectBytes: object)
    }
}

/// Splits a byte stream of concatenated JSON objects (with or without newlines between them).
struct JSONStreamSplitter {
    var buffer: [UInt8] = []
    var depth = 0
    var inString = false
    var escaped = false
    var scanned = 0

    mutating func feed(_ bytes: some Sequence<UInt8>) -> [[UInt8]] {
        buffer.append(contentsOf: bytes)
        var documents: [[UInt8]] = []
        var start = 0
        var i = scanned
        while i < buffer.count {
            let c = buffer[i]
            if inString {
                if escaped { escaped = false } else if c == UInt8(ascii: "\\") { escaped = true } else if c == UInt8(ascii: "\"") { inString = false }
            } else if c == UInt8(ascii: "\"") {
                inString = true
            } else if c == UInt8(ascii: "{") || c == UInt8(ascii: "[") {
                if depth == 0 { start = i }
                depth += 1
            } else if c == UInt8(ascii: "}") || c == UInt8(ascii: "]") {
                depth -= 1
                if depth == 0 {
                    documents.append(Array(buffer[start...i]))
                    buffer.removeSubrange(0...i)
                    i = 0
                    start = 0
                    continue
                }
            } else if depth == 0 {
                // whitespace between documents
                buffer.remove(at: i)
                continue
            }
            i += 1
        }
        scanned = buffer.count
        return documents
    }
}
