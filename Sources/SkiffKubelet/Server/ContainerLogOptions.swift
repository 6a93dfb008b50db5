public import Foundation

/// The query of `GET /containerLogs/{namespace}/{pod}/{container}` (upstream's `PodLogOptions`).
public struct ContainerLogOptions: Sendable, Equatable {
    public var follow = false
    public var previous = false
    /// Only entries at or after this time (from `sinceSeconds` or `sinceTime`).
    public var since: LogTime?
    /// Prefix each entry with its RFC3339Nano time and a space.
    public var timestamps = false
    public var tailLines: Int?
    public var limitBytes: Int?

    public init() {}

    /// Reads the query items; throws a message for a value that is not valid (as upstream's validation words it).
    public init(query: [(String, String)], now: Date = Date()) throws(ContainerLogOptionsError) {
        func value(_ name: String) -> String? { query.last { $0.0 == name }?.1 }
        func bool(_ name: String) throws(ContainerLogOptionsError) -> Bool {
            guard let text = value(name) else { return false }
            switch text.lowercased() {
            case "", "1", "t", "true": return true
            case "0", "f", "false": return false
            default: throw ContainerLogOptionsError(message: "\(name): invalid boolean value \"\(text)\"")
            }
        }
        func int(_ name: String, minimum: Int) throws(ContainerLogOptionsError) -> Int? {
            guard let text = value(name), !text.isEmpty else { return nil }
            guard let number = Int(text) else {
                throw ContainerLogOptionsError(message: "\(name): invalid integer value \"\(text)\"")
            }
            guard number >= minimum else {
                throw ContainerLogOptionsError(message: "\(name): Invalid value: \(number): must be greater than or equal to \(minimum)")
            }
            return number
        }
        follow = try bool("follow")
        previous = try bool("previous")
        timestamps = try bool("timestamps")
        tailLines = try int("tailLines", minimum: 0)
        limitBytes = try int("limitBytes", minimum: 1)
        let sinceSeconds = try int("sinceSeconds", minimum: 1)
        let sinceTime = value("sinceTime").flatMap { $0.isEmpty ? nil : $0 }
        if sinceSeconds != nil, sinceTime != nil {
            throw ContainerLogOptionsError(message: "at most one of `sinceTime` or `sinceSeconds` may be specified")
        }
        if let sinceSeconds {
            let at = now.timeIntervalSince1970 - Double(sinceSeconds)
            since = LogTime(seconds: Int64(at.rounded(.down)), nanoseconds: Int32((at - at.rounded(.down)) * 1e9))
        }
        if let sinceTime {
            guard let time = LogTime(rfc3339: Array(sinceTime.utf8)) else {
                throw ContainerLogOptionsError(message: "sinceTime: invalid RFC 3339 time \"\(sinceTime)\"")
            }
            since = time
        }
    }
}

/// A log query value that is not valid; the message says which.
public struct ContainerLogOptionsError: Error, Sendable, Equatable {
    public var message: String
}
