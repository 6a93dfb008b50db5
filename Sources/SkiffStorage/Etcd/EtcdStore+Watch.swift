import AsyncHTTPClient
import NIOCore
import SkiffJSON

extension EtcdStore {
    /// Streams etcd's watch (`/v3/watch`, with previous values) from `revision + 1`. etcd replays its history
    /// and then live changes, in revision order; a compacted start ends the stream with `compacted`, and so
    /// does a stream that etcd or the network ends (the caller watches again from its last revision).
    public func watch(prefix: String, afterRevision revision: Int64) -> AsyncThrowingStream<StoreEvent, any Error> {
        let (stream, continuation) = AsyncThrowingStream<StoreEvent, any Error>.makeStream(
            bufferingPolicy: .bufferingOldest(watchBuffer))
        let id: UInt64? = state.withLock { state in
            if state.closed { return nil }
            defer { state.nextWatch += 1 }
            state.watchContinuations[state.nextWatch] = continuation
            return state.nextWatch
        }
        guard let id else {
            continuation.finish()
            return stream
        }
        let task = Task {
            do {
                try await streamWatch(prefix: prefix, after: revision, into: continuation)
                continuation.finish()
            } catch {
                if Task.isCancelled { continuation.finish() } else { continuation.finish(throwing: error) }
            }
            self.forgetWatch(id)
        }
        state.withLock { state in
            if state.watchContinuations[id] != nil { state.watchTasks[id] = task }
        }
        continuation.onTermination = { _ in task.cancel() }
        return stream
    }

    private func forgetWatch(_ id: UInt64) {
        state.withLock { state in
            state.watchTasks[id] = nil
            state.watchContinuations[id] = nil
        }
    }

    private func streamWatch(prefix: String, after revision: Int64,
                             into continuation: AsyncThrowingStream<StoreEvent, any Error>.Continuation) async throws {
        guard revision >= 0 else { throw StoreError(.invalid, message: "revision \(revision) is negative") }
        // etcd would still replay from revision+1 when that equals the compacted revision; the store's
        // contract (as MemoryStore and SQLiteStore keep it) is to refuse any start before the compacted one.
        if !(try await readable(at: max(revision, 1))) {
            throw StoreError(.compacted, compactedRevision: try? await compactedRevision(),
                             message: "required revision \(revision) has been compacted")
        }
        var create = Self.rangeRequest(KeyRange(prefix: prefix))
        create["start_revision"] = EtcdCodec.int(revision + 1)
        create["prev_kv"] = true
        let body = JSONValue.object(["create_request": create]).serialized()

        let response = try await openWatch(body)
        guard response.status.code == 200 else {
            let answer = try await response.body.collect(upTo: 1 << 20)
            let json = (try? JSONValue(parsing: answer.readableBytesView)) ?? [:]
            throw EtcdClient.gatewayError(json, status: response.status.code)
        }
        var lines = LineSplitter()
        for try await chunk in response.body {
            for line in lines.feed(chunk.readableBytesView) {
                let message: JSONValue
                do {
                    message = try JSONValue(parsing: line)
                } catch {
                    throw EtcdCodec.malformed("a watch message is not JSON")
                }
                if message["error"] != nil { throw EtcdClient.gatewayError(message["error"] ?? [:], status: 200) }
                let result = message["result"] ?? message
                if result["canceled"]?.boolValue == true {
                    let compacted = try EtcdCodec.int64(result["compact_revision"])
                    if compacted > 0 {
                        throw StoreError(.compacted, compactedRevision: compacted,
                                         message: "required revision \(revision) has been compacted")
                    }
                    throw StoreError(.unavailable, message: "etcd canceled the watch: \(result["cancel_reason"]?.stringValue ?? "")")
                }
                for item in result["events"]?.arrayValue ?? [] {
                    let event = try EtcdCodec.event(item)
                    guard event.revision > revision else { continue }
                    if case .dropped = continuation.yield(event) {
                        throw StoreError(.unavailable, message: "watcher fell behind")
                    }
                }
            }
        }
        if Task.isCancelled { return }
        throw StoreError(.unavailable, message: "etcd ended the watch stream")
    }

    /// Opens the watch stream on the first endpoint that accepts a connection.
    private func openWatch(_ body: [UInt8]) async throws -> HTTPClientResponse {
        var lastError: (any Error)?
        for (index, endpoint) in client.endpointsToTry {
            var request = HTTPClientRequest(url: endpoint + "/v3/watch")
            request.method = .POST
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(bytes: body))
            do {
                // A watch lasts as long as its consumer wants it.
                let response = try await client.http.execute(request, deadline: .now() + .hours(24 * 365))
                client.answered(index)
                return response
            } catch {
                if Task.isCancelled { throw error }
                lastError = error
            }
        }
        throw StoreError(.unavailable, message: "etcd is unreachable for a watch: \(lastError.map { "\($0)" } ?? "no endpoint")")
    }
}

/// Splits the gateway's stream into its newline-terminated JSON messages.
struct LineSplitter {
    private var pending: [UInt8] = []

    mutating func feed(_ bytes: some Collection<UInt8>) -> [[UInt8]] {
        var lines: [[UInt8]] = []
        for byte in bytes {
            if byte == UInt8(ascii: "\n") {
                if !pending.isEmpty { lines.append(pending) }
                pending.removeAll(keepingCapacity: true)
            } else {
                pending.append(byte)
            }
        }
        return lines
    }
}
