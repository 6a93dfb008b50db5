import Foundation
import SkiffAPI

/// APIServices of the aggregation layer: status subresource and the table.
enum APIServiceKind {
    static let definition = KindDefinition(group: "apiregistration.k8s.io", resource: "apiservices") {
        $0.strategy = { _ in DefaultingStrategy(tracksGeneration: true, hasStatusSubresource: true) }
        $0.table = table
    }

    typealias P = Printers

    /// Upstream's `kubectl get apiservices`: NAME, SERVICE (`Local`, or namespace/name), AVAILABLE (the
    /// Available condition, with its reason when not True), AGE.
    static let table = ColumnPrinter(
        columns: [P.nameColumn, P.column("Service"), P.column("Available"), P.ageColumn],
        row: { object, now in
            let service = object["spec"]?["service"]
            let target = service.map { "\($0["namespace"]?.stringValue ?? "")/\($0["name"]?.stringValue ?? "")" } ?? "Local"
            let available = (object["status"]?["conditions"]?.arrayValue ?? []).first { $0["type"] == "Available" }
            var text = available?["status"]?.stringValue ?? "Unknown"
            if text != "True", let reason = available?["reason"]?.stringValue { text += " (\(reason))" }
            return [P.name(object), .string(target), .string(text), P.age(object, now)]
        })
}
