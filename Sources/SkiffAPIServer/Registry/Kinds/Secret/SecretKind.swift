import Foundation
import SkiffAPI

/// Secrets (upstream's `pkg/registry/core/secret`): stringData merged into data, per-type checks,
/// key names, immutability once `immutable` is set, and the table.
enum SecretKind {
    static let definition = KindDefinition(group: "", resource: "secrets") {
        $0.strategy = { _ in SecretStrategy() }
        $0.fields = ResourceFields(paths: ["type"])
        $0.table = table
        $0.validate = ConfigMapKind.validateDataKeys
        $0.validateUpdateOnly = { ConfigMapKind.immutableData($0, old: $1, binary: false) }
    }

    typealias P = Printers

    static let table = ColumnPrinter(
        columns: [P.nameColumn, P.column("Type"), P.column("Data", "integer"), P.ageColumn],
        row: { object, now in
            [P.name(object), .string(object["type"]?.stringValue ?? "Opaque"), .int(Int64(object["data"]?.objectValue?.count ?? 0)), P.age(object, now)]
        })
}
