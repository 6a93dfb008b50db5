import Foundation
import SkiffAPI

/// core/v1 Events (also served as events.k8s.io/v1): selectable fields and the table.
enum EventKind {
    static let definition = KindDefinition(group: "", resource: "events") {
        $0.strategy = { _ in DefaultingStrategy(allowCreateOnUpdate: false) }
        $0.fields = ResourceFields(paths: ["involvedObject.kind", "involvedObject.namespace", "involvedObject.name",
                                           "involvedObject.uid", "involvedObject.apiVersion", "involvedObject.resourceVersion",
                                           "involvedObject.fieldPath", "reason", "reportingComponent", "type"],
                                   computed: ["source"], compute: { event in
                                       // Upstream's ToSelectableFields: the reporting controller when no source component.
                                       let component = event["source"]?["component"]?.stringValue ?? ""
                                       return ["source": component.isEmpty ? (event["reportingComponent"]?.stringValue ?? "") : component]
                                   })
        $0.table = table
    }

    typealias P = Printers

    static let table = ColumnPrinter(
        columns: [P.column("Last Seen"), P.column("Type"), P.column("Reason"), P.column("Object"),
                  P.column("Subobject", wide: true), P.column("Source", wide: true), P.column("Message"),
                  P.column("First Seen", wide: true), P.column("Count", "integer", wide: true), TableColumn(name: "Name", type: "string", format: "name", priority: 1)],
        row: { event, now in
            let first = event["firstTimestamp"]?.stringValue ?? event["eventTime"]?.stringValue ?? event["metadata"]?["creationTimestamp"]?.stringValue
            let last = event["lastTimestamp"]?.stringValue ?? event["series"]?["lastObservedTime"]?.stringValue ?? first
            let involved = event["involvedObject"] ?? [:]
            let object = "\((involved["kind"]?.stringValue ?? "").lowercased())/\(involved["name"]?.stringValue ?? "")"
            var source = event["source"]?["component"]?.stringValue ?? event["reportingComponent"]?.stringValue ?? ""
            if let host = event["source"]?["host"]?.stringValue, !host.isEmpty { source += ", " + host }
            return [.string(Age.since(last, now: now)), .string(event["type"]?.stringValue ?? ""), .string(event["reason"]?.stringValue ?? ""),
                    .string(object), .string(involved["fieldPath"]?.stringValue ?? ""), .string(source),
                    .string((event["message"]?.stringValue ?? "").trimmingCharacters(in: .whitespacesAndNewlines)),
                    .string(Age.since(first, now: now)), .int(event["count"]?.intValue ?? 1), P.name(event)]
        })
}
