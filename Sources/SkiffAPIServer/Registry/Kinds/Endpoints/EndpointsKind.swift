import Foundation
import SkiffAPI

/// Endpoints: the table.
enum EndpointsKind {
    static let definition = KindDefinition(group: "", resource: "endpoints") {
        $0.table = table
    }

    typealias P = Printers

    static let table = ColumnPrinter(
        columns: [P.nameColumn, P.column("Endpoints"), P.ageColumn],
        row: { object, now in
            var pairs: [String] = []
            for subset in object["subsets"]?.arrayValue ?? [] {
                let ports = subset["ports"]?.arrayValue?.compactMap { $0["port"]?.intValue } ?? []
                for address in subset["addresses"]?.arrayValue ?? [] {
                    let ip = address["ip"]?.stringValue ?? ""
                    if ports.isEmpty { pairs.append(ip) } else { for port in ports { pairs.append("\(ip):\(port)") } }
                }
            }
            var text = pairs.prefix(3).joined(separator: ",")
            if pairs.count > 3 { text += " + \(pairs.count - 3) more..." }
            return [P.name(object), .string(pairs.isEmpty ? "<none>" : text), P.age(object, now)]
        })
}
