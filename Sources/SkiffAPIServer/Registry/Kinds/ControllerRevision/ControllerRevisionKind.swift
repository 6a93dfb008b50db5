import Foundation
import SkiffAPI

/// ControllerRevisions: the `kubectl get controllerrevisions` table.
enum ControllerRevisionKind {
    static let definition = KindDefinition(group: "apps", resource: "controllerrevisions") {
        $0.table = table
    }

    typealias P = Printers

    static let table = ColumnPrinter(
        columns: [P.nameColumn, P.column("Controller"), P.column("Revision", "integer"), P.ageColumn],
        row: { object, now in
            let owner = (object["metadata"]?["ownerReferences"]?.arrayValue ?? []).first { $0["controller"]?.boolValue == true }
            var controller = "<none>"
            if let owner, let kind = owner["kind"]?.stringValue, let name = owner["name"]?.stringValue {
                let group = owner["apiVersion"]?.stringValue?.split(separator: "/").dropLast().first.map(String.init) ?? ""
                controller = (group.isEmpty ? kind.lowercased() : "\(kind.lowercased()).\(group)") + "/" + name
            }
            return [P.name(object), .string(controller), P.int(object["revision"]), P.age(object, now)]
        })
}
