import Foundation
import SkiffAPI

/// A table built from column definitions and a function from object to cells.
struct ColumnPrinter: TableConvertor {
    let columns: [TableColumn]
    let row: @Sendable (JSONValue, Date) -> [JSONValue]

    func cells(for object: JSONValue, now: Date) -> [JSONValue] { row(object, now) }
}

/// Cells the per-kind tables share (upstream's `pkg/printers/internalversion/printers.go`; each kind's
/// table is in its `Registry/Kinds` folder).
enum Printers {
    // MARK: - shared cells

    static let nameColumn = TableColumn(name: "Name", type: "string", format: "name", description: "Name must be unique within a namespace.")
    static let ageColumn = TableColumn(name: "Age", type: "string", description: "CreationTimestamp is a timestamp representing the server time when this object was created.")

    static func column(_ name: String, _ type: String = "string", wide: Bool = false) -> TableColumn {
        TableColumn(name: name, type: type, priority: wide ? 1 : 0)
    }

    static func name(_ object: JSONValue) -> JSONValue { .string(object["metadata"]?["name"]?.stringValue ?? "") }

    static func age(_ object: JSONValue, _ now: Date) -> JSONValue {
        .string(Age.since(object["metadata"]?["creationTimestamp"]?.stringValue, now: now))
    }

    static func int(_ value: JSONValue?) -> JSONValue { .int(value?.intValue ?? 0) }

    static func orNone(_ items: [String]) -> JSONValue { .string(items.isEmpty ? "<none>" : items.joined(separator: ",")) }

    /// Container names and images of a pod template, for the wide columns.
    static func containers(_ podSpec: JSONValue?) -> (names: JSONValue, images: JSONValue) {
        let containers = podSpec?["containers"]?.arrayValue ?? []
        return (.string(containers.compactMap { $0["name"]?.stringValue }.joined(separator: ",")),
                .string(containers.compactMap { $0["image"]?.stringValue }.joined(separator: ",")))
    }

    static func selector(_ value: JSONValue?) -> JSONValue {
        guard let value, value != .null else { return "<none>" }
        if let map = value.objectValue, map["matchLabels"] == nil, map["matchExpressions"] == nil {
            // A plain map selector (services, replication controllers).
            let text = map.map { "\($0.key)=\($0.value.stringValue ?? "")" }.sorted().joined(separator: ",")
            return .string(text.isEmpty ? "<none>" : text)
        }
        let text = Selectors.labelSelectorString(value)
        return .string(text.isEmpty ? "<none>" : text)
    }

    /// `RWO,ROX` from a volume's or claim's access modes.
    static func accessModes(_ value: JSONValue?) -> String {
        let short = ["ReadWriteOnce": "RWO", "ReadOnlyMany": "ROX", "ReadWriteMany": "RWX", "ReadWriteOncePod": "RWOP"]
        return (value?.arrayValue ?? []).compactMap { $0.stringValue.flatMap { short[$0] } }.joined(separator: ",")
    }

    static func nonEmpty(_ text: String?) -> String {
        guard let text, !text.isEmpty else { return "<none>" }
        return text
    }
}
