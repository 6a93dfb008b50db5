import Foundation
import SkiffAPI

/// One column of a `meta.k8s.io/v1` Table, as `kubectl get` prints it.
struct TableColumn: Sendable {
    var name: String
    /// `string`, `integer`, `number`, `boolean` or `date`.
    var type: String
    /// `name` for the column kubectl treats as the object's name.
    var format: String = ""
    var description: String = ""
    /// 0 for default output, 1 for the extra columns of `-o wide`.
    var priority: Int = 0

    var json: JSONValue {
        ["name": .string(name), "type": .string(type), "format": .string(format), "description": .string(description),
         "priority": .int(Int64(priority))]
    }
}

/// Turns objects of one kind into table rows (upstream's printers in `pkg/printers/internalversion`).
protocol TableConvertor: Sendable {
    var columns: [TableColumn] { get }
    /// The cells of one object's row, one per column (wide columns included).
    func cells(for object: JSONValue, now: Date) -> [JSONValue]
}

/// The table of kinds without their own printer: name and age.
struct DefaultTableConvertor: TableConvertor {
    var columns: [TableColumn] {
        [TableColumn(name: "Name", type: "string", format: "name", description: "Name must be unique within a namespace."),
         TableColumn(name: "Age", type: "string", description: "CreationTimestamp is a timestamp representing the server time when this object was created.")]
    }

    func cells(for object: JSONValue, now: Date) -> [JSONValue] {
        [.string(object["metadata"]?["name"]?.stringValue ?? ""), .string(Age.since(object["metadata"]?["creationTimestamp"]?.stringValue, now: now))]
    }
}

/// Human-readable durations as kubectl prints them (`duration.HumanDuration`): 5s, 3m10s, 2d4h, 3y45d.
enum Age {
    /// The age of an RFC 3339 timestamp, or `<unknown>` when there is none.
    static func since(_ timestamp: String?, now: Date) -> String {
        guard let timestamp, let date = parseTimestamp(timestamp) else { return "<unknown>" }
        return humanDuration(now.timeIntervalSince(date))
    }

    static func parseTimestamp(_ text: String) -> Date? {
        if let date = try? Date(text, strategy: .iso8601) { return date }
        return try? Date.ISO8601FormatStyle(includingFractionalSeconds: true).parse(text)
    }

    static func humanDuration(_ interval: TimeInterval) -> String {
        let seconds = Int(interval)
        if seconds < -1 { return "<invalid>" }
        if seconds < 0 { return "0s" }
        if seconds < 60 * 2 { return "\(seconds)s" }
        let minutes = seconds / 60
        if minutes < 10 {
            let s = seconds % 60
            return s == 0 ? "\(minutes)m" : "\(minutes)m\(s)s"
        }
        if minutes < 60 * 3 { return "\(minutes)m" }
        let hours = minutes / 60
        if hours < 8 {
            let m = minutes % 60
            return m == 0 ? "\(hours)h" : "\(hours)h\(m)m"
        }
        if hours < 48 { return "\(hours)h" }
        if hours < 24 * 8 {
            let h = hours % 24
            return h == 0 ? "\(hours / 24)d" : "\(hours / 24)d\(h)h"
        }
        if hours < 24 * 365 * 2 { return "\(hours / 24)d" }
        if hours < 24 * 365 * 8 {
            let dy = (hours / 24) % 365
            return dy == 0 ? "\(hours / 24 / 365)y" : "\(hours / 24 / 365)y\(dy)d"
        }
        return "\(hours / 24 / 365)y"
    }
}
