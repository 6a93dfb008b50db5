import Foundation
import SkiffAPI

/// ServiceAccounts: the table.
enum ServiceAccountKind {
    static let definition = KindDefinition(group: "", resource: "serviceaccounts") {
        $0.table = table
    }

    typealias P = Printers

    static let table = ColumnPrinter(
        columns: [P.nameColumn, P.column("Secrets", "integer"), P.ageColumn],
        row: { object, now in [P.name(object), .int(Int64(object["secrets"]?.arrayValue?.count ?? 0)), P.age(object, now)] })
}
