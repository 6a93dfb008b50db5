import AsyncHTTPClient
import NIOCore
public import SkiffAPI

/// One event of a watch: ADDED, MODIFIED, DELETED, BOOKMARK or ERROR, and its object.
public struct WatchEvent: Sendable {
    public var type: String
    public var object: JSONValue

    public init(type: String, object: JSONValue) {
        self.type = type
        self.object = object
    }
}

extension RESTClient {
    /// Watches a collection path: events as the server streams them. The stream ends when the server
    /// closes the watch; a non-2xx answer throws its `APIError` (410 Gone: re-list).
    public func watch(_ path: String, query: [(String, String)] = []) -> AsyncThrowingStream<WatchEvent, any Error> {
        let request = makeRequest(.GET, path, query: query + [("watch", "true")], body: nil, contentType: "",
                                  accept: "application/json")
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
                            let value = try JSONValue(parsing: document)
                            continuation.yield(WatchEvent(type: value["type"]?.stringValue ?? "", object: value["object"] ?? nil))
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
