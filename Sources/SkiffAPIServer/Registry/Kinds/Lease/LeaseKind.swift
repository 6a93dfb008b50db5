import Foundation
import SkiffAPI

/// Leases: never created by an update, and the table.
enum LeaseKind {
    static let definition = KindDefinition(group: "coordination.k8s.io", resource: "leases") {
        $0.strategy = { _ in DefaultingStrategy(allowCreateOnUpdate: false) }
        $0.table = table
    }

    typealias P = Printers

    static let table = ColumnPrinter(
        columns: [P.nameColumn, P.column("Holder"), P.ageColumn],
        row: { object, now in [P.name(object), .string(object["spec"]?["holderIdentity"]?.stringValue ?? ""), P.age(object, now)] })
}
