extension ProtobufSchema {
    /// Parses the table format that Tools/protogen writes (described at the top of `KubernetesProtobufTable.swift`).
    init(table: String) throws(KubernetesProtobufError) {
        func broken(_ line: Substring, _ why: String) -> KubernetesProtobufError {
            KubernetesProtobufError(.internalTable, "the protobuf message table is invalid (\(why)): \(line.prefix(120))")
        }
        var packageByAlias: [Substring: String] = [:]
        var packageByAPIVersion: [String: String] = [:]
        var messageLines: [(fullName: String, isWrapper: Bool, fields: Substring, line: Substring)] = []
        var indexByFullName: [String: Int] = [:]

        // First pass: packages and message names, so field types can refer to any message.
        for line in table.split(separator: "\n") {
            if line.first == "@" {
                let parts = line.dropFirst().split(separator: " ")
                guard parts.count == 3 else { throw broken(line, "package line") }
                packageByAlias[parts[0]] = String(parts[1])
                if parts[2] != "-" { packageByAPIVersion[String(parts[2])] = String(parts[1]) }
                continue
            }
            guard let colon = line.firstIndex(of: ":") else { throw broken(line, "no colon") }
            var header = line[..<colon]
            let isWrapper = header.hasSuffix(" w")
            if isWrapper { header = header.dropLast(2) }
            guard let dot = header.firstIndex(of: "."), let package = packageByAlias[header[..<dot]] else {
                throw broken(line, "unknown package alias")
            }
            let fullName = package + header[dot...]
            guard indexByFullName.updateValue(messageLines.count, forKey: fullName) == nil else {
                throw broken(line, "duplicate message")
            }
            messageLines.append((fullName, isWrapper, line[line.index(after: colon)...], line))
        }

        func resolve(_ token: Substring, _ line: Substring) throws(KubernetesProtobufError) -> ProtobufFieldType {
            if let scalar = ProtobufScalar(name: token) { return .scalar(scalar) }
            guard let dot = token.firstIndex(of: "."), let package = packageByAlias[token[..<dot]],
                let index = indexByFullName[package + token[dot...]]
            else { throw broken(line, "unknown type \(token)") }
            return .message(index)
        }

        var messages: [ProtobufMessageDescriptor] = []
        messages.reserveCapacity(messageLines.count)
        for entry in messageLines {
            var fields: [ProtobufFieldDescriptor] = []
            for fieldText in entry.fields.split(separator: ";") {
                let parts = fieldText.split(separator: " ")
                guard parts.count == 3 || parts.count == 4, let number = Int(parts[0]), number > 0 else {
                    throw broken(entry.line, "field \(fieldText)")
                }
                var typeToken = parts[2]
                var isRepeated = false
                var mapKey: ProtobufScalar?
                if typeToken.hasPrefix("[]") {
                    isRepeated = true
                    typeToken = typeToken.dropFirst(2)
                } else if typeToken.hasPrefix("map["), let close = typeToken.firstIndex(of: "]") {
                    guard let key = ProtobufScalar(name: typeToken[typeToken.index(typeToken.startIndex, offsetBy: 4)..<close])
                    else { throw broken(entry.line, "map key of \(fieldText)") }
                    mapKey = key
                    typeToken = typeToken[typeToken.index(after: close)...]
                }
                let flags = parts.count == 4 ? parts[3] : ""
                fields.append(ProtobufFieldDescriptor(
                    number: number, jsonName: String(parts[1]), type: try resolve(typeToken, entry.line),
                    isRepeated: isRepeated, mapKey: mapKey, omitEmpty: flags.contains("o"),
                    isInline: flags.contains("i")))
            }
            let largest = fields.map(\.number).max() ?? 0
            guard largest < 10_000 else { throw broken(entry.line, "field number \(largest) too large for the index") }
            var slots = [Int32](repeating: -1, count: largest + 1)
            for (slot, field) in fields.enumerated() {
                guard slots[field.number] < 0 else { throw broken(entry.line, "duplicate field \(field.number)") }
                slots[field.number] = Int32(slot)
            }
            messages.append(ProtobufMessageDescriptor(
                fullName: entry.fullName,
                conversion: ProtobufMessageConversion(fullName: entry.fullName, isWrapper: entry.isWrapper),
                fields: fields, slotByNumber: slots))
        }
        self.messages = messages
        self.messageIndexByFullName = indexByFullName
        self.packageByAPIVersion = packageByAPIVersion
    }
}
