import Foundation
import SkiffAPI

/// EndpointSlices: the table.
enum EndpointSliceKind {
    static let definition = KindDefinition(group: "discovery.k8s.io", resource: "endpointslices") {
        $0.table = table
    }

    typealias P = Printers

    static let table = ColumnPrinter(
        columns: [P.nameColumn, P.column("AddressType"), P.column("Ports"), P.column("Endpoints"), P.ageColumn],
        row: { object, now in
            let ports = (object["ports"]?.arrayValue ?? []).compactMap { $0["port"]?.intValue.map(String.init) }
            let addresses = (object["endpoints"]?.arrayValue ?? []).flatMap { $0["addresses"]?.arrayValue?.compactMap(\.stringValue) ?? [] }
            var text = addresses.prefix(3).joined(separator: ",")
            if addresses.count > 3 { text += " + \(addresses.count - 3) more..." }
            return [P.name(object), .string(object["addressType"]?.stringValue ?? ""), .string(ports.isEmpty ? "<unset>" : ports.joined(separator: ",")),
                    .string(addresses.isEmpty ? "<unset>" : text), P.age(object, now)]
        })
}
