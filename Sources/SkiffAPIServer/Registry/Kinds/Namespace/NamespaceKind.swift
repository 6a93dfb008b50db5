import Foundation
import SkiffAPI

/// Namespaces (upstream's `pkg/registry/core/namespace`): DNS-1123 label names, termination
/// instead of deletion, and the `kubectl get namespaces` table.
enum NamespaceKind {
    static let definition = KindDefinition(group: "", resource: "namespaces") {
        $0.strategy = { _ in NamespaceStrategy() }
        $0.fields = ResourceFields(paths: ["status.phase"])
        $0.table = table
        $0.nameRule = .label
    }

    typealias P = Printers

    static let table = ColumnPrinter(
        columns: [P.nameColumn, P.column("Status"), P.ageColumn],
        row: { object, now in [P.name(object), .string(object["status"]?["phase"]?.stringValue ?? "Active"), P.age(object, now)] })
}
